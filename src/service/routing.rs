//! Which way a request goes, decided once: an operation of edge-tokens' own
//! API, a route of the node behind the gateway, a CORS preflight, or an
//! error (`404` for an unknown path, `405` with the allowed methods, `503`
//! for a route of the node's table when no node is configured).
//!
//! Paths are matched raw, as the runtime gives them (percent-encoded, without
//! the query). A node path with tricks (dot segments, encoded slashes or
//! dots, empty segments, backslashes) matches nothing, so that the node can
//! never read it as another route than the one the table authorised.

use crate::contract::{
    error::ApiError,
    node_routes::{all_routes, NodeRoute},
    routes::{Operation, API_PREFIX, API_ROUTES},
};

/// Where a request goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// An operation of the API, with the `{id}` of its path if it has one.
    Api(Operation, Option<String>),
    /// A node route, forwarded by the gateway.
    Node(NodeTarget),
    /// `OPTIONS` on a known path: a CORS preflight.
    Preflight,
}

/// A node route as a request matched it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeTarget {
    /// The route.
    pub route: &'static NodeRoute,
    /// Each `{name}` of its pattern and the path segment it matched.
    pub parameters: Vec<(&'static str, String)>,
}

/// Resolves `method` and `path`. The node's table is the same whether the
/// gateway is on or off: with it off, a route of the table is answered as
/// not configured rather than unknown, after the method is checked (a wrong
/// method stays wrong once a node is configured) and with preflights still
/// allowed, so that a page on another origin can read that answer.
pub fn resolve(method: &str, path: &str, gateway_enabled: bool) -> Result<Target, ApiError> {
    match resolve_api(method, path) {
        Err(ApiError::RouteNotFound) => match resolve_node(method, path)? {
            Target::Node(_) if !gateway_enabled => Err(ApiError::GatewayNotConfigured),
            target => Ok(target),
        },
        outcome => outcome,
    }
}

fn resolve_api(method: &str, path: &str) -> Result<Target, ApiError> {
    let rest = path.strip_prefix(API_PREFIX).ok_or(ApiError::RouteNotFound)?;
    let matching: Vec<_> = API_ROUTES.iter().filter(|route| matches(route.path, rest)).collect();
    if matching.is_empty() {
        return Err(ApiError::RouteNotFound);
    }
    if method == "OPTIONS" {
        return Ok(Target::Preflight);
    }
    let route = matching.iter().find(|route| route.method == method).ok_or_else(|| {
        ApiError::MethodNotAllowed(allow(matching.iter().map(|route| route.method).chain(["OPTIONS"])))
    })?;
    let id = parameters(route.path, rest).into_iter().next().map(|(_, id)| id);
    Ok(Target::Api(route.operation, id))
}

fn resolve_node(method: &str, path: &str) -> Result<Target, ApiError> {
    if !is_plain_path(path) {
        return Err(ApiError::RouteNotFound);
    }
    let matching: Vec<_> = all_routes().filter(|route| matches(route.pattern, path)).collect();
    if matching.is_empty() {
        return Err(ApiError::RouteNotFound);
    }
    if method == "OPTIONS" {
        return Ok(Target::Preflight);
    }
    match matching.iter().find(|route| route.method == method) {
        Some(route) => Ok(Target::Node(NodeTarget { route, parameters: parameters(route.pattern, path) })),
        None => Err(ApiError::MethodNotAllowed(allow(matching.iter().map(|route| route.method)))),
    }
}

/// The `Allow` header: each method once, in a fixed order.
fn allow<'a>(methods: impl Iterator<Item = &'a str>) -> String {
    let methods: Vec<&str> = methods.collect();
    ["GET", "POST", "DELETE", "OPTIONS"]
        .into_iter()
        .filter(|method| methods.contains(method))
        .collect::<Vec<_>>()
        .join(", ")
}

/// True when `pattern` matches `path` segment by segment; `{name}` matches
/// one non-empty segment.
///
/// Walked byte by byte rather than split into segments: every request is
/// matched against every pattern of the node's table, and most patterns
/// differ from the path within their first bytes (splitting them all was
/// about 3% of a gateway call's time in a profile).
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, path) = (pattern.as_bytes(), path.as_bytes());
    let (mut p, mut s) = (0, 0);
    loop {
        // Both sit at the start of a segment here: what came before matched byte for byte.
        if pattern.get(p) == Some(&b'{') {
            p = segment_end(pattern, p);
            let start = s;
            s = segment_end(path, s);
            if s == start {
                return false;
            }
        } else {
            // A longer segment of the path fails below, where the pattern's ends.
            let end = segment_end(pattern, p);
            let len = end - p;
            if path.get(s..s + len) != Some(&pattern[p..end]) {
                return false;
            }
            (p, s) = (end, s + len);
        }
        match (pattern.get(p), path.get(s)) {
            (None, None) => return true,
            (Some(b'/'), Some(b'/')) => (p, s) = (p + 1, s + 1),
            _ => return false,
        }
    }
}

/// Where the segment starting at `start` ends: the next `/`, or the end.
fn segment_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..].iter().position(|&byte| byte == b'/').map_or(bytes.len(), |at| start + at)
}

/// Each `{name}` of `pattern` and the segment of `path` it matched.
fn parameters(pattern: &'static str, path: &str) -> Vec<(&'static str, String)> {
    pattern
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(p, s)| Some((p.strip_prefix('{')?.strip_suffix('}')?, s.to_string())))
        .collect()
}

/// Refuses paths that could mean something else to the node than to the
/// table: dot segments, empty segments, backslashes, and percent-encoded
/// slashes, backslashes, dots or NULs.
fn is_plain_path(path: &str) -> bool {
    if !path.starts_with('/') || path.contains('\\') {
        return false;
    }
    let lower = path.to_ascii_lowercase();
    if ["%2f", "%5c", "%2e", "%00"].iter().any(|encoded| lower.contains(encoded)) {
        return false;
    }
    path[1..].split('/').all(|segment| !segment.is_empty() && segment != "." && segment != "..")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::routes::Access;

    fn api(operation: Operation, id: Option<&str>) -> Result<Target, ApiError> {
        Ok(Target::Api(operation, id.map(String::from)))
    }

    fn not_allowed(allow: &str) -> Result<Target, ApiError> {
        Err(ApiError::MethodNotAllowed(allow.to_string()))
    }

    macro_rules! resolves {
        ($name:ident, $method:expr, $path:expr, $want:expr) => {
            #[test]
            fn $name() {
                assert_eq!(resolve($method, $path, true), $want);
            }
        };
    }

    resolves!(create, "POST", "/api/v3/tokens", api(Operation::CreateToken, None));
    resolves!(create_with_slash, "POST", "/api/v3/tokens/", api(Operation::CreateToken, None));
    resolves!(delete, "DELETE", "/api/v3/tokens/abc", api(Operation::DeleteToken, Some("abc")));
    resolves!(get_token, "GET", "/api/v3/token", api(Operation::GetToken, None));
    resolves!(openapi, "GET", "/api/v3/openapi.json", api(Operation::OpenApi, None));
    resolves!(gateway, "GET", "/api/v3/gateway", api(Operation::Gateway, None));
    resolves!(preflight, "OPTIONS", "/api/v3/tokens/abc", Ok(Target::Preflight));
    resolves!(list, "GET", "/api/v3/tokens", api(Operation::ListTokens, None));
    resolves!(inspect, "GET", "/api/v3/tokens/abc", api(Operation::InspectToken, Some("abc")));
    resolves!(rotate, "POST", "/api/v3/tokens/abc/rotate", api(Operation::RotateToken, Some("abc")));
    resolves!(events, "GET", "/api/v3/tokens/abc/events", api(Operation::TokenEvents, Some("abc")));
    resolves!(put_tokens_not_allowed, "PUT", "/api/v3/tokens", not_allowed("GET, POST, OPTIONS"));
    resolves!(post_token_not_allowed, "POST", "/api/v3/token", not_allowed("GET, OPTIONS"));
    resolves!(post_one_not_allowed, "POST", "/api/v3/tokens/abc", not_allowed("GET, DELETE, OPTIONS"));
    resolves!(get_rotate_not_allowed, "GET", "/api/v3/tokens/abc/rotate", not_allowed("POST, OPTIONS"));
    resolves!(nested_id_not_found, "DELETE", "/api/v3/tokens/a/b", Err(ApiError::RouteNotFound));
    resolves!(empty_id_not_found, "POST", "/api/v3/tokens//rotate", Err(ApiError::RouteNotFound));
    resolves!(other_version_not_found, "GET", "/api/v4/token", Err(ApiError::RouteNotFound));
    resolves!(root_not_found, "GET", "/", Err(ApiError::RouteNotFound));
    resolves!(prefix_only_not_found, "GET", "/api/v3tokens", Err(ApiError::RouteNotFound));
    resolves!(preflight_unknown_not_found, "OPTIONS", "/api/v3/nothing", Err(ApiError::RouteNotFound));

    #[test]
    fn node_routes_need_the_gateway() {
        assert_eq!(resolve("GET", "/api/v4/node/info", false), Err(ApiError::GatewayNotConfigured));
        assert_eq!(resolve("GET", "/healthyz", false), Err(ApiError::GatewayNotConfigured));
        assert!(matches!(resolve("GET", "/api/v4/node/info", true), Ok(Target::Node(_))));
    }

    #[test]
    fn without_the_gateway_unknown_paths_wrong_methods_and_preflights_answer_as_with_it() {
        for path in ["/api/v4/admin", "/api/v4/node/../account/balances", "/api/v4/node/info/", "/nothing"] {
            assert_eq!(resolve("GET", path, false), Err(ApiError::RouteNotFound), "{path}");
        }
        assert_eq!(resolve("PUT", "/api/v4/channels", false), not_allowed("GET, POST"));
        assert_eq!(resolve("OPTIONS", "/api/v4/node/info", false), Ok(Target::Preflight));
        assert_eq!(resolve("GET", "/api/v3/token", false), api(Operation::GetToken, None));
    }

    fn node(method: &str, path: &str) -> Access {
        match resolve(method, path, true) {
            Ok(Target::Node(target)) => target.route.access,
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    macro_rules! forwarded {
        ($name:ident, $method:expr, $path:expr, $access:expr) => {
            #[test]
            fn $name() {
                assert_eq!(node($method, $path), $access);
            }
        };
    }

    forwarded!(v4_channel, "GET", "/api/v4/channels/0xabc", Access::Capability("channelsGetChannel"));
    forwarded!(v4_fund, "POST", "/api/v4/channels/0xabc/fund", Access::Capability("channelsFundChannels"));
    forwarded!(v4_status, "GET", "/api/v4/node/status", Access::Capability("nodeGetStatus"));
    forwarded!(
        v4_session_close,
        "DELETE",
        "/api/v4/session/udp/127.0.0.1/4000",
        Access::Capability("sessionsCloseClient")
    );
    forwarded!(
        v4_session_config,
        "GET",
        "/api/v4/session/config/abc",
        Access::Capability("sessionsGetConfig")
    );
    forwarded!(v3_tickets, "GET", "/api/v3/channels/0x12/tickets", Access::Capability("channelsGetTickets"));
    forwarded!(
        v3_websocket_before_pattern,
        "GET",
        "/api/v3/session/websocket",
        Access::Capability("sessionsWebsocket")
    );
    forwarded!(v3_session_list, "GET", "/api/v3/session/udp", Access::Capability("sessionsListClients"));
    forwarded!(metrics, "GET", "/metrics", Access::Capability("nodeGetMetrics"));
    forwarded!(health, "GET", "/healthyz", Access::Public);

    #[test]
    fn a_node_route_comes_with_its_parameters() {
        let Ok(Target::Node(target)) = resolve("DELETE", "/api/v4/session/udp/127.0.0.1/4000", true) else {
            panic!("not a node route")
        };
        let parameters = [("protocol", "udp"), ("ip", "127.0.0.1"), ("port", "4000")];
        assert_eq!(target.parameters, parameters.map(|(name, segment)| (name, segment.to_string())));
    }

    /// The matcher as the table reads: split both at `/`, pair the segments.
    fn matches_segment_by_segment(pattern: &str, path: &str) -> bool {
        let (patterns, segments): (Vec<_>, Vec<_>) =
            (pattern.split('/').collect(), path.split('/').collect());
        patterns.len() == segments.len()
            && patterns
                .iter()
                .zip(&segments)
                .all(|(p, s)| if p.starts_with('{') { !s.is_empty() } else { p == s })
    }

    #[test]
    fn the_matcher_agrees_with_splitting_into_segments() {
        let mut patterns: Vec<&str> = all_routes().map(|route| route.pattern).collect();
        patterns.extend(API_ROUTES.iter().map(|route| route.path));
        patterns.extend(["", "/", "{a}", "/{a}", "{a}/", "/{a}/b", "a/{b}/{c}", "a{b}", "/a/{b}x/c"]);
        let mut paths: Vec<String> = patterns.iter().map(|pattern| pattern.to_string()).collect();
        for pattern in &patterns {
            let filled =
                pattern.split('/').map(|s| if s.starts_with('{') { "x1" } else { s }).collect::<Vec<_>>();
            paths.push(filled.join("/"));
            paths.push(format!("{}/", filled.join("/")));
            paths.push(format!("{}x", filled.join("/")));
            paths.push(filled.iter().map(|s| if *s == "x1" { "" } else { s }).collect::<Vec<_>>().join("/"));
            let mut shorter = filled.clone();
            shorter.pop();
            paths.push(shorter.join("/"));
            for cut in 0..pattern.len() {
                paths.extend(pattern.get(..cut).map(str::to_string));
            }
        }
        paths.extend(
            ["", "/", "//", "/x1", "x1", "x1/", "/x1/b", "a/x1/", "a//x1", "a/x1/x1", "a{b}", "/a/x1x/c"]
                .map(String::from),
        );
        let mut agreed = 0;
        for pattern in &patterns {
            for path in &paths {
                assert_eq!(
                    matches(pattern, path),
                    matches_segment_by_segment(pattern, path),
                    "{pattern:?} {path:?}"
                );
                agreed += usize::from(matches(pattern, path));
            }
        }
        assert!(agreed > patterns.len(), "the paths match some patterns, not none");
    }

    resolves!(node_preflight, "OPTIONS", "/api/v4/node/info", Ok(Target::Preflight));
    resolves!(unknown_node_route, "GET", "/api/v4/admin", Err(ApiError::RouteNotFound));
    resolves!(v3_route_not_in_v4, "GET", "/api/v4/tickets", Err(ApiError::RouteNotFound));
    resolves!(wrong_node_method, "PUT", "/api/v4/channels", not_allowed("GET, POST"));
    resolves!(dot_dot, "GET", "/api/v4/node/../account/balances", Err(ApiError::RouteNotFound));
    resolves!(single_dot, "GET", "/api/v4/./node/info", Err(ApiError::RouteNotFound));
    resolves!(encoded_slash, "GET", "/api/v4/channels/a%2Fb", Err(ApiError::RouteNotFound));
    resolves!(encoded_dot, "GET", "/api/v4/channels/%2e%2e", Err(ApiError::RouteNotFound));
    resolves!(double_slash, "GET", "/api/v4//node/info", Err(ApiError::RouteNotFound));
    resolves!(trailing_slash, "GET", "/api/v4/node/info/", Err(ApiError::RouteNotFound));
    resolves!(backslash, "GET", "/api/v4/node\\info", Err(ApiError::RouteNotFound));
    resolves!(empty_parameter, "GET", "/api/v4/channels/", Err(ApiError::RouteNotFound));
}
