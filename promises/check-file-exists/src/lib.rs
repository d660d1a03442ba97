//! Checks the state of a path: it exists (as a given type), is absent, empty or
//! not empty, and was modified recently enough.
//!
//! Replaces SlapOS's `check_file_state` plugin (states `absent`, `empty`,
//! `not-empty`, with its `url` hint) and the `test -S socket` shell promises;
//! `--max-age` covers log and backup freshness. The path is `stat`ed; it is
//! opened only to read one byte of a regular file whose size reads 0 when its
//! emptiness is asked (procfs and sysfs files report 0 bytes with content), and
//! then without blocking, so a FIFO cannot block us; a hung mount is caught by
//! the deadline.

mod state;

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime};

use state::Age;

use argh::FromArgs;
use shared::args::{display_arg, os_arg, parse_seconds};
use shared::{Deadline, Failure, Promise, Report, Usage};

pub use state::{FileType, State};

shared::promise_options! {
/// Checks the state of a path: that it exists (optionally as a given type), is
/// absent, empty or not empty, and that it was modified recently enough.
#[derive(FromArgs, Debug)]
#[argh(
    example = "{command_name} --path /srv/slapgrid/slappart3/var/run/mariadb.sock --type socket\n{command_name} --path var/log/backup.done --max-age 90000\n{command_name} --path etc/errors.log --state empty --hint 'content available at https://[::1]:8443/log'",
    note = "Options also take the form --option=value. empty means a file with nothing to read or a folder with no entries; a FIFO, socket or device is neither empty nor not empty (CRITICAL); empty and not-empty need the path to exist; absent-or-empty passes when nothing is there or it is empty (a log written only on failure). Links are followed except for --type symlink.",
    error_code(0, "OK: the path is in the expected state"),
    error_code(
        2,
        "CRITICAL: it is not (missing, wrong type, (not) empty, too old, unreadable) or the check timed out"
    ),
    error_code(3, "UNKNOWN: bad usage")
)]
pub struct Args {
    /// the path to check; relative paths start from the working folder (the partition, under slapgrid)
    #[argh(option)]
    pub path: String,

    /// exists, absent, empty, not-empty or absent-or-empty (default: exists)
    #[argh(option, default = "State::Exists")]
    pub state: State,

    /// any, file, dir, socket, fifo or symlink (default: any)
    #[argh(option, default = "FileType::Any")]
    pub r#type: FileType,

    /// seconds since the last modification beyond which the check fails; fractions allowed (default: no limit)
    #[argh(option, from_str_fn(parse_seconds))]
    pub max_age: Option<Duration>,

    /// text appended to a failure message, such as where to read more
    #[argh(option)]
    pub hint: Option<String>,
}
timeout = "seconds the whole check may take; fractions allowed (default: 10)",
perfdata = "append Nagios performance data (age and size) after a | on success",
}

/// The longest `--hint`: it shares the line with the failure it follows.
pub const MAX_HINT: usize = 500;

/// The validated check.
#[derive(Debug, Clone)]
pub struct Plan {
    path: OsString,
    shown: String,
    state: State,
    file_type: FileType,
    max_age: Option<Duration>,
    hint: Option<String>,
}

/// Why the path is not as expected. Every variant is CRITICAL.
#[derive(Debug)]
pub struct Error {
    message: String,
    hint: Option<String>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.hint {
            Some(hint) => write!(f, "{}, {hint}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl Failure for Error {}

impl Promise for Args {
    type Plan = Plan;
    type Error = Error;

    fn plan(self) -> Result<Plan, Usage> {
        shared::args::check_path("--path", &self.path)?;
        if self.hint.as_ref().is_some_and(|hint| hint.len() > MAX_HINT) {
            return Err(Usage::new(format!(
                "--hint is longer than {MAX_HINT} bytes (the whole line holds {} characters)",
                shared::report::MAX_MESSAGE_CHARS
            )));
        }
        if self.state == State::Absent && (self.r#type != FileType::Any || self.max_age.is_some()) {
            return Err(Usage::new(
                "--state absent takes neither --type nor --max-age",
            ));
        }
        if self.state.asks_emptiness() && !self.r#type.has_emptiness() {
            return Err(Usage::new(format!(
                "--state {} applies to files and folders, not to --type {}",
                self.state.word(),
                self.r#type.word()
            )));
        }
        Ok(Plan {
            path: os_arg(&self.path),
            shown: display_arg(&self.path),
            state: self.state,
            file_type: self.r#type,
            max_age: self.max_age,
            hint: self.hint.filter(|h| !h.is_empty()),
        })
    }

    fn execute(plan: Plan, deadline: &Deadline, perfdata: bool) -> Result<Report, Error> {
        deadline.set_stage(&plan.shown, "reading its status (hung file system?)");
        let fail = |message: String| Error {
            message,
            hint: plan.hint.clone(),
        };
        let path = Path::new(&plan.path);
        let shown = &plan.shown;
        let metadata = if plan.file_type == FileType::Symlink {
            path.symlink_metadata()
        } else {
            path.metadata()
        };
        let metadata = match (metadata, plan.state) {
            (Err(e), State::Absent | State::AbsentOrEmpty)
                if e.kind() == io::ErrorKind::NotFound =>
            {
                return Ok(Report::ok(format!("{shown} is absent, as expected")));
            }
            (Err(e), _) if e.kind() == io::ErrorKind::NotFound => {
                return Err(fail(format!(
                    "{shown} does not exist, expected {}",
                    plan.expected()
                )));
            }
            (Err(e), _) => {
                return Err(fail(format!(
                    "{shown} cannot be checked: {}",
                    state::describe(&e)
                )));
            }
            (Ok(m), State::Absent) => {
                let found = FileType::of(&m.file_type());
                return Err(fail(format!(
                    "{shown} exists ({found}), expected it to be absent"
                )));
            }
            (Ok(m), _) => m,
        };
        let found = FileType::of(&metadata.file_type());
        if !plan.file_type.accepts(found) {
            return Err(fail(format!(
                "{shown} is {}, expected {}",
                found.with_article(),
                plan.expected()
            )));
        }
        let size = if plan.state.asks_emptiness() {
            if !found.has_emptiness() {
                return Err(fail(format!(
                    "{shown} is {}, expected {}",
                    found.with_article(),
                    plan.expected_of_files()
                )));
            }
            deadline.set_stage(shown, "reading it (hung file system?)");
            state::Size::read(path, &metadata)
        } else {
            state::Size::of(path, &metadata)
        }
        .map_err(|e| {
            let verb = if metadata.is_dir() { "listed" } else { "read" };
            fail(format!("{shown} cannot be {verb}: {}", state::describe(&e)))
        })?;
        match (plan.state, size.is_empty()) {
            (State::Empty, false) => {
                return Err(fail(format!(
                    "{shown} is not empty ({size}), expected it to be empty"
                )));
            }
            (State::AbsentOrEmpty, false) => {
                return Err(fail(format!(
                    "{shown} is not empty ({size}), expected it to be absent or empty"
                )));
            }
            (State::NotEmpty, true) => {
                return Err(fail(format!("{shown} is empty, expected it not to be")));
            }
            _ => {}
        }
        let age = metadata
            .modified()
            .ok()
            .map(|m| Age::at(m, SystemTime::now()));
        if let (Some(max_age), Some(age)) = (plan.max_age, age) {
            let too_old = match age {
                Age::Ago(age) => age > max_age,
                Age::Future(_) => true,
            };
            if too_old {
                return Err(fail(format!(
                    "{shown} was {age}, expected at most {} ago",
                    state::format_age(max_age)
                )));
            }
        }
        let fresh = match (plan.max_age, age) {
            (Some(_), Some(age)) => format!(", {age}"),
            _ => String::new(),
        };
        let mut report = Report::ok(format!(
            "{shown} {} ({found}, {size}{fresh})",
            plan.state.verb()
        ));
        if !perfdata {
            return Ok(report);
        }
        if let Some(Age::Ago(age)) = age {
            let limit = plan
                .max_age
                .map_or(String::new(), |m| m.as_secs().to_string());
            report = report.with_perf("age", &format!("{}s;;{limit};0", age.as_secs()));
        }
        if let state::Size::Bytes(bytes) = size {
            report = report.with_perf("size", &format!("{bytes}B;;;0"));
        }
        Ok(report)
    }
}

impl Plan {
    /// What was expected of a type without emptiness, for failure messages.
    fn expected_of_files(&self) -> &'static str {
        match self.state {
            State::NotEmpty => "a non-empty file or folder",
            State::AbsentOrEmpty => "it to be absent, an empty file or an empty folder",
            _ => "an empty file or folder",
        }
    }

    /// What was expected, for failure messages: "a socket", "it to exist".
    fn expected(&self) -> String {
        match (self.file_type, self.state) {
            (FileType::Any, State::Exists) => "it to exist".to_owned(),
            (FileType::Any, State::Empty) => "it to exist and be empty".to_owned(),
            (FileType::Any, State::AbsentOrEmpty) => "it to be absent or empty".to_owned(),
            (FileType::Any, _) => "it to exist and not be empty".to_owned(),
            (t, State::Empty | State::AbsentOrEmpty) => format!("an empty {t}"),
            (t, State::NotEmpty) => format!("a non-empty {t}"),
            (t, _) => t.with_article(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every usage error of the options and of plan(), with its exact line
    /// (the binary prints it after `UNKNOWN: `, exit 3); the black-box tests
    /// run one case of each source through the binary.
    #[test]
    fn usage_errors_say_what_is_wrong() {
        let cases: [(&[&str], &str); 9] = [
            (
                &["--path", "x", "--state", "not-empty", "--type", "socket"],
                "--state not-empty applies to files and folders, not to --type socket",
            ),
            (
                &[
                    "--path",
                    "x",
                    "--state",
                    "absent-or-empty",
                    "--type",
                    "symlink",
                ],
                "--state absent-or-empty applies to files and folders, not to --type symlink",
            ),
            (
                &["--path", "x", "--state", "absent", "--type", "file"],
                "--state absent takes neither --type nor --max-age",
            ),
            (
                &["--path", "x", "--state", "absent", "--max-age", "5"],
                "--state absent takes neither --type nor --max-age",
            ),
            (
                &["--path", "x", "--state", "full"],
                "Error parsing option '--state' with value 'full': expected exists, absent, empty, not-empty or absent-or-empty, got 'full' (see --help)",
            ),
            (
                &["--path", "x", "--type", "directory"],
                "Error parsing option '--type' with value 'directory': expected any, file, dir, socket, fifo or symlink, got 'directory' (see --help)",
            ),
            (
                &["--path", "x", "--max-age", "-5"],
                "Error parsing option '--max-age' with value '-5': expected a positive number of seconds such as 10 or 0.5, got '-5' (see --help)",
            ),
            (&["--path", ""], "--path needs a path"),
            (
                &["--state", "empty"],
                "Required options not provided: --path (see --help)",
            ),
        ];
        for (args, line) in cases {
            assert_eq!(
                shared::usage_line::<Args>(args).as_deref(),
                Some(line),
                "{args:?}"
            );
        }
        assert_eq!(shared::usage_line::<Args>(&["--path", "x"]), None);
    }
}
