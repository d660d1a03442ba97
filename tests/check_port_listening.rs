//! check-port-listening against real listeners.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::util::{listen, run, temp_dir};

const BIN: &str = "check-port-listening";

#[test]
fn ipv4_listener_is_ok() {
    let listener = listen::tcp4();
    let port = listener.local_addr().unwrap().port();
    let p = port.to_string();
    run(BIN, ["--host", "127.0.0.1", "--port", &p]).expect_parts(
        0,
        &format!("OK: 127.0.0.1:{port} is listening (127.0.0.1:{port} accepted in "),
        &[" ms)"],
    );
}

#[test]
fn default_host_is_localhost() {
    let listener = listen::tcp4();
    let port = listener.local_addr().unwrap().port();
    run(BIN, [format!("--port={port}")]).expect_parts(
        0,
        &format!("OK: localhost:{port} is listening ("),
        &[],
    );
}

#[test]
fn ipv6_bare_and_bracketed() {
    let Some(listener) = listen::tcp6() else {
        return;
    };
    let port = listener.local_addr().unwrap().port().to_string();
    for host in ["::1", "[::1]"] {
        run(BIN, ["--host", host, "--port", &port, "-6"]).expect_parts(
            0,
            &format!("OK: [::1]:{port} is listening ([::1]:{port} accepted in "),
            &[],
        );
    }
}

#[test]
fn refused_port_is_critical_and_names_the_address() {
    let port = listen::closed_port();
    run(BIN, ["--host", "127.0.0.1", "--port", &port.to_string()]).expect(
        2,
        &format!(
            "CRITICAL: 127.0.0.1:{port} is not listening: 127.0.0.1:{port} connection refused"
        ),
    );
}

#[test]
fn refused_ipv6_port_is_critical() {
    let Some(listener) = listen::tcp6() else {
        return;
    };
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    run(BIN, ["--host", "::1", "--port", &port.to_string()]).expect(
        2,
        &format!("CRITICAL: [::1]:{port} is not listening: [::1]:{port} connection refused"),
    );
}

#[test]
fn unresolvable_name_is_critical_not_usage() {
    let out = run(BIN, ["--host", "no-such-host.invalid", "--port", "80"]);
    out.expect_parts(
        2,
        "CRITICAL: no-such-host.invalid:80 is not reachable: cannot resolve no-such-host.invalid: ",
        &[],
    );
}

#[test]
fn full_accept_queue_times_out_on_the_deadline() {
    let Some(queue) = listen::full_queue(IpAddr::V4(Ipv4Addr::LOCALHOST)) else {
        panic!("cannot fill a queue")
    };
    let port = queue.address.port();
    let out = run(
        BIN,
        [
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--timeout",
            "0.5",
        ],
    );
    out.expect_parts(
        2,
        &format!("CRITICAL: 127.0.0.1:{port} "),
        &["timed out after 0.5 s"],
    );
    out.ended_on_deadline(Duration::from_millis(500));
}

#[test]
fn full_ipv6_accept_queue_times_out_too() {
    let Some(queue) = listen::full_queue(IpAddr::V6(Ipv6Addr::LOCALHOST)) else {
        crate::util::skip("::1 is not available here; IPv6 case not run");
        return;
    };
    let port = queue.address.port();
    let out = run(
        BIN,
        [
            "--host",
            "[::1]",
            "--port",
            &port.to_string(),
            "--timeout=0.3",
        ],
    );
    out.expect_parts(
        2,
        &format!("CRITICAL: [::1]:{port} "),
        &["timed out after 0.3 s"],
    );
    out.within(Duration::from_millis(1300));
}

#[test]
fn unix_socket_listening_missing_and_not_a_socket() {
    let dir = temp_dir("unix");
    let path = dir.join("service.sock");
    let shown = path.display().to_string();
    let _listener = listen::unix(&path);
    run(BIN, ["--unix-socket", &shown]).expect_parts(
        0,
        &format!("OK: unix socket {shown} is listening (connected in "),
        &[],
    );
    let missing = dir.join("missing.sock").display().to_string();
    run(BIN, ["--unix-socket", &missing]).expect(
        2,
        &format!("CRITICAL: unix socket {missing} is not listening: no such socket"),
    );
    let file = dir.join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let file = file.display().to_string();
    run(BIN, ["--unix-socket", &file]).expect(
        2,
        &format!("CRITICAL: unix socket {file} is not listening: connection refused"),
    );
}

#[test]
fn unix_socket_whose_listener_is_gone_is_refused() {
    let dir = temp_dir("unix-gone");
    let path = dir.join("stale.sock");
    drop(listen::unix(&path));
    let shown = path.display().to_string();
    run(BIN, ["--unix-socket", &shown]).expect(
        2,
        &format!("CRITICAL: unix socket {shown} is not listening: connection refused"),
    );
}

#[test]
fn abstract_socket_listening_and_missing() {
    let name = format!("native-promises-test-{}", std::process::id());
    let _listener = listen::abstract_socket(&name);
    run(BIN, ["--abstract", &name]).expect_parts(
        0,
        &format!("OK: abstract socket @{name} is listening (connected in "),
        &[],
    );
    let other = format!("{name}-missing");
    run(BIN, ["--abstract", &other]).expect(
        2,
        &format!("CRITICAL: abstract socket @{other} is not listening: connection refused"),
    );
}

#[test]
fn usage_errors_are_unknown_with_one_line() {
    // One case per source: the option parsers, plan() and the target's own
    // checks. Every usage line is asserted next to plan(), in src/lib.rs.
    run(BIN, ["--port", "0"]).expect(
        3,
        "UNKNOWN: Error parsing option '--port' with value '0': expected a port number from 1 to 65535, got '0' (see --help)",
    );
    run(BIN, ["--port", "80", "-4", "-6"]).expect(3, "UNKNOWN: -4 and -6 exclude each other");
    run(BIN, ["--host", "a b", "--port", "1"])
        .expect(3, "UNKNOWN: --host a b is not a host name or IP address");
    run(BIN, ["--unix-socket", ""]).expect(3, "UNKNOWN: --unix-socket needs a path");
}

#[test]
fn quiet_silences_success_only() {
    let listener = listen::tcp4();
    let port = listener.local_addr().unwrap().port().to_string();
    run(BIN, ["--host", "127.0.0.1", "--port", &port, "-q"]).expect_silent(0);
    let closed = listen::closed_port().to_string();
    run(BIN, ["--host", "127.0.0.1", "--port", &closed, "--quiet"]).expect_parts(
        2,
        "CRITICAL: ",
        &["connection refused"],
    );
}

#[test]
fn perfdata_appends_the_response_time_for_nagios() {
    let listener = listen::tcp4();
    let port = listener.local_addr().unwrap().port();
    let out = run(
        BIN,
        [
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--perfdata",
            "--timeout",
            "2.5",
        ],
    );
    let line = out.line(0);
    let (message, perf) = line
        .split_once(" | ")
        .unwrap_or_else(|| panic!("no perfdata\n{out}"));
    assert!(
        message.starts_with(&format!("OK: 127.0.0.1:{port} is listening (")),
        "{out}"
    );
    let value = perf
        .strip_prefix("time=")
        .and_then(|p| p.strip_suffix("s;;;0;2.500000"));
    let value = value.unwrap_or_else(|| panic!("perfdata not time=N.NNNNNNs;;;0;2.500000\n{out}"));
    let (secs, micros) = value.split_once('.').expect("decimal seconds");
    assert!(
        secs.bytes().all(|b| b.is_ascii_digit()) && micros.len() == 6,
        "{out}"
    );
    // Without the switch, no perfdata; failures never carry any.
    assert!(
        !run(BIN, ["--host", "127.0.0.1", "--port", &port.to_string()])
            .line(0)
            .contains('|')
    );
    let closed = listen::closed_port().to_string();
    assert!(
        !run(
            BIN,
            ["--host", "127.0.0.1", "--port", &closed, "--perfdata"]
        )
        .line(2)
        .contains('|')
    );
}
