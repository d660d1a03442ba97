//! recipe-generator end to end: wrappers are generated, then run as slapgrid
//! runs them (no arguments, working folder = partition) against real listeners
//! and files; execs are counted with strace; buildout files are converted.

use std::ffi::OsString;
use std::fs;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::util::http::{Reply, Request, Server, V4};
use crate::util::strace::syscalls;
use crate::util::tls::{self, Validity};
use crate::util::{Outcome, bin, listen, run, run_in, run_program, temp_dir};

const RG: &str = "recipe-generator";

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// `dir/bin`: a short path to the binaries under test, so that the direct form
/// is used wherever the build lives.
fn short_bin_dir(dir: &Path) -> PathBuf {
    let link = dir.join("bin");
    let real = bin("check-port-listening");
    symlink(real.parent().expect("bin folder"), &link).expect("symlink bin");
    link
}

/// A bin folder whose path is too long for a `#!` line.
fn deep_bin_dir(dir: &Path) -> PathBuf {
    let deep = dir.join("d".repeat(100)).join("e".repeat(40));
    fs::create_dir_all(&deep).unwrap();
    let link = deep.join("bin");
    symlink(bin("check-port-listening").parent().unwrap(), &link).unwrap();
    link
}

/// Runs `recipe-generator write` for `promise` with `args` baked.
fn write(output: &Path, promise: &str, bin_dir: &Path, args: &[&str]) -> Outcome {
    crate::util::generator::write(output, promise, bin_dir, &[], args)
}

/// Runs a wrapper as slapgrid does: no arguments, from the partition folder.
fn run_wrapper(wrapper: &Path, args: &[&str], cwd: &Path) -> Outcome {
    run_program(wrapper, &s(wrapper), args, Some(cwd))
}

/// How many programs running `wrapper` execs, counted with strace; `None` (said
/// on stderr) where strace is not installed (`make test` installs it).
fn execs(wrapper: &Path, cwd: &Path) -> Option<usize> {
    let trace = syscalls(wrapper, &[], "execve", cwd)?;
    let ok = trace
        .lines()
        .filter(|l| l.contains("execve(") && l.ends_with("= 0"));
    Some(ok.count())
}

#[test]
fn direct_wrapper_is_one_exec_and_reports_as_the_binary() {
    let dir = temp_dir("rg-direct");
    let bin_dir = short_bin_dir(&dir);
    let listener = listen::tcp4();
    let port = listener.local_addr().unwrap().port().to_string();
    let wrapper = dir.join("check-port");
    write(
        &wrapper,
        "check-port-listening",
        &bin_dir,
        &["--host", "127.0.0.1", "--port", &port],
    )
    .expect(
        0,
        &format!(
            "written: {} (check-port-listening, run directly)",
            s(&wrapper)
        ),
    );
    let body = fs::read_to_string(&wrapper).unwrap();
    assert!(
        body.starts_with(&format!(
            "#!{}/check-port-listening --baked\n# Written by recipe-generator {} for check-port-listening.",
            s(&bin_dir),
            env!("CARGO_PKG_VERSION")
        )),
        "{body}"
    );
    assert!(
        body.ends_with(&format!("\n\n--host\n127.0.0.1\n--port\n{port}\n")),
        "{body}"
    );
    assert_eq!(
        fs::metadata(&wrapper).unwrap().permissions().mode() & 0o7777,
        0o700
    );
    run_wrapper(&wrapper, &[], &dir).expect_parts(
        0,
        &format!("OK: 127.0.0.1:{port} is listening (127.0.0.1:{port} accepted in "),
        &[],
    );
    if let Some(count) = execs(&wrapper, &dir) {
        assert_eq!(count, 1, "the direct form must be one exec");
    }
    drop(listener);
    run_wrapper(&wrapper, &[], &dir).expect(
        2,
        &format!(
            "CRITICAL: 127.0.0.1:{port} is not listening: 127.0.0.1:{port} connection refused"
        ),
    );
}

#[test]
fn long_bin_paths_fall_back_to_a_shell_wrapper() {
    let dir = temp_dir("rg-long");
    let bin_dir = deep_bin_dir(&dir);
    let binary = bin_dir.join("check-port-listening");
    let line_len = 2 + s(&binary).len() + 8;
    assert!(line_len > 127);
    let listener = listen::tcp4();
    let port = listener.local_addr().unwrap().port().to_string();
    let wrapper = dir.join("check-port");
    write(&wrapper, "check-port-listening", &bin_dir, &["--host", "127.0.0.1", "--port", &port]).expect(
        0,
        &format!(
            "written: {} (check-port-listening, through /bin/sh: its #! line would be {line_len} bytes, over 127)",
            s(&wrapper)
        ),
    );
    let body = fs::read_to_string(&wrapper).unwrap();
    assert!(
        body.starts_with("#!/bin/sh\n# Written by recipe-generator "),
        "{body}"
    );
    assert!(
        body.ends_with(&format!(
            "exec '{}' \\\n\t'--host' \\\n\t'127.0.0.1' \\\n\t'--port' \\\n\t'{port}' \\\n\t\"$@\"\n",
            s(&binary)
        )),
        "{body}"
    );
    // The shell form is text, the same for every architecture: it is run
    // natively only (the shell's exec cannot go through a runner).
    if crate::util::runner::emulated(&binary, "a /bin/sh wrapper exec-ing it") {
        return;
    }
    run_wrapper(&wrapper, &[], &dir).expect_parts(
        0,
        &format!("OK: 127.0.0.1:{port} is listening ("),
        &[],
    );
    run_wrapper(&wrapper, &["-q"], &dir).expect_silent(0);
    if let Some(count) = execs(&wrapper, &dir) {
        assert_eq!(count, 2, "the shell form is the shell, then the binary");
    }
}

/// Values a shell would expand, split or glob, in both wrapper forms.
#[test]
fn hostile_values_round_trip_and_stay_inert() {
    let dir = temp_dir("rg-hostile");
    let canary = dir.join("pwned");
    let hint = format!(
        "it's \"$(touch {c})\" `touch {c}` $HOME \\ \\n * ?? [a] ~ é ü 日本 ; exit 0 | true &",
        c = s(&canary)
    );
    let file = dir.join("a 'b' \"$(c)\" *.txt");
    fs::write(&file, "not empty").unwrap();
    for (form, bin_dir) in [
        ("direct", short_bin_dir(&dir)),
        ("shell", deep_bin_dir(&dir)),
    ] {
        let wrapper = dir.join(format!("check-{form}"));
        write(
            &wrapper,
            "check-file-exists",
            &bin_dir,
            &["--path", &s(&file), "--state", "empty", "--hint", &hint],
        )
        .line(0);
        let binary = bin_dir.join("check-file-exists");
        if form == "shell"
            && crate::util::runner::emulated(&binary, "a /bin/sh wrapper exec-ing it")
        {
            continue;
        }
        run_wrapper(&wrapper, &[], &dir).expect(
            2,
            &format!(
                "CRITICAL: {} is not empty (9 bytes), expected it to be empty, {hint}",
                s(&file)
            ),
        );
        assert!(
            !canary.exists(),
            "{form}: a baked value was run as a command"
        );
    }
}

#[test]
fn non_utf8_values_round_trip() {
    let dir = temp_dir("rg-raw");
    let bin_dir = short_bin_dir(&dir);
    let raw = dir.join(OsString::from_vec(b"caf\xe9".to_vec()));
    fs::write(&raw, "").unwrap();
    let wrapper = dir.join("check");
    let out = run(
        RG,
        [
            OsString::from("write"),
            "--output".into(),
            wrapper.clone().into(),
            "--promise".into(),
            "check-file-exists".into(),
            "--bin-dir".into(),
            bin_dir.into(),
            "--".into(),
            "--path".into(),
            raw.clone().into(),
            "--state".into(),
            "not-empty".into(),
        ],
    );
    out.line(0);
    run_wrapper(&wrapper, &[], &dir).expect(
        2,
        &format!(
            "CRITICAL: {}/caf\u{FFFD} is empty, expected it not to be",
            s(&dir)
        ),
    );
    fs::write(&raw, "x").unwrap();
    run_wrapper(&wrapper, &[], &dir).expect(
        0,
        &format!(
            "OK: {}/caf\u{FFFD} exists and is not empty (file, 1 byte)",
            s(&dir)
        ),
    );
}

#[test]
fn caller_arguments_follow_the_baked_ones() {
    let dir = temp_dir("rg-caller");
    let bin_dir = short_bin_dir(&dir);
    let wrapper = dir.join("check");
    let missing = s(&dir.join("missing"));
    write(
        &wrapper,
        "check-file-exists",
        &bin_dir,
        &["--path", &missing],
    )
    .line(0);
    run_wrapper(&wrapper, &[], &dir).expect(
        2,
        &format!("CRITICAL: {missing} does not exist, expected it to exist"),
    );
    run_wrapper(&wrapper, &["--state", "absent"], &dir)
        .expect(0, &format!("OK: {missing} is absent, as expected"));
    run_wrapper(&wrapper, &["--path", "/"], &dir)
        .expect(3, "UNKNOWN: --path is given more than once (see --help)");
    let help = run_wrapper(&wrapper, &["--help"], &dir);
    assert!(
        help.code == Some(0) && help.stdout.contains("Usage: check-file-exists"),
        "{help}"
    );
}

/// The direct form keeps baked values out of `ps`: the command line of the
/// running check is the binary, `--baked` and the wrapper's path.
#[test]
fn baked_values_do_not_show_in_ps() {
    let dir = temp_dir("rg-ps");
    let bin_dir = short_bin_dir(&dir);
    let Some(queue) = listen::full_queue(std::net::Ipv4Addr::LOCALHOST.into()) else {
        panic!("cannot make a hanging listener on 127.0.0.1");
    };
    let port = queue.address.port().to_string();
    let wrapper = dir.join("check");
    write(
        &wrapper,
        "check-port-listening",
        &bin_dir,
        &["--host", "127.0.0.1", "--port", &port, "--timeout", "5"],
    )
    .line(0);
    if crate::util::runner::emulated(&bin_dir.join("check-port-listening"), "its command line") {
        return;
    }
    let mut child = Command::new(&wrapper)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let proc = PathBuf::from(format!("/proc/{}", child.id()));
    let binary = fs::canonicalize(bin_dir.join("check-port-listening")).unwrap();
    let started = Instant::now();
    // exec sets /proc/PID/exe before the new command line: wait for both.
    let cmdline = loop {
        let cmdline = fs::read(proc.join("cmdline")).unwrap_or_default();
        if fs::read_link(proc.join("exe")).ok().as_deref() == Some(&binary) && !cmdline.is_empty() {
            break cmdline;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the check never started"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let expected = format!(
        "{}/check-port-listening\0--baked\0{}\0",
        s(&bin_dir),
        s(&wrapper)
    );
    assert_eq!(String::from_utf8_lossy(&cmdline), expected);
}

#[test]
fn refused_arguments_are_the_binary_s_own_line_and_write_nothing() {
    let dir = temp_dir("rg-refused");
    let bin_dir = short_bin_dir(&dir);
    let wrapper = dir.join("check");
    for args in [
        &["--port", "0"][..],
        &["--port", "80", "--unix-socket", "/s"],
        &["--frobnicate"],
        &["--port", "80", "--timeout", "-1"],
        &[],
        &["--help"],
    ] {
        let binary = run("check-port-listening", args);
        let line = if args == ["--help"] {
            "UNKNOWN: --help and --version cannot be baked into a wrapper".to_owned()
        } else {
            binary.line(3).to_owned()
        };
        write(&wrapper, "check-port-listening", &bin_dir, args).expect(3, &line);
        assert!(!wrapper.exists(), "{args:?}: a wrapper was written");
    }
    write(&wrapper, "check-file-exists", &bin_dir, &["--path", "a\nb"]).expect(
        3,
        "UNKNOWN: argument 2 holds a newline or NUL, which a wrapper cannot carry verbatim",
    );
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "only bin/ is there");
}

#[test]
fn bad_generator_usage_is_unknown() {
    let dir = temp_dir("rg-usage");
    let bin_dir = short_bin_dir(&dir);
    let out = dir.join("w");
    write(
        &dir.join("no/such/folder/w"),
        "check-file-exists",
        &bin_dir,
        &["--path", "/"],
    )
    .expect(
        3,
        &format!(
            "UNKNOWN: cannot write {}/no/such/folder/w: folder {}/no/such/folder does not exist",
            s(&dir),
            s(&dir)
        ),
    );
    let known: Vec<&str> = crate::util::PROMISES.iter().collect();
    write(&out, "check-nothing", &bin_dir, &[]).expect(
        3,
        &format!(
            "UNKNOWN: unknown promise 'check-nothing', expected {}",
            known.join(", ")
        ),
    );
    write(
        &out,
        "check-file-exists",
        Path::new("bin"),
        &["--path", "/"],
    )
    .expect(
        3,
        "UNKNOWN: --bin-dir bin is not an absolute path (wrappers run from the partition folder)",
    );
    write(&out, "check-file-exists", &dir, &["--path", "/"]).expect(
        3,
        &format!(
            "UNKNOWN: --bin-dir: {}/check-file-exists cannot be used: no such file or directory",
            s(&dir)
        ),
    );
    let binary = s(&bin_dir.join("check-file-exists"));
    let common = [
        "write",
        "--output",
        &s(&out),
        "--promise",
        "check-file-exists",
    ];
    run(
        RG,
        [
            &common[..],
            &[
                "--bin-dir",
                &s(&bin_dir),
                "--binary",
                &binary,
                "--",
                "--path",
                "/",
            ],
        ]
        .concat(),
    )
    .expect(3, "UNKNOWN: give either --bin-dir or --binary (see --help)");
    run(RG, [&common[..], &["--binary", &binary, "--mode", "777", "--", "--path", "/"]].concat()).expect(
        3,
        "UNKNOWN: Error parsing option '--mode' with value '777': 777 lets everyone rewrite the wrapper, and so run anything (see --help)",
    );
    run(
        RG,
        [
            &common[..],
            &["--binary", &binary, "--mode", "0750", "--", "--path", "/"],
        ]
        .concat(),
    )
    .expect(
        0,
        &format!("written: {} (check-file-exists, run directly)", s(&out)),
    );
    assert_eq!(
        fs::metadata(&out).unwrap().permissions().mode() & 0o7777,
        0o750
    );
    assert!(!dir.join("no").exists());
    run(RG, ["--frobnicate"]).expect(
        3,
        "UNKNOWN: Unrecognized argument: --frobnicate (see --help)",
    );
    run(RG, ["--version"]).expect(
        0,
        &format!("recipe-generator {}", env!("CARGO_PKG_VERSION")),
    );
}

#[test]
fn an_up_to_date_wrapper_is_left_untouched() {
    let dir = temp_dir("rg-idem");
    let bin_dir = short_bin_dir(&dir);
    let wrapper = dir.join("check");
    let args = ["--path", "/", "--hint", "x"];
    write(&wrapper, "check-file-exists", &bin_dir, &args).line(0);
    let past = SystemTime::now() - Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&wrapper)
        .unwrap()
        .set_modified(past)
        .unwrap();
    let before = fs::metadata(&wrapper).unwrap();
    write(&wrapper, "check-file-exists", &bin_dir, &args).expect(
        0,
        &format!(
            "unchanged: {} (check-file-exists, run directly)",
            s(&wrapper)
        ),
    );
    let after = fs::metadata(&wrapper).unwrap();
    assert_eq!(
        (after.ino(), after.modified().unwrap()),
        (before.ino(), past)
    );
    write(
        &wrapper,
        "check-file-exists",
        &bin_dir,
        &["--path", "/", "--hint", "y"],
    )
    .expect(
        0,
        &format!("written: {} (check-file-exists, run directly)", s(&wrapper)),
    );
    assert_ne!(fs::metadata(&wrapper).unwrap().ino(), before.ino());
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        2,
        "a temporary file was left"
    );
}

#[test]
fn a_malformed_wrapper_is_unknown_with_one_line() {
    let dir = temp_dir("rg-malformed");
    let bin_dir = short_bin_dir(&dir);
    let wrapper = dir.join("check");
    let binary = s(&bin_dir.join("check-file-exists"));
    fs::write(
        &wrapper,
        format!("#!{binary} --baked\n# header\n--path\n/\n"),
    )
    .unwrap();
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o700)).unwrap();
    run_wrapper(&wrapper, &[], &dir).expect(
        3,
        &format!(
            "UNKNOWN: wrapper {} is malformed: line 3 is neither a # comment nor the blank line that closes the header",
            s(&wrapper)
        ),
    );
    fs::write(&wrapper, format!("#!{binary} --baked\n\n--path\n/\0x\n")).unwrap();
    run_wrapper(&wrapper, &[], &dir).expect(
        3,
        &format!(
            "UNKNOWN: wrapper {} is malformed: line 4 holds a NUL byte, which no argument can",
            s(&wrapper)
        ),
    );
    run_in("check-file-exists", ["--baked", "missing"], Some(&dir)).expect(
        3,
        "UNKNOWN: cannot read wrapper missing: no such file or directory",
    );
}

/// A deployed partition's `.installed.cfg`: every supported kind of promise part
/// next to parts that are not promises.
fn installed_cfg(partition: &Path, port: u16, closed: u16, abstract_name: &str) -> String {
    let p = s(partition);
    format!(
        "[buildout]
installed_develop_eggs = 
parts = directory logrotate check-port frontend-port mysqld-socket xvfb-socket error-log pid-file cpu-load wrapper-with-promise-option

[directory]
__buildout_installed__ = 
__buildout_signature__ = slapos.cookbook-1.0.373-py3.9.egg
etc = {p}/etc
plugin = {p}/etc/plugin
promise = {p}/etc/promise
recipe = slapos.cookbook:mkdirectory

[logrotate]
__buildout_installed__ = {p}/etc/logrotate.d/app
__buildout_signature__ = slapos.cookbook-1.0.373-py3.9.egg
log = {p}/var/log/app.log
recipe = slapos.cookbook:logrotate.d

# The legacy Python recipe.
[check-port]
__buildout_installed__ = {p}/etc/promise/check-port
__buildout_signature__ = slapos.cookbook-1.0.373-py3.9.egg
hostname = 127.0.0.1
path = {p}/etc/promise/check-port
port = {port}
recipe = slapos.cookbook:check_port_listening

[frontend-port]
__buildout_installed__ = {p}/etc/plugin/check-frontend-port.py
__buildout_signature__ = slapos.cookbook-1.0.373-py3.9.egg slapos.toolbox-0.140
config-host = 127.0.0.1
config-port = {closed}
content = from slapos.promise.plugin.check_socket_listening import RunPromise
\textra_config_dict = {{'host': '127.0.0.1', 'port': '{closed}'}}
eggs = slapos.toolbox
module = slapos.promise.plugin.check_socket_listening
name = check-frontend-port.py
output = {p}/etc/plugin/check-frontend-port.py
recipe = slapos.cookbook:promise.plugin

[mysqld-socket]
__buildout_installed__ = {p}/etc/plugin/check-mysqld-socket.py
config-pathname = {p}/var/run/mysqld.sock
module = slapos.promise.plugin.check_socket_listening
output = {p}/etc/plugin/check-mysqld-socket.py
recipe = slapos.cookbook:promise.plugin

[xvfb-socket]
__buildout_installed__ = {p}/etc/plugin/check-xvfb.py
config-abstract = {abstract_name}
config-frequency = 5
module = slapos.promise.plugin.check_socket_listening
output = {p}/etc/plugin/check-xvfb.py
recipe = slapos.cookbook:promise.plugin

[error-log]
__buildout_installed__ = {p}/etc/plugin/check-error-log.py
config-filename = {p}/var/log/error.log
config-state = empty
config-url = https://[::1]:8443/log/error.log
module = slapos.promise.plugin.check_file_state
output = {p}/etc/plugin/check-error-log.py
recipe = slapos.cookbook:promise.plugin

[pid-file]
__buildout_installed__ = {p}/etc/plugin/check-pid.py
config-filename = {p}/var/run/app.pid
config-state = present
module = slapos.promise.plugin.check_file_state
output = {p}/etc/plugin/check-pid.py
recipe = slapos.cookbook:promise.plugin

[cpu-load]
__buildout_installed__ = {p}/etc/plugin/check-cpu-load.py
config-cpu-load-threshold = 4
module = slapos.promise.plugin.check_server_cpu_load
output = {p}/etc/plugin/check-cpu-load.py
recipe = slapos.cookbook:promise.plugin

; Not a promise, even though it has an option called promise.
[wrapper-with-promise-option]
__buildout_installed__ = {p}/bin/app
command-line = {p}/bin/app --serve
promise = check_socket_listening
recipe = slapos.cookbook:wrapper
wrapper-path = {p}/bin/app
"
    )
}

#[test]
fn convert_an_installed_cfg_then_run_every_wrapper() {
    let partition = temp_dir("rg-convert");
    let bin_dir = short_bin_dir(&partition);
    for folder in ["etc/promise", "etc/plugin", "var/run", "var/log"] {
        fs::create_dir_all(partition.join(folder)).unwrap();
    }
    let p = s(&partition);
    let listener = listen::tcp4();
    let port = listener.local_addr().unwrap().port();
    let closed = listen::closed_port();
    let abstract_name = format!("np-rg-{}", std::process::id());
    let _xvfb = listen::abstract_socket(&abstract_name);
    let _mysqld = listen::unix(&partition.join("var/run/mysqld.sock"));
    fs::write(partition.join("var/log/error.log"), "boom\n").unwrap();
    fs::write(partition.join("var/run/app.pid"), "42\n").unwrap();
    let cfg = partition.join(".installed.cfg");
    fs::write(
        &cfg,
        installed_cfg(&partition, port, closed, &abstract_name),
    )
    .unwrap();
    let convert = |extra: &[&str]| convert_with(&partition, &cfg, &bin_dir, extra);
    let wrappers = [
        ("check-port", "check-port", "check-port-listening", ""),
        (
            "frontend-port",
            "check-frontend-port",
            "check-port-listening",
            "",
        ),
        (
            "mysqld-socket",
            "check-mysqld-socket",
            "check-port-listening",
            "",
        ),
        (
            "xvfb-socket",
            "check-xvfb",
            "check-port-listening",
            "; ignored: config-frequency",
        ),
        ("error-log", "check-error-log", "check-file-exists", ""),
        ("pid-file", "check-pid", "check-file-exists", ""),
    ];
    let expected = |verb: &str, summary: &str| {
        let mut lines: Vec<String> = wrappers
            .iter()
            .map(|(section, file, promise, note)| {
                format!(
                    "{verb}: {p}/etc/promise/{file} ([{section}] {promise}, run directly{note})"
                )
            })
            .collect();
        lines.push(
            "skipped: [cpu-load] plugin check_server_cpu_load has no native replacement".into(),
        );
        lines.push(summary.into());
        lines.join("\n") + "\n"
    };

    let dry = convert(&["--dry-run"]);
    assert_eq!(
        (dry.code, dry.stderr.as_str(), dry.stdout.as_str()),
        (
            Some(0),
            "",
            expected(
                "would write",
                "dry run: 6 to write, 0 unchanged, 1 skipped, 3 other parts left alone; 1 cookbook part converted in place: the next buildout run that installs it rewrites its file, change the profile to keep the wrappers"
            )
            .as_str()
        ),
        "{dry}"
    );
    assert_eq!(
        fs::read_dir(partition.join("etc/promise")).unwrap().count(),
        0
    );

    let first = convert(&[]);
    assert_eq!(
        (first.code, first.stderr.as_str(), first.stdout.as_str()),
        (
            Some(0),
            "",
            expected(
                "written",
                "done: 6 written, 0 unchanged, 1 skipped, 3 other parts left alone; 1 cookbook part converted in place: the next buildout run that installs it rewrites its file, change the profile to keep the wrappers"
            )
            .as_str()
        ),
        "{first}"
    );
    let promise = |name: &str| partition.join("etc/promise").join(name);
    run_wrapper(&promise("check-port"), &[], &partition).expect_parts(
        0,
        &format!("OK: 127.0.0.1:{port} is listening ("),
        &[],
    );
    run_wrapper(&promise("check-frontend-port"), &[], &partition).expect(
        2,
        &format!(
            "CRITICAL: 127.0.0.1:{closed} is not listening: 127.0.0.1:{closed} connection refused"
        ),
    );
    run_wrapper(&promise("check-mysqld-socket"), &[], &partition).expect_parts(
        0,
        &format!("OK: unix socket {p}/var/run/mysqld.sock is listening ("),
        &[],
    );
    run_wrapper(&promise("check-xvfb"), &[], &partition).expect_parts(
        0,
        &format!("OK: abstract socket @{abstract_name} is listening ("),
        &[],
    );
    run_wrapper(&promise("check-error-log"), &[], &partition).expect(
        2,
        &format!(
            "CRITICAL: {p}/var/log/error.log is not empty (5 bytes), expected it to be empty, content available at https://[::1]:8443/log/error.log"
        ),
    );
    run_wrapper(&promise("check-pid"), &[], &partition).expect(
        0,
        &format!("OK: {p}/var/run/app.pid exists (file, 3 bytes)"),
    );
    if let Some(count) = execs(&promise("check-pid"), &partition) {
        assert_eq!(count, 1);
    }

    let again = convert(&[]);
    assert_eq!(
        again.stdout,
        expected(
            "unchanged",
            "done: 0 written, 6 unchanged, 1 skipped, 3 other parts left alone; 1 cookbook part converted in place: the next buildout run that installs it rewrites its file, change the profile to keep the wrappers"
        ),
        "{again}"
    );
    assert!(
        !partition.join("bin/app").exists(),
        "a part that is not a promise was touched"
    );
}

/// The monitor stack's four plugins, written as stack/monitor (and re6stnet,
/// for the certificate) writes them, converted and run: each passes and fails
/// as the plugin would, and the error log's link is made once, not in a dry run.
#[test]
fn convert_the_monitor_stack_then_run_its_wrappers() {
    let partition = temp_dir("rg-convert-monitor");
    let bin_dir = short_bin_dir(&partition);
    for folder in [
        "etc/promise",
        "etc/plugin",
        "etc/ssl",
        "var/log",
        "srv/monitor",
    ] {
        fs::create_dir_all(partition.join(folder)).unwrap();
    }
    let p = s(&partition);
    let id = partition.file_name().unwrap().to_str().unwrap().to_owned();
    let ca = tls::Ca::new("monitor test CA");
    let good = ca.server(&["localhost"], Validity::Year);
    let soon = ca.server(
        &["localhost"],
        Validity::EndsIn(Duration::from_secs(5 * 86_400 + 12 * 3_600)),
    );
    for (name, pem) in [
        ("good.crt", &good.cert_pem),
        ("good.key", &good.key_pem),
        ("soon.crt", &soon.cert_pem),
        ("soon.key", &soon.key_pem),
    ] {
        tls::write(&partition.join("etc/ssl"), name, pem);
    }
    let cfg = partition.join("instance-monitor.cfg");
    fs::write(
        &cfg,
        format!(
            "[buildout]\nparts = disk-roomy disk-short promise-check-slapgrid monitor-bootstrap-promise cert-good cert-soon cert-other-key\n\
             [directory]\nplugins = {p}/etc/plugin\n\
             [monitor-promise-base]\nrecipe = slapos.cookbook:promise.plugin\neggs =\n  slapos.toolbox\n\
             module = slapos.promise.plugin.${{:promise}}\noutput = ${{directory:plugins}}/${{:name}}\n\
             [disk-roomy]\n<= monitor-promise-base\npromise = check_free_disk_space\nname = disk-roomy.py\n\
             config-collectordb = /srv/slapgrid/var/data-log/collector.db\nconfig-threshold = 0.000001\n\
             [disk-short]\n<= monitor-promise-base\npromise = check_free_disk_space\nname = disk-short.py\n\
             config-threshold = 1000000000\n\
             [promise-check-slapgrid]\n<= monitor-promise-base\npromise = check_partition_deployment_state\n\
             name = buildout-{id}-status.py\nconfig-monitor-url = https://[::1]:8196\n\
             [monitor-bootstrap-promise]\n<= monitor-promise-base\npromise = monitor_bootstrap_status\n\
             name = monitor-bootstrap-status.py\nconfig-process-pid-file = {p}/var/run/monitor-bootstrap.pid\n\
             config-process-name = bootstrap-monitor\nconfig-status-file = {p}/srv/monitor/bootstrap-status\n\
             [cert-good]\n<= monitor-promise-base\npromise = check_certificate\nname = cert-good.py\n\
             config-certificate = {p}/etc/ssl/good.crt\nconfig-key = {p}/etc/ssl/good.key\n\
             [cert-soon]\n<= monitor-promise-base\npromise = check_certificate\nname = cert-soon.py\n\
             config-certificate = {p}/etc/ssl/soon.crt\nconfig-certificate-expiration-days = 15\n\
             [cert-other-key]\n<= monitor-promise-base\npromise = check_certificate\nname = cert-other-key.py\n\
             config-certificate = {p}/etc/ssl/good.crt\nconfig-key = {p}/etc/ssl/soon.key\n"
        ),
    )
    .unwrap();
    let link = partition.join(format!("var/log/slapgrid-{id}-error.log"));
    let log = partition.join(format!(".slapgrid-{id}-error.log"));
    let link_line = format!("{} -> {}", s(&link), s(&log));

    let convert = |extra: &[&str]| convert_with(&partition, &cfg, &bin_dir, extra);
    let dry = convert(&["--dry-run"]);
    assert_eq!(dry.code, Some(0), "{dry}");
    assert!(
        dry.stdout.contains(&format!("\nwould link: {link_line}\n")),
        "{dry}"
    );
    assert!(link.symlink_metadata().is_err(), "a dry run made the link");

    let first = convert(&[]);
    assert_eq!(first.code, Some(0), "{first}");
    assert!(
        first.stdout.contains(&format!("\nlinked: {link_line}\n")),
        "{first}"
    );
    for part in [
        format!(
            "written: {p}/etc/promise/disk-roomy ([disk-roomy] check-free-disk-space, run directly; approximate: free space and inodes read live (statvfs)"
        ),
        "ignored: config-collectordb (figures are read live with statvfs, no collector database)"
            .to_owned(),
        format!(
            "written: {p}/etc/promise/buildout-{id}-status ([promise-check-slapgrid] check-file-exists, run directly; approximate: the link in var/log is made once"
        ),
        "(the plugin waited 15 s)".to_owned(),
        "ignored: config-process-pid-file (a running bootstrap is not waited for".to_owned(),
        format!(
            "written: {p}/etc/promise/cert-good ([cert-good] check-certificate, run directly; a certificate not valid yet now fails too"
        ),
        "done: 7 written, 0 unchanged, 0 skipped, 0 other parts left alone\n".to_owned(),
    ] {
        assert!(first.stdout.contains(&part), "lacks {part:?}\n{first}");
    }
    assert_eq!(fs::read_link(&link).unwrap(), log);
    let again = convert(&[]);
    assert!(
        again
            .stdout
            .contains(&format!("\nunchanged: {} (already there)\n", s(&link))),
        "{again}"
    );

    let promise = |name: &str| partition.join("etc/promise").join(name);
    let wrapper = |name: &str| run_wrapper(&promise(name), &[], &partition);
    wrapper("disk-roomy").expect_parts(0, &format!("OK: {p}: "), &["free of"]);
    wrapper("disk-short").expect_parts(
        2,
        &format!("CRITICAL: {p}: free space low: "),
        &["below the threshold of 953.6 PiB"],
    );

    let status = format!("buildout-{id}-status");
    wrapper(&status).expect(0, &format!("OK: {} is absent, as expected", s(&log)));
    fs::write(&log, "While:\n  Installing.\nError: boom\n").unwrap();
    wrapper(&status).expect(
        2,
        &format!(
            "CRITICAL: {} is not empty (33 bytes), expected it to be absent or empty, buildout failed to process {id}, see https://[::1]:8196/log/slapgrid-{id}-error.log",
            s(&log)
        ),
    );
    assert_eq!(
        fs::read_to_string(&link).unwrap(),
        fs::read_to_string(&log).unwrap()
    );
    fs::write(&log, "").unwrap();
    wrapper(&status).expect_parts(0, &format!("OK: {} ", s(&log)), &[]);

    let bootstrap = partition.join("srv/monitor/bootstrap-status");
    wrapper("monitor-bootstrap-status").expect(
        2,
        &format!(
            "CRITICAL: {} does not exist, expected an empty file, the monitor bootstrap did not run or failed, see {p}/.{id}_bootstrap-monitor.log",
            s(&bootstrap)
        ),
    );
    fs::write(&bootstrap, "").unwrap();
    wrapper("monitor-bootstrap-status").expect_parts(0, &format!("OK: {} ", s(&bootstrap)), &[]);
    fs::write(&bootstrap, "error: cannot reach the master\n").unwrap();
    wrapper("monitor-bootstrap-status").expect_parts(
        2,
        &format!("CRITICAL: {} is not empty", s(&bootstrap)),
        &["the monitor bootstrap did not run or failed"],
    );

    wrapper("cert-good").expect_parts(
        0,
        &format!("OK: {p}/etc/ssl/good.crt expires in "),
        &[&format!(", key {p}/etc/ssl/good.key matches")],
    );
    wrapper("cert-soon").expect_parts(
        2,
        &format!("CRITICAL: {p}/etc/ssl/soon.crt expires in 5 days on "),
        &["expected at least 15 days"],
    );
    wrapper("cert-other-key").expect(
        2,
        &format!(
            "CRITICAL: --key-file {p}/etc/ssl/soon.key does not match the certificate in {p}/etc/ssl/good.crt"
        ),
    );
}

/// `convert CFG` into PARTITION/etc/promise, run from the partition.
fn convert_in(partition: &Path, cfg: &Path, bin_dir: &Path) -> Outcome {
    convert_with(partition, cfg, bin_dir, &[])
}

/// `convert CFG ... EXTRA` into PARTITION/etc/promise, run from the partition.
fn convert_with(partition: &Path, cfg: &Path, bin_dir: &Path, extra: &[&str]) -> Outcome {
    let mut args = vec![
        "convert".to_owned(),
        s(cfg),
        "--bin-dir".into(),
        s(bin_dir),
        "--promise-dir".into(),
        s(&partition.join("etc/promise")),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    run_in(RG, args, Some(partition))
}

#[test]
fn convert_validates_everything_before_writing_anything() {
    let partition = temp_dir("rg-convert-bad");
    let bin_dir = short_bin_dir(&partition);
    fs::create_dir_all(partition.join("etc/promise")).unwrap();
    let p = s(&partition);
    let good = format!(
        "[ok]\nrecipe = slapos.cookbook:check_port_listening\npath = {p}/etc/promise/ok\nhostname = localhost\nport = 80\n"
    );
    let cases = [
        (
            "[monitor-promise-base]\nrecipe = slapos.cookbook:promise.plugin\n[bad]\n<= monitor-promise-base\npromise = check_socket_listening\nname = bad.py\nconfig-host = ${frontend:host}\nconfig-port = 80\n",
            "UNKNOWN: [bad] config-host: ${frontend:host} is unresolved: this file has no section [frontend]",
        ),
        (
            "[bad]\npromise = check_socket_listening\nname = bad.py\nconfig-port = 0\n",
            "UNKNOWN: [bad] check-port-listening: Error parsing option '--port' with value '0': expected a port number from 1 to 65535, got '0' (see --help)",
        ),
        (
            "[bad]\nrecipe = slapos.cookbook:check_port_listening\npath = /no/such/folder/x\nhostname = localhost\nport = 80\n",
            "UNKNOWN: [bad] check-port-listening: cannot write /no/such/folder/x: folder /no/such/folder does not exist",
        ),
        (
            "[bad]\npromise = check_file_state\nname = ok\nconfig-filename = /x\n",
            &format!("UNKNOWN: [ok] and [bad] both write {p}/etc/promise/ok"),
        ),
        (
            "[bad]\nnot an option\n",
            "UNKNOWN: CFG line 8: expected key = value, [section], a comment or an indented continuation",
        ),
    ];
    let cfg = partition.join("instance.cfg");
    for (bad, line) in cases {
        fs::write(&cfg, format!("{good}\n{bad}")).unwrap();
        convert_in(&partition, &cfg, &bin_dir).expect(3, &line.replace("CFG", &s(&cfg)));
        assert_eq!(
            fs::read_dir(partition.join("etc/promise")).unwrap().count(),
            0,
            "{bad}"
        );
    }
}

/// The curl-based recipes and the url plugin, converted and run against our
/// HTTP and HTTPS servers (a self-signed certificate, as SlapOS frontends
/// often have): the legacy semantics must hold.
#[test]
fn convert_url_parts_with_their_legacy_semantics() {
    let partition = temp_dir("rg-convert-url");
    let bin_dir = short_bin_dir(&partition);
    fs::create_dir_all(partition.join("etc/promise")).unwrap();
    let p = s(&partition);
    let identity = tls::self_signed(&tls::LOOPBACK, Validity::Year);
    let ca_file = tls::write(&partition, "frontend.crt", &identity.cert_pem);
    let handler = |request: &Request| match request.target.as_str() {
        "/" => Reply::text(200, "Welcome to the shop"),
        "/down" => Reply::text(503, "Welcome, but under maintenance"),
        "/admin" => Reply::status(401),
        "/moved" => Reply::redirect(302, "/"),
        "/slow" => Reply::Hang,
        "/auth" if request.header("authorization") == Some(BASIC) => Reply::status(200),
        _ => Reply::status(401),
    };
    let https = Server::https(V4, tls::server_config(&identity, None), handler).expect("https");
    let http = Server::http(V4, handler).expect("http");
    let (site, admin, slow, moved, auth) = (
        https.url("https", "/"),
        https.url("https", "/admin"),
        https.url("https", "/slow"),
        https.url("https", "/moved"),
        https.url("https", "/auth"),
    );
    let page = http.url("http", "/");
    let page_down = http.url("http", "/down");
    fs::write(partition.join("etc/slow_timeout"), "1\n").unwrap();
    let cfg = partition.join("buildout.cfg");
    let curl = "dash_path = /opt/dash/bin/dash\ncurl_path = /opt/curl/bin/curl";
    fs::write(
        &cfg,
        format!(
            "[buildout]
parts = site admin slow page page-down page-regex front front-verify front-ca moved auth
directory = {p}

[directory]
promise = ${{buildout:directory}}/etc/promise

[site]
recipe = slapos.cookbook:check_url_available
path = ${{directory:promise}}/site
url = {site}
{curl}

[admin]
recipe = slapos.cookbook:check_url_available
path = ${{directory:promise}}/admin
url = {admin}
check-secure = 1
{curl}

[slow]
recipe = slapos.cookbook:check_url_available
path = ${{directory:promise}}/slow
url = {slow}
timeout-file-path = {p}/etc/slow_timeout
{curl}

[page]
recipe = slapos.cookbook:check_page_content
path = ${{directory:promise}}/page
url = {page}
match = Welcome
{curl}

# curl | grep never looked at the status: a 503 page with the text passed.
[page-down]
<= page
path = ${{directory:promise}}/page-down
url = {page_down}

[page-regex]
<= page
path = ${{directory:promise}}/page-regex
match = Welcome.*shop

[monitor-promise-base]
recipe = slapos.cookbook:promise.plugin
module = slapos.promise.plugin.${{:promise}}
output = {p}/etc/plugin/${{:name}}

[front]
<= monitor-promise-base
promise = check_url_available
name = check-front.py
config-url = {site}

[front-verify]
<= front
name = check-front-verify.py
config-verify = 1

[front-ca]
<= front
name = check-front-ca.py
config-ca-cert-file = {ca}

[moved]
<= monitor-promise-base
promise = check_url_available
name = check-moved.py
config-url = {moved}
config-allow-redirects = 0

[auth]
<= monitor-promise-base
promise = check_url_available
name = check-auth.py
config-url = {auth}
config-username = alice
config-password = {PASSWORD}
",
            ca = s(&ca_file)
        ),
    )
    .unwrap();
    let out = run_in(
        RG,
        [
            "convert",
            &s(&cfg),
            "--bin-dir",
            &s(&bin_dir),
            "--promise-dir",
            &format!("{p}/etc/promise"),
        ],
        Some(&partition),
    );
    let lines: Vec<String> = [
        ("site", "site", ""),
        ("admin", "admin", ""),
        ("slow", "slow", ""),
        ("page", "page", ""),
        ("page-down", "page-down", ""),
        (
            "page-regex",
            "page-regex",
            "; match is now plain text, not a regular expression",
        ),
        ("front", "check-front", ""),
        ("front-verify", "check-front-verify", ""),
        ("front-ca", "check-front-ca", ""),
        ("moved", "check-moved", ""),
        ("auth", "check-auth", ""),
    ]
    .iter()
    .map(|(section, file, note)| {
        format!(
            "written: {p}/etc/promise/{file} ([{section}] check-url-available, run directly{note})"
        )
    })
    .chain(["done: 11 written, 0 unchanged, 0 skipped, 0 other parts left alone; 6 cookbook parts converted in place: the next buildout run that installs them rewrites their files, change the profile to keep the wrappers".to_owned()])
    .collect();
    assert_eq!(
        (out.code, out.stderr.as_str(), out.stdout.as_str()),
        (Some(0), "", (lines.join("\n") + "\n").as_str()),
        "{out}"
    );
    let wrapper = |name: &str| partition.join("etc/promise").join(name);
    let ok = |name: &str, prefix: &str| {
        run_wrapper(&wrapper(name), &[], &partition).expect_parts(0, prefix, &[]);
    };
    // The dash+curl scripts never verified TLS, and a 401 was fine with check-secure.
    ok("site", &format!("OK: {site} returned 200 in "));
    ok("admin", &format!("OK: {admin} returned 401 in "));
    // Their timeout came from the file at every run.
    run_wrapper(&wrapper("slow"), &[], &partition)
        .within(Duration::from_secs(5))
        .expect(
            2,
            &format!("CRITICAL: {slow} timed out after 1 s waiting for the response headers"),
        );
    ok("page", &format!("OK: {page} returned 200 in "));
    ok("page-down", &format!("OK: {page_down} returned 503 in "));
    run_wrapper(&wrapper("page-regex"), &[], &partition).expect(
        2,
        &format!(
            "CRITICAL: {page} returned 200 but the body (19 bytes) does not contain 'Welcome.*shop'"
        ),
    );
    // The plugin verifies only with verify = 1 or a CA file.
    ok("check-front", &format!("OK: {site} returned 200 in "));
    run_wrapper(&wrapper("check-front-verify"), &[], &partition).expect(
        2,
        &format!("CRITICAL: {site} TLS: certificate not trusted (self-signed)"),
    );
    ok("check-front-ca", &format!("OK: {site} returned 200 in "));
    run_wrapper(&wrapper("check-moved"), &[], &partition).expect(
        2,
        &format!("CRITICAL: {moved} returned 302, expected 200 (redirect to / not followed)"),
    );
    // The hostile password went through verbatim, and is in no output.
    let auth_out = run_wrapper(&wrapper("check-auth"), &[], &partition);
    auth_out.expect_parts(0, &format!("OK: {auth} returned 200 in "), &[]);
    assert!(!auth_out.stdout.contains("touch"), "{auth_out}");
    assert!(!partition.join("pwned").exists());
    if let Some(count) = execs(&wrapper("check-auth"), &partition) {
        assert_eq!(count, 1);
    }
}

/// A password with every character a shell or a buildout file could misread.
const PASSWORD: &str = "p'w\"$(touch pwned)`id` é";
/// `alice:PASSWORD` in base64, as the Basic authorization header carries it.
const BASIC: &str = "Basic YWxpY2U6cCd3IiQodG91Y2ggcHduZWQpYGlkYCDDqQ==";

/// The `.installed.cfg` a real zc.buildout run with the real slapos.cookbook
/// recipes wrote after one run and after two (tests/fixtures/buildout/, made
/// by its regenerate.sh), the partition folder and ports moved to ours: both
/// convert to the same wrappers, which pass and fail as the legacy promises
/// do against the same services.
#[test]
fn convert_installed_cfg_of_real_buildout_runs() {
    let partition = temp_dir("rg-real-buildout");
    let bin_dir = short_bin_dir(&partition);
    for folder in ["etc/promise", "etc/plugin", "var"] {
        fs::create_dir_all(partition.join(folder)).unwrap();
    }
    let p = s(&partition);
    let http = Server::http(V4, |request: &Request| match request.target.as_str() {
        "/" => Reply::text(200, "Welcome to the shop"),
        "/down" => Reply::text(503, "Welcome, but under maintenance"),
        _ => Reply::status(401),
    })
    .expect("http");
    let web = http.url("http", "/");
    let web_port = web
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let listener = listen::tcp4();
    let port = listener.local_addr().unwrap().port();
    let closed = listen::closed_port();
    let _app = listen::unix(&partition.join("var/app.sock"));
    fs::write(partition.join("var/error.log"), "boom\n").unwrap();
    let fixture = |n: u8| {
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/fixtures/buildout/installed-{n}.cfg"));
        fs::read_to_string(file)
            .unwrap()
            .replace("/tmp/np-fixture/slappart0", &p)
            .replace("65001", &web_port)
            .replace("65002", &closed.to_string())
            .replace("65003", &port.to_string())
    };
    let cfg = partition.join(".installed.cfg");
    let convert = || convert_in(&partition, &cfg, &bin_dir);
    let expected = |verb: &str, summary: &str| {
        let mut lines: Vec<String> = [
            ("check-site", "check-url-available"),
            ("check-admin", "check-url-available"),
            ("check-port", "check-port-listening"),
            ("check-page", "check-url-available"),
            ("check-frontend", "check-url-available"),
            ("check-backend-port", "check-port-listening"),
            ("check-app-socket", "check-port-listening"),
            ("check-error-log", "check-file-exists"),
        ]
        .iter()
        .map(|(name, promise)| {
            format!("{verb}: {p}/etc/promise/{name} ([{name}] {promise}, run directly)")
        })
        .collect();
        lines.extend([
            format!("{verb}: {p}/etc/promise/check-disk ([check-disk] check-free-disk-space, run directly; approximate: free space and inodes read live (statvfs), not from the collector database, so the check is never skipped for want of data; approximate: the inodes of /tmp, when it is a mount of its own, are not checked (add a check-free-disk-space --path /tmp); ignored: config-threshold-ratio)"),
            "skipped: [check-release-own] plugin module check_url_available is the software release's own, not slapos.promise.plugin's: no native replacement".to_owned(),
            format!("{summary}, 1 skipped, 1 other parts left alone; 4 cookbook parts converted in place: the next buildout run that installs them rewrites their files, change the profile to keep the wrappers"),
        ]);
        lines.join("\n") + "\n"
    };

    // After one run, then after two: 12 [buildout] sections, the same wrappers.
    fs::write(&cfg, fixture(1)).unwrap();
    let first = convert();
    assert_eq!(
        (first.code, first.stderr.as_str(), first.stdout.as_str()),
        (
            Some(0),
            "",
            expected("written", "done: 9 written, 0 unchanged").as_str()
        ),
        "{first}"
    );
    let twice = fixture(2);
    assert!(twice.matches("\n[buildout]\n").count() > 10);
    fs::write(&cfg, twice).unwrap();
    let second = convert();
    assert_eq!(
        (second.code, second.stderr.as_str(), second.stdout.as_str()),
        (
            Some(0),
            "",
            expected("unchanged", "done: 0 written, 9 unchanged").as_str()
        ),
        "{second}"
    );

    let promise =
        |name: &str| run_wrapper(&partition.join("etc/promise").join(name), &[], &partition);
    promise("check-site").expect_parts(0, &format!("OK: {web} returned 200 in "), &[]);
    // check-secure: a 401 is the service up and protected.
    promise("check-admin").expect_parts(0, &format!("OK: {web}admin returned 401 in "), &[]);
    promise("check-port").expect_parts(0, &format!("OK: 127.0.0.1:{port} is listening ("), &[]);
    // curl | grep never looked at the status: the 503 page holding the text passes.
    promise("check-page").expect_parts(0, &format!("OK: {web}down returned 503 in "), &[]);
    promise("check-frontend").expect_parts(0, &format!("OK: {web} returned 200 in "), &[]);
    promise("check-backend-port").expect(
        2,
        &format!(
            "CRITICAL: 127.0.0.1:{closed} is not listening: 127.0.0.1:{closed} connection refused"
        ),
    );
    promise("check-app-socket").expect_parts(
        0,
        &format!("OK: unix socket {p}/var/app.sock is listening ("),
        &[],
    );
    promise("check-error-log").expect(
        2,
        &format!("CRITICAL: {p}/var/error.log is not empty (5 bytes), expected it to be empty, content available at {web}log"),
    );
}

/// A FIFO (which would block the read forever), a device or a folder given as
/// FILE is refused before it is opened.
#[test]
fn convert_refuses_what_is_not_a_regular_file() {
    let partition = temp_dir("rg-convert-fifo");
    let bin_dir = short_bin_dir(&partition);
    let fifo = partition.join("installed.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for (file, what) in [
        (s(&fifo), "a FIFO"),
        ("/dev/null".to_owned(), "a device"),
        (s(&partition), "a folder"),
    ] {
        // coreutils' timeout turns a blocked read into exit 124, not a hung suite.
        let generator: Vec<String> = crate::util::runner::argv(&bin(RG))
            .iter()
            .map(|w| w.to_string_lossy().into_owned())
            .collect();
        let mut args: Vec<&str> = vec!["60"];
        args.extend(generator.iter().map(String::as_str));
        run_program(
            Path::new("timeout"),
            RG,
            args.into_iter().chain([
                "convert",
                &file,
                "--bin-dir",
                &s(&bin_dir),
                "--promise-dir",
                &s(&partition),
            ]),
            Some(&partition),
        )
        .expect(
            3,
            &format!("UNKNOWN: {file} is {what}, not a buildout file"),
        );
    }
    // A regular file is read up to its cap (a sparse one: no disk used).
    let big = partition.join("big.cfg");
    fs::File::create(&big)
        .unwrap()
        .set_len((16 << 20) + 1)
        .unwrap();
    convert_in(&partition, &big, &bin_dir).expect(
        3,
        &format!("UNKNOWN: cannot read {}: larger than 16 MiB", s(&big)),
    );
}

/// Conditional sections: those whose answer every partition shares are read
/// as zc.buildout reads them; a part that depends on one whose answer
/// depends on the Python running buildout is skipped, naming it, and so is a
/// part whose command is a script; the other parts are converted.
#[test]
fn convert_reads_known_conditions_and_skips_parts_that_depend_on_unknown_ones() {
    let partition = temp_dir("rg-convert-conditions");
    let bin_dir = short_bin_dir(&partition);
    fs::create_dir_all(partition.join("etc/promise")).unwrap();
    let listener = listen::tcp4();
    let port = listener.local_addr().unwrap().port();
    let closed = listen::closed_port();
    let p = s(&partition);
    let cfg = partition.join("instance.cfg");
    fs::write(
        &cfg,
        format!(
            "[buildout]\nparts = c d e f g script\n\
             [base]\nrecipe = slapos.cookbook:promise.plugin\nmodule = slapos.promise.plugin.${{:promise}}\n\
             promise = check_socket_listening\noutput = {p}/etc/plugin/${{:_buildout_section_name_}}.py\n\
             config-host = 127.0.0.1\n\
             [c]\n<= base\nconfig-port = {port}\n\
             [d]\n<= base\nconfig-port = {port}\n[d:python311]\nconfig-port = {closed}\n\
             [e]\n<= base\nconfig-port = {closed}\n[e:os.name == 'posix']\nconfig-port = {port}\n\
             [hosts]\nf = 127.0.0.1\n[hosts:sys.version_info < (3,12)]\nf = ::1\n\
             [f]\n<= base\nconfig-host = ${{hosts:f}}\nconfig-port = {port}\n\
             [g]\n<= base\nconfig-port = {port}\n[g:sys.version_info < (3,10)]\nconfig-port = {closed}\n\
             [script]\n<= base\npromise = check_command_execute\nconfig-command = true\nconfig-command += false\n\
             [versions:sys.version_info >= (3,13)]\nzc.buildout = 6.0.1\n"
        ),
    )
    .unwrap();
    let out = convert_in(&partition, &cfg, &bin_dir);
    let written = |name: &str| {
        format!("written: {p}/etc/promise/{name} ([{name}] check-port-listening, run directly)")
    };
    let expected = [
        written("c"),
        written("e"),
        written("g"),
        "skipped: [d] depends on [d:python311] (line 15), whose condition cannot be evaluated here".to_owned(),
        "skipped: [f] depends on [hosts:sys.version_info < (3,12)] (line 24), whose condition cannot be evaluated here".to_owned(),
        "skipped: [script] config-command is a multi-line shell script: check-command takes one line".to_owned(),
        "skipped: [versions:sys.version_info >= (3,13)] (line 40) not read: its condition cannot be evaluated here".to_owned(),
        "done: 3 written, 0 unchanged, 4 skipped, 0 other parts left alone".to_owned(),
    ];
    assert_eq!(
        (out.code, out.stderr.as_str(), out.stdout.as_str()),
        (Some(0), "", (expected.join("\n") + "\n").as_str()),
        "{out}"
    );
    for name in ["c", "e", "g"] {
        run_wrapper(&partition.join("etc/promise").join(name), &[], &partition).expect_parts(
            0,
            &format!("OK: 127.0.0.1:{port} is listening ("),
            &[],
        );
    }
    for name in ["d", "f", "script"] {
        assert!(!partition.join("etc/promise").join(name).exists(), "{name}");
    }
}
