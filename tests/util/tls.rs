//! Certificates made at test time (rcgen) and rustls server configurations for
//! the HTTPS test servers: CA-signed, self-signed, expiring soon, expired, and
//! servers that require a client certificate.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;

/// The names every server certificate holds: the loopback name and addresses.
pub const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// When a certificate is valid.
#[derive(Debug, Clone, Copy)]
pub enum Validity {
    /// From yesterday for a year.
    Year,
    /// From yesterday until this long from now.
    EndsIn(Duration),
    /// From ten days ago until yesterday.
    Expired,
    /// From 2030-01-01 00:00 UTC for a year: not valid yet.
    From2030,
}

/// A certificate and its private key, as PEM.
pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
}

/// A certificate authority that issues server and client certificates.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    /// A new CA named `name`.
    pub fn new(name: &str) -> Ca {
        Ca::valid(name, Validity::Year)
    }

    /// A new CA named `name`, valid as `validity` says.
    pub fn valid(name: &str, validity: Validity) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        set_validity(&mut params, validity);
        let key = KeyPair::generate().expect("CA key");
        Ca {
            issuer: CertifiedIssuer::self_signed(params, key).expect("CA certificate"),
        }
    }

    /// The CA certificate, PEM.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `names`.
    pub fn server(&self, names: &[&str], validity: Validity) -> Identity {
        self.issue(names, validity, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate named `name`.
    pub fn client(&self, name: &str) -> Identity {
        self.issue(&[name], Validity::Year, ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn issue(
        &self,
        names: &[&str],
        validity: Validity,
        usage: ExtendedKeyUsagePurpose,
    ) -> Identity {
        let mut params = leaf_params(names, validity);
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().expect("key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("signed certificate");
        Identity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// A self-signed server certificate for `names`.
pub fn self_signed(names: &[&str], validity: Validity) -> Identity {
    let params = leaf_params(names, validity);
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("self-signed certificate");
    Identity {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// A self-signed server certificate that is not a CA, whose key also signs
/// others: what a trust file pinning one service holds, and what an attacker
/// holding its key could make.
pub struct Pinned {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Pinned {
    /// A self-signed certificate for `names`, with these extended key usages.
    pub fn new(names: &[&str], usages: Vec<ExtendedKeyUsagePurpose>) -> Pinned {
        let mut params = leaf_params(names, Validity::Year);
        params.extended_key_usages = usages;
        let key = KeyPair::generate().expect("key");
        Pinned {
            issuer: CertifiedIssuer::self_signed(params, key).expect("self-signed certificate"),
        }
    }

    /// The certificate and its key.
    pub fn identity(&self) -> Identity {
        Identity {
            cert_pem: self.issuer.pem(),
            key_pem: self.issuer.key().serialize_pem(),
        }
    }

    /// A server certificate for `names` that its key signs.
    pub fn signed(&self, names: &[&str]) -> Identity {
        let params = leaf_params(names, Validity::Year);
        let key = KeyPair::generate().expect("key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("signed certificate");
        Identity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// Another self-signed certificate with the same key and subject (the
    /// first name), for `names`.
    pub fn same_key(&self, names: &[&str]) -> Identity {
        let params = leaf_params(names, Validity::Year);
        let cert = params
            .self_signed(self.issuer.key())
            .expect("self-signed certificate");
        Identity {
            cert_pem: cert.pem(),
            key_pem: self.issuer.key().serialize_pem(),
        }
    }
}

/// A self-signed certificate marked as a CA, as `openssl req -x509` makes them.
pub fn self_signed_ca(names: &[&str], validity: Validity) -> Identity {
    let mut params = leaf_params(names, validity);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("self-signed certificate");
    Identity {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

fn leaf_params(names: &[&str], validity: Validity) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names.clone()).expect("leaf params");
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().cloned().unwrap_or_default(),
    );
    set_validity(&mut params, validity);
    params
}

fn set_validity(params: &mut CertificateParams, validity: Validity) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    let day = Duration::from_secs(86_400);
    let (from, until) = match validity {
        Validity::Year => (now - day, now + 365 * day),
        Validity::EndsIn(left) => (now - day, now + left),
        Validity::Expired => (now - 10 * day, now - day),
        Validity::From2030 => (
            1_893_456_000 * Duration::from_secs(1),
            1_924_992_000 * Duration::from_secs(1),
        ),
    };
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    params.not_before = epoch + from;
    params.not_after = epoch + until;
}

/// A rustls server configuration presenting `identity`; with `client_ca`, the
/// server requires a client certificate issued by it.
pub fn server_config(identity: &Identity, client_ca: Option<&Ca>) -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("protocol versions");
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(ca.pem().as_bytes()) {
                roots.add(cert.expect("CA PEM")).expect("CA root");
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let chain = CertificateDer::pem_slice_iter(identity.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("certificate PEM");
    let key = PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes()).expect("key PEM");
    Arc::new(
        builder
            .with_single_cert(chain, key)
            .expect("server certificate"),
    )
}

/// Writes `content` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write PEM file");
    path
}
