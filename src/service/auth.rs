//! Who is calling, and whether they may: the admin token or a live issued
//! token, its capability for the operation, and its `calls` limits (its own
//! and every limited ancestor's, counted together in its tree's budgets).
//!
//! Failed sign-ins are throttled per client address: once an address is
//! over the limit it is locked out, and every request from it that presents
//! a credential is answered 429 until the lock-out ends, a correct
//! credential included, so that a correct guess looks like a wrong one. The
//! lock-out is read in the same storage read as the token's record.
//!
//! The admin token must be strong ([`secret::AdminToken::is_strong`]);
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
    error::{AdminTokenProblem, ApiError, UsedUp},
    routes::changes_tokens,
    secret::is_well_formed,
};

use super::{
    budgets::{Charge, ChargeRequest, Refusal, Used},
    conditions::Amount,
    credential,
    http::ApiRequest,
    records::{spend_counter_currency, SecretState, TokenRecord},
    secret,
    store::{Budgets, KeyValue, StoreError, TokenStore},
    Service,
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

impl<K: KeyValue, B: Budgets, L: SignInLimiter> Service<K, B, L> {
    /// Authenticates the caller into `caller` (kept for the log line even
    /// when refused) and refuses it unless it holds `endpoint`. The query
    /// may carry the token only on a WebSocket route (`websocket_route`).
    pub(super) async fn authorize<'c>(
        &self,
        request: &ApiRequest,
        now_ms: u64,
        endpoint: &str,
        websocket_route: bool,
        caller: &'c mut Option<Principal>,
    ) -> Result<&'c Principal, ApiError> {
        let (principal, secret) = self.authenticate(request, now_ms, websocket_route).await?;
        let principal = caller.insert(principal);
        if secret == SecretState::InGrace && changes_tokens(endpoint) {
            return Err(ApiError::SecretInGrace);
        }
        require(principal, endpoint)?;
        Ok(principal)
    }

    /// Authenticates the caller into `caller` (kept for the log line), for
    /// the routes that need no capability.
    pub(super) async fn authenticate_caller<'c>(
        &self,
        request: &ApiRequest,
        now_ms: u64,
        caller: &'c mut Option<Principal>,
    ) -> Result<&'c Principal, ApiError> {
        Ok(caller.insert(self.authenticate(request, now_ms, false).await?.0))
    }

    /// Finds the caller's token: the admin token, or a live issued token
    /// whose ancestors are all live too, with which of its secrets it was.
    async fn authenticate(
        &self,
        request: &ApiRequest,
        now_ms: u64,
        websocket_route: bool,
    ) -> Result<(Principal, SecretState), ApiError> {
        let admin = match &self.config.admin_token {
            None => return Err(ApiError::Misconfigured(AdminTokenProblem::Missing)),
            Some(admin) if !admin.is_strong() => {
                return Err(ApiError::Misconfigured(AdminTokenProblem::Weak))
            }
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
        let tokens = self.tokens();
        let address = client_address(request);
        if !is_well_formed(&presented) {
            // A malformed secret is refused without a storage read; the
            // limiter still counts it.
            if !admin.matches(&presented) {
                return Err(ApiError::AuthenticationFailed);
            }
            // The admin needs no storage; unreadable storage locks no one out.
            not_locked_out(tokens.lockout(address).await.ok().flatten(), now_ms)?;
            return Ok((Principal::Admin, SecretState::Current));
        }
        let storage_key = secret::storage_key(&presented);
        let (record, lockout) =
            tokens.record_and_lockout(&storage_key, address).await.map_err(unavailable)?;
        not_locked_out(lockout, now_ms)?;
        let record =
            record.filter(|record| !record.is_expired(now_ms)).ok_or(ApiError::AuthenticationFailed)?;
        let secret = tokens
            .secret_state(&record, &storage_key, now_ms)
            .await
            .map_err(unavailable)?
            .ok_or(ApiError::AuthenticationFailed)?;
        Ok((Principal::Issued(record), secret))
    }

    /// Counts a failed sign-in of `request`'s address; once it is over the
    /// limit, locks the address out and answers 429 instead of 401.
    pub(super) async fn throttle(&self, request: &ApiRequest, now_ms: u64) -> Option<ApiError> {
        if !self.limiter.over_limit_after_failure(request).await {
            return None;
        }
        let until_ms = now_ms + u64::from(THROTTLE_SECS) * 1000;
        // Best effort: KV takes one write a second per key, and concurrent
        // failures may race; the limiter keeps refusing meanwhile.
        let _ = self.tokens().lock_out(client_address(request), until_ms, now_ms).await;
        Some(ApiError::TooManyFailedSignIns(THROTTLE_SECS))
    }

    /// Counts one call of `endpoint` against the caller's limit and every
    /// limited ancestor's, all or none. Returns the caller's counters when
    /// they were consulted (the endpoint is limited).
    pub(super) async fn charge(
        &self,
        principal: &Principal,
        endpoint: &str,
    ) -> Result<Option<Used>, ApiError> {
        let Principal::Issued(record) = principal else { return Ok(None) };
        self.charge_call(record, record.charges(endpoint, None)).await
    }

    /// Counts `charges` (a call, and the amount it moves) in the caller's
    /// tree, all or none; `None` when there is nothing to count.
    pub(super) async fn charge_call(
        &self,
        record: &TokenRecord,
        charges: Vec<Charge>,
    ) -> Result<Option<Used>, ApiError> {
        if charges.is_empty() {
            return Ok(None);
        }
        let request =
            ChargeRequest { path: record.path(), charges, tree_valid_until: record.tree_valid_until() };
        self.ask_budgets(record, request).await.map(Some)
    }

    /// The counters of a limited token, without counting a call.
    pub(super) async fn read_counters(&self, record: &TokenRecord) -> Result<Used, ApiError> {
        let request = ChargeRequest {
            path: record.path(),
            charges: Vec::new(),
            tree_valid_until: record.tree_valid_until(),
        };
        self.ask_budgets(record, request).await
    }

    async fn ask_budgets(&self, record: &TokenRecord, request: ChargeRequest) -> Result<Used, ApiError> {
        let reply = self.budgets.charge(record.tree(), &request).await.map_err(unavailable)?;
        match reply.refused {
            None => Ok(reply.used),
            Some(Refusal::Revoked) => Err(ApiError::AuthenticationFailed),
            Some(Refusal::UsedUp { charge, used }) => Err(used_up(record, charge, used)),
        }
    }

    pub(super) fn tokens(&self) -> TokenStore<'_, K> {
        TokenStore::new(&self.kv)
    }
}

/// Refuses a caller whose token does not hold `endpoint`.
fn require(principal: &Principal, endpoint: &str) -> Result<(), ApiError> {
    match principal {
        Principal::Admin => Ok(()),
        Principal::Issued(record) if record.grant(endpoint).is_some() => Ok(()),
        Principal::Issued(_) => Err(ApiError::MissingCapability(endpoint.to_string())),
    }
}

/// The refusal of a charge that did not fit: a used-up `calls` limit, or an
/// amount more than is left of a `spend` budget.
fn used_up(record: &TokenRecord, charge: Charge, used: u128) -> ApiError {
    let shared = charge.token != record.id;
    match spend_counter_currency(&charge.counter) {
        Some(currency) => {
            let whose = if shared { "an ancestor's spend budget" } else { "the spend budget" };
            let left = Amount { currency, wei: charge.max.saturating_sub(used) };
            let max = Amount { currency, wei: charge.max };
            ApiError::ConditionFailed(format!(
                "amount: moves more than is left of {whose} ({left} of {max} left)"
            ))
        }
        None => ApiError::LimitExhausted(UsedUp {
            shared,
            endpoint: charge.counter,
            max: u64::try_from(charge.max).unwrap_or(u64::MAX),
            used: u64::try_from(used).unwrap_or(u64::MAX),
        }),
    }
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

/// A storage failure, as the caller sees it.
pub(super) fn unavailable(error: StoreError) -> ApiError {
    ApiError::Unavailable(error.to_string())
}
