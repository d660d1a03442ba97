//! Signals and processes: a check never forks, runs in one thread, never
//! lingers, and SIGTERM or SIGINT (what slapgrid sends at its own deadline, and
//! a terminal's ^C) ends it at once. The deadline is armed before anything can
//! block, the --timeout-file included.

use std::ffi::OsStr;
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::dns::run_with_silent_dns;
use crate::util::http::{Reply, Server, V4};
use crate::util::promises::meta;
use crate::util::strace::syscalls;
use crate::util::tls::{self, Validity};
use crate::util::{PROMISES, bin, listen, run, temp_dir};

/// Starts `name ARGS`, which must block until it is ended.
fn hanging_check(name: &str, args: &[String]) -> Child {
    crate::util::runner::command(&bin(name))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// Checks that block for 30 s unless ended: every promise's hanging-args
/// (its Cargo.toml) with `{hanging-port}`, a port whose connects hang, and
/// `{hanging-url}`, a server that never answers. Keep the listeners alive
/// while they run.
fn hanging_cases() -> (listen::FullQueue, Server, Vec<(&'static str, Vec<String>)>) {
    let queue = listen::full_queue(IpAddr::V4(Ipv4Addr::LOCALHOST)).expect("full queue");
    let server = Server::http(V4, |_| Reply::Hang).expect("server");
    let port = queue.address.port().to_string();
    let url = server.url("http", "/");
    let cases = PROMISES
        .iter()
        .filter_map(|name| Some((name, meta(name).hanging_args?)))
        .map(|(name, args)| {
            let mut args: Vec<String> = args
                .iter()
                .map(|a| {
                    a.replace("{hanging-port}", &port)
                        .replace("{hanging-url}", &url)
                })
                .collect();
            args.extend(["--timeout".to_owned(), "30".to_owned()]);
            (name, args)
        })
        .collect();
    (queue, server, cases)
}

/// Waits (bounded) until the check has opened its socket: it is then past
/// argument parsing and blocked connecting. Returns its tasks (threads).
fn wait_until_connecting(child: &Child) -> Vec<String> {
    let proc = format!("/proc/{}", child.id());
    let started = Instant::now();
    loop {
        let has_socket = std::fs::read_dir(format!("{proc}/fd")).is_ok_and(|fds| {
            fds.filter_map(Result::ok).any(|fd| {
                std::fs::read_link(fd.path())
                    .is_ok_and(|l| l.to_string_lossy().starts_with("socket:"))
            })
        });
        if has_socket {
            return std::fs::read_dir(format!("{proc}/task"))
                .expect("tasks")
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the check never opened its socket"
        );
        // Poll, not spin: on 2 cores a spinning loop takes the CPU the check needs.
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

/// Sends SIG`signal_name` (number `number`) to the running check `name` and
/// asserts that it ends the check, by that signal, within `limit`.
#[track_caller]
fn signal_ends(mut child: Child, name: &str, signal_name: &str, number: i32, limit: Duration) {
    use std::os::unix::process::ExitStatusExt;
    let sent = Instant::now();
    signal(&child, signal_name);
    let status = child.wait().expect("wait");
    assert_eq!(
        status.signal(),
        Some(number),
        "SIG{signal_name} did not end {name}: {status:?}"
    );
    assert!(
        sent.elapsed() < limit,
        "SIG{signal_name} took {:?} to end {name}",
        sent.elapsed()
    );
}

#[test]
fn sigterm_and_sigint_end_a_hanging_check_at_once() {
    let (_queue, _server, cases) = hanging_cases();
    for (name, args) in &cases {
        for (signal_name, number) in [("TERM", 15), ("INT", 2)] {
            let child = hanging_check(name, args);
            wait_until_connecting(&child);
            signal_ends(child, name, signal_name, number, Duration::from_secs(2));
        }
    }
}

/// A parent that ignores and blocks SIGTERM, SIGINT and SIGHUP (a Python
/// supervisor can do either) passes both on across exec; each must still end
/// the check at once.
#[test]
#[allow(unsafe_code)]
fn ending_signals_ignored_and_blocked_by_the_parent_still_end_a_check() {
    use std::os::unix::process::CommandExt;
    let (_queue, _server, mut cases) = hanging_cases();
    cases.push(("check-command", Vec::new()));
    for (name, args) in &cases {
        for (signal_name, number) in [("TERM", 15), ("INT", 2), ("HUP", 1)] {
            // check-command's command is told by its own argument.
            let sleep = format!("sleep 60.{number}");
            let mut command = crate::util::runner::command(&bin(name));
            if *name == "check-command" {
                command.args(["--timeout", "30", "--command", &format!("exec {sleep}")]);
            }
            command
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            // SAFETY: between fork and exec, only async-signal-safe calls.
            unsafe {
                command.pre_exec(|| {
                    let mut set: libc::sigset_t = std::mem::zeroed();
                    libc::sigemptyset(&raw mut set);
                    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
                        libc::signal(signal, libc::SIG_IGN);
                        libc::sigaddset(&raw mut set, signal);
                    }
                    libc::sigprocmask(libc::SIG_BLOCK, &raw const set, std::ptr::null_mut());
                    Ok(())
                });
            }
            let child = command.spawn().expect("spawn");
            if *name == "check-command" {
                wait_until_running(&sleep);
            } else {
                wait_until_connecting(&child);
            }
            // Unfixed, each ran on to its --timeout of 30 s.
            signal_ends(child, name, signal_name, number, Duration::from_secs(10));
        }
    }
}

/// Waits (bounded) until a process runs `cmdline` (its words joined by NUL):
/// the check that started it is then past its own start-up.
fn wait_until_running(cmdline: &str) {
    let started = Instant::now();
    let wanted = format!("{}\0", cmdline.replace(' ', "\0"));
    loop {
        let running = std::fs::read_dir("/proc").expect("/proc").any(|entry| {
            entry.is_ok_and(|entry| {
                std::fs::read(entry.path().join("cmdline")).is_ok_and(|c| c == wanted.as_bytes())
            })
        });
        if running {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{cmdline} never started"
        );
        std::thread::yield_now();
    }
}

#[test]
fn a_check_has_no_child_processes_and_no_threads() {
    let (_queue, _server, cases) = hanging_cases();
    for (name, args) in &cases {
        if crate::util::runner::emulated(&bin(name), "its threads") {
            return;
        }
        let mut child = hanging_check(name, args);
        let tasks = wait_until_connecting(&child);
        assert_eq!(tasks.len(), 1, "{name} runs in one thread, found {tasks:?}");
        for task in tasks {
            let children =
                std::fs::read_to_string(format!("/proc/{}/task/{task}/children", child.id()))
                    .unwrap_or_default();
            assert!(
                children.trim().is_empty(),
                "{name}: task {task} has children: {children}"
            );
        }
        child.kill().expect("kill");
        child.wait().expect("wait");
    }
}

#[test]
fn no_binary_ever_starts_a_thread_or_a_process() {
    // Whole runs, each through the paths with the most machinery: a name to
    // resolve, TLS and a redirect, a file, a wrapper to write.
    let dir = temp_dir("no-clone");
    let listener = listen::tcp4();
    let port = listener.local_addr().unwrap().port().to_string();
    let identity = tls::self_signed(&tls::LOOPBACK, Validity::Year);
    let server = Server::https(
        V4,
        tls::server_config(&identity, None),
        |request| match request.target.as_str() {
            "/" => Reply::redirect(302, "/final"),
            _ => Reply::text(200, "hello"),
        },
    )
    .expect("server");
    let url = server.url("https", "/");
    let output = dir.join("wrapper");
    let bin_dir = bin("check-file-exists");
    let bin_dir = bin_dir
        .parent()
        .expect("bin dir")
        .to_string_lossy()
        .into_owned();
    let mut runs: Vec<(&str, Vec<&str>)> = vec![
        (
            "check-port-listening",
            vec!["--host", "localhost", "--port", &port],
        ),
        (
            "check-url-available",
            vec!["--url", &url, "-k", "--expect-content", "hello"],
        ),
        ("check-file-exists", vec!["--path", "/", "--max-age", "1"]),
        (
            "recipe-generator",
            vec![
                "write",
                "--output",
                output.to_str().expect("UTF-8 path"),
                "--promise",
                "check-file-exists",
                "--bin-dir",
                &bin_dir,
                "--",
                "--path",
                "/",
            ],
        ),
    ];
    // Any other promise with its valid-args, unless running a child is its check.
    let others: Vec<(&str, Vec<String>)> = PROMISES
        .iter()
        .filter(|name| runs.iter().all(|(known, _)| known != name))
        .filter(|name| !meta(name).runs_a_child)
        .map(|name| (name, meta(name).valid_args))
        .collect();
    runs.extend(
        others
            .iter()
            .map(|(name, args)| (*name, args.iter().map(String::as_str).collect())),
    );
    for (name, args) in runs {
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        let Some(log) = syscalls(&bin(name), &args, "clone,clone3,fork,vfork,execve", &dir) else {
            return;
        };
        let calls: Vec<&str> = log.lines().collect();
        assert_eq!(
            calls.len(),
            1,
            "{name} must exec once and never clone or fork:\n{log}"
        );
        assert!(calls[0].contains("execve("), "{name}:\n{log}");
    }
}

#[test]
fn the_deadline_is_armed_before_the_timeout_file_is_read() {
    let dir = temp_dir("timeout-file-order");
    let file = dir.join("promise_timeout");
    std::fs::write(&file, "0.5\n").expect("timeout file");
    let server = Server::http(V4, |_| Reply::Hang).expect("server");
    let url = server.url("http", "/");
    let file = file.to_str().expect("UTF-8 path");
    let args = ["--url", &url, "--timeout", "30", "--timeout-file", file];
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    let filter = "setitimer,open,openat,stat,lstat,newfstatat,statx";
    let Some(log) = syscalls(&bin("check-url-available"), &args, filter, &dir) else {
        return;
    };
    let position = |what: &str| log.lines().position(|l| l.contains(what));
    let armed = position("setitimer(").expect("the timer is armed");
    let touched = position(file).expect("the timeout file is read");
    assert!(
        armed < touched,
        "the timeout file was read before the timer ran:\n{log}"
    );
    // Then the file's 0.5 s replaces --timeout: the timer is armed again.
    let timers = log.lines().filter(|l| l.contains("setitimer(")).count();
    assert_eq!(timers, 2, "{log}");
    // And the run ends by it, counted from the start.
    run(
        "check-url-available",
        ["--url", &url, "--timeout", "30", "--timeout-file", file],
    )
    .within(Duration::from_millis(1500))
    .expect(
        2,
        &format!("CRITICAL: {url} timed out after 0.5 s waiting for the response headers"),
    );
}

#[test]
fn the_deadline_never_keeps_the_process_alive() {
    // The default deadline is 10 s; a passing check must end long before it.
    let listener = listen::tcp4();
    let port = listener.local_addr().unwrap().port().to_string();
    run(
        "check-port-listening",
        ["--host", "127.0.0.1", "--port", &port],
    )
    .within(Duration::from_secs(3))
    .line(0);
    run("check-file-exists", ["--path", "/"])
        .within(Duration::from_secs(3))
        .line(0);
}

#[test]
fn a_name_that_never_resolves_ends_on_the_deadline() {
    let Some(out) = run_with_silent_dns(
        "check-port-listening",
        &[
            "--host",
            "never-answers.example",
            "--port",
            "80",
            "--timeout",
            "0.5",
        ],
    ) else {
        return;
    };
    out.expect(
        2,
        "CRITICAL: never-answers.example:80 timed out after 0.5 s resolving never-answers.example",
    );
    out.ended_on_deadline(Duration::from_millis(500));
}
