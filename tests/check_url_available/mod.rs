//! check-url-available against real loopback servers: our own HTTP server for
//! status codes, redirects, auth, bodies and misbehaviour, HTTPS with
//! certificates made at test time, and a CONNECT proxy. Each case runs on
//! 127.0.0.1 and, where a listener there makes sense and ::1 exists, on ::1.
//!
//! One file per behaviour; the helpers they share are here, and each file
//! takes them (and the imports) with `use super::*`.

mod auth;
mod connection;
mod content;
mod https;
mod redirects;
mod status;
mod timeout_proxy;
mod trust;
mod usage;

use std::io::{Read, Write};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use crate::util::http::{Body, Reply, Request, Server, V4, V6};
use crate::util::tls::{self, Ca, Validity};
use crate::util::{listen, run, run_program, temp_dir};

const BIN: &str = "check-url-available";

/// A test's deadline: short, so that hanging servers cost little.
const SHORT: &str = "0.5";

/// Runs `case` on 127.0.0.1 and ::1 (the server says SKIP where ::1 is missing).
fn on_both(case: impl Fn(IpAddr)) {
    case(V4);
    case(V6);
}

/// A server that answers every request with `reply`.
fn answering(ip: IpAddr, reply: Reply) -> Option<Server> {
    Server::http(ip, move |_| reply.clone())
}

/// `host:port` as messages show it.
fn authority(server: &Server) -> String {
    server.address.to_string()
}

fn ok_prefix(url: &str, status: u16) -> String {
    format!("OK: {url} returned {status} in ")
}

/// A server that wants alice / s3cret.
fn protected() -> Server {
    Server::http(V4, |request: &Request| {
        if request.header("authorization") == Some("Basic YWxpY2U6czNjcmV0") {
            Reply::text(200, "welcome")
        } else {
            Reply::status(401)
        }
    })
    .expect("server")
}

/// PEM files of a CA and of a server certificate it issued, in `dir`.
struct Pki {
    ca: Ca,
    ca_file: String,
}

fn pki(test: &str) -> (Pki, std::path::PathBuf) {
    let dir = temp_dir(test);
    let ca = Ca::new(&format!("{test} CA"));
    let ca_file = tls::write(&dir, "ca.pem", &ca.pem()).display().to_string();
    (Pki { ca, ca_file }, dir)
}

fn https(ip: IpAddr, identity: &tls::Identity, client_ca: Option<&Ca>) -> Option<Server> {
    Server::https(ip, tls::server_config(identity, client_ca), |_| {
        Reply::text(200, "secure page")
    })
}
