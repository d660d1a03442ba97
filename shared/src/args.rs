//! Argument handling on top of argh, with our exit codes and conventions.
//!
//! argh exits 1 on bad usage, knows no `--version`, only takes `--opt value` and
//! only takes UTF-8. Promises need exit 3 with one line, `--version`,
//! `--opt=value` as well, and paths that are not UTF-8; [`parse`] adds these
//! around argh so every binary (and `recipe-generator`, which validates baked
//! arguments with the binaries' own definitions) behaves the same.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::time::Duration;

use crate::status::Usage;

/// Why parsing stopped without a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// `--help` or `--version`: print this on stdout and exit 0.
    Info(String),
    /// Bad usage: exit 3 with this one line.
    Usage(Usage),
}

/// A non-UTF-8 argument travels through argh as NUL followed by the hex of its
/// bytes; a real argument can never hold a NUL, so the form is unambiguous.
const RAW_MARK: char = '\0';

/// Parses `argv` (without the program name) into `T`.
///
/// # Errors
/// [`Exit::Info`] for `--help` and `--version`, [`Exit::Usage`] with one line
/// saying what is wrong otherwise.
pub fn parse<T: argh::FromArgs>(name: &str, version: &str, argv: Vec<OsString>) -> Result<T, Exit> {
    let args = normalise(argv);
    let options = args.iter().take_while(|arg| *arg != "--");
    if options.clone().any(|arg| arg == "--version") {
        return Err(Exit::Info(format!("{name} {version}")));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    T::from_args(&[name], &refs).map_err(|early| match early.status {
        Ok(()) => Exit::Info(early.output),
        Err(()) => Exit::Usage(Usage(one_line(&early.output, &args))),
    })
}

/// Splits `--opt=value` into `--opt value` (up to a `--`) and encodes arguments
/// that are not UTF-8 so that argh can carry them.
fn normalise(argv: Vec<OsString>) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len() + 4);
    let mut options_done = false;
    for arg in argv {
        let arg = match arg.into_string() {
            Ok(arg) => arg,
            Err(raw) => encode_raw(&raw),
        };
        if options_done || arg == "--" {
            options_done = true;
            out.push(arg);
        } else if let Some((option, value)) = arg.split_once('=').filter(|(o, _)| is_long(o)) {
            out.push(option.to_owned());
            out.push(value.to_owned());
        } else {
            out.push(arg);
        }
    }
    out
}

fn is_long(option: &str) -> bool {
    option.len() > 2 && option.starts_with("--")
}

fn encode_raw(raw: &OsStr) -> String {
    let mut encoded = String::from(RAW_MARK);
    for byte in raw.as_bytes() {
        let _ = write!(encoded, "{byte:02x}");
    }
    encoded
}

/// The argument as the user gave it, for options that take paths: undoes the
/// encoding of non-UTF-8 arguments.
#[must_use]
pub fn os_arg(value: &str) -> OsString {
    match decode_raw(value) {
        Some(bytes) => OsString::from_vec(bytes),
        None => OsString::from(value),
    }
}

/// The argument as the user gave it, shown lossily where it is not UTF-8.
#[must_use]
pub fn display_arg(value: &str) -> String {
    match decode_raw(value) {
        Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        None => value.to_owned(),
    }
}

fn decode_raw(value: &str) -> Option<Vec<u8>> {
    let hex = value.strip_prefix(RAW_MARK)?.as_bytes();
    if hex.len() % 2 != 0 {
        return None;
    }
    hex.chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

/// How many characters of an argument an error line quotes: the kernel takes
/// 128 KiB per argument, which would push the reason off the line.
const SHOWN_ARG_CHARS: usize = 100;

/// argh's error text on one line, with encoded arguments shown lossily and
/// long ones shortened.
fn one_line(output: &str, args: &[String]) -> String {
    let mut line = String::new();
    for part in output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Run "))
    {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(part);
    }
    let mut shown = String::with_capacity(line.len());
    for (i, piece) in line.split(RAW_MARK).enumerate() {
        if i == 0 {
            shown.push_str(piece);
            continue;
        }
        let hex_len = piece.bytes().take_while(u8::is_ascii_hexdigit).count();
        shown.push_str(&display_arg(&format!(
            "{RAW_MARK}{}",
            &piece[..hex_len & !1]
        )));
        shown.push_str(&piece[hex_len & !1..]);
    }
    for raw in args {
        let arg = display_arg(raw);
        if let Some((cut, _)) = arg.char_indices().nth(SHOWN_ARG_CHARS) {
            if shown.contains(arg.as_str()) {
                let bytes = os_arg(raw).len();
                shown = shown.replace(&arg, &format!("{}… ({bytes} bytes)", &arg[..cut]));
            }
        }
    }
    // Arguments shown back may hold newlines or escapes: the line must stay one.
    let shown = crate::report::sanitize(&shown, crate::report::MAX_MESSAGE_CHARS);
    format!("{} (see --help)", shown.trim_end_matches('.'))
}

/// The longest path the kernel takes, in bytes (`PATH_MAX` less its NUL).
pub const MAX_PATH: usize = 4095;

/// Checks that the argh `value` of `option` can name a path: not empty, and no
/// longer than [`MAX_PATH`] (such a path can never exist, so it is bad usage
/// rather than a missing file).
///
/// # Errors
/// A usage line naming the option.
pub fn check_path(option: &str, value: &str) -> Result<(), Usage> {
    let length = os_arg(value).len();
    if length == 0 {
        return Err(Usage(format!("{option} needs a path")));
    }
    if length > MAX_PATH {
        return Err(Usage(format!(
            "{option} is {length} bytes long, longer than any path can be ({MAX_PATH})"
        )));
    }
    Ok(())
}

/// The largest number of seconds we accept anywhere (about 31 years): large
/// enough for any real age or timeout, small enough that no clock arithmetic
/// overflows.
pub const MAX_SECONDS: u64 = 1_000_000_000;

/// Parses a positive number of seconds: `10`, `0.5`, `1.25` (up to nanoseconds).
///
/// No sign, exponent, `inf` or `nan`: a promise's timeout must mean what it says.
///
/// # Errors
/// A message for argh to print after the option's name.
pub fn parse_seconds(value: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "expected a positive number of seconds such as 10 or 0.5, got '{}'",
            display_arg(value)
        )
    };
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || (value.contains('.') && fraction.is_empty())
    {
        return Err(bad());
    }
    if fraction.len() > 9 {
        return Err(format!("'{value}' is more precise than a nanosecond"));
    }
    let too_large = || format!("'{value}' is too large (at most {MAX_SECONDS} seconds)");
    // Only overflow is left to fail here: the digits were checked above.
    let secs: u64 = whole.parse().map_err(|_| too_large())?;
    if secs > MAX_SECONDS {
        return Err(too_large());
    }
    let nanos: u32 = format!("{fraction:0<9}").parse().map_err(|_| bad())?;
    let duration = Duration::new(secs, nanos);
    if duration.is_zero() {
        return Err(format!("must be more than 0 seconds, got '{value}'"));
    }
    Ok(duration)
}

/// Digits only (no sign, space, exponent or base prefix), `0..=max`.
///
/// # Errors
/// A message for argh to print after the option's name.
pub fn parse_count(value: &str, max: u32, what: &str) -> Result<u32, String> {
    value
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= max && value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            format!(
                "expected {what} from 0 to {max}, got '{}'",
                display_arg(value)
            )
        })
}

/// Shows a duration as users wrote it: `10 s`, `0.5 s`, `1.25 s`.
#[must_use]
pub fn format_seconds(duration: Duration) -> String {
    let millis = duration.subsec_millis();
    if millis == 0 {
        format!("{} s", duration.as_secs())
    } else {
        let fraction = format!("{millis:03}");
        format!(
            "{}.{} s",
            duration.as_secs(),
            fraction.trim_end_matches('0')
        )
    }
}

/// Shows a short elapsed time, rounded up to a tenth of a millisecond: `0.1 ms`,
/// `12.5 ms`, `1530 ms`. Integer arithmetic only: float formatting would cost
/// the static binaries 10 KiB.
#[must_use]
pub fn format_millis(duration: Duration) -> String {
    let tenths = duration.as_micros().div_ceil(100);
    if tenths >= 1000 {
        format!("{} ms", tenths / 10)
    } else {
        format!("{}.{} ms", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Check port.
    #[derive(argh::FromArgs, Debug)]
    struct Demo {
        /// port
        #[argh(option)]
        port: u16,
        /// path
        #[argh(option, default = "String::new()")]
        path: String,
        /// quiet
        #[argh(switch, short = 'q')]
        quiet: bool,
        /// rest
        #[argh(positional)]
        rest: Vec<String>,
    }

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn equals_form_is_split_before_the_terminator_only() {
        let demo: Demo = parse("demo", "1", os(&["--port=80", "-q", "--", "--path=x"])).unwrap();
        assert_eq!(demo.port, 80);
        assert!(demo.quiet);
        assert_eq!(demo.rest, ["--path=x"]);
        let demo: Demo = parse("demo", "1", os(&["--port", "8", "--path=a=b"])).unwrap();
        assert_eq!(demo.path, "a=b");
    }

    #[test]
    fn version_and_help_are_info() {
        assert_eq!(
            parse::<Demo>("demo", "1.2", os(&["--version"])).unwrap_err(),
            Exit::Info("demo 1.2".into())
        );
        match parse::<Demo>("demo", "1", os(&["--help"])).unwrap_err() {
            Exit::Info(text) => assert!(text.contains("Usage: demo"), "{text}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_are_one_line() {
        let Err(Exit::Usage(usage)) = parse::<Demo>("demo", "1", os(&["--nope"])) else {
            panic!()
        };
        assert_eq!(usage.0, "Unrecognized argument: --nope (see --help)");
        let Err(Exit::Usage(usage)) = parse::<Demo>("demo", "1", os(&[])) else {
            panic!()
        };
        assert_eq!(
            usage.0,
            "Required options not provided: --port (see --help)"
        );
    }

    #[test]
    fn arguments_shown_back_cannot_break_the_line() {
        // Found by the property tests: a newline in a non-UTF-8 argument.
        let raw = OsString::from_vec(b"\n\x80".to_vec());
        let Err(Exit::Usage(usage)) = parse::<Demo>("demo", "1", vec!["--port".into(), raw]) else {
            panic!()
        };
        assert_eq!(
            usage.0,
            "Error parsing option '--port' with value ' \u{FFFD}': invalid digit found in string (see --help)"
        );
    }

    #[test]
    fn long_arguments_are_shortened_so_the_reason_shows() {
        let long = "9".repeat(128 * 1024);
        let Err(Exit::Usage(usage)) = parse::<Demo>("demo", "1", os(&["--port", &long])) else {
            panic!()
        };
        let quoted = format!("'{}… (131072 bytes)'", "9".repeat(SHOWN_ARG_CHARS));
        assert_eq!(
            usage.0,
            format!(
                "Error parsing option '--port' with value {quoted}: number too large to fit in target type (see --help)"
            )
        );
        let raw = OsString::from_vec([vec![0xff], vec![b'x'; 200]].concat());
        let Err(Exit::Usage(usage)) = parse::<Demo>("demo", "1", vec!["--port".into(), raw]) else {
            panic!()
        };
        assert!(
            usage
                .0
                .contains(&format!("'\u{FFFD}{}… (201 bytes)'", "x".repeat(99))),
            "{}",
            usage.0
        );
    }

    #[test]
    fn paths_are_not_empty_and_fit_path_max() {
        assert_eq!(check_path("--path", "/x"), Ok(()));
        assert_eq!(check_path("--path", &"a".repeat(MAX_PATH)), Ok(()));
        assert_eq!(
            check_path("--path", "").unwrap_err().0,
            "--path needs a path"
        );
        assert_eq!(
            check_path("--path", &"a".repeat(MAX_PATH + 1))
                .unwrap_err()
                .0,
            "--path is 4096 bytes long, longer than any path can be (4095)"
        );
    }

    #[test]
    fn non_utf8_arguments_round_trip_and_show_lossily() {
        let raw = OsString::from_vec(b"/tmp/\xff\xfe".to_vec());
        let demo: Demo = parse(
            "demo",
            "1",
            vec!["--port".into(), "1".into(), "--path".into(), raw.clone()],
        )
        .unwrap();
        assert_eq!(os_arg(&demo.path), raw);
        assert_eq!(display_arg(&demo.path), "/tmp/\u{FFFD}\u{FFFD}");
        let Err(Exit::Usage(usage)) = parse::<Demo>("demo", "1", vec!["--port".into(), raw]) else {
            panic!()
        };
        assert!(usage.0.contains("'/tmp/\u{FFFD}\u{FFFD}'"), "{}", usage.0);
        assert!(!usage.0.contains('\0'));
    }

    #[test]
    fn seconds_accept_plain_decimals_only() {
        assert_eq!(parse_seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_seconds("007.250"), Ok(Duration::from_millis(7250)));
        for bad in [
            "",
            "0",
            "0.0",
            "-0",
            "-1",
            "+1",
            "1e3",
            "1e400",
            "nan",
            "inf",
            ".5",
            "5.",
            "1.2.3",
            "5s",
            " 5",
            "99999999999999999999",
            "1000000001",
            "0.0000000001",
        ] {
            assert!(parse_seconds(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn seconds_are_shown_as_written() {
        assert_eq!(format_seconds(Duration::from_secs(10)), "10 s");
        assert_eq!(format_seconds(Duration::from_millis(500)), "0.5 s");
        assert_eq!(format_seconds(Duration::from_millis(1250)), "1.25 s");
    }

    #[test]
    fn millis_keep_one_decimal_below_100() {
        assert_eq!(format_millis(Duration::from_micros(1)), "0.1 ms");
        assert_eq!(format_millis(Duration::from_micros(340)), "0.4 ms");
        assert_eq!(format_millis(Duration::from_micros(12_500)), "12.5 ms");
        assert_eq!(format_millis(Duration::from_micros(1_530_900)), "1530 ms");
    }
}
