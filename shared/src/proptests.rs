//! Property tests for the parsers every binary trusts with user input: they
//! must never panic, and what they accept must mean what it says. The same
//! parsers are fuzzed with cargo-fuzz in `fuzz/`.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::time::Duration;

use proptest::prelude::*;

use crate::args::{self, MAX_SECONDS, os_arg, parse_seconds};
use crate::format::format_seconds;
use crate::report::sanitize;

/// A stand-in for a promise's options, to drive `args::parse` end to end.
/// Demo.
#[derive(argh::FromArgs, Debug)]
#[allow(dead_code, reason = "parsed only to drive argh")]
struct Demo {
    /// path
    #[argh(option)]
    path: Option<String>,
    /// timeout
    #[argh(option, from_str_fn(parse_seconds))]
    timeout: Option<Duration>,
    /// switch
    #[argh(switch, short = 'q')]
    quiet: bool,
}

/// Options of every kind, to check that values stay values.
/// Values.
#[derive(argh::FromArgs, Debug, Default, PartialEq)]
struct Values {
    /// text
    #[argh(option)]
    text: Option<String>,
    /// repeatable
    #[argh(option)]
    item: Vec<String>,
    /// with a default
    #[argh(option, default = "String::from(\"default\")")]
    name: String,
    /// switch
    #[argh(switch, short = 'k')]
    insecure: bool,
    /// switch
    #[argh(switch, short = 'q')]
    quiet: bool,
    /// version
    #[argh(switch)]
    version: bool,
}

/// Values that look like options, and anything else.
fn value_like() -> impl Strategy<Value = Vec<u8>> {
    let shaped = prop_oneof![
        Just("--".to_owned()),
        Just("-".to_owned()),
        Just("-k".to_owned()),
        Just("-h".to_owned()),
        Just("--help".to_owned()),
        Just("help".to_owned()),
        Just("--version".to_owned()),
        Just("--text".to_owned()),
        Just("--quiet".to_owned()),
        Just("--pw=-k".to_owned()),
        Just("--text=--version".to_owned()),
        "[-=a-z ]{0,12}",
        "--[a-z]{1,6}=[-=a-z]{0,6}",
    ];
    prop_oneof![
        4 => shaped.prop_map(String::into_bytes),
        1 => proptest::collection::vec(1u8..=255, 0..12),
    ]
}

/// Mostly letters and spaces (clean text, double and edge spaces), some of
/// what the byte path must leave to the char path.
fn line_like() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        6 => Just('a'),
        4 => Just(' '),
        1 => Just('~'),
        1 => Just('\t'),
        1 => Just('\u{7f}'),
        1 => Just('\u{e9}'),
    ];
    proptest::collection::vec(c, 0..12).prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn seconds_never_panic(text in ".{0,40}") {
        let _ = parse_seconds(&text);
    }

    #[test]
    fn seconds_round_trip(secs in 0..=MAX_SECONDS, nanos in 0u32..1_000_000_000) {
        prop_assume!(secs > 0 || nanos > 0);
        let text = format!("{secs}.{nanos:09}");
        prop_assert_eq!(parse_seconds(&text), Ok(Duration::new(secs, nanos)));
        prop_assert_eq!(parse_seconds(&secs.to_string()).ok(), (secs > 0).then(|| Duration::from_secs(secs)));
    }

    #[test]
    fn accepted_seconds_are_plain_decimals(text in "[-+0-9.eE a-z]{0,24}") {
        if let Ok(duration) = parse_seconds(&text) {
            prop_assert!(text.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
            prop_assert!(!duration.is_zero() && duration.as_secs() <= MAX_SECONDS);
            prop_assert!(!format_seconds(duration).is_empty());
        }
    }

    #[test]
    fn sanitised_text_is_one_clean_bounded_line(text in any::<String>(), max in 1usize..200) {
        let clean = sanitize(&text, max);
        prop_assert!(clean.chars().count() <= max);
        let unsafe_char = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202E}');
        prop_assert!(!clean.chars().any(unsafe_char), "{:?}", clean);
        prop_assert!(!clean.starts_with(' ') && !clean.ends_with(' ') && !clean.contains("  "));
    }

    #[test]
    fn the_byte_path_of_sanitize_changes_nothing(text in line_like(), max in 1usize..16) {
        prop_assert_eq!(sanitize(&text, max), crate::report::fold(&text, max));
    }

    #[test]
    fn any_argv_parses_or_fails_with_one_line(argv in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 0..6)) {
        let argv: Vec<OsString> = argv.into_iter().map(|a| OsString::from_vec(a.into_iter().filter(|b| *b != 0).collect())).collect();
        match args::parse::<Demo>("demo", "1", argv) {
            Ok(_) | Err(args::Exit::Info(_)) => {}
            Err(args::Exit::Usage(usage)) => {
                prop_assert!(!usage.0.contains('\n') && !usage.0.contains('\0'), "{:?}", usage.0);
            }
        }
    }

    #[test]
    fn a_value_is_the_argument_verbatim_and_sets_nothing_else(
        value in value_like(),
        option in proptest::sample::select(vec!["--text", "--item", "--name"]),
        inline in any::<bool>(),
        baked in any::<bool>(),
        then_quiet in any::<bool>(),
    ) {
        let raw = OsString::from_vec(value);
        let mut argv: Vec<OsString> = if inline {
            let mut joined = OsString::from(format!("{option}="));
            joined.push(&raw);
            vec![joined]
        } else {
            vec![option.into(), raw.clone()]
        };
        if then_quiet {
            argv.push("-q".into());
        }
        if baked && argv.iter().all(|a| crate::baked::bakeable(a)) {
            let body = crate::baked::render(std::ffi::OsStr::new("/b"), &[], &argv).expect("bakeable");
            argv = crate::baked::parse_body(&body).expect("parses");
        }
        let parsed: Values = args::parse("demo", "1", argv).expect("a value parses");
        let value = os_arg(match option {
            "--text" => parsed.text.as_deref().expect("--text is set"),
            "--item" => parsed.item.first().expect("--item is set"),
            _ => &parsed.name,
        });
        prop_assert_eq!(&value, &raw);
        let mut expected = Values { quiet: then_quiet, name: parsed.name.clone(), ..Values::default() };
        match option {
            "--text" => expected.text.clone_from(&parsed.text),
            "--item" => expected.item.clone_from(&parsed.item),
            _ => {}
        }
        if option != "--name" {
            expected.name = "default".into();
        }
        prop_assert_eq!(parsed, expected);
    }

    #[test]
    fn paths_survive_argh_byte_for_byte(path in proptest::collection::vec(1u8..=255, 1..40)) {
        let raw = OsString::from_vec(path);
        prop_assume!(!raw.as_bytes().starts_with(b"-"));
        let demo: Demo = args::parse("demo", "1", vec!["--path".into(), raw.clone()]).expect("a path parses");
        prop_assert_eq!(os_arg(&demo.path.expect("path")), raw);
    }
}
