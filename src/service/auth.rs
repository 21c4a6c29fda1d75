//! Who is calling, and whether they may: the admin token or a live issued
//! token, and its capability for the operation. A request is authenticated
//! once ([`authenticate`]); counting the call is [`super::charge`]'s.
//!
//! Failed sign-ins are throttled per client address: once an address is
//! over the limit it is locked out, and every request from it that presents
//! a credential is answered 429 until the lock-out ends, a correct
//! credential included, so that a correct guess looks like a wrong one. The
//! lock-out is read in the same storage read as the token's record.
//!
//! The admin token must be strong ([`AdminToken::is_strong`]);
//! otherwise no authenticated request is served. An issued token is live while it has not
//! expired and every ancestor is still indexed, so deleting a token revokes
//! its whole subtree at once; a rotated token's secret works only while its
//! own index entry names it, and a secret in its grace period after a
//! rotation may not create, delete or rotate tokens, so that whoever holds a
//! leaked secret cannot take the token over from its owner.
//!
//! Only a credential that was presented and refused counts as a failed
//! sign-in: a request without any is answered 401 but never counted, since
//! any web page can send such requests from a victim's address.

use crate::contract::{
    bounds::THROTTLE_SECS,
    error::{AdminTokenProblem, ApiError},
    routes::changes_tokens,
    secret::is_well_formed,
};

use super::{
    credential,
    http::ApiRequest,
    records::{SecretState, TokenRecord},
    secret::{storage_key, AdminToken},
    store::{KeyValue, TokenStore},
};

/// Counts failed sign-ins per client address.
#[allow(async_fn_in_trait)]
pub trait SignInLimiter {
    /// Counts one failed sign-in of `request`'s client address; true once
    /// the address is over its limit.
    async fn over_limit_after_failure(&self, request: &ApiRequest) -> bool;
}

/// Who is calling.
#[derive(Clone, Debug)]
pub enum Principal {
    /// The admin token: no record, no limits.
    Admin,
    /// An issued token.
    Issued(TokenRecord),
}

impl Principal {
    /// The public id, for the log line; `None` for the admin token.
    pub fn id(&self) -> Option<String> {
        match self {
            Principal::Admin => None,
            Principal::Issued(record) => Some(record.id.clone()),
        }
    }
}

/// An authenticated caller: who, and with which of its secrets.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Who.
    pub principal: Principal,
    secret: SecretState,
}

impl Caller {
    /// Whether the caller may call `endpoint`: it holds the capability, and
    /// a secret in its grace period does not create, delete or rotate tokens.
    pub fn may_call(&self, endpoint: &str) -> Result<(), ApiError> {
        if self.secret == SecretState::InGrace && changes_tokens(endpoint) {
            return Err(ApiError::SecretInGrace);
        }
        match &self.principal {
            Principal::Issued(record) if record.grant(endpoint).is_none() => {
                Err(ApiError::MissingCapability(endpoint.to_string()))
            }
            _ => Ok(()),
        }
    }
}

/// Finds the caller's token: the admin token (`admin`), or a live issued
/// token whose ancestors are all live too, with which of its secrets it
/// was. The query may carry the token only on a WebSocket route
/// (`websocket_route`), for a WebSocket upgrade.
pub async fn authenticate<K: KeyValue>(
    tokens: &TokenStore<'_, K>,
    admin: Option<&AdminToken>,
    request: &ApiRequest,
    websocket_route: bool,
    now_ms: u64,
) -> Result<Caller, ApiError> {
    let admin = match admin {
        None => return Err(ApiError::Misconfigured(AdminTokenProblem::Missing)),
        Some(admin) if !admin.is_strong() => return Err(ApiError::Misconfigured(AdminTokenProblem::Weak)),
        Some(admin) => admin,
    };
    let query_token = match websocket_route && request.is_websocket() {
        true => credential::query_token(request.query.as_deref()),
        false => None,
    };
    let presented =
        credential::presented_token(request.x_auth_token.as_deref(), request.authorization.as_deref())
            .or(query_token)
            .ok_or(ApiError::CredentialMissing)?;
    let address = client_address(request);
    if !is_well_formed(&presented) {
        // A malformed secret is refused without a storage read; the
        // limiter still counts it.
        if !admin.matches(&presented) {
            return Err(ApiError::AuthenticationFailed);
        }
        // The admin needs no storage; unreadable storage locks no one out.
        not_locked_out(tokens.lockout(address).await.ok().flatten(), now_ms)?;
        return Ok(Caller { principal: Principal::Admin, secret: SecretState::Current });
    }
    let key = storage_key(&presented);
    let (record, lockout) = tokens.record_and_lockout(&key, address).await?;
    not_locked_out(lockout, now_ms)?;
    let record = record.filter(|record| !record.is_expired(now_ms)).ok_or(ApiError::AuthenticationFailed)?;
    let secret = tokens.secret_state(&record, &key, now_ms).await?.ok_or(ApiError::AuthenticationFailed)?;
    Ok(Caller { principal: Principal::Issued(record), secret })
}

/// Counts a failed sign-in of `request`'s address; once it is over the
/// limit, locks the address out and answers 429 instead of 401.
pub async fn throttle<K: KeyValue, L: SignInLimiter>(
    limiter: &L,
    tokens: &TokenStore<'_, K>,
    request: &ApiRequest,
    now_ms: u64,
) -> Option<ApiError> {
    if !limiter.over_limit_after_failure(request).await {
        return None;
    }
    let until_ms = now_ms + u64::from(THROTTLE_SECS) * 1000;
    // Best effort: KV takes one write a second per key, and concurrent
    // failures may race; the limiter keeps refusing meanwhile.
    let _ = tokens.lock_out(client_address(request), until_ms, now_ms).await;
    Some(ApiError::TooManyFailedSignIns(THROTTLE_SECS))
}

/// The address failed sign-ins are counted by: `CF-Connecting-IP`.
fn client_address(request: &ApiRequest) -> &str {
    request.client_address.as_deref().unwrap_or("unknown")
}

/// Refuses a locked-out address until `lockout_ms` (its end) has passed;
/// `Retry-After` rounds the rest up to whole seconds.
fn not_locked_out(lockout_ms: Option<u64>, now_ms: u64) -> Result<(), ApiError> {
    match lockout_ms {
        Some(until) if until > now_ms => Err(ApiError::TooManyFailedSignIns(
            u32::try_from((until - now_ms).div_ceil(1000)).unwrap_or(THROTTLE_SECS),
        )),
        _ => Ok(()),
    }
}
