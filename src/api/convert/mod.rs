//! Conversions between protobuf messages and domain types, one file per
//! aggregate. Inbound conversions validate (unknown enum numbers and
//! `*_UNSPECIFIED` are rejected with the field named); outbound conversions
//! are total.

pub mod common;
pub mod event;
pub mod interaction;
pub mod phone_call;
pub mod voice_call;
