//! What counts as a host: one rule for every binary that takes one
//! (check-port-listening's `--host`, the host of check-url-available's `--url`),
//! so that a name one binary refuses is not resolved by another.

/// The longest host name DNS can carry in its text form, without the final
/// dot (255 bytes on the wire).
pub const MAX_NAME: usize = 253;

/// Why a host is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Longer than [`MAX_NAME`] (final dot not counted): this many bytes.
    TooLong(usize),
    /// Neither a host name nor an IP address.
    Malformed,
}

/// Checks a bare host (no brackets): an IPv6 address, with a zone
/// (`fe80::1%eth0`) or without, or a name (IPv4 addresses are names here).
///
/// A name is dot-separated labels of letters, digits, `-` and `_` (in real use
/// beyond RFC 1123), none empty, none longer than 63 bytes, none starting with
/// `-` (which `getaddrinfo` callers could take for an option); a final dot is
/// allowed.
///
/// # Errors
/// Why the host is refused.
pub fn check(host: &str) -> Result<(), Refused> {
    if is_ipv6(host) {
        return Ok(());
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.len() > MAX_NAME {
        return Err(Refused::TooLong(name.len()));
    }
    let labels_ok = name.split('.').all(|label| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if labels_ok {
        Ok(())
    } else {
        Err(Refused::Malformed)
    }
}

/// An IPv6 address, with a zone or without.
fn is_ipv6(host: &str) -> bool {
    let (address, zone) = host.split_once('%').unwrap_or((host, "x"));
    address.parse::<std::net::Ipv6Addr>().is_ok()
        && !zone.is_empty()
        && zone
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_addresses_and_lengths() {
        let label = "a".repeat(63);
        let longest = [label.as_str(); 4].join(".")[..MAX_NAME].to_owned();
        assert_eq!(longest.len(), 253);
        for good in [
            "localhost",
            "db.internal.",
            "my_host-1",
            "127.0.0.1",
            "2001:db8::1",
            "fe80::1%eth0",
            &longest,
            &format!("{longest}."),
        ] {
            assert_eq!(check(good), Ok(()), "{good:?}");
        }
        assert_eq!(check(&format!("{longest}a")), Err(Refused::TooLong(254)));
        for bad in [
            "",
            ".",
            "a..b",
            "-1",
            "a b",
            "x\ny",
            "fe80::1%",
            "1::2::3",
            "caf\u{e9}",
            "a/b",
            &"a".repeat(64),
        ] {
            assert_eq!(check(bad), Err(Refused::Malformed), "{bad:?}");
        }
    }
}
