//! Redirects: followed to the final response, bounded (--max-redirects, --no-follow), loops shown as loops, credentials kept to their origin.

use super::*;

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
