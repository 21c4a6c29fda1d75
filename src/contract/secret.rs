//! The format of secrets and token ids: what a client can check without
//! asking the service.
//!
//! A secret is [`SECRET_PREFIX`], then [`SECRET_BODY_LEN`] random base62
//! characters, then a [`SECRET_CHECKSUM_LEN`]-character base62 checksum: the
//! first 32 bits of the SHA-256 of everything before it. Leak scanners find
//! the prefix; a mistyped or made-up secret fails the checksum before any
//! storage read. A token id is [`ID_LEN`] base62 characters.

use sha2::{Digest, Sha256};

use crate::contract::bounds::ID_LEN;

/// The prefix of every secret.
pub const SECRET_PREFIX: &str = "etk_";
/// How many random base62 characters a secret carries after its prefix.
pub const SECRET_BODY_LEN: usize = 32;
/// How many base62 characters the checksum at the end of a secret takes.
pub const SECRET_CHECKSUM_LEN: usize = 6;
/// The length of a secret.
pub const SECRET_LEN: usize = SECRET_PREFIX.len() + SECRET_BODY_LEN + SECRET_CHECKSUM_LEN;
/// The characters of a secret's body and checksum, and of an id, by value.
pub const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// True when `s` has the secret format and a correct checksum.
pub fn is_well_formed(s: &str) -> bool {
    if s.len() != SECRET_LEN || !s.is_ascii() || !s.starts_with(SECRET_PREFIX) {
        return false;
    }
    let (head, sum) = s.split_at(SECRET_LEN - SECRET_CHECKSUM_LEN);
    head[SECRET_PREFIX.len()..].bytes().all(is_base62) && checksum(head).as_bytes() == sum.as_bytes()
}

/// True when `s` could be a token id.
pub fn is_well_formed_id(s: &str) -> bool {
    s.len() == ID_LEN && s.bytes().all(is_base62)
}

/// The checksum that ends a secret whose prefix and body are `head`.
pub fn checksum(head: &str) -> String {
    let digest = Sha256::digest(head.as_bytes());
    let mut n = u64::from(u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]));
    let mut out = [b'0'; SECRET_CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

fn is_base62(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alphabet_is_the_ascii_alphanumerics() {
        assert!(BASE62.iter().all(|&b| is_base62(b)));
        assert_eq!((0..=u8::MAX).filter(|&b| is_base62(b)).count(), BASE62.len());
    }

    #[test]
    fn malformed_secrets_are_rejected() {
        let head = format!("{SECRET_PREFIX}{}", "a".repeat(SECRET_BODY_LEN));
        let secret = format!("{head}{}", checksum(&head));
        assert!(is_well_formed(&secret));
        assert!(!is_well_formed(""));
        assert!(!is_well_formed("etk_"));
        assert!(!is_well_formed(&secret[1..]));
        assert!(!is_well_formed(&format!("{secret}x")));
        assert!(!is_well_formed(&secret.replacen("etk_", "xtk_", 1)));
        assert!(!is_well_formed(&format!("etk_{}", "é".repeat(19))));
    }

    #[test]
    fn ids_are_base62_of_their_length() {
        assert!(is_well_formed_id(&"a".repeat(ID_LEN)));
        assert!(!is_well_formed_id("../../etc/passwd0000000"));
        assert!(!is_well_formed_id(""));
    }
}
