//! The capability catalogue: every operation name a token may be granted.
//!
//! This list is the one source of truth for capability names. The validator,
//! the OpenAPI document, the client's TypeScript types and the tests all read
//! it from here.

/// The operation that creates tokens (`POST /tokens`).
pub const TOKENS_CREATE: &str = "tokensCreate";
/// The operation that reads the caller's own token (`GET /token`).
pub const TOKENS_GET_TOKEN: &str = "tokensGetToken";
/// The operation that deletes tokens (`DELETE /tokens/{id}`).
pub const TOKENS_DELETE: &str = "tokensDelete";

/// Calls the macro `$then!` with every capability name: the 40 of the HOPR
/// node REST API v3, in the order the contract lists them, then the names
/// the gateway gives to node operations that had none (tickets, network,
/// status and sessions; see [`crate::gateway`]). The one list serves
/// [`CAPABILITIES`] and the client's TypeScript union type.
macro_rules! with_capabilities {
    ($then:ident) => {
        $then!(
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
            "sessionsWebsocket"
        )
    };
}

#[cfg_attr(not(feature = "client"), allow(unused_imports))]
pub(crate) use with_capabilities;

macro_rules! str_slice {
    ($($name:literal),*) => {
        &[$($name),*]
    };
}

/// Every capability name a token may be granted.
pub const CAPABILITIES: &[&str] = with_capabilities!(str_slice);

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
        assert_eq!(CAPABILITIES.len(), 52);
        assert_eq!(CAPABILITIES[39], "peerInfoGetPeerInfo");
    }

    #[test]
    fn enforced_operations_are_in_the_catalogue() {
        assert!([TOKENS_CREATE, TOKENS_GET_TOKEN, TOKENS_DELETE].iter().all(|name| is_known(name)));
    }

    #[test]
    fn known_names_are_case_sensitive() {
        assert!(is_known("tokensCreate"));
        assert!(is_known("peerInfoGetPeerInfo"));
        assert!(!is_known("TokensCreate"));
        assert!(!is_known(""));
    }
}
