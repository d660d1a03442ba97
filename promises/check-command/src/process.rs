//! The system calls std does not offer, for the command and what it starts.
//!
//! A command must never outlive us, however we end, nor anything it starts:
//! its children in its process group, and those that leave the group
//! (`setsid`, a daemon's double fork). So the command is not our child but a
//! *guard*'s: a forked copy of us, made a child subreaper, which spawns the
//! command in a process group of its own. Whatever the command starts and
//! orphans is re-parented to the guard, whatever session or group it moved to.
//! The guard takes orders on a pipe only we write to (SIGTERM now; the end
//! is the pipe's end) and reports on another (the command's pid and exit
//! status). At the end, or when we die however (the kernel closes our end of
//! the pipe: slapgrid's SIGTERM, a SIGKILL, our own timer), it kills the
//! group and every process re-parented to it, reaps them all, and exits.
//! The command also gets the parent-death signal, so it dies with the guard
//! even if someone killed the guard.
//!
//! Out of reach: what a descendant hands to a process that is not its
//! descendant (a system service, `systemd-run`, `at`), what runs under a
//! subreaper of its own below us, and, if the guard itself is SIGKILLed (say a
//! kill of our whole process group), what had left the command's group.
//!
//! std has no fork without exec, subreaper, parent-death signal, `poll`,
//! `waitpid` of any child or signal handler, hence this module: the one place
//! of the crate with `unsafe` code (the workspace denies it elsewhere). The
//! guard is forked from a single-threaded process, so it may run std code.
#![allow(unsafe_code)]

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

/// A report of the guard: the tag byte, then an `i32` in native order.
const REPORT: usize = 5;
/// Report: the command started, with this pid.
const STARTED: u8 = b'P';
/// Report: the command could not start, with this errno.
const FAILED: u8 = b'E';
/// Report: the command ended, with this wait status.
const ENDED: u8 = b'S';
/// Order: SIGTERM to the command's group and to every orphan of ours.
const TERMINATE: u8 = b'T';

/// The guard that runs the command, seen from us.
#[derive(Debug)]
pub struct Guard {
    pid: libc::pid_t,
    /// Our end of the order pipe: closing it (our death, or [`Guard::finish`])
    /// makes the guard kill everything and exit.
    orders: Option<File>,
    /// The guard's reports, read by [`Guard::status`] and [`Guard::finish`].
    reports: File,
    /// The command's exit status, once reported.
    status: Option<ExitStatus>,
}

impl Guard {
    /// Forks the guard, which spawns `command` with stdout and stderr on
    /// `output`; returns once the command runs.
    ///
    /// # Errors
    /// When a pipe or the fork fails, or the command cannot start (its error).
    pub fn spawn(command: Command, output: OwnedFd) -> io::Result<Guard> {
        let (order_read, order_write) = pipe()?;
        let (report_read, report_write) = pipe()?;
        // SAFETY: this process has a single thread (the deadline is a signal
        // timer, not a thread), so the child may run anything; it never
        // returns.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(io::Error::last_os_error());
        }
        if pid == 0 {
            drop((order_write, report_read));
            guard(command, output, &order_read, File::from(report_write));
        }
        drop((command, output, order_read, report_write));
        let mut guard = Guard {
            pid,
            orders: Some(File::from(order_write)),
            reports: File::from(report_read),
            status: None,
        };
        match guard.report()? {
            Some((STARTED, _)) => Ok(guard),
            Some((FAILED, errno)) => {
                let _ = guard.finish();
                Err(io::Error::from_raw_os_error(errno))
            }
            _ => {
                let _ = guard.finish();
                Err(io::Error::other("the guard process ended"))
            }
        }
    }

    /// The pipe whose readability means a report (the command's end).
    pub fn reports(&self) -> BorrowedFd<'_> {
        self.reports.as_fd()
    }

    /// Reads the report made readable by `poll`: the command's status once it
    /// ended.
    ///
    /// # Errors
    /// When the guard ended without a report (killed), or the read fails.
    pub fn status(&mut self) -> io::Result<Option<ExitStatus>> {
        match self.report()? {
            Some((ENDED, status)) => self.status = Some(ExitStatus::from_raw(status)),
            Some(_) => {}
            None => return Err(io::Error::other("the guard process ended")),
        }
        Ok(self.status)
    }

    /// Has the guard send SIGTERM to the command's group and to every process
    /// re-parented to it.
    pub fn terminate(&mut self) {
        if let Some(orders) = &mut self.orders {
            let _ = orders.write_all(&[TERMINATE]);
        }
    }

    /// Has the guard kill what is left (the command too, if it still runs),
    /// waits until it has reaped it all, and returns the command's status.
    ///
    /// # Errors
    /// When the guard ended without reporting the command's status.
    pub fn finish(&mut self) -> io::Result<ExitStatus> {
        self.orders = None;
        while let Some((tag, status)) = self.report()? {
            if tag == ENDED {
                self.status = Some(ExitStatus::from_raw(status));
            }
        }
        let mut ignored = 0;
        // SAFETY: a plain system call on our own child.
        while unsafe { libc::waitpid(self.pid, &raw mut ignored, 0) } < 0
            && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
        {}
        self.status
            .ok_or_else(|| io::Error::other("the guard process ended"))
    }

    /// One report, `None` at the pipe's end.
    fn report(&mut self) -> io::Result<Option<(u8, i32)>> {
        let mut bytes = [0_u8; REPORT];
        let mut read = 0;
        while read < REPORT {
            match self.reports.read(&mut bytes[read..]) {
                Ok(0) => return Ok(None),
                Ok(n) => read += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let value = i32::from_ne_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
        Ok(Some((bytes[0], value)))
    }
}

/// The guard's whole life, in the forked child: become a subreaper, spawn the
/// command, report, follow orders until our end, then kill and reap
/// everything and exit.
fn guard(mut command: Command, output: OwnedFd, orders: &OwnedFd, reports: File) -> ! {
    // SAFETY: plain system calls on plain values. All signals but SIGCHLD
    // are blocked: a kill of our group must leave the guard to clean up
    // (the command gets an empty mask again, see `confine`).
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&raw mut all);
        libc::sigdelset(&raw mut all, libc::SIGCHLD);
        libc::sigprocmask(libc::SIG_SETMASK, &raw const all, std::ptr::null_mut());
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1);
    }
    // slapgrid waits for every holder of its pipe: let go of our streams.
    // SAFETY: closing descriptors nothing in the guard uses.
    unsafe {
        libc::close(libc::STDOUT_FILENO);
        libc::close(libc::STDERR_FILENO);
    }
    let send = |tag: u8, value: i32| {
        let mut bytes = [tag, 0, 0, 0, 0];
        bytes[1..].copy_from_slice(&value.to_ne_bytes());
        let _ = (&reports).write_all(&bytes);
    };
    let Ok(wake) = watch_children().map(File::from) else {
        send(FAILED, libc::EAGAIN);
        exit(0);
    };
    let started = output
        .try_clone()
        .and_then(|copy| {
            command
                .stdout(Stdio::from(copy))
                .stderr(Stdio::from(output))
                .process_group(0);
            confine(&mut command);
            command.spawn()
        })
        .map(|child| libc::pid_t::try_from(child.id()).unwrap_or(libc::pid_t::MAX));
    drop(command);
    let pid = match started {
        Ok(pid) => pid,
        Err(e) => {
            send(FAILED, e.raw_os_error().unwrap_or(libc::EIO));
            exit(0);
        }
    };
    send(STARTED, pid);
    // Reaps one child (any: orphans are ours too), reporting the command's
    // status; false when there is none to reap (now, with WNOHANG).
    let reap = |flags: libc::c_int| -> bool {
        let mut status = 0;
        // SAFETY: a plain system call.
        let reaped = unsafe { libc::waitpid(-1, &raw mut status, flags) };
        if reaped == pid {
            send(ENDED, status);
        }
        reaped > 0
            || (reaped < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted)
    };
    loop {
        let [order, woken] =
            wait_readable([Some(orders.as_fd()), Some(wake.as_fd())], Duration::MAX)
                .unwrap_or([true, false]);
        if woken {
            drain(&wake);
            while reap(libc::WNOHANG) {}
        }
        if order {
            let mut byte = [0_u8];
            // SAFETY: a one-byte read into a local buffer.
            let read = unsafe { libc::read(orders.as_raw_fd(), byte.as_mut_ptr().cast(), 1) };
            if read == 1 && byte[0] == TERMINATE {
                signal_all(pid, libc::SIGTERM);
            } else if read <= 0
                && !(read < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted)
            {
                break;
            }
        }
    }
    // Kill what is left; orphans of what dies are re-parented to us in
    // turn, and killed at the next round; until no child is left.
    loop {
        signal_all(pid, libc::SIGKILL);
        if !reap(0) {
            break;
        }
    }
    exit(0)
}

/// Sends `signal` to the command's group (`group`, the command's pid) and to
/// every other child of ours (orphans re-parented to us).
fn signal_all(group: libc::pid_t, signal: libc::c_int) {
    // SAFETY: plain system calls; processes already gone are fine.
    unsafe { libc::kill(-group, signal) };
    // A single thread: our children are those of our one task.
    let children =
        std::fs::read_to_string(format!("/proc/self/task/{0}/children", std::process::id()))
            .unwrap_or_default();
    for child in children
        .split_whitespace()
        .filter_map(|c| c.parse::<libc::pid_t>().ok())
    {
        if child != group {
            // SAFETY: as above; a child of ours cannot be recycled before we reap it.
            unsafe { libc::kill(child, signal) };
        }
    }
}

fn exit(code: libc::c_int) -> ! {
    // SAFETY: leaves without running anything of the parent's.
    unsafe { libc::_exit(code) }
}

/// Makes `command` die with the guard, its parent (SIGKILL when it exits,
/// however), and start with no signal blocked, as from us.
fn confine(command: &mut Command) {
    let parent = std::process::id();
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe system calls.
    unsafe {
        command.pre_exec(move || {
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&raw mut none);
            libc::sigprocmask(libc::SIG_SETMASK, &raw const none, std::ptr::null_mut());
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The guard died before the prctl: the signal will never come.
            if u32::try_from(libc::getppid()).ok() != Some(parent) {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// Empties the SIGCHLD pipe (non-blocking).
fn drain(mut wake: &File) {
    let mut bytes = [0_u8; 64];
    while matches!(wake.read(&mut bytes), Ok(n) if n > 0) {}
}

/// A pipe with both ends closed on exec.
///
/// # Errors
/// When the process is out of file descriptors.
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both are open descriptors we now own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// The write end of the SIGCHLD pipe, for the handler; -1 before [`watch_children`].
static WAKE: AtomicI32 = AtomicI32::new(-1);

/// Installs a SIGCHLD handler that writes a byte to a pipe, and returns the
/// read end: `poll` then waits for output and for the command's exit at once.
///
/// # Errors
/// When the pipe cannot be made.
fn watch_children() -> io::Result<OwnedFd> {
    let (read, write) = pipe()?;
    set_nonblocking(&read)?;
    set_nonblocking(&write)?;
    WAKE.store(write.into_raw_fd(), Ordering::Release);
    // SAFETY: `on_child` is an `extern "C" fn(c_int)` that only makes
    // async-signal-safe calls; the structure is fully initialised.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_child as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART | libc::SA_NOCLDSTOP;
        libc::sigemptyset(&raw mut action.sa_mask);
        if libc::sigaction(libc::SIGCHLD, &raw const action, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(read)
}

extern "C" fn on_child(_signal: libc::c_int) {
    let fd = WAKE.load(Ordering::Acquire);
    // SAFETY: write(2) on a non-blocking pipe is async-signal-safe; errno is
    // saved and restored so the interrupted code never sees ours.
    unsafe {
        let errno = libc::__errno_location();
        let saved = *errno;
        if fd >= 0 {
            libc::write(fd, [1_u8].as_ptr().cast(), 1);
        }
        *errno = saved;
    }
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Waits until one of `fds` is readable (or closed), at most `timeout`; says
/// which. A signal ends the wait early with none ready.
///
/// # Errors
/// When `poll` fails for another reason than a signal.
pub fn wait_readable<const N: usize>(
    fds: [Option<BorrowedFd<'_>>; N],
    timeout: Duration,
) -> io::Result<[bool; N]> {
    let mut polled = fds.map(|fd| libc::pollfd {
        // A negative descriptor is skipped by poll.
        fd: fd.map_or(-1, |fd| fd.as_raw_fd()),
        events: libc::POLLIN,
        revents: 0,
    });
    // Rounded up: a wait cut to 0 ms would spin until the deadline.
    let millis = timeout.as_micros().div_ceil(1000);
    let millis = libc::c_int::try_from(millis).unwrap_or(libc::c_int::MAX);
    // SAFETY: `polled` is an array of N initialised pollfd.
    let ready = unsafe { libc::poll(polled.as_mut_ptr(), N as libc::nfds_t, millis) };
    if ready < 0 {
        let error = io::Error::last_os_error();
        if error.kind() == io::ErrorKind::Interrupted {
            return Ok([false; N]);
        }
        return Err(error);
    }
    Ok(polled.map(|p| p.revents != 0))
}

/// The name of signal `number` (`SIGTERM`), or `signal N`.
pub fn signal_name(number: i32) -> String {
    let name = match number {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGCHLD => "SIGCHLD",
        libc::SIGCONT => "SIGCONT",
        libc::SIGSTOP => "SIGSTOP",
        libc::SIGTSTP => "SIGTSTP",
        libc::SIGTTIN => "SIGTTIN",
        libc::SIGTTOU => "SIGTTOU",
        libc::SIGURG => "SIGURG",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGVTALRM => "SIGVTALRM",
        libc::SIGPROF => "SIGPROF",
        libc::SIGWINCH => "SIGWINCH",
        libc::SIGIO => "SIGIO",
        libc::SIGPWR => "SIGPWR",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("signal {number}"),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_have_their_names() {
        assert_eq!(signal_name(libc::SIGTERM), "SIGTERM");
        assert_eq!(signal_name(libc::SIGKILL), "SIGKILL");
        assert_eq!(signal_name(libc::SIGSEGV), "SIGSEGV");
        assert_eq!(signal_name(64), "signal 64");
    }
}
