//! The node gateway's route table: every route of a HOPR node's REST API
//! that edge-tokens forwards, and the capability that authorises it.
//!
//! Two API generations are served, chosen by the path the caller uses: the
//! current node API under `/api/v4` (hoprd 4.11) and the last `/api/v3`
//! routes (hoprd 4.0), plus the node's root routes (`/metrics` and the
//! health checks, which need no capability). A route that is not in the
//! table is never forwarded. Paths with tricks (dot segments, encoded
//! slashes or dots, empty segments, backslashes) match nothing.

use serde::Serialize;

use crate::error::ApiError;

/// What a caller needs to use a node route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the node's health and readiness checks.
    Public,
    /// A token holding this capability.
    Capability(&'static str),
}

/// One route of the node's API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeRoute {
    /// The HTTP method.
    pub method: &'static str,
    /// The path, with `{name}` for one path segment.
    pub pattern: &'static str,
    /// Who may call it.
    pub access: Access,
    /// True for a WebSocket upgrade route.
    pub websocket: bool,
}

const fn route(method: &'static str, pattern: &'static str, capability: &'static str) -> NodeRoute {
    NodeRoute { method, pattern, access: Access::Capability(capability), websocket: false }
}

const fn public(pattern: &'static str) -> NodeRoute {
    NodeRoute { method: "GET", pattern, access: Access::Public, websocket: false }
}

const fn websocket(pattern: &'static str, capability: &'static str) -> NodeRoute {
    NodeRoute { method: "GET", pattern, access: Access::Capability(capability), websocket: true }
}

/// The current node API (hoprd 4.11, `/api/v4`).
pub const V4_ROUTES: &[NodeRoute] = &[
    route("GET", "/api/v4/account/addresses", "accountGetAddresses"),
    route("GET", "/api/v4/account/balances", "accountGetBalances"),
    route("POST", "/api/v4/account/withdraw", "accountWithdraw"),
    route("GET", "/api/v4/channels", "channelsGetChannels"),
    route("POST", "/api/v4/channels", "channelsOpenChannel"),
    route("GET", "/api/v4/channels/{address}", "channelsGetChannel"),
    route("DELETE", "/api/v4/channels/{address}", "channelsCloseChannel"),
    route("POST", "/api/v4/channels/{address}/fund", "channelsFundChannels"),
    route("GET", "/api/v4/tickets/statistics", "ticketsGetStatistics"),
    route("POST", "/api/v4/tickets/redeem", "ticketsRedeemTickets"),
    route("GET", "/api/v4/network/price", "networkGetPrice"),
    route("GET", "/api/v4/network/probability", "networkGetProbability"),
    route("GET", "/api/v4/network/connected", "nodeGetPeers"),
    route("GET", "/api/v4/network/announced", "nodeGetPeers"),
    route("GET", "/api/v4/network/graph", "networkGetGraph"),
    route("GET", "/api/v4/node/version", "nodeGetVersion"),
    route("GET", "/api/v4/node/configuration", "settingsGetSettings"),
    route("GET", "/api/v4/node/info", "nodeGetInfo"),
    route("GET", "/api/v4/node/status", "nodeGetStatus"),
    route("GET", "/api/v4/peers/{address}", "peerInfoGetPeerInfo"),
    route("POST", "/api/v4/peers/{address}/ping", "peersPingPeer"),
    route("GET", "/api/v4/session/config/{id}", "sessionsGetConfig"),
    route("POST", "/api/v4/session/config/{id}", "sessionsAdjustConfig"),
    route("POST", "/api/v4/session/{protocol}", "sessionsCreateClient"),
    route("GET", "/api/v4/session/{protocol}", "sessionsListClients"),
    route("DELETE", "/api/v4/session/{protocol}/{ip}/{port}", "sessionsCloseClient"),
];

/// The last `/api/v3` routes (hoprd 4.0). The token endpoints of `/api/v3`
/// are edge-tokens' own and are never forwarded.
pub const V3_ROUTES: &[NodeRoute] = &[
    route("GET", "/api/v3/account/addresses", "accountGetAddresses"),
    route("GET", "/api/v3/account/balances", "accountGetBalances"),
    route("POST", "/api/v3/account/withdraw", "accountWithdraw"),
    route("GET", "/api/v3/channels", "channelsGetChannels"),
    route("POST", "/api/v3/channels", "channelsOpenChannel"),
    route("GET", "/api/v3/channels/{channelId}", "channelsGetChannel"),
    route("DELETE", "/api/v3/channels/{channelId}", "channelsCloseChannel"),
    route("POST", "/api/v3/channels/{channelId}/fund", "channelsFundChannels"),
    route("GET", "/api/v3/channels/{channelId}/tickets", "channelsGetTickets"),
    route("POST", "/api/v3/channels/{channelId}/tickets/redeem", "channelsRedeemTickets"),
    route("POST", "/api/v3/channels/{channelId}/tickets/aggregate", "channelsAggregateTickets"),
    route("GET", "/api/v3/tickets", "ticketsGetTickets"),
    route("GET", "/api/v3/tickets/statistics", "ticketsGetStatistics"),
    route("DELETE", "/api/v3/tickets/statistics", "ticketsResetStatistics"),
    route("POST", "/api/v3/tickets/redeem", "ticketsRedeemTickets"),
    route("GET", "/api/v3/network/price", "networkGetPrice"),
    route("GET", "/api/v3/network/probability", "networkGetProbability"),
    route("GET", "/api/v3/node/graph", "networkGetGraph"),
    route("GET", "/api/v3/node/version", "nodeGetVersion"),
    route("GET", "/api/v3/node/configuration", "settingsGetSettings"),
    route("GET", "/api/v3/node/info", "nodeGetInfo"),
    route("GET", "/api/v3/node/peers", "nodeGetPeers"),
    route("GET", "/api/v3/node/entry-nodes", "nodeGetEntryNodes"),
    route("GET", "/api/v3/peers/{destination}", "peerInfoGetPeerInfo"),
    route("POST", "/api/v3/peers/{destination}/ping", "peersPingPeer"),
    websocket("/api/v3/session/websocket", "sessionsWebsocket"),
    route("POST", "/api/v3/session/{protocol}", "sessionsCreateClient"),
    route("GET", "/api/v3/session/{protocol}", "sessionsListClients"),
    route("DELETE", "/api/v3/session/{protocol}/{ip}/{port}", "sessionsCloseClient"),
];

/// The node's root routes, the same for both generations.
pub const ROOT_ROUTES: &[NodeRoute] = &[
    route("GET", "/metrics", "nodeGetMetrics"),
    public("/startedz"),
    public("/readyz"),
    public("/healthyz"),
    public("/eligiblez"),
];

/// The answer of `GET /api/v3/gateway`: whether the gateway is on, and
/// every route it forwards with the capability it needs (`null`: public).
#[derive(Debug, Serialize)]
pub struct GatewayInfo {
    /// True when `ORIGIN_URL` is configured.
    pub enabled: bool,
    /// The route table.
    pub routes: Vec<RouteInfo>,
}

/// One route, as `GET /api/v3/gateway` shows it.
#[derive(Debug, Serialize)]
pub struct RouteInfo {
    /// The HTTP method.
    pub method: &'static str,
    /// The path, with `{name}` for one path segment.
    pub path: &'static str,
    /// The capability it needs; `None` for a public route.
    pub capability: Option<&'static str>,
    /// True for a WebSocket upgrade route.
    pub websocket: bool,
}

impl GatewayInfo {
    /// The table, and whether the gateway is `enabled`.
    pub fn new(enabled: bool) -> GatewayInfo {
        let routes = all_routes()
            .map(|route| RouteInfo {
                method: route.method,
                path: route.pattern,
                capability: match route.access {
                    Access::Capability(name) => Some(name),
                    Access::Public => None,
                },
                websocket: route.websocket,
            })
            .collect();
        GatewayInfo { enabled, routes }
    }
}

/// Every route, in matching order: literal segments are listed before the
/// patterns they could be mistaken for (`/session/websocket` before
/// `/session/{protocol}`).
pub fn all_routes() -> impl Iterator<Item = &'static NodeRoute> {
    V4_ROUTES.iter().chain(V3_ROUTES).chain(ROOT_ROUTES)
}

/// The route for `method` and `path` (the raw, still percent-encoded path,
/// without its query). An unknown path is [`ApiError::RouteNotFound`]; a
/// known path with another method is [`ApiError::MethodNotAllowed`].
pub fn match_route(method: &str, path: &str) -> Result<&'static NodeRoute, ApiError> {
    if !is_plain_path(path) {
        return Err(ApiError::RouteNotFound);
    }
    let mut path_found = false;
    for route in all_routes() {
        if matches(route.pattern, path) {
            if route.method == method {
                return Ok(route);
            }
            path_found = true;
        }
    }
    if path_found {
        Err(ApiError::MethodNotAllowed(allowed_methods(path)))
    } else {
        Err(ApiError::RouteNotFound)
    }
}

/// The methods the table has for `path`, for the `Allow` header.
fn allowed_methods(path: &str) -> &'static str {
    let methods: Vec<&str> =
        all_routes().filter(|route| matches(route.pattern, path)).map(|route| route.method).collect();
    match (methods.contains(&"GET"), methods.contains(&"POST"), methods.contains(&"DELETE")) {
        (true, true, true) => "GET, POST, DELETE",
        (true, true, false) => "GET, POST",
        (true, false, true) => "GET, DELETE",
        (false, true, true) => "POST, DELETE",
        (true, false, false) => "GET",
        (false, true, false) => "POST",
        _ => "DELETE",
    }
}

/// True when `pattern` matches `path` segment by segment.
fn matches(pattern: &str, path: &str) -> bool {
    let mut patterns = pattern.split('/');
    let mut segments = path.split('/');
    loop {
        match (patterns.next(), segments.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) if p.starts_with('{') => {
                if s.is_empty() {
                    return false;
                }
            }
            (Some(p), Some(s)) if p == s => {}
            _ => return false,
        }
    }
}

/// Refuses paths that could mean something else to the node than to this
/// table: dot segments, empty segments, backslashes, and percent-encoded
/// slashes, backslashes or dots.
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
    use crate::catalogue;

    #[test]
    fn every_capability_in_the_table_is_in_the_catalogue() {
        for route in all_routes() {
            if let Access::Capability(name) = route.access {
                assert!(catalogue::is_known(name), "{} {} needs unknown {name}", route.method, route.pattern);
            }
        }
    }

    #[test]
    fn no_route_is_listed_twice() {
        let routes: Vec<_> = all_routes().collect();
        for (i, a) in routes.iter().enumerate() {
            for b in &routes[i + 1..] {
                assert!(!(a.method == b.method && a.pattern == b.pattern), "{} {}", a.method, a.pattern);
            }
        }
    }

    #[test]
    fn the_token_endpoints_are_never_forwarded() {
        for (method, path) in
            [("POST", "/api/v3/tokens"), ("GET", "/api/v3/token"), ("DELETE", "/api/v3/tokens/x")]
        {
            assert_eq!(match_route(method, path), Err(ApiError::RouteNotFound));
        }
    }

    macro_rules! matched {
        ($name:ident, $method:expr, $path:expr, $capability:expr) => {
            #[test]
            fn $name() {
                let route = match_route($method, $path).unwrap();
                assert_eq!(route.access, $capability);
            }
        };
    }

    matched!(v4_channel, "GET", "/api/v4/channels/0xabc", Access::Capability("channelsGetChannel"));
    matched!(v4_fund, "POST", "/api/v4/channels/0xabc/fund", Access::Capability("channelsFundChannels"));
    matched!(v4_status, "GET", "/api/v4/node/status", Access::Capability("nodeGetStatus"));
    matched!(
        v4_session_close,
        "DELETE",
        "/api/v4/session/udp/127.0.0.1/4000",
        Access::Capability("sessionsCloseClient")
    );
    matched!(v4_session_config, "GET", "/api/v4/session/config/abc", Access::Capability("sessionsGetConfig"));
    matched!(v3_tickets, "GET", "/api/v3/channels/0x12/tickets", Access::Capability("channelsGetTickets"));
    matched!(
        v3_websocket_before_pattern,
        "GET",
        "/api/v3/session/websocket",
        Access::Capability("sessionsWebsocket")
    );
    matched!(v3_session_list, "GET", "/api/v3/session/udp", Access::Capability("sessionsListClients"));
    matched!(metrics, "GET", "/metrics", Access::Capability("nodeGetMetrics"));
    matched!(health, "GET", "/healthyz", Access::Public);

    macro_rules! refused {
        ($name:ident, $method:expr, $path:expr, $error:expr) => {
            #[test]
            fn $name() {
                assert_eq!(match_route($method, $path), Err($error));
            }
        };
    }

    refused!(unknown_route, "GET", "/api/v4/admin", ApiError::RouteNotFound);
    refused!(v3_route_not_in_v4, "GET", "/api/v4/tickets", ApiError::RouteNotFound);
    refused!(wrong_method, "PUT", "/api/v4/channels", ApiError::MethodNotAllowed("GET, POST"));
    refused!(dot_dot, "GET", "/api/v4/node/../account/balances", ApiError::RouteNotFound);
    refused!(single_dot, "GET", "/api/v4/./node/info", ApiError::RouteNotFound);
    refused!(encoded_slash, "GET", "/api/v4/channels/a%2Fb", ApiError::RouteNotFound);
    refused!(encoded_dot, "GET", "/api/v4/channels/%2e%2e", ApiError::RouteNotFound);
    refused!(double_slash, "GET", "/api/v4//node/info", ApiError::RouteNotFound);
    refused!(trailing_slash, "GET", "/api/v4/node/info/", ApiError::RouteNotFound);
    refused!(backslash, "GET", "/api/v4/node\\info", ApiError::RouteNotFound);
    refused!(empty_parameter, "GET", "/api/v4/channels/", ApiError::RouteNotFound);
}
