//! check-certificate against certificate files made at test time: rcgen's
//! (ECDSA, PKCS#8) and openssl's (RSA, PKCS#1, as the plugin's tests make
//! them): valid, expiring, expired, not valid yet, key matching and not, key
//! and certificate in one file; the check_certificate plugin's cases re-expressed.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::util::tls::{self, Validity};
use crate::util::{run, run_in, temp_dir};

const BIN: &str = "check-certificate";
const DAY: Duration = Duration::from_secs(86_400);

/// Valid until `days` days and ten minutes from now: the days left read the
/// same whenever in those ten minutes the check runs.
fn ends_in(days: u32) -> Validity {
    Validity::EndsIn(days * DAY + Duration::from_secs(600))
}

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// A certificate valid until `left` from now, written with its key; returns
/// (certificate path, key path).
fn pair(dir: &Path, name: &str, validity: Validity) -> (String, String) {
    let identity = tls::self_signed(&["localhost"], validity);
    let cert = tls::write(dir, &format!("{name}.crt"), &identity.cert_pem);
    let key = tls::write(dir, &format!("{name}.key"), &identity.key_pem);
    (s(&cert), s(&key))
}

/// The expiry date as the line shows it (`2026-12-07 10:00 UTC`), read from
/// the file here, independently of the binary.
fn shown_expiry(cert: &str) -> String {
    format_utc(dates(cert).1)
}

/// notBefore and notAfter of the first certificate of a PEM file: the first
/// two UTCTimes of its DER (rcgen writes UTCTime for dates before 2050).
fn dates(cert: &str) -> (i64, i64) {
    let pem = std::fs::read(cert).unwrap();
    let der = CertificateDer::from_pem_slice(&pem).unwrap();
    let times: Vec<i64> = der
        .windows(15)
        .filter(|w| w[0] == 0x17 && w[1] == 13 && w[14] == b'Z')
        .take(2)
        .map(|w| {
            let n = |i: usize| i64::from(w[2 + i] - b'0') * 10 + i64::from(w[3 + i] - b'0');
            days_from_civil(2000 + n(0), n(2), n(4)) * 86_400 + n(6) * 3600 + n(8) * 60 + n(10)
        })
        .collect();
    (times[0], times[1])
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// `YYYY-MM-DD HH:MM UTC`; the date found by counting days within the year.
fn format_utc(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let mut year = 1970;
    while days_from_civil(year + 1, 1, 1) <= days {
        year += 1;
    }
    let mut month = 1;
    while month < 12 && days_from_civil(year, month + 1, 1) <= days {
        month += 1;
    }
    let day = days - days_from_civil(year, month, 1) + 1;
    let in_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        in_day / 3600,
        in_day % 3600 / 60
    )
}

#[test]
fn valid_certificate_with_and_without_its_key() {
    let dir = temp_dir("cert-valid");
    let (cert, key) = pair(&dir, "server", ends_in(365));
    let expiry = shown_expiry(&cert);
    run(BIN, ["--cert-file", &cert]).expect(
        0,
        &format!("OK: {cert} expires in 365 days on {expiry} (at least 15 days expected)"),
    );
    run(BIN, ["--cert-file", &cert, "--key-file", &key]).expect(
        0,
        &format!(
            "OK: {cert} expires in 365 days on {expiry} (at least 15 days expected), key {key} matches"
        ),
    );
    run(BIN, ["--cert-file", &cert, "--perfdata"]).expect(
        0,
        &format!(
            "OK: {cert} expires in 365 days on {expiry} (at least 15 days expected) | cert_days=365;;15:;0"
        ),
    );
    run(BIN, ["--cert-file", &cert, "-q"]).expect_silent(0);
}

#[test]
fn expiring_within_days_is_critical() {
    let dir = temp_dir("cert-expiring");
    // The plugin's test_expires: 5 days left, 15 required.
    let (cert, key) = pair(&dir, "soon", ends_in(5));
    let expiry = shown_expiry(&cert);
    let expected =
        format!("CRITICAL: {cert} expires in 5 days on {expiry}, expected at least 15 days");
    run(BIN, ["--cert-file", &cert]).expect(2, &expected);
    run(BIN, ["--cert-file", &cert, "--key-file", &key]).expect(2, &expected);
    // test_expires_custom: 19 days left, 20 required.
    let (cert, _) = pair(&dir, "custom", ends_in(19));
    run(BIN, ["--cert-file", &cert, "--days", "20"]).expect_parts(
        2,
        &format!("CRITICAL: {cert} expires in 19 days on "),
        &[", expected at least 20 days"],
    );
    run(BIN, ["--cert-file", &cert, "--days=19"]).expect_parts(0, "OK: ", &[]);
    // Less than a day reads in hours.
    let (cert, _) = pair(
        &dir,
        "hours",
        Validity::EndsIn(Duration::from_secs(5 * 3600 + 600)),
    );
    run(BIN, ["--cert-file", &cert]).expect_parts(
        2,
        &format!("CRITICAL: {cert} expires in 5 h on "),
        &[],
    );
}

#[test]
fn warning_days_are_an_opt_in_soft_threshold() {
    let dir = temp_dir("cert-warning");
    let (cert, _) = pair(&dir, "w", ends_in(30));
    let expiry = shown_expiry(&cert);
    run(BIN, ["--cert-file", &cert, "--warning-days", "45", "--perfdata"]).expect(
        1,
        &format!("WARNING: {cert} expires in 30 days on {expiry}, expected at least 45 days | cert_days=30;45:;15:;0"),
    );
    run(BIN, ["--cert-file", &cert, "--warning-days", "30"]).expect_parts(0, "OK: ", &[]);
    run(
        BIN,
        ["--cert-file", &cert, "--days", "30", "--warning-days", "30"],
    )
    .expect(
        3,
        "UNKNOWN: --warning-days (30) must be more than --days (30)",
    );
}

#[test]
fn expired_and_not_yet_valid_are_critical() {
    let dir = temp_dir("cert-expired");
    let (cert, _) = pair(&dir, "old", Validity::Expired);
    let expiry = shown_expiry(&cert);
    run(BIN, ["--cert-file", &cert, "--days", "0"]).expect(
        2,
        &format!("CRITICAL: {cert} expired on {expiry} (1 day ago)"),
    );

    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    params.not_before = epoch + (now + 2 * DAY);
    params.not_after = epoch + (now + 400 * DAY);
    let key = rcgen::KeyPair::generate().unwrap();
    let future = tls::write(&dir, "future.crt", &params.self_signed(&key).unwrap().pem());
    let future = s(&future);
    let (not_before, _) = dates(&future);
    run(BIN, ["--cert-file", &future]).expect(
        2,
        &format!(
            "CRITICAL: {future} is not valid before {}",
            format_utc(not_before)
        ),
    );
}

#[test]
fn a_key_that_is_not_the_certificates_is_critical() {
    let dir = temp_dir("cert-mismatch");
    let (cert, _) = pair(&dir, "a", Validity::Year);
    let (_, other_key) = pair(&dir, "b", Validity::Year);
    run(BIN, ["--cert-file", &cert, "--key-file", &other_key]).expect(
        2,
        &format!("CRITICAL: --key-file {other_key} does not match the certificate in {cert}"),
    );
    // The plugin's test_no_key and test_no_certificate.
    let missing = s(&dir.join("nokey.pem"));
    run(BIN, ["--cert-file", &cert, "--key-file", &missing]).expect(
        2,
        &format!("CRITICAL: cannot read --key-file {missing}: no such file or directory"),
    );
    let missing = s(&dir.join("nocertificate.pem"));
    run(BIN, ["--cert-file", &missing, "--key-file", &other_key]).expect(
        2,
        &format!("CRITICAL: cannot read --cert-file {missing}: no such file or directory"),
    );
    // A key file given as the certificate, and garbage.
    run(BIN, ["--cert-file", &other_key]).expect(
        2,
        &format!("CRITICAL: --cert-file {other_key} holds no PEM certificate"),
    );
    let garbage = tls::write(
        &dir,
        "garbage.pem",
        "-----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----\n",
    );
    run(BIN, ["--cert-file", &s(&garbage)]).expect(
        2,
        &format!(
            "CRITICAL: --cert-file {} is not valid PEM: bad base64",
            s(&garbage)
        ),
    );
    run(BIN, ["--cert-file", &cert, "--key-file", &cert]).expect(
        2,
        &format!("CRITICAL: --key-file {cert} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)"),
    );
}

/// Runs `openssl ARGS` in `dir`: whether it succeeded.
fn openssl_in(dir: &Path, args: &[&str]) -> bool {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// The plugin's tests make RSA keys in PKCS#1 ("TraditionalOpenSSL") and,
/// in TestCheckCertificateSameFile, the key and the certificate in one file.
#[test]
fn openssl_rsa_pkcs1_and_one_file_for_both() {
    let dir = temp_dir("cert-openssl");
    let openssl = |args: &[&str]| openssl_in(&dir, args);
    if !openssl(&["genrsa", "-traditional", "-out", "key.pem", "2048"]) {
        crate::util::skip("openssl cannot make an RSA key here; PKCS#1 case not run");
        return;
    }
    assert!(openssl(&[
        "req",
        "-new",
        "-x509",
        "-key",
        "key.pem",
        "-days",
        "30",
        "-subj",
        "/C=FR/ST=Nord/L=Lille/O=Nexedi/CN=Common",
        "-out",
        "cert.pem",
    ]));
    assert!(openssl(&[
        "genrsa",
        "-traditional",
        "-out",
        "other.pem",
        "2048"
    ]));
    let key = std::fs::read_to_string(dir.join("key.pem")).unwrap();
    assert!(key.starts_with("-----BEGIN RSA PRIVATE KEY-----"), "{key}");
    let cert = std::fs::read_to_string(dir.join("cert.pem")).unwrap();
    let both = tls::write(&dir, "both.pem", &format!("{key}{cert}"));
    let both = s(&both);
    run_in(
        BIN,
        ["--cert-file", "cert.pem", "--key-file", "key.pem"],
        Some(&dir),
    )
    .expect_parts(0, "OK: cert.pem expires in ", &[", key key.pem matches"]);
    run(BIN, ["--cert-file", &both, "--key-file", &both]).expect_parts(
        0,
        &format!("OK: {both} expires in "),
        &[&format!(", key {both} matches")],
    );
    run_in(
        BIN,
        ["--cert-file", "cert.pem", "--key-file", "other.pem"],
        Some(&dir),
    )
    .expect(
        2,
        "CRITICAL: --key-file other.pem does not match the certificate in cert.pem",
    );
    // 30 days left: the plugin's own expiry cases with this certificate.
    run_in(BIN, ["--cert-file", "cert.pem", "--days", "31"], Some(&dir)).expect_parts(
        2,
        "CRITICAL: cert.pem expires in ",
        &[", expected at least 31 days"],
    );
}

#[test]
fn bad_usage_is_unknown() {
    run(BIN, Vec::<&str>::new()).expect(
        3,
        "UNKNOWN: Required options not provided: --cert-file (see --help)",
    );
    for (args, expected) in [
        (
            &["--cert-file", "c", "--days", "bad"][..],
            "UNKNOWN: Error parsing option '--days' with value 'bad': expected a number of days from 0 to 36500, got 'bad' (see --help)",
        ),
        (
            &["--cert-file", "c", "--days", "-1"],
            "UNKNOWN: Error parsing option '--days' with value '-1': expected a number of days from 0 to 36500, got '-1' (see --help)",
        ),
        (
            &["--cert-file", "c", "--days", "36501"],
            "UNKNOWN: Error parsing option '--days' with value '36501': expected a number of days from 0 to 36500, got '36501' (see --help)",
        ),
        (&["--cert-file", ""], "UNKNOWN: --cert-file needs a path"),
        (
            &["--cert-file", "c", "--key-file", ""],
            "UNKNOWN: --key-file needs a path",
        ),
    ] {
        run(BIN, args).expect(3, expected);
    }
    // A value is a value, whatever it looks like.
    let dir = temp_dir("cert-dash");
    pair(&dir, "--version", Validity::Year);
    run_in(BIN, ["--cert-file", "--version.crt"], Some(&dir)).expect_parts(
        0,
        "OK: --version.crt expires in ",
        &[],
    );
}

/// `--help` and `--version` are tests/conventions.rs's, for every promise.
#[test]
fn hostile_paths_end_in_one_line() {
    // Control characters in the path stay out of the one line.
    let dir = temp_dir("cert-hostile");
    let path = s(&dir.join("a\nb\u{1b}[31m.crt"));
    run(BIN, ["--cert-file", &path]).expect_parts(
        2,
        "CRITICAL: cannot read --cert-file ",
        &["a b [31m.crt"],
    );
    // A FIFO without a writer: the deadline ends the read.
    let fifo = dir.join("fifo.crt");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if made {
        let out = run(BIN, ["--cert-file", &s(&fifo), "--timeout", "0.5"]);
        out.expect_parts(2, &format!("CRITICAL: {} ", s(&fifo)), &["0.5 s"]);
    }
}

/// A version 1 certificate (what `openssl x509 -req` makes without
/// extensions; webpki refuses to parse it): its dates are read and its key
/// matched by our own X.509 reader.
#[test]
fn a_version_1_certificate_and_its_key() {
    let dir = temp_dir("cert-v1");
    let openssl = |args: &[&str]| openssl_in(&dir, args);
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut request = vec!["req", "-new", "-keyout", "v1.key", "-out", "v1.csr"];
    request.extend(ec);
    request.extend(["-subj", "/CN=v1"]);
    if !openssl(&request) {
        crate::util::skip("openssl cannot make an EC key here; version 1 case not run");
        return;
    }
    assert!(openssl(&[
        "x509", "-req", "-in", "v1.csr", "-signkey", "v1.key", "-days", "30", "-out", "v1.pem",
    ]));
    let text = Command::new("openssl")
        .args(["x509", "-in", "v1.pem", "-noout", "-text"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("Version: 1 (0x0)"),
        "not a version 1 certificate"
    );
    let other = tls::self_signed(&["other"], Validity::Year);
    let other_key = s(&tls::write(&dir, "other.key", &other.key_pem));
    let (cert, key) = (s(&dir.join("v1.pem")), s(&dir.join("v1.key")));
    run(BIN, ["--cert-file", &cert, "--key-file", &key]).expect_parts(
        0,
        &format!("OK: {cert} expires in "),
        &[&format!(", key {key} matches")],
    );
    run(BIN, ["--cert-file", &cert, "--key-file", &other_key]).expect(
        2,
        &format!("CRITICAL: --key-file {other_key} does not match the certificate in {cert}"),
    );
}

/// A key made by `openssl genpkey ARGS` into `NAME.key` and a self-signed
/// certificate of it into `NAME.crt`, in `dir`; `None` if this openssl cannot.
fn openssl_pair(dir: &Path, name: &str, genpkey: &[&str]) -> Option<(String, String)> {
    let key = format!("{name}.key");
    let cert = format!("{name}.crt");
    let mut args = vec!["genpkey", "-out", &key];
    args.extend(genpkey);
    if !openssl_in(dir, &args) {
        return None;
    }
    let made = openssl_in(
        dir,
        &[
            "req", "-new", "-x509", "-key", &key, "-days", "30", "-subj", "/CN=k", "-out", &cert,
        ],
    );
    assert!(made, "openssl req for {name}");
    Some((s(&dir.join(cert)), s(&dir.join(key))))
}

/// Keys OpenSSL (and so the check_certificate plugin) matches, which a TLS
/// provider would refuse to load: RSA-1024, RSA-4096 in PKCS#1, P-521, a
/// SEC1 key saved without its public key; each matches its certificate and
/// not another's.
#[test]
fn keys_of_every_kind_openssl_makes_are_matched() {
    let dir = temp_dir("cert-key-kinds");
    let rsa = |bits: &str| format!("rsa_keygen_bits:{bits}");
    let (rsa1024, rsa4096) = (rsa("1024"), rsa("4096"));
    let kinds: [(&str, Vec<&str>); 4] = [
        ("rsa1024", vec!["-algorithm", "RSA", "-pkeyopt", &rsa1024]),
        ("rsa4096", vec!["-algorithm", "RSA", "-pkeyopt", &rsa4096]),
        (
            "p521",
            vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
        ),
        (
            "p256",
            vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        ),
    ];
    let mut pairs = Vec::new();
    for (name, args) in &kinds {
        // make test installs openssl: a key it cannot make is a failure, not a skip.
        let pair = openssl_pair(&dir, name, args)
            .unwrap_or_else(|| panic!("openssl genpkey makes a {name} key"));
        pairs.push(pair);
    }
    // RSA-4096 in PKCS#1 ("traditional"): genpkey of OpenSSL 3.0 writes PKCS#8 only.
    assert!(openssl_in(
        &dir,
        &[
            "rsa",
            "-in",
            "rsa4096.key",
            "-traditional",
            "-out",
            "rsa4096.pkcs1"
        ]
    ));
    let pkcs1 = std::fs::read_to_string(dir.join("rsa4096.pkcs1")).unwrap();
    assert!(
        pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"),
        "{pkcs1}"
    );
    pairs[1].1 = s(&dir.join("rsa4096.pkcs1"));
    // The P-256 key again, as SEC1 without its public key: ring derives it.
    assert!(openssl_in(
        &dir,
        &["ec", "-in", "p256.key", "-no_public", "-out", "nopub.key"]
    ));
    let nopub = std::fs::read_to_string(dir.join("nopub.key")).unwrap();
    assert!(
        nopub.starts_with("-----BEGIN EC PRIVATE KEY-----"),
        "{nopub}"
    );
    pairs.push((pairs[3].0.clone(), s(&dir.join("nopub.key"))));
    for (i, (cert, _)) in pairs.iter().enumerate() {
        for (j, (_, key)) in pairs.iter().enumerate() {
            let out = run(BIN, ["--cert-file", cert, "--key-file", key]);
            if pairs[i].0 == pairs[j].0 {
                out.expect_parts(
                    0,
                    &format!("OK: {cert} expires in "),
                    &[&format!(", key {key} matches")],
                );
            } else {
                out.expect(
                    2,
                    &format!("CRITICAL: --key-file {key} does not match the certificate in {cert}"),
                );
            }
        }
    }
}

/// What cannot be matched is UNKNOWN with a line that says what the key is,
/// never taken as a match: an encrypted key (PKCS#8 and traditional), an
/// Ed448 key, a P-521 key saved without its public key.
#[test]
fn keys_that_cannot_be_matched_say_what_they_are() {
    let dir = temp_dir("cert-key-unmatchable");
    let p521 = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"];
    let Some((cert, key)) = openssl_pair(&dir, "p521", &p521) else {
        crate::util::skip("openssl cannot make a P-521 key here");
        return;
    };
    let mut encrypted = vec![
        "genpkey",
        "-out",
        "enc.key",
        "-aes256",
        "-pass",
        "pass:secret",
    ];
    encrypted.extend(p521);
    assert!(openssl_in(&dir, &encrypted));
    assert!(openssl_in(
        &dir,
        &[
            "ec",
            "-in",
            "p521.key",
            "-aes256",
            "-passout",
            "pass:x",
            "-out",
            "legacy.key",
        ]
    ));
    assert!(openssl_in(
        &dir,
        &["ec", "-in", "p521.key", "-no_public", "-out", "nopub.key"]
    ));
    for name in ["enc.key", "legacy.key"] {
        let shown = s(&dir.join(name));
        run(BIN, ["--cert-file", &cert, "--key-file", &shown]).expect(
            3,
            &format!(
                "UNKNOWN: --key-file {shown} is an encrypted key, which cannot be used without its passphrase (none is taken here)"
            ),
        );
    }
    let nopub = s(&dir.join("nopub.key"));
    run(BIN, ["--cert-file", &cert, "--key-file", &nopub]).expect(
        3,
        &format!(
            "UNKNOWN: --key-file {nopub} is a P-521 key saved without its public key, which cannot be matched here"
        ),
    );
    run(BIN, ["--cert-file", &cert, "--key-file", &key]).expect_parts(0, "OK: ", &[]);
    if let Some((ed448, ed448_key)) = openssl_pair(&dir, "ed448", &["-algorithm", "ED448"]) {
        run(BIN, ["--cert-file", &ed448, "--key-file", &ed448_key]).expect(
            3,
            &format!(
                "UNKNOWN: --key-file {ed448_key} is an Ed448 key, which cannot be matched here"
            ),
        );
    }
}
