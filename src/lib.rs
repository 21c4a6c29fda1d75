//! edge-tokens: capability tokens for the HOPR node REST API v3, at the edge.
//!
//! The crate is layered, and each layer depends only on the ones above it:
//!
//! ```text
//! contract/  what clients observe: wire types, capability catalogue, error
//!            codes and refusal reasons, bounds, routes, node routes, and the
//!            OpenAPI document derived from them (written by build.rs)
//!    ↑
//! service/   the behaviour, with no runtime: routing, authentication,
//!            validation, delegation, secrets, counters, the gateway's rules,
//!            and the storage and node traits it runs over
//!    ↑
//! server/    the Cloudflare Worker adapter (feature `server`): Workers KV,
//!            Durable Objects, the rate limiter, forwarding with fetch
//! client/    the wasm-bindgen client adapter (feature `client`), published
//!            as the npm package `edge-tokens`
//! ```
//!
//! An adapter builds a [`service::Service`] over its storage, fills a
//! [`service::http::ApiRequest`], and carries out the
//! [`service::Answer`] of [`service::Service::handle`].
#![deny(missing_docs)]

pub mod contract;
pub mod service;

#[cfg(feature = "server")]
mod server;

#[cfg(feature = "client")]
pub mod client;
