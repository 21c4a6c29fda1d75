//! The audit trail's side of a request: whether it leaves an event, and
//! which. Recorded: every call of a token that has limits or conditions,
//! allowed or refused (its reads of tokens and trails excepted: they count
//! no call and change nothing); every call of the node's routes that is not
//! a read (`GET`, `HEAD`) by any issued token; and every create, delete and
//! rotation of a token, the admin token's included. A call that failed to
//! sign in (401) belongs to no token, and the admin token's node calls have
//! no token whose trail could hold them: neither is recorded. The event
//! goes to the tree of the token it is about, with the token's lineage
//! ([`crate::service::tree::events`]).

use crate::contract::model::{Event, TokenId};

use super::{
    auth::Principal,
    http::{ApiRequest, LogFields},
    records::TokenRecord,
    tree::events::{lineage, StoredEvent},
};

/// What a request did, as far as the trail is concerned.
pub struct Done<'a> {
    /// The authenticated caller.
    pub caller: &'a Principal,
    /// The request.
    pub request: &'a ApiRequest,
    /// The answer's status.
    pub status: u16,
    /// The log fields: operation, reason, amount, target.
    pub log: &'a LogFields,
    /// The token a create, delete or rotation was about (ancestors and
    /// itself, root first).
    pub subject: Option<&'a [String]>,
    /// True for a call of the node's routes.
    pub node_call: bool,
    /// True for a read of tokens or trails, which counts no call.
    pub reads_tokens: bool,
    /// When (milliseconds since the epoch).
    pub now_ms: u64,
}

/// The tree and the event a request leaves, if it leaves one.
pub fn event(done: &Done<'_>) -> Option<(String, StoredEvent)> {
    let operation = done.log.operation?;
    let path = match (done.subject, done.caller) {
        (Some(subject), _) if (200..300).contains(&done.status) => subject.to_vec(),
        _ if done.reads_tokens || done.status == 401 => return None,
        (_, Principal::Issued(record)) if recorded(record, done) => record.path(),
        _ => return None,
    };
    let event = Event {
        at: done.now_ms,
        token: TokenId(path.last()?.clone()),
        actor: actor(done.caller),
        operation: operation.to_string(),
        method: done.request.method.clone(),
        path: done.request.path.clone(),
        status: done.status,
        reason: done.log.reason,
        amount: done.log.amount.clone(),
        target: done.log.target.clone(),
    };
    Some((path[0].clone(), StoredEvent { lineage: lineage(&path), event }))
}

/// Who acted, as events and log lines name it: the token's id or `admin`.
pub fn actor(caller: &Principal) -> String {
    match caller {
        Principal::Admin => "admin".to_string(),
        Principal::Issued(record) => record.id.clone(),
    }
}

/// True when `record`'s call is recorded: the token has limits or
/// conditions, or the call changes something on the node.
fn recorded(record: &TokenRecord, done: &Done<'_>) -> bool {
    let watched = record.is_limited() || record.grants.iter().any(|grant| grant.has_conditions());
    watched || (done.node_call && !matches!(done.request.method.as_str(), "GET" | "HEAD"))
}
