//! The limit types a capability may carry, each defined once
//! ([`LimitType`]): its wire name, its conditions and what each holds, which
//! capabilities may carry it, how many of it one capability may carry, and
//! its conditions as the document's rules state them. Then the wire shapes
//! of limits: as a create request gives them ([`RequestedLimit`]) and as the
//! API shows them ([`Limit`]).
//!
//! The rest follows from here: the request reader and its messages
//! ([`crate::contract::read`]), the document's rules of which limits a
//! capability takes ([`crate::contract::model`]), the facts of
//! `GET /api/v3/gateway` ([`crate::contract::node_routes`]). The console's
//! copy of the names (`www/conditions.js`) is held to them by a test below.
//!
//! A new limit type is a variant of [`LimitType`] with an arm in each of its
//! matches, and a variant of each wire shape; a new condition of a type is a
//! field of its conditions and an entry of [`LimitType::conditions`]. What it
//! does (validation, storage, delegation, enforcement) is the service's.

use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::contract::{
    arguments::Arguments,
    bounds::{MAX_ALLOWED, MAX_AMOUNT_CHARS, MAX_CALLS, MAX_PERIOD_SECS, MIN_PERIOD_SECS},
    currency::Currency,
    schema::{
        allow_list, amount_pattern, any_amount_pattern, close_variants, ends_in, ADDRESS_PATTERN,
        LISTEN_PATTERN, SCHEMAS,
    },
};

/// A type of limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LimitType {
    /// A number of authorized calls.
    Calls,
    /// An amount of one currency moved.
    Spend,
    /// The target addresses a call may aim at.
    Targets,
    /// Where a session may listen.
    Listen,
}

/// One field of a limit's conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Condition {
    /// Its name in `conditions`.
    pub name: &'static str,
    /// What it holds.
    pub shape: Shape,
    /// True when a limit of the type must have it.
    pub required: bool,
}

/// The name of the condition that makes a limit periodic.
pub const PERIOD: &str = "period";

/// What a condition holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A whole number.
    Count,
    /// A period: a whole number of seconds from [`MIN_PERIOD_SECS`] to
    /// [`MAX_PERIOD_SECS`].
    Period,
    /// An amount of a currency, written as the node writes amounts.
    Amount,
    /// A list of entries.
    List(Entries),
}

/// A condition's value, read in its shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConditionValue {
    /// A whole number.
    Count(u64),
    /// Text: an amount.
    Text(String),
    /// A list of text entries.
    List(Vec<String>),
}

/// What the entries of a list condition are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entries {
    /// On-chain addresses.
    Addresses,
    /// Listen addresses with a port or a port range.
    ListenRanges,
}

/// Which capabilities may carry a limit of a type.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    /// Every capability.
    Every,
    /// A capability with a route whose arguments `apply`; of any other,
    /// `otherwise` says why not ("moves no funds").
    Routes {
        /// True for the arguments the type is about.
        apply: fn(Arguments) -> bool,
        /// Why a capability without such a route cannot carry it.
        otherwise: &'static str,
    },
}

impl LimitType {
    /// Every type, in the order the document and the gateway's table list them.
    pub const ALL: [LimitType; 4] =
        [LimitType::Calls, LimitType::Spend, LimitType::Targets, LimitType::Listen];

    /// The name on the wire: a limit's `type`.
    pub fn name(self) -> &'static str {
        match self {
            LimitType::Calls => "calls",
            LimitType::Spend => "spend",
            LimitType::Targets => "targets",
            LimitType::Listen => "listen",
        }
    }

    /// The type called `name` on the wire.
    pub fn named(name: &str) -> Option<LimitType> {
        LimitType::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The fields of its conditions.
    pub fn conditions(self) -> &'static [Condition] {
        const PERIODIC: Condition = Condition { name: PERIOD, shape: Shape::Period, required: false };
        match self {
            LimitType::Calls => &[Condition { name: "max", shape: Shape::Count, required: true }, PERIODIC],
            LimitType::Spend => &[Condition { name: "max", shape: Shape::Amount, required: true }, PERIODIC],
            LimitType::Targets => {
                &[Condition { name: "allow", shape: Shape::List(Entries::Addresses), required: true }]
            }
            LimitType::Listen => {
                &[Condition { name: "allow", shape: Shape::List(Entries::ListenRanges), required: true }]
            }
        }
    }

    /// True when its limits may be periodic (carry a [`PERIOD`]): then a
    /// capability may carry one for its lifetime and one per period.
    pub fn periodic(self) -> bool {
        self.conditions().iter().any(|condition| condition.shape == Shape::Period)
    }

    /// Which capabilities may carry it: by what their routes' arguments are about.
    pub fn scope(self) -> Scope {
        match self {
            LimitType::Calls => Scope::Every,
            LimitType::Spend => Scope::Routes { apply: Arguments::moves_funds, otherwise: "moves no funds" },
            LimitType::Targets => {
                Scope::Routes { apply: Arguments::has_target, otherwise: "names no target address" }
            }
            LimitType::Listen => Scope::Routes { apply: Arguments::listens, otherwise: "opens no listener" },
        }
    }

    /// True when a capability may carry one of it per currency, not just one.
    pub fn one_per_currency(self) -> bool {
        matches!(self, LimitType::Spend)
    }

    /// Its conditions, as the document's rules for a capability whose
    /// routes move `currencies` state them.
    pub fn conditions_schema(self, currencies: &[Currency]) -> Value {
        match self {
            LimitType::Calls => json!({ "$ref": format!("{SCHEMAS}{}", CallsConditions::schema_name()) }),
            LimitType::Spend => amount_condition(self, amount_pattern(currencies)),
            LimitType::Targets | LimitType::Listen => list_condition(self),
        }
    }

    /// The conditions of one of its limits in `currency`, for a type a
    /// capability carries once per currency.
    pub fn in_currency_schema(self, currency: Currency) -> Value {
        amount_condition(self, ends_in(currency))
    }

    /// Every type, as a refusal lists them: `'calls', 'spend', 'targets' or 'listen'`.
    pub fn listed() -> String {
        let names: Vec<String> = LimitType::ALL.iter().map(|kind| format!("'{}'", kind.name())).collect();
        match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

impl Entries {
    /// The pattern each entry matches.
    pub fn pattern(self) -> &'static str {
        match self {
            Entries::Addresses => ADDRESS_PATTERN,
            Entries::ListenRanges => LISTEN_PATTERN,
        }
    }
}

/// The conditions of `kind` as a schema whose amount matches `pattern`.
fn amount_condition(kind: LimitType, pattern: String) -> Value {
    let field = field_shaped(kind, |shape| shape == Shape::Amount);
    let mut properties =
        Map::from_iter([(field.to_string(), json!({ "type": "string", "pattern": pattern }))]);
    if kind.periodic() {
        properties.insert(PERIOD.to_string(), period_schema());
    }
    json!({ "type": "object", "required": [field], "properties": properties })
}

/// A period as the document's rules state it.
pub fn period_schema() -> Value {
    json!({ "type": "integer", "minimum": MIN_PERIOD_SECS, "maximum": MAX_PERIOD_SECS })
}

/// The conditions of `kind` as a schema of its list.
fn list_condition(kind: LimitType) -> Value {
    let mut list = None;
    for condition in kind.conditions() {
        if let Shape::List(entries) = condition.shape {
            list = Some(allow_list(condition.name, entries.pattern()));
        }
    }
    list.unwrap_or_else(|| json!({}))
}

fn field_shaped(kind: LimitType, wanted: impl Fn(Shape) -> bool) -> &'static str {
    kind.conditions().iter().find(|condition| wanted(condition.shape)).map_or("", |condition| condition.name)
}

/// Gives each list condition of a requested limit the pattern of its
/// entries: one conditions type serves `targets` and `listen`, and the
/// derive cannot tell them apart.
fn list_patterns(schema: &mut Schema) {
    let Some(Value::Array(variants)) = schema.get_mut("oneOf") else { return };
    for variant in variants {
        let kind = variant["properties"]["type"]["const"].as_str().and_then(LimitType::named);
        if let Some(kind) = kind.filter(|kind| matches!(field_shape(*kind), Some(Shape::List(_)))) {
            variant["properties"]["conditions"] = list_condition(kind);
        }
    }
}

fn field_shape(kind: LimitType) -> Option<Shape> {
    kind.conditions().first().map(|condition| condition.shape)
}

/// The conditions of a `calls` limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct CallsConditions {
    /// The most authorized calls of the endpoint, by the token and all its
    /// descendants together.
    #[schemars(range(min = 1, max = MAX_CALLS))]
    pub max: u64,
    /// When present, `max` bounds the calls in any span of this many
    /// seconds (a sliding window) instead of the token's whole life.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64", range(min = MIN_PERIOD_SECS, max = MAX_PERIOD_SECS))]
    pub period: Option<u64>,
}

/// The conditions of a `spend` limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct SpendConditions {
    /// The most of one currency that the token and its descendants together
    /// may move through the node, written as the node writes amounts:
    /// `"5 wxHOPR"`, `"0.5 xDai"`, `"1000 wei wxHOPR"`.
    #[schemars(length(max = MAX_AMOUNT_CHARS), regex(pattern = any_amount_pattern()))]
    pub max: String,
    /// When present, `max` bounds what is moved in any span of this many
    /// seconds (a sliding window) instead of the token's whole life.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64", range(min = MIN_PERIOD_SECS, max = MAX_PERIOD_SECS))]
    pub period: Option<u64>,
}

/// The conditions of a `targets` or `listen` limit: what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct AllowConditions {
    /// For `targets`, on-chain addresses (`0x` and 40 hex digits); for
    /// `listen`, listen addresses with a port or a port range
    /// (`127.0.0.1:10000-10100`, `[::1]:8080`).
    #[schemars(length(min = 1, max = MAX_ALLOWED))]
    pub allow: Vec<String>,
}

/// A limit as a create request gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[schemars(transform = list_patterns)]
pub enum RequestedLimit {
    /// At most `conditions.max` authorized calls, ever, or in any span of
    /// `conditions.period` seconds. A client-supplied `used` is ignored:
    /// never stored or echoed.
    Calls {
        /// The bound.
        conditions: CallsConditions,
    },
    /// At most `conditions.max` of one currency moved, ever, or in any span
    /// of `conditions.period` seconds (routes that move funds: withdraw,
    /// open channel, fund channel).
    Spend {
        /// The bound.
        conditions: SpendConditions,
    },
    /// Only these target addresses (withdraw recipient, channel counterparty,
    /// peer, session destination).
    Targets {
        /// The addresses.
        conditions: AllowConditions,
    },
    /// Sessions may listen only on these addresses and ports of the node's
    /// host (without it: loopback only).
    Listen {
        /// The addresses and port ranges.
        conditions: AllowConditions,
    },
}

impl RequestedLimit {
    /// The limit of type `kind` whose conditions have `values`, in the
    /// order and the shapes of [`LimitType::conditions`] (`None` for an
    /// optional condition not given); `None` when they do not fit.
    pub fn from_values(kind: LimitType, values: Vec<Option<ConditionValue>>) -> Option<RequestedLimit> {
        let mut values = values.into_iter();
        let mut next = || values.next().flatten();
        Some(match kind {
            LimitType::Calls => {
                let Some(ConditionValue::Count(max)) = next() else { return None };
                RequestedLimit::Calls { conditions: CallsConditions { max, period: period(next())? } }
            }
            LimitType::Spend => {
                let Some(ConditionValue::Text(max)) = next() else { return None };
                RequestedLimit::Spend { conditions: SpendConditions { max, period: period(next())? } }
            }
            LimitType::Targets => {
                let Some(ConditionValue::List(allow)) = next() else { return None };
                RequestedLimit::Targets { conditions: AllowConditions { allow } }
            }
            LimitType::Listen => {
                let Some(ConditionValue::List(allow)) = next() else { return None };
                RequestedLimit::Listen { conditions: AllowConditions { allow } }
            }
        })
    }

    /// Its type.
    pub fn kind(&self) -> LimitType {
        match self {
            RequestedLimit::Calls { .. } => LimitType::Calls,
            RequestedLimit::Spend { .. } => LimitType::Spend,
            RequestedLimit::Targets { .. } => LimitType::Targets,
            RequestedLimit::Listen { .. } => LimitType::Listen,
        }
    }
}

/// An optional period among a limit's condition values: `Some(None)` when
/// not given, `None` when it is not a period.
fn period(value: Option<ConditionValue>) -> Option<Option<u64>> {
    match value {
        None => Some(None),
        Some(ConditionValue::Count(secs)) => Some(Some(secs)),
        Some(_) => None,
    }
}

/// A limit as the API shows it, with its use so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[schemars(transform = close_variants)]
pub enum Limit {
    /// At most `conditions.max` authorized calls, ever, or in any span of
    /// `conditions.period` seconds.
    Calls {
        /// The bound.
        conditions: CallsConditions,
        /// Authorized calls by the token and its descendants, so far or, for
        /// a periodic limit, in the current span; it already counts the call
        /// that shows it.
        used: u64,
        /// For a periodic limit with use in the current span: when capacity
        /// next returns, in seconds since the Unix epoch (rounded up).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(with = "u64")]
        returns_at: Option<u64>,
    },
    /// At most `conditions.max` of one currency moved, ever, or in any span
    /// of `conditions.period` seconds.
    Spend {
        /// The bound.
        conditions: SpendConditions,
        /// Moved by the token and its descendants, in the same currency, so
        /// far or, for a periodic limit, in the current span.
        used: String,
        /// For a periodic limit with use in the current span: when capacity
        /// next returns, in seconds since the Unix epoch (rounded up).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(with = "u64")]
        returns_at: Option<u64>,
    },
    /// Only these target addresses.
    Targets {
        /// The addresses, as given.
        conditions: AllowConditions,
    },
    /// Sessions listen only on these addresses and ports.
    Listen {
        /// The addresses and port ranges, as given.
        conditions: AllowConditions,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{bounds::MAX_LIMITS, currency::Currency};

    fn samples() -> Vec<(RequestedLimit, Limit)> {
        let calls = CallsConditions { max: 1, period: Some(60) };
        let spend = SpendConditions { max: "1 xDai".into(), period: Some(3600) };
        let allow = AllowConditions { allow: vec!["x".into()] };
        vec![
            (
                RequestedLimit::Calls { conditions: calls },
                Limit::Calls { conditions: calls, used: 0, returns_at: None },
            ),
            (
                RequestedLimit::Spend { conditions: spend.clone() },
                Limit::Spend { conditions: spend, used: "0 xDai".into(), returns_at: None },
            ),
            (
                RequestedLimit::Targets { conditions: allow.clone() },
                Limit::Targets { conditions: allow.clone() },
            ),
            (RequestedLimit::Listen { conditions: allow.clone() }, Limit::Listen { conditions: allow }),
        ]
    }

    #[test]
    fn each_wire_shape_has_a_variant_of_each_type_tagged_with_its_name() {
        let samples = samples();
        let kinds: Vec<LimitType> = samples.iter().map(|(requested, _)| requested.kind()).collect();
        assert_eq!(kinds, LimitType::ALL);
        for (requested, shown) in samples {
            let name = requested.kind().name();
            assert_eq!(serde_json::to_value(&requested).unwrap()["type"], name);
            assert_eq!(serde_json::to_value(&shown).unwrap()["type"], name);
            assert_eq!(LimitType::named(name), Some(requested.kind()));
        }
        assert_eq!(LimitType::named("rate"), None);
    }

    #[test]
    fn each_condition_is_a_field_of_its_wire_conditions_and_makes_the_limit_in_its_shape() {
        for (requested, _) in samples() {
            let kind = requested.kind();
            let conditions = serde_json::to_value(&requested).unwrap()["conditions"].clone();
            let fields: Vec<&str> = kind.conditions().iter().map(|c| c.name).collect();
            let keys: Vec<&str> = conditions.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, fields, "{kind:?}");
            let values = kind
                .conditions()
                .iter()
                .map(|condition| match (condition.shape, &conditions[condition.name]) {
                    (Shape::Count | Shape::Period, value) => ConditionValue::Count(value.as_u64().unwrap()),
                    (Shape::Amount, value) => ConditionValue::Text(value.as_str().unwrap().to_string()),
                    (Shape::List(_), value) => {
                        ConditionValue::List(serde_json::from_value(value.clone()).unwrap())
                    }
                })
                .map(Some)
                .collect();
            assert_eq!(RequestedLimit::from_values(kind, values), Some(requested.clone()), "{kind:?}");
        }
        assert_eq!(
            RequestedLimit::from_values(LimitType::Calls, vec![Some(ConditionValue::Text("1".into()))]),
            None
        );
    }

    #[test]
    fn a_period_is_optional_and_only_calls_and_spend_take_one() {
        let lifetime =
            RequestedLimit::from_values(LimitType::Calls, vec![Some(ConditionValue::Count(3)), None]);
        assert_eq!(
            lifetime,
            Some(RequestedLimit::Calls { conditions: CallsConditions { max: 3, period: None } })
        );
        assert_eq!(serde_json::to_value(lifetime.unwrap()).unwrap()["conditions"], json!({ "max": 3 }));
        let periodic: Vec<LimitType> = LimitType::ALL.into_iter().filter(|kind| kind.periodic()).collect();
        assert_eq!(periodic, [LimitType::Calls, LimitType::Spend]);
        for kind in LimitType::ALL {
            let required = kind.conditions().iter().filter(|condition| condition.required).count();
            assert_eq!(required, 1, "{kind:?} has one condition it cannot do without");
        }
    }

    #[test]
    fn the_most_limits_of_a_capability_is_one_of_each_type_and_one_spend_per_currency_each_for_life_and_per_period(
    ) {
        let most: usize = LimitType::ALL
            .iter()
            .map(|kind| if kind.one_per_currency() { Currency::ALL.len() } else { 1 })
            .zip(LimitType::ALL.map(|kind| if kind.periodic() { 2 } else { 1 }))
            .map(|(kept, spans)| kept * spans)
            .sum();
        assert_eq!(MAX_LIMITS, most);
    }

    #[test]
    fn the_types_are_listed_as_a_refusal_names_them() {
        assert_eq!(LimitType::listed(), "'calls', 'spend', 'targets' or 'listen'");
    }

    /// The console names the types as constants of its own; they must be
    /// these (it could read them from the document's `RequestedLimit`).
    #[test]
    fn the_consoles_names_are_the_contracts() {
        let console = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/www/conditions.js"));
        for kind in LimitType::ALL {
            let constant =
                format!("export const {} = \"{}\";", kind.name().to_ascii_uppercase(), kind.name());
            assert!(console.contains(&constant), "www/conditions.js lacks {constant}");
        }
        let declared = console.lines().filter(|line| line.starts_with("export const ")).count();
        assert_eq!(declared, LimitType::ALL.len(), "www/conditions.js names other constants");
    }
}
