//! `check-port-listening`: exits 0 when the socket accepts a connection.

use std::process::ExitCode;

fn main() -> ExitCode {
    shared::main::<check_port_listening::Args>(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
}
