//! Running a promise binary and asserting on its one line.

pub mod dns;
pub mod generator;
pub mod http;
pub mod listen;
pub mod memory;
pub mod promises;
pub mod runner;
mod skip;
pub mod strace;
pub mod tls;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Once, OnceLock};
use std::time::{Duration, Instant};

pub use promises::{PROMISES, SHIPPED};
pub use skip::skip;

/// Path of binary `name`: from `PROMISE_BIN_DIR` when set, else the debug build
/// of this workspace (built once per test run).
pub fn bin(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("PROMISE_BIN_DIR") {
        return Path::new(&dir).join(name);
    }
    static BUILD: Once = Once::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    BUILD.call_once(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "--workspace", "--bins"])
            .current_dir(root)
            .status()
            .expect("cargo build runs");
        assert!(status.success(), "cargo build --workspace --bins failed");
    });
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    target.join("debug").join(name)
}

/// A fresh, empty folder for one test, under this run's folder, which is
/// removed when the run exits (set `NATIVE_PROMISES_KEEP_TEMP` to keep it).
pub fn temp_dir(test: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = run_dir().join(format!("{test}-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `native-promises-tests-PID` in the system's temporary folder.
static RUN_DIR: OnceLock<PathBuf> = OnceLock::new();

fn run_dir() -> &'static Path {
    RUN_DIR.get_or_init(|| {
        if std::env::var_os("NATIVE_PROMISES_KEEP_TEMP").is_none() {
            remove_at_exit();
        }
        std::env::temp_dir().join(format!("native-promises-tests-{}", std::process::id()))
    })
}

/// Removes the run's folder when the test binary exits: the harness has no
/// hook after the last test, but it returns from `main`, and the C runtime
/// then runs the `atexit` functions.
#[allow(unsafe_code)]
fn remove_at_exit() {
    extern "C" fn remove() {
        if let Some(dir) = RUN_DIR.get() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    // SAFETY: atexit only records the pointer to a plain `extern "C" fn`, which
    // neither unwinds (errors are ignored) nor touches anything freed at exit.
    let registered = unsafe { libc::atexit(remove) };
    assert_eq!(registered, 0, "atexit");
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Outcome {
    pub command: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Runs binary `name` with `args` as slapgrid does: stdin from /dev/null, proxy
/// variables cleared; the working folder is the test's own (see [`run_in`]).
pub fn run<I, S>(name: &str, args: I) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_in(name, args, None)
}

/// [`run`] from the folder `cwd`.
pub fn run_in<I, S>(name: &str, args: I, cwd: Option<&Path>) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_program(&bin(name), name, args, cwd)
}

/// [`run_in`] for any program, such as a wrapper; `name` shows it in messages.
pub fn run_program<I, S>(program: &Path, name: &str, args: I, cwd: Option<&Path>) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut command = runner::command(program);
    command.args(&args).stdin(Stdio::null());
    slapgrid_env(&mut command);
    if let Some(cwd) = cwd {
        command.current_dir(cwd);
    }
    let started = Instant::now();
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
    let elapsed = started.elapsed();
    Outcome {
        command: describe_command(name, &args),
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        elapsed,
    }
}

/// The environment slapgrid gives a promise: no proxy variables.
pub fn slapgrid_env(command: &mut Command) {
    for var in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        command.env_remove(var);
    }
}

/// `name "arg" "arg"` for messages; long arguments are shortened.
pub fn describe_command(name: &str, args: &[OsString]) -> String {
    let shown: Vec<String> = args
        .iter()
        .map(|a| {
            let text = format!("{a:?}");
            match text.char_indices().nth(200) {
                Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], a.len()),
                None => text,
            }
        })
        .collect();
    format!("{name} {}", shown.join(" "))
}

impl Outcome {
    /// Asserts the exit code, and that exactly one line went to stdout (whatever
    /// the code: monitors such as Nagios Core read only stdout) and nothing to
    /// stderr. Returns that line.
    #[track_caller]
    pub fn line(&self, code: i32) -> &str {
        let out = &self.stdout;
        let ok = self.code == Some(code)
            && self.stderr.is_empty()
            && out.ends_with('\n')
            && out.matches('\n').count() == 1
            && !out.chars().any(|c| c.is_control() && c != '\n');
        assert!(
            ok,
            "expected exit {code} and one clean line on stdout, nothing on stderr\n{self}"
        );
        out.trim_end_matches('\n')
    }

    /// Asserts exit `code` and one line equal to `expected`.
    #[track_caller]
    pub fn expect(&self, code: i32, expected: &str) {
        let line = self.line(code);
        assert_eq!(line, expected, "\n{self}");
    }

    /// Asserts exit `code` and one line that starts with `prefix` and contains
    /// every one of `parts`.
    #[track_caller]
    pub fn expect_parts(&self, code: i32, prefix: &str, parts: &[&str]) {
        let line = self.line(code);
        assert!(
            line.starts_with(prefix),
            "line does not start with {prefix:?}\n{self}"
        );
        for part in parts {
            assert!(line.contains(part), "line lacks {part:?}\n{self}");
        }
    }

    /// Asserts exit `code` with nothing printed at all (`--quiet` success).
    #[track_caller]
    pub fn expect_silent(&self, code: i32) {
        assert!(
            self.code == Some(code) && self.stdout.is_empty() && self.stderr.is_empty(),
            "expected silent exit {code}\n{self}"
        );
    }

    /// Asserts the run ended on its deadline `timeout`: not before it (less a
    /// tenth, the timer's and the clock's granularity) and at most a second
    /// after it (starting, printing and exiting on a loaded machine).
    #[track_caller]
    pub fn ended_on_deadline(&self, timeout: Duration) -> &Self {
        self.within(timeout + Duration::from_secs(1));
        assert!(
            self.elapsed >= timeout - timeout / 10,
            "ended before its deadline of {timeout:?}\n{self}"
        );
        self
    }

    /// Asserts the run ended within `limit`.
    #[track_caller]
    pub fn within(&self, limit: Duration) -> &Self {
        assert!(
            self.elapsed <= limit,
            "took {:?}, more than {limit:?}\n{self}",
            self.elapsed
        );
        self
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "command: {}\nexit: {:?}\nelapsed: {:?}\nstdout: {:?}\nstderr: {:?}",
            self.command, self.code, self.elapsed, self.stdout, self.stderr
        )
    }
}
