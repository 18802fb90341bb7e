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
/// serde_json one character at a time through its escaping adapter, and its
/// `to_rfc3339_opts` goes through `fmt` and a fresh `String`: together a
/// create's three snapshot timestamps cost more instructions than the rest
/// of its snapshot's fields (callgrind). Reading back uses chrono's
/// `Deserialize`, which accepts both spellings.
pub mod rfc3339 {
    use chrono::{Datelike, Timelike};

    use super::{SecondsFormat, Timestamp};

    /// Length of `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    const LEN: usize = 27;

    /// Serializes `t`.
    pub fn serialize<S: serde::Serializer>(t: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        match format(t) {
            Some(text) => {
                serializer.serialize_str(std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?)
            }
            None => serializer.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Micros, true)),
        }
    }

    /// `t` as `to_rfc3339_opts(SecondsFormat::Micros, true)` spells it, for
    /// the four-digit years it can spell without a sign; `None` for others.
    fn format(t: &Timestamp) -> Option<[u8; LEN]> {
        let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
        // chrono keeps a leap second as 999,999,999+ nanoseconds; the micros
        // then run past six digits, which chrono prints as the 60th second.
        let micros = t.nanosecond() / 1_000;
        let (second, micros) = if micros >= 1_000_000 {
            (t.second() + 1, micros - 1_000_000)
        } else {
            (t.second(), micros)
        };
        let mut text = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |at: usize, digits: usize, mut value: u32| {
            for i in (at..at + digits).rev() {
                text[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, t.month());
        put(8, 2, t.day());
        put(11, 2, t.hour());
        put(14, 2, t.minute());
        put(17, 2, second);
        put(20, 6, micros);
        Some(text)
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

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, SecondsFormat, TimeZone, Utc};
    use proptest::prelude::*;

    use super::Timestamp;

    #[derive(serde::Serialize)]
    struct Snapshot(#[serde(serialize_with = "super::rfc3339::serialize")] Timestamp);

    fn snapshot(t: Timestamp) -> String {
        serde_json::to_string(&Snapshot(t)).unwrap()
    }

    fn chrono_spelling(t: Timestamp) -> String {
        format!("\"{}\"", t.to_rfc3339_opts(SecondsFormat::Micros, true))
    }

    proptest! {
        #[test]
        fn snapshot_timestamps_are_spelled_as_chrono_spells_them(
            micros in -70_000_000_000_000_000i64..=260_000_000_000_000_000i64
        ) {
            let Some(t) = Utc.timestamp_micros(micros).single() else { return Ok(()) };
            prop_assert_eq!(snapshot(t), chrono_spelling(t));
        }
    }

    #[test]
    fn edges_of_the_fast_path_match_chrono() {
        let leap_second = NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_micro_opt(23, 59, 59, 1_500_000)
            .unwrap()
            .and_utc();
        let cases = [
            super::from_micros(0),
            leap_second,
            NaiveDate::from_ymd_opt(0, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc(),
            NaiveDate::from_ymd_opt(9999, 12, 31)
                .unwrap()
                .and_hms_micro_opt(23, 59, 59, 999_999)
                .unwrap()
                .and_utc(),
            NaiveDate::from_ymd_opt(10_000, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc(),
            NaiveDate::from_ymd_opt(-1, 6, 15)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap()
                .and_utc(),
        ];
        for t in cases {
            assert_eq!(snapshot(t), chrono_spelling(t), "{t:?}");
        }
        assert_eq!(snapshot(leap_second), "\"2016-12-31T23:59:60.500000Z\"");
    }
}
