//! The wording of the check's verdicts, in one place: the error the check
//! ends with, how a failed request reads (from ureq's error and what the check
//! was doing), and every CRITICAL, WARNING and OK line of the check itself
//! (status, redirects, content, certificate lifetime, proxy refusals). A line
//! an operator reads at 3 a.m. is found here, not spread through the transport.
//!
//! Three families stay with what they describe, each in one place too: usage
//! lines at the plan step that finds them (all tabled in `plan`'s tests), why
//! a file option cannot be used (`option_files`, `shared::pem`), and the reason
//! rustls refused a handshake (`tls::describe`, which reads rustls's errors).

use std::fmt;

use shared::report::{describe_io, sanitize};
use shared::{Deadline, Failure, Status};
use ureq::http::Uri;

use crate::net::{Phase, Progress};
use crate::target;

/// What the check found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A file an option names cannot be used (exit 3).
    Config(String),
    /// The URL did not answer as expected (exit 2).
    Failed(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(message) | Error::Failed(message) => f.write_str(message),
        }
    }
}

impl Failure for Error {
    fn status(&self) -> Status {
        match self {
            Error::Config(_) => Status::Unknown,
            Error::Failed(_) => Status::Critical,
        }
    }
}

/// What went wrong, from ureq's error and what the check was doing: the
/// line after `CRITICAL: `.
pub fn transport(
    error: ureq::Error,
    progress: &Progress,
    deadline: &Deadline,
    subject: &str,
    uri: &Uri,
) -> String {
    let phase = progress.phase();
    let host = target::bare_host(uri);
    // `http://a/ TLS: ...`, but `http://a/ redirected to https://b/, which failed TLS: ...`.
    let tls_subject = if subject.ends_with(", which") {
        format!("{subject} failed")
    } else {
        subject.to_owned()
    };
    // A TLS failure with the proxy is the proxy's, whatever the URL.
    let (tls_subject, host) = match &phase {
        Phase::ProxyHandshake(address) => (
            format!("{subject} cannot go through the proxy {address}:"),
            address
                .rsplit_once(':')
                .map_or(address.as_str(), |(host, _)| host)
                .trim_start_matches('[')
                .trim_end_matches(']'),
        ),
        _ => (tls_subject, host),
    };
    let io = match error {
        ureq::Error::Timeout(_) => return deadline.timed_out(subject, &phase.activity()),
        ureq::Error::Rustls(e) => {
            return format!("{tls_subject} TLS: {}", crate::tls::describe(&e, host));
        }
        ureq::Error::Io(io) => io,
        ureq::Error::HostNotFound => {
            return format!("{subject} cannot resolve {host}: no address found");
        }
        ureq::Error::Protocol(e) => {
            let why = e.to_string();
            let why = why
                .strip_prefix("http parse fail: ")
                .or_else(|| why.strip_prefix("http parse resulted in "))
                .unwrap_or(&why);
            return format!(
                "{subject} sent an invalid HTTP response: {}",
                sanitize(why, 200)
            );
        }
        ureq::Error::LargeResponseHeader(_, max) => {
            return format!(
                "{subject} sent response headers larger than {} KiB",
                max / 1024
            );
        }
        // `why` starts with the proxy as shown (see the `proxy_` functions).
        ureq::Error::ConnectProxyFailed(why) => {
            return format!("{subject} cannot go through the proxy {why}");
        }
        ureq::Error::Tls(why) => return format!("{tls_subject} TLS: {why}"),
        other => return format!("{subject} failed: {}", sanitize(&other.to_string(), 200)),
    };
    if let Some(tls) = io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
        return format!("{tls_subject} TLS: {}", crate::tls::describe(tls, host));
    }
    if io.kind() == std::io::ErrorKind::TimedOut {
        return deadline.timed_out(subject, &phase.activity());
    }
    let closed = matches!(
        io.kind(),
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
    );
    match phase {
        Phase::Resolving(host) => format!("{subject} cannot resolve {host}: {}", describe_io(&io)),
        Phase::Connecting(address) => {
            format!(
                "{subject} cannot connect to {address}: {}",
                describe_io(&io)
            )
        }
        Phase::Handshake(address) | Phase::ProxyHandshake(address) if closed => {
            format!("{tls_subject} TLS: {address} closed the connection during the handshake")
        }
        Phase::Handshake(address) | Phase::ProxyHandshake(address) => format!(
            "{tls_subject} TLS: the handshake with {address} failed: {}",
            describe_io(&io)
        ),
        Phase::Waiting if closed => {
            format!("{subject} closed the connection before the response headers")
        }
        Phase::Waiting => format!(
            "{subject} failed waiting for the response headers: {}",
            describe_io(&io)
        ),
        Phase::Reading if closed => {
            format!("{subject} closed the connection in the middle of the body")
        }
        Phase::Reading => format!("{subject} failed reading the body: {}", describe_io(&io)),
    }
}

/// A proxy that answered CONNECT with `status`, not 2xx; `shown` is the proxy
/// as messages show it (credentials masked).
#[must_use]
pub fn proxy_refused(shown: &str, status: u16) -> String {
    let reason = ureq::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason());
    match reason {
        Some(reason) => format!("{shown}: it answered {status} {reason}"),
        None => format!("{shown}: it answered {status}"),
    }
}

/// A proxy whose answer to CONNECT is not HTTP/1.x.
#[must_use]
pub fn proxy_not_http(shown: &str, status_line: &str) -> String {
    format!(
        "{shown}: it answered CONNECT with '{}'",
        sanitize(status_line, 100)
    )
}

/// A proxy that closed the connection before its answer's head ended.
#[must_use]
pub fn proxy_closed(shown: &str) -> String {
    format!("{shown}: it closed the connection without answering CONNECT")
}

/// A proxy whose answer's head is longer than `max` bytes.
#[must_use]
pub fn proxy_headers_too_large(shown: &str, max: usize) -> String {
    format!(
        "{shown}: it answered CONNECT with more than {} KiB of headers",
        max / 1024
    )
}

/// What a 3xx that was not followed adds to an unexpected status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redirect {
    /// Not a redirect, or one we were told not to follow without a Location.
    None,
    /// Its Location (sanitised), not followed (`--no-follow`).
    NotFollowed(String),
    /// A redirect status with no Location to follow.
    NoLocation,
}

/// A status not in the policy: `URL returned 503, expected 200`.
#[must_use]
pub fn unexpected_status(
    subject: &str,
    status: u16,
    expected: &crate::Codes,
    redirect: &Redirect,
) -> String {
    let line = format!("{subject} returned {status}, expected {expected}");
    match redirect {
        Redirect::None => line,
        Redirect::NotFollowed(location) => {
            format!("{line} (redirect to {location} not followed)")
        }
        Redirect::NoLocation => format!("{line} (no Location to follow)"),
    }
}

/// A redirect whose Location cannot be followed (`why` says how).
#[must_use]
pub fn bad_location(subject: &str, status: u16, why: &str) -> String {
    format!("{subject} returned {status} with {why}")
}

/// A redirect back to a URL of the chain: the loop, first to last.
#[must_use]
pub fn redirect_loop(shown: &str, chain: &[String]) -> String {
    format!("{shown} redirects in a loop: {}", chain.join(" -> "))
}

/// One redirect more than `--max-redirects`; `next` is where it went.
#[must_use]
pub fn too_many_redirects(shown: &str, max: u32, next: &str) -> String {
    match max {
        0 => format!("{shown} redirects to {next} but --max-redirects is 0"),
        _ => format!(
            "{shown} redirected more than {max} times, the last to {next} (see --max-redirects)"
        ),
    }
}

/// `--expect-content` not in a body of `read` bytes.
#[must_use]
pub fn content_missing(subject: &str, status: u16, read: u64, shown: &str) -> String {
    format!("{subject} returned {status} but the body ({read} bytes) does not contain '{shown}'")
}

/// `--expect-content` not in the first `cap` bytes of the body.
#[must_use]
pub fn content_capped(subject: &str, status: u16, cap: u64, shown: &str) -> String {
    format!(
        "{subject} returned {status} but the first {} MiB of the body do not contain '{shown}'",
        cap / 1024 / 1024
    )
}

/// `--cert-min-days` with a certificate whose `notAfter` we cannot read;
/// `done` says how the request went.
#[must_use]
pub fn expiry_unreadable(done: &str, server: &str) -> String {
    format!("{done}, but the expiry date of the certificate of {server} is unreadable")
}

/// `--cert-min-days` and no handshake (cannot happen with an https:// URL).
#[must_use]
pub fn no_certificate_seen(done: &str) -> String {
    format!("{done}, but no server certificate was seen")
}

/// `--cert-min-days` and a certificate that fails or falls short of it
/// (not valid yet, expired, or expiring sooner than wanted).
#[must_use]
pub fn certificate_judged(done: &str, server: &str, verdict: &shared::lifetime::Verdict) -> String {
    format!(
        "{done}, but the certificate of {server} {}",
        verdict.phrase()
    )
}

/// The line of a request that went as expected (before any `--cert-min-days`
/// verdict): `URL returned 200 in 3 ms`, and `notes` such as `, body contains 'x'`.
#[must_use]
pub fn answered(subject: &str, status: u16, took: &str, notes: &str) -> String {
    format!("{subject} returned {status} in {took}{notes}")
}

/// `--cert-min-days` OK: `left` seconds to go.
#[must_use]
pub fn certificate_lasts(done: &str, left: i64) -> String {
    format!(
        "{done}, certificate expires in {}",
        shared::lifetime::span(left)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_refusals_name_the_status() {
        assert_eq!(
            proxy_refused("***@[::1]:3128", 407),
            "***@[::1]:3128: it answered 407 Proxy Authentication Required"
        );
        assert_eq!(proxy_refused("p:1", 599), "p:1: it answered 599");
        assert_eq!(
            proxy_not_http("p:1", "SSH-2.0-\x1b"),
            "p:1: it answered CONNECT with 'SSH-2.0-'"
        );
    }
}
