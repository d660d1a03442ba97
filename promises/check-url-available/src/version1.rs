//! A pinned X.509 version 1 server certificate: a certificate of
//! `--ca-cert-file` that the server presents byte for byte is trusted as
//! itself, and curl (OpenSSL) accepts a version 1 one there. webpki refuses to
//! parse version 1, so for it the name is checked against its subject's
//! commonName (its only name, as OpenSSL and curl read it) and the handshake
//! signature is verified with its public key as read by `shared::x509`.

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer};
use rustls::{CertificateError, DigitallySignedStruct, Error as TlsError};

/// Whether the server `name` is the certificate's commonName: a DNS name
/// compared without case (a leading `*.` standing for one label), an IP
/// address as an address.
pub fn verify_name(end_entity: &CertificateDer<'_>, name: &ServerName<'_>) -> Result<(), TlsError> {
    let common = shared::x509::common_name(end_entity)
        .and_then(|cn| std::str::from_utf8(cn).ok())
        .unwrap_or_default();
    let matches = match name {
        ServerName::DnsName(dns) => dns_matches(common, dns.as_ref()),
        ServerName::IpAddress(ip) => {
            common.parse::<std::net::IpAddr>().ok() == Some(std::net::IpAddr::from(*ip))
        }
        _ => false,
    };
    if matches {
        return Ok(());
    }
    Err(TlsError::InvalidCertificate(
        CertificateError::NotValidForNameContext {
            expected: name.to_owned(),
            presented: if common.is_empty() {
                Vec::new()
            } else {
                vec![common.to_owned()]
            },
        },
    ))
}

fn dns_matches(pattern: &str, host: &str) -> bool {
    let (pattern, host) = (pattern.trim_end_matches('.'), host.trim_end_matches('.'));
    if pattern.eq_ignore_ascii_case(host) {
        return true;
    }
    match (pattern.strip_prefix("*."), host.split_once('.')) {
        (Some(rest), Some((label, domain))) => {
            !label.is_empty() && rest.contains('.') && rest.eq_ignore_ascii_case(domain)
        }
        _ => false,
    }
}

/// The handshake signature `dss` over `message`, verified with the
/// certificate's public key: as rustls verifies a raw public key's in TLS 1.3,
/// by the provider's algorithms for the scheme and the key in TLS 1.2.
pub fn verify_signature(
    message: &[u8],
    end_entity: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    algorithms: &WebPkiSupportedAlgorithms,
    tls13: bool,
) -> Result<HandshakeSignatureValid, TlsError> {
    let unreadable = TlsError::InvalidCertificate(CertificateError::BadEncoding);
    if tls13 {
        let spki = shared::x509::public_key_info(end_entity).ok_or(unreadable)?;
        return rustls::crypto::verify_tls13_signature_with_raw_key(
            message,
            &SubjectPublicKeyInfoDer::from(spki),
            dss,
            algorithms,
        );
    }
    let (identifier, key) = shared::x509::public_key_parts(end_entity).ok_or(unreadable)?;
    let candidates = algorithms
        .mapping
        .iter()
        .filter(|(scheme, _)| *scheme == dss.scheme)
        .flat_map(|(_, algs)| algs.iter())
        .filter(|alg| alg.public_key_alg_id().as_ref() == identifier);
    for alg in candidates {
        if alg.verify_signature(key, message, dss.signature()).is_ok() {
            return Ok(HandshakeSignatureValid::assertion());
        }
    }
    Err(TlsError::InvalidCertificate(CertificateError::BadSignature))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_as_curl_matches_a_common_name() {
        assert!(dns_matches("Example.org", "example.ORG."));
        assert!(dns_matches("*.example.org", "www.example.org"));
        assert!(!dns_matches("*.example.org", "example.org"));
        assert!(!dns_matches("*.example.org", "a.b.example.org"));
        assert!(!dns_matches("*.org", "example.org"));
        assert!(!dns_matches("example.org", "other.org"));
    }
}
