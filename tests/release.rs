//! The release artefact: every shipped binary answers `--version`, and the
//! tarball `make dist` writes next to `dist/bin` holds the four binaries, the
//! licence and the README with fixed ownership and timestamps, as `SHA256SUMS`
//! says. The tarball checks run when `PROMISE_BIN_DIR` is a `dist/bin`.

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

/// The `dist` folder when `PROMISE_BIN_DIR` is its `bin`, else `None` (said).
fn dist() -> Option<PathBuf> {
    let bin = std::env::var_os("PROMISE_BIN_DIR").map(PathBuf::from);
    let dist = bin
        .as_deref()
        .filter(|b| b.file_name().is_some_and(|n| n == "bin"))
        .and_then(Path::parent)
        .filter(|d| d.file_name().is_some_and(|n| n == "dist"));
    if dist.is_none() {
        eprintln!("SKIP: PROMISE_BIN_DIR is not a dist/bin; the release tarball is not checked");
    }
    dist.map(Path::to_owned)
}

fn release_name() -> String {
    format!("native-promises-{VERSION}-x86_64-linux-musl")
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
    let Some(dist) = dist() else { return };
    let top = release_name();
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
        let built = std::fs::read(dist.join("bin").join(b)).expect("dist/bin binary");
        assert!(
            packed.data == built,
            "{b} in the tarball differs from dist/bin/{b}"
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
        _ => eprintln!("SKIP: no git history here; the mtime is not matched to a commit"),
    }
}

#[test]
fn sha256sums_lists_the_tarball_and_binaries_and_verifies() {
    let Some(dist) = dist() else { return };
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
    let mut expected = vec![format!("{}.tar.gz", release_name())];
    expected.extend(SHIPPED.iter().map(|b| format!("bin/{b}")));
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
