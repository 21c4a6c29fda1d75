//! Which headers the gateway lets through, in each direction: the request
//! headers the node is sent (an allow-list, and the node's own token) and
//! the node's answer headers the caller gets (everything but cookies, the
//! node's CORS and hop-by-hop headers, with the gateway's `Via` and CORS).
//!
//! Header names are compared in any letter case.

use crate::contract::node_routes::VIA;

/// How a call goes to the node: what it carries decides which headers it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// No body (GET, HEAD): a declared length would have the node wait for bytes that never come.
    Bodiless,
    /// The caller's body streams through, so the caller's declared length still describes it.
    Streamed,
    /// The body the service read: the runtime declares its length, the caller's may not match.
    Read,
    /// A WebSocket handshake, only ever on a WebSocket route.
    WebSocket,
}

/// They describe the call's content, not the caller or the way it came.
const REQUEST_HEADERS: &[&str] = &["content-type", "accept"];

/// The request header that asks for a WebSocket.
pub const UPGRADE_HEADER: &str = "upgrade";

/// `upgrade` makes the runtime open a WebSocket, the rest negotiate it with the node.
// Not `connection`: the runtime writes its own, and the caller's could name
// the node's token as a header for a proxy before the node to strip.
const HANDSHAKE_REQUEST_HEADERS: &[&str] = &[
    UPGRADE_HEADER,
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
];

/// The gateway's own CORS decides which pages read the answer, never the node's.
const CORS_PREFIX: &str = "access-control-";

/// They describe the node's connection to the Worker, not the caller's.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// A 101 needs them to complete the caller's handshake.
const HANDSHAKE_ANSWER_HEADERS: &[&str] = &["connection", "upgrade"];

/// The header that carries the node's own token (`ORIGIN_TOKEN`).
pub const ORIGIN_TOKEN_HEADER: &str = "x-auth-token";

/// It describes a streamed body only.
const CONTENT_LENGTH: &str = "content-length";

/// True when a request header `name` may reach the node; the node's own token is added apart.
pub fn forwards_request_header(name: &str, outgoing: Outgoing) -> bool {
    if is_one_of(name, REQUEST_HEADERS) {
        return true;
    }
    if name.eq_ignore_ascii_case(CONTENT_LENGTH) {
        return outgoing == Outgoing::Streamed;
    }
    outgoing == Outgoing::WebSocket && is_one_of(name, HANDSHAKE_REQUEST_HEADERS)
}

/// Every request header that [`forwards_request_header`] lets through on
/// some way a call goes, in lower case: an adapter needs to read no other.
pub fn forwardable_request_headers() -> impl Iterator<Item = &'static str> {
    REQUEST_HEADERS.iter().chain([&CONTENT_LENGTH]).chain(HANDSHAKE_REQUEST_HEADERS).copied()
}

/// True when the node's answer header `name` reaches the caller; a 101 keeps its handshake.
pub fn keeps_answer_header(name: &str, status: u16) -> bool {
    let cors = name.get(..CORS_PREFIX.len()).is_some_and(|prefix| prefix.eq_ignore_ascii_case(CORS_PREFIX));
    // A cookie of the node's would be set for the gateway's origin.
    if cors || is_one_of(name, &["set-cookie", "set-cookie2"]) {
        return false;
    }
    !is_one_of(name, HOP_BY_HOP) || (status == 101 && is_one_of(name, HANDSHAKE_ANSWER_HEADERS))
}

/// The header that lists the intermediaries an answer came through.
const VIA_HEADER: &str = "via";

/// The headers the caller gets of a node's answer with `status` and
/// `headers`: those [`keeps_answer_header`] keeps, one `Via` ending in the
/// gateway's, and, but on a WebSocket's 101, the service's `cors` headers
/// in place of any of the same name.
pub fn answer_headers(
    status: u16,
    headers: Vec<(String, String)>,
    cors: &[(&'static str, String)],
) -> Vec<(String, String)> {
    let mut kept: Vec<(String, String)> =
        headers.into_iter().filter(|(name, _)| keeps_answer_header(name, status)).collect();
    let node_via: Vec<&str> = kept
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case(VIA_HEADER))
        .map(|(_, v)| v.as_str())
        .collect();
    let via = via((!node_via.is_empty()).then(|| node_via.join(", ")).as_deref());
    replace(&mut kept, VIA_HEADER, via);
    if status != 101 {
        for (name, value) in cors {
            replace(&mut kept, name, value.clone());
        }
    }
    kept
}

/// Sets `name` to `value` in `headers`, in place of any entries it had.
fn replace(headers: &mut Vec<(String, String)>, name: &str, value: String) {
    headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(name));
    headers.push((name.to_string(), value));
}

/// The `Via` of an answer from the node: the entries the node sent, if any,
/// then the gateway's own.
fn via(node_via: Option<&str>) -> String {
    match node_via.map(str::trim).filter(|entries| !entries.is_empty()) {
        Some(entries) => format!("{entries}, {VIA}"),
        None => VIA.to_string(),
    }
}

fn is_one_of(name: &str, list: &[&str]) -> bool {
    list.iter().any(|listed| name.eq_ignore_ascii_case(listed))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY_WAY: [Outgoing; 4] =
        [Outgoing::Bodiless, Outgoing::Streamed, Outgoing::Read, Outgoing::WebSocket];

    #[test]
    fn credentials_overrides_and_forwarding_headers_never_reach_the_node() {
        for name in [
            "authorization",
            "x-auth-token",
            "proxy-authorization",
            "cookie",
            "x-http-method-override",
            "x-http-method",
            "x-method-override",
            "x-original-url",
            "x-rewrite-url",
            "x-forwarded-for",
            "x-forwarded-host",
            "x-forwarded-proto",
            "forwarded",
            "x-real-ip",
            "true-client-ip",
            "via",
            "cf-connecting-ip",
            "cf-ray",
            "cf-ipcountry",
            "host",
            "origin",
            "referer",
            "keep-alive",
            "te",
            "trailer",
            "transfer-encoding",
            "expect",
            "x-custom",
        ] {
            for outgoing in EVERY_WAY {
                assert!(!forwards_request_header(name, outgoing), "{name} {outgoing:?}");
            }
        }
    }

    #[test]
    fn content_type_and_accept_always_go() {
        for name in ["content-type", "accept", "Content-Type", "ACCEPT"] {
            for outgoing in EVERY_WAY {
                assert!(forwards_request_header(name, outgoing), "{name} {outgoing:?}");
            }
        }
    }

    #[test]
    fn content_length_goes_only_with_the_body_it_describes() {
        assert!(forwards_request_header("content-length", Outgoing::Streamed));
        assert!(forwards_request_header("Content-Length", Outgoing::Streamed));
        for outgoing in [Outgoing::Bodiless, Outgoing::Read, Outgoing::WebSocket] {
            assert!(!forwards_request_header("content-length", outgoing), "{outgoing:?}");
        }
    }

    #[test]
    fn the_handshake_goes_only_on_a_websocket_upgrade() {
        for name in [
            "upgrade",
            "Upgrade",
            "sec-websocket-key",
            "Sec-WebSocket-Key",
            "sec-websocket-version",
            "sec-websocket-protocol",
            "sec-websocket-extensions",
        ] {
            assert!(forwards_request_header(name, Outgoing::WebSocket), "{name}");
            for outgoing in [Outgoing::Bodiless, Outgoing::Streamed, Outgoing::Read] {
                assert!(!forwards_request_header(name, outgoing), "{name} {outgoing:?}");
            }
        }
        for outgoing in EVERY_WAY {
            assert!(!forwards_request_header("connection", outgoing), "{outgoing:?}");
        }
    }

    #[test]
    fn an_adapter_reading_only_the_forwardable_headers_misses_none_that_goes() {
        let forwardable: Vec<&str> = forwardable_request_headers().collect();
        for name in forwardable.iter().copied().chain(["connection", "cookie", "x-custom", "Content-Type"]) {
            let goes = EVERY_WAY.into_iter().any(|outgoing| forwards_request_header(name, outgoing));
            assert_eq!(forwardable.contains(&name.to_ascii_lowercase().as_str()), goes, "{name}");
        }
        assert!(
            forwardable.iter().all(|name| *name == name.to_ascii_lowercase()),
            "names as the runtime gives them"
        );
    }

    #[test]
    fn cookies_the_nodes_cors_and_hop_by_hop_headers_stay_with_the_node() {
        for name in [
            "set-cookie",
            "Set-Cookie",
            "set-cookie2",
            "access-control-allow-origin",
            "Access-Control-Allow-Credentials",
            "access-control-allow-methods",
            "access-control-allow-headers",
            "access-control-expose-headers",
            "access-control-max-age",
            "access-control-allow-private-network",
            "connection",
            "Keep-Alive",
            "proxy-authenticate",
            "proxy-connection",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade",
        ] {
            assert!(!keeps_answer_header(name, 200), "{name}");
        }
    }

    #[test]
    fn the_answer_itself_comes_back() {
        for name in ["content-type", "content-length", "www-authenticate", "x-node", "cache-control", "Date"]
        {
            assert!(keeps_answer_header(name, 200), "{name}");
        }
    }

    #[test]
    fn the_gateway_is_named_after_the_node_s_own_via() {
        assert_eq!(via(None), "1.1 edge-tokens");
        assert_eq!(via(Some(" ")), "1.1 edge-tokens");
        assert_eq!(via(Some("1.1 nginx, 1.0 fred")), "1.1 nginx, 1.0 fred, 1.1 edge-tokens");
        assert!(
            keeps_answer_header("Via", 200) && keeps_answer_header("via", 101),
            "the node's entries come back"
        );
    }

    fn pairs(headers: &[(&str, &str)]) -> Vec<(String, String)> {
        headers.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
    }

    #[test]
    fn the_caller_gets_the_nodes_headers_with_one_via_and_the_services_cors() {
        let node = pairs(&[
            ("content-type", "application/json"),
            ("vary", "Accept-Encoding"),
            ("via", "1.1 nginx"),
            ("Via", "1.0 fred"),
            ("set-cookie", "session=1"),
            ("access-control-allow-origin", "https://node.example"),
        ]);
        let cors = [("access-control-allow-origin", "*".to_string()), ("vary", "Origin".to_string())];
        let mut got = answer_headers(200, node.clone(), &cors);
        got.sort();
        let expected = pairs(&[
            ("access-control-allow-origin", "*"),
            ("content-type", "application/json"),
            ("vary", "Origin"),
            ("via", "1.1 nginx, 1.0 fred, 1.1 edge-tokens"),
        ]);
        assert_eq!(got, expected, "a CORS header of the service's replaces the node's of the same name");
        let upgraded = answer_headers(101, pairs(&[("upgrade", "websocket")]), &cors);
        assert_eq!(
            upgraded,
            pairs(&[("upgrade", "websocket"), ("via", "1.1 edge-tokens")]),
            "no CORS on a 101"
        );
    }

    #[test]
    fn a_101_keeps_its_handshake_but_not_cookies_or_cors() {
        for name in [
            "connection",
            "Upgrade",
            "sec-websocket-accept",
            "sec-websocket-protocol",
            "sec-websocket-extensions",
        ] {
            assert!(keeps_answer_header(name, 101), "{name}");
        }
        for name in [
            "set-cookie",
            "access-control-allow-origin",
            "keep-alive",
            "transfer-encoding",
            "proxy-authenticate",
        ] {
            assert!(!keeps_answer_header(name, 101), "{name}");
        }
    }
}
