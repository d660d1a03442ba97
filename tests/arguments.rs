//! Arguments are data: a value is never read as an option, directly or from a
//! wrapper; `-h` is `--help`; the deadline holds whatever the parent did; one
//! host-name rule for every binary.
#![allow(unsafe_code)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::http::{Reply, Server, V4};
use crate::util::tls::{self, Validity};
use crate::util::{
    Outcome, SHIPPED, bin, generator, listen, run, run_program, slapgrid_env, temp_dir,
};

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// Writes a wrapper of `promise` baking `args`, in the direct or the shell form.
fn wrapper(dir: &Path, deep: bool, promise: &str, args: &[&str]) -> PathBuf {
    let output = dir.join(if deep { "shell-form" } else { "direct-form" });
    let bins = generator::bin_dir(&dir.join(if deep { "deep" } else { "short" }), deep);
    let out = generator::write(&output, promise, &bins, &[], args);
    let line = out.line(0);
    let form = if deep {
        "through /bin/sh"
    } else {
        "run directly"
    };
    assert!(line.contains(form), "{out}");
    output
}

/// Runs `command` to its end, or kills it after `limit` and says so: a check
/// that blocks forever must fail the test, not hang it.
fn finish(mut command: Command, what: &str, limit: Duration) -> Outcome {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    slapgrid_env(&mut command);
    let started = Instant::now();
    let mut child = command.spawn().expect("spawn");
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still ran after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("output");
    Outcome {
        command: what.to_owned(),
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8"),
        elapsed: started.elapsed(),
    }
}

#[test]
fn an_option_shaped_password_never_turns_off_tls_verification() {
    let identity = tls::self_signed(&tls::LOOPBACK, Validity::Year);
    let server = Server::https(V4, tls::server_config(&identity, None), |_| {
        Reply::text(200, "untrusted")
    })
    .expect("server");
    let url = server.url("https", "/");
    let untrusted = format!("CRITICAL: {url} TLS: certificate not trusted (self-signed)");
    for password in ["--pw=-k", "-k", "--insecure"] {
        let joined = format!("--password={password}");
        for args in [
            vec!["--url", &url, "--username", "u", "--password", password],
            vec!["--url", &url, "--username", "u", &joined],
        ] {
            run("check-url-available", &args).expect(2, &untrusted);
            let dir = temp_dir("value-wrapper");
            for deep in [false, true] {
                if deep
                    && crate::util::runner::emulated(
                        &bin("check-url-available"),
                        "a /bin/sh wrapper exec-ing it",
                    )
                {
                    continue;
                }
                let wrapper = wrapper(&dir, deep, "check-url-available", &args);
                run_program(&wrapper, &s(&wrapper), [""; 0], Some(&dir)).expect(2, &untrusted);
            }
        }
    }
    // The same password, converted from a plugin part that asks for verification.
    let dir = temp_dir("value-convert");
    let (out, promise_dir) = generator::convert(
        &dir,
        &format!(
            "[buildout]\nparts = front\n\n[front]\nrecipe = slapos.cookbook:promise.plugin\nmodule = slapos.promise.plugin.check_url_available\noutput = {}/etc/plugin/check-front.py\nconfig-url = {url}\nconfig-verify = 1\nconfig-username = u\nconfig-password = --pw=-k\n",
            s(&dir)
        ),
    );
    assert_eq!(out.code, Some(0), "{out}");
    let converted = promise_dir.join("check-front");
    run_program(&converted, &s(&converted), [""; 0], Some(&dir)).expect(2, &untrusted);
}

#[test]
fn version_and_help_as_values_are_values() {
    for value in ["--version", "--help", "-h", "--", "--path=/"] {
        let joined = format!("--hint={value}");
        for args in [
            vec!["--path", "/nonexistent", "--hint", value],
            vec!["--path", "/nonexistent", &joined],
        ] {
            run("check-file-exists", &args).expect(
                2,
                &format!("CRITICAL: /nonexistent does not exist, expected it to exist, {value}"),
            );
        }
    }
    let port = listen::closed_port();
    let url = format!("http://127.0.0.1:{port}/");
    for args in [
        vec!["--url", &url, "--expect-content=--version"],
        vec!["--url", &url, "--expect-content", "--help"],
    ] {
        let out = run("check-url-available", &args);
        out.expect_parts(2, &format!("CRITICAL: {url} cannot connect"), &["refused"]);
    }
}

#[test]
fn h_is_help_for_every_binary() {
    for name in SHIPPED {
        let help = run(name, ["--help"]);
        let short = run(name, ["-h"]);
        assert_eq!(short.code, Some(0), "{short}");
        assert_eq!(short.stdout, help.stdout, "{short}");
        assert!(short.stdout.contains("Usage: "), "{short}");
    }
}

#[test]
fn an_empty_username_is_valid_basic_authentication() {
    let server = Server::http(V4, |_| Reply::status(200)).expect("server");
    let url = server.url("http", "/");
    let out = run(
        "check-url-available",
        ["--url", &url, "--username", "", "--password", "p"],
    );
    assert_eq!(out.code, Some(0), "{out}");
    let requests = server.requests();
    // base64(":p")
    assert_eq!(requests[0].header("authorization"), Some("Basic OnA="));
}

/// A name of `length` bytes, not counting its final dot, that never resolves.
fn long_name(length: usize) -> String {
    let label = "a".repeat(63);
    let head = [label.as_str(); 3].join(".");
    let middle = "b".repeat(length - head.len() - 1 - ".invalid".len());
    format!("{head}.{middle}.invalid.")
}

#[test]
fn host_names_are_judged_alike_by_every_binary() {
    let longest = long_name(253);
    assert_eq!(longest.len(), 254);
    let port = run(
        "check-port-listening",
        ["--host", &longest, "--port", "80", "--timeout", "5"],
    );
    port.expect_parts(2, "CRITICAL: ", &["cannot resolve"]);
    let url = format!("http://{longest}/");
    let out = run("check-url-available", ["--url", &url, "--timeout", "5"]);
    out.expect_parts(2, "CRITICAL: ", &["cannot resolve"]);

    let too_long = long_name(254);
    run(
        "check-port-listening",
        ["--host", &too_long, "--port", "80"],
    )
    .expect(
        3,
        "UNKNOWN: --host is 254 bytes long, longer than any host name can be (253)",
    );
    run(
        "check-url-available",
        ["--url", &format!("http://{too_long}/")],
    )
    .expect_parts(
        3,
        "UNKNOWN: --url http://",
        &[": its host is 254 bytes long, longer than any host name can be (253)"],
    );
    for bad in ["-1", "a..b", "a!b"] {
        run("check-url-available", ["--url", &format!("http://{bad}/")]).expect(
            3,
            &format!("UNKNOWN: --url http://{bad}/: its host is not a host name or IP address"),
        );
    }
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(made.success());
}

#[test]
fn a_blocked_sigalrm_still_ends_the_check_at_the_deadline() {
    let dir = temp_dir("blocked-alarm");
    let fifo = dir.join("password");
    mkfifo(&fifo);
    let url = format!("http://127.0.0.1:{}/", listen::closed_port());
    let mut command = crate::util::runner::command(&bin("check-url-available"));
    command.args([
        "--url",
        &url,
        "--username",
        "u",
        "--password-file",
        &s(&fifo),
        "--timeout",
        "1",
    ]);
    // SAFETY: between fork and exec, only async-signal-safe sigprocmask.
    unsafe {
        command.pre_exec(|| {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&raw mut set);
            libc::sigaddset(&raw mut set, libc::SIGALRM);
            libc::sigprocmask(libc::SIG_BLOCK, &raw const set, std::ptr::null_mut());
            Ok(())
        });
    }
    let out = finish(
        command,
        "check-url-available with SIGALRM blocked",
        Duration::from_secs(30),
    );
    out.expect_parts(2, &format!("CRITICAL: {url} timed out after 1 s"), &[]);
}

#[test]
fn a_wrapper_that_is_not_a_regular_file_is_refused_at_once() {
    let dir = temp_dir("fifo-wrapper");
    let fifo = dir.join("wrapper");
    mkfifo(&fifo);
    for name in ["check-file-exists", "check-port-listening"] {
        let mut command = crate::util::runner::command(&bin(name));
        command.args(["--baked", &s(&fifo)]);
        finish(command, "a FIFO as the wrapper", Duration::from_secs(30)).expect(
            3,
            &format!(
                "UNKNOWN: cannot read wrapper {}: not a regular file",
                s(&fifo)
            ),
        );
    }
    run("check-file-exists", ["--baked", &s(&dir)]).expect(
        3,
        &format!(
            "UNKNOWN: cannot read wrapper {}: not a regular file",
            s(&dir)
        ),
    );
}
