//! `--timeout` and `--max-age` values: never panic; what is accepted shows back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(duration) = shared::args::parse_seconds(text) {
        assert!(!duration.is_zero());
        assert!(duration.as_secs() <= shared::args::MAX_SECONDS);
        let _ = shared::format::format_seconds(duration);
        let _ = shared::format::format_millis(duration);
    }
});
