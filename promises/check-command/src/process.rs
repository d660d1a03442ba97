//! The system calls std does not offer, for the command's process group.
//!
//! A command must never outlive us, however we end: at our deadline we stop
//! its whole process group (its own children included); at the end of a normal
//! run we kill what it left behind; and when we are killed ourselves (slapgrid's
//! SIGTERM, a SIGKILL, our own timer) a *guard* does it. The guard is a forked
//! copy of us that leads the group and blocks in `read` on a pipe only we can
//! write to: when we die, however, the kernel closes our end, the read returns
//! and the guard kills the group, itself included. The command also gets the
//! parent-death signal, so it dies with us even if someone killed the guard.
//!
//! std has no fork without exec, process-group kill, parent-death signal,
//! `poll` or signal handler, hence this module: the one place of the crate with
//! `unsafe` code (the workspace denies it elsewhere). Everything done in a
//! forked child or a signal handler is a raw, async-signal-safe system call.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

/// The process group the command runs in, led by the guard.
#[derive(Debug)]
pub struct Group {
    id: libc::pid_t,
    /// Our end of the guard's pipe: closing it (our death, or dropping the
    /// group) makes the guard kill the group.
    _lifeline: OwnedFd,
}

impl Group {
    /// Forks the guard, which leads a new, empty process group.
    ///
    /// # Errors
    /// When the pipe or the fork fails (out of processes or memory).
    pub fn start() -> io::Result<Group> {
        let (read, write) = pipe()?;
        // SAFETY: this process has a single thread (the deadline is a signal
        // timer, not a thread), so the child may run anything; it only makes
        // raw system calls and never returns.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(io::Error::last_os_error());
        }
        if pid == 0 {
            guard(read.as_raw_fd(), write.as_raw_fd());
        }
        drop(read);
        // The guard does the same; whichever runs first, the group exists
        // before the command is spawned into it. SAFETY: a plain system call.
        unsafe { libc::setpgid(pid, pid) };
        Ok(Group {
            id: pid,
            _lifeline: write,
        })
    }

    /// The process group id, for [`Command`]'s `process_group`.
    pub fn id(&self) -> i32 {
        self.id
    }

    /// Sends `signal` to every process of the group (the guard ignores all but
    /// SIGKILL).
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: a plain system call; a group that is already gone is fine.
        unsafe { libc::kill(-self.id, signal) };
    }
}

/// The guard's whole life, in the forked child: lead the group, let go of our
/// streams (slapgrid waits for every holder of its pipe), wait for our death
/// or the group's SIGKILL, then kill the group.
fn guard(lifeline: RawFd, ours: RawFd) -> ! {
    // SAFETY: raw, async-signal-safe system calls on plain values; `_exit`
    // leaves without running anything of the parent's.
    unsafe {
        libc::setpgid(0, 0);
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&raw mut all);
        libc::sigprocmask(libc::SIG_SETMASK, &raw const all, std::ptr::null_mut());
        if lifeline != 0 {
            libc::dup2(lifeline, 0);
        }
        // close_range is Linux 5.9; older kernels close what we know of.
        if libc::syscall(libc::SYS_close_range, 1_u32, u32::MAX, 0_u32) != 0 {
            for fd in [1, 2, ours, lifeline] {
                if fd != 0 {
                    libc::close(fd);
                }
            }
        }
        let mut byte = 0_u8;
        while libc::read(0, (&raw mut byte).cast(), 1) > 0 {}
        libc::kill(0, libc::SIGKILL);
        libc::_exit(0)
    }
}

/// Makes `command` die with us (SIGKILL when we exit, however) and start in
/// `group`.
pub fn confine(command: &mut Command, group: &Group) {
    let parent = std::process::id();
    command.process_group(group.id());
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe system calls.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            // We died before the prctl: the signal will never come.
            if u32::try_from(libc::getppid()).ok() != Some(parent) {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
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
pub fn watch_children() -> io::Result<OwnedFd> {
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
