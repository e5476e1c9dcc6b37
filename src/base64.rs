//! Base64 (RFC 4648): the strict standard alphabet of `=?base64?…?=` header values, and the
//! unpadded URL-safe alphabet of `requestState` tokens.

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Which alphabet, and whether the output is padded to a multiple of 4 with `=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    /// `+/`, padded: what HTTP header values use.
    Standard,
    /// `-_`, unpadded: safe in any JSON string or URL.
    UrlSafe,
}

impl Alphabet {
    fn table(self) -> &'static [u8; 64] {
        match self {
            Alphabet::Standard => STANDARD,
            Alphabet::UrlSafe => URL_SAFE,
        }
    }
}

/// Encodes `bytes`.
pub fn encode(bytes: &[u8], alphabet: Alphabet) -> String {
    let table = alphabet.table();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let word = u32::from(chunk[0]) << 16
            | u32::from(*chunk.get(1).unwrap_or(&0)) << 8
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..=n {
            out.push(table[(word >> (18 - 6 * i) & 63) as usize] as char);
        }
        if alphabet == Alphabet::Standard {
            out.extend(std::iter::repeat_n('=', 3 - n));
        }
    }
    out
}

/// Decodes `text`, or `None` if it is not exactly what [`encode`] produces for the alphabet
/// (a character outside it, missing or misplaced padding, stray bits in the last character).
pub fn decode(text: &str, alphabet: Alphabet) -> Option<Vec<u8>> {
    let table = alphabet.table();
    let body = match alphabet {
        Alphabet::Standard => {
            if !text.len().is_multiple_of(4) {
                return None;
            }
            text.trim_end_matches('=')
        }
        Alphabet::UrlSafe => text,
    };
    if text.len() - body.len() > 2 || body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.as_bytes().chunks(4) {
        let mut word = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = table.iter().position(|t| t == c)? as u32;
            word |= v << (18 - 6 * i);
        }
        let bytes = word.to_be_bytes();
        let n = chunk.len() - 1;
        if word & (0xFF_FFFF >> (8 * n)) != 0 && n < 3 {
            return None;
        }
        out.extend_from_slice(&bytes[1..=n]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_malformed_input() {
        for (plain, standard) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v")] {
            assert_eq!(encode(plain.as_bytes(), Alphabet::Standard), standard);
            assert_eq!(
                decode(standard, Alphabet::Standard).as_deref(),
                Some(plain.as_bytes())
            );
        }
        assert_eq!(encode(b"Hello", Alphabet::Standard), "SGVsbG8=");
        assert_eq!(encode(&[0xfb, 0xff], Alphabet::UrlSafe), "-_8");
        assert_eq!(decode("-_8", Alphabet::UrlSafe), Some(vec![0xfb, 0xff]));
        assert_eq!(
            decode("SGVsbG8", Alphabet::Standard),
            None,
            "padding missing"
        );
        assert_eq!(
            decode("SGVs!!!bG8=", Alphabet::Standard),
            None,
            "not the alphabet"
        );
        assert_eq!(decode("SGVsbG9=", Alphabet::Standard), None, "stray bits");
        assert_eq!(decode("Zg=a", Alphabet::Standard), None, "padding inside");
    }
}
