//! PEM files named by options: certificates and private keys read with a
//! bounded size and time, and whether a key belongs to a certificate.
//!
//! check-url-available (`--ca-cert-file`, `--cert-file`, `--key-file`) and
//! check-certificate read the same files the same way. Behind the `pem` feature:
//! only binaries that read such files pull in rustls.

use std::ffi::OsString;
use std::fmt;
use std::io::Read;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::args::{display_arg, os_arg};

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
        let fail = |e: std::io::Error| {
            format!(
                "cannot read {} {}: {}",
                self.option,
                self.shown,
                crate::report::describe_io(&e)
            )
        };
        let mut bytes = Vec::new();
        std::fs::File::open(&self.path)
            .map_err(fail)?
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(fail)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(self.invalid(format_args!("is larger than {} MiB", MAX_FILE_BYTES >> 20)));
        }
        Ok(bytes)
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
/// A line naming the option and the file: unreadable, not PEM, no key.
pub fn private_key(file: &FileArg, stage: Stage<'_>) -> Result<PrivateKeyDer<'static>, String> {
    let bytes = file.read(stage)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => {
            file.invalid("holds no PEM private key (PKCS#8, PKCS#1 or SEC1)")
        }
        e => file.invalid(format_args!("is not valid PEM: {}", describe_pem(&e))),
    })
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

/// Why a private key cannot be used with a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMismatch {
    /// The key is of a kind or size the ring provider cannot load.
    Unusable(String),
    /// The key's public half is not the certificate's.
    Differs,
}

/// Whether `key` is the private key of the first certificate of `chain`: the
/// key's public half against the certificate's, as rustls checks a client
/// certificate (check-url-available's `--key-file` goes through the same
/// check when rustls loads the pair).
///
/// # Errors
/// [`KeyMismatch`]: the key cannot be loaded, or is another certificate's.
pub fn match_key(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<(), KeyMismatch> {
    let provider = rustls::crypto::ring::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| KeyMismatch::Unusable(crate::report::sanitize(&e.to_string(), 200)))?;
    match rustls::sign::CertifiedKey::new(chain, signing).keys_match() {
        Ok(()) => Ok(()),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err(KeyMismatch::Differs)
        }
        Err(e) => Err(KeyMismatch::Unusable(crate::report::sanitize(
            &e.to_string(),
            200,
        ))),
    }
}
