//! What is trusted and what is sent (#12): ports, CA files curl and openssl agree with, Proxy-Authorization, the proxy's own certificate.

use super::*;

#[test]
fn an_invalid_port_is_a_usage_error_never_another_port() {
    for (url, port) in [
        ("http://127.0.0.1:70000/", "70000"),
        ("http://127.0.0.1:65536/", "65536"),
        ("http://127.0.0.1:-1/", "-1"),
        ("https://127.0.0.1:8080x/", "8080x"),
        ("http://[::1]:70000/", "70000"),
        ("http://127.0.0.1:+81/", "+81"),
    ] {
        let why = format!("port '{port}' is not a port number from 1 to 65535");
        run(BIN, ["--url", url]).expect(3, &format!("UNKNOWN: --url {url}: {why}"));
        let proxy = url.trim_end_matches('/');
        run(BIN, ["--url", "http://127.0.0.1:1/", "--proxy", proxy])
            .expect(3, &format!("UNKNOWN: --proxy {proxy}: {why}"));
    }
    // Nor does recipe-generator bake one.
    let dir = temp_dir("baked-port");
    let wrapper = dir.join("check-site");
    let bin = crate::util::bin(BIN);
    let bin_dir = bin.parent().expect("bin folder").display().to_string();
    let output = wrapper.display().to_string();
    run(
        "recipe-generator",
        [
            "write",
            "--output",
            &output,
            "--promise",
            BIN,
            "--bin-dir",
            &bin_dir,
            "--",
            "--url",
            "http://[::1]:70000/",
        ],
    )
    .expect(
        3,
        "UNKNOWN: --url http://[::1]:70000/: port '70000' is not a port number from 1 to 65535",
    );
    assert!(!wrapper.exists(), "a wrapper was written");
}

#[test]
fn header_values_stay_with_the_origin_even_from_https_to_http() {
    let (pki, _dir) = pki("header-origin");
    let identity = pki.ca.server(&tls::LOOPBACK, Validity::Year);
    let plain = answering(V4, Reply::text(200, "in clear")).expect("server");
    let target = plain.url("http", "/landing");
    let secure = Server::https(V4, tls::server_config(&identity, None), move |_| {
        Reply::redirect(302, &target)
    })
    .expect("server");
    let url = secure.url("https", "/");
    run(
        BIN,
        [
            "--url",
            &url,
            "--ca-cert-file",
            &pki.ca_file,
            "--header",
            "X-Auth-Token: s3cret",
        ],
    )
    .expect_parts(0, "OK: ", &["redirected to"]);
    assert_eq!(secure.requests()[0].header("x-auth-token"), Some("s3cret"));
    let landed = &plain.requests()[0];
    assert_eq!(landed.header("x-auth-token"), None, "{landed:?}");
}

#[test]
fn an_empty_header_value_removes_the_header() {
    let server = answering(V4, Reply::status(200)).expect("server");
    let url = server.url("http", "/");
    run(
        BIN,
        [
            "--url",
            &url,
            "--header",
            "User-Agent:",
            "--header",
            "Accept:",
        ],
    )
    .expect_parts(0, &ok_prefix(&url, 200), &[]);
    let request = &server.requests()[0];
    assert_eq!(request.header("user-agent"), None, "{request:?}");
    assert_eq!(request.header("accept"), None, "{request:?}");
    run(BIN, ["--url", &url, "--header", "Host:"]).expect(
        3,
        "UNKNOWN: --header 'Host:' cannot remove Host: HTTP/1.1 requires it",
    );
}

#[test]
fn the_proxy_certificate_is_verified_unless_proxy_insecure_and_named() {
    let (pki, _dir) = pki("tls-proxy");
    // The proxy's certificate comes from a CA nobody told us about.
    let proxy_ca = Ca::new("proxy CA");
    let proxy_identity = proxy_ca.server(&tls::LOOPBACK, Validity::Year);
    let target_identity = pki.ca.server(&["promise-target.invalid"], Validity::Year);
    let proxy = Server::tls_proxy(
        V4,
        tls::server_config(&proxy_identity, None),
        Some(tls::server_config(&target_identity, None)),
        |_| Reply::text(200, "tunnelled"),
    )
    .expect("proxy");
    let proxy_url = proxy.url("https", "");
    let address = authority(&proxy);
    let url = "https://promise-target.invalid/";
    let refused = format!(
        "CRITICAL: {url} cannot go through the proxy {address}: TLS: certificate not trusted (unknown issuer)"
    );
    // -k is for the URL: the proxy is still verified.
    run(BIN, ["--url", url, "--proxy", &proxy_url, "-k"]).expect(2, &refused);
    // The URL's CA file is not the proxy's either.
    run(
        BIN,
        [
            "--url",
            url,
            "--proxy",
            &proxy_url,
            "--ca-cert-file",
            &pki.ca_file,
        ],
    )
    .expect(2, &refused);
    run(
        BIN,
        [
            "--url",
            url,
            "--proxy",
            &proxy_url,
            "--proxy-insecure",
            "--ca-cert-file",
            &pki.ca_file,
        ],
    )
    .expect_parts(0, &ok_prefix(url, 200), &[]);
    // --proxy-insecure is for the proxy: the URL is still verified.
    run(
        BIN,
        ["--url", url, "--proxy", &proxy_url, "--proxy-insecure"],
    )
    .expect(
        2,
        &format!("CRITICAL: {url} TLS: certificate not trusted (unknown issuer)"),
    );
}

#[test]
fn cert_min_days_judges_the_target_never_the_proxy() {
    let (pki, _dir) = pki("proxy-expiry");
    let soon = pki.ca.server(
        &tls::LOOPBACK,
        Validity::EndsIn(Duration::from_secs(30 * 3600)),
    );
    let lasting = pki.ca.server(&["promise-target.invalid"], Validity::Year);
    let proxy = Server::tls_proxy(
        V4,
        tls::server_config(&soon, None),
        Some(tls::server_config(&lasting, None)),
        |_| Reply::text(200, "tunnelled"),
    )
    .expect("proxy");
    let url = "https://promise-target.invalid/";
    run(
        BIN,
        [
            "--url",
            url,
            "--proxy",
            &proxy.url("https", ""),
            "--proxy-insecure",
            "--ca-cert-file",
            &pki.ca_file,
            "--cert-min-days",
            "10",
        ],
    )
    .expect_parts(0, &ok_prefix(url, 200), &[", certificate expires in 36"]);
}

#[test]
fn proxy_authorization_goes_on_connect_only() {
    let proxy = Server::proxy(V4, None, |_| Reply::text(200, "via proxy")).expect("proxy");
    let url = "http://promise-target.invalid/";
    run(
        BIN,
        [
            "--url",
            url,
            "--proxy",
            &proxy.url("http", ""),
            "--header",
            "Proxy-Authorization: Bearer t0ken",
            "--header",
            "X-Auth-Token: s3cret",
        ],
    )
    .expect_parts(0, &ok_prefix(url, 200), &[]);
    let requests = proxy.requests();
    assert_eq!(requests[0].method, "CONNECT");
    assert_eq!(
        requests[0].header("proxy-authorization"),
        Some("Bearer t0ken")
    );
    assert_eq!(requests[0].header("x-auth-token"), None, "{requests:?}");
    assert_eq!(
        requests[1].header("proxy-authorization"),
        None,
        "{requests:?}"
    );
    assert_eq!(requests[1].header("x-auth-token"), Some("s3cret"));
    // Basic credentials in the proxy URL go on the CONNECT request too.
    let proxy = Server::proxy(V4, None, |_| Reply::text(200, "via proxy")).expect("proxy");
    let with_user = format!("http://bob:pw@{}", authority(&proxy));
    run(BIN, ["--url", url, "--proxy", &with_user]).expect_parts(0, &ok_prefix(url, 200), &[]);
    let requests = proxy.requests();
    assert_eq!(
        requests[0].header("proxy-authorization"),
        Some("Basic Ym9iOnB3")
    );
    assert_eq!(requests[1].header("proxy-authorization"), None);
    run(
        BIN,
        ["--url", url, "--header", "Proxy-Authorization: Bearer t0ken"],
    )
    .expect(
        3,
        "UNKNOWN: --header 'Proxy-Authorization: ...' needs --proxy (it goes on the CONNECT request only)",
    );
}

/// Whether curl, the reference, accepts `url` trusting the certificates of
/// `ca_file` (and presenting `client`, a certificate and key file pair).
fn curl_accepts(url: &str, ca_file: &str, client: Option<(&str, &str)>) -> bool {
    let mut curl = std::process::Command::new("curl");
    curl.args([
        "-sS",
        "-o",
        "/dev/null",
        "--max-time",
        "10",
        "--noproxy",
        "*",
    ])
    .args(["--cacert", ca_file]);
    if let Some((cert, key)) = client {
        curl.args(["--cert", cert, "--key", key]);
    }
    curl.arg(url)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("curl runs (make test-deps installs it)")
        .success()
}

#[test]
fn a_listed_certificate_that_is_not_a_ca_vouches_only_for_itself() {
    let dir = temp_dir("pinned");
    let server_auth = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let pinned = tls::Pinned::new(&tls::LOOPBACK, server_auth);
    let file = tls::write(&dir, "pinned.pem", &pinned.identity().cert_pem)
        .display()
        .to_string();
    let check = |identity: &tls::Identity| {
        let server = https(V4, identity, None).expect("server");
        let url = server.url("https", "/");
        let curl = curl_accepts(&url, &file, None);
        (
            run(BIN, ["--url", &url, "--ca-cert-file", &file]),
            url,
            curl,
        )
    };
    // Itself, byte for byte: trusted, as curl trusts it.
    let (outcome, url, curl) = check(&pinned.identity());
    outcome.expect_parts(0, &ok_prefix(&url, 200), &[]);
    assert!(curl, "curl refuses the pinned certificate itself");
    // A certificate its key signs: not a CA, it vouches for nothing.
    let (outcome, url, curl) = check(&pinned.signed(&["127.0.0.1", "localhost"]));
    outcome.expect(
        2,
        &format!("CRITICAL: {url} TLS: certificate not trusted (unknown issuer)"),
    );
    assert!(!curl, "curl accepts a certificate signed by a pinned one");
    // Its key and subject, other names: another certificate.
    let (outcome, url, curl) = check(&pinned.same_key(&["localhost", "127.0.0.1", "evil.example"]));
    outcome.expect(
        2,
        &format!("CRITICAL: {url} TLS: certificate not trusted (self-signed)"),
    );
    assert!(!curl, "curl accepts the pinned key with other names");
    // Pinned, but for TLS clients only: its extended key usage counts.
    let client_only = tls::Pinned::new(
        &tls::LOOPBACK,
        vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth],
    );
    let client_file = tls::write(&dir, "client-only.pem", &client_only.identity().cert_pem)
        .display()
        .to_string();
    let server = https(V4, &client_only.identity(), None).expect("server");
    let url = server.url("https", "/");
    run(BIN, ["--url", &url, "--ca-cert-file", &client_file]).expect(
        2,
        &format!("CRITICAL: {url} TLS: certificate is not for TLS servers (extended key usage)"),
    );
    assert!(!curl_accepts(&url, &client_file, None));
}

#[test]
fn an_expired_ca_vouches_for_nothing() {
    let dir = temp_dir("expired-ca");
    let old = Ca::valid("expired CA", Validity::Expired);
    let file = tls::write(&dir, "ca.pem", &old.pem()).display().to_string();
    let server = https(V4, &old.server(&tls::LOOPBACK, Validity::Year), None).expect("server");
    let url = server.url("https", "/");
    run(BIN, ["--url", &url, "--ca-cert-file", &file]).expect_parts(
        2,
        &format!(
            "CRITICAL: {url} TLS: certificate not trusted (its CA in --ca-cert-file expired on "
        ),
        &[" UTC)"],
    );
    assert!(
        !curl_accepts(&url, &file, None),
        "curl trusts an expired CA"
    );
    // Beside a valid CA, the expired one still vouches for nothing, and the valid one works.
    let (pki, _dir) = pki("expired-ca-beside");
    let both = tls::write(&dir, "both.pem", &format!("{}{}", old.pem(), pki.ca.pem()))
        .display()
        .to_string();
    run(BIN, ["--url", &url, "--ca-cert-file", &both]).expect_parts(
        2,
        &format!(
            "CRITICAL: {url} TLS: certificate not trusted (its CA in --ca-cert-file expired on "
        ),
        &[],
    );
    let good = https(V4, &pki.ca.server(&tls::LOOPBACK, Validity::Year), None).expect("server");
    let good_url = good.url("https", "/");
    run(BIN, ["--url", &good_url, "--ca-cert-file", &both]).expect_parts(
        0,
        &ok_prefix(&good_url, 200),
        &[],
    );
}

#[test]
fn an_impostor_of_a_listed_certificate_is_not_trusted() {
    let dir = temp_dir("impostor");
    // openssl req -x509 style (a CA), listed; the impostor has its subject and names, not its key.
    let listed = tls::self_signed_ca(&["127.0.0.1"], Validity::Year);
    let impostor = tls::self_signed_ca(&["127.0.0.1"], Validity::Year);
    let file = tls::write(&dir, "listed.pem", &listed.cert_pem)
        .display()
        .to_string();
    let server = https(V4, &impostor, None).expect("server");
    let url = server.url("https", "/");
    run(BIN, ["--url", &url, "--ca-cert-file", &file]).expect(
        2,
        &format!("CRITICAL: {url} TLS: certificate not trusted (self-signed)"),
    );
    assert!(!curl_accepts(&url, &file, None));
    // A CA's impostor: its name as issuer, another key's signature.
    let (pki, _dir) = pki("impostor-ca");
    let fake = Ca::new("impostor-ca CA");
    let server = https(V4, &fake.server(&tls::LOOPBACK, Validity::Year), None).expect("server");
    let url = server.url("https", "/");
    run(BIN, ["--url", &url, "--ca-cert-file", &pki.ca_file]).expect_parts(
        2,
        &format!("CRITICAL: {url} TLS: certificate not trusted ("),
        &[],
    );
    assert!(!curl_accepts(&url, &pki.ca_file, None));
}

/// `openssl ARGS` in `dir`, which must succeed; its stdout.
fn openssl(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs (make test-deps installs it)");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A child process of the test, killed and reaped when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `openssl s_server -www` on 127.0.0.1 in `dir`, once it says it accepts;
/// its port.
fn openssl_server(dir: &Path, args: &[&str]) -> (Child, u16) {
    use std::io::BufRead;
    let port = listen::closed_port();
    let mut child = Child(
        std::process::Command::new("openssl")
            .current_dir(dir)
            .args(["s_server", "-www", "-accept", &format!("127.0.0.1:{port}")])
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("openssl runs (make test-deps installs it)"),
    );
    let stdout = child.0.stdout.take().expect("piped stdout");
    let ready = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.starts_with("ACCEPT"));
    assert!(ready, "openssl s_server did not start");
    (child, port)
}

#[test]
fn a_version_1_client_certificate_is_presented() {
    let (pki, dir) = pki("v1-client");
    let server = pki.ca.server(&tls::LOOPBACK, Validity::Year);
    tls::write(&dir, "server.pem", &server.cert_pem);
    tls::write(&dir, "server.key", &server.key_pem);
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec![
        "req",
        "-x509",
        "-keyout",
        "clients.key",
        "-out",
        "clients.pem",
    ];
    ca.extend(ec);
    ca.extend(["-subj", "/CN=clients", "-days", "30"]);
    openssl(&dir, &ca);
    let mut request = vec!["req", "-new", "-keyout", "alice.key", "-out", "alice.csr"];
    request.extend(ec);
    request.extend(["-subj", "/CN=alice"]);
    openssl(&dir, &request);
    // Without -extfile, `openssl x509 -req` makes a version 1 certificate.
    openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            "alice.csr",
            "-CA",
            "clients.pem",
            "-CAkey",
            "clients.key",
            "-days",
            "30",
            "-out",
            "alice.pem",
        ],
    );
    let text = openssl(&dir, &["x509", "-in", "alice.pem", "-noout", "-text"]);
    assert!(text.contains("Version: 1 (0x0)"), "{text}");
    let cert = dir.join("alice.pem").display().to_string();
    let key = dir.join("alice.key").display().to_string();
    let (_server, port) = openssl_server(
        &dir,
        &[
            "-cert",
            "server.pem",
            "-key",
            "server.key",
            "-CAfile",
            "clients.pem",
            "-Verify",
            "1",
        ],
    );
    let url = format!("https://127.0.0.1:{port}/");
    let ca_file = pki.ca_file.as_str();
    run(
        BIN,
        [
            "--url",
            &url,
            "--ca-cert-file",
            ca_file,
            "--cert-file",
            &cert,
            "--key-file",
            &key,
        ],
    )
    .expect_parts(0, &ok_prefix(&url, 200), &[]);
    assert!(curl_accepts(&url, ca_file, Some((&cert, &key))));
    run(BIN, ["--url", &url, "--ca-cert-file", ca_file]).expect_parts(
        2,
        &format!("CRITICAL: {url} TLS: "),
        &[],
    );
    // The one thing we check ourselves: the key is the certificate's.
    let other = dir.join("clients.key").display().to_string();
    run(
        BIN,
        [
            "--url",
            &url,
            "--ca-cert-file",
            ca_file,
            "--cert-file",
            &cert,
            "--key-file",
            &other,
        ],
    )
    .expect(
        3,
        &format!(
            "UNKNOWN: --key-file {other} does not match the certificate in --cert-file {cert}"
        ),
    );
}

#[test]
fn folded_response_header_lines_are_unfolded_as_curl_does() {
    let folded = b"HTTP/1.1 200 OK\r\nX-Note: first\r\n  second\r\n\tthird\r\nContent-Length: 5\r\n\r\nhello";
    let server = answering(V4, Reply::Raw(folded.to_vec())).expect("server");
    let url = server.url("http", "/");
    run(BIN, ["--url", &url, "--expect-content", "hello"]).expect_parts(
        0,
        &ok_prefix(&url, 200),
        &[", body contains 'hello'"],
    );
    assert!(
        curl_accepts(&url, "/dev/null", None),
        "curl refuses the folded header"
    );
    // A folded Location is followed where its value says.
    let landing = answering(V4, Reply::text(200, "landed")).expect("server");
    let target = landing.url("http", "/landing");
    let raw = format!("HTTP/1.1 302 Found\r\nLocation:\r\n {target}\r\nContent-Length: 0\r\n\r\n");
    let server = answering(V4, Reply::Raw(raw.into_bytes())).expect("server");
    let url = server.url("http", "/");
    run(BIN, ["--url", &url]).expect_parts(
        0,
        &format!("OK: {url} redirected to {target}, which returned 200 in "),
        &[],
    );
}

/// A self-signed X.509 version 1 server certificate (what `openssl x509 -req`
/// makes without extensions), named `cn`, into `NAME.pem` and `NAME.key`.
fn version_1_server(dir: &Path, name: &str, cn: &str, key: &[&str]) {
    let (keyout, csr, out) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
    );
    let mut request = vec!["req", "-new", "-nodes", "-keyout", &keyout, "-out", &csr];
    request.extend(key);
    let subject = format!("/CN={cn}");
    request.extend(["-subj", &subject]);
    openssl(dir, &request);
    openssl(
        dir,
        &[
            "x509", "-req", "-in", &csr, "-signkey", &keyout, "-days", "30", "-out", &out,
        ],
    );
    let text = openssl(dir, &["x509", "-in", &out, "-noout", "-text"]);
    assert!(text.contains("Version: 1 (0x0)"), "{text}");
}

/// A pinned version 1 server certificate is trusted as itself, as curl
/// trusts it: byte for byte, its commonName the name checked, its handshake
/// signature verified (TLS 1.3 and 1.2, EC and RSA).
#[test]
fn a_pinned_version_1_server_certificate_is_trusted_as_curl_trusts_it() {
    let dir = temp_dir("v1-server");
    let ec: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
    let rsa: &[&str] = &["-newkey", "rsa:2048"];
    version_1_server(&dir, "ec", "127.0.0.1", ec);
    version_1_server(&dir, "rsa", "127.0.0.1", rsa);
    version_1_server(&dir, "other", "other.example", ec);
    for (name, version) in [("ec", "-tls1_3"), ("ec", "-tls1_2"), ("rsa", "-tls1_2")] {
        let (cert, key) = (format!("{name}.pem"), format!("{name}.key"));
        let (_server, port) = openssl_server(&dir, &["-cert", &cert, "-key", &key, version]);
        let url = format!("https://127.0.0.1:{port}/");
        let pinned = dir.join(&cert).display().to_string();
        run(BIN, ["--url", &url, "--ca-cert-file", &pinned]).expect_parts(
            0,
            &ok_prefix(&url, 200),
            &[],
        );
        assert!(curl_accepts(&url, &pinned, None), "{name} {version}");
        // Another version 1 certificate pinned: not this one.
        let other = dir.join("other.pem").display().to_string();
        run(BIN, ["--url", &url, "--ca-cert-file", &other]).expect_parts(
            2,
            &format!("CRITICAL: {url} TLS: certificate not trusted"),
            &[],
        );
    }
    // Pinned, but named for another host.
    let (_server, port) = openssl_server(&dir, &["-cert", "other.pem", "-key", "other.key"]);
    let url = format!("https://127.0.0.1:{port}/");
    let pinned = dir.join("other.pem").display().to_string();
    run(BIN, ["--url", &url, "--ca-cert-file", &pinned]).expect(
        2,
        &format!(
            "CRITICAL: {url} TLS: certificate not valid for 127.0.0.1 (it names: other.example)"
        ),
    );
    assert!(!curl_accepts(&url, &pinned, None));
}
