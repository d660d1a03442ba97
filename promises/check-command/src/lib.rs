//! Runs a command and passes when it exits 0: the replacement for SlapOS's
//! `check_command_execute` plugin, which started a CPython process importing
//! the promise framework for every run, only to run one shell command.
//!
//! What the plugin left to chance, we guarantee: stdin is `/dev/null`; stdout
//! and stderr share one pipe that we drain into a fixed-size buffer (a chatty
//! command neither blocks nor grows us); the line names the command without
//! its secrets and shows its last line of output; `--timeout` bounds the whole
//! run: the command's process group gets SIGTERM a grace before it, then
//! SIGKILL; and nothing the command started outlives us, however we end, not
//! even what left its group or session ([`process`]).

mod process;
pub mod shown;
mod tail;
pub mod words;

use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use argh::FromArgs;
use shared::args::{check_path, display_arg, os_arg};
use shared::format::format_seconds;
use shared::{Deadline, Failure, Promise, Report, Status, Usage};

use crate::process::Guard;
use crate::tail::Tail;

shared::promise_options! {
/// Runs a command and passes when it exits 0. Its output (stdout and stderr
/// together) is read into a bounded buffer and its last non-empty line is
/// shown. --timeout bounds the whole run: 1 s before it (or a fifth of it,
/// if shorter) the command's process group gets SIGTERM, half that grace
/// before it SIGKILL; nothing it started outlives this check, not even what
/// left its group or session (setsid).
#[derive(FromArgs, Debug)]
#[argh(
    example = "{command_name} --command 'test -S var/run/mysqld.sock'\n{command_name} --command \"$HOME/bin/check-backup --status-file var/backup.json\" --timeout 30\n{command_name} -- /srv/slapgrid/slappart3/bin/wcfs status zeo://[::1]:2100",
    note = "Options also take the form --option=value. Give either --command (run by the shell as SHELL -c COMMAND, like the check_command_execute plugin) or, after --, a program and its arguments (run directly; a program name without a slash is looked up in PATH). stdin is /dev/null; the working folder and environment are ours. The line shows the command by its program's file name, with secrets as ***: values of password-, secret-, token-, auth- and cookie-like options, user:password after -u/--user, Authorization and Cookie header values, URL user info, mysql's -pX, redis-cli's -a X, sshpass's -p X.",
    error_code(0, "OK: the command exited 0"),
    error_code(2, "CRITICAL: it exited non-zero, was killed by a signal or timed out"),
    error_code(3, "UNKNOWN: bad usage, or the command or shell cannot be started")
)]
pub struct Args {
    /// the command line to run with the shell, e.g. "bin/check-db --port 2099"
    #[argh(option)]
    pub command: Option<String>,

    /// the shell that runs --command with -c (default: /bin/sh)
    #[argh(option, default = "String::from(DEFAULT_SHELL)")]
    pub shell: String,

    /// after --: the program to run directly, then its arguments
    #[argh(positional)]
    pub program: Vec<String>,
}
timeout = "seconds the whole run may take, stopping the command included; fractions allowed (default: 10)",
perfdata = "append Nagios performance data (the run time) after a | on success",
}

/// The shell of `--command` unless `--shell` says otherwise.
pub const DEFAULT_SHELL: &str = "/bin/sh";

/// The longest argument the kernel passes (`MAX_ARG_STRLEN` less its NUL):
/// a longer `--command` could never start.
pub const MAX_ARGUMENT: usize = 128 * 1024 - 1;

/// The longest grace between SIGTERM and the deadline.
pub const GRACE: Duration = Duration::from_secs(1);

/// How to start the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run {
    /// `SHELL -c COMMAND`.
    Shell {
        /// The shell's path.
        shell: OsString,
        /// The command line.
        command: OsString,
    },
    /// A program and its arguments, no shell.
    Direct {
        /// The program: a path, or a name looked up in `PATH`.
        program: OsString,
        /// Its arguments.
        args: Vec<OsString>,
    },
}

/// The validated check.
#[derive(Debug, Clone)]
pub struct Plan {
    /// How to start the command.
    pub run: Run,
    /// The command as the line shows it.
    pub shown: String,
    /// Secret values of the command, hidden in its output too.
    pub secrets: Vec<String>,
    /// The command's time before it is stopped.
    pub timeout: Duration,
}

/// Why the check failed.
#[derive(Debug)]
pub enum Error {
    /// The command ran and failed (CRITICAL).
    Failed(String),
    /// The command could not be run at all (UNKNOWN).
    CannotRun(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Failed(message) | Error::CannotRun(message) => f.write_str(message),
        }
    }
}

impl Failure for Error {
    fn status(&self) -> Status {
        match self {
            Error::Failed(_) => Status::Critical,
            Error::CannotRun(_) => Status::Unknown,
        }
    }
}

/// The grace the command has between SIGTERM and the deadline, taken from
/// its `timeout`: [`GRACE`], or a fifth of the timeout when that is shorter.
#[must_use]
pub fn grace(timeout: Duration) -> Duration {
    GRACE.min(timeout / 5)
}

fn check_argument(what: &str, value: &str) -> Result<OsString, Usage> {
    let value = os_arg(value);
    if value.len() > MAX_ARGUMENT {
        return Err(Usage::new(format!(
            "{what} is {} bytes long, longer than the kernel passes ({MAX_ARGUMENT})",
            value.len()
        )));
    }
    if value.as_encoded_bytes().contains(&0) {
        return Err(Usage::new(format!("{what} contains a NUL byte")));
    }
    Ok(value)
}

impl Promise for Args {
    type Plan = Plan;
    type Error = Error;

    fn plan(self) -> Result<Plan, Usage> {
        let (run, (shown, secrets)) = match (self.command, self.program.split_first()) {
            (Some(_), Some(_)) => {
                return Err(Usage::new(
                    "give either --command or a program after --, not both",
                ));
            }
            (None, None) => {
                return Err(Usage::new(
                    "give --command 'COMMAND LINE' or -- PROGRAM [ARGUMENTS...]",
                ));
            }
            (Some(command), None) => {
                if command.trim().is_empty() {
                    return Err(Usage::new("--command is empty"));
                }
                check_path("--shell", &self.shell)?;
                let words = words::split(&display_arg(&command)).words;
                let run = Run::Shell {
                    shell: check_argument("--shell", &self.shell)?,
                    command: check_argument("--command", &command)?,
                };
                (run, shown::show_and_collect(&words))
            }
            (None, Some((program, args))) => {
                check_path("the program", program)?;
                let words: Vec<String> = self.program.iter().map(|w| display_arg(w)).collect();
                let run = Run::Direct {
                    program: check_argument("the program", program)?,
                    args: args
                        .iter()
                        .map(|arg| check_argument("an argument", arg))
                        .collect::<Result<_, _>>()?,
                };
                (run, shown::show_and_collect(&words))
            }
        };
        Ok(Plan {
            run,
            shown,
            secrets,
            timeout: self.timeout,
        })
    }

    fn execute(plan: Plan, deadline: &Deadline, perfdata: bool) -> Result<Report, Error> {
        // Our own timer ends us with this line only if even SIGKILL cannot end
        // the command in time (a process stuck in the kernel).
        deadline.set_stage(&plan.shown, "");
        let started = Instant::now();
        let outcome = run(&plan, started + deadline.remaining()).map_err(|e| {
            let what = match &plan.run {
                Run::Shell { shell, .. } => format!("the shell {}", shell.to_string_lossy()),
                Run::Direct { .. } => plan.shown.clone(),
            };
            let what = shared::report::sanitize(&what, shown::SHOWN_COMMAND_CHARS);
            Error::CannotRun(format!(
                "cannot run {what}: {}",
                shared::report::describe_io(&e)
            ))
        })?;
        let elapsed = started.elapsed();
        let last = outcome.output.last_line(&plan.secrets);
        let with_last = |message: String| match &last {
            Some(line) => format!("{message}: {line}"),
            None => message,
        };
        let shown = &plan.shown;
        if outcome.timed_out {
            return Err(Error::Failed(with_last(format!(
                "{shown} timed out after {}",
                format_seconds(plan.timeout)
            ))));
        }
        match (outcome.status.code(), outcome.status.signal()) {
            (Some(0), _) => {
                let mut report = Report::ok(with_last(format!("{shown} exited 0")));
                if perfdata {
                    report = report.with_perf(
                        "time",
                        &format!(
                            "{}s;;;0;{}",
                            shared::report::perf_seconds(elapsed),
                            shared::report::perf_seconds(plan.timeout)
                        ),
                    );
                }
                Ok(report)
            }
            (Some(code), _) => Err(Error::Failed(with_last(format!("{shown} exited {code}")))),
            (None, Some(signal)) => Err(Error::Failed(with_last(format!(
                "{shown} was killed by {}",
                process::signal_name(signal)
            )))),
            (None, None) => Err(Error::Failed(with_last(format!(
                "{shown} ended with status {}",
                outcome.status.into_raw()
            )))),
        }
    }
}

/// How the command ended.
struct Outcome {
    status: ExitStatus,
    timed_out: bool,
    output: Tail,
}

/// Runs the command until it ends or until `end`: its group and every
/// orphan it left get SIGTERM at `end` less the [`grace`], SIGKILL half the
/// grace before `end` (the rest is for killing, reaping and our line). Then whatever is left of what it started is
/// killed and reaped.
fn run(plan: &Plan, end: Instant) -> io::Result<Outcome> {
    let (output, writer) = process::pipe()?;
    let mut output = File::from(output);
    let mut command = match &plan.run {
        Run::Shell { shell, command } => {
            let mut c = Command::new(shell);
            c.arg("-c");
            // The shell would take a command starting with `-` for its options.
            if command.as_encoded_bytes().starts_with(b"-") {
                c.arg("--");
            }
            c.arg(command);
            c
        }
        Run::Direct { program, args } => {
            let mut c = Command::new(program);
            c.args(args);
            c
        }
    };
    command.stdin(Stdio::null());
    // The guard holds the pipe's write end for the command; ours is gone once
    // it returns, so the pipe reaches its end when the command's copies do.
    let mut guard = Guard::spawn(command, writer)?;

    let grace = grace(end.saturating_duration_since(Instant::now()));
    let terminate_at = end.checked_sub(grace).unwrap_or(end);
    let kill_at = end.checked_sub(grace / 2).unwrap_or(end);
    let mut tail = Tail::new();
    let mut chunk = [0_u8; 4096];
    let mut output_open = true;
    let mut timed_out = false;
    loop {
        let now = Instant::now();
        if now >= kill_at {
            break;
        }
        if now >= terminate_at && !timed_out {
            timed_out = true;
            guard.terminate();
        }
        let until = if timed_out { kill_at } else { terminate_at };
        let fds = [output_open.then(|| output.as_fd()), Some(guard.reports())];
        let [readable, reported] = process::wait_readable(fds, until - now)?;
        if readable {
            match read_some(&mut output, &mut chunk)? {
                0 => output_open = false,
                n => tail.push(&chunk[..n]),
            }
        }
        if reported && guard.status()?.is_some() {
            break;
        }
    }
    // What the command started and left behind ends with it (the command
    // too, at the deadline).
    let status = guard.finish()?;
    // What it printed before its end is in the pipe: read it without waiting
    // (something out of reach could hold the pipe open forever).
    while output_open {
        let [readable] = process::wait_readable([Some(output.as_fd())], Duration::ZERO)?;
        if !readable {
            break;
        }
        match read_some(&mut output, &mut chunk)? {
            0 => output_open = false,
            n => tail.push(&chunk[..n]),
        }
    }
    Ok(Outcome {
        status,
        timed_out,
        output: tail,
    })
}

/// One `read` of the output pipe, made readable by `poll`.
fn read_some(output: &mut File, chunk: &mut [u8]) -> io::Result<usize> {
    loop {
        match output.read(chunk) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
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
        let long = "x".repeat(MAX_ARGUMENT + 1);
        let cases: [(&[&str], &str); 10] = [
            (
                &[],
                "give --command 'COMMAND LINE' or -- PROGRAM [ARGUMENTS...]",
            ),
            (
                &["--command", "true", "--", "true"],
                "give either --command or a program after --, not both",
            ),
            (&["--command", ""], "--command is empty"),
            (&["--command", " \t"], "--command is empty"),
            (
                &["--command", "true", "--shell", ""],
                "--shell needs a path",
            ),
            (&["--command", "a\0b"], "--command contains a NUL byte"),
            (&["--", ""], "the program needs a path"),
            (
                &["--", "/bin/echo", "a\0"],
                "an argument contains a NUL byte",
            ),
            (
                &["--command", &long],
                "--command is 131072 bytes long, longer than the kernel passes (131071)",
            ),
            (
                &["--command"],
                "No value provided for option '--command' (see --help)",
            ),
        ];
        for (args, line) in cases {
            assert_eq!(
                shared::usage_line::<Args>(args).as_deref(),
                Some(line),
                "{:?}",
                args.iter()
                    .map(|a| &a[..a.len().min(20)])
                    .collect::<Vec<_>>()
            );
        }
        assert_eq!(shared::usage_line::<Args>(&["--command", "true"]), None);
        assert_eq!(shared::usage_line::<Args>(&["--", "true", "-x"]), None);
    }
}
