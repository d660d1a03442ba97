//! Content: --expect-content found, missing, or past the 10 MiB cap, and read only when asked.

use super::*;

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
