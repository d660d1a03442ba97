//! What a wrapper file holds.
//!
//! The preferred form names the promise binary itself as the interpreter
//! (`#!BINARY --baked`) and carries the arguments in its body, in the format of
//! `shared::baked`: running it is one exec, with no shell and nothing from
//! `PATH`, and baked values never show in `ps`. Kernels before 5.1 read only 127
//! bytes of the `#!` line and split it at the first blank, so when the binary's
//! path is too long (software releases live deep under `/srv/slapgrid/...`) or
//! holds a blank, the wrapper is a POSIX sh script that `exec`s the binary with
//! every argument single-quoted, then `"$@"`.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use shared::Usage;
use shared::args::display_arg;
use shared::baked;

use crate::registry::Promise;

/// The longest `#!` line (without its newline) every kernel reads whole.
pub const MAX_SHEBANG: usize = 127;

/// A promise binary with validated arguments, ready to be written.
#[derive(Debug)]
pub struct Wrapper {
    /// Which binary it runs.
    pub promise: &'static Promise,
    /// Where that binary is.
    pub binary: PathBuf,
    /// The baked arguments.
    pub args: Vec<OsString>,
}

/// How a wrapper runs its binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// The binary is the wrapper's interpreter: one exec.
    Direct,
    /// Through a shell, because `#!BINARY --baked` would not do: why.
    Shell(String),
}

impl Wrapper {
    /// Checks `args` as the binary would, and that each can be carried verbatim.
    ///
    /// # Errors
    /// The binary's own usage line, or the argument holding a newline or NUL.
    pub fn new(
        promise: &'static Promise,
        binary: PathBuf,
        args: Vec<OsString>,
    ) -> Result<Wrapper, Usage> {
        // Named by its place only: the argument may be a password.
        if let Some(i) = args.iter().position(|a| !baked::bakeable(a)) {
            return Err(Usage::new(format!(
                "argument {} holds a newline or NUL, which a wrapper cannot carry verbatim",
                i + 1
            )));
        }
        promise.validate(&args)?;
        Ok(Wrapper {
            promise,
            binary,
            args,
        })
    }

    /// Refuses to bake a secret into a wrapper that group or others can read.
    ///
    /// # Errors
    /// The line naming the secret's option and what to use instead.
    pub fn check_mode(&self, mode: u32) -> Result<(), Usage> {
        if mode & 0o044 == 0 {
            return Ok(());
        }
        let instead = match baked_secret(&self.args) {
            None => return Ok(()),
            Some("--password") => "give it with --password-file instead, or use --mode 700",
            Some(_) => "use --username with --password-file instead, or --mode 700",
        };
        let option = baked_secret(&self.args).unwrap_or_default();
        Err(Usage::new(format!(
            "--mode {mode:o} lets group or others read the wrapper, and it would bake a secret ({option}): {instead}"
        )))
    }

    /// The form this wrapper takes.
    #[must_use]
    pub fn form(&self, shell: &Path) -> Form {
        let line = baked::shebang(self.binary.as_os_str());
        if self.binary.as_os_str().as_bytes().contains(&b' ')
            || self.binary.as_os_str().as_bytes().contains(&b'\t')
        {
            Form::Shell(format!(
                "through {}: the binary's path holds a blank",
                shell.display()
            ))
        } else if line.len() > MAX_SHEBANG {
            Form::Shell(format!(
                "through {}: its #! line would be {} bytes, over {MAX_SHEBANG}",
                shell.display(),
                line.len()
            ))
        } else {
            Form::Direct
        }
    }

    /// The wrapper file's content, and its form.
    #[must_use]
    pub fn render(&self, shell: &Path) -> (Vec<u8>, Form) {
        let form = self.form(shell);
        let written_by = format!(
            "Written by recipe-generator {} for {}. Do not edit: generate it again.",
            env!("CARGO_PKG_VERSION"),
            self.promise.name
        );
        let body = match &form {
            Form::Direct => {
                let header = [
                    written_by.as_str(),
                    "After the blank line: one argument a line, verbatim. Arguments given at run time follow them.",
                ];
                // Wrapper::new refused what render could not carry.
                baked::render(self.binary.as_os_str(), &header, &self.args).unwrap_or_default()
            }
            Form::Shell(why) => shell_script(shell, &written_by, why, &self.binary, &self.args),
        };
        (body, form)
    }
}

/// The option through which `args` carry a secret: `--password`, a
/// credential `--header` (`Authorization`, `Proxy-Authorization`, `Cookie`), a
/// `--proxy` with user information. Looked for everywhere, values included:
/// an argument that only looks like one costs a stricter mode, never a leak.
#[must_use]
pub fn baked_secret(args: &[OsString]) -> Option<&'static str> {
    let text: Vec<std::borrow::Cow<'_, str>> = args.iter().map(|a| a.to_string_lossy()).collect();
    text.iter().enumerate().find_map(|(i, arg)| {
        let next = text.get(i + 1).map_or("", |n| n.as_ref());
        let value = |option: &str| {
            arg.strip_prefix(option)
                .and_then(|rest| rest.strip_prefix('='))
                .or((arg == option).then_some(next))
        };
        if value("--password").is_some() {
            Some("--password")
        } else if value("--header").is_some_and(|h| {
            h.split_once(':')
                .is_some_and(|(name, _)| shared::secret::is_credential_header(name))
        }) {
            Some("--header")
        } else if value("--proxy").is_some_and(|p| shared::secret::mask_userinfo(p) != p) {
            Some("--proxy")
        } else {
            None
        }
    })
}

fn shell_script(
    shell: &Path,
    written_by: &str,
    why: &str,
    binary: &Path,
    args: &[OsString],
) -> Vec<u8> {
    let mut body = b"#!".to_vec();
    body.extend_from_slice(shell.as_os_str().as_bytes());
    body.extend_from_slice(format!("\n# {written_by}\n# Runs the binary {why}.\nexec ").as_bytes());
    body.extend_from_slice(&quote(binary.as_os_str()));
    for arg in args {
        body.extend_from_slice(b" \\\n\t");
        body.extend_from_slice(&quote(arg));
    }
    body.extend_from_slice(b" \\\n\t\"$@\"\n");
    body
}

/// `value` in single quotes for a POSIX shell: every byte stands for itself,
/// and a `'` becomes `'\''`.
#[must_use]
pub fn quote(value: &OsStr) -> Vec<u8> {
    let mut quoted = vec![b'\''];
    for &byte in value.as_bytes() {
        if byte == b'\'' {
            quoted.extend_from_slice(b"'\\''");
        } else {
            quoted.push(byte);
        }
    }
    quoted.push(b'\'');
    quoted
}

/// Checks that `path` (from option `option`) can serve as an interpreter: an
/// absolute path to an executable file. A wrapper naming a missing interpreter
/// fails with "No such file or directory" naming the wrapper, a famous trap.
///
/// # Errors
/// What is wrong with it.
pub fn check_executable(option: &str, path: &Path) -> Result<(), Usage> {
    let shown = display_arg(&path.to_string_lossy());
    if !path.is_absolute() {
        return Err(Usage::new(format!(
            "{option} {shown} is not an absolute path (wrappers run from the partition folder)"
        )));
    }
    if path.as_os_str().as_bytes().contains(&b'\n') {
        return Err(Usage::new(format!("{option} holds a newline")));
    }
    match path.metadata() {
        Err(e) => Err(Usage::new(format!(
            "{option}: {shown} cannot be used: {}",
            shared::report::describe_io(&e)
        ))),
        Ok(m) if !m.is_file() => Err(Usage::new(format!("{option}: {shown} is not a file"))),
        Ok(m) if m.permissions().mode() & 0o111 == 0 => {
            Err(Usage::new(format!("{option}: {shown} is not executable")))
        }
        Ok(_) => Ok(()),
    }
}

/// Checks the `--shell` of the fallback form: an executable whose `#!` line
/// every kernel reads whole.
///
/// # Errors
/// What is wrong with it.
pub fn check_shell(shell: &Path) -> Result<(), Usage> {
    check_executable("--shell", shell)?;
    let bytes = shell.as_os_str().as_bytes();
    if bytes.contains(&b' ') || bytes.contains(&b'\t') || bytes.len() + 2 > MAX_SHEBANG {
        return Err(Usage::new(format!(
            "--shell {} cannot be named on a #! line (blank, or over {MAX_SHEBANG} bytes)",
            shell.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_found_in_both_forms() {
        let os = |args: &[&str]| args.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            baked_secret(&os(&["--url", "http://h/", "--password", "x"])),
            Some("--password")
        );
        assert_eq!(baked_secret(&os(&["--password=x"])), Some("--password"));
        assert_eq!(
            baked_secret(&os(&["--header", "cookie: a=b"])),
            Some("--header")
        );
        assert_eq!(
            baked_secret(&os(&["--header=Authorization: Bearer t"])),
            Some("--header")
        );
        assert_eq!(
            baked_secret(&os(&["--proxy", "http://u:p@[::1]:3128"])),
            Some("--proxy")
        );
        assert_eq!(
            baked_secret(&os(&["--header", "X-A: b", "--proxy", "http://[::1]:1"])),
            None
        );
        assert_eq!(baked_secret(&os(&["--password-file", "/p"])), None);
    }

    #[test]
    fn quoting_keeps_every_byte_inert() {
        assert_eq!(quote(OsStr::new("a b")), b"'a b'");
        assert_eq!(quote(OsStr::new("it's")), b"'it'\\''s'");
        assert_eq!(quote(OsStr::new("")), b"''");
        assert_eq!(
            quote(OsStr::new("$(x)`y`\\*\"")),
            b"'$(x)`y`\\*\"'".to_vec()
        );
    }

    fn wrapper(binary: &str, args: &[&str]) -> Wrapper {
        Wrapper {
            promise: Promise::find("check-port-listening").unwrap(),
            binary: binary.into(),
            args: args.iter().map(OsString::from).collect(),
        }
    }

    #[test]
    fn short_paths_give_the_direct_form() {
        let (body, form) = wrapper("/opt/bin/check-port-listening", &["--port", "80"])
            .render(Path::new("/bin/sh"));
        assert_eq!(form, Form::Direct);
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(
            "#!/opt/bin/check-port-listening --baked\n# Written by recipe-generator "
        ));
        assert!(text.ends_with("\n\n--port\n80\n"), "{text}");
    }

    #[test]
    fn the_127_byte_limit_is_exact() {
        let fits = format!("/{}", "x".repeat(MAX_SHEBANG - 2 - 1 - 8));
        assert_eq!(baked::shebang(OsStr::new(&fits)).len(), MAX_SHEBANG);
        assert_eq!(wrapper(&fits, &[]).form(Path::new("/bin/sh")), Form::Direct);
        let over = format!("{fits}y");
        assert_eq!(
            wrapper(&over, &[]).form(Path::new("/bin/sh")),
            Form::Shell("through /bin/sh: its #! line would be 128 bytes, over 127".into())
        );
        assert!(matches!(
            wrapper("/a b/c", &[]).form(Path::new("/bin/sh")),
            Form::Shell(_)
        ));
    }

    #[test]
    fn shell_form_quotes_every_argument() {
        let long = format!("/{}/check-port-listening", "d".repeat(130));
        let (body, _) = wrapper(&long, &["--host", "it's"]).render(Path::new("/bin/sh"));
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with("#!/bin/sh\n# Written by "), "{text}");
        assert!(
            text.ends_with(&format!(
                "exec '{long}' \\\n\t'--host' \\\n\t'it'\\''s' \\\n\t\"$@\"\n"
            )),
            "{text}"
        );
    }
}
