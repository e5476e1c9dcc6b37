//! Session ids: `<node-id>.<128 random bits, base64url>`, from ChaCha20 seeded by the OS.
//!
//! nanorand's ChaCha is used with two guards (stack-notes.md §5): we seed it ourselves from
//! `/dev/urandom` and fail loudly if that cannot be read (its own seeding ignores errors and can
//! leave an all-zero key), and we reseed every [`RESEED_EVERY`] ids, long before its counter bug
//! (the keystream repeats after 2^32 blocks) could matter. The generator is never cloned.

use std::io::Read;

use nanorand::{ChaCha20, Rng, SeedableRng};

/// Ids drawn between reseeds from the OS.
const RESEED_EVERY: u64 = 1 << 20;

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Mints unguessable, self-routing ids for one node.
#[derive(Debug)]
pub struct IdGenerator {
    node_id: String,
    rng: ChaCha20,
    drawn: u64,
}

/// `N` bytes from the OS's random source.
pub fn os_random<const N: usize>() -> std::io::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn os_seed() -> std::io::Result<[u8; 40]> {
    os_random()
}

impl IdGenerator {
    /// A generator for `node_id`; fails when the OS gives no entropy.
    pub fn new(node_id: &str) -> std::io::Result<IdGenerator> {
        let mut rng = ChaCha20::new_key([0; 32], [0; 8], [0; 8]);
        rng.reseed(os_seed()?);
        Ok(IdGenerator {
            node_id: node_id.to_owned(),
            rng,
            drawn: 0,
        })
    }

    /// A fresh id (22 base64url characters of randomness after the node prefix).
    pub fn next_id(&mut self) -> String {
        self.drawn += 1;
        if self.drawn.is_multiple_of(RESEED_EVERY) {
            if let Ok(seed) = os_seed() {
                self.rng.reseed(seed);
            }
        }
        let block = self.rng.rand();
        let bits = u128::from_le_bytes(block[..16].try_into().expect("16 bytes"));
        let mut id = String::with_capacity(self.node_id.len() + 23);
        id.push_str(&self.node_id);
        id.push('.');
        for i in 0..22 {
            id.push(BASE64URL[((bits >> (i * 6)) & 63) as usize] as char);
        }
        id
    }
}

impl IdGenerator {
    /// `len` random letters and digits (names that must not repeat across processes).
    pub fn alphanumeric(&mut self, len: usize) -> String {
        const ALNUM: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let block = self.rng.rand();
        block
            .iter()
            .take(len.min(64))
            .map(|b| ALNUM[usize::from(*b) % 62] as char)
            .collect()
    }
}

/// The node prefix of a session id, if it has one.
pub fn node_of(session_id: &str) -> Option<&str> {
    session_id.split_once('.').map(|(node, _)| node)
}
