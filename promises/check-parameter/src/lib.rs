//! Checks a value baked into the wrapper at instantiation: that it is an IPv4
//! or IPv6 address, equals an expected value, or differs from a forbidden one.
//!
//! Replaces the SlapOS cookbook recipe `check_parameter`, which wrote a CPython
//! script holding the value and started an interpreter at every run to compare
//! two strings. SlapOS uses it to hold a partition broken until a published
//! parameter is the one requested (`expected-value`) or no longer a placeholder
//! (`expected-not-value = not-ready`). The value is known when the wrapper is
//! written and a new one rewrites the wrapper, so the check does no I/O at all.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use argh::FromArgs;
use shared::args::display_arg;
use shared::{Deadline, Failure, Promise, Report, Usage};

shared::promise_options! {
/// Checks a value baked in at instantiation: that it is an IPv4 or IPv6
/// address, that it equals --expected, that it differs from --not-expected.
/// Every check given must pass.
#[derive(FromArgs, Debug)]
#[argh(
    example = "{command_name} --name software-release-url --value \"$PUBLISHED\" --expected https://lab.example/software.cfg\n{command_name} --name test-runner-url --value not-ready --not-expected not-ready\n{command_name} --value 2001:db8::1 --type ipv6",
    note = "Options also take the form --option=value. Values are compared byte for byte; an empty --expected means the value must be empty. Give at least one of --type, --expected, --not-expected.",
    error_code(0, "OK: the value passes every check given"),
    error_code(2, "CRITICAL: it does not"),
    error_code(3, "UNKNOWN: bad usage")
)]
pub struct Args {
    /// the value to check (may be empty)
    #[argh(option)]
    pub value: String,

    /// ipv4 or ipv6: the value must be such an address (no port, no zone)
    #[argh(option)]
    pub r#type: Option<AddressType>,

    /// the value must be exactly this
    #[argh(option)]
    pub expected: Option<String>,

    /// the value must not be this
    #[argh(option)]
    pub not_expected: Option<String>,

    /// what the value is, for the line, e.g. software-release-url (default: value)
    #[argh(option, default = "String::from(\"value\")")]
    pub name: String,

}
timeout = "seconds the whole check may take; fractions allowed (default: 10)",
perfdata = "accepted for symmetry with the other promises; there is no measure to report",
}

/// The address family `--type` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressType {
    /// A dotted-quad IPv4 address.
    Ipv4,
    /// An IPv6 address, without brackets or zone.
    Ipv6,
}

impl FromStr for AddressType {
    type Err = String;

    fn from_str(text: &str) -> Result<AddressType, String> {
        match text {
            "ipv4" => Ok(AddressType::Ipv4),
            "ipv6" => Ok(AddressType::Ipv6),
            _ => Err(format!(
                "expected ipv4 or ipv6, got '{}'",
                display_arg(text)
            )),
        }
    }
}

impl AddressType {
    fn accepts(self, value: &str) -> bool {
        match self {
            AddressType::Ipv4 => Ipv4Addr::from_str(value).is_ok(),
            AddressType::Ipv6 => Ipv6Addr::from_str(value).is_ok(),
        }
    }

    fn with_article(self) -> &'static str {
        match self {
            AddressType::Ipv4 => "an IPv4 address",
            AddressType::Ipv6 => "an IPv6 address",
        }
    }
}

/// How many characters of a value the line shows.
pub const SHOWN_VALUE_CHARS: usize = 200;

/// The longest value, name or expectation: the kernel's limit for one argument.
pub const MAX_VALUE: usize = 128 * 1024 - 1;

/// The validated check.
#[derive(Debug, Clone)]
pub struct Plan {
    name: String,
    value: String,
    address: Option<AddressType>,
    expected: Option<String>,
    not_expected: Option<String>,
}

/// The value is not what it must be (CRITICAL).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Failure for Error {}

fn quoted(value: &str) -> String {
    format!(
        "'{}'",
        shared::report::sanitize(&display_arg(value), SHOWN_VALUE_CHARS)
    )
}

impl Promise for Args {
    type Plan = Plan;
    type Error = Error;

    fn plan(self) -> Result<Plan, Usage> {
        if self.r#type.is_none() && self.expected.is_none() && self.not_expected.is_none() {
            return Err(Usage::new(
                "nothing to check: give --type, --expected or --not-expected",
            ));
        }
        for (option, text) in [
            ("--value", Some(&self.value)),
            ("--name", Some(&self.name)),
            ("--expected", self.expected.as_ref()),
            ("--not-expected", self.not_expected.as_ref()),
        ] {
            if text.is_some_and(|t| t.len() > MAX_VALUE) {
                return Err(Usage::new(format!(
                    "{option} is longer than {MAX_VALUE} bytes"
                )));
            }
        }
        if self.name.trim().is_empty() {
            return Err(Usage::new("--name is empty"));
        }
        Ok(Plan {
            name: shared::report::sanitize(&display_arg(&self.name), 100),
            value: self.value,
            address: self.r#type,
            expected: self.expected,
            not_expected: self.not_expected,
        })
    }

    fn execute(plan: Plan, _deadline: &Deadline, _perfdata: bool) -> Result<Report, Error> {
        let Plan {
            name,
            value,
            address,
            expected,
            not_expected,
        } = plan;
        let shown = quoted(&value);
        // Non-UTF-8 arguments arrive encoded (shared::args): compare the bytes
        // the user gave, not their encoding.
        let raw = |text: &str| shared::args::os_arg(text);
        let mut passed = Vec::new();
        if let Some(address) = address {
            if !address.accepts(&value) {
                return Err(Error(format!(
                    "{name} is {shown}, expected {}",
                    address.with_article()
                )));
            }
            passed.push(address.with_article().to_owned());
        }
        if let Some(expected) = &expected {
            if raw(&value) != raw(expected) {
                return Err(Error(format!(
                    "{name} is {shown}, expected {}",
                    quoted(expected)
                )));
            }
            passed.push("as expected".to_owned());
        }
        if let Some(forbidden) = &not_expected {
            if raw(&value) == raw(forbidden) {
                return Err(Error(format!("{name} is {shown}, expected anything else")));
            }
            passed.push(format!("not {}", quoted(forbidden)));
        }
        Ok(Report::ok(format!(
            "{name} is {shown}: {}",
            passed.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(args: &[&str]) -> Result<String, String> {
        let args: Args =
            argh::FromArgs::from_args(&["check-parameter"], args).map_err(|e| e.output)?;
        let plan = args.plan().map_err(|u| u.0)?;
        <Args as Promise>::execute(
            plan,
            &Deadline::unguarded(std::time::Duration::from_secs(1)),
            false,
        )
        .map(|r| r.message)
        .map_err(|e| e.0)
    }

    /// Every usage error of the options and of plan(), with its exact line
    /// (the binary prints it after `UNKNOWN: `, exit 3); the black-box tests
    /// run one case of each source through the binary.
    #[test]
    fn usage_errors_say_what_is_wrong() {
        let long = "x".repeat(MAX_VALUE + 1);
        let cases: [(&[&str], &str); 6] = [
            (
                &["--value", "x"],
                "nothing to check: give --type, --expected or --not-expected",
            ),
            (
                &["--type", "ipv4"],
                "Required options not provided: --value (see --help)",
            ),
            (
                &["--value", "x", "--type", "ipv5"],
                "Error parsing option '--type' with value 'ipv5': expected ipv4 or ipv6, got 'ipv5' (see --help)",
            ),
            (
                &["--value", "x", "--expected", "x", "--name", " "],
                "--name is empty",
            ),
            (
                &["--value", &long, "--expected", "x"],
                "--value is longer than 131071 bytes",
            ),
            (
                &["--value", "x", "--not-expected", &long],
                "--not-expected is longer than 131071 bytes",
            ),
        ];
        for (args, line) in cases {
            assert_eq!(
                shared::usage_line::<Args>(args).as_deref(),
                Some(line),
                "{}",
                args[0]
            );
        }
        assert_eq!(
            shared::usage_line::<Args>(&["--value", "", "--expected", ""]),
            None
        );
    }

    #[test]
    fn addresses_are_checked_strictly() {
        for good in ["127.0.0.1", "10.0.0.255"] {
            assert!(
                check(&["--value", good, "--type", "ipv4"]).is_ok(),
                "{good}"
            );
        }
        for bad in [
            "",
            "1.2.3",
            "01.2.3.4",
            "1.2.3.256",
            " 1.2.3.4",
            "::1",
            "host",
        ] {
            assert!(check(&["--value", bad, "--type", "ipv4"]).is_err(), "{bad}");
        }
        for good in ["::1", "2001:db8::1", "::ffff:1.2.3.4"] {
            assert!(
                check(&["--value", good, "--type", "ipv6"]).is_ok(),
                "{good}"
            );
        }
        for bad in ["", "[::1]", "fe80::1%eth0", "1.2.3.4", ":::"] {
            assert!(check(&["--value", bad, "--type", "ipv6"]).is_err(), "{bad}");
        }
        assert_eq!(
            check(&["--value", "::1", "--type", "ipv4", "--name", "ip"]).unwrap_err(),
            "ip is '::1', expected an IPv4 address"
        );
    }

    #[test]
    fn values_are_compared_exactly() {
        assert_eq!(
            check(&["--value", "http://a/", "--expected", "http://a/"]).unwrap(),
            "value is 'http://a/': as expected"
        );
        assert_eq!(
            check(&[
                "--value",
                "http://a",
                "--expected",
                "http://a/",
                "--name",
                "url"
            ])
            .unwrap_err(),
            "url is 'http://a', expected 'http://a/'"
        );
        assert_eq!(
            check(&["--value", "not-ready", "--not-expected", "not-ready"]).unwrap_err(),
            "value is 'not-ready', expected anything else"
        );
        assert_eq!(
            check(&["--value", "http://b", "--not-expected", "not-ready"]).unwrap(),
            "value is 'http://b': not 'not-ready'"
        );
        assert!(check(&["--value", "", "--expected", ""]).is_ok());
        assert!(check(&["--value", "x", "--expected", ""]).is_err());
    }

    #[test]
    fn something_must_be_checked() {
        assert_eq!(
            check(&["--value", "x"]).unwrap_err(),
            "nothing to check: give --type, --expected or --not-expected"
        );
        assert!(check(&["--value", "x", "--type", "ipv5"]).is_err());
        assert!(check(&["--value", "x", "--expected", "x", "--name", " "]).is_err());
    }
}
