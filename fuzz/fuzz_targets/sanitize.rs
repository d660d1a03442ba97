//! Whatever a peer sends becomes one clean, bounded piece of a line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&max, bytes)) = data.split_first() else { return };
    let max = usize::from(max) + 1;
    let clean = shared::report::sanitize_bytes(bytes, max);
    assert!(clean.chars().count() <= max);
    assert!(!clean.chars().any(char::is_control));
    assert!(!clean.starts_with(' ') && !clean.ends_with(' '));
});
