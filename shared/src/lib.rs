//! What two or more native-promises binaries need, and nothing else.
//!
//! Every promise binary has the same life: parse its arguments with our exit codes
//! ([`args`]), start the hard deadline ([`deadline`]), check one thing, and print
//! exactly one line ([`report`]) before exiting with a Nagios-style code
//! ([`status`]). [`main`] strings these together, and [`promise_options!`]
//! writes the options every promise has, so that a binary's own code is only its
//! options and its check. A wrapper written by `recipe-generator` can
//! name a binary as its interpreter and carry its arguments ([`baked`]). What
//! checks have in common besides: files read with a cap ([`mod@file`]), whole
//! numbers typed as digits ([`number`]), durations shown as users write them
//! ([`mod@format`]).
//!
//! Code used by a single binary stays in that binary.

mod alarm;
pub mod args;
pub mod baked;
pub mod deadline;
pub mod file;
pub mod format;
pub mod host;
#[cfg(feature = "pem")]
pub mod key;
pub mod lifetime;
pub mod number;
#[cfg(feature = "pem")]
pub mod pem;
pub mod report;
pub mod secret;
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

/// The options every promise has; [`promise_options!`] writes them and this.
pub trait Options {
    /// The options shared by every promise.
    fn common(&self) -> Common;
}

/// Writes a promise's argh options struct with the options every promise has
/// appended (`--timeout`, `-q/--quiet`, `--perfdata`, `--version`) and its
/// [`Options`] impl. argh has no flatten, so the fields are written into the
/// struct here; the two help lines that differ from binary to binary (what the
/// timeout covers, which performance data) are given after the struct.
///
/// ```ignore
/// shared::promise_options! {
///     /// Checks ...
///     #[derive(argh::FromArgs, Debug)]
///     #[argh(example = "...", error_code(0, "OK: ..."))]
///     pub struct Args {
///         /// the path to check
///         #[argh(option)]
///         pub path: String,
///     }
///     timeout = "seconds the whole check may take; fractions allowed (default: 10)",
///     perfdata = "append Nagios performance data (size) after a | on success",
/// }
/// ```
#[macro_export]
macro_rules! promise_options {
    (
        $(#[$($attr:tt)*])*
        $vis:vis struct $name:ident {
            $($fields:tt)*
        }
        timeout = $timeout:literal,
        perfdata = $perfdata:literal $(,)?
    ) => {
        $(#[$($attr)*])*
        $vis struct $name {
            $($fields)*

            #[doc = $timeout]
            #[argh(
                option,
                from_str_fn(shared::args::parse_seconds),
                default = "shared::DEFAULT_TIMEOUT"
            )]
            pub timeout: ::std::time::Duration,

            /// print nothing on success
            #[argh(switch, short = 'q')]
            pub quiet: bool,

            #[doc = $perfdata]
            #[argh(switch)]
            pub perfdata: bool,

            /// print the version and exit
            #[argh(switch)]
            pub version: bool,
        }

        impl $crate::Options for $name {
            fn common(&self) -> $crate::Common {
                $crate::Common {
                    timeout: self.timeout,
                    quiet: self.quiet,
                    perfdata: self.perfdata,
                }
            }
        }
    };
}

/// A promise binary: its argh options, their validation and the check itself.
///
/// `plan` is pure (no I/O) so that `recipe-generator` can validate baked arguments
/// with exactly the definitions the binary uses, long before the check runs.
pub trait Promise: argh::FromArgs + Options {
    /// The validated configuration `plan` makes and `execute` consumes.
    type Plan;
    /// What can go wrong while checking; each variant carries its exit status.
    type Error: Failure;

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

    /// Runs the check before the deadline. With `perfdata` (`--perfdata`), the
    /// report carries performance data; without, the check formats none
    /// (formatting it for nothing cost a run a tenth of its instructions).
    ///
    /// # Errors
    /// The reason the check failed, carrying its exit status.
    fn execute(
        plan: Self::Plan,
        deadline: &Deadline,
        perfdata: bool,
    ) -> Result<Report, Self::Error>;
}

/// The usage line (without `UNKNOWN: `) a promise prints for `argv` before
/// checking anything, or `None` when `argv` parses and plans: for the tables of
/// usage errors each promise keeps next to its `plan()`.
#[must_use]
pub fn usage_line<P: Promise>(argv: &[&str]) -> Option<String> {
    let argv = argv.iter().map(OsString::from).collect();
    match args::parse::<P>("promise", "0", argv) {
        Ok(promise) => promise.plan().err().map(|usage| usage.0),
        Err(args::Exit::Usage(usage)) => Some(usage.0),
        Err(args::Exit::Info(_)) => None,
    }
}

/// The whole life of a promise binary: the body of its `main`.
///
/// `name` and `version` are the binary's own, for `--help` and `--version`.
pub fn main<P: Promise>(name: &str, version: &str) -> ExitCode {
    alarm::default_termination();
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
    let deadline = P::deadline(&plan, Deadline::start(common.timeout));
    match P::execute(plan, &deadline, common.perfdata) {
        Ok(report) => report.emit(common.quiet, common.perfdata),
        Err(error) => report::emit(error.status(), &error.to_string(), false),
    }
}
