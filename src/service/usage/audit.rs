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
//!
//! Where the call is counted, the event rides with the charge
//! ([`Drafting`]): a refusal by the counters, or a call whose answer is
//! known once it is counted (`GET /token`), is recorded in the same
//! Durable Object call, and costs no call of its own.

use std::{
    cell::{Cell, RefCell},
    collections::BTreeMap,
};

use crate::contract::{
    model::{Event, TokenId},
    routes::Operation,
};

use crate::service::{
    auth::Principal,
    http::{ApiRequest, LogFields},
    records::TokenRecord,
    store::{Budgets, StoreError},
    tree::{
        budgets::{ChargeReply, ChargeRequest, RotationReply, RotationStep, Usage},
        events::{lineage, EventsQuery, NumberedEvent, PendingEvent, StoredEvent},
    },
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
        // As the log line has it: a secret sent where an id belongs is cut short.
        path: done.request.logged_path().into_owned(),
        status: done.status,
        reason: done.log.reason,
        amount: done.log.amount.clone(),
        target: done.log.target.clone(),
    };
    Some((path[0].clone(), StoredEvent { lineage: lineage(&path), event }))
}

/// The event `operation` by `caller` would leave, drafted before it runs,
/// for a charge to carry: only for a token whose calls are recorded, and
/// with the answer's status where a granted charge decides it.
pub fn draft(
    caller: &Principal,
    operation: Operation,
    request: &ApiRequest,
    now_ms: u64,
) -> Option<PendingEvent> {
    let granted_known = operation == Operation::GetToken;
    let log = LogFields { operation: Some(operation.id()), ..LogFields::default() };
    let done = Done {
        caller,
        request,
        status: 200,
        log: &log,
        subject: None,
        node_call: false,
        reads_tokens: false,
        now_ms,
    };
    let (_, stored) = event(&done)?;
    Some(PendingEvent { stored, granted_known })
}

/// The budgets of one API request: the first charge in the tree of its
/// drafted event carries it ([`PendingEvent`]); [`Drafting::recorded`]
/// then says whether the tree recorded it.
pub struct Drafting<'a, B> {
    budgets: &'a B,
    pending: RefCell<Option<(String, PendingEvent)>>,
    recorded: Cell<bool>,
}

impl<'a, B: Budgets> Drafting<'a, B> {
    /// `budgets`, with `pending` to carry (the tree is its token's root).
    pub fn new(budgets: &'a B, pending: Option<PendingEvent>) -> Self {
        let pending = pending.map(|pending| {
            let tree = pending.stored.lineage.split('/').next().unwrap_or_default().to_string();
            (tree, pending)
        });
        Drafting { budgets, pending: RefCell::new(pending), recorded: Cell::new(false) }
    }

    /// True once a charge recorded the drafted event.
    pub fn recorded(&self) -> bool {
        self.recorded.get()
    }
}

impl<B: Budgets> Budgets for Drafting<'_, B> {
    async fn charge(&self, tree: &str, request: &ChargeRequest) -> Result<ChargeReply, StoreError> {
        let pending = self.pending.borrow_mut().take_if(|(of, _)| of == tree);
        let Some((_, pending)) = pending else { return self.budgets.charge(tree, request).await };
        let carried = ChargeRequest { event: Some(pending), ..request.clone() };
        let reply = self.budgets.charge(tree, &carried).await?;
        self.recorded.set(reply.recorded);
        Ok(reply)
    }

    async fn usage(&self, tree: &str, tokens: &[String]) -> Result<BTreeMap<String, Usage>, StoreError> {
        self.budgets.usage(tree, tokens).await
    }

    async fn revoke(&self, tree: &str, id: &str, depth: usize) -> Result<(), StoreError> {
        self.budgets.revoke(tree, id, depth).await
    }

    async fn rotate(&self, tree: &str, step: &RotationStep) -> Result<RotationReply, StoreError> {
        self.budgets.rotate(tree, step).await
    }

    async fn record(&self, tree: &str, event: &StoredEvent) -> Result<(), StoreError> {
        self.budgets.record(tree, event).await
    }

    async fn events(&self, tree: &str, query: &EventsQuery) -> Result<Vec<NumberedEvent>, StoreError> {
        self.budgets.events(tree, query).await
    }
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
