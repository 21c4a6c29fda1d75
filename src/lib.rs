//! edge-tokens: capability tokens for the HOPR node REST API v3, at the edge.
//!
//! The crate has a pure core, which knows nothing of the runtime it runs in,
//! and adapters behind cargo features:
//!
//! - the core: the token model ([`model`]), the capability catalogue
//!   ([`catalogue`]), validation ([`validate`]), delegation ([`delegate`]),
//!   secrets ([`secret`]), credentials ([`credential`]), errors ([`error`]),
//!   routes, CORS, the OpenAPI document, and the [`service`] that answers a
//!   request over any [`store::KeyValue`] and [`store::CallCounter`];
//! - `server`: the Cloudflare Worker, on Workers KV and a Durable Object per
//!   limited token;
//! - `client`: the wasm-bindgen `TokensClient`, published as the npm package
//!   `edge-tokens`.
//!
//! Every adapter does the same thing: build a [`service::Service`] over its
//! storage, turn the runtime's request into a [`service::ApiRequest`], and
//! send back the [`service::ApiResponse`] of [`service::Service::handle`].
#![deny(missing_docs)]

pub mod catalogue;
pub mod cors;
pub mod credential;
pub mod delegate;
pub mod error;
pub mod gateway;
pub mod model;
pub mod openapi;
pub mod route;
pub mod secret;
pub mod service;
pub mod store;
pub mod usage;
pub mod validate;

#[cfg(feature = "server")]
mod server;

#[cfg(feature = "client")]
pub mod client;

#[cfg(test)]
mod memory;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod service_tests;
