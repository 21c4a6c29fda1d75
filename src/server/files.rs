//! [`Files`] on the `ASSETS` binding, the static assets of `wrangler.toml`:
//! the file that the request being served names, asked without the
//! request's body (which stays the Worker's to read, see [`super::body`])
//! and without following redirects. Without the binding there are no files.

use worker::{
    wasm_bindgen::JsCast,
    web_sys::{Request, Response},
    Env,
};

use super::{
    js::{assets_fetch, error_text},
    task::settled,
};
use crate::service::files::Files;

const BINDING: &str = "ASSETS";

/// The console's files for one request.
pub struct Assets<'a> {
    env: &'a Env,
    request: &'a Request,
}

impl<'a> Assets<'a> {
    /// The files as `request` sees them.
    pub fn new(env: &'a Env, request: &'a Request) -> Self {
        Assets { env, request }
    }
}

impl Files for Assets<'_> {
    type Answer = Response;

    async fn fetch(&self, method: &'static str) -> Result<Option<Response>, String> {
        let failed = |error| format!("{BINDING}: {}", error_text(&error));
        let Some(promise) = assets_fetch(self.env.as_ref(), BINDING, self.request, method).map_err(failed)?
        else {
            return Ok(None);
        };
        let response: Response = settled(promise).await.map_err(failed)?.unchecked_into();
        Ok(Some(response).filter(|response| response.status() != 404))
    }
}
