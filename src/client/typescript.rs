//! The TypeScript declarations that no derive can give: the client's
//! options and its error classes. The wire types (`Token`,
//! `CreateTokenRequest`, `CapabilityName`, `ErrorCode`, `Reason`, ...) are
//! generated from the OpenAPI document when the package is built
//! (`.ci/build-client.mjs`), and the package's type test checks that these
//! declarations agree with them.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const DECLARATIONS: &'static str = r#"
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
  /** The service's explanation, for people: decide on `status` and `reason`, not on this text. */
  readonly error: string;
  /** Why a known token was refused: set on every 403 of the service. */
  readonly reason?: Reason;
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
"#;
