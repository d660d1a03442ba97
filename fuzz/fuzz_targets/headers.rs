//! `--header` lines and Basic credentials: never panic; what is accepted can
//! never split the request (no CR or LF) and fits the request buffer.
#![no_main]

use check_url_available::parsers::{MAX_HEADER_BYTES, basic_auth, check_credential, parse_headers};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    if let Ok(headers) = parse_headers(&lines) {
        let mut total = 0;
        for (name, value) in &headers {
            total += name.as_str().len() + value.len();
            assert!(!value.as_bytes().iter().any(|&b| b == b'\r' || b == b'\n'));
        }
        assert!(total <= MAX_HEADER_BYTES);
    }
    let (user, password) = data.split_at(data.len() / 2);
    if check_credential("--username", user).is_ok() && check_credential("--password", password).is_ok() {
        if let Ok(value) = basic_auth(user, password) {
            assert!(value.to_str().is_ok_and(|v| v.starts_with("Basic ")));
        }
    }
});
