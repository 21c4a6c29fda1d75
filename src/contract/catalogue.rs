//! The capability catalogue: every operation name a token may be granted.
//!
//! This list is the one source of truth for capability names. The validator
//! and the gateway's route table check against it, and the OpenAPI document
//! publishes it (the client's TypeScript union and the console's choices are
//! derived from that document).

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

/// Every capability name a token may be granted: the 40 of the HOPR node
/// REST API v3, in the order the contract lists them, then the names the
/// gateway gives to node operations that had none (tickets, network, status
/// and sessions; see [`crate::contract::node_routes`]), then this service's
/// own beyond the original API.
pub const CAPABILITIES: &[&str] = &[
    "tokensCreate",
    "tokensGetToken",
    "tokensDelete",
    "ticketsGetStatistics",
    "ticketsRedeemTickets",
    "ticketsGetTickets",
    "settingsGetSettings",
    "settingsSetSetting",
    "nodeGetVersion",
    "nodeGetPeers",
    "nodeGetMetrics",
    "nodeGetInfo",
    "nodeGetEntryNodes",
    "nodePing",
    "nodeStreamWebsocket",
    "messagesWebsocket",
    "messagesGetSize",
    "messagesPopAllMessage",
    "messagesPopMessage",
    "messagesSendMessage",
    "messagesDeleteMessages",
    "messagesSign",
    "messageSign",
    "channelsOpenChannel",
    "channelsGetChannels",
    "channelsRedeemTickets",
    "channelsGetTickets",
    "channelsGetChannel",
    "channelsCloseChannel",
    "channelsFundChannels",
    "aliasesSetAlias",
    "aliasesGetAliases",
    "aliasesGetAlias",
    "aliasesRemoveAlias",
    "accountWithdraw",
    "accountGetBalances",
    "accountGetAddresses",
    "accountGetAddress",
    "peersPingPeer",
    "peerInfoGetPeerInfo",
    "channelsAggregateTickets",
    "ticketsResetStatistics",
    "networkGetPrice",
    "networkGetProbability",
    "networkGetGraph",
    "nodeGetStatus",
    "sessionsCreateClient",
    "sessionsListClients",
    "sessionsCloseClient",
    "sessionsGetConfig",
    "sessionsAdjustConfig",
    "sessionsWebsocket",
    "tokensRotate",
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
        json_schema!({ "type": "string", "enum": CAPABILITIES, "description": "An operation a token may be granted." })
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
        assert_eq!(CAPABILITIES.len(), 53);
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
}
