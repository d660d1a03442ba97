//! check-file-exists against real files, folders, sockets, FIFOs and links.

use std::ffi::OsString;
use std::fs::{self, File};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::symlink;
use std::time::{Duration, SystemTime};

use crate::util::{listen, run, run_in, temp_dir};

const BIN: &str = "check-file-exists";

fn s(path: &std::path::Path) -> String {
    path.display().to_string()
}

/// A named pipe at `path`, with nobody at either end.
fn mkfifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success());
}

#[test]
fn existing_file_and_folder_are_ok() {
    let dir = temp_dir("exists");
    let file = dir.join("f");
    fs::write(&file, "hello").unwrap();
    run(BIN, ["--path", &s(&file)]).expect(0, &format!("OK: {} exists (file, 5 bytes)", s(&file)));
    run(BIN, ["--path", &s(&dir), "--type", "dir"])
        .expect(0, &format!("OK: {} exists (folder, has entries)", s(&dir)));
    run(BIN, ["--path", &s(&file), "--type=file", "--quiet"]).expect_silent(0);
}

#[test]
fn missing_path_is_critical_and_says_what_was_expected() {
    let dir = temp_dir("missing");
    let missing = s(&dir.join("nope"));
    run(BIN, ["--path", &missing]).expect(
        2,
        &format!("CRITICAL: {missing} does not exist, expected it to exist"),
    );
    run(BIN, ["--path", &missing, "--type", "socket"]).expect(
        2,
        &format!("CRITICAL: {missing} does not exist, expected a socket"),
    );
    run(BIN, ["--path", &missing, "--state", "empty"]).expect(
        2,
        &format!("CRITICAL: {missing} does not exist, expected it to exist and be empty"),
    );
    run(
        BIN,
        ["--path", &missing, "--state", "not-empty", "--type", "file"],
    )
    .expect(
        2,
        &format!("CRITICAL: {missing} does not exist, expected a non-empty file"),
    );
}

#[test]
fn types_socket_fifo_symlink_and_mismatch() {
    let dir = temp_dir("types");
    let sock = dir.join("s.sock");
    let _listener = listen::unix(&sock);
    run(BIN, ["--path", &s(&sock), "--type", "socket"])
        .expect(0, &format!("OK: {} exists (socket, 0 bytes)", s(&sock)));
    run(BIN, ["--path", &s(&sock), "--type", "file"]).expect(
        2,
        &format!("CRITICAL: {} is a socket, expected a file", s(&sock)),
    );
    let fifo = dir.join("pipe");
    mkfifo(&fifo);
    // A FIFO without a writer: opening it would block; we only stat it.
    run(
        BIN,
        ["--path", &s(&fifo), "--type", "fifo", "--timeout", "2"],
    )
    .expect(0, &format!("OK: {} exists (FIFO, 0 bytes)", s(&fifo)));
    run(BIN, ["--path", &s(&fifo), "--type", "socket"]).expect(
        2,
        &format!("CRITICAL: {} is a FIFO, expected a socket", s(&fifo)),
    );
    run(BIN, ["--path", &s(&dir), "--type", "file"]).expect(
        2,
        &format!("CRITICAL: {} is a folder, expected a file", s(&dir)),
    );
}

#[test]
fn links_are_followed_except_for_symlink_type() {
    let dir = temp_dir("links");
    let target = dir.join("target");
    fs::write(&target, "abc").unwrap();
    let link = dir.join("link");
    symlink(&target, &link).unwrap();
    let dangling = dir.join("dangling");
    symlink(dir.join("gone"), &dangling).unwrap();
    run(BIN, ["--path", &s(&link), "--type", "file"])
        .expect(0, &format!("OK: {} exists (file, 3 bytes)", s(&link)));
    run(BIN, ["--path", &s(&link), "--type", "symlink"]).expect_parts(
        0,
        &format!("OK: {} exists (symlink, ", s(&link)),
        &[],
    );
    run(BIN, ["--path", &s(&dangling), "--type", "symlink"]).expect_parts(
        0,
        &format!("OK: {} exists (symlink", s(&dangling)),
        &[],
    );
    run(BIN, ["--path", &s(&dangling)]).expect(
        2,
        &format!(
            "CRITICAL: {} does not exist, expected it to exist",
            s(&dangling)
        ),
    );
    run(BIN, ["--path", &s(&target), "--type", "symlink"]).expect(
        2,
        &format!("CRITICAL: {} is a file, expected a symlink", s(&target)),
    );
}

#[test]
fn absent_state() {
    let dir = temp_dir("absent");
    let file = dir.join("lock");
    let shown = s(&file);
    run(BIN, ["--path", &shown, "--state", "absent"])
        .expect(0, &format!("OK: {shown} is absent, as expected"));
    File::create(&file).unwrap();
    run(BIN, ["--path", &shown, "--state", "absent"]).expect(
        2,
        &format!("CRITICAL: {shown} exists (file), expected it to be absent"),
    );
    run(
        BIN,
        ["--path", &shown, "--state", "absent", "--type", "file"],
    )
    .expect(
        3,
        "UNKNOWN: --state absent takes neither --type nor --max-age",
    );
}

/// slapgrid's `.slapgrid-<partition>-error.log`: removed before each run,
/// written on failure; the deployment-state plugin passes when it is absent or empty.
#[test]
fn absent_or_empty_state() {
    let dir = temp_dir("absent-or-empty");
    let log = dir.join(".slapgrid-slappart3-error.log");
    let shown = s(&log);
    let args = ["--path", &shown, "--state", "absent-or-empty"];
    run(BIN, args).expect(0, &format!("OK: {shown} is absent, as expected"));
    File::create(&log).unwrap();
    run(BIN, args).expect(0, &format!("OK: {shown} is empty (file, 0 bytes)"));
    fs::write(&log, "Slapgrid failed to process partition XXXXXXX").unwrap();
    run(BIN, [&args[..], &["--hint", "buildout failed to process slappart3"]].concat()).expect(
        2,
        &format!(
            "CRITICAL: {shown} is not empty (44 bytes), expected it to be absent or empty, buildout failed to process slappart3"
        ),
    );
}

#[test]
fn empty_and_not_empty_for_files_and_folders() {
    let dir = temp_dir("empty");
    let file = dir.join("errors.log");
    let shown = s(&file);
    File::create(&file).unwrap();
    run(BIN, ["--path", &shown, "--state", "empty"]).expect(
        0,
        &format!("OK: {shown} exists and is empty (file, 0 bytes)"),
    );
    run(BIN, ["--path", &shown, "--state", "not-empty"]).expect(
        2,
        &format!("CRITICAL: {shown} is empty, expected it not to be"),
    );
    fs::write(&file, "boom\n").unwrap();
    run(BIN, ["--path", &shown, "--state", "empty"]).expect(
        2,
        &format!("CRITICAL: {shown} is not empty (5 bytes), expected it to be empty"),
    );
    run(BIN, ["--path", &shown, "--state", "not-empty"]).expect(
        0,
        &format!("OK: {shown} exists and is not empty (file, 5 bytes)"),
    );
    let sub = dir.join("queue");
    fs::create_dir(&sub).unwrap();
    run(
        BIN,
        ["--path", &s(&sub), "--state", "empty", "--type", "dir"],
    )
    .expect(
        0,
        &format!("OK: {} exists and is empty (folder, no entries)", s(&sub)),
    );
    File::create(sub.join("job")).unwrap();
    run(BIN, ["--path", &s(&sub), "--state", "empty"]).expect(
        2,
        &format!(
            "CRITICAL: {} is not empty (has entries), expected it to be empty",
            s(&sub)
        ),
    );
}

/// A FIFO's size is what is in transit, a socket's nothing, a device's 0
/// whatever it holds: none is empty or not empty, and saying so beats a
/// verdict from st_size (the plugin read them: blocked on a FIFO, failed on
/// a socket).
#[test]
fn emptiness_is_refused_for_fifos_sockets_and_devices() {
    let dir = temp_dir("no-emptiness");
    let fifo = dir.join("pipe");
    mkfifo(&fifo);
    let sock = dir.join("s.sock");
    let _listener = listen::unix(&sock);
    run(BIN, ["--path", &s(&fifo), "--state", "empty"]).expect(
        2,
        &format!(
            "CRITICAL: {} is a FIFO, expected an empty file or folder",
            s(&fifo)
        ),
    );
    run(BIN, ["--path", &s(&sock), "--state", "not-empty"]).expect(
        2,
        &format!(
            "CRITICAL: {} is a socket, expected a non-empty file or folder",
            s(&sock)
        ),
    );
    run(BIN, ["--path", "/dev/null", "--state", "absent-or-empty"]).expect(
        2,
        "CRITICAL: /dev/null is a device, expected it to be absent, an empty file or an empty folder",
    );
    run(
        BIN,
        ["--path", &s(&fifo), "--state", "empty", "--type", "fifo"],
    )
    .expect(
        3,
        "UNKNOWN: --state empty applies to files and folders, not to --type fifo",
    );
}

/// procfs makes a file's content as it is read and reports 0 bytes: a file
/// whose size reads 0 is read before it is called empty.
#[test]
fn pseudo_files_of_size_0_are_judged_by_reading() {
    let path = "/proc/self/status";
    if fs::metadata(path).map(|m| m.len()).ok() != Some(0) {
        crate::util::skip(format!("no procfs reporting 0 bytes for {path} here"));
        return;
    }
    run(BIN, ["--path", path, "--state", "empty"]).expect(
        2,
        &format!(
            "CRITICAL: {path} is not empty (has content, though its size reads 0 bytes), expected it to be empty"
        ),
    );
    run(
        BIN,
        ["--path", path, "--state", "not-empty", "--type", "file"],
    )
    .expect(
        0,
        &format!(
            "OK: {path} exists and is not empty (file, has content, though its size reads 0 bytes)"
        ),
    );
    // Asked only whether it exists, the file is not read.
    run(BIN, ["--path", path]).expect(0, &format!("OK: {path} exists (file, 0 bytes)"));
}

#[test]
fn hint_is_appended_to_failures_only() {
    let dir = temp_dir("hint");
    let file = dir.join("errors.log");
    fs::write(&file, "x").unwrap();
    let shown = s(&file);
    let hint = "content available at https://[::1]:8443/log";
    run(BIN, ["--path", &shown, "--state", "empty", "--hint", hint]).expect(
        2,
        &format!("CRITICAL: {shown} is not empty (1 byte), expected it to be empty, {hint}"),
    );
    run(BIN, ["--path", &shown, "--hint", hint])
        .expect(0, &format!("OK: {shown} exists (file, 1 byte)"));
}

#[test]
fn max_age_judges_the_modification_time() {
    let dir = temp_dir("age");
    let file = dir.join("backup.done");
    let handle = File::create(&file).unwrap();
    handle
        .set_modified(SystemTime::now() - Duration::from_secs(2 * 3600 + 300))
        .unwrap();
    let shown = s(&file);
    run(BIN, ["--path", &shown, "--max-age", "3600"]).expect(
        2,
        &format!("CRITICAL: {shown} was modified 2 h 5 min ago, expected at most 1 h 0 min ago"),
    );
    run(BIN, ["--path", &shown, "--max-age", "90000"]).expect(
        0,
        &format!("OK: {shown} exists (file, 0 bytes, modified 2 h 5 min ago)"),
    );
    handle.set_modified(SystemTime::now()).unwrap();
    run(BIN, ["--path", &shown, "--max-age", "60"]).expect_parts(
        0,
        &format!("OK: {shown} exists (file, 0 bytes, modified "),
        &[],
    );
}

/// A date ahead of the clock says nothing of freshness: it is named, and
/// fails --max-age.
#[test]
fn a_modification_in_the_future_fails_max_age() {
    let dir = temp_dir("future");
    let file = dir.join("backup.done");
    let year_2100 = SystemTime::UNIX_EPOCH + Duration::from_secs(4_102_444_800);
    File::create(&file)
        .unwrap()
        .set_modified(year_2100)
        .unwrap();
    let shown = s(&file);
    run(BIN, ["--path", &shown, "--max-age", "10"]).expect(
        2,
        &format!(
            "CRITICAL: {shown} was modified in the future (2100-01-01 00:00 UTC), expected at most 10 s ago"
        ),
    );
    run(BIN, ["--path", &shown]).expect(0, &format!("OK: {shown} exists (file, 0 bytes)"));
}

#[test]
fn relative_paths_start_from_the_working_folder() {
    let dir = temp_dir("relative");
    fs::write(dir.join("here"), "").unwrap();
    run_in(BIN, ["--path", "here"], Some(&dir)).expect(0, "OK: here exists (file, 0 bytes)");
    run_in(BIN, ["--path", "there"], Some(&dir))
        .expect(2, "CRITICAL: there does not exist, expected it to exist");
}

#[test]
fn non_utf8_paths_work_and_show_lossily() {
    let dir = temp_dir("non-utf8");
    let mut raw = dir.clone().into_os_string().into_vec();
    raw.extend_from_slice(b"/caf\xe9");
    let path = OsString::from_vec(raw);
    fs::write(&path, "").unwrap();
    let shown = format!("{}/caf\u{FFFD}", s(&dir));
    run(BIN, [OsString::from("--path"), path.clone()])
        .expect(0, &format!("OK: {shown} exists (file, 0 bytes)"));
    fs::remove_file(&path).unwrap();
    run(BIN, [OsString::from("--path"), path]).expect(
        2,
        &format!("CRITICAL: {shown} does not exist, expected it to exist"),
    );
}

#[test]
fn usage_errors_are_unknown_with_one_line() {
    // One case per source: the option parsers and plan(). Every usage line is
    // asserted next to plan(), in src/lib.rs.
    run(BIN, ["--path", "x", "--state", "full"]).expect(
        3,
        "UNKNOWN: Error parsing option '--state' with value 'full': expected exists, absent, empty, not-empty or absent-or-empty, got 'full' (see --help)",
    );
    run(BIN, ["--path", ""]).expect(3, "UNKNOWN: --path needs a path");
}

#[test]
fn perfdata_gives_age_and_size() {
    let dir = temp_dir("perfdata");
    let file = dir.join("backup.done");
    let handle = File::create(&file).unwrap();
    fs::write(&file, "12345").unwrap();
    handle
        .set_modified(SystemTime::now() - Duration::from_secs(600))
        .unwrap();
    let shown = s(&file);
    run(BIN, ["--path", &shown, "--max-age", "3600", "--perfdata"]).expect(
        0,
        &format!("OK: {shown} exists (file, 5 bytes, modified 10 min 0 s ago) | age=600s;;3600;0 size=5B;;;0"),
    );
    run(BIN, ["--path", &s(&dir), "--perfdata"]).expect_parts(
        0,
        &format!("OK: {} exists (folder, has entries) | age=", s(&dir)),
        &[],
    );
}
