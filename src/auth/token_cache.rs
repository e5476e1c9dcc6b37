//! Tokens already verified, by the SHA-256 of the token: a JWT's signature and claims, or an
//! introspection round trip, are checked once, not on every request.
//!
//! An entry holds until the token's `exp`, and at most [`MAX_AGE`] seconds (an introspected
//! token revoked at the issuer is refused again within that time). At most [`CAPACITY`] entries;
//! the oldest goes first. Only digests are kept, never the tokens.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use sha2::{Digest, Sha256};

use super::principal::Principal;

/// The longest an entry holds, in seconds.
pub(crate) const MAX_AGE: u64 = 300;
/// The most entries kept.
pub(crate) const CAPACITY: usize = 10_000;

/// The SHA-256 of a token.
pub(crate) type TokenDigest = [u8; 32];

/// One verified token.
#[derive(Debug)]
struct Entry {
    principal: Principal,
    /// Seconds since the epoch after which the entry no longer holds.
    until: u64,
    /// Which insertion made it (the eviction order names insertions).
    stamp: u64,
}

/// The cache.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    inner: RefCell<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<TokenDigest, Entry>,
    /// Insertions, oldest first; an insertion since replaced or dropped is skipped.
    order: VecDeque<(TokenDigest, u64)>,
    stamps: u64,
}

impl TokenCache {
    /// The digest a token is kept under.
    pub fn digest(token: &str) -> TokenDigest {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The principal of a token verified before, if that still holds at `now`.
    pub fn find(&self, digest: &TokenDigest, now: u64) -> Option<Principal> {
        let mut inner = self.inner.borrow_mut();
        match inner.entries.get(digest) {
            Some(entry) if now < entry.until => Some(entry.principal.clone()),
            Some(_) => {
                inner.entries.remove(digest);
                None
            }
            None => None,
        }
    }

    /// Keeps a verified token until `until` (at most [`MAX_AGE`] from `now`).
    pub fn insert(&self, digest: TokenDigest, principal: Principal, until: u64, now: u64) {
        let until = until.min(now + MAX_AGE);
        if until <= now {
            return;
        }
        let mut inner = self.inner.borrow_mut();
        inner.stamps += 1;
        let stamp = inner.stamps;
        inner.entries.insert(
            digest,
            Entry {
                principal,
                until,
                stamp,
            },
        );
        inner.order.push_back((digest, stamp));
        while inner.entries.len() > CAPACITY {
            let Some((oldest, stamp)) = inner.order.pop_front() else {
                break;
            };
            if inner.entries.get(&oldest).is_some_and(|e| e.stamp == stamp) {
                inner.entries.remove(&oldest);
            }
        }
        if inner.order.len() > 2 * CAPACITY {
            // Entries dropped on expiry left their insertions behind: forget those.
            let Inner { entries, order, .. } = &mut *inner;
            order.retain(|(d, s)| entries.get(d).is_some_and(|e| e.stamp == *s));
        }
    }

    /// How many entries are kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.inner.borrow().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn principal(subject: &str) -> Principal {
        Principal {
            subject: subject.to_owned(),
            issuer: Some("https://as.example.com".into()),
            scopes: vec![],
            claims: json!({}),
        }
    }

    #[test]
    fn an_entry_holds_until_exp_and_never_longer_than_max_age() {
        let cache = TokenCache::default();
        let (a, b) = (TokenCache::digest("a"), TokenCache::digest("b"));
        cache.insert(a, principal("a"), 1_100, 1_000);
        cache.insert(b, principal("b"), 1_000_000, 1_000);
        assert_eq!(cache.find(&a, 1_099).unwrap().subject, "a");
        assert!(cache.find(&a, 1_100).is_none(), "exp reached");
        assert!(cache.find(&b, 1_000 + MAX_AGE - 1).is_some());
        assert!(cache.find(&b, 1_000 + MAX_AGE).is_none(), "max age reached");
        cache.insert(a, principal("a"), 999, 1_000);
        assert!(
            cache.find(&a, 1_000).is_none(),
            "expired tokens are not kept"
        );
    }

    #[test]
    fn the_cache_is_bounded_and_the_oldest_entry_goes_first() {
        let cache = TokenCache::default();
        for n in 0..CAPACITY + 10 {
            let token = format!("token-{n}");
            cache.insert(TokenCache::digest(&token), principal(&token), 2_000, 1_000);
        }
        assert_eq!(cache.len(), CAPACITY);
        assert!(cache.find(&TokenCache::digest("token-9"), 1_000).is_none());
        assert!(cache.find(&TokenCache::digest("token-10"), 1_000).is_some());
        // Re-inserting a token moves it to the back of the line.
        cache.insert(TokenCache::digest("token-10"), principal("x"), 2_000, 1_000);
        cache.insert(TokenCache::digest("one more"), principal("y"), 2_000, 1_000);
        assert!(cache.find(&TokenCache::digest("token-10"), 1_000).is_some());
        assert!(cache.find(&TokenCache::digest("token-11"), 1_000).is_none());
    }
}
