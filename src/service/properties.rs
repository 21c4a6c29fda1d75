//! Property tests of the core: for random inputs, delegation never hands
//! down more than the creator holds, validation never panics and answers
//! only with its documented errors, and secrets survive their format while
//! any changed character is caught.

use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::contract::{
    catalogue::CAPABILITIES,
    error::ErrorCode,
    secret::{is_well_formed, SECRET_LEN},
};

use super::{
    delegate::{self, Creator},
    records::{Grant, TokenRecord},
    secret,
    validate::{self, NewToken},
};

fn endpoint() -> impl Strategy<Value = String> {
    prop::sample::select(CAPABILITIES.as_slice()).prop_map(str::to_string)
}

fn grants() -> impl Strategy<Value = Vec<Grant>> {
    prop::collection::btree_map(endpoint(), prop::option::of(1u64..100), 1..8).prop_map(|map| {
        map.into_iter()
            .map(|(endpoint, max_calls)| Grant { endpoint, max_calls, ..Grant::default() })
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
