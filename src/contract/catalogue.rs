//! The capability catalogue: every operation name a token may be granted,
//! with the area it belongs to and what it allows, and the presets: named
//! sets of capabilities for common uses.
//!
//! This table is the one source of truth for capability names. The
//! validator and the gateway's route table check against it, the OpenAPI
//! document publishes the names (the client's TypeScript union is derived
//! from it), and `GET /api/v3/gateway` serves the whole table to the console.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

/// The operation that creates tokens (`POST /tokens`).
pub const TOKENS_CREATE: &str = "tokensCreate";
/// The operation that reads the caller's own token (`GET /token`).
pub const TOKENS_GET_TOKEN: &str = "tokensGetToken";
/// The operation that deletes tokens (`DELETE /tokens/{id}`).
pub const TOKENS_DELETE: &str = "tokensDelete";
/// The operation that gives a token a new secret (`POST /tokens/{id}/rotate`).
pub const TOKENS_ROTATE: &str = "tokensRotate";

/// What part of a node (or of this service) a capability concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    /// This service's own tokens.
    Tokens,
    /// The node's funds and addresses.
    Account,
    /// Payment channels.
    Channels,
    /// Tickets earned by relaying.
    Tickets,
    /// The network the node sees.
    Network,
    /// The node itself.
    Node,
    /// Other nodes.
    Peers,
    /// Sessions through the network.
    Sessions,
    /// Messages (HOPR v2 and early v3 nodes).
    Messages,
    /// Aliases (HOPR v3 nodes up to 3.14).
    Aliases,
    /// Settings.
    Settings,
}

/// One capability of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its name.
    pub name: &'static str,
    /// Its area.
    pub area: Area,
    /// What it allows, in one line.
    pub summary: &'static str,
}

const fn entry(name: &'static str, area: Area, summary: &'static str) -> Entry {
    Entry { name, area, summary }
}

/// Every capability a token may be granted: the 40 names of the HOPR node
/// REST API v3, in the order the contract lists them, then the names the
/// gateway gives to node operations that had none (tickets, network, status
/// and sessions; see [`crate::contract::node_routes`]), then this service's
/// own beyond the original API.
pub const CATALOGUE: &[Entry] = &[
    entry("tokensCreate", Area::Tokens, "Create tokens with at most the capabilities this token holds."),
    entry("tokensGetToken", Area::Tokens, "Read this token's own details and usage."),
    entry("tokensDelete", Area::Tokens, "Delete this token or the tokens below it."),
    entry("ticketsGetStatistics", Area::Tickets, "Read the node's ticket statistics."),
    entry("ticketsRedeemTickets", Area::Tickets, "Redeem the node's tickets on chain (costs gas)."),
    entry("ticketsGetTickets", Area::Tickets, "List the node's unredeemed tickets."),
    entry("settingsGetSettings", Area::Settings, "Read the node's configuration."),
    entry("settingsSetSetting", Area::Settings, "Change a node setting (HOPR v3 nodes)."),
    entry("nodeGetVersion", Area::Node, "Read the node's version."),
    entry("nodeGetPeers", Area::Node, "List the peers the node is connected to or has seen announced."),
    entry("nodeGetMetrics", Area::Node, "Read the node's Prometheus metrics."),
    entry("nodeGetInfo", Area::Node, "Read the node's addresses, network and contracts."),
    entry("nodeGetEntryNodes", Area::Node, "List the network's entry nodes (HOPR v3 nodes)."),
    entry("nodePing", Area::Node, "Ping from the node (HOPR v2 name; no current route)."),
    entry("nodeStreamWebsocket", Area::Node, "Stream the node's log (HOPR v2 name; no current route)."),
    entry("messagesWebsocket", Area::Messages, "Exchange messages over a WebSocket (older nodes)."),
    entry("messagesGetSize", Area::Messages, "Count the node's inbox (older nodes)."),
    entry("messagesPopAllMessage", Area::Messages, "Take every message from the inbox (older nodes)."),
    entry("messagesPopMessage", Area::Messages, "Take one message from the inbox (older nodes)."),
    entry("messagesSendMessage", Area::Messages, "Send a message through the network (older nodes)."),
    entry("messagesDeleteMessages", Area::Messages, "Empty the inbox (older nodes)."),
    entry("messagesSign", Area::Messages, "Sign a message (HOPR v2 name; no current route)."),
    entry("messageSign", Area::Messages, "Sign a message (HOPR v3 name; no route)."),
    entry("channelsOpenChannel", Area::Channels, "Open a payment channel, locking stake (moves funds)."),
    entry("channelsGetChannels", Area::Channels, "List the node's channels."),
    entry("channelsRedeemTickets", Area::Channels, "Redeem one channel's tickets on chain (costs gas)."),
    entry("channelsGetTickets", Area::Channels, "List one channel's tickets (HOPR v3 nodes)."),
    entry("channelsGetChannel", Area::Channels, "Read one channel."),
    entry("channelsCloseChannel", Area::Channels, "Close a channel on chain (costs gas)."),
    entry("channelsFundChannels", Area::Channels, "Add stake to a channel (moves funds)."),
    entry("aliasesSetAlias", Area::Aliases, "Name a peer (older nodes)."),
    entry("aliasesGetAliases", Area::Aliases, "List the peers' names (older nodes)."),
    entry("aliasesGetAlias", Area::Aliases, "Read a peer's name (older nodes)."),
    entry("aliasesRemoveAlias", Area::Aliases, "Remove a peer's name (older nodes)."),
    entry("accountWithdraw", Area::Account, "Send the node's funds to an address (moves funds)."),
    entry("accountGetBalances", Area::Account, "Read the node's balances."),
    entry("accountGetAddresses", Area::Account, "Read the node's addresses."),
    entry(
        "accountGetAddress",
        Area::Account,
        "Read the node's address (deprecated HOPR v3 name; no current route).",
    ),
    entry("peersPingPeer", Area::Peers, "Ping another node through the network."),
    entry("peerInfoGetPeerInfo", Area::Peers, "Read what the node knows of another node."),
    entry("channelsAggregateTickets", Area::Channels, "Aggregate a channel's tickets (HOPR v3 nodes)."),
    entry("ticketsResetStatistics", Area::Tickets, "Reset the ticket statistics (HOPR v3 nodes)."),
    entry("networkGetPrice", Area::Network, "Read the network's ticket price."),
    entry("networkGetProbability", Area::Network, "Read the network's winning probability."),
    entry("networkGetGraph", Area::Network, "Read the network's channel graph."),
    entry("nodeGetStatus", Area::Node, "Read the node's status."),
    entry(
        "sessionsCreateClient",
        Area::Sessions,
        "Open a session listener on the node's host, through the network.",
    ),
    entry("sessionsListClients", Area::Sessions, "List the node's session listeners."),
    entry("sessionsCloseClient", Area::Sessions, "Close session listeners."),
    entry("sessionsGetConfig", Area::Sessions, "Read a session's configuration."),
    entry("sessionsAdjustConfig", Area::Sessions, "Change a session's configuration."),
    entry("sessionsWebsocket", Area::Sessions, "Use a session over a WebSocket (HOPR v3 nodes)."),
    entry(
        "sessionsCreateClientExplicitPath",
        Area::Sessions,
        "Open a session along relays the caller names (deprecated by the node; off unless enabled).",
    ),
    entry("tokensRotate", Area::Tokens, "Give this token or a token below it a new secret."),
];

/// Every capability name, in the catalogue's order.
pub const CAPABILITIES: [&str; CATALOGUE.len()] = {
    let mut names = [""; CATALOGUE.len()];
    let mut i = 0;
    while i < CATALOGUE.len() {
        names[i] = CATALOGUE[i].name;
        i += 1;
    }
    names
};

/// A named set of capabilities for a common use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    /// Its name.
    pub name: &'static str,
    /// What a token with it may do, in one line.
    pub summary: &'static str,
    /// Its capabilities.
    pub capabilities: &'static [&'static str],
}

/// The presets the console offers.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "read-only",
        summary: "Watch the node: its state, balances, channels, peers and network; change nothing.",
        capabilities: &[
            "nodeGetInfo",
            "nodeGetVersion",
            "nodeGetStatus",
            "nodeGetPeers",
            "nodeGetMetrics",
            "accountGetBalances",
            "accountGetAddresses",
            "channelsGetChannels",
            "channelsGetChannel",
            "ticketsGetStatistics",
            "networkGetPrice",
            "networkGetProbability",
            "networkGetGraph",
            "peerInfoGetPeerInfo",
            "settingsGetSettings",
        ],
    },
    Preset {
        name: "sessions",
        summary: "Open, use and close sessions through the network; no funds.",
        capabilities: &[
            "sessionsCreateClient",
            "sessionsListClients",
            "sessionsCloseClient",
            "sessionsGetConfig",
            "sessionsAdjustConfig",
            "sessionsWebsocket",
            "nodeGetPeers",
            "peersPingPeer",
        ],
    },
    Preset {
        name: "funds",
        summary: "Move the node's funds: withdraw, open, fund and close channels, redeem tickets.",
        capabilities: &[
            "accountWithdraw",
            "accountGetBalances",
            "accountGetAddresses",
            "channelsOpenChannel",
            "channelsFundChannels",
            "channelsCloseChannel",
            "channelsGetChannels",
            "channelsGetChannel",
            "ticketsRedeemTickets",
        ],
    },
];

/// A capability name on the wire: one of [`CAPABILITIES`]. Unknown names
/// are refused by the validator, not by deserialization, so that the error
/// names the entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CapabilityName(pub String);

impl JsonSchema for CapabilityName {
    fn schema_name() -> Cow<'static, str> {
        "CapabilityName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "enum": CAPABILITIES.as_slice(), "description": "An operation a token may be granted." })
    }
}

/// Returns true when `name` is a capability of the catalogue.
pub fn is_known(name: &str) -> bool {
    CAPABILITIES.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_the_forty_hopr_names_first_and_no_duplicates() {
        let mut names = CAPABILITIES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CAPABILITIES.len());
        assert_eq!(CAPABILITIES[39], "peerInfoGetPeerInfo");
    }

    #[test]
    fn enforced_operations_are_in_the_catalogue() {
        let enforced = [TOKENS_CREATE, TOKENS_GET_TOKEN, TOKENS_DELETE, TOKENS_ROTATE];
        assert!(enforced.iter().all(|name| is_known(name)));
    }

    #[test]
    fn known_names_are_case_sensitive() {
        assert!(is_known("tokensCreate"));
        assert!(is_known("peerInfoGetPeerInfo"));
        assert!(!is_known("TokensCreate"));
        assert!(!is_known(""));
    }

    #[test]
    fn presets_name_only_catalogue_capabilities_once() {
        for preset in PRESETS {
            let mut names = preset.capabilities.to_vec();
            assert!(names.iter().all(|name| is_known(name)), "{}", preset.name);
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), preset.capabilities.len(), "{}", preset.name);
        }
    }
}
