// The package's values, and every type of its declarations: the client's
// options and errors, and the API's wire types (generated from its OpenAPI
// document).
export { TokensClient, isWellFormedSecret, TokensApiError, TokensNetworkError, TokensTimeoutError } from "./web/edge_tokens.js";
export type * from "./web/edge_tokens.js";
