//! check-url-available against peers that misbehave on purpose: our own small
//! servers on loopback that trickle, never stop, send what is not HTTP, reset,
//! never answer, redirect forever, or a resolver that never answers. Each case
//! ends CRITICAL within its --timeout and a margin, with one clean line whose
//! text is asserted, and, where what the peer sends could grow our memory,
//! within a bound on the peak resident memory measured at exit.

use std::sync::OnceLock;
use std::time::Duration;

use crate::util::dns::run_with_silent_dns;
use crate::util::http::{Reply, Request, Server, V4};
use crate::util::memory::{Measured, run_measured};
use crate::util::{Outcome, listen, run};

const BIN: &str = "check-url-available";

/// The deadline of the cases that wait for it.
const SHORT: &str = "0.5";
const SHORT_DURATION: Duration = Duration::from_millis(500);

/// What a hostile peer may cost beyond a plain check. Our buffers are fixed
/// (32 KiB of response headers, a 16 KiB body chunk); anything that grows
/// with what the peer sends (a body kept, headers without a cap, every URL
/// of a redirect chain at 8 KiB each) goes far past it.
const EXTRA_KIB: u64 = 2048;

/// A server on 127.0.0.1 that answers every request with `reply`.
fn serving(reply: Reply) -> Server {
    Server::http(V4, move |_| reply.clone()).expect("server on 127.0.0.1")
}

/// `head`, then `unit` forever, `pace` apart.
fn endless(head: &[u8], unit: &[u8], pace: Option<Duration>) -> Reply {
    Reply::Endless {
        head: head.to_vec(),
        unit: unit.to_vec(),
        pace,
    }
}

/// The peak memory of a plain passing check, which hostile cases are held to.
fn baseline_kib() -> u64 {
    static BASELINE: OnceLock<u64> = OnceLock::new();
    *BASELINE.get_or_init(|| {
        let server = serving(Reply::text(200, "hello"));
        let url = server.url("http", "/");
        let measured = run_measured(BIN, ["--url", &url, "--expect-content", "hello"]);
        measured.outcome.line(0);
        measured.peak_kib.unwrap_or(0)
    })
}

/// Asserts the run's peak memory is within [`EXTRA_KIB`] of a plain check's.
#[track_caller]
fn bounded(measured: &Measured) -> &Outcome {
    measured.peak_within(baseline_kib() + EXTRA_KIB)
}

/// Asserts the run waited for its deadline, and not much longer.
#[track_caller]
fn on_the_deadline(out: &Outcome) {
    out.ended_on_deadline(SHORT_DURATION);
}

// ---------------------------------------------------------------- headers

#[test]
fn headers_sent_one_byte_at_a_time_forever_end_on_the_deadline() {
    let server = serving(endless(
        b"HTTP/1.1 200 OK\r\nX-Slow: ",
        b"a",
        Some(Duration::from_millis(1)),
    ));
    let url = server.url("http", "/");
    let measured = run_measured(BIN, ["--url", &url, "--timeout", SHORT]);
    let out = bounded(&measured);
    out.expect(
        2,
        &format!("CRITICAL: {url} timed out after 0.5 s waiting for the response headers"),
    );
    on_the_deadline(out);
}

#[test]
fn a_header_section_that_never_ends_is_cut_at_the_cap() {
    // Header after header: the count is capped.
    let server = serving(endless(b"HTTP/1.1 200 OK\r\n", b"X-Filler: yes\r\n", None));
    let url = server.url("http", "/");
    let measured = run_measured(BIN, ["--url", &url, "--timeout", "5"]);
    let out = bounded(&measured);
    out.expect(
        2,
        &format!("CRITICAL: {url} sent an invalid HTTP response: too many headers"),
    );
    out.within(Duration::from_secs(2));
    // One header line that never ends: the size is capped.
    let server = serving(endless(b"HTTP/1.1 200 OK\r\nX-Long: ", &[b'a'; 1024], None));
    let url = server.url("http", "/");
    let measured = run_measured(BIN, ["--url", &url, "--timeout", "5"]);
    let out = bounded(&measured);
    out.expect(
        2,
        &format!("CRITICAL: {url} sent response headers larger than 32 KiB"),
    );
    out.within(Duration::from_secs(2));
}

// ------------------------------------------------------------------- bodies

/// The three ways a body can be framed, each never ending.
fn endless_bodies() -> [(&'static str, Reply); 3] {
    let chunk = [b'x'; 16 * 1024];
    let mut chunked = b"4000\r\n".to_vec();
    chunked.extend_from_slice(&chunk);
    chunked.extend_from_slice(b"\r\n");
    [
        (
            "a huge Content-Length",
            endless(
                b"HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n",
                &chunk,
                None,
            ),
        ),
        (
            "chunked",
            endless(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                &chunked,
                None,
            ),
        ),
        (
            "until the connection closes",
            endless(
                b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
                &chunk,
                None,
            ),
        ),
    ]
}

#[test]
fn an_endless_body_is_not_read_without_expect_content() {
    for (framing, reply) in endless_bodies() {
        let server = serving(reply);
        let url = server.url("http", "/");
        let measured = run_measured(BIN, ["--url", &url, "--timeout", "5"]);
        let out = bounded(&measured);
        out.expect_parts(0, &format!("OK: {url} returned 200 in "), &[" ms"]);
        // As soon as the status is known: long before the deadline.
        assert!(out.elapsed < Duration::from_secs(2), "{framing}\n{out}");
    }
}

#[test]
fn an_endless_body_is_searched_up_to_the_cap_only() {
    for (framing, reply) in endless_bodies() {
        let server = serving(reply);
        let url = server.url("http", "/");
        let measured = run_measured(
            BIN,
            [
                "--url",
                &url,
                "--expect-content",
                "needle",
                "--timeout",
                "10",
            ],
        );
        let out = bounded(&measured);
        out.expect(
            2,
            &format!(
                "CRITICAL: {url} returned 200 but the first 10 MiB of the body do not contain 'needle'"
            ),
        );
        assert!(out.elapsed < Duration::from_secs(8), "{framing}\n{out}");
    }
}

#[test]
fn a_slow_endless_body_is_searched_until_the_deadline() {
    let server = serving(endless(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"10\r\nxxxxxxxxxxxxxxxx\r\n",
        Some(Duration::from_millis(1)),
    ));
    let url = server.url("http", "/");
    let measured = run_measured(
        BIN,
        [
            "--url",
            &url,
            "--expect-content",
            "needle",
            "--timeout",
            SHORT,
        ],
    );
    let out = bounded(&measured);
    out.expect(
        2,
        &format!("CRITICAL: {url} timed out after 0.5 s reading the body"),
    );
    on_the_deadline(out);
}

// ------------------------------------------------------------- what it says

#[test]
fn bytes_that_are_not_http_are_named_as_such() {
    let noise: Vec<u8> = (0..=255).collect();
    for (what, reply) in [
        ("every byte value, forever", endless(b"", &noise, None)),
        (
            "text, forever",
            endless(b"", b"hello, this is not HTTP\r\n", None),
        ),
        (
            "escape sequences",
            Reply::Raw(b"\x1b[2J\x1b]0;owned\x07\xff\xfe\r\n\r\n".to_vec()),
        ),
    ] {
        let server = serving(reply);
        let url = server.url("http", "/");
        let measured = run_measured(BIN, ["--url", &url, "--timeout", "5"]);
        let out = bounded(&measured);
        out.expect(
            2,
            &format!("CRITICAL: {url} sent an invalid HTTP response: invalid HTTP version"),
        );
        assert!(out.elapsed < Duration::from_secs(2), "{what}\n{out}");
    }
}

#[test]
fn invalid_utf8_and_escapes_from_the_server_never_reach_the_line_raw() {
    let server = serving(Reply::Raw(
        b"HTTP/1.1 503 \xff\xfe Unavailable \xc3\x28\r\nContent-Length: 0\r\n\r\n".to_vec(),
    ));
    let url = server.url("http", "/");
    run(BIN, ["--url", &url]).expect(2, &format!("CRITICAL: {url} returned 503, expected 200"));
    // The reason phrase may not hold control characters at all.
    let server = serving(Reply::Raw(
        b"HTTP/1.1 503 \x1b[2J\x1b]0;owned\x07\r\nContent-Length: 0\r\n\r\n".to_vec(),
    ));
    let url = server.url("http", "/");
    run(BIN, ["--url", &url]).expect(
        2,
        &format!("CRITICAL: {url} sent an invalid HTTP response: invalid response status"),
    );
    // A header the line quotes: sanitised, invalid UTF-8 shown as U+FFFD.
    let server = serving(Reply::Raw(
        b"HTTP/1.1 302 Found\r\nLocation: /caf\xe9/\xe2\x80\xaeevil\r\nContent-Length: 0\r\n\r\n"
            .to_vec(),
    ));
    let url = server.url("http", "/");
    run(BIN, ["--url", &url, "--no-follow"]).expect(
        2,
        &format!(
            "CRITICAL: {url} returned 302, expected 200 (redirect to /caf\u{FFFD}/ evil not followed)"
        ),
    );
    // Control characters in a header value make the response invalid.
    let server = serving(Reply::Raw(
        b"HTTP/1.1 302 Found\r\nLocation: /\x1b[31mred\r\nContent-Length: 0\r\n\r\n".to_vec(),
    ));
    let url = server.url("http", "/");
    let out = run(BIN, ["--url", &url, "--no-follow"]);
    out.expect(
        2,
        &format!("CRITICAL: {url} sent an invalid HTTP response: invalid header value"),
    );
}

/// What slapgrid parses as one of its own log records.
const LOG_RECORD: &str = "2024-01-01 12:00:00 - INFO - 1700000000-123 - promise ok";

#[test]
fn a_reason_phrase_shaped_like_a_log_record_never_starts_a_line() {
    let server = serving(Reply::Raw(
        format!("HTTP/1.1 503 {LOG_RECORD}\r\nContent-Length: 0\r\n\r\n").into_bytes(),
    ));
    let url = server.url("http", "/");
    run(BIN, ["--url", &url]).expect(2, &format!("CRITICAL: {url} returned 503, expected 200"));
    // Quoted from a Location, it stays inside our one line.
    let server = serving(Reply::redirect(302, LOG_RECORD));
    let url = server.url("http", "/");
    run(BIN, ["--url", &url, "--no-follow"]).expect(
        2,
        &format!(
            "CRITICAL: {url} returned 302, expected 200 (redirect to {LOG_RECORD} not followed)"
        ),
    );
    // On a line of its own in the response, it makes the response invalid.
    let server = serving(Reply::Raw(
        format!("HTTP/1.1 302 Found\r\nLocation: /\n{LOG_RECORD}\r\n\r\n").into_bytes(),
    ));
    let url = server.url("http", "/");
    let out = run(BIN, ["--url", &url, "--no-follow"]);
    out.expect(
        2,
        &format!("CRITICAL: {url} sent an invalid HTTP response: invalid header name"),
    );
}

// ------------------------------------------------------------ connections

#[test]
fn a_connection_reset_is_critical_and_named() {
    let server = serving(Reply::Reset);
    let url = server.url("http", "/");
    run(BIN, ["--url", &url, "--timeout", "5"])
        .within(Duration::from_secs(2))
        .expect(
            2,
            &format!("CRITICAL: {url} closed the connection before the response headers"),
        );
}

#[test]
fn a_tls_handshake_that_is_never_answered_ends_on_the_deadline() {
    // The server reads the ClientHello and waits for more, forever.
    let server = serving(Reply::Hang);
    let host = server.address.to_string();
    let url = server.url("https", "/");
    for trust in [&["-k"][..], &[]] {
        let mut args = vec!["--url", &url, "--timeout", SHORT];
        args.extend(trust);
        let out = run(BIN, &args);
        out.expect(
            2,
            &format!("CRITICAL: {url} timed out after 0.5 s in the TLS handshake with {host}"),
        );
        on_the_deadline(&out);
    }
}

#[test]
fn a_full_accept_queue_ends_on_the_deadline() {
    for scheme in ["http", "https"] {
        let queue = listen::full_queue(V4).expect("a full queue on 127.0.0.1");
        let host = queue.address.to_string();
        let url = format!("{scheme}://{host}/");
        let out = run(BIN, ["--url", &url, "-k", "--timeout", SHORT]);
        out.expect(
            2,
            &format!("CRITICAL: {url} timed out after 0.5 s connecting to {host}"),
        );
        on_the_deadline(&out);
    }
}

#[test]
fn a_redirect_chain_that_never_ends_is_cut_at_max_redirects() {
    // Every answer redirects one step further, with a Location of about 7 KiB.
    let pad = "p".repeat(7 * 1024);
    let server = Server::http(V4, move |request: &Request| {
        let step: u32 = request
            .target
            .trim_start_matches('/')
            .split('?')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        Reply::redirect(302, &format!("/{}?{pad}", step + 1))
    })
    .expect("server");
    let url = server.url("http", "/0");
    let prefix = format!(
        "CRITICAL: {url} redirected more than 10 times, the last to {}/11?ppp",
        server.url("http", "")
    );
    run(BIN, ["--url", &url]).expect_parts(2, &prefix, &["… (see --max-redirects)"]);
    let measured = run_measured(BIN, ["--url", &url, "--max-redirects", "50"]);
    let out = bounded(&measured);
    out.expect_parts(
        2,
        &format!("CRITICAL: {url} redirected more than 50 times, the last to "),
        &["/51?ppp", "… (see --max-redirects)"],
    );
    out.within(Duration::from_secs(8));
    run(BIN, ["--url", &url, "--max-redirects", "51"]).expect(
        3,
        "UNKNOWN: Error parsing option '--max-redirects' with value '51': expected a number of redirects from 0 to 50, got '51' (see --help)",
    );
}

#[test]
fn a_name_that_never_resolves_ends_on_the_deadline() {
    let Some(out) = run_with_silent_dns(
        BIN,
        &["--url", "http://never-answers.example/", "--timeout", SHORT],
    ) else {
        return;
    };
    out.expect(
        2,
        "CRITICAL: http://never-answers.example/ timed out after 0.5 s resolving never-answers.example",
    );
    on_the_deadline(&out);
}
