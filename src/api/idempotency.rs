//! The `idempotency-key` request metadata every create accepts, and the
//! `idempotent-replayed` response metadata that marks a repeat.
//!
//! A key names one create for a day-to-day retrying client: repeating the
//! request with it returns the first response's resource, however many
//! copies race; reusing it for a different request is `ALREADY_EXISTS`
//! (reason `IDEMPOTENCY_KEY_REUSED`). "Different" means a different request
//! message: the fingerprint is SHA-256 of the method and the request as
//! protobuf-encoded (deterministic here: the create requests hold no maps
//! but `google.protobuf.Struct`, whose fields prost keeps sorted).

use prost::Message;
use sha2::{Digest, Sha256};
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status};

use crate::store::idempotency::IdempotencyKey;

/// Request metadata carrying the client's key.
pub const KEY: &str = "idempotency-key";
/// Response metadata set to `true` when the response repeats an earlier
/// create (by idempotency key or by the resource's natural key) instead of
/// creating.
pub const REPLAYED: &str = "idempotent-replayed";
/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// The request's idempotency key for `method`, if it sent one.
pub fn key_of<T: Message>(
    request: &Request<T>,
    method: &'static str,
) -> Result<Option<IdempotencyKey>, Status> {
    let Some(value) = request.metadata().get(KEY) else {
        return Ok(None);
    };
    let key = value.to_str().ok().filter(|key| is_valid(key)).ok_or_else(|| {
        Status::invalid_argument(format!(
            "{KEY} must be 1 to {MAX_KEY_LEN} visible ASCII characters (a UUID is a good choice)"
        ))
    })?;
    let mut hash = Sha256::new();
    hash.update(method.as_bytes());
    hash.update([0]);
    hash.update(request.get_ref().encode_to_vec());
    Ok(Some(IdempotencyKey {
        key: key.to_owned(),
        method,
        fingerprint: hex(&hash.finalize()),
    }))
}

/// A create's response, marked as a replay when it did not create.
pub fn respond<T>(message: T, created: bool) -> Response<T> {
    let mut response = Response::new(message);
    if !created {
        response
            .metadata_mut()
            .insert(REPLAYED, MetadataValue::from_static("true"));
    }
    response
}

fn is_valid(key: &str) -> bool {
    (1..=MAX_KEY_LEN).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyed(
        key: &str,
        message: crate::pb::GetInteractionRequest,
    ) -> Request<crate::pb::GetInteractionRequest> {
        let mut request = Request::new(message);
        request.metadata_mut().insert(KEY, key.parse().unwrap());
        request
    }

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        assert!(is_valid("0b9c1f3e-2d4a-4c55-9a7e-1f2d3c4b5a69"));
        assert!(is_valid(&"k".repeat(MAX_KEY_LEN)));
        assert!(!is_valid(""));
        assert!(!is_valid(&"k".repeat(MAX_KEY_LEN + 1)));
        assert!(!is_valid("with space"));
        let error = key_of(&keyed("a b", Default::default()), "M").unwrap_err();
        assert_eq!(error.code(), tonic::Code::InvalidArgument);
    }

    #[test]
    fn the_fingerprint_covers_method_and_message() {
        let message = |name: &str| crate::pb::GetInteractionRequest {
            name: name.to_owned(),
        };
        let print = |method, name| {
            key_of(&keyed("k", message(name)), method)
                .unwrap()
                .unwrap()
                .fingerprint
        };
        assert_eq!(print("A", "x"), print("A", "x"));
        assert_ne!(print("A", "x"), print("A", "y"));
        assert_ne!(print("A", "x"), print("B", "x"));
        assert_eq!(key_of(&Request::new(message("x")), "A").unwrap(), None);
    }
}
