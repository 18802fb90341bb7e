//! API tokens: `swb_` + a 12-character public id + a 43-character secret
//! (256 random bits). The public id finds the stored row; only the SHA-256 of
//! the secret is stored, and it is compared in constant time. The prefix
//! makes leaked tokens easy to recognise; never change it.

use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const PREFIX: &str = "swb_";
const ID_LEN: usize = 12;
const SECRET_LEN: usize = 43;

/// A freshly issued token. Its `Display` is the only time the secret is
/// ever shown; its `Debug` hides it.
pub struct IssuedToken {
    id: String,
    secret: String,
}

impl IssuedToken {
    /// Generates a new random token.
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let mut take = |n| {
            (&mut rng)
                .sample_iter(&Alphanumeric)
                .take(n)
                .map(char::from)
                .collect()
        };
        Self {
            id: take(ID_LEN),
            secret: take(SECRET_LEN),
        }
    }

    /// The public part, used to find and revoke the token.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What the store keeps: the SHA-256 of the secret, lowercase hex.
    pub fn secret_sha256(&self) -> String {
        sha256_hex(&self.secret)
    }
}

impl std::fmt::Display for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{PREFIX}{}{}", self.id, self.secret)
    }
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IssuedToken({}…)", self.id)
    }
}

/// A presented token split into its parts; `None` when it is not shaped
/// like one of ours.
pub struct PresentedToken<'a> {
    /// The public id.
    pub id: &'a str,
    secret: &'a str,
}

impl<'a> PresentedToken<'a> {
    /// Splits `token`.
    pub fn parse(token: &'a str) -> Option<Self> {
        let rest = token.strip_prefix(PREFIX)?;
        if rest.len() != ID_LEN + SECRET_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let (id, secret) = rest.split_at(ID_LEN);
        Some(Self { id, secret })
    }

    /// Whether the secret hashes to `stored_sha256`, compared in constant time.
    pub fn matches(&self, stored_sha256: &str) -> bool {
        sha256_hex(self.secret)
            .as_bytes()
            .ct_eq(stored_sha256.as_bytes())
            .into()
    }
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_hide_their_secret() {
        let token = IssuedToken::generate();
        let shown = token.to_string();
        assert!(shown.starts_with("swb_"));
        assert!(!format!("{token:?}").contains(&token.secret));
        let presented = PresentedToken::parse(&shown).unwrap();
        assert_eq!(presented.id, token.id());
        assert!(presented.matches(&token.secret_sha256()));
        assert!(!presented.matches(&IssuedToken::generate().secret_sha256()));
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        for bad in [
            "",
            "swb_",
            "Bearer x",
            &format!("swb_{}", "a".repeat(54)),
            &format!("swb_{}!", "a".repeat(54)),
        ] {
            assert!(PresentedToken::parse(bad).is_none(), "{bad}");
        }
    }
}
