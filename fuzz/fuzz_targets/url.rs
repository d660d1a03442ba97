//! `--url`, and the `Location` a server sends resolved against it: never
//! panic; what comes out is an http(s) URL with a host, within the size the
//! request line allows.
#![no_main]

use check_url_available::parsers::{MAX_URL, bare_host, host_port, parse_url, resolve, same_origin};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (url, location) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b""[..]),
    };
    let Ok(url) = std::str::from_utf8(url) else { return };
    let Ok(base) = parse_url(url) else { return };
    assert!(matches!(base.scheme_str(), Some("http" | "https")));
    assert!(!bare_host(&base).is_empty());
    let _ = host_port(&base);
    if let Ok(next) = resolve(&base, location) {
        assert!(matches!(next.scheme_str(), Some("http" | "https")));
        assert!(!bare_host(&next).is_empty());
        assert!(next.to_string().len() <= MAX_URL + 16, "{next}");
        let _ = same_origin(&base, &next);
        let _ = host_port(&next);
    }
});
