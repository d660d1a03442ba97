//! Hostile command lines for every binary: arguments of the kernel's
//! 128 KiB (several at once, a megabyte in all), control characters, bytes
//! that are not UTF-8, absurd numbers for every numeric option, and the
//! malformed forms of every option. Each is exit 3 with one clean line that
//! says what is wrong (asserted), never a panic, a crash or a signal.
//!
//! Values that only name things (paths, socket names, a hint, a password, the
//! text to look for) may hold any bytes the system allows; they are refused
//! only when they cannot work (too long, empty, a control character in HTTP
//! Basic credentials). Values that are the very thing checked (check-command's
//! command, check-parameter's value: a promise's `any-value` metadata) are
//! judged rather than refused: a verdict in one clean line.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::thread;

use crate::util::memory::run_measured;
use crate::util::promises::meta;
use crate::util::{Outcome, PROMISES, bin, run, temp_dir};

/// Just under the kernel's limit for one argument (128 KiB with its NUL).
const HUGE: usize = 127 * 1024;

/// A value of [`HUGE`] bytes.
fn huge(byte: u8) -> OsString {
    OsString::from_vec(vec![byte; HUGE])
}

/// How an error line quotes a [`HUGE`] value (shared::args shortens it).
fn huge_shown(byte: u8) -> String {
    format!(
        "{}… ({HUGE} bytes)",
        String::from_utf8(vec![byte; 100]).expect("ASCII")
    )
}

/// The folder of the binaries under test, for recipe-generator's --bin-dir.
fn bin_dir() -> String {
    let binary = bin("check-file-exists");
    let dir = binary.parent().expect("bin dir");
    dir.to_str().expect("a UTF-8 bin dir").to_owned()
}

/// `recipe-generator write` of a check-file-exists wrapper into a folder that
/// does not exist, with the binaries in `bin_dir`.
fn write_nowhere(bin_dir: &str) -> [&str; 7] {
    [
        "write",
        "--output",
        "/nonexistent-native-promises/x",
        "--promise",
        "check-file-exists",
        "--bin-dir",
        bin_dir,
    ]
}

/// The promises recipe-generator names when given an unknown one.
fn known_promises() -> String {
    PROMISES.iter().collect::<Vec<_>>().join(", ")
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// One case: a binary, its arguments and the exact line it must print.
struct Case {
    name: &'static str,
    args: Vec<OsString>,
    line: String,
}

/// Runs every case on a few threads and asserts each; all failures are listed.
fn check_all(cases: Vec<Case>) {
    run_all(cases, |case, out| mismatch(out, &case.line));
}

/// Runs every case on a few threads; `judge` says why an outcome is wrong.
fn run_all(cases: Vec<Case>, judge: fn(&Case, &Outcome) -> Option<String>) {
    let chunks: Vec<Vec<Case>> = {
        let mut chunks: Vec<Vec<Case>> = (0..4).map(|_| Vec::new()).collect();
        for (i, case) in cases.into_iter().enumerate() {
            chunks[i % 4].push(case);
        }
        chunks
    };
    let failures: Vec<String> = chunks
        .into_iter()
        .map(|chunk| {
            thread::spawn(move || {
                let mut failures = Vec::new();
                for case in chunk {
                    let out = run(case.name, &case.args);
                    if let Some(why) = judge(&case, &out) {
                        failures.push(format!("{why}\n{out}"));
                    }
                }
                failures
            })
        })
        .flat_map(|t| t.join().expect("a thread of cases"))
        .collect();
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Why `out` is not exit 3 with exactly `line`, if it is not.
fn mismatch(out: &Outcome, line: &str) -> Option<String> {
    let expected = format!("UNKNOWN: {line}\n");
    if out.code != Some(3) {
        return Some(format!("expected exit 3, got {:?}", out.code));
    }
    if !out.stderr.is_empty() || out.stdout != expected {
        return Some(format!("expected the line {expected:?}"));
    }
    None
}

/// Values that no numeric option takes, as they are shown back.
const NOT_NUMBERS: [&str; 12] = [
    "1e400",
    "99999999999999999999",
    "-0",
    "-1",
    "nan",
    "inf",
    "0x10",
    " 5",
    "+5",
    "5 ",
    "",
    "5s",
];

/// What every option that takes seconds says it expected.
const SECONDS: &str = "expected a positive number of seconds such as 10 or 0.5";

/// Every numeric option: the binary, arguments that make the rest valid, the
/// option, and what it says it expected (without the value). A promise's come
/// from its Cargo.toml: `--timeout` with its valid-args, and its `numeric` list.
fn numeric_options() -> Vec<(&'static str, Vec<String>, String, String)> {
    let mut options = Vec::new();
    for name in PROMISES {
        let meta = meta(name);
        options.push((
            name,
            meta.valid_args,
            "--timeout".to_owned(),
            SECONDS.to_owned(),
        ));
        for numeric in meta.numeric {
            options.push((name, numeric.valid_args, numeric.option, numeric.expected));
        }
    }
    let mode = "expected octal permission bits such as 700 or 0750";
    let write = write_nowhere("/bin");
    let convert = [
        "convert",
        "/f.cfg",
        "--bin-dir",
        "/bin",
        "--promise-dir",
        "/p",
    ];
    for base in [&write[..], &convert[..]] {
        options.push((
            "recipe-generator",
            base.iter().map(|a| (*a).to_owned()).collect(),
            "--mode".to_owned(),
            mode.to_owned(),
        ));
    }
    options
}

#[test]
fn absurd_numbers_are_refused_by_every_numeric_option() {
    let mut cases = Vec::new();
    for (name, base, option, expected) in numeric_options() {
        let mut values: Vec<(OsString, String)> = NOT_NUMBERS
            .iter()
            .map(|v| (OsString::from(v), (*v).to_owned()))
            .collect();
        // A control character and bytes that are not UTF-8 show cleaned up.
        values.push(("5\u{1b}[31m".into(), "5 [31m".to_owned()));
        values.push((
            OsString::from_vec(b"5\xff".to_vec()),
            "5\u{FFFD}".to_owned(),
        ));
        values.push((huge(b'9'), huge_shown(b'9')));
        for (value, shown) in values {
            let why = match (expected.as_str(), shown.as_str()) {
                (SECONDS, "99999999999999999999") => {
                    "'99999999999999999999' is too large (at most 1000000000 seconds)".to_owned()
                }
                (SECONDS, v) if v.starts_with("999") => {
                    format!("'{v}' is too large (at most 1000000000 seconds)")
                }
                _ => format!("{expected}, got '{shown}'"),
            };
            let mut args: Vec<OsString> = base.iter().map(OsString::from).collect();
            args.extend([OsString::from(&option), value]);
            cases.push(Case {
                name,
                args,
                line: format!(
                    "Error parsing option '{option}' with value '{shown}': {why} (see --help)"
                ),
            });
        }
    }
    check_all(cases);
}

#[test]
fn every_option_refuses_a_value_of_the_kernel_s_largest_size() {
    let paths =
        |option: &str| format!("{option} is {HUGE} bytes long, longer than any path can be (4095)");
    let parse_error = |option: &str, why: &str| {
        format!(
            "Error parsing option '{option}' with value '{}': {why}, got '{}' (see --help)",
            huge_shown(b'a'),
            huge_shown(b'a')
        )
    };
    let url = ["--url", "http://127.0.0.1:1/"];
    let mut cases = Vec::new();
    let mut add =
        |name: &'static str, base: &[&str], option: &str, after: &[&str], line: String| {
            let mut args = os(base);
            args.extend([OsString::from(option), huge(b'a')]);
            args.extend(os(after));
            cases.push(Case { name, args, line });
        };
    let port = "check-port-listening";
    add(
        port,
        &["--port", "1"],
        "--host",
        &[],
        format!("--host is {HUGE} bytes long, longer than any host name can be (253)"),
    );
    add(
        port,
        &[],
        "--port",
        &[],
        parse_error("--port", "expected a port number from 1 to 65535"),
    );
    add(
        port,
        &[],
        "--unix-socket",
        &[],
        format!("--unix-socket is {HUGE} bytes long, longer than a socket path can be (107)"),
    );
    add(
        port,
        &[],
        "--abstract",
        &[],
        format!("--abstract is {HUGE} bytes long, longer than a socket name can be (107)"),
    );
    let file = "check-file-exists";
    add(file, &[], "--path", &[], paths("--path"));
    add(
        file,
        &["--path", "/"],
        "--state",
        &[],
        parse_error(
            "--state",
            "expected exists, absent, empty, not-empty or absent-or-empty",
        ),
    );
    add(
        file,
        &["--path", "/"],
        "--type",
        &[],
        parse_error("--type", "expected any, file, dir, socket, fifo or symlink"),
    );
    add(
        file,
        &["--path", "/"],
        "--hint",
        &[],
        "--hint is longer than 500 bytes (the whole line holds 1000 characters)".to_owned(),
    );
    let check = "check-url-available";
    add(
        check,
        &[],
        "--url",
        &[],
        "--url is longer than 8192 bytes".to_owned(),
    );
    for option in ["--ca-cert-file", "--password-file", "--timeout-file"] {
        let after: &[&str] = if option == "--password-file" {
            &["--username", "u"]
        } else {
            &[]
        };
        add(check, &url, option, after, paths(option));
    }
    add(
        check,
        &url,
        "--cert-file",
        &["--key-file", "/k"],
        paths("--cert-file"),
    );
    add(
        check,
        &url,
        "--key-file",
        &["--cert-file", "/c"],
        paths("--key-file"),
    );
    add(
        check,
        &url,
        "--username",
        &["--password", "p"],
        "--username and its password are longer than 1024 bytes together".to_owned(),
    );
    add(
        check,
        &url,
        "--password",
        &["--username", "u"],
        "--username and its password are longer than 1024 bytes together".to_owned(),
    );
    add(
        check,
        &url,
        "--expect-content",
        &[],
        "--expect-content is longer than 4096 bytes".to_owned(),
    );
    add(
        check,
        &url,
        "--method",
        &[],
        parse_error("--method", "expected GET or HEAD"),
    );
    add(
        check,
        &url,
        "--header",
        &[],
        format!("--header '{}…' is longer than 4096 bytes", "a".repeat(99)),
    );
    add(
        check,
        &url,
        "--proxy",
        &[],
        "--proxy is longer than 8192 bytes".to_owned(),
    );
    let generator = "recipe-generator";
    let write = ["write", "--promise", "check-file-exists"];
    add(
        generator,
        &write,
        "--output",
        &["--bin-dir", "/bin"],
        paths("--output"),
    );
    add(
        generator,
        &write,
        "--bin-dir",
        &["--output", "/nonexistent-native-promises/x"],
        paths("--bin-dir"),
    );
    add(
        generator,
        &write,
        "--binary",
        &["--output", "/nonexistent-native-promises/x"],
        paths("--binary"),
    );
    add(
        generator,
        &write,
        "--shell",
        &[
            "--output",
            "/nonexistent-native-promises/x",
            "--bin-dir",
            "/bin",
        ],
        paths("--shell"),
    );
    add(
        generator,
        &[
            "write",
            "--output",
            "/nonexistent-native-promises/x",
            "--bin-dir",
            "/bin",
        ],
        "--promise",
        &[],
        format!(
            "unknown promise '{}…', expected {}",
            "a".repeat(99),
            known_promises()
        ),
    );
    add(
        generator,
        &["convert", "/f.cfg", "--promise-dir", "/p"],
        "--bin-dir",
        &[],
        paths("--bin-dir"),
    );
    add(
        generator,
        &["convert", "/f.cfg", "--bin-dir", "/bin"],
        "--promise-dir",
        &[],
        paths("--promise-dir"),
    );
    let mut args = os(&["convert"]);
    args.push(huge(b'a'));
    args.extend(os(&["--bin-dir", "/bin", "--promise-dir", "/p"]));
    cases.push(Case {
        name: generator,
        args,
        line: paths("FILE"),
    });
    // A baked argument is checked as the binary checks it.
    let bin_dir = bin_dir();
    let mut args = os(&write_nowhere(&bin_dir));
    args.extend(os(&["--", "--path"]));
    args.push(huge(b'a'));
    cases.push(Case {
        name: generator,
        args,
        line: paths("--path"),
    });
    check_all(cases);
}

/// The options of `name` that take a value, read from its `--help` usage
/// line (`--url <url>`): a new option is covered without editing a test.
fn value_options(name: &str) -> Vec<String> {
    let help = run(name, ["--help"]);
    let usage = help.stdout.lines().next().unwrap_or_default();
    let words: Vec<&str> = usage
        .split_whitespace()
        .map(|w| w.trim_start_matches('['))
        .collect();
    words
        .windows(2)
        .filter(|pair| pair[0].starts_with("--") && pair[1].starts_with('<'))
        .map(|pair| pair[0].to_owned())
        .collect()
}

#[test]
fn every_option_in_help_takes_a_value_of_the_kernel_s_largest_size_calmly() {
    // Each option of each promise's --help, after its valid-args (whose own
    // value it replaces): exit 3 and one clean, bounded line. The exact lines
    // are asserted above; this catches an option added since. An option of
    // the promise's any-value list takes the value and the check judges it:
    // a verdict (0 or 2) in one clean line. A value of `a`s is harmless where
    // it is run: a command name no system has.
    let mut cases = Vec::new();
    for name in PROMISES {
        let meta = meta(name);
        let valid = meta.valid_args;
        let options = value_options(name);
        for option in &meta.any_value {
            assert!(
                options.contains(option),
                "{name}: any-value names {option}, which --help does not list"
            );
        }
        assert!(
            options.contains(&"--timeout".to_owned()),
            "{name}: no --timeout in --help's usage line: {options:?}"
        );
        for option in options {
            let mut args: Vec<OsString> = Vec::new();
            let mut given = valid.iter();
            while let Some(arg) = given.next() {
                if *arg == option {
                    given.next();
                } else {
                    args.push(arg.into());
                }
            }
            args.extend([OsString::from(&option), huge(b'a')]);
            // Which verdict a judged value gets depends on the rest: the
            // case's line says the option and whether it is judged.
            let judged = if meta.any_value.contains(&option) {
                " (judged)"
            } else {
                ""
            };
            cases.push(Case {
                name,
                args,
                line: format!("{option}{judged}"),
            });
        }
    }
    run_all(cases, |case, out| {
        // Only a judged value may pass or fail; anything else is refused.
        let judged = case.line.ends_with(" (judged)");
        let prefix = match out.code {
            Some(0) if judged => "OK: ",
            Some(2) if judged => "CRITICAL: ",
            Some(3) => "UNKNOWN: ",
            code => return Some(format!("{}: unexpected exit {code:?}", case.line)),
        };
        let (line, other) = (&out.stdout, &out.stderr);
        let clean = other.is_empty()
            && line.starts_with(prefix)
            && line.len() < 1100
            && line.matches('\n').count() == 1
            && line.ends_with('\n')
            && !line.chars().any(|c| c.is_control() && c != '\n');
        (!clean).then(|| format!("{}: expected one clean line under 1100 bytes", case.line))
    });
}

#[test]
fn a_megabyte_of_arguments_is_one_clear_line() {
    // Eight values of 127 KiB, about a megabyte: the first fault is named.
    let mut headers = os(&["--url", "http://127.0.0.1:1/"]);
    for _ in 0..8 {
        headers.extend([OsString::from("--header"), huge(b'h')]);
    }
    let mut baked = os(&[
        "write",
        "--output",
        "/nonexistent-native-promises/x",
        "--promise",
        "check-url-available",
        "--bin-dir",
        &bin_dir(),
        "--",
        "--url",
        "http://127.0.0.1:1/",
    ]);
    for _ in 0..8 {
        baked.extend([OsString::from("--header"), huge(b'h')]);
    }
    let mut files = os(&[]);
    for option in [
        "--path",
        "--hint",
        "--max-age",
        "--timeout",
        "--state",
        "--type",
        "--path",
        "--hint",
    ] {
        files.extend([OsString::from(option), huge(b'7')]);
    }
    let header = format!("--header '{}…' is longer than 4096 bytes", "h".repeat(99));
    check_all(vec![
        Case {
            name: "check-url-available",
            args: headers,
            line: header.clone(),
        },
        Case {
            name: "recipe-generator",
            args: baked,
            line: header,
        },
        Case {
            name: "check-file-exists",
            args: files,
            line: format!(
                "Error parsing option '--max-age' with value '{}': '{}' is too large (at most 1000000000 seconds) (see --help)",
                huge_shown(b'7'),
                huge_shown(b'7')
            ),
        },
    ]);
}

#[test]
fn malformed_forms_of_text_options_are_refused() {
    let url = ["--url", "http://127.0.0.1:1/"];
    let cases: Vec<(&'static str, Vec<&str>, &str)> = vec![
        (
            "check-file-exists",
            vec!["--path", "/", "--state", "Exists"],
            "Error parsing option '--state' with value 'Exists': expected exists, absent, empty, not-empty or absent-or-empty, got 'Exists' (see --help)",
        ),
        (
            "check-file-exists",
            vec!["--path", "/", "--type", "file\n"],
            "Error parsing option '--type' with value 'file ': expected any, file, dir, socket, fifo or symlink, got 'file ' (see --help)",
        ),
        (
            "check-url-available",
            vec!["--url", "http://127.0.0.1:1/\u{7}"],
            "--url http://127.0.0.1:1/ is not a valid URL",
        ),
        (
            "check-url-available",
            vec!["--url", "javascript:alert(1)"],
            "--url javascript:alert(1) has no scheme (http:// or https://)",
        ),
        (
            "check-url-available",
            vec!["--url", "http://[::1/"],
            "--url http://[::1/ is not a valid URL",
        ),
        (
            "check-url-available",
            [&url[..], &["--header", "X-A: b\u{1b}c"]].concat(),
            "--header 'X-A: b c' holds control characters",
        ),
        (
            "check-url-available",
            [&url[..], &["--header", "X: a\rb"]].concat(),
            "--header 'X: a b' holds a CR or LF",
        ),
        (
            "check-url-available",
            [&url[..], &["--username", "u\u{7}", "--password", "p"]].concat(),
            "--username holds a control character, which HTTP Basic authentication cannot carry",
        ),
        (
            "check-url-available",
            [&url[..], &["--username", "u", "--password", "p\tq"]].concat(),
            "--password holds a control character, which HTTP Basic authentication cannot carry",
        ),
        (
            "check-url-available",
            [&url[..], &["--proxy", "nan"]].concat(),
            "--proxy nan has no scheme (http:// or https://)",
        ),
        (
            "check-url-available",
            [&url[..], &["--proxy", ""]].concat(),
            "--proxy is empty",
        ),
        (
            "check-url-available",
            [&url[..], &["--ca-cert-file", ""]].concat(),
            "--ca-cert-file needs a path",
        ),
        (
            "recipe-generator",
            vec![
                "write",
                "--output",
                "",
                "--promise",
                "check-file-exists",
                "--bin-dir",
                "/bin",
            ],
            "--output needs a path",
        ),
        (
            "recipe-generator",
            write_nowhere("bin").to_vec(),
            "--bin-dir bin is not an absolute path (wrappers run from the partition folder)",
        ),
    ];
    let hosts = [
        ("-1", "--host -1 is not a host name or IP address"),
        ("+5", "--host +5 is not a host name or IP address"),
        ("a..b", "--host a..b is not a host name or IP address"),
        (
            "fe80::1%",
            "--host fe80::1% is not a host name or IP address",
        ),
        (
            "a\u{1b}[31m",
            "--host a [31m is not a host name or IP address",
        ),
        (
            "[1.2.3.4]",
            "--host [1.2.3.4]: brackets only go around an IPv6 address",
        ),
    ];
    let hosts = hosts.into_iter().map(|(host, line)| {
        (
            "check-port-listening",
            vec!["--port", "1", "--host", host],
            line,
        )
    });
    let mut all: Vec<Case> = cases
        .into_iter()
        .chain(hosts)
        .map(|(name, args, line)| Case {
            name,
            args: os(&args),
            line: line.to_owned(),
        })
        .collect();
    // Not UTF-8: shown lossily, never as the hex of argh's internal form.
    let raw = || OsString::from_vec(b"\xff\xfe".to_vec());
    let with_raw = |base: &[&str]| {
        let mut args = os(base);
        args.push(raw());
        args
    };
    all.push(Case {
        name: "check-port-listening",
        args: with_raw(&["--port", "1", "--host"]),
        line: "--host \u{FFFD}\u{FFFD} is not a host name or IP address".into(),
    });
    all.push(Case {
        name: "check-url-available",
        args: with_raw(&["--url"]),
        line: "--url \u{FFFD}\u{FFFD} has no scheme (http:// or https://)".into(),
    });
    all.push(Case { name: "recipe-generator", args: with_raw(&["write", "--output", "/nonexistent-native-promises/x", "--promise", "check-file-exists", "--bin-dir"]), line: "--bin-dir \u{FFFD}\u{FFFD} is not an absolute path (wrappers run from the partition folder)".into() });
    all.push(Case {
        name: "recipe-generator",
        args: with_raw(&[
            "write",
            "--output",
            "/nonexistent-native-promises/x",
            "--bin-dir",
            "/bin",
            "--promise",
        ]),
        line: format!(
            "unknown promise '\u{FFFD}\u{FFFD}', expected {}",
            known_promises()
        ),
    });
    check_all(all);
}

#[test]
fn files_that_never_end_are_read_up_to_a_cap() {
    // /dev/zero as a certificate or a buildout file: a bounded read, exit 3.
    let measured = run_measured(
        "check-url-available",
        [
            "--url",
            "https://127.0.0.1:1/",
            "--ca-cert-file",
            "/dev/zero",
            "--timeout",
            "5",
        ],
    );
    measured
        .outcome
        .expect(3, "UNKNOWN: --ca-cert-file /dev/zero is larger than 4 MiB");
    measured.peak_within(64 * 1024);
    let dir = temp_dir("zero-buildout");
    let measured = run_measured(
        "recipe-generator",
        [
            "convert",
            "/dev/zero",
            "--bin-dir",
            &bin_dir(),
            "--promise-dir",
            dir.to_str().expect("UTF-8"),
        ],
    );
    measured
        .outcome
        .expect(3, "UNKNOWN: /dev/zero is a device, not a buildout file");
    measured.peak_within(128 * 1024);
}
