//! The one system call std does not offer: `statvfs(3)`, the size, free space
//! and inodes of the filesystem holding a path.
//!
//! The second audited `unsafe` exception of the workspace (after
//! `shared/src/alarm.rs`): one libc call on a NUL-terminated copy of the path
//! and a zeroed structure it fills. A crate such as rustix would hide the same
//! call behind a safe API at the cost of another dependency.
#![allow(unsafe_code)]

use std::ffi::{CString, OsStr};
use std::io;
use std::os::unix::ffi::OsStrExt;

/// A filesystem's figures, in bytes and inodes, as an unprivileged user sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    /// What the user can fill: used plus available (the blocks reserved for
    /// root are not counted, as `df` and psutil count them).
    pub size: u64,
    /// Bytes available to an unprivileged user.
    pub free: u64,
    /// Inodes in all; 0 where the filesystem has no fixed number (btrfs).
    pub inodes: u64,
    /// Inodes not in use.
    pub inodes_free: u64,
}

/// The figures of the filesystem that holds `path`.
///
/// # Errors
/// What `statvfs` reported: the path is missing, not reachable, ...
// The libc field types are u64 on x86_64 but narrower on some 32-bit targets.
#[allow(clippy::useless_conversion)]
pub fn space(path: &OsStr) -> io::Result<Space> {
    let path = CString::new(path.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "the path holds a NUL byte"))?;
    // SAFETY: statvfs is plain data, valid when zeroed; `path` is NUL-terminated
    // and outlives the call, which writes into `stat` only.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::statvfs(path.as_ptr(), &raw mut stat) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let unit = u64::from(stat.f_frsize);
    let bytes = |blocks: u64| blocks.saturating_mul(unit);
    let (blocks, bfree, bavail) = (
        u64::from(stat.f_blocks),
        u64::from(stat.f_bfree),
        u64::from(stat.f_bavail),
    );
    Ok(Space {
        size: bytes(blocks.saturating_sub(bfree).saturating_add(bavail)),
        free: bytes(bavail),
        inodes: u64::from(stat.f_files),
        inodes_free: u64::from(stat.f_ffree),
    })
}
