//! A delegation tree's audit trail: the events its tokens' calls left, as
//! the tree's Durable Object keeps them (an append-only log, numbered in
//! order) and as the service asks for a token's share of them.
//!
//! Each event is stored with its token's lineage (the ids of the token's
//! ancestors and the token, root first, joined by `/`), so that a token's
//! events and its descendants' are one range of lineages: those equal to
//! the token's own or starting with it and a `/` ([`LineageRange`]; ids
//! are all of one length, so no other lineage falls in that range). Pages
//! go newest first by the event's number.
//!
//! Storage is bounded twice: an event is kept [`EVENTS_KEPT_SECS`], then
//! swept, and a tree keeps at most [`MAX_EVENTS_PER_TREE`], dropping the
//! oldest first.

use serde::{Deserialize, Serialize};

use crate::contract::{
    bounds::{EVENTS_KEPT_SECS, MAX_EVENTS_PER_TREE},
    model::Event,
};

/// How long an event is kept, in milliseconds.
pub const EVENTS_KEPT_MS: u64 = EVENTS_KEPT_SECS * 1000;

/// The most events one sweep of a tree deletes, so that an alarm's work
/// stays small; a sweep that deletes this many runs again at once.
pub const SWEEP_BATCH: u64 = 10_000;

/// The most events a tree keeps.
pub const MAX_EVENTS: u64 = MAX_EVENTS_PER_TREE;

/// An event as a tree stores it: with its token's lineage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// The token's ancestors and the token, root first, joined by `/`.
    pub lineage: String,
    /// The event.
    pub event: Event,
}

/// An event a charge carries to the tree, recorded in the same step as the
/// charge when the charge decides it: a refusal by the counters (403 with
/// its reason), or, when the answer is known as soon as the call is
/// counted (`granted_known`), the call as `stored` says. Otherwise the
/// service records the event itself once the answer is known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingEvent {
    /// The event, with the status of the answer to a granted call.
    pub stored: StoredEvent,
    /// True when a granted call's answer is `stored`'s status.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub granted_known: bool,
}

/// The lineage of a token with `path` (its ancestors and itself, root first).
pub fn lineage(path: &[String]) -> String {
    path.join("/")
}

/// What the service asks a tree for: a page of the events of the tokens
/// in `lineage` and below, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsQuery {
    /// The lineage of the token whose events (and its descendants') are wanted.
    pub lineage: String,
    /// Only events numbered below this one: where the previous page ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<u64>,
    /// The most events to return.
    pub limit: usize,
}

/// The range of lineages of a token and its descendants: from the token's
/// own (included) to its own followed by `0`, the character after `/`
/// (excluded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineageRange {
    /// The first lineage in the range.
    pub from: String,
    /// The first lineage past the range.
    pub until: String,
}

impl EventsQuery {
    /// The lineages this query covers.
    pub fn range(&self) -> LineageRange {
        LineageRange { from: self.lineage.clone(), until: format!("{}0", self.lineage) }
    }

    /// True when an event of `lineage`, numbered `seq`, belongs on the page.
    pub fn covers(&self, lineage: &str, seq: u64) -> bool {
        let range = self.range();
        lineage >= range.from.as_str()
            && lineage < range.until.as_str()
            && self.before.is_none_or(|before| seq < before)
    }
}

/// One event of a page, with its number: the cursor of the next page is
/// the last one's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberedEvent {
    /// Its number in the tree's log.
    pub seq: u64,
    /// The event.
    pub event: Event,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(lineage: &str) -> EventsQuery {
        EventsQuery { lineage: lineage.into(), before: None, limit: 10 }
    }

    #[test]
    fn a_tokens_range_holds_itself_and_its_descendants_and_nothing_else() {
        let (a, b, c) = ("a".repeat(22), "b".repeat(22), "c".repeat(22));
        let of_b = query(&format!("{a}/{b}"));
        assert!(of_b.covers(&format!("{a}/{b}"), 1));
        assert!(of_b.covers(&format!("{a}/{b}/{c}"), 1));
        assert!(!of_b.covers(&a, 1), "not its parent");
        assert!(!of_b.covers(&format!("{a}/{c}"), 1), "not its sibling");
        assert!(!of_b.covers(&format!("{a}/{}", "b".repeat(21) + "c"), 1));
    }

    #[test]
    fn a_page_goes_on_below_the_last_number() {
        let page = EventsQuery { before: Some(5), ..query("x") };
        assert!(page.covers("x", 4) && !page.covers("x", 5));
    }
}
