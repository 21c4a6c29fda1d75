//! Making secrets and ids, the hash under which a token is stored, and the
//! admin token. Their format is the contract's
//! ([`crate::contract::secret`]): a secret's body carries about 190 random
//! bits, from the operating system's or the runtime's CSPRNG.
//!
//! Storage never sees a secret: records are keyed by [`storage_key`], a
//! domain-separated SHA-256 of it. A fast hash is right here because secrets
//! carry 190 random bits; there is nothing to brute-force.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::contract::{
    bounds::{ID_LEN, MIN_ADMIN_TOKEN_CHARS},
    error::ApiError,
    secret::{checksum, BASE62, SECRET_BODY_LEN, SECRET_LEN, SECRET_PREFIX},
};

/// The bytes of an [`AdminToken::tag`]: 128 bits, beyond guessing.
pub const TAG_LEN: usize = 16;

/// The random source failed; nothing can be issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RandomnessUnavailable;

impl From<RandomnessUnavailable> for ApiError {
    fn from(_: RandomnessUnavailable) -> ApiError {
        ApiError::Unavailable("the random source failed".to_string())
    }
}

/// A new secret: prefix, random body, checksum.
pub fn new_secret() -> Result<String, RandomnessUnavailable> {
    let mut secret = String::with_capacity(SECRET_LEN);
    secret.push_str(SECRET_PREFIX);
    secret.push_str(&random_base62(SECRET_BODY_LEN)?);
    let checksum = checksum(&secret);
    secret.push_str(&checksum);
    Ok(secret)
}

/// A new public token id: [`ID_LEN`] random base62 characters.
pub fn new_id() -> Result<String, RandomnessUnavailable> {
    random_base62(ID_LEN)
}

/// The storage key of the token whose secret is `secret`.
pub fn storage_key(secret: &str) -> String {
    let digest = Sha256::new().chain_update(b"edge-tokens/v1/secret\0").chain_update(secret).finalize();
    let mut key = String::with_capacity(64);
    for byte in digest {
        key.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        key.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
    }
    key
}

/// The admin token, kept as its SHA-256 digest: set up once (the Worker does
/// it once per isolate), so that checking a credential hashes only what was
/// presented. The digest also keys the tags of what the service hands out
/// and must get back unchanged ([`AdminToken::tag`]). Its `Debug` shows
/// neither the token nor the digest.
#[derive(Clone)]
pub struct AdminToken {
    digest: [u8; 32],
    strong: bool,
}

impl AdminToken {
    /// Keeps the digest of `token`, and whether it is strong enough.
    pub fn new(token: &str) -> Self {
        let strong = token.chars().count() >= MIN_ADMIN_TOKEN_CHARS && !token.trim().is_empty();
        AdminToken { digest: Sha256::digest(token.as_bytes()).into(), strong }
    }

    /// True when the token has at least [`MIN_ADMIN_TOKEN_CHARS`] characters
    /// and is not only whitespace: a guessable admin token is refused, not
    /// throttled.
    pub fn is_strong(&self) -> bool {
        self.strong
    }

    /// True when `presented` is the admin token, found in time that does not
    /// depend on where they differ, nor on either one's length.
    pub fn matches(&self, presented: &str) -> bool {
        Sha256::digest(presented.as_bytes()).as_slice().ct_eq(&self.digest).into()
    }

    /// A tag of `message` that only a holder of the admin token can make:
    /// HMAC-SHA256 keyed by its digest, cut to [`TAG_LEN`] bytes. Changing
    /// the admin token voids every tag made before.
    pub fn tag(&self, message: &[u8]) -> [u8; TAG_LEN] {
        let full = self.mac(message).finalize().into_bytes();
        let mut tag = [0; TAG_LEN];
        tag.copy_from_slice(&full[..TAG_LEN]);
        tag
    }

    /// True when `tag` is [`AdminToken::tag`] of `message`, compared in
    /// constant time.
    pub fn has_tagged(&self, message: &[u8], tag: &[u8]) -> bool {
        tag.len() == TAG_LEN && self.mac(message).verify_truncated_left(tag).is_ok()
    }

    fn mac(&self, message: &[u8]) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.digest).expect("HMAC takes any key length");
        mac.update(message);
        mac
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(..)")
    }
}

/// Uniform base62 characters by rejection sampling: bytes of 248 and above
/// are dropped so that `byte % 62` has no bias.
fn random_base62(len: usize) -> Result<String, RandomnessUnavailable> {
    let mut out = String::with_capacity(len);
    let mut pool = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut pool).map_err(|_| RandomnessUnavailable)?;
        for &byte in pool.iter().filter(|&&b| b < 248) {
            if out.len() == len {
                break;
            }
            out.push(char::from(BASE62[usize::from(byte % 62)]));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::secret::{is_well_formed, is_well_formed_id};

    #[test]
    fn new_secrets_are_well_formed_and_distinct() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert!(a.starts_with("etk_"));
        assert_eq!(a.len(), SECRET_LEN);
        assert!(is_well_formed(&a), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn any_changed_character_breaks_the_checksum() {
        let secret = new_secret().unwrap();
        for i in SECRET_PREFIX.len()..secret.len() {
            let mut bytes = secret.clone().into_bytes();
            bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
            let changed = String::from_utf8(bytes).unwrap();
            assert!(!is_well_formed(&changed), "position {i}: {changed}");
        }
    }

    #[test]
    fn ids_are_base62_and_not_secrets() {
        let id = new_id().unwrap();
        assert!(is_well_formed_id(&id));
        assert!(!is_well_formed(&id));
    }

    #[test]
    fn storage_key_is_a_hash_not_the_secret() {
        let secret = new_secret().unwrap();
        let key = storage_key(&secret);
        assert_eq!(key.len(), 64);
        assert!(!key.contains(&secret[SECRET_PREFIX.len()..]));
        assert_eq!(key, storage_key(&secret));
        assert_ne!(key, storage_key(&new_secret().unwrap()));
    }

    #[test]
    fn a_tag_verifies_only_its_message_under_its_admin_token() {
        let admin = AdminToken::new("an admin token of at least 32 chars");
        let tag = admin.tag(b"all\0{}");
        assert!(admin.has_tagged(b"all\0{}", &tag));
        assert!(!admin.has_tagged(b"all\0{} ", &tag), "another message");
        assert!(!admin.has_tagged(b"all\0{}", &tag[..8]), "a shortened tag");
        assert!(!AdminToken::new("another admin token of 32 chars!!").has_tagged(b"all\0{}", &tag));
    }

    #[test]
    fn the_tag_is_hmac_sha256_keyed_by_the_admin_digest() {
        // HMAC by its definition (RFC 2104), for a 32-byte key.
        let admin = AdminToken::new("an admin token of at least 32 chars");
        let key: [u8; 32] = Sha256::digest(b"an admin token of at least 32 chars").into();
        let pad = |byte: u8| key.iter().map(|k| k ^ byte).chain([byte; 32]).collect::<Vec<u8>>();
        let inner = Sha256::new().chain_update(pad(0x36)).chain_update(b"message").finalize();
        let outer = Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize();
        assert_eq!(admin.tag(b"message"), outer[..TAG_LEN]);
    }

    #[test]
    fn admin_comparison_needs_an_exact_match() {
        let admin = AdminToken::new("correct horse");
        assert!(admin.matches("correct horse"));
        assert!(!admin.matches("correct hors"));
        assert!(!admin.matches("correct horsf"));
        assert!(!admin.matches(""));
    }

    #[test]
    fn admin_token_strength_counts_characters_and_refuses_whitespace() {
        assert!(AdminToken::new(&"ä".repeat(MIN_ADMIN_TOKEN_CHARS)).is_strong());
        assert!(!AdminToken::new(&"a".repeat(MIN_ADMIN_TOKEN_CHARS - 1)).is_strong());
        assert!(!AdminToken::new("12345678").is_strong());
        assert!(!AdminToken::new(&" ".repeat(MIN_ADMIN_TOKEN_CHARS)).is_strong());
        assert!(!AdminToken::new(&"\t\n".repeat(MIN_ADMIN_TOKEN_CHARS)).is_strong());
    }

    #[test]
    fn admin_token_never_shows_itself() {
        assert_eq!(format!("{:?}", AdminToken::new("correct horse")), "AdminToken(..)");
    }
}
