//! Timestamps: UTC, microsecond precision (what both stores keep).

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};

/// A UTC instant with microsecond precision.
pub type Timestamp = DateTime<Utc>;

/// The current time, truncated to what the store keeps, so a value read back
/// equals the value written.
pub fn now() -> Timestamp {
    Utc::now().trunc_subsecs(6)
}

/// Microseconds since the Unix epoch, the stored form.
pub fn to_micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

/// The instant `micros` microseconds after the Unix epoch. Out-of-range values
/// (which no code path writes) clamp to the epoch.
pub fn from_micros(micros: i64) -> Timestamp {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// Serde `serialize_with` for snapshot timestamps: RFC 3339 with
/// microseconds, written in one piece. chrono's own impl feeds the text to
/// serde_json one character at a time through its escaping adapter, a
/// visible share of a create in profiles. Reading back uses chrono's
/// `Deserialize`, which accepts both spellings.
pub mod rfc3339 {
    use super::{SecondsFormat, Timestamp};

    /// Serializes `t`.
    pub fn serialize<S: serde::Serializer>(t: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Micros, true))
    }

    /// The same for an optional timestamp.
    pub mod option {
        use super::Timestamp;

        /// Serializes `t`, `None` as null.
        pub fn serialize<S: serde::Serializer>(
            t: &Option<Timestamp>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, serializer),
                None => serializer.serialize_none(),
            }
        }
    }
}
