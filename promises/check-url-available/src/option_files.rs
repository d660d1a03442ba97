//! The files options name for values read at every run, `--password-file` and
//! `--timeout-file` (certificate and key files are [`crate::tls`]'s, read with
//! `shared::pem`). Each is read when the check runs, never when it is planned,
//! so that a wrapper baked once follows the file's changes.

use std::fmt;
use std::time::Duration;

use shared::args::parse_seconds;
use shared::pem::{FileArg, Stage};

use crate::failure::Error;
use crate::request;

/// Where the password comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// `--password`.
    Given(Vec<u8>),
    /// `--password-file`, read at run time.
    File(FileArg),
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Given(_) => f.write_str("Given(..)"),
            Secret::File(file) => f.debug_tuple("File").field(file).finish(),
        }
    }
}

/// The password: given, or the first line of its file.
pub fn password(secret: &Secret, stage: Stage<'_>) -> Result<Vec<u8>, Error> {
    let file = match secret {
        Secret::Given(password) => return Ok(password.clone()),
        Secret::File(file) => file,
    };
    let content = file.read(stage).map_err(Error::Config)?;
    let line = content.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return Err(Error::Config(format!(
            "--password-file {} has an empty first line",
            file.shown
        )));
    }
    request::check_credential(
        &format!("the first line of --password-file {}", file.shown),
        line,
    )
    .map_err(Error::Config)?;
    Ok(line.to_vec())
}

/// `--timeout-file`: a positive number of seconds, or nothing usable.
#[must_use]
pub fn timeout_from_file(file: &FileArg) -> Option<Duration> {
    // Opening a FIFO blocks and a device may never end: regular files only, a few bytes.
    if !std::fs::metadata(&file.path).ok()?.is_file() {
        return None;
    }
    let bytes = shared::file::read_prefix(std::path::Path::new(&file.path), 64).ok()?;
    parse_seconds(std::str::from_utf8(&bytes).ok()?.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_file_holds_seconds_or_is_ignored() {
        let dir = std::env::temp_dir().join(format!("cua-timeout-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let _removed = RemovedOnDrop(dir.clone());
        let path = dir.join("t");
        for (text, expected) in [
            ("2.5\n", Some(Duration::from_millis(2500))),
            (" 7 ", Some(Duration::from_secs(7))),
            ("", None),
            ("soon", None),
            ("-1", None),
        ] {
            std::fs::write(&path, text).unwrap();
            let file = FileArg::new("--timeout-file", &path.display().to_string());
            assert_eq!(timeout_from_file(&file), expected, "{text:?}");
        }
        let missing = FileArg::new("--timeout-file", &dir.join("none").display().to_string());
        assert_eq!(timeout_from_file(&missing), None);
    }

    /// Removes a test's folder however the test ends (a failed assertion unwinds through it).
    struct RemovedOnDrop(std::path::PathBuf);

    impl Drop for RemovedOnDrop {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
