//! What clients observe: the API's wire types and how request bodies are
//! read into them, the limit types, the capability catalogue, the
//! currencies a node moves, error codes and refusal reasons, every bound,
//! the format of secrets, the API's routes, the node gateway's route table,
//! and the OpenAPI document derived from them.
//!
//! Nothing here knows how a request is served. These modules depend only on
//! each other (as `crate::contract::…`), `serde`, `schemars` and `sha2`, because
//! `build.rs` compiles them on their own to write the OpenAPI document at
//! build time: the Worker serves that file and carries no schema code.
//!
//! Where a change goes (a field, a route, a limit type, a condition, a
//! currency): `docs/architecture.md`.

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
