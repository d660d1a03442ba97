//! The check itself: send the request, follow redirects, judge the final
//! response (status, content, certificate lifetime) and say what happened.
//!
//! We follow redirects ourselves (ureq's `max_redirects(0)` hands us each 3xx)
//! so that a failure names the URL that failed, a loop is shown as a loop, and
//! credentials never travel to another origin.

use std::sync::Arc;
use std::time::Instant;

use shared::format::format_millis;
use shared::lifetime::{Limits, Verdict};
use shared::report::{perf_seconds, sanitize};
use shared::{Deadline, Report};
use ureq::Agent;
use ureq::config::AutoHeaderValue;
use ureq::http::header::{
    ACCEPT, AUTHORIZATION, HeaderValue, LOCATION, PROXY_AUTHORIZATION, USER_AGENT,
};
use ureq::http::{Response, Uri};
use ureq::unversioned::transport::{Connector, TcpConnector};

use crate::content::{self, Found};
use crate::failure::{self, Error, Redirect};
use crate::net::{Phase, Progress, Resolve, Seen, TlsConnector, Tunnel};
use crate::request::Method;
use crate::tls::Tls;
use crate::{Plan, Policy, target};

/// The most response header bytes we take (curl takes more, but servers in
/// front of the services we check limit theirs to 8 to 16 KiB). ureq zero-fills
/// its buffers for every connection, so their size is a cost of every run. The
/// input buffer is a little larger so that a longer header is reported as
/// such, not as a stalled connection.
const MAX_RESPONSE_HEADERS: usize = 32 * 1024;
const INPUT_BUFFER: usize = MAX_RESPONSE_HEADERS + 512;
/// The request goes out line by line: the buffer holds the longest line, the
/// request line with a URL of at most [`target::MAX_URL`] bytes.
const OUTPUT_BUFFER: usize = target::MAX_URL + 512;
/// How much of a server-supplied URL a message shows.
const SHOWN_URL: usize = 200;

type Body = ureq::Body;

/// Runs the check described by `plan`.
///
/// # Errors
/// Why the URL does not answer as expected.
pub fn run(
    plan: &Plan,
    tls: Tls,
    authorization: Option<HeaderValue>,
    deadline: &Deadline,
    perfdata: bool,
) -> Result<Report, Error> {
    let progress = Arc::new(Progress::new(*deadline, plan.cert_min_days.is_some()));
    let agent = agent(plan, tls, &progress);
    let started = Instant::now();
    let mut uri = plan.url.clone();
    let mut visited: Vec<Uri> = Vec::new();
    loop {
        let subject = subject(&plan.shown, &uri, visited.len());
        progress.start(subject.clone());
        let same_origin = target::same_origin(&plan.url, &uri);
        let response = send(
            &agent,
            plan,
            &uri,
            authorization.as_ref(),
            same_origin,
            deadline,
        )
        .map_err(|e| Error::Failed(failure::transport(e, &progress, deadline, &subject, &uri)))?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(LOCATION)
            .filter(|_| is_redirect(status));
        let (Some(max), Some(location)) = (plan.redirects, location) else {
            return judge(
                plan, response, &subject, started, &progress, deadline, perfdata,
            );
        };
        let next = target::resolve(&uri, location.as_bytes())
            .map_err(|why| Error::Failed(failure::bad_location(&subject, status, &why)))?;
        visited.push(uri);
        if let Some(first) = visited.iter().position(|seen| *seen == next) {
            let mut chain: Vec<String> = visited[first..].iter().map(show).collect();
            chain.push(show(&next));
            return Err(Error::Failed(failure::redirect_loop(&plan.shown, &chain)));
        }
        if visited.len() > max as usize {
            return Err(Error::Failed(failure::too_many_redirects(
                &plan.shown,
                max,
                &show(&next),
            )));
        }
        uri = next;
    }
}

/// The agent: our resolver and TLS, no proxy from the environment, no pool
/// (every request is a fresh connection, whose phases we can follow).
fn agent(plan: &Plan, tls: Tls, progress: &Arc<Progress>) -> Agent {
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(plan.proxy.clone())
        .user_agent(concat!("check-url-available/", env!("CARGO_PKG_VERSION")))
        .max_idle_connections(0)
        .max_idle_connections_per_host(0)
        .max_response_header_size(MAX_RESPONSE_HEADERS)
        .input_buffer_size(INPUT_BUFFER)
        .output_buffer_size(OUTPUT_BUFFER)
        .build();
    let tunnel = Tunnel {
        headers: plan
            .headers
            .iter()
            .filter(|(name, value)| *name == PROXY_AUTHORIZATION && !value.is_empty())
            .cloned()
            .collect(),
        user_agent: !plan
            .headers
            .iter()
            .any(|(name, value)| *name == USER_AGENT && value.is_empty()),
    };
    let connector =
        ().chain(tunnel)
            .chain(TcpConnector::default())
            .chain(TlsConnector {
                tls,
                proxy_tls: Tls::without_files(plan.proxy_insecure),
                progress: progress.clone(),
            });
    Agent::with_parts(config, connector, Resolve(progress.clone()))
}

/// One request, bounded by what is left of the deadline.
fn send(
    agent: &Agent,
    plan: &Plan,
    uri: &Uri,
    authorization: Option<&HeaderValue>,
    same_origin: bool,
    deadline: &Deadline,
) -> Result<Response<Body>, ureq::Error> {
    let remaining = deadline.remaining();
    if remaining.is_zero() {
        return Err(ureq::Error::Timeout(ureq::Timeout::Global));
    }
    let mut request = match plan.method {
        Method::Get => agent.get(uri),
        Method::Head => agent.head(uri),
    };
    // `--header` lines are the user's words to the URL's own origin: any of them
    // may be a token (X-Auth-Token, ...), so none follows a redirect elsewhere.
    // An empty value removes the header, ours included, wherever the request goes.
    let (mut agent_header, mut accept_header) = (true, true);
    for (name, value) in &plan.headers {
        if value.is_empty() {
            agent_header &= *name != USER_AGENT;
            accept_header &= *name != ACCEPT;
        } else if same_origin && *name != PROXY_AUTHORIZATION {
            // Proxy-Authorization goes on the CONNECT request only (see `Tunnel`).
            request = request.header(name, value);
        }
    }
    if let (Some(value), true) = (authorization, same_origin) {
        request = request.header(AUTHORIZATION, value);
    }
    let mut config = request.config().timeout_global(Some(remaining));
    if !agent_header {
        config = config.user_agent(AutoHeaderValue::None);
    }
    if !accept_header {
        config = config.accept(AutoHeaderValue::None);
    }
    config.build().call()
}

/// Judges the final response.
fn judge(
    plan: &Plan,
    response: Response<Body>,
    subject: &str,
    started: Instant,
    progress: &Progress,
    deadline: &Deadline,
    perfdata: bool,
) -> Result<Report, Error> {
    let status = response.status().as_u16();
    let mut notes = String::new();
    match &plan.policy {
        Policy::Any => {}
        Policy::Codes { codes, .. } if codes.contains(status) => {}
        Policy::Codes { secure: true, .. } if status == 401 => {
            notes.push_str(" (protected, accepted by --check-secure)");
        }
        Policy::Codes { codes, secure } => {
            let expected = if *secure {
                codes.clone().with(401)
            } else {
                codes.clone()
            };
            let redirect = match response.headers().get(LOCATION) {
                _ if !is_redirect(status) => Redirect::None,
                Some(location) => Redirect::NotFollowed(sanitize(
                    &String::from_utf8_lossy(location.as_bytes()),
                    SHOWN_URL,
                )),
                None if plan.redirects.is_some() => Redirect::NoLocation,
                None => Redirect::None,
            };
            return Err(Error::Failed(failure::unexpected_status(
                subject, status, &expected, &redirect,
            )));
        }
    }
    if let Some(needle) = &plan.expect {
        progress.enter(Phase::Reading);
        let shown = sanitize(&String::from_utf8_lossy(needle), 100);
        let reader = response.into_body().into_reader();
        match content::find(reader, needle, content::CAP) {
            Ok(Found::Yes) => notes.push_str(&format!(", body contains '{shown}'")),
            Ok(Found::No(read)) => {
                return Err(Error::Failed(failure::content_missing(
                    subject, status, read, &shown,
                )));
            }
            Ok(Found::Capped) => {
                return Err(Error::Failed(failure::content_capped(
                    subject,
                    status,
                    content::CAP,
                    &shown,
                )));
            }
            Err(e) => {
                let error = ureq::Error::from(e);
                return Err(Error::Failed(failure::transport(
                    error, progress, deadline, subject, &plan.url,
                )));
            }
        }
    } else {
        drop(response);
    }
    let took = started.elapsed();
    let done = failure::answered(subject, status, &format_millis(took), &notes);
    let (report, left) = match plan.cert_min_days {
        Some(days) => {
            let limits = Limits {
                critical: None,
                warning: Some(days),
            };
            let (report, left) = certificate(done, limits, &progress.seen())?;
            (report, Some((left, limits)))
        }
        None => (Report::ok(done), None),
    };
    if !perfdata {
        return Ok(report);
    }
    let time = format!(
        "{}s;;;0;{}",
        perf_seconds(took),
        perf_seconds(deadline.timeout())
    );
    let report = report.with_perf("time", &time);
    Ok(match left {
        Some((left, limits)) => report.with_perf("cert_days", &limits.perfdata(left)),
        None => report,
    })
}

/// `--cert-min-days`: judges the certificate of every server that answered
/// (one not valid yet or expired fails the check), and reports the soonest
/// expiry and the seconds it has left. `done` says how the request went.
fn certificate(done: String, limits: Limits, seen: &[Seen]) -> Result<(Report, i64), Error> {
    let now = shared::lifetime::now();
    let mut soonest: Option<(&str, Verdict)> = None;
    for server in seen {
        let Some(dates) = server.validity else {
            return Err(Error::Failed(failure::expiry_unreadable(
                &done,
                &server.server,
            )));
        };
        let verdict = limits.judge(dates, now);
        match verdict {
            Verdict::Valid { left, .. } => {
                if soonest
                    .as_ref()
                    .is_none_or(|(_, v)| matches!(v, Verdict::Valid { left: l, .. } if left < *l))
                {
                    soonest = Some((&server.server, verdict));
                }
            }
            _ => {
                return Err(Error::Failed(failure::certificate_judged(
                    &done,
                    &server.server,
                    &verdict,
                )));
            }
        }
    }
    let Some((server, verdict @ Verdict::Valid { left, short, .. })) = soonest else {
        return Err(Error::Failed(failure::no_certificate_seen(&done)));
    };
    let report = match short {
        Some(_) => Report::warning(failure::certificate_judged(&done, server, &verdict)),
        None => Report::ok(failure::certificate_lasts(&done, left)),
    };
    Ok((report, left))
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// How a line about `uri` starts: the URL, and the redirects that led there.
fn subject(shown: &str, uri: &Uri, redirects: usize) -> String {
    match redirects {
        0 => shown.to_owned(),
        1 => format!("{shown} redirected to {}, which", show(uri)),
        n => format!(
            "{shown} redirected {n} times, the last to {}, which",
            show(uri)
        ),
    }
}

fn show(uri: &Uri) -> String {
    sanitize(&uri.to_string(), SHOWN_URL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_warn_then_fail() {
        let now = shared::lifetime::now();
        let limits = |days| Limits {
            critical: None,
            warning: Some(days),
        };
        let seen = |from: i64, offset: i64| {
            vec![Seen {
                server: "h:443".into(),
                validity: Some((now + from, now + offset)),
            }]
        };
        let (ok, left) = certificate(
            "u returned 200 in 1 ms".into(),
            limits(7),
            &seen(-10, 30 * 86_400 + 100),
        )
        .unwrap();
        assert_eq!(
            ok.message,
            "u returned 200 in 1 ms, certificate expires in 30 days"
        );
        assert!((30 * 86_400..=30 * 86_400 + 100).contains(&left), "{left}");
        let (warning, _) =
            certificate("d".into(), limits(7), &seen(-10, 2 * 86_400 - 100)).unwrap();
        assert_eq!(warning.status, shared::Status::Warning);
        assert!(
            warning
                .message
                .starts_with("d, but the certificate of h:443 expires in 1 day on "),
            "{warning:?}"
        );
        assert!(
            warning.message.ends_with(", expected at least 7 days"),
            "{warning:?}"
        );
        let Err(Error::Failed(expired)) = certificate("d".into(), limits(0), &seen(-10, -5)) else {
            panic!()
        };
        assert!(
            expired.starts_with("d, but the certificate of h:443 expired on "),
            "{expired}"
        );
        let Err(Error::Failed(early)) =
            certificate("d".into(), limits(0), &seen(86_400, 9 * 86_400))
        else {
            panic!()
        };
        assert!(
            early.starts_with("d, but the certificate of h:443 is not valid before "),
            "{early}"
        );
    }
}
