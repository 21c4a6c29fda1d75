//! The TypeScript declarations of the values the client takes and gives,
//! added to the generated `.d.ts`. Capability names come from the catalogue.

use wasm_bindgen::prelude::*;

use crate::catalogue::with_capabilities;

macro_rules! ts_union {
    ($($name:literal),*) => {
        concat!($("\n  | \"", $name, "\""),*)
    };
}

#[allow(dead_code)] // read by wasm-bindgen (below) and the tests; rustc does not see that use
const DECLARATIONS: &str = concat!(
    "/** An operation a token may be granted. */\nexport type CapabilityName =",
    with_capabilities!(ts_union),
    r#";

/** The machine-readable `status` of an error answer. */
export type ErrorCode =
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "INVALID_INPUT"
  | "INVALID_TOKEN_CAPABILITIES"
  | "INVALID_TOKEN_DESCRIPTION"
  | "PAYLOAD_TOO_LARGE"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "MISCONFIGURED"
  | "UNAVAILABLE"
  | "TOO_MANY_REQUESTS"
  | "BAD_GATEWAY"
  | "GATEWAY_TIMEOUT";

/** At most `conditions.max` authorized calls of the capability, ever. */
export interface CallsLimit {
  type: "calls";
  conditions: { max: number };
}

/** A capability to request: an operation, optionally limited. */
export interface CapabilityRequest {
  endpoint: CapabilityName;
  limits?: CallsLimit[];
}

/** The body of `createToken`. */
export interface CreateTokenRequest {
  capabilities: CapabilityRequest[];
  /** Seconds until the token expires; omit for a token that does not. */
  lifetime?: number;
  description?: string;
}

/** The answer of `createToken`: the secret is shown only this once. */
export interface CreatedToken {
  token: string;
  id: string;
  /** Seconds since the Unix epoch; absent when the token does not expire. */
  validUntil?: number;
}

/** A limit as `getToken` shows it, with the calls used so far. */
export interface UsedCallsLimit extends CallsLimit {
  used: number;
}

/** A capability as `getToken` shows it. */
export interface Capability {
  endpoint: CapabilityName;
  limits: UsedCallsLimit[];
}

/** A token as `getToken` shows it: never its secret. */
export interface Token {
  id: string;
  description: string;
  capabilities: Capability[];
  /** Seconds since the Unix epoch; absent when the token does not expire. */
  validUntil?: number;
}

/** How the client presents its token. */
export type CredentialScheme = "header" | "basic" | "bearer";

export interface TokensClientOptions {
  /** The token to authenticate with: an `etk_` secret or the admin token. */
  token: string;
  /** `"header"` (`x-auth-token`, the default), `"basic"` or `"bearer"`. */
  scheme?: CredentialScheme;
  /** How long to wait for each answer; 10000 by default. */
  timeoutMs?: number;
}

/** The service answered with an error status. */
export declare class TokensApiError extends Error {
  readonly name: "TokensApiError";
  /** The HTTP status code. */
  readonly httpStatus: number;
  /** The machine-readable code, or UNEXPECTED_RESPONSE for an answer that is not the API's. */
  readonly status: ErrorCode | "UNEXPECTED_RESPONSE";
  /** The service's explanation. */
  readonly error: string;
}

/** The request did not reach the service, or its answer did not arrive. */
export declare class TokensNetworkError extends Error {
  readonly name: "TokensNetworkError";
}

/** The service did not answer within `timeoutMs`. */
export declare class TokensTimeoutError extends Error {
  readonly name: "TokensTimeoutError";
  readonly timeoutMs: number;
}
"#
);

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = DECLARATIONS;

#[cfg(test)]
mod tests {
    use super::DECLARATIONS as TYPES;
    use crate::{catalogue::CAPABILITIES, error::ErrorCode};

    #[test]
    fn declarations_name_every_capability_and_error_code() {
        for name in CAPABILITIES {
            assert!(TYPES.contains(&format!("| \"{name}\"")), "{name}");
        }
        for code in ErrorCode::ALL {
            assert!(TYPES.contains(&format!("| \"{}\"", code.as_str())), "{code}");
        }
    }
}
