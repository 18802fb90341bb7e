//! Identifier types. Each is parsed once at the edge; a value of one of these
//! types is known to be well formed.

use std::fmt;

use rand::Rng;

use super::DomainError;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Wraps a value read back from the store, where it was validated
            /// on the way in.
            pub fn from_trusted(value: String) -> Self {
                Self(value)
            }

            /// The id as an owned string, without copying it.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(
    /// A tenant: the isolation boundary of every row.
    TenantId
);
string_id!(
    /// A user within a tenant.
    UserId
);
string_id!(
    /// An interaction, 16 alphanumeric characters (Genesys style). Generated
    /// ones are time-ordered (see [`time_ordered`]).
    InteractionId
);
string_id!(
    /// A phone call, 20 lowercase hex digits (UnifiedAPI style). Generated
    /// ones are time-ordered (see [`time_ordered`]).
    PhoneCallId
);
string_id!(
    /// A voice call, `0LQ` and 15 alphanumeric characters (Salesforce style).
    /// Generated ones are time-ordered (see [`time_ordered`]).
    VoiceCallId
);

/// Tenant and user names: 1–64 characters of `[A-Za-z0-9._@-]`.
fn parse_principal(field: &str, value: &str) -> Result<String, DomainError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(DomainError::invalid(
            field,
            "must be 1-64 characters of letters, digits, '.', '_', '-' or '@'",
        ))
    }
}

impl TenantId {
    /// Parses a tenant name.
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        parse_principal("tenant", value).map(Self)
    }
}

impl UserId {
    /// Parses a user name.
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        parse_principal("user", value).map(Self)
    }
}

/// Digits in ASCII order, so that ids compare as their numbers do.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX: &[u8; 16] = b"0123456789abcdef";

/// A fresh id of `time_digits` digits of the current Unix time in
/// milliseconds, then `random_digits` random ones, from `alphabet`.
///
/// Ids made one after another sort one after another (ULID-style), so
/// inserting them touches the last page of a primary-key index instead of a
/// random one: a batch of creates then writes a handful of index pages to the
/// SQLite WAL (and PostgreSQL's) instead of one page per row. The random
/// digits keep ids made in the same millisecond apart (at least 36 bits of
/// randomness per millisecond).
fn time_ordered(alphabet: &[u8], time_digits: u32, random_digits: usize) -> String {
    let base = alphabet.len() as u64;
    let millis = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
    // Wraps only after the largest time the digits hold (year 2527 or later).
    let mut time = millis % base.pow(time_digits);
    let mut id = vec![0u8; time_digits as usize];
    for digit in id.iter_mut().rev() {
        *digit = alphabet[(time % base) as usize];
        time /= base;
    }
    let mut rng = rand::rng();
    id.extend((0..random_digits).map(|_| alphabet[rng.random_range(0..alphabet.len())]));
    String::from_utf8(id).unwrap_or_else(|_| unreachable!("the alphabets are ASCII"))
}

impl InteractionId {
    /// A fresh time-ordered id: 8 digits of time, 8 random (base 62).
    pub fn generate() -> Self {
        Self(time_ordered(BASE62, 8, 8))
    }

    /// Parses an id given by a client.
    pub fn parse(field: &str, value: &str) -> Result<Self, DomainError> {
        if value.len() == 16 && value.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(value.to_owned()))
        } else {
            Err(DomainError::invalid(field, "not an interaction id"))
        }
    }
}

impl PhoneCallId {
    /// A fresh time-ordered id: 11 hex digits of time, 9 random.
    pub fn generate() -> Self {
        Self(time_ordered(HEX, 11, 9))
    }

    /// Parses an id given by a client.
    pub fn parse(field: &str, value: &str) -> Result<Self, DomainError> {
        if value.len() == 20 && value.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(Self(value.to_owned()))
        } else {
            Err(DomainError::invalid(field, "not a phone call id"))
        }
    }
}

impl VoiceCallId {
    /// A fresh time-ordered id: `0LQ`, 8 digits of time, 7 random (base 62).
    pub fn generate() -> Self {
        Self(format!("0LQ{}", time_ordered(BASE62, 8, 7)))
    }

    /// Parses an id given by a client; `None` when `value` is not shaped like
    /// one (it may still be a vendor call key).
    pub fn parse(value: &str) -> Option<Self> {
        let ok =
            value.len() == 18 && value.starts_with("0LQ") && value.bytes().all(|b| b.is_ascii_alphanumeric());
        ok.then(|| Self(value.to_owned()))
    }
}

/// Splits a resource name `{collection}/{id}` and checks the collection.
pub fn parse_name<'a>(field: &str, name: &'a str, collection: &str) -> Result<&'a str, DomainError> {
    match name.split_once('/') {
        Some((c, id)) if c == collection && !id.is_empty() && !id.contains('/') => Ok(id),
        _ => Err(DomainError::invalid(
            field,
            format!("must be a resource name of the form {collection}/{{id}}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back() {
        let i = InteractionId::generate();
        assert_eq!(InteractionId::parse("id", i.as_str()).unwrap(), i);
        let p = PhoneCallId::generate();
        assert_eq!(PhoneCallId::parse("id", p.as_str()).unwrap(), p);
        let v = VoiceCallId::generate();
        assert_eq!(VoiceCallId::parse(v.as_str()).unwrap(), v);
    }

    #[test]
    fn generated_ids_sort_in_the_order_they_were_made() {
        let mut made = Vec::new();
        for _ in 0..3 {
            made.push((
                InteractionId::generate(),
                PhoneCallId::generate(),
                VoiceCallId::generate(),
            ));
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        assert!(
            made.windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1 && w[0].2 < w[1].2)
        );
        let same_millisecond: std::collections::HashSet<_> =
            (0..1000).map(|_| InteractionId::generate()).collect();
        assert_eq!(same_millisecond.len(), 1000, "the random digits keep them apart");
    }

    #[test]
    fn time_digits_encode_the_milliseconds_in_order() {
        let id = time_ordered(HEX, 11, 0);
        let millis = u64::from_str_radix(&id, 16).unwrap();
        let now = chrono::Utc::now().timestamp_millis() as u64;
        assert!(now - millis < 1000, "{id} is {millis}, now {now}");
        assert!(time_ordered(BASE62, 8, 0).bytes().all(|b| BASE62.contains(&b)));
    }

    #[test]
    fn principals_are_restricted() {
        assert!(TenantId::parse("acme-corp").is_ok());
        assert!(TenantId::parse("").is_err());
        assert!(UserId::parse("a b").is_err());
        assert!(UserId::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn resource_names_split() {
        assert_eq!(parse_name("name", "phoneCalls/abc", "phoneCalls").unwrap(), "abc");
        assert!(parse_name("name", "voiceCalls/abc", "phoneCalls").is_err());
        assert!(parse_name("name", "phoneCalls/", "phoneCalls").is_err());
        assert!(parse_name("name", "phoneCalls/a/b", "phoneCalls").is_err());
    }
}

/// Properties of id and name parsing (ids arrive in paths and bodies).
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn parsing_never_panics(text in "(?s)\\PC{0,80}") {
            let _ = InteractionId::parse("id", &text);
            let _ = PhoneCallId::parse("id", &text);
            let _ = VoiceCallId::parse(&text);
            let _ = TenantId::parse(&text);
            let _ = UserId::parse(&text);
            let _ = parse_name("name", &text, "phoneCalls");
        }

        #[test]
        fn well_formed_ids_are_accepted_and_names_round_trip(
            interaction in "[A-Za-z0-9]{16}",
            phone_call in "[0-9a-f]{20}",
            voice_call in "0LQ[A-Za-z0-9]{15}",
            principal in "[A-Za-z0-9._@-]{1,64}",
        ) {
            let parsed = InteractionId::parse("id", &interaction).unwrap();
            prop_assert_eq!(parsed.as_str(), interaction.as_str());
            let parsed = PhoneCallId::parse("id", &phone_call).unwrap();
            prop_assert_eq!(parsed.as_str(), phone_call.as_str());
            let parsed = VoiceCallId::parse(&voice_call).unwrap();
            prop_assert_eq!(parsed.as_str(), voice_call.as_str());
            prop_assert!(TenantId::parse(&principal).is_ok() && UserId::parse(&principal).is_ok());
            let name = format!("phoneCalls/{phone_call}");
            prop_assert_eq!(parse_name("name", &name, "phoneCalls").unwrap(), phone_call.as_str());
        }

        #[test]
        fn ids_of_another_shape_are_refused(
            short in "[A-Za-z0-9]{0,15}",
            upper in "[0-9a-f]{0,19}[A-F]",
            other in "[A-Za-z0-9]{0,3}[^A-Za-z0-9][A-Za-z0-9]{0,12}",
        ) {
            prop_assert!(InteractionId::parse("id", &short).is_err());
            prop_assert!(PhoneCallId::parse("id", &upper).is_err());
            prop_assert!(InteractionId::parse("id", &other).is_err());
            prop_assert!(VoiceCallId::parse(&other).is_none());
            let nested = format!("phoneCalls/{short}/x");
            prop_assert!(parse_name("name", &nested, "phoneCalls").is_err());
        }
    }
}
