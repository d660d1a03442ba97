//! `check-certificate`: exits 0 when the certificate file is valid for long enough.

use std::process::ExitCode;

fn main() -> ExitCode {
    shared::main::<check_certificate::Args>(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
}
