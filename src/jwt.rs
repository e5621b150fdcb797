//! JSON Web Tokens signed with HS256 (RFC 7519, RFC 7515), as Machbase Neo issues them for
//! its UI API (`mods/server/jwt.go`: golang-jwt v4 `RegisteredClaims`, `SigningMethodHS256`).
//!
//! `sign` writes `base64url(header) . base64url(claims) . base64url(HMAC-SHA256)`; `verify`
//! checks, in this order, the three segments, the header's `alg` (only `HS256`: `none` and
//! every other algorithm are refused, so a token cannot choose how it is checked), the
//! signature (compared in constant time), then `exp` and `nbf` against the clock.
//! Error texts are golang-jwt's where clients may print them (`signature is invalid`,
//! `token is expired by 1m2s`).
//!
//! Not here: where the secret lives and who may log in (`src/api/web_auth.rs`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::json_value::{self, JsonValue};
use crate::timefmt;

type HmacSha256 = Hmac<Sha256>;

/// The header golang-jwt writes for HS256, byte for byte.
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Longest token accepted; a larger one is malformed before any decoding allocates.
pub const TOKEN_BYTES_MAX: usize = 8 << 10;

/// golang-jwt's `RegisteredClaims` without the audience, which Machbase never sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub issuer: String,
    pub subject: String,
    /// Seconds since the epoch, as every NumericDate here.
    pub expires_at_s: i64,
    pub not_before_s: i64,
    pub issued_at_s: i64,
    /// The token's id (`jti`); a refresh token is remembered by it.
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    Segments,
    /// A segment that is not base64url, or a header or claims that are not a JSON object.
    Malformed(&'static str),
    Algorithm,
    Signature,
    /// Expired by this many nanoseconds.
    Expired(u64),
    NotYetValid,
}

impl std::fmt::Display for JwtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwtError::Segments => f.write_str("token contains an invalid number of segments"),
            JwtError::Malformed(what) => write!(f, "token is malformed: {what}"),
            JwtError::Algorithm => f.write_str("unexpected signing method"),
            JwtError::Signature => f.write_str("signature is invalid"),
            JwtError::Expired(ns) => {
                write!(f, "token is expired by {}", timefmt::go_duration(*ns))
            }
            JwtError::NotYetValid => f.write_str("token is not valid yet"),
        }
    }
}

fn mac(secret: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length (RFC 2104 §2), so this never fails.
    match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    }
}

/// The HMAC-SHA256 of `message` under `secret`.
pub fn hmac_sha256(secret: &[u8], message: &[u8]) -> [u8; 32] {
    let mut m = mac(secret);
    m.update(message);
    m.finalize().into_bytes().into()
}

/// A signed token carrying `claims`, members in golang-jwt's order.
pub fn sign(claims: &Claims, secret: &[u8]) -> String {
    let mut payload = Vec::with_capacity(160);
    payload.extend_from_slice(b"{\"iss\":");
    crate::output::json_string(&claims.issuer, true, &mut payload);
    payload.extend_from_slice(b",\"sub\":");
    crate::output::json_string(&claims.subject, true, &mut payload);
    payload.extend_from_slice(
        format!(
            ",\"exp\":{},\"nbf\":{},\"iat\":{},\"jti\":",
            claims.expires_at_s, claims.not_before_s, claims.issued_at_s
        )
        .as_bytes(),
    );
    crate::output::json_string(&claims.id, true, &mut payload);
    payload.push(b'}');
    let signing_input = format!(
        "{}.{}",
        crate::base64::encode_url(HEADER.as_bytes()),
        crate::base64::encode_url(&payload)
    );
    let signature = hmac_sha256(secret, signing_input.as_bytes());
    format!("{signing_input}.{}", crate::base64::encode_url(&signature))
}

fn object(segment: &str, what: &'static str) -> Result<Vec<(String, JsonValue)>, JwtError> {
    let bytes = crate::base64::decode_url(segment).ok_or(JwtError::Malformed(what))?;
    match json_value::parse(&bytes) {
        Ok(JsonValue::Object(members)) => Ok(members),
        _ => Err(JwtError::Malformed(what)),
    }
}

fn member<'a>(members: &'a [(String, JsonValue)], name: &str) -> Option<&'a JsonValue> {
    members.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn text(members: &[(String, JsonValue)], name: &str) -> String {
    match member(members, name) {
        Some(JsonValue::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// A NumericDate in seconds; fractions (allowed by RFC 7519) are truncated, absence is `None`.
fn seconds(members: &[(String, JsonValue)], name: &str) -> Result<Option<i64>, JwtError> {
    match member(members, name) {
        None | Some(JsonValue::Null) => Ok(None),
        Some(JsonValue::Number(n)) => n
            .parse::<i64>()
            .ok()
            .or_else(|| n.parse::<f64>().ok().map(|f| f as i64))
            .map(Some)
            .ok_or(JwtError::Malformed("a time claim is not a number")),
        Some(_) => Err(JwtError::Malformed("a time claim is not a number")),
    }
}

/// The claims of `token` if it is well formed, signed with `secret` under HS256, and valid
/// at `now_ns`.
pub fn verify(token: &str, secret: &[u8], now_ns: i64) -> Result<Claims, JwtError> {
    if token.len() > TOKEN_BYTES_MAX {
        return Err(JwtError::Malformed("longer than TOKEN_BYTES_MAX"));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Segments);
    };
    let header_members = object(header, "the header is not base64url JSON")?;
    if member(&header_members, "alg") != Some(&JsonValue::String("HS256".into())) {
        return Err(JwtError::Algorithm);
    }
    let claims = object(payload, "the claims are not base64url JSON")?;
    let signature = crate::base64::decode_url(signature).ok_or(JwtError::Signature)?;
    let mut m = mac(secret);
    m.update(header.as_bytes());
    m.update(b".");
    m.update(payload.as_bytes());
    m.verify_slice(&signature)
        .map_err(|_| JwtError::Signature)?;
    let expires_at_s = seconds(&claims, "exp")?;
    let not_before_s = seconds(&claims, "nbf")?;
    let now_s = now_ns.div_euclid(1_000_000_000);
    if let Some(exp) = expires_at_s
        && now_s >= exp
    {
        let late_ns = i128::from(now_ns) - i128::from(exp) * 1_000_000_000;
        return Err(JwtError::Expired(u64::try_from(late_ns).unwrap_or(0)));
    }
    if not_before_s.is_some_and(|nbf| now_s < nbf) {
        return Err(JwtError::NotYetValid);
    }
    Ok(Claims {
        issuer: text(&claims, "iss"),
        subject: text(&claims, "sub"),
        expires_at_s: expires_at_s.unwrap_or(0),
        not_before_s: not_before_s.unwrap_or(0),
        issued_at_s: seconds(&claims, "iat")?.unwrap_or(0),
        id: text(&claims, "jti"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hmac_sha256_rfc_4231_vectors() {
        // Test cases 1, 2, 3, 4, 6 and 7 of RFC 4231 §4 (5 truncates the output).
        let cases: [(Vec<u8>, Vec<u8>, &str); 6] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                (1..=25).collect(),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, data, want) in cases {
            assert_eq!(hex(&hmac_sha256(&key, &data)), want);
        }
    }

    /// jwt.io's HS256 example token, signed with `your-256-bit-secret`.
    const JWT_IO: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    #[test]
    fn verifies_the_jwt_io_example() {
        let claims = verify(JWT_IO, b"your-256-bit-secret", 1_700_000_000_000_000_000).unwrap();
        assert_eq!(claims.subject, "1234567890");
        assert_eq!(claims.issued_at_s, 1_516_239_022);
        assert_eq!(claims.expires_at_s, 0);
        assert_eq!(
            verify(JWT_IO, b"another secret", 0),
            Err(JwtError::Signature)
        );
    }

    fn claims(exp: i64) -> Claims {
        Claims {
            issuer: "machbase-neo".into(),
            subject: "sys".into(),
            expires_at_s: exp,
            not_before_s: 1_000,
            issued_at_s: 1_000,
            id: "1ef-id".into(),
        }
    }

    #[test]
    fn signs_what_it_verifies_in_golang_jwt_layout() {
        let token = sign(&claims(1_300), b"k");
        let mut parts = token.split('.');
        assert_eq!(parts.next(), Some("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"));
        let payload = crate::base64::decode_url(parts.next().unwrap()).unwrap();
        assert_eq!(
            String::from_utf8(payload).unwrap(),
            r#"{"iss":"machbase-neo","sub":"sys","exp":1300,"nbf":1000,"iat":1000,"jti":"1ef-id"}"#
        );
        assert_eq!(verify(&token, b"k", 1_200_000_000_000), Ok(claims(1_300)));
    }

    #[test]
    fn err_times_are_checked_after_the_signature() {
        let token = sign(&claims(1_300), b"k");
        assert_eq!(
            verify(&token, b"k", 1_362_500_000_000)
                .unwrap_err()
                .to_string(),
            "token is expired by 1m2.5s"
        );
        assert_eq!(
            verify(&token, b"k", 999_000_000_000),
            Err(JwtError::NotYetValid)
        );
        // A forged signature wins over expiry, as golang-jwt reports it.
        assert_eq!(
            verify(&token, b"other", 2_000_000_000_000),
            Err(JwtError::Signature)
        );
    }

    #[test]
    fn err_alg_none_and_other_algorithms_are_refused() {
        let token = sign(&claims(1_300), b"k");
        let payload = token.split('.').nth(1).unwrap();
        for header in [
            r#"{"alg":"none","typ":"JWT"}"#,
            r#"{"alg":"HS512","typ":"JWT"}"#,
            r#"{"typ":"JWT"}"#,
        ] {
            let h = crate::base64::encode_url(header.as_bytes());
            for forged in [format!("{h}.{payload}."), format!("{h}.{payload}")] {
                let err = verify(&forged, b"k", 1_200_000_000_000).unwrap_err();
                assert!(
                    matches!(err, JwtError::Algorithm | JwtError::Segments),
                    "{forged}: {err:?}"
                );
            }
            assert_eq!(
                verify(&format!("{h}.{payload}."), b"k", 0)
                    .unwrap_err()
                    .to_string(),
                "unexpected signing method"
            );
        }
    }

    #[test]
    fn err_malformed_tokens() {
        let err = |t: &str| verify(t, b"k", 0).unwrap_err().to_string();
        assert_eq!(err(""), "token contains an invalid number of segments");
        assert_eq!(err("a.b"), "token contains an invalid number of segments");
        assert_eq!(
            err("a.b.c.d"),
            "token contains an invalid number of segments"
        );
        assert_eq!(
            err("!!.e30.c2ln"),
            "token is malformed: the header is not base64url JSON"
        );
        let h = crate::base64::encode_url(HEADER.as_bytes());
        assert_eq!(
            err(&format!("{h}.W10.c2ln")),
            "token is malformed: the claims are not base64url JSON"
        );
        assert_eq!(err(&format!("{h}.e30.c2ln")), "signature is invalid");
        assert_eq!(
            err(&"a".repeat(TOKEN_BYTES_MAX + 1)),
            "token is malformed: longer than TOKEN_BYTES_MAX"
        );
    }
}
