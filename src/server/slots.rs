//! The slots of the periodic limits' windows in a tree's SQLite storage
//! (table `slots`): reading them into [`Windows`], and the statements that
//! store what a charge added and forget the slots that no longer count, so
//! that a counter keeps at most the slots of one window.

use serde_json::{json, Value};

use crate::service::tree::{
    budgets::Charge,
    window::{self, SlotUse, Windows},
};

/// The table: one row per token, periodic counter and slot, the amount as
/// decimal text (it outgrows SQLite's integers).
pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS slots (token TEXT NOT NULL, counter TEXT NOT NULL,
    slot INTEGER NOT NULL, amount TEXT NOT NULL, PRIMARY KEY (token, counter, slot)) WITHOUT ROWID;";

/// The query of some tokens' slots, before the list of the tokens.
pub const SELECT: &str = "SELECT token, counter, slot, amount FROM slots WHERE token IN";

/// A row of the table: token, counter, slot, amount.
pub type Row = (String, String, u64, String);

/// Puts `rows` into `windows`; `None` when an amount is unreadable.
pub fn read(rows: Vec<Row>, windows: &mut Windows) -> Option<()> {
    for (token, counter, slot, amount) in rows {
        windows.0.push(SlotUse { token, counter, slot, amount: amount.parse().ok()? });
    }
    Some(())
}

/// The statements that store what the periodic ones of `charges` added to
/// `windows` at `now_ms`: the slot each counted in, and the forgetting of
/// the counter's slots that no longer count.
pub fn writes(charges: &[Charge], windows: &Windows, now_ms: u64) -> Vec<(String, Value)> {
    let mut statements = Vec::new();
    for charge in charges {
        let Some(window) = window::window_of(&charge.counter) else { continue };
        let slot = window.slot(now_ms);
        let amount = windows.in_slot(&charge.token, &charge.counter, slot);
        statements.push((
            "INSERT INTO slots (token, counter, slot, amount) VALUES (?, ?, ?, ?)
                ON CONFLICT (token, counter, slot) DO UPDATE SET amount = excluded.amount"
                .to_string(),
            json!([charge.token, charge.counter, slot, amount.to_string()]),
        ));
        statements.push((
            "DELETE FROM slots WHERE token = ? AND counter = ? AND slot < ?".to_string(),
            json!([charge.token, charge.counter, window.first_counted(now_ms)]),
        ));
    }
    statements
}
