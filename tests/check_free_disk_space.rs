//! check-free-disk-space against filesystems whose figures the test knows: a
//! tmpfs of 4 MiB and 64 inodes mounted here (where the test may mount one),
//! and always the test's own filesystem, measured first with `stat -f`, the
//! threshold set just above and just below the free share found.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{run, run_in, temp_dir};

const BIN: &str = "check-free-disk-space";

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// A tmpfs mounted on a fresh folder, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// 4 MiB and 64 inodes, or `None` (with a SKIP line) where mounting is refused.
    fn mount(test: &str) -> Option<Tmpfs> {
        let dir = temp_dir(test);
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                "size=4m,nr_inodes=64,mode=0755",
                "tmpfs",
            ])
            .arg(&dir)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !mounted {
            crate::util::skip(format_args!(
                "cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN); {test} not run"
            ));
            return None;
        }
        Some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// What `stat -f` says of the filesystem holding `path`: (available bytes,
/// size as users can fill it: used + available).
fn measure(path: &Path) -> (u64, u64) {
    let out = Command::new("stat")
        .args(["-f", "-c", "%a %b %f %S"])
        .arg(path)
        .output()
        .expect("stat runs");
    let text = String::from_utf8(out.stdout).unwrap();
    let n: Vec<u64> = text
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    let (avail, blocks, free, unit) = (n[0], n[1], n[2], n[3]);
    (avail * unit, (blocks - free + avail) * unit)
}

/// A ratio in millionths as `--threshold-ratio` takes it.
fn ratio(ppm: u64) -> String {
    format!("{}.{:06}", ppm / 1_000_000, ppm % 1_000_000)
}

#[test]
fn own_filesystem_just_above_and_just_below_its_free_share() {
    let dir = temp_dir("disk-own");
    let (free, size) = measure(&dir);
    assert!(size > 0, "stat -f found no size");
    let share = u128::from(free) * 1_000_000 / u128::from(size);
    let share = u64::try_from(share).unwrap();
    // Others write on this filesystem while the test runs: a margin of 256 MiB
    // (at least a millionth) either side keeps the verdicts certain.
    let margin = ((256u64 << 20) * 1_000_000).div_ceil(size).max(1);
    let path = s(&dir);
    if share + margin <= 1_000_000 {
        run(
            BIN,
            ["--path", &path, "--threshold-ratio", &ratio(share + margin)],
        )
        .expect_parts(
            2,
            &format!("CRITICAL: {path}: free space low: "),
            &[" free of ", ", below the threshold of "],
        );
    } else {
        crate::util::skip("the filesystem is nearly empty; no ratio above its free share");
    }
    if share >= margin {
        let out = run(
            BIN,
            [
                "--path",
                &path,
                "--threshold-ratio",
                &ratio(share - margin),
                "--perfdata",
            ],
        );
        out.expect_parts(
            0,
            &format!("OK: {path}: "),
            &[" free of ", ", threshold ", " | free="],
        );
        // The figures are the ones stat -f measured, give or take others' writes.
        let perf = out.stdout.split(" | free=").nth(1).unwrap();
        let reported: u64 = perf.split('B').next().unwrap().parse().unwrap();
        assert!(
            reported.abs_diff(free) < 256 << 20,
            "{reported} vs {free}\n{out}"
        );
        assert!(perf.contains(&format!(";0;{size}")), "size {size}\n{out}");
    } else {
        crate::util::skip("the filesystem is nearly full; no ratio below its free share");
    }
}

#[test]
fn tmpfs_free_space_thresholds_exactly() {
    let Some(fs) = Tmpfs::mount("disk-tmpfs") else {
        return;
    };
    let path = s(&fs.0);
    // Empty: 4 MiB free of 4 MiB, 1 inode of 64 (the root folder).
    run(BIN, ["--path", &path, "--perfdata"]).expect(
        0,
        &format!(
            "OK: {path}: 4.0 MiB free of 4.0 MiB (100%), threshold 204.8 KiB (5%); inodes 1.56% used | free=4194304B;;209716:;0;4194304 inodes=1.56%;;98;0;100"
        ),
    );
    std::fs::write(fs.0.join("fill"), vec![0u8; 3 << 20]).unwrap();
    // 1 MiB left: 25 %.
    run(BIN, ["--path", &path, "--threshold-ratio", "0.25"]).expect(
        0,
        &format!(
            "OK: {path}: 1.0 MiB free of 4.0 MiB (25%), threshold 1.0 MiB (25%); inodes 3.12% used"
        ),
    );
    // Just above: one decimal would read 1.0 MiB (25%) on both sides, so the
    // figures that decide are exact.
    run(BIN, ["--path", &path, "--threshold-ratio", "0.250001"]).expect(
        2,
        &format!(
            "CRITICAL: {path}: free space low: 1048576 B free of 4.0 MiB (25%), below the threshold of 1048581 B (25.0001%); inodes 3.12% used"
        ),
    );
    run(BIN, ["--path", &path, "--min-free", "1048577"]).expect(
        2,
        &format!(
            "CRITICAL: {path}: free space low: 1048576 B free of 4.0 MiB (25%), below the threshold of 1048577 B; inodes 3.12% used"
        ),
    );
    // The plugin's test_disk_space_nok: an absolute threshold above what is free.
    run(BIN, ["--path", &path, "--min-free", "1.5M"]).expect(
        2,
        &format!(
            "CRITICAL: {path}: free space low: 1.0 MiB free of 4.0 MiB (25%), below the threshold of 1.5 MiB; inodes 3.12% used"
        ),
    );
    run(BIN, ["--path", &path, "--min-free=1M"]).expect_parts(0, "OK: ", &["threshold 1.0 MiB;"]);
    // An opt-in soft threshold.
    run(BIN, ["--path", &path, "--warning-ratio", "0.3"]).expect(
        1,
        &format!(
            "WARNING: {path}: free space getting low: 1.0 MiB free of 4.0 MiB (25%), below the warning level of 1.2 MiB (30%); inodes 3.12% used"
        ),
    );
    // Full.
    std::fs::write(fs.0.join("fill"), vec![0u8; 4 << 20]).unwrap_or_default();
    run(BIN, ["--path", &path]).expect_parts(
        2,
        &format!("CRITICAL: {path}: free space low: 0 B free of 4.0 MiB (0%)"),
        &[],
    );
}

#[test]
fn tmpfs_inodes_at_98_percent_are_critical() {
    let Some(fs) = Tmpfs::mount("disk-inodes") else {
        return;
    };
    let path = s(&fs.0);
    // 62 of 64 inodes (96.87 %): still fine.
    for i in 0..61 {
        std::fs::write(fs.0.join(format!("f{i}")), b"").unwrap();
    }
    run(BIN, ["--path", &path]).expect_parts(0, "OK: ", &["; inodes 96.87% used"]);
    // 63 of 64 (98.43 %): the plugin's limit.
    std::fs::write(fs.0.join("last"), b"").unwrap();
    run(BIN, ["--path", &path]).expect(
        2,
        &format!(
            "CRITICAL: {path}: 98.43% of inodes used (63 of 64), expected less than 98%; 4.0 MiB free of 4.0 MiB (100%)"
        ),
    );
    run(BIN, ["--path", &path, "--max-inode-ratio", "0.99"]).expect_parts(0, "OK: ", &[]);
}

#[test]
fn paths_relative_unicode_missing_and_hostile() {
    let dir = temp_dir("disk-paths");
    // The working folder by default, shown in full: the partition under slapgrid.
    run_in(BIN, Vec::<&str>::new(), Some(&dir)).expect_parts(0, &format!("OK: {}: ", s(&dir)), &[]);
    std::fs::create_dir(dir.join("srv")).unwrap();
    run_in(BIN, ["--path", "srv"], Some(&dir)).expect_parts(
        0,
        &format!("OK: {}: ", s(&dir.join("srv"))),
        &[],
    );
    // The plugin's unicode path case.
    let unicode = dir.join("slappart-é");
    std::fs::create_dir(&unicode).unwrap();
    run(BIN, ["--path", &s(&unicode)]).expect_parts(0, &format!("OK: {}: ", s(&unicode)), &[]);
    let missing = s(&dir.join("nope"));
    run(BIN, ["--path", &missing]).expect(
        2,
        &format!("CRITICAL: {missing} cannot be checked: no such file or directory"),
    );
    // A name that is not UTF-8 is still checked, shown lossily.
    let raw = dir.join(OsString::from_vec(b"part-\xff".to_vec()));
    std::fs::create_dir(&raw).unwrap();
    run(
        BIN,
        [OsString::from("--path"), raw.clone().into_os_string()],
    )
    .expect_parts(0, "OK: ", &["part-\u{FFFD}: "]);
    let long = "x".repeat(8192);
    run(BIN, ["--path", &long]).expect(
        3,
        "UNKNOWN: --path is 8192 bytes long, longer than any path can be (4095)",
    );
    let hostile = s(&dir.join("a\nb\u{1b}[31m"));
    run(BIN, ["--path", &hostile]).expect_parts(2, "CRITICAL: ", &["a b [31m cannot be checked"]);
}

#[test]
fn bad_usage_is_unknown() {
    for (args, expected) in [
        (
            &["--threshold-ratio", "5%"][..],
            "UNKNOWN: Error parsing option '--threshold-ratio' with value '5%': expected a ratio from 0 to 1 with at most 6 decimals, such as 0.05, got '5%' (see --help)",
        ),
        (
            &["--threshold-ratio", "0.14140625"],
            "UNKNOWN: Error parsing option '--threshold-ratio' with value '0.14140625': expected a ratio from 0 to 1 with at most 6 decimals, such as 0.05, got '0.14140625' (see --help)",
        ),
        (
            &["--threshold-ratio", "1.5"],
            "UNKNOWN: Error parsing option '--threshold-ratio' with value '1.5': expected a ratio from 0 to 1 with at most 6 decimals, such as 0.05, got '1.5' (see --help)",
        ),
        (
            &["--min-free", "5KB"],
            "UNKNOWN: Error parsing option '--min-free' with value '5KB': expected a size such as 500M, 1.5G or 1073741824 (bytes), got '5KB' (see --help)",
        ),
        (
            &["--min-free", "2000000T"],
            "UNKNOWN: Error parsing option '--min-free' with value '2000000T': '2000000T' is larger than 1 EiB (see --help)",
        ),
        (
            &["--warning-ratio", "0.05"],
            "UNKNOWN: --warning-ratio (5%) must be above the critical ratio (5%)",
        ),
        (&["--path", ""], "UNKNOWN: --path needs a path"),
        (
            &["--timeout", "0"],
            "UNKNOWN: Error parsing option '--timeout' with value '0': must be more than 0 seconds, got '0' (see --help)",
        ),
        (
            &["--nope"],
            "UNKNOWN: Unrecognized argument: --nope (see --help)",
        ),
    ] {
        run(BIN, args).expect(3, expected);
    }
}

/// `--help` and `--version` are tests/conventions.rs's, for every promise.
#[test]
fn quiet_success_prints_nothing() {
    run(BIN, ["--quiet"]).expect_silent(0);
}
