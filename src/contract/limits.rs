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
    bounds::{MAX_ALLOWED, MAX_AMOUNT_CHARS, MAX_CALLS},
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
}

/// What a condition holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A whole number.
    Count,
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
        match self {
            LimitType::Calls => &[Condition { name: "max", shape: Shape::Count }],
            LimitType::Spend => &[Condition { name: "max", shape: Shape::Amount }],
            LimitType::Targets => &[Condition { name: "allow", shape: Shape::List(Entries::Addresses) }],
            LimitType::Listen => &[Condition { name: "allow", shape: Shape::List(Entries::ListenRanges) }],
        }
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

/// The conditions of `kind` as a schema with only its amount, matching `pattern`.
fn amount_condition(kind: LimitType, pattern: String) -> Value {
    let field = field_shaped(kind, |shape| shape == Shape::Amount);
    json!({ "type": "object", "required": [field],
            "properties": Map::from_iter([(field.to_string(), json!({ "type": "string", "pattern": pattern }))]) })
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
    /// At most `conditions.max` authorized calls, ever. A client-supplied
    /// `used` is ignored: never stored or echoed.
    Calls {
        /// The bound.
        conditions: CallsConditions,
    },
    /// At most `conditions.max` of one currency moved, ever (routes that move
    /// funds: withdraw, open channel, fund channel).
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
    /// order and the shapes of [`LimitType::conditions`]; `None` when they
    /// do not fit.
    pub fn from_values(kind: LimitType, values: Vec<ConditionValue>) -> Option<RequestedLimit> {
        let mut values = values.into_iter();
        let mut next = || values.next();
        Some(match kind {
            LimitType::Calls => {
                let Some(ConditionValue::Count(max)) = next() else { return None };
                RequestedLimit::Calls { conditions: CallsConditions { max } }
            }
            LimitType::Spend => {
                let Some(ConditionValue::Text(max)) = next() else { return None };
                RequestedLimit::Spend { conditions: SpendConditions { max } }
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

/// A limit as the API shows it, with its use so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[schemars(transform = close_variants)]
pub enum Limit {
    /// At most `conditions.max` authorized calls, ever.
    Calls {
        /// The bound.
        conditions: CallsConditions,
        /// Authorized calls so far, by the token and its descendants; it
        /// already counts the call that shows it.
        used: u64,
    },
    /// At most `conditions.max` of one currency moved, ever.
    Spend {
        /// The bound.
        conditions: SpendConditions,
        /// Moved so far by the token and its descendants, in the same currency.
        used: String,
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
        let calls = CallsConditions { max: 1 };
        let spend = SpendConditions { max: "1 xDai".into() };
        let allow = AllowConditions { allow: vec!["x".into()] };
        vec![
            (RequestedLimit::Calls { conditions: calls }, Limit::Calls { conditions: calls, used: 0 }),
            (
                RequestedLimit::Spend { conditions: spend.clone() },
                Limit::Spend { conditions: spend, used: "0 xDai".into() },
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
                    (Shape::Count, value) => ConditionValue::Count(value.as_u64().unwrap()),
                    (Shape::Amount, value) => ConditionValue::Text(value.as_str().unwrap().to_string()),
                    (Shape::List(_), value) => {
                        ConditionValue::List(serde_json::from_value(value.clone()).unwrap())
                    }
                })
                .collect();
            assert_eq!(RequestedLimit::from_values(kind, values), Some(requested), "{kind:?}");
        }
        assert_eq!(
            RequestedLimit::from_values(LimitType::Calls, vec![ConditionValue::Text("1".into())]),
            None
        );
    }

    #[test]
    fn the_most_limits_of_a_capability_is_one_of_each_type_and_one_spend_per_currency() {
        let most: usize = LimitType::ALL
            .iter()
            .map(|kind| if kind.one_per_currency() { Currency::ALL.len() } else { 1 })
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
