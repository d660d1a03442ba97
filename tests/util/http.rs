//! A small HTTP/1.1 server of ours on loopback, for check-url-available. Each
//! request gets what the test's handler says, which can be a proper answer or
//! a misbehaviour (hang, close, reset, garbage, a body that stops, bytes that
//! never end, one at a time or as fast as they go). Every request is
//! recorded before it is answered, so once the check has its answer the test
//! can look at what was sent. With TLS it serves HTTPS; as a proxy it accepts
//! CONNECT and then serves the tunnelled request itself.

use std::io::{self, BufWriter, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// How long a hanging answer waits at most for the client to go away.
const HANG: Duration = Duration::from_secs(30);

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target: `/path?query`, or `host:port` for CONNECT.
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response body.
#[derive(Debug, Clone)]
pub enum Body {
    Bytes(Vec<u8>),
    /// `len` times the byte, sent without holding it in memory.
    Repeat(u8, u64),
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A proper response (the body is left out for HEAD).
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: Body,
    },
    /// These bytes, as they are, then close at once.
    Raw(Vec<u8>),
    /// Nothing, until the client goes away.
    Hang,
    /// Headers announcing `length` bytes, `sent` of the body, then nothing.
    Stall { length: u64, sent: Vec<u8> },
    /// Close the connection without a word.
    Close,
    /// Reset the connection (RST, not FIN) once the request is read.
    Reset,
    /// `head` as it is, then `unit` again and again, `pace` apart (or as fast
    /// as the client takes them), until the client goes away.
    Endless {
        head: Vec<u8>,
        unit: Vec<u8>,
        pace: Option<Duration>,
    },
}

impl Reply {
    /// A response with an empty body.
    pub fn status(status: u16) -> Reply {
        Reply::text(status, "")
    }

    /// A response with a text body.
    pub fn text(status: u16, body: &str) -> Reply {
        Reply::Answer {
            status,
            headers: Vec::new(),
            body: Body::Bytes(body.as_bytes().to_vec()),
        }
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::status(status).header("Location", location)
    }

    /// This reply with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Answer { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// Either plain HTTP, HTTPS, or a CONNECT proxy that serves what it tunnels
/// (in TLS when the first config is given: an https:// proxy; TLS inside the
/// tunnel with the second).
#[derive(Clone)]
enum Mode {
    Plain,
    Tls(Arc<ServerConfig>),
    Proxy(Option<Arc<ServerConfig>>, Option<Arc<ServerConfig>>),
}

/// A running server; it lives as long as the test process.
pub struct Server {
    pub address: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    /// Plain HTTP on `ip`, or `None` (said on stderr) where `ip` cannot be bound.
    pub fn http(
        ip: IpAddr,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Option<Server> {
        Server::start(ip, Mode::Plain, Arc::new(handler))
    }

    /// HTTPS on `ip` with `config`.
    pub fn https(
        ip: IpAddr,
        config: Arc<ServerConfig>,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Option<Server> {
        Server::start(ip, Mode::Tls(config), Arc::new(handler))
    }

    /// A CONNECT proxy on `ip` that answers the tunnelled requests itself,
    /// in TLS when `tls` is given. The handler sees the CONNECT request too:
    /// a 2xx [`Reply::Answer`] opens the tunnel, any other reply is sent instead.
    pub fn proxy(
        ip: IpAddr,
        tls: Option<Arc<ServerConfig>>,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Option<Server> {
        Server::start(ip, Mode::Proxy(None, tls), Arc::new(handler))
    }

    /// An https:// CONNECT proxy on `ip`, speaking TLS with `outer`, that
    /// answers the tunnelled requests itself, in TLS when `inner` is given.
    pub fn tls_proxy(
        ip: IpAddr,
        outer: Arc<ServerConfig>,
        inner: Option<Arc<ServerConfig>>,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Option<Server> {
        Server::start(ip, Mode::Proxy(Some(outer), inner), Arc::new(handler))
    }

    fn start(ip: IpAddr, mode: Mode, handler: Arc<Handler>) -> Option<Server> {
        let listener = match TcpListener::bind((ip, 0)) {
            Ok(listener) => listener,
            Err(e) => {
                super::skip(format_args!(
                    "cannot listen on {ip} ({e}); that case is not run"
                ));
                return None;
            }
        };
        let address = listener.local_addr().expect("local address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (mode, handler, recorded) = (mode.clone(), handler.clone(), recorded.clone());
                thread::spawn(move || connection(stream, &mode, &*handler, &recorded));
            }
        });
        Some(Server { address, requests })
    }

    /// `scheme://address/path` with IPv6 in brackets; `path` starts with `/`.
    pub fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://{}{path}", self.address)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// 127.0.0.1.
pub const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// ::1.
pub const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

fn connection(stream: TcpStream, mode: &Mode, handler: &Handler, recorded: &Mutex<Vec<Request>>) {
    let _ = stream.set_read_timeout(Some(HANG));
    let _ = stream.set_nodelay(true);
    let Ok(socket) = stream.try_clone() else {
        return;
    };
    let answer = |stream: &mut dyn ReadWrite, request: &Request, reply: Reply| {
        answer(stream, &socket, request, reply);
    };
    let serve = |stream: &mut dyn ReadWrite| serve(stream, handler, recorded, &answer);
    match mode {
        Mode::Plain => serve(&mut { stream }),
        Mode::Tls(config) => serve_tls(config, stream, &serve),
        Mode::Proxy(None, inside) => tunnel(
            &mut { stream },
            inside.as_ref(),
            handler,
            recorded,
            &answer,
            &serve,
        ),
        Mode::Proxy(Some(outer), inside) => serve_tls(outer, stream, &|tls: &mut dyn ReadWrite| {
            tunnel(tls, inside.as_ref(), handler, recorded, &answer, &serve);
        }),
    }
}

/// A proxy's side of a connection: CONNECT, then what the tunnel carries.
fn tunnel(
    stream: &mut dyn ReadWrite,
    inside: Option<&Arc<ServerConfig>>,
    handler: &Handler,
    recorded: &Mutex<Vec<Request>>,
    answer: &dyn Fn(&mut dyn ReadWrite, &Request, Reply),
    serve: &dyn Fn(&mut dyn ReadWrite),
) {
    let Some(request) = read_request(stream) else {
        return;
    };
    let connect = request.method == "CONNECT";
    record(recorded, request.clone());
    let reply = handler(&request);
    // The handler sees CONNECT too: any reply but a 2xx answer (a refusal,
    // garbage, a close) is the proxy's answer, and no tunnel opens.
    let opens = matches!(&reply, Reply::Answer { status, .. } if (200..300).contains(status));
    if !connect || !opens {
        answer(stream, &request, reply);
        return;
    }
    if stream
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .and_then(|()| stream.flush())
        .is_err()
    {
        return;
    }
    match inside {
        Some(config) => serve_tls(config, stream, serve),
        None => serve(stream),
    }
}

/// A stream to answer on: plain TCP or TLS.
trait ReadWrite: Read + Write {}

impl<T: Read + Write> ReadWrite for T {}

fn serve_tls<S: Read + Write>(
    config: &Arc<ServerConfig>,
    stream: S,
    serve: &dyn Fn(&mut dyn ReadWrite),
) {
    let connection = ServerConnection::new(config.clone()).expect("server connection");
    let mut tls = StreamOwned::new(connection, stream);
    serve(&mut tls);
    // A refused handshake leaves an alert queued: send it, as a real server does.
    while tls.conn.wants_write() && tls.conn.write_tls(&mut tls.sock).is_ok() {}
}

fn record(recorded: &Mutex<Vec<Request>>, request: Request) {
    recorded
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request);
}

/// One request, one answer, then the connection closes.
fn serve(
    stream: &mut dyn ReadWrite,
    handler: &Handler,
    recorded: &Mutex<Vec<Request>>,
    answer: &dyn Fn(&mut dyn ReadWrite, &Request, Reply),
) {
    let Some(request) = read_request(stream) else {
        return;
    };
    record(recorded, request.clone());
    answer(stream, &request, handler(&request));
}

/// Answers `request` on `stream`; `socket` is the TCP connection under it.
fn answer(stream: &mut dyn ReadWrite, socket: &TcpStream, request: &Request, reply: Reply) {
    match reply {
        Reply::Answer {
            status,
            headers,
            body,
        } => {
            let length = match &body {
                Body::Bytes(bytes) => bytes.len() as u64,
                Body::Repeat(_, len) => *len,
            };
            let mut out = BufWriter::new(&mut *stream);
            let _ = write!(out, "HTTP/1.1 {status} Test\r\n");
            let _ = write!(out, "Content-Length: {length}\r\nConnection: close\r\n");
            for (name, value) in &headers {
                let _ = write!(out, "{name}: {value}\r\n");
            }
            let _ = out.write_all(b"\r\n");
            if request.method != "HEAD" {
                let _ = write_body(&mut out, &body);
            }
            let _ = out.flush();
            drop(out);
            wait_for_close(stream);
        }
        // Closed right after: the client must make do with these bytes.
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
            let _ = stream.flush();
        }
        Reply::Hang => wait_for_close(stream),
        Reply::Stall { length, sent } => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {length}\r\n\r\n"
            );
            let _ = stream.write_all(&sent);
            let _ = stream.flush();
            wait_for_close(stream);
        }
        Reply::Close => {}
        Reply::Reset => {
            // Closing with a zero linger time sends RST instead of FIN.
            let _ = socket2::SockRef::from(socket).set_linger(Some(Duration::ZERO));
        }
        Reply::Endless { head, unit, pace } => {
            let mut sent = stream.write_all(&head).and_then(|()| stream.flush());
            while sent.is_ok() {
                sent = stream.write_all(&unit).and_then(|()| stream.flush());
                if let Some(pace) = pace {
                    thread::sleep(pace);
                }
            }
        }
    }
}

fn write_body(out: &mut impl Write, body: &Body) -> io::Result<()> {
    match body {
        Body::Bytes(bytes) => out.write_all(bytes),
        Body::Repeat(byte, len) => {
            let chunk = vec![*byte; 64 * 1024];
            let mut left = *len;
            while left > 0 {
                let n = usize::try_from(left.min(chunk.len() as u64)).unwrap_or(chunk.len());
                out.write_all(&chunk[..n])?;
                left -= n as u64;
            }
            Ok(())
        }
    }
}

/// Holds the connection until the client closes it (or the safety timeout).
fn wait_for_close(stream: &mut (impl Read + ?Sized)) {
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

/// Reads a request head (up to 64 KiB); `None` if the client sent none.
fn read_request(stream: &mut (impl Read + ?Sized)) -> Option<Request> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 * 1024 || !matches!(stream.read(&mut byte), Ok(1)) {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some(Request {
        method,
        target,
        headers,
    })
}
