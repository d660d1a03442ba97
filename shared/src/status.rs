//! The exit codes users rely on, and the error side of a check.
//!
//! Nagios, Icinga and Sensu read 0/1/2/3; SlapOS, Docker and Kubernetes only ask
//! whether the code is zero. 1 is reserved for opt-in soft thresholds, so a
//! service that does not work is always 2, and a check that could not even run
//! (bad usage, unreadable configuration) is 3.

use std::fmt;
use std::process::ExitCode;

/// The verdict of a check, which is also its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// 0: the service works.
    Ok = 0,
    /// 1: the service works but crossed an opt-in soft threshold.
    Warning = 1,
    /// 2: the service does not work.
    Critical = 2,
    /// 3: the check could not run (bad usage or configuration).
    Unknown = 3,
}

impl Status {
    /// The word that starts the report line.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
        }
    }
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(status as u8)
    }
}

/// An error that knows the exit status it ends the run with.
pub trait Failure: fmt::Display {
    /// The exit status this error ends the run with: CRITICAL unless the error
    /// says otherwise, since a service that does not work is always 2.
    fn status(&self) -> Status {
        Status::Critical
    }
}

/// Bad usage or configuration: the check could not run (exit 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage(pub String);

impl Usage {
    /// A usage error with this message.
    pub fn new(message: impl Into<String>) -> Usage {
        Usage(message.into())
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Failure for Usage {
    fn status(&self) -> Status {
        Status::Unknown
    }
}

/// The service does not work, for checks whose every failure is CRITICAL
/// (exit 2): the message says what was found and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Critical(pub String);

impl fmt::Display for Critical {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Failure for Critical {}
