//! Finding the token a request presents, in any of the contract's forms.
//!
//! - keyScheme: the `x-auth-token` header;
//! - passwordScheme: `Authorization: Basic base64(token:anything)`, or
//!   `base64(token)` without a colon;
//! - bearer: `Authorization: Bearer token`;
//! - on WebSocket routes only, the `apiToken` query parameter, since a
//!   browser cannot set headers on a WebSocket.
//!
//! `x-auth-token` wins when several are present, as the HOPR node does.
//! Scheme names are case-insensitive (RFC 9110); the token itself is not.

use base64::{engine::general_purpose::STANDARD, Engine};

/// The token a request presents, or `None` when it presents none that can be
/// read. An empty token counts as none.
pub fn presented_token(x_auth_token: Option<&str>, authorization: Option<&str>) -> Option<String> {
    if let Some(token) = x_auth_token.map(str::trim).filter(|t| !t.is_empty()) {
        return Some(token.to_string());
    }
    let (scheme, value) = authorization?.trim().split_once(' ')?;
    let value = value.trim();
    let token = if scheme.eq_ignore_ascii_case("bearer") {
        value.to_string()
    } else if scheme.eq_ignore_ascii_case("basic") {
        basic_user(value)?
    } else {
        return None;
    };
    (!token.is_empty()).then_some(token)
}

/// The query parameter a browser's WebSocket carries its token in.
pub const QUERY_TOKEN: &str = "apiToken";

/// The `apiToken` query parameter, percent-decoded, if `query` has one.
pub fn query_token(query: Option<&str>) -> Option<String> {
    let value = query?.split('&').find_map(|pair| pair.strip_prefix(QUERY_TOKEN)?.strip_prefix('='))?;
    percent_decode(value).filter(|token| !token.is_empty())
}

/// True when the query parameter `pair` (`name=value`) could be read as a
/// token by anyone, in any letter case or percent-encoding of its name.
pub fn is_token_parameter(pair: &str) -> bool {
    let name = pair.split('=').next().unwrap_or_default();
    percent_decode(name).is_none_or(|name| name.eq_ignore_ascii_case(QUERY_TOKEN))
}

/// `%XX` escapes decoded as UTF-8, as JavaScript's `decodeURIComponent`
/// does; `None` for a broken escape or invalid UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = tail.get(..2).filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))?;
            bytes.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

fn basic_user(encoded: &str) -> Option<String> {
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    Some(match decoded.split_once(':') {
        Some((user, _password)) => user.to_string(),
        None => decoded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(s: &str) -> String {
        format!("Basic {}", STANDARD.encode(s))
    }

    macro_rules! presents {
        ($name:ident, $x:expr, $auth:expr, $want:expr) => {
            #[test]
            fn $name() {
                let auth: Option<String> = $auth;
                assert_eq!(presented_token($x, auth.as_deref()), $want.map(String::from));
            }
        };
    }

    presents!(key_header, Some("etk_abc"), None, Some("etk_abc"));
    presents!(key_header_trimmed, Some("  etk_abc "), None, Some("etk_abc"));
    presents!(empty_key_header_is_none, Some(""), None, None::<&str>);
    presents!(bearer, None, Some("Bearer etk_abc".into()), Some("etk_abc"));
    presents!(bearer_any_case, None, Some("bEaReR etk_abc".into()), Some("etk_abc"));
    presents!(basic_with_password, None, Some(basic("etk_abc:ignored")), Some("etk_abc"));
    presents!(basic_without_colon, None, Some(basic("etk_abc")), Some("etk_abc"));
    presents!(basic_empty_password, None, Some(basic("etk_abc:")), Some("etk_abc"));
    presents!(basic_empty_user_is_none, None, Some(basic(":pw")), None::<&str>);
    presents!(basic_not_base64_is_none, None, Some("Basic ***".into()), None::<&str>);
    presents!(basic_not_utf8_is_none, None, Some("Basic //79".into()), None::<&str>);
    presents!(unknown_scheme_is_none, None, Some("Digest etk_abc".into()), None::<&str>);
    presents!(scheme_without_value_is_none, None, Some("Bearer".into()), None::<&str>);
    presents!(nothing_is_none, None, None, None::<&str>);
    presents!(key_header_wins, Some("etk_key"), Some("Bearer etk_bearer".into()), Some("etk_key"));

    #[test]
    fn query_token_is_the_exact_parameter_decoded() {
        assert_eq!(query_token(Some("a=1&apiToken=etk_%41b")).as_deref(), Some("etk_Ab"));
        assert_eq!(query_token(Some("apitoken=etk_x")), None);
        assert_eq!(query_token(Some("apiToken=")), None);
        assert_eq!(query_token(Some("apiToken=%4")), None);
        assert_eq!(query_token(Some("apiToken=%ff")), None);
        assert_eq!(query_token(Some("apiToken=%+1")), None);
        assert_eq!(query_token(None), None);
    }

    #[test]
    fn token_parameters_are_found_in_any_spelling() {
        for pair in ["apiToken=x", "APITOKEN=x", "apitoken", "api%54oken=x", "api%zz=x"] {
            assert!(is_token_parameter(pair), "{pair}");
        }
        for pair in ["apiTokens=x", "token=x", "a=apiToken"] {
            assert!(!is_token_parameter(pair), "{pair}");
        }
    }
}
