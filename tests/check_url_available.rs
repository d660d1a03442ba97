//! check-url-available against real loopback servers: our own HTTP server for
//! status codes, redirects, auth, bodies and misbehaviour, HTTPS with
//! certificates made at test time, and a CONNECT proxy. Each case runs on
//! 127.0.0.1 and, where a listener there makes sense and ::1 exists, on ::1.

use std::io::{Read, Write};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use crate::util::http::{Body, Reply, Request, Server, V4, V6};
use crate::util::tls::{self, Ca, Validity};
use crate::util::{listen, run, run_program, temp_dir};

const BIN: &str = "check-url-available";

/// A test's deadline: short, so that hanging servers cost little.
const SHORT: &str = "0.5";

/// Runs `case` on 127.0.0.1 and ::1 (the server says SKIP where ::1 is missing).
fn on_both(case: impl Fn(IpAddr)) {
    case(V4);
    case(V6);
}

/// A server that answers every request with `reply`.
fn answering(ip: IpAddr, reply: Reply) -> Option<Server> {
    Server::http(ip, move |_| reply.clone())
}

/// `host:port` as messages show it.
fn authority(server: &Server) -> String {
    server.address.to_string()
}

fn ok_prefix(url: &str, status: u16) -> String {
    format!("OK: {url} returned {status} in ")
}

// ---------------------------------------------------------------- status codes

#[test]
fn a_200_is_ok_on_ipv4_and_ipv6() {
    on_both(|ip| {
        let Some(server) = answering(ip, Reply::text(200, "hello")) else {
            return;
        };
        let url = server.url("http", "/health");
        run(BIN, ["--url", &url]).expect_parts(0, &ok_prefix(&url, 200), &[" ms"]);
        let request = &server.requests()[0];
        assert_eq!(
            (request.method.as_str(), request.target.as_str()),
            ("GET", "/health")
        );
        assert_eq!(
            request.header("user-agent"),
            Some(concat!("check-url-available/", env!("CARGO_PKG_VERSION")))
        );
        assert_eq!(request.header("host"), Some(authority(&server).as_str()));
        assert_eq!(request.header("authorization"), None);
    });
}

#[test]
fn an_unexpected_status_is_critical() {
    on_both(|ip| {
        let Some(server) = answering(ip, Reply::text(503, "down")) else {
            return;
        };
        let url = server.url("http", "/health");
        run(BIN, ["--url", &url]).expect(2, &format!("CRITICAL: {url} returned 503, expected 200"));
    });
}

#[test]
fn code_lists_ranges_and_classes() {
    let server = Server::http(V4, |request: &Request| {
        let code = request
            .target
            .trim_start_matches('/')
            .parse()
            .unwrap_or(500);
        Reply::status(code)
    })
    .expect("server");
    for (code, list, passes) in [
        (204, "200,204", true),
        (201, "200, 204", false),
        (302, "200-399", true),
        (404, "200-399", false),
        (299, "2xx", true),
        (404, "4XX", true),
        (500, "200,204,3xx", false),
    ] {
        let url = server.url("http", &format!("/{code}"));
        let out = run(BIN, ["--url", &url, "--http-code", list, "--no-follow"]);
        if passes {
            out.expect_parts(0, &ok_prefix(&url, code), &[]);
        } else {
            let expected = match list {
                "200,204" | "200, 204" => "200 or 204",
                "200-399" => "200-399",
                _ => "200, 204 or 3xx",
            };
            out.expect(
                2,
                &format!("CRITICAL: {url} returned {code}, expected {expected}"),
            );
        }
    }
}

#[test]
fn ignore_code_accepts_any_answer_but_not_silence() {
    let server = answering(V4, Reply::status(500)).expect("server");
    let url = server.url("http", "/");
    run(BIN, ["--url", &url, "--ignore-code"]).expect_parts(0, &ok_prefix(&url, 500), &[]);
    // Like the plugin's ignore-code, it wins over a code list.
    run(BIN, ["--url", &url, "--ignore-code", "--http-code", "200"]).expect_parts(
        0,
        &ok_prefix(&url, 500),
        &[],
    );
    let port = listen::closed_port();
    let closed = format!("http://127.0.0.1:{port}/");
    run(BIN, ["--url", &closed, "--ignore-code"]).expect(
        2,
        &format!("CRITICAL: {closed} cannot connect to 127.0.0.1:{port}: connection refused"),
    );
}

#[test]
fn check_secure_lets_a_401_pass() {
    let server = Server::http(V4, |request: &Request| match request.target.as_str() {
        "/protected" => Reply::status(401).header("WWW-Authenticate", "Basic realm=\"x\""),
        _ => Reply::status(403),
    })
    .expect("server");
    let url = server.url("http", "/protected");
    run(BIN, ["--url", &url, "--check-secure"]).expect_parts(
        0,
        &ok_prefix(&url, 401),
        &[" ms (protected, accepted by --check-secure)"],
    );
    run(BIN, ["--url", &url]).expect(2, &format!("CRITICAL: {url} returned 401, expected 200"));
    let forbidden = server.url("http", "/other");
    run(BIN, ["--url", &forbidden, "--check-secure"]).expect(
        2,
        &format!("CRITICAL: {forbidden} returned 403, expected 200 or 401"),
    );
}

// ------------------------------------------------------- connection failures

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
            eprintln!("SKIP: cannot fill a queue on {ip}");
            continue;
        };
        let host = queue.address.to_string();
        let url = format!("http://{host}/");
        run(BIN, ["--url", &url, "--timeout", SHORT])
            .within(Duration::from_millis(1500))
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
    .within(Duration::from_millis(1500))
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

// ------------------------------------------------------------------ redirects

/// A server whose paths redirect: `/r/N` to `/r/N-1` (relative), `/r/0` to `/final`.
fn redirecting(ip: IpAddr) -> Option<Server> {
    Server::http(ip, |request: &Request| {
        let path = request.target.as_str();
        if let Some(n) = path.strip_prefix("/r/").and_then(|n| n.parse::<u32>().ok()) {
            return match n {
                0 => Reply::redirect(302, "/final"),
                n => Reply::redirect(301, &format!("{}", n - 1)),
            };
        }
        match path {
            "/final" => Reply::text(200, "arrived"),
            "/a/b/up" => Reply::redirect(307, "../c?x=1"),
            "/a/c?x=1" => Reply::text(200, "up"),
            "/broken" => Reply::status(503),
            "/to-broken" => Reply::redirect(303, "/broken"),
            "/loop/a" => Reply::redirect(302, "/loop/b"),
            "/loop/b" => Reply::redirect(302, "a"),
            "/self" => Reply::redirect(308, "/self"),
            "/nowhere" => Reply::status(302),
            "/ftp" => Reply::redirect(302, "ftp://files.example/x"),
            _ => Reply::status(404),
        }
    })
}

#[test]
fn redirects_are_followed_and_the_final_answer_judged() {
    on_both(|ip| {
        let Some(server) = redirecting(ip) else {
            return;
        };
        let url = server.url("http", "/r/0");
        let end = server.url("http", "/final");
        run(BIN, ["--url", &url]).expect_parts(
            0,
            &format!("OK: {url} redirected to {end}, which returned 200 in "),
            &[],
        );
        let url = server.url("http", "/r/3");
        run(BIN, ["--url", &url]).expect_parts(
            0,
            &format!("OK: {url} redirected 4 times, the last to {end}, which returned 200 in "),
            &[],
        );
        // A relative Location keeps scheme, host and port, and resolves dot segments.
        let url = server.url("http", "/a/b/up");
        let end = server.url("http", "/a/c?x=1");
        run(BIN, ["--url", &url]).expect_parts(
            0,
            &format!("OK: {url} redirected to {end}, which returned 200 in "),
            &[],
        );
        let url = server.url("http", "/to-broken");
        let end = server.url("http", "/broken");
        run(BIN, ["--url", &url]).expect(
            2,
            &format!("CRITICAL: {url} redirected to {end}, which returned 503, expected 200"),
        );
    });
}

#[test]
fn redirect_loops_are_shown_as_loops() {
    let server = redirecting(V4).expect("server");
    let (a, b) = (server.url("http", "/loop/a"), server.url("http", "/loop/b"));
    run(BIN, ["--url", &a]).expect(
        2,
        &format!("CRITICAL: {a} redirects in a loop: {a} -> {b} -> {a}"),
    );
    let url = server.url("http", "/self");
    run(BIN, ["--url", &url]).expect(
        2,
        &format!("CRITICAL: {url} redirects in a loop: {url} -> {url}"),
    );
}

#[test]
fn max_redirects_bounds_the_chain() {
    let server = redirecting(V4).expect("server");
    let url = server.url("http", "/r/2");
    run(BIN, ["--url", &url, "--max-redirects", "3"]).expect_parts(0, "OK: ", &[]);
    run(BIN, ["--url", &url, "--max-redirects=2"]).expect(
        2,
        &format!(
            "CRITICAL: {url} redirected more than 2 times, the last to {} (see --max-redirects)",
            server.url("http", "/final")
        ),
    );
    run(BIN, ["--url", &url, "--max-redirects", "0"]).expect(
        2,
        &format!(
            "CRITICAL: {url} redirects to {} but --max-redirects is 0",
            server.url("http", "/r/1")
        ),
    );
    // Eleven hops are one too many for the default of 10.
    let url = server.url("http", "/r/10");
    run(BIN, ["--url", &url]).expect_parts(
        2,
        &format!("CRITICAL: {url} redirected more than 10 times"),
        &[],
    );
}

#[test]
fn no_follow_judges_the_redirect_itself() {
    let server = redirecting(V4).expect("server");
    let url = server.url("http", "/r/0");
    run(BIN, ["--url", &url, "--no-follow"]).expect(
        2,
        &format!("CRITICAL: {url} returned 302, expected 200 (redirect to /final not followed)"),
    );
    run(BIN, ["--url", &url, "--no-follow", "--http-code", "3xx"]).expect_parts(
        0,
        &ok_prefix(&url, 302),
        &[],
    );
    assert!(
        !server.requests().iter().any(|r| r.target == "/final"),
        "--no-follow followed"
    );
}

#[test]
fn redirects_that_cannot_be_followed_are_explained() {
    let server = redirecting(V4).expect("server");
    let url = server.url("http", "/nowhere");
    run(BIN, ["--url", &url]).expect(
        2,
        &format!("CRITICAL: {url} returned 302, expected 200 (no Location to follow)"),
    );
    let url = server.url("http", "/ftp");
    run(BIN, ["--url", &url]).expect(
        2,
        &format!(
            "CRITICAL: {url} returned 302 with an unsupported Location 'ftp://files.example/x'"
        ),
    );
}

#[test]
fn credentials_stay_with_the_origin_across_redirects() {
    let other = answering(V4, Reply::text(200, "elsewhere")).expect("server");
    let target = other.url("http", "/landing");
    let first = Server::http(V4, move |request: &Request| match request.target.as_str() {
        "/start" => Reply::redirect(302, "/same"),
        _ => Reply::redirect(302, &target),
    })
    .expect("server");
    let url = first.url("http", "/start");
    run(
        BIN,
        [
            "--url",
            &url,
            "--username",
            "alice",
            "--password",
            "s3cret",
            "--header",
            "X-Trace: 42",
            "--header",
            "Cookie: session=abc",
        ],
    )
    .expect_parts(0, "OK: ", &["redirected 2 times"]);
    for request in first.requests() {
        assert_eq!(
            request.header("authorization"),
            Some("Basic YWxpY2U6czNjcmV0"),
            "{request:?}"
        );
        assert_eq!(request.header("cookie"), Some("session=abc"));
        assert_eq!(request.header("x-trace"), Some("42"));
    }
    let landed = &other.requests()[0];
    assert_eq!(landed.header("authorization"), None, "{landed:?}");
    assert_eq!(landed.header("cookie"), None, "{landed:?}");
    assert_eq!(landed.header("x-trace"), None, "{landed:?}");
}

// ------------------------------------------------------------- auth, headers

/// A server that wants alice / s3cret.
fn protected() -> Server {
    Server::http(V4, |request: &Request| {
        if request.header("authorization") == Some("Basic YWxpY2U6czNjcmV0") {
            Reply::text(200, "welcome")
        } else {
            Reply::status(401)
        }
    })
    .expect("server")
}

#[test]
fn basic_auth_from_the_command_line_or_a_file() {
    let server = protected();
    let url = server.url("http", "/");
    run(
        BIN,
        ["--url", &url, "--username", "alice", "--password", "s3cret"],
    )
    .expect_parts(0, &ok_prefix(&url, 200), &[]);
    let dir = temp_dir("password");
    let file = dir.join("password");
    std::fs::write(&file, "s3cret\r\nsecond line is ignored\n").unwrap();
    let file = file.display().to_string();
    run(
        BIN,
        [
            "--url",
            &url,
            "--username",
            "alice",
            "--password-file",
            &file,
        ],
    )
    .expect_parts(0, &ok_prefix(&url, 200), &[]);
    let out = run(
        BIN,
        [
            "--url",
            &url,
            "--username",
            "alice",
            "--password",
            "wrong-pw",
        ],
    );
    out.expect(2, &format!("CRITICAL: {url} returned 401, expected 200"));
    assert!(!out.stderr.contains("wrong-pw") && !out.stdout.contains("wrong-pw"));
}

#[test]
fn unusable_password_files_are_unknown() {
    let dir = temp_dir("password-bad");
    let missing = dir.join("missing").display().to_string();
    let empty = dir.join("empty");
    std::fs::write(&empty, "\nsecond").unwrap();
    let empty = empty.display().to_string();
    let url = "http://127.0.0.1:1/";
    run(
        BIN,
        ["--url", url, "--username", "u", "--password-file", &missing],
    )
    .expect(
        3,
        &format!("UNKNOWN: cannot read --password-file {missing}: no such file or directory"),
    );
    run(
        BIN,
        ["--url", url, "--username", "u", "--password-file", &empty],
    )
    .expect(
        3,
        &format!("UNKNOWN: --password-file {empty} has an empty first line"),
    );
    let long = dir.join("long");
    std::fs::write(&long, "p".repeat(2000)).unwrap();
    let long = long.display().to_string();
    run(
        BIN,
        ["--url", url, "--username", "u", "--password-file", &long],
    )
    .expect(
        3,
        "UNKNOWN: --username and its password are longer than 1024 bytes together",
    );
}

#[test]
fn headers_and_method_reach_the_server() {
    let server = answering(V4, Reply::text(200, "body")).expect("server");
    let url = server.url("http", "/");
    run(
        BIN,
        [
            "--url",
            &url,
            "--method",
            "HEAD",
            "--header",
            "X-One: 1",
            "--header=X-Two:  two words ",
            "--header",
            "Host: vhost.example",
            "--header",
            "User-Agent: mine",
        ],
    )
    .expect_parts(0, &ok_prefix(&url, 200), &[]);
    let request = &server.requests()[0];
    assert_eq!(request.method, "HEAD");
    assert_eq!(request.header("x-one"), Some("1"));
    assert_eq!(request.header("x-two"), Some("two words"));
    assert_eq!(request.header("host"), Some("vhost.example"));
    assert_eq!(request.header("user-agent"), Some("mine"));
}

// -------------------------------------------------------------------- content

#[test]
fn expected_content_found_missing_or_beyond_the_cap() {
    on_both(|ip| {
        let Some(server) = Server::http(ip, |request: &Request| match request.target.as_str() {
            "/page" => Reply::text(200, "<html>Welcome to the site</html>"),
            "/huge" => Reply::Answer {
                status: 200,
                headers: Vec::new(),
                body: Body::Repeat(b'a', 11 * 1024 * 1024),
            },
            _ => Reply::status(404),
        }) else {
            return;
        };
        let url = server.url("http", "/page");
        run(BIN, ["--url", &url, "--expect-content", "Welcome"]).expect_parts(
            0,
            &ok_prefix(&url, 200),
            &[" ms, body contains 'Welcome'"],
        );
        run(BIN, ["--url", &url, "--expect-content", "Goodbye"]).expect(
            2,
            &format!(
                "CRITICAL: {url} returned 200 but the body (32 bytes) does not contain 'Goodbye'"
            ),
        );
        let huge = server.url("http", "/huge");
        run(BIN, ["--url", &huge, "--expect-content", "b"]).expect(
            2,
            &format!(
                "CRITICAL: {huge} returned 200 but the first 10 MiB of the body do not contain 'b'"
            ),
        );
        // Found at once: the other 11 MiB are never read.
        run(
            BIN,
            ["--url", &huge, "--expect-content", "aaa", "--timeout", "5"],
        )
        .within(Duration::from_secs(3))
        .expect_parts(0, &ok_prefix(&huge, 200), &[]);
    });
}

#[test]
fn content_is_not_checked_when_the_status_fails() {
    let server = answering(V4, Reply::text(500, "Welcome")).expect("server");
    let url = server.url("http", "/");
    run(BIN, ["--url", &url, "--expect-content", "Welcome"])
        .expect(2, &format!("CRITICAL: {url} returned 500, expected 200"));
}

// ---------------------------------------------------------- timeout, proxies

#[test]
fn timeout_file_overrides_the_timeout_when_it_holds_a_number() {
    let server = answering(V4, Reply::Hang).expect("server");
    let url = server.url("http", "/");
    let dir = temp_dir("timeout-file");
    let file = dir.join("promise_timeout");
    std::fs::write(&file, "0.5\n").unwrap();
    let file = file.display().to_string();
    run(
        BIN,
        ["--url", &url, "--timeout", "20", "--timeout-file", &file],
    )
    .within(Duration::from_millis(1500))
    .expect(
        2,
        &format!("CRITICAL: {url} timed out after 0.5 s waiting for the response headers"),
    );
    for junk in ["", "soon", "-3", "0"] {
        std::fs::write(&file, junk).unwrap();
        run(
            BIN,
            ["--url", &url, "--timeout", "0.3", "--timeout-file", &file],
        )
        .expect(
            2,
            &format!("CRITICAL: {url} timed out after 0.3 s waiting for the response headers"),
        );
    }
    let missing = dir.join("missing").display().to_string();
    // A FIFO without a writer would block an open: it is not read at all.
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    let fifo = fifo.display().to_string();
    for ignored in [&missing, &fifo] {
        let args = ["--url", &url, "--timeout", "0.3", "--timeout-file", ignored];
        run(BIN, args).expect(
            2,
            &format!("CRITICAL: {url} timed out after 0.3 s waiting for the response headers"),
        );
    }
}

#[test]
fn proxy_variables_are_ignored() {
    let proxy = Server::proxy(V4, None, |_| Reply::text(200, "proxied")).expect("proxy");
    let port = listen::closed_port();
    let url = format!("http://127.0.0.1:{port}/");
    let proxy_url = proxy.url("http", "");
    let mut args: Vec<String> = ["http_proxy", "HTTP_PROXY", "https_proxy", "ALL_PROXY"]
        .iter()
        .map(|var| format!("{var}={proxy_url}"))
        .collect();
    let argv = crate::util::runner::argv(&crate::util::bin(BIN));
    args.extend(argv.iter().map(|a| a.to_string_lossy().into_owned()));
    args.extend(["--url".into(), url.clone()]);
    // env(1) sets the variables and execs the check in its place.
    run_program(Path::new("/usr/bin/env"), BIN, &args, None).expect(
        2,
        &format!("CRITICAL: {url} cannot connect to 127.0.0.1:{port}: connection refused"),
    );
    assert!(proxy.requests().is_empty(), "the check went to the proxy");
}

#[test]
fn a_proxy_that_cannot_be_reached_is_named() {
    let port = listen::closed_port();
    let url = "http://promise-target.invalid/";
    run(
        BIN,
        ["--url", url, "--proxy", &format!("http://127.0.0.1:{port}")],
    )
    .expect(
        2,
        &format!("CRITICAL: {url} cannot connect to 127.0.0.1:{port}: connection refused"),
    );
}

/// A proxy that refuses CONNECT is named, with its answer, credentials masked:
/// not taken for the target, nor for a failed connection.
#[test]
fn a_proxy_that_refuses_connect_is_named_with_its_answer() {
    for (status, reason) in [
        (407, "Proxy Authentication Required"),
        (403, "Forbidden"),
        (502, "Bad Gateway"),
    ] {
        let Some(proxy) = Server::proxy(V4, None, move |request| match request.method.as_str() {
            "CONNECT" => Reply::status(status).header("Proxy-Authenticate", "Basic realm=\"p\""),
            _ => Reply::text(200, "tunnelled"),
        }) else {
            return;
        };
        let shown = proxy.address.to_string();
        for (url, proxy_url, proxy_shown) in [
            (
                "http://promise-target.invalid/",
                proxy.url("http", ""),
                shown.clone(),
            ),
            (
                "https://promise-target.invalid/",
                format!("http://user:s3cret@{shown}"),
                format!("***@{shown}"),
            ),
        ] {
            run(BIN, ["--url", url, "--proxy", &proxy_url]).expect(
                2,
                &format!(
                    "CRITICAL: {url} cannot go through the proxy {proxy_shown}: it answered {status} {reason}"
                ),
            );
        }
        let requests = proxy.requests();
        assert!(
            requests.iter().all(|r| r.method == "CONNECT"),
            "{requests:?}"
        );
        assert_eq!(
            requests[1].header("Proxy-Authorization"),
            Some("Basic dXNlcjpzM2NyZXQ=")
        );
    }
}

#[test]
fn proxy_option_tunnels_http_and_https() {
    on_both(|ip| {
        let Some(proxy) = Server::proxy(ip, None, |_| Reply::text(200, "via proxy")) else {
            return;
        };
        // The target does not even resolve: only the proxy can answer.
        let url = "http://promise-target.invalid/x";
        run(
            BIN,
            [
                "--url",
                url,
                "--proxy",
                &proxy.url("http", ""),
                "--expect-content",
                "via proxy",
            ],
        )
        .expect_parts(0, &ok_prefix(url, 200), &[]);
        let requests = proxy.requests();
        assert_eq!(requests[0].method, "CONNECT");
        assert_eq!(requests[0].target, "promise-target.invalid:80");
        assert_eq!(requests[1].target, "/x");
    });
    let ca = Ca::new("proxy test CA");
    let identity = ca.server(&["promise-target.invalid"], Validity::Year);
    let proxy = Server::proxy(V4, Some(tls::server_config(&identity, None)), |_| {
        Reply::text(200, "secure")
    })
    .expect("proxy");
    let dir = temp_dir("proxy-ca");
    let ca_file = tls::write(&dir, "ca.pem", &ca.pem()).display().to_string();
    let url = "https://promise-target.invalid/";
    run(
        BIN,
        [
            "--url",
            url,
            "--proxy",
            &proxy.url("http", ""),
            "--ca-cert-file",
            &ca_file,
        ],
    )
    .expect_parts(0, &ok_prefix(url, 200), &[]);
    assert_eq!(proxy.requests()[0].target, "promise-target.invalid:443");
}

// ---------------------------------------------------------------------- HTTPS

/// PEM files of a CA and of a server certificate it issued, in `dir`.
struct Pki {
    ca: Ca,
    ca_file: String,
}

fn pki(test: &str) -> (Pki, std::path::PathBuf) {
    let dir = temp_dir(test);
    let ca = Ca::new(&format!("{test} CA"));
    let ca_file = tls::write(&dir, "ca.pem", &ca.pem()).display().to_string();
    (Pki { ca, ca_file }, dir)
}

fn https(ip: IpAddr, identity: &tls::Identity, client_ca: Option<&Ca>) -> Option<Server> {
    Server::https(ip, tls::server_config(identity, client_ca), |_| {
        Reply::text(200, "secure page")
    })
}

#[test]
fn a_ca_signed_server_is_verified_against_the_ca_file() {
    let (pki, _dir) = pki("https-ca");
    let identity = pki.ca.server(&tls::LOOPBACK, Validity::Year);
    on_both(|ip| {
        let Some(server) = https(ip, &identity, None) else {
            return;
        };
        let url = server.url("https", "/");
        run(
            BIN,
            [
                "--url",
                &url,
                "--ca-cert-file",
                &pki.ca_file,
                "--expect-content",
                "secure",
            ],
        )
        .expect_parts(0, &ok_prefix(&url, 200), &[", body contains 'secure'"]);
        // The built-in roots do not know our CA.
        run(BIN, ["--url", &url]).expect(
            2,
            &format!("CRITICAL: {url} TLS: certificate not trusted (unknown issuer)"),
        );
        run(BIN, ["--url", &url, "-k"]).expect_parts(0, &ok_prefix(&url, 200), &[]);
    });
    let server = https(V4, &identity, None).expect("server");
    let url = format!("https://localhost:{}/", server.address.port());
    run(BIN, ["--url", &url, "--ca-cert-file", &pki.ca_file]).expect_parts(
        0,
        &ok_prefix(&url, 200),
        &[],
    );
}

#[test]
fn a_self_signed_server_passes_with_insecure_or_as_its_own_ca() {
    let identity = tls::self_signed(&tls::LOOPBACK, Validity::Year);
    let server = https(V4, &identity, None).expect("server");
    let url = server.url("https", "/");
    run(BIN, ["--url", &url]).expect(
        2,
        &format!("CRITICAL: {url} TLS: certificate not trusted (self-signed)"),
    );
    run(BIN, ["--url", &url, "--insecure"]).expect_parts(0, &ok_prefix(&url, 200), &[]);
    let dir = temp_dir("self-signed");
    let own = tls::write(&dir, "cert.pem", &identity.cert_pem)
        .display()
        .to_string();
    run(BIN, ["--url", &url, "--ca-cert-file", &own]).expect_parts(0, &ok_prefix(&url, 200), &[]);
}

#[test]
fn an_openssl_style_self_signed_certificate_is_trusted_when_listed() {
    let dir = temp_dir("listed");
    let identity = tls::self_signed_ca(&["127.0.0.1", "::1"], Validity::Year);
    let own = tls::write(&dir, "cert.pem", &identity.cert_pem)
        .display()
        .to_string();
    on_both(|ip| {
        let Some(server) = https(ip, &identity, None) else {
            return;
        };
        let url = server.url("https", "/");
        run(BIN, ["--url", &url, "--ca-cert-file", &own]).expect_parts(
            0,
            &ok_prefix(&url, 200),
            &[],
        );
        run(BIN, ["--url", &url]).expect(
            2,
            &format!("CRITICAL: {url} TLS: certificate not trusted (self-signed)"),
        );
    });
    // Listed, it is trusted as it is, but its name and dates still count.
    let server = https(V4, &identity, None).expect("server");
    let url = format!("https://localhost:{}/", server.address.port());
    run(BIN, ["--url", &url, "--ca-cert-file", &own]).expect(
        2,
        &format!(
            "CRITICAL: {url} TLS: certificate not valid for localhost (it names: 127.0.0.1, ::1)"
        ),
    );
    let expired = tls::self_signed_ca(&["127.0.0.1"], Validity::Expired);
    let old = tls::write(&dir, "old.pem", &expired.cert_pem)
        .display()
        .to_string();
    let server = https(V4, &expired, None).expect("server");
    let url = server.url("https", "/");
    run(BIN, ["--url", &url, "--ca-cert-file", &old]).expect_parts(
        2,
        &format!("CRITICAL: {url} TLS: certificate expired on "),
        &[" UTC"],
    );
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let (pki, _dir) = pki("wrong-name");
    let identity = pki.ca.server(&["service.example"], Validity::Year);
    let server = https(V4, &identity, None).expect("server");
    let url = server.url("https", "/");
    run(BIN, ["--url", &url, "--ca-cert-file", &pki.ca_file]).expect(
        2,
        &format!(
            "CRITICAL: {url} TLS: certificate not valid for 127.0.0.1 (it names: service.example)"
        ),
    );
}

#[test]
fn certificate_lifetime_warns_then_fails() {
    let (pki, _dir) = pki("lifetime");
    let soon = pki.ca.server(
        &tls::LOOPBACK,
        Validity::EndsIn(Duration::from_secs(47 * 3600)),
    );
    let server = https(V4, &soon, None).expect("server");
    let url = server.url("https", "/");
    let host = authority(&server);
    let base = [
        "--url",
        url.as_str(),
        "--ca-cert-file",
        pki.ca_file.as_str(),
    ];
    let with = |days: &str| {
        let mut args = base.to_vec();
        args.extend(["--cert-min-days", days]);
        run(BIN, args)
    };
    with("7").expect_parts(
        1,
        &ok_prefix(&url, 200).replacen("OK", "WARNING", 1),
        &[
            &format!(", but the certificate of {host} expires in 1 day (on "),
            " UTC), expected at least 7 days",
        ],
    );
    with("1").expect_parts(
        0,
        &ok_prefix(&url, 200),
        &[", certificate expires in 1 day"],
    );
    run(BIN, base).expect_parts(0, &ok_prefix(&url, 200), &[]);
    let lasting = pki.ca.server(
        &tls::LOOPBACK,
        Validity::EndsIn(Duration::from_secs(100 * 86_400 - 3600)),
    );
    let server = https(V4, &lasting, None).expect("server");
    let url = server.url("https", "/");
    run(
        BIN,
        [
            "--url",
            &url,
            "--ca-cert-file",
            &pki.ca_file,
            "--cert-min-days",
            "30",
            "--perfdata",
        ],
    )
    .expect_parts(
        0,
        &ok_prefix(&url, 200),
        &[
            ", certificate expires in 99 days | time=",
            " cert_days=99;30:;0:",
        ],
    );
}

#[test]
fn an_expired_certificate_is_critical_with_or_without_verification() {
    let (pki, _dir) = pki("expired");
    let expired = pki.ca.server(&tls::LOOPBACK, Validity::Expired);
    on_both(|ip| {
        let Some(server) = https(ip, &expired, None) else {
            return;
        };
        let url = server.url("https", "/");
        run(BIN, ["--url", &url, "--ca-cert-file", &pki.ca_file]).expect_parts(
            2,
            &format!("CRITICAL: {url} TLS: certificate expired on "),
            &[" UTC"],
        );
        // -k accepts it (the legacy behaviour); --cert-min-days still sees it.
        run(BIN, ["--url", &url, "-k"]).expect_parts(0, &ok_prefix(&url, 200), &[]);
        run(BIN, ["--url", &url, "-k", "--cert-min-days", "0"]).expect_parts(
            2,
            &format!("CRITICAL: {url} returned 200 in "),
            &[&format!(
                ", but the certificate of {} expired on ",
                authority(&server)
            )],
        );
    });
}

#[test]
fn the_soonest_expiry_along_redirects_counts() {
    let (pki, _dir) = pki("redirect-expiry");
    let soon = pki.ca.server(
        &tls::LOOPBACK,
        Validity::EndsIn(Duration::from_secs(71 * 3600)),
    );
    let target_server = https(V4, &soon, None).expect("server");
    let target = target_server.url("https", "/");
    let lasting = pki.ca.server(&tls::LOOPBACK, Validity::Year);
    let first = Server::https(V4, tls::server_config(&lasting, None), move |_| {
        Reply::redirect(302, &target)
    })
    .expect("server");
    let url = first.url("https", "/");
    run(
        BIN,
        [
            "--url",
            &url,
            "--ca-cert-file",
            &pki.ca_file,
            "--cert-min-days",
            "10",
        ],
    )
    .expect_parts(
        1,
        "WARNING: ",
        &[&format!(
            "the certificate of {} expires in 2 days",
            authority(&target_server)
        )],
    );
}

#[test]
fn http_redirected_to_https_sets_up_tls_on_the_way() {
    let (pki, _dir) = pki("upgrade");
    let identity = pki.ca.server(&tls::LOOPBACK, Validity::Year);
    let secure = https(V4, &identity, None).expect("server");
    let target = secure.url("https", "/");
    let plain = answering(V4, Reply::redirect(301, &target)).expect("server");
    let url = plain.url("http", "/");
    run(BIN, ["--url", &url]).expect(
        2,
        &format!("CRITICAL: {url} redirected to {target}, which failed TLS: certificate not trusted (unknown issuer)"),
    );
    run(BIN, ["--url", &url, "--ca-cert-file", &pki.ca_file]).expect_parts(
        0,
        &format!("OK: {url} redirected to {target}, which returned 200 in "),
        &[],
    );
}

#[test]
fn https_to_a_plain_http_port_says_so() {
    // A plain HTTP server answers the ClientHello with a 400, as real ones do.
    let listener = listen::tcp4();
    let host = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            let mut sink = [0u8; 1024];
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        }
    });
    let url = format!("https://{host}/");
    run(BIN, ["--url", &url, "-k"]).expect(
        2,
        &format!(
            "CRITICAL: {url} TLS: the server did not answer in TLS (plain HTTP on this port?)"
        ),
    );
}

#[test]
fn a_tls_handshake_that_hangs_times_out_naming_it() {
    let listener = listen::tcp4();
    let host = listener.local_addr().unwrap().to_string();
    let url = format!("https://{host}/");
    run(BIN, ["--url", &url, "-k", "--timeout", SHORT])
        .within(Duration::from_millis(1500))
        .expect(
            2,
            &format!("CRITICAL: {url} timed out after 0.5 s in the TLS handshake with {host}"),
        );
}

#[test]
fn client_certificates_are_presented_and_checked() {
    let (pki, dir) = pki("client-cert");
    let server_identity = pki.ca.server(&tls::LOOPBACK, Validity::Year);
    let clients = Ca::new("client CA");
    let alice = clients.client("alice");
    let cert = tls::write(&dir, "alice.crt", &alice.cert_pem)
        .display()
        .to_string();
    let key = tls::write(&dir, "alice.key", &alice.key_pem)
        .display()
        .to_string();
    let both = tls::write(
        &dir,
        "alice.pem",
        &format!("{}{}", alice.cert_pem, alice.key_pem),
    )
    .display()
    .to_string();
    let mallory = pki.ca.client("mallory");
    let stranger_cert = tls::write(&dir, "mallory.crt", &mallory.cert_pem)
        .display()
        .to_string();
    let stranger_key = tls::write(&dir, "mallory.key", &mallory.key_pem)
        .display()
        .to_string();
    on_both(|ip| {
        let Some(server) = https(ip, &server_identity, Some(&clients)) else {
            return;
        };
        let url = server.url("https", "/");
        let ca = pki.ca_file.as_str();
        run(
            BIN,
            [
                "--url",
                &url,
                "--ca-cert-file",
                ca,
                "--cert-file",
                &cert,
                "--key-file",
                &key,
            ],
        )
        .expect_parts(0, &ok_prefix(&url, 200), &[]);
        run(
            BIN,
            [
                "--url",
                &url,
                "--ca-cert-file",
                ca,
                "--cert-file",
                &both,
                "--key-file",
                &both,
            ],
        )
        .expect_parts(0, &ok_prefix(&url, 200), &[]);
        run(BIN, ["--url", &url, "--ca-cert-file", ca]).expect(
            2,
            &format!(
                "CRITICAL: {url} TLS: the server requires a client certificate (--cert-file, --key-file)"
            ),
        );
        run(
            BIN,
            [
                "--url",
                &url,
                "-k",
                "--cert-file",
                &stranger_cert,
                "--key-file",
                &stranger_key,
            ],
        )
        .expect_parts(
            2,
            &format!("CRITICAL: {url} TLS: the server ended the handshake with the alert '"),
            &[],
        );
    });
}

#[test]
fn unusable_tls_files_are_unknown_before_any_connection() {
    let (pki, dir) = pki("tls-files");
    let alice = pki.ca.client("alice");
    let cert = tls::write(&dir, "alice.crt", &alice.cert_pem)
        .display()
        .to_string();
    let key = tls::write(&dir, "alice.key", &alice.key_pem)
        .display()
        .to_string();
    let other_key = tls::write(&dir, "other.key", &pki.ca.client("bob").key_pem)
        .display()
        .to_string();
    let text = tls::write(&dir, "notes.txt", "no PEM in here\n")
        .display()
        .to_string();
    let torn = tls::write(&dir, "torn.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n")
        .display()
        .to_string();
    let missing = dir.join("missing.pem").display().to_string();
    // The port is closed: a connection attempt would say so instead.
    let url = format!("https://127.0.0.1:{}/", listen::closed_port());
    for (args, line) in [
        (
            vec!["--ca-cert-file", missing.as_str()],
            format!("cannot read --ca-cert-file {missing}: no such file or directory"),
        ),
        (
            vec!["--ca-cert-file", text.as_str()],
            format!("--ca-cert-file {text} holds no PEM certificate"),
        ),
        (
            vec!["--ca-cert-file", torn.as_str()],
            format!("--ca-cert-file {torn} is not valid PEM: a section has no END line"),
        ),
        (
            vec![
                "-k",
                "--cert-file",
                text.as_str(),
                "--key-file",
                key.as_str(),
            ],
            format!("--cert-file {text} holds no PEM certificate"),
        ),
        (
            vec![
                "-k",
                "--cert-file",
                cert.as_str(),
                "--key-file",
                text.as_str(),
            ],
            format!("--key-file {text} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)"),
        ),
        (
            vec![
                "-k",
                "--cert-file",
                cert.as_str(),
                "--key-file",
                other_key.as_str(),
            ],
            format!("--key-file {other_key} does not match the certificate in --cert-file {cert}"),
        ),
        (
            vec!["--cert-file", cert.as_str(), "--key-file", missing.as_str()],
            format!("cannot read --key-file {missing}: no such file or directory"),
        ),
    ] {
        let mut all = vec!["--url", url.as_str()];
        all.extend(args);
        run(BIN, all).expect(3, &format!("UNKNOWN: {line}"));
    }
}

// -------------------------------------------------------------------- usage

#[test]
fn bad_usage_is_unknown() {
    let url = "http://127.0.0.1:1/";
    for (args, line) in [
        (vec!["--url", ""], "--url is empty"),
        (
            vec!["--url", "ftp://127.0.0.1/"],
            "--url ftp://127.0.0.1/: unsupported scheme 'ftp' (http or https)",
        ),
        (
            vec!["--url", "127.0.0.1:8080/health"],
            "--url 127.0.0.1:8080/health has no scheme (http:// or https://)",
        ),
        (
            vec!["--url", "http:///path"],
            "--url http:///path is not a valid URL",
        ),
        (
            vec!["--url", "http://:8080/"],
            "--url http://:8080/ has no host",
        ),
        (
            vec!["--url", "http://bob:hunter2@127.0.0.1/"],
            "--url http://***@127.0.0.1/ holds credentials: use --username with --password or --password-file",
        ),
        (
            vec!["--url", url, "-k", "--ca-cert-file", "/ca"],
            "-k/--insecure and --ca-cert-file exclude each other",
        ),
        (
            vec!["--url", url, "--cert-file", "/c"],
            "--cert-file and --key-file go together",
        ),
        (
            vec!["--url", url, "--key-file", "/k"],
            "--cert-file and --key-file go together",
        ),
        (
            vec!["--url", url, "--cert-min-days", "7"],
            "--cert-min-days needs an https:// URL",
        ),
        (
            vec!["--url", url, "--username", "u"],
            "--username needs --password or --password-file",
        ),
        (
            vec!["--url", url, "--password", "p"],
            "--password and --password-file need --username",
        ),
        (
            vec![
                "--url",
                url,
                "--username",
                "u",
                "--password",
                "p",
                "--password-file",
                "/f",
            ],
            "--password and --password-file exclude each other",
        ),
        (
            vec!["--url", url, "--username", "a:b", "--password", "p"],
            "--username cannot hold ':' (HTTP Basic authentication)",
        ),
        (
            vec![
                "--url",
                url,
                "--username",
                "u",
                "--password",
                "p",
                "--header",
                "authorization: Bearer t",
            ],
            "--username and --header 'Authorization: ...' exclude each other",
        ),
        (
            vec!["--url", url, "--no-follow", "--max-redirects", "3"],
            "--no-follow and --max-redirects exclude each other",
        ),
        (
            vec!["--url", url, "--expect-content", ""],
            "--expect-content is empty",
        ),
        (
            vec!["--url", url, "--method", "HEAD", "--expect-content", "x"],
            "--expect-content needs a body: it cannot go with --method HEAD",
        ),
        (
            vec!["--url", url, "--header", "X: a\r\nEvil: 1"],
            "--header 'X: a Evil: 1' holds a CR or LF",
        ),
        (
            vec!["--url", url, "--header", "NoColon"],
            "--header 'NoColon' is not 'Name: value'",
        ),
        (
            vec!["--url", url, "--header", "Content-Length: 5"],
            "--header 'Content-Length: 5' cannot be set: the request has no body",
        ),
        (
            vec!["--url", url, "--proxy", "socks5://127.0.0.1:1080"],
            "--proxy socks5://127.0.0.1:1080: only http:// and https:// proxies are supported",
        ),
    ] {
        let mut all = args.clone();
        all.push("--timeout=0.3");
        run(BIN, &all).expect(3, &format!("UNKNOWN: {line}"));
    }
    let long_url = format!("http://127.0.0.1/{}", "a".repeat(8 * 1024));
    run(BIN, ["--url", &long_url]).expect(3, "UNKNOWN: --url is longer than 8192 bytes");
    let long_password = "p".repeat(1024);
    run(
        BIN,
        [
            "--url",
            url,
            "--username",
            "u",
            "--password",
            &long_password,
        ],
    )
    .expect(
        3,
        "UNKNOWN: --username and its password are longer than 1024 bytes together",
    );
    for (option, value, why) in [
        (
            "--http-code",
            "abc",
            "expected status codes from 100 to 599 such as 200, 200,204, 200-399 or 2xx, got 'abc'",
        ),
        (
            "--http-code",
            "399-300",
            "expected status codes from 100 to 599 such as 200, 200,204, 200-399 or 2xx, got '399-300'",
        ),
        ("--method", "POST", "expected GET or HEAD, got 'POST'"),
    ] {
        run(BIN, ["--url", url, option, value]).expect(
            3,
            &format!(
                "UNKNOWN: Error parsing option '{option}' with value '{value}': {why} (see --help)"
            ),
        );
    }
    run(BIN, ["--http-code", "200"]).expect(
        3,
        "UNKNOWN: Required options not provided: --url (see --help)",
    );
}

#[test]
fn quiet_silences_success_only_and_perfdata_follows_a_bar() {
    let server = Server::http(V4, |request: &Request| match request.target.as_str() {
        "/" => Reply::status(200),
        _ => Reply::status(500),
    })
    .expect("server");
    let url = server.url("http", "/");
    run(BIN, ["--url", &url, "-q"]).expect_silent(0);
    run(BIN, ["--url", &url, "--perfdata"]).expect_parts(
        0,
        &ok_prefix(&url, 200),
        &[" ms | time=", "s;;;0;10.000000"],
    );
    let bad = server.url("http", "/bad");
    run(BIN, ["--url", &bad, "--quiet"])
        .expect(2, &format!("CRITICAL: {bad} returned 500, expected 200"));
}

#[test]
fn server_text_is_sanitised_and_capped() {
    let location = format!("/\u{202e}{}", "x".repeat(5000));
    let server = answering(V4, Reply::redirect(302, &location)).expect("server");
    let url = server.url("http", "/");
    let out = run(BIN, ["--url", &url, "--no-follow"]);
    let line = out.line(2);
    assert!(line.len() < 1100, "{line}");
    assert!(
        line.starts_with(&format!(
            "CRITICAL: {url} returned 302, expected 200 (redirect to /"
        )),
        "{line}"
    );
    assert!(!line.contains('\u{202e}'));
    // Followed, the same Location is encoded into a URL and shown capped.
    let out = run(BIN, ["--url", &url, "--max-redirects", "1"]);
    assert!(out.line(2).len() < 1100);
}

// ------------------------------------------- what is trusted, what is sent (#12)

#[test]
fn an_invalid_port_is_a_usage_error_never_another_port() {
    for (url, port) in [
        ("http://127.0.0.1:70000/", "70000"),
        ("http://127.0.0.1:65536/", "65536"),
        ("http://127.0.0.1:-1/", "-1"),
        ("https://127.0.0.1:8080x/", "8080x"),
        ("http://[::1]:70000/", "70000"),
        ("http://127.0.0.1:+81/", "+81"),
    ] {
        let why = format!("port '{port}' is not a port number from 1 to 65535");
        run(BIN, ["--url", url]).expect(3, &format!("UNKNOWN: --url {url}: {why}"));
        let proxy = url.trim_end_matches('/');
        run(BIN, ["--url", "http://127.0.0.1:1/", "--proxy", proxy])
            .expect(3, &format!("UNKNOWN: --proxy {proxy}: {why}"));
    }
    // Nor does recipe-generator bake one.
    let dir = temp_dir("baked-port");
    let wrapper = dir.join("check-site");
    let bin = crate::util::bin(BIN);
    let bin_dir = bin.parent().expect("bin folder").display().to_string();
    let output = wrapper.display().to_string();
    run(
        "recipe-generator",
        [
            "write",
            "--output",
            &output,
            "--promise",
            BIN,
            "--bin-dir",
            &bin_dir,
            "--",
            "--url",
            "http://[::1]:70000/",
        ],
    )
    .expect(
        3,
        "UNKNOWN: --url http://[::1]:70000/: port '70000' is not a port number from 1 to 65535",
    );
    assert!(!wrapper.exists(), "a wrapper was written");
}

#[test]
fn header_values_stay_with_the_origin_even_from_https_to_http() {
    let (pki, _dir) = pki("header-origin");
    let identity = pki.ca.server(&tls::LOOPBACK, Validity::Year);
    let plain = answering(V4, Reply::text(200, "in clear")).expect("server");
    let target = plain.url("http", "/landing");
    let secure = Server::https(V4, tls::server_config(&identity, None), move |_| {
        Reply::redirect(302, &target)
    })
    .expect("server");
    let url = secure.url("https", "/");
    run(
        BIN,
        [
            "--url",
            &url,
            "--ca-cert-file",
            &pki.ca_file,
            "--header",
            "X-Auth-Token: s3cret",
        ],
    )
    .expect_parts(0, "OK: ", &["redirected to"]);
    assert_eq!(secure.requests()[0].header("x-auth-token"), Some("s3cret"));
    let landed = &plain.requests()[0];
    assert_eq!(landed.header("x-auth-token"), None, "{landed:?}");
}

#[test]
fn an_empty_header_value_removes_the_header() {
    let server = answering(V4, Reply::status(200)).expect("server");
    let url = server.url("http", "/");
    run(
        BIN,
        [
            "--url",
            &url,
            "--header",
            "User-Agent:",
            "--header",
            "Accept:",
        ],
    )
    .expect_parts(0, &ok_prefix(&url, 200), &[]);
    let request = &server.requests()[0];
    assert_eq!(request.header("user-agent"), None, "{request:?}");
    assert_eq!(request.header("accept"), None, "{request:?}");
    run(BIN, ["--url", &url, "--header", "Host:"]).expect(
        3,
        "UNKNOWN: --header 'Host:' cannot remove Host: HTTP/1.1 requires it",
    );
}

#[test]
fn the_proxy_certificate_is_verified_unless_proxy_insecure_and_named() {
    let (pki, _dir) = pki("tls-proxy");
    // The proxy's certificate comes from a CA nobody told us about.
    let proxy_ca = Ca::new("proxy CA");
    let proxy_identity = proxy_ca.server(&tls::LOOPBACK, Validity::Year);
    let target_identity = pki.ca.server(&["promise-target.invalid"], Validity::Year);
    let proxy = Server::tls_proxy(
        V4,
        tls::server_config(&proxy_identity, None),
        Some(tls::server_config(&target_identity, None)),
        |_| Reply::text(200, "tunnelled"),
    )
    .expect("proxy");
    let proxy_url = proxy.url("https", "");
    let address = authority(&proxy);
    let url = "https://promise-target.invalid/";
    let refused = format!(
        "CRITICAL: {url} cannot go through the proxy {address}: TLS: certificate not trusted (unknown issuer)"
    );
    // -k is for the URL: the proxy is still verified.
    run(BIN, ["--url", url, "--proxy", &proxy_url, "-k"]).expect(2, &refused);
    // The URL's CA file is not the proxy's either.
    run(
        BIN,
        [
            "--url",
            url,
            "--proxy",
            &proxy_url,
            "--ca-cert-file",
            &pki.ca_file,
        ],
    )
    .expect(2, &refused);
    run(
        BIN,
        [
            "--url",
            url,
            "--proxy",
            &proxy_url,
            "--proxy-insecure",
            "--ca-cert-file",
            &pki.ca_file,
        ],
    )
    .expect_parts(0, &ok_prefix(url, 200), &[]);
    // --proxy-insecure is for the proxy: the URL is still verified.
    run(
        BIN,
        ["--url", url, "--proxy", &proxy_url, "--proxy-insecure"],
    )
    .expect(
        2,
        &format!("CRITICAL: {url} TLS: certificate not trusted (unknown issuer)"),
    );
}

#[test]
fn cert_min_days_judges_the_target_never_the_proxy() {
    let (pki, _dir) = pki("proxy-expiry");
    let soon = pki.ca.server(
        &tls::LOOPBACK,
        Validity::EndsIn(Duration::from_secs(30 * 3600)),
    );
    let lasting = pki.ca.server(&["promise-target.invalid"], Validity::Year);
    let proxy = Server::tls_proxy(
        V4,
        tls::server_config(&soon, None),
        Some(tls::server_config(&lasting, None)),
        |_| Reply::text(200, "tunnelled"),
    )
    .expect("proxy");
    let url = "https://promise-target.invalid/";
    run(
        BIN,
        [
            "--url",
            url,
            "--proxy",
            &proxy.url("https", ""),
            "--proxy-insecure",
            "--ca-cert-file",
            &pki.ca_file,
            "--cert-min-days",
            "10",
        ],
    )
    .expect_parts(0, &ok_prefix(url, 200), &[", certificate expires in 36"]);
}

#[test]
fn proxy_authorization_goes_on_connect_only() {
    let proxy = Server::proxy(V4, None, |_| Reply::text(200, "via proxy")).expect("proxy");
    let url = "http://promise-target.invalid/";
    run(
        BIN,
        [
            "--url",
            url,
            "--proxy",
            &proxy.url("http", ""),
            "--header",
            "Proxy-Authorization: Bearer t0ken",
            "--header",
            "X-Auth-Token: s3cret",
        ],
    )
    .expect_parts(0, &ok_prefix(url, 200), &[]);
    let requests = proxy.requests();
    assert_eq!(requests[0].method, "CONNECT");
    assert_eq!(
        requests[0].header("proxy-authorization"),
        Some("Bearer t0ken")
    );
    assert_eq!(requests[0].header("x-auth-token"), None, "{requests:?}");
    assert_eq!(
        requests[1].header("proxy-authorization"),
        None,
        "{requests:?}"
    );
    assert_eq!(requests[1].header("x-auth-token"), Some("s3cret"));
    // Basic credentials in the proxy URL go on the CONNECT request too.
    let proxy = Server::proxy(V4, None, |_| Reply::text(200, "via proxy")).expect("proxy");
    let with_user = format!("http://bob:pw@{}", authority(&proxy));
    run(BIN, ["--url", url, "--proxy", &with_user]).expect_parts(0, &ok_prefix(url, 200), &[]);
    let requests = proxy.requests();
    assert_eq!(
        requests[0].header("proxy-authorization"),
        Some("Basic Ym9iOnB3")
    );
    assert_eq!(requests[1].header("proxy-authorization"), None);
    run(
        BIN,
        ["--url", url, "--header", "Proxy-Authorization: Bearer t0ken"],
    )
    .expect(
        3,
        "UNKNOWN: --header 'Proxy-Authorization: ...' needs --proxy (it goes on the CONNECT request only)",
    );
}

/// Whether curl, the reference, accepts `url` trusting the certificates of
/// `ca_file` (and presenting `client`, a certificate and key file pair).
fn curl_accepts(url: &str, ca_file: &str, client: Option<(&str, &str)>) -> bool {
    let mut curl = std::process::Command::new("curl");
    curl.args([
        "-sS",
        "-o",
        "/dev/null",
        "--max-time",
        "10",
        "--noproxy",
        "*",
    ])
    .args(["--cacert", ca_file]);
    if let Some((cert, key)) = client {
        curl.args(["--cert", cert, "--key", key]);
    }
    curl.arg(url)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("curl runs (make test-deps installs it)")
        .success()
}

#[test]
fn a_listed_certificate_that_is_not_a_ca_vouches_only_for_itself() {
    let dir = temp_dir("pinned");
    let server_auth = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let pinned = tls::Pinned::new(&tls::LOOPBACK, server_auth);
    let file = tls::write(&dir, "pinned.pem", &pinned.identity().cert_pem)
        .display()
        .to_string();
    let check = |identity: &tls::Identity| {
        let server = https(V4, identity, None).expect("server");
        let url = server.url("https", "/");
        let curl = curl_accepts(&url, &file, None);
        (
            run(BIN, ["--url", &url, "--ca-cert-file", &file]),
            url,
            curl,
        )
    };
    // Itself, byte for byte: trusted, as curl trusts it.
    let (outcome, url, curl) = check(&pinned.identity());
    outcome.expect_parts(0, &ok_prefix(&url, 200), &[]);
    assert!(curl, "curl refuses the pinned certificate itself");
    // A certificate its key signs: not a CA, it vouches for nothing.
    let (outcome, url, curl) = check(&pinned.signed(&["127.0.0.1", "localhost"]));
    outcome.expect(
        2,
        &format!("CRITICAL: {url} TLS: certificate not trusted (unknown issuer)"),
    );
    assert!(!curl, "curl accepts a certificate signed by a pinned one");
    // Its key and subject, other names: another certificate.
    let (outcome, url, curl) = check(&pinned.same_key(&["localhost", "127.0.0.1", "evil.example"]));
    outcome.expect(
        2,
        &format!("CRITICAL: {url} TLS: certificate not trusted (self-signed)"),
    );
    assert!(!curl, "curl accepts the pinned key with other names");
    // Pinned, but for TLS clients only: its extended key usage counts.
    let client_only = tls::Pinned::new(
        &tls::LOOPBACK,
        vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth],
    );
    let client_file = tls::write(&dir, "client-only.pem", &client_only.identity().cert_pem)
        .display()
        .to_string();
    let server = https(V4, &client_only.identity(), None).expect("server");
    let url = server.url("https", "/");
    run(BIN, ["--url", &url, "--ca-cert-file", &client_file]).expect(
        2,
        &format!("CRITICAL: {url} TLS: certificate is not for TLS servers (extended key usage)"),
    );
    assert!(!curl_accepts(&url, &client_file, None));
}

#[test]
fn an_expired_ca_vouches_for_nothing() {
    let dir = temp_dir("expired-ca");
    let old = Ca::valid("expired CA", Validity::Expired);
    let file = tls::write(&dir, "ca.pem", &old.pem()).display().to_string();
    let server = https(V4, &old.server(&tls::LOOPBACK, Validity::Year), None).expect("server");
    let url = server.url("https", "/");
    run(BIN, ["--url", &url, "--ca-cert-file", &file]).expect_parts(
        2,
        &format!(
            "CRITICAL: {url} TLS: certificate not trusted (its CA in --ca-cert-file expired on "
        ),
        &[" UTC)"],
    );
    assert!(
        !curl_accepts(&url, &file, None),
        "curl trusts an expired CA"
    );
    // Beside a valid CA, the expired one still vouches for nothing, and the valid one works.
    let (pki, _dir) = pki("expired-ca-beside");
    let both = tls::write(&dir, "both.pem", &format!("{}{}", old.pem(), pki.ca.pem()))
        .display()
        .to_string();
    run(BIN, ["--url", &url, "--ca-cert-file", &both]).expect_parts(
        2,
        &format!(
            "CRITICAL: {url} TLS: certificate not trusted (its CA in --ca-cert-file expired on "
        ),
        &[],
    );
    let good = https(V4, &pki.ca.server(&tls::LOOPBACK, Validity::Year), None).expect("server");
    let good_url = good.url("https", "/");
    run(BIN, ["--url", &good_url, "--ca-cert-file", &both]).expect_parts(
        0,
        &ok_prefix(&good_url, 200),
        &[],
    );
}

#[test]
fn an_impostor_of_a_listed_certificate_is_not_trusted() {
    let dir = temp_dir("impostor");
    // openssl req -x509 style (a CA), listed; the impostor has its subject and names, not its key.
    let listed = tls::self_signed_ca(&["127.0.0.1"], Validity::Year);
    let impostor = tls::self_signed_ca(&["127.0.0.1"], Validity::Year);
    let file = tls::write(&dir, "listed.pem", &listed.cert_pem)
        .display()
        .to_string();
    let server = https(V4, &impostor, None).expect("server");
    let url = server.url("https", "/");
    run(BIN, ["--url", &url, "--ca-cert-file", &file]).expect(
        2,
        &format!("CRITICAL: {url} TLS: certificate not trusted (self-signed)"),
    );
    assert!(!curl_accepts(&url, &file, None));
    // A CA's impostor: its name as issuer, another key's signature.
    let (pki, _dir) = pki("impostor-ca");
    let fake = Ca::new("impostor-ca CA");
    let server = https(V4, &fake.server(&tls::LOOPBACK, Validity::Year), None).expect("server");
    let url = server.url("https", "/");
    run(BIN, ["--url", &url, "--ca-cert-file", &pki.ca_file]).expect_parts(
        2,
        &format!("CRITICAL: {url} TLS: certificate not trusted ("),
        &[],
    );
    assert!(!curl_accepts(&url, &pki.ca_file, None));
}

/// `openssl ARGS` in `dir`, which must succeed; its stdout.
fn openssl(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs (make test-deps installs it)");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A child process of the test, killed and reaped when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `openssl s_server -www` on 127.0.0.1 in `dir`, once it says it accepts;
/// its port.
fn openssl_server(dir: &Path, args: &[&str]) -> (Child, u16) {
    use std::io::BufRead;
    let port = listen::closed_port();
    let mut child = Child(
        std::process::Command::new("openssl")
            .current_dir(dir)
            .args(["s_server", "-www", "-accept", &format!("127.0.0.1:{port}")])
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("openssl runs (make test-deps installs it)"),
    );
    let stdout = child.0.stdout.take().expect("piped stdout");
    let ready = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.starts_with("ACCEPT"));
    assert!(ready, "openssl s_server did not start");
    (child, port)
}

#[test]
fn a_version_1_client_certificate_is_presented() {
    let (pki, dir) = pki("v1-client");
    let server = pki.ca.server(&tls::LOOPBACK, Validity::Year);
    tls::write(&dir, "server.pem", &server.cert_pem);
    tls::write(&dir, "server.key", &server.key_pem);
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec![
        "req",
        "-x509",
        "-keyout",
        "clients.key",
        "-out",
        "clients.pem",
    ];
    ca.extend(ec);
    ca.extend(["-subj", "/CN=clients", "-days", "30"]);
    openssl(&dir, &ca);
    let mut request = vec!["req", "-new", "-keyout", "alice.key", "-out", "alice.csr"];
    request.extend(ec);
    request.extend(["-subj", "/CN=alice"]);
    openssl(&dir, &request);
    // Without -extfile, `openssl x509 -req` makes a version 1 certificate.
    openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            "alice.csr",
            "-CA",
            "clients.pem",
            "-CAkey",
            "clients.key",
            "-days",
            "30",
            "-out",
            "alice.pem",
        ],
    );
    let text = openssl(&dir, &["x509", "-in", "alice.pem", "-noout", "-text"]);
    assert!(text.contains("Version: 1 (0x0)"), "{text}");
    let cert = dir.join("alice.pem").display().to_string();
    let key = dir.join("alice.key").display().to_string();
    let (_server, port) = openssl_server(
        &dir,
        &[
            "-cert",
            "server.pem",
            "-key",
            "server.key",
            "-CAfile",
            "clients.pem",
            "-Verify",
            "1",
        ],
    );
    let url = format!("https://127.0.0.1:{port}/");
    let ca_file = pki.ca_file.as_str();
    run(
        BIN,
        [
            "--url",
            &url,
            "--ca-cert-file",
            ca_file,
            "--cert-file",
            &cert,
            "--key-file",
            &key,
        ],
    )
    .expect_parts(0, &ok_prefix(&url, 200), &[]);
    assert!(curl_accepts(&url, ca_file, Some((&cert, &key))));
    run(BIN, ["--url", &url, "--ca-cert-file", ca_file]).expect_parts(
        2,
        &format!("CRITICAL: {url} TLS: "),
        &[],
    );
    // The one thing we check ourselves: the key is the certificate's.
    let other = dir.join("clients.key").display().to_string();
    run(
        BIN,
        [
            "--url",
            &url,
            "--ca-cert-file",
            ca_file,
            "--cert-file",
            &cert,
            "--key-file",
            &other,
        ],
    )
    .expect(
        3,
        &format!(
            "UNKNOWN: --key-file {other} does not match the certificate in --cert-file {cert}"
        ),
    );
}

#[test]
fn folded_response_header_lines_are_unfolded_as_curl_does() {
    let folded = b"HTTP/1.1 200 OK\r\nX-Note: first\r\n  second\r\n\tthird\r\nContent-Length: 5\r\n\r\nhello";
    let server = answering(V4, Reply::Raw(folded.to_vec())).expect("server");
    let url = server.url("http", "/");
    run(BIN, ["--url", &url, "--expect-content", "hello"]).expect_parts(
        0,
        &ok_prefix(&url, 200),
        &[", body contains 'hello'"],
    );
    assert!(
        curl_accepts(&url, "/dev/null", None),
        "curl refuses the folded header"
    );
    // A folded Location is followed where its value says.
    let landing = answering(V4, Reply::text(200, "landed")).expect("server");
    let target = landing.url("http", "/landing");
    let raw = format!("HTTP/1.1 302 Found\r\nLocation:\r\n {target}\r\nContent-Length: 0\r\n\r\n");
    let server = answering(V4, Reply::Raw(raw.into_bytes())).expect("server");
    let url = server.url("http", "/");
    run(BIN, ["--url", &url]).expect_parts(
        0,
        &format!("OK: {url} redirected to {target}, which returned 200 in "),
        &[],
    );
}
