//! What every operation works with: the deployment's settings ([`Config`])
//! and, while one request is served, the token store, the trees' budgets and
//! those settings together ([`Context`]).

use std::net::SocketAddr;

use super::{cors::AllowedOrigins, secret::AdminToken, store::TokenStore};

/// Deployment settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The `API_TOKEN` secret, if configured.
    pub admin_token: Option<AdminToken>,
    /// The `ALLOWED_ORIGINS` variable.
    pub allowed_origins: AllowedOrigins,
    /// True when the node gateway is on (`ORIGIN_URL` is set).
    pub gateway_enabled: bool,
    /// The node's own token (`ORIGIN_TOKEN`), sent with every call of a
    /// route that needs a capability.
    pub origin_token: Option<String>,
    /// Where the node lets a session listen when the request does not say
    /// (the node's `defaultSessionListenHost`; `ORIGIN_SESSION_LISTEN_HOST`).
    pub session_listen_default: SocketAddr,
}

/// What an operation works with while it serves one request.
#[derive(Debug)]
pub struct Context<'a, K, B> {
    /// The tokens, laid out in the key-value store.
    pub tokens: TokenStore<'a, K>,
    /// The budgets of the delegation trees.
    pub budgets: &'a B,
    /// The settings.
    pub config: &'a Config,
}
