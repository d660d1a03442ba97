//! Secrets never reach a line: every refusal path runs with a marker secret,
//! and the marker must appear in no stdout, no stderr, no refusal of a written
//! wrapper.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::util::{Outcome, generator, listen, run, run_program, temp_dir};

/// The secret every case carries.
const MARK: &str = "Zq7SECRETmark";

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// Asserts exit `code`, and that the marker shows nowhere.
#[track_caller]
fn refused_without_the_secret(out: &Outcome, code: i32) -> String {
    let line = out.line(code).to_owned();
    assert!(
        !out.stdout.contains(MARK) && !out.stderr.contains(MARK),
        "the secret shows\n{out}"
    );
    assert!(!line.contains("Zq7"), "part of the secret shows\n{out}");
    line
}

fn url() -> String {
    format!("http://127.0.0.1:{}/", listen::closed_port())
}

#[test]
fn check_url_available_refusals_never_show_the_secret() {
    let url = url();
    let password = MARK.to_owned();
    let with_credentials = format!("http://user:{MARK}@127.0.0.1:1/");
    let control = format!("{MARK}\u{1}");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--url".into(), with_credentials.clone()],
            "UNKNOWN: --url http://***@127.0.0.1:1/ holds credentials: use --username with --password or --password-file",
        ),
        (
            vec!["--url".into(), format!("http://user:{MARK}@")],
            "UNKNOWN: --url http://***@",
        ),
        (
            vec![
                "--url".into(),
                url.clone(),
                "--proxy".into(),
                format!("user:{MARK}@[::1]:3128"),
            ],
            "UNKNOWN: --proxy ***@[::1]:3128 has no scheme (http:// or https://)",
        ),
        (
            vec![
                "--url".into(),
                url.clone(),
                "--proxy".into(),
                format!("socks5://u:{MARK}@[::1]:1080"),
            ],
            "UNKNOWN: --proxy socks5://***@[::1]:1080: only http:// and https:// proxies are supported",
        ),
        (
            vec![
                "--url".into(),
                url.clone(),
                "--proxy".into(),
                format!("http://u:{MARK}@[::1"),
            ],
            "UNKNOWN: --proxy http://***@[::1 is not a valid proxy URL",
        ),
        (
            vec![
                "--url".into(),
                url.clone(),
                "--header".into(),
                format!("Authorization: Basic {control}"),
            ],
            "UNKNOWN: --header 'Authorization: ***' holds control characters",
        ),
        (
            vec![
                "--url".into(),
                url.clone(),
                "--header".into(),
                format!("cookie: session={MARK}\r"),
            ],
            "UNKNOWN: --header 'cookie: ***' holds a CR or LF",
        ),
        (
            vec![
                "--url".into(),
                url.clone(),
                "--header".into(),
                format!("Proxy-Authorization: {}", "x".repeat(9000) + MARK),
            ],
            "UNKNOWN: --header 'Proxy-Authorization: ***' is longer than",
        ),
        (
            vec![
                "--url".into(),
                url.clone(),
                "--header".into(),
                format!("Authorization Bearer {MARK}"),
            ],
            "UNKNOWN: --header '***' is not 'Name: value'",
        ),
        (
            vec![
                "--url".into(),
                url.clone(),
                "--username".into(),
                "u".into(),
                "--password".into(),
                password.clone(),
                "--password".into(),
                "other".into(),
            ],
            "UNKNOWN: --password is given more than once (see --help)",
        ),
        (
            vec![
                "--url".into(),
                url.clone(),
                "--username".into(),
                "u".into(),
                "--password".into(),
                "a".into(),
                format!("--password={MARK}"),
            ],
            "UNKNOWN: --password is given more than once (see --help)",
        ),
        (
            vec!["--url".into(), url.clone(), format!("--pasword={MARK}")],
            "UNKNOWN: Unrecognized argument: --pasword (see --help)",
        ),
        (
            vec![
                "--url".into(),
                url.clone(),
                "--username".into(),
                "u".into(),
                "--password".into(),
                control.clone(),
            ],
            "UNKNOWN: --password holds a control character",
        ),
        (
            vec![
                "--url".into(),
                with_credentials.clone(),
                "--password".into(),
                password.clone(),
            ],
            "UNKNOWN: --url http://***@127.0.0.1:1/ holds credentials",
        ),
    ];
    for (args, prefix) in cases {
        let out = run("check-url-available", &args);
        let line = refused_without_the_secret(&out, 3);
        assert!(
            line.starts_with(prefix),
            "{line:?} does not start with {prefix:?}"
        );
    }
    // A password shaped like an option is a password, and is not shown.
    let out = run(
        "check-url-available",
        [
            "--url",
            &url,
            "--username",
            "u",
            "--password",
            &format!("--{MARK}=horse-battery"),
        ],
    );
    let line = refused_without_the_secret(&out, 2);
    assert!(!line.contains("horse-battery"), "{line}");
    // The content of --password-file.
    let dir = temp_dir("secret-file");
    let file = dir.join("password");
    fs::write(&file, format!("{control}\n")).unwrap();
    let out = run(
        "check-url-available",
        [
            "--url",
            &url,
            "--username",
            "u",
            "--password-file",
            &s(&file),
        ],
    );
    refused_without_the_secret(&out, 3);
}

#[test]
fn a_password_holding_url_delimiters_or_a_stray_value_never_shows() {
    let url = url();
    for delimiter in ['/', '?', '#'] {
        for option in ["--url", "--proxy"] {
            let credentials = format!("http://user:Zq9{delimiter}{MARK}@127.0.0.1:18109/");
            let args: Vec<String> = if option == "--url" {
                vec!["--url".into(), credentials]
            } else {
                vec!["--url".into(), url.clone(), "--proxy".into(), credentials]
            };
            let line = refused_without_the_secret(&run("check-url-available", &args), 3);
            assert_eq!(
                line,
                format!(
                    "UNKNOWN: {option} http://***@127.0.0.1:18109/: its port is not a number, or it holds credentials with '/', '?' or '#' (give them in --username and --password or --password-file)"
                )
            );
        }
    }
    // Non-ASCII in a credential header: our refusal, not ureq's (read as the server's).
    for name in ["Authorization", "Proxy-Authorization"] {
        let mut args = vec![
            "--url".to_owned(),
            url.clone(),
            "--header".into(),
            format!("{name}: Bearer {MARK}\u{e9}"),
        ];
        if name == "Proxy-Authorization" {
            args.extend(["--proxy".into(), "http://127.0.0.1:1".into()]);
        }
        let line = refused_without_the_secret(&run("check-url-available", &args), 3);
        assert_eq!(
            line,
            format!("UNKNOWN: --header '{name}: ***' holds characters other than visible ASCII")
        );
    }
    // A value argh did not expect is not echoed.
    let line = refused_without_the_secret(
        &run(
            "check-url-available",
            ["--url", &url, "--username", "u", MARK],
        ),
        3,
    );
    assert_eq!(
        line,
        "UNKNOWN: an unexpected argument that is not an option (not shown: it may be a secret) (see --help)"
    );
}

/// A password of digits then `/` reads as a port to a URL parser (as curl
/// reads it): the URL passes as host `u`, yet its line must not show it.
#[test]
fn a_password_read_as_a_port_never_shows() {
    let out = run(
        "check-url-available",
        [
            "--url",
            &format!("http://u:123/{MARK}@127.0.0.1/"),
            "--timeout",
            "2",
        ],
    );
    let line = refused_without_the_secret(&out, 2);
    assert!(
        line.starts_with("CRITICAL: http://***@127.0.0.1/ "),
        "{line}"
    );
}

#[test]
fn a_redirect_carrying_credentials_is_not_followed_nor_shown() {
    use crate::util::http::{Reply, Server, V4};
    for location in [
        format!("http://user:{MARK}@127.0.0.1:1/"),
        format!("http://user:Zq9/{MARK}@127.0.0.1:1/"),
    ] {
        let Some(server) = Server::http(V4, move |_| Reply::redirect(302, &location)) else {
            return;
        };
        let out = run("check-url-available", ["--url", &server.url("http", "/")]);
        let line = refused_without_the_secret(&out, 2);
        assert!(
            line.ends_with("a Location that carries credentials 'http://***@127.0.0.1:1/'"),
            "{line}"
        );
    }
}

#[test]
fn check_command_never_shows_a_secret_of_its_command_nor_its_echo() {
    let argv_cases: Vec<Vec<String>> = vec![
        vec!["mysql".into(), format!("-p{MARK}")],
        vec!["mariadb-admin".into(), format!("-p{MARK}"), "ping".into()],
        vec!["redis-cli".into(), "-a".into(), MARK.into()],
        vec!["redis-cli".into(), format!("-a{MARK}")],
        vec!["sshpass".into(), "-p".into(), MARK.into()],
        vec!["curl".into(), "-u".into(), format!("admin:{MARK}")],
        vec!["curl".into(), "--user".into(), format!("admin:{MARK}")],
        vec!["curl".into(), format!("--user=admin:{MARK}")],
        vec!["-H".into(), format!("Authorization: Bearer {MARK}")],
        vec!["--header".into(), format!("Cookie: s={MARK}")],
        vec![format!("http://user:Zq9/{MARK}@127.0.0.1/")],
        vec![format!("http://user:Zq9#{MARK}@127.0.0.1/")],
    ];
    for words in argv_cases {
        let mut args = vec!["--".to_owned(), "/bin/echo".into()];
        args.extend(words);
        let out = run("check-command", &args);
        let line = refused_without_the_secret(&out, 0);
        assert!(line.contains("***"), "{line}");
    }
    // A NAME=VALUE word is hidden to its end, command substitution included,
    // and what it prints once expanded too.
    let out = run(
        "check-command",
        ["--command", &format!("echo --password=$(echo a b){MARK}")],
    );
    let line = refused_without_the_secret(&out, 0);
    assert_eq!(line, "OK: echo --password=*** exited 0: --password=a b***");
}

#[test]
fn generator_refusals_and_written_wrappers_never_show_the_secret() {
    let dir = temp_dir("secret-generator");
    let bins = generator::bin_dir(&dir, false);
    let output = dir.join("check");
    let url = url();
    let write = |mode: &str, args: &[&str]| {
        generator::write(
            &output,
            "check-url-available",
            &bins,
            &["--mode", mode],
            args,
        )
    };
    let newline = format!("{MARK}\nx");
    let line = refused_without_the_secret(
        &write(
            "700",
            &["--url", &url, "--username", "u", "--password", &newline],
        ),
        3,
    );
    assert_eq!(
        line,
        "UNKNOWN: argument 6 holds a newline or NUL, which a wrapper cannot carry verbatim"
    );
    let credentials = format!("http://u:{MARK}@127.0.0.1:1/");
    refused_without_the_secret(&write("700", &["--url", &credentials]), 3);
    refused_without_the_secret(
        &write(
            "700",
            &["--url", &url, "--password", MARK, "--password", "b"],
        ),
        3,
    );
    // A secret in a wrapper others can read.
    for (args, option) in [
        (
            vec!["--url", &url, "--username", "u", "--password", MARK],
            "--password",
        ),
        (
            vec!["--url", &url, "--header", &format!("Cookie: {MARK}")],
            "--header",
        ),
    ] {
        for mode in ["750", "705", "755"] {
            let line = refused_without_the_secret(&write(mode, &args), 3);
            assert!(
                line.starts_with(&format!(
                    "UNKNOWN: --mode {mode} lets group or others read the wrapper, and it would bake a secret ({option}): "
                )) && line.contains("--password-file"),
                "{line}"
            );
            assert!(!output.exists(), "a refused wrapper was written");
        }
    }
    // Written with mode 700, the wrapper's own refusals keep it too.
    write(
        "700",
        &["--url", &url, "--username", "u", "--password", MARK],
    )
    .line(0);
    assert_eq!(
        fs::metadata(&output).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let out = run_program(&output, &s(&output), ["--password", "again"], Some(&dir));
    refused_without_the_secret(&out, 3);
    let out = run_program(&output, &s(&output), [""; 0], Some(&dir));
    refused_without_the_secret(&out, 2);
}

#[test]
fn convert_never_shows_credentials_of_a_legacy_url() {
    let dir = temp_dir("secret-convert");
    let (out, _) = generator::convert(
        &dir,
        &format!(
            "[buildout]\nparts = site\n\n[site]\nrecipe = slapos.cookbook:check_url_available\npath = {}/etc/promise/site\nurl = https://admin:{MARK}@127.0.0.1:1/\ndash_path = /bin/dash\ncurl_path = /bin/curl\n",
            s(&dir)
        ),
    );
    let line = refused_without_the_secret(&out, 3);
    assert!(
        line.contains("https://***@127.0.0.1:1/ holds credentials"),
        "{line}"
    );
}

#[test]
fn an_up_to_date_wrapper_owned_by_another_user_is_replaced_not_trusted() {
    use std::os::unix::fs::MetadataExt;
    let dir = temp_dir("secret-owner");
    let bins = generator::bin_dir(&dir, false);
    let output = dir.join("check");
    let write = || generator::write(&output, "check-file-exists", &bins, &[], &["--path", "/"]);
    assert!(write().line(0).starts_with("written: "));
    let ours = fs::metadata(&output).unwrap().uid();
    assert!(write().line(0).starts_with("unchanged: "));
    // Same content and mode, another owner: what a user sharing the folder can plant.
    if std::os::unix::fs::chown(&output, Some(ours + 4242), None).is_err() {
        crate::util::skip("cannot chown here (not root); the other-owner case is not run");
        return;
    }
    assert!(write().line(0).starts_with("written: "));
    assert_eq!(fs::metadata(&output).unwrap().uid(), ours);
    assert!(write().line(0).starts_with("unchanged: "));
}
