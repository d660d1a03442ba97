//! check-command with real processes: exit codes, signals, the last line, the
//! deadline, and the proof that nothing it started survives it (a grandchild
//! that sleeps, looked for in /proc), whether it ends on its own, at its
//! deadline, by SIGTERM or by SIGKILL.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::memory::run_measured;
use crate::util::{bin, generator, listen, run, run_program, temp_dir};

const NAME: &str = "check-command";

/// Whether process `pid` exists and is not a zombie.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat.rsplit_once(") ")?.1.chars().next()?;
            Some(state != 'Z')
        })
        .unwrap_or(false)
}

/// The process group of `pid`, from /proc (`None` once it is gone).
fn group_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.split(' ').nth(2)?.parse().ok()
}

/// Live processes of group `group`, from /proc.
fn members(group: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| alive(pid) && group_of(pid) == Some(group))
        .collect()
}

/// Waits (bounded) until `done` holds; false if it never did.
fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done()
}

/// A command that starts a grandchild which sleeps and writes its pid to `file`.
fn grandchild_command(file: &Path) -> String {
    format!(
        "sh -c 'sleep 300 & echo $! > {}.tmp; mv {0}.tmp {0}; wait'",
        file.display()
    )
}

/// The grandchild's pid, once `file` names it (bounded wait).
fn grandchild(file: &Path) -> u32 {
    assert!(
        eventually(Duration::from_secs(20), || file.exists()),
        "the grandchild never started"
    );
    let pid = std::fs::read_to_string(file).expect("pid file");
    pid.trim().parse().expect("a pid")
}

fn spawn(args: &[&str]) -> Child {
    crate::util::runner::command(&bin(NAME))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("check-command starts")
}

/// Asserts that neither the grandchild nor anything of its group remains.
#[track_caller]
fn nothing_remains(pid: u32, group: u32) {
    assert!(
        eventually(Duration::from_secs(5), || !alive(pid)
            && members(group).is_empty()),
        "left behind: grandchild {pid} alive={}, group {group}: {:?}",
        alive(pid),
        members(group)
    );
}

#[test]
fn exit_zero_is_ok_with_the_last_line() {
    run(NAME, ["--command", "echo hello; echo world >&2"])
        .expect(0, "OK: echo hello; echo world >&2 exited 0: world");
    run(NAME, ["--command", "true"]).expect(0, "OK: true exited 0");
    // A command that starts with a dash is the command, not the shell's option.
    let out = run(NAME, ["--command", "-q"]);
    out.expect_parts(2, "CRITICAL: -q exited 127: ", &["not found"]);
    // Without a slash the program is looked up in PATH; the arguments after
    // -- are the program's, whatever they look like.
    run(NAME, ["--", "echo", "--timeout", "x", "--version"]).expect(
        0,
        "OK: echo --timeout x --version exited 0: --timeout x --version",
    );
}

#[test]
fn a_failure_names_the_code_and_the_last_non_empty_line() {
    run(
        NAME,
        ["--command", "echo one; echo 'two  words' >&2; echo; exit 3"],
    )
    .expect(
        2,
        "CRITICAL: echo one; echo two words >&2; echo; exit 3 exited 3: two words",
    );
    run(NAME, ["--", "/bin/sh", "-c", "exit 1"]).expect(2, "CRITICAL: sh -c exit 1 exited 1");
    // The shell's own complaint is the command's output.
    let out = run(NAME, ["--command", "no-such-program-here"]);
    out.expect_parts(
        2,
        "CRITICAL: no-such-program-here exited 127: ",
        &["not found"],
    );
}

#[test]
fn a_signal_is_named() {
    run(NAME, ["--", "/bin/sh", "-c", "echo dying; kill -SEGV $$"]).expect(
        2,
        "CRITICAL: sh -c echo dying; kill -SEGV $$ was killed by SIGSEGV: dying",
    );
    run(NAME, ["--command", "kill -KILL $$"])
        .expect(2, "CRITICAL: kill -KILL $$ was killed by SIGKILL");
}

#[test]
fn what_cannot_start_is_unknown() {
    let dir = temp_dir("command-cannot-start");
    let plain = dir.join("not-executable");
    std::fs::write(&plain, "#!/bin/sh\nexit 0\n").expect("file");
    let plain = plain.to_str().expect("utf-8");
    run(NAME, ["--", plain]).expect(3, "UNKNOWN: cannot run not-executable: permission denied");
    run(NAME, ["--", "/nonexistent/check", "--password", "x"]).expect(
        3,
        "UNKNOWN: cannot run check --password ***: no such file or directory",
    );
    run(NAME, ["--shell", "/nonexistent/sh", "--command", "true"]).expect(
        3,
        "UNKNOWN: cannot run the shell /nonexistent/sh: no such file or directory",
    );
}

#[test]
fn bad_usage_is_unknown() {
    run(NAME, Vec::<&str>::new()).expect(
        3,
        "UNKNOWN: give --command 'COMMAND LINE' or -- PROGRAM [ARGUMENTS...]",
    );
    run(NAME, ["--command", "true", "--", "true"]).expect(
        3,
        "UNKNOWN: give either --command or a program after --, not both",
    );
    run(NAME, ["--command", " \t "]).expect(3, "UNKNOWN: --command is empty");
    run(NAME, ["--command", "true", "--shell", ""]).expect(3, "UNKNOWN: --shell needs a path");
    run(NAME, ["--", ""]).expect(3, "UNKNOWN: the program needs a path");
    run(NAME, ["--command"]).expect(
        3,
        "UNKNOWN: No value provided for option '--command' (see --help)",
    );
}

#[test]
fn stdin_is_dev_null_and_both_streams_share_one_pipe() {
    // Our own stdin stays open: a command reading it would hang if it got it.
    let child = crate::util::runner::command(&bin(NAME))
        .args([
            "--timeout",
            "20",
            "--command",
            "cat; readlink /proc/self/fd/0",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let out = child.wait_with_output().expect("ends");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "OK: cat; readlink /proc/self/fd/0 exited 0: /dev/null\n"
    );
    run(
        NAME,
        [
            "--command",
            "[ $(stat -L -c %i /proc/$$/fd/1) = $(stat -L -c %i /proc/$$/fd/2) ] && echo one pipe",
        ],
    )
    .expect_parts(0, "OK: ", &["exited 0: one pipe"]);
}

#[test]
fn endless_output_neither_blocks_the_command_nor_grows_memory() {
    // 64 MiB through the pipe, then a last line: read as it comes, kept bounded.
    let measured = run_measured(
        NAME,
        [
            "--command",
            "head -c 67108864 /dev/zero; echo; echo the end",
        ],
    );
    measured.peak_within(8 * 1024).expect(
        0,
        "OK: head -c 67108864 /dev/zero; echo; echo the end exited 0: the end",
    );
}

#[test]
fn output_is_cleaned_and_cut() {
    run(
        NAME,
        ["--command", r"printf 'a\033[31mb\377\tc\r\n'; exit 4"],
    )
    .expect(
        2,
        "CRITICAL: printf a\\033[31mb\\377\\tc\\r\\n; exit 4 exited 4: a [31mb\u{FFFD} c",
    );
    let out = run(NAME, ["--command", "printf '%0500d' 0; exit 1"]);
    let line = out.line(2);
    let last = line.rsplit_once(": ").expect("a last line").1;
    assert_eq!(last.chars().count(), 300, "{line}");
    assert!(last.ends_with('…'), "{line}");
}

#[test]
fn secrets_in_the_command_never_show() {
    let out = run(
        NAME,
        [
            "--command",
            r#"echo "connecting with s3cr3t-pw"; exit 1 # --user=u --password="s3cr3t-pw" --token tok3n-value"#,
        ],
    );
    let line = out.line(2);
    assert!(
        !line.contains("s3cr3t") && !line.contains("tok3n"),
        "{line}"
    );
    assert!(
        line.contains("--password=***") && line.contains("--token ***"),
        "{line}"
    );
    assert!(line.ends_with("exited 1: connecting with ***"), "{line}");
    let out = run(
        NAME,
        [
            "--",
            "/bin/echo",
            "--db-passwd",
            "hunter22",
            "https://u:pw1234@h/",
        ],
    );
    out.expect(
        0,
        "OK: echo --db-passwd *** https://***@h/ exited 0: --db-passwd *** https://***@h/",
    );
}

#[test]
fn quiet_and_perfdata() {
    run(NAME, ["--quiet", "--command", "echo hi"]).expect_silent(0);
    let out = run(NAME, ["--perfdata", "--timeout", "5", "--", "true"]);
    let line = out.line(0);
    assert!(line.starts_with("OK: true exited 0 | time="), "{line}");
    assert!(line.ends_with("s;;;0;5.000000"), "{line}");
}

#[test]
fn the_deadline_stops_the_whole_group() {
    let dir = temp_dir("command-deadline");
    let file = dir.join("pid");
    let command = format!("echo started; {}", grandchild_command(&file));
    let out = run(NAME, ["--timeout", "2", "--command", &command]);
    out.expect_parts(
        2,
        "CRITICAL: echo started; sh -c sleep 300 & echo $! > ",
        &[" timed out after 2 s: started"],
    );
    assert!(out.elapsed < Duration::from_secs(10), "{out}");
    let pid = grandchild(&file);
    assert!(!alive(pid), "the grandchild {pid} outlived the deadline");
}

#[test]
fn a_command_deaf_to_sigterm_is_killed_within_the_timeout() {
    let out = run(
        NAME,
        [
            "--timeout",
            "4",
            "--command",
            "trap '' TERM; echo deaf; while :; do sleep 1; done",
        ],
    );
    out.expect_parts(2, "CRITICAL: ", &["timed out after 4 s"]);
    // SIGTERM at 3 s (the timeout less a grace of 1 s), SIGKILL at 3.5 s, our
    // own timer at 4 s: --timeout bounds the whole run, the grace included.
    assert!(out.elapsed < Duration::from_millis(4600), "{out}");
}

#[test]
fn the_grace_is_taken_from_the_timeout() {
    // A command that needs its SIGTERM to say goodbye gets it before the
    // deadline (at 0.8 s of 1 s), and its goodbye is the line's last line.
    let out = run(
        NAME,
        [
            "--timeout",
            "1",
            "--command",
            "trap 'echo stopping; exit 3' TERM; echo started; while :; do sleep 0.05; done",
        ],
    );
    out.expect_parts(2, "CRITICAL: ", &["timed out after 1 s: stopping"]);
}

#[test]
fn what_the_command_leaves_behind_ends_with_it() {
    let dir = temp_dir("command-leftover");
    let file = dir.join("pid");
    let command = format!(
        "sleep 300 & echo $! > {0}.tmp; mv {0}.tmp {0}; echo bye",
        file.display()
    );
    run(NAME, ["--command", &command]).expect_parts(0, "OK: ", &["exited 0: bye"]);
    let pid = grandchild(&file);
    assert!(
        eventually(Duration::from_secs(5), || !alive(pid)),
        "the background sleep {pid} outlived check-command"
    );
}

/// A command that starts a new session (`setsid`) whose shell starts a
/// grandchild, and exits when `then` says; the grandchild's pid is written to
/// `file`, the session shell's to `file`.sh.
fn session_command(file: &Path, then: &str) -> String {
    format!(
        "setsid sh -c 'echo $$ > {0}.sh; sleep 300 & echo $! > {0}.tmp; mv {0}.tmp {0}; wait' & \
         while [ ! -e {0} ]; do sleep 0.01; done; {then}",
        file.display()
    )
}

/// Whether the subreaper cannot be tested here: under qemu-user 7.2 the
/// orphans went to init, not to the guard (PR_SET_CHILD_SUBREAPER is not
/// passed on); native runs test it.
fn no_subreaper() -> bool {
    crate::util::runner::emulated(&bin(NAME), "the guard as a child subreaper")
}

/// The pid written to `file` (which exists).
fn pid_in(file: &Path) -> u32 {
    let pid = std::fs::read_to_string(file).expect("pid file");
    pid.trim().parse().expect("a pid")
}

#[test]
fn a_new_session_ends_with_the_command() {
    if no_subreaper() {
        return;
    }
    let dir = temp_dir("command-setsid");
    let file = dir.join("pid");
    run(NAME, ["--command", &session_command(&file, "echo bye")]).expect_parts(
        0,
        "OK: ",
        &["exited 0: bye"],
    );
    // Killed and reaped before check-command exits: no wait needed.
    for pid in [pid_in(&file), pid_in(&dir.join("pid.sh"))] {
        assert!(
            !alive(pid),
            "{pid} of the new session outlived check-command"
        );
    }
}

#[test]
fn a_new_session_ends_when_check_command_is_killed() {
    if no_subreaper() {
        return;
    }
    let dir = temp_dir("command-setsid-killed");
    let file = dir.join("pid");
    let mut child = spawn(&[
        "--timeout",
        "60",
        "--command",
        &session_command(&file, "exec sleep 302"),
    ]);
    let pid = grandchild(&file);
    let shell = pid_in(&dir.join("pid.sh"));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    assert!(!child.wait().expect("check-command ends").success());
    assert!(
        eventually(Duration::from_secs(5), || !alive(pid) && !alive(shell)),
        "the new session outlived check-command: {pid} alive={}, {shell} alive={}",
        alive(pid),
        alive(shell)
    );
}

fn killed_check_leaves_nothing(signal: &str) {
    let dir = temp_dir("command-killed");
    let file = dir.join("pid");
    let mut child = spawn(&["--timeout", "60", "--command", &grandchild_command(&file)]);
    let pid = grandchild(&file);
    let group = group_of(pid).expect("the grandchild runs");
    assert_ne!(
        Some(group),
        group_of(std::process::id()),
        "the command has its own group"
    );
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let status = child.wait().expect("check-command ends");
    assert!(!status.success(), "{status:?}");
    nothing_remains(pid, group);
}

#[test]
fn sigterm_of_check_command_leaves_no_process_behind() {
    killed_check_leaves_nothing("-TERM");
}

#[test]
fn sigkill_of_check_command_leaves_no_process_behind() {
    killed_check_leaves_nothing("-KILL");
}

// check-parameter: the cookbook's check_parameter recipe, run as a binary.

#[test]
fn check_parameter_compares_the_baked_value() {
    const PARAMETER: &str = "check-parameter";
    run(
        PARAMETER,
        [
            "--name",
            "software-release-url",
            "--value",
            "https://lab/a.cfg",
            "--expected",
            "https://lab/b.cfg",
        ],
    )
    .expect(
        2,
        "CRITICAL: software-release-url is 'https://lab/a.cfg', expected 'https://lab/b.cfg'",
    );
    run(
        PARAMETER,
        ["--value", "not-ready", "--not-expected", "not-ready"],
    )
    .expect(2, "CRITICAL: value is 'not-ready', expected anything else");
    run(
        PARAMETER,
        [
            "--value=https://b/",
            "--not-expected=not-ready",
            "--expected=https://b/",
        ],
    )
    .expect(0, "OK: value is 'https://b/': as expected, not 'not-ready'");
    run(
        PARAMETER,
        ["--value", "2001:db8::1", "--type", "ipv6", "--quiet"],
    )
    .expect_silent(0);
    run(PARAMETER, ["--value", "10.0.0.1\n", "--type", "ipv4"])
        .expect(2, "CRITICAL: value is '10.0.0.1', expected an IPv4 address");
    run(PARAMETER, ["--value", "x"]).expect(
        3,
        "UNKNOWN: nothing to check: give --type, --expected or --not-expected",
    );
    run(PARAMETER, ["--value", "x", "--type", "url"]).expect(
        3,
        "UNKNOWN: Error parsing option '--type' with value 'url': expected ipv4 or ipv6, got 'url' (see --help)",
    );
}

/// `check_command_execute` and `check_parameter` parts the way instance
/// profiles write them (a monitor-style base, files named after sections,
/// the parameter script run by a command promise), converted, then each
/// wrapper run as slapgrid runs it: the native forms and the shell commands
/// pass and fail as the plugin's did.
#[test]
fn converted_command_and_parameter_parts_pass_and_fail() {
    // check-command runs the converted wrappers itself: under user-mode
    // emulation it cannot exec a binary of another architecture (no binfmt).
    if crate::util::runner::emulated(&bin(NAME), "check-command exec-ing a wrapper") {
        return;
    }
    let dir = temp_dir("convert-commands");
    let d = dir.display().to_string();
    for folder in ["scripts", "var/run", "etc/plugin"] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
    }
    let script = |name: &str, body: &str| {
        let path = dir.join("scripts").join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, PermissionsExt::from_mode(0o755)).unwrap();
    };
    // psql -c '\q' passes only if the shell kept the backslash.
    script("psql", r#"[ "$1 $2" = '-c \q' ] && echo connected"#);
    script("check-db", "echo starting; echo \"refused: $*\"; exit 1");
    let _socket = listen::unix(&dir.join("var/run/clamd.sock"));
    let listener = listen::tcp4();
    let port = listener.local_addr().unwrap().port();
    let closed = listen::closed_port();
    let cfg = format!(
        "[buildout]
directory = {d}

[directory]
scripts = {d}/scripts
run = {d}/var/run

[monitor-promise-base]
recipe = slapos.cookbook:promise.plugin
eggs = slapos.toolbox
module = slapos.promise.plugin.${{:promise}}
output = {d}/etc/plugin/${{:name}}

[check-software-url]
recipe = slapos.cookbook:check_parameter
value = https://lab.example/new.cfg
expected-not-value =
expected-value = https://lab.example/new.cfg
path = ${{directory:scripts}}/${{:_buildout_section_name_}}

[check-runner-url]
recipe = slapos.cookbook:check_parameter
value = not-ready
expected-not-value = not-ready
path = ${{directory:scripts}}/${{:_buildout_section_name_}}
expected-value =

[promise-software-url]
<= monitor-promise-base
promise = check_command_execute
name = ${{:_buildout_section_name_}}.py
config-command = ${{check-software-url:path}}

[promise-runner-url]
<= monitor-promise-base
promise = check_command_execute
name = ${{:_buildout_section_name_}}.py
config-command = ${{check-runner-url:path}}

[clamd-socket]
<= monitor-promise-base
promise = check_command_execute
name = check_clamd_socket.py
config-command = test -S ${{directory:run}}/clamd.sock

[gone-socket]
<= monitor-promise-base
promise = check_command_execute
name = ${{:_buildout_section_name_}}.py
config-command = test -S ${{directory:run}}/gone.sock

[db-port]
<= monitor-promise-base
promise = check_command_execute
name = ${{:_buildout_section_name_}}.py
config-command = \"${{directory:scripts}}/is-local-tcp-port-opened\" \"127.0.0.1\" \"{port}\"

[closed-port]
<= monitor-promise-base
promise = check_command_execute
name = ${{:_buildout_section_name_}}.py
config-command = is-local-tcp-port-opened 127.0.0.1 {closed}

[promise-postgresql]
<= monitor-promise-base
promise = check_command_execute
name = promise-postgresql.py
config-command =
    ${{directory:scripts}}/psql -c '\\q'
config-frequency = 5

[promise-db]
<= monitor-promise-base
promise = check_command_execute
name = ${{:_buildout_section_name_}}.py
config-command = ${{directory:scripts}}/check-db --port 2099 --password=hunter2
"
    );
    let (out, promise_dir) = generator::convert(&dir, &cfg);
    assert_eq!(out.code, Some(0), "{out}");
    for (section, promise) in [
        ("check-software-url", "check-parameter"),
        ("check-runner-url", "check-parameter"),
        ("promise-software-url", "check-command"),
        ("clamd-socket", "check-file-exists"),
        ("db-port", "check-port-listening"),
        ("promise-postgresql", "check-command"),
    ] {
        assert!(
            out.stdout.contains(&format!("([{section}] {promise}, ")),
            "{section}: {out}"
        );
    }
    assert!(out.stdout.contains("ignored: config-frequency"), "{out}");
    let wrapper = |path: std::path::PathBuf| {
        let name = path.display().to_string();
        run_program(&path, &name, std::iter::empty::<&str>(), Some(&dir))
    };
    let plugin = |name: &str| wrapper(promise_dir.join(name));
    wrapper(dir.join("scripts/check-software-url")).expect(
        0,
        "OK: check-software-url is 'https://lab.example/new.cfg': as expected",
    );
    wrapper(dir.join("scripts/check-runner-url")).expect(
        2,
        "CRITICAL: check-runner-url is 'not-ready', expected anything else",
    );
    plugin("promise-software-url").expect_parts(0, "OK: check-software-url exited 0: OK: ", &[]);
    plugin("promise-runner-url").expect(
        2,
        "CRITICAL: check-runner-url exited 2: CRITICAL: check-runner-url is 'not-ready', expected anything else",
    );
    plugin("check_clamd_socket").expect_parts(0, "OK: ", &["clamd.sock", "socket"]);
    plugin("gone-socket").expect_parts(2, "CRITICAL: ", &["gone.sock does not exist"]);
    plugin("db-port").expect_parts(0, "OK: ", &[&port.to_string()]);
    plugin("closed-port").expect_parts(2, "CRITICAL: ", &[&closed.to_string()]);
    plugin("promise-postgresql").expect(0, "OK: psql -c \\q exited 0: connected");
    plugin("promise-db").expect(
        2,
        "CRITICAL: check-db --port 2099 --password=*** exited 1: refused: --port 2099 --password=***",
    );
    drop(listener);
}
