//! Validation of request bodies: `POST /tokens` and
//! `POST /tokens/{id}/rotate`.
//!
//! A body is read into the contract's wire type first
//! ([`crate::contract::read`]: the schema, `INVALID_INPUT`); then the meaning
//! of its capabilities is checked (`INVALID_TOKEN_CAPABILITIES`), then the
//! description (`INVALID_TOKEN_DESCRIPTION`), so that one body always gets
//! the same answer. Every message names the field and says why.

use crate::contract::{
    bounds::{MAX_ALLOWED, MAX_AMOUNT_CHARS, MAX_CALLS, MAX_DESCRIPTION_CHARS},
    catalogue,
    currency::Currency,
    error::ApiError,
    limits::{AllowConditions, CallsConditions, LimitType, RequestedLimit, Scope, SpendConditions},
    model::RequestedCapability,
    node_routes::{carried_by, Carried},
    read::{self, CreateBody},
};

use crate::service::{
    conditions::{self, Amount, ListenRange},
    records::{Grant, PeriodicBudget, SpendBudget},
};

/// A validated create request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken {
    /// The capabilities, in request order, one per endpoint.
    pub grants: Vec<Grant>,
    /// Seconds until expiry, if the token should expire.
    pub lifetime: Option<u64>,
    /// Free text, `""` when not given.
    pub description: String,
}

/// Reads and validates a create body.
pub fn parse_create(body: &[u8]) -> Result<NewToken, ApiError> {
    let CreateBody { request, beyond } = read::create_request(body)?;
    let grants = grants(&request.capabilities)?;
    if let Some(refusal) = beyond {
        return Err(refusal);
    }
    let description = request.description.unwrap_or_default();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::InvalidDescription(format!(
            "description must be at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    Ok(NewToken { grants, lifetime: request.lifetime, description })
}

/// Reads and validates a rotate body: the grace period, 0 when not given.
pub fn parse_rotate(body: &[u8]) -> Result<u64, ApiError> {
    Ok(read::rotate_request(body)?.grace.unwrap_or(0))
}

fn invalid_capabilities(why: String) -> ApiError {
    ApiError::InvalidCapabilities(why)
}

/// The grants of `capabilities`: each of the catalogue, once.
fn grants(capabilities: &[RequestedCapability]) -> Result<Vec<Grant>, ApiError> {
    let mut grants: Vec<Grant> = Vec::with_capacity(capabilities.len());
    for (i, capability) in capabilities.iter().enumerate() {
        let at = format!("capabilities[{i}]");
        let endpoint = &capability.endpoint.0;
        if !catalogue::is_known(endpoint) {
            return Err(invalid_capabilities(format!("{at}.endpoint: unknown endpoint '{endpoint}'")));
        }
        if grants.iter().any(|grant| grant.endpoint == *endpoint) {
            return Err(invalid_capabilities(format!("{at}.endpoint: duplicate endpoint '{endpoint}'")));
        }
        grants.push(grant(&at, endpoint, &capability.limits)?);
    }
    Ok(grants)
}

/// The grant of `endpoint` with `limits`: at most one of each type (one
/// `spend` per currency), each a type the endpoint's routes can be held to.
fn grant(at: &str, endpoint: &str, limits: &[RequestedLimit]) -> Result<Grant, ApiError> {
    let carried = carried_by(endpoint);
    let mut grant = Grant { endpoint: endpoint.to_string(), ..Grant::default() };
    for (j, limit) in limits.iter().enumerate() {
        let at = format!("{at}.limits[{j}]");
        carries(&at, limit.kind(), &carried, endpoint)?;
        match limit {
            RequestedLimit::Calls { conditions } => add_calls(&at, conditions, &mut grant)?,
            RequestedLimit::Spend { conditions } => add_spend(&at, conditions, &carried, &mut grant)?,
            RequestedLimit::Targets { conditions } => grant.targets = Some(targets(&at, conditions, &grant)?),
            RequestedLimit::Listen { conditions } => grant.listen = Some(listen(&at, conditions, &grant)?),
        }
    }
    Ok(grant)
}

/// Adds a `calls` limit to `grant`: one for the token's lifetime, one per
/// period.
fn add_calls(at: &str, conditions: &CallsConditions, grant: &mut Grant) -> Result<(), ApiError> {
    let max = calls(at, conditions)?;
    match conditions.period {
        None if grant.max_calls.is_some() => Err(duplicate_budget(at, false, None)),
        None => {
            grant.max_calls = Some(max);
            Ok(())
        }
        Some(period) => add_periodic(at, None, u128::from(max), period, grant),
    }
}

/// Adds a `spend` limit to `grant`: of each currency, one for the token's
/// lifetime, one per period.
fn add_spend(
    at: &str,
    conditions: &SpendConditions,
    carried: &Carried,
    grant: &mut Grant,
) -> Result<(), ApiError> {
    let amount = spend(at, conditions, carried, grant)?;
    match conditions.period {
        None if grant.spend_in(amount.currency).is_some() => {
            Err(duplicate_budget(at, false, Some(amount.currency)))
        }
        None => {
            grant.spend.push(SpendBudget {
                currency: amount.currency,
                max: amount.wei,
                shared_with: Vec::new(),
            });
            Ok(())
        }
        Some(period) => add_periodic(at, Some(amount.currency), amount.wei, period, grant),
    }
}

/// Adds a periodic limit of at most `max` calls (without a currency) or wei
/// of `currency` in any span of `period` seconds, the first of its kind.
fn add_periodic(
    at: &str,
    currency: Option<Currency>,
    max: u128,
    period: u64,
    grant: &mut Grant,
) -> Result<(), ApiError> {
    if grant.periodic_of(currency).is_some() {
        return Err(duplicate_budget(at, true, currency));
    }
    grant.periodic.push(PeriodicBudget { currency, max, period, shared_with: Vec::new() });
    Ok(())
}

/// A second `calls` limit, or `spend` limit in `currency`, for the token's
/// lifetime or (`periodic`) per period.
fn duplicate_budget(at: &str, periodic: bool, currency: Option<Currency>) -> ApiError {
    let span = if periodic { "periodic " } else { "" };
    let (kind, within) = match currency {
        Some(currency) => (LimitType::Spend, format!(" in {}", currency.name())),
        None => (LimitType::Calls, String::new()),
    };
    invalid_capabilities(format!("{at}: duplicate {span}'{}' limit{within}", kind.name()))
}

fn calls(at: &str, conditions: &CallsConditions) -> Result<u64, ApiError> {
    match conditions.max {
        0 => Err(invalid_capabilities(format!("{at}.conditions.max must be at least 1"))),
        max if max > MAX_CALLS => {
            Err(invalid_capabilities(format!("{at}.conditions.max must be at most {MAX_CALLS}")))
        }
        max => Ok(max),
    }
}

/// The amount of a `spend` limit: one the node reads, in a currency the
/// endpoint moves.
fn spend(
    at: &str,
    conditions: &SpendConditions,
    carried: &Carried,
    grant: &Grant,
) -> Result<Amount, ApiError> {
    let text = &conditions.max;
    if text.chars().count() > MAX_AMOUNT_CHARS {
        return Err(invalid_capabilities(format!(
            "{at}.conditions.max must be at most {MAX_AMOUNT_CHARS} characters"
        )));
    }
    let amount: Amount = text.parse().map_err(|why| {
        invalid_capabilities(format!("{at}.conditions.max: '{text}' is not an amount the node reads: {why}"))
    })?;
    if !carried.currencies.contains(&amount.currency) {
        let names: Vec<&str> = carried.currencies.iter().map(|currency| currency.name()).collect();
        return Err(invalid_capabilities(format!(
            "{at}.conditions.max: {} moves only {}, not {}",
            grant.endpoint,
            names.join(" and "),
            amount.currency.name()
        )));
    }
    Ok(amount)
}

fn targets(at: &str, conditions: &AllowConditions, grant: &Grant) -> Result<Vec<String>, ApiError> {
    if grant.targets.is_some() {
        return Err(duplicate(at, LimitType::Targets));
    }
    let mut addresses: Vec<String> = allowed(at, conditions)?
        .map(|(k, text)| {
            conditions::address(text).ok_or_else(|| {
                invalid_capabilities(format!(
                    "{at}.conditions.allow[{k}]: '{text}' is not an address (0x and 40 hex digits)"
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    addresses.sort();
    addresses.dedup();
    Ok(addresses)
}

fn listen(at: &str, conditions: &AllowConditions, grant: &Grant) -> Result<Vec<ListenRange>, ApiError> {
    if grant.listen.is_some() {
        return Err(duplicate(at, LimitType::Listen));
    }
    allowed(at, conditions)?
        .map(|(k, text)| {
            text.parse().map_err(|why| invalid_capabilities(format!("{at}.conditions.allow[{k}]: {why}")))
        })
        .collect()
}

/// The entries of an `allow` list, numbered, once its length is checked.
fn allowed<'c>(
    at: &str,
    conditions: &'c AllowConditions,
) -> Result<impl Iterator<Item = (usize, &'c str)>, ApiError> {
    let entries = &conditions.allow;
    if entries.is_empty() || entries.len() > MAX_ALLOWED {
        return Err(invalid_capabilities(format!(
            "{at}.conditions.allow must have 1 to {MAX_ALLOWED} entries"
        )));
    }
    Ok(entries.iter().map(String::as_str).enumerate())
}

/// Refuses a limit of `kind` on `endpoint` unless the endpoint may carry it.
fn carries(at: &str, kind: LimitType, carried: &Carried, endpoint: &str) -> Result<(), ApiError> {
    match kind.scope() {
        Scope::Routes { otherwise, .. } if !carried.carries(kind) => Err(invalid_capabilities(format!(
            "{at}.type: a '{}' limit does not apply to {endpoint}, which {otherwise}",
            kind.name()
        ))),
        _ => Ok(()),
    }
}

fn duplicate(at: &str, kind: LimitType) -> ApiError {
    invalid_capabilities(format!("{at}: duplicate '{}' limit", kind.name()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{currency::Currency, error::ErrorCode};

    fn parse(json: &str) -> Result<NewToken, ApiError> {
        parse_create(json.as_bytes())
    }

    /// Asserts the error code and that the message mentions `needle`.
    fn rejects(json: &str, code: ErrorCode, needle: &str) {
        let err = parse(json).expect_err(json);
        assert_eq!(err.code(), code, "{json}: {err}");
        assert!(err.to_string().contains(needle), "{json}: '{err}' lacks '{needle}'");
    }

    macro_rules! rejected {
        ($name:ident, $json:expr, $code:ident, $needle:expr) => {
            #[test]
            fn $name() {
                rejects($json, ErrorCode::$code, $needle);
            }
        };
    }

    #[test]
    fn minimal_body_is_accepted() {
        let token = parse(r#"{"capabilities":[{"endpoint":"tokensGetToken"}]}"#).unwrap();
        assert_eq!(token.grants, vec![Grant { endpoint: "tokensGetToken".into(), ..Grant::default() }]);
        assert_eq!(token.lifetime, None);
        assert_eq!(token.description, "");
    }

    #[test]
    fn full_body_is_accepted_and_used_is_ignored() {
        let token = parse(
            r#"{"capabilities":[{"endpoint":"tokensCreate","limits":[{"type":"calls","conditions":{"max":20},"used":7}]},
                {"endpoint":"nodeGetPeers","limits":[]}],
               "lifetime":3600,"description":"bot","extra":true}"#,
        )
        .unwrap();
        assert_eq!(
            token.grants[0],
            Grant { endpoint: "tokensCreate".into(), max_calls: Some(20), ..Grant::default() }
        );
        assert_eq!(token.grants[1].max_calls, None);
        assert_eq!(token.lifetime, Some(3600));
        assert_eq!(token.description, "bot");
    }

    #[test]
    fn used_of_any_type_is_ignored() {
        for used in ["{}", "[null]", "\"7\"", "-1", "1.5", "null"] {
            let body = format!(
                r#"{{"capabilities":[{{"endpoint":"nodePing","limits":[{{"type":"calls","conditions":{{"max":3}},"used":{used}}}]}}]}}"#
            );
            let token = parse(&body).unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(
                token.grants[0],
                Grant { endpoint: "nodePing".into(), max_calls: Some(3), ..Grant::default() }
            );
        }
    }

    #[test]
    fn integral_floats_are_integers_and_null_is_absent() {
        let token = parse(
            r#"{"capabilities":[{"endpoint":"tokensCreate","limits":[{"type":"calls","conditions":{"max":2.0}}]}],
               "lifetime":60.0,"description":null}"#,
        )
        .unwrap();
        assert_eq!(token.grants[0].max_calls, Some(2));
        assert_eq!(token.lifetime, Some(60));
        let token = parse(r#"{"capabilities":[{"endpoint":"tokensCreate"}],"lifetime":null}"#).unwrap();
        assert_eq!(token.lifetime, None);
    }

    #[test]
    fn description_of_256_characters_is_accepted() {
        let body = format!(
            r#"{{"capabilities":[{{"endpoint":"tokensCreate"}}],"description":"{}"}}"#,
            "é".repeat(256)
        );
        assert_eq!(parse(&body).unwrap().description.chars().count(), 256);
    }

    #[test]
    fn sixty_four_capabilities_are_accepted_and_sixty_five_are_not() {
        let body = |n: usize| {
            let entries: Vec<String> = catalogue::CAPABILITIES
                .iter()
                .cycle()
                .take(n)
                .enumerate()
                .map(|(i, e)| {
                    if i < 40 {
                        format!(r#"{{"endpoint":"{e}"}}"#)
                    } else {
                        format!(r#"{{"endpoint":"x{i}"}}"#)
                    }
                })
                .collect();
            format!(r#"{{"capabilities":[{}]}}"#, entries.join(","))
        };
        // Past the catalogue's 40 names the extra entries are unknown, so
        // the count is checked before the names.
        rejects(&body(65), ErrorCode::InvalidTokenCapabilities, "at most 64");
        rejects(&body(64), ErrorCode::InvalidTokenCapabilities, "unknown endpoint 'x40'");
        assert_eq!(parse(&body(40)).unwrap().grants.len(), 40);
    }

    rejected!(
        schema_before_meaning,
        r#"{"capabilities":[{"endpoint":"nope"}],"lifetime":0}"#,
        InvalidInput,
        "lifetime"
    );
    rejected!(
        unknown_endpoint,
        r#"{"capabilities":[{"endpoint":"tokensSteal"}]}"#,
        InvalidTokenCapabilities,
        "unknown endpoint 'tokensSteal'"
    );
    rejected!(
        duplicate_endpoint,
        r#"{"capabilities":[{"endpoint":"nodePing"},{"endpoint":"nodePing"}]}"#,
        InvalidTokenCapabilities,
        "capabilities[1].endpoint: duplicate"
    );
    rejected!(
        unknown_limit_type,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"type":"rate","conditions":{"max":1}}]}]}"#,
        InvalidTokenCapabilities,
        "unknown limit type 'rate'"
    );
    rejected!(
        unknown_condition,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"type":"calls","conditions":{"max":1,"min":0}}]}]}"#,
        InvalidTokenCapabilities,
        "unknown condition 'min'"
    );
    rejected!(
        zero_max,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"type":"calls","conditions":{"max":0}}]}]}"#,
        InvalidTokenCapabilities,
        "max must be at least 1"
    );
    rejected!(
        negative_max,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"type":"calls","conditions":{"max":-3}}]}]}"#,
        InvalidTokenCapabilities,
        "max must be at least 1"
    );
    rejected!(
        unsafe_max,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"type":"calls","conditions":{"max":9007199254740992}}]}]}"#,
        InvalidTokenCapabilities,
        "at most 9007199254740991"
    );
    rejected!(
        duplicate_calls_limit,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"type":"calls","conditions":{"max":1}},{"type":"calls","conditions":{"max":2}}]}]}"#,
        InvalidTokenCapabilities,
        "duplicate 'calls' limit"
    );
    rejected!(
        long_description,
        &format!(r#"{{"capabilities":[{{"endpoint":"nodePing"}}],"description":"{}"}}"#, "a".repeat(257)),
        InvalidTokenDescription,
        "at most 256 characters"
    );

    // The gateway's conditions.

    fn with_limits(endpoint: &str, limits: &str) -> String {
        format!(r#"{{"capabilities":[{{"endpoint":"{endpoint}","limits":[{limits}]}}]}}"#)
    }

    const PEER: &str = "0xB4ce7e6e36ac8b01a974725d5ba730af2b156fbe";

    #[test]
    fn conditions_are_kept_in_canonical_form() {
        let limits = format!(
            r#"{{"type":"spend","conditions":{{"max":"5 wxHOPR"}}}},{{"type":"spend","conditions":{{"max":"0.5 XDAI"}}}},
               {{"type":"targets","conditions":{{"allow":["{PEER}","b4ce7e6e36ac8b01a974725d5ba730af2b156fbe"]}}}},
               {{"type":"calls","conditions":{{"max":3}}}}"#
        );
        let grant = parse(&with_limits("accountWithdraw", &limits)).unwrap().grants.remove(0);
        let budgets: Vec<(Currency, u128)> =
            grant.spend.iter().map(|budget| (budget.currency, budget.max)).collect();
        assert_eq!(
            budgets,
            vec![(Currency::WxHopr, 5 * 10u128.pow(18)), (Currency::XDai, 5 * 10u128.pow(17))]
        );
        assert_eq!(grant.targets, Some(vec![PEER.to_ascii_lowercase()]), "one address, in lower case");
        assert_eq!(grant.max_calls, Some(3));
        let listen = r#"{"type":"listen","conditions":{"allow":["127.0.0.1:10000-10100","[::1]:8080"]}}"#;
        let grant = parse(&with_limits("sessionsCreateClient", listen)).unwrap().grants.remove(0);
        let shown: Vec<String> = grant.listen.unwrap().iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["127.0.0.1:10000-10100", "[::1]:8080"]);
    }

    #[test]
    fn a_condition_needs_a_capability_whose_routes_carry_it() {
        for (endpoint, limit) in [
            ("nodeGetInfo", r#"{"type":"spend","conditions":{"max":"1 wxHOPR"}}"#),
            (
                "accountGetBalances",
                r#"{"type":"targets","conditions":{"allow":["0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe"]}}"#,
            ),
            ("accountWithdraw", r#"{"type":"listen","conditions":{"allow":["127.0.0.1:1"]}}"#),
        ] {
            rejects(&with_limits(endpoint, limit), ErrorCode::InvalidTokenCapabilities, "does not apply to");
        }
    }

    rejected!(
        spend_in_a_currency_the_route_does_not_move,
        &with_limits("channelsFundChannels", r#"{"type":"spend","conditions":{"max":"1 xDai"}}"#),
        InvalidTokenCapabilities,
        "moves only wxHOPR, not xDai"
    );
    rejected!(
        spend_twice_in_one_currency,
        &with_limits(
            "accountWithdraw",
            r#"{"type":"spend","conditions":{"max":"1 xDai"}},{"type":"spend","conditions":{"max":"2 xdai"}}"#
        ),
        InvalidTokenCapabilities,
        "duplicate 'spend' limit in xDai"
    );
    rejected!(
        spend_that_the_node_would_not_read,
        &with_limits("accountWithdraw", r#"{"type":"spend","conditions":{"max":"5"}}"#),
        InvalidTokenCapabilities,
        "not an amount the node reads"
    );
    rejected!(
        targets_that_are_not_addresses,
        &with_limits("accountWithdraw", r#"{"type":"targets","conditions":{"allow":["12D3KooWabc"]}}"#),
        InvalidTokenCapabilities,
        "allow[0]: '12D3KooWabc' is not an address"
    );
    rejected!(
        targets_without_any,
        &with_limits("accountWithdraw", r#"{"type":"targets","conditions":{"allow":[]}}"#),
        InvalidTokenCapabilities,
        "1 to 64 entries"
    );
    rejected!(
        listen_without_a_port,
        &with_limits("sessionsCreateClient", r#"{"type":"listen","conditions":{"allow":["0.0.0.0"]}}"#),
        InvalidTokenCapabilities,
        "allow[0]: '0.0.0.0' is not an address with a port"
    );
}
