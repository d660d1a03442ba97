//! What the request carries besides the URL: the method, `--header` lines and
//! Basic credentials.

use std::fmt;

use base64::Engine;
use base64::prelude::BASE64_STANDARD;
use shared::Usage;
use ureq::http::header::{self, HeaderName, HeaderValue};

/// The longest `--header` line we accept: ureq writes the request line by line
/// into its output buffer (see [`crate::check`]), which must hold the longest.
pub const MAX_HEADER_LINE: usize = 4 * 1024;
/// The most bytes of `--header` lines in all: a sane bound on what we send, far
/// below what servers take (8 to 16 KiB of request headers).
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// The most bytes of user name and password together: the Authorization line
/// must fit the output buffer, and no real password is longer.
pub const MAX_CREDENTIALS: usize = 1024;

/// `--method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET: the default.
    Get,
    /// HEAD: headers only, so no `--expect-content`.
    Head,
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
        })
    }
}

/// Parses `GET` or `HEAD` (any case).
///
/// # Errors
/// A message for argh to print after the option's name.
pub fn parse_method(value: &str) -> Result<Method, String> {
    if value.eq_ignore_ascii_case("GET") {
        Ok(Method::Get)
    } else if value.eq_ignore_ascii_case("HEAD") {
        Ok(Method::Head)
    } else {
        Err(format!(
            "expected GET or HEAD, got '{}'",
            shared::args::display_arg(value)
        ))
    }
}

/// Parses the `--header` lines: `Name: value` each, no CR or LF anywhere, no
/// body framing headers (we send no body), at most one Host. An empty value
/// (`Name:`) means the header is not sent at all, a default one included (as
/// curl and Kubernetes probes read it); Host cannot be removed (HTTP/1.1
/// requires it).
///
/// # Errors
/// A usage error naming the line and what is wrong with it.
pub fn parse_headers(lines: &[String]) -> Result<Vec<(HeaderName, HeaderValue)>, Usage> {
    let mut headers = Vec::with_capacity(lines.len());
    let mut total = 0;
    for line in lines {
        let line = shared::args::display_arg(line);
        let shown = shared::report::sanitize(&shared::secret::shown_header(&line), 100);
        let bad = |why: &str| Usage::new(format!("--header '{shown}' {why}"));
        if line.contains(['\r', '\n']) {
            return Err(bad("holds a CR or LF"));
        }
        if line.len() > MAX_HEADER_LINE {
            return Err(bad(&format!("is longer than {MAX_HEADER_LINE} bytes")));
        }
        total += line.len();
        if total > MAX_HEADER_BYTES {
            return Err(Usage::new(format!(
                "--header lines hold more than {MAX_HEADER_BYTES} bytes in all"
            )));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad("is not 'Name: value'"))?;
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| bad("does not start with a valid header name"))?;
        if name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING {
            return Err(bad("cannot be set: the request has no body"));
        }
        if name == header::HOST && headers.iter().any(|(n, _)| *n == header::HOST) {
            return Err(bad("is a second Host header"));
        }
        let value = HeaderValue::from_str(value.trim_matches([' ', '\t']))
            .map_err(|_| bad("holds control characters"))?;
        if [
            header::AUTHORIZATION,
            header::PROXY_AUTHORIZATION,
            header::HOST,
        ]
        .contains(&name)
            && value.to_str().is_err()
        {
            // ureq reads these as text and refuses the request otherwise, which
            // would read as a server's fault.
            return Err(bad("holds characters other than visible ASCII"));
        }
        if name == header::HOST && value.is_empty() {
            return Err(bad("cannot remove Host: HTTP/1.1 requires it"));
        }
        headers.push((name, value));
    }
    Ok(headers)
}

/// Refuses control characters in a user name or password, as RFC 7617 does:
/// `what` names it, and the value itself is never shown.
///
/// # Errors
/// The message saying so.
pub fn check_credential(what: &str, value: &[u8]) -> Result<(), String> {
    if value.iter().any(|&b| b < b' ' || b == 0x7f) {
        return Err(format!(
            "{what} holds a control character, which HTTP Basic authentication cannot carry"
        ));
    }
    Ok(())
}

/// `Authorization: Basic ...` for `username` and `password`, marked sensitive.
///
/// # Errors
/// The two are longer than [`MAX_CREDENTIALS`] together.
pub fn basic_auth(username: &[u8], password: &[u8]) -> Result<HeaderValue, String> {
    if username.len() + password.len() > MAX_CREDENTIALS {
        return Err(format!(
            "--username and its password are longer than {MAX_CREDENTIALS} bytes together"
        ));
    }
    let mut credentials = Vec::with_capacity(username.len() + 1 + password.len());
    credentials.extend_from_slice(username);
    credentials.push(b':');
    credentials.extend_from_slice(password);
    let encoded = BASE64_STANDARD.encode(&credentials);
    let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_base64() {
        assert_eq!(
            basic_auth(b"Aladdin", b"open sesame")
                .unwrap()
                .to_str()
                .unwrap(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert!(basic_auth(b"u", b"p").unwrap().is_sensitive());
        assert!(basic_auth(b"u", &[b'p'; MAX_CREDENTIALS]).is_err());
    }

    #[test]
    fn headers_are_name_colon_value() {
        let parsed =
            parse_headers(&["X-A: 1".into(), "x-b:two words ".into(), "Host: h".into()]).unwrap();
        let shown: Vec<String> = parsed
            .iter()
            .map(|(n, v)| format!("{n}={}", v.to_str().unwrap()))
            .collect();
        assert_eq!(shown, ["x-a=1", "x-b=two words", "host=h"]);
        let removed = parse_headers(&["User-Agent:".into(), "Accept:  ".into()]).unwrap();
        assert!(removed.iter().all(|(_, v)| v.is_empty()));
        for (line, why) in [
            ("X: a\r\nY: b", "--header 'X: a Y: b' holds a CR or LF"),
            ("X: a\nb", "--header 'X: a b' holds a CR or LF"),
            ("NoColon", "--header 'NoColon' is not 'Name: value'"),
            (
                ": v",
                "--header ': v' does not start with a valid header name",
            ),
            (
                "A B: v",
                "--header 'A B: v' does not start with a valid header name",
            ),
            ("X: a\x01", "--header 'X: a' holds control characters"),
            (
                "Authorization: Bearer é",
                "--header 'Authorization: ***' holds characters other than visible ASCII",
            ),
            (
                "proxy-authorization: Basic \u{a0}",
                "--header 'proxy-authorization: ***' holds characters other than visible ASCII",
            ),
            (
                "Host: hé",
                "--header 'Host: hé' holds characters other than visible ASCII",
            ),
            (
                "Host:",
                "--header 'Host:' cannot remove Host: HTTP/1.1 requires it",
            ),
            (
                "Content-Length: 0",
                "--header 'Content-Length: 0' cannot be set: the request has no body",
            ),
        ] {
            assert_eq!(
                parse_headers(&[line.into()]).unwrap_err().0,
                why,
                "{line:?}"
            );
        }
        assert_eq!(
            parse_headers(&["Host: a".into(), "host: b".into()])
                .unwrap_err()
                .0,
            "--header 'host: b' is a second Host header"
        );
        let long = format!("X: {}", "v".repeat(MAX_HEADER_LINE));
        assert!(parse_headers(&[long]).is_err());
        let many = vec![format!("X: {}", "v".repeat(3000)); 3];
        assert_eq!(
            parse_headers(&many).unwrap_err().0,
            "--header lines hold more than 8192 bytes in all"
        );
    }

    proptest::proptest! {
        #[test]
        fn header_lines_never_split_the_request(lines in proptest::collection::vec(".{0,40}|[A-Za-z-]{1,8}: [ -~\t\r\n]{0,20}", 0..6)) {
            if let Ok(headers) = parse_headers(&lines) {
                let total: usize = lines.iter().map(String::len).sum();
                proptest::prop_assert!(total <= MAX_HEADER_BYTES);
                for (_, value) in headers {
                    proptest::prop_assert!(!value.as_bytes().iter().any(|&b| b == b'\r' || b == b'\n'));
                }
            }
        }

        #[test]
        fn credentials_without_control_characters_encode(user in "[ -9;-~]{1,20}", password in "[ -~]{0,20}") {
            proptest::prop_assert!(check_credential("u", user.as_bytes()).is_ok());
            let value = basic_auth(user.as_bytes(), password.as_bytes()).expect("short credentials");
            proptest::prop_assert!(value.to_str().expect("ASCII").starts_with("Basic "));
        }
    }

    #[test]
    fn control_characters_are_refused_in_credentials() {
        for bad in [&b"a\tb"[..], b"\x00", b"x\x7f", b"\r\n"] {
            assert_eq!(
                check_credential("--password", bad).unwrap_err(),
                "--password holds a control character, which HTTP Basic authentication cannot carry"
            );
        }
        assert!(check_credential("--password", "pässwörd".as_bytes()).is_ok());
    }

    #[test]
    fn methods() {
        assert_eq!(parse_method("get"), Ok(Method::Get));
        assert_eq!(parse_method("HEAD"), Ok(Method::Head));
        assert_eq!(
            parse_method("POST").unwrap_err(),
            "expected GET or HEAD, got 'POST'"
        );
    }
}
