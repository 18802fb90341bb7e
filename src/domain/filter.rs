//! The one filter language of every List method: a subset of AIP-160, parsed
//! into a typed AST that the store compiles to SQL (never by string building).
//! Dialects with their own syntax (UnifiedAPI `filterBy`/`filterOp`, vcita
//! `filter[field][op]`) translate into this language with [`quote`].
//!
//! Grammar (as AIP-160, `OR` binds tighter than `AND`):
//! ```text
//! filter     := and_expr
//! and_expr   := or_expr { ["AND"] or_expr }
//! or_expr    := unary { "OR" unary }
//! unary      := ("NOT" | "-") unary | "(" and_expr ")" | comparison
//! comparison := field op value | field ":" "*"
//! op         := "=" | "!=" | "<" | "<=" | ">" | ">=" | ":"
//! ```
//! `field = "abc*"` matches the prefix `abc`; `field : "abc"` matches values
//! containing `abc`; `field:*` matches values that are present.

use super::DomainError;
use super::time::Timestamp;

/// Longest filter accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;
const MAX_DEPTH: usize = 16;
const MAX_COMPARISONS: usize = 100;

/// A parsed, type-checked filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// Matches everything (the empty filter).
    All,
    /// Every part matches.
    And(Vec<Filter>),
    /// At least one part matches.
    Or(Vec<Filter>),
    /// The part does not match.
    Not(Box<Filter>),
    /// The field has a value (is not null / empty).
    Present(FieldRef),
    /// The field compares to the value.
    Compare {
        /// The field.
        field: FieldRef,
        /// The comparison.
        op: Op,
        /// The operand, typed by the field's kind.
        value: Value,
    },
}

/// A field of the filtered resource, with the map key for map fields
/// (`custom_attributes.region` → name `custom_attributes`, key `region`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRef {
    /// The field name as declared in the schema.
    pub name: &'static str,
    /// The key, for map fields.
    pub key: Option<String>,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `:` on text: contains.
    Contains,
    /// `= "abc*"`: starts with.
    Prefix,
}

/// A typed operand.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Text, compared as-is.
    Text(String),
    /// An instant.
    Time(Timestamp),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
}

/// The type of a filterable field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text: every operator.
    Text,
    /// An RFC 3339 timestamp (or a `YYYY-MM-DD` date, meaning midnight UTC).
    Time,
    /// An integer.
    Int,
    /// `true` or `false`.
    Bool,
    /// One of a closed set of upper-case names; `=` and `!=` only. The value
    /// may be given with or without the enum's prefix (`CALL` or
    /// `MEDIA_TYPE_CALL`); it is normalised to the short form.
    Enum {
        /// The proto enum prefix, e.g. `MEDIA_TYPE_`.
        prefix: &'static str,
        /// The allowed short names, e.g. `CALL`.
        values: &'static [&'static str],
    },
    /// A `map<string,string>`: filtered as `field.key`, each key as `Text`.
    Map,
}

/// The filterable fields of one resource.
pub type Schema = &'static [(&'static str, FieldKind)];

impl Filter {
    /// Parses and type-checks `input` against `schema`. The empty string is
    /// [`Filter::All`]. Errors name the `filter` field and say where the
    /// problem is.
    pub fn parse(input: &str, schema: Schema) -> Result<Filter, DomainError> {
        if input.len() > MAX_FILTER_LEN {
            return Err(invalid(format!("longer than {MAX_FILTER_LEN} bytes")));
        }
        let tokens = lex(input)?;
        if tokens.is_empty() {
            return Ok(Filter::All);
        }
        let mut parser = Parser {
            tokens,
            pos: 0,
            schema,
            comparisons: 0,
        };
        let filter = parser.and_expr(0)?;
        match parser.peek() {
            None => Ok(filter),
            Some(token) => Err(invalid(format!("unexpected {}", token.describe()))),
        }
    }

    /// Whether this is the match-everything filter.
    pub fn is_all(&self) -> bool {
        matches!(self, Filter::All)
    }
}

/// Quotes `value` as a filter string literal, escaping `"` and `\`. A trailing
/// `*` is escaped too, so the literal never turns into a prefix match.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    if value.ends_with('*') {
        out.pop();
        out.push_str("\\*");
    }
    out.push('"');
    out
}

fn invalid(description: impl Into<String>) -> DomainError {
    DomainError::invalid("filter", description)
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    LParen,
    RParen,
    Op(&'static str),
    /// A bare word: a field, a keyword or an unquoted value.
    Word(String),
    /// A quoted string; `prefix` when it ended in an unescaped `*`.
    Quoted {
        text: String,
        prefix: bool,
    },
    Star,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::LParen => "'('".to_owned(),
            Token::RParen => "')'".to_owned(),
            Token::Op(op) => format!("'{op}'"),
            Token::Word(w) => format!("'{w}'"),
            Token::Quoted { text, .. } => format!("string {text:?}"),
            Token::Star => "'*'".to_owned(),
        }
    }
}

fn lex(input: &str) -> Result<Vec<Token>, DomainError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' => tokens.push(Token::LParen),
            ')' => tokens.push(Token::RParen),
            '*' => tokens.push(Token::Star),
            ':' => tokens.push(Token::Op(":")),
            '=' => tokens.push(Token::Op("=")),
            '!' | '<' | '>' => {
                let with_eq = chars.next_if(|&(_, n)| n == '=').is_some();
                tokens.push(Token::Op(match (c, with_eq) {
                    ('!', true) => "!=",
                    ('<', false) => "<",
                    ('<', true) => "<=",
                    ('>', false) => ">",
                    ('>', true) => ">=",
                    _ => return Err(invalid(format!("'!' at byte {at} must be followed by '='"))),
                }));
            }
            '"' | '\'' => {
                let mut text = String::new();
                let mut prefix = false;
                let mut closed = false;
                while let Some((_, n)) = chars.next() {
                    match n {
                        '\\' => match chars.next() {
                            Some((_, escaped)) => text.push(escaped),
                            None => break,
                        },
                        '*' if chars.peek().is_some_and(|&(_, q)| q == c) => prefix = true,
                        n if n == c => {
                            closed = true;
                            break;
                        }
                        n => text.push(n),
                    }
                }
                if !closed {
                    return Err(invalid(format!("unterminated string starting at byte {at}")));
                }
                tokens.push(Token::Quoted { text, prefix });
            }
            c if is_word_char(c) => {
                let mut word = String::from(c);
                while let Some((_, n)) = chars.next_if(|&(_, n)| is_word_char(n)) {
                    word.push(n);
                }
                tokens.push(Token::Word(word));
            }
            other => {
                return Err(invalid(format!("unexpected character {other:?} at byte {at}")));
            }
        }
    }
    Ok(tokens)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '+')
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    schema: Schema,
    comparisons: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn at_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w == keyword)
    }

    fn and_expr(&mut self, depth: usize) -> Result<Filter, DomainError> {
        if depth > MAX_DEPTH {
            return Err(invalid(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        let mut parts = vec![self.or_expr(depth)?];
        loop {
            if self.at_keyword("AND") {
                self.pos += 1;
            } else if matches!(self.peek(), None | Some(Token::RParen)) {
                break;
            }
            parts.push(self.or_expr(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Filter::And(parts)
        })
    }

    fn or_expr(&mut self, depth: usize) -> Result<Filter, DomainError> {
        let mut parts = vec![self.unary(depth)?];
        while self.at_keyword("OR") {
            self.pos += 1;
            parts.push(self.unary(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Filter::Or(parts)
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Filter, DomainError> {
        match self.peek() {
            Some(Token::Word(w)) if w == "NOT" || w == "-" => {
                self.pos += 1;
                Ok(Filter::Not(Box::new(self.unary(depth + 1)?)))
            }
            Some(Token::LParen) => {
                self.pos += 1;
                let inner = self.and_expr(depth + 1)?;
                match self.next() {
                    Some(Token::RParen) => Ok(inner),
                    _ => Err(invalid("missing ')'")),
                }
            }
            _ => self.comparison(),
        }
    }

    fn comparison(&mut self) -> Result<Filter, DomainError> {
        self.comparisons += 1;
        if self.comparisons > MAX_COMPARISONS {
            return Err(invalid(format!("more than {MAX_COMPARISONS} comparisons")));
        }
        let field_text = match self.next() {
            Some(Token::Word(w)) if !matches!(w.as_str(), "AND" | "OR" | "NOT") => w,
            Some(other) => {
                return Err(invalid(format!(
                    "expected a field name, found {}",
                    other.describe()
                )));
            }
            None => return Err(invalid("expected a field name, found the end")),
        };
        let (field, kind) = self.resolve(&field_text)?;
        let op = match self.next() {
            Some(Token::Op(op)) => op,
            _ => {
                return Err(invalid(format!("expected an operator after '{field_text}'")));
            }
        };
        let (text, prefix) = match self.next() {
            Some(Token::Star) if op == ":" => return Ok(Filter::Present(field)),
            Some(Token::Quoted { text, prefix }) => (text, prefix),
            Some(Token::Word(w)) => (w, false),
            _ => {
                return Err(invalid(format!("expected a value after '{field_text} {op}'")));
            }
        };
        let op = match (op, prefix) {
            ("=", true) => Op::Prefix,
            ("=", false) => Op::Eq,
            ("!=", _) => Op::Ne,
            ("<", _) => Op::Lt,
            ("<=", _) => Op::Le,
            (">", _) => Op::Gt,
            (">=", _) => Op::Ge,
            _ => Op::Contains,
        };
        let value = typed_value(&field_text, kind, op, text)?;
        Ok(Filter::Compare { field, op, value })
    }

    fn resolve(&self, text: &str) -> Result<(FieldRef, FieldKind), DomainError> {
        let lookup = |wanted: &str| self.schema.iter().find(|(name, _)| *name == wanted);
        if let Some(&(name, kind)) = lookup(text)
            && kind != FieldKind::Map
        {
            return Ok((FieldRef { name, key: None }, kind));
        }
        if let Some((map, key)) = text.split_once('.')
            && let Some(&(name, FieldKind::Map)) = lookup(map)
            && !key.is_empty()
        {
            let field = FieldRef {
                name,
                key: Some(key.to_owned()),
            };
            return Ok((field, FieldKind::Text));
        }
        let known: Vec<&str> = self.schema.iter().map(|(name, _)| *name).collect();
        Err(invalid(format!(
            "unknown field '{text}'; filterable fields: {}",
            known.join(", ")
        )))
    }
}

fn typed_value(field: &str, kind: FieldKind, op: Op, text: String) -> Result<Value, DomainError> {
    let ordered = matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge);
    let textual = matches!(op, Op::Contains | Op::Prefix);
    match kind {
        FieldKind::Text | FieldKind::Map => Ok(Value::Text(text)),
        FieldKind::Time if textual => Err(invalid(format!(
            "'{field}' is a timestamp; use =, !=, <, <=, > or >="
        ))),
        FieldKind::Time => parse_time(&text)
            .map(Value::Time)
            .ok_or_else(|| invalid(format!("'{field}' needs an RFC 3339 timestamp, got {text:?}"))),
        FieldKind::Int if textual => Err(invalid(format!(
            "'{field}' is a number; use =, !=, <, <=, > or >="
        ))),
        FieldKind::Int => text
            .parse()
            .map(Value::Int)
            .map_err(|_| invalid(format!("'{field}' needs an integer, got {text:?}"))),
        FieldKind::Bool if textual || ordered => Err(invalid(format!("'{field}' is a boolean; use = or !="))),
        FieldKind::Bool => match text.as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(invalid(format!("'{field}' needs true or false, got {text:?}"))),
        },
        FieldKind::Enum { .. } if textual || ordered => {
            Err(invalid(format!("'{field}' is an enum; use = or !=")))
        }
        FieldKind::Enum { prefix, values } => {
            let short = text.strip_prefix(prefix).unwrap_or(&text);
            match values.iter().find(|v| **v == short) {
                Some(v) => Ok(Value::Text((*v).to_owned())),
                None => Err(invalid(format!(
                    "'{field}' must be one of {}, got {text:?}",
                    values.join(", ")
                ))),
            }
        }
    }
}

/// Parses an RFC 3339 timestamp or a `YYYY-MM-DD` date (midnight UTC).
pub fn parse_time(text: &str) -> Option<Timestamp> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: Schema = &[
        ("id", FieldKind::Text),
        ("create_time", FieldKind::Time),
        ("count", FieldKind::Int),
        (
            "state",
            FieldKind::Enum {
                prefix: "STATE_",
                values: &["NEW", "STOPPED"],
            },
        ),
        ("custom_attributes", FieldKind::Map),
    ];

    fn field(name: &'static str) -> FieldRef {
        FieldRef { name, key: None }
    }

    fn text(name: &'static str, op: Op, value: &str) -> Filter {
        Filter::Compare {
            field: field(name),
            op,
            value: Value::Text(value.to_owned()),
        }
    }

    #[test]
    fn empty_is_all() {
        assert_eq!(Filter::parse("   ", SCHEMA).unwrap(), Filter::All);
    }

    #[test]
    fn or_binds_tighter_than_and() {
        let f = Filter::parse(r#"id = "a" AND id = "b" OR id = "c""#, SCHEMA).unwrap();
        assert_eq!(
            f,
            Filter::And(vec![
                text("id", Op::Eq, "a"),
                Filter::Or(vec![text("id", Op::Eq, "b"), text("id", Op::Eq, "c")]),
            ])
        );
    }

    #[test]
    fn operators_prefix_contains_present_and_enums() {
        assert_eq!(
            Filter::parse(r#"id = "ab*""#, SCHEMA).unwrap(),
            text("id", Op::Prefix, "ab")
        );
        assert_eq!(
            Filter::parse(r#"id:"b""#, SCHEMA).unwrap(),
            text("id", Op::Contains, "b")
        );
        assert_eq!(
            Filter::parse("id:*", SCHEMA).unwrap(),
            Filter::Present(field("id"))
        );
        assert_eq!(
            Filter::parse("state = STATE_NEW", SCHEMA).unwrap(),
            text("state", Op::Eq, "NEW")
        );
        assert_eq!(
            Filter::parse("state != STOPPED", SCHEMA).unwrap(),
            text("state", Op::Ne, "STOPPED")
        );
        assert_eq!(
            Filter::parse("custom_attributes.region = eu", SCHEMA).unwrap(),
            Filter::Compare {
                field: FieldRef {
                    name: "custom_attributes",
                    key: Some("region".into())
                },
                op: Op::Eq,
                value: Value::Text("eu".into())
            }
        );
        assert!(matches!(
            Filter::parse(r#"NOT (count >= 3) create_time < "2025-01-01""#, SCHEMA).unwrap(),
            Filter::And(parts) if parts.len() == 2
        ));
    }

    #[test]
    fn quote_round_trips_hostile_text() {
        for raw in [
            "plain",
            "with \"quotes\"",
            "back\\slash",
            "star*",
            "*",
            "ünï ✓",
            "' OR 1=1 --",
        ] {
            let f = Filter::parse(&format!("id = {}", quote(raw)), SCHEMA).unwrap();
            assert_eq!(f, text("id", Op::Eq, raw), "{raw}");
        }
    }

    #[test]
    fn errors_are_precise() {
        let cases = [
            ("nope = 1", "unknown field 'nope'"),
            ("state = BOGUS", "must be one of NEW, STOPPED"),
            ("create_time > yesterday", "RFC 3339"),
            ("count = x", "integer"),
            ("id = \"open", "unterminated"),
            ("(id = a", "missing ')'"),
            ("id", "expected an operator"),
            ("state : NEW", "is an enum"),
            ("id = a )", "unexpected ')'"),
        ];
        for (input, expected) in cases {
            let err = Filter::parse(input, SCHEMA).unwrap_err().to_string();
            assert!(err.contains(expected), "{input}: {err}");
        }
    }

    #[test]
    fn limits_hold() {
        let deep = format!("{}id = a{}", "(".repeat(40), ")".repeat(40));
        assert!(Filter::parse(&deep, SCHEMA).is_err());
        let wide = vec!["id = a"; 200].join(" AND ");
        assert!(Filter::parse(&wide, SCHEMA).is_err());
        assert!(Filter::parse(&"x".repeat(MAX_FILTER_LEN + 1), SCHEMA).is_err());
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(input in "\\PC{0,200}") {
            let _ = Filter::parse(&input, SCHEMA);
        }

        #[test]
        fn parsing_token_soup_never_panics(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "id", "state", "count", "create_time", "custom_attributes.k", "=", "!=", "<", ">=", ":", "*",
                "(", ")", "AND", "OR", "NOT", "\"x\"", "\"a*\"", "NEW", "3", "2025-01-01", "'", "\\",
            ]),
            0..40,
        )) {
            let _ = Filter::parse(&parts.join(" "), SCHEMA);
        }

        #[test]
        fn quoted_text_always_round_trips(raw in "\\PC{0,80}") {
            let parsed = Filter::parse(&format!("id = {}", quote(&raw)), SCHEMA).unwrap();
            proptest::prop_assert_eq!(parsed, text("id", Op::Eq, &raw));
        }
    }
}
