//! Running binaries built for another architecture: `make test` runs the
//! black-box suite against the aarch64 release through `qemu-aarch64`.
//!
//! `PROMISE_RUNNER` (such as `qemu-aarch64`, split on white space) is put
//! before every program the tests start whose ELF machine is not this host's.
//! A wrapper (`#!/path/check-… --baked`) whose interpreter is such a binary
//! cannot be started by the kernel without binfmt_misc, so it is started as
//! the kernel would start it, through the runner: `RUNNER INTERPRETER
//! [ARGUMENT] WRAPPER ARGS`. Native programs (env, the host's own tools) run
//! as they are.
//!
//! What user-mode emulation cannot show is skipped with a SKIP line, see
//! [`emulated`]: the runner is the process the kernel sees, so ptrace (peak
//! memory), strace (system calls) and `/proc/PID` (threads, `exe`) describe
//! qemu, not the binary.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The runner's words, from `PROMISE_RUNNER`; empty when unset.
fn runner() -> Vec<OsString> {
    std::env::var("PROMISE_RUNNER")
        .unwrap_or_default()
        .split_whitespace()
        .map(OsString::from)
        .collect()
}

/// The ELF machine this test binary was built for (and so the host's).
const HOST_MACHINE: u16 = if cfg!(target_arch = "x86_64") {
    62
} else if cfg!(target_arch = "aarch64") {
    183
} else {
    0
};

/// The first bytes of `path`: enough for an ELF header's machine or a `#!` line.
fn head(path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(4096).read_to_end(&mut bytes);
    }
    bytes
}

/// Whether `path` is an ELF file for another machine than this host.
fn foreign_elf(path: &Path) -> bool {
    let bytes = head(path);
    bytes.len() > 0x14
        && bytes.starts_with(b"\x7fELF")
        && u16::from_le_bytes([bytes[0x12], bytes[0x13]]) != HOST_MACHINE
}

/// A wrapper's interpreter and its one optional argument, as Linux reads `#!`.
fn shebang(path: &Path) -> Option<(PathBuf, Option<OsString>)> {
    use std::os::unix::ffi::OsStringExt;
    let bytes = head(path);
    let line = bytes.strip_prefix(b"#!")?;
    let line = &line[..line.iter().position(|&b| b == b'\n')?];
    let line = line.trim_ascii();
    let (interpreter, argument) = match line.iter().position(|b| matches!(b, b' ' | b'\t')) {
        Some(at) => (&line[..at], Some(line[at..].trim_ascii())),
        None => (line, None),
    };
    Some((
        PathBuf::from(OsString::from_vec(interpreter.to_vec())),
        argument
            .filter(|a| !a.is_empty())
            .map(|a| OsString::from_vec(a.to_vec())),
    ))
}

/// What to run in place of `program`: the program itself natively, or the
/// runner's words, then the program (or a wrapper's interpreter, its argument
/// and the wrapper) when the program needs the runner.
pub fn argv(program: &Path) -> Vec<OsString> {
    let runner = runner();
    if !runner.is_empty() {
        if foreign_elf(program) {
            return runner.into_iter().chain([program.into()]).collect();
        }
        if let Some((interpreter, argument)) = shebang(program)
            && foreign_elf(&interpreter)
        {
            return runner
                .into_iter()
                .chain([interpreter.into()])
                .chain(argument)
                .chain([program.into()])
                .collect();
        }
    }
    vec![program.into()]
}

/// The words [`argv`] puts before a binary `program` (none natively), for
/// command lines a shell runs, such as Nagios' `$USER1$/check-…`.
pub fn shell_prefix(program: &Path) -> String {
    let argv = argv(program);
    let words: Vec<_> = argv[..argv.len() - 1]
        .iter()
        .map(|w| w.to_string_lossy())
        .collect();
    words.iter().map(|w| format!("{w} ")).collect()
}

/// A [`Command`] that runs `program` as [`argv`] says.
pub fn command(program: &Path) -> Command {
    let mut argv = argv(program).into_iter();
    let mut command = Command::new(argv.next().expect("a program"));
    command.args(argv);
    command
}

/// Whether `program` runs under the runner; if so, says (see [`super::skip`])
/// that `what` is skipped, since the kernel sees the emulator, not the program.
pub fn emulated(program: &Path, what: &str) -> bool {
    let emulated = argv(program).len() > 1;
    if emulated {
        super::skip(format_args!(
            "{} runs under {:?}: {what} cannot be observed through user-mode emulation",
            program.display(),
            runner()
        ));
    }
    emulated
}
