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

    /// What counts at `now_ms` of a window's `(slot, amount)` uses: the use
    /// of the slots a span of the period ending now may reach into.
    pub fn used(self, slots: impl Iterator<Item = (u64, u128)>, now_ms: u64) -> u128 {
        let first = self.first_counted(now_ms);
        slots.filter(|(slot, _)| *slot >= first).map(|(_, amount)| amount).fold(0, u128::saturating_add)
    }

    /// When some of what counts at `now_ms` stops counting (milliseconds
    /// since the epoch): the end of the span of the oldest slot in use.
    /// `None` when nothing counts.
    pub fn returns_at(self, slots: impl Iterator<Item = (u64, u128)>, now_ms: u64) -> Option<u64> {
        let first = self.first_counted(now_ms);
        let oldest =
            slots.filter(|(slot, amount)| *slot >= first && *amount > 0).map(|(slot, _)| slot).min()?;
        Some((oldest + SLOTS + 1).saturating_mul(self.slot_ms))
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

/// What one token's periodic counter used in one slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotUse {
    /// The token.
    pub token: String,
    /// Its periodic counter.
    pub counter: String,
    /// The slot.
    pub slot: u64,
    /// What was used in it.
    pub amount: u128,
}

/// The periodic use of a tree's tokens, slot by slot. A list, not a map:
/// a window keeps at most [`SLOTS`] + 1 slots and an event reads a few
/// windows, and a list costs the Worker less code.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Windows(pub Vec<SlotUse>);

impl Windows {
    /// What counts at `now_ms` of `token`'s periodic `counter` in `window`.
    pub fn used(&self, token: &str, counter: &str, window: Window, now_ms: u64) -> u128 {
        window.used(self.slots(token, counter), now_ms)
    }

    /// Adds `amount` at `now_ms` to `token`'s periodic `counter`, and
    /// forgets its slots that no longer count.
    pub fn add(&mut self, token: &str, counter: &str, window: Window, amount: u128, now_ms: u64) {
        let (first, slot) = (window.first_counted(now_ms), window.slot(now_ms));
        self.0.retain(|used| !(used.token == token && used.counter == counter && used.slot < first));
        let same = |used: &&mut SlotUse| used.token == token && used.counter == counter && used.slot == slot;
        match self.0.iter_mut().find(same) {
            Some(used) => used.amount = used.amount.saturating_add(amount),
            None => {
                self.0.push(SlotUse { token: token.to_string(), counter: counter.to_string(), slot, amount })
            }
        }
    }

    /// What `token`'s periodic `counter` used in `slot`.
    pub fn in_slot(&self, token: &str, counter: &str, slot: u64) -> u128 {
        self.slots(token, counter).filter(|(at, _)| *at == slot).map(|(_, amount)| amount).sum()
    }

    /// Each periodic counter of `token` at `now_ms`: what counts, and when
    /// capacity next returns (milliseconds since the epoch; `None` when
    /// nothing counts).
    pub fn of(&self, token: &str, now_ms: u64) -> Vec<(String, u128, Option<u64>)> {
        let mut counters: Vec<&str> = Vec::new();
        for used in self.0.iter().filter(|used| used.token == token) {
            if !counters.contains(&used.counter.as_str()) {
                counters.push(&used.counter);
            }
        }
        counters
            .into_iter()
            .filter_map(|counter| {
                let window = window_of(counter)?;
                let used = window.used(self.slots(token, counter), now_ms);
                Some((counter.to_string(), used, window.returns_at(self.slots(token, counter), now_ms)))
            })
            .collect()
    }

    /// The `(slot, amount)` uses of `token`'s periodic `counter`.
    fn slots<'w>(&'w self, token: &'w str, counter: &'w str) -> impl Iterator<Item = (u64, u128)> + 'w {
        self.0
            .iter()
            .filter(move |used| used.token == token && used.counter == counter)
            .map(|used| (used.slot, used.amount))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MINUTE: u64 = 60;
    const COUNTER: &str = "nodeGetInfo@60";

    /// One token's window of a minute.
    fn minute() -> (Windows, Window) {
        (Windows::default(), Window::of_secs(MINUTE))
    }

    #[test]
    fn a_minute_is_sixty_slots_of_a_second() {
        let (mut windows, window) = minute();
        assert_eq!((window.slot(59_999), window.slot(60_000)), (59, 60));
        windows.add("t", COUNTER, window, 2, 10_500);
        assert_eq!(windows.used("t", COUNTER, window, 10_500), 2);
        let returns_at = |now_ms| window.returns_at(windows.slots("t", COUNTER), now_ms);
        assert_eq!(returns_at(10_500), Some(71_000), "the end of slot 10's span, a second late at most");
        assert_eq!(
            windows.used("t", COUNTER, window, 70_999),
            2,
            "a span ending now may still reach into slot 10"
        );
        assert_eq!(windows.used("t", COUNTER, window, 71_000), 0);
        assert_eq!(returns_at(71_000), None);
    }

    #[test]
    fn old_slots_are_forgotten_as_new_uses_come() {
        let (mut windows, window) = minute();
        for second in 0..200 {
            windows.add("t", COUNTER, window, 1, second * 1000);
        }
        assert!(windows.0.len() <= SLOTS as usize + 1, "{} slots kept", windows.0.len());
        assert_eq!(windows.used("t", COUNTER, window, 199_000), 61);
        assert_eq!(windows.in_slot("t", COUNTER, 199), 1);
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
        let (mut windows, window) = minute();
        windows.add("p", COUNTER, window, 1, 1_000);
        windows.add("p", COUNTER, window, 1, 2_500);
        windows.add("c", COUNTER, window, 1, 2_500);
        windows.add("p", "nodeGetInfo@120", Window::of_secs(120), 5, 2_500);
        assert_eq!(windows.used("p", COUNTER, window, 2_500), 2);
        assert_eq!(
            windows.of("p", 2_500),
            [(COUNTER.to_string(), 2, Some(62_000)), ("nodeGetInfo@120".to_string(), 5, Some(124_000)),]
        );
        assert_eq!(windows.of("c", 62_000), [(COUNTER.to_string(), 1, Some(63_000))]);
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
            let (mut windows, window) = (Windows::default(), Window::of_secs(period));
            let mut granted = Vec::new();
            let mut now = 0;
            for gap in gaps {
                now += gap;
                if windows.used("t", COUNTER, window, now) < max {
                    windows.add("t", COUNTER, window, 1, now);
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
            let (mut windows, window) = minute();
            let mut granted: Vec<(u64, u128)> = Vec::new();
            let (mut second, mut now) = (0, 0);
            for (seconds_on, jitter, amount) in uses {
                second += seconds_on;
                // Just before, at or just after the boundary of a second.
                now = (second * 1000 + jitter).saturating_sub(2).max(now);
                if windows.used("t", COUNTER, window, now) + amount <= max {
                    windows.add("t", COUNTER, window, amount, now);
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
