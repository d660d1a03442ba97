//! `check-command`: exits 0 when the command exits 0.

use std::process::ExitCode;

fn main() -> ExitCode {
    shared::main::<check_command::Args>(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
}
