//! The building blocks of the document's schemas that a derive cannot
//! give: the patterns of amounts, addresses, listen ranges and secrets, the
//! schema of an allow list, and closing a tagged enum's variants. The wire
//! types ([`crate::contract::limits`], [`crate::contract::model`]) and the
//! document ([`crate::contract::openapi`]) take them from here; nothing here
//! knows those types.

use schemars::Schema;
use serde_json::{json, Map, Value};

use crate::contract::{
    bounds::MAX_ALLOWED,
    currency::Currency,
    secret::{SECRET_BODY_LEN, SECRET_CHECKSUM_LEN, SECRET_PREFIX},
};

/// Where the document's schemas live, for `$ref`s.
pub const SCHEMAS: &str = "#/components/schemas/";

/// An amount up to its currency, as the node takes it (hoprd's own grammar,
/// in ECMA-262 regex): digits with spaces and at most one dot, ending in a
/// digit, whitespace, and an optional `wei` marker.
const AMOUNT_NUMBER: &str = concat!(
    "^ *(?:[0-9] *)*(?:\\. *(?:[0-9] *)*)?[0-9]",
    "[\\t\\n\\u000b\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+",
    "(?:wei[_\\t\\n\\u000b\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]?)?",
);

/// The pattern of an amount in one of `currencies`, each in any letter case.
pub fn amount_pattern(currencies: &[Currency]) -> String {
    let names: Vec<String> = currencies.iter().map(|currency| any_case(currency.name())).collect();
    format!("{AMOUNT_NUMBER}(?:{})$", names.join("|"))
}

/// The pattern of an amount in any currency the node moves.
pub fn any_amount_pattern() -> String {
    amount_pattern(&Currency::ALL)
}

/// The pattern of text that ends in `currency`'s name, in any letter case.
pub fn ends_in(currency: Currency) -> String {
    format!("{}$", any_case(currency.name()))
}

/// An on-chain address: 40 hex digits, `0x` optional, any letter case.
pub const ADDRESS_PATTERN: &str = "^(?:0[xX])?[0-9a-fA-F]{40}$";

/// A listen address with a port or a port range: IPv4, or IPv6 in brackets
/// (without an embedded IPv4 address or a zone).
pub const LISTEN_PATTERN: &str = concat!(
    "^(?:",
    "(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])",
    "|\\[(?:",
    "(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}",
    "|(?:[0-9a-fA-F]{1,4}:){1,7}:",
    "|(?:[0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}",
    "|(?:[0-9a-fA-F]{1,4}:){1,5}(?::[0-9a-fA-F]{1,4}){1,2}",
    "|(?:[0-9a-fA-F]{1,4}:){1,4}(?::[0-9a-fA-F]{1,4}){1,3}",
    "|(?:[0-9a-fA-F]{1,4}:){1,3}(?::[0-9a-fA-F]{1,4}){1,4}",
    "|(?:[0-9a-fA-F]{1,4}:){1,2}(?::[0-9a-fA-F]{1,4}){1,5}",
    "|[0-9a-fA-F]{1,4}:(?::[0-9a-fA-F]{1,4}){1,6}",
    "|:(?:(?::[0-9a-fA-F]{1,4}){1,7}|:)",
    ")\\])",
    ":(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0)",
    "(?:-(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0))?$"
);

/// The pattern of a secret: prefix, base62 body and checksum.
pub fn secret_pattern() -> String {
    format!("^{SECRET_PREFIX}[0-9A-Za-z]{{{}}}$", SECRET_BODY_LEN + SECRET_CHECKSUM_LEN)
}

/// Conditions that are one list, `field`, of 1 to [`MAX_ALLOWED`] entries
/// matching `pattern`.
pub fn allow_list(field: &str, pattern: &str) -> Value {
    let list = json!({ "type": "array", "minItems": 1, "maxItems": MAX_ALLOWED,
        "items": { "type": "string", "pattern": pattern } });
    json!({
        "type": "object", "required": [field], "additionalProperties": false,
        "properties": Map::from_iter([(field.to_string(), list)])
    })
}

/// Closes each variant of a tagged enum (`oneOf`) to other properties: the
/// derive can only close the enum as a whole, which would refuse every object.
pub fn close_variants(schema: &mut Schema) {
    if let Some(Value::Array(variants)) = schema.get_mut("oneOf") {
        for variant in variants {
            variant["additionalProperties"] = json!(false);
        }
    }
}

/// A pattern for `name` in any letter case.
fn any_case(name: &str) -> String {
    name.chars().map(|c| format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())).collect()
}
