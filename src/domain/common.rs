//! Types shared by the call aggregates: the canonical call state, vendor
//! literals, and bounded text fields.

use serde::{Deserialize, Serialize};

use super::DomainError;

stored_enum!(
    /// The canonical lifecycle state of a phone call or voice call.
    CallState {
        /// Accepted, not yet ringing.
        Queued = "QUEUED",
        /// Ringing at one or more parties.
        Ringing = "RINGING",
        /// Answered and connected.
        Active = "ACTIVE",
        /// Ended after being answered.
        Completed = "COMPLETED",
        /// Ended without being answered.
        Missed = "MISSED",
        /// Ended: the called party was busy.
        Busy = "BUSY",
        /// Ended: the call could not be set up.
        Failed = "FAILED",
        /// Cancelled before anyone answered.
        Canceled = "CANCELED",
        /// Sent to, or left as, a voicemail.
        Voicemail = "VOICEMAIL",
    }
);

impl CallState {
    /// Whether the call is over.
    pub fn is_terminal(self) -> bool {
        !matches!(self, CallState::Queued | CallState::Ringing | CallState::Active)
    }
}

/// A value exactly as a vendor dialect spelled it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorLiteral {
    /// `genesys`, `hubgets`, `salesforce` or `vcita`.
    pub dialect: String,
    /// The vendor's spelling.
    pub value: String,
}

impl VendorLiteral {
    /// Validates a literal supplied by a dialect; both parts are short text.
    pub fn parse(field: &str, dialect: &str, value: &str) -> Result<Option<Self>, DomainError> {
        if dialect.is_empty() && value.is_empty() {
            return Ok(None);
        }
        if dialect.is_empty() || dialect.len() > 32 || value.len() > 64 {
            return Err(DomainError::invalid(
                field,
                "needs a dialect (at most 32 bytes) and a value (at most 64 bytes)",
            ));
        }
        Ok(Some(Self {
            dialect: dialect.to_owned(),
            value: value.to_owned(),
        }))
    }
}

/// Longest identifier-like text accepted (ids, numbers, keys, names).
pub const MAX_SHORT_TEXT: usize = 255;
/// Longest free text accepted (subjects, comments, summaries).
pub const MAX_LONG_TEXT: usize = 16 * 1024;
/// Largest JSON object accepted for attached data, encoded.
pub const MAX_JSON_BYTES: usize = 64 * 1024;
/// Largest published notification payload, encoded: room for a Genesys
/// history result of several hundred interactions, while the encoded
/// request stays under the default 1 MiB message limit.
pub const MAX_NOTIFICATION_BYTES: usize = 512 * 1024;

/// `None` for empty input; an error when longer than `max` bytes or when it
/// contains control characters other than tab and newlines.
pub fn optional_text(field: &str, value: &str, max: usize) -> Result<Option<String>, DomainError> {
    if value.is_empty() {
        return Ok(None);
    }
    if value.len() > max {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max} bytes"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(DomainError::invalid(field, "must not contain control characters"));
    }
    Ok(Some(value.to_owned()))
}

/// Like [`optional_text`], but empty input is an error.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    optional_text(field, value, max)?.ok_or_else(|| DomainError::invalid(field, "is required"))
}

/// Checks the encoded size of attached JSON data ([`MAX_JSON_BYTES`]).
pub fn bounded_json(
    field: &str,
    value: serde_json::Map<String, serde_json::Value>,
) -> Result<serde_json::Map<String, serde_json::Value>, DomainError> {
    bounded_json_max(field, value, MAX_JSON_BYTES)
}

/// Checks that a JSON object encodes to at most `max` bytes.
pub fn bounded_json_max(
    field: &str,
    value: serde_json::Map<String, serde_json::Value>,
    max: usize,
) -> Result<serde_json::Map<String, serde_json::Value>, DomainError> {
    if encoded_len(&value) > max {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max} bytes as JSON"),
        ));
    }
    Ok(value)
}

/// The length of `value` encoded as JSON, counted without building it.
fn encoded_len(value: &serde_json::Map<String, serde_json::Value>) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        Err(_) => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_bounds() {
        assert_eq!(optional_text("f", "", 3).unwrap(), None);
        assert_eq!(optional_text("f", "abc", 3).unwrap().as_deref(), Some("abc"));
        assert!(optional_text("f", "abcd", 3).is_err());
        assert!(optional_text("f", "a\u{0}b", 10).is_err());
        assert!(required_text("f", "", 3).is_err());
    }

    #[test]
    fn json_bounds_count_the_encoded_bytes() {
        // {"k":"ab"} is 10 bytes, and so is {"k":"\n"}: escapes count as
        // encoded.
        let object = |value: &str| match serde_json::json!({ "k": value }) {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        };
        assert!(bounded_json_max("f", object("ab"), 10).is_ok());
        assert!(bounded_json_max("f", object("abc"), 10).is_err());
        assert!(bounded_json_max("f", object("\n"), 10).is_ok());
        assert!(bounded_json_max("f", object("\n"), 9).is_err());
        assert!(bounded_json_max("f", serde_json::Map::new(), 2).is_ok());
        assert!(bounded_json_max("f", serde_json::Map::new(), 1).is_err());
    }

    #[test]
    fn call_state_names_round_trip() {
        for &s in CallState::ALL {
            assert_eq!(CallState::from_str_opt(s.as_str()), Some(s));
        }
    }
}
