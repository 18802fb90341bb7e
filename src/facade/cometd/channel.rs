//! Bayeux channel names and subscription patterns: `/foo/bar`, `/foo/*`
//! (exactly one more segment) and `/foo/**` (one or more segments).

/// A valid channel name or pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Exact,
    /// `/prefix/*`
    OneSegment,
    /// `/prefix/**`
    AnySegments,
}

impl Pattern {
    /// Parses a channel name or pattern; `None` when it is not one:
    /// empty segments, whitespace, or a wildcard other than a whole last
    /// segment.
    pub fn parse(text: &str) -> Option<Pattern> {
        let rest = text.strip_prefix('/')?;
        let segments: Vec<&str> = rest.split('/').collect();
        if segments
            .iter()
            .any(|s| s.is_empty() || s.chars().any(char::is_whitespace))
        {
            return None;
        }
        let (last, init) = segments.split_last()?;
        if init.iter().any(|s| s.contains('*')) {
            return None;
        }
        let kind = match *last {
            "*" => Kind::OneSegment,
            "**" => Kind::AnySegments,
            other if other.contains('*') => return None,
            _ => Kind::Exact,
        };
        if kind != Kind::Exact && init.is_empty() {
            // `/*` and `/**` would match every channel, meta ones included.
            return None;
        }
        Some(Pattern {
            text: text.to_owned(),
            kind,
        })
    }

    /// The pattern as the client spelled it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether it is a wildcard pattern.
    pub fn is_wildcard(&self) -> bool {
        self.kind != Kind::Exact
    }

    /// Whether channel `name` (a plain name) matches.
    pub fn matches(&self, name: &str) -> bool {
        match self.kind {
            Kind::Exact => self.text == name,
            Kind::OneSegment | Kind::AnySegments => {
                // "/foo/*" → "/foo/"
                let prefix = self.text.trim_end_matches('*');
                let Some(rest) = name.strip_prefix(prefix) else {
                    return false;
                };
                !rest.is_empty() && (self.kind == Kind::AnySegments || !rest.contains('/'))
            }
        }
    }
}

/// Whether `name` is a meta channel (`/meta/…`).
pub fn is_meta(name: &str) -> bool {
    name == "/meta" || name.starts_with("/meta/")
}

/// Whether `name` is a service channel (`/service/…`).
pub fn is_service(name: &str) -> bool {
    name == "/service" || name.starts_with("/service/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_one_or_many_segments() {
        let one = Pattern::parse("/v2/me/*").unwrap();
        let many = Pattern::parse("/v2/**").unwrap();
        let exact = Pattern::parse("/v2/me/ucs").unwrap();
        assert!(one.matches("/v2/me/ucs"));
        assert!(!one.matches("/v2/me"));
        assert!(!one.matches("/v2/me/ucs/x"));
        assert!(many.matches("/v2/me"));
        assert!(many.matches("/v2/me/ucs/x"));
        assert!(!many.matches("/v2"));
        assert!(!many.matches("/v22/me"));
        assert!(exact.matches("/v2/me/ucs"));
        assert!(!exact.matches("/v2/me/ucsx"));
        assert!(one.is_wildcard() && many.is_wildcard() && !exact.is_wildcard());
    }

    #[test]
    fn invalid_names_are_refused() {
        for bad in [
            "", "v2", "/", "//a", "/a//b", "/a/", "/a*/b", "/a/b*", "/*/b", "/*", "/**", "/a b",
        ] {
            assert!(Pattern::parse(bad).is_none(), "{bad:?}");
        }
        assert!(is_meta("/meta/connect") && !is_meta("/metadata"));
        assert!(is_service("/service/echo") && !is_service("/services"));
    }
}

/// Properties of channel names and patterns: never panics, and wildcards
/// match exactly the channels the Bayeux spec says.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Segments from a small alphabet, so that prefixes collide often.
    fn segments(min: usize, max: usize) -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec("[ab]{1,2}", min..max)
    }

    fn channel(segments: &[String]) -> String {
        format!("/{}", segments.join("/"))
    }

    proptest! {
        #[test]
        fn parsing_and_matching_never_panic(pattern in "\\PC{0,40}", name in "\\PC{0,40}") {
            if let Some(p) = Pattern::parse(&pattern) {
                let _ = p.matches(&name);
            }
            let _ = is_meta(&name);
            let _ = is_service(&name);
        }

        #[test]
        fn names_are_patterns_that_match_only_themselves(name in segments(1, 5), other in segments(1, 5)) {
            let name = channel(&name);
            let other = channel(&other);
            let pattern = Pattern::parse(&name).unwrap();
            prop_assert!(!pattern.is_wildcard());
            prop_assert!(pattern.matches(&name));
            prop_assert_eq!(pattern.matches(&other), name == other);
        }

        #[test]
        fn wildcards_match_as_specified(prefix in segments(1, 3), name in segments(1, 6)) {
            let one = Pattern::parse(&format!("{}/*", channel(&prefix))).unwrap();
            let many = Pattern::parse(&format!("{}/**", channel(&prefix))).unwrap();
            let below = name.len() > prefix.len() && name[..prefix.len()] == prefix[..];
            let target = channel(&name);
            prop_assert_eq!(one.matches(&target), below && name.len() == prefix.len() + 1, "{}", target);
            prop_assert_eq!(many.matches(&target), below, "{}", target);
        }

        #[test]
        fn wildcards_inside_or_with_whitespace_are_refused(prefix in segments(1, 3), junk in prop_oneof![Just("a*"), Just("*a"), Just("a b"), Just("")]) {
            let text = format!("{}/{junk}/x", channel(&prefix));
            prop_assert!(Pattern::parse(&text).is_none(), "{}", text);
        }
    }
}
