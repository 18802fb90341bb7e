//! Timestamps: UTC, microsecond precision (what both stores keep).

use chrono::{DateTime, SubsecRound, Utc};

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
