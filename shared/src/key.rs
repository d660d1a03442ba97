//! Whether a private key belongs to a certificate, told from the key's DER
//! and the certificate's subjectPublicKeyInfo.
//!
//! Loading the key through a TLS provider would refuse what it cannot sign
//! with (RSA-1024, RSA-8192, P-521, secp256k1, Ed448, RSA-PSS, SEC1 without
//! its public key), where OpenSSL, which the plugins we replace use, matches
//! them all. So the public half is read from the key itself (RSA modulus and
//! exponent, an EC key's or a PKCS#8 v2 key's stored public key) and compared
//! with the certificate's; only an EC or Ed25519 key saved without its public
//! key needs ring, which tells whether the private key yields the
//! certificate's public key on the curves it knows. A key we cannot judge is
//! said to be such: never taken as a match.

use rustls::pki_types::PrivateKeyDer;

use crate::x509::element;

/// Why a private key is not shown to belong to a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMismatch {
    /// The key's public half is not the certificate's.
    Differs,
    /// The match cannot be told; what follows the file's name in a line,
    /// such as `is an Ed448 key, which cannot be matched here`.
    Unmatchable(String),
}

/// Checks that `key` is the private key of the DER certificate `leaf`.
///
/// # Errors
/// [`KeyMismatch`]: another certificate's key, or one that cannot be told.
pub fn match_key(leaf: &[u8], key: &PrivateKeyDer<'_>) -> Result<(), KeyMismatch> {
    let unreadable = || KeyMismatch::Unmatchable("cannot be read as a private key".into());
    let material = match key {
        PrivateKeyDer::Pkcs1(der) => rsa(der.secret_pkcs1_der()).ok_or_else(unreadable)?,
        PrivateKeyDer::Sec1(der) => sec1(der.secret_sec1_der(), None).ok_or_else(unreadable)?,
        PrivateKeyDer::Pkcs8(der) => pkcs8(der.secret_pkcs8_der()).ok_or_else(unreadable)?,
        _ => return Err(unreadable()),
    };
    let spki = Spki::read(leaf).ok_or_else(|| {
        KeyMismatch::Unmatchable(
            "cannot be matched: the certificate's public key cannot be read".into(),
        )
    })?;
    material.against(&spki)
}

/// What a private key tells of its public half.
enum Material<'a> {
    Rsa {
        modulus: &'a [u8],
        exponent: &'a [u8],
    },
    Ec {
        curve: Option<&'a [u8]>,
        private: &'a [u8],
        public: Option<&'a [u8]>,
    },
    Ed25519 {
        seed: &'a [u8],
        public: Option<&'a [u8]>,
    },
    /// Another algorithm: its name, or its public key when PKCS#8 v2 holds it.
    Other {
        name: &'static str,
        public: Option<&'a [u8]>,
    },
}

/// A certificate's subjectPublicKeyInfo, taken apart.
struct Spki<'a> {
    algorithm: &'a [u8],
    parameters: &'a [u8],
    /// The subjectPublicKey BIT STRING's bits.
    key: &'a [u8],
}

impl Spki<'_> {
    fn read(leaf: &[u8]) -> Option<Spki<'_>> {
        let (identifier, key) = crate::x509::public_key_parts(leaf)?;
        let (algorithm, parameters) = element(identifier, OID)?;
        Some(Spki {
            algorithm,
            parameters,
            key,
        })
    }
}

impl Material<'_> {
    fn against(&self, spki: &Spki<'_>) -> Result<(), KeyMismatch> {
        let same = |yes: bool| {
            if yes {
                Ok(())
            } else {
                Err(KeyMismatch::Differs)
            }
        };
        match *self {
            Material::Rsa { modulus, exponent } => {
                if spki.algorithm != OID_RSA && spki.algorithm != OID_RSA_PSS {
                    return Err(KeyMismatch::Differs);
                }
                let listed = element(spki.key, SEQUENCE).and_then(|(fields, _)| {
                    let (n, rest) = element(fields, INTEGER)?;
                    Some((n, element(rest, INTEGER)?.0))
                });
                same(listed == Some((modulus, exponent)))
            }
            Material::Ec {
                curve,
                private,
                public,
            } => {
                let listed_curve = element(spki.parameters, OID).map(|(oid, _)| oid);
                if spki.algorithm != OID_EC || listed_curve.is_none() {
                    return Err(KeyMismatch::Differs);
                }
                if curve.is_some_and(|curve| Some(curve) != listed_curve) {
                    return Err(KeyMismatch::Differs);
                }
                if let Some(public) = public {
                    return same(public == spki.key);
                }
                let curve = curve.or(listed_curve).unwrap_or_default();
                let algorithm = match curve {
                    OID_P256 => &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                    OID_P384 => &ring::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                    _ => {
                        return Err(KeyMismatch::Unmatchable(format!(
                            "is {} saved without its public key, which cannot be matched here",
                            ec_name(Some(curve))
                        )));
                    }
                };
                let rng = ring::rand::SystemRandom::new();
                same(
                    ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
                        algorithm, private, spki.key, &rng,
                    )
                    .is_ok(),
                )
            }
            Material::Ed25519 { seed, public } => {
                if spki.algorithm != OID_ED25519 {
                    return Err(KeyMismatch::Differs);
                }
                if let Some(public) = public {
                    return same(public == spki.key);
                }
                same(
                    ring::signature::Ed25519KeyPair::from_seed_and_public_key(seed, spki.key)
                        .is_ok(),
                )
            }
            Material::Other {
                public: Some(public),
                ..
            } => same(public == spki.key),
            Material::Other { name, public: None } => Err(KeyMismatch::Unmatchable(format!(
                "is {name}, which cannot be matched here"
            ))),
        }
    }
}

/// PKCS#1 RSAPrivateKey: version, modulus, publicExponent, ...
fn rsa(der: &[u8]) -> Option<Material<'_>> {
    let (fields, _) = element(der, SEQUENCE)?;
    let rest = element(fields, INTEGER)?.1;
    let (modulus, rest) = element(rest, INTEGER)?;
    let (exponent, _) = element(rest, INTEGER)?;
    Some(Material::Rsa { modulus, exponent })
}

/// SEC1 ECPrivateKey (RFC 5915): version, privateKey, `[0]` curve, `[1]`
/// publicKey; `curve` from PKCS#8's algorithm when the key omits its own.
fn sec1<'a>(der: &'a [u8], curve: Option<&'a [u8]>) -> Option<Material<'a>> {
    let (fields, _) = element(der, SEQUENCE)?;
    let rest = element(fields, INTEGER)?.1;
    let (private, mut rest) = element(rest, OCTET_STRING)?;
    let (mut curve, mut public) = (curve, None);
    while let Some(&tag) = rest.first() {
        let (content, after) = element(rest, tag)?;
        rest = after;
        match tag {
            0xA0 => curve = curve.or(Some(element(content, OID)?.0)),
            0xA1 => public = Some(bits(element(content, BIT_STRING)?.0)?),
            _ => {}
        }
    }
    Some(Material::Ec {
        curve,
        private,
        public,
    })
}

/// PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5958): version, algorithm,
/// privateKey, `[0]` attributes, `[1]` publicKey (version 2).
fn pkcs8(der: &[u8]) -> Option<Material<'_>> {
    let (fields, _) = element(der, SEQUENCE)?;
    let rest = element(fields, INTEGER)?.1;
    let (identifier, rest) = element(rest, SEQUENCE)?;
    let (algorithm, parameters) = element(identifier, OID)?;
    let (private, mut rest) = element(rest, OCTET_STRING)?;
    let mut public = None;
    while let Some(&tag) = rest.first() {
        let (content, after) = element(rest, tag)?;
        rest = after;
        if tag == 0x81 {
            public = Some(bits(content)?);
        }
    }
    Some(match algorithm {
        OID_RSA | OID_RSA_PSS => rsa(private)?,
        OID_EC => {
            let curve = element(parameters, OID).map(|(oid, _)| oid);
            match sec1(private, curve)? {
                Material::Ec {
                    curve,
                    private,
                    public: own,
                } => Material::Ec {
                    curve,
                    private,
                    public: own.or(public),
                },
                other => other,
            }
        }
        OID_ED25519 => Material::Ed25519 {
            seed: element(private, OCTET_STRING)?.0,
            public,
        },
        OID_ED448 => Material::Other {
            name: "an Ed448 key",
            public,
        },
        OID_X25519 | OID_X448 => Material::Other {
            name: "a key-agreement key (X25519 or X448), not a signing key",
            public,
        },
        OID_DSA => Material::Other {
            name: "a DSA key",
            public,
        },
        _ => Material::Other {
            name: "a key of an unknown algorithm",
            public,
        },
    })
}

/// A BIT STRING's bits, whole bytes only.
fn bits(content: &[u8]) -> Option<&[u8]> {
    match content.split_first()? {
        (0, bits) => Some(bits),
        _ => None,
    }
}

/// `a P-521 key`, for lines.
fn ec_name(curve: Option<&[u8]>) -> &'static str {
    match curve {
        Some(OID_P256) => "a P-256 key",
        Some(OID_P384) => "a P-384 key",
        Some(OID_P521) => "a P-521 key",
        Some(OID_SECP256K1) => "a secp256k1 key",
        _ => "an EC key of an unknown curve",
    }
}

const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const SEQUENCE: u8 = 0x30;
/// 1.2.840.113549.1.1.1.
const OID_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
/// 1.2.840.113549.1.1.10.
const OID_RSA_PSS: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A];
/// 1.2.840.10045.2.1.
const OID_EC: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
/// 1.2.840.10045.3.1.7.
const OID_P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
/// 1.3.132.0.34.
const OID_P384: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];
/// 1.3.132.0.35.
const OID_P521: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x23];
/// 1.3.132.0.10.
const OID_SECP256K1: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x0A];
/// 1.3.101.110 and 1.3.101.111.
const OID_X25519: &[u8] = &[0x2B, 0x65, 0x6E];
const OID_X448: &[u8] = &[0x2B, 0x65, 0x6F];
/// 1.3.101.112.
const OID_ED25519: &[u8] = &[0x2B, 0x65, 0x70];
/// 1.3.101.113.
const OID_ED448: &[u8] = &[0x2B, 0x65, 0x71];
/// 1.2.840.10040.4.1.
const OID_DSA: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x38, 0x04, 0x01];

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::pem::PemObject;

    fn pair(algorithm: &'static rcgen::SignatureAlgorithm) -> (Vec<u8>, PrivateKeyDer<'static>) {
        let key = rcgen::KeyPair::generate_for(algorithm).unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        let cert = params.self_signed(&key).unwrap().der().to_vec();
        let der = PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes()).unwrap();
        (cert, der)
    }

    #[test]
    fn keys_match_their_certificates_only() {
        let algorithms = [
            &rcgen::PKCS_ECDSA_P256_SHA256,
            &rcgen::PKCS_ECDSA_P384_SHA384,
            &rcgen::PKCS_ED25519,
        ];
        let pairs: Vec<_> = algorithms.iter().map(|a| pair(a)).collect();
        for (i, (cert, _)) in pairs.iter().enumerate() {
            for (j, (_, key)) in pairs.iter().enumerate() {
                let expected = if i == j {
                    Ok(())
                } else {
                    Err(KeyMismatch::Differs)
                };
                assert_eq!(match_key(cert, key), expected, "{i} {j}");
            }
        }
        let other = pair(&rcgen::PKCS_ECDSA_P256_SHA256);
        assert_eq!(match_key(&pairs[0].0, &other.1), Err(KeyMismatch::Differs));
    }

    #[test]
    fn garbage_is_never_a_match() {
        let (cert, key) = pair(&rcgen::PKCS_ECDSA_P256_SHA256);
        let junk = PrivateKeyDer::Pkcs8(vec![0x30, 0x00].into());
        assert!(matches!(
            match_key(&cert, &junk),
            Err(KeyMismatch::Unmatchable(_))
        ));
        assert!(matches!(
            match_key(b"not a certificate", &key),
            Err(KeyMismatch::Unmatchable(_))
        ));
    }
}
