//! What an X.509 certificate says of its own lifetime (`notBefore`, `notAfter`),
//! read without a full parser: check-url-available's `--cert-min-days` and the
//! checks of certificate files need the dates, which rustls does not expose.
//!
//! It also reads what check-url-available needs to decide what a certificate
//! of `--ca-cert-file` may vouch for (basicConstraints, keyUsage,
//! extendedKeyUsage), which names are its issuer's and its own, and its public
//! key (a client certificate's key is matched without webpki, which refuses
//! version 1 certificates).
//!
//! A full X.509 parser would cost each binary far more than this walk over a
//! few DER elements: x509-parser (with its nom and der-parser) measured +110 KiB
//! on the static check-url-available. Anything unexpected yields `None`, never
//! a panic.

/// `notAfter` of a DER certificate, in seconds since the Unix epoch.
#[must_use]
pub fn not_after(der: &[u8]) -> Option<i64> {
    validity(der).map(|(_, not_after)| not_after)
}

/// `notBefore` and `notAfter` of a DER certificate, in seconds since the Unix epoch.
#[must_use]
pub fn validity(der: &[u8]) -> Option<(i64, i64)> {
    let head = head(der)?;
    let (not_before, rest) = time(head.validity)?;
    let (not_after, _) = time(rest)?;
    Some((not_before, not_after))
}

/// The start of a DER certificate's `tbsCertificate`, up to its validity: all
/// the dates need, so that a certificate whose later fields are unreadable
/// still has dates.
struct Head<'a> {
    /// The issuer's name, the whole element.
    issuer: &'a [u8],
    /// The content of `validity`.
    validity: &'a [u8],
    /// What follows `validity`: subject, key, extensions.
    rest: &'a [u8],
}

fn head(der: &[u8]) -> Option<Head<'_>> {
    let (certificate, _) = element(der, SEQUENCE)?;
    let (tbs, _) = element(certificate, SEQUENCE)?;
    let mut rest = tbs;
    if rest.first() == Some(&VERSION) {
        rest = element(rest, VERSION)?.1;
    }
    let rest = element(rest, INTEGER)?.1; // serialNumber
    let rest = element(rest, SEQUENCE)?.1; // signature
    let (issuer, rest) = whole(rest, SEQUENCE)?;
    let (validity, rest) = element(rest, SEQUENCE)?;
    Some(Head {
        issuer,
        validity,
        rest,
    })
}

/// A UTCTime or GeneralizedTime element, and what follows it.
fn time(input: &[u8]) -> Option<(i64, &[u8])> {
    match *input.first()? {
        UTC_TIME => {
            let (content, rest) = element(input, UTC_TIME)?;
            Some((utc_time(content)?, rest))
        }
        _ => {
            let (content, rest) = element(input, GENERALIZED_TIME)?;
            Some((generalized_time(content)?, rest))
        }
    }
}

const INTEGER: u8 = 0x02;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
/// `[0] EXPLICIT Version`.
const VERSION: u8 = 0xA0;

/// The content of the element with `tag` at the start of `input`, and what follows it.
pub(crate) fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = input.split_first()?;
    if first != tag {
        return None;
    }
    let (&length, mut rest) = rest.split_first()?;
    let length = if length < 0x80 {
        usize::from(length)
    } else {
        let count = usize::from(length & 0x7F);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, after) = rest.split_at(count);
        rest = after;
        bytes.iter().fold(0usize, |n, &b| (n << 8) | usize::from(b))
    };
    (rest.len() >= length).then(|| rest.split_at(length))
}

/// `YYMMDDHHMMSSZ`; years 50 to 99 are 19xx (RFC 5280 §4.1.2.5.1).
fn utc_time(text: &[u8]) -> Option<i64> {
    let [digits @ .., b'Z'] = text else {
        return None;
    };
    if digits.len() != 12 {
        return None;
    }
    let year = number(&digits[..2])?;
    let century = if year >= 50 { 1900 } else { 2000 };
    seconds(century + year, &digits[2..])
}

/// `YYYYMMDDHHMMSSZ`.
fn generalized_time(text: &[u8]) -> Option<i64> {
    let [digits @ .., b'Z'] = text else {
        return None;
    };
    if digits.len() != 14 {
        return None;
    }
    seconds(number(&digits[..4])?, &digits[4..])
}

/// Seconds since the epoch for `year` and `MMDDHHMMSS`.
fn seconds(year: i64, rest: &[u8]) -> Option<i64> {
    let field = |i: usize| number(&rest[i..i + 2]);
    let (month, day) = (field(0)?, field(2)?);
    let (hour, minute, second) = (field(4)?, field(6)?, field(8)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

fn number(digits: &[u8]) -> Option<i64> {
    digits.iter().try_fold(0i64, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `2026-11-28 10:00 UTC` for seconds since the epoch.
#[must_use]
pub fn format_utc(seconds: i64) -> String {
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let in_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        in_day / 3600,
        in_day % 3600 / 60
    )
}

/// The parts of a DER certificate's `tbsCertificate`, each as a whole element
/// (tag and length included), so that names compare byte for byte.
struct Tbs<'a> {
    issuer: &'a [u8],
    subject: &'a [u8],
    public_key: &'a [u8],
    /// The content of `[3] EXPLICIT Extensions`; `None` without (version 1).
    extensions: Option<&'a [u8]>,
}

fn tbs(der: &[u8]) -> Option<Tbs<'_>> {
    let Head { issuer, rest, .. } = head(der)?;
    let (subject, rest) = whole(rest, SEQUENCE)?;
    let (public_key, mut rest) = whole(rest, SEQUENCE)?;
    let mut extensions = None;
    while let Some(&tag) = rest.first() {
        let (content, after) = element(rest, tag)?;
        if tag == EXTENSIONS {
            extensions = Some(element(content, SEQUENCE)?.0);
        }
        rest = after;
    }
    Some(Tbs {
        issuer,
        subject,
        public_key,
        extensions,
    })
}

/// The element with `tag` at the start of `input`, tag and length included,
/// and what follows it.
pub(crate) fn whole(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (_, rest) = element(input, tag)?;
    let used = input.len() - rest.len();
    Some((&input[..used], rest))
}

/// The value (the content of its OCTET STRING) of the extension `oid`.
fn extension<'a>(der: &'a [u8], oid: &[u8]) -> Option<&'a [u8]> {
    let mut list = tbs(der)?.extensions?;
    while !list.is_empty() {
        let (entry, rest) = element(list, SEQUENCE)?;
        list = rest;
        let (id, mut fields) = element(entry, OID)?;
        if fields.first() == Some(&BOOLEAN) {
            fields = element(fields, BOOLEAN)?.1; // critical
        }
        if id == oid {
            return Some(element(fields, OCTET_STRING)?.0);
        }
    }
    None
}

/// `subjectPublicKeyInfo`, the whole element: what a private key's public half
/// is compared with.
#[must_use]
pub fn public_key_info(der: &[u8]) -> Option<&[u8]> {
    tbs(der).map(|tbs| tbs.public_key)
}

/// subjectPublicKeyInfo taken apart: the content of its AlgorithmIdentifier
/// (the algorithm's OID and parameters, as webpki's algorithms name theirs)
/// and the subjectPublicKey's bits.
#[must_use]
pub fn public_key_parts(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (info, _) = element(public_key_info(der)?, SEQUENCE)?;
    let (identifier, rest) = element(info, SEQUENCE)?;
    let (bits, _) = element(rest, BIT_STRING)?;
    match bits.split_first()? {
        (0, key) => Some((identifier, key)),
        _ => None,
    }
}

/// Whether this is an X.509 version 1 certificate (no version field, no
/// extensions): webpki refuses to parse those.
#[must_use]
pub fn is_version_1(der: &[u8]) -> bool {
    element(der, SEQUENCE)
        .and_then(|(certificate, _)| element(certificate, SEQUENCE))
        .is_some_and(|(tbs, _)| tbs.first() == Some(&INTEGER))
        && tbs(der).is_some()
}

/// The last commonName of the subject (the most specific one), as its bytes:
/// the only name a version 1 certificate has.
#[must_use]
pub fn common_name(der: &[u8]) -> Option<&[u8]> {
    let (mut name, _) = element(subject(der)?, SEQUENCE)?;
    let mut found = None;
    while !name.is_empty() {
        let (set, rest) = element(name, SET)?;
        name = rest;
        let mut set = set;
        while !set.is_empty() {
            let (attribute, rest) = element(set, SEQUENCE)?;
            set = rest;
            let (id, value) = element(attribute, OID)?;
            if id == OID_COMMON_NAME {
                let tag = *value.first()?;
                found = Some(element(value, tag)?.0);
            }
        }
    }
    found
}

/// Whether the certificate names itself as its issuer (self-issued, as every
/// self-signed certificate is), byte for byte.
#[must_use]
pub fn is_self_issued(der: &[u8]) -> bool {
    tbs(der).is_some_and(|tbs| tbs.issuer == tbs.subject)
}

/// The issuer's name, the whole element.
#[must_use]
pub fn issuer(der: &[u8]) -> Option<&[u8]> {
    tbs(der).map(|tbs| tbs.issuer)
}

/// The subject's name, the whole element.
#[must_use]
pub fn subject(der: &[u8]) -> Option<&[u8]> {
    tbs(der).map(|tbs| tbs.subject)
}

/// basicConstraints `cA` (RFC 5280 §4.2.1.9): `false` when absent.
#[must_use]
pub fn is_ca(der: &[u8]) -> bool {
    let Some(value) = extension(der, OID_BASIC_CONSTRAINTS) else {
        return false;
    };
    element(value, SEQUENCE)
        .and_then(|(fields, _)| element(fields, BOOLEAN))
        .is_some_and(|(flag, _)| flag.iter().any(|&b| b != 0))
}

/// keyUsage `keyCertSign` (RFC 5280 §4.2.1.3): `None` when the extension is
/// absent (any use allowed), else whether the bit is set.
#[must_use]
pub fn may_sign_certificates(der: &[u8]) -> Option<bool> {
    let value = extension(der, OID_KEY_USAGE)?;
    // BIT STRING: unused-bit count, then bits from the most significant;
    // keyCertSign is bit 5.
    let (bits, _) = element(value, BIT_STRING)?;
    Some(bits.get(1).is_some_and(|byte| byte & 0x04 != 0))
}

/// extendedKeyUsage `serverAuth` (RFC 5280 §4.2.1.12): `None` when the
/// extension is absent (any use allowed), else whether it is listed.
#[must_use]
pub fn allows_server_auth(der: &[u8]) -> Option<bool> {
    let value = extension(der, OID_EXTENDED_KEY_USAGE)?;
    let (mut list, _) = element(value, SEQUENCE)?;
    while !list.is_empty() {
        let (purpose, rest) = element(list, OID)?;
        if purpose == OID_SERVER_AUTH {
            return Some(true);
        }
        list = rest;
    }
    Some(false)
}

const BOOLEAN: u8 = 0x01;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
/// `[3] EXPLICIT Extensions`.
const EXTENSIONS: u8 = 0xA3;
/// 2.5.4.3.
const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
/// 2.5.29.19.
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1D, 0x13];
/// 2.5.29.15.
const OID_KEY_USAGE: &[u8] = &[0x55, 0x1D, 0x0F];
/// 2.5.29.37.
const OID_EXTENDED_KEY_USAGE: &[u8] = &[0x55, 0x1D, 0x25];
/// 1.3.6.1.5.5.7.3.1.
const OID_SERVER_AUTH: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn certificate(year: i32, month: u8, day: u8) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.not_before = rcgen::date_time_ymd(1990, 1, 1);
        params.not_after = rcgen::date_time_ymd(year, month, day);
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn not_after_of_real_certificates() {
        // rcgen writes UTCTime up to 2049 and GeneralizedTime from 2050.
        for (year, month, day, expected) in [
            (2030, 1, 2, 1_893_542_400),
            (2049, 12, 31, 2_524_521_600),
            (2050, 1, 1, 2_524_608_000),
            (1999, 3, 4, 920_505_600),
        ] {
            let der = certificate(year, month, day);
            assert_eq!(not_after(&der), Some(expected), "{year}-{month}-{day}");
            assert_eq!(validity(&der).map(|v| v.0), Some(631_152_000));
        }
    }

    #[test]
    fn times_in_both_encodings() {
        assert_eq!(utc_time(b"700101000000Z"), Some(0));
        assert_eq!(utc_time(b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(utc_time(b"500101000000Z"), Some(-631_152_000));
        assert_eq!(generalized_time(b"20000229120000Z"), Some(951_825_600));
        for bad in [
            &b"7001010000Z"[..],
            b"700101000000",
            b"701301000000Z",
            b"70010100006aZ",
        ] {
            assert_eq!(utc_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn dates_are_shown_in_utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_825_600), "2000-02-29 12:00 UTC");
        assert_eq!(format_utc(-1), "1969-12-31 23:59 UTC");
    }

    #[test]
    fn what_a_certificate_may_vouch_for() {
        use rcgen::PublicKeyData;
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        let leaf = params.self_signed(&key).unwrap().der().to_vec();
        assert!(!is_ca(&leaf));
        assert_eq!(may_sign_certificates(&leaf), None);
        assert_eq!(allows_server_auth(&leaf), None);
        assert!(is_self_issued(&leaf));
        assert!(!is_version_1(&leaf));
        let (_, bits) = public_key_parts(&leaf).unwrap();
        assert_eq!(bits, key.der_bytes());
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "first");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "o");
        let named = params.self_signed(&key).unwrap().der().to_vec();
        assert_eq!(common_name(&named), Some(&b"first"[..]));
        params.distinguished_name = rcgen::DistinguishedName::new();
        assert_eq!(issuer(&leaf), subject(&leaf));
        assert_eq!(
            public_key_info(&leaf),
            Some(&key.subject_public_key_info()[..])
        );
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let ca = params.self_signed(&key).unwrap().der().to_vec();
        assert!(is_ca(&ca));
        assert_eq!(may_sign_certificates(&ca), Some(false));
        assert_eq!(allows_server_auth(&ca), Some(false));
        params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let ca = params.self_signed(&key).unwrap().der().to_vec();
        assert_eq!(may_sign_certificates(&ca), Some(true));
        assert_eq!(allows_server_auth(&ca), Some(true));
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        assert!(!is_ca(params.self_signed(&key).unwrap().der()));
    }

    proptest! {
        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = not_after(&bytes);
        }

        #[test]
        fn never_panics_on_mangled_certificates(position in 0usize..400, value in any::<u8>()) {
            static DER: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
            let mut der = DER.get_or_init(|| certificate(2031, 5, 6)).clone();
            if let Some(byte) = der.get_mut(position) {
                *byte = value;
            }
            let _ = not_after(&der);
            let _ = (is_ca(&der), may_sign_certificates(&der), allows_server_auth(&der));
            let _ = (is_self_issued(&der), public_key_info(&der));
        }

        #[test]
        fn days_round_trip(days in -1_000_000i64..1_000_000) {
            let (year, month, day) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(year, month, day), days);
        }
    }
}
