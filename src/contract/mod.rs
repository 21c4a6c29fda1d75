//! What clients observe: the API's wire types, the capability catalogue,
//! the currencies a node moves, error codes and refusal reasons, every bound, the API's routes, the node
//! gateway's route table, and the OpenAPI document derived from them.
//!
//! Nothing here knows how a request is served. These modules depend only on
//! each other (as `crate::contract::…`), `serde` and `schemars`, because
//! `build.rs` compiles them on their own to write the OpenAPI document at
//! build time: the Worker serves that file and carries no schema code.
//!
//! Where a change goes: a wire field on its type in [`model`]; a route in
//! [`routes`] (and its handler in `service::tokens`); a bound in [`bounds`];
//! an error or refusal reason in [`error`]; a node route in
//! [`node_routes`]; a capability name in [`catalogue`].

pub mod arguments;
pub mod bounds;
pub mod catalogue;
pub mod currency;
pub mod error;
pub mod limits;
pub mod model;
pub mod node_routes;
pub mod openapi;
pub mod read;
pub mod routes;
pub mod schema;
pub mod secret;
