//! `check-free-disk-space`: exits 0 when the filesystem of a path has room left.

use std::process::ExitCode;

fn main() -> ExitCode {
    shared::main::<check_free_disk_space::Args>(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
}
