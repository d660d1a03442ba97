//! Planning: from the options to a [`Plan`], without I/O, as a short
//! sequence of named steps. Each step checks one concern (URL, redirects, TLS
//! files, credentials, expected content, headers, proxy) and says what is wrong
//! in one usage line; the table in the tests lists every such line.

use std::os::unix::ffi::OsStringExt;

use shared::Usage;
use shared::args::{display_arg, os_arg};
use ureq::http::Uri;
use ureq::http::header::{AUTHORIZATION, HeaderName, HeaderValue, PROXY_AUTHORIZATION};

use crate::args::Args;
use crate::codes::Codes;
use crate::option_files::Secret;
use crate::request::{self, Method};
use crate::target;
use crate::tls::{FileArg, TlsPlan, Trust};

/// Which status codes pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// Those of `--http-code`, and 401 too when `secure` (`--check-secure`).
    Codes { codes: Codes, secure: bool },
    /// Any (`--ignore-code`).
    Any,
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

/// The longest `--expect-content`: the text is shown in messages and looked
/// for in every chunk of the body.
pub const MAX_EXPECT: usize = 4096;

/// Checks the options as a whole and makes the plan. The order of the steps
/// is the order in which errors are reported.
pub fn plan(args: Args) -> Result<Plan, Usage> {
    let url = target::parse_url(&args.url)?;
    // Masked although a URL with credentials is refused: `http://u:123/x@h/`
    // is host `u`, port 123 to a URL parser, and `123/x` a password to a reader.
    let shown =
        shared::report::sanitize(&shared::secret::mask_userinfo(&display_arg(&args.url)), 300);
    let redirects = redirects(args.no_follow, args.max_redirects)?;
    check_paths(&args)?;
    let policy = policy(args.ignore_code, args.http_code, args.check_secure);
    let tls = tls_plan(
        args.insecure,
        args.ca_cert_file,
        args.cert_file,
        args.key_file,
    )?;
    let cert_min_days = cert_min_days(args.cert_min_days, &url)?;
    let auth = auth(args.username, args.password, args.password_file)?;
    let expect = expect(args.expect_content, args.method)?;
    let headers = headers(
        &args.header,
        &args.proxy,
        args.proxy_insecure,
        auth.is_some(),
    )?;
    Ok(Plan {
        url,
        shown,
        policy,
        redirects,
        method: args.method,
        headers,
        auth,
        tls,
        cert_min_days,
        timeout_file: args
            .timeout_file
            .map(|f| FileArg::new("--timeout-file", &f)),
        expect,
        proxy: args.proxy.as_deref().map(proxy).transpose()?,
        proxy_insecure: args.proxy_insecure,
    })
}

/// `--cert-min-days`: only an https:// URL has a certificate to judge.
fn cert_min_days(days: Option<u32>, url: &Uri) -> Result<Option<u32>, Usage> {
    if days.is_some() && url.scheme_str() != Some("https") {
        return Err(Usage::new("--cert-min-days needs an https:// URL"));
    }
    Ok(days)
}

/// `--http-code`, `--check-secure`, `--ignore-code`.
fn policy(ignore_code: bool, http_code: Option<Codes>, check_secure: bool) -> Policy {
    // Like the plugin's ignore-code, --ignore-code wins over --http-code.
    if ignore_code {
        Policy::Any
    } else {
        Policy::Codes {
            codes: http_code.unwrap_or_default(),
            secure: check_secure,
        }
    }
}

/// `--no-follow`, `--max-redirects`.
fn redirects(no_follow: bool, max_redirects: Option<u32>) -> Result<Option<u32>, Usage> {
    match (no_follow, max_redirects) {
        (true, Some(_)) => Err(Usage::new(
            "--no-follow and --max-redirects exclude each other",
        )),
        (true, None) => Ok(None),
        (false, max) => Ok(Some(max.unwrap_or(10))),
    }
}

/// Every option that names a file names one that can exist.
fn check_paths(args: &Args) -> Result<(), Usage> {
    for (option, value) in [
        ("--ca-cert-file", &args.ca_cert_file),
        ("--cert-file", &args.cert_file),
        ("--key-file", &args.key_file),
        ("--password-file", &args.password_file),
        ("--timeout-file", &args.timeout_file),
    ] {
        if let Some(value) = value {
            shared::args::check_path(option, value)?;
        }
    }
    Ok(())
}

/// `-k`, `--ca-cert-file`, `--cert-file`, `--key-file`.
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

/// `--username`, `--password`, `--password-file`.
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

/// `--expect-content`, as bytes.
fn expect(text: Option<String>, method: Method) -> Result<Option<Vec<u8>>, Usage> {
    match text {
        Some(text) if text.is_empty() => Err(Usage::new("--expect-content is empty")),
        Some(text) if text.len() > MAX_EXPECT => Err(Usage::new(format!(
            "--expect-content is longer than {MAX_EXPECT} bytes"
        ))),
        Some(_) if method == Method::Head => Err(Usage::new(
            "--expect-content needs a body: it cannot go with --method HEAD",
        )),
        Some(text) => Ok(Some(os_arg(&text).into_vec())),
        None => Ok(None),
    }
}

/// `--header` lines, and what they may not go with: a Proxy-Authorization
/// without `--proxy`, an Authorization with `--username`; and
/// `--proxy-insecure` without `--proxy`.
fn headers(
    lines: &[String],
    proxy: &Option<String>,
    proxy_insecure: bool,
    basic_auth: bool,
) -> Result<Vec<(HeaderName, HeaderValue)>, Usage> {
    let headers = request::parse_headers(lines)?;
    let has = |wanted: &HeaderName| headers.iter().any(|(name, _)| name == wanted);
    if proxy.is_none() && has(&PROXY_AUTHORIZATION) {
        return Err(Usage::new(
            "--header 'Proxy-Authorization: ...' needs --proxy (it goes on the CONNECT request only)",
        ));
    }
    if proxy_insecure && proxy.is_none() {
        return Err(Usage::new("--proxy-insecure needs --proxy"));
    }
    if basic_auth && has(&AUTHORIZATION) {
        return Err(Usage::new(
            "--username and --header 'Authorization: ...' exclude each other",
        ));
    }
    Ok(headers)
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
        target::check_port_or_credentials(text, authority.as_str())
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

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;

    use proptest::prelude::*;
    use shared::Promise;
    use shared::args::{Exit, parse};

    use super::*;
    use crate::args::MAX_REDIRECTS;

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

    /// Every usage error of the options and of plan(), with its exact line
    /// (the binary prints it after `UNKNOWN: `, exit 3); the black-box tests
    /// run one case of each source through the binary.
    #[test]
    fn usage_errors_say_what_is_wrong() {
        let cases: &[(&[&str], &str)] = &[
            (&["--url", ""], "--url is empty"),
            (
                &["--url", "ftp://h/"],
                "--url ftp://h/: unsupported scheme 'ftp' (http or https)",
            ),
            (
                &["--url", "http://u:p@h/"],
                "--url http://***@h/ holds credentials: use --username with --password or --password-file",
            ),
            (
                &["--url", "http://h:0/"],
                "--url http://h:0/: port 0 is not a port",
            ),
            (
                &["--url", "http://h/", "--no-follow", "--max-redirects", "3"],
                "--no-follow and --max-redirects exclude each other",
            ),
            (
                &["--url", "http://h/", "--password-file", ""],
                "--password-file needs a path",
            ),
            (
                &["--url", "https://h/", "-k", "--ca-cert-file", "ca.pem"],
                "-k/--insecure and --ca-cert-file exclude each other",
            ),
            (
                &["--url", "https://h/", "--cert-file", "c.pem"],
                "--cert-file and --key-file go together",
            ),
            (
                &["--url", "http://h/", "--cert-min-days", "5"],
                "--cert-min-days needs an https:// URL",
            ),
            (
                &[
                    "--url",
                    "http://h/",
                    "--username",
                    "u",
                    "--password",
                    "p",
                    "--password-file",
                    "f",
                ],
                "--password and --password-file exclude each other",
            ),
            (
                &["--url", "http://h/", "--username", "u:v", "--password", "p"],
                "--username cannot hold ':' (HTTP Basic authentication)",
            ),
            (
                &[
                    "--url",
                    "http://h/",
                    "--username",
                    "u\u{7}",
                    "--password",
                    "p",
                ],
                "--username holds a control character, which HTTP Basic authentication cannot carry",
            ),
            (
                &["--url", "http://h/", "--username", "u"],
                "--username needs --password or --password-file",
            ),
            (
                &["--url", "http://h/", "--password", "p"],
                "--password and --password-file need --username",
            ),
            (
                &["--url", "http://h/", "--expect-content", ""],
                "--expect-content is empty",
            ),
            (
                &[
                    "--url",
                    "http://h/",
                    "--expect-content",
                    "a",
                    "--method",
                    "HEAD",
                ],
                "--expect-content needs a body: it cannot go with --method HEAD",
            ),
            (
                &["--url", "http://h/", "--header", "X-A"],
                "--header 'X-A' is not 'Name: value'",
            ),
            (
                &[
                    "--url",
                    "http://h/",
                    "--header",
                    "Proxy-Authorization: Basic x",
                ],
                "--header 'Proxy-Authorization: ...' needs --proxy (it goes on the CONNECT request only)",
            ),
            (
                &["--url", "http://h/", "--proxy-insecure"],
                "--proxy-insecure needs --proxy",
            ),
            (
                &[
                    "--url",
                    "http://h/",
                    "--username",
                    "u",
                    "--password",
                    "p",
                    "--header",
                    "Authorization: Bearer t",
                ],
                "--username and --header 'Authorization: ...' exclude each other",
            ),
            (&["--url", "http://h/", "--proxy", ""], "--proxy is empty"),
            (
                &["--url", "http://h/", "--proxy", "127.0.0.1:3128"],
                "--proxy 127.0.0.1:3128 has no scheme (http:// or https://)",
            ),
            (
                &["--url", "http://h/", "--proxy", "socks5://127.0.0.1:1080"],
                "--proxy socks5://127.0.0.1:1080: only http:// and https:// proxies are supported",
            ),
            (
                &["--url", "http://h/", "--proxy", "http://127.0.0.1:99999"],
                "--proxy http://127.0.0.1:99999: port '99999' is not a port number from 1 to 65535",
            ),
            (
                &["--url", "http://h/", "--http-code", "600"],
                "Error parsing option '--http-code' with value '600': expected status codes from 100 to 599 such as 200, 200,204, 200-399 or 2xx, got '600' (see --help)",
            ),
            (
                &["--url", "http://h/", "--max-redirects", "51"],
                "Error parsing option '--max-redirects' with value '51': expected a number of redirects from 0 to 50, got '51' (see --help)",
            ),
            (
                &["--url", "https://h/", "--cert-min-days", "-1"],
                "Error parsing option '--cert-min-days' with value '-1': expected a number of days from 0 to 36500, got '-1' (see --help)",
            ),
            (
                &["--url", "http://h/", "--method", "POST"],
                "Error parsing option '--method' with value 'POST': expected GET or HEAD, got 'POST' (see --help)",
            ),
            (
                &["--http-code", "200"],
                "Required options not provided: --url (see --help)",
            ),
            (
                &["--url", "127.0.0.1:8080/health"],
                "--url 127.0.0.1:8080/health has no scheme (http:// or https://)",
            ),
            (
                &["--url", "http:///path"],
                "--url http:///path is not a valid URL",
            ),
            (
                &["--url", "http://:8080/"],
                "--url http://:8080/ has no host",
            ),
            (
                &["--url", "http://h/", "--key-file", "/k"],
                "--cert-file and --key-file go together",
            ),
            (
                &["--url", "http://h/", "--header", "X: a\r\nEvil: 1"],
                "--header 'X: a Evil: 1' holds a CR or LF",
            ),
            (
                &["--url", "http://h/", "--header", "Content-Length: 5"],
                "--header 'Content-Length: 5' cannot be set: the request has no body",
            ),
            (
                &["--url", "http://h/", "--http-code", "399-300"],
                "Error parsing option '--http-code' with value '399-300': expected status codes from 100 to 599 such as 200, 200,204, 200-399 or 2xx, got '399-300' (see --help)",
            ),
            (
                &["--url", "http://h/", "--http-code", "abc"],
                "Error parsing option '--http-code' with value 'abc': expected status codes from 100 to 599 such as 200, 200,204, 200-399 or 2xx, got 'abc' (see --help)",
            ),
        ];
        for (args, line) in cases {
            assert_eq!(
                shared::usage_line::<Args>(args).as_deref(),
                Some(*line),
                "{args:?}"
            );
        }
        let long = "a".repeat(MAX_EXPECT + 1);
        assert_eq!(
            shared::usage_line::<Args>(&["--url", "http://h/", "--expect-content", &long]),
            Some(format!(
                "--expect-content is longer than {MAX_EXPECT} bytes"
            ))
        );
        let long_url = format!("http://h/{}", "a".repeat(8 * 1024));
        assert_eq!(
            shared::usage_line::<Args>(&["--url", &long_url]).as_deref(),
            Some("--url is longer than 8192 bytes")
        );
        let long_password = "p".repeat(1024);
        assert_eq!(
            shared::usage_line::<Args>(&[
                "--url",
                "http://h/",
                "--username",
                "u",
                "--password",
                &long_password
            ])
            .as_deref(),
            Some("--username and its password are longer than 1024 bytes together")
        );
        assert_eq!(shared::usage_line::<Args>(&["--url", "http://h/"]), None);
    }
}
