//! URLs: the one the user gives (validated without I/O) and the ones servers
//! send in `Location` (resolved against the URL that answered, RFC 3986 §5).

use ureq::http::Uri;
use ureq::http::uri::{Authority, Scheme};

use shared::Usage;

/// The longest URL we request, `--url` or a resolved `Location`: the request
/// line must fit the output buffer (longer ones are a bug or an attack).
pub const MAX_URL: usize = 8 * 1024;

/// Parses `--url`: http or https, a host, no credentials; a fragment is dropped
/// (it never reaches the server).
///
/// # Errors
/// A usage error naming what is wrong.
pub fn parse_url(text: &str) -> Result<Uri, Usage> {
    let shown = shared::secret::mask_userinfo(&shared::args::display_arg(text));
    let shown = shared::report::sanitize(&shown, 200);
    if text.trim().is_empty() {
        return Err(Usage::new("--url is empty"));
    }
    if text.len() > MAX_URL {
        return Err(Usage::new(format!("--url is longer than {MAX_URL} bytes")));
    }
    if !text.contains("://") {
        return Err(Usage::new(format!(
            "--url {shown} has no scheme (http:// or https://)"
        )));
    }
    let without_fragment = text.split('#').next().unwrap_or(text);
    let uri: Uri = without_fragment
        .parse()
        .map_err(|_| Usage::new(format!("--url {shown} is not a valid URL")))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(other) => {
            return Err(Usage::new(format!(
                "--url {shown}: unsupported scheme '{other}' (http or https)"
            )));
        }
        None => return Err(Usage::new(format!("--url {shown} is not a valid URL"))),
    }
    let authority = uri
        .authority()
        .filter(|a| !a.host().is_empty())
        .ok_or_else(|| Usage::new(format!("--url {shown} has no host")))?;
    if !usable_host(&uri) {
        return Err(Usage::new(format!(
            "--url {shown}: brackets only go around an IPv6 address"
        )));
    }
    if authority.as_str().contains('@') {
        return Err(Usage::new(format!(
            "--url {shown} holds credentials: use --username with --password or --password-file"
        )));
    }
    if authority.port_u16() == Some(0) {
        return Err(Usage::new(format!("--url {shown}: port 0 is not a port")));
    }
    check_port_or_credentials(text, authority.as_str())
        .map_err(|why| Usage::new(format!("--url {shown}: {why}")))?;
    if !authority.host().starts_with('[') {
        match shared::host::check(authority.host()) {
            Ok(()) => {}
            Err(shared::host::Refused::TooLong(length)) => {
                return Err(Usage::new(format!(
                    "--url {shown}: its host is {length} bytes long, longer than any host name can be ({})",
                    shared::host::MAX_NAME
                )));
            }
            Err(shared::host::Refused::Malformed) => {
                return Err(Usage::new(format!(
                    "--url {shown}: its host is not a host name or IP address"
                )));
            }
        }
    }
    Ok(uri)
}

/// Refuses a port that is not 1 to 65535 in plain digits: the URL parser takes
/// `:70000`, `:-1` or `:8080x` as no port at all (so the scheme's default, another
/// service) and `:+81` as 81. An empty port (`host:`) is the default, as RFC 3986
/// allows.
///
/// # Errors
/// Why, naming the port.
pub fn check_port(authority: &str) -> Result<(), String> {
    let host_end = authority.rfind(']').map_or(0, |i| i + 1);
    let Some((_, text)) = authority[host_end..].rsplit_once(':') else {
        return Ok(());
    };
    let valid = text.is_empty()
        || (text.bytes().all(|b| b.is_ascii_digit())
            && text
                .parse::<u32>()
                .is_ok_and(|port| (1..=65_535).contains(&port)));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "port '{}' is not a port number from 1 to 65535",
            shared::report::sanitize(text, 20)
        ))
    }
}

/// [`check_port`] for a URL the user gave as `text`: when an `@` follows the
/// scheme, what the parser took for a port may be part of a password that
/// holds `/`, `?` or `#` (`http://u:Zq9/x@h/`), so the reason names neither.
///
/// # Errors
/// Why, naming the port only when it cannot be a password.
pub fn check_port_or_credentials(text: &str, authority: &str) -> Result<(), String> {
    check_port(authority).map_err(|why| {
        if shared::secret::split_userinfo(text).1.is_some() {
            "its port is not a number, or it holds credentials with '/', '?' or '#' \
             (give them in --username and --password or --password-file)"
                .to_owned()
        } else {
            why
        }
    })
}

/// `host:port` of `uri`, with the scheme's default port filled in.
#[must_use]
pub fn host_port(uri: &Uri) -> String {
    let host = uri.host().unwrap_or_default();
    format!("{host}:{}", port(uri))
}

/// The port `uri` connects to.
#[must_use]
pub fn port(uri: &Uri) -> u16 {
    uri.port_u16()
        .unwrap_or(if uri.scheme() == Some(&Scheme::HTTPS) {
            443
        } else {
            80
        })
}

/// The host without IPv6 brackets, as resolvers and TLS want it.
#[must_use]
pub fn bare_host(uri: &Uri) -> &str {
    let host = uri.host().unwrap_or_default();
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Whether two URLs share scheme, host and port: credentials only go there.
#[must_use]
pub fn same_origin(a: &Uri, b: &Uri) -> bool {
    a.scheme() == b.scheme()
        && a.host().map(str::to_ascii_lowercase) == b.host().map(str::to_ascii_lowercase)
        && port(a) == port(b)
}

/// Where a redirect from `base` to `location` leads.
///
/// # Errors
/// Why the location cannot be followed, for the report line.
pub fn resolve(base: &Uri, location: &[u8]) -> Result<Uri, String> {
    if location.len() > MAX_URL {
        return Err(format!("a Location longer than {MAX_URL} bytes"));
    }
    let reference = encode(location);
    let reference = reference.split('#').next().unwrap_or_default();
    let joined = if has_scheme(reference) {
        reference.to_owned()
    } else {
        let scheme = base.scheme_str().unwrap_or("http");
        let authority = base.authority().map_or("", Authority::as_str);
        let base_path = base.path();
        if let Some(rest) = reference.strip_prefix("//") {
            format!("{scheme}://{rest}")
        } else if reference.starts_with('/') {
            format!("{scheme}://{authority}{}", normalise_path(reference))
        } else if reference.is_empty() || reference.starts_with('?') {
            let query = if reference.is_empty() {
                base.query().map(|q| format!("?{q}")).unwrap_or_default()
            } else {
                reference.to_owned()
            };
            format!("{scheme}://{authority}{base_path}{query}")
        } else {
            let directory = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
            let merged = if directory.is_empty() {
                format!("/{reference}")
            } else {
                format!("{directory}{reference}")
            };
            format!("{scheme}://{authority}{}", normalise_path(&merged))
        }
    };
    let (masked, credentials) = shared::secret::split_userinfo(&joined);
    let shown = shared::report::sanitize(&masked, 200);
    if joined.len() > MAX_URL {
        return Err(format!(
            "a Location longer than {MAX_URL} bytes once encoded '{shown}'"
        ));
    }
    let uri: Uri = joined
        .parse()
        .map_err(|_| format!("an invalid Location '{shown}'"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(format!("an unsupported Location '{shown}'")),
    }
    // Credentials are never followed (they would go where the user never
    // said), nor shown; a "port" that is not one when an `@` follows may be
    // a password holding `/`, `?` or `#`.
    let carries_credentials = format!("a Location that carries credentials '{shown}'");
    match uri.authority() {
        Some(a) if a.as_str().contains('@') => Err(carries_credentials),
        Some(a) if usable_host(&uri) => match check_port(a.as_str()) {
            Ok(()) => Ok(uri),
            Err(_) if credentials.is_some() => Err(carries_credentials),
            Err(why) => Err(format!("a Location whose {why} '{shown}'")),
        },
        _ => Err(format!("a Location without a usable host '{shown}'")),
    }
}

/// A host that is not empty, and an IPv6 address where it is in brackets
/// (`http://[]/` and `http://[1.2.3.4]/` parse as URIs).
fn usable_host(uri: &Uri) -> bool {
    let host = uri.host().unwrap_or_default();
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(inside) => inside.parse::<std::net::Ipv6Addr>().is_ok(),
        None => !host.is_empty() && !host.contains(['[', ']']),
    }
}

/// `scheme:` at the start (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )).
fn has_scheme(reference: &str) -> bool {
    let Some((scheme, _)) = reference.split_once(':') else {
        return false;
    };
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Percent-encodes what servers send but URLs cannot hold (spaces, non-ASCII).
fn encode(location: &[u8]) -> String {
    let mut out = String::with_capacity(location.len());
    for &byte in location {
        if byte.is_ascii_graphic()
            && !matches!(
                byte,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            )
        {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Removes `.` and `..` segments from the path part (the query is kept as is).
fn normalise_path(path_and_query: &str) -> String {
    let (path, query) = match path_and_query.find('?') {
        Some(i) => path_and_query.split_at(i),
        None => (path_and_query, ""),
    };
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = path.split('/').skip(1).collect();
    for (i, segment) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        match *segment {
            "." if last => segments.push(""),
            "." => {}
            ".." => {
                segments.pop();
                if last {
                    segments.push("");
                }
            }
            other => segments.push(other),
        }
    }
    format!("/{}{query}", segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(text: &str) -> Uri {
        text.parse().unwrap()
    }

    #[test]
    fn urls_need_http_a_host_and_no_credentials() {
        assert!(parse_url("http://127.0.0.1:8080/health").is_ok());
        assert!(parse_url("https://[::1]:8443/").is_ok());
        assert!(parse_url("http://example.com").is_ok());
        assert_eq!(
            parse_url("http://h/#frag").unwrap(),
            uri("http://h/"),
            "fragment dropped"
        );
        for (bad, message) in [
            ("", "--url is empty"),
            ("  ", "--url is empty"),
            (
                "ftp://h/",
                "--url ftp://h/: unsupported scheme 'ftp' (http or https)",
            ),
            ("h:80", "--url h:80 has no scheme (http:// or https://)"),
            (
                "example.com/x",
                "--url example.com/x has no scheme (http:// or https://)",
            ),
            ("http:///x", "--url http:///x is not a valid URL"),
            ("http://:80/", "--url http://:80/ has no host"),
            ("http://a b/", "--url http://a b/ is not a valid URL"),
            (
                "http://u:p@h/",
                "--url http://***@h/ holds credentials: use --username with --password or --password-file",
            ),
            ("http://h:0/", "--url http://h:0/: port 0 is not a port"),
            (
                "http://[]/",
                "--url http://[]/: brackets only go around an IPv6 address",
            ),
            (
                "https://[1.2.3.4]:8443/",
                "--url https://[1.2.3.4]:8443/: brackets only go around an IPv6 address",
            ),
        ] {
            assert_eq!(parse_url(bad).unwrap_err().0, message, "{bad:?}");
        }
    }

    #[test]
    fn ports_are_digits_from_1_to_65535() {
        for good in ["h", "h:1", "h:65535", "[::1]:8080", "[::1]", "h:", "h:0080"] {
            assert_eq!(check_port(good), Ok(()), "{good}");
        }
        for (bad, port) in [
            ("h:70000", "70000"),
            ("h:65536", "65536"),
            ("h:-1", "-1"),
            ("h:8080x", "8080x"),
            ("[::1]:70000", "70000"),
            ("h:+81", "+81"),
            ("h:99999999999", "99999999999"),
        ] {
            assert_eq!(
                check_port(bad).unwrap_err(),
                format!("port '{port}' is not a port number from 1 to 65535")
            );
        }
        assert_eq!(
            parse_url("http://127.0.0.1:70000/").unwrap_err().0,
            "--url http://127.0.0.1:70000/: port '70000' is not a port number from 1 to 65535"
        );
        assert_eq!(
            resolve(&uri("http://h/"), b"http://h:99999/").unwrap_err(),
            "a Location whose port '99999' is not a port number from 1 to 65535 'http://h:99999/'"
        );
    }

    #[test]
    fn hosts_and_ports() {
        assert_eq!(host_port(&uri("https://[::1]/")), "[::1]:443");
        assert_eq!(host_port(&uri("http://h:8080/")), "h:8080");
        assert_eq!(bare_host(&uri("http://[::1]:1/")), "::1");
        assert!(same_origin(&uri("http://H:80/a"), &uri("http://h/b")));
        assert!(!same_origin(&uri("http://h/"), &uri("https://h/")));
        assert!(!same_origin(&uri("http://h/"), &uri("http://h:81/")));
    }

    #[test]
    fn locations_resolve_like_rfc_3986() {
        let base = uri("http://h:8080/a/b/c?q=1");
        for (location, expected) in [
            ("https://x/y", "https://x/y"),
            ("//x:1/y", "http://x:1/y"),
            ("/p?z", "http://h:8080/p?z"),
            ("d", "http://h:8080/a/b/d"),
            ("../d", "http://h:8080/a/d"),
            ("../../../../d", "http://h:8080/d"),
            ("./", "http://h:8080/a/b/"),
            ("..", "http://h:8080/a/"),
            ("?y", "http://h:8080/a/b/c?y"),
            ("", "http://h:8080/a/b/c?q=1"),
            ("d#frag", "http://h:8080/a/b/d"),
            ("/a b/é", "http://h:8080/a%20b/%C3%A9"),
            ("/x/./y/../z", "http://h:8080/x/z"),
        ] {
            assert_eq!(
                resolve(&base, location.as_bytes()).unwrap().to_string(),
                expected,
                "{location:?}"
            );
        }
        let ipv6 = uri("https://[::1]:8443/x");
        assert_eq!(
            resolve(&ipv6, b"/y").unwrap().to_string(),
            "https://[::1]:8443/y"
        );
        assert_eq!(
            resolve(&uri("http://h"), b"x").unwrap().to_string(),
            "http://h/x"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_url_parses_or_is_refused(text in "(https?://)?[a-z0-9.:\\[\\]@/?#%-]{0,30}|.{0,30}") {
            if let Ok(url) = parse_url(&text) {
                proptest::prop_assert!(matches!(url.scheme_str(), Some("http" | "https")));
                proptest::prop_assert!(!bare_host(&url).is_empty());
                proptest::prop_assert!(url.authority().is_some_and(|a| !a.as_str().contains('@')));
            }
        }

        #[test]
        fn any_location_resolves_to_a_usable_url_or_is_refused(
            location in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
            relative in "[a-z./?#]{0,20}",
        ) {
            let base = uri("https://h:8443/a/b?q");
            for location in [location.as_slice(), relative.as_bytes()] {
                if let Ok(next) = resolve(&base, location) {
                    proptest::prop_assert!(matches!(next.scheme_str(), Some("http" | "https")));
                    proptest::prop_assert!(!bare_host(&next).is_empty());
                    proptest::prop_assert!(next.to_string().len() <= MAX_URL + 16);
                }
            }
            // A path without a scheme or a host stays with the base's origin.
            if !relative.starts_with("//") {
                if let Ok(next) = resolve(&base, relative.as_bytes()) {
                    proptest::prop_assert!(same_origin(&base, &next), "{} -> {}", relative, next);
                }
            }
        }
    }

    #[test]
    fn unusable_locations_are_explained() {
        let base = uri("http://h/");
        assert_eq!(
            resolve(&base, b"ftp://x/").unwrap_err(),
            "an unsupported Location 'ftp://x/'"
        );
        assert_eq!(
            resolve(&base, b"http://u:p@x/").unwrap_err(),
            "a Location that carries credentials 'http://***@x/'"
        );
        assert_eq!(
            resolve(&base, b"//u:Zq9/M@x/").unwrap_err(),
            "a Location that carries credentials 'http://***@x/'"
        );
        assert_eq!(
            resolve(&base, b"http://[::1/").unwrap_err(),
            "an invalid Location 'http://[::1/'"
        );
        assert_eq!(
            resolve(&base, b"http://[]/").unwrap_err(),
            "a Location without a usable host 'http://[]/'"
        );
        assert!(resolve(&base, &vec![b'a'; MAX_URL + 1]).is_err());
        let encoded = resolve(&base, &vec![0xE9; MAX_URL / 2]).unwrap_err();
        assert!(
            encoded.starts_with("a Location longer than 8192 bytes once encoded 'http://h/%E9%E9"),
            "{encoded}"
        );
        assert_eq!(
            parse_url(&format!("http://h/{}", "a".repeat(MAX_URL)))
                .unwrap_err()
                .0,
            "--url is longer than 8192 bytes"
        );
    }
}
