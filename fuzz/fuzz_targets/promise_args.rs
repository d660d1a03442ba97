//! Every binary's command line, end to end through argh and `plan()`: any
//! argv either parses or is one usage line, never a panic. The first byte picks
//! the binary (every promise of recipe-generator's registry, then
//! recipe-generator itself); NUL bytes separate the arguments (argv cannot
//! hold NUL).
#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use libfuzzer_sys::fuzz_target;
use recipe_generator::cli::{Cli, Command};
use recipe_generator::registry::{PROMISES, Promise as Known};
use shared::args::{Exit, parse};

/// A promise's command line, as its binary parses and plans it.
fn check(promise: &Known, argv: Vec<OsString>) {
    if let Err(usage) = promise.validate(&argv) {
        assert!(!usage.0.is_empty() && !usage.0.contains('\n'));
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
    match PROMISES.get(usize::from(which) % (PROMISES.len() + 1)) {
        Some(promise) => check(promise, argv),
        None => generator(argv),
    }
});
