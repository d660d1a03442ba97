//! Argument handling on top of argh, with our exit codes and conventions.
//!
//! argh exits 1 on bad usage, knows no `--version`, only takes `--opt value` and
//! only takes UTF-8. Promises need exit 3 with one line, `--version`,
//! `--opt=value` as well, and paths that are not UTF-8; [`parse`] adds these
//! around argh so every binary (and `recipe-generator`, which validates baked
//! arguments with the binaries' own definitions) behaves the same.

use std::collections::HashMap;
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
/// An argument is read as an option only where an option can stand: the one
/// after an option that takes a value is that value, verbatim, whatever it
/// looks like (`-k`, `--x=y`, `--`, `--help`, `--version`). `--version`,
/// `--help` and `-h` count only in option position.
///
/// # Errors
/// [`Exit::Info`] for `--help` and `--version`, [`Exit::Usage`] with one line
/// saying what is wrong otherwise.
pub fn parse<T: argh::FromArgs>(name: &str, version: &str, argv: Vec<OsString>) -> Result<T, Exit> {
    let args = normalise::<T>(name, argv).ok_or_else(|| Exit::Info(format!("{name} {version}")))?;
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    T::from_args(&[name], &refs).map_err(|early| match early.status {
        Ok(()) => Exit::Info(early.output.replace(ARGH_HELP_LINE, HELP_LINE)),
        Err(()) => Exit::Usage(Usage(usage_line(&early.output, &args))),
    })
}

/// argh's line for its help triggers, and ours: `-h` is help too (see
/// [`normalise`]); `help` still works but is not worth a mention.
const ARGH_HELP_LINE: &str = "  --help, help      display usage information";
const HELP_LINE: &str = "  -h, --help        display usage information";

/// The argument for argh: itself, or encoded when it is not UTF-8.
fn encode(arg: OsString) -> String {
    match arg.into_string() {
        Ok(arg) => arg,
        Err(raw) => encode_raw(&raw),
    }
}

/// An argument in option position, encoded with its leading dashes kept
/// outside the encoding when it is not UTF-8: argh still sees an (unknown)
/// option, never a positional argument such as check-command's program.
fn encode_option(arg: OsString) -> String {
    match arg.into_string() {
        Ok(arg) => arg,
        Err(raw) => {
            let bytes = raw.as_bytes();
            let dashes = bytes.iter().take_while(|&&b| b == b'-').count();
            let rest = encode_raw(OsStr::from_bytes(&bytes[dashes..]));
            format!("{}{rest}", "-".repeat(dashes))
        }
    }
}

/// `--opt=value` as `--opt` and `value`, on bytes: the value may not be UTF-8.
fn split_inline(arg: &OsStr) -> Option<(String, OsString)> {
    let bytes = arg.as_bytes();
    let equals = bytes.iter().position(|&b| b == b'=')?;
    let option = std::str::from_utf8(&bytes[..equals])
        .ok()
        .filter(|o| is_long(o))?;
    Some((
        option.to_owned(),
        OsStr::from_bytes(&bytes[equals + 1..]).to_owned(),
    ))
}

/// Walks `args` as argh will, to rewrite only what stands in option position:
/// `--opt=value` becomes `--opt value` where `--opt` takes a value, `-h`
/// becomes `--help` where `-h` is no option of `T`. The argument after an
/// option that takes a value is copied untouched, and so is everything after
/// `--`. `None` when `--version` stands in option position.
fn normalise<T: argh::FromArgs>(name: &str, argv: Vec<OsString>) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(argv.len() + 4);
    // What an option is depends only on the subcommand it follows, named by
    // the first words that are not options; asked once per option and place,
    // so that a million arguments cost a million steps, not their square.
    let mut words: Vec<String> = Vec::new();
    let mut kinds: HashMap<(String, usize), Kind> = HashMap::new();
    let mut argv = argv.into_iter();
    while let Some(arg) = argv.next() {
        if arg == "--" {
            out.push(encode(arg));
            out.extend(argv.map(encode));
            break;
        }
        if !arg.as_bytes().starts_with(b"-") {
            let arg = encode(arg);
            if words.len() < MAX_SUBCOMMAND_DEPTH {
                words.push(arg.clone());
            }
            out.push(arg);
            continue;
        }
        if arg == "--version" {
            return None;
        }
        let (option, inline) = match split_inline(&arg) {
            Some((option, value)) => (option, Some(value)),
            None => (encode_option(arg), None),
        };
        let kind = *kinds
            .entry((option.clone(), words.len()))
            .or_insert_with(|| probe::<T>(name, &words, &option));
        match kind {
            Kind::Value => {
                out.push(option);
                out.extend(inline.or_else(|| argv.next()).map(encode));
            }
            Kind::Unknown if option == "-h" => out.push("--help".to_owned()),
            // The value of an unknown option is never shown back: it may be
            // a mistyped --password.
            Kind::Unknown => out.push(option),
            Kind::Other => match inline {
                Some(value) => {
                    let mut joined = OsString::from(format!("{option}="));
                    joined.push(value);
                    out.push(encode(joined));
                }
                None => out.push(option),
            },
        }
    }
    Some(out)
}

/// How many leading words can name subcommands (recipe-generator has one level).
const MAX_SUBCOMMAND_DEPTH: usize = 2;

/// What `option` is after the words `before`, as argh sees it.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// An option that takes the next argument as its value.
    Value,
    /// No option of the command there.
    Unknown,
    /// A switch, a help trigger, or `before` fails on its own (a stray word).
    Other,
}

/// Asks argh itself: parsing `before` then `option` alone fails with "No
/// value provided" exactly when `option` takes a value there (subcommands
/// included, since `before` names them). argh stops at the first error, so
/// whatever an earlier argument does wrong is reported first either way.
fn probe<T: argh::FromArgs>(name: &str, before: &[String], option: &str) -> Kind {
    let mut refs: Vec<&str> = before.iter().map(String::as_str).collect();
    refs.push(option);
    let Err(early) = T::from_args(&[name], &refs) else {
        return Kind::Other;
    };
    let output = early.output.trim_end();
    if output == format!("No value provided for option '{option}'.") {
        Kind::Value
    } else if output == format!("Unrecognized argument: {option}") {
        Kind::Unknown
    } else {
        Kind::Other
    }
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

/// argh's error as our one line. An option given twice is named without its
/// values: they may be passwords. A word argh did not expect is shown only
/// when it stands where options do and looks like one (`--pasword`): a stray
/// value (`--username u SECRET`, or a word after `--`) may be a password.
fn usage_line(output: &str, args: &[String]) -> String {
    if let Some(word) = output.trim_end().strip_prefix("Unrecognized argument: ") {
        let terminator = args.iter().position(|a| a == "--").unwrap_or(args.len());
        let option_shaped = word.starts_with('-') && args[..terminator].iter().any(|a| a == word);
        if !option_shaped {
            return "an unexpected argument that is not an option (not shown: it may be a secret) \
                    (see --help)"
                .to_owned();
        }
    }
    let duplicate = output
        .trim_end()
        .strip_prefix("Error parsing option '")
        .filter(|_| output.trim_end().ends_with("': duplicate values provided"))
        .and_then(|rest| rest.split_once("' with value '"));
    match duplicate {
        Some((option, _)) => format!("{option} is given more than once (see --help)"),
        None => one_line(output, args),
    }
}

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
    crate::number::digits::<u32>(value)
        .filter(|n| *n <= max)
        .ok_or_else(|| {
            format!(
                "expected {what} from 0 to {max}, got '{}'",
                display_arg(value)
            )
        })
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

    /// Options only: a positional word is unexpected.
    #[derive(argh::FromArgs, Debug)]
    /// demo without positionals
    struct NoWords {
        /// user
        #[argh(option)]
        username: Option<String>,
    }

    #[test]
    fn an_unexpected_word_is_not_shown_an_unknown_option_is() {
        for args in [
            &["--username", "u", "Zq9secret"][..],
            &["Zq9secret"],
            &["--username", "u", "--", "-Zq9secret"],
        ] {
            let Err(Exit::Usage(usage)) = parse::<NoWords>("demo", "1", os(args)) else {
                panic!("{args:?}")
            };
            assert_eq!(
                usage.0,
                "an unexpected argument that is not an option (not shown: it may be a secret) (see --help)",
                "{args:?}"
            );
        }
        let Err(Exit::Usage(usage)) = parse::<NoWords>("demo", "1", os(&["--usr", "x"])) else {
            panic!()
        };
        assert_eq!(usage.0, "Unrecognized argument: --usr (see --help)");
        let Ok(words) = parse::<NoWords>("demo", "1", os(&["--username", "Zq9"])) else {
            panic!()
        };
        assert_eq!(words.username.as_deref(), Some("Zq9"));
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
    fn the_argument_after_a_value_option_is_its_value_whatever_it_looks_like() {
        for value in [
            "--x=-q",
            "-q",
            "--",
            "--help",
            "--version",
            "-h",
            "--path=y",
            "=",
        ] {
            for argv in [
                os(&["--port", "1", "--path", value]),
                os(&["--port=1", &format!("--path={value}")]),
            ] {
                let demo: Demo = parse("demo", "1", argv).unwrap();
                assert_eq!(demo.path, value);
                assert!(!demo.quiet && demo.rest.is_empty(), "{value}: {demo:?}");
            }
        }
    }

    #[test]
    fn a_value_after_the_terminator_or_of_a_switch_is_not_split() {
        let demo: Demo = parse("demo", "1", os(&["--port=1", "--", "--version"])).unwrap();
        assert_eq!(demo.rest, ["--version"]);
        let Err(Exit::Usage(usage)) = parse::<Demo>("demo", "1", os(&["--port=1", "--quiet=x"]))
        else {
            panic!()
        };
        assert_eq!(usage.0, "Unrecognized argument: --quiet=x (see --help)");
        let Err(Exit::Usage(usage)) = parse::<Demo>("demo", "1", os(&["--pasword=secret"])) else {
            panic!()
        };
        assert_eq!(usage.0, "Unrecognized argument: --pasword (see --help)");
    }

    #[test]
    fn an_option_that_is_not_utf8_is_refused_not_taken_as_positional() {
        for raw in [&b"--\xff\x1b[31m"[..], b"-\xfe"] {
            let argv = vec![OsString::from("--port=1"), OsString::from_vec(raw.to_vec())];
            let Err(Exit::Usage(usage)) = parse::<Demo>("demo", "1", argv) else {
                panic!("{raw:?} parsed")
            };
            let shown = String::from_utf8_lossy(raw).replace('\x1b', " ");
            assert_eq!(
                usage.0,
                format!("Unrecognized argument: {shown} (see --help)")
            );
        }
    }

    #[test]
    fn an_option_given_twice_is_named_without_its_values() {
        let Err(Exit::Usage(usage)) =
            parse::<Demo>("demo", "1", os(&["--port=1", "--path", "a", "--path=b"]))
        else {
            panic!()
        };
        assert_eq!(usage.0, "--path is given more than once (see --help)");
    }

    #[test]
    fn h_is_help_in_option_position_only() {
        match parse::<Demo>("demo", "1", os(&["-h"])).unwrap_err() {
            Exit::Info(text) => {
                assert!(text.contains("Usage: demo"), "{text}");
                assert!(text.contains(&format!("\n{HELP_LINE}\n")), "{text}");
            }
            other => panic!("{other:?}"),
        }
        let demo: Demo = parse("demo", "1", os(&["--port", "1", "--path", "-h"])).unwrap();
        assert_eq!(demo.path, "-h");
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
}
