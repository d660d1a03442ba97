//! What the converter knows of the two command-running kinds: the plugin
//! `check_command_execute` (its `config-command` run with `sh -c`) and the
//! cookbook recipe `check_parameter` (a CPython script comparing a value baked
//! at instantiation). Pure functions from a part's values to the promise and
//! arguments of its wrapper, so the table of kinds only has to call them.
//!
//! | part | wrapper runs |
//! | --- | --- |
//! | plugin `check_command_execute`, command `test -S P` or `[ -S P ]` | check-file-exists --path P --type socket |
//! | plugin `check_command_execute`, command `[DIR/]is-local-tcp-port-opened IP PORT` | check-port-listening --host IP --port PORT |
//! | plugin `check_command_execute`, any other command | check-command --command COMMAND |
//! | recipe `slapos.cookbook:check_parameter` | check-parameter --name SECTION --value V ... |
//!
//! The native forms are taken only when the command is exactly those words
//! (quotes allowed, no other shell syntax), so they mean what the shell meant.
//! `is-local-tcp-port-opened` reads the kernel's socket tables for a socket on
//! IP:PORT; check-port-listening connects to it, which is what the promise
//! is for (a listening service), and needs no CPython.

use shared::Usage;

/// The plugin's `config-KEY` settings the mapping uses; the table of kinds
/// lists the others (`frequency`, `result-count`, `failure-amount`, ...) as
/// ignored, as for every plugin.
pub const COMMAND_KEYS: [&str; 1] = ["command"];

/// The recipe's options the mapping reads (besides `path`, where the wrapper goes).
pub const PARAMETER_KEYS: [&str; 4] = [
    "value",
    "expected-type",
    "expected-value",
    "expected-not-value",
];

/// A part mapped to one of our promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Native {
    /// The promise binary.
    pub promise: &'static str,
    /// Its arguments, to bake into the wrapper.
    pub args: Vec<String>,
    /// What the operator should know.
    pub notes: Vec<String>,
}

impl Native {
    fn new(promise: &'static str, args: &[&str]) -> Native {
        Native {
            promise,
            args: args.iter().map(|&a| a.to_owned()).collect(),
            notes: Vec::new(),
        }
    }
}

/// What a part becomes: a wrapper, or why it has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chosen {
    /// The wrapper's promise and arguments.
    Native(Native),
    /// Why this part cannot be converted; the others still are.
    Skip(String),
}

/// The wrapper for a `check_command_execute` part whose `config-command` is
/// `command` (substitutions resolved); `section` names the part in errors.
/// A command that still spans lines once the shell's `\`-newline
/// continuations are joined is a script, which check-command's one
/// `--command` line cannot hold: that part is skipped.
///
/// # Errors
/// No command (the plugin then fails at every run), or a NUL byte in it.
pub fn command_execute(section: &str, command: Option<&str>) -> Result<Chosen, Usage> {
    let command = command.map(str::trim).unwrap_or_default();
    if command.is_empty() {
        return Err(Usage::new(format!(
            "[{section}] has no config-command: the plugin fails at every run"
        )));
    }
    let command = join_continuations(command);
    if command.contains('\0') {
        return Err(Usage::new(format!(
            "[{section}] config-command holds a NUL byte, which no command line can"
        )));
    }
    if command.contains('\n') {
        return Ok(Chosen::Skip(
            "config-command is a multi-line shell script: check-command takes one line".into(),
        ));
    }
    let split = check_command::words::split(&command);
    if split.plain {
        let words: Vec<&str> = split.words.iter().map(String::as_str).collect();
        if let Some(native) = native_command(&words) {
            return Ok(Chosen::Native(native));
        }
    }
    Ok(Chosen::Native(Native::new(
        "check-command",
        &["--command", &command],
    )))
}

/// The native promise for a command of plain words, if there is one.
fn native_command(words: &[&str]) -> Option<Native> {
    let program = words.first()?;
    let name = program.rsplit('/').next().unwrap_or(program);
    match (name, &words[1..]) {
        ("test", ["-S", path]) | ("[", ["-S", path, "]"]) if !path.is_empty() => Some(Native::new(
            "check-file-exists",
            &["--path", path, "--type", "socket"],
        )),
        ("is-local-tcp-port-opened", [host, port]) if is_port(port) && !host.is_empty() => {
            let mut native = Native::new("check-port-listening", &["--host", host, "--port", port]);
            native.notes.push(
                "is-local-tcp-port-opened looked for the socket in /proc/net/tcp; check-port-listening connects to it"
                    .to_owned(),
            );
            Some(native)
        }
        _ => None,
    }
}

fn is_port(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit()) && text.parse::<u16>().is_ok_and(|p| p > 0)
}

/// `command` with the shell's line continuations (`\` then newline, outside
/// single quotes) removed, as the shell would.
fn join_continuations(command: &str) -> String {
    let mut out = String::with_capacity(command.len());
    let mut chars = command.chars().peekable();
    let mut single = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' => single = !single,
            '\\' if !single => match chars.peek() {
                Some('\n') => {
                    chars.next();
                    continue;
                }
                Some(&next) => {
                    out.push(c);
                    out.push(next);
                    chars.next();
                    continue;
                }
                None => {}
            },
            _ => {}
        }
        out.push(c);
    }
    out
}

/// A `check_parameter` part's options, substitutions resolved.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parameter<'a> {
    /// The part's section name, to name the value in the line.
    pub section: &'a str,
    /// `value` (required by the recipe).
    pub value: Option<&'a str>,
    /// `expected-type`: `ipv4` or `ipv6` select an address check.
    pub expected_type: Option<&'a str>,
    /// `expected-value` (empty means unset).
    pub expected_value: Option<&'a str>,
    /// `expected-not-value` (empty means unset).
    pub expected_not_value: Option<&'a str>,
}

/// The check-parameter wrapper for a `check_parameter` part.
///
/// The recipe's rules carried over: `expected-type` ipv4 or ipv6 checks only
/// that (the value options are then ignored); otherwise an empty
/// `expected-value` or `expected-not-value` means "no such check".
///
/// A value that spans lines cannot be one line of the wrapper: that part is
/// skipped.
///
/// # Errors
/// No `value`, a NUL byte, or nothing to check (the recipe's script then
/// passes whatever the value).
pub fn parameter(part: &Parameter<'_>) -> Result<Chosen, Usage> {
    let section = part.section;
    let value = part
        .value
        .ok_or_else(|| Usage::new(format!("[{section}] has no value")))?;
    for (key, text) in [
        ("value", Some(value)),
        ("expected-value", part.expected_value),
        ("expected-not-value", part.expected_not_value),
    ] {
        if text.is_some_and(|t| t.contains('\0')) {
            return Err(Usage::new(format!(
                "[{section}] {key} holds a NUL byte, which no command line can"
            )));
        }
        if text.is_some_and(|t| t.contains('\n')) {
            return Ok(Chosen::Skip(format!(
                "{key} spans several lines: check-parameter takes each value as one line"
            )));
        }
    }
    parameter_checks(part, value).map(Chosen::Native)
}

/// The checks of a `check_parameter` part whose values are each one line.
fn parameter_checks(part: &Parameter<'_>, value: &str) -> Result<Native, Usage> {
    let section = part.section;
    let mut native = Native::new("check-parameter", &["--name", section, "--value", value]);
    let expected = part.expected_value.filter(|v| !v.is_empty());
    let not_expected = part.expected_not_value.filter(|v| !v.is_empty());
    match part.expected_type.map(str::trim) {
        Some(kind @ ("ipv4" | "ipv6")) => {
            native.args.extend(["--type".to_owned(), kind.to_owned()]);
            let ignored: Vec<&str> = [
                ("expected-value", expected),
                ("expected-not-value", not_expected),
            ]
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| *k)
            .collect();
            if !ignored.is_empty() {
                native.notes.push(format!(
                    "ignored: {} (the recipe ignores them with expected-type)",
                    ignored.join(", ")
                ));
            }
            return Ok(native);
        }
        Some(other) if !other.is_empty() => native.notes.push(format!(
            "ignored: expected-type '{other}' (the recipe knows only ipv4 and ipv6)"
        )),
        _ => {}
    }
    if expected.is_none() && not_expected.is_none() {
        return Err(Usage::new(format!(
            "[{section}] checks nothing (no expected-type, expected-value or expected-not-value): the recipe's script always passes"
        )));
    }
    if let Some(expected) = expected {
        native
            .args
            .extend(["--expected".to_owned(), expected.to_owned()]);
    }
    if let Some(not_expected) = not_expected {
        native
            .args
            .extend(["--not-expected".to_owned(), not_expected.to_owned()]);
    }
    Ok(native)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn native(command: &str) -> Native {
        match command_execute("p", Some(command)).expect("mapped") {
            Chosen::Native(native) => native,
            Chosen::Skip(why) => panic!("{command}: skipped: {why}"),
        }
    }

    fn mapped(command: &str) -> (String, Vec<String>) {
        let native = native(command);
        (native.promise.to_owned(), native.args)
    }

    fn owned(args: &[&str]) -> Vec<String> {
        args.iter().map(|&a| a.to_owned()).collect()
    }

    #[test]
    fn socket_tests_become_check_file_exists() {
        for command in [
            "test -S /srv/slapgrid/slappart3/var/run/rsyslogd.sock",
            "  /usr/bin/test -S '/srv/slapgrid/slappart3/var/run/rsyslogd.sock'",
            "[ -S \"/srv/slapgrid/slappart3/var/run/rsyslogd.sock\" ]",
        ] {
            assert_eq!(
                mapped(command),
                (
                    "check-file-exists".to_owned(),
                    owned(&[
                        "--path",
                        "/srv/slapgrid/slappart3/var/run/rsyslogd.sock",
                        "--type",
                        "socket"
                    ])
                ),
                "{command}"
            );
        }
    }

    #[test]
    fn local_port_tests_become_check_port_listening() {
        // The real form from software/repman/instance-mariadb.cfg.jinja2.in.
        let native = native(
            r#""/srv/slapgrid/slappart9/bin/is-local-tcp-port-opened" "2001:db8::7" "2099""#,
        );
        assert_eq!(native.promise, "check-port-listening");
        assert_eq!(
            native.args,
            owned(&["--host", "2001:db8::7", "--port", "2099"])
        );
        assert_eq!(native.notes.len(), 1);
        assert_eq!(
            mapped("is-local-tcp-port-opened 10.0.0.1 8080").1,
            owned(&["--host", "10.0.0.1", "--port", "8080"])
        );
    }

    #[test]
    fn anything_else_runs_as_given() {
        for command in [
            "test -S $HOME/x.sock",
            "test -S /a/x.sock && echo ok",
            "test -S /a/*.sock",
            "test -f /a/x",
            "test -S",
            "is-local-tcp-port-opened 10.0.0.1 99999",
            "is-local-tcp-port-opened 10.0.0.1 http",
            "is-local-tcp-port-opened 10.0.0.1",
            "X=1 test -S /a",
            "~/bin/test -S /a",
            "\"${binary-wrap-mysql}\"  --execute ';' --password=\"x\"",
            "/srv/bin/wcfs status zeo://[::1]:2100",
            "echo \"re6stnet disabled on the node\"",
        ] {
            assert_eq!(
                mapped(command),
                ("check-command".to_owned(), owned(&["--command", command]))
            );
        }
    }

    #[test]
    fn continuations_are_joined_and_scripts_skipped() {
        // The real form from software/mail-server-relay/instance-relay.cfg.jinja2.in.
        let (promise, args) =
            mapped("/o/bin/openssl x509 -checkend 432000 -noout \\\n    -in /p/cert.pem");
        assert_eq!(promise, "check-command");
        assert_eq!(
            args[1],
            "/o/bin/openssl x509 -checkend 432000 -noout     -in /p/cert.pem"
        );
        assert_eq!(
            join_continuations("echo 'a\\\nb' \\\"x"),
            "echo 'a\\\nb' \\\"x"
        );
        // A script (buildout's `config-command +=` adds lines): skipped,
        // the other parts still converted.
        for script in ["true\nfalse", "cd /p &&\n  ./check", "echo 'a\nb'"] {
            assert_eq!(
                command_execute("p", Some(script)).unwrap(),
                Chosen::Skip(
                    "config-command is a multi-line shell script: check-command takes one line"
                        .into()
                ),
                "{script}"
            );
        }
        let error = command_execute("p", Some("true\0")).unwrap_err();
        assert!(error.0.contains("NUL"), "{}", error.0);
        let error = command_execute("promise-byurl", None).unwrap_err();
        assert_eq!(
            error.0,
            "[promise-byurl] has no config-command: the plugin fails at every run"
        );
        assert!(command_execute("p", Some("  ")).is_err());
    }

    fn parameter_args(part: Parameter<'_>) -> Result<Vec<String>, String> {
        match parameter(&part).map_err(|u| u.0)? {
            Chosen::Native(n) => {
                assert_eq!(n.promise, "check-parameter");
                Ok(n.args)
            }
            Chosen::Skip(why) => Err(format!("skipped: {why}")),
        }
    }

    #[test]
    fn parameters_keep_the_recipe_rules() {
        // stack/erp5-zope2/instance-erp5.cfg.in: the published URL must be the requested one.
        let part = Parameter {
            section: "check-software-url",
            value: Some("https://lab/a.cfg"),
            expected_value: Some("https://lab/b.cfg"),
            expected_not_value: Some(""),
            ..Parameter::default()
        };
        assert_eq!(
            parameter_args(part).unwrap(),
            owned(&[
                "--name",
                "check-software-url",
                "--value",
                "https://lab/a.cfg",
                "--expected",
                "https://lab/b.cfg"
            ])
        );
        // stack/erp5-zope2/instance-zope.cfg.in: anything but the placeholder.
        let part = Parameter {
            section: "t",
            value: Some("not-ready"),
            expected_value: Some(""),
            expected_not_value: Some("not-ready"),
            ..Parameter::default()
        };
        assert_eq!(
            parameter_args(part).unwrap(),
            owned(&[
                "--name",
                "t",
                "--value",
                "not-ready",
                "--not-expected",
                "not-ready"
            ])
        );
        // An address type wins over the value checks, as in the recipe.
        let part = Parameter {
            section: "ip",
            value: Some("::1"),
            expected_type: Some("ipv6"),
            expected_value: Some("x"),
            ..Parameter::default()
        };
        let Ok(Chosen::Native(native)) = parameter(&part) else {
            panic!("{part:?}");
        };
        assert_eq!(
            native.args,
            owned(&["--name", "ip", "--value", "::1", "--type", "ipv6"])
        );
        assert_eq!(
            native.notes,
            ["ignored: expected-value (the recipe ignores them with expected-type)"]
        );
        // An unknown type falls back to the value checks.
        let part = Parameter {
            section: "v",
            value: Some("a"),
            expected_type: Some("url"),
            expected_value: Some("a"),
            ..Parameter::default()
        };
        let Ok(Chosen::Native(native)) = parameter(&part) else {
            panic!("{part:?}");
        };
        assert_eq!(
            native.args,
            owned(&["--name", "v", "--value", "a", "--expected", "a"])
        );
        assert_eq!(native.notes.len(), 1);
    }

    #[test]
    fn parameters_that_check_nothing_are_refused_and_multi_line_ones_skipped() {
        let nothing = Parameter {
            section: "n",
            value: Some("x"),
            expected_value: Some(""),
            ..Parameter::default()
        };
        assert!(
            parameter_args(nothing)
                .unwrap_err()
                .contains("checks nothing")
        );
        let missing = Parameter {
            section: "n",
            expected_value: Some("x"),
            ..Parameter::default()
        };
        assert_eq!(parameter_args(missing).unwrap_err(), "[n] has no value");
        let lines = Parameter {
            section: "n",
            value: Some("a\nb"),
            expected_value: Some("x"),
            ..Parameter::default()
        };
        assert_eq!(
            parameter_args(lines).unwrap_err(),
            "skipped: value spans several lines: check-parameter takes each value as one line"
        );
        // An empty value is a value: it must then equal the expectation.
        let empty = Parameter {
            section: "n",
            value: Some(""),
            expected_not_value: Some("not-ready"),
            ..Parameter::default()
        };
        assert_eq!(
            parameter_args(empty).unwrap(),
            owned(&["--name", "n", "--value", "", "--not-expected", "not-ready"])
        );
    }
}
