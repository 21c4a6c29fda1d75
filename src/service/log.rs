//! The one structured log line per request: operation, status, who called
//! (`actor`: the token's public id, or `admin`), the amount and target of a
//! spend, the reason of a refusal, duration and the cause of a 5xx. It never
//! holds a secret: credentials and the query are not part of it, and a path
//! that might carry a secret is cut short.

use serde::Serialize;

use crate::contract::{error::Reason, model::to_json};

use super::{
    http::{ApiRequest, LogFields},
    store::StoreError,
    tree::cleanup::{Progress, StepReport},
};

/// The line's fields, in alphabetical order as earlier versions wrote them,
/// so that saved log queries keep working.
#[derive(Serialize)]
struct LogLine<'a> {
    actor: Option<&'a str>,
    amount: Option<&'a str>,
    cause: Option<&'a str>,
    duration_ms: u64,
    /// Workers KV operations of the invocation (Cloudflare allows 1,000).
    kv_ops: u32,
    method: &'a str,
    operation: Option<&'a str>,
    path: std::borrow::Cow<'a, str>,
    reason: Option<Reason>,
    status: u16,
    target: Option<&'a str>,
    token_id: Option<&'a str>,
}

/// The JSON log line for `request`, answered with `status` after
/// `duration_ms` and `kv_ops` KV operations.
pub fn line(request: &ApiRequest, status: u16, fields: &LogFields, duration_ms: u64, kv_ops: u32) -> String {
    to_json(&LogLine {
        actor: fields.actor.as_deref(),
        amount: fields.amount.as_deref(),
        cause: fields.cause.as_deref(),
        duration_ms,
        kv_ops,
        method: &request.method,
        operation: fields.operation,
        path: request.logged_path(),
        reason: fields.reason,
        status,
        target: fields.target.as_deref(),
        token_id: fields.token_id.as_deref(),
    })
}

/// The line of one clean-up step of a Durable Object's alarm: what it
/// removed, whether work remains, or why it failed, and its KV operations.
pub fn cleanup_line(report: Option<&StepReport>, failure: Option<&StoreError>, kv_ops: u32) -> String {
    #[derive(Serialize)]
    struct CleanupLine<'a> {
        cause: Option<String>,
        cleanup: &'a str,
        kv_ops: u32,
        removed: usize,
    }
    let cleanup = match report.map(|report| report.progress) {
        Some(Progress::Done) => "done",
        Some(Progress::More) => "more",
        None => "failed",
    };
    let removed = report.map_or(0, |report| report.removed);
    to_json(&CleanupLine { cause: failure.map(ToString::to_string), cleanup, kv_ops, removed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_has_the_fields_in_order_and_no_query() {
        let request = ApiRequest::new("GET", "https://h/api/v3/token?apiToken=etk_secret");
        let fields = LogFields {
            operation: Some("tokensGetToken"),
            token_id: Some("abc".into()),
            actor: Some("abc".into()),
            ..LogFields::default()
        };
        assert_eq!(
            line(&request, 200, &fields, 3, 2),
            r#"{"actor":"abc","amount":null,"cause":null,"duration_ms":3,"kv_ops":2,"method":"GET","operation":"tokensGetToken","path":"/api/v3/token","reason":null,"status":200,"target":null,"token_id":"abc"}"#
        );
    }

    #[test]
    fn a_refused_spend_says_who_how_much_where_and_why() {
        let request = ApiRequest::new("POST", "https://h/api/v4/account/withdraw");
        let fields = LogFields {
            operation: Some("accountWithdraw"),
            actor: Some("abc".into()),
            reason: Some(Reason::ConditionFailed),
            amount: Some("0.6 wxHOPR".into()),
            target: Some("0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe".into()),
            ..LogFields::default()
        };
        let line: serde_json::Value = serde_json::from_str(&line(&request, 403, &fields, 1, 1)).unwrap();
        assert_eq!(
            (&line["actor"], &line["amount"], &line["target"], &line["reason"]),
            (
                &"abc".into(),
                &"0.6 wxHOPR".into(),
                &"0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe".into(),
                &"condition_failed".into()
            )
        );
    }
}
