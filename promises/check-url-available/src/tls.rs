//! TLS settings: what to trust, which client certificate to present, and how
//! TLS failures read in the report line.
//!
//! We build the rustls configuration ourselves instead of going through ureq's
//! `TlsConfig`: ureq panics on a certificate/key pair that does not match (we
//! build with `panic = "abort"`), and its connector hides the server's
//! certificate, which `--cert-min-days` needs. Nothing here runs for a plain
//! http:// check unless a file option was given, and the webpki roots are only
//! copied when they are the ones that verify.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_name};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct};
use rustls::{Error as TlsError, RootCertStore, SignatureScheme};
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
            Some((cert, key)) => Some((certificates(cert, stage)?, private_key(key, stage)?)),
            None => None,
        };
        let config = build(tls.insecure, roots, client).map_err(|e| match (&plan.client, e) {
            (Some((cert, key)), TlsError::InconsistentKeys(_)) => key.invalid(format_args!(
                "does not match the certificate in --cert-file {}",
                cert.shown
            )),
            (Some((_, key)), e) => {
                key.invalid(format_args!("cannot be used: {}", describe(&e, "")))
            }
            (None, e) => format!("cannot set up TLS: {}", describe(&e, "")),
        })?;
        let _ = tls.config.set(Arc::new(config));
        Ok(tls)
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

type ClientIdentity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// The trust anchors of `--ca-cert-file`, and its certificates as they are.
type CaRoots = (RootCertStore, Vec<CertificateDer<'static>>);

fn build(
    insecure: bool,
    roots: Option<CaRoots>,
    client: Option<ClientIdentity>,
) -> Result<ClientConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = match (insecure, roots) {
        (true, _) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(algorithms))),
        (false, Some((store, listed))) => {
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
                .build()
                .map_err(|e| TlsError::General(e.to_string()))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(CaFile { webpki, listed }))
        }
        (false, None) => builder.with_root_certificates(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        }),
    };
    match client {
        Some((chain, key)) => builder.with_client_auth_cert(chain, key),
        None => Ok(builder.with_no_client_auth()),
    }
}

fn load_roots(file: &FileArg, stage: Stage<'_>) -> Result<CaRoots, String> {
    let listed = certificates(file, stage)?;
    let mut store = RootCertStore::empty();
    for (i, cert) in listed.iter().enumerate() {
        store.add(cert.clone()).map_err(|e| {
            file.invalid(format_args!(
                "holds a certificate (number {}) that cannot be a trust anchor: {}",
                i + 1,
                describe(&e, "")
            ))
        })?;
    }
    Ok((store, listed))
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

/// `--ca-cert-file`: webpki against the certificates of the file; and a server
/// certificate that the file holds itself is trusted as it is, as OpenSSL
/// trusts a self-signed certificate of its store (`openssl req -x509` marks
/// them as CAs, which webpki refuses as server certificates). Its name and
/// dates are still checked, and the handshake signatures always are.
#[derive(Debug)]
struct CaFile {
    webpki: Arc<WebPkiServerVerifier>,
    listed: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for CaFile {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        let refused = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => return Ok(verified),
            Err(refused) => refused,
        };
        if !self
            .listed
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            return Err(refused);
        }
        verify_server_name(&ParsedCertificate::try_from(end_entity)?, server_name)?;
        let (not_before, not_after) = shared::x509::validity(end_entity)
            .ok_or(TlsError::InvalidCertificate(CertificateError::BadEncoding))?;
        let at = |seconds: i64| {
            UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
        };
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
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
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
