//! Values stay values, for every option that takes one, of every binary a
//! wrapper can run and of `recipe-generator` itself: whatever the value looks
//! like, in `--opt value` and `--opt=value`, called directly or read from a
//! wrapper of either form, the parse is exactly argh's own verbatim reading of
//! `--opt value` (so the value is the input and no other option is set).

use std::ffi::OsString;
use std::fmt::Debug;
use std::process::Command;

use proptest::prelude::*;
use shared::args::{Exit, parse};
use shared::baked;

use crate::cli::Cli;
use crate::wrapper::quote;

/// The options of `T` that take a value, read from its usage line.
fn value_options<T: argh::FromArgs>(name: &str, words: &[&str]) -> Vec<String> {
    let mut argv: Vec<OsString> = words.iter().map(OsString::from).collect();
    argv.push("--help".into());
    let Err(Exit::Info(help)) = parse::<T>(name, "0", argv) else {
        panic!("{name} has no help");
    };
    let usage: Vec<&str> = help.lines().next().unwrap_or_default().split(' ').collect();
    let options: Vec<String> = usage
        .windows(2)
        .filter(|pair| pair[1].starts_with('<'))
        .map(|pair| pair[0].trim_start_matches('[').to_owned())
        .filter(|option| {
            option.len() > 2
                && option.starts_with('-')
                && option
                    .bytes()
                    .all(|b| b == b'-' || b.is_ascii_alphanumeric())
        })
        .collect();
    assert!(!options.is_empty(), "{help}");
    options
}

/// Values that look like options, and anything else.
fn value_like() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("--".to_owned()),
        Just("-k".to_owned()),
        Just("-h".to_owned()),
        Just("-q".to_owned()),
        Just("--help".to_owned()),
        Just("help".to_owned()),
        Just("--version".to_owned()),
        Just("--baked".to_owned()),
        Just("--pw=-k".to_owned()),
        Just("--insecure".to_owned()),
        Just("--url=http://h/".to_owned()),
        "[-=a-z ]{0,12}",
        "--[a-z-]{1,8}=[-=a-z0-9]{0,6}",
        "[^\0\n]{0,10}",
    ]
}

/// Checks one option of `T` with one value: direct in both forms, and from a
/// wrapper body in both forms.
fn same_as_argh<T: argh::FromArgs + Debug>(
    name: &str,
    words: &[&str],
    base: &[&str],
    option: &str,
    value: &str,
) -> Result<(), TestCaseError> {
    let base: Vec<&str> = if base.contains(&option) {
        vec![]
    } else {
        base.to_vec()
    };
    let mut reference_args: Vec<&str> = words.to_vec();
    reference_args.extend([option, value]);
    reference_args.extend(&base);
    let reference = T::from_args(&[name], &reference_args).map(|t| format!("{t:?}"));
    let joined = format!("{option}={value}");
    let mut inline: Vec<&str> = words.to_vec();
    inline.push(&joined);
    inline.extend(&base);
    let separate: Vec<OsString> = reference_args.iter().map(OsString::from).collect();
    let inline: Vec<OsString> = inline.iter().map(OsString::from).collect();
    let mut forms = vec![separate.clone(), inline];
    if words.is_empty() {
        let body = baked::render("/b".as_ref(), &[], &separate).expect("bakeable");
        forms.push(baked::parse_body(&body).expect("a rendered body parses"));
    }
    for argv in forms {
        let ours = parse::<T>(name, "0", argv.clone()).map(|t| format!("{t:?}"));
        match (&reference, &ours) {
            (Ok(expected), Ok(got)) => prop_assert_eq!(expected, got, "{:?}", argv),
            (Err(_), Err(Exit::Usage(_))) => {}
            _ => prop_assert!(false, "{argv:?}: argh {reference:?}, ours {ours:?}"),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_value_option_of_every_binary_takes_its_value_verbatim(value in value_like()) {
        for option in value_options::<check_url_available::Args>("check-url-available", &[]) {
            same_as_argh::<check_url_available::Args>("check-url-available", &[], &["--url", "http://h/"], &option, &value)?;
        }
        for option in value_options::<check_port_listening::Args>("check-port-listening", &[]) {
            same_as_argh::<check_port_listening::Args>("check-port-listening", &[], &[], &option, &value)?;
        }
        for option in value_options::<check_file_exists::Args>("check-file-exists", &[]) {
            same_as_argh::<check_file_exists::Args>("check-file-exists", &[], &["--path", "/"], &option, &value)?;
        }
        let write = ["--output", "o", "--promise", "check-file-exists", "--bin-dir", "/b"];
        for option in value_options::<Cli>("recipe-generator", &["write"]) {
            same_as_argh::<Cli>("recipe-generator", &["write"], &write, &option, &value)?;
        }
        let convert = ["f", "--bin-dir", "/b", "--promise-dir", "/p"];
        for option in value_options::<Cli>("recipe-generator", &["convert"]) {
            same_as_argh::<Cli>("recipe-generator", &["convert"], &convert, &option, &value)?;
        }
    }

    /// The shell form carries every argument verbatim too: /bin/sh reads the
    /// quoted words back as they were.
    #[test]
    fn the_shell_form_quotes_every_value_verbatim(values in proptest::collection::vec(value_like(), 1..4)) {
        let mut script = b"printf '%s\\0'".to_vec();
        for value in &values {
            script.push(b' ');
            script.extend(quote(value.as_ref()));
        }
        let script = OsString::from_vec(script);
        let out = Command::new("/bin/sh").arg("-c").arg(&script).output().expect("sh runs");
        let mut words: Vec<String> = String::from_utf8(out.stdout).expect("UTF-8")
            .split('\0').map(str::to_owned).collect();
        words.pop();
        prop_assert_eq!(words, values);
    }
}

use std::os::unix::ffi::OsStringExt;
