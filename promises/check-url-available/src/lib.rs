//! Checks that an HTTP or HTTPS URL answers as expected: status code, content,
//! certificate lifetime.
//!
//! Replaces SlapOS's dash+curl `check_url_available` and `check_page_content`
//! recipes and the python-requests `check_url_available` plugin. Unlike them,
//! it verifies TLS by default (`-k` is the old behaviour), ignores proxy
//! variables from the environment (a local check sent to a proxy is the classic
//! false alarm), and never reads a body it was not asked to look into.

mod check;
mod codes;
mod content;
mod failure;
mod net;
mod request;
mod target;
mod tls;

use std::fmt;
use std::os::unix::ffi::OsStringExt;
use std::time::Duration;

use argh::FromArgs;
use shared::args::{display_arg, os_arg, parse_seconds};
use shared::{Deadline, Promise, Report, Usage};
use ureq::http::Uri;
use ureq::http::header::{HeaderName, HeaderValue};

pub use codes::Codes;
pub use failure::Error;
pub use request::Method;
pub use tls::{FileArg, TlsPlan, Trust};

/// The parsers of what users and servers hand us, for the fuzz targets in
/// `fuzz/` (the check itself uses them through their modules).
#[doc(hidden)]
pub mod parsers {
    pub use crate::content::{Found, find};
    pub use crate::request::{MAX_HEADER_BYTES, basic_auth, check_credential, parse_headers};
    pub use crate::target::{MAX_URL, bare_host, host_port, parse_url, resolve, same_origin};
    pub use shared::x509::{format_utc, validity};
}

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

/// Which status codes pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// Those of `--http-code`, and 401 too when `secure` (`--check-secure`).
    Codes { codes: Codes, secure: bool },
    /// Any (`--ignore-code`).
    Any,
}

/// Where the password comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// `--password`.
    Given(Vec<u8>),
    /// `--password-file`, read at run time.
    File(FileArg),
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Given(_) => f.write_str("Given(..)"),
            Secret::File(file) => f.debug_tuple("File").field(file).finish(),
        }
    }
}

/// The validated check, made from the options without I/O.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The URL requested first.
    pub url: Uri,
    /// The URL as the user wrote it, for messages.
    pub shown: String,
    /// Which status codes pass.
    pub policy: Policy,
    /// The most redirects to follow; `None` with `--no-follow`.
    pub redirects: Option<u32>,
    /// GET or HEAD.
    pub method: Method,
    /// `--header` lines.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// `--username` and where its password comes from.
    pub auth: Option<(Vec<u8>, Secret)>,
    /// TLS trust and client certificate.
    pub tls: TlsPlan,
    /// `--cert-min-days`.
    pub cert_min_days: Option<u32>,
    /// `--timeout-file`.
    pub timeout_file: Option<FileArg>,
    /// `--expect-content`, as bytes.
    pub expect: Option<Vec<u8>>,
    /// `--proxy`.
    pub proxy: Option<ureq::Proxy>,
    /// `--proxy-insecure`.
    pub proxy_insecure: bool,
}

impl Promise for Args {
    type Plan = Plan;
    type Error = Error;

    fn plan(self) -> Result<Plan, Usage> {
        let url = target::parse_url(&self.url)?;
        let shown = shared::report::sanitize(&display_arg(&self.url), 300);
        let https = url.scheme_str() == Some("https");
        // Like the plugin's ignore-code, --ignore-code wins over --http-code.
        let policy = if self.ignore_code {
            Policy::Any
        } else {
            Policy::Codes {
                codes: self.http_code.unwrap_or_default(),
                secure: self.check_secure,
            }
        };
        let redirects = match (self.no_follow, self.max_redirects) {
            (true, Some(_)) => {
                return Err(Usage::new(
                    "--no-follow and --max-redirects exclude each other",
                ));
            }
            (true, None) => None,
            (false, max) => Some(max.unwrap_or(10)),
        };
        for (option, value) in [
            ("--ca-cert-file", &self.ca_cert_file),
            ("--cert-file", &self.cert_file),
            ("--key-file", &self.key_file),
            ("--password-file", &self.password_file),
            ("--timeout-file", &self.timeout_file),
        ] {
            if let Some(value) = value {
                shared::args::check_path(option, value)?;
            }
        }
        let tls = tls_plan(
            self.insecure,
            self.ca_cert_file,
            self.cert_file,
            self.key_file,
        )?;
        if self.cert_min_days.is_some() && !https {
            return Err(Usage::new("--cert-min-days needs an https:// URL"));
        }
        let auth = auth(self.username, self.password, self.password_file)?;
        let expect = match self.expect_content {
            Some(text) if text.is_empty() => return Err(Usage::new("--expect-content is empty")),
            Some(text) if text.len() > MAX_EXPECT => {
                return Err(Usage::new(format!(
                    "--expect-content is longer than {MAX_EXPECT} bytes"
                )));
            }
            Some(_) if self.method == Method::Head => {
                return Err(Usage::new(
                    "--expect-content needs a body: it cannot go with --method HEAD",
                ));
            }
            Some(text) => Some(os_arg(&text).into_vec()),
            None => None,
        };
        let headers = request::parse_headers(&self.header)?;
        let proxy_authorization = ureq::http::header::PROXY_AUTHORIZATION;
        if self.proxy.is_none() && headers.iter().any(|(name, _)| *name == proxy_authorization) {
            return Err(Usage::new(
                "--header 'Proxy-Authorization: ...' needs --proxy (it goes on the CONNECT request only)",
            ));
        }
        if self.proxy_insecure && self.proxy.is_none() {
            return Err(Usage::new("--proxy-insecure needs --proxy"));
        }
        let authorization = ureq::http::header::AUTHORIZATION;
        if auth.is_some() && headers.iter().any(|(name, _)| *name == authorization) {
            return Err(Usage::new(
                "--username and --header 'Authorization: ...' exclude each other",
            ));
        }
        Ok(Plan {
            url,
            shown,
            policy,
            redirects,
            method: self.method,
            headers,
            auth,
            tls,
            cert_min_days: self.cert_min_days,
            timeout_file: self
                .timeout_file
                .map(|f| FileArg::new("--timeout-file", &f)),
            expect,
            proxy: self.proxy.as_deref().map(proxy).transpose()?,
            proxy_insecure: self.proxy_insecure,
        })
    }

    /// `--timeout-file`, read under the deadline of `--timeout`: a file on a
    /// hung mount cannot hold the run beyond it.
    fn deadline(plan: &Plan, started: Deadline) -> Deadline {
        let Some(file) = &plan.timeout_file else {
            return started;
        };
        started.set_stage(
            &plan.shown,
            &format!("reading --timeout-file {}", file.shown),
        );
        match timeout_from_file(file) {
            Some(timeout) => started.retime(timeout, &plan.shown),
            None => started,
        }
    }

    fn execute(plan: Plan, deadline: &Deadline, perfdata: bool) -> Result<Report, Error> {
        let stage = |file: &FileArg| {
            deadline.set_stage(
                &plan.shown,
                &format!("reading {} {}", file.option, file.shown),
            );
        };
        let tls = tls::Tls::load(plan.tls.clone(), &stage).map_err(Error::Config)?;
        let authorization = match &plan.auth {
            Some((username, secret)) => Some(
                request::basic_auth(username, &password(secret, &stage)?).map_err(Error::Config)?,
            ),
            None => None,
        };
        check::run(&plan, tls, authorization, deadline, perfdata)
    }
}

fn tls_plan(
    insecure: bool,
    ca_cert_file: Option<String>,
    cert_file: Option<String>,
    key_file: Option<String>,
) -> Result<TlsPlan, Usage> {
    let trust = match (insecure, ca_cert_file) {
        (true, Some(_)) => {
            return Err(Usage::new(
                "-k/--insecure and --ca-cert-file exclude each other",
            ));
        }
        (true, None) => Trust::Insecure,
        (false, Some(file)) => Trust::CaFile(FileArg::new("--ca-cert-file", &file)),
        (false, None) => Trust::WebPki,
    };
    let client = match (cert_file, key_file) {
        (Some(cert), Some(key)) => Some((
            FileArg::new("--cert-file", &cert),
            FileArg::new("--key-file", &key),
        )),
        (None, None) => None,
        _ => return Err(Usage::new("--cert-file and --key-file go together")),
    };
    Ok(TlsPlan { trust, client })
}

fn auth(
    username: Option<String>,
    password: Option<String>,
    password_file: Option<String>,
) -> Result<Option<(Vec<u8>, Secret)>, Usage> {
    let secret = match (password, password_file) {
        (Some(_), Some(_)) => {
            return Err(Usage::new(
                "--password and --password-file exclude each other",
            ));
        }
        (Some(password), None) => Some(Secret::Given(os_arg(&password).into_vec())),
        (None, Some(file)) => Some(Secret::File(FileArg::new("--password-file", &file))),
        (None, None) => None,
    };
    match (username, secret) {
        (Some(user), Some(secret)) => {
            // RFC 7617 allows an empty user name.
            let user = os_arg(&user).into_vec();
            if user.contains(&b':') {
                return Err(Usage::new(
                    "--username cannot hold ':' (HTTP Basic authentication)",
                ));
            }
            request::check_credential("--username", &user).map_err(Usage)?;
            if let Secret::Given(password) = &secret {
                request::check_credential("--password", password).map_err(Usage)?;
                request::basic_auth(&user, password).map_err(Usage)?;
            }
            Ok(Some((user, secret)))
        }
        (Some(_), None) => Err(Usage::new("--username needs --password or --password-file")),
        (None, Some(_)) => Err(Usage::new("--password and --password-file need --username")),
        (None, None) => Ok(None),
    }
}

/// `--proxy`: an HTTP (CONNECT) proxy; ureq knows SOCKS only with a feature we
/// leave out. The scheme is required: ureq would take `nan` for `http://nan`.
fn proxy(text: &str) -> Result<ureq::Proxy, Usage> {
    let shown = shared::secret::mask_userinfo(&display_arg(text));
    let shown = shared::report::sanitize(&shown, 200);
    if text.is_empty() {
        return Err(Usage::new("--proxy is empty"));
    }
    if text.len() > target::MAX_URL {
        return Err(Usage::new(format!(
            "--proxy is longer than {} bytes",
            target::MAX_URL
        )));
    }
    if !text.contains("://") {
        return Err(Usage::new(format!(
            "--proxy {shown} has no scheme (http:// or https://)"
        )));
    }
    if let Some(authority) = text.parse::<Uri>().ok().as_ref().and_then(Uri::authority) {
        target::check_port(authority.as_str())
            .map_err(|why| Usage::new(format!("--proxy {shown}: {why}")))?;
    }
    let proxy = ureq::Proxy::new(text)
        .map_err(|_| Usage::new(format!("--proxy {shown} is not a valid proxy URL")))?;
    match proxy.protocol() {
        ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https => Ok(proxy),
        _ => Err(Usage::new(format!(
            "--proxy {shown}: only http:// and https:// proxies are supported"
        ))),
    }
}

/// The password: given, or the first line of its file.
fn password(secret: &Secret, stage: tls::Stage<'_>) -> Result<Vec<u8>, Error> {
    let file = match secret {
        Secret::Given(password) => return Ok(password.clone()),
        Secret::File(file) => file,
    };
    let content = file.read(stage).map_err(Error::Config)?;
    let line = content.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return Err(Error::Config(format!(
            "--password-file {} has an empty first line",
            file.shown
        )));
    }
    request::check_credential(
        &format!("the first line of --password-file {}", file.shown),
        line,
    )
    .map_err(Error::Config)?;
    Ok(line.to_vec())
}

/// The longest `--expect-content`: the text is shown in messages and looked
/// for in every chunk of the body.
pub const MAX_EXPECT: usize = 4096;

/// The most `--max-redirects`: curl's default; a longer chain is a loop or an
/// attack, and every URL of it is kept to tell a loop.
pub const MAX_REDIRECTS: u32 = 50;

/// The most `--cert-min-days`: a hundred years.
pub const MAX_CERT_MIN_DAYS: u32 = 36_500;

fn parse_max_redirects(value: &str) -> Result<u32, String> {
    shared::args::parse_count(value, MAX_REDIRECTS, "a number of redirects")
}

fn parse_cert_min_days(value: &str) -> Result<u32, String> {
    shared::args::parse_count(value, MAX_CERT_MIN_DAYS, "a number of days")
}

/// `--timeout-file`: a positive number of seconds, or nothing usable.
#[must_use]
pub fn timeout_from_file(file: &FileArg) -> Option<Duration> {
    // Opening a FIFO blocks and a device may never end: regular files only, a few bytes.
    if !std::fs::metadata(&file.path).ok()?.is_file() {
        return None;
    }
    let bytes = shared::file::read_prefix(std::path::Path::new(&file.path), 64).ok()?;
    parse_seconds(std::str::from_utf8(&bytes).ok()?.trim()).ok()
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;

    use proptest::prelude::*;
    use shared::args::{Exit, parse};

    use super::*;

    /// Options, values that fit them, values that do not, and noise.
    fn word() -> impl Strategy<Value = Vec<u8>> {
        let words: Vec<&[u8]> = vec![
            b"--url",
            b"http://127.0.0.1:8080/",
            b"https://[::1]/",
            b"--http-code",
            b"200-399,5xx",
            b"--max-redirects",
            b"50",
            b"--cert-min-days",
            b"+5",
            b"--username",
            b"u:v",
            b"--password",
            b"p\x07",
            b"--password-file",
            b"--timeout-file",
            b"--header",
            b"X-A: b",
            b"--proxy",
            b"http://[::1]:3128",
            b"--expect-content",
            b"--method",
            b"HEAD",
            b"-k",
            b"--ca-cert-file",
            b"--no-follow",
            b"--ignore-code",
            b"--timeout=0.5",
        ];
        prop_oneof![
            4 => proptest::sample::select(words).prop_map(<[u8]>::to_vec),
            1 => proptest::collection::vec(1u8..=255, 0..8),
        ]
    }

    proptest! {
        #[test]
        fn any_command_line_plans_or_is_one_usage_line(words in proptest::collection::vec(word(), 0..10)) {
            let argv: Vec<OsString> = words.into_iter().map(OsString::from_vec).collect();
            match parse::<Args>("check-url-available", "0", argv) {
                Ok(args) => match args.plan() {
                    Ok(plan) => {
                        prop_assert!(plan.redirects.is_none_or(|n| n <= MAX_REDIRECTS));
                        prop_assert!(plan.expect.as_ref().is_none_or(|e| !e.is_empty() && e.len() <= MAX_EXPECT));
                    }
                    Err(usage) => prop_assert!(!usage.0.is_empty() && !usage.0.contains('\n')),
                },
                Err(Exit::Info(_)) => {}
                Err(Exit::Usage(usage)) => prop_assert!(!usage.0.contains('\n'), "{:?}", usage.0),
            }
        }
    }

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
