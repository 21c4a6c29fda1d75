//! What tokens did, as operators read it: the audit trail's side of a
//! request ([`audit`]: whether it leaves an event, and which) and when each
//! token was last used ([`last_use`]). Where events are kept and paged is the
//! tree's ([`crate::service::tree::events`]); the route that reads them is
//! the token API's ([`crate::service::tokens`]).

pub mod audit;
pub mod last_use;
