//! Putting a wrapper in place: atomically, and not at all when it is already there.
//!
//! slapgrid may run a promise at any moment, so a wrapper is never seen half
//! written: the content goes to a temporary file in the same folder, which is
//! synced and renamed over the old one. A wrapper whose content and mode are
//! already right is left untouched, mtime included, so running the generator
//! again changes nothing (buildout's own recipes behave the same). Only a
//! wrapper the running user owns is trusted so: in a shared or sticky folder,
//! one with the right content but another owner is replaced (or, where the
//! folder forbids it, the write fails), never left in place.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use shared::Usage;
use shared::report::describe_io;

/// The mode wrappers get unless told otherwise.
pub const DEFAULT_MODE: u32 = 0o700;

/// What installing a wrapper did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The file was written (or would be, in a dry run).
    Written,
    /// The file already held this content with this mode.
    Unchanged,
}

/// Parses `--mode`: octal permission bits that let the owner read and run the
/// wrapper, and do not let everyone rewrite it.
///
/// # Errors
/// A message for argh to print after the option's name.
pub fn parse_mode(value: &str) -> Result<u32, String> {
    let mode = u32::from_str_radix(value, 8)
        .ok()
        .filter(|m| *m <= 0o777 && !value.is_empty() && value.len() <= 4)
        .filter(|_| value.bytes().all(|b| (b'0'..=b'7').contains(&b)))
        .ok_or_else(|| {
            format!("expected octal permission bits such as 700 or 0750, got '{value}'")
        })?;
    if mode & 0o500 != 0o500 {
        return Err(format!(
            "{value} does not let the owner read and run the wrapper"
        ));
    }
    if mode & 0o002 != 0 {
        return Err(format!(
            "{value} lets everyone rewrite the wrapper, and so run anything"
        ));
    }
    Ok(mode)
}

/// Checks, without writing, that `path` can be installed: its folder exists.
///
/// # Errors
/// What stands in the way.
pub fn check_target(path: &Path) -> Result<(), Usage> {
    let folder = folder_of(path);
    match folder.metadata() {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Usage::new(format!(
            "cannot write {}: {} is not a folder",
            path.display(),
            folder.display()
        ))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Usage::new(format!(
            "cannot write {}: folder {} does not exist",
            path.display(),
            folder.display()
        ))),
        Err(e) => Err(Usage::new(format!(
            "cannot write {}: {}: {}",
            path.display(),
            folder.display(),
            describe_io(&e)
        ))),
    }
}

/// Whether `path` already holds `content` with `mode`, owned by the running user.
#[must_use]
pub fn is_current(path: &Path, content: &[u8], mode: u32) -> bool {
    let Ok(metadata) = path.symlink_metadata() else {
        return false;
    };
    if !metadata.is_file()
        || effective_uid() != Some(metadata.uid())
        || metadata.permissions().mode() & 0o7777 != mode
        || metadata.len() != content.len() as u64
    {
        return false;
    }
    let mut existing = Vec::with_capacity(content.len());
    File::open(path)
        .and_then(|f| f.take(content.len() as u64 + 1).read_to_end(&mut existing))
        .is_ok_and(|_| existing == content)
}

/// Writes `content` to `path` with `mode`, atomically, unless it is current.
///
/// # Errors
/// The step that failed; no temporary file is left behind.
pub fn install(path: &Path, content: &[u8], mode: u32) -> Result<Outcome, Usage> {
    check_target(path)?;
    if is_current(path, content, mode) {
        return Ok(Outcome::Unchanged);
    }
    let fail = |what: &str, e: &io::Error| {
        Usage::new(format!(
            "cannot write {}: {what}: {}",
            path.display(),
            describe_io(e)
        ))
    };
    let (temp, mut file) = create_temp(path).map_err(|e| fail("creating a temporary file", &e))?;
    let written = file
        .write_all(content)
        .and_then(|()| file.set_permissions(fs::Permissions::from_mode(mode)))
        .and_then(|()| file.sync_all())
        .map_err(|e| fail("writing", &e))
        .and_then(|()| fs::rename(&temp, path).map_err(|e| fail("renaming into place", &e)));
    if let Err(error) = written {
        let _ = fs::remove_file(&temp);
        return Err(error);
    }
    // The rename is durable once the folder is synced; a failure here loses nothing.
    let _ = File::open(folder_of(path)).and_then(|f| f.sync_all());
    Ok(Outcome::Written)
}

/// The running user, from `/proc/self/status` (std has no `geteuid`, and this
/// crate has no unsafe code). `None` without `/proc`: then no file is trusted.
fn effective_uid() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let ids = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    ids.split_whitespace().nth(1)?.parse().ok()
}

/// A new file next to `path`, invisible to slapgrid (a dot file without the
/// executable bit until it is complete).
fn create_temp(path: &Path) -> io::Result<(PathBuf, File)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempt = 0;
    loop {
        let temp = folder_of(path).join(format!(
            ".{name}.recipe-generator-{}-{attempt}",
            std::process::id()
        ));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
        {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_octal_and_sane() {
        assert_eq!(parse_mode("700"), Ok(0o700));
        assert_eq!(parse_mode("0750"), Ok(0o750));
        assert_eq!(parse_mode("755"), Ok(0o755));
        for bad in [
            "", "8", "0o700", "-700", "1700", "7000", "00700", "777", "600", "300", "abc",
        ] {
            assert!(parse_mode(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn writes_once_then_leaves_alone_and_fixes_a_mode() {
        let dir = crate::test_dir::TestDir::new("rg-install");
        let path = dir.join("w");
        assert_eq!(install(&path, b"one", 0o700), Ok(Outcome::Written));
        assert_eq!(install(&path, b"one", 0o700), Ok(Outcome::Unchanged));
        assert_eq!(install(&path, b"one", 0o750), Ok(Outcome::Written));
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o750
        );
        assert_eq!(install(&path, b"two", 0o750), Ok(Outcome::Written));
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "a temporary file was left"
        );
        assert_eq!(
            effective_uid(),
            Some(fs::metadata(&path).unwrap().uid()),
            "the running user owns what it wrote"
        );
        let error = install(&dir.join("no/w"), b"x", 0o700).unwrap_err();
        assert!(error.0.ends_with("no does not exist"), "{error}");
    }
}
