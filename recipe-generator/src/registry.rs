//! The promise binaries a wrapper can run, each with the validation its binary
//! does before checking anything.
//!
//! Validation goes through `shared::args::parse` and the pure `Promise::plan` of
//! the binary's own lib, so a baked argument is refused with exactly the line the
//! binary would print.
//!
//! [`PROMISES`] is the one list of the promise binaries: the help and errors
//! of recipe-generator, the fuzz target and the black-box tests all read it,
//! and the Makefile builds every folder under `promises/`. Supporting one more
//! binary is one entry here (with the dependency line on its crate in this
//! crate's Cargo.toml); `tests/registry.rs` fails while a folder under
//! `promises/` has no entry.

use std::ffi::OsString;

use shared::Usage;
use shared::args::{Exit, parse};

/// A promise binary the generator knows.
#[derive(Debug)]
pub struct Promise {
    /// The binary's file name, which is also the `--promise` name.
    pub name: &'static str,
    validate: fn(&'static str, Vec<OsString>) -> Result<(), Usage>,
}

/// Every promise binary a wrapper can run: one entry per folder under `promises/`.
pub const PROMISES: &[Promise] = &[
    entry::<check_port_listening::Args>("check-port-listening"),
    entry::<check_url_available::Args>("check-url-available"),
    entry::<check_file_exists::Args>("check-file-exists"),
    entry::<check_command::Args>("check-command"),
    entry::<check_parameter::Args>("check-parameter"),
    entry::<check_free_disk_space::Args>("check-free-disk-space"),
    entry::<check_certificate::Args>("check-certificate"),
];

const fn entry<P: shared::Promise>(name: &'static str) -> Promise {
    Promise {
        name,
        validate: validate::<P>,
    }
}

impl Promise {
    /// The promise called `name`.
    ///
    /// # Errors
    /// A usage error listing the known names.
    pub fn find(name: &str) -> Result<&'static Promise, Usage> {
        PROMISES.iter().find(|p| p.name == name).ok_or_else(|| {
            let known: Vec<&str> = PROMISES.iter().map(|p| p.name).collect();
            Usage::new(format!(
                "unknown promise '{}', expected {}",
                shared::report::sanitize(&shared::args::display_arg(name), 100),
                known.join(", ")
            ))
        })
    }

    /// Whether `args` pass the binary's own parsing and validation.
    ///
    /// # Errors
    /// The line the binary would print (without `UNKNOWN: `).
    pub fn validate(&self, args: &[OsString]) -> Result<(), Usage> {
        (self.validate)(self.name, args.to_vec())
    }
}

fn validate<P: shared::Promise>(name: &'static str, args: Vec<OsString>) -> Result<(), Usage> {
    match parse::<P>(name, env!("CARGO_PKG_VERSION"), args) {
        Ok(promise) => promise.plan().map(drop),
        Err(Exit::Usage(usage)) => Err(usage),
        Err(Exit::Info(_)) => Err(Usage::new(
            "--help and --version cannot be baked into a wrapper",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn names_are_unique_and_found() {
        for promise in PROMISES {
            assert_eq!(Promise::find(promise.name).unwrap().name, promise.name);
        }
        let error = Promise::find("check-nothing").unwrap_err();
        assert!(
            error
                .0
                .starts_with("unknown promise 'check-nothing', expected check-port-listening, ")
        );
    }

    #[test]
    fn validation_is_the_binary_s_own() {
        let port = Promise::find("check-port-listening").unwrap();
        assert_eq!(port.validate(&os(&["--port", "80"])), Ok(()));
        assert_eq!(
            port.validate(&os(&["--port", "0"])).unwrap_err().0,
            "Error parsing option '--port' with value '0': expected a port number from 1 to 65535, got '0' (see --help)"
        );
        assert_eq!(
            port.validate(&os(&["--port", "1", "--unix-socket", "/s"]))
                .unwrap_err()
                .0,
            "--unix-socket and --abstract exclude --host, --port, -4 and -6"
        );
        let url = Promise::find("check-url-available").unwrap();
        assert_eq!(
            url.validate(&os(&["--url", "https://[::1]/", "-k"])),
            Ok(())
        );
        assert_eq!(
            url.validate(&os(&["--url", "https://x/", "-k", "--ca-cert-file", "/ca"]))
                .unwrap_err()
                .0,
            "-k/--insecure and --ca-cert-file exclude each other"
        );
        assert!(port.validate(&os(&["--help"])).is_err());
        assert!(port.validate(&os(&["--baked", "/x"])).is_err());
    }
}
