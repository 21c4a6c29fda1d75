//! Which headers the gateway lets through, in each direction.

/// Request headers the node never sees: the caller's credentials, and what
/// belongs to the hop between the caller and this Worker.
const DROPPED_HEADERS: &[&str] = &[
    "authorization",
    "x-auth-token",
    "cookie",
    "host",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
];

/// True when a request header `name` (lower case) may be forwarded to the node.
pub fn forwards_request_header(name: &str) -> bool {
    !DROPPED_HEADERS.contains(&name) && !name.starts_with("cf-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_hop_headers_stay_behind() {
        for name in
            ["authorization", "x-auth-token", "cookie", "host", "cf-connecting-ip", "transfer-encoding"]
        {
            assert!(!forwards_request_header(name), "{name}");
        }
        for name in ["content-type", "accept", "sec-websocket-key"] {
            assert!(forwards_request_header(name), "{name}");
        }
    }
}
