//! PEM files named by options: certificates and private keys read with a
//! bounded size and time, and whether a key belongs to a certificate.
//!
//! check-url-available (`--ca-cert-file`, `--cert-file`, `--key-file`) and
//! check-certificate read the same files the same way. Behind the `pem` feature:
//! only binaries that read such files pull in rustls.

use std::ffi::OsString;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::SigningKey;
use rustls::{CertificateError, Error as TlsError};

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
#[derive(Debug)]
pub enum KeyMismatch {
    /// The key is of a kind or size the ring provider cannot load, or the
    /// certificate's public key cannot be read.
    Unusable(TlsError),
    /// The key's public half is not the certificate's.
    Differs,
}

/// Loads `key` and checks that it is the private key of `leaf`: the key's
/// public half against the certificate's subjectPublicKeyInfo, read by
/// [`crate::x509::public_key_info`] rather than by webpki, so that version 1
/// certificates (which webpki refuses to parse) pass. A key whose public half
/// the provider cannot tell is taken as it is.
///
/// # Errors
/// [`KeyMismatch`]: the key cannot be loaded, or is another certificate's.
pub fn match_key(
    leaf: &CertificateDer<'_>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<dyn SigningKey>, KeyMismatch> {
    let provider = rustls::crypto::ring::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(key)
        .map_err(KeyMismatch::Unusable)?;
    let listed = crate::x509::public_key_info(leaf).ok_or(KeyMismatch::Unusable(
        TlsError::InvalidCertificate(CertificateError::BadEncoding),
    ))?;
    if signing
        .public_key()
        .is_some_and(|public| public.as_ref() != listed)
    {
        return Err(KeyMismatch::Differs);
    }
    Ok(signing)
}
