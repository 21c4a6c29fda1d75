//! What a node route's request carries that a limit's conditions are about
//! (an amount it moves, a target it aims at, where a session listens), and
//! where in the request it is. Each route of [`crate::contract::node_routes`]
//! names its arguments; each limit type of [`crate::contract::limits`] says
//! which arguments it applies to.

use crate::contract::currency::Currency;

/// What a route's request carries that a limit's conditions are about, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arguments {
    /// Nothing a condition is about.
    None,
    /// A withdrawal: body `amount` (xDai or wxHOPR) and `address`.
    Withdraw,
    /// A channel opened: body `destination` and `amount` (wxHOPR).
    OpenChannel,
    /// Stake added: the counterparty in the path `{address}`, body `amount` (wxHOPR).
    FundChannel,
    /// Stake added to a channel named by its id (`/api/v3`): body `amount`;
    /// its counterparty cannot be read from the request.
    FundChannelById,
    /// A channel named by its counterparty in the path `{address}`.
    Channel,
    /// A peer named in the path (`{address}`; in `/api/v3` also a peer id).
    Peer,
    /// Tickets redeemed: body `address` (one channel's counterparty), or
    /// every channel without it.
    RedeemTickets,
    /// Every channel's tickets redeemed, whatever the body says (`/api/v3`,
    /// whose node ignores `address`): no target can be held to a condition.
    RedeemAllTickets,
    /// A session: body `destination` and `listenHost`, where it listens.
    Session,
    /// A target the request names in a way the gateway cannot check (a
    /// `/api/v3` channel id).
    UnreadableTarget,
}

impl Arguments {
    /// True when the route moves funds, so a budget of an amount applies.
    pub fn moves_funds(self) -> bool {
        matches!(
            self,
            Arguments::Withdraw
                | Arguments::OpenChannel
                | Arguments::FundChannel
                | Arguments::FundChannelById
        )
    }

    /// True when the route aims at a target, so a condition on targets applies.
    pub fn has_target(self) -> bool {
        !matches!(self, Arguments::None)
    }

    /// True when the route opens a listener, so a condition on where applies.
    pub fn listens(self) -> bool {
        matches!(self, Arguments::Session)
    }

    /// The currencies the route moves: a withdrawal either, a channel only
    /// the HOPR token.
    pub fn currencies(self) -> &'static [Currency] {
        match self {
            Arguments::Withdraw => &Currency::ALL,
            Arguments::OpenChannel | Arguments::FundChannel | Arguments::FundChannelById => {
                &[Currency::WxHopr]
            }
            _ => &[],
        }
    }
}
