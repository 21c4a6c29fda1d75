export { TokensClient, isWellFormedSecret, TokensApiError, TokensNetworkError, TokensTimeoutError } from "./web/edge_tokens.js";
export type {
  CapabilityName,
  ErrorCode,
  CallsLimit,
  CapabilityRequest,
  CreateTokenRequest,
  CreatedToken,
  UsedCallsLimit,
  Capability,
  Token,
  CredentialScheme,
  TokensClientOptions,
} from "./web/edge_tokens.js";
