//! Reading a file whose size we do not control, with a cap.
//!
//! Every file an option or a wrapper names may be `/dev/zero`, a FIFO or a log
//! that never stops growing: a read takes at most a cap of bytes, and one byte
//! more tells that the file was larger. The caller words the error, since only
//! it knows which option named the file.

use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Why a capped read gave nothing.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io(io::Error),
    /// The file holds more than the cap (in bytes).
    Larger(u64),
    /// [`read_regular_capped`] was given a FIFO, a device or a folder.
    NotRegular,
}

impl ReadError {
    /// What went wrong, for a line that already names the file: the OS
    /// error, or `larger than ` and `cap` as the caller words it.
    #[must_use]
    pub fn describe(&self, cap: &str) -> String {
        match self {
            ReadError::Io(error) => crate::report::describe_io(error),
            ReadError::Larger(_) => format!("larger than {cap}"),
            ReadError::NotRegular => "not a regular file".to_owned(),
        }
    }
}

/// The first `most` bytes of the file (all of it when shorter).
///
/// # Errors
/// The OS error of the open or the read.
pub fn read_prefix(path: &Path, most: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(most)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The whole file, when it holds at most `cap` bytes.
///
/// # Errors
/// [`ReadError::Larger`] beyond the cap, [`ReadError::Io`] when it cannot be read.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let bytes = read_prefix(path, cap + 1).map_err(ReadError::Io)?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::Larger(cap));
    }
    Ok(bytes)
}

/// Like [`read_capped`], for a regular file only: it is opened without
/// blocking, so a FIFO or a device is refused instead of waited for.
///
/// # Errors
/// [`ReadError::NotRegular`] for anything but a regular file, else as [`read_capped`].
pub fn read_regular_capped(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(ReadError::Io)?;
    if !file.metadata().map_err(ReadError::Io)?.is_file() {
        return Err(ReadError::NotRegular);
    }
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::Larger(cap));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_never_ends_is_cut_at_the_cap() {
        let error = read_capped(Path::new("/dev/zero"), 4 << 20).unwrap_err();
        assert!(matches!(error, ReadError::Larger(4_194_304)), "{error:?}");
        assert_eq!(error.describe("4 MiB"), "larger than 4 MiB");
        assert_eq!(read_prefix(Path::new("/dev/zero"), 3).unwrap(), [0, 0, 0]);
    }

    #[test]
    fn a_small_file_is_read_whole_and_errors_are_the_os_s() {
        assert!(read_capped(Path::new("/proc/self/stat"), 1 << 20).is_ok());
        let error = read_capped(Path::new("/nonexistent-native-promises"), 10).unwrap_err();
        assert!(matches!(error, ReadError::Io(_)), "{error:?}");
    }

    #[test]
    fn only_a_regular_file_is_read_by_read_regular_capped() {
        for path in ["/dev/zero", "/proc/self", "/"] {
            let error = read_regular_capped(Path::new(path), 10).unwrap_err();
            assert_eq!(error.describe("10 B"), "not a regular file", "{path}");
        }
        assert!(read_regular_capped(Path::new("/proc/self/stat"), 1 << 20).is_ok());
    }
}
