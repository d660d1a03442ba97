//! The hard deadline: the whole run ends by `--timeout`, whatever blocks.
//!
//! Socket timeouts alone cannot promise that: `getaddrinfo` has no timeout, a
//! `stat` on a hung NFS mount blocks in the kernel, and a peer can trickle bytes
//! forever. So a watchdog thread sleeps until the deadline and then prints the
//! timeout line and exits the process. The check itself still bounds each
//! blocking call by [`Deadline::remaining`], which usually gives a more precise
//! message; the watchdog is the guarantee. It never keeps the process alive:
//! returning from `main` ends it.

use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::args::format_seconds;
use crate::report;
use crate::status::Status;

/// What the check is doing, for the watchdog's message.
static STAGE: Mutex<Option<String>> = Mutex::new(None);

/// The watchdog sleeps and prints; it needs little stack.
const WATCHDOG_STACK: usize = 32 * 1024;

/// When the run must be over.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    end: Instant,
    timeout: Duration,
}

impl Deadline {
    /// Starts the clock and the watchdog that ends the process at the deadline
    /// with a CRITICAL line.
    #[must_use]
    pub fn start(timeout: Duration) -> Deadline {
        let deadline = Deadline::unguarded(timeout);
        // Without a thread (limits reached) the per-call timeouts still hold.
        let _ = thread::Builder::new()
            .name("deadline".into())
            .stack_size(WATCHDOG_STACK)
            .spawn(move || deadline.watch());
        deadline
    }

    /// A deadline without the watchdog, for code that only needs the arithmetic.
    #[must_use]
    pub fn unguarded(timeout: Duration) -> Deadline {
        Deadline {
            end: Instant::now() + timeout,
            timeout,
        }
    }

    /// The `--timeout` this deadline was made from.
    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Time left, zero once past.
    #[must_use]
    pub fn remaining(&self) -> Duration {
        self.end.saturating_duration_since(Instant::now())
    }

    /// Whether the deadline has passed.
    #[must_use]
    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }

    /// Says what the check is doing, so that a timeout reads
    /// `TARGET timed out after 10 s ACTIVITY`.
    pub fn set_stage(&self, target: &str, activity: &str) {
        let message = self.timed_out(target, activity);
        *STAGE.lock().unwrap_or_else(PoisonError::into_inner) = Some(message);
    }

    /// The timeout message for `target` while doing `activity`.
    #[must_use]
    pub fn timed_out(&self, target: &str, activity: &str) -> String {
        let mut message = format!("{target} timed out after {}", format_seconds(self.timeout));
        if !activity.is_empty() {
            message.push(' ');
            message.push_str(activity);
        }
        message
    }

    fn watch(self) {
        loop {
            let left = self.remaining();
            if left.is_zero() {
                break;
            }
            thread::sleep(left);
        }
        let stage = STAGE.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let message = stage.unwrap_or_else(|| self.timed_out("check", ""));
        report::emit_and_exit(Status::Critical, &message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_saturates_at_zero() {
        let deadline = Deadline::unguarded(Duration::from_millis(1));
        thread::sleep(Duration::from_millis(5));
        assert!(deadline.expired());
        assert_eq!(deadline.remaining(), Duration::ZERO);
    }

    #[test]
    fn timeout_message_names_target_and_activity() {
        let deadline = Deadline::unguarded(Duration::from_millis(2500));
        assert_eq!(
            deadline.timed_out("http://[::1]:80/", "waiting for the response headers"),
            "http://[::1]:80/ timed out after 2.5 s waiting for the response headers"
        );
        assert_eq!(deadline.timed_out("x", ""), "x timed out after 2.5 s");
    }
}
