//! Usage errors through the binary: one case per source (argh, --url, plan, --header, --proxy, paths); the full table is next to plan() in the crate.

use super::*;

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
