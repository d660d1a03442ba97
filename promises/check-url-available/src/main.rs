//! `check-url-available`: exits 0 when the URL answers as expected.

use std::process::ExitCode;

fn main() -> ExitCode {
    shared::main::<check_url_available::Args>(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
}
