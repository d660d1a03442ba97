//! `--http-code` lists: never panic; what is accepted holds codes from 100 to
//! 599 only, and `--check-secure`'s 401 joins any list.
#![no_main]

use check_url_available::Codes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(codes) = Codes::parse(text) else { return };
    for code in (0..100).chain(600..1000) {
        assert!(!codes.contains(code), "{text:?} holds {code}");
    }
    assert!((100..600).any(|code| codes.contains(code)), "{text:?} holds nothing");
    let _ = codes.to_string();
    assert!(codes.with(401).contains(401));
});
