//! SeaORM entities, one per table. Times are `i64` microseconds since the
//! Unix epoch (identical on SQLite and PostgreSQL, and cheap to index);
//! closed enums are stored as their upper-case names; nested parts of an
//! aggregate that are never queried on their own (phone-call legs,
//! voice-call participants and vendor details) are JSON columns, so an
//! aggregate is read and written as one row.

pub mod api_token;
pub mod call_center;
pub mod event;
pub mod idempotency_key;
pub mod interaction;
pub mod phone_call;
pub mod tenant;
pub mod user;
pub mod voice_call;
pub mod voice_call_message;
