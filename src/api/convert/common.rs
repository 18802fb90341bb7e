//! Shared conversions: timestamps, durations, `google.protobuf.Struct`, vendor
//! literals and call states.

use std::collections::BTreeMap;

use prost_types::value::Kind;
use serde_json::{Map, Number, Value};

use crate::domain::DomainError;
use crate::domain::common::{CallState, VendorLiteral};
use crate::domain::time::Timestamp;
use crate::pb;

/// Domain time → protobuf.
pub fn timestamp(t: Timestamp) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// Optional domain time → protobuf.
pub fn opt_timestamp(t: Option<Timestamp>) -> Option<prost_types::Timestamp> {
    t.map(timestamp)
}

/// Protobuf time → domain, rejecting out-of-range values.
pub fn from_timestamp(field: &str, t: &prost_types::Timestamp) -> Result<Timestamp, DomainError> {
    if !(0..1_000_000_000).contains(&t.nanos) {
        return Err(DomainError::invalid(field, "nanos must be in 0..1e9"));
    }
    chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32)
        .filter(|d| (1970..=9999).contains(&chrono::Datelike::year(d)))
        .map(|d| chrono::SubsecRound::trunc_subsecs(d, 6))
        .ok_or_else(|| DomainError::invalid(field, "must be between 1970 and 9999"))
}

/// Whole seconds of a protobuf duration, which must be non-negative and
/// whole.
pub fn whole_seconds(field: &str, d: &prost_types::Duration) -> Result<i64, DomainError> {
    if d.seconds < 0 || d.nanos != 0 {
        return Err(DomainError::invalid(
            field,
            "must be a non-negative whole number of seconds",
        ));
    }
    Ok(d.seconds)
}

/// Seconds → protobuf duration.
pub fn seconds(secs: i64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: secs,
        nanos: 0,
    }
}

/// A `Struct` as a JSON object. Non-finite numbers have no JSON form and are
/// rejected.
pub fn struct_to_json(
    field: &str,
    s: Option<&prost_types::Struct>,
) -> Result<Map<String, Value>, DomainError> {
    let Some(s) = s else { return Ok(Map::new()) };
    s.fields
        .iter()
        .map(|(k, v)| Ok((k.clone(), value_to_json(&format!("{field}.{k}"), v)?)))
        .collect()
}

fn value_to_json(field: &str, v: &prost_types::Value) -> Result<Value, DomainError> {
    Ok(match &v.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(b)) => Value::Bool(*b),
        Some(Kind::StringValue(s)) => Value::String(s.clone()),
        Some(Kind::NumberValue(n)) => Number::from_f64(*n)
            .map(|n| {
                // Keep integers integral in JSON (Genesys clients compare them).
                if n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                    Value::from(n.as_f64().unwrap_or_default() as i64)
                } else {
                    Value::Number(n)
                }
            })
            .ok_or_else(|| DomainError::invalid(field, "numbers must be finite"))?,
        Some(Kind::StructValue(s)) => Value::Object(struct_to_json(field, Some(s))?),
        Some(Kind::ListValue(l)) => Value::Array(
            l.values
                .iter()
                .enumerate()
                .map(|(i, v)| value_to_json(&format!("{field}[{i}]"), v))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// A JSON object as a `Struct`.
pub fn json_to_struct(map: &Map<String, Value>) -> prost_types::Struct {
    prost_types::Struct {
        fields: map
            .iter()
            .map(|(k, v)| (k.clone(), json_to_value(v)))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn json_to_value(v: &Value) -> prost_types::Value {
    let kind = match v {
        Value::Null => Kind::NullValue(0),
        Value::Bool(b) => Kind::BoolValue(*b),
        Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        Value::String(s) => Kind::StringValue(s.clone()),
        Value::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.iter().map(json_to_value).collect(),
        }),
        Value::Object(map) => Kind::StructValue(json_to_struct(map)),
    };
    prost_types::Value { kind: Some(kind) }
}

/// Domain literal → protobuf, moving its strings.
impl From<VendorLiteral> for pb::VendorLiteral {
    fn from(l: VendorLiteral) -> Self {
        Self {
            dialect: l.dialect,
            value: l.value,
        }
    }
}

/// Domain literal → protobuf, for callers that keep the domain value.
pub fn literal(l: Option<&VendorLiteral>) -> Option<pb::VendorLiteral> {
    l.cloned().map(Into::into)
}

/// Protobuf literal → domain (validated).
pub fn from_literal(
    field: &str,
    l: Option<&pb::VendorLiteral>,
) -> Result<Option<VendorLiteral>, DomainError> {
    match l {
        None => Ok(None),
        Some(l) => VendorLiteral::parse(field, &l.dialect, &l.value),
    }
}

/// Domain call state → protobuf.
pub fn call_state(state: CallState) -> pb::CallState {
    match state {
        CallState::Queued => pb::CallState::Queued,
        CallState::Ringing => pb::CallState::Ringing,
        CallState::Active => pb::CallState::Active,
        CallState::Completed => pb::CallState::Completed,
        CallState::Missed => pb::CallState::Missed,
        CallState::Busy => pb::CallState::Busy,
        CallState::Failed => pb::CallState::Failed,
        CallState::Canceled => pb::CallState::Canceled,
        CallState::Voicemail => pb::CallState::Voicemail,
    }
}

/// Protobuf call state → domain; unknown numbers and `UNSPECIFIED` are
/// `None`.
pub fn from_call_state(value: i32) -> Option<CallState> {
    match pb::CallState::try_from(value).ok()? {
        pb::CallState::Unspecified => None,
        pb::CallState::Queued => Some(CallState::Queued),
        pb::CallState::Ringing => Some(CallState::Ringing),
        pb::CallState::Active => Some(CallState::Active),
        pb::CallState::Completed => Some(CallState::Completed),
        pb::CallState::Missed => Some(CallState::Missed),
        pb::CallState::Busy => Some(CallState::Busy),
        pb::CallState::Failed => Some(CallState::Failed),
        pb::CallState::Canceled => Some(CallState::Canceled),
        pb::CallState::Voicemail => Some(CallState::Voicemail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_round_trips_json() {
        let json: Value = serde_json::json!({"a": 1, "b": [true, null, "x", 1.5], "c": {"d": "e"}});
        let Value::Object(map) = json else { unreachable!() };
        let back = struct_to_json("user_data", Some(&json_to_struct(&map))).unwrap();
        assert_eq!(back, map);
    }

    #[test]
    fn non_finite_numbers_are_rejected() {
        let s = prost_types::Struct {
            fields: [(
                "n".to_owned(),
                prost_types::Value {
                    kind: Some(Kind::NumberValue(f64::NAN)),
                },
            )]
            .into(),
        };
        let err = struct_to_json("user_data", Some(&s)).unwrap_err().to_string();
        assert!(err.contains("user_data.n"), "{err}");
    }
}
