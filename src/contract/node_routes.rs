//! The node gateway's route table: every route of a HOPR node's REST API
//! that edge-tokens forwards, the capability that authorises it, and what
//! its request carries that a condition is about.
//!
//! Two API generations are served, chosen by the path the caller uses, plus
//! the node's root routes (`/metrics` and the health checks, which need no
//! capability): [`GENERATIONS`] names each with the node release it follows,
//! and `GET /api/v3/gateway` serves those names, so that what the console
//! labels a group of routes is written here only. A route that is not in the
//! table is never forwarded.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::{
    arguments::Arguments,
    catalogue::{Area, CapabilityName, Entry, CATALOGUE, PRESETS},
    currency::{Currency, CurrencyInfo},
    limits::{LimitType, Scope},
    routes::Access,
};

/// The gateway's entry in the `Via` header of every answer that comes from
/// the node (after any entries the node sent), as an intermediary names
/// itself (RFC 9110, section 7.6.3: the protocol version, then a
/// pseudonym). The service's own answers carry none, so a caller can tell
/// the node's `401` from the service's.
pub const VIA: &str = "1.1 edge-tokens";

/// The limits a capability may carry: those whose scope its routes'
/// arguments are in, over both API generations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Carried {
    /// The limit types, in [`LimitType::ALL`]'s order.
    pub types: Vec<LimitType>,
    /// The currencies its routes move, xDai first.
    pub currencies: Vec<Currency>,
}

impl Carried {
    /// True when the capability may carry a limit of type `kind`.
    pub fn carries(&self, kind: LimitType) -> bool {
        self.types.contains(&kind)
    }
}

/// The limits `capability` may carry.
pub fn carried_by(capability: &str) -> Carried {
    let arguments: Vec<Arguments> = all_routes()
        .filter(|route| matches!(route.access, Access::Capability(name) if name == capability))
        .map(|route| route.arguments)
        .collect();
    let types = LimitType::ALL
        .into_iter()
        .filter(|kind| match kind.scope() {
            Scope::Every => true,
            Scope::Routes { apply, .. } => arguments.iter().any(|arguments| apply(*arguments)),
        })
        .collect();
    let mut currencies = Vec::new();
    for currency in arguments.iter().flat_map(|arguments| arguments.currencies()) {
        if !currencies.contains(currency) {
            currencies.push(*currency);
        }
    }
    Carried { types, currencies }
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
    /// What its request carries that a condition is about.
    pub arguments: Arguments,
}

const fn route(method: &'static str, pattern: &'static str, capability: &'static str) -> NodeRoute {
    NodeRoute {
        method,
        pattern,
        access: Access::Capability(capability),
        websocket: false,
        arguments: Arguments::None,
    }
}

const fn with(arguments: Arguments, route: NodeRoute) -> NodeRoute {
    NodeRoute { arguments, ..route }
}

const fn public(pattern: &'static str) -> NodeRoute {
    NodeRoute { method: "GET", pattern, access: Access::Public, websocket: false, arguments: Arguments::None }
}

const fn websocket(pattern: &'static str, capability: &'static str) -> NodeRoute {
    NodeRoute { websocket: true, ..route("GET", pattern, capability) }
}

use Arguments::{
    Channel, FundChannel, FundChannelById, OpenChannel, Peer, RedeemAllTickets, RedeemTickets, Session,
    UnreadableTarget, Withdraw,
};

/// The routes of the current node API, `/api/v4` (see [`GENERATIONS`]).
pub const V4_ROUTES: &[NodeRoute] = &[
    route("GET", "/api/v4/account/addresses", "accountGetAddresses"),
    route("GET", "/api/v4/account/balances", "accountGetBalances"),
    with(Withdraw, route("POST", "/api/v4/account/withdraw", "accountWithdraw")),
    route("GET", "/api/v4/channels", "channelsGetChannels"),
    with(OpenChannel, route("POST", "/api/v4/channels", "channelsOpenChannel")),
    with(Channel, route("GET", "/api/v4/channels/{address}", "channelsGetChannel")),
    with(Channel, route("DELETE", "/api/v4/channels/{address}", "channelsCloseChannel")),
    with(FundChannel, route("POST", "/api/v4/channels/{address}/fund", "channelsFundChannels")),
    route("GET", "/api/v4/tickets/statistics", "ticketsGetStatistics"),
    with(RedeemTickets, route("POST", "/api/v4/tickets/redeem", "ticketsRedeemTickets")),
    route("GET", "/api/v4/network/price", "networkGetPrice"),
    route("GET", "/api/v4/network/probability", "networkGetProbability"),
    route("GET", "/api/v4/network/connected", "nodeGetPeers"),
    route("GET", "/api/v4/network/announced", "nodeGetPeers"),
    route("GET", "/api/v4/network/graph", "networkGetGraph"),
    route("GET", "/api/v4/node/version", "nodeGetVersion"),
    route("GET", "/api/v4/node/configuration", "settingsGetSettings"),
    route("GET", "/api/v4/node/info", "nodeGetInfo"),
    route("GET", "/api/v4/node/status", "nodeGetStatus"),
    with(Peer, route("GET", "/api/v4/peers/{address}", "peerInfoGetPeerInfo")),
    with(Peer, route("POST", "/api/v4/peers/{address}/ping", "peersPingPeer")),
    route("GET", "/api/v4/session/config/{id}", "sessionsGetConfig"),
    route("POST", "/api/v4/session/config/{id}", "sessionsAdjustConfig"),
    with(Session, route("POST", "/api/v4/session/{protocol}", "sessionsCreateClient")),
    with(
        Session,
        route("POST", "/api/v4/session/{protocol}/explicit-path", "sessionsCreateClientExplicitPath"),
    ),
    route("GET", "/api/v4/session/{protocol}", "sessionsListClients"),
    route("DELETE", "/api/v4/session/{protocol}/{ip}/{port}", "sessionsCloseClient"),
];

/// The routes of the previous node API, `/api/v3` (see [`GENERATIONS`]).
/// The token endpoints of `/api/v3` are edge-tokens' own and are never
/// forwarded.
pub const V3_ROUTES: &[NodeRoute] = &[
    route("GET", "/api/v3/account/addresses", "accountGetAddresses"),
    route("GET", "/api/v3/account/balances", "accountGetBalances"),
    with(Withdraw, route("POST", "/api/v3/account/withdraw", "accountWithdraw")),
    route("GET", "/api/v3/channels", "channelsGetChannels"),
    with(OpenChannel, route("POST", "/api/v3/channels", "channelsOpenChannel")),
    with(UnreadableTarget, route("GET", "/api/v3/channels/{channelId}", "channelsGetChannel")),
    with(UnreadableTarget, route("DELETE", "/api/v3/channels/{channelId}", "channelsCloseChannel")),
    with(FundChannelById, route("POST", "/api/v3/channels/{channelId}/fund", "channelsFundChannels")),
    with(UnreadableTarget, route("GET", "/api/v3/channels/{channelId}/tickets", "channelsGetTickets")),
    with(
        UnreadableTarget,
        route("POST", "/api/v3/channels/{channelId}/tickets/redeem", "channelsRedeemTickets"),
    ),
    with(
        UnreadableTarget,
        route("POST", "/api/v3/channels/{channelId}/tickets/aggregate", "channelsAggregateTickets"),
    ),
    route("GET", "/api/v3/tickets", "ticketsGetTickets"),
    route("GET", "/api/v3/tickets/statistics", "ticketsGetStatistics"),
    route("DELETE", "/api/v3/tickets/statistics", "ticketsResetStatistics"),
    with(RedeemAllTickets, route("POST", "/api/v3/tickets/redeem", "ticketsRedeemTickets")),
    route("GET", "/api/v3/network/price", "networkGetPrice"),
    route("GET", "/api/v3/network/probability", "networkGetProbability"),
    route("GET", "/api/v3/node/graph", "networkGetGraph"),
    route("GET", "/api/v3/node/version", "nodeGetVersion"),
    route("GET", "/api/v3/node/configuration", "settingsGetSettings"),
    route("GET", "/api/v3/node/info", "nodeGetInfo"),
    route("GET", "/api/v3/node/peers", "nodeGetPeers"),
    route("GET", "/api/v3/node/entry-nodes", "nodeGetEntryNodes"),
    with(Peer, route("GET", "/api/v3/peers/{destination}", "peerInfoGetPeerInfo")),
    with(Peer, route("POST", "/api/v3/peers/{destination}/ping", "peersPingPeer")),
    websocket("/api/v3/session/websocket", "sessionsWebsocket"),
    with(Session, route("POST", "/api/v3/session/{protocol}", "sessionsCreateClient")),
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

/// One generation of the node's API that the table covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Generation {
    /// How people name it, e.g. `/api/v4`.
    pub name: &'static str,
    /// The start of the path of each of its routes.
    pub prefix: &'static str,
    /// Which node release its routes follow, in words.
    pub about: &'static str,
    /// Its routes.
    pub routes: &'static [NodeRoute],
}

/// The generations of the node's API, newest first; the root routes last.
/// The last released node that served `/api/v3` (2.2.3, `hoprd-api` 3.12)
/// had a different table (see docs/gateway.md, "Routes").
pub const GENERATIONS: &[Generation] = &[
    Generation {
        name: "/api/v4",
        prefix: "/api/v4/",
        about: "the current node API: hoprd-api 4.14, of node 5.0.0-rc.1 (hoprnet/hoprd)",
        routes: V4_ROUTES,
    },
    Generation {
        name: "/api/v3",
        prefix: "/api/v3/",
        about: "the previous node API: hoprd-api 4.0.0, of a node pre-release",
        routes: V3_ROUTES,
    },
    Generation {
        name: "Root",
        prefix: "/",
        about: "the node's metrics and health checks",
        routes: ROOT_ROUTES,
    },
];

/// The answer of `GET /api/v3/gateway`: whether the gateway is on, every
/// route it forwards with the capability it needs (`null`: public), and the
/// capability catalogue with its presets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct GatewayInfo {
    /// True when `ORIGIN_URL` is configured.
    pub enabled: bool,
    /// The route table.
    pub routes: Vec<RouteInfo>,
    /// Every capability a token may be granted.
    pub capabilities: Vec<CapabilityInfo>,
    /// Named sets of capabilities for common uses.
    pub presets: Vec<PresetInfo>,
    /// The currencies a `spend` limit may be in, with their decimals.
    pub currencies: Vec<CurrencyInfo>,
    /// The node API generations the routes belong to, in the table's order:
    /// a route belongs to the first whose prefix its path starts with.
    pub generations: Vec<GenerationInfo>,
}

/// One generation of the node's API, as `GET /api/v3/gateway` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct GenerationInfo {
    /// How people name it, e.g. `/api/v4`.
    pub name: String,
    /// The start of the path of each of its routes, e.g. `/api/v4/`.
    pub prefix: String,
    /// Which node release its routes follow, in words.
    pub about: String,
}

/// One capability of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct CapabilityInfo {
    /// Its name.
    pub name: CapabilityName,
    /// What part of the node (or of edge-tokens) it concerns.
    pub area: Area,
    /// What it allows, in one line.
    pub summary: String,
    /// The limit types it may carry besides `calls` (`spend`, `targets`,
    /// `listen`): those its routes' arguments are about.
    pub conditions: Vec<String>,
    /// The currencies a `spend` limit on it may be in; empty when it moves
    /// no funds.
    pub currencies: Vec<String>,
}

impl CapabilityInfo {
    fn new(entry: &Entry) -> CapabilityInfo {
        let carried = carried_by(entry.name);
        let by_routes = carried.types.iter().filter(|kind| matches!(kind.scope(), Scope::Routes { .. }));
        CapabilityInfo {
            name: CapabilityName(entry.name.to_string()),
            area: entry.area,
            summary: entry.summary.to_string(),
            conditions: by_routes.map(|kind| kind.name().to_string()).collect(),
            currencies: carried.currencies.iter().map(|currency| currency.name().to_string()).collect(),
        }
    }
}

/// A named set of capabilities.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct PresetInfo {
    /// Its name.
    pub name: String,
    /// What a token with it may do, in one line.
    pub summary: String,
    /// Its capabilities.
    pub capabilities: Vec<CapabilityName>,
}

/// One route, as `GET /api/v3/gateway` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct RouteInfo {
    /// The HTTP method.
    #[schemars(extend("enum" = ["GET", "POST", "DELETE"]))]
    pub method: String,
    /// The path, with `{name}` for one path segment.
    pub path: String,
    /// The capability it needs; null for a public route.
    pub capability: Option<CapabilityName>,
    /// True for a WebSocket upgrade route.
    pub websocket: bool,
}

impl GatewayInfo {
    /// The table and the catalogue, and whether the gateway is `enabled`.
    pub fn new(enabled: bool) -> GatewayInfo {
        let routes = all_routes()
            .map(|route| RouteInfo {
                method: route.method.to_string(),
                path: route.pattern.to_string(),
                capability: match route.access {
                    Access::Capability(name) => Some(CapabilityName(name.to_string())),
                    Access::Public | Access::Token => None,
                },
                websocket: route.websocket,
            })
            .collect();
        let capabilities = CATALOGUE.iter().map(CapabilityInfo::new).collect();
        let presets = PRESETS
            .iter()
            .map(|preset| PresetInfo {
                name: preset.name.to_string(),
                summary: preset.summary.to_string(),
                capabilities: preset
                    .capabilities
                    .iter()
                    .map(|name| CapabilityName(name.to_string()))
                    .collect(),
            })
            .collect();
        let currencies = Currency::ALL.into_iter().map(CurrencyInfo::from).collect();
        let generations = GENERATIONS
            .iter()
            .map(|generation| GenerationInfo {
                name: generation.name.to_string(),
                prefix: generation.prefix.to_string(),
                about: generation.about.to_string(),
            })
            .collect();
        GatewayInfo { enabled, routes, capabilities, presets, currencies, generations }
    }
}

/// Every route, in matching order: literal segments are listed before the
/// patterns they could be mistaken for (`/session/websocket` before
/// `/session/{protocol}`).
pub fn all_routes() -> impl Iterator<Item = &'static NodeRoute> {
    GENERATIONS.iter().flat_map(|generation| generation.routes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{catalogue, routes::API_PREFIX};

    #[test]
    fn the_limits_a_capability_may_carry_come_from_its_routes() {
        use LimitType::{Calls, Listen, Spend, Targets};
        let withdraw = carried_by("accountWithdraw");
        assert!(withdraw.carries(Calls) && withdraw.carries(Spend) && withdraw.carries(Targets));
        assert!(!withdraw.carries(Listen));
        assert_eq!(withdraw.currencies, [Currency::XDai, Currency::WxHopr]);
        assert_eq!(carried_by("channelsFundChannels").currencies, [Currency::WxHopr]);
        let session = carried_by("sessionsCreateClientExplicitPath");
        assert!(!session.carries(Spend) && session.carries(Targets) && session.carries(Listen));
        let info = carried_by("nodeGetInfo");
        assert_eq!((info.types, info.currencies), (vec![Calls], vec![]), "calls, on every capability");
    }

    #[test]
    fn every_capability_in_the_table_is_in_the_catalogue() {
        for route in all_routes() {
            if let Access::Capability(name) = route.access {
                assert!(catalogue::is_known(name), "{} {} needs unknown {name}", route.method, route.pattern);
            }
        }
    }

    #[test]
    fn each_route_belongs_to_the_first_generation_whose_prefix_it_has() {
        for (index, generation) in GENERATIONS.iter().enumerate() {
            for route in generation.routes {
                let first = GENERATIONS.iter().position(|g| route.pattern.starts_with(g.prefix));
                assert_eq!(first, Some(index), "{} is listed under {}", route.pattern, generation.name);
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
    fn the_routes_that_carry_conditions_are_the_ones_expected() {
        let moving: Vec<&str> =
            all_routes().filter(|r| r.arguments.moves_funds()).map(|r| r.pattern).collect();
        assert_eq!(moving.len(), 6, "{moving:?}");
        let listening = all_routes().filter(|r| r.arguments.listens()).count();
        assert_eq!(listening, 3);
    }

    #[test]
    fn no_node_route_shadows_an_api_route() {
        for route in all_routes() {
            for api in crate::contract::routes::API_ROUTES {
                let api_path = format!("{API_PREFIX}{}", api.path);
                assert_ne!(route.pattern, api_path, "{}", route.pattern);
            }
        }
    }
}
