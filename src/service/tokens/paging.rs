//! The query of `GET /tokens` and the cursor it hands out.
//!
//! A cursor says where the next page starts: the storage listing's own
//! cursor, how many of that listing's keys the previous page already took
//! (a page may stop part-way through a listing, see `management`), and
//! whether the caller's own token was already listed. It is opaque to
//! clients: base64url of a small JSON object, a dot, and base64url of its
//! tag ([`AdminToken::tag`]) over the listing it belongs to, so that a cursor
//! the service did not give, or gave for another listing, is refused.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};

use crate::contract::{
    bounds::{DEFAULT_PAGE_TOKENS, MAX_PAGE_TOKENS},
    error::ApiError,
    secret::is_well_formed_id,
};

use crate::service::secret::AdminToken;

/// A parsed `GET /tokens` query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// The most tokens on the page.
    pub limit: usize,
    /// Where the page starts, as the client sent it: opened with
    /// [`PageCursor::open`] once the listing is known.
    pub cursor: Option<String>,
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
    /// The cursor as the page of `listing` hands it out.
    pub fn seal(&self, admin: &AdminToken, listing: &str) -> String {
        let json = crate::contract::model::to_json(self);
        let tag = admin.tag(&tagged_message(listing, &json));
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&json), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The cursor in `text`, if the service gave it for `listing`; a page
    /// with no cursor starts at the beginning.
    pub fn open(text: Option<&str>, admin: &AdminToken, listing: &str) -> Result<PageCursor, ApiError> {
        let Some(text) = text else { return Ok(PageCursor::default()) };
        let (json, tag) = text.split_once('.').ok_or_else(not_ours)?;
        let json = URL_SAFE_NO_PAD.decode(json).map_err(|_| not_ours())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| not_ours())?;
        let json = String::from_utf8(json).map_err(|_| not_ours())?;
        if !admin.has_tagged(&tagged_message(listing, &json), &tag) {
            return Err(not_ours());
        }
        serde_json::from_str::<PageCursor>(&json)
            .ok()
            .filter(|cursor| cursor.skip < MAX_PAGE_TOKENS)
            .ok_or_else(not_ours)
    }
}

fn tagged_message(listing: &str, json: &str) -> Vec<u8> {
    [b"edge-tokens/v1/cursor\0", listing.as_bytes(), b"\0", json.as_bytes()].concat()
}

/// The refusal of a cursor the service did not give for the listing.
pub fn not_ours() -> ApiError {
    invalid("cursor is not one this service gave for this listing; start again without it")
}

/// Parses the query string of `GET /tokens`.
pub fn parse_list_query(query: Option<&str>) -> Result<ListQuery, ApiError> {
    let mut list = ListQuery { limit: DEFAULT_PAGE_TOKENS, ..ListQuery::default() };
    for pair in query.unwrap_or_default().split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "limit" => list.limit = parse_limit(value)?,
            "cursor" => list.cursor = Some(value.to_string()),
            "parent" if is_well_formed_id(value) => list.parent = Some(value.to_string()),
            "parent" => return Err(invalid("parent must be a token id")),
            _ => {}
        }
    }
    Ok(list)
}

/// Parses the query string of `GET /tokens/{id}/events`: `limit` and
/// `cursor`, as for `GET /tokens`.
pub fn parse_events_query(query: Option<&str>) -> Result<ListQuery, ApiError> {
    let events = parse_list_query(query)?;
    match events.parent {
        Some(_) => Err(invalid("parent is a parameter of GET /tokens only")),
        None => Ok(events),
    }
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
        for query in ["limit=0", "limit=1001", "limit=x", "limit=", "parent=../x"] {
            assert!(matches!(parse_list_query(Some(query)), Err(ApiError::InvalidInput(_))), "{query}");
        }
    }

    fn admin() -> AdminToken {
        AdminToken::new("an admin token of at least 32 chars")
    }

    #[test]
    fn a_cursor_comes_back_as_it_went_out() {
        let cursor = PageCursor { listing: Some("kv-cursor".into()), skip: 7, own_listed: true };
        let query = parse_list_query(Some(&format!("cursor={}", cursor.seal(&admin(), "all")))).unwrap();
        assert_eq!(PageCursor::open(query.cursor.as_deref(), &admin(), "all").unwrap(), cursor);
        assert_eq!(PageCursor::open(None, &admin(), "all").unwrap(), PageCursor::default());
    }

    #[test]
    fn a_forged_or_borrowed_cursor_is_invalid_input() {
        let sealed =
            PageCursor { listing: Some("kv".into()), ..PageCursor::default() }.seal(&admin(), "subtree:a");
        let (json, tag) = sealed.split_once('.').unwrap();
        let forged_json = URL_SAFE_NO_PAD.encode(r#"{"c":"nonsense"}"#);
        let other_admin = AdminToken::new("another admin token of 32 chars!!");
        for (text, admin, listing) in [
            (sealed.as_str(), admin(), "subtree:b"),
            (sealed.as_str(), other_admin, "subtree:a"),
            (json, admin(), "subtree:a"),
            (&format!("{forged_json}.{tag}"), admin(), "subtree:a"),
            ("!!", admin(), "all"),
            ("e30x", admin(), "all"),
        ] {
            let opened = PageCursor::open(Some(text), &admin, listing);
            assert!(matches!(opened, Err(ApiError::InvalidInput(_))), "{text} for {listing}");
        }
    }
}
