//! Request limits applied in front of every service: the gRPC deadline
//! (`grpc-timeout`, capped by a server ceiling) and load shedding (a global
//! cap on unary requests in flight; excess requests are refused at once with
//! `RESOURCE_EXHAUSTED` or HTTP 429 and a retry hint, instead of queueing).
//! Long-lived streams (`Watch`, CometD long-polls) are not counted: they
//! would hold the cap for minutes.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;
use tonic::Status;
use tonic_types::{ErrorDetails, StatusExt};

use crate::api::error::ERROR_DOMAIN;

/// How long a refused client should wait before retrying.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Shared limit state.
#[derive(Clone, Debug)]
pub struct Limits {
    in_flight: Arc<Semaphore>,
    ceiling: Duration,
}

impl Limits {
    /// At most `max_in_flight` unary requests at once; no request longer than
    /// `ceiling`.
    pub fn new(max_in_flight: usize, ceiling: Duration) -> Self {
        Self {
            in_flight: Arc::new(Semaphore::new(max_in_flight.max(1))),
            ceiling,
        }
    }
}

/// Paths that hold a connection open by design.
fn is_long_lived(path: &str) -> bool {
    path == "/switchboard.v1.EventService/Watch"
        || path.starts_with("/api/v2/notifications")
        || path.starts_with("/grpc.health.v1.Health/Watch")
        || path.starts_with("/grpc.reflection.")
}

/// gRPC: sheds load and enforces the deadline.
pub async fn grpc_limits(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    if is_long_lived(request.uri().path()) {
        return next.run(request).await;
    }
    let Ok(_permit) = limits.in_flight.clone().try_acquire_owned() else {
        let mut details = ErrorDetails::with_retry_info(Some(RETRY_AFTER));
        details.set_error_info("OVERLOADED", ERROR_DOMAIN, std::collections::HashMap::new());
        return Status::with_error_details(
            tonic::Code::ResourceExhausted,
            "server overloaded; retry later",
            details,
        )
        .into_http::<Body>();
    };
    let deadline = request
        .headers()
        .get("grpc-timeout")
        .and_then(|v| parse_grpc_timeout(v.as_bytes()))
        .map_or(limits.ceiling, |client| client.min(limits.ceiling));
    let started = tokio::time::Instant::now();
    match tokio::time::timeout(deadline, next.run(request)).await {
        // The timer fires only when the runtime turns its time driver, so a
        // busy runtime can finish a request after its deadline; by then the
        // client has given up, so answer what it sees.
        Ok(response) if started.elapsed() <= deadline => response,
        _ => Status::deadline_exceeded(format!("deadline of {deadline:?} exceeded")).into_http::<Body>(),
    }
}

/// REST: sheds load with 429 and `Retry-After`, in the dialect's error shape.
pub async fn rest_limits(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    if is_long_lived(request.uri().path()) {
        return next.run(request).await;
    }
    let Ok(_permit) = limits.in_flight.clone().try_acquire_owned() else {
        return crate::facade::edge::overloaded(request.uri().path(), RETRY_AFTER);
    };
    next.run(request).await
}

/// Parses a `grpc-timeout` value: at most 8 ASCII digits and a unit
/// (`H`, `M`, `S`, `m`, `u`, `n`), per the gRPC HTTP/2 protocol.
pub fn parse_grpc_timeout(value: &[u8]) -> Option<Duration> {
    let (&unit, digits) = value.split_last()?;
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let amount: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some(match unit {
        b'H' => Duration::from_secs(amount * 3600),
        b'M' => Duration::from_secs(amount * 60),
        b'S' => Duration::from_secs(amount),
        b'm' => Duration::from_millis(amount),
        b'u' => Duration::from_micros(amount),
        b'n' => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_per_the_spec() {
        assert_eq!(parse_grpc_timeout(b"1S"), Some(Duration::from_secs(1)));
        assert_eq!(parse_grpc_timeout(b"250m"), Some(Duration::from_millis(250)));
        assert_eq!(
            parse_grpc_timeout(b"99999999n"),
            Some(Duration::from_nanos(99_999_999))
        );
        assert_eq!(parse_grpc_timeout(b"2H"), Some(Duration::from_secs(7200)));
        for bad in [&b""[..], b"S", b"123456789S", b"10x", b"-1S", b"1.5S"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn grpc_timeout_parsing_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..16)) {
            let _ = parse_grpc_timeout(&bytes);
        }
    }
}
