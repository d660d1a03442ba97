//! What every promise binary shares: help, version, option forms, bad input.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use crate::util::promises::meta;
use crate::util::{PROMISES, run};

/// Arguments with which each binary parses, plans and ends at once: its
/// Cargo.toml's valid-args.
fn passing_args(name: &str) -> Vec<String> {
    meta(name).valid_args
}

#[test]
fn help_is_complete_and_exits_0() {
    for name in PROMISES {
        let out = run(name, ["--help"]);
        assert_eq!(out.code, Some(0), "{out}");
        assert!(out.stderr.is_empty(), "{out}");
        for part in [
            &format!("Usage: {name}"),
            "--timeout",
            "(default: 10)",
            "--quiet",
            "--perfdata",
            "--version",
            "Examples:",
            "Error codes:",
            "0 OK",
            "2 CRITICAL",
            "3 UNKNOWN",
        ] {
            assert!(out.stdout.contains(part), "help lacks {part:?}\n{out}");
        }
    }
}

#[test]
fn version_prints_name_and_version() {
    for name in PROMISES {
        run(name, ["--version"]).expect(0, &format!("{name} {}", env!("CARGO_PKG_VERSION")));
    }
}

#[test]
fn unknown_and_missing_options_are_unknown() {
    for name in PROMISES {
        run(name, ["--frobnicate"]).expect(
            3,
            "UNKNOWN: Unrecognized argument: --frobnicate (see --help)",
        );
        run(name, ["--timeout"]).expect(
            3,
            "UNKNOWN: No value provided for option '--timeout' (see --help)",
        );
    }
}

#[test]
fn bad_timeouts_are_unknown() {
    for name in PROMISES {
        let mut args = passing_args(name);
        for bad in [
            "0",
            "-1",
            "-0",
            "abc",
            "1e400",
            "nan",
            "inf",
            "99999999999999999999",
            "10s",
            "",
        ] {
            args.extend(["--timeout".to_owned(), bad.to_owned()]);
            run(name, &args).expect_parts(
                3,
                &format!("UNKNOWN: Error parsing option '--timeout' with value '{bad}': "),
                &[],
            );
            args.truncate(args.len() - 2);
        }
    }
}

#[test]
fn equals_form_works_for_every_option_kind() {
    run(
        "check-file-exists",
        [
            "--path=/",
            "--type=dir",
            "--state=not-empty",
            "--timeout=0.5",
        ],
    )
    .expect(0, "OK: / exists and is not empty (folder, has entries)");
}

#[test]
fn duplicated_options_are_refused() {
    run("check-file-exists", ["--path", "/", "--path", "/tmp"]).expect_parts(
        3,
        "UNKNOWN: ",
        &["--path"],
    );
}

#[test]
fn hostile_arguments_end_in_one_clean_line() {
    // The kernel takes at most 128 KiB per argument.
    let huge = "x".repeat(128 * 1024 - 1);
    for name in PROMISES {
        let out = run(name, ["--timeout", &huge]);
        let line = out.line(3);
        assert!(line.len() < 1100, "line not capped: {} bytes", line.len());
        let mut raw = b"--".to_vec();
        raw.extend_from_slice(b"\xff\x1b[31m\n");
        let out = run(name, [OsString::from_vec(raw)]);
        out.expect_parts(
            3,
            "UNKNOWN: Unrecognized argument: --\u{FFFD} [31m (see --help)",
            &[],
        );
    }
}
