//! `recipe-generator`: writes the wrappers slapgrid runs as promises, each
//! running one of our static promise binaries with its arguments baked in, and
//! converts the promise parts that buildout profiles already have.
//!
//! A wrapper's arguments are validated with the promise binaries' own
//! definitions ([`registry`]); the wrapper itself ([`wrapper`]) names the binary
//! as its interpreter when the `#!` line allows it, or is a POSIX sh script
//! otherwise; it is written atomically and only when it changed ([`install`]).
//! [`buildout`] reads buildout files and [`convert`] maps their promise parts
//! ([`command_kinds`]: the two kinds that run commands).

pub mod buildout;
pub mod cli;
pub mod command_kinds;
pub mod commands;
pub mod convert;
pub mod install;
pub mod monitor_kinds;
#[cfg(test)]
mod proptests;
pub mod registry;
#[cfg(test)]
mod test_dir;
pub mod wrapper;

use std::ffi::OsString;
use std::io::Write as _;
use std::process::ExitCode;

use shared::Status;
use shared::args::{Exit, parse};
use shared::report::{self, sanitize};

use cli::{Cli, Command};

/// The whole run of `recipe-generator` with `argv` (without the program name).
pub fn run(argv: Vec<OsString>) -> ExitCode {
    let cli: Cli = match parse(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"), argv) {
        Ok(cli) => cli,
        Err(Exit::Info(text)) => return report::info(&text),
        Err(Exit::Usage(usage)) => return report::emit(Status::Unknown, &usage.0, false),
    };
    let mut stdout = std::io::stdout().lock();
    // Paths may hold anything; every line stays one clean line.
    let mut say = |line: &str| {
        let _ = writeln!(stdout, "{}", sanitize(line, 4000));
    };
    let result = match cli.command {
        Command::Write(options) => commands::write(options, &mut say),
        Command::Convert(options) => commands::convert(options, &mut say),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(usage) => report::emit(Status::Unknown, &usage.0, false),
    }
}
