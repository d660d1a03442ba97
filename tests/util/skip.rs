//! Cases that cannot run here (no ::1, no tmpfs mount, no ptrace, emulation)
//! pass without running, and cargo hides the stderr of passing tests: each
//! says so through [`skip`], which also appends its line to the file
//! `PROMISE_SKIP_LOG` names. `make test` empties that file first and prints
//! it, with the count, at the end. Skips stay non-fatal: the aarch64 pass
//! skips what user-mode emulation cannot show by design.

use std::fmt::Display;
use std::io::Write;

/// Says on stderr that `what` is not run here, and logs it (see the module).
pub fn skip(what: impl Display) {
    eprintln!("SKIP: {what}");
    let Some(log) = std::env::var_os("PROMISE_SKIP_LOG").map(std::path::PathBuf::from) else {
        return;
    };
    // The test's name is its thread's (libtest names them), the pass is the build tested.
    let thread = std::thread::current();
    let test = thread.name().filter(|n| *n != "main").unwrap_or("?");
    let pass = std::env::var("PROMISE_BIN_DIR").map_or_else(
        |_| "debug".to_owned(),
        |dir| {
            let root = concat!(env!("CARGO_MANIFEST_DIR"), "/");
            dir.strip_prefix(root).unwrap_or(&dir).to_owned()
        },
    );
    // One write of one line to a file opened for appending: concurrent tests do not interleave.
    let line = format!("[{pass}] {test}: {what}\n");
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(e) = written {
        eprintln!("cannot append to PROMISE_SKIP_LOG {}: {e}", log.display());
    }
}
