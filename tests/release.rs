//! The release artefact: every shipped binary answers `--version`, and the
//! tarball of each architecture `make dist` writes next to `dist/bin` holds the
//! four binaries, the licence and the README with fixed ownership and
//! timestamps, as `SHA256SUMS` says. The tarball checks run when
//! `PROMISE_BIN_DIR` is a `dist/bin/ARCH` (or `dist/bin`, x86_64's pinned paths).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{SHIPPED, run};

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[test]
fn every_shipped_binary_answers_its_version() {
    for name in SHIPPED {
        run(name, ["--version"]).expect(0, &format!("{name} {VERSION}"));
    }
}

/// The architectures `make dist` builds, each in `dist/bin/ARCH`.
const ARCHES: [&str; 2] = ["x86_64", "aarch64"];

/// The release under test: the `dist` folder, the binaries' folder
/// (`PROMISE_BIN_DIR`) and their architecture; `None` (said) when
/// `PROMISE_BIN_DIR` is no `dist/bin/ARCH` nor `dist/bin`.
fn dist() -> Option<(PathBuf, PathBuf, &'static str)> {
    let bin = PathBuf::from(std::env::var_os("PROMISE_BIN_DIR").unwrap_or_default());
    let named = |path: &Path, name: &str| path.file_name().is_some_and(|n| n == name);
    let found = match ARCHES.iter().find(|a| named(&bin, a)) {
        Some(arch) => bin.parent().map(|b| (b, *arch)),
        None => Some((bin.as_path(), "x86_64")),
    }
    .filter(|(b, _)| named(b, "bin"))
    .and_then(|(b, arch)| Some((b.parent()?.to_owned(), arch)))
    .filter(|(d, _)| named(d, "dist"));
    if found.is_none() {
        crate::util::skip("PROMISE_BIN_DIR is not a dist/bin; the release tarball is not checked");
    }
    found.map(|(dist, arch)| (dist, bin, arch))
}

fn release_name(arch: &str) -> String {
    format!("native-promises-{VERSION}-{arch}-linux-musl")
}

/// One member of a tar archive.
struct Entry {
    name: String,
    mode: u64,
    uid: u64,
    gid: u64,
    mtime: u64,
    kind: u8,
    data: Vec<u8>,
}

/// The members of an uncompressed tar archive (short names only, as ours has).
fn entries(tar: &[u8]) -> Vec<Entry> {
    let mut found = Vec::new();
    let mut at = 0;
    while at + 512 <= tar.len() {
        let header = &tar[at..at + 512];
        if header.iter().all(|&b| b == 0) {
            break;
        }
        let text = |from: usize, to: usize| {
            let field = &header[from..to];
            let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
            String::from_utf8(field[..end].to_vec()).expect("ASCII header field")
        };
        let octal = |from: usize, to: usize| {
            u64::from_str_radix(text(from, to).trim(), 8).expect("octal header field")
        };
        let size = usize::try_from(octal(124, 136)).unwrap();
        let kind = header[156];
        assert!(
            kind == b'0' || kind == b'5',
            "unexpected member type {:?} for {}",
            char::from(kind),
            text(0, 100)
        );
        found.push(Entry {
            name: text(0, 100),
            mode: octal(100, 108),
            uid: octal(108, 116),
            gid: octal(116, 124),
            mtime: octal(136, 148),
            kind,
            data: tar[at + 512..at + 512 + size].to_vec(),
        });
        at += 512 + size.div_ceil(512) * 512;
    }
    found
}

#[test]
fn the_tarball_holds_the_binaries_licence_and_readme_with_fixed_metadata() {
    let Some((dist, bin, arch)) = dist() else {
        return;
    };
    let top = release_name(arch);
    let tarball = dist.join(format!("{top}.tar.gz"));
    assert!(tarball.is_file(), "no {} next to bin", tarball.display());
    let tar = Command::new("gzip")
        .arg("-dc")
        .arg(&tarball)
        .output()
        .expect("gzip runs");
    assert!(
        tar.status.success(),
        "gzip -dc {} failed",
        tarball.display()
    );
    let members = entries(&tar.stdout);

    let mut expected = vec![
        format!("{top}/"),
        format!("{top}/LICENSE"),
        format!("{top}/README.md"),
        format!("{top}/bin/"),
    ];
    expected.extend(SHIPPED.iter().map(|b| format!("{top}/bin/{b}")));
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, expected, "members, in this order");

    let mtime = members[0].mtime;
    for m in &members {
        assert_eq!((m.uid, m.gid), (0, 0), "{} is not owned by 0/0", m.name);
        assert_eq!(m.mtime, mtime, "{} has its own mtime", m.name);
        let executable = m.kind == b'5' || m.name.contains("/bin/");
        let mode = if executable { 0o755 } else { 0o644 };
        assert_eq!(m.mode & 0o7777, mode, "mode of {}", m.name);
    }
    for b in SHIPPED {
        let packed = members
            .iter()
            .find(|m| m.name == format!("{top}/bin/{b}"))
            .unwrap();
        let built = std::fs::read(bin.join(b)).expect("dist/bin binary");
        assert!(
            packed.data == built,
            "{b} in {top}.tar.gz differs from {}",
            bin.join(b).display()
        );
    }
    for doc in ["LICENSE", "README.md"] {
        let m = members
            .iter()
            .find(|m| m.name == format!("{top}/{doc}"))
            .unwrap();
        assert!(!m.data.is_empty(), "{doc} is empty");
    }
    // The timestamp is a commit's (SOURCE_DATE_EPOCH), not the time of the build.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match Command::new("git")
        .args(["log", "--format=%ct"])
        .current_dir(root)
        .output()
    {
        Ok(log) if log.status.success() => {
            let times = String::from_utf8_lossy(&log.stdout);
            assert!(
                times.lines().any(|t| t == mtime.to_string()),
                "the members' mtime {mtime} is no commit's time"
            );
        }
        _ => crate::util::skip("no git history here; the mtime is not matched to a commit"),
    }
}

#[test]
fn sha256sums_lists_the_tarball_and_binaries_and_verifies() {
    let Some((dist, _, _)) = dist() else { return };
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).expect("dist/SHA256SUMS");
    let mut names = Vec::new();
    for line in sums.lines() {
        // The format `sha256sum -c` reads: 64 lowercase hex digits, two spaces, the name.
        let (hash, name) = line
            .split_once("  ")
            .unwrap_or_else(|| panic!("not `HASH  NAME`: {line:?}"));
        assert!(
            hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "not a SHA-256: {line:?}"
        );
        names.push(name.to_owned());
    }
    // Every file of dist/: both tarballs, each architecture's binaries and
    // x86_64's again at the paths users pinned before aarch64 (dist/bin/NAME).
    let mut expected: Vec<String> = ARCHES
        .iter()
        .map(|arch| format!("{}.tar.gz", release_name(arch)))
        .chain(SHIPPED.iter().map(|b| format!("bin/{b}")))
        .chain(
            ARCHES
                .iter()
                .flat_map(|arch| SHIPPED.iter().map(move |b| format!("bin/{arch}/{b}"))),
        )
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    let check = Command::new("sha256sum")
        .args(["-c", "--quiet", "SHA256SUMS"])
        .current_dir(&dist)
        .output()
        .expect("sha256sum runs");
    assert!(
        check.status.success(),
        "sha256sum -c SHA256SUMS failed: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn the_pinned_x86_64_paths_hold_the_x86_64_binaries() {
    let Some((dist, _, _)) = dist() else { return };
    for b in SHIPPED {
        let pinned = std::fs::read(dist.join("bin").join(b)).expect("dist/bin/NAME");
        let built = std::fs::read(dist.join("bin/x86_64").join(b)).expect("dist/bin/x86_64/NAME");
        assert!(pinned == built, "dist/bin/{b} is not dist/bin/x86_64/{b}");
    }
}
