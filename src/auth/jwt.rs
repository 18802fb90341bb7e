//! Salesforce Telephony Integration JWTs: `sub` names a configured call
//! centre, whose algorithm (RS256 or HS256) and key verify the signature.
//! The algorithm is pinned per call centre, so `alg: none` and algorithm
//! confusion (an HS256 token "signed" with an RS256 public key) are refused;
//! `exp` is required; `iss` and `aud` are checked only when the call centre
//! names them (Salesforce's own connector sends no `aud`).

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::domain::call_center::{CallCenter, JwtAlgorithm};

/// Clock skew tolerated on `exp`, in seconds.
const LEEWAY_SECS: u64 = 60;

/// Why a JWT was refused; the text is safe to show the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwtRejection {
    /// Not a decodable JWT, or no `sub`.
    #[error("malformed JWT")]
    Malformed,
    /// `exp` is in the past.
    #[error("the JWT has expired")]
    Expired,
    /// No call centre has the `sub`, or the algorithm, key or signature do
    /// not match it (deliberately not told apart).
    #[error("the JWT is not signed by a configured call center")]
    Untrusted,
    /// `iss` or `aud` differ from the call centre's.
    #[error("the JWT's issuer or audience is not accepted")]
    WrongParty,
    /// A required claim (`exp`, or a configured `iss`/`aud`) is missing.
    #[error("the JWT lacks a required claim")]
    MissingClaim,
}

/// Whether `token` is shaped like a JWT (three dot-separated parts).
pub fn looks_like_jwt(token: &str) -> bool {
    token.bytes().filter(|b| *b == b'.').count() == 2
}

#[derive(Deserialize)]
struct Subject {
    sub: Option<String>,
}

/// The `sub` claim, read without verification: it only picks the call
/// centre whose key then verifies the whole token.
pub fn unverified_subject(token: &str) -> Result<String, JwtRejection> {
    let claims: Subject =
        jsonwebtoken::dangerous::insecure_decode_claims(token).map_err(|_| JwtRejection::Malformed)?;
    claims
        .sub
        .filter(|s| !s.is_empty())
        .ok_or(JwtRejection::Malformed)
}

#[derive(Deserialize)]
struct Verified {
    // Optional here so a missing `exp` is reported by the validation (as a
    // missing claim) rather than as a decoding failure.
    exp: Option<u64>,
}

/// Verifies `token` against `center`; returns its `exp` (seconds since the
/// Unix epoch).
pub fn verify(token: &str, center: &CallCenter) -> Result<u64, JwtRejection> {
    let (algorithm, key) = match center.algorithm {
        JwtAlgorithm::Rs256 => (
            Algorithm::RS256,
            DecodingKey::from_rsa_pem(&center.key).map_err(|_| JwtRejection::Untrusted)?,
        ),
        JwtAlgorithm::Hs256 => (Algorithm::HS256, DecodingKey::from_secret(&center.key)),
    };
    let mut validation = Validation::new(algorithm);
    validation.leeway = LEEWAY_SECS;
    validation.sub = Some(center.api_name.clone());
    let mut required = vec!["exp", "sub"];
    if let Some(issuer) = &center.issuer {
        validation.set_issuer(&[issuer]);
        required.push("iss");
    }
    match &center.audience {
        Some(audience) => {
            validation.set_audience(&[audience]);
            required.push("aud");
        }
        None => validation.validate_aud = false,
    }
    validation.set_required_spec_claims(&required);
    let data = jsonwebtoken::decode::<Verified>(token, &key, &validation).map_err(|e| match e.kind() {
        ErrorKind::ExpiredSignature => JwtRejection::Expired,
        ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience | ErrorKind::InvalidSubject => {
            JwtRejection::WrongParty
        }
        ErrorKind::MissingRequiredClaim(_) => JwtRejection::MissingClaim,
        ErrorKind::InvalidSignature
        | ErrorKind::InvalidAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::InvalidKeyFormat
        | ErrorKind::UnsupportedAlgorithm => JwtRejection::Untrusted,
        _ => JwtRejection::Malformed,
    })?;
    data.claims.exp.ok_or(JwtRejection::MissingClaim)
}

/// Checks key material for `algorithm` before it is stored: a parseable
/// RSA public key in PEM, or an HS256 secret of at least 32 bytes.
pub fn check_key(algorithm: JwtAlgorithm, key: &[u8]) -> Result<(), String> {
    match algorithm {
        JwtAlgorithm::Rs256 => DecodingKey::from_rsa_pem(key)
            .map(|_| ())
            .map_err(|e| format!("not an RSA public key in PEM form: {e}")),
        JwtAlgorithm::Hs256 if key.len() < crate::domain::call_center::MIN_HS256_SECRET => Err(format!(
            "an HS256 secret needs at least {} bytes",
            crate::domain::call_center::MIN_HS256_SECRET
        )),
        JwtAlgorithm::Hs256 => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header, encode};

    use super::*;
    use crate::domain::caller::User;
    use crate::domain::ids::{TenantId, UserId};

    pub(super) const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    /// An HS256 call centre keyed with [`SECRET`].
    pub(super) fn center(issuer: Option<&str>, audience: Option<&str>) -> CallCenter {
        CallCenter {
            api_name: "ACME_CC".into(),
            tenant: TenantId::parse("acme").unwrap(),
            user: User {
                id: UserId::parse("scv").unwrap(),
                user_name: "scv".into(),
                first_name: None,
                last_name: None,
            },
            algorithm: JwtAlgorithm::Hs256,
            key: SECRET.to_vec(),
            issuer: issuer.map(Into::into),
            audience: audience.map(Into::into),
        }
    }

    fn token(claims: serde_json::Value, secret: &[u8]) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret),
        )
        .unwrap()
    }

    fn in_an_hour() -> u64 {
        jsonwebtoken::get_current_timestamp() + 3600
    }

    #[test]
    fn accepts_a_good_token_and_reads_its_subject() {
        let t = token(
            serde_json::json!({"sub": "ACME_CC", "iss": "00D", "exp": in_an_hour()}),
            SECRET,
        );
        assert!(looks_like_jwt(&t));
        assert_eq!(unverified_subject(&t).unwrap(), "ACME_CC");
        assert!(verify(&t, &center(None, None)).is_ok());
        assert!(verify(&t, &center(Some("00D"), None)).is_ok());
    }

    #[test]
    fn refuses_expired_forged_and_misaddressed_tokens() {
        let exp = in_an_hour();
        let expired = token(serde_json::json!({"sub": "ACME_CC", "exp": 1_000_000}), SECRET);
        assert_eq!(verify(&expired, &center(None, None)), Err(JwtRejection::Expired));
        let forged = token(
            serde_json::json!({"sub": "ACME_CC", "exp": exp}),
            b"another-secret-of-32-bytes-length",
        );
        assert_eq!(verify(&forged, &center(None, None)), Err(JwtRejection::Untrusted));
        let no_exp = token(serde_json::json!({"sub": "ACME_CC"}), SECRET);
        assert_eq!(
            verify(&no_exp, &center(None, None)),
            Err(JwtRejection::MissingClaim)
        );
        let other_iss = token(
            serde_json::json!({"sub": "ACME_CC", "iss": "x", "exp": exp}),
            SECRET,
        );
        assert_eq!(
            verify(&other_iss, &center(Some("00D"), None)),
            Err(JwtRejection::WrongParty)
        );
        let no_aud = token(serde_json::json!({"sub": "ACME_CC", "exp": exp}), SECRET);
        assert_eq!(
            verify(&no_aud, &center(None, Some("https://scrt.salesforce.com"))),
            Err(JwtRejection::MissingClaim)
        );
        let wrong_sub = token(serde_json::json!({"sub": "OTHER", "exp": exp}), SECRET);
        assert_eq!(
            verify(&wrong_sub, &center(None, None)),
            Err(JwtRejection::WrongParty)
        );
    }

    #[test]
    fn refuses_alg_none_and_algorithm_confusion() {
        use base64::Engine;
        let b64 =
            |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let claims = b64(serde_json::json!({"sub": "ACME_CC", "exp": in_an_hour()}));
        let none = format!(
            "{}.{claims}.",
            b64(serde_json::json!({"alg": "none", "typ": "JWT"}))
        );
        assert!(looks_like_jwt(&none));
        assert_eq!(verify(&none, &center(None, None)), Err(JwtRejection::Malformed));
        // An HS256 call centre refuses an RS256-labelled token and vice versa.
        let mut rs = center(None, None);
        rs.algorithm = JwtAlgorithm::Rs256;
        let hs = token(serde_json::json!({"sub": "ACME_CC", "exp": in_an_hour()}), SECRET);
        assert_eq!(verify(&hs, &rs), Err(JwtRejection::Untrusted));
    }

    #[test]
    fn keys_are_checked_before_they_are_stored() {
        assert!(check_key(JwtAlgorithm::Hs256, SECRET).is_ok());
        assert!(check_key(JwtAlgorithm::Hs256, b"short").is_err());
        assert!(check_key(JwtAlgorithm::Rs256, b"not a pem").is_err());
    }
}

/// Properties of JWT handling: garbage never panics and is always refused;
/// a genuine token stops verifying when any part of it changes.
#[cfg(test)]
mod properties {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{EncodingKey, Header, encode};
    use proptest::prelude::*;

    use super::tests::SECRET;
    use super::*;

    const PUBLIC_KEY: &[u8] = include_bytes!("../../tests/api/fixtures/call_center_test_key.pub.pem");

    fn center(algorithm: JwtAlgorithm) -> CallCenter {
        let mut center = super::tests::center(None, None);
        if algorithm == JwtAlgorithm::Rs256 {
            center.algorithm = algorithm;
            center.key = PUBLIC_KEY.to_vec();
        }
        center
    }

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Three dot-separated parts: arbitrary text, base64 of arbitrary bytes,
    /// or base64 of arbitrary JSON headers and claims naming the call centre.
    fn jwt_shaped() -> impl Strategy<Value = String> {
        let part = prop_oneof![
            "[A-Za-z0-9_-]{0,40}",
            proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| b64(&b)),
            "\\PC{0,20}",
        ];
        let header = prop_oneof![
            proptest::sample::select(vec!["none", "HS256", "RS256", "HS512", "ES256", "", "hs256"])
                .prop_map(|alg| b64(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#).as_bytes())),
            part.clone(),
        ];
        let claims = prop_oneof![
            (any::<i64>(), "\\PC{0,10}").prop_map(|(exp, iss)| {
                b64(serde_json::json!({"sub": "ACME_CC", "exp": exp, "iss": iss})
                    .to_string()
                    .as_bytes())
            }),
            Just(b64(br#"{"sub":"ACME_CC","exp":"soon"}"#)),
            Just(b64(br#"{"sub":["ACME_CC"]}"#)),
            part.clone(),
        ];
        (header, claims, part).prop_map(|(h, c, s)| format!("{h}.{c}.{s}"))
    }

    proptest! {
        #[test]
        fn arbitrary_text_is_never_accepted(text in "(?s)\\PC{0,300}") {
            let _ = looks_like_jwt(&text);
            let _ = unverified_subject(&text);
            for algorithm in [JwtAlgorithm::Hs256, JwtAlgorithm::Rs256] {
                prop_assert!(verify(&text, &center(algorithm)).is_err());
            }
        }

        #[test]
        fn jwt_shaped_garbage_is_never_accepted(token in jwt_shaped()) {
            let _ = looks_like_jwt(&token);
            let _ = unverified_subject(&token);
            for algorithm in [JwtAlgorithm::Hs256, JwtAlgorithm::Rs256] {
                prop_assert!(verify(&token, &center(algorithm)).is_err(), "{}", token);
            }
        }

        #[test]
        fn any_change_to_a_genuine_token_is_refused(position in any::<proptest::sample::Index>(), replacement in "[A-Za-z0-9_-]") {
            let exp = jsonwebtoken::get_current_timestamp() + 3600;
            let genuine = encode(
                &Header::new(Algorithm::HS256),
                &serde_json::json!({"sub": "ACME_CC", "exp": exp}),
                &EncodingKey::from_secret(SECRET),
            )
            .unwrap();
            prop_assert!(verify(&genuine, &center(JwtAlgorithm::Hs256)).is_ok());
            let i = position.index(genuine.len());
            prop_assume!(genuine.as_bytes()[i] != b'.' && genuine[i..=i] != replacement);
            // The last character of a base64 part may carry unused bits:
            // changing only those would decode to the same bytes.
            let part_end = genuine[i..].find('.').map_or(genuine.len(), |d| i + d);
            prop_assume!(i + 1 != part_end);
            let mut tampered = genuine.clone();
            tampered.replace_range(i..=i, &replacement);
            prop_assert!(verify(&tampered, &center(JwtAlgorithm::Hs256)).is_err(), "{}", tampered);
        }
    }
}
