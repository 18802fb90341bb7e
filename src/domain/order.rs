//! `order_by` (AIP-132): a comma-separated list of fields, each optionally
//! followed by `desc` (or `asc`).

use super::DomainError;

/// One sort key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderTerm {
    /// The field, one of the method's sortable fields.
    pub field: &'static str,
    /// Largest first.
    pub descending: bool,
}

/// Parses `input` against the sortable `fields`; empty input gives `default`.
pub fn parse_order_by(
    input: &str,
    fields: &[&'static str],
    default: &[OrderTerm],
) -> Result<Vec<OrderTerm>, DomainError> {
    if input.trim().is_empty() {
        return Ok(default.to_vec());
    }
    let mut terms = Vec::new();
    for part in input.split(',') {
        let words: Vec<&str> = part.split_whitespace().collect();
        let (name, descending) = match words.as_slice() {
            [name] => (*name, false),
            [name, direction] if direction.eq_ignore_ascii_case("desc") => (*name, true),
            [name, direction] if direction.eq_ignore_ascii_case("asc") => (*name, false),
            _ => {
                return Err(DomainError::invalid(
                    "order_by",
                    format!("cannot parse {:?}; expected `field` or `field desc`", part.trim()),
                ));
            }
        };
        let Some(&field) = fields.iter().find(|f| **f == name) else {
            return Err(DomainError::invalid(
                "order_by",
                format!("cannot sort by '{name}'; sortable fields: {}", fields.join(", ")),
            ));
        };
        if terms.iter().any(|t: &OrderTerm| t.field == field) {
            return Err(DomainError::invalid(
                "order_by",
                format!("'{name}' is listed twice"),
            ));
        }
        terms.push(OrderTerm { field, descending });
    }
    Ok(terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[&str] = &["create_time", "update_time"];
    const DEFAULT: &[OrderTerm] = &[OrderTerm {
        field: "update_time",
        descending: true,
    }];

    #[test]
    fn parses_lists_and_defaults() {
        assert_eq!(parse_order_by("", FIELDS, DEFAULT).unwrap(), DEFAULT);
        assert_eq!(
            parse_order_by("create_time desc, update_time", FIELDS, DEFAULT).unwrap(),
            [
                OrderTerm {
                    field: "create_time",
                    descending: true
                },
                OrderTerm {
                    field: "update_time",
                    descending: false
                }
            ]
        );
        assert!(parse_order_by("name", FIELDS, DEFAULT).is_err());
        assert!(parse_order_by("create_time sideways", FIELDS, DEFAULT).is_err());
        assert!(parse_order_by("create_time, create_time desc", FIELDS, DEFAULT).is_err());
    }
}
