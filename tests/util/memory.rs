//! The peak memory of a run, as the kernel counts it.
//!
//! `wait4`'s `ru_maxrss` cannot be used: the test harness spawns with
//! `vfork`, and the kernel folds the harness's own peak into the child's at
//! `exec`. So the binary runs under `ptrace` with `PTRACE_O_TRACEEXIT`: it
//! stops on its way out, before its memory is released, and its `VmHWM` (the
//! high-water mark of its resident set) is read then. Signals it receives
//! (the deadline's `SIGALRM`) are passed on untouched.
//!
//! `unsafe` code, as in shared/src/alarm.rs and tests/util/mod.rs (atexit):
//! `ptrace` and `waitpid` have no safe binding in std.
#![allow(unsafe_code)]

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::{Outcome, bin, describe_command, slapgrid_env};

/// A run and its peak resident memory.
#[derive(Debug)]
pub struct Measured {
    pub outcome: Outcome,
    /// `VmHWM` at exit, in KiB; `None` where ptrace is not allowed here.
    pub peak_kib: Option<u64>,
}

impl Measured {
    /// Asserts that the run's peak resident memory stayed within `limit_kib`
    /// (skipped where it could not be measured: [`run_measured`] said why).
    #[track_caller]
    pub fn peak_within(&self, limit_kib: u64) -> &Outcome {
        let Some(peak_kib) = self.peak_kib else {
            return &self.outcome;
        };
        assert!(
            peak_kib <= limit_kib,
            "peak resident memory {peak_kib} KiB, more than {limit_kib} KiB\n{}",
            self.outcome
        );
        &self.outcome
    }
}

/// Runs binary `name` with `args` as [`super::run`] does, and measures its
/// peak resident memory.
pub fn run_measured<I, S>(name: &str, args: I) -> Measured
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    if super::runner::emulated(&bin(name), "its peak memory") {
        return Measured {
            outcome: super::run(name, &args),
            peak_kib: None,
        };
    }
    let mut command = Command::new(bin(name));
    command
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    slapgrid_env(&mut command);
    // SAFETY: ptrace(PTRACE_TRACEME) is a plain system call, async-signal-safe
    // between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let traced = libc::ptrace(
                libc::PTRACE_TRACEME,
                0,
                std::ptr::null_mut::<libc::c_void>(),
                std::ptr::null_mut::<libc::c_void>(),
            );
            if traced == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = match command.spawn() {
        Ok(child) => child,
        // ptrace refused (a seccomp profile, a Yama policy): run unmeasured.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            super::skip(format_args!(
                "cannot trace {name} ({e}); its peak memory is not measured"
            ));
            return Measured {
                outcome: super::run(name, &args),
                peak_kib: None,
            };
        }
        Err(e) => panic!("cannot run {name}: {e}"),
    };
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    // The pipes are read on their own threads: a child that printed more than
    // a pipe holds would otherwise block while this thread waits for it.
    let stdout = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let stderr = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stderr.read_to_end(&mut out);
        out
    });
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    let (code, peak_kib) = trace_until_exit(pid);
    let elapsed = started.elapsed();
    // The child was reaped above; dropping `child` does not wait again.
    drop(child);
    let outcome = Outcome {
        command: describe_command(name, &args),
        code,
        stdout: String::from_utf8(stdout.join().expect("stdout reader")).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr.join().expect("stderr reader")).expect("stderr is UTF-8"),
        elapsed,
    };
    assert!(
        peak_kib.is_some(),
        "no exit stop, so no peak memory\n{outcome}"
    );
    Measured { outcome, peak_kib }
}

/// Follows the traced child `pid` to its end: its exit code (`None` when a
/// signal ended it) and its `VmHWM` read at the exit stop.
fn trace_until_exit(pid: libc::pid_t) -> (Option<i32>, Option<u64>) {
    let mut peak = None;
    let mut exec_seen = false;
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes the status into a valid i32.
        let waited = unsafe { libc::waitpid(pid, &raw mut status, 0) };
        if waited == -1 {
            let error = std::io::Error::last_os_error();
            assert_eq!(
                error.kind(),
                std::io::ErrorKind::Interrupted,
                "waitpid: {error}"
            );
            continue;
        }
        if libc::WIFEXITED(status) {
            return (Some(libc::WEXITSTATUS(status)), peak);
        }
        if libc::WIFSIGNALED(status) {
            return (None, peak);
        }
        if !libc::WIFSTOPPED(status) {
            continue;
        }
        let signal = libc::WSTOPSIG(status);
        let mut deliver = 0;
        if status >> 16 == libc::PTRACE_EVENT_EXIT {
            peak = high_water_mark(pid);
        } else if signal == libc::SIGTRAP && !exec_seen {
            // The stop after exec: from now on, stop again at exit.
            exec_seen = true;
            let options = libc::PTRACE_O_TRACEEXIT | libc::PTRACE_O_EXITKILL;
            // SAFETY: a plain system call on our stopped child.
            let set = unsafe {
                libc::ptrace(
                    libc::PTRACE_SETOPTIONS,
                    pid,
                    std::ptr::null_mut::<libc::c_void>(),
                    options as usize as *mut libc::c_void,
                )
            };
            assert_eq!(
                set,
                0,
                "PTRACE_SETOPTIONS: {}",
                std::io::Error::last_os_error()
            );
        } else {
            deliver = signal;
        }
        // SAFETY: a plain system call on our stopped child.
        unsafe {
            libc::ptrace(
                libc::PTRACE_CONT,
                pid,
                std::ptr::null_mut::<libc::c_void>(),
                deliver as usize as *mut libc::c_void,
            );
        }
    }
}

/// `VmHWM` of `pid`, in KiB.
fn high_water_mark(pid: libc::pid_t) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
