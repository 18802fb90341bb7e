//! Reading credentials out of HTTP requests, in the shapes vendor clients
//! send them. Dialects decide which shapes they accept; the token found is
//! forwarded to the gRPC API, which verifies it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The user and password of an `Authorization: Basic <base64>` header.
pub fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// The value of cookie `name`, from any `Cookie` header.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(key, value)| (key == name).then_some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn reads_bearer_basic_and_cookies() {
        assert_eq!(bearer(&headers(&[("authorization", "Bearer abc")])), Some("abc"));
        assert_eq!(
            bearer(&headers(&[("authorization", "bearer  abc ")])),
            Some("abc")
        );
        assert_eq!(bearer(&headers(&[("authorization", "Basic abc")])), None);
        assert_eq!(bearer(&headers(&[("authorization", "Bearer ")])), None);
        let encoded = STANDARD.encode("alice:swb_x:y");
        assert_eq!(
            basic(&headers(&[("authorization", &format!("Basic {encoded}"))])),
            Some(("alice".to_owned(), "swb_x:y".to_owned()))
        );
        assert_eq!(basic(&headers(&[("authorization", "Basic !!!")])), None);
        let jar = headers(&[("cookie", "dev=ff; xsrf-token=44Hz; vn=XI%2Cm")]);
        assert_eq!(cookie(&jar, "xsrf-token"), Some("44Hz"));
        assert_eq!(cookie(&jar, "missing"), None);
    }

    proptest::proptest! {
        #[test]
        fn credential_parsing_never_panics(value in "[ -~]{0,120}") {
            if let Ok(header) = value.parse::<http::HeaderValue>() {
                let mut map = HeaderMap::new();
                map.insert(AUTHORIZATION, header.clone());
                map.insert(COOKIE, header);
                let _ = (bearer(&map), basic(&map), cookie(&map, "xsrf-token"));
            }
        }

        #[test]
        fn header_bytes_beyond_ascii_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
            if let Ok(header) = http::HeaderValue::from_bytes(&bytes) {
                let mut map = HeaderMap::new();
                map.insert(AUTHORIZATION, header.clone());
                map.insert(COOKIE, header);
                let _ = (bearer(&map), basic(&map), cookie(&map, "xsrf-token"));
            }
        }

        #[test]
        fn basic_credentials_round_trip(user in "[^:\\p{C}]{0,20}", password in "\\PC{0,60}") {
            let encoded = STANDARD.encode(format!("{user}:{password}"));
            let map = headers(&[("authorization", &format!("Basic {encoded}"))]);
            proptest::prop_assert_eq!(basic(&map), Some((user, password)));
        }

        #[test]
        fn bearer_tokens_round_trip(token in "[!-~]{1,80}", scheme in proptest::sample::select(vec!["Bearer", "bearer", "BEARER"])) {
            let map = headers(&[("authorization", &format!("{scheme} {token}"))]);
            proptest::prop_assert_eq!(bearer(&map), Some(token.as_str()));
        }
    }
}
