//! The hard deadline: the whole run ends by `--timeout`, whatever blocks.
//!
//! Socket timeouts alone cannot promise that: `getaddrinfo` has no timeout, a
//! `stat` on a hung NFS mount blocks in the kernel, and a peer can trickle bytes
//! forever. So a timer ([`crate::alarm`]) fires at the deadline, prints the
//! timeout line prepared from the current stage and exits the process. The
//! check itself still bounds each blocking call by [`Deadline::remaining`],
//! which usually gives a more precise message; the timer is the guarantee.

use std::time::{Duration, Instant};

use crate::alarm;
use crate::format::format_seconds;

/// When the run must be over.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    end: Instant,
    timeout: Duration,
    /// `timeout` as shown in messages, made once: every stage's line uses it.
    /// Leaked (one per deadline, one deadline per run) to keep `Deadline` Copy.
    shown: &'static str,
}

impl Deadline {
    /// Starts the clock and the timer that ends the process at the deadline
    /// with a CRITICAL line.
    #[must_use]
    pub fn start(timeout: Duration) -> Deadline {
        let deadline = Deadline::unguarded(timeout);
        alarm::prepare(&deadline.timed_out("check", ""));
        alarm::arm(timeout);
        deadline
    }

    /// A deadline without the timer, for code that only needs the arithmetic.
    #[must_use]
    pub fn unguarded(timeout: Duration) -> Deadline {
        Deadline {
            end: Instant::now() + timeout,
            timeout,
            shown: format_seconds(timeout).leak(),
        }
    }

    /// The same run with another timeout, counted from the same start, and the
    /// timer re-armed for it: for a timeout read at run time (check-url-available's
    /// `--timeout-file`), which the timer of `--timeout` bounded while it was read.
    /// A deadline already past fires at once. Timeout lines name `target`.
    #[must_use]
    pub fn retime(&self, timeout: Duration, target: &str) -> Deadline {
        let deadline = self.with_timeout(timeout);
        alarm::prepare(&deadline.timed_out(target, ""));
        alarm::arm(deadline.remaining());
        deadline
    }

    /// [`Deadline::retime`] without the timer.
    fn with_timeout(&self, timeout: Duration) -> Deadline {
        let start = self.end.checked_sub(self.timeout).unwrap_or(self.end);
        Deadline {
            end: start + timeout,
            timeout,
            shown: format_seconds(timeout).leak(),
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
        alarm::prepare(&self.timed_out(target, activity));
    }

    /// The timeout message for `target` while doing `activity`.
    #[must_use]
    pub fn timed_out(&self, target: &str, activity: &str) -> String {
        const AFTER: &str = " timed out after ";
        // Built by hand and sized once: every stage of every run makes one.
        let mut message = String::with_capacity(
            target.len() + AFTER.len() + self.shown.len() + 1 + activity.len(),
        );
        message.push_str(target);
        message.push_str(AFTER);
        message.push_str(self.shown);
        if !activity.is_empty() {
            message.push(' ');
            message.push_str(activity);
        }
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_saturates_at_zero() {
        let deadline = Deadline::unguarded(Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(5));
        assert!(deadline.expired());
        assert_eq!(deadline.remaining(), Duration::ZERO);
    }

    #[test]
    fn retime_keeps_the_start() {
        let deadline = Deadline::unguarded(Duration::from_secs(10));
        let shorter = deadline.with_timeout(Duration::from_millis(500));
        assert_eq!(shorter.end, deadline.end - Duration::from_millis(9500));
        assert_eq!(shorter.timed_out("x", ""), "x timed out after 0.5 s");
        let longer = deadline.with_timeout(Duration::from_secs(20));
        assert_eq!(longer.end, deadline.end + Duration::from_secs(10));
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
