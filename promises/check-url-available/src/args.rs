//! The command line: the options as argh reads them (their doc comments are
//! the help text) and the parsers of the numbers they take. Whether the
//! options make sense together is [`crate::plan`]'s business.

use argh::FromArgs;

use crate::codes::Codes;
use crate::request::{self, Method};

shared::promise_options! {
/// Checks that an HTTP or HTTPS URL answers with an expected status code, and
/// optionally content and certificate lifetime. Redirects are followed and the
/// final response is judged. TLS is verified unless -k is given.
#[derive(FromArgs, Debug)]
#[argh(
    example = "{command_name} --url http://127.0.0.1:8080/health\n{command_name} --url https://[::1]:8443/ -k --http-code 200-399 --timeout 5\n{command_name} --url https://example.net/ --cert-min-days 14 --expect-content 'Welcome'\n{command_name} --url https://[::1]:8443/admin --check-secure --ca-cert-file etc/ca.crt",
    note = "Options also take the form --option=value. A host name that does not resolve is CRITICAL. Proxy variables in the environment (http_proxy, ...) are ignored; use --proxy. Basic credentials and --header lines only go to the URL's own scheme, host and port, not to redirect targets elsewhere; --header 'Name:' (empty) removes a header, User-Agent included. The password never appears in output.",
    error_code(0, "OK: the URL answered as expected"),
    error_code(1, "WARNING: the certificate expires within --cert-min-days"),
    error_code(
        2,
        "CRITICAL: unexpected status or content, TLS failure, expired certificate, refused, unresolvable or timed out"
    ),
    error_code(
        3,
        "UNKNOWN: bad usage, or a CA, certificate, key or password file that cannot be used"
    )
)]
pub struct Args {
    /// the URL to check: http:// or https://, IPv6 literals in brackets (http://[::1]:8080/)
    #[argh(option)]
    pub url: String,

    /// status codes that pass, comma-separated codes, ranges and classes: 200,204 or 200-399 or 2xx (default: 200)
    #[argh(option, from_str_fn(Codes::parse), arg_name = "list")]
    pub http_code: Option<Codes>,

    /// any HTTP response passes, whatever its status and --http-code (a failed connection still fails)
    #[argh(switch)]
    pub ignore_code: bool,

    /// a 401 (authentication required) passes too: the service is up and protected
    #[argh(switch)]
    pub check_secure: bool,

    /// judge the first response instead of following redirects
    #[argh(switch)]
    pub no_follow: bool,

    /// the most redirects to follow before failing, 0 to 50 (default: 10)
    #[argh(option, arg_name = "n", from_str_fn(parse_max_redirects))]
    pub max_redirects: Option<u32>,

    /// do not verify the certificate of the URL's servers (what the SlapOS scripts did); an https:// --proxy is still verified
    #[argh(switch, short = 'k')]
    pub insecure: bool,

    /// verify the URL's servers against this PEM file instead of the built-in Mozilla roots: its CAs valid now vouch for what they sign, and any of its certificates is trusted as itself (name, dates and key usage checked)
    #[argh(option, arg_name = "file")]
    pub ca_cert_file: Option<String>,

    /// present this client certificate (PEM, chain allowed); needs --key-file
    #[argh(option, arg_name = "file")]
    pub cert_file: Option<String>,

    /// private key of --cert-file (PEM: PKCS#8, PKCS#1 or SEC1; may be the same file)
    #[argh(option, arg_name = "file")]
    pub key_file: Option<String>,

    /// WARNING when the URL's certificate (never the proxy's) expires within this many days (0 to 36500), CRITICAL once it has expired (https only)
    #[argh(option, arg_name = "days", from_str_fn(parse_cert_min_days))]
    pub cert_min_days: Option<u32>,

    /// user name for HTTP Basic authentication; needs --password or --password-file
    #[argh(option)]
    pub username: Option<String>,

    /// password for --username (prefer --password-file: arguments are visible to other users)
    #[argh(option)]
    pub password: Option<String>,

    /// file whose first line is the password for --username
    #[argh(option, arg_name = "file")]
    pub password_file: Option<String>,

    /// file holding the timeout in seconds, read at every run; overrides --timeout when it holds a number, ignored when missing, empty or not a number
    #[argh(option, arg_name = "file")]
    pub timeout_file: Option<String>,

    /// the body must contain this text; read as it arrives, at most 10 MiB
    #[argh(option, arg_name = "text")]
    pub expect_content: Option<String>,

    /// GET or HEAD (default: GET)
    #[argh(option, from_str_fn(request::parse_method), default = "Method::Get")]
    pub method: Method,

    /// an extra request header 'Name: value', sent to the URL's own origin only; 'Name:' removes it (User-Agent, Accept); repeatable
    #[argh(option, arg_name = "line")]
    pub header: Vec<String>,

    /// send the request through this HTTP proxy (http://host:port, CONNECT) (default: none, whatever the environment says)
    #[argh(option)]
    pub proxy: Option<String>,

    /// do not verify the certificate of an https:// --proxy (-k is for the URL only)
    #[argh(switch)]
    pub proxy_insecure: bool,
}
timeout = "seconds the whole check may take, redirects and DNS included; fractions allowed (default: 10)",
perfdata = "append Nagios performance data (response time, certificate days left) after a | on success",
}

/// The most `--max-redirects`: curl's default; a longer chain is a loop or an
/// attack, and every URL of it is kept to tell a loop.
pub const MAX_REDIRECTS: u32 = 50;

/// The most `--cert-min-days`: a hundred years.
pub const MAX_CERT_MIN_DAYS: u32 = 36_500;

pub(crate) fn parse_max_redirects(value: &str) -> Result<u32, String> {
    shared::args::parse_count(value, MAX_REDIRECTS, "a number of redirects")
}

pub(crate) fn parse_cert_min_days(value: &str) -> Result<u32, String> {
    shared::args::parse_count(value, MAX_CERT_MIN_DAYS, "a number of days")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_plain_digits_within_range() {
        assert_eq!(parse_max_redirects("0"), Ok(0));
        assert_eq!(parse_max_redirects("50"), Ok(50));
        assert_eq!(parse_cert_min_days("36500"), Ok(36_500));
        for bad in [
            "51",
            "+5",
            "-0",
            " 5",
            "5 ",
            "0x10",
            "1e3",
            "",
            "99999999999999999999",
        ] {
            assert!(parse_max_redirects(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            parse_cert_min_days("36501").unwrap_err(),
            "expected a number of days from 0 to 36500, got '36501'"
        );
    }
}
