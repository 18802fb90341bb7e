//! Paging for List methods (AIP-158): page sizes and opaque page tokens.
//!
//! A token records the offset of the next page and a fingerprint of the query
//! that produced it, so a token replayed with a different filter or order is
//! rejected instead of silently paging through another result set.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::DomainError;

/// Default and maximum page sizes of one List method.
#[derive(Clone, Copy, Debug)]
pub struct PageLimits {
    /// Used when the request's `page_size` is 0.
    pub default_size: u32,
    /// Larger requests are coerced down to this.
    pub max_size: u32,
}

/// Which slice of the results to return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return.
    pub size: u32,
}

const TOKEN_VERSION: u8 = 1;

/// How many rows a listing matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matches {
    /// Counted exactly.
    Counted(u64),
    /// Not counted (the client asked to skip the count); `more` says whether
    /// rows follow the page, learned by reading one row past it.
    Uncounted {
        /// Rows up to the end of this page.
        through: u64,
        /// Whether at least one more row follows.
        more: bool,
    },
}

impl Matches {
    /// The response's `total_size`: the count, or 0 when not counted.
    pub fn total_size(self) -> i32 {
        match self {
            Matches::Counted(n) => i32::try_from(n).unwrap_or(i32::MAX),
            Matches::Uncounted { .. } => 0,
        }
    }

    /// A lower bound of the matches that decides whether a next page exists.
    pub fn bound(self) -> u64 {
        match self {
            Matches::Counted(n) => n,
            Matches::Uncounted { through, more } => through + u64::from(more),
        }
    }
}

impl Page {
    /// Resolves a request's `page_size`, `page_token` and `skip`. `query`
    /// lists the request fields that must not change between pages.
    pub fn from_request(
        limits: PageLimits,
        page_size: i32,
        page_token: &str,
        skip: i32,
        query: &[&str],
    ) -> Result<Page, DomainError> {
        let size = match page_size {
            n if n < 0 => return Err(DomainError::invalid("page_size", "must not be negative")),
            0 => limits.default_size,
            n => (n as u32).min(limits.max_size),
        };
        if skip < 0 {
            return Err(DomainError::invalid("skip", "must not be negative"));
        }
        let start = if page_token.is_empty() {
            0
        } else {
            decode_token(page_token, &fingerprint(query))?
        };
        Ok(Page {
            offset: start + skip as u64,
            size,
        })
    }

    /// The token of the page after this one, or empty when `matches` leave
    /// no further page.
    pub fn next_token(&self, matches: Matches, query: &[&str]) -> String {
        let next = self.offset + u64::from(self.size);
        if next >= matches.bound() {
            return String::new();
        }
        let mut bytes = Vec::with_capacity(1 + 8 + 8);
        bytes.push(TOKEN_VERSION);
        bytes.extend_from_slice(&next.to_be_bytes());
        bytes.extend_from_slice(&fingerprint(query));
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

fn fingerprint(query: &[&str]) -> [u8; 8] {
    let mut hasher = Sha256::new();
    for part in query {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut out = [0; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

fn decode_token(token: &str, expected: &[u8; 8]) -> Result<u64, DomainError> {
    let bad = || DomainError::invalid("page_token", "is not a token returned by this List call");
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    if bytes.len() != 17 || bytes[0] != TOKEN_VERSION {
        return Err(bad());
    }
    if &bytes[9..17] != expected {
        return Err(DomainError::invalid(
            "page_token",
            "was issued for a different filter or order_by",
        ));
    }
    let mut offset = [0; 8];
    offset.copy_from_slice(&bytes[1..9]);
    Ok(u64::from_be_bytes(offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: PageLimits = PageLimits {
        default_size: 20,
        max_size: 100,
    };

    #[test]
    fn sizes_default_and_coerce() {
        assert_eq!(Page::from_request(LIMITS, 0, "", 0, &[]).unwrap().size, 20);
        assert_eq!(Page::from_request(LIMITS, 5000, "", 0, &[]).unwrap().size, 100);
        assert!(Page::from_request(LIMITS, -1, "", 0, &[]).is_err());
        assert!(Page::from_request(LIMITS, 1, "", -1, &[]).is_err());
    }

    #[test]
    fn tokens_round_trip_and_bind_to_the_query() {
        let first = Page::from_request(LIMITS, 10, "", 0, &["f"]).unwrap();
        let token = first.next_token(Matches::Counted(25), &["f"]);
        let second = Page::from_request(LIMITS, 10, &token, 0, &["f"]).unwrap();
        assert_eq!(second.offset, 10);
        assert!(!second.next_token(Matches::Counted(25), &["f"]).is_empty());
        let third = Page::from_request(
            LIMITS,
            10,
            &second.next_token(Matches::Counted(25), &["f"]),
            0,
            &["f"],
        )
        .unwrap();
        assert!(third.next_token(Matches::Counted(25), &["f"]).is_empty());
        assert!(Page::from_request(LIMITS, 10, &token, 0, &["g"]).is_err());
        assert!(Page::from_request(LIMITS, 10, "garbage!", 0, &["f"]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_tokens_never_panic(token in "\\PC{0,64}", size in -5i32..5000, skip in -5i32..5000) {
            let _ = Page::from_request(LIMITS, size, &token, skip, &["q"]);
        }

        #[test]
        fn issued_tokens_resume_where_the_last_page_ended(size in 1i32..200, total in 0u64..10_000) {
            let first = Page::from_request(LIMITS, size, "", 0, &["q"]).unwrap();
            let token = first.next_token(Matches::Counted(total), &["q"]);
            if token.is_empty() {
                proptest::prop_assert!(u64::from(first.size) >= total);
            } else {
                let next = Page::from_request(LIMITS, size, &token, 0, &["q"]).unwrap();
                proptest::prop_assert_eq!(next.offset, u64::from(first.size));
            }
        }
    }
}
