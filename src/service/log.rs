//! The one structured log line per request: operation, status, calling
//! token's public id, duration and the cause of a 5xx. It never holds a
//! secret: credentials and the query are not part of it, and a path that
//! might carry a secret is cut short.

use serde::Serialize;

use crate::contract::model::to_json;

use super::http::{ApiRequest, LogFields};

/// The line's fields, in the order earlier versions wrote them
/// (alphabetical), so that saved log queries keep working.
#[derive(Serialize)]
struct LogLine<'a> {
    cause: Option<&'a str>,
    duration_ms: u64,
    method: &'a str,
    operation: Option<&'a str>,
    path: std::borrow::Cow<'a, str>,
    status: u16,
    token_id: Option<&'a str>,
}

/// The JSON log line for `request`, answered with `status` after `duration_ms`.
pub fn line(request: &ApiRequest, status: u16, fields: &LogFields, duration_ms: u64) -> String {
    to_json(&LogLine {
        cause: fields.cause.as_deref(),
        duration_ms,
        method: &request.method,
        operation: fields.operation,
        path: request.logged_path(),
        status,
        token_id: fields.token_id.as_deref(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_has_the_fields_in_order_and_no_query() {
        let request = ApiRequest::new("GET", "https://h/api/v3/token?apiToken=etk_secret");
        let fields =
            LogFields { operation: Some("tokensGetToken"), token_id: Some("abc".into()), cause: None };
        assert_eq!(
            line(&request, 200, &fields, 3),
            r#"{"cause":null,"duration_ms":3,"method":"GET","operation":"tokensGetToken","path":"/api/v3/token","status":200,"token_id":"abc"}"#
        );
    }
}
