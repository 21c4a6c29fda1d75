//! Cross-origin access: which origins may call the API from a browser, and
//! the headers that say so.
//!
//! Tokens travel in headers, never in cookies, so `*` (the default) is safe:
//! a page on another origin can only use a token it already holds.

/// The methods a browser may use.
pub const ALLOW_METHODS: &str = "GET, POST, DELETE, OPTIONS";
/// The request headers a browser may send.
pub const ALLOW_HEADERS: &str = "x-auth-token, authorization, content-type";
/// The response headers a page may read; `via` tells the node's answers
/// from the service's own.
pub const EXPOSE_HEADERS: &str = "www-authenticate, allow, via";
/// How long a browser may cache a preflight answer, in seconds.
pub const MAX_AGE: &str = "86400";

/// The origins allowed by the `ALLOWED_ORIGINS` variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Any origin (`*`, or the variable unset or empty).
    Any,
    /// Exactly these origins, such as `https://app.example`.
    Only(Vec<String>),
}

impl AllowedOrigins {
    /// Reads the variable: `*`, or origins separated by commas or spaces.
    pub fn parse(var: Option<&str>) -> AllowedOrigins {
        let origins: Vec<String> = var
            .unwrap_or("")
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|origin| !origin.is_empty())
            .map(|origin| origin.trim_end_matches('/').to_string())
            .collect();
        if origins.is_empty() || origins.iter().any(|origin| origin == "*") {
            AllowedOrigins::Any
        } else {
            AllowedOrigins::Only(origins)
        }
    }

    /// The CORS headers for a response to a request from `origin`.
    pub fn headers(&self, origin: Option<&str>, preflight: bool) -> Vec<(&'static str, String)> {
        let allowed = match self {
            AllowedOrigins::Any => "*".to_string(),
            AllowedOrigins::Only(list) => match origin {
                Some(origin) if list.iter().any(|allowed| allowed == origin) => origin.to_string(),
                _ => return vec![("vary", "Origin".to_string())],
            },
        };
        let mut headers = vec![("access-control-allow-origin", allowed)];
        if matches!(self, AllowedOrigins::Only(_)) {
            headers.push(("vary", "Origin".to_string()));
        }
        if preflight {
            headers.push(("access-control-allow-methods", ALLOW_METHODS.to_string()));
            headers.push(("access-control-allow-headers", ALLOW_HEADERS.to_string()));
            headers.push(("access-control-max-age", MAX_AGE.to_string()));
        } else {
            headers.push(("access-control-expose-headers", EXPOSE_HEADERS.to_string()));
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin_header(headers: &[(&str, String)]) -> Option<String> {
        headers.iter().find(|(name, _)| *name == "access-control-allow-origin").map(|(_, v)| v.clone())
    }

    #[test]
    fn unset_empty_and_star_allow_any() {
        assert_eq!(AllowedOrigins::parse(None), AllowedOrigins::Any);
        assert_eq!(AllowedOrigins::parse(Some(" ")), AllowedOrigins::Any);
        assert_eq!(AllowedOrigins::parse(Some("https://a.example, *")), AllowedOrigins::Any);
        assert_eq!(origin_header(&AllowedOrigins::Any.headers(None, false)).as_deref(), Some("*"));
    }

    #[test]
    fn a_list_echoes_only_listed_origins() {
        let allowed = AllowedOrigins::parse(Some("https://a.example/, https://b.example"));
        let yes = allowed.headers(Some("https://b.example"), true);
        assert_eq!(origin_header(&yes).as_deref(), Some("https://b.example"));
        assert!(yes.iter().any(|(n, v)| *n == "access-control-allow-headers" && v.contains("x-auth-token")));
        assert_eq!(
            origin_header(&allowed.headers(Some("https://a.example"), false)).as_deref(),
            Some("https://a.example")
        );
        assert_eq!(origin_header(&allowed.headers(Some("https://evil.example"), false)), None);
        assert_eq!(origin_header(&allowed.headers(None, false)), None);
    }
}
