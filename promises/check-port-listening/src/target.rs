//! What to connect to, validated from the options without any I/O.

use std::ffi::OsString;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use shared::Usage;
use socket2::SockAddr;

/// An IP family, for `-4` and `-6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// Whether `address` belongs to this family.
    #[must_use]
    pub fn matches(self, address: &SocketAddr) -> bool {
        match self {
            Family::V4 => address.is_ipv4(),
            Family::V6 => address.is_ipv6(),
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        })
    }
}

/// A validated target.
#[derive(Debug)]
pub enum Target {
    /// A host (name or bare IP literal) and a port.
    Tcp {
        host: String,
        port: u16,
        family: Option<Family>,
    },
    /// A Unix socket, by path or abstract name; `shown` names it in messages.
    Unix { address: SockAddr, shown: String },
}

impl Target {
    /// A TCP target; `host` may be bracketed (`[::1]`).
    ///
    /// # Errors
    /// An empty or malformed host, or an IP literal of the other family.
    pub fn tcp(host: &str, port: u16, family: Option<Family>) -> Result<Target, Usage> {
        let host = unbracket(host)?;
        if let (Ok(ip), Some(family)) = (host.parse::<IpAddr>(), family) {
            if !family.matches(&SocketAddr::new(ip, port)) {
                let flag = if family == Family::V4 { "-4" } else { "-6" };
                return Err(Usage::new(format!(
                    "--host {host} is not an {family} address, but {flag} was given"
                )));
            }
        }
        Ok(Target::Tcp {
            host: host.to_owned(),
            port,
            family,
        })
    }

    /// A Unix socket at `path`.
    ///
    /// # Errors
    /// An empty path, or one too long for a socket address.
    pub fn unix(path: OsString, shown: &str) -> Result<Target, Usage> {
        if path.is_empty() {
            return Err(Usage::new("--unix-socket needs a path"));
        }
        let address = SockAddr::unix(Path::new(&path)).map_err(|_| {
            Usage::new(format!(
                "--unix-socket is {} bytes long, longer than a socket path can be (107)",
                path.len()
            ))
        })?;
        Ok(Target::Unix {
            address,
            shown: format!("unix socket {shown}"),
        })
    }

    /// A Linux abstract socket named `name` (the leading NUL is ours to add).
    ///
    /// # Errors
    /// An empty name, or one too long for a socket address.
    pub fn abstract_name(name: &std::ffi::OsStr, shown: &str) -> Result<Target, Usage> {
        if name.is_empty() {
            return Err(Usage::new("--abstract needs a name"));
        }
        let mut raw = vec![0u8];
        raw.extend_from_slice(name.as_bytes());
        let address =
            SockAddr::unix(Path::new(std::ffi::OsStr::from_bytes(&raw))).map_err(|_| {
                Usage::new(format!(
                    "--abstract is {} bytes long, longer than a socket name can be (107)",
                    name.len()
                ))
            })?;
        Ok(Target::Unix {
            address,
            shown: format!("abstract socket @{shown}"),
        })
    }
}

/// `[::1]` to `::1`; a bare host as it is, once it is a host name or an IP
/// address: what `getaddrinfo` would only fail on later (or take for an option,
/// like `-1`) is bad usage now.
fn unbracket(host: &str) -> Result<&str, Usage> {
    let shown = shared::report::sanitize(&shared::args::display_arg(host), 100);
    if host.is_empty() {
        return Err(Usage::new("--host needs a host name or address"));
    }
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .filter(|i| i.parse::<std::net::Ipv6Addr>().is_ok());
        return inner.ok_or_else(|| {
            Usage::new(format!(
                "--host {shown}: brackets only go around an IPv6 address"
            ))
        });
    }
    match shared::host::check(host) {
        Ok(()) => Ok(host),
        Err(shared::host::Refused::TooLong(length)) => Err(Usage::new(format!(
            "--host is {length} bytes long, longer than any host name can be ({})",
            shared::host::MAX_NAME
        ))),
        Err(shared::host::Refused::Malformed) => Err(Usage::new(format!(
            "--host {shown} is not a host name or IP address"
        ))),
    }
}

/// `host:port`, with IPv6 literals in brackets.
#[must_use]
pub fn tcp_name(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Parses a TCP port: digits only, 1 to 65535.
///
/// # Errors
/// A message for argh to print after the option's name.
pub fn parse_port(value: &str) -> Result<u16, String> {
    match shared::number::digits::<u16>(value) {
        Some(port) if port > 0 => Ok(port),
        _ => Err(format!(
            "expected a port number from 1 to 65535, got '{}'",
            shared::args::display_arg(value)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_1_to_65535_digits_only() {
        assert_eq!(parse_port("80"), Ok(80));
        assert_eq!(parse_port("65535"), Ok(65535));
        for bad in [
            "0",
            "65536",
            "abc",
            "80abc",
            "+80",
            "-1",
            "",
            " 80",
            "99999999999999999999",
        ] {
            assert!(parse_port(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn hosts_may_be_bracketed_ipv6_only() {
        assert_eq!(unbracket("[::1]").unwrap(), "::1");
        assert_eq!(unbracket("::1").unwrap(), "::1");
        assert_eq!(unbracket("localhost").unwrap(), "localhost");
        for good in [
            "db.internal",
            "db.internal.",
            "my_host-1",
            "127.0.0.1",
            "2001:db8::1",
            "fe80::1%eth0",
            "0x10",
        ] {
            assert_eq!(unbracket(good).unwrap(), good);
        }
        let long_label = "a".repeat(64);
        let long_name = ["a"; 128].join(".");
        for bad in [
            "",
            "[127.0.0.1]",
            "[::1",
            "a b",
            "a/b",
            "x\ny",
            "-1",
            "+5",
            ".",
            "a..b",
            "fe80::1%",
            "1::2::3",
            "caf\u{e9}",
            &long_label,
            &long_name,
        ] {
            assert!(unbracket(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn literal_of_the_other_family_is_usage() {
        assert!(Target::tcp("127.0.0.1", 1, Some(Family::V6)).is_err());
        assert!(Target::tcp("::1", 1, Some(Family::V4)).is_err());
        assert!(Target::tcp("localhost", 1, Some(Family::V6)).is_ok());
    }

    #[test]
    fn names_bracket_ipv6() {
        assert_eq!(tcp_name("::1", 80), "[::1]:80");
        assert_eq!(tcp_name("localhost", 80), "localhost:80");
    }
}
