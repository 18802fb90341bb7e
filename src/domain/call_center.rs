//! Salesforce call centres: the JWT issuers the Telephony Integration API
//! dialect authenticates. A call centre names the tenant and the service
//! user its requests act as, and the key its JWTs are verified with.

use super::DomainError;
use super::caller::User;
use super::ids::TenantId;

stored_enum!(
    /// How a call centre signs its JWTs.
    JwtAlgorithm {
        /// RSA with SHA-256 against a PEM public key (what Salesforce uses).
        Rs256 = "RS256",
        /// HMAC with SHA-256 against a shared secret (tests and development).
        Hs256 = "HS256",
    }
);

/// Shortest HS256 secret accepted, in bytes (RFC 7518 §3.2: at least the
/// hash size).
pub const MIN_HS256_SECRET: usize = 32;

/// A configured call centre. Its `Debug` leaves the key out (an HS256 key
/// is a secret).
#[derive(Clone, PartialEq, Eq)]
pub struct CallCenter {
    /// The call centre's API name: the JWT `sub` and the body's
    /// `callCenterApiName`.
    pub api_name: String,
    /// The tenant its calls belong to.
    pub tenant: TenantId,
    /// The service user its requests act as.
    pub user: User,
    /// The signing algorithm.
    pub algorithm: JwtAlgorithm,
    /// RS256: the PEM public key. HS256: the shared secret.
    pub key: Vec<u8>,
    /// When set, tokens must carry this `iss` (the Salesforce org id).
    pub issuer: Option<String>,
    /// When set, tokens must carry this `aud`. Salesforce's own connector
    /// sends no `aud`, so it is optional.
    pub audience: Option<String>,
}

impl std::fmt::Debug for CallCenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallCenter")
            .field("api_name", &self.api_name)
            .field("tenant", &self.tenant)
            .field("user", &self.user)
            .field("algorithm", &self.algorithm)
            .field("key", &format_args!("<{} bytes redacted>", self.key.len()))
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

/// Checks a call-centre API name: 1-80 letters, digits and underscores, as
/// Salesforce API names are.
pub fn parse_api_name(value: &str) -> Result<String, DomainError> {
    let ok = !value.is_empty()
        && value.len() <= 80
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(DomainError::invalid(
            "call_center_api_name",
            "must be 1-80 letters, digits or underscores",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_names_are_salesforce_api_names() {
        assert!(parse_api_name("ACME_Call_Center").is_ok());
        assert!(parse_api_name("").is_err());
        assert!(parse_api_name("a b").is_err());
        assert!(parse_api_name(&"x".repeat(81)).is_err());
    }

    #[test]
    fn debug_output_leaves_the_key_out() {
        let center = CallCenter {
            api_name: "DEV_CC".into(),
            tenant: TenantId::parse("acme").unwrap(),
            user: User {
                id: crate::domain::ids::UserId::parse("scv").unwrap(),
                user_name: "scv".into(),
                first_name: None,
                last_name: None,
            },
            algorithm: JwtAlgorithm::Hs256,
            key: b"a-shared-secret-of-at-least-32-bytes".to_vec(),
            issuer: None,
            audience: None,
        };
        let debug = format!("{center:?}");
        assert!(!debug.contains("a-shared-secret"), "{debug}");
        assert!(!debug.contains("97, 45"), "no byte list either: {debug}");
        assert!(
            debug.contains("DEV_CC") && debug.contains("36 bytes redacted"),
            "{debug}"
        );
    }
}
