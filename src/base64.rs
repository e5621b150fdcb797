//! Base64 (RFC 4648) in the two alphabets tidegate speaks: standard with padding (§4, Go's
//! `base64.StdEncoding`: Machbase binary values in and out) and URL-safe without padding
//! (§5, Go's `base64.RawURLEncoding`: the segments of a JSON Web Token).
//!
//! Invariants: encoding never fails; decoding refuses any byte outside the alphabet, padding
//! in the wrong place (or any padding in the URL alphabet) and a length no encoder produces,
//! and never panics.

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool, out: &mut Vec<u8>) {
    let sextet = |v: u32| alphabet[(v & 63) as usize];
    for group in bytes.chunks(3) {
        let b = |i: usize| u32::from(group.get(i).copied().unwrap_or(0));
        let v = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sextet(v >> 18));
        out.push(sextet(v >> 12));
        if group.len() > 1 {
            out.push(sextet(v >> 6));
        } else if pad {
            out.push(b'=');
        }
        if group.len() > 2 {
            out.push(sextet(v));
        } else if pad {
            out.push(b'=');
        }
    }
}

/// Appends `bytes` in the standard alphabet with `=` padding.
pub fn encode_standard(bytes: &[u8], out: &mut Vec<u8>) {
    encode(bytes, STANDARD, true, out);
}

/// `bytes` in the URL-safe alphabet without padding.
pub fn encode_url(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    encode(bytes, URL_SAFE, false, &mut out);
    // The alphabet is ASCII, so this never replaces anything.
    String::from_utf8_lossy(&out).into_owned()
}

fn sextet(alphabet: &[u8; 64], c: u8) -> Option<u32> {
    alphabet.iter().position(|&a| a == c).map(|p| p as u32)
}

/// Decodes groups of up to four symbols; `pad` is how many symbols of the last group are `=`.
fn decode_symbols(symbols: &[u8], alphabet: &[u8; 64]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3 + 3);
    for group in symbols.chunks(4) {
        // One symbol carries only 6 bits: no encoder ends with a group of one.
        if group.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for &c in group {
            n = n << 6 | sextet(alphabet, c)?;
        }
        n <<= 6 * (4 - group.len() as u32);
        let three = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(three.get(..group.len() - 1)?);
    }
    Some(out)
}

/// Decodes the standard alphabet; the length must be a multiple of 4, with at most two `=`
/// at the very end.
pub fn decode_standard(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let pad = bytes.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return None;
    }
    decode_symbols(bytes.get(..bytes.len() - pad)?, STANDARD)
}

/// Decodes the URL-safe alphabet without padding.
pub fn decode_url(text: &str) -> Option<Vec<u8>> {
    decode_symbols(text.as_bytes(), URL_SAFE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standard(bytes: &[u8]) -> String {
        let mut out = Vec::new();
        encode_standard(bytes, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rfc_4648_vectors_both_ways() {
        // RFC 4648 §10.
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(standard(plain.as_bytes()), coded);
            assert_eq!(decode_standard(coded).unwrap(), plain.as_bytes());
            let url = coded.trim_end_matches('=');
            assert_eq!(encode_url(plain.as_bytes()), url);
            assert_eq!(decode_url(url).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn alphabets_differ_in_two_symbols() {
        let bytes = [0xfb, 0xff, 0xbf];
        assert_eq!(standard(&bytes), "+/+/");
        assert_eq!(encode_url(&bytes), "-_-_");
        assert_eq!(decode_url("-_-_").unwrap(), bytes);
        assert_eq!(decode_url("+/+/"), None);
        assert_eq!(decode_standard("-_-_"), None);
    }

    #[test]
    fn malformed_text_is_refused() {
        assert_eq!(decode_standard("Zg=a"), None);
        assert_eq!(decode_standard("Z==="), None);
        assert_eq!(decode_standard("Zg="), None);
        assert_eq!(decode_standard("=Zg="), None);
        assert_eq!(decode_url("Zg=="), None);
        assert_eq!(decode_url("Z"), None);
        assert_eq!(decode_url("Zm9v!"), None);
        assert_eq!(
            decode_standard("AQKgsMDQ4PA=").unwrap(),
            [1, 2, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0]
        );
    }
}
