//! A name that never resolves: the binary runs in a private mount namespace
//! whose /etc/resolv.conf names a DNS server on 127.0.0.1:53 that never
//! answers (a UDP socket of ours that reads nothing).

use std::process::{Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use super::{Outcome, bin, describe_command, slapgrid_env, temp_dir};

/// 127.0.0.1:53 is one port: tests that need it take turns.
static PORT_53: Mutex<()> = Mutex::new(());

/// Runs `name ARGS` with a resolver that never answers. `None` (said on
/// stderr) where that cannot be set up here (not root, no unshare, port 53
/// taken by something else).
pub fn run_with_silent_dns(name: &str, args: &[&str]) -> Option<Outcome> {
    let _turn = PORT_53.lock().unwrap_or_else(PoisonError::into_inner);
    let Ok(_silent) = std::net::UdpSocket::bind("127.0.0.1:53") else {
        super::skip("cannot bind 127.0.0.1:53 for a silent DNS server");
        return None;
    };
    let dir = temp_dir("silent-dns");
    let resolv = dir.join("resolv.conf");
    std::fs::write(
        &resolv,
        "nameserver 127.0.0.1\noptions timeout:30 attempts:1\n",
    )
    .expect("resolv.conf");
    let script = format!(
        "mount --bind '{}' /etc/resolv.conf && exec \"$0\" \"$@\"",
        resolv.display()
    );
    let program = bin(name);
    let started = Instant::now();
    let mut command = Command::new("unshare");
    command
        .args(["-m", "sh", "-c", &script])
        .args(super::runner::argv(&program))
        .args(args)
        .stdin(Stdio::null());
    slapgrid_env(&mut command);
    let output = command.output().ok()?;
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    if stderr.contains("unshare:") || stderr.contains("mount:") {
        super::skip(format_args!("no private mount namespace here: {stderr}"));
        return None;
    }
    let args: Vec<_> = args.iter().map(std::ffi::OsString::from).collect();
    Some(Outcome {
        command: format!("{} (silent DNS)", describe_command(name, &args)),
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("UTF-8"),
        stderr,
        elapsed: started.elapsed(),
    })
}
