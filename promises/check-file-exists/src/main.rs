//! `check-file-exists`: exits 0 when the path is in the expected state.

use std::process::ExitCode;

fn main() -> ExitCode {
    shared::main::<check_file_exists::Args>(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
}
