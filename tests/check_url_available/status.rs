//! Status codes: what passes (--http-code, --check-secure, --ignore-code), what fails, and how each reads.

use super::*;

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
