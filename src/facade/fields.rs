//! Reads vendor request bodies field by field from a JSON object, collecting
//! every problem (missing field, wrong type) instead of stopping at the
//! first, so a dialect can report them all in its own error shape. Bodies
//! that arrived as XML (see `salesforce::xml`) are read in *lenient* mode:
//! numbers and booleans may be element text, and a list may be a single
//! element.

use serde_json::{Map, Value};

/// One problem with one field, named with the vendor's spelling
/// (`participants[0].type`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The vendor field path.
    pub field: String,
    /// What is wrong, for a developer to read.
    pub message: String,
}

/// Reads fields and records what is wrong with them.
#[derive(Debug, Default)]
pub struct Reader {
    /// Everything found wrong so far.
    pub errors: Vec<FieldError>,
    /// Whether scalars may arrive as text (XML bodies).
    pub lenient: bool,
}

fn path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Reader {
    /// A reader; `lenient` for XML bodies.
    pub fn new(lenient: bool) -> Self {
        Self {
            errors: Vec::new(),
            lenient,
        }
    }

    /// Records a problem with `field`.
    pub fn error(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    fn present<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        prefix: &str,
        name: &str,
        required: bool,
    ) -> Option<&'v Value> {
        match map.get(name) {
            None | Some(Value::Null) => {
                if required {
                    self.error(path(prefix, name), format!("{} is required", path(prefix, name)));
                }
                None
            }
            Some(value) => Some(value),
        }
    }

    /// A string field. An empty string counts as missing when `required`.
    pub fn text(
        &mut self,
        map: &Map<String, Value>,
        prefix: &str,
        name: &str,
        required: bool,
    ) -> Option<String> {
        let field = path(prefix, name);
        match self.present(map, prefix, name, required)? {
            Value::String(s) if s.is_empty() && required => {
                self.error(&field, format!("{field} is required"));
                None
            }
            Value::String(s) => Some(s.clone()),
            other => {
                self.error(&field, format!("{field} must be a string, not {}", kind(other)));
                None
            }
        }
    }

    /// An integer field.
    pub fn integer(
        &mut self,
        map: &Map<String, Value>,
        prefix: &str,
        name: &str,
        required: bool,
    ) -> Option<i64> {
        let field = path(prefix, name);
        match self.present(map, prefix, name, required)? {
            Value::Number(n) if n.as_i64().is_some() => n.as_i64(),
            Value::String(s) if self.lenient => match s.trim().parse() {
                Ok(n) => Some(n),
                Err(_) => {
                    self.error(&field, format!("{field} must be an integer"));
                    None
                }
            },
            other => {
                let got = kind(other);
                self.error(&field, format!("{field} must be an integer, not {got}"));
                None
            }
        }
    }

    /// A boolean field.
    pub fn boolean(
        &mut self,
        map: &Map<String, Value>,
        prefix: &str,
        name: &str,
        required: bool,
    ) -> Option<bool> {
        let field = path(prefix, name);
        match self.present(map, prefix, name, required)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) if self.lenient && matches!(s.as_str(), "true" | "false") => Some(s == "true"),
            other => {
                let got = kind(other);
                self.error(&field, format!("{field} must be true or false, not {got}"));
                None
            }
        }
    }

    /// An object field.
    pub fn object<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        prefix: &str,
        name: &str,
        required: bool,
    ) -> Option<&'v Map<String, Value>> {
        let field = path(prefix, name);
        match self.present(map, prefix, name, required)? {
            Value::Object(o) => Some(o),
            other => {
                self.error(&field, format!("{field} must be an object, not {}", kind(other)));
                None
            }
        }
    }

    /// A list of objects. In lenient mode a single object is a list of one
    /// (one repeated XML element).
    pub fn objects<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        prefix: &str,
        name: &str,
        required: bool,
    ) -> Option<Vec<&'v Map<String, Value>>> {
        let field = path(prefix, name);
        let items: Vec<&Value> = match self.present(map, prefix, name, required)? {
            Value::Array(items) => items.iter().collect(),
            one @ Value::Object(_) if self.lenient => vec![one],
            other => {
                self.error(&field, format!("{field} must be an array, not {}", kind(other)));
                return None;
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Value::Object(o) => out.push(o),
                other => self.error(
                    format!("{field}[{i}]"),
                    format!("{field}[{i}] must be an object, not {}", kind(other)),
                ),
            }
        }
        Some(out)
    }

    /// Whether nothing was found wrong.
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_problem() {
        let body = serde_json::json!({"rate": 0.05, "name": "", "n": "5", "flag": "yes", "list": {"a": 1}});
        let map = body.as_object().unwrap();
        let mut r = Reader::new(false);
        assert_eq!(r.text(map, "", "rate", true), None);
        assert_eq!(r.text(map, "", "name", true), None);
        assert_eq!(r.text(map, "", "missing", true), None);
        assert_eq!(r.text(map, "", "optional", false), None);
        assert_eq!(r.integer(map, "", "n", false), None);
        assert_eq!(r.boolean(map, "", "flag", false), None);
        assert!(r.objects(map, "", "list", false).is_none());
        let messages: Vec<&str> = r.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "rate must be a string, not a number",
                "name is required",
                "missing is required",
                "n must be an integer, not a string",
                "flag must be true or false, not a string",
                "list must be an array, not an object",
            ]
        );
        let mut lenient = Reader::new(true);
        assert_eq!(lenient.integer(map, "", "n", false), Some(5));
        assert_eq!(lenient.objects(map, "", "list", false).map(|l| l.len()), Some(1));
    }
}

/// Strategies for property tests of the dialect readers: arbitrary JSON,
/// with object keys drawn mostly from the fields a reader knows, so the
/// generated bodies reach past the first check.
#[cfg(test)]
pub(crate) mod strategies {
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    /// A scalar: null, booleans, numbers (huge and negative ones too),
    /// arbitrary strings and plausible ones.
    pub fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            "\\PC{0,24}".prop_map(Value::from),
            proptest::sample::select(vec![
                "",
                "+14155550148",
                "+0",
                "2026-11-23T09:30:00Z",
                "2026-11-23",
                "9999-12-31T23:59:60Z",
                "0.05",
                "-1",
                "Inbound",
                "Transfer",
                "END_USER",
                "INBOUND",
                "MISSED",
                "VONAGE",
                "{\"A\":\"b\"}",
                "[1]",
                "1e400",
            ])
            .prop_map(Value::from),
        ]
    }

    /// An object whose keys come from `keys` (or are arbitrary), with
    /// values of any JSON type, nested a few levels.
    pub fn object(keys: &'static [&'static str]) -> impl Strategy<Value = Map<String, Value>> {
        let key = prop_oneof![
            4 => proptest::sample::select(keys.to_vec()).prop_map(str::to_owned),
            1 => "\\PC{0,8}",
        ];
        let value = scalar().prop_recursive(3, 24, 4, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(
                    proptest::sample::select(keys.to_vec()).prop_map(str::to_owned),
                    inner,
                    0..4
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        });
        proptest::collection::btree_map(key, value, 0..10).prop_map(|m| m.into_iter().collect())
    }
}
