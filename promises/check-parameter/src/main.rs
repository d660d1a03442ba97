//! `check-parameter`: exits 0 when the value is what it must be.

use std::process::ExitCode;

fn main() -> ExitCode {
    shared::main::<check_parameter::Args>(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
}
