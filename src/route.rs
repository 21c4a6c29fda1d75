//! The route table: which paths exist and which methods each accepts.

use crate::error::ApiError;

/// The prefix of every route.
pub const API_PREFIX: &str = "/api/v3";

/// A matched route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `POST /tokens` or `POST /tokens/`.
    CreateToken,
    /// `DELETE /tokens/{id}`, with the id as given in the path.
    DeleteToken(String),
    /// `GET /token`.
    GetToken,
    /// `GET /openapi.json`.
    OpenApi,
    /// `GET /gateway`: whether the node gateway is on, and its route table.
    Gateway,
    /// `OPTIONS` on any route: a CORS preflight.
    Preflight,
}

/// Matches `method` and `path` (without query string) against the table.
pub fn route(method: &str, path: &str) -> Result<Route, ApiError> {
    let rest = path.strip_prefix(API_PREFIX).ok_or(ApiError::RouteNotFound)?;
    let (allow, route) = match rest {
        "/tokens" | "/tokens/" => ("POST, OPTIONS", Route::CreateToken),
        "/token" => ("GET, OPTIONS", Route::GetToken),
        "/openapi.json" => ("GET, OPTIONS", Route::OpenApi),
        "/gateway" => ("GET, OPTIONS", Route::Gateway),
        _ => match rest.strip_prefix("/tokens/") {
            Some(id) if !id.is_empty() && !id.contains('/') => {
                ("DELETE, OPTIONS", Route::DeleteToken(id.to_string()))
            }
            _ => return Err(ApiError::RouteNotFound),
        },
    };
    let expected = match route {
        Route::CreateToken => "POST",
        Route::DeleteToken(_) => "DELETE",
        _ => "GET",
    };
    match method {
        "OPTIONS" => Ok(Route::Preflight),
        m if m == expected => Ok(route),
        _ => Err(ApiError::MethodNotAllowed(allow)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! routes {
        ($name:ident, $method:expr, $path:expr, $want:expr) => {
            #[test]
            fn $name() {
                assert_eq!(route($method, $path), $want);
            }
        };
    }

    routes!(create, "POST", "/api/v3/tokens", Ok(Route::CreateToken));
    routes!(create_with_slash, "POST", "/api/v3/tokens/", Ok(Route::CreateToken));
    routes!(delete, "DELETE", "/api/v3/tokens/abc", Ok(Route::DeleteToken("abc".into())));
    routes!(get_token, "GET", "/api/v3/token", Ok(Route::GetToken));
    routes!(openapi, "GET", "/api/v3/openapi.json", Ok(Route::OpenApi));
    routes!(gateway, "GET", "/api/v3/gateway", Ok(Route::Gateway));
    routes!(preflight, "OPTIONS", "/api/v3/tokens/abc", Ok(Route::Preflight));
    routes!(
        get_tokens_not_allowed,
        "GET",
        "/api/v3/tokens",
        Err(ApiError::MethodNotAllowed("POST, OPTIONS"))
    );
    routes!(post_token_not_allowed, "POST", "/api/v3/token", Err(ApiError::MethodNotAllowed("GET, OPTIONS")));
    routes!(
        get_one_not_allowed,
        "GET",
        "/api/v3/tokens/abc",
        Err(ApiError::MethodNotAllowed("DELETE, OPTIONS"))
    );
    routes!(nested_id_not_found, "DELETE", "/api/v3/tokens/a/b", Err(ApiError::RouteNotFound));
    routes!(other_version_not_found, "GET", "/api/v4/token", Err(ApiError::RouteNotFound));
    routes!(root_not_found, "GET", "/", Err(ApiError::RouteNotFound));
    routes!(prefix_only_not_found, "GET", "/api/v3tokens", Err(ApiError::RouteNotFound));
    routes!(preflight_unknown_not_found, "OPTIONS", "/api/v3/nothing", Err(ApiError::RouteNotFound));
}
