//! What a delegation tree's Durable Object decides, free of any runtime:
//! its counters, revocations and rotations ([`budgets`]), the sliding
//! windows of its periodic limits ([`window`]), the clean-up of its
//! deleted subtrees from storage ([`cleanup`]), and its audit trail
//! ([`events`]). The Worker's `TokenTree` and the tests' in-memory budgets
//! run this same code.

pub mod budgets;
pub mod cleanup;
pub mod events;
pub mod window;
