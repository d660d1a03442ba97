//! The parts of ureq's transport we provide ourselves, and what they tell the
//! check about progress.
//!
//! - A resolver without threads: ureq's default one spawns a thread per lookup
//!   whenever a timeout is set, while our deadline already bounds a hanging
//!   `getaddrinfo`; IP literals skip the lookup entirely.
//! - A TLS connector over our own rustls configurations (see [`crate::tls`]),
//!   one for the target and one for an https:// proxy, that also notes the
//!   target certificate's `notAfter`.
//! - A CONNECT tunnel of our own instead of ureq's: ureq's sends no header but
//!   Basic credentials from the proxy URL, where `--header
//!   'Proxy-Authorization: ...'` belongs on the CONNECT request (and never
//!   inside the tunnel); and its failures name the proxy.
//! - Folded response header lines (obs-fold, RFC 9112 §5.2), which ureq's
//!   parser (httparse, whose option for them ureq does not expose) refuses:
//!   [`Unfold`] replaces each fold with spaces before ureq reads the head, as
//!   the RFC asks of a user agent and as curl does.
//! - [`Progress`]: each step says what it is doing, so that a timeout or an I/O
//!   error reads `cannot connect to HOST:PORT`, `waiting for the response
//!   headers`, and so on.

use std::fmt;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex, PoisonError};

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, StreamOwned};
use shared::Deadline;
use ureq::Error;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::http::header::{HeaderName, HeaderValue};
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
    TransportAdapter,
};

use crate::tls::Tls;
use crate::{failure, target};

/// What the check is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Looking up this host name.
    Resolving(String),
    /// Opening a TCP connection to this `host:port`.
    Connecting(String),
    /// In the TLS handshake with this `host:port`.
    Handshake(String),
    /// In the TLS handshake with the proxy at this `host:port`.
    ProxyHandshake(String),
    /// Request sent (or being sent), no response headers yet.
    Waiting,
    /// Reading the body for `--expect-content`.
    Reading,
}

impl Phase {
    /// The phase as the end of a timeout line.
    #[must_use]
    pub fn activity(&self) -> String {
        match self {
            Phase::Resolving(host) => format!("resolving {host}"),
            Phase::Connecting(address) => format!("connecting to {address}"),
            Phase::Handshake(address) => format!("in the TLS handshake with {address}"),
            Phase::ProxyHandshake(address) => {
                format!("in the TLS handshake with the proxy {address}")
            }
            Phase::Waiting => "waiting for the response headers".to_owned(),
            Phase::Reading => "reading the body".to_owned(),
        }
    }
}

/// A server certificate seen in a handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `host:port` of the server.
    pub server: String,
    /// `notBefore` and `notAfter`, in seconds since the epoch; `None` if unreadable.
    pub validity: Option<(i64, i64)>,
}

/// Shared between the check, the resolver and the connector.
#[derive(Debug)]
pub struct Progress {
    deadline: Deadline,
    /// Whether to note server certificates (`--cert-min-days`).
    note_certificates: bool,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// How a timeout line starts: the URL, and the redirect that led here.
    subject: String,
    phase: Phase,
    seen: Vec<Seen>,
}

impl Progress {
    /// Progress of a check against `deadline`.
    #[must_use]
    pub fn new(deadline: Deadline, note_certificates: bool) -> Progress {
        Progress {
            deadline,
            note_certificates,
            state: Mutex::new(State {
                subject: String::new(),
                phase: Phase::Waiting,
                seen: Vec::new(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new request starts; timeout lines start with `subject`.
    pub fn start(&self, subject: String) {
        self.state().subject = subject;
    }

    /// The check moves on to `phase`.
    pub fn enter(&self, phase: Phase) {
        let mut state = self.state();
        self.deadline.set_stage(&state.subject, &phase.activity());
        state.phase = phase;
    }

    /// What the check is doing now.
    #[must_use]
    pub fn phase(&self) -> Phase {
        self.state().phase.clone()
    }

    /// Server certificates seen so far.
    #[must_use]
    pub fn seen(&self) -> Vec<Seen> {
        self.state().seen.clone()
    }

    fn saw(&self, server: String, connection: &ClientConnection) {
        if !self.note_certificates {
            return;
        }
        let validity = connection
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|leaf| shared::x509::validity(leaf));
        self.state().seen.push(Seen { server, validity });
    }
}

/// Resolves with `getaddrinfo` on this thread; the deadline bounds it.
#[derive(Debug)]
pub struct Resolve(pub Arc<Progress>);

impl Resolver for Resolve {
    fn resolve(
        &self,
        uri: &Uri,
        _config: &Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let host = target::bare_host(uri);
        let port = target::port(uri);
        let mut addresses = self.empty();
        if let Ok(ip) = host.parse::<IpAddr>() {
            addresses.push(SocketAddr::new(ip, port));
        } else {
            self.0.enter(Phase::Resolving(host.to_owned()));
            for address in (host, port).to_socket_addrs()?.take(16) {
                addresses.push(address);
            }
            if addresses.is_empty() {
                return Err(Error::HostNotFound);
            }
        }
        self.0.enter(Phase::Connecting(target::host_port(uri)));
        Ok(addresses)
    }
}

/// Whether `details` are those of the connection to the proxy itself: the
/// tunnel asks for it with the proxy's own URI.
fn to_proxy(details: &ConnectionDetails) -> bool {
    details
        .config
        .proxy()
        .is_some_and(|proxy| std::ptr::eq(proxy.uri(), details.uri))
}

/// Opens the CONNECT tunnel through `--proxy`: the first link of the chain.
#[derive(Debug)]
pub struct Tunnel {
    /// Headers for the CONNECT request only (`Proxy-Authorization`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Whether to send our User-Agent (not when `--header 'User-Agent:'`).
    pub user_agent: bool,
}

/// The most bytes of a proxy's answer to CONNECT.
const MAX_CONNECT_RESPONSE: usize = 16 * 1024;

impl<In: Transport> Connector<In> for Tunnel {
    type Out = Either<In, Box<dyn Transport>>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        if let Some(transport) = chained {
            return Ok(Some(Either::A(transport)));
        }
        let Some(proxy) = details.config.proxy() else {
            return Ok(None);
        };
        if to_proxy(details) {
            return Ok(None);
        }
        let proxy_details = ConnectionDetails {
            uri: proxy.uri(),
            addrs: details
                .resolver
                .resolve(proxy.uri(), details.config, details.timeout)?,
            config: details.config,
            request_level: details.request_level,
            resolver: details.resolver,
            now: details.now,
            timeout: details.timeout,
            current_time: details.current_time.clone(),
            run_connector: details.run_connector.clone(),
            register_shutdown: details.register_shutdown.clone(),
        };
        let transport = (details.run_connector)(&proxy_details)?;
        let shown = match proxy.username() {
            Some(_) => format!("***@{}", target::host_port(proxy.uri())),
            None => target::host_port(proxy.uri()),
        };
        let mut socket = TransportAdapter::new(transport, details.current_time.clone());
        socket.set_timeout(details.timeout);
        let target = target::host_port(details.uri);
        let mut head = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
        if self.user_agent {
            head.push_str(concat!(
                "User-Agent: check-url-available/",
                env!("CARGO_PKG_VERSION"),
                "\r\n"
            ));
        }
        let mut head = head.into_bytes();
        if let (Some(user), password) = (proxy.username(), proxy.password()) {
            let value =
                crate::request::basic_auth(user.as_bytes(), password.unwrap_or("").as_bytes())
                    .map_err(Error::ConnectProxyFailed)?;
            head.extend_from_slice(b"Proxy-Authorization: ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        for (name, value) in &self.headers {
            head.extend_from_slice(name.as_str().as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");
        socket.write_all(&head)?;
        socket.flush()?;
        let mut transport = socket.into_inner();
        let end = loop {
            let more = transport.maybe_await_input(details.timeout)?;
            let input = transport.buffers().input();
            if let Some(end) = head_end(input) {
                break end;
            }
            if input.len() > MAX_CONNECT_RESPONSE {
                return Err(Error::ConnectProxyFailed(failure::proxy_headers_too_large(
                    &shown,
                    MAX_CONNECT_RESPONSE,
                )));
            }
            if !more {
                return Err(Error::ConnectProxyFailed(failure::proxy_closed(&shown)));
            }
        };
        let input = transport.buffers().input();
        let status_line = input.split(|&b| b == b'\n').next().unwrap_or_default();
        let status_line = String::from_utf8_lossy(status_line);
        let status_line = status_line.trim_end();
        let mut words = status_line.splitn(3, ' ');
        let (version, code) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        match shared::number::digits::<u16>(code).filter(|_| code.len() == 3) {
            // RFC 9110 9.3.6: any 2xx means the tunnel is open.
            Some(200..=299) if version.starts_with("HTTP/1.") => {}
            Some(status) if version.starts_with("HTTP/1.") => {
                return Err(Error::ConnectProxyFailed(failure::proxy_refused(
                    &shown, status,
                )));
            }
            _ => {
                return Err(Error::ConnectProxyFailed(failure::proxy_not_http(
                    &shown,
                    status_line,
                )));
            }
        }
        transport.buffers().input_consume(end);
        Ok(Some(Either::B(Box::new(Tunnelled(transport)))))
    }
}

/// Where a response head ends (after its empty line), if it has.
fn head_end(input: &[u8]) -> Option<usize> {
    let mut line_start = 0;
    for (i, &byte) in input.iter().enumerate() {
        if byte == b'\n' {
            let line = &input[line_start..i];
            if line_start > 0 && (line.is_empty() || line == b"\r") {
                return Some(i + 1);
            }
            line_start = i + 1;
        }
    }
    None
}

/// A connection through the tunnel: not TLS to the target, even when TLS to
/// the proxy.
#[derive(Debug)]
struct Tunnelled(Box<dyn Transport>);

impl Transport for Tunnelled {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        self.0.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.0.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }

    fn is_tls(&self) -> bool {
        false
    }
}

/// Wraps https connections in TLS; the last link of the connector chain.
#[derive(Debug)]
pub struct TlsConnector {
    /// The rustls configuration for the target.
    pub tls: Tls,
    /// The one for an https:// proxy: its own trust (`--proxy-insecure`).
    pub proxy_tls: Tls,
    /// Where to note phases and certificates.
    pub progress: Arc<Progress>,
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Unfold<Either<In, TlsTransport>>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            self.progress.enter(Phase::Waiting);
            return Ok(Some(Unfold::new(Either::A(transport))));
        }
        let server = target::host_port(details.uri);
        let proxy = to_proxy(details);
        let (tls, phase) = if proxy {
            (&self.proxy_tls, Phase::ProxyHandshake(server.clone()))
        } else {
            (&self.tls, Phase::Handshake(server.clone()))
        };
        self.progress.enter(phase);
        let config = tls.config().map_err(Error::Rustls)?;
        let name = ServerName::try_from(target::bare_host(details.uri).to_owned())
            .map_err(|_| Error::Tls("the host is not a valid TLS server name"))?;
        let mut connection = ClientConnection::new(config, name).map_err(Error::Rustls)?;
        let mut socket = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        socket.set_timeout(details.timeout);
        connection.complete_io(&mut socket)?;
        if !proxy {
            self.progress.saw(server, &connection);
        }
        self.progress.enter(Phase::Waiting);
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(Unfold::new(Either::B(TlsTransport {
            buffers,
            stream: StreamOwned::new(connection, socket),
        }))))
    }
}

/// A TLS connection, as ureq's transport.
pub struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsTransport")
    }
}

/// A connection whose response head is unfolded before ureq parses it: each
/// obs-fold (a line break followed by a space or tab, within the header
/// fields) becomes spaces, in place, so that nothing moves. The body is never
/// touched: once the head is complete, the wrapper only passes bytes on.
#[derive(Debug)]
pub struct Unfold<T> {
    inner: T,
    head_done: bool,
}

impl<T> Unfold<T> {
    fn new(inner: T) -> Unfold<T> {
        Unfold {
            inner,
            head_done: false,
        }
    }
}

impl<T: Transport> Transport for Unfold<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        let more = self.inner.await_input(timeout)?;
        if self.head_done {
            return Ok(more);
        }
        // ureq consumes nothing of a head until it is complete: the input
        // holds the whole head so far, from the status line.
        let buffers = self.inner.buffers();
        let (complete, unfolded) = unfold(buffers.input());
        self.head_done = complete;
        if let Some(unfolded) = unfolded {
            // Buffers give no write access to what is in them: take it all
            // out and put it back unfolded, same length, so it fits.
            buffers.input_consume(unfolded.len());
            let space = buffers.input_append_buf();
            if let Some(space) = space.get_mut(..unfolded.len()) {
                space.copy_from_slice(&unfolded);
                buffers.input_appended(unfolded.len());
            }
        }
        Ok(more)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// Whether `input` holds a whole response head, and `input` with the folds of
/// its header fields replaced by spaces if it has any. A line starting with
/// whitespace right after the status line is no fold (RFC 9112 §2.2): it is
/// left for the parser to refuse.
fn unfold(input: &[u8]) -> (bool, Option<Vec<u8>>) {
    let mut unfolded: Option<Vec<u8>> = None;
    let mut line = 0;
    let mut start = 0;
    while let Some(end) = input[start..].iter().position(|&b| b == b'\n') {
        let end = start + end;
        let content = &input[start..end];
        if line > 0 && (content.is_empty() || content == b"\r") {
            return (true, unfolded);
        }
        match input.get(end + 1) {
            Some(b' ' | b'\t') if line > 0 => {
                let out = unfolded.get_or_insert_with(|| input.to_vec());
                out[end] = b' ';
                if end > 0 && out[end - 1] == b'\r' {
                    out[end - 1] = b' ';
                }
            }
            // The next line has not arrived: it may be a fold.
            None => return (false, unfolded),
            _ => {}
        }
        line += 1;
        start = end + 1;
    }
    (false, unfolded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_ends_at_its_empty_line() {
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\n\r\nrest"), Some(19));
        assert_eq!(head_end(b"HTTP/1.1 200 OK\nA: b\n\n"), Some(22));
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n"), None);
        assert_eq!(head_end(b"\r\n"), None);
    }

    #[test]
    fn folds_become_spaces_in_the_head_only() {
        let (complete, unfolded) =
            unfold(b"HTTP/1.1 200 OK\r\nA: 1\r\n 2\r\n\t3\r\nB: x\n y\r\n\r\nbody\r\n z");
        assert!(complete);
        assert_eq!(
            unfolded.as_deref(),
            Some(&b"HTTP/1.1 200 OK\r\nA: 1   2  \t3\r\nB: x  y\r\n\r\nbody\r\n z"[..])
        );
        assert_eq!(unfold(b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"), (true, None));
        // Not yet known whether a fold follows: nothing is decided.
        assert_eq!(unfold(b"HTTP/1.1 200 OK\r\nA: 1\r\n"), (false, None));
        // Whitespace after the status line is no fold.
        assert_eq!(unfold(b"HTTP/1.1 200 OK\r\n A: 1\r\n\r\n"), (true, None));
        assert_eq!(unfold(b""), (false, None));
    }

    proptest::proptest! {
        #[test]
        fn unfolding_keeps_the_length_and_the_body(head in "[A-Za-z: \t\r\n]{0,60}", body in "[ -~\r\n]{0,20}") {
            let input = format!("HTTP/1.1 200 OK\r\n{head}\r\n\r\n{body}");
            let (_, unfolded) = unfold(input.as_bytes());
            if let Some(unfolded) = unfolded {
                proptest::prop_assert_eq!(unfolded.len(), input.len());
                proptest::prop_assert!(unfolded.ends_with(body.as_bytes()));
            }
        }
    }
}
