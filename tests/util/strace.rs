//! The system calls a run makes, as strace logs them.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `program ARGS` from `cwd` under `strace -f` and returns its log of the
/// system calls in `filter` (such as `execve` or `clone,fork`), one a line.
/// `None` (said on stderr) where strace is not installed (`make test`
/// installs it).
pub fn syscalls(program: &Path, args: &[&OsStr], filter: &str, cwd: &Path) -> Option<String> {
    if super::runner::emulated(program, "its system calls") {
        return None;
    }
    let log = cwd.join("strace.log");
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e"])
        .arg(format!("trace={filter}"))
        .arg("-o")
        .arg(&log)
        .arg(program)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match status {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            super::skip("strace is not installed; system calls not traced (make test installs it)");
            None
        }
        Err(e) => panic!("strace: {e}"),
        Ok(_) => Some(std::fs::read_to_string(&log).expect("strace log")),
    }
}
