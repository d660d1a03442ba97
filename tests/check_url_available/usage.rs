//! Usage errors through the binary: one case per source (argh, --url, plan, --header, --proxy, paths); the full table is next to plan() in the crate.

use super::*;

/// One case per source of usage errors, through the binary: argh (a value,
/// a missing option), `--url`, a conflict found by plan(), `--header`,
/// credentials, `--proxy`, a path. Every line of each source is in the table
/// next to plan() (`usage_errors_say_what_is_wrong` in the crate).
#[test]
fn bad_usage_is_unknown() {
    let url = "http://127.0.0.1:1/";
    let long_password = "p".repeat(1024);
    for (args, line) in [
        (
            vec!["--url", "http://bob:hunter2@127.0.0.1/"],
            "--url http://***@127.0.0.1/ holds credentials: use --username with --password or --password-file",
        ),
        (
            vec!["--url", url, "-k", "--ca-cert-file", "/ca"],
            "-k/--insecure and --ca-cert-file exclude each other",
        ),
        (
            vec!["--url", url, "--header", "X: a\r\nEvil: 1"],
            "--header 'X: a Evil: 1' holds a CR or LF",
        ),
        (
            vec![
                "--url",
                url,
                "--username",
                "u",
                "--password",
                &long_password,
            ],
            "--username and its password are longer than 1024 bytes together",
        ),
        (
            vec!["--url", url, "--proxy", "socks5://127.0.0.1:1080"],
            "--proxy socks5://127.0.0.1:1080: only http:// and https:// proxies are supported",
        ),
        (
            vec!["--url", url, "--password-file", ""],
            "--password-file needs a path",
        ),
        (
            vec!["--url", url, "--method", "POST"],
            "Error parsing option '--method' with value 'POST': expected GET or HEAD, got 'POST' (see --help)",
        ),
        (
            vec!["--http-code", "200"],
            "Required options not provided: --url (see --help)",
        ),
    ] {
        let mut all = args.clone();
        all.push("--timeout=0.3");
        run(BIN, &all).expect(3, &format!("UNKNOWN: {line}"));
    }
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
