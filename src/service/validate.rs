//! Validation of request bodies: `POST /tokens` and
//! `POST /tokens/{id}/rotate`.
//!
//! The body is read as a JSON value and checked in two passes, so that one
//! body always gets the same answer: first the schema (types, required
//! fields, ranges of `lifetime`: `INVALID_INPUT`), then the meaning of the
//! capabilities (`INVALID_TOKEN_CAPABILITIES`), then the description
//! (`INVALID_TOKEN_DESCRIPTION`). Every message names the field and says why.
//! Unknown fields are ignored, and so is any client-supplied `used`.

use serde_json::{Map, Value};

use crate::contract::{
    bounds::{
        MAX_ALLOWED, MAX_AMOUNT_CHARS, MAX_BODY_BYTES, MAX_CALLS, MAX_CAPABILITIES, MAX_DESCRIPTION_CHARS,
        MAX_GRACE_SECS, MAX_LIFETIME_SECS, MAX_LIMITS,
    },
    catalogue,
    error::ApiError,
    limits::{LimitType, Scope, Shape},
    node_routes::{carried_by, Carried},
};

use super::{
    conditions::{self, Amount, ListenRange},
    records::{Grant, SpendBudget},
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

/// A capability entry that passed the schema but not yet the meaning checks.
struct DraftCapability {
    endpoint: String,
    limits: Vec<DraftLimit>,
}

struct DraftLimit {
    kind: String,
    conditions: Map<String, Value>,
}

/// Parses and validates a create body.
pub fn parse_create(body: &[u8]) -> Result<NewToken, ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| invalid_input(format!("request body is not valid JSON: {e}")))?;
    let object =
        value.as_object().ok_or_else(|| invalid_input("request body must be a JSON object".to_string()))?;

    let drafts = schema_capabilities(object)?;
    let lifetime = schema_lifetime(object)?;
    let description = schema_description(object)?;

    let grants = check_capabilities(drafts)?;
    let description = description.unwrap_or_default();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::InvalidDescription(format!(
            "description must be at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    Ok(NewToken { grants, lifetime, description })
}

/// Parses and validates a rotate body: empty, or an object with an optional
/// `grace` in seconds. Returns the grace period.
pub fn parse_rotate(body: &[u8]) -> Result<u64, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(0);
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| invalid_input(format!("request body is not valid JSON: {e}")))?;
    let object =
        value.as_object().ok_or_else(|| invalid_input("request body must be a JSON object".to_string()))?;
    let out_of_range =
        || invalid_input(format!("grace must be an integer from 0 to {MAX_GRACE_SECS} (seconds)"));
    match object.get("grace") {
        None | Some(Value::Null) => Ok(0),
        Some(grace) => match integer(grace) {
            Some(secs) if (0..=i128::from(MAX_GRACE_SECS)).contains(&secs) => {
                u64::try_from(secs).map_err(|_| out_of_range())
            }
            _ => Err(out_of_range()),
        },
    }
}

fn invalid_input(why: String) -> ApiError {
    ApiError::InvalidInput(why)
}

fn invalid_capabilities(why: String) -> ApiError {
    ApiError::InvalidCapabilities(why)
}

fn schema_capabilities(object: &Map<String, Value>) -> Result<Vec<DraftCapability>, ApiError> {
    let entries = match object.get("capabilities") {
        None => return Err(invalid_input("capabilities is required".to_string())),
        Some(Value::Array(entries)) => entries,
        Some(_) => return Err(invalid_input("capabilities must be an array".to_string())),
    };
    if entries.is_empty() {
        return Err(invalid_input("capabilities must not be empty".to_string()));
    }
    entries.iter().enumerate().map(|(i, entry)| schema_capability(i, entry)).collect()
}

fn schema_capability(i: usize, entry: &Value) -> Result<DraftCapability, ApiError> {
    let at = format!("capabilities[{i}]");
    let entry = entry.as_object().ok_or_else(|| invalid_input(format!("{at} must be an object")))?;
    let endpoint = match entry.get("endpoint") {
        None => return Err(invalid_input(format!("{at}.endpoint is required"))),
        Some(Value::String(endpoint)) => endpoint.clone(),
        Some(_) => return Err(invalid_input(format!("{at}.endpoint must be a string"))),
    };
    let limits = match entry.get("limits") {
        None => Vec::new(),
        Some(Value::Array(limits)) => limits
            .iter()
            .enumerate()
            .map(|(j, limit)| schema_limit(&format!("{at}.limits[{j}]"), limit))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid_input(format!("{at}.limits must be an array"))),
    };
    Ok(DraftCapability { endpoint, limits })
}

fn schema_limit(at: &str, limit: &Value) -> Result<DraftLimit, ApiError> {
    let limit = limit.as_object().ok_or_else(|| invalid_input(format!("{at} must be an object")))?;
    let kind = match limit.get("type") {
        None => return Err(invalid_input(format!("{at}.type is required"))),
        Some(Value::String(kind)) => kind.clone(),
        Some(_) => return Err(invalid_input(format!("{at}.type must be a string"))),
    };
    let conditions = match limit.get("conditions") {
        None => return Err(invalid_input(format!("{at}.conditions is required"))),
        Some(Value::Object(conditions)) => conditions,
        Some(_) => return Err(invalid_input(format!("{at}.conditions must be an object"))),
    };
    for condition in LimitType::named(&kind).map_or(&[][..], LimitType::conditions) {
        let name = condition.name;
        let fits = match (conditions.get(name), condition.shape) {
            (None, _) => return Err(invalid_input(format!("{at}.conditions.{name} is required"))),
            (Some(max), Shape::Count) => integer(max).is_some(),
            (Some(max), Shape::Amount) => max.is_string(),
            (Some(allow), Shape::List(_)) => {
                allow.as_array().is_some_and(|allow| allow.iter().all(Value::is_string))
            }
        };
        if !fits {
            return Err(invalid_input(format!(
                "{at}.conditions.{name} must be {}",
                expected(condition.shape)
            )));
        }
    }
    Ok(DraftLimit { kind, conditions: conditions.clone() })
}

fn schema_lifetime(object: &Map<String, Value>) -> Result<Option<u64>, ApiError> {
    let lifetime = match object.get("lifetime") {
        None | Some(Value::Null) => return Ok(None),
        Some(lifetime) => integer(lifetime)
            .ok_or_else(|| invalid_input("lifetime must be an integer (seconds)".to_string()))?,
    };
    if lifetime < 1 {
        return Err(invalid_input("lifetime must be at least 1 second".to_string()));
    }
    if lifetime > i128::from(MAX_LIFETIME_SECS) {
        return Err(invalid_input(format!(
            "lifetime must be at most {MAX_LIFETIME_SECS} seconds (100 years)"
        )));
    }
    Ok(u64::try_from(lifetime).ok())
}

fn schema_description(object: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    match object.get("description") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(description)) => Ok(Some(description.clone())),
        Some(_) => Err(invalid_input("description must be a string".to_string())),
    }
}

fn check_capabilities(drafts: Vec<DraftCapability>) -> Result<Vec<Grant>, ApiError> {
    if drafts.len() > MAX_CAPABILITIES {
        return Err(invalid_capabilities(format!(
            "capabilities must have at most {MAX_CAPABILITIES} entries, got {}",
            drafts.len()
        )));
    }
    let mut grants: Vec<Grant> = Vec::with_capacity(drafts.len());
    for (i, draft) in drafts.into_iter().enumerate() {
        let at = format!("capabilities[{i}]");
        if !catalogue::is_known(&draft.endpoint) {
            return Err(invalid_capabilities(format!(
                "{at}.endpoint: unknown endpoint '{}'",
                draft.endpoint
            )));
        }
        if grants.iter().any(|g| g.endpoint == draft.endpoint) {
            return Err(invalid_capabilities(format!(
                "{at}.endpoint: duplicate endpoint '{}'",
                draft.endpoint
            )));
        }
        grants.push(check_limits(&at, draft.endpoint, &draft.limits)?);
    }
    Ok(grants)
}

/// The grant of `endpoint` with `limits`: at most one of each type (one
/// `spend` per currency), each a type the endpoint's routes can be held to.
fn check_limits(at: &str, endpoint: String, limits: &[DraftLimit]) -> Result<Grant, ApiError> {
    if limits.len() > MAX_LIMITS {
        return Err(invalid_capabilities(format!("{at}.limits must have at most {MAX_LIMITS} entries")));
    }
    let mut grant = Grant { endpoint, ..Grant::default() };
    for (j, limit) in limits.iter().enumerate() {
        let at = format!("{at}.limits[{j}]");
        let Some(kind) = LimitType::named(&limit.kind) else {
            return Err(invalid_capabilities(format!(
                "{at}.type: unknown limit type '{}'; the types are {}",
                limit.kind,
                LimitType::listed()
            )));
        };
        let only = kind.conditions()[0].name;
        if let Some(name) = limit.conditions.keys().find(|name| *name != only) {
            return Err(invalid_capabilities(format!(
                "{at}.conditions: unknown condition '{name}'; a '{}' limit has only '{only}'",
                limit.kind
            )));
        }
        let carried = carried_by(&grant.endpoint);
        let value = &limit.conditions[only];
        match kind {
            LimitType::Calls => grant.max_calls = Some(check_calls(&at, value, grant.max_calls)?),
            LimitType::Spend => check_spend(&at, value, &carried, &mut grant)?,
            LimitType::Targets => grant.targets = Some(check_targets(&at, value, &carried, &grant)?),
            LimitType::Listen => grant.listen = Some(check_listen(&at, value, &carried, &grant)?),
        }
    }
    Ok(grant)
}

fn check_calls(at: &str, max: &Value, held: Option<u64>) -> Result<u64, ApiError> {
    if held.is_some() {
        return Err(duplicate(at, LimitType::Calls));
    }
    let max = integer(max).unwrap_or_default();
    if max < 1 {
        return Err(invalid_capabilities(format!("{at}.conditions.max must be at least 1")));
    }
    if max > i128::from(MAX_CALLS) {
        return Err(invalid_capabilities(format!("{at}.conditions.max must be at most {MAX_CALLS}")));
    }
    u64::try_from(max).map_err(|_| invalid_capabilities(format!("{at}.conditions.max is out of range")))
}

fn check_spend(at: &str, max: &Value, carried: &Carried, grant: &mut Grant) -> Result<(), ApiError> {
    let currencies = &carried.currencies;
    not_carried(at, LimitType::Spend, carried, &grant.endpoint)?;
    let text = max.as_str().unwrap_or_default();
    if text.chars().count() > MAX_AMOUNT_CHARS {
        return Err(invalid_capabilities(format!(
            "{at}.conditions.max must be at most {MAX_AMOUNT_CHARS} characters"
        )));
    }
    let amount: Amount = text.parse().map_err(|why| {
        invalid_capabilities(format!("{at}.conditions.max: '{text}' is not an amount the node reads: {why}"))
    })?;
    if !currencies.contains(&amount.currency) {
        let names: Vec<&str> = currencies.iter().map(|currency| currency.name()).collect();
        return Err(invalid_capabilities(format!(
            "{at}.conditions.max: {} moves only {}, not {}",
            grant.endpoint,
            names.join(" and "),
            amount.currency.name()
        )));
    }
    if grant.spend_in(amount.currency).is_some() {
        return Err(invalid_capabilities(format!(
            "{at}: duplicate '{}' limit in {}",
            LimitType::Spend.name(),
            amount.currency.name()
        )));
    }
    grant.spend.push(SpendBudget { currency: amount.currency, max: amount.wei, shared_with: Vec::new() });
    Ok(())
}

fn check_targets(at: &str, allow: &Value, carried: &Carried, grant: &Grant) -> Result<Vec<String>, ApiError> {
    not_carried(at, LimitType::Targets, carried, &grant.endpoint)?;
    if grant.targets.is_some() {
        return Err(duplicate(at, LimitType::Targets));
    }
    let mut addresses: Vec<String> = allow_list(at, allow)?
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

fn check_listen(
    at: &str,
    allow: &Value,
    carried: &Carried,
    grant: &Grant,
) -> Result<Vec<ListenRange>, ApiError> {
    not_carried(at, LimitType::Listen, carried, &grant.endpoint)?;
    if grant.listen.is_some() {
        return Err(duplicate(at, LimitType::Listen));
    }
    allow_list(at, allow)?
        .map(|(k, text)| {
            text.parse().map_err(|why| invalid_capabilities(format!("{at}.conditions.allow[{k}]: {why}")))
        })
        .collect()
}

/// The entries of an `allow` list, numbered, once its length is checked.
fn allow_list<'v>(at: &str, allow: &'v Value) -> Result<impl Iterator<Item = (usize, &'v str)>, ApiError> {
    let entries = allow.as_array().map(Vec::as_slice).unwrap_or_default();
    if entries.is_empty() || entries.len() > MAX_ALLOWED {
        return Err(invalid_capabilities(format!(
            "{at}.conditions.allow must have 1 to {MAX_ALLOWED} entries"
        )));
    }
    Ok(entries.iter().enumerate().map(|(k, entry)| (k, entry.as_str().unwrap_or_default())))
}

/// Refuses a limit of `kind` on `endpoint` unless the endpoint may carry it.
fn not_carried(at: &str, kind: LimitType, carried: &Carried, endpoint: &str) -> Result<(), ApiError> {
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

/// What a value of `shape` must be, in the words of a refusal.
fn expected(shape: Shape) -> &'static str {
    match shape {
        Shape::Count => "an integer",
        Shape::Amount => "a string",
        Shape::List(_) => "an array of strings",
    }
}

/// A JSON number that is an integer, as JSON Schema counts them (`3.0` is
/// one), saturated to the range of `i128`. Fractions and non-numbers are not.
fn integer(value: &Value) -> Option<i128> {
    let number = value.as_number()?;
    if let Some(n) = number.as_i64() {
        return Some(i128::from(n));
    }
    if let Some(n) = number.as_u64() {
        return Some(i128::from(n));
    }
    let f = number.as_f64()?;
    (f.fract() == 0.0).then_some(f as i128)
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

    #[test]
    fn a_rotate_body_may_be_empty_or_give_a_grace_period() {
        assert_eq!(parse_rotate(b""), Ok(0));
        assert_eq!(parse_rotate(b" \n"), Ok(0));
        assert_eq!(parse_rotate(b"{}"), Ok(0));
        assert_eq!(parse_rotate(br#"{"grace":null}"#), Ok(0));
        assert_eq!(parse_rotate(br#"{"grace":300}"#), Ok(300));
        assert_eq!(parse_rotate(br#"{"grace":3600.0}"#), Ok(3600));
        for bad in [
            &br#"{"grace":3601}"#[..],
            br#"{"grace":-1}"#,
            br#"{"grace":"5"}"#,
            br#"{"grace":1.5}"#,
            b"[]",
            b"{",
        ] {
            assert_eq!(
                parse_rotate(bad).unwrap_err().code(),
                ErrorCode::InvalidInput,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn oversized_body_is_too_large() {
        let body = format!(r#"{{"capabilities":[],"description":"{}"}}"#, "a".repeat(MAX_BODY_BYTES));
        assert_eq!(parse(&body).unwrap_err(), ApiError::PayloadTooLarge);
    }

    rejected!(not_json, "{nope", InvalidInput, "not valid JSON");
    rejected!(empty_body, "", InvalidInput, "not valid JSON");
    rejected!(array_body, "[]", InvalidInput, "must be a JSON object");
    rejected!(missing_capabilities, "{}", InvalidInput, "capabilities is required");
    rejected!(capabilities_not_array, r#"{"capabilities":{}}"#, InvalidInput, "must be an array");
    rejected!(empty_capabilities, r#"{"capabilities":[]}"#, InvalidInput, "must not be empty");
    rejected!(
        capability_not_object,
        r#"{"capabilities":[1]}"#,
        InvalidInput,
        "capabilities[0] must be an object"
    );
    rejected!(
        missing_endpoint,
        r#"{"capabilities":[{}]}"#,
        InvalidInput,
        "capabilities[0].endpoint is required"
    );
    rejected!(
        endpoint_not_string,
        r#"{"capabilities":[{"endpoint":1}]}"#,
        InvalidInput,
        "endpoint must be a string"
    );
    rejected!(
        limits_not_array,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":{}}]}"#,
        InvalidInput,
        "limits must be an array"
    );
    rejected!(
        limit_not_object,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[3]}]}"#,
        InvalidInput,
        "limits[0] must be an object"
    );
    rejected!(
        limit_without_type,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"conditions":{"max":1}}]}]}"#,
        InvalidInput,
        "type is required"
    );
    rejected!(
        limit_without_conditions,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"type":"calls"}]}]}"#,
        InvalidInput,
        "conditions is required"
    );
    rejected!(
        limit_without_max,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"type":"calls","conditions":{}}]}]}"#,
        InvalidInput,
        "conditions.max is required"
    );
    rejected!(
        fractional_max,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"type":"calls","conditions":{"max":1.5}}]}]}"#,
        InvalidInput,
        "max must be an integer"
    );
    rejected!(
        string_max,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"type":"calls","conditions":{"max":"5"}}]}]}"#,
        InvalidInput,
        "max must be an integer"
    );
    rejected!(
        string_lifetime,
        r#"{"capabilities":[{"endpoint":"nodePing"}],"lifetime":"60"}"#,
        InvalidInput,
        "lifetime must be an integer"
    );
    rejected!(
        zero_lifetime,
        r#"{"capabilities":[{"endpoint":"nodePing"}],"lifetime":0}"#,
        InvalidInput,
        "at least 1 second"
    );
    rejected!(
        negative_lifetime,
        r#"{"capabilities":[{"endpoint":"nodePing"}],"lifetime":-5}"#,
        InvalidInput,
        "at least 1 second"
    );
    rejected!(
        huge_lifetime,
        r#"{"capabilities":[{"endpoint":"nodePing"}],"lifetime":1e300}"#,
        InvalidInput,
        "at most 3155760000"
    );
    rejected!(
        century_lifetime,
        r#"{"capabilities":[{"endpoint":"nodePing"}],"lifetime":3155760001}"#,
        InvalidInput,
        "at most 3155760000"
    );
    rejected!(
        description_not_string,
        r#"{"capabilities":[{"endpoint":"nodePing"}],"description":5}"#,
        InvalidInput,
        "description must be a string"
    );
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
        spend_as_a_number,
        &with_limits("accountWithdraw", r#"{"type":"spend","conditions":{"max":5}}"#),
        InvalidInput,
        "conditions.max must be a string"
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
        targets_not_strings,
        &with_limits("accountWithdraw", r#"{"type":"targets","conditions":{"allow":[1]}}"#),
        InvalidInput,
        "allow must be an array of strings"
    );
    rejected!(
        listen_without_a_port,
        &with_limits("sessionsCreateClient", r#"{"type":"listen","conditions":{"allow":["0.0.0.0"]}}"#),
        InvalidTokenCapabilities,
        "allow[0]: '0.0.0.0' is not an address with a port"
    );
    rejected!(
        too_many_limits,
        &with_limits("accountWithdraw", &[r#"{"type":"calls","conditions":{"max":1}}"#; 6].join(",")),
        InvalidTokenCapabilities,
        "at most 5 entries"
    );
}
