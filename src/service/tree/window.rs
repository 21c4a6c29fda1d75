//! Sliding windows for periodic limits: at most `max` in any span of
//! `period`, counted in slots, and each token's windows in a tree
//! ([`Windows`]).
//!
//! A window of `period` milliseconds is [`SLOTS`] slots of
//! `ceil(period / SLOTS)` ms. A use is added to the slot of the moment it
//! happens. What counts at `now` is every slot that a span of `period`
//! ending at `now` may reach into: the current slot and the [`SLOTS`]
//! before it. So a span never holds more than the window counts, whatever
//! the moments within the slots: capacity returns at most one slot later
//! than an exact window would give it back, never earlier.
//!
//! A periodic limit's counter is its base (an endpoint's calls, or what it
//! moves in a currency) and its period: `nodeGetInfo@3600`,
//! `accountWithdraw:wxHOPR@86400`; so a token's windows of different
//! periods on one base are apart, and the period is read from the counter.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Slots per window: capacity returns at most a sixtieth of the period late.
pub const SLOTS: u64 = 60;

/// What separates a periodic counter's base from its period.
const PERIOD_MARK: char = '@';

/// One periodic window's geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    slot_ms: u64,
}

/// A window's use: slot index → amount.
pub type Slots = BTreeMap<u64, u128>;

impl Window {
    /// The window of a period of `period_secs` seconds.
    pub fn of_secs(period_secs: u64) -> Window {
        Window { slot_ms: period_secs.saturating_mul(1000).div_ceil(SLOTS).max(1) }
    }

    /// The slot `now_ms` falls in.
    pub fn slot(self, now_ms: u64) -> u64 {
        now_ms / self.slot_ms
    }

    /// The oldest slot that still counts at `now_ms`.
    pub fn first_counted(self, now_ms: u64) -> u64 {
        self.slot(now_ms).saturating_sub(SLOTS)
    }

    /// What counts at `now_ms`: the use of the slots a span of the period
    /// ending now may reach into.
    pub fn used(self, slots: &Slots, now_ms: u64) -> u128 {
        slots.range(self.first_counted(now_ms)..).map(|(_, amount)| *amount).fold(0, u128::saturating_add)
    }

    /// When some of what counts at `now_ms` stops counting (milliseconds
    /// since the epoch): the end of the span of the oldest slot in use.
    /// `None` when nothing counts.
    pub fn returns_at(self, slots: &Slots, now_ms: u64) -> Option<u64> {
        let (oldest, _) = slots.range(self.first_counted(now_ms)..).find(|(_, amount)| **amount > 0)?;
        Some((oldest + SLOTS + 1).saturating_mul(self.slot_ms))
    }

    /// Adds `amount` at `now_ms` and forgets the slots that no longer count.
    pub fn add(self, slots: &mut Slots, amount: u128, now_ms: u64) {
        let first = self.first_counted(now_ms);
        slots.retain(|slot, _| *slot >= first);
        let slot = slots.entry(self.slot(now_ms)).or_insert(0);
        *slot = slot.saturating_add(amount);
    }
}

/// The counter of a periodic limit of `period_secs` on `base`.
pub fn periodic_counter(base: &str, period_secs: u64) -> String {
    format!("{base}{PERIOD_MARK}{period_secs}")
}

/// The period of a periodic counter, in seconds; `None` for a lifetime one.
pub fn period_of(counter: &str) -> Option<u64> {
    let (_, period) = counter.rsplit_once(PERIOD_MARK)?;
    period.parse().ok()
}

/// The window of a periodic counter; `None` for a lifetime one.
pub fn window_of(counter: &str) -> Option<Window> {
    period_of(counter).map(Window::of_secs)
}

/// A counter without its period: what it counts.
pub fn base_of(counter: &str) -> &str {
    counter.rsplit_once(PERIOD_MARK).map_or(counter, |(base, _)| base)
}

/// The periodic use of a tree's tokens: token → periodic counter → slots.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Windows(pub BTreeMap<String, BTreeMap<String, Slots>>);

impl Windows {
    /// What counts at `now_ms` of `token`'s periodic `counter` in `window`.
    pub fn used(&self, token: &str, counter: &str, window: Window, now_ms: u64) -> u128 {
        self.slots(token, counter).map_or(0, |slots| window.used(slots, now_ms))
    }

    /// Adds `amount` at `now_ms` to `token`'s periodic `counter`.
    pub fn add(&mut self, token: &str, counter: &str, window: Window, amount: u128, now_ms: u64) {
        let slots = self.0.entry(token.to_string()).or_default().entry(counter.to_string()).or_default();
        window.add(slots, amount, now_ms);
    }

    /// Sets what `token`'s periodic `counter` holds in `slot`, as stored.
    pub fn insert(&mut self, token: String, counter: String, slot: u64, amount: u128) {
        self.0.entry(token).or_default().entry(counter).or_default().insert(slot, amount);
    }

    /// The slots of `token`'s periodic `counter`, if it has any.
    pub fn slots(&self, token: &str, counter: &str) -> Option<&Slots> {
        self.0.get(token).and_then(|counters| counters.get(counter))
    }

    /// Each periodic counter of `token` at `now_ms`: what counts, and when
    /// capacity next returns (milliseconds since the epoch; `None` when
    /// nothing counts).
    pub fn of(&self, token: &str, now_ms: u64) -> Vec<(String, u128, Option<u64>)> {
        let counters = self.0.get(token).into_iter().flatten();
        counters
            .filter_map(|(counter, slots)| {
                let window = window_of(counter)?;
                Some((counter.clone(), window.used(slots, now_ms), window.returns_at(slots, now_ms)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MINUTE: u64 = 60;

    #[test]
    fn a_minute_is_sixty_slots_of_a_second() {
        let window = Window::of_secs(MINUTE);
        assert_eq!((window.slot(59_999), window.slot(60_000)), (59, 60));
        let mut slots = Slots::new();
        window.add(&mut slots, 2, 10_500);
        assert_eq!(window.used(&slots, 10_500), 2);
        assert_eq!(
            window.returns_at(&slots, 10_500),
            Some(71_000),
            "the end of slot 10's span, a second late at most"
        );
        assert_eq!(window.used(&slots, 70_999), 2, "a span ending now may still reach into slot 10");
        assert_eq!(window.used(&slots, 71_000), 0);
        assert_eq!(window.returns_at(&slots, 71_000), None);
    }

    #[test]
    fn old_slots_are_forgotten_as_new_uses_come() {
        let window = Window::of_secs(MINUTE);
        let mut slots = Slots::new();
        for second in 0..200 {
            window.add(&mut slots, 1, second * 1000);
        }
        assert!(slots.len() <= SLOTS as usize + 1, "{} slots kept", slots.len());
        assert_eq!(window.used(&slots, 199_000), 61);
    }

    #[test]
    fn a_year_has_slots_too() {
        let window = Window::of_secs(31_536_000);
        assert_eq!(window.slot_ms, 525_600_000);
    }

    #[test]
    fn a_counter_names_its_period_and_a_lifetime_counter_none() {
        let counter = periodic_counter("accountWithdraw:wxHOPR", 86_400);
        assert_eq!(counter, "accountWithdraw:wxHOPR@86400");
        assert_eq!(window_of(&counter), Some(Window::of_secs(86_400)));
        assert_eq!(base_of(&counter), "accountWithdraw:wxHOPR");
        assert_eq!((window_of("nodeGetInfo"), base_of("nodeGetInfo")), (None, "nodeGetInfo"));
    }

    #[test]
    fn each_token_and_counter_has_its_own_window() {
        let (window, counter) = (Window::of_secs(MINUTE), periodic_counter("nodeGetInfo", MINUTE));
        let mut windows = Windows::default();
        windows.add("p", &counter, window, 1, 1_000);
        windows.add("p", &counter, window, 1, 2_500);
        windows.add("c", &counter, window, 1, 2_500);
        assert_eq!(windows.used("p", &counter, window, 2_500), 2);
        assert_eq!(windows.used("p", "nodeGetInfo@120", Window::of_secs(120), 2_500), 0);
        assert_eq!(windows.of("p", 2_500), [(counter.clone(), 2, Some(62_000))]);
        assert_eq!(windows.of("c", 62_000), [(counter, 1, Some(63_000))]);
    }

    proptest! {
        /// Charges granted while the window says there is room never put
        /// more than `max` into any span of the period, at any moments.
        #[test]
        fn no_span_of_the_period_ever_holds_more_than_max(
            period in 60u64..4000,
            max in 1u128..6,
            gaps in proptest::collection::vec(0u64..3_000_000, 1..60),
        ) {
            let window = Window::of_secs(period);
            let mut slots = Slots::new();
            let mut granted = Vec::new();
            let mut now = 0;
            for gap in gaps {
                now += gap;
                if window.used(&slots, now) < max {
                    window.add(&mut slots, 1, now);
                    granted.push(now);
                }
            }
            let span = period * 1000;
            for (i, start) in granted.iter().enumerate() {
                let within = granted[i..].iter().take_while(|at| **at < start + span).count() as u128;
                prop_assert!(within <= max, "{within} uses within {span} ms of {start}");
            }
        }

        /// The same for amounts, at moments crowded about the slots'
        /// boundaries of a minute's window, where a span straddles two slots.
        #[test]
        fn no_span_ever_holds_more_than_max_of_amounts_moved_about_slot_boundaries(
            max in 1u128..20,
            uses in proptest::collection::vec((0u64..3, 0u64..4, 1u128..8), 1..200),
        ) {
            let window = Window::of_secs(MINUTE);
            let mut slots = Slots::new();
            let mut granted: Vec<(u64, u128)> = Vec::new();
            let (mut second, mut now) = (0, 0);
            for (seconds_on, jitter, amount) in uses {
                second += seconds_on;
                // Just before, at or just after the boundary of a second.
                now = (second * 1000 + jitter).saturating_sub(2).max(now);
                if window.used(&slots, now) + amount <= max {
                    window.add(&mut slots, amount, now);
                    granted.push((now, amount));
                }
            }
            for (i, (start, _)) in granted.iter().enumerate() {
                let within: u128 =
                    granted[i..].iter().take_while(|(at, _)| *at < start + MINUTE * 1000).map(|(_, n)| n).sum();
                prop_assert!(within <= max, "{within} moved within a minute of {start}");
            }
        }
    }
}
