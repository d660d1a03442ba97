//! The vocabulary of the check: states, file types, sizes and ages.

use std::fmt;
use std::fs::{self, Metadata};
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

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

impl FromStr for State {
    type Err = String;

    fn from_str(value: &str) -> Result<State, String> {
        match value {
            "exists" => Ok(State::Exists),
            "absent" => Ok(State::Absent),
            "empty" => Ok(State::Empty),
            "not-empty" => Ok(State::NotEmpty),
            "absent-or-empty" => Ok(State::AbsentOrEmpty),
            // absent-or-empty, for converted monitor plugins, is in --help only:
            // this line is the one tests/hostile_input.rs pins.
            _ => Err(format!(
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

impl fmt::Display for FileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileType::Any => "any",
            FileType::File => "file",
            FileType::Dir => "folder",
            FileType::Socket => "socket",
            FileType::Fifo => "fifo",
            FileType::Symlink => "symlink",
            FileType::Device => "device",
        })
    }
}

impl FromStr for FileType {
    type Err = String;

    fn from_str(value: &str) -> Result<FileType, String> {
        match value {
            "any" => Ok(FileType::Any),
            "file" => Ok(FileType::File),
            "dir" => Ok(FileType::Dir),
            "socket" => Ok(FileType::Socket),
            "fifo" => Ok(FileType::Fifo),
            "symlink" => Ok(FileType::Symlink),
            _ => Err(format!(
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
}

impl Size {
    /// Measures `path`, whose `metadata` is known; lists a folder only as far as
    /// its first entry.
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
    }
}
