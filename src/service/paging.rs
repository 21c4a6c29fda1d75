//! The query of `GET /tokens` and the cursor it hands out.
//!
//! A cursor says where the next page starts: the storage listing's own
//! cursor, how many of that listing's keys the previous page already took
//! (a page may stop part-way through a listing, see `management`), and
//! whether the caller's own token was already listed. It is opaque to
//! clients: base64url of a small JSON object.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};

use crate::contract::{
    bounds::{DEFAULT_PAGE_TOKENS, MAX_PAGE_TOKENS},
    error::ApiError,
};

use super::secret;

/// A parsed `GET /tokens` query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// The most tokens on the page.
    pub limit: usize,
    /// Where the page starts.
    pub cursor: PageCursor,
    /// Only the direct children of this token.
    pub parent: Option<String>,
}

/// Where a page starts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCursor {
    /// The storage listing's cursor; `None` for its start.
    #[serde(default, rename = "c", skip_serializing_if = "Option::is_none")]
    pub listing: Option<String>,
    /// Keys of that listing already taken.
    #[serde(default, rename = "s", skip_serializing_if = "is_zero")]
    pub skip: usize,
    /// True once the caller's own token was listed.
    #[serde(default, rename = "o", skip_serializing_if = "std::ops::Not::not")]
    pub own_listed: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl PageCursor {
    /// The cursor as the page hands it out.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(crate::contract::model::to_json(self))
    }

    fn decode(text: &str) -> Option<PageCursor> {
        let json = URL_SAFE_NO_PAD.decode(text).ok()?;
        let cursor: PageCursor = serde_json::from_slice(&json).ok()?;
        (cursor.skip < MAX_PAGE_TOKENS).then_some(cursor)
    }
}

/// Parses the query string of `GET /tokens`.
pub fn parse_list_query(query: Option<&str>) -> Result<ListQuery, ApiError> {
    let mut list = ListQuery { limit: DEFAULT_PAGE_TOKENS, ..ListQuery::default() };
    for pair in query.unwrap_or_default().split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "limit" => list.limit = parse_limit(value)?,
            "cursor" => {
                list.cursor = PageCursor::decode(value)
                    .ok_or_else(|| invalid("cursor is not one this service gave; start again without it"))?
            }
            "parent" if secret::is_well_formed_id(value) => list.parent = Some(value.to_string()),
            "parent" => return Err(invalid("parent must be a token id")),
            _ => {}
        }
    }
    Ok(list)
}

fn parse_limit(value: &str) -> Result<usize, ApiError> {
    value
        .parse::<usize>()
        .ok()
        .filter(|limit| (1..=MAX_PAGE_TOKENS).contains(limit))
        .ok_or_else(|| invalid(&format!("limit must be an integer from 1 to {MAX_PAGE_TOKENS}")))
}

fn invalid(why: &str) -> ApiError {
    ApiError::InvalidInput(why.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_values() {
        assert_eq!(
            parse_list_query(None).unwrap(),
            ListQuery { limit: DEFAULT_PAGE_TOKENS, ..ListQuery::default() }
        );
        let id = "0123456789abcdefghijkl";
        let query = parse_list_query(Some(&format!("limit=5&parent={id}&other=x"))).unwrap();
        assert_eq!((query.limit, query.parent.as_deref()), (5, Some(id)));
    }

    #[test]
    fn bad_values_are_invalid_input() {
        for query in ["limit=0", "limit=1001", "limit=x", "limit=", "parent=../x", "cursor=!!", "cursor=e30x"]
        {
            assert!(matches!(parse_list_query(Some(query)), Err(ApiError::InvalidInput(_))), "{query}");
        }
    }

    #[test]
    fn a_cursor_comes_back_as_it_went_out() {
        let cursor = PageCursor { listing: Some("kv-cursor".into()), skip: 7, own_listed: true };
        let query = parse_list_query(Some(&format!("cursor={}", cursor.encode()))).unwrap();
        assert_eq!(query.cursor, cursor);
    }
}
