//! The deadline's teeth: a SIGALRM timer whose handler prints the prepared
//! timeout line and exits.
//!
//! A watchdog thread did the same job, but a thread costs every run a clone, a
//! stack mapping and its bookkeeping, and costs every static binary about
//! 25 KiB of std's thread machinery. One `setitimer` call costs neither. The
//! handler only does async-signal-safe things: atomic loads and swaps, `write`
//! and `_exit`. The line it prints is built ahead of time, outside the handler,
//! whenever the check says what it is doing.
//!
//! This is the one place with `unsafe` code in what we ship (the tests have
//! theirs in `tests/util/`: ptrace in memory.rs, atexit in mod.rs).
#![allow(unsafe_code)]

use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::time::Duration;

use crate::report;
use crate::status::Status;

/// The complete timeout line (`CRITICAL: ...\n`), leaked so the handler can
/// read it at any moment; replaced lines are leaked too (a handful per run).
static LINE: AtomicPtr<Vec<u8>> = AtomicPtr::new(ptr::null_mut());

/// Prepares the line the handler prints if the deadline passes now.
pub fn prepare(message: &str) {
    let line = report::format_line(Status::Critical, message).into_bytes();
    LINE.store(Box::into_raw(Box::new(line)), Ordering::Release);
}

/// Arms the timer: when `timeout` has passed, the prepared line is printed on
/// stdout (as every line is, see [`report`]) and the process exits 2 (unless
/// the check's own line is already out). SIGALRM is unblocked too: a parent
/// that blocked it would otherwise leave the check without a deadline (the
/// signal mask is inherited across exec).
pub fn arm(timeout: Duration) {
    let interval = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    // The field types differ between libc targets; durations are capped far
    // below every limit (args::MAX_SECONDS), so the conversions cannot fail.
    let value = libc::timeval {
        tv_sec: timeout.as_secs().try_into().unwrap_or(1_000_000_000),
        // Never zero, which would disarm the timer.
        tv_usec: timeout.subsec_micros().max(1).into(),
    };
    let timer = libc::itimerval {
        it_interval: interval,
        it_value: value,
    };
    // SAFETY: `on_alarm` is an `extern "C" fn(c_int)` that only calls
    // async-signal-safe functions; the structures are fully initialised and
    // outlive the calls, which copy them.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_alarm as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&raw mut action.sa_mask);
        libc::sigaction(libc::SIGALRM, &raw const action, ptr::null_mut());
        let mut alarm_only: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut alarm_only);
        libc::sigaddset(&raw mut alarm_only, libc::SIGALRM);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &raw const alarm_only, ptr::null_mut());
        libc::setitimer(libc::ITIMER_REAL, &raw const timer, ptr::null_mut());
    }
}

/// Gives SIGTERM, SIGINT and SIGHUP back their default action (end the
/// process) and unblocks them. A parent can ignore or block them, and both are
/// inherited across exec: a check started that way would outlive slapgrid's or
/// a supervisor's SIGTERM until its deadline. Called first thing by
/// [`crate::main`], so every binary ends at once on these signals.
pub fn default_termination() {
    const ENDING: [libc::c_int; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP];
    // SAFETY: plain system calls on fully initialised structures that outlive
    // the calls; SIG_DFL is a valid disposition for each of these signals.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        for signal in ENDING {
            libc::signal(signal, libc::SIG_DFL);
            libc::sigaddset(&raw mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &raw const set, ptr::null_mut());
    }
}

/// Stops the timer (what was prepared stays, for the next [`arm`]).
pub fn disarm() {
    let zero = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let timer = libc::itimerval {
        it_interval: zero,
        it_value: zero,
    };
    // SAFETY: the structure is fully initialised and outlives the call.
    unsafe {
        libc::setitimer(libc::ITIMER_REAL, &raw const timer, ptr::null_mut());
    }
}

extern "C" fn on_alarm(_signal: libc::c_int) {
    if !report::claim_line() {
        // The check's own line is being printed: let it finish and exit.
        return;
    }
    let line = LINE.load(Ordering::Acquire);
    // SAFETY: a non-null LINE points to a leaked, never-freed Vec; write(2) and
    // _exit(2) are async-signal-safe.
    unsafe {
        if let Some(line) = line.as_ref() {
            libc::write(libc::STDOUT_FILENO, line.as_ptr().cast(), line.len());
        }
        libc::_exit(Status::Critical as libc::c_int);
    }
}
