//! The TypeScript declarations that no derive can give: the client's
//! options, the lists `listTokens` and `listEvents` return, and its error
//! classes. The wire types (`Token`,
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

/** The options of `listTokens`. */
export interface ListTokensOptions {
  /** At most this many tokens a page (1 to 1000; 100 by default). A page may hold fewer, even none, and still not be the last. */
  limit?: number;
  /** Where to start: the `cursor` of a previous page. Left out (or undefined), the list starts from the beginning. */
  cursor?: string;
  /** Only this token's direct children. */
  parent?: string;
}

/**
 * What `listTokens` returns. Awaited, the first page:
 * `const { tokens, cursor } = await client.listTokens({ limit: 10 })`.
 * Iterated, every page, following the cursors to the last page:
 * `for await (const page of client.listTokens())`. Nothing is fetched until
 * it is awaited or iterated; each iteration starts again.
 */
export interface TokenList extends PromiseLike<TokenPage>, AsyncIterable<TokenPage> {
  catch<R = never>(rejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<TokenPage | R>;
  finally(settled?: (() => void) | null): Promise<TokenPage>;
  /** Every token of every page: `for await (const token of client.listTokens().tokens())`. */
  tokens(): AsyncGenerator<TokenInfo, void, undefined>;
}

/** The options of `listEvents`. */
export interface ListEventsOptions {
  /** At most this many events a page (1 to 1000; 100 by default). */
  limit?: number;
  /** Where to start: the `cursor` of a previous page. Left out (or undefined), the list starts from the newest. */
  cursor?: string;
}

/**
 * What `listEvents(id)` returns: a token's audit trail and its descendants',
 * newest first. Awaited, the first page:
 * `const { events, cursor } = await client.listEvents(id, { limit: 10 })`.
 * Iterated, every page: `for await (const page of client.listEvents(id))`.
 * Nothing is fetched until it is awaited or iterated; each iteration starts again.
 */
export interface EventList extends PromiseLike<EventPage>, AsyncIterable<EventPage> {
  catch<R = never>(rejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<EventPage | R>;
  finally(settled?: (() => void) | null): Promise<EventPage>;
  /** Every event of every page, newest first: `for await (const event of client.listEvents(id).events())`. */
  events(): AsyncGenerator<Event, void, undefined>;
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
