//! The OpenAPI 3.1 document of the API, built from the same constants the
//! service enforces: the capability catalogue, the error codes and the
//! validation bounds. Decisions the contract leaves open are written into
//! the operation descriptions.

use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::{
    catalogue::CAPABILITIES,
    cors::ALLOW_HEADERS,
    error::{ApiError, ErrorCode},
    secret::{ID_LEN, SECRET_LEN},
    validate::{MAX_BODY_BYTES, MAX_CALLS, MAX_CAPABILITIES, MAX_DESCRIPTION_CHARS, MAX_LIFETIME_SECS},
};

/// The document as JSON text, built once.
pub fn document() -> String {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| build().to_string()).clone()
}

fn build() -> Value {
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "edge-tokens",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Capability tokens compatible with the token endpoints of the HOPR node REST API v3. \
                Secrets are returned once and stored only as hashes. `calls` limits are enforced atomically. \
                A delete takes effect at once where it was made and within about 60 seconds everywhere else. \
                Every error body is `{status, error}`. A path not listed here answers 404 `NOT_FOUND`; \
                a listed path with another method answers 405 `METHOD_NOT_ALLOWED` with an `Allow` header; \
                `OPTIONS` on a listed path is a CORS preflight (204)."
        },
        "servers": [{ "url": "/api/v3" }],
        "security": [{ "keyScheme": [] }, { "passwordScheme": [] }, { "bearerScheme": [] }],
        "paths": {
            "/tokens": { "post": create_operation("tokensCreate") },
            "/tokens/": { "post": create_operation("tokensCreateWithSlash") },
            "/tokens/{id}": { "delete": delete_operation() },
            "/token": { "get": get_operation() },
            "/gateway": { "get": {
                "operationId": "gatewayRoutes",
                "summary": "The node gateway: whether it is on, and the node routes it forwards with the capability each needs.",
                "description": "When ORIGIN_URL is configured, every route in this table is forwarded to the node for a \
                    token holding its capability (null: public), counted against its calls limit; the caller's \
                    credentials are replaced by ORIGIN_TOKEN. Other paths are answered 404. An unreachable node \
                    answers 502 BAD_GATEWAY, a silent one 504 GATEWAY_TIMEOUT. On WebSocket routes the token may \
                    also be given as the apiToken query parameter, which is removed before forwarding.",
                "security": [],
                "responses": { "200": { "description": "The gateway's state and route table.",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Gateway" } } } } }
            } },
            "/openapi.json": { "get": {
                "operationId": "openApiDocument",
                "summary": "This document.",
                "security": [],
                "responses": { "200": { "description": "The OpenAPI document.",
                    "content": { "application/json": { "schema": { "type": "object" } } } } }
            } }
        },
        "components": {
            "securitySchemes": {
                "keyScheme": { "type": "apiKey", "in": "header", "name": "x-auth-token" },
                "passwordScheme": { "type": "http", "scheme": "basic",
                    "description": "The token is the user name; the password is ignored." },
                "bearerScheme": { "type": "http", "scheme": "bearer" }
            },
            "schemas": schemas(&codes),
            "responses": {
                "Unauthorized": error_response("Authentication failed: no credential, or an unknown, malformed, expired or deleted token.",
                    &[ApiError::AuthenticationFailed], true),
                "TooManyRequests": throttled_response(),
                "Unavailable": error_response("API_TOKEN is not configured, or storage failed. Nothing was half-written.",
                    &[ApiError::Misconfigured("the API_TOKEN secret is not configured"), ApiError::Unavailable(String::new())], false)
            }
        }
    })
}

fn schemas(codes: &[&str]) -> Value {
    json!({
        "CapabilityName": { "type": "string", "enum": CAPABILITIES },
        "Limit": {
            "type": "object",
            "required": ["type", "conditions"],
            "properties": {
                "type": { "type": "string", "enum": ["calls"] },
                "conditions": {
                    "type": "object",
                    "required": ["max"],
                    "additionalProperties": false,
                    "properties": { "max": { "type": "integer", "minimum": 1, "maximum": MAX_CALLS } }
                },
                "used": { "description": "Authorized calls so far. Server-owned: shown by GET /token. \
                    On create any value is ignored, never stored or echoed." }
            }
        },
        "Capability": {
            "type": "object",
            "required": ["endpoint"],
            "properties": {
                "endpoint": { "$ref": "#/components/schemas/CapabilityName" },
                "limits": { "type": "array", "maxItems": 1, "items": { "$ref": "#/components/schemas/Limit" } }
            }
        },
        "CreateTokenRequest": {
            "type": "object",
            "required": ["capabilities"],
            "properties": {
                "capabilities": { "type": "array", "minItems": 1, "maxItems": MAX_CAPABILITIES,
                    "description": "At most one entry per endpoint (one `allOf` entry per name says so).",
                    "items": { "$ref": "#/components/schemas/Capability" },
                    "allOf": at_most_one_entry_per_endpoint() },
                "lifetime": { "type": ["integer", "null"], "minimum": 1, "maximum": MAX_LIFETIME_SECS,
                    "description": "Seconds until the token expires. Omitted or null: it does not expire, \
                        or, for a delegated token, it expires with its creator." },
                "description": { "type": ["string", "null"], "maxLength": MAX_DESCRIPTION_CHARS }
            }
        },
        "CreatedToken": {
            "type": "object",
            "required": ["token", "id"],
            "additionalProperties": false,
            "properties": {
                "token": { "type": "string", "pattern": format!("^etk_[0-9A-Za-z]{{{}}}$", SECRET_LEN - 4),
                    "description": "The secret. Shown only in this response." },
                "id": { "$ref": "#/components/schemas/TokenId" },
                "valid_until": { "type": "integer", "description": "Seconds since the Unix epoch." }
            }
        },
        "Gateway": {
            "type": "object",
            "required": ["enabled", "routes"],
            "additionalProperties": false,
            "properties": {
                "enabled": { "type": "boolean" },
                "routes": { "type": "array", "items": {
                    "type": "object",
                    "required": ["method", "path", "capability", "websocket"],
                    "additionalProperties": false,
                    "properties": {
                        "method": { "type": "string", "enum": ["GET", "POST", "DELETE"] },
                        "path": { "type": "string" },
                        "capability": { "oneOf": [{ "$ref": "#/components/schemas/CapabilityName" }, { "type": "null" }] },
                        "websocket": { "type": "boolean" }
                    }
                } }
            }
        },
        "TokenId": { "type": "string", "pattern": format!("^[0-9A-Za-z]{{{ID_LEN}}}$") },
        "Token": {
            "type": "object",
            "required": ["id", "description", "capabilities"],
            "additionalProperties": false,
            "properties": {
                "id": { "$ref": "#/components/schemas/TokenId" },
                "description": { "type": "string" },
                "capabilities": { "type": "array", "items": {
                    "type": "object",
                    "required": ["endpoint", "limits"],
                    "additionalProperties": false,
                    "properties": {
                        "endpoint": { "$ref": "#/components/schemas/CapabilityName" },
                        "limits": { "type": "array", "items": {
                            "type": "object",
                            "required": ["type", "conditions", "used"],
                            "additionalProperties": false,
                            "properties": {
                                "type": { "const": "calls" },
                                "conditions": { "type": "object", "required": ["max"], "additionalProperties": false,
                                    "properties": { "max": { "type": "integer", "minimum": 1 } } },
                                "used": { "type": "integer", "minimum": 0 }
                            }
                        } }
                    }
                } },
                "valid_until": { "type": "integer", "description": "Seconds since the Unix epoch; absent if it does not expire." }
            }
        },
        "Error": {
            "type": "object",
            "required": ["status", "error"],
            "additionalProperties": false,
            "properties": {
                "status": { "type": "string", "enum": codes },
                "error": { "type": "string" }
            }
        }
    })
}

/// "At most one entry per endpoint", which JSON Schema has no keyword for:
/// for each name of the catalogue, at most one item has it as `endpoint`.
fn at_most_one_entry_per_endpoint() -> Vec<Value> {
    CAPABILITIES
        .iter()
        .map(|name| {
            json!({ "type": "array", "minContains": 0, "maxContains": 1, "contains": {
                "type": "object", "required": ["endpoint"], "properties": { "endpoint": { "const": name } } } })
        })
        .collect()
}

/// The link from an answer that carries a token's `id` to deleting it.
fn delete_link() -> Value {
    json!({ "tokensDelete": { "operationId": "tokensDelete", "parameters": { "id": "$response.body#/id" },
        "description": "Delete the token this answer describes." } })
}

fn create_operation(operation_id: &str) -> Value {
    json!({
        "operationId": operation_id,
        "summary": "Create a token (capability tokensCreate).",
        "description": format!("The admin token may grant anything. An issued token may grant only capabilities it holds, \
            with `calls` limits no larger than its own, expiring no later than itself; the new token records its creator. \
            A call counts against the caller's `tokensCreate` limit only when the token is created. \
            Bodies over {MAX_BODY_BYTES} bytes are refused with 413. CORS allows the headers {ALLOW_HEADERS}."),
        "requestBody": { "required": true, "content": { "application/json": {
            "schema": { "$ref": "#/components/schemas/CreateTokenRequest" },
            "example": { "description": "dashboard", "lifetime": 3600, "capabilities": [
                { "endpoint": "tokensGetToken", "limits": [{ "type": "calls", "conditions": { "max": 100 } }] },
                { "endpoint": "tokensCreate" }] } } } },
        "responses": {
            "201": { "description": "Created. The secret is in this response only.",
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CreatedToken" } } },
                "links": delete_link() },
            "400": error_response("The body is not JSON, breaks the schema, or has unacceptable capabilities or description.",
                &[ApiError::InvalidInput("capabilities is required".into()),
                  ApiError::InvalidCapabilities("capabilities[0].endpoint: unknown endpoint 'x'".into()),
                  ApiError::InvalidDescription(format!("description must be at most {MAX_DESCRIPTION_CHARS} characters"))], false),
            "401": { "$ref": "#/components/responses/Unauthorized" },
            "403": error_response("The token lacks tokensCreate or its limit is used up, or a delegated token asked for more than its creator holds.",
                &[ApiError::AuthorizationFailed, ApiError::CapabilitiesNotAllowed, ApiError::LifetimeNotAllowed, ApiError::DelegationTooDeep], false),
            "413": error_response("The body is too large.", &[ApiError::PayloadTooLarge], false),
            "429": { "$ref": "#/components/responses/TooManyRequests" },
            "503": { "$ref": "#/components/responses/Unavailable" }
        }
    })
}

fn delete_operation() -> Value {
    json!({
        "operationId": "tokensDelete",
        "summary": "Delete a token and every token it created (capability tokensDelete).",
        "description": "The admin token may delete any token; an issued token only itself and its descendants. \
            Other ids are answered as not found. Every descendant is revoked with it.",
        "parameters": [{ "name": "id", "in": "path", "required": true,
            "description": "The token's public id, as `POST /tokens` and `GET /token` return it. Any other value is answered 404.",
            "schema": { "$ref": "#/components/schemas/TokenId" } }],
        "responses": {
            "204": { "description": "Deleted, with its descendants." },
            "401": { "$ref": "#/components/responses/Unauthorized" },
            "403": error_response("The token lacks tokensDelete, or its limit is used up.", &[ApiError::AuthorizationFailed], false),
            "404": error_response("Unknown, expired, already deleted or not the caller's.", &[ApiError::TokenNotFound], false),
            "429": { "$ref": "#/components/responses/TooManyRequests" },
            "503": { "$ref": "#/components/responses/Unavailable" }
        }
    })
}

fn get_operation() -> Value {
    json!({
        "operationId": "tokensGetToken",
        "summary": "The caller's own token (capability tokensGetToken).",
        "description": "Never the secret nor its hash. Each `calls` limit shows `used`, which already counts this call.",
        "responses": {
            "200": { "description": "The caller's token.",
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Token" } } },
                "links": delete_link() },
            "401": { "$ref": "#/components/responses/Unauthorized" },
            "403": error_response("The token lacks tokensGetToken, or its limit is used up.", &[ApiError::AuthorizationFailed], false),
            "404": error_response("The admin token has no record.", &[ApiError::AdminHasNoRecord], false),
            "429": { "$ref": "#/components/responses/TooManyRequests" },
            "503": { "$ref": "#/components/responses/Unavailable" }
        }
    })
}

fn throttled_response() -> Value {
    let mut response = error_response(
        "Too many failed sign-ins from this client address: instead of a 401, this answer until the \
         rate limiter's period has passed. Requests with valid credentials are not counted.",
        &[ApiError::TooManyFailedSignIns],
        false,
    );
    response["headers"] = json!({ "Retry-After": { "schema": { "type": "integer" },
        "description": "Seconds to wait before trying again." } });
    response
}

fn error_response(description: &str, examples: &[ApiError], challenge: bool) -> Value {
    let examples: serde_json::Map<String, Value> = examples
        .iter()
        .enumerate()
        .map(|(i, e)| (format!("example{i}"), json!({ "value": e.body() })))
        .collect();
    let mut response = json!({
        "description": description,
        "content": { "application/json": {
            "schema": { "$ref": "#/components/schemas/Error" },
            "examples": examples
        } }
    });
    if challenge {
        response["headers"] = json!({ "WWW-Authenticate": { "schema": { "type": "string" } } });
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_lists_every_capability_and_code() {
        let doc: Value = serde_json::from_str(&document()).unwrap();
        let names = &doc["components"]["schemas"]["CapabilityName"]["enum"];
        assert_eq!(names.as_array().unwrap().len(), CAPABILITIES.len());
        let codes = &doc["components"]["schemas"]["Error"]["properties"]["status"]["enum"];
        assert_eq!(codes.as_array().unwrap().len(), ErrorCode::ALL.len());
        assert_eq!(doc["paths"]["/token"]["get"]["operationId"], "tokensGetToken");
    }

    #[test]
    fn the_create_schema_is_as_strict_as_the_validator() {
        let doc: Value = serde_json::from_str(&document()).unwrap();
        let request = &doc["components"]["schemas"]["CreateTokenRequest"]["properties"];
        // One "at most one item with this endpoint" rule per catalogue name.
        let unique = request["capabilities"]["allOf"].as_array().unwrap();
        assert_eq!(unique.len(), CAPABILITIES.len());
        for (rule, name) in unique.iter().zip(CAPABILITIES) {
            assert_eq!(rule["contains"]["properties"]["endpoint"]["const"], *name);
            assert_eq!((rule["minContains"].as_u64(), rule["maxContains"].as_u64()), (Some(0), Some(1)));
        }
        // A client-supplied `used` is ignored whatever it is, so any value is valid.
        let used = &doc["components"]["schemas"]["Limit"]["properties"]["used"];
        assert!(used.get("type").is_none(), "{used}");
        assert_eq!(request["lifetime"]["maximum"], MAX_LIFETIME_SECS);
    }

    #[test]
    fn answers_with_an_id_link_to_deleting_it() {
        let doc: Value = serde_json::from_str(&document()).unwrap();
        for (path, method, status) in
            [("/tokens", "post", "201"), ("/tokens/", "post", "201"), ("/token", "get", "200")]
        {
            let link = &doc["paths"][path][method]["responses"][status]["links"]["tokensDelete"];
            assert_eq!(link["operationId"], "tokensDelete", "{path}");
            assert_eq!(link["parameters"]["id"], "$response.body#/id", "{path}");
        }
        let id = &doc["paths"]["/tokens/{id}"]["delete"]["parameters"][0]["schema"];
        assert_eq!(id["$ref"], "#/components/schemas/TokenId");
    }

    #[test]
    fn examples_are_the_contract_bodies() {
        let doc: Value = serde_json::from_str(&document()).unwrap();
        let example = &doc["components"]["responses"]["Unauthorized"]["content"]["application/json"]
            ["examples"]["example0"]["value"];
        assert_eq!(example, &json!({"status": "UNAUTHORIZED", "error": "authentication failed"}));
    }
}
