//! HTTPS: verification against the Mozilla roots or --ca-cert-file, client certificates, -k, --cert-min-days.

use super::*;

#[test]
fn a_ca_signed_server_is_verified_against_the_ca_file() {
    let (pki, _dir) = pki("https-ca");
    let identity = pki.ca.server(&tls::LOOPBACK, Validity::Year);
    on_both(|ip| {
        let Some(server) = https(ip, &identity, None) else {
            return;
        };
        let url = server.url("https", "/");
        run(
            BIN,
            [
                "--url",
                &url,
                "--ca-cert-file",
                &pki.ca_file,
                "--expect-content",
                "secure",
            ],
        )
        .expect_parts(0, &ok_prefix(&url, 200), &[", body contains 'secure'"]);
        // The built-in roots do not know our CA.
        run(BIN, ["--url", &url]).expect(
            2,
            &format!("CRITICAL: {url} TLS: certificate not trusted (unknown issuer)"),
        );
        run(BIN, ["--url", &url, "-k"]).expect_parts(0, &ok_prefix(&url, 200), &[]);
    });
    let server = https(V4, &identity, None).expect("server");
    let url = format!("https://localhost:{}/", server.address.port());
    run(BIN, ["--url", &url, "--ca-cert-file", &pki.ca_file]).expect_parts(
        0,
        &ok_prefix(&url, 200),
        &[],
    );
}

#[test]
fn a_self_signed_server_passes_with_insecure_or_as_its_own_ca() {
    let identity = tls::self_signed(&tls::LOOPBACK, Validity::Year);
    let server = https(V4, &identity, None).expect("server");
    let url = server.url("https", "/");
    run(BIN, ["--url", &url]).expect(
        2,
        &format!("CRITICAL: {url} TLS: certificate not trusted (self-signed)"),
    );
    run(BIN, ["--url", &url, "--insecure"]).expect_parts(0, &ok_prefix(&url, 200), &[]);
    let dir = temp_dir("self-signed");
    let own = tls::write(&dir, "cert.pem", &identity.cert_pem)
        .display()
        .to_string();
    run(BIN, ["--url", &url, "--ca-cert-file", &own]).expect_parts(0, &ok_prefix(&url, 200), &[]);
}

#[test]
fn an_openssl_style_self_signed_certificate_is_trusted_when_listed() {
    let dir = temp_dir("listed");
    let identity = tls::self_signed_ca(&["127.0.0.1", "::1"], Validity::Year);
    let own = tls::write(&dir, "cert.pem", &identity.cert_pem)
        .display()
        .to_string();
    on_both(|ip| {
        let Some(server) = https(ip, &identity, None) else {
            return;
        };
        let url = server.url("https", "/");
        run(BIN, ["--url", &url, "--ca-cert-file", &own]).expect_parts(
            0,
            &ok_prefix(&url, 200),
            &[],
        );
        run(BIN, ["--url", &url]).expect(
            2,
            &format!("CRITICAL: {url} TLS: certificate not trusted (self-signed)"),
        );
    });
    // Listed, it is trusted as it is, but its name and dates still count.
    let server = https(V4, &identity, None).expect("server");
    let url = format!("https://localhost:{}/", server.address.port());
    run(BIN, ["--url", &url, "--ca-cert-file", &own]).expect(
        2,
        &format!(
            "CRITICAL: {url} TLS: certificate not valid for localhost (it names: 127.0.0.1, ::1)"
        ),
    );
    let expired = tls::self_signed_ca(&["127.0.0.1"], Validity::Expired);
    let old = tls::write(&dir, "old.pem", &expired.cert_pem)
        .display()
        .to_string();
    let server = https(V4, &expired, None).expect("server");
    let url = server.url("https", "/");
    run(BIN, ["--url", &url, "--ca-cert-file", &old]).expect_parts(
        2,
        &format!("CRITICAL: {url} TLS: certificate expired on "),
        &[" UTC"],
    );
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let (pki, _dir) = pki("wrong-name");
    let identity = pki.ca.server(&["service.example"], Validity::Year);
    let server = https(V4, &identity, None).expect("server");
    let url = server.url("https", "/");
    run(BIN, ["--url", &url, "--ca-cert-file", &pki.ca_file]).expect(
        2,
        &format!(
            "CRITICAL: {url} TLS: certificate not valid for 127.0.0.1 (it names: service.example)"
        ),
    );
}

#[test]
fn certificate_lifetime_warns_then_fails() {
    let (pki, _dir) = pki("lifetime");
    let soon = pki.ca.server(
        &tls::LOOPBACK,
        Validity::EndsIn(Duration::from_secs(47 * 3600)),
    );
    let server = https(V4, &soon, None).expect("server");
    let url = server.url("https", "/");
    let host = authority(&server);
    let base = [
        "--url",
        url.as_str(),
        "--ca-cert-file",
        pki.ca_file.as_str(),
    ];
    let with = |days: &str| {
        let mut args = base.to_vec();
        args.extend(["--cert-min-days", days]);
        run(BIN, args)
    };
    with("7").expect_parts(
        1,
        &ok_prefix(&url, 200).replacen("OK", "WARNING", 1),
        &[
            &format!(", but the certificate of {host} expires in 1 day on "),
            " UTC, expected at least 7 days",
        ],
    );
    with("1").expect_parts(
        0,
        &ok_prefix(&url, 200),
        &[", certificate expires in 1 day"],
    );
    run(BIN, base).expect_parts(0, &ok_prefix(&url, 200), &[]);
    let lasting = pki.ca.server(
        &tls::LOOPBACK,
        Validity::EndsIn(Duration::from_secs(100 * 86_400 - 3600)),
    );
    let server = https(V4, &lasting, None).expect("server");
    let url = server.url("https", "/");
    run(
        BIN,
        [
            "--url",
            &url,
            "--ca-cert-file",
            &pki.ca_file,
            "--cert-min-days",
            "30",
            "--perfdata",
        ],
    )
    .expect_parts(
        0,
        &ok_prefix(&url, 200),
        &[
            ", certificate expires in 99 days | time=",
            " cert_days=99;30:;0:",
        ],
    );
}

/// `--cert-min-days` judges notBefore too: with -k (no verification), a
/// certificate that is not valid yet is CRITICAL, its start date shown.
#[test]
fn a_certificate_not_valid_yet_fails_cert_min_days() {
    let (pki, _dir) = pki("not-yet");
    let future = pki.ca.server(&tls::LOOPBACK, Validity::From2030);
    let server = https(V4, &future, None).expect("server");
    let url = server.url("https", "/");
    run(BIN, ["--url", &url, "-k", "--cert-min-days", "5"]).expect_parts(
        2,
        &format!("CRITICAL: {url} returned 200 in "),
        &[&format!(
            ", but the certificate of {} is not valid before 2030-01-01 00:00 UTC",
            authority(&server)
        )],
    );
}

#[test]
fn an_expired_certificate_is_critical_with_or_without_verification() {
    let (pki, _dir) = pki("expired");
    let expired = pki.ca.server(&tls::LOOPBACK, Validity::Expired);
    on_both(|ip| {
        let Some(server) = https(ip, &expired, None) else {
            return;
        };
        let url = server.url("https", "/");
        run(BIN, ["--url", &url, "--ca-cert-file", &pki.ca_file]).expect_parts(
            2,
            &format!("CRITICAL: {url} TLS: certificate expired on "),
            &[" UTC"],
        );
        // -k accepts it (the legacy behaviour); --cert-min-days still sees it.
        run(BIN, ["--url", &url, "-k"]).expect_parts(0, &ok_prefix(&url, 200), &[]);
        run(BIN, ["--url", &url, "-k", "--cert-min-days", "0"]).expect_parts(
            2,
            &format!("CRITICAL: {url} returned 200 in "),
            &[&format!(
                ", but the certificate of {} expired on ",
                authority(&server)
            )],
        );
    });
}

#[test]
fn the_soonest_expiry_along_redirects_counts() {
    let (pki, _dir) = pki("redirect-expiry");
    let soon = pki.ca.server(
        &tls::LOOPBACK,
        Validity::EndsIn(Duration::from_secs(71 * 3600)),
    );
    let target_server = https(V4, &soon, None).expect("server");
    let target = target_server.url("https", "/");
    let lasting = pki.ca.server(&tls::LOOPBACK, Validity::Year);
    let first = Server::https(V4, tls::server_config(&lasting, None), move |_| {
        Reply::redirect(302, &target)
    })
    .expect("server");
    let url = first.url("https", "/");
    run(
        BIN,
        [
            "--url",
            &url,
            "--ca-cert-file",
            &pki.ca_file,
            "--cert-min-days",
            "10",
        ],
    )
    .expect_parts(
        1,
        "WARNING: ",
        &[&format!(
            "the certificate of {} expires in 2 days",
            authority(&target_server)
        )],
    );
}

#[test]
fn http_redirected_to_https_sets_up_tls_on_the_way() {
    let (pki, _dir) = pki("upgrade");
    let identity = pki.ca.server(&tls::LOOPBACK, Validity::Year);
    let secure = https(V4, &identity, None).expect("server");
    let target = secure.url("https", "/");
    let plain = answering(V4, Reply::redirect(301, &target)).expect("server");
    let url = plain.url("http", "/");
    run(BIN, ["--url", &url]).expect(
        2,
        &format!("CRITICAL: {url} redirected to {target}, which failed TLS: certificate not trusted (unknown issuer)"),
    );
    run(BIN, ["--url", &url, "--ca-cert-file", &pki.ca_file]).expect_parts(
        0,
        &format!("OK: {url} redirected to {target}, which returned 200 in "),
        &[],
    );
}

#[test]
fn https_to_a_plain_http_port_says_so() {
    // A plain HTTP server answers the ClientHello with a 400, as real ones do.
    let listener = listen::tcp4();
    let host = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            let mut sink = [0u8; 1024];
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        }
    });
    let url = format!("https://{host}/");
    run(BIN, ["--url", &url, "-k"]).expect(
        2,
        &format!(
            "CRITICAL: {url} TLS: the server did not answer in TLS (plain HTTP on this port?)"
        ),
    );
}

#[test]
fn a_tls_handshake_that_hangs_times_out_naming_it() {
    let listener = listen::tcp4();
    let host = listener.local_addr().unwrap().to_string();
    let url = format!("https://{host}/");
    run(BIN, ["--url", &url, "-k", "--timeout", SHORT])
        .ended_on_deadline(Duration::from_millis(500))
        .expect(
            2,
            &format!("CRITICAL: {url} timed out after 0.5 s in the TLS handshake with {host}"),
        );
}

#[test]
fn client_certificates_are_presented_and_checked() {
    let (pki, dir) = pki("client-cert");
    let server_identity = pki.ca.server(&tls::LOOPBACK, Validity::Year);
    let clients = Ca::new("client CA");
    let alice = clients.client("alice");
    let cert = tls::write(&dir, "alice.crt", &alice.cert_pem)
        .display()
        .to_string();
    let key = tls::write(&dir, "alice.key", &alice.key_pem)
        .display()
        .to_string();
    let both = tls::write(
        &dir,
        "alice.pem",
        &format!("{}{}", alice.cert_pem, alice.key_pem),
    )
    .display()
    .to_string();
    let mallory = pki.ca.client("mallory");
    let stranger_cert = tls::write(&dir, "mallory.crt", &mallory.cert_pem)
        .display()
        .to_string();
    let stranger_key = tls::write(&dir, "mallory.key", &mallory.key_pem)
        .display()
        .to_string();
    on_both(|ip| {
        let Some(server) = https(ip, &server_identity, Some(&clients)) else {
            return;
        };
        let url = server.url("https", "/");
        let ca = pki.ca_file.as_str();
        run(
            BIN,
            [
                "--url",
                &url,
                "--ca-cert-file",
                ca,
                "--cert-file",
                &cert,
                "--key-file",
                &key,
            ],
        )
        .expect_parts(0, &ok_prefix(&url, 200), &[]);
        run(
            BIN,
            [
                "--url",
                &url,
                "--ca-cert-file",
                ca,
                "--cert-file",
                &both,
                "--key-file",
                &both,
            ],
        )
        .expect_parts(0, &ok_prefix(&url, 200), &[]);
        run(BIN, ["--url", &url, "--ca-cert-file", ca]).expect(
            2,
            &format!(
                "CRITICAL: {url} TLS: the server requires a client certificate (--cert-file, --key-file)"
            ),
        );
        run(
            BIN,
            [
                "--url",
                &url,
                "-k",
                "--cert-file",
                &stranger_cert,
                "--key-file",
                &stranger_key,
            ],
        )
        .expect_parts(
            2,
            &format!("CRITICAL: {url} TLS: the server ended the handshake with the alert '"),
            &[],
        );
    });
}

#[test]
fn unusable_tls_files_are_unknown_before_any_connection() {
    let (pki, dir) = pki("tls-files");
    let alice = pki.ca.client("alice");
    let cert = tls::write(&dir, "alice.crt", &alice.cert_pem)
        .display()
        .to_string();
    let key = tls::write(&dir, "alice.key", &alice.key_pem)
        .display()
        .to_string();
    let other_key = tls::write(&dir, "other.key", &pki.ca.client("bob").key_pem)
        .display()
        .to_string();
    let text = tls::write(&dir, "notes.txt", "no PEM in here\n")
        .display()
        .to_string();
    let torn = tls::write(&dir, "torn.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n")
        .display()
        .to_string();
    let missing = dir.join("missing.pem").display().to_string();
    // The port is closed: a connection attempt would say so instead.
    let url = format!("https://127.0.0.1:{}/", listen::closed_port());
    for (args, line) in [
        (
            vec!["--ca-cert-file", missing.as_str()],
            format!("cannot read --ca-cert-file {missing}: no such file or directory"),
        ),
        (
            vec!["--ca-cert-file", text.as_str()],
            format!("--ca-cert-file {text} holds no PEM certificate"),
        ),
        (
            vec!["--ca-cert-file", torn.as_str()],
            format!("--ca-cert-file {torn} is not valid PEM: a section has no END line"),
        ),
        (
            vec![
                "-k",
                "--cert-file",
                text.as_str(),
                "--key-file",
                key.as_str(),
            ],
            format!("--cert-file {text} holds no PEM certificate"),
        ),
        (
            vec![
                "-k",
                "--cert-file",
                cert.as_str(),
                "--key-file",
                text.as_str(),
            ],
            format!("--key-file {text} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)"),
        ),
        (
            vec![
                "-k",
                "--cert-file",
                cert.as_str(),
                "--key-file",
                other_key.as_str(),
            ],
            format!("--key-file {other_key} does not match the certificate in --cert-file {cert}"),
        ),
        (
            vec!["--cert-file", cert.as_str(), "--key-file", missing.as_str()],
            format!("cannot read --key-file {missing}: no such file or directory"),
        ),
    ] {
        let mut all = vec!["--url", url.as_str()];
        all.extend(args);
        run(BIN, all).expect(3, &format!("UNKNOWN: {line}"));
    }
}
