//! The OpenAPI 3.1 document, derived: its schemas come from the wire types
//! ([`crate::contract::model`], [`crate::contract::error`]) through
//! `schemars`, its paths from the route table ([`crate::contract::routes`]),
//! its bounds from [`crate::contract::bounds`]. What a derive cannot say of
//! an operation (its prose, its answers) is written here; what it cannot
//! say of a type is said next to the type, from the building blocks of
//! [`crate::contract::schema`].
//!
//! `build.rs` calls [`document`] and writes the result to `openapi.json`,
//! which the service serves; nothing here runs in the Worker.

use schemars::{generate::SchemaSettings, JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::contract::{
    bounds::{
        DEFAULT_PAGE_TOKENS, EVENTS_KEPT_SECS, MAX_BODY_BYTES, MAX_DEPTH, MAX_EVENTS_PER_TREE,
        MAX_GRACE_SECS, MAX_PAGE_TOKENS, THROTTLE_SECS,
    },
    catalogue::CapabilityName,
    error::{AdminTokenProblem, ApiError, ErrorBody, UsedUp},
    model::{
        CreateTokenRequest, CreatedToken, EventPage, RotateRequest, RotatedToken, Token, TokenId, TokenInfo,
        TokenPage,
    },
    node_routes::{GatewayInfo, VIA},
    routes::{ApiRoute, Operation, API_PREFIX, API_ROUTES},
    schema::SCHEMAS,
};

/// The schemas of the document: request bodies as the service reads them
/// (a `#[serde(default)]` field is optional), answers as it writes them (only
/// a skipped field is optional).
pub struct Schemas {
    requests: SchemaGenerator,
    responses: SchemaGenerator,
}

impl Schemas {
    fn new() -> Schemas {
        let settings = SchemaSettings::draft2020_12().with(|settings| {
            settings.definitions_path = "/components/schemas".into();
            settings.meta_schema = None;
        });
        Schemas {
            requests: settings.clone().for_deserialize().into_generator(),
            responses: settings.for_serialize().into_generator(),
        }
    }

    /// A `$ref` to the schema of request body `T`.
    pub fn request<T: JsonSchema>(&mut self) -> Schema {
        self.requests.subschema_for::<T>()
    }

    /// A `$ref` to the schema of answer `T`.
    pub fn response<T: JsonSchema>(&mut self) -> Schema {
        self.responses.subschema_for::<T>()
    }

    /// Every schema, by name. A type used both ways must read the same both ways.
    fn into_components(mut self) -> Map<String, Value> {
        let mut components = self.responses.take_definitions(true);
        for (name, schema) in self.requests.take_definitions(true) {
            match components.get(&name) {
                Some(existing) if *existing != schema => {
                    panic!("schema {name} differs between requests and answers: give them two types")
                }
                _ => components.insert(name, schema),
            };
        }
        components
    }
}

/// The document.
pub fn document() -> Value {
    let mut schemas = Schemas::new();
    let mut paths = Map::new();
    for route in API_ROUTES {
        let path = paths.entry(route.path).or_insert_with(|| json!({}));
        path[route.method.to_ascii_lowercase()] = operation(route, &mut schemas);
    }
    // Referenced by every error answer, and by the gateway's table.
    schemas.response::<ErrorBody>();
    schemas.response::<CapabilityName>();
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "edge-tokens",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Capability tokens compatible with the token endpoints of the HOPR node REST API v3. \
                Secrets are returned once and stored only as hashes. `calls` and `spend` limits are enforced \
                atomically, for a token's lifetime or, with a `period`, in any span of that many seconds. \
                A delete takes effect at once where it was made and within about 60 seconds everywhere else. \
                Every error body is `{status, error}`, and every 403 adds a machine-readable `reason`. \
                A path not listed here nor in the gateway's route table (`GET /gateway`) answers 404 `NOT_FOUND`; a \
                listed path with another method answers 405 `METHOD_NOT_ALLOWED` with an `Allow` header; `OPTIONS` on \
                a listed path is a CORS preflight (204).",
            "x-max-delegation-depth": MAX_DEPTH,
            "x-max-body-bytes": MAX_BODY_BYTES
        },
        "servers": [{ "url": API_PREFIX }],
        "security": [{ "keyScheme": [] }, { "passwordScheme": [] }, { "bearerScheme": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "keyScheme": { "type": "apiKey", "in": "header", "name": "x-auth-token" },
                "passwordScheme": { "type": "http", "scheme": "basic",
                    "description": "The token is the user name; the password is ignored." },
                "bearerScheme": { "type": "http", "scheme": "bearer" }
            },
            "schemas": schemas.into_components(),
            "responses": {
                "Unauthorized": error_response("Authentication failed: no credential, or an unknown, malformed, \
                    expired or deleted token.", &[ApiError::AuthenticationFailed]),
                "TooManyRequests": throttled_response(),
                "Unavailable": error_response("API_TOKEN is not configured or too weak, or storage failed. \
                    Nothing was half-written.", &[
                        ApiError::Misconfigured(AdminTokenProblem::Missing),
                        ApiError::Misconfigured(AdminTokenProblem::Weak),
                        ApiError::Unavailable(String::new())]),
                "GatewayNotConfigured": error_response("A route of the gateway's table (`GET /gateway`) while no \
                    node is configured behind it (ORIGIN_URL is not set).", &[ApiError::GatewayNotConfigured])
            }
        }
    })
}

fn operation(route: &ApiRoute, schemas: &mut Schemas) -> Value {
    let mut operation = match route.operation {
        Operation::CreateToken => create_operation(schemas),
        Operation::DeleteToken => delete_operation(schemas),
        Operation::GetToken => get_operation(schemas),
        Operation::ListTokens => list_operation(schemas),
        Operation::InspectToken => inspect_operation(schemas),
        Operation::RotateToken => rotate_operation(schemas),
        Operation::TokenEvents => events_operation(schemas),
        Operation::OpenApi => json!({
            "summary": "This document.",
            "security": [],
            "responses": { "200": { "description": "The OpenAPI document.",
                "content": { "application/json": { "schema": { "type": "object" } } } } }
        }),
        Operation::Gateway => json!({
            "summary": "The node gateway: whether it is on, and the node routes it forwards with the capability each needs.",
            "description": format!("When ORIGIN_URL is configured, every route in this table is forwarded to the node for a \
                token holding its capability (null: public), counted against its calls limit; the caller's \
                credentials are replaced by ORIGIN_TOKEN. Other paths are answered 404. Without ORIGIN_URL \
                (`enabled` false), a route of this table is answered 503 GATEWAY_NOT_CONFIGURED \
                (`#/components/responses/GatewayNotConfigured`) before any credential is read, counting nothing; \
                another method on it is still 405, and `OPTIONS` still a preflight (204), so that a page on another \
                origin can read that answer. Every answer that comes from the node carries `Via: {VIA}`, after any \
                `Via` entries of the node's own (a WebSocket's 101 too); the service's own answers (its 401, 403, \
                502, 504, ...) carry no `Via`, so a caller can tell the node's 401 from the service's. An unreachable node \
                answers 502 BAD_GATEWAY, a silent one 504 GATEWAY_TIMEOUT; either way the call stays counted \
                against its limits, since the runtime cannot tell a request that never left from one the node \
                read before the connection closed. Where a condition needs the request body, a body the node \
                could read otherwise than the gateway checked it (a key twice in an object, an array, no JSON) \
                is refused with 400 INVALID_INPUT and never forwarded. On WebSocket routes the token may \
                also be given as the apiToken query parameter, which is removed before forwarding."),
            "security": [],
            "responses": { "200": json_response("The gateway's state and route table.", schemas.response::<GatewayInfo>()) }
        }),
    };
    // `POST /tokens/` is a second path for one operation; ids must differ.
    let suffix = if route.path.ends_with('/') { "WithSlash" } else { "" };
    operation["operationId"] = json!(format!("{}{suffix}", route.operation.id()));
    operation
}

/// The link from an answer that carries a token's `id` to deleting it.
fn delete_link() -> Value {
    json!({ "tokensDelete": { "operationId": "tokensDelete", "parameters": { "id": "$response.body#/id" },
        "description": "Delete the token this answer describes." } })
}

fn create_operation(schemas: &mut Schemas) -> Value {
    let mut created =
        json_response("Created. The secret is in this response only.", schemas.response::<CreatedToken>());
    created["links"] = delete_link();
    json!({
        "summary": "Create a token (capability tokensCreate).",
        "description": format!("The admin token may grant anything. An issued token may grant only capabilities it holds, \
            with `calls` limits no larger than its own (a periodic one periodic still, in a period no shorter), expiring no later than itself, at most {MAX_DEPTH} levels \
            below the admin; the new token records its creator. A call counts against the caller's `tokensCreate` \
            limit only when the token is created. Bodies over {MAX_BODY_BYTES} bytes are refused with 413."),
        "requestBody": { "required": true, "content": { "application/json": {
            "schema": schemas.request::<CreateTokenRequest>(),
            "example": { "description": "dashboard", "lifetime": 3600, "capabilities": [
                { "endpoint": "tokensGetToken", "limits": [{ "type": "calls", "conditions": { "max": 100 } }] },
                { "endpoint": "tokensCreate" }] } } } },
        "responses": {
            "201": created,
            "400": error_response("The body is not JSON, breaks the schema, or has unacceptable capabilities or description.",
                &[ApiError::InvalidInput("capabilities is required".into()),
                  ApiError::InvalidCapabilities("capabilities[0].endpoint: unknown endpoint 'x'".into()),
                  ApiError::InvalidDescription("description must be at most 256 characters".into())]),
            "401": { "$ref": "#/components/responses/Unauthorized" },
            "403": error_response("The token lacks tokensCreate or its limit is used up, or a delegated token asked for \
                more than its creator holds; `reason` says which.",
                &[missing("tokensCreate"), exhausted("tokensCreate"), ApiError::CapabilitiesNotAllowed,
                  ApiError::LifetimeNotAllowed, ApiError::DelegationTooDeep, ApiError::SecretInGrace]),
            "413": error_response("The body is too large.", &[ApiError::PayloadTooLarge]),
            "429": { "$ref": "#/components/responses/TooManyRequests" },
            "503": { "$ref": "#/components/responses/Unavailable" }
        }
    })
}

fn delete_operation(schemas: &mut Schemas) -> Value {
    json!({
        "summary": "Delete a token and every token it created (capability tokensDelete).",
        "description": "The admin token may delete any token; an issued token only itself and its descendants. \
            Other ids are answered as not found. Every descendant is revoked with it.",
        "parameters": [{ "name": "id", "in": "path", "required": true,
            "description": "The token's public id, as `POST /tokens` and `GET /token` return it. Any other value is answered 404.",
            "schema": schemas.request::<TokenId>() }],
        "responses": {
            "204": { "description": "Deleted, with its descendants." },
            "401": { "$ref": "#/components/responses/Unauthorized" },
            "403": error_response("The token lacks tokensDelete, or its limit is used up, or the secret is \
                one a rotation replaced, in its grace period.",
                &[missing("tokensDelete"), exhausted("tokensDelete"), ApiError::SecretInGrace]),
            "404": error_response("Unknown, expired, already deleted or not the caller's.", &[ApiError::TokenNotFound]),
            "429": { "$ref": "#/components/responses/TooManyRequests" },
            "503": { "$ref": "#/components/responses/Unavailable" }
        }
    })
}

fn get_operation(schemas: &mut Schemas) -> Value {
    let mut token = json_response("The caller's token.", schemas.response::<Token>());
    token["links"] = delete_link();
    json!({
        "summary": "The caller's own token (capability tokensGetToken).",
        "description": "Never the secret nor its hash. Each `calls` limit shows `used`, which already counts this call; \
            a periodic limit shows its use in the current span and, while it has some, `returns_at`. \
            A capability without limits has no `limits` field.",
        "responses": {
            "200": token,
            "401": { "$ref": "#/components/responses/Unauthorized" },
            "403": error_response("The token lacks tokensGetToken, or its limit is used up.",
                &[missing("tokensGetToken"), exhausted("tokensGetToken")]),
            "404": error_response("The admin token has no record.", &[ApiError::AdminHasNoRecord]),
            "429": { "$ref": "#/components/responses/TooManyRequests" },
            "503": { "$ref": "#/components/responses/Unavailable" }
        }
    })
}

/// The `{id}` path parameter.
fn id_parameter(schemas: &mut Schemas, what: &str) -> Value {
    json!({ "name": "id", "in": "path", "required": true, "description": what, "schema": schemas.request::<TokenId>() })
}

/// The `limit` and `cursor` query parameters of a paged listing of `what`.
fn page_parameters(what: &str) -> [Value; 2] {
    [
        json!({ "name": "limit", "in": "query", "required": false,
          "description": format!("The most {what} on this page; {DEFAULT_PAGE_TOKENS} by default."),
          "schema": { "type": "integer", "minimum": 1, "maximum": MAX_PAGE_TOKENS, "default": DEFAULT_PAGE_TOKENS } }),
        json!({ "name": "cursor", "in": "query", "required": false,
          "description": "Where to go on: the `cursor` of the previous page, as it was given. A cursor \
            works only for the listing it came from (the same caller's view, the same `parent`, the same \
            token's events) and is signed by the service: any other is 400 INVALID_INPUT, as is every cursor \
            once the admin token changes.",
          "schema": { "type": "string", "minLength": 1 } }),
    ]
}

fn list_operation(schemas: &mut Schemas) -> Value {
    let [limit, cursor] = page_parameters("tokens");
    json!({
        "summary": "The live tokens the caller may see, a page at a time (no capability needed, no call counted).",
        "description": format!("The admin token sees every token; an issued token sees itself (first) and its \
            descendants. Pages together list each live token once; tokens created or deleted while paging may \
            or may not appear. A page holds at most `limit` tokens and may hold fewer, even none, when the \
            service bounds the page's storage work; only a missing `cursor` marks the last page. Each limit's \
            `used` is the token's subtree's use. Bad query values: 400 INVALID_INPUT."),
        "parameters": [
            limit,
            cursor,
            { "name": "parent", "in": "query", "required": false,
              "description": "Only the direct children of this token (which the caller must be able to see).",
              "schema": schemas.request::<TokenId>() }
        ],
        "responses": {
            "200": json_response("A page of tokens.", schemas.response::<TokenPage>()),
            "400": error_response("A query value is not what the route takes.",
                &[ApiError::InvalidInput("limit must be an integer from 1 to 1000".into())]),
            "401": { "$ref": "#/components/responses/Unauthorized" },
            "404": error_response("`parent` is not a token the caller may see.", &[ApiError::TokenNotFound]),
            "429": { "$ref": "#/components/responses/TooManyRequests" },
            "503": { "$ref": "#/components/responses/Unavailable" }
        }
    })
}

fn inspect_operation(schemas: &mut Schemas) -> Value {
    let mut token = json_response("The token.", schemas.response::<TokenInfo>());
    token["links"] = delete_link();
    json!({
        "summary": "One token the caller may see (no capability needed, no call counted).",
        "description": "The admin token may inspect any token; an issued token itself and its descendants. \
            Any other id is answered as not found, like an unknown, expired or deleted one.",
        "parameters": [id_parameter(schemas, "The token's public id.")],
        "responses": {
            "200": token,
            "401": { "$ref": "#/components/responses/Unauthorized" },
            "404": error_response("Unknown, expired, deleted or not the caller's.", &[ApiError::TokenNotFound]),
            "429": { "$ref": "#/components/responses/TooManyRequests" },
            "503": { "$ref": "#/components/responses/Unavailable" }
        }
    })
}

fn events_operation(schemas: &mut Schemas) -> Value {
    let [limit, cursor] = page_parameters("events");
    let days = EVENTS_KEPT_SECS / 86_400;
    json!({
        "summary": "What a token and its descendants did, newest first, a page at a time (no capability needed, \
            no call counted).",
        "description": format!("Visible as `GET /tokens/{{id}}` is: to the token itself, its ancestors and the admin \
            token; the admin token also for a token deleted or expired within the last {days} days. Recorded, \
            durably before the answer: every call of a token that has limits or conditions (allowed or refused, \
            with the refusal's `reason`; its reads of tokens and trails excepted), every call of the node's \
            routes other than GET by any issued token, and every create, delete and rotation of a token, the admin \
            token's included (actor `admin`), with the amount and target where a condition read them. Events \
            are kept {days} days, also after the token was deleted; a delegation tree keeps at most \
            {MAX_EVENTS_PER_TREE} events, dropping the oldest first. Bad query values: 400 INVALID_INPUT."),
        "parameters": [id_parameter(schemas, "The token's public id."), limit, cursor],
        "responses": {
            "200": json_response("A page of events, newest first.", schemas.response::<EventPage>()),
            "400": error_response("A query value is not what the route takes.",
                &[ApiError::InvalidInput("limit must be an integer from 1 to 1000".into())]),
            "401": { "$ref": "#/components/responses/Unauthorized" },
            "404": error_response("Unknown, not the caller's, or (for an issued token) expired or deleted.",
                &[ApiError::TokenNotFound]),
            "429": { "$ref": "#/components/responses/TooManyRequests" },
            "503": { "$ref": "#/components/responses/Unavailable" }
        }
    })
}

fn rotate_operation(schemas: &mut Schemas) -> Value {
    let mut created = json_response(
        "Rotated: the same token (id, capabilities, counters, expiry and place in the tree) with a new secret, \
         shown only in this response, and until when the old secret works.",
        schemas.response::<RotatedToken>(),
    );
    created["links"] = delete_link();
    json!({
        "summary": "A new secret for a token (capability tokensRotate).",
        "description": format!("Who may rotate is as for delete: the admin token any token, an issued token itself \
            and its descendants. The old secret is refused at once, or after `grace` seconds (at most \
            {MAX_GRACE_SECS}), counted to the millisecond. Until then it authenticates the token's other calls, \
            but may not create, delete or rotate tokens (403 `secret_in_grace`), so that whoever holds a leaked \
            secret cannot take the token over from its owner. A rotation ends any earlier grace period: at most \
            one old secret works at a time. Of concurrent rotations of one token exactly one succeeds; the \
            others are answered 409 CONFLICT and change nothing. The body may be left out."),
        "parameters": [id_parameter(schemas, "The token's public id.")],
        "requestBody": { "required": false, "content": { "application/json": {
            "schema": schemas.request::<RotateRequest>(), "example": { "grace": 300 } } } },
        "responses": {
            "201": created,
            "400": error_response("The body is not JSON, or `grace` is out of range.",
                &[ApiError::InvalidInput(format!("grace must be an integer from 0 to {MAX_GRACE_SECS} (seconds)"))]),
            "401": { "$ref": "#/components/responses/Unauthorized" },
            "403": error_response("The token lacks tokensRotate, or its limit is used up, or the secret is \
                one a rotation replaced, in its grace period.",
                &[missing("tokensRotate"), exhausted("tokensRotate"), ApiError::SecretInGrace]),
            "404": error_response("Unknown, expired, deleted or not the caller's.", &[ApiError::TokenNotFound]),
            "409": error_response("Another rotation of this token is under way or went first.",
                &[ApiError::RotationConflict]),
            "413": error_response("The body is too large.", &[ApiError::PayloadTooLarge]),
            "429": { "$ref": "#/components/responses/TooManyRequests" },
            "503": { "$ref": "#/components/responses/Unavailable" }
        }
    })
}

fn missing(endpoint: &str) -> ApiError {
    ApiError::MissingCapability(endpoint.to_string())
}

fn exhausted(endpoint: &str) -> ApiError {
    ApiError::LimitExhausted(UsedUp {
        endpoint: endpoint.to_string(),
        max: 10,
        used: 10,
        shared: false,
        period: None,
    })
}

fn json_response(description: &str, schema: Schema) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn throttled_response() -> Value {
    let mut response = error_response(
        "Too many failed sign-ins from this client address: every request from it that presents a \
         credential, valid or not, gets this answer until the period has passed. Requests that present \
         no credential are neither counted nor answered 429.",
        &[ApiError::TooManyFailedSignIns(THROTTLE_SECS)],
    );
    response["headers"] = json!({ "Retry-After": { "schema": { "type": "integer" },
        "description": "Seconds to wait before trying again." } });
    response
}

fn error_response(description: &str, examples: &[ApiError]) -> Value {
    let examples: Map<String, Value> = examples
        .iter()
        .enumerate()
        .map(|(i, e)| (format!("example{i}"), json!({ "value": e.body() })))
        .collect();
    let mut response = json!({
        "description": description,
        "content": { "application/json": {
            "schema": { "$ref": format!("{SCHEMAS}ErrorBody") },
            "examples": examples
        } }
    });
    if examples.values().any(|example| example["value"]["status"] == "UNAUTHORIZED")
        && examples.values().any(|example| example["value"]["error"] == "authentication failed")
    {
        response["headers"] = json!({ "WWW-Authenticate": { "schema": { "type": "string" } } });
    }
    response
}
