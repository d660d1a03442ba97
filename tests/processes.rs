//! Signals and processes: a check never forks, runs in one thread, never
//! lingers, and SIGTERM
//! (what slapgrid sends at its own deadline) ends it at once.

use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{bin, listen, run};

/// Starts check-port-listening against a port whose connects hang.
fn hanging_check(queue: &listen::FullQueue) -> Child {
    Command::new(bin("check-port-listening"))
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &queue.address.port().to_string(),
            "--timeout",
            "30",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
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
        std::thread::yield_now();
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[test]
fn sigterm_and_sigint_end_a_hanging_check_at_once() {
    use std::os::unix::process::ExitStatusExt;
    let queue = listen::full_queue(IpAddr::V4(Ipv4Addr::LOCALHOST)).expect("full queue");
    for (name, number) in [("TERM", 15), ("INT", 2)] {
        let mut child = hanging_check(&queue);
        wait_until_connecting(&child);
        let sent = Instant::now();
        signal(&child, name);
        let status = child.wait().expect("wait");
        assert_eq!(
            status.signal(),
            Some(number),
            "SIG{name} did not end the check: {status:?}"
        );
        assert!(
            sent.elapsed() < Duration::from_secs(2),
            "SIG{name} took {:?}",
            sent.elapsed()
        );
    }
}

#[test]
fn a_check_has_no_child_processes_and_no_threads() {
    let queue = listen::full_queue(IpAddr::V4(Ipv4Addr::LOCALHOST)).expect("full queue");
    let mut child = hanging_check(&queue);
    let tasks = wait_until_connecting(&child);
    assert_eq!(
        tasks.len(),
        1,
        "a check runs in one thread, found {tasks:?}"
    );
    for task in tasks {
        let children =
            std::fs::read_to_string(format!("/proc/{}/task/{task}/children", child.id()))
                .unwrap_or_default();
        assert!(
            children.trim().is_empty(),
            "task {task} has children: {children}"
        );
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
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

/// Runs `name ARGS` in a private mount namespace whose /etc/resolv.conf names
/// a DNS server on 127.0.0.1:53 that never answers. `None` (said on stderr)
/// where that cannot be set up here (not root, no unshare, port 53 taken).
fn run_with_silent_dns(name: &str, args: &[&str]) -> Option<crate::util::Outcome> {
    let Ok(_silent) = std::net::UdpSocket::bind("127.0.0.1:53") else {
        eprintln!("SKIP: cannot bind 127.0.0.1:53 for a silent DNS server");
        return None;
    };
    let dir = crate::util::temp_dir("silent-dns");
    let resolv = dir.join("resolv.conf");
    std::fs::write(
        &resolv,
        "nameserver 127.0.0.1\noptions timeout:30 attempts:1\n",
    )
    .unwrap();
    let script = format!(
        "mount --bind '{}' /etc/resolv.conf && exec \"$0\" \"$@\"",
        resolv.display()
    );
    let started = Instant::now();
    let output = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .arg(bin(name))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    if stderr.contains("unshare:") || stderr.contains("mount:") {
        eprintln!("SKIP: no private mount namespace here: {stderr}");
        return None;
    }
    Some(crate::util::Outcome {
        command: format!("{name} {args:?} (silent DNS)"),
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("UTF-8"),
        stderr,
        elapsed: started.elapsed(),
    })
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
    out.within(Duration::from_millis(1500));
    assert!(
        out.elapsed >= Duration::from_millis(450),
        "ended before the deadline\n{out}"
    );
}
