//! Real listeners on loopback and Unix sockets, for the promises to connect to.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{self, UnixListener};

use socket2::{Domain, Socket, Type};

/// A TCP listener on 127.0.0.1; the kernel completes handshakes into its queue.
pub fn tcp4() -> TcpListener {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1")
}

/// A TCP listener on ::1, or `None` (said on stderr) where IPv6 loopback is off.
pub fn tcp6() -> Option<TcpListener> {
    match TcpListener::bind((Ipv6Addr::LOCALHOST, 0)) {
        Ok(listener) => Some(listener),
        Err(e) => {
            super::skip(format_args!(
                "::1 is not available here ({e}); IPv6 case not run"
            ));
            None
        }
    }
}

/// A port on 127.0.0.1 with nothing listening (bound, noted, released).
pub fn closed_port() -> u16 {
    tcp4().local_addr().expect("addr").port()
}

/// A port on `ip` that accepts the SYN of nobody: its accept queue is full, so
/// a connect hangs until the caller gives up. Keep the value alive while used.
pub struct FullQueue {
    pub address: SocketAddr,
    _listener: Socket,
    _filler: TcpStream,
}

/// See [`FullQueue`]; `None` where `ip` cannot be bound.
pub fn full_queue(ip: std::net::IpAddr) -> Option<FullQueue> {
    let listener = Socket::new(
        Domain::for_address(SocketAddr::new(ip, 0)),
        Type::STREAM,
        None,
    )
    .ok()?;
    listener.bind(&SocketAddr::new(ip, 0).into()).ok()?;
    // A backlog of 0 holds one connection that nobody accepts.
    listener.listen(0).ok()?;
    let address = listener.local_addr().ok()?.as_socket()?;
    let filler = TcpStream::connect(address).ok()?;
    Some(FullQueue {
        address,
        _listener: listener,
        _filler: filler,
    })
}

/// A Unix listener at `path`.
pub fn unix(path: &std::path::Path) -> UnixListener {
    UnixListener::bind(path).expect("bind unix socket")
}

/// A Linux abstract listener named `name` (unique per test run).
pub fn abstract_socket(name: &str) -> UnixListener {
    let address = net::SocketAddr::from_abstract_name(name.as_bytes()).expect("abstract address");
    UnixListener::bind_addr(&address).expect("bind abstract socket")
}
