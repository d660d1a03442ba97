//! The DER walk that finds a server certificate's dates: any bytes a server
//! sends give dates or nothing, never a panic, and dates always format.
#![no_main]

use check_url_available::parsers::{format_utc, validity};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|der: &[u8]| {
    if let Some((not_before, not_after)) = validity(der) {
        let _ = format_utc(not_before);
        let _ = format_utc(not_after);
    }
});
