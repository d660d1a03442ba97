//! What two or more native-promises binaries need, and nothing else.
//!
//! Every promise binary has the same life: parse its arguments with our exit codes
//! ([`args`]), start the hard deadline ([`deadline`]), check one thing, and print
//! exactly one line ([`report`]) before exiting with a Nagios-style code
//! ([`status`]). [`main`] strings these together so that a binary's own code is
//! only its options and its check. A wrapper written by `recipe-generator` can
//! name a binary as its interpreter and carry its arguments ([`baked`]).
//!
//! Code used by a single binary stays in that binary.

mod alarm;
pub mod args;
pub mod baked;
pub mod deadline;
#[cfg(feature = "pem")]
pub mod pem;
pub mod report;
pub mod status;
pub mod x509;

#[cfg(test)]
mod proptests;

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

pub use deadline::Deadline;
pub use report::Report;
pub use status::{Failure, Status, Usage};

/// Default for `--timeout`, in seconds: half of slapgrid's 20 s promise limit.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The options every promise has, whatever it checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Common {
    /// The whole run ends by then, DNS included.
    pub timeout: Duration,
    /// Print nothing on success.
    pub quiet: bool,
    /// Append Nagios performance data to the line.
    pub perfdata: bool,
}

/// A promise binary: its argh options, their validation and the check itself.
///
/// `plan` is pure (no I/O) so that `recipe-generator` can validate baked arguments
/// with exactly the definitions the binary uses, long before the check runs.
pub trait Promise: argh::FromArgs {
    /// The validated configuration `plan` makes and `execute` consumes.
    type Plan;
    /// What can go wrong while checking; each variant carries its exit status.
    type Error: Failure;

    /// The options shared by every promise.
    fn common(&self) -> Common;

    /// Checks the arguments as a whole (ranges, exclusive options) without I/O.
    ///
    /// # Errors
    /// A [`Usage`] error (exit 3) naming what is wrong.
    fn plan(self) -> Result<Self::Plan, Usage>;

    /// The deadline the check runs with, decided once `started` (the one of
    /// `--timeout`) runs: itself unless the promise reads another timeout at run
    /// time (check-url-available's `--timeout-file`, see [`Deadline::retime`]).
    /// I/O is allowed here, bounded by `started`.
    fn deadline(_plan: &Self::Plan, started: Deadline) -> Deadline {
        started
    }

    /// Runs the check before the deadline.
    ///
    /// # Errors
    /// The reason the check failed, carrying its exit status.
    fn execute(plan: Self::Plan, deadline: &Deadline) -> Result<Report, Self::Error>;
}

/// The whole life of a promise binary: the body of its `main`.
///
/// `name` and `version` are the binary's own, for `--help` and `--version`.
pub fn main<P: Promise>(name: &str, version: &str) -> ExitCode {
    run::<P>(name, version, std::env::args_os().skip(1).collect())
}

fn run<P: Promise>(name: &str, version: &str, argv: Vec<OsString>) -> ExitCode {
    let argv = match baked::expand(argv) {
        Ok(argv) => argv,
        Err(usage) => return report::emit(Status::Unknown, &usage.0, false),
    };
    let promise: P = match args::parse(name, version, argv) {
        Ok(promise) => promise,
        Err(args::Exit::Info(text)) => return report::info(&text),
        Err(args::Exit::Usage(usage)) => return report::emit(Status::Unknown, &usage.0, false),
    };
    let common = promise.common();
    let plan = match promise.plan() {
        Ok(plan) => plan,
        Err(usage) => return report::emit(Status::Unknown, &usage.0, false),
    };
    report::want_perfdata(common.perfdata);
    let deadline = P::deadline(&plan, Deadline::start(common.timeout));
    match P::execute(plan, &deadline) {
        Ok(report) => report.emit(common.quiet, common.perfdata),
        Err(error) => report::emit(error.status(), &error.to_string(), false),
    }
}
