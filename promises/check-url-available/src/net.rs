//! The parts of ureq's transport we provide ourselves, and what they tell the
//! check about progress.
//!
//! - A resolver without threads: ureq's default one spawns a thread per lookup
//!   whenever a timeout is set, while our deadline already bounds a hanging
//!   `getaddrinfo`; IP literals skip the lookup entirely.
//! - A TLS connector over our own rustls configuration (see [`crate::tls`])
//!   that also notes each server certificate's `notAfter`.
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
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
    TransportAdapter,
};

use crate::target;
use crate::tls::Tls;

/// What the check is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Looking up this host name.
    Resolving(String),
    /// Opening a TCP connection to this `host:port`.
    Connecting(String),
    /// In the TLS handshake with this `host:port`.
    Handshake(String),
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
    /// `notAfter`, in seconds since the epoch; `None` if unreadable.
    pub not_after: Option<i64>,
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
        let not_after = connection
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|leaf| shared::x509::not_after(leaf));
        self.state().seen.push(Seen { server, not_after });
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

/// Wraps https connections in TLS; the last link of the connector chain.
#[derive(Debug)]
pub struct TlsConnector {
    /// The rustls configuration.
    pub tls: Tls,
    /// Where to note phases and certificates.
    pub progress: Arc<Progress>,
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

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
            return Ok(Some(Either::A(transport)));
        }
        let server = target::host_port(details.uri);
        self.progress.enter(Phase::Handshake(server.clone()));
        let config = self.tls.config().map_err(Error::Rustls)?;
        let name = ServerName::try_from(target::bare_host(details.uri).to_owned())
            .map_err(|_| Error::Tls("the host is not a valid TLS server name"))?;
        let mut connection = ClientConnection::new(config, name).map_err(Error::Rustls)?;
        let mut socket = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        socket.set_timeout(details.timeout);
        connection.complete_io(&mut socket)?;
        self.progress.saw(server, &connection);
        self.progress.enter(Phase::Waiting);
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(Either::B(TlsTransport {
            buffers,
            stream: StreamOwned::new(connection, socket),
        })))
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
