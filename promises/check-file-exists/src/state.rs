//! The vocabulary of the check: states, file types, sizes and ages.

use std::fmt;
use std::fs::{self, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

/// The state `--state` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The path exists.
    Exists,
    /// Nothing is at the path.
    Absent,
    /// It exists and is empty.
    Empty,
    /// It exists and is not empty.
    NotEmpty,
    /// Nothing is at the path, or it is empty: a log written only on failure
    /// (slapgrid's `.slapgrid-<partition>-error.log`).
    AbsentOrEmpty,
}

impl State {
    /// How the OK message says the state was found.
    #[must_use]
    pub fn verb(self) -> &'static str {
        match self {
            State::Exists => "exists",
            State::Absent => "is absent",
            State::Empty => "exists and is empty",
            State::NotEmpty => "exists and is not empty",
            State::AbsentOrEmpty => "is empty",
        }
    }
}

impl State {
    /// Whether the state is about emptiness.
    #[must_use]
    pub fn asks_emptiness(self) -> bool {
        matches!(self, State::Empty | State::NotEmpty | State::AbsentOrEmpty)
    }

    /// The word `--state` takes.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            State::Exists => "exists",
            State::Absent => "absent",
            State::Empty => "empty",
            State::NotEmpty => "not-empty",
            State::AbsentOrEmpty => "absent-or-empty",
        }
    }
}

impl FromStr for State {
    type Err = String;

    fn from_str(value: &str) -> Result<State, String> {
        let all = [
            State::Exists,
            State::Absent,
            State::Empty,
            State::NotEmpty,
            State::AbsentOrEmpty,
        ];
        match all.into_iter().find(|state| state.word() == value) {
            Some(state) => Ok(state),
            // This line is the one tests/hostile_input.rs pins.
            None => Err(format!(
                "expected exists, absent, empty, not-empty or absent-or-empty, got '{}'",
                shared::args::display_arg(value)
            )),
        }
    }
}

/// The type `--type` asks for, or the type found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    /// Anything.
    Any,
    /// A regular file.
    File,
    /// A folder.
    Dir,
    /// A Unix socket.
    Socket,
    /// A named pipe.
    Fifo,
    /// A symbolic link (not followed).
    Symlink,
    /// A device, found but never asked for.
    Device,
}

impl FileType {
    /// The type of what was found.
    #[must_use]
    pub fn of(file_type: &fs::FileType) -> FileType {
        if file_type.is_symlink() {
            FileType::Symlink
        } else if file_type.is_dir() {
            FileType::Dir
        } else if file_type.is_file() {
            FileType::File
        } else if file_type.is_socket() {
            FileType::Socket
        } else if file_type.is_fifo() {
            FileType::Fifo
        } else {
            FileType::Device
        }
    }

    /// Whether emptiness means something for this type: bytes for a file,
    /// entries for a folder. A FIFO's or a socket's size is what is in
    /// transit, and a device's is 0 whatever it holds.
    #[must_use]
    pub fn has_emptiness(self) -> bool {
        matches!(self, FileType::Any | FileType::File | FileType::Dir)
    }

    /// Whether what was found is what was asked for.
    #[must_use]
    pub fn accepts(self, found: FileType) -> bool {
        self == FileType::Any || self == found
    }

    /// "a file", "an empty folder" reads better than the bare word.
    #[must_use]
    pub fn with_article(self) -> String {
        match self {
            FileType::Any => "anything".to_owned(),
            _ => format!("a {self}"),
        }
    }
}

impl FileType {
    /// The word `--type` takes.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            FileType::Any => "any",
            FileType::File => "file",
            FileType::Dir => "dir",
            FileType::Socket => "socket",
            FileType::Fifo => "fifo",
            FileType::Symlink => "symlink",
            FileType::Device => "device",
        }
    }
}

impl fmt::Display for FileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileType::Any => "any",
            FileType::File => "file",
            FileType::Dir => "folder",
            FileType::Socket => "socket",
            FileType::Fifo => "FIFO",
            FileType::Symlink => "symlink",
            FileType::Device => "device",
        })
    }
}

impl FromStr for FileType {
    type Err = String;

    fn from_str(value: &str) -> Result<FileType, String> {
        // A device is found, never asked for.
        let all = [
            FileType::Any,
            FileType::File,
            FileType::Dir,
            FileType::Socket,
            FileType::Fifo,
            FileType::Symlink,
        ];
        match all.into_iter().find(|file_type| file_type.word() == value) {
            Some(file_type) => Ok(file_type),
            None => Err(format!(
                "expected any, file, dir, socket, fifo or symlink, got '{}'",
                shared::args::display_arg(value)
            )),
        }
    }
}

/// How full a path is: bytes for a file, entries for a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// The size in bytes (files, links, sockets, FIFOs).
    Bytes(u64),
    /// Whether a folder has at least one entry.
    Entries(bool),
    /// A file whose size reads 0 but which gave bytes when read: a pseudo
    /// file of procfs or sysfs, whose content is made as it is read.
    Generated,
}

impl Size {
    /// What `metadata` says: bytes for anything but a folder, whose size in
    /// bytes means nothing; lists a folder only as far as its first entry.
    ///
    /// # Errors
    /// A folder that cannot be listed.
    pub fn of(path: &Path, metadata: &Metadata) -> io::Result<Size> {
        if metadata.is_dir() {
            Ok(Size::Entries(fs::read_dir(path)?.next().is_some()))
        } else {
            Ok(Size::Bytes(metadata.len()))
        }
    }

    /// Like [`Size::of`], but a regular file whose size reads 0 is read (one
    /// byte at most): procfs and sysfs report 0 for files that have content.
    /// The open is non-blocking, so that a FIFO put in the file's place since
    /// the `stat` cannot block; a hung read is the deadline's.
    ///
    /// # Errors
    /// A folder that cannot be listed, a file that cannot be read.
    pub fn read(path: &Path, metadata: &Metadata) -> io::Result<Size> {
        let size = Size::of(path, metadata)?;
        if size != Size::Bytes(0) || !metadata.is_file() {
            return Ok(size);
        }
        let mut file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?;
        let mut byte = [0; 1];
        loop {
            return match file.read(&mut byte) {
                Ok(0) => Ok(size),
                Ok(_) => Ok(Size::Generated),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(size),
                Err(e) => Err(e),
            };
        }
    }

    /// No bytes, or no entries.
    #[must_use]
    pub fn is_empty(self) -> bool {
        matches!(self, Size::Bytes(0) | Size::Entries(false))
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Size::Bytes(1) => f.write_str("1 byte"),
            Size::Bytes(n) => write!(f, "{n} bytes"),
            Size::Entries(true) => f.write_str("has entries"),
            Size::Entries(false) => f.write_str("no entries"),
            Size::Generated => f.write_str("has content, though its size reads 0 bytes"),
        }
    }
}

/// How long ago a path was modified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Age {
    /// In the past (or within [`SKEW`] of now).
    Ago(Duration),
    /// After now by more than [`SKEW`]: a clock set wrong, or a date copied
    /// from elsewhere; no freshness can be judged from it.
    Future(SystemTime),
}

/// How far in the future a modification time may be and still count as now:
/// a file server's clock a little ahead of ours.
pub const SKEW: Duration = Duration::from_secs(1);

impl Age {
    /// The age of `modified` at `now`.
    #[must_use]
    pub fn at(modified: SystemTime, now: SystemTime) -> Age {
        match now.duration_since(modified) {
            Ok(age) => Age::Ago(age),
            Err(ahead) if ahead.duration() <= SKEW => Age::Ago(Duration::ZERO),
            Err(_) => Age::Future(modified),
        }
    }
}

impl fmt::Display for Age {
    /// `modified 2 h 5 min ago`, `modified in the future (2100-01-01 00:00 UTC)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Age::Ago(age) => write!(f, "modified {} ago", format_age(*age)),
            Age::Future(date) => {
                let seconds = date
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(i64::MAX, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
                write!(
                    f,
                    "modified in the future ({})",
                    shared::x509::format_utc(seconds)
                )
            }
        }
    }
}

/// An age in the largest units that keep it exact enough: `45 s`, `12 min 5 s`,
/// `3 h 20 min`, `2 d 4 h`.
#[must_use]
pub fn format_age(age: Duration) -> String {
    let secs = age.as_secs();
    match secs {
        0..60 => shared::format::format_seconds(age),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        3600..86400 => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
        _ => format!("{} d {} h", secs / 86400, secs % 86400 / 3600),
    }
}

/// What stopped a `stat` or a listing, in a few words.
#[must_use]
pub fn describe(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotADirectory => "a parent is not a folder".to_owned(),
        _ => shared::report::describe_io(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_types_parse_their_words_only() {
        assert_eq!("not-empty".parse(), Ok(State::NotEmpty));
        assert!("notempty".parse::<State>().is_err());
        assert!("Exists".parse::<State>().is_err());
        assert_eq!("dir".parse(), Ok(FileType::Dir));
        assert!("directory".parse::<FileType>().is_err());
    }

    #[test]
    fn ages_use_two_units() {
        assert_eq!(format_age(Duration::from_secs(45)), "45 s");
        assert_eq!(format_age(Duration::from_secs(725)), "12 min 5 s");
        assert_eq!(format_age(Duration::from_secs(12_000)), "3 h 20 min");
        assert_eq!(format_age(Duration::from_secs(187_200)), "2 d 4 h");
    }

    #[test]
    fn emptiness() {
        assert!(Size::Bytes(0).is_empty());
        assert!(!Size::Bytes(1).is_empty());
        assert!(Size::Entries(false).is_empty());
        assert_eq!(Size::Bytes(1).to_string(), "1 byte");
        assert!(!Size::Generated.is_empty());
    }

    #[test]
    fn ages_in_the_future_are_named_with_their_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(4_102_444_800);
        assert_eq!(
            Age::at(now - Duration::from_secs(45), now).to_string(),
            "modified 45 s ago"
        );
        assert_eq!(
            Age::at(now + SKEW, now),
            Age::Ago(Duration::ZERO),
            "a clock a little ahead counts as now"
        );
        let later = now + Duration::from_secs(86_400 + 3_600 + 60);
        assert_eq!(
            Age::at(later, now).to_string(),
            "modified in the future (2100-01-02 01:01 UTC)"
        );
    }
}
