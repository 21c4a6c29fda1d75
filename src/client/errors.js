// The errors a TokensClient rejects with. They are real Error subclasses, so
// `instanceof`, `name`, `message` and stack traces work as for any JS error.

/** The service answered with an error status. */
export class TokensApiError extends Error {
  constructor(httpStatus, status, error, reason) {
    super(`${status} (${httpStatus}): ${error}`);
    this.name = "TokensApiError";
    this.httpStatus = httpStatus;
    this.status = status;
    this.error = error;
    // Why a known token was refused (every 403): decide on this, not on `error`.
    if (reason !== undefined) this.reason = reason;
  }
}

/** The request did not reach the service, or its answer did not arrive. */
export class TokensNetworkError extends Error {
  constructor(message, cause) {
    super(message, { cause });
    this.name = "TokensNetworkError";
  }
}

/** The service did not answer within `timeoutMs`. */
export class TokensTimeoutError extends Error {
  constructor(timeoutMs) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = "TokensTimeoutError";
    this.timeoutMs = timeoutMs;
  }
}
