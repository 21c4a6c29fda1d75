//! Every bound and format a client can observe: body size, counts, lengths,
//! delegation depth, and the length of ids (a secret's format is in
//! [`crate::contract::secret`]).
//!
//! The validator and the service enforce these numbers, the OpenAPI document
//! publishes them, and the console reads them from that document. A new
//! bound goes here first.

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// The most capabilities one token may hold.
pub const MAX_CAPABILITIES: usize = 64;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 256;
/// The longest lifetime, in seconds: 100 years of 365.25 days.
pub const MAX_LIFETIME_SECS: u64 = 3_155_760_000;
/// The largest `calls` limit: the largest integer a JavaScript number holds exactly.
pub const MAX_CALLS: u64 = 9_007_199_254_740_991;
/// The most ancestors a token may have: delegation is at most this deep.
pub const MAX_DEPTH: usize = 32;
/// The shortest admin token (`API_TOKEN`) the service accepts, in characters.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 32;
/// How long a throttled client address waits, in seconds.
pub const THROTTLE_SECS: u32 = 60;

/// The length of a token id: base62 characters.
pub const ID_LEN: usize = 22;

/// The most tokens one page of `GET /tokens` holds.
pub const MAX_PAGE_TOKENS: usize = 1000;
/// How many tokens a page of `GET /tokens` holds when the query does not say.
pub const DEFAULT_PAGE_TOKENS: usize = 100;
/// The most descendants `GET /tokens/{id}` counts: a count of this many
/// means at least this many.
pub const MAX_COUNTED_DESCENDANTS: u64 = 10_000;
/// The longest grace period of a rotation, in seconds: how long the old
/// secret may keep working.
pub const MAX_GRACE_SECS: u64 = 3600;

/// The most limits one capability may carry: calls and spend in each of the
/// two currencies, each once for the token's lifetime and once per period,
/// then targets and listen.
pub const MAX_LIMITS: usize = 8;
/// The shortest period of a periodic limit, in seconds.
pub const MIN_PERIOD_SECS: u64 = 60;
/// The longest period of a periodic limit, in seconds: 365 days.
pub const MAX_PERIOD_SECS: u64 = 31_536_000;
/// The most entries of a `targets` or `listen` list.
pub const MAX_ALLOWED: usize = 64;
/// The longest amount a `spend` limit takes, in characters.
pub const MAX_AMOUNT_CHARS: usize = 64;

/// How long the audit trail keeps an event, in seconds (30 days), also
/// after its token was deleted or expired.
pub const EVENTS_KEPT_SECS: u64 = 30 * 24 * 60 * 60;
/// The most events one delegation tree keeps: beyond, the oldest go first.
pub const MAX_EVENTS_PER_TREE: u64 = 1_000_000;
/// How far a token's `last_used_at` may be behind its last call, in seconds.
pub const LAST_USE_LAG_SECS: u64 = 60;
