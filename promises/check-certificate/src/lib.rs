//! Checks a certificate file: it is valid now and for at least `--days` more
//! days, and, with `--key-file`, that the key is its own.
//!
//! Replaces SlapOS's `check_certificate` plugin (slapos.toolbox), which the
//! caucase stack, re6stnet and the node monitor run on the certificates that
//! services load from disk: a renewal that failed shows here weeks before
//! clients see it. The first certificate of the file is the one judged (a
//! chain's leaf); the file may hold the key as well. The dates come from
//! [`shared::x509`] and are judged by [`shared::lifetime`], the PEM reading
//! from [`shared::pem`] and the key match from [`shared::key`],
//! as check-url-available reads its `--cert-file` and `--key-file`.

use argh::FromArgs;
use shared::args::parse_count;
use shared::key::{KeyMismatch, match_key};
use shared::lifetime::{Limits, Verdict, day_count};
use shared::pem::{FileArg, KeyFileError};
use shared::status::{Failure, Status};
use shared::{Deadline, Promise, Report, Usage};

shared::promise_options! {
/// Checks that the first certificate of a PEM file is valid now and for at
/// least --days more days, and optionally that --key-file holds its private key.
#[derive(FromArgs, Debug)]
#[argh(
    example = "{command_name} --cert-file etc/ssl/server.crt\n{command_name} --cert-file etc/ssl/server.crt --key-file etc/ssl/server.key --days 30 --warning-days 45",
    note = "Options also take the form --option=value. A file may hold the certificate and its key together; the first certificate of the file is the one checked. Dates are in UTC.",
    error_code(0, "OK: valid for at least --days more days (and the key matches)"),
    error_code(
        1,
        "WARNING: valid for fewer than --warning-days days (only with --warning-days)"
    ),
    error_code(
        2,
        "CRITICAL: expired, not valid yet, valid for fewer than --days days, a file missing or unreadable, the key does not match, or the check timed out"
    ),
    error_code(
        3,
        "UNKNOWN: bad usage, or a --key-file that cannot be matched here (encrypted, or of a kind such as Ed448)"
    )
)]
pub struct Args {
    /// the PEM certificate file; relative paths start from the working folder (the partition, under slapgrid)
    #[argh(option)]
    pub cert_file: String,

    /// the PEM private key (PKCS#8, PKCS#1 or SEC1) that must belong to the certificate; may be the same file
    #[argh(option)]
    pub key_file: Option<String>,

    /// CRITICAL when the certificate expires in fewer than this many days, 0 to 36500 (default: 15)
    #[argh(
        option,
        arg_name = "days",
        from_str_fn(parse_days),
        default = "DEFAULT_DAYS"
    )]
    pub days: u32,

    /// WARNING when it expires in fewer than this many days, more than --days (default: no warning)
    #[argh(option, arg_name = "days", from_str_fn(parse_days))]
    pub warning_days: Option<u32>,
}
timeout = "seconds the whole check may take; fractions allowed (default: 10)",
perfdata = "append Nagios performance data (days left) after a | on success",
}

/// `--days` by default: the plugin's `certificate-expiration-days`.
pub const DEFAULT_DAYS: u32 = 15;

/// The most `--days`: a hundred years.
pub const MAX_DAYS: u32 = 36_500;

fn parse_days(value: &str) -> Result<u32, String> {
    parse_count(value, MAX_DAYS, "a number of days")
}

/// The validated check.
#[derive(Debug, Clone)]
pub struct Plan {
    cert: FileArg,
    key: Option<FileArg>,
    days: u32,
    warning_days: Option<u32>,
}

impl Promise for Args {
    type Plan = Plan;
    type Error = Error;

    fn plan(self) -> Result<Plan, Usage> {
        shared::args::check_path("--cert-file", &self.cert_file)?;
        if let Some(key) = &self.key_file {
            shared::args::check_path("--key-file", key)?;
        }
        if let Some(warning) = self.warning_days {
            if warning <= self.days {
                return Err(Usage::new(format!(
                    "--warning-days ({warning}) must be more than --days ({})",
                    self.days
                )));
            }
        }
        Ok(Plan {
            cert: FileArg::new("--cert-file", &self.cert_file),
            key: self.key_file.map(|key| FileArg::new("--key-file", &key)),
            days: self.days,
            warning_days: self.warning_days,
        })
    }

    fn execute(plan: Plan, deadline: &Deadline, perfdata: bool) -> Result<Report, Error> {
        let stage = |file: &FileArg| {
            deadline.set_stage(&file.shown, "reading it (a FIFO, a hung file system?)");
        };
        let chain = shared::pem::certificates(&plan.cert, &stage).map_err(Error::Critical)?;
        let shown = &plan.cert.shown;
        let dates = chain
            .first()
            .and_then(|leaf| shared::x509::validity(leaf))
            .ok_or_else(|| {
                Error::Critical(format!("{shown}: its certificate's dates cannot be read"))
            })?;
        let limits = Limits {
            critical: Some(plan.days),
            warning: plan.warning_days,
        };
        let verdict = limits.judge(dates, shared::lifetime::now());
        let line = format!("{shown} {}", verdict.phrase());
        let Verdict::Valid { left, short, .. } = verdict else {
            return Err(Error::Critical(line));
        };
        if let Some((Status::Critical, _)) = short {
            return Err(Error::Critical(line));
        }
        let key = match &plan.key {
            Some(key) => {
                let private = shared::pem::private_key(key, &stage).map_err(|e| match e {
                    KeyFileError::Unreadable(line) => Error::Critical(line),
                    KeyFileError::Encrypted(line) => Error::Unknown(line),
                })?;
                match match_key(&chain[0], &private) {
                    Ok(()) => format!(", key {} matches", key.shown),
                    Err(KeyMismatch::Differs) => {
                        return Err(Error::Critical(format!(
                            "--key-file {} does not match the certificate in {shown}",
                            key.shown
                        )));
                    }
                    Err(KeyMismatch::Unmatchable(what)) => {
                        return Err(Error::Unknown(key.invalid(what)));
                    }
                }
            }
            None => String::new(),
        };
        let mut report = match short {
            Some(_) => Report::warning(format!("{line}{key}")),
            None => Report::ok(format!(
                "{line} (at least {} expected){key}",
                day_count(plan.days)
            )),
        };
        if perfdata {
            report = report.with_perf("cert_days", &limits.perfdata(left));
        }
        Ok(report)
    }
}

/// Why the check did not pass: the certificate or the key fails it
/// (CRITICAL), or the key cannot be judged here (UNKNOWN: encrypted, or of a
/// kind we cannot match).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Exit 2.
    Critical(String),
    /// Exit 3.
    Unknown(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Critical(line) | Error::Unknown(line) => f.write_str(line),
        }
    }
}

impl Failure for Error {
    fn status(&self) -> Status {
        match self {
            Error::Critical(_) => Status::Critical,
            Error::Unknown(_) => Status::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every usage error of the options and of plan(), with its exact line
    /// (the binary prints it after `UNKNOWN: `, exit 3).
    #[test]
    fn usage_errors_say_what_is_wrong() {
        let cases: [(&[&str], &str); 6] = [
            (&["--cert-file", ""], "--cert-file needs a path"),
            (
                &["--cert-file", "c", "--key-file", ""],
                "--key-file needs a path",
            ),
            (
                &["--cert-file", "c", "--warning-days", "15"],
                "--warning-days (15) must be more than --days (15)",
            ),
            (
                &["--cert-file", "c", "--days", "36501"],
                "Error parsing option '--days' with value '36501': expected a number of days from 0 to 36500, got '36501' (see --help)",
            ),
            (
                &["--cert-file", "c", "--warning-days", "+30"],
                "Error parsing option '--warning-days' with value '+30': expected a number of days from 0 to 36500, got '+30' (see --help)",
            ),
            (
                &["--days", "30"],
                "Required options not provided: --cert-file (see --help)",
            ),
        ];
        for (args, line) in cases {
            assert_eq!(
                shared::usage_line::<Args>(args).as_deref(),
                Some(line),
                "{args:?}"
            );
        }
        assert_eq!(shared::usage_line::<Args>(&["--cert-file", "c"]), None);
    }

    #[test]
    fn warning_days_must_exceed_days() {
        let args = |extra: &[&str]| {
            let mut argv = vec!["--cert-file", "c.pem"];
            argv.extend_from_slice(extra);
            Args::from_args(&["check-certificate"], &argv).unwrap()
        };
        assert!(args(&["--warning-days", "15"]).plan().is_err());
        assert!(
            args(&["--days", "20", "--warning-days", "21"])
                .plan()
                .is_ok()
        );
        assert_eq!(args(&[]).days, DEFAULT_DAYS);
    }
}
