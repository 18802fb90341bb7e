//! Errors raised by domain rules: invalid input and refused transitions.

/// One invalid input field, named by its proto field path (`phone_number`,
/// `voice_call.participants[0].type`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldViolation {
    /// Proto field path of the offending field.
    pub field: String,
    /// What is wrong with it, for a developer to read.
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// A rule of the domain refused the request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DomainError {
    /// The request is malformed; every violation found is listed.
    #[error("{}", describe(.0))]
    InvalidArgument(Vec<FieldViolation>),
    /// A state machine refused the transition.
    #[error("cannot {action} {resource} in state {state}")]
    InvalidTransition {
        /// The resource name, e.g. `phoneCalls/abc`.
        resource: String,
        /// The refused operation, e.g. `hold`.
        action: String,
        /// The current state, e.g. `STATE_STOPPED`.
        state: String,
        /// Machine-readable reason, e.g. `CALL_ENDED`.
        reason: &'static str,
    },
}

impl DomainError {
    /// A single-field `InvalidArgument`.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![FieldViolation::new(field, description)])
    }
}

fn describe(violations: &[FieldViolation]) -> String {
    match violations {
        [] => "invalid request".to_owned(),
        [one] => format!("{}: {}", one.field, one.description),
        [first, rest @ ..] => format!("{}: {} (and {} more)", first.field, first.description, rest.len()),
    }
}

/// Collects field violations so a request reports all of them at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a violation of `field`.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// Returns the value of `result`, or records its violations and returns a
    /// placeholder default. After [`Violations::finish`] succeeds, every value
    /// returned by `check` is real.
    pub fn check<T: Default>(&mut self, result: Result<T, DomainError>) -> T {
        match result {
            Ok(value) => value,
            Err(DomainError::InvalidArgument(found)) => {
                self.0.extend(found);
                T::default()
            }
            Err(other @ DomainError::InvalidTransition { .. }) => {
                self.0.push(FieldViolation::new("", other.to_string()));
                T::default()
            }
        }
    }

    /// Records `description` for `field` when a required value is missing;
    /// passes the value through.
    pub fn require<T>(&mut self, field: &str, value: Option<T>, description: &str) -> Option<T> {
        if value.is_none() {
            self.add(field, description);
        }
        value
    }

    /// `Ok(())` when nothing was recorded, else `InvalidArgument` with all of it.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::InvalidArgument(self.0))
        }
    }
}
