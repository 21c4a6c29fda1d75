//! A tree's audit trail in its Durable Object's SQLite storage: table
//! `events` (`seq`, the event's number; `at_ms`; `lineage`; the event as
//! JSON text), written in the same synchronous step as the event's
//! request, so that the answer leaves only once the event is durable; a
//! charge's event in the same transaction as its counters.
//!
//! Bounds ([`crate::service::tree::events`]): each write drops the events
//! more than [`MAX_EVENTS`] behind the newest, and the object's alarm
//! sweeps events older than [`EVENTS_KEPT_MS`], a batch at a time.

use serde_json::{json, Value};
use worker::Result;

use super::sql::{parse, Sql};
use crate::service::tree::events::{
    EventsQuery, NumberedEvent, StoredEvent, EVENTS_KEPT_MS, MAX_EVENTS, SWEEP_BATCH,
};

/// The table, and the index by which a token's events are found.
pub(super) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL,
        lineage TEXT NOT NULL, event TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS events_by_lineage ON events (lineage, seq);";

/// Adds `stored` to the trail, dropping the oldest beyond [`MAX_EVENTS`].
pub(super) fn record(sql: &Sql<'_>, stored: &StoredEvent) -> Result<()> {
    sql.write(&writes(stored)?)
}

/// The statements that record `stored`, for a caller that writes them with
/// others in one transaction (a charge's counters).
pub(super) fn writes(stored: &StoredEvent) -> Result<Vec<(String, Value)>> {
    let event = serde_json::to_string(&stored.event).map_err(|e| worker::Error::RustError(e.to_string()))?;
    Ok(vec![
        (
            "INSERT INTO events (at_ms, lineage, event) VALUES (?, ?, ?)".to_string(),
            json!([stored.event.at, stored.lineage, event]),
        ),
        (
            "DELETE FROM events WHERE seq <= (SELECT max(seq) FROM events) - ?".to_string(),
            json!([MAX_EVENTS]),
        ),
    ])
}

/// A page of the events `query` asks for, newest first. A whole tree's
/// events (a root's lineage) are read in the log's order, which stops at
/// the page's end; a subtree's through the index of lineages.
pub(super) fn page(sql: &Sql<'_>, query: &EventsQuery) -> Result<Vec<NumberedEvent>> {
    let range = query.range();
    // `+lineage` keeps SQLite off the index for a whole tree.
    let column = if query.lineage.contains('/') { "lineage" } else { "+lineage" };
    let statement = format!(
        "SELECT seq, event FROM events WHERE {column} >= ? AND {column} < ? AND seq < ? ORDER BY seq DESC LIMIT ?"
    );
    let before = query.before.unwrap_or(i64::MAX as u64);
    let rows: Vec<(u64, String)> =
        sql.rows(&statement, json!([range.from, range.until, before, query.limit]))?;
    rows.into_iter().map(|(seq, event)| Ok(NumberedEvent { seq, event: parse(&event)? })).collect()
}

/// Deletes up to [`SWEEP_BATCH`] of the oldest events, those older than
/// [`EVENTS_KEPT_MS`] at `now_ms`. Returns when the next sweep is due, or
/// `None` once no event is left.
pub(super) fn sweep(sql: &Sql<'_>, now_ms: u64) -> Result<Option<u64>> {
    let cutoff = now_ms.saturating_sub(EVENTS_KEPT_MS);
    sql.write(&[(
        "DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY seq LIMIT ?) AND at_ms < ?",
        json!([SWEEP_BATCH, cutoff]),
    )])?;
    let oldest: Vec<(u64,)> = sql.rows("SELECT at_ms FROM events ORDER BY seq LIMIT 1", json!([]))?;
    Ok(oldest.first().map(|(at_ms,)| (at_ms + EVENTS_KEPT_MS).max(now_ms + 1000)))
}
