//! Checks that something accepts connections: a TCP port, a Unix socket or a
//! Linux abstract socket. It connects, sends nothing and closes at once.
//!
//! Replaces SlapOS's `check_port_listening` recipe and `check_socket_listening`
//! plugin. Unlike the plugin (first address only) and like the recipe, every
//! resolved address is tried: `localhost` resolving to `::1` first while the
//! service listens on 127.0.0.1 only is the classic false alarm.

mod target;

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use argh::FromArgs;
use shared::args::{display_arg, os_arg};
use shared::format::format_millis;
use shared::report::perf_seconds;
use shared::{Deadline, Failure, Promise, Report, Usage};
use socket2::{Domain, SockAddr, Socket, Type};

pub use target::{Family, Target, parse_port};

shared::promise_options! {
/// Checks that a TCP port, a Unix socket or a Linux abstract socket accepts
/// connections. Connects, sends nothing, closes at once. Every address a host
/// name resolves to is tried until one accepts.
#[derive(FromArgs, Debug)]
#[argh(
    example = "{command_name} --port 8080\n{command_name} --host ::1 --port 5432 --timeout 2\n{command_name} --unix-socket /srv/slapgrid/slappart3/var/run/mariadb.sock",
    note = "Options also take the form --option=value. A host name that does not resolve is CRITICAL. Each address gets an equal share of the time left, so one that never answers cannot starve the others.",
    error_code(0, "OK: the socket accepts connections"),
    error_code(2, "CRITICAL: refused, unreachable, unresolvable or timed out"),
    error_code(3, "UNKNOWN: bad usage")
)]
pub struct Args {
    /// host name or IP address: IPv4, IPv6 bare (::1) or bracketed ([::1]) (default: localhost)
    #[argh(option)]
    pub host: Option<String>,

    /// TCP port, 1 to 65535 (required unless --unix-socket or --abstract)
    #[argh(option, from_str_fn(parse_port))]
    pub port: Option<u16>,

    /// only try IPv4 addresses
    #[argh(switch, short = '4')]
    pub ipv4: bool,

    /// only try IPv6 addresses
    #[argh(switch, short = '6')]
    pub ipv6: bool,

    /// path of a Unix socket to connect to, instead of a TCP port
    #[argh(option, arg_name = "path")]
    pub unix_socket: Option<String>,

    /// name of a Linux abstract socket (without the leading @ or NUL), instead of a TCP port
    #[argh(option, arg_name = "name")]
    pub r#abstract: Option<String>,
}
timeout = "seconds the whole check may take, resolution included; fractions allowed (default: 10)",
perfdata = "append Nagios performance data (response time) after a | on success",
}

/// What the check found wrong.
#[derive(Debug)]
pub enum Error {
    /// The host name did not resolve.
    Resolve {
        target: String,
        host: String,
        error: io::Error,
    },
    /// The name resolved, but not to an address of the family asked for.
    NoAddress {
        target: String,
        host: String,
        family: Family,
    },
    /// Every address failed; what happened at each.
    Connect {
        target: String,
        attempts: Vec<String>,
    },
    /// The deadline passed before an address answered.
    Timeout(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Resolve {
                target,
                host,
                error,
            } => {
                write!(
                    f,
                    "{target} is not reachable: cannot resolve {host}: {}",
                    describe(error)
                )
            }
            Error::NoAddress {
                target,
                host,
                family,
            } => {
                write!(
                    f,
                    "{target} is not reachable: {host} has no {family} address"
                )
            }
            Error::Connect { target, attempts } => {
                write!(f, "{target} is not listening: {}", attempts.join(", "))
            }
            Error::Timeout(message) => f.write_str(message),
        }
    }
}

impl Failure for Error {}

impl Promise for Args {
    type Plan = Target;
    type Error = Error;

    fn plan(self) -> Result<Target, Usage> {
        let family = match (self.ipv4, self.ipv6) {
            (true, true) => return Err(Usage::new("-4 and -6 exclude each other")),
            (true, false) => Some(Family::V4),
            (false, true) => Some(Family::V6),
            (false, false) => None,
        };
        let tcp_given = self.host.is_some() || self.port.is_some() || family.is_some();
        match (self.unix_socket, self.r#abstract) {
            (Some(_), Some(_)) => Err(Usage::new(
                "--unix-socket and --abstract exclude each other",
            )),
            (Some(_), None) | (None, Some(_)) if tcp_given => Err(Usage::new(
                "--unix-socket and --abstract exclude --host, --port, -4 and -6",
            )),
            (Some(path), None) => Target::unix(os_arg(&path), &display_arg(&path)),
            (None, Some(name)) => Target::abstract_name(&os_arg(&name), &display_arg(&name)),
            (None, None) => {
                let port = self.port.ok_or_else(|| {
                    Usage::new(
                        "one of --port, --unix-socket or --abstract is required (see --help)",
                    )
                })?;
                Target::tcp(self.host.as_deref().unwrap_or("localhost"), port, family)
            }
        }
    }

    fn execute(target: Target, deadline: &Deadline, perfdata: bool) -> Result<Report, Error> {
        match target {
            Target::Tcp { host, port, family } => {
                check_tcp(&host, port, family, deadline, perfdata)
            }
            Target::Unix { address, shown } => check_unix(&address, &shown, deadline, perfdata),
        }
    }
}

fn check_tcp(
    host: &str,
    port: u16,
    family: Option<Family>,
    deadline: &Deadline,
    perfdata: bool,
) -> Result<Report, Error> {
    let target = target::tcp_name(host, port);
    // An IP literal is not looked up: no resolving stage to prepare for it.
    if host.parse::<IpAddr>().is_err() {
        deadline.set_stage(&target, &format!("resolving {host}"));
    }
    let resolved = (host, port)
        .to_socket_addrs()
        .map_err(|error| Error::Resolve {
            target: target.clone(),
            host: host.to_owned(),
            error,
        })?;
    let addresses: Vec<SocketAddr> = resolved
        .filter(|a| family.is_none_or(|f| f.matches(a)))
        .collect();
    if addresses.is_empty() {
        let family = family.unwrap_or(Family::V4);
        return Err(Error::NoAddress {
            target,
            host: host.to_owned(),
            family,
        });
    }
    connect_any(target, &addresses, deadline, perfdata)
}

/// Tries every address in turn until one accepts.
fn connect_any(
    target: String,
    addresses: &[SocketAddr],
    deadline: &Deadline,
    perfdata: bool,
) -> Result<Report, Error> {
    // Empty until a failure: the usual run succeeds at its first address.
    let mut attempts = Vec::new();
    let mut last_timed_out = false;
    for (i, address) in addresses.iter().enumerate() {
        // Shown once, for the stage and for the verdict.
        let shown = address.to_string();
        deadline.set_stage(&target, &["connecting to ", &shown].concat());
        // An equal share of what is left: an address that never answers leaves
        // time for the ones after it.
        let share = deadline.remaining() / u32::try_from(addresses.len() - i).unwrap_or(u32::MAX);
        let started = Instant::now();
        match connect(
            &SockAddr::from(*address),
            Domain::for_address(*address),
            share,
        ) {
            Ok(()) => return Ok(listening(&target, &shown, started, deadline, perfdata)),
            Err(error) => {
                last_timed_out = error.kind() == io::ErrorKind::TimedOut;
                attempts.push(format!("{shown} {}", describe(&error)));
            }
        }
    }
    // The last attempt had all the time left: the deadline is what ended the check.
    if last_timed_out {
        return Err(Error::Timeout(match addresses {
            [only] => deadline.timed_out(&target, &format!("connecting to {only}")),
            _ => format!(
                "{}: {}",
                deadline.timed_out(&target, ""),
                attempts.join(", ")
            ),
        }));
    }
    Err(Error::Connect { target, attempts })
}

fn check_unix(
    address: &SockAddr,
    shown: &str,
    deadline: &Deadline,
    perfdata: bool,
) -> Result<Report, Error> {
    deadline.set_stage(shown, "connecting");
    let started = Instant::now();
    let budget = deadline.remaining();
    match connect(address, Domain::UNIX, budget) {
        Ok(()) => Ok(listening(shown, "", started, deadline, perfdata)),
        Err(error) if error.kind() == io::ErrorKind::TimedOut => {
            Err(Error::Timeout(deadline.timed_out(shown, "connecting")))
        }
        Err(error) => Err(Error::Connect {
            target: shown.to_owned(),
            attempts: vec![describe(&error)],
        }),
    }
}

/// Opens a stream socket to `address` and closes it at once.
fn connect(address: &SockAddr, domain: Domain, budget: Duration) -> io::Result<()> {
    if budget.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    let socket = Socket::new(domain, Type::STREAM.cloexec(), None)?;
    socket.connect_timeout(address, budget)
}

fn listening(
    target: &str,
    address: &str,
    started: Instant,
    deadline: &Deadline,
    perfdata: bool,
) -> Report {
    let took = started.elapsed();
    let elapsed = format_millis(took);
    let report = if address.is_empty() {
        Report::ok(format!("{target} is listening (connected in {elapsed})"))
    } else {
        Report::ok(format!(
            "{target} is listening ({address} accepted in {elapsed})"
        ))
    };
    if !perfdata {
        return report;
    }
    let time = format!(
        "{}s;;;0;{}",
        perf_seconds(took),
        perf_seconds(deadline.timeout())
    );
    report.with_perf("time", &time)
}

/// What a resolution or connection attempt ran into, in a few words.
fn describe(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
        io::ErrorKind::TimedOut => "timed out".to_owned(),
        io::ErrorKind::NotFound => "no such socket".to_owned(),
        _ => shared::report::describe_io(error),
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, TcpListener, TcpStream};

    use super::*;

    fn closed() -> SocketAddr {
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap()
            .local_addr()
            .unwrap()
    }

    /// A listener whose accept queue is full: connecting to it hangs.
    fn black_hole() -> (Socket, TcpStream, SocketAddr) {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        socket
            .bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
            .unwrap();
        socket.listen(0).unwrap();
        let address = socket.local_addr().unwrap().as_socket().unwrap();
        let filler = TcpStream::connect(address).unwrap();
        (socket, filler, address)
    }

    #[test]
    fn later_address_is_tried_after_a_refusal() {
        let open = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let open_address = open.local_addr().unwrap();
        let deadline = Deadline::unguarded(Duration::from_secs(5));
        let report = connect_any("t".into(), &[closed(), open_address], &deadline, false).unwrap();
        assert!(
            report
                .message
                .starts_with(&format!("t is listening ({open_address} accepted in ")),
            "{report:?}"
        );
    }

    #[test]
    fn address_that_never_answers_leaves_time_for_the_next() {
        let (_hole, _filler, hole) = black_hole();
        let open = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let deadline = Deadline::unguarded(Duration::from_millis(800));
        let started = Instant::now();
        let report = connect_any(
            "t".into(),
            &[hole, open.local_addr().unwrap()],
            &deadline,
            false,
        );
        assert!(report.is_ok(), "{report:?}");
        // The black hole got half the time, not all of it.
        let spent = started.elapsed();
        assert!(
            spent >= Duration::from_millis(350) && spent < Duration::from_millis(700),
            "{spent:?}"
        );
    }

    #[test]
    fn every_failure_is_listed_and_a_final_timeout_names_the_deadline() {
        let (refused_a, refused_b) = (closed(), closed());
        let deadline = Deadline::unguarded(Duration::from_secs(5));
        let error = connect_any("t".into(), &[refused_a, refused_b], &deadline, false).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "t is not listening: {refused_a} connection refused, {refused_b} connection refused"
            )
        );
        let (_hole, _filler, hole) = black_hole();
        let deadline = Deadline::unguarded(Duration::from_millis(300));
        let error = connect_any("t".into(), &[closed(), hole], &deadline, false).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("t timed out after 0.3 s: 127.0.0.1:"),
            "{error}"
        );
        assert!(
            error.to_string().ends_with(&format!("{hole} timed out")),
            "{error}"
        );
    }

    /// Every usage error of the options and of plan(), with its exact line
    /// (the binary prints it after `UNKNOWN: `, exit 3); the black-box tests
    /// run one case of each source through the binary.
    #[test]
    fn usage_errors_say_what_is_wrong() {
        let both = "--unix-socket and --abstract exclude --host, --port, -4 and -6";
        let long = format!("/{}", "s".repeat(200));
        let mut cases: Vec<(Vec<&str>, String)> = vec![
            (
                vec!["--host", "127.0.0.1", "--port", "80", "-6"],
                "--host 127.0.0.1 is not an IPv6 address, but -6 was given".into(),
            ),
            (
                vec!["--host", "::1", "--port", "80", "-4"],
                "--host ::1 is not an IPv4 address, but -4 was given".into(),
            ),
            (
                vec!["--port", "80", "-4", "-6"],
                "-4 and -6 exclude each other".into(),
            ),
            (
                vec!["--unix-socket", "/x.sock", "--port", "80"],
                both.into(),
            ),
            (vec!["--abstract", "x", "--host", "localhost"], both.into()),
            (vec!["--abstract", "x", "-4"], both.into()),
            (
                vec!["--unix-socket", "/x", "--abstract", "x"],
                "--unix-socket and --abstract exclude each other".into(),
            ),
            (
                vec!["--unix-socket", ""],
                "--unix-socket needs a path".into(),
            ),
            (vec!["--abstract", ""], "--abstract needs a name".into()),
            (
                vec!["--unix-socket", &long],
                "--unix-socket is 201 bytes long, longer than a socket path can be (107)".into(),
            ),
            (
                vec!["--host", "localhost"],
                "one of --port, --unix-socket or --abstract is required (see --help)".into(),
            ),
            (
                vec!["--host", "", "--port", "1"],
                "--host needs a host name or address".into(),
            ),
            (
                vec!["--host", "[127.0.0.1]", "--port", "1"],
                "--host [127.0.0.1]: brackets only go around an IPv6 address".into(),
            ),
            (
                vec!["--host", "a b", "--port", "1"],
                "--host a b is not a host name or IP address".into(),
            ),
        ];
        for bad in [
            "0",
            "65536",
            "abc",
            "80abc",
            "-1",
            "",
            "99999999999999999999",
        ] {
            cases.push((
                vec!["--port", bad],
                format!(
                    "Error parsing option '--port' with value '{bad}': expected a port number from 1 to 65535, got '{bad}' (see --help)"
                ),
            ));
        }
        for (args, line) in cases {
            assert_eq!(
                shared::usage_line::<Args>(&args).as_deref(),
                Some(line.as_str()),
                "{args:?}"
            );
        }
        assert_eq!(shared::usage_line::<Args>(&["--port", "80"]), None);
    }
}
