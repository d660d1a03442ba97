//! The wording of failures, in one place: the error the check ends with, and
//! how a failed request reads (from ureq's error and what the check was
//! doing). A message an operator will read at 3 a.m. is found here, not
//! spread through the transport code.

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
