//! Every promise's command line, end to end through argh and `plan()`: any
//! argv either parses or is one usage line, never a panic. The first byte picks
//! the promise; NUL bytes separate the arguments (argv cannot hold NUL).
#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use libfuzzer_sys::fuzz_target;
use shared::Promise;
use shared::args::{Exit, parse};

fn check<P: Promise>(argv: Vec<OsString>) {
    match parse::<P>("fuzz", "0", argv) {
        Ok(promise) => {
            let _ = promise.common();
            if let Err(usage) = promise.plan() {
                assert!(!usage.0.is_empty());
            }
        }
        Err(Exit::Info(_)) => {}
        Err(Exit::Usage(usage)) => assert!(!usage.0.contains('\n')),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let argv: Vec<OsString> = rest.split(|b| *b == 0).map(|a| OsString::from_vec(a.to_vec())).collect();
    match which % 2 {
        0 => check::<check_port_listening::Args>(argv),
        _ => check::<check_file_exists::Args>(argv),
    }
});
