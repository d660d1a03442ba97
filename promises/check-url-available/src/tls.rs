//! TLS settings: what to trust, which client certificate to present, and how
//! TLS failures read in the report line.
//!
//! We build the rustls configuration ourselves instead of going through ureq's
//! `TlsConfig`: ureq panics on a certificate/key pair that does not match (we
//! build with `panic = "abort"`), and its connector hides the server's
//! certificate, which `--cert-min-days` needs. Nothing here runs for a plain
//! http:// check unless a file option was given, and the webpki roots are only
//! copied when they are the ones that verify.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier, verify_server_name};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::sign::{CertifiedKey, SigningKey};
use rustls::{AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct};
use rustls::{Error as TlsError, RootCertStore, SignatureScheme};
use shared::key::{KeyMismatch, match_key};
use shared::pem::{certificates, private_key};
use shared::x509::format_utc;

pub use shared::pem::{FileArg, Stage};

/// How the server's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Against the Mozilla roots compiled in (webpki-roots).
    WebPki,
    /// Against the certificates of this file only.
    CaFile(FileArg),
    /// Not at all (`--insecure`).
    Insecure,
}

/// The TLS options, validated without I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsPlan {
    /// How the server is verified.
    pub trust: Trust,
    /// `--cert-file` and `--key-file`.
    pub client: Option<(FileArg, FileArg)>,
}

/// The rustls configuration, made at most once, when first needed.
#[derive(Debug)]
pub struct Tls {
    config: OnceLock<Arc<ClientConfig>>,
    insecure: bool,
}

impl Tls {
    /// Reads and checks the files the plan names. With files, the configuration
    /// is made now so that a bad file ends the run with exit 3 before any
    /// connection; without, it is made at the first https connection.
    ///
    /// # Errors
    /// A usage line: a file that cannot be read or holds nothing usable.
    pub fn load(plan: TlsPlan, stage: Stage<'_>) -> Result<Tls, String> {
        let tls = Tls {
            config: OnceLock::new(),
            insecure: plan.trust == Trust::Insecure,
        };
        let ca_file = match &plan.trust {
            Trust::CaFile(file) => Some(file),
            Trust::WebPki | Trust::Insecure => None,
        };
        if ca_file.is_none() && plan.client.is_none() {
            return Ok(tls);
        }
        let roots = match ca_file {
            Some(file) => Some(load_roots(file, stage)?),
            None => None,
        };
        let client = match &plan.client {
            Some((cert, key)) => Some(load_identity(cert, key, stage)?),
            None => None,
        };
        let config = build(tls.insecure, roots, client)
            .map_err(|e| format!("cannot set up TLS: {}", describe(&e, "")))?;
        let _ = tls.config.set(Arc::new(config));
        Ok(tls)
    }

    /// Verification against the built-in roots, or none: an https:// proxy's.
    #[must_use]
    pub fn without_files(insecure: bool) -> Tls {
        Tls {
            config: OnceLock::new(),
            insecure,
        }
    }

    /// The configuration for a connection.
    ///
    /// # Errors
    /// What rustls refused (it cannot refuse the default protocol versions
    /// with its own provider, but says so with a `Result`).
    pub fn config(&self) -> Result<Arc<ClientConfig>, TlsError> {
        if let Some(config) = self.config.get() {
            return Ok(config.clone());
        }
        // Files would have made the configuration in `load`: none to add here.
        let config = Arc::new(build(self.insecure, None, None)?);
        Ok(self.config.get_or_init(|| config).clone())
    }
}

type ClientIdentity = (Vec<CertificateDer<'static>>, Arc<dyn SigningKey>);

/// `--cert-file` and `--key-file`, read, and the key checked against the
/// certificate's public key. The certificate itself is the server's to judge
/// (a version 1 certificate, which webpki refuses to parse, included).
fn load_identity(
    cert: &FileArg,
    key: &FileArg,
    stage: Stage<'_>,
) -> Result<ClientIdentity, String> {
    let chain = certificates(cert, stage)?;
    let private = private_key(key, stage).map_err(shared::pem::KeyFileError::line)?;
    match_key(&chain[0], &private).map_err(|e| match e {
        KeyMismatch::Differs => key.invalid(format_args!(
            "does not match the certificate in --cert-file {}",
            cert.shown
        )),
        KeyMismatch::Unmatchable(what) => key.invalid(what),
    })?;
    let signing = rustls::crypto::ring::default_provider()
        .key_provider
        .load_private_key(private)
        .map_err(|e| key.invalid(format_args!("cannot be used: {}", describe(&e, ""))))?;
    Ok((chain, signing))
}

/// What `--ca-cert-file` holds, sorted by what each certificate may vouch for.
#[derive(Debug)]
struct CaRoots {
    /// The CAs (basicConstraints CA, and keyCertSign where keyUsage is
    /// present) valid now: they vouch for the servers they sign.
    anchors: RootCertStore,
    /// Every certificate of the file: each is trusted as itself.
    listed: Vec<CertificateDer<'static>>,
    /// The CAs that are not valid now: they vouch for nothing, but a refusal
    /// says so.
    lapsed: Vec<Lapsed>,
}

/// A CA of the file outside its validity period.
#[derive(Debug)]
struct Lapsed {
    subject: Vec<u8>,
    not_before: i64,
    not_after: i64,
}

fn build(
    insecure: bool,
    roots: Option<CaRoots>,
    client: Option<ClientIdentity>,
) -> Result<ClientConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(algorithms)))
    } else {
        let roots = roots.unwrap_or_else(|| {
            CaRoots::new(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            })
        });
        // No anchor at all (a file of expired CAs, of pinned certificates): only
        // the listed certificates themselves can pass.
        let webpki = if roots.anchors.is_empty() {
            None
        } else {
            Some(
                WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots.anchors),
                    provider.clone(),
                )
                .build()
                .map_err(|e| TlsError::General(e.to_string()))?,
            )
        };
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Verify {
                webpki,
                listed: roots.listed,
                lapsed: roots.lapsed,
                algorithms,
            }))
    };
    let Some((chain, key)) = client else {
        return Ok(builder.with_no_client_auth());
    };
    let identity = Arc::new(CertifiedKey::new(chain, key));
    Ok(builder.with_client_cert_resolver(Arc::new(Present(identity))))
}

/// Presents the client certificate whatever the server hints.
#[derive(Debug)]
struct Present(Arc<CertifiedKey>);

impl CaRoots {
    fn new(anchors: RootCertStore) -> CaRoots {
        CaRoots {
            anchors,
            listed: Vec::new(),
            lapsed: Vec::new(),
        }
    }
}

impl ResolvesClientCert for Present {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

fn load_roots(file: &FileArg, stage: Stage<'_>) -> Result<CaRoots, String> {
    let listed = certificates(file, stage)?;
    let now = unix(UnixTime::now());
    let mut roots = CaRoots::new(RootCertStore::empty());
    for (i, cert) in listed.iter().enumerate() {
        let vouches =
            shared::x509::is_ca(cert) && shared::x509::may_sign_certificates(cert) != Some(false);
        if !vouches {
            continue;
        }
        let unreadable = || {
            file.invalid(format_args!(
                "holds a CA certificate (number {}) that cannot be read",
                i + 1
            ))
        };
        let (not_before, not_after) = shared::x509::validity(cert).ok_or_else(unreadable)?;
        if now < not_before || now > not_after {
            let subject = shared::x509::subject(cert).ok_or_else(unreadable)?;
            roots.lapsed.push(Lapsed {
                subject: subject.to_vec(),
                not_before,
                not_after,
            });
            continue;
        }
        roots.anchors.add(cert.clone()).map_err(|e| {
            file.invalid(format_args!(
                "holds a certificate (number {}) that cannot be a trust anchor: {}",
                i + 1,
                describe(&e, "")
            ))
        })?;
    }
    roots.listed = listed;
    Ok(roots)
}

/// What a TLS failure means, for the report line. `host` is the name the
/// certificate was checked against.
#[must_use]
pub fn describe(error: &TlsError, host: &str) -> String {
    let clean = |text: &str| shared::report::sanitize(text, 200);
    match error {
        TlsError::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => "certificate not trusted (unknown issuer)".into(),
            CertificateError::ExpiredContext { not_after, .. } => {
                format!("certificate expired on {}", format_utc(unix(*not_after)))
            }
            CertificateError::Expired => "certificate expired".into(),
            CertificateError::NotValidYetContext { not_before, .. } => format!(
                "certificate not valid before {}",
                format_utc(unix(*not_before))
            ),
            CertificateError::NotValidYet => "certificate not valid yet".into(),
            CertificateError::NotValidForNameContext { presented, .. } => {
                let names: Vec<String> = presented.iter().map(|name| unwrap_name(name)).collect();
                let names = if names.is_empty() {
                    "none".to_owned()
                } else {
                    clean(&names.join(", "))
                };
                format!("certificate not valid for {host} (it names: {names})")
            }
            CertificateError::NotValidForName => format!("certificate not valid for {host}"),
            CertificateError::BadSignature => "certificate has a bad signature".into(),
            CertificateError::Revoked => "certificate revoked".into(),
            CertificateError::BadEncoding => "certificate is malformed".into(),
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "certificate is not for TLS servers (extended key usage)".into()
            }
            CertificateError::Other(other) if other.0.downcast_ref::<Refused>().is_some() => {
                other.to_string()
            }
            CertificateError::Other(other) => match other.to_string().as_str() {
                // webpki's words for a certificate marked as a CA, shown as a server's.
                "CaUsedAsEndEntity" => "certificate is marked as a CA, not as a server's".into(),
                text => format!("certificate rejected: {}", clean(text)),
            },
            other => format!("certificate rejected: {}", clean(&other.to_string())),
        },
        TlsError::AlertReceived(AlertDescription::CertificateRequired) => {
            "the server requires a client certificate (--cert-file, --key-file)".into()
        }
        TlsError::AlertReceived(alert) => {
            format!("the server ended the handshake with the alert '{alert:?}'")
        }
        TlsError::InvalidMessage(_) | TlsError::InappropriateMessage { .. } => {
            "the server did not answer in TLS (plain HTTP on this port?)".into()
        }
        TlsError::PeerIncompatible(_) => format!(
            "no TLS version or cipher in common with the server ({})",
            clean(&error.to_string())
        ),
        TlsError::NoCertificatesPresented => "the server presented no certificate".into(),
        TlsError::InconsistentKeys(_) => "the private key does not match the certificate".into(),
        other => clean(&other.to_string()),
    }
}

/// rustls shows presented names as `DnsName("host")` or `IpAddress(0::1)`:
/// the name alone, addresses in their usual form.
fn unwrap_name(name: &str) -> String {
    let inner = match name.split_once('(') {
        Some((_, inner)) => inner.strip_suffix(')').unwrap_or(inner).trim_matches('"'),
        None => name,
    };
    match inner.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => inner.to_owned(),
    }
}

fn unix(time: UnixTime) -> i64 {
    i64::try_from(time.as_secs()).unwrap_or(i64::MAX)
}

/// Why a server certificate is not trusted, when webpki's own word would
/// mislead (`bad signature` for an impostor, `marked as a CA` for a
/// self-signed certificate): the whole message.
#[derive(Debug)]
struct Refused(String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

fn refused(text: String) -> TlsError {
    TlsError::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(
        Refused(text),
    ))))
}

/// The server's certificate against the anchors (webpki: the built-in roots,
/// or the CAs of `--ca-cert-file`); and a certificate the file lists is
/// trusted as itself, byte for byte, as OpenSSL trusts a certificate of its
/// store: a self-signed one, or a CA's (`openssl req -x509` marks them as CAs,
/// which webpki refuses as server certificates). Its name, dates and extended
/// key usage are still checked, and the handshake signatures always are.
/// A listed certificate that is not a CA vouches for nothing else: not for a
/// certificate its key signs, nor for one with its subject and key but other
/// names (curl refuses them too: `invalid CA certificate`).
#[derive(Debug)]
struct Verify {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    listed: Vec<CertificateDer<'static>>,
    lapsed: Vec<Lapsed>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl Verify {
    /// A listed certificate, presented as it is.
    fn as_itself(
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        if shared::x509::is_version_1(end_entity) {
            crate::version1::verify_name(end_entity, server_name)?;
        } else {
            verify_server_name(&ParsedCertificate::try_from(end_entity)?, server_name)?;
        }
        let (not_before, not_after) = shared::x509::validity(end_entity)
            .ok_or(TlsError::InvalidCertificate(CertificateError::BadEncoding))?;
        let seconds = unix(now);
        if seconds > not_after {
            return Err(TlsError::InvalidCertificate(
                CertificateError::ExpiredContext {
                    time: now,
                    not_after: at(not_after),
                },
            ));
        }
        if seconds < not_before {
            return Err(TlsError::InvalidCertificate(
                CertificateError::NotValidYetContext {
                    time: now,
                    not_before: at(not_before),
                },
            ));
        }
        if shared::x509::allows_server_auth(end_entity) == Some(false) {
            return Err(TlsError::InvalidCertificate(
                CertificateError::InvalidPurpose,
            ));
        }
        Ok(ServerCertVerified::assertion())
    }

    /// webpki's refusal, said plainly where it would mislead.
    fn explain(
        &self,
        refusal: TlsError,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
    ) -> TlsError {
        let TlsError::InvalidCertificate(reason) = &refusal else {
            return refusal;
        };
        let untrusted = match reason {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => true,
            CertificateError::Other(other) => other.to_string() == "CaUsedAsEndEntity",
            _ => false,
        };
        if !untrusted {
            return refusal;
        }
        let top = intermediates
            .last()
            .map_or(end_entity.as_ref(), |c| c.as_ref());
        let issuer = shared::x509::issuer(top).unwrap_or_default();
        if let Some(ca) = self.lapsed.iter().find(|ca| ca.subject == issuer) {
            let when = if unix(UnixTime::now()) < ca.not_before {
                format!("is not valid before {}", format_utc(ca.not_before))
            } else {
                format!("expired on {}", format_utc(ca.not_after))
            };
            return refused(format!(
                "certificate not trusted (its CA in --ca-cert-file {when})"
            ));
        }
        if intermediates.is_empty() && shared::x509::is_self_issued(end_entity) {
            return refused("certificate not trusted (self-signed)".to_owned());
        }
        if matches!(reason, CertificateError::BadSignature) {
            return refused(
                "certificate not trusted (not signed by the key of the issuer it names)".to_owned(),
            );
        }
        refusal
    }
}

fn at(seconds: i64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
}

impl ServerCertVerifier for Verify {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        let refusal = match &self.webpki {
            Some(webpki) => match webpki.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                Ok(verified) => return Ok(verified),
                Err(refusal) => refusal,
            },
            None => TlsError::InvalidCertificate(CertificateError::UnknownIssuer),
        };
        if self
            .listed
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            return Verify::as_itself(end_entity, server_name, now);
        }
        Err(self.explain(refusal, end_entity, intermediates))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        // Only a listed certificate, trusted as itself, can be version 1 here.
        if shared::x509::is_version_1(cert) {
            return crate::version1::verify_signature(message, cert, dss, &self.algorithms, false);
        }
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        if shared::x509::is_version_1(cert) {
            return crate::version1::verify_signature(message, cert, dss, &self.algorithms, true);
        }
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `--insecure`: any certificate is accepted, and the handshake signatures are
/// not checked either. Checking them only proves that the peer holds the key
/// of the certificate it shows, and with any certificate accepted that proves
/// nothing: whoever sits in the middle shows a certificate of his own, made
/// with his own key. The check cost a quarter of an `https -k` run (an ECDSA
/// verification). The schemes offered are still the provider's, so the
/// handshake negotiates as with verification.
#[derive(Debug)]
struct AcceptAny(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_names_lose_their_wrapping() {
        assert_eq!(unwrap_name("DnsName(\"a.example\")"), "a.example");
        assert_eq!(unwrap_name("IpAddress(0::1)"), "::1");
        assert_eq!(unwrap_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(unwrap_name("plain"), "plain");
    }

    #[test]
    fn failures_read_plainly() {
        let unknown = TlsError::InvalidCertificate(CertificateError::UnknownIssuer);
        assert_eq!(
            describe(&unknown, "h"),
            "certificate not trusted (unknown issuer)"
        );
        let expired = TlsError::InvalidCertificate(CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(Duration::from_secs(2_000_000_000)),
            not_after: UnixTime::since_unix_epoch(Duration::from_secs(951_825_600)),
        });
        assert_eq!(
            describe(&expired, "h"),
            "certificate expired on 2000-02-29 12:00 UTC"
        );
        let name = TlsError::InvalidCertificate(CertificateError::NotValidForName);
        assert_eq!(
            describe(&name, "h.example"),
            "certificate not valid for h.example"
        );
    }
}
