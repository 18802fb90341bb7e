//! Pure domain types and rules: ids, callers, validation, the state machines,
//! filters and paging. No I/O here, and no `tonic`, `prost`, `sea_orm` or
//! `axum` types: the `api` layer converts protobuf into these types and the
//! `store` layer persists them.

/// Declares a closed enum with its stored spelling (the same spelling the
/// filter language accepts), `as_str`, `from_str_opt` and `NAMES`.
macro_rules! stored_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name { $($(#[$vdoc])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            /// The stored (and filter) spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stored spelling.
            pub fn from_str_opt(value: &str) -> Option<Self> {
                match value { $($text => Some($name::$variant),)+ _ => None }
            }

            /// Every stored spelling, for filter schemas.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
        }
    };
}

pub mod call_center;
pub mod caller;
pub mod common;
pub mod error;
pub mod event;
pub mod filter;
pub mod ids;
pub mod interaction;
pub mod order;
pub mod page;
pub mod phone_call;
pub mod time;
pub mod voice_call;

pub use caller::Caller;
pub use error::{DomainError, FieldViolation};
