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

/// A configured call centre.
#[derive(Clone, Debug, PartialEq, Eq)]
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
}
