//! Every binary's command line, end to end through argh and `plan()`: any
//! argv either parses or is one usage line, never a panic. The first byte picks
//! the binary (the three promises and recipe-generator); NUL bytes separate the
//! arguments (argv cannot hold NUL).
#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use libfuzzer_sys::fuzz_target;
use recipe_generator::cli::{Cli, Command};
use recipe_generator::registry::Promise as Known;
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

/// recipe-generator's command line; a `write` has its baked arguments
/// validated as the promise would (no file is touched).
fn generator(argv: Vec<OsString>) {
    match parse::<Cli>("fuzz", "0", argv) {
        Ok(Cli { command: Command::Write(write), .. }) => {
            if let Ok(promise) = Known::find(&write.promise) {
                let args: Vec<OsString> = write.args.iter().map(|a| shared::args::os_arg(a)).collect();
                if let Err(usage) = promise.validate(&args) {
                    assert!(!usage.0.is_empty() && !usage.0.contains('\n'));
                }
            }
        }
        Ok(_) | Err(Exit::Info(_)) => {}
        Err(Exit::Usage(usage)) => assert!(!usage.0.contains('\n')),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let argv: Vec<OsString> = rest.split(|b| *b == 0).map(|a| OsString::from_vec(a.to_vec())).collect();
    match which % 4 {
        0 => check::<check_port_listening::Args>(argv),
        1 => check::<check_file_exists::Args>(argv),
        2 => check::<check_url_available::Args>(argv),
        _ => generator(argv),
    }
});
