//! A node call's arguments held to the conditions of the capability that
//! allows it: the target it aims at (`targets`), where a session would
//! listen (`listen`, loopback only without one), and the amount it moves,
//! whose currency must have a `spend` budget (the budget itself is charged
//! by the tree's counters).
//!
//! Arguments are read as the node reads them (see [`crate::service::conditions`]):
//! the exact camelCase field of a JSON object body, or the route's path
//! segment, percent-decoded. A request whose arguments cannot be read
//! where a condition needs them is refused, never forwarded: the node might
//! read it another way. A body whose JSON the node's serde structs would
//! read otherwise (an object with a key twice, of which a map keeps the
//! last and a struct refuses; an array, which a struct takes as its fields
//! in order; or no JSON at all) is invalid input (400).

use std::{fmt, net::SocketAddr};

use serde::{
    de::{self, MapAccess, SeqAccess, Visitor},
    Deserialize, Deserializer,
};
use serde_json::{Map, Value};

use crate::contract::{arguments::Arguments, bounds::MAX_AMOUNT_CHARS, error::ApiError};

use crate::service::{
    conditions::{self, Amount},
    credential::percent_decode,
    records::Grant,
};

/// True when checking `grant` on a call with `arguments` needs the request
/// body: the body's fields are under a condition of the grant, or the call
/// opens a listener (loopback only, unless a condition allows more).
pub fn needs_body(grant: &Grant, arguments: Arguments) -> bool {
    let spends = grant.has_spend_limits();
    let targets = grant.targets.is_some();
    match arguments {
        Arguments::Withdraw | Arguments::OpenChannel => spends || targets,
        Arguments::FundChannel | Arguments::FundChannelById => spends,
        Arguments::RedeemTickets => targets,
        Arguments::Session => true,
        Arguments::None
        | Arguments::Channel
        | Arguments::Peer
        | Arguments::UnreadableTarget
        | Arguments::RedeemAllTickets => false,
    }
}

/// A node call as its conditions see it.
#[derive(Clone, Copy, Debug)]
pub struct NodeCallArguments<'a> {
    /// What the route carries.
    pub arguments: Arguments,
    /// The route's first path parameter: its name in the pattern and the
    /// segment as sent.
    pub path_target: Option<(&'a str, &'a str)>,
    /// The request body, when [`needs_body`] asked for it.
    pub body: Option<&'a [u8]>,
    /// Where the node listens when a session does not say (its
    /// `defaultSessionListenHost`).
    pub default_listen: SocketAddr,
}

/// The amount and the target of `call` as `grant`'s conditions read them,
/// for the log line and the audit trail, whether or not the conditions
/// hold: the amount where a `spend` condition applies, the target where a
/// `targets` condition does, each as the node would read it, or as sent
/// (cut to [`MAX_AMOUNT_CHARS`] characters) when it is not one.
pub fn facts(grant: &Grant, call: &NodeCallArguments<'_>) -> (Option<String>, Option<String>) {
    let fields = call.body.and_then(|body| serde_json::from_slice::<Map<String, Value>>(body).ok());
    let text = |name: &str| fields.as_ref()?.get(name)?.as_str().map(str::to_string);
    let amount = match grant.has_spend_limits() && call.arguments.moves_funds() {
        true => text("amount").map(|text| text.parse::<Amount>().map_or(text, |amount| amount.to_string())),
        false => None,
    };
    let target = match (&grant.targets, call.arguments) {
        (None, _) => None,
        (Some(_), Arguments::Withdraw | Arguments::RedeemTickets) => text("address"),
        (Some(_), Arguments::OpenChannel | Arguments::Session) => text("destination"),
        (Some(_), Arguments::FundChannel | Arguments::Channel | Arguments::Peer) => {
            call.path_target.and_then(|(_, segment)| percent_decode(segment))
        }
        (Some(_), _) => None,
    };
    let target = target.map(|text| conditions::address(&text).unwrap_or(text));
    let cut = |text: String| text.chars().take(MAX_AMOUNT_CHARS).collect::<String>();
    (amount.map(cut), target.map(cut))
}

/// Checks `call` against the conditions of `grant`. Returns the amount the
/// call moves when a `spend` budget applies to it.
pub fn check(grant: &Grant, call: &NodeCallArguments<'_>) -> Result<Option<Amount>, ApiError> {
    let fields = match call.body {
        Some(body) => Some(object(body)?),
        None => None,
    };
    let fields = fields.as_ref();
    if let Some(allowed) = &grant.targets {
        check_target(allowed, call, fields)?;
    }
    if call.arguments.listens() {
        check_listen(grant, call, fields)?;
    }
    if !grant.has_spend_limits() || !call.arguments.moves_funds() {
        return Ok(None);
    }
    spent(grant, fields).map(Some)
}

fn check_target(
    allowed: &[String],
    call: &NodeCallArguments<'_>,
    fields: Option<&Map<String, Value>>,
) -> Result<(), ApiError> {
    let (field, text) = match call.arguments {
        Arguments::Withdraw | Arguments::RedeemTickets => ("address", text_field(fields, "address")?),
        Arguments::OpenChannel | Arguments::Session => ("destination", text_field(fields, "destination")?),
        Arguments::FundChannel | Arguments::Channel | Arguments::Peer => match call.path_target {
            Some((name, segment)) => (name, Some(percent_decode(segment).ok_or_else(|| unreadable(name))?)),
            None => return Err(unreadable("path")),
        },
        Arguments::FundChannelById | Arguments::UnreadableTarget => {
            return Err(failed(
                "channelId: a channel id does not name its counterparty, so the targets condition cannot be \
                 checked; use the /api/v4 route, which names it",
            ))
        }
        Arguments::RedeemAllTickets => {
            return Err(failed(
                "address: this route redeems every channel's tickets whatever the body says, so the \
                 targets condition cannot hold; use POST /api/v4/tickets/redeem with an address",
            ))
        }
        Arguments::None => return Ok(()),
    };
    let text =
        text.ok_or_else(|| failed(&format!("{field}: missing, and the targets condition needs it")))?;
    let address =
        conditions::address(&text).ok_or_else(|| failed(&format!("{field}: '{text}' is not an address")))?;
    match allowed.contains(&address) {
        true => Ok(()),
        false => Err(failed(&format!("{field}: {address} is not one of the allowed targets"))),
    }
}

fn check_listen(
    grant: &Grant,
    call: &NodeCallArguments<'_>,
    fields: Option<&Map<String, Value>>,
) -> Result<(), ApiError> {
    let requested = text_field(fields, "listenHost")?;
    let host = conditions::listen_host(requested.as_deref(), call.default_listen);
    let (allowed, rule) = match &grant.listen {
        Some(ranges) => {
            (ranges.iter().any(|range| range.contains(host)), "outside the allowed listen ranges")
        }
        None => (
            conditions::is_loopback(host.ip()),
            "not a loopback address, and the token has no listen condition",
        ),
    };
    match allowed {
        true => Ok(()),
        false => Err(failed(&format!("listenHost: the session would listen on {host}, {rule}"))),
    }
}

fn spent(grant: &Grant, fields: Option<&Map<String, Value>>) -> Result<Amount, ApiError> {
    let text = text_field(fields, "amount")?
        .ok_or_else(|| failed("amount: missing, and the spend condition needs it"))?;
    let amount: Amount =
        text.parse().map_err(|why| failed(&format!("amount: '{text}' is not an amount: {why}")))?;
    let currencies = grant.spend_currencies();
    if !currencies.contains(&amount.currency) {
        let budgets: Vec<&str> = currencies.iter().map(|currency| currency.name()).collect();
        return Err(failed(&format!(
            "amount: the spend condition allows only {}, not {}",
            budgets.join(" and "),
            amount.currency.name()
        )));
    }
    Ok(amount)
}

/// The body as a JSON object whose every key, at any depth, appears once.
fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let refused = |why: &str| {
        ApiError::InvalidInput(format!(
            "request body: {why}; the node could read it otherwise than its conditions were checked, so it \
             is not forwarded"
        ))
    };
    match serde_json::from_slice::<UniqueKeys>(body) {
        Ok(UniqueKeys(Value::Object(fields))) => Ok(fields),
        Ok(_) => Err(refused("not a JSON object (the node takes an array as its fields in order)")),
        Err(error) => Err(refused(&error.to_string())),
    }
}

/// A JSON value in which no object has a key twice: serde's derived
/// structs refuse a repeated field where a map keeps the last.
struct UniqueKeys(Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor).map(UniqueKeys)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(value.into())
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(value.into())
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(value.into())
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_string()))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut values = Vec::new();
        while let Some(UniqueKeys(value)) = items.next_element()? {
            values.push(value);
        }
        Ok(Value::Array(values))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Value, A::Error> {
        let mut fields = Map::new();
        while let Some(key) = entries.next_key::<String>()? {
            if fields.contains_key(&key) {
                return Err(de::Error::custom(format_args!("the key \"{key}\" appears twice")));
            }
            let UniqueKeys(value) = entries.next_value()?;
            fields.insert(key, value);
        }
        Ok(Value::Object(fields))
    }
}

/// The string field `name`, `None` when absent or null.
fn text_field(fields: Option<&Map<String, Value>>, name: &str) -> Result<Option<String>, ApiError> {
    match fields.and_then(|fields| fields.get(name)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(failed(&format!("{name}: not a string"))),
    }
}

fn unreadable(field: &str) -> ApiError {
    failed(&format!("{field}: cannot be read, so the targets condition cannot be checked"))
}

fn failed(why: &str) -> ApiError {
    ApiError::ConditionFailed(why.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{contract::currency::Currency, service::records::SpendBudget};

    const PEER: &str = "0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe";
    const OTHER: &str = "0xa8194d36e322592d4c707b70dbe96121f5c74c64";

    fn default_listen() -> SocketAddr {
        "127.0.0.1:0".parse().unwrap()
    }

    fn grant(spend: &[(Currency, u128)], targets: Option<&[&str]>, listen: Option<&[&str]>) -> Grant {
        Grant {
            endpoint: "any".into(),
            spend: spend
                .iter()
                .map(|&(currency, max)| SpendBudget { currency, max, shared_with: Vec::new() })
                .collect(),
            targets: targets.map(|targets| targets.iter().map(|t| t.to_string()).collect()),
            listen: listen.map(|ranges| ranges.iter().map(|r| r.parse().unwrap()).collect()),
            ..Grant::default()
        }
    }

    fn call<'a>(
        arguments: Arguments,
        path_target: Option<(&'a str, &'a str)>,
        body: &'a str,
    ) -> NodeCallArguments<'a> {
        NodeCallArguments {
            arguments,
            path_target,
            body: Some(body.as_bytes()),
            default_listen: default_listen(),
        }
    }

    fn refusal(result: Result<Option<Amount>, ApiError>) -> String {
        match result {
            Err(ApiError::ConditionFailed(why)) => why,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn a_withdrawal_within_its_targets_and_budget_moves_its_amount() {
        let grant = grant(&[(Currency::XDai, 10u128.pow(18))], Some(&[PEER]), None);
        let body = format!(
            r#"{{"amount":"0.5 xdai","address":"{}"}}"#,
            PEER.to_ascii_uppercase().replace("0X", "0x")
        );
        let moved = check(&grant, &call(Arguments::Withdraw, None, &body)).unwrap();
        assert_eq!(moved, Some(Amount { currency: Currency::XDai, wei: 5 * 10u128.pow(17) }));
    }

    #[test]
    fn each_broken_condition_names_its_field() {
        let funds = grant(&[(Currency::WxHopr, 10)], Some(&[PEER]), None);
        let cases = [
            (
                Arguments::Withdraw,
                format!(r#"{{"amount":"1 wxHOPR","address":"{OTHER}"}}"#),
                "address: 0xa819",
            ),
            (
                Arguments::Withdraw,
                format!(r#"{{"amount":"1 xDai","address":"{PEER}"}}"#),
                "only wxHOPR, not xDai",
            ),
            (
                Arguments::Withdraw,
                format!(r#"{{"amount":"1","address":"{PEER}"}}"#),
                "amount: '1' is not an amount",
            ),
            (Arguments::Withdraw, format!(r#"{{"address":"{PEER}"}}"#), "amount: missing"),
            (
                Arguments::OpenChannel,
                r#"{"amount":"1 wxHOPR","destination":"12D3KooW"}"#.to_string(),
                "destination: '12D3KooW' is not an address",
            ),
            (
                Arguments::OpenChannel,
                format!(r#"{{"amount":5,"destination":"{PEER}"}}"#),
                "amount: not a string",
            ),
            (Arguments::RedeemTickets, "{}".to_string(), "address: missing"),
        ];
        for (arguments, body, needle) in cases {
            let why = refusal(check(&funds, &call(arguments, None, &body)));
            assert!(why.contains(needle), "{body}: '{why}' lacks '{needle}'");
        }
    }

    fn invalid(result: Result<Option<Amount>, ApiError>) -> String {
        match result {
            Err(ApiError::InvalidInput(why)) => why,
            other => panic!("not invalid input: {other:?}"),
        }
    }

    #[test]
    fn a_body_the_node_could_read_otherwise_is_invalid_input() {
        let funds = grant(&[(Currency::WxHopr, 10u128.pow(20))], Some(&[PEER]), None);
        let cases = [
            (
                r#"{"amount":"100 wxHOPR","amount":"1 wei wxHOPR"}"#.to_string(),
                r#"the key "amount" appears twice"#,
            ),
            (
                format!(r#"{{"address":"{PEER}","amount":"1 wxHOPR","address":"{OTHER}"}}"#),
                r#""address" appears twice"#,
            ),
            (
                format!(r#"{{"amount":"1 wxHOPR","address":"{PEER}","x":{{"a":1,"a":2}}}}"#),
                r#""a" appears twice"#,
            ),
            (
                format!(r#"{{"amount":"1 wxHOPR","address":"{PEER}","x":[{{"b":1,"b":1}}]}}"#),
                r#""b" appears twice"#,
            ),
            (format!(r#"["1 wxHOPR","{PEER}"]"#), "not a JSON object"),
            ("amount=1".to_string(), "expected value"),
            (String::new(), "EOF"),
        ];
        for (body, needle) in cases {
            let why = invalid(check(&funds, &call(Arguments::Withdraw, None, &body)));
            assert!(
                why.contains(needle) && why.contains("not forwarded"),
                "{body}: '{why}' lacks '{needle}'"
            );
        }
        let escaped_twin = format!(r#"{{"amount":"1 wxHOPR","address":"{PEER}","\u0061mount":"2 wxHOPR"}}"#);
        assert!(invalid(check(&funds, &call(Arguments::Withdraw, None, &escaped_twin))).contains("twice"));
        let distinct = format!(r#"{{"amount":"1 wxHOPR","address":"{PEER}","Amount":"9 wxHOPR"}}"#);
        assert!(
            check(&funds, &call(Arguments::Withdraw, None, &distinct)).is_ok(),
            "keys are case-sensitive"
        );
    }

    #[test]
    fn a_route_that_ignores_the_target_is_refused_to_a_token_with_targets() {
        let targets = grant(&[], Some(&[PEER]), None);
        let body = format!(r#"{{"address":"{PEER}"}}"#);
        let all = call(Arguments::RedeemAllTickets, None, &body);
        assert!(refusal(check(&targets, &all)).contains("every channel's tickets"));
        assert!(!needs_body(&targets, Arguments::RedeemAllTickets));
        let one = call(Arguments::RedeemTickets, None, &body);
        assert_eq!(check(&targets, &one).unwrap(), None);
        assert_eq!(check(&grant(&[], None, None), &all).unwrap(), None, "no targets, nothing to hold");
    }

    #[test]
    fn a_path_target_is_read_percent_decoded_and_a_channel_id_is_refused() {
        let targets = grant(&[], Some(&[PEER]), None);
        let encoded = PEER.replace("b4", "%62%34");
        let peer = NodeCallArguments { body: None, ..call(Arguments::Peer, Some(("address", &encoded)), "") };
        assert_eq!(check(&targets, &peer).unwrap(), None);
        let other =
            NodeCallArguments { body: None, ..call(Arguments::Channel, Some(("address", OTHER)), "") };
        assert!(refusal(check(&targets, &other)).starts_with("address: "));
        let by_id = NodeCallArguments {
            body: None,
            ..call(Arguments::UnreadableTarget, Some(("channelId", "0x12")), "")
        };
        assert!(refusal(check(&targets, &by_id)).starts_with("channelId: "));
    }

    #[test]
    fn a_session_listens_on_loopback_only_unless_a_condition_allows_more() {
        let plain = grant(&[], None, None);
        let session = |host: &str| format!(r#"{{"destination":"{PEER}","listenHost":{host}}}"#);
        for allowed in
            ["null", r#""127.0.0.1:10000""#, r#"":8080""#, r#""[::1]:80""#, r#""localhost:80""#, r#""""#]
        {
            assert!(check(&plain, &call(Arguments::Session, None, &session(allowed))).is_ok(), "{allowed}");
        }
        for refused in [r#""0.0.0.0:10000""#, r#""0.0.0.0""#, r#""[::]:0""#, r#""192.168.1.10:80""#] {
            let why = refusal(check(&plain, &call(Arguments::Session, None, &session(refused))));
            assert!(why.contains("not a loopback address"), "{refused}: {why}");
        }
        let ranged = grant(&[], None, Some(&["0.0.0.0:10000-10100"]));
        assert!(check(&ranged, &call(Arguments::Session, None, &session(r#""0.0.0.0:10050""#))).is_ok());
        let why = refusal(check(&ranged, &call(Arguments::Session, None, &session(r#""0.0.0.0:10101""#))));
        assert!(why.contains("outside the allowed listen ranges"), "{why}");
    }

    #[test]
    fn a_missing_listen_host_is_the_nodes_default() {
        let plain = grant(&[], None, None);
        let body = format!(r#"{{"destination":"{PEER}"}}"#);
        let container = NodeCallArguments {
            default_listen: "172.17.0.2:0".parse().unwrap(),
            ..call(Arguments::Session, None, &body)
        };
        assert!(refusal(check(&plain, &container)).contains("172.17.0.2:0"));
        assert!(check(&plain, &call(Arguments::Session, None, &body)).is_ok());
    }

    #[test]
    fn only_the_fields_under_a_condition_need_the_body() {
        let calls_only = Grant { max_calls: Some(3), ..grant(&[], None, None) };
        assert!(!needs_body(&calls_only, Arguments::Withdraw));
        assert!(needs_body(&calls_only, Arguments::Session), "the listen rule holds without a condition");
        assert!(needs_body(&grant(&[], Some(&[PEER]), None), Arguments::RedeemTickets));
        assert!(
            !needs_body(&grant(&[], Some(&[PEER]), None), Arguments::FundChannel),
            "its target is in the path"
        );
    }
}
