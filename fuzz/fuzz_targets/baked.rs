//! The wrapper format a binary reads with `--baked`: any bytes parse or name a
//! line of the body, and what parses renders back to the same arguments.
#![no_main]

use std::ffi::OsStr;

use libfuzzer_sys::fuzz_target;
use shared::baked::{parse_body, render};

fuzz_target!(|body: &[u8]| {
    match parse_body(body) {
        Ok(args) => {
            let again = render(OsStr::new("/b"), &["h"], &args).expect("parsed arguments render");
            assert_eq!(parse_body(&again).expect("rendered bodies parse"), args);
        }
        Err(malformed) => {
            assert!(malformed.line >= 1);
            assert!(malformed.line <= body.split(|&b| b == b'\n').count() + 1);
        }
    }
});
