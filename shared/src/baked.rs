//! Baked arguments: a wrapper file that names a promise binary as its interpreter
//! and carries the binary's arguments in its own body.
//!
//! `recipe-generator` writes such wrappers so that running a promise is one exec:
//! no shell, nothing looked up in `PATH`, and no baked password in `ps`. The
//! kernel runs a file whose first line is `#!INTERPRETER ONE-ARGUMENT` as
//! `INTERPRETER ONE-ARGUMENT FILE CALLER-ARGS...`, so the binary starts with
//! [`FLAG`] and the wrapper's path, reads the arguments from the wrapper and
//! appends the caller's. [`FLAG`] is reserved for this: it is only meaningful
//! as the very first argument, and is never part of `--help`.
//!
//! # The wrapper format
//!
//! ```text
//! #!/opt/native-promises/bin/check-file-exists --baked
//! # Written by recipe-generator 0.1.0 for check-file-exists. Do not edit: ...
//!
//! --path
//! etc/errors.log
//! ```
//!
//! 1. Line 1 starts with `#!` (the kernel reads it; it is not interpreted here).
//! 2. The header follows: any number of lines starting with `#`.
//! 3. One empty line ends the header.
//! 4. Every line after it is one argument, verbatim: every byte between two
//!    newlines, spaces, quotes, `#`, `$` and bytes that are not UTF-8 included.
//!    An empty line is an empty argument. The newline after the last line is
//!    optional (so an empty last argument needs its newline). An argument can hold neither a newline nor a NUL, which is
//!    why the generator refuses such values: the format is then lossless.
//!
//! Anything else is malformed: the binary exits 3 with one line saying where.
//! [`parse_body`] never panics, whatever the bytes.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use crate::status::Usage;

/// The reserved first argument: "the next argument is a wrapper to read".
pub const FLAG: &str = "--baked";

/// The largest wrapper we read. The kernel takes at most 128 KiB per argument,
/// so a real wrapper is far smaller; the cap keeps `--baked /dev/zero` finite.
pub const MAX_WRAPPER_BYTES: usize = 1 << 20;

/// Replaces `--baked WRAPPER` at the start of `argv` by the wrapper's arguments.
/// Any other `argv` comes back unchanged.
///
/// # Errors
/// A [`Usage`] error naming the wrapper when it is missing, unreadable, too large
/// or malformed.
pub fn expand(argv: Vec<OsString>) -> Result<Vec<OsString>, Usage> {
    if argv.first().is_none_or(|first| first != FLAG) {
        return Ok(argv);
    }
    let mut rest = argv.into_iter().skip(1);
    let Some(wrapper) = rest.next() else {
        return Err(Usage::new(format!(
            "{FLAG} needs the path of a wrapper (the kernel adds it when a wrapper names this binary as its interpreter)"
        )));
    };
    let shown = crate::report::sanitize(&wrapper.to_string_lossy(), 300);
    // The wrapper holds --timeout, so its own deadline cannot bound this read:
    // the default one does, for a wrapper on a mount that hangs.
    let deadline = crate::Deadline::start(crate::DEFAULT_TIMEOUT);
    deadline.set_stage(&format!("reading wrapper {shown}"), "");
    let body = read_bounded(&wrapper);
    crate::alarm::disarm();
    let body = body.map_err(|e| Usage::new(format!("cannot read wrapper {shown}: {e}")))?;
    let mut args =
        parse_body(&body).map_err(|e| Usage::new(format!("wrapper {shown} is malformed: {e}")))?;
    args.extend(rest);
    Ok(args)
}

/// Reads a regular file, at most [`MAX_WRAPPER_BYTES`]: a FIFO or a device is
/// refused, never waited for.
fn read_bounded(path: &OsStr) -> Result<Vec<u8>, String> {
    crate::file::read_regular_capped(Path::new(path), MAX_WRAPPER_BYTES as u64)
        .map_err(|e| e.describe(&format!("{} KiB", MAX_WRAPPER_BYTES / 1024)))
}

/// What is wrong with a wrapper body, and on which line (from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The line at fault.
    pub line: usize,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} {}", self.line, self.reason)
    }
}

/// The baked arguments of a wrapper body, following the module's rules.
///
/// # Errors
/// The first line that breaks them.
pub fn parse_body(body: &[u8]) -> Result<Vec<OsString>, Malformed> {
    if !body.starts_with(b"#!") {
        return Err(Malformed {
            line: 1,
            reason: "does not start with #!",
        });
    }
    // The newline after the last line is optional; without this, it would
    // leave an empty piece that looks like one more (empty) line.
    let text = body.strip_suffix(b"\n").unwrap_or(body);
    let mut lines = text.split(|&b| b == b'\n').enumerate().skip(1);
    loop {
        match lines.next() {
            None => {
                return Err(Malformed {
                    line: text.split(|&b| b == b'\n').count() + 1,
                    reason: "is missing: no blank line closes the header",
                });
            }
            Some((_, b"")) => break,
            Some((_, line)) if line.starts_with(b"#") => {}
            Some((n, _)) => {
                return Err(Malformed {
                    line: n + 1,
                    reason: "is neither a # comment nor the blank line that closes the header",
                });
            }
        }
    }
    lines
        .map(|(n, arg)| {
            if arg.contains(&0) {
                Err(Malformed {
                    line: n + 1,
                    reason: "holds a NUL byte, which no argument can",
                })
            } else {
                Ok(OsString::from_vec(arg.to_vec()))
            }
        })
        .collect()
}

/// Whether `arg` can be baked losslessly: neither a newline nor a NUL.
#[must_use]
pub fn bakeable(arg: &OsStr) -> bool {
    !arg.as_bytes().iter().any(|&b| b == b'\n' || b == 0)
}

/// The first line of a wrapper that runs `binary` with baked arguments, without
/// its newline. The kernel reads at most 127 bytes of it on kernels before 5.1.
#[must_use]
pub fn shebang(binary: &OsStr) -> Vec<u8> {
    let mut line = b"#!".to_vec();
    line.extend_from_slice(binary.as_bytes());
    line.push(b' ');
    line.extend_from_slice(FLAG.as_bytes());
    line
}

/// A whole wrapper: [`shebang`], the `header` lines (each gets a `# `), the blank
/// line and one argument a line.
///
/// # Errors
/// The index of the first argument that is not [`bakeable`], or of a header line
/// holding a newline.
pub fn render(binary: &OsStr, header: &[&str], args: &[OsString]) -> Result<Vec<u8>, usize> {
    if let Some(bad) = header.iter().position(|h| h.contains('\n')) {
        return Err(bad);
    }
    if let Some(bad) = args.iter().position(|a| !bakeable(a)) {
        return Err(bad);
    }
    let mut body = shebang(binary);
    body.push(b'\n');
    for line in header {
        body.extend_from_slice(b"# ");
        body.extend_from_slice(line.as_bytes());
        body.push(b'\n');
    }
    body.push(b'\n');
    for arg in args {
        body.extend_from_slice(arg.as_bytes());
        body.push(b'\n');
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&[u8]]) -> Vec<OsString> {
        args.iter()
            .map(|a| OsString::from_vec(a.to_vec()))
            .collect()
    }

    #[test]
    fn rendered_arguments_come_back_verbatim() {
        let args = os(&[
            b"--hint",
            b"'\"$(touch x)`id`\\ *?[a] \xc3\xa9 \xff #not a comment",
            b"",
            b" leading and trailing ",
            b"\r",
            b"#",
        ]);
        let body = render(OsStr::new("/bin/x"), &["made by a test"], &args).unwrap();
        assert!(body.starts_with(b"#!/bin/x --baked\n# made by a test\n\n--hint\n"));
        assert_eq!(parse_body(&body).unwrap(), args);
        assert_eq!(parse_body(&body[..body.len() - 1]).unwrap(), args);
    }

    proptest::proptest! {
        #[test]
        fn every_bakeable_argument_list_round_trips(
            raw in proptest::collection::vec(proptest::collection::vec(1u8..=255, 0..12), 0..8)
        ) {
            let args: Vec<OsString> = raw
                .into_iter()
                .map(|a| OsString::from_vec(a.into_iter().filter(|&b| b != b'\n').collect()))
                .collect();
            let body = render(OsStr::new("/b"), &["h"], &args).unwrap();
            proptest::prop_assert_eq!(parse_body(&body).unwrap(), args);
        }

        #[test]
        fn any_body_parses_or_names_a_line(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            framed in proptest::prelude::any::<bool>(),
        ) {
            let body = if framed { [b"#!/b --baked\n".as_slice(), &body].concat() } else { body };
            if let Err(error) = parse_body(&body) {
                proptest::prop_assert!(error.line >= 1);
                proptest::prop_assert!(error.line <= body.split(|&b| b == b'\n').count() + 1);
            }
        }
    }

    #[test]
    fn newline_and_nul_are_refused_at_render() {
        let args = os(&[b"ok", b"a\nb"]);
        assert_eq!(render(OsStr::new("/b"), &[], &args), Err(1));
        assert!(!bakeable(OsStr::from_bytes(b"a\0")));
        assert_eq!(render(OsStr::new("/b"), &["x\ny"], &[]), Err(0));
    }

    #[test]
    fn malformed_bodies_name_the_line() {
        let cases: [(&[u8], usize); 6] = [
            (b"", 1),
            (b"--path\n/x\n", 1),
            (b"#!/b --baked\n# header\n", 3),
            (b"#!/b --baked", 2),
            (b"#!/b --baked\n# h\n--path\n\n/x\n", 3),
            (b"#!/b --baked\n\n--path\n/x\0y\n", 4),
        ];
        for (body, line) in cases {
            let error = parse_body(body).unwrap_err();
            assert_eq!(error.line, line, "{body:?}: {error}");
        }
        assert_eq!(
            parse_body(b"#!/b --baked\n\n").unwrap(),
            Vec::<OsString>::new()
        );
        assert_eq!(parse_body(b"#!/b --baked\n\n\n").unwrap(), os(&[b""]));
    }

    #[test]
    fn expand_leaves_other_argv_alone_and_appends_caller_arguments() {
        let argv = os(&[b"--port", b"80"]);
        assert_eq!(expand(argv.clone()).unwrap(), argv);
        let dir = std::env::temp_dir().join(format!("baked-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let _removed = RemovedOnDrop(dir.clone());
        let wrapper = dir.join("w");
        std::fs::write(&wrapper, b"#!/b --baked\n\n--port\n80\n").unwrap();
        let mut argv = vec![OsString::from(FLAG), wrapper.clone().into_os_string()];
        argv.push("-q".into());
        assert_eq!(expand(argv).unwrap(), os(&[b"--port", b"80", b"-q"]));
        let missing = dir.join("missing").into_os_string();
        let error = expand(vec![FLAG.into(), missing]).unwrap_err();
        assert!(
            error.0.ends_with("/missing: no such file or directory"),
            "{error}"
        );
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let error = expand(vec![FLAG.into(), fifo.into_os_string()]).unwrap_err();
        assert!(error.0.ends_with("/fifo: not a regular file"), "{error}");
        let error = expand(vec![FLAG.into(), dir.clone().into_os_string()]).unwrap_err();
        assert!(error.0.ends_with(": not a regular file"), "{error}");
        assert!(
            expand(vec![FLAG.into()])
                .unwrap_err()
                .0
                .starts_with("--baked needs")
        );
    }

    /// Removes a test's folder however the test ends (a failed assertion unwinds through it).
    struct RemovedOnDrop(std::path::PathBuf);

    impl Drop for RemovedOnDrop {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
