//! Signals and processes: a check never forks, never lingers, and SIGTERM
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

/// Waits (bounded) until the check runs its watchdog thread: it is then past
/// argument parsing and blocked connecting.
fn wait_until_checking(child: &Child) -> Vec<String> {
    let tasks = format!("/proc/{}/task", child.id());
    let started = Instant::now();
    loop {
        let ids: Vec<String> = std::fs::read_dir(&tasks)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        if ids.len() >= 2 {
            return ids;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the check never started its watchdog"
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
        wait_until_checking(&child);
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
fn a_check_has_no_child_processes() {
    let queue = listen::full_queue(IpAddr::V4(Ipv4Addr::LOCALHOST)).expect("full queue");
    let mut child = hanging_check(&queue);
    for task in wait_until_checking(&child) {
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
fn the_watchdog_never_keeps_the_process_alive() {
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
