//! Finding the token a request presents, in any of the contract's three forms.
//!
//! - keyScheme: the `x-auth-token` header;
//! - passwordScheme: `Authorization: Basic base64(token:anything)`, or
//!   `base64(token)` without a colon;
//! - bearer: `Authorization: Bearer token`.
//!
//! `x-auth-token` wins when both headers are present, as the HOPR node does.
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
}
