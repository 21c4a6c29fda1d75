//! The console's files (the static assets in `www/`), behind the API: every
//! request reaches the Worker first, and a path that neither the API nor the
//! gateway knows is looked up among the files. `GET` and `HEAD` get the
//! file's own answer; any other method on a file is `405` with `Allow`; a
//! path with no file is `404`.
//!
//! The Worker answers these rather than the assets layer so that every
//! answer is the contract's (JSON errors, `Allow` on each 405) and every
//! request body is read before the answer: `wrangler dev`'s local proxy
//! breaks on bodies that the assets layer leaves unread (docs/development.md,
//! "Running locally").

use crate::contract::error::ApiError;

/// The methods that read a file, as the `Allow` header lists them.
pub const READ_METHODS: &str = "GET, HEAD";

/// The console's files, as the adapter reaches them for the request being
/// served.
#[allow(async_fn_in_trait)] // Workers are single-threaded: no `Send` bound wanted.
pub trait Files {
    /// A file's answer, passed back to the caller as it is.
    type Answer;

    /// The answer for the file at the request's path, asked with `method`
    /// (`GET` or `HEAD`) and without the request's body; `Ok(None)` when no
    /// file is there. The error is the cause, for the log line.
    async fn fetch(&self, method: &'static str) -> Result<Option<Self::Answer>, String>;
}

/// The answer to `method` on a path that only the files may know.
pub async fn serve<F: Files>(method: &str, files: &F) -> Result<F::Answer, ApiError> {
    let asked = match method {
        "GET" => "GET",
        // Any other method only needs to know whether the file is there.
        _ => "HEAD",
    };
    let file = files.fetch(asked).await.map_err(ApiError::Unavailable)?.ok_or(ApiError::RouteNotFound)?;
    match method {
        "GET" | "HEAD" => Ok(file),
        _ => Err(ApiError::MethodNotAllowed(READ_METHODS.to_string())),
    }
}
