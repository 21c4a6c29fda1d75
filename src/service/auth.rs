//! Who is calling, and whether they may: the admin token or a live issued
//! token, its capability for the operation, and its `calls` limit.
//!
//! The admin token must be strong ([`secret::AdminToken::is_strong`]);
//! otherwise no authenticated request is served. An issued token is live while it has not
//! expired and every ancestor is still indexed, so deleting a token revokes
//! its whole subtree at once.

use crate::contract::error::{AdminTokenProblem, ApiError, UsedUp};

use super::{
    credential,
    http::ApiRequest,
    records::TokenRecord,
    secret,
    store::{CallCounter, KeyValue, StoreError, TokenStore},
    usage::{Call, ChargeRequest, UsedCalls},
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

impl<K: KeyValue, C: CallCounter, L: SignInLimiter> Service<K, C, L> {
    /// Authenticates the caller into `caller` (kept for the log line even
    /// when refused) and refuses it unless it holds `endpoint`. The query
    /// may carry the token only on a WebSocket route (`websocket_route`).
    pub(super) async fn authorize<'c>(
        &self,
        request: &ApiRequest,
        now: u64,
        endpoint: &str,
        websocket_route: bool,
        caller: &'c mut Option<Principal>,
    ) -> Result<&'c Principal, ApiError> {
        let principal = caller.insert(self.authenticate(request, now, websocket_route).await?);
        require(principal, endpoint)?;
        Ok(principal)
    }

    /// Finds the caller's token: the admin token, or a live issued token
    /// whose ancestors are all live too.
    async fn authenticate(
        &self,
        request: &ApiRequest,
        now: u64,
        websocket_route: bool,
    ) -> Result<Principal, ApiError> {
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
                .ok_or(ApiError::AuthenticationFailed)?;
        if admin.matches(&presented) {
            return Ok(Principal::Admin);
        }
        if !secret::is_well_formed(&presented) {
            return Err(ApiError::AuthenticationFailed);
        }
        let tokens = self.tokens();
        let record = tokens
            .record(&secret::storage_key(&presented))
            .await
            .map_err(unavailable)?
            .filter(|record| !record.is_expired(now))
            .ok_or(ApiError::AuthenticationFailed)?;
        if !record.ancestors.is_empty()
            && !tokens.all_indexed(&record.ancestors).await.map_err(unavailable)?
        {
            return Err(ApiError::AuthenticationFailed);
        }
        Ok(Principal::Issued(record))
    }

    /// Counts one call of `endpoint` against the caller's limit, if it has
    /// one. Returns the token's counters when they were consulted.
    pub(super) async fn charge(
        &self,
        principal: &Principal,
        endpoint: &str,
    ) -> Result<Option<UsedCalls>, ApiError> {
        let Principal::Issued(record) = principal else { return Ok(None) };
        let Some(max) = record.grant(endpoint).and_then(|grant| grant.max_calls) else { return Ok(None) };
        let call = Call { endpoint: endpoint.to_string(), max };
        let request = ChargeRequest { call: Some(call), valid_until: record.valid_until };
        let reply = self.counters.charge(&record.id, &request).await.map_err(unavailable)?;
        if !reply.granted {
            let used = reply.used.get(endpoint).copied().unwrap_or(max);
            return Err(ApiError::LimitExhausted(UsedUp {
                endpoint: endpoint.to_string(),
                max,
                used,
                shared: false,
            }));
        }
        Ok(Some(reply.used))
    }

    /// The counters of a limited token, without counting a call.
    pub(super) async fn read_counters(&self, record: &TokenRecord) -> Result<UsedCalls, ApiError> {
        let request = ChargeRequest { call: None, valid_until: record.valid_until };
        let reply = self.counters.charge(&record.id, &request).await.map_err(unavailable)?;
        if !reply.granted {
            return Err(ApiError::AuthenticationFailed);
        }
        Ok(reply.used)
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

/// A storage failure, as the caller sees it.
pub(super) fn unavailable(error: StoreError) -> ApiError {
    ApiError::Unavailable(error.to_string())
}
