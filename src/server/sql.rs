//! A Durable Object's SQLite storage as the trees use it: rows read as
//! JSON tuples, and statements written together in one transaction
//! (through [`super::js`]'s `sql_query` and `sql_write`).
//!
//! Messages, values and rows are JSON text, read and written by serde_json:
//! the JSON code is in the Worker anyway, while `worker`'s typed calls would
//! each bring a JavaScript (de)serializer, one that cannot carry a `u128`.

use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use worker::{Result, Storage};

use super::js::{sql_query, sql_write};

/// The tree's SQLite storage. Every call is synchronous: what one event
/// reads and writes, nothing else sees half of.
pub(super) struct Sql<'s>(pub(super) &'s Storage);

impl Sql<'_> {
    /// The rows `query` gives with `params` bound, each a tuple `T`.
    pub(super) fn rows<T: DeserializeOwned>(&self, query: &str, params: Value) -> Result<Vec<T>> {
        let raw = self.0.as_raw();
        let text = sql_query(raw, query, &params.to_string()).map_err(worker::Error::from)?;
        parse(&text)
    }

    /// Runs `statements`, each with its parameters, in one transaction.
    pub(super) fn write<Q: AsRef<str>>(&self, statements: &[(Q, Value)]) -> Result<()> {
        let batch: Vec<Value> = statements
            .iter()
            .map(|(query, params)| {
                let mut statement = vec![json!(query.as_ref())];
                statement.extend(params.as_array().into_iter().flatten().cloned());
                Value::Array(statement)
            })
            .collect();
        sql_write(self.0.as_raw(), &Value::Array(batch).to_string()).map_err(worker::Error::from)
    }
}

/// `text` read as a `T`.
pub(super) fn parse<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(unreadable)
}

pub(super) fn unreadable(error: serde_json::Error) -> worker::Error {
    worker::Error::RustError(format!("tree storage: {error}"))
}

pub(super) fn unreadable_row(table: &str) -> worker::Error {
    worker::Error::RustError(format!("tree storage: an unreadable row in {table}"))
}
