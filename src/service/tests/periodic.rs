//! Periodic limits, tried as an attacker would: no span of the period ever
//! holds more than `max`, whoever in the tree calls and at whatever moments
//! within the window's slots; capacity comes back as the window slides, at
//! most a slot late; a child never drops, widens or shortens one; and the
//! use shown is the current span's, with when capacity returns.

use serde_json::{json, Value};

use super::*;

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const PEER: &str = "0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe";

/// A `calls` limit of `max` in any span of `period` seconds.
fn calls_per(max: u64, period: u64) -> Value {
    json!({"type": "calls", "conditions": {"max": max, "period": period}})
}

/// A `spend` limit of `max` in any span of `period` seconds.
fn spend_per(max: &str, period: u64) -> Value {
    json!({"type": "spend", "conditions": {"max": max, "period": period}})
}

fn spend(max: &str) -> Value {
    json!({"type": "spend", "conditions": {"max": max}})
}

fn calls(max: u64) -> Value {
    json!({"type": "calls", "conditions": {"max": max}})
}

/// A token holding `capability`, reading itself and creating others.
fn holder(harness: &Harness, creator: &str, capability: Value) -> String {
    let body =
        json!({"capabilities": [capability, {"endpoint": "tokensGetToken"}, {"endpoint": "tokensCreate"}]});
    harness.issue(creator, body).0
}

fn info_at(harness: &Harness, token: &str, now_ms: u64) -> Got {
    harness.call_at("GET", "/api/v4/node/info", Some(token), None, now_ms)
}

fn withdraw_at(harness: &Harness, token: &str, amount: &str, now_ms: u64) -> Got {
    let body = json!({"amount": amount, "address": PEER});
    harness.call_at("POST", "/api/v4/account/withdraw", Some(token), Some(body), now_ms)
}

/// The limits of `token`'s first capability as `GET /token` shows them at `now_ms`.
fn limits_at(harness: &Harness, token: &str, now_ms: u64) -> Value {
    let shown = harness.get_at(token, now_ms);
    assert_eq!(shown.status(), 200, "{:?}", shown.body());
    shown.body()["capabilities"][0]["limits"].clone()
}

fn node_calls_to(harness: &Harness, path: &str) -> usize {
    harness.node_calls().iter().filter(|call| call.path == path).count()
}

#[test]
fn two_calls_a_minute_are_two_then_none_until_the_first_slides_out() {
    let harness = Harness::new();
    let bot = holder(&harness, ADMIN, json!({"endpoint": "nodeGetInfo", "limits": [calls_per(2, MINUTE)]}));
    let start = at(NOW);
    assert_eq!(info_at(&harness, &bot, start).status(), 200);
    assert_eq!(info_at(&harness, &bot, start + 10_000).status(), 200);
    let refused = info_at(&harness, &bot, start + 30_000);
    assert_refused(&refused, "limit_exhausted");
    assert_eq!(
        refused.body()["error"],
        "authorization failed: calls limit of nodeGetInfo used up (2 of 2 per 60 s)"
    );
    assert_refused(&info_at(&harness, &bot, start + 59_999), "limit_exhausted");
    let shown = limits_at(&harness, &bot, start + 59_999);
    assert_eq!(
        shown[0],
        json!({"type": "calls", "conditions": {"max": 2, "period": MINUTE}, "used": 2, "returns_at": NOW + 61}),
        "capacity returns with the end of the first call's slot, a second late at most"
    );
    let (_, id) = harness
        .issue(&bot, json!({"capabilities": [{"endpoint": "nodeGetInfo", "limits": [calls_per(1, HOUR)]}]}));
    let inspected =
        harness.call_at("GET", &format!("/api/v3/tokens/{id}"), Some(ADMIN), None, start + 59_999);
    assert_eq!(
        inspected.body()["capabilities"][0]["limits"][0],
        json!({"type": "calls", "conditions": {"max": 1, "period": HOUR}, "used": 0}),
        "inspected, a window without use"
    );
    let listed = harness.call_at("GET", "/api/v3/tokens", Some(&bot), None, start + 59_999).body();
    assert_eq!(listed["tokens"][0]["capabilities"][0]["limits"][0], shown[0], "listed as shown");
    assert_eq!(info_at(&harness, &bot, start + 61_000).status(), 200, "the first call slid out");
    assert_refused(&info_at(&harness, &bot, start + 62_000), "limit_exhausted");
    assert_eq!(node_calls_to(&harness, "/api/v4/node/info"), 3, "the node saw the admitted calls only");
    let later = limits_at(&harness, &bot, start + 10 * 60_000);
    assert_eq!(later[0]["used"], json!(0), "an old span is forgotten");
    assert!(later[0].get("returns_at").is_none(), "nothing to return: {later}");
}

#[test]
fn no_span_of_the_period_ever_holds_more_than_max_whatever_the_moments_about_the_slots() {
    let harness = Harness::new();
    let bot = holder(&harness, ADMIN, json!({"endpoint": "nodeGetInfo", "limits": [calls_per(2, MINUTE)]}));
    // Calls at the last millisecond of a slot, the first of the next and the
    // one after, every half second for two and a half minutes.
    let tries = (0..300u64).flat_map(|k| [k * 500 + 999, k * 500 + 1000, k * 500 + 1001]);
    let admitted: Vec<u64> =
        tries.filter(|offset| info_at(&harness, &bot, at(NOW) + offset).status() == 200).collect();
    assert_eq!(&admitted[..2], [999, 1000], "the end of one slot and the start of the next");
    for (i, start) in admitted.iter().enumerate() {
        let within = admitted[i..].iter().take_while(|t| **t < start + MINUTE * 1000).count();
        assert!(within <= 2, "{within} calls in the minute from {start} ms: {admitted:?}");
    }
    assert_eq!(admitted[2], 61_000, "capacity returned a slot after the exact minute, not before");
    assert!(admitted.len() >= 4, "and came back again: {admitted:?}");
}

#[test]
fn a_parent_and_its_children_share_one_spend_window() {
    let harness = Harness::new();
    let budget = json!({"endpoint": "accountWithdraw", "limits": [spend_per("1 xDai", MINUTE)]});
    let parent = holder(&harness, ADMIN, budget.clone());
    let children: Vec<String> = (0..3).map(|_| holder(&harness, &parent, budget.clone())).collect();
    let start = at(NOW);
    let spenders = [&parent].into_iter().chain(&children).cycle().take(8);
    let moved =
        spenders.filter(|token| withdraw_at(&harness, token, "0.3 xDai", start).status() == 200).count();
    assert_eq!(moved, 3, "0.9 of the tree's 1 xDai a minute");
    let refused = withdraw_at(&harness, &children[1], "0.2 xDai", start + 1_000);
    assert_refused(&refused, "condition_failed");
    assert_eq!(
        refused.body()["error"],
        "authorization failed: amount: moves more than is left of an ancestor's spend budget \
         (0.1 xDai of 1 xDai per 60 s left)"
    );
    assert_eq!(withdraw_at(&harness, &children[2], "0.1 xDai", start + 1_000).status(), 200);
    assert_eq!(limits_at(&harness, &parent, start + 2_000)[0]["used"], json!("1 xDai"));
    assert_refused(&withdraw_at(&harness, &parent, "1 wei xDai", start + 60_999), "condition_failed");
    assert_eq!(withdraw_at(&harness, &children[0], "0.6 xDai", start + 61_000).status(), 200, "0.9 slid out");
    assert_refused(&withdraw_at(&harness, &parent, "0.4 xDai", start + 61_000), "condition_failed");
    assert_eq!(node_calls_to(&harness, "/api/v4/account/withdraw"), 5);
    let shown = limits_at(&harness, &parent, start + 61_000);
    assert_eq!(
        shown[0],
        json!({"type": "spend", "conditions": {"max": "1 xDai", "period": MINUTE}, "used": "0.7 xDai", "returns_at": NOW + 62})
    );
}

#[test]
fn a_childs_longer_window_holds_after_its_parents_shorter_one_slid() {
    let harness = Harness::new();
    let parent =
        holder(&harness, ADMIN, json!({"endpoint": "nodeGetInfo", "limits": [calls_per(3, MINUTE)]}));
    let child = holder(&harness, &parent, json!({"endpoint": "nodeGetInfo", "limits": [calls_per(2, HOUR)]}));
    let start = at(NOW);
    assert_eq!(info_at(&harness, &child, start).status(), 200);
    assert_eq!(info_at(&harness, &child, start).status(), 200);
    assert_refused(&info_at(&harness, &child, start), "limit_exhausted");
    assert_eq!(info_at(&harness, &parent, start).status(), 200, "the third of the parent's minute");
    assert_refused(&info_at(&harness, &parent, start), "limit_exhausted");
    let minute_later = start + 61_000;
    assert_refused(&info_at(&harness, &child, minute_later), "limit_exhausted");
    let parent_calls = (0..4).filter(|_| info_at(&harness, &parent, minute_later).status() == 200).count();
    assert_eq!(parent_calls, 3, "the parent's minute slid, its child's hour did not");
    let child_limits = limits_at(&harness, &child, minute_later);
    assert_eq!(child_limits[0]["used"], json!(2));
    assert_eq!(
        child_limits[0]["returns_at"],
        json!(NOW + HOUR + MINUTE),
        "an hour's slots are a minute wide"
    );
    assert_eq!(info_at(&harness, &child, start + (HOUR + MINUTE) * 1000).status(), 200);
}

#[test]
fn a_lifetime_and_a_periodic_limit_of_a_type_both_hold() {
    let harness = Harness::new();
    let bot = holder(
        &harness,
        ADMIN,
        json!({"endpoint": "nodeGetInfo", "limits": [calls(3), calls_per(2, MINUTE)]}),
    );
    let start = at(NOW);
    let first = [start, start, start].map(|now| info_at(&harness, &bot, now).status());
    assert_eq!(first, [200, 200, 403]);
    assert_eq!(info_at(&harness, &bot, start + 61_000).status(), 200);
    let refused = info_at(&harness, &bot, start + 61_000);
    assert_eq!(refused.body()["error"], "authorization failed: calls limit of nodeGetInfo used up (3 of 3)");
    assert_refused(&info_at(&harness, &bot, start + 600_000), "limit_exhausted");
    let shown = limits_at(&harness, &bot, start + 600_000);
    assert_eq!(shown[0], json!({"type": "calls", "conditions": {"max": 3}, "used": 3}));
    assert_eq!(shown[1], json!({"type": "calls", "conditions": {"max": 2, "period": MINUTE}, "used": 0}));
}

#[test]
fn a_child_may_not_drop_widen_or_shorten_a_periodic_limit_nor_move_what_its_parent_may_not() {
    let harness = Harness::new();
    let parent = harness
        .issue(
            ADMIN,
            json!({"capabilities": [
                {"endpoint": "nodeGetInfo", "limits": [calls_per(10, HOUR)]},
                {"endpoint": "accountWithdraw", "limits": [spend("1 xDai"), spend_per("0.5 xDai", HOUR)]},
                {"endpoint": "tokensCreate"}]}),
        )
        .0;
    let child = |endpoint: &str, limits: Value| {
        harness.create(&parent, json!({"capabilities": [{"endpoint": endpoint, "limits": limits}]}))
    };
    let refused = [
        ("nodeGetInfo", json!([]), "no limit"),
        ("nodeGetInfo", json!([calls(10)]), "a lifetime limit instead"),
        ("nodeGetInfo", json!([calls_per(11, HOUR)]), "a bigger max"),
        ("nodeGetInfo", json!([calls_per(10, MINUTE)]), "a shorter period"),
        ("nodeGetInfo", json!([calls_per(1, HOUR - 1)]), "fewer in a shorter period"),
        ("accountWithdraw", json!([spend("1 xDai")]), "the periodic spend dropped"),
        ("accountWithdraw", json!([spend_per("0.5 xDai", HOUR)]), "the lifetime spend dropped"),
        ("accountWithdraw", json!([spend("1 xDai"), spend_per("0.6 xDai", HOUR)]), "more per period"),
        ("accountWithdraw", json!([spend("1 xDai"), spend_per("0.5 xDai", MINUTE)]), "a shorter period"),
        (
            "accountWithdraw",
            json!([spend("1 xDai"), spend_per("0.5 xDai", HOUR), spend_per("1 wxHOPR", HOUR)]),
            "a currency the parent may not move",
        ),
    ];
    for (endpoint, limits, what) in refused {
        let answer = child(endpoint, limits);
        assert_refused(&answer, "capabilities_not_allowed");
        assert_eq!(answer.body()["error"], "requested token capabilities not allowed", "{what}");
    }
    let allowed = [
        ("nodeGetInfo", json!([calls_per(10, HOUR)]), "the same"),
        ("nodeGetInfo", json!([calls_per(5, 24 * HOUR)]), "fewer in a longer period"),
        ("nodeGetInfo", json!([calls(100), calls_per(10, HOUR)]), "and a lifetime limit beside it"),
        ("accountWithdraw", json!([spend_per("0.1 xDai", 24 * HOUR), spend("1 xDai")]), "narrower"),
    ];
    for (endpoint, limits, what) in allowed {
        assert_eq!(child(endpoint, limits).status(), 201, "{what}");
    }
}

#[test]
fn a_capability_takes_one_periodic_limit_of_a_type_and_a_period_in_its_range() {
    let harness = Harness::new();
    let create = |endpoint: &str, limits: Value| {
        harness.create(ADMIN, json!({"capabilities": [{"endpoint": endpoint, "limits": limits}]}))
    };
    let refused = [
        (
            "nodeGetInfo",
            json!([calls_per(1, 60), calls_per(2, 120)]),
            "INVALID_TOKEN_CAPABILITIES",
            "capabilities[0].limits[1]: duplicate periodic 'calls' limit",
        ),
        (
            "accountWithdraw",
            json!([spend_per("1 xDai", 60), spend_per("2 xDai", 120)]),
            "INVALID_TOKEN_CAPABILITIES",
            "capabilities[0].limits[1]: duplicate periodic 'spend' limit in xDai",
        ),
        (
            "nodeGetInfo",
            json!([calls_per(1, 59)]),
            "INVALID_INPUT",
            "capabilities[0].limits[0].conditions.period must be an integer from 60 to 31536000 (seconds)",
        ),
        (
            "nodeGetInfo",
            json!([calls_per(1, 31_536_001)]),
            "INVALID_INPUT",
            "capabilities[0].limits[0].conditions.period must be an integer from 60 to 31536000 (seconds)",
        ),
        (
            "nodeGetInfo",
            json!([{"type": "calls", "conditions": {"max": 1, "period": 90.5}}]),
            "INVALID_INPUT",
            "capabilities[0].limits[0].conditions.period must be an integer from 60 to 31536000 (seconds)",
        ),
        ("targetsOnly", json!([]), "INVALID_TOKEN_CAPABILITIES", "unknown endpoint"),
    ];
    for (endpoint, limits, status, error) in refused {
        let answer = create(endpoint, limits);
        assert_eq!(answer.status(), 400, "{:?}", answer.body());
        assert_eq!(answer.body()["status"], status, "{:?}", answer.body());
        assert!(answer.body()["error"].as_str().unwrap().contains(error), "{:?}", answer.body());
    }
    let most = json!([calls(5), calls_per(1, 60), spend("1 xDai"), spend_per("1 xDai", 60),
        spend("1 wxHOPR"), spend_per("1 wxHOPR", 31_536_000),
        {"type": "targets", "conditions": {"allow": [PEER]}}]);
    assert_eq!(create("accountWithdraw", most).status(), 201, "one of each, for life and per period");
}
