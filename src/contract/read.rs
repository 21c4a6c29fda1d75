//! Reading request bodies into the wire types: a create body into a
//! [`CreateTokenRequest`], a rotate body into a [`RotateRequest`], each
//! failure an `INVALID_INPUT` that names the field and says why.
//!
//! The schema's rules are checked here, in the order of the body's fields
//! as the contract lists them (capabilities, then lifetime, then
//! description), so that one body always gets the same answer. Unknown
//! fields are ignored, and so is a limit's `used`. Numbers are JSON Schema's
//! integers (`3.0` is one); a limit's count is kept saturated, for the
//! validator to judge its range.
//!
//! Some of what the schema refuses the contract answers as a problem of the
//! capabilities (`INVALID_TOKEN_CAPABILITIES`), after the meaning of every
//! capability before it was checked: more capabilities or limits than a
//! token takes, a limit type or a condition that does not exist. The wire
//! types cannot hold these, so the reading keeps what came before the first
//! of them, checks the rest of the body against the schema, and hands that
//! problem on ([`CreateBody::beyond`]).

use serde_json::{Map, Value};

use crate::contract::{
    bounds::{
        MAX_BODY_BYTES, MAX_CAPABILITIES, MAX_GRACE_SECS, MAX_LIFETIME_SECS, MAX_LIMITS, MAX_PERIOD_SECS,
        MIN_PERIOD_SECS,
    },
    catalogue::CapabilityName,
    error::ApiError,
    limits::{ConditionValue, LimitType, RequestedLimit, Shape},
    model::{CreateTokenRequest, RequestedCapability, RotateRequest},
};

/// A create body as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateBody {
    /// The request, up to the first thing the wire types cannot hold (all of
    /// it when [`Self::beyond`] is `None`).
    pub request: CreateTokenRequest,
    /// Why the capabilities are refused at that thing, once the meaning of
    /// what came before it is found acceptable.
    pub beyond: Option<ApiError>,
}

/// Reads a create body.
pub fn create_request(body: &[u8]) -> Result<CreateBody, ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    let fields = object(body)?;
    let mut reading = Reading::default();
    let capabilities = reading.capabilities(fields.get("capabilities"))?;
    let lifetime = lifetime(fields.get("lifetime"))?;
    let description = match fields.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(description)) => Some(description.clone()),
        Some(_) => return Err(invalid("description must be a string".to_string())),
    };
    let request = CreateTokenRequest { capabilities, lifetime, description };
    Ok(CreateBody { request, beyond: reading.beyond })
}

/// Reads a rotate body: empty, or an object with an optional `grace`.
pub fn rotate_request(body: &[u8]) -> Result<RotateRequest, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(RotateRequest::default());
    }
    let out_of_range = || invalid(format!("grace must be an integer from 0 to {MAX_GRACE_SECS} (seconds)"));
    let grace = match object(body)?.get("grace") {
        None | Some(Value::Null) => None,
        Some(grace) => match integer(grace) {
            Some(secs) if (0..=i128::from(MAX_GRACE_SECS)).contains(&secs) => {
                Some(u64::try_from(secs).map_err(|_| out_of_range())?)
            }
            _ => return Err(out_of_range()),
        },
    };
    Ok(RotateRequest { grace })
}

/// A body that must be a JSON object.
fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(invalid("request body must be a JSON object".to_string())),
        Err(e) => Err(invalid(format!("request body is not valid JSON: {e}"))),
    }
}

/// The reading of a create body's capabilities.
#[derive(Default)]
struct Reading {
    /// The first thing the wire types cannot hold; what follows it is
    /// only checked against the schema.
    beyond: Option<ApiError>,
}

impl Reading {
    fn capabilities(&mut self, value: Option<&Value>) -> Result<Vec<RequestedCapability>, ApiError> {
        let entries = match value {
            None => return Err(invalid("capabilities is required".to_string())),
            Some(Value::Array(entries)) => entries,
            Some(_) => return Err(invalid("capabilities must be an array".to_string())),
        };
        if entries.is_empty() {
            return Err(invalid("capabilities must not be empty".to_string()));
        }
        if entries.len() > MAX_CAPABILITIES {
            self.stop(format!(
                "capabilities must have at most {MAX_CAPABILITIES} entries, got {}",
                entries.len()
            ));
        }
        let mut capabilities = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let keeping = self.beyond.is_none();
            let capability = self.capability(&format!("capabilities[{i}]"), entry)?;
            if keeping {
                capabilities.push(capability);
            }
        }
        Ok(capabilities)
    }

    fn capability(&mut self, at: &str, entry: &Value) -> Result<RequestedCapability, ApiError> {
        let entry = entry.as_object().ok_or_else(|| invalid(format!("{at} must be an object")))?;
        let endpoint = match entry.get("endpoint") {
            None => return Err(invalid(format!("{at}.endpoint is required"))),
            Some(Value::String(endpoint)) => CapabilityName(endpoint.clone()),
            Some(_) => return Err(invalid(format!("{at}.endpoint must be a string"))),
        };
        let entries: &[Value] = match entry.get("limits") {
            None => &[],
            Some(Value::Array(entries)) => entries,
            Some(_) => return Err(invalid(format!("{at}.limits must be an array"))),
        };
        if entries.len() > MAX_LIMITS {
            self.stop(format!("{at}.limits must have at most {MAX_LIMITS} entries"));
        }
        let mut limits = Vec::new();
        for (j, entry) in entries.iter().enumerate() {
            let limit = self.limit(&format!("{at}.limits[{j}]"), entry)?;
            if let Some(limit) = limit.filter(|_| self.beyond.is_none()) {
                limits.push(limit);
            }
        }
        Ok(RequestedCapability { endpoint, limits })
    }

    /// The limit at `at`; `None` when the wire types cannot hold it.
    fn limit(&mut self, at: &str, entry: &Value) -> Result<Option<RequestedLimit>, ApiError> {
        let entry = entry.as_object().ok_or_else(|| invalid(format!("{at} must be an object")))?;
        let name = match entry.get("type") {
            None => return Err(invalid(format!("{at}.type is required"))),
            Some(Value::String(name)) => name,
            Some(_) => return Err(invalid(format!("{at}.type must be a string"))),
        };
        let conditions = match entry.get("conditions") {
            None => return Err(invalid(format!("{at}.conditions is required"))),
            Some(Value::Object(conditions)) => conditions,
            Some(_) => return Err(invalid(format!("{at}.conditions must be an object"))),
        };
        let Some(kind) = LimitType::named(name) else {
            self.stop(format!(
                "{at}.type: unknown limit type '{name}'; the types are {}",
                LimitType::listed()
            ));
            return Ok(None);
        };
        let mut values = Vec::new();
        for condition in kind.conditions() {
            let (field, shape) = (condition.name, condition.shape);
            let Some(value) = conditions.get(field) else {
                if condition.required {
                    return Err(invalid(format!("{at}.conditions.{field} is required")));
                }
                values.push(None);
                continue;
            };
            let value = shaped(value, shape)
                .ok_or_else(|| invalid(format!("{at}.conditions.{field} must be {}", expected(shape))))?;
            values.push(Some(value));
        }
        let known = |key: &str| kind.conditions().iter().any(|condition| condition.name == key);
        if let Some(unknown) = conditions.keys().find(|key| !known(key)) {
            let known: Vec<String> = kind.conditions().iter().map(|c| format!("'{}'", c.name)).collect();
            self.stop(format!(
                "{at}.conditions: unknown condition '{unknown}'; a '{name}' limit has only {}",
                known.join(" and ")
            ));
            return Ok(None);
        }
        // The values are in the order and the shapes of the type's own list
        // of its conditions, which a test holds to the type.
        RequestedLimit::from_values(kind, values)
            .map(Some)
            .ok_or_else(|| invalid(format!("{at}.conditions do not make a '{name}' limit")))
    }

    /// Ends the reading at the first thing the wire types cannot hold.
    fn stop(&mut self, why: String) {
        self.beyond.get_or_insert(ApiError::InvalidCapabilities(why));
    }
}

fn lifetime(value: Option<&Value>) -> Result<Option<u64>, ApiError> {
    let lifetime = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(lifetime) => {
            integer(lifetime).ok_or_else(|| invalid("lifetime must be an integer (seconds)".to_string()))?
        }
    };
    if lifetime < 1 {
        return Err(invalid("lifetime must be at least 1 second".to_string()));
    }
    if lifetime > i128::from(MAX_LIFETIME_SECS) {
        return Err(invalid(format!("lifetime must be at most {MAX_LIFETIME_SECS} seconds (100 years)")));
    }
    Ok(u64::try_from(lifetime).ok())
}

/// `value` as a condition of `shape` holds it; `None` when it is not one.
fn shaped(value: &Value, shape: Shape) -> Option<ConditionValue> {
    match shape {
        // Saturated: the validator judges the range, and names the bound.
        Shape::Count => {
            integer(value).map(|count| ConditionValue::Count(count.clamp(0, i128::from(u64::MAX)) as u64))
        }
        Shape::Period => integer(value)
            .filter(|secs| (i128::from(MIN_PERIOD_SECS)..=i128::from(MAX_PERIOD_SECS)).contains(secs))
            .map(|secs| ConditionValue::Count(secs as u64)),
        Shape::Amount => value.as_str().map(|text| ConditionValue::Text(text.to_string())),
        Shape::List(_) => {
            let entries: Option<Vec<String>> =
                value.as_array()?.iter().map(|entry| entry.as_str().map(str::to_string)).collect();
            entries.map(ConditionValue::List)
        }
    }
}

/// What a value of `shape` must be, in the words of a refusal.
fn expected(shape: Shape) -> String {
    match shape {
        Shape::Count => "an integer".to_string(),
        Shape::Period => format!("an integer from {MIN_PERIOD_SECS} to {MAX_PERIOD_SECS} (seconds)"),
        Shape::Amount => "a string".to_string(),
        Shape::List(_) => "an array of strings".to_string(),
    }
}

/// A JSON number that is an integer, as JSON Schema counts them (`3.0` is
/// one), saturated to the range of `i128`. Fractions and non-numbers are not.
fn integer(value: &Value) -> Option<i128> {
    let number = value.as_number()?;
    if let Some(n) = number.as_i64() {
        return Some(i128::from(n));
    }
    if let Some(n) = number.as_u64() {
        return Some(i128::from(n));
    }
    let f = number.as_f64()?;
    (f.fract() == 0.0).then_some(f as i128)
}

fn invalid(why: String) -> ApiError {
    ApiError::InvalidInput(why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{error::ErrorCode, limits::CallsConditions};

    fn read(json: &str) -> Result<CreateBody, ApiError> {
        create_request(json.as_bytes())
    }

    fn grace(body: &[u8]) -> Result<Option<u64>, ApiError> {
        rotate_request(body).map(|request| request.grace)
    }

    fn with_limits(endpoint: &str, limits: &str) -> String {
        format!(r#"{{"capabilities":[{{"endpoint":"{endpoint}","limits":[{limits}]}}]}}"#)
    }

    /// Asserts an `INVALID_INPUT` whose message mentions `needle`.
    macro_rules! refused {
        ($name:ident, $json:expr, $needle:expr) => {
            #[test]
            fn $name() {
                let json: &str = $json;
                let err = read(json).expect_err(json);
                assert_eq!(err.code(), ErrorCode::InvalidInput, "{json}: {err}");
                assert!(err.to_string().contains($needle), "{json}: '{err}' lacks '{}'", $needle);
            }
        };
    }

    refused!(not_json, "{nope", "not valid JSON");
    refused!(empty_body, "", "not valid JSON");
    refused!(array_body, "[]", "must be a JSON object");
    refused!(missing_capabilities, "{}", "capabilities is required");
    refused!(capabilities_not_array, r#"{"capabilities":{}}"#, "must be an array");
    refused!(empty_capabilities, r#"{"capabilities":[]}"#, "must not be empty");
    refused!(capability_not_object, r#"{"capabilities":[1]}"#, "capabilities[0] must be an object");
    refused!(missing_endpoint, r#"{"capabilities":[{}]}"#, "capabilities[0].endpoint is required");
    refused!(endpoint_not_string, r#"{"capabilities":[{"endpoint":1}]}"#, "endpoint must be a string");
    refused!(
        limits_not_array,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":{}}]}"#,
        "limits must be an array"
    );
    refused!(
        limit_not_object,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[3]}]}"#,
        "limits[0] must be an object"
    );
    refused!(
        limit_without_type,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"conditions":{"max":1}}]}]}"#,
        "type is required"
    );
    refused!(
        limit_without_conditions,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"type":"calls"}]}]}"#,
        "conditions is required"
    );
    refused!(
        limit_without_max,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"type":"calls","conditions":{}}]}]}"#,
        "conditions.max is required"
    );
    refused!(
        fractional_max,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"type":"calls","conditions":{"max":1.5}}]}]}"#,
        "max must be an integer"
    );
    refused!(
        string_max,
        r#"{"capabilities":[{"endpoint":"nodePing","limits":[{"type":"calls","conditions":{"max":"5"}}]}]}"#,
        "max must be an integer"
    );
    refused!(
        string_lifetime,
        r#"{"capabilities":[{"endpoint":"nodePing"}],"lifetime":"60"}"#,
        "lifetime must be an integer"
    );
    refused!(
        zero_lifetime,
        r#"{"capabilities":[{"endpoint":"nodePing"}],"lifetime":0}"#,
        "at least 1 second"
    );
    refused!(
        negative_lifetime,
        r#"{"capabilities":[{"endpoint":"nodePing"}],"lifetime":-5}"#,
        "at least 1 second"
    );
    refused!(
        huge_lifetime,
        r#"{"capabilities":[{"endpoint":"nodePing"}],"lifetime":1e300}"#,
        "at most 3155760000"
    );
    refused!(
        century_lifetime,
        r#"{"capabilities":[{"endpoint":"nodePing"}],"lifetime":3155760001}"#,
        "at most 3155760000"
    );
    refused!(
        description_not_string,
        r#"{"capabilities":[{"endpoint":"nodePing"}],"description":5}"#,
        "description must be a string"
    );
    refused!(
        spend_as_a_number,
        &with_limits("accountWithdraw", r#"{"type":"spend","conditions":{"max":5}}"#),
        "conditions.max must be a string"
    );
    refused!(
        period_too_short,
        &with_limits("nodePing", r#"{"type":"calls","conditions":{"max":1,"period":59}}"#),
        "capabilities[0].limits[0].conditions.period must be an integer from 60 to 31536000 (seconds)"
    );
    refused!(
        period_over_a_year,
        &with_limits(
            "accountWithdraw",
            r#"{"type":"spend","conditions":{"max":"1 xDai","period":31536001}}"#
        ),
        "capabilities[0].limits[0].conditions.period must be an integer from 60 to 31536000 (seconds)"
    );
    refused!(
        fractional_period,
        &with_limits("nodePing", r#"{"type":"calls","conditions":{"max":1,"period":60.5}}"#),
        "conditions.period must be an integer"
    );
    refused!(
        period_as_text,
        &with_limits("nodePing", r#"{"type":"calls","conditions":{"max":1,"period":"60"}}"#),
        "conditions.period must be an integer"
    );
    refused!(
        null_period,
        &with_limits("nodePing", r#"{"type":"calls","conditions":{"max":1,"period":null}}"#),
        "conditions.period must be an integer"
    );
    refused!(
        targets_not_strings,
        &with_limits("accountWithdraw", r#"{"type":"targets","conditions":{"allow":[1]}}"#),
        "allow must be an array of strings"
    );

    #[test]
    fn a_rotate_body_may_be_empty_or_give_a_grace_period() {
        assert_eq!(grace(b""), Ok(None));
        assert_eq!(grace(b" \n"), Ok(None));
        assert_eq!(grace(b"{}"), Ok(None));
        assert_eq!(grace(br#"{"grace":null}"#), Ok(None));
        assert_eq!(grace(br#"{"grace":300}"#), Ok(Some(300)));
        assert_eq!(grace(br#"{"grace":3600.0}"#), Ok(Some(3600)));
        for bad in [
            &br#"{"grace":3601}"#[..],
            br#"{"grace":-1}"#,
            br#"{"grace":"5"}"#,
            br#"{"grace":1.5}"#,
            b"[]",
            b"{",
        ] {
            assert_eq!(
                grace(bad).unwrap_err().code(),
                ErrorCode::InvalidInput,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn oversized_body_is_too_large() {
        let body = format!(r#"{{"capabilities":[],"description":"{}"}}"#, "a".repeat(MAX_BODY_BYTES));
        assert_eq!(create_request(body.as_bytes()).unwrap_err(), ApiError::PayloadTooLarge);
    }

    fn calls(max: u64) -> RequestedLimit {
        RequestedLimit::Calls { conditions: CallsConditions { max, period: None } }
    }

    #[test]
    fn a_period_is_read_in_its_range_and_may_be_left_out() {
        for (period, kept) in [("60", Some(60)), ("3600.0", Some(3600)), ("31536000", Some(31_536_000))] {
            let body = read(&with_limits(
                "nodePing",
                &format!(r#"{{"type":"calls","conditions":{{"max":2,"period":{period}}}}}"#),
            ));
            let limit = RequestedLimit::Calls { conditions: CallsConditions { max: 2, period: kept } };
            assert_eq!(body.unwrap().request.capabilities[0].limits, [limit], "{period}");
        }
        let lifetime = read(&with_limits("nodePing", r#"{"type":"calls","conditions":{"max":2}}"#));
        assert_eq!(lifetime.unwrap().request.capabilities[0].limits, [calls(2)]);
    }

    #[test]
    fn counts_are_read_as_integers_and_kept_saturated_for_the_validator() {
        for (max, kept) in [("2.0", 2), ("-3", 0), ("1e300", u64::MAX), ("18446744073709551616", u64::MAX)] {
            let body = read(&with_limits(
                "nodePing",
                &format!(r#"{{"type":"calls","conditions":{{"max":{max}}}}}"#),
            ));
            assert_eq!(body.unwrap().request.capabilities[0].limits, [calls(kept)], "{max}");
        }
    }

    #[test]
    fn an_unknown_limit_type_ends_the_reading_and_the_rest_is_checked_against_the_schema() {
        let calls_1 = r#"{"type":"calls","conditions":{"max":1}}"#;
        let rate = r#"{"type":"rate","conditions":{"max":1}}"#;
        let body = format!(
            r#"{{"capabilities":[{{"endpoint":"a","limits":[{calls_1},{rate},{calls_1}]}},{{"endpoint":"b"}}],"lifetime":5}}"#
        );
        let first = read(&body).unwrap();
        let kept: Vec<(&str, &[RequestedLimit])> =
            first.request.capabilities.iter().map(|c| (c.endpoint.0.as_str(), c.limits.as_slice())).collect();
        assert_eq!(kept, [("a", &[calls(1)][..])], "what came before it");
        assert_eq!(
            (first.request.lifetime, first.beyond.unwrap().code()),
            (Some(5), ErrorCode::InvalidTokenCapabilities)
        );
        let broken_after = body.replace(r#"{"endpoint":"b"}"#, r#"{"endpoint":1}"#);
        assert_eq!(read(&broken_after).unwrap_err().code(), ErrorCode::InvalidInput);
    }

    #[test]
    fn too_many_capabilities_or_limits_and_unknown_conditions_end_the_reading_too() {
        let many = format!(r#"{{"capabilities":[{}]}}"#, vec![r#"{"endpoint":"a"}"#; 65].join(","));
        let read_many = read(&many).unwrap();
        assert!(read_many.request.capabilities.is_empty());
        assert!(read_many.beyond.unwrap().to_string().contains("at most 64 entries, got 65"));
        let limits = read(&with_limits(
            "a",
            &[r#"{"type":"calls","conditions":{"max":1}}"#; MAX_LIMITS + 1].join(","),
        ))
        .unwrap();
        assert_eq!(limits.request.capabilities[0].limits, [], "the endpoint is kept, for its own checks");
        let too_many = format!("limits must have at most {MAX_LIMITS} entries");
        assert!(limits.beyond.unwrap().to_string().contains(&too_many));
        let unknown = read(&with_limits("a", r#"{"type":"calls","conditions":{"max":1,"min":0}}"#)).unwrap();
        assert_eq!(
            unknown.beyond.unwrap().to_string(),
            "capabilities[0].limits[0].conditions: unknown condition 'min'; a 'calls' limit has only 'max' and 'period'"
        );
    }
}
