//! Connection failures: refused, unresolvable, hanging, closed, reset, garbage, each named with its address and phase.

use super::*;

#[test]
fn a_refused_connection_is_critical() {
    let mut hosts = vec![format!("127.0.0.1:{}", listen::closed_port())];
    if let Some(listener) = listen::tcp6() {
        hosts.push(listener.local_addr().expect("address").to_string());
    }
    for host in hosts {
        let url = format!("http://{host}/");
        run(BIN, ["--url", &url]).expect(
            2,
            &format!("CRITICAL: {url} cannot connect to {host}: connection refused"),
        );
    }
}

#[test]
fn a_name_that_does_not_resolve_is_critical_not_usage() {
    run(
        BIN,
        ["--url", "http://no-such-host.invalid/", "--timeout", "5"],
    )
    .expect_parts(
        2,
        "CRITICAL: http://no-such-host.invalid/ cannot resolve no-such-host.invalid: ",
        &[],
    );
}

#[test]
fn localhost_resolves_and_connects() {
    let server = answering(V4, Reply::status(200)).expect("server");
    let url = format!("http://localhost:{}/", server.address.port());
    run(BIN, ["--url", &url]).expect_parts(0, &ok_prefix(&url, 200), &[]);
}

#[test]
fn a_server_that_never_answers_times_out_on_the_deadline() {
    on_both(|ip| {
        let Some(server) = answering(ip, Reply::Hang) else {
            return;
        };
        let url = server.url("http", "/");
        let out = run(BIN, ["--url", &url, "--timeout", SHORT]);
        out.expect(
            2,
            &format!("CRITICAL: {url} timed out after 0.5 s waiting for the response headers"),
        );
        out.ended_on_deadline(Duration::from_millis(500));
    });
}

#[test]
fn a_connect_that_hangs_times_out_naming_the_address() {
    for ip in [V4, V6] {
        let Some(queue) = listen::full_queue(ip) else {
            crate::util::skip(format_args!("cannot fill a queue on {ip}"));
            continue;
        };
        let host = queue.address.to_string();
        let url = format!("http://{host}/");
        run(BIN, ["--url", &url, "--timeout", SHORT])
            .ended_on_deadline(Duration::from_millis(500))
            .expect(
                2,
                &format!("CRITICAL: {url} timed out after 0.5 s connecting to {host}"),
            );
    }
}

#[test]
fn a_body_that_stops_times_out_reading_it() {
    let server = answering(
        V4,
        Reply::Stall {
            length: 1000,
            sent: b"partial".to_vec(),
        },
    )
    .expect("server");
    let url = server.url("http", "/");
    run(
        BIN,
        [
            "--url",
            &url,
            "--expect-content",
            "never",
            "--timeout",
            SHORT,
        ],
    )
    .ended_on_deadline(Duration::from_millis(500))
    .expect(
        2,
        &format!("CRITICAL: {url} timed out after 0.5 s reading the body"),
    );
    // Without --expect-content the body is never read: the stall does not matter.
    run(BIN, ["--url", &url, "--timeout", SHORT]).expect_parts(0, &ok_prefix(&url, 200), &[]);
}

#[test]
fn large_but_sane_response_headers_pass() {
    let cookie = "c".repeat(20 * 1024);
    let server = answering(V4, Reply::status(200).header("Set-Cookie", &cookie)).expect("server");
    let url = server.url("http", "/");
    run(BIN, ["--url", &url]).expect_parts(0, &ok_prefix(&url, 200), &[]);
}

#[test]
fn broken_answers_are_critical_and_named() {
    let cases: Vec<(Reply, String)> = vec![
        (
            Reply::Close,
            "closed the connection before the response headers".into(),
        ),
        (
            Reply::Raw(b"SPDY/9 banana\r\n\r\n".to_vec()),
            "sent an invalid HTTP response: ".into(),
        ),
        (
            Reply::Raw(
                format!(
                    "HTTP/1.1 200 OK\r\nX-Big: {}\r\n\r\n",
                    "b".repeat(40 * 1024)
                )
                .into_bytes(),
            ),
            "sent response headers larger than 32 KiB".into(),
        ),
        (
            Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort".to_vec()),
            "closed the connection in the middle of the body".into(),
        ),
    ];
    for (reply, problem) in cases {
        let server = answering(V4, reply).expect("server");
        let url = server.url("http", "/");
        run(BIN, ["--url", &url, "--expect-content", "x"]).expect_parts(
            2,
            &format!("CRITICAL: {url} {problem}"),
            &[],
        );
    }
}
