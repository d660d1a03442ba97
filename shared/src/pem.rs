//! PEM files named by options: certificates and private keys read with a
//! bounded size and time (whether a key belongs to a certificate is
//! [`crate::key`]'s).
//!
//! check-url-available (`--ca-cert-file`, `--cert-file`, `--key-file`) and
//! check-certificate read the same files the same way. Behind the `pem` feature:
//! only binaries that read such files pull in rustls.

use std::ffi::OsString;
use std::fmt;
use std::path::Path;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::args::{display_arg, os_arg};
use crate::file::ReadError;

/// The largest file an option names that we read: a bundle of every public CA
/// is about 200 KiB.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// Told which file is about to be read, so that a timeout names it.
pub type Stage<'a> = &'a dyn Fn(&FileArg);

/// A file named by an option: where to read it and how to show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileArg {
    /// The option, such as `--ca-cert-file`.
    pub option: &'static str,
    /// The path as given.
    pub path: OsString,
    /// The path for messages.
    pub shown: String,
}

impl FileArg {
    /// The file named by `option`'s argh value.
    #[must_use]
    pub fn new(option: &'static str, value: &str) -> FileArg {
        FileArg {
            option,
            path: os_arg(value),
            shown: display_arg(value),
        }
    }

    /// Reads the whole file, at most [`MAX_FILE_BYTES`] (certificates, keys,
    /// passwords), after telling `stage` which file it is: the deadline bounds
    /// the read (a FIFO without a writer, a hung mount), and the cap bounds the
    /// memory (`/dev/zero`).
    ///
    /// # Errors
    /// A usage line naming the option, the file and the OS error.
    pub fn read(&self, stage: Stage<'_>) -> Result<Vec<u8>, String> {
        stage(self);
        crate::file::read_capped(Path::new(&self.path), MAX_FILE_BYTES).map_err(|e| match e {
            ReadError::Io(e) => format!(
                "cannot read {} {}: {}",
                self.option,
                self.shown,
                crate::report::describe_io(&e)
            ),
            ReadError::Larger(_) => {
                self.invalid(format_args!("is larger than {} MiB", MAX_FILE_BYTES >> 20))
            }
            ReadError::NotRegular => self.invalid("is not a regular file"),
        })
    }

    /// `--option path what`: a line about this file.
    #[must_use]
    pub fn invalid(&self, what: impl fmt::Display) -> String {
        format!("{} {} {what}", self.option, self.shown)
    }
}

/// The certificates of a PEM file, in order (other sections, such as a key
/// in the same file, are skipped).
///
/// # Errors
/// A line naming the option and the file: unreadable, not PEM, no certificate.
pub fn certificates(
    file: &FileArg,
    stage: Stage<'_>,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = file.read(stage)?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file.invalid(format_args!("is not valid PEM: {}", describe_pem(&e))))?;
    if chain.is_empty() {
        return Err(file.invalid("holds no PEM certificate"));
    }
    Ok(chain)
}

/// The first private key of a PEM file (PKCS#8, PKCS#1 or SEC1; other
/// sections, such as certificates in the same file, are skipped).
///
/// # Errors
/// A line naming the option and the file: unreadable, not PEM, no key, and
/// whether that is because the key is encrypted (we take no passphrase).
pub fn private_key(
    file: &FileArg,
    stage: Stage<'_>,
) -> Result<PrivateKeyDer<'static>, KeyFileError> {
    let bytes = file.read(stage).map_err(KeyFileError::Unreadable)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        let marked = |mark: &[u8]| bytes.windows(mark.len()).any(|w| w == mark);
        if marked(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") || marked(b"Proc-Type: 4,ENCRYPTED") {
            return KeyFileError::Encrypted(file.invalid(
                "is an encrypted key, which cannot be used without its passphrase (none is taken here)",
            ));
        }
        KeyFileError::Unreadable(match e {
            pem::Error::NoItemsFound => {
                file.invalid("holds no PEM private key (PKCS#8, PKCS#1 or SEC1)")
            }
            e => file.invalid(format_args!("is not valid PEM: {}", describe_pem(&e))),
        })
    })
}

/// Why [`private_key`] found no key, as a line naming the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFileError {
    /// Missing, unreadable, not PEM, or no key in it.
    Unreadable(String),
    /// An encrypted key: there, but not usable without a passphrase.
    Encrypted(String),
}

impl KeyFileError {
    /// The line.
    #[must_use]
    pub fn line(self) -> String {
        match self {
            KeyFileError::Unreadable(line) | KeyFileError::Encrypted(line) => line,
        }
    }
}

/// A PEM decoding failure in a few words.
#[must_use]
pub fn describe_pem(error: &pem::Error) -> String {
    match error {
        pem::Error::MissingSectionEnd { .. } => "a section has no END line".to_owned(),
        pem::Error::IllegalSectionStart { .. } => "a BEGIN line is malformed".to_owned(),
        pem::Error::Base64Decode(_) => "bad base64".to_owned(),
        pem::Error::Io(e) => crate::report::describe_io(e),
        _ => "unreadable".to_owned(),
    }
}
