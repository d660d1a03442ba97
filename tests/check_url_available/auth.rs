//! Credentials and headers: HTTP Basic from the command line or a file, --header lines, and where each may go.

use super::*;

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
