//! The deadline from --timeout-file, and --proxy: tunnels, refusals, and the environment ignored.

use super::*;

#[test]
fn timeout_file_overrides_the_timeout_when_it_holds_a_number() {
    let server = answering(V4, Reply::Hang).expect("server");
    let url = server.url("http", "/");
    let dir = temp_dir("timeout-file");
    let file = dir.join("promise_timeout");
    std::fs::write(&file, "0.5\n").unwrap();
    let file = file.display().to_string();
    run(
        BIN,
        ["--url", &url, "--timeout", "20", "--timeout-file", &file],
    )
    .ended_on_deadline(Duration::from_millis(500))
    .expect(
        2,
        &format!("CRITICAL: {url} timed out after 0.5 s waiting for the response headers"),
    );
    for junk in ["", "soon", "-3", "0"] {
        std::fs::write(&file, junk).unwrap();
        run(
            BIN,
            ["--url", &url, "--timeout", "0.3", "--timeout-file", &file],
        )
        .expect(
            2,
            &format!("CRITICAL: {url} timed out after 0.3 s waiting for the response headers"),
        );
    }
    let missing = dir.join("missing").display().to_string();
    // A FIFO without a writer would block an open: it is not read at all.
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    let fifo = fifo.display().to_string();
    for ignored in [&missing, &fifo] {
        let args = ["--url", &url, "--timeout", "0.3", "--timeout-file", ignored];
        run(BIN, args).expect(
            2,
            &format!("CRITICAL: {url} timed out after 0.3 s waiting for the response headers"),
        );
    }
}

#[test]
fn proxy_variables_are_ignored() {
    let proxy = Server::proxy(V4, None, |_| Reply::text(200, "proxied")).expect("proxy");
    let port = listen::closed_port();
    let url = format!("http://127.0.0.1:{port}/");
    let proxy_url = proxy.url("http", "");
    let mut args: Vec<String> = ["http_proxy", "HTTP_PROXY", "https_proxy", "ALL_PROXY"]
        .iter()
        .map(|var| format!("{var}={proxy_url}"))
        .collect();
    let argv = crate::util::runner::argv(&crate::util::bin(BIN));
    args.extend(argv.iter().map(|a| a.to_string_lossy().into_owned()));
    args.extend(["--url".into(), url.clone()]);
    // env(1) sets the variables and execs the check in its place.
    run_program(Path::new("/usr/bin/env"), BIN, &args, None).expect(
        2,
        &format!("CRITICAL: {url} cannot connect to 127.0.0.1:{port}: connection refused"),
    );
    assert!(proxy.requests().is_empty(), "the check went to the proxy");
}

#[test]
fn a_proxy_that_cannot_be_reached_is_named() {
    let port = listen::closed_port();
    let url = "http://promise-target.invalid/";
    run(
        BIN,
        ["--url", url, "--proxy", &format!("http://127.0.0.1:{port}")],
    )
    .expect(
        2,
        &format!("CRITICAL: {url} cannot connect to 127.0.0.1:{port}: connection refused"),
    );
}

/// A proxy that refuses CONNECT is named, with its answer, credentials masked:
/// not taken for the target, nor for a failed connection.
#[test]
fn a_proxy_that_refuses_connect_is_named_with_its_answer() {
    for (status, reason) in [
        (407, "Proxy Authentication Required"),
        (403, "Forbidden"),
        (502, "Bad Gateway"),
    ] {
        let Some(proxy) = Server::proxy(V4, None, move |request| match request.method.as_str() {
            "CONNECT" => Reply::status(status).header("Proxy-Authenticate", "Basic realm=\"p\""),
            _ => Reply::text(200, "tunnelled"),
        }) else {
            return;
        };
        let shown = proxy.address.to_string();
        for (url, proxy_url, proxy_shown) in [
            (
                "http://promise-target.invalid/",
                proxy.url("http", ""),
                shown.clone(),
            ),
            (
                "https://promise-target.invalid/",
                format!("http://user:s3cret@{shown}"),
                format!("***@{shown}"),
            ),
        ] {
            run(BIN, ["--url", url, "--proxy", &proxy_url]).expect(
                2,
                &format!(
                    "CRITICAL: {url} cannot go through the proxy {proxy_shown}: it answered {status} {reason}"
                ),
            );
        }
        let requests = proxy.requests();
        assert!(
            requests.iter().all(|r| r.method == "CONNECT"),
            "{requests:?}"
        );
        assert_eq!(
            requests[1].header("Proxy-Authorization"),
            Some("Basic dXNlcjpzM2NyZXQ=")
        );
    }
    // An https:// proxy refuses the same way, once its own handshake is done.
    let identity = Ca::new("proxy CA").server(&tls::LOOPBACK, Validity::Year);
    let proxy = Server::tls_proxy(V4, tls::server_config(&identity, None), None, |_| {
        Reply::status(407)
    })
    .expect("proxy");
    let url = "http://promise-target.invalid/";
    run(
        BIN,
        [
            "--url",
            url,
            "--proxy",
            &proxy.url("https", ""),
            "--proxy-insecure",
        ],
    )
    .expect(
        2,
        &format!(
            "CRITICAL: {url} cannot go through the proxy {}: it answered 407 Proxy Authentication Required",
            proxy.address
        ),
    );
}

/// A proxy that answers CONNECT with something other than HTTP, or not at
/// all, is named with what it did.
#[test]
fn a_proxy_that_breaks_connect_is_named() {
    for (reply, why) in [
        (
            Reply::Raw(b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()),
            "it answered CONNECT with 'SSH-2.0-OpenSSH'",
        ),
        (
            Reply::Close,
            "it closed the connection without answering CONNECT",
        ),
    ] {
        let proxy = Server::proxy(V4, None, move |_| reply.clone()).expect("proxy");
        let url = "http://promise-target.invalid/";
        run(BIN, ["--url", url, "--proxy", &proxy.url("http", "")]).expect(
            2,
            &format!(
                "CRITICAL: {url} cannot go through the proxy {}: {why}",
                proxy.address
            ),
        );
    }
}

#[test]
fn proxy_option_tunnels_http_and_https() {
    on_both(|ip| {
        let Some(proxy) = Server::proxy(ip, None, |_| Reply::text(200, "via proxy")) else {
            return;
        };
        // The target does not even resolve: only the proxy can answer.
        let url = "http://promise-target.invalid/x";
        run(
            BIN,
            [
                "--url",
                url,
                "--proxy",
                &proxy.url("http", ""),
                "--expect-content",
                "via proxy",
            ],
        )
        .expect_parts(0, &ok_prefix(url, 200), &[]);
        let requests = proxy.requests();
        assert_eq!(requests[0].method, "CONNECT");
        assert_eq!(requests[0].target, "promise-target.invalid:80");
        assert_eq!(requests[1].target, "/x");
    });
    let ca = Ca::new("proxy test CA");
    let identity = ca.server(&["promise-target.invalid"], Validity::Year);
    let proxy = Server::proxy(V4, Some(tls::server_config(&identity, None)), |_| {
        Reply::text(200, "secure")
    })
    .expect("proxy");
    let dir = temp_dir("proxy-ca");
    let ca_file = tls::write(&dir, "ca.pem", &ca.pem()).display().to_string();
    let url = "https://promise-target.invalid/";
    run(
        BIN,
        [
            "--url",
            url,
            "--proxy",
            &proxy.url("http", ""),
            "--ca-cert-file",
            &ca_file,
        ],
    )
    .expect_parts(0, &ok_prefix(url, 200), &[]);
    assert_eq!(proxy.requests()[0].target, "promise-target.invalid:443");
}
