//! From buildout promise parts to wrappers, with the legacy semantics carried
//! over (see the README, "Replacing curl-based promises").
//!
//! | part | wrapper runs | written to |
//! | --- | --- | --- |
//! | recipe `slapos.cookbook:check_url_available` | check-url-available | its `path` |
//! | recipe `slapos.cookbook:check_port_listening` | check-port-listening | its `path` |
//! | recipe `slapos.cookbook:check_page_content` | check-url-available | its `path` |
//! | plugin `check_url_available` | check-url-available | PROMISE-DIR/NAME |
//! | plugin `check_socket_listening` | check-port-listening | PROMISE-DIR/NAME |
//! | plugin `check_file_state` | check-file-exists | PROMISE-DIR/NAME |
//!
//! A plugin part is `recipe = slapos.cookbook:promise.plugin` with
//! `module = slapos.promise.plugin.NAME`, or a monitor-style section with
//! `promise = NAME`; its settings are its `config-KEY` options, and NAME is the
//! file name of its `output` (or its `name`) without `.py`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use shared::Usage;

use crate::buildout::Buildout;

/// What a section is, for the converter.
#[derive(Debug)]
pub enum Part {
    /// A promise with a native replacement.
    Promise(Mapped),
    /// A promise without one: why.
    Skipped(String),
    /// Not a promise.
    Other,
}

/// A promise part turned into a command line.
#[derive(Debug)]
pub struct Mapped {
    /// The promise binary to run.
    pub promise: &'static str,
    /// Where the wrapper goes.
    pub output: PathBuf,
    /// The arguments to bake.
    pub args: Vec<OsString>,
    /// What the operator should know: options ignored, approximations.
    pub notes: Vec<String>,
}

/// Where the converter reads and writes.
#[derive(Debug)]
pub struct Context<'a> {
    /// The buildout file.
    pub buildout: &'a Buildout,
    /// Folder for wrappers replacing plugins.
    pub promise_dir: &'a Path,
    /// The buildout file's path.
    pub file: &'a Path,
}

const PLUGIN_RECIPE: &str = "slapos.cookbook:promise.plugin";
const PLUGIN_MODULE: &str = "slapos.promise.plugin.";

/// What `section` is and, for a promise, its wrapper.
///
/// # Errors
/// A value that cannot be resolved or read, naming the section and key.
pub fn classify(context: &Context<'_>, section: &str) -> Result<Part, Usage> {
    let part = Reader {
        context,
        section,
        notes: Vec::new(),
    };
    match part.get("recipe")?.as_deref() {
        Some("slapos.cookbook:check_url_available") => part.legacy_url().map(Part::Promise),
        Some("slapos.cookbook:check_port_listening") => part.legacy_port().map(Part::Promise),
        Some("slapos.cookbook:check_page_content") => part.page_content().map(Part::Promise),
        Some(PLUGIN_RECIPE) => match part.get("module")? {
            Some(module) => match module.strip_prefix(PLUGIN_MODULE) {
                Some(name) => part.plugin(name),
                None => Ok(Part::Skipped(format!(
                    "plugin module {module} is not one of slapos.promise.plugin"
                ))),
            },
            None => match part.get("promise")? {
                Some(name) => part.plugin(&name),
                None => Ok(Part::Skipped(
                    "plugin without a module (inline code) has no native replacement".into(),
                )),
            },
        },
        // [directory] sections often have a `promise` folder: only a plugin
        // name makes a monitor-style promise.
        None => match part.get("promise")? {
            Some(name) if is_plugin_name(&name) => part.plugin(&name),
            _ => Ok(Part::Other),
        },
        Some(_) => Ok(Part::Other),
    }
}

/// `check_url_available`, not a path or a substitution.
fn is_plugin_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

struct Reader<'c, 'a> {
    context: &'c Context<'a>,
    section: &'c str,
    notes: Vec<String>,
}

impl Reader<'_, '_> {
    fn get(&self, key: &str) -> Result<Option<String>, Usage> {
        self.context.buildout.get(self.section, key)
    }

    fn require(&self, key: &str, what: &str) -> Result<String, Usage> {
        self.get(key)?.ok_or_else(|| {
            Usage::new(format!(
                "[{}] has no {key}, which {what} requires",
                self.section
            ))
        })
    }

    /// A plugin's `config-KEY` option.
    fn config(&self, key: &str) -> Result<Option<String>, Usage> {
        self.get(&format!("config-{key}"))
    }

    /// A 0/1 setting, read as the legacy code did (`int(value)`, non-zero is on).
    fn flag(&self, key: &str, default: bool) -> Result<bool, Usage> {
        match self.get(key)? {
            None => Ok(default),
            Some(value) => value.trim().parse::<i64>().map(|n| n != 0).map_err(|_| {
                Usage::new(format!(
                    "[{}] {key} is '{value}', expected 0 or 1",
                    self.section
                ))
            }),
        }
    }

    fn mapped(self, promise: &'static str, output: PathBuf, args: Vec<String>) -> Mapped {
        Mapped {
            promise,
            output,
            args: args.into_iter().map(OsString::from).collect(),
            notes: self.notes,
        }
    }

    /// The dash+curl script: no TLS verification, redirects followed, timeout
    /// read from a file at every run. Without a number there, the script used
    /// 20 s, which is also slapgrid's kill time: the check would be killed
    /// before it could say anything, so our 10 s default applies instead.
    fn legacy_url(self) -> Result<Mapped, Usage> {
        let path = self.require("path", "the recipe")?;
        let url = self.require("url", "the recipe")?;
        let mut args = vec!["--url".into(), url, "-k".into()];
        if let Some(code) = self.get("http_code")? {
            args.extend(["--http-code".into(), code]);
        }
        if self.flag("check-secure", false)? {
            args.push("--check-secure".into());
        }
        let timeout_file = match self.get("timeout-file-path")? {
            Some(file) => file,
            None => self
                .partition()?
                .join("etc/promise_timeout")
                .to_string_lossy()
                .into_owned(),
        };
        // The script's curl --max-time: the file's number at every run.
        args.extend(["--timeout-file".into(), timeout_file]);
        // The script used the client certificate only when all three were set;
        // with -k, the CA file never served.
        let (ca, cert, key) = (
            self.get("ca-cert-file")?,
            self.get("cert-file")?,
            self.get("key-file")?,
        );
        if let (Some(_), Some(cert), Some(key)) = (&ca, cert, key) {
            args.extend(["--cert-file".into(), cert, "--key-file".into(), key]);
        }
        Ok(self.mapped("check-url-available", path.into(), args))
    }

    /// The partition folder, for the legacy default
    /// `<partition>/etc/promise_timeout`: `[buildout] directory` when the file
    /// says it, else the file's own folder (where `.installed.cfg` and the
    /// instance profile live).
    fn partition(&self) -> Result<PathBuf, Usage> {
        if let Some(directory) = self.context.buildout.get("buildout", "directory")? {
            return Ok(PathBuf::from(directory));
        }
        let file = self.context.file;
        let folder = file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Ok(std::path::absolute(folder).unwrap_or_else(|_| folder.to_owned()))
    }

    fn legacy_port(self) -> Result<Mapped, Usage> {
        let path = self.require("path", "the recipe")?;
        let host = self.require("hostname", "the recipe")?;
        let port = self.require("port", "the recipe")?;
        let args = vec!["--host".into(), host, "--port".into(), port];
        Ok(self.mapped("check-port-listening", path.into(), args))
    }

    /// dash+curl+grep: no TLS verification, redirects followed, 10 s (our
    /// default), `match` a basic regular expression defaulting to the URL.
    fn page_content(mut self) -> Result<Mapped, Usage> {
        let path = self.require("path", "the recipe")?;
        let url = self.require("url", "the recipe")?;
        let expected = self.get("match")?.unwrap_or_else(|| url.clone());
        if expected.contains(['.', '*', '[', ']', '^', '$', '\\']) {
            self.notes
                .push("match is now plain text, not a regular expression".into());
        }
        let args = vec![
            "--url".into(),
            url,
            "-k".into(),
            "--expect-content".into(),
            expected,
        ];
        Ok(self.mapped("check-url-available", path.into(), args))
    }

    fn plugin(mut self, name: &str) -> Result<Part, Usage> {
        let (promise, known): (&'static str, &[&str]) = match name {
            "check_url_available" => ("check-url-available", &URL_KEYS),
            "check_socket_listening" => ("check-port-listening", &SOCKET_KEYS),
            "check_file_state" => ("check-file-exists", &FILE_KEYS),
            _ => {
                return Ok(Part::Skipped(format!(
                    "plugin {name} has no native replacement"
                )));
            }
        };
        let output = self.plugin_output()?;
        let args = match promise {
            "check-url-available" => self.plugin_url()?,
            "check-port-listening" => self.plugin_socket()?,
            _ => self.plugin_file()?,
        };
        let ignored: Vec<String> = self
            .context
            .buildout
            .keys(self.section)?
            .into_iter()
            .filter(|k| {
                k.strip_prefix("config-")
                    .is_some_and(|k| !known.contains(&k))
            })
            .collect();
        if !ignored.is_empty() {
            self.notes.push(format!("ignored: {}", ignored.join(", ")));
        }
        Ok(Part::Promise(self.mapped(promise, output, args)))
    }

    /// PROMISE-DIR/NAME, NAME being the plugin's file name without `.py`.
    fn plugin_output(&self) -> Result<PathBuf, Usage> {
        let file = match self.get("output")? {
            Some(output) => Some(output),
            None => self.get("name")?,
        }
        .unwrap_or_else(|| self.section.to_owned());
        let base = Path::new(&file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = base.strip_suffix(".py").unwrap_or(&base);
        if name.is_empty() || name.starts_with('.') {
            return Err(Usage::new(format!(
                "[{}] names its promise file '{file}', which cannot name a wrapper",
                self.section
            )));
        }
        Ok(self.context.promise_dir.join(name))
    }

    fn plugin_url(&mut self) -> Result<Vec<String>, Usage> {
        let url = self
            .config("url")?
            .ok_or_else(|| Usage::new(format!("[{}] has no config-url", self.section)))?;
        let mut args = vec!["--url".to_owned(), url];
        for (key, option) in [("timeout", "--timeout"), ("http-code", "--http-code")] {
            if let Some(value) = self.config(key)? {
                args.extend([option.to_owned(), value]);
            }
        }
        if self.flag("config-ignore-code", false)? {
            args.push("--ignore-code".into());
        }
        if !self.flag("config-allow-redirects", true)? {
            args.push("--no-follow".into());
        }
        let ca = self.config("ca-cert-file")?;
        if !self.flag("config-verify", false)? && ca.is_none() {
            args.push("-k".into());
        }
        if let Some(ca) = ca {
            args.extend(["--ca-cert-file".into(), ca]);
        }
        self.pair(
            &mut args,
            ("cert-file", "--cert-file"),
            ("key-file", "--key-file"),
        )?;
        self.pair(
            &mut args,
            ("username", "--username"),
            ("password", "--password"),
        )?;
        Ok(args)
    }

    /// Two settings the plugin uses only together.
    fn pair(
        &mut self,
        args: &mut Vec<String>,
        (a, a_option): (&str, &str),
        (b, b_option): (&str, &str),
    ) -> Result<(), Usage> {
        match (self.config(a)?, self.config(b)?) {
            (Some(a_value), Some(b_value)) => {
                args.extend([a_option.into(), a_value, b_option.into(), b_value]);
            }
            (Some(_), None) => self
                .notes
                .push(format!("ignored: config-{a} without config-{b}")),
            (None, Some(_)) => self
                .notes
                .push(format!("ignored: config-{b} without config-{a}")),
            (None, None) => {}
        }
        Ok(())
    }

    fn plugin_socket(&self) -> Result<Vec<String>, Usage> {
        let mut args = Vec::new();
        for (key, option) in [
            ("host", "--host"),
            ("port", "--port"),
            ("pathname", "--unix-socket"),
            ("abstract", "--abstract"),
        ] {
            if let Some(value) = self.config(key)? {
                args.extend([option.to_owned(), value]);
            }
        }
        Ok(args)
    }

    fn plugin_file(&self) -> Result<Vec<String>, Usage> {
        let filename = self
            .config("filename")?
            .ok_or_else(|| Usage::new(format!("[{}] has no config-filename", self.section)))?;
        let mut args = vec!["--path".to_owned(), filename];
        // The plugin's "any other state" means: the file exists, our default.
        if let Some(state) = self.config("state")? {
            if matches!(state.as_str(), "absent" | "empty" | "not-empty") {
                args.extend(["--state".into(), state]);
            }
        }
        if let Some(url) = self.config("url")? {
            let url = shared::secret::mask_userinfo(&url);
            args.extend(["--hint".into(), format!("content available at {url}")]);
        }
        Ok(args)
    }
}

const URL_KEYS: [&str; 11] = [
    "url",
    "timeout",
    "http-code",
    "ignore-code",
    "allow-redirects",
    "verify",
    "ca-cert-file",
    "cert-file",
    "key-file",
    "username",
    "password",
];
const SOCKET_KEYS: [&str; 4] = ["host", "port", "pathname", "abstract"];
const FILE_KEYS: [&str; 3] = ["filename", "state", "url"];

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_text(text: &str, section: &str) -> Result<Part, Usage> {
        let buildout = Buildout::parse(text, "f.cfg").unwrap();
        let context = Context {
            buildout: &buildout,
            promise_dir: Path::new("/p/etc/promise"),
            file: Path::new("/p/.installed.cfg"),
        };
        classify(&context, section)
    }

    fn mapped(text: &str, section: &str) -> Mapped {
        match classify_text(text, section).unwrap() {
            Part::Promise(m) => m,
            other => panic!("{other:?}"),
        }
    }

    fn args(m: &Mapped) -> Vec<&str> {
        m.args.iter().map(|a| a.to_str().unwrap()).collect()
    }

    #[test]
    fn legacy_url_never_verifies_and_reads_the_timeout_file() {
        let m = mapped(
            "[c]\nrecipe = slapos.cookbook:check_url_available\npath = /p/etc/promise/site\nurl = https://[::1]:8443/\ndash_path = /bin/dash\ncurl_path = /bin/curl\ncheck-secure = 1\nhttp_code = 401\nca-cert-file = /ca\ncert-file = /c\nkey-file = /k\n",
            "c",
        );
        assert_eq!(m.promise, "check-url-available");
        assert_eq!(m.output, Path::new("/p/etc/promise/site"));
        assert_eq!(
            args(&m),
            [
                "--url",
                "https://[::1]:8443/",
                "-k",
                "--http-code",
                "401",
                "--check-secure",
                "--timeout-file",
                "/p/etc/promise_timeout",
                "--cert-file",
                "/c",
                "--key-file",
                "/k"
            ]
        );
        let m = mapped(
            "[c]\nrecipe = slapos.cookbook:check_url_available\npath = x\nurl = http://a/\ntimeout-file-path = /t\ncert-file = /c\nkey-file = /k\n",
            "c",
        );
        assert_eq!(
            args(&m),
            ["--url", "http://a/", "-k", "--timeout-file", "/t"]
        );
    }

    #[test]
    fn plugin_url_verifies_only_when_asked() {
        let base = "[u]\nrecipe = slapos.cookbook:promise.plugin\nmodule = slapos.promise.plugin.check_url_available\noutput = /p/etc/plugin/check-front.py\nconfig-url = https://x/\n";
        let m = mapped(base, "u");
        assert_eq!(m.output, Path::new("/p/etc/promise/check-front"));
        assert_eq!(args(&m), ["--url", "https://x/", "-k"]);
        let m = mapped(
            &format!(
                "{base}config-verify = 1\nconfig-allow-redirects = 0\nconfig-ignore-code = 1\nconfig-timeout = 7\nconfig-http-code = 401\n"
            ),
            "u",
        );
        assert_eq!(
            args(&m),
            [
                "--url",
                "https://x/",
                "--timeout",
                "7",
                "--http-code",
                "401",
                "--ignore-code",
                "--no-follow"
            ]
        );
        let m = mapped(
            &format!(
                "{base}config-ca-cert-file = /ca\nconfig-username = u\nconfig-password = p w\nconfig-cert-file = /c\nconfig-frequency = 5\n"
            ),
            "u",
        );
        assert_eq!(
            args(&m),
            [
                "--url",
                "https://x/",
                "--ca-cert-file",
                "/ca",
                "--username",
                "u",
                "--password",
                "p w"
            ]
        );
        assert_eq!(
            m.notes,
            [
                "ignored: config-cert-file without config-key-file",
                "ignored: config-frequency"
            ]
        );
        let error = classify_text(&format!("{base}config-verify = yes\n"), "u").unwrap_err();
        assert_eq!(error.0, "[u] config-verify is 'yes', expected 0 or 1");
    }

    #[test]
    fn monitor_style_sections_and_socket_forms() {
        let text = "[check-mysql]\n<= monitor-promise-base\npromise = check_socket_listening\nname = check-mysql.py\nconfig-pathname = /p/var/run/mysqld.sock\n\
                    [check-port]\n<= monitor-promise-base\npromise = check_socket_listening\nname = check-port.py\nconfig-host = ::1\nconfig-port = 8080\n";
        let m = mapped(text, "check-mysql");
        assert_eq!(m.promise, "check-port-listening");
        assert_eq!(m.output, Path::new("/p/etc/promise/check-mysql"));
        assert_eq!(args(&m), ["--unix-socket", "/p/var/run/mysqld.sock"]);
        assert_eq!(
            args(&mapped(text, "check-port")),
            ["--host", "::1", "--port", "8080"]
        );
    }

    #[test]
    fn file_state_maps_states_and_url() {
        let base = "[f]\npromise = check_file_state\nname = errors.py\nconfig-filename = /p/var/log/errors.log\n";
        assert_eq!(
            args(&mapped(base, "f")),
            ["--path", "/p/var/log/errors.log"]
        );
        let m = mapped(
            &format!("{base}config-state = empty\nconfig-url = https://x/log\n"),
            "f",
        );
        assert_eq!(
            args(&m),
            [
                "--path",
                "/p/var/log/errors.log",
                "--state",
                "empty",
                "--hint",
                "content available at https://x/log"
            ]
        );
        assert_eq!(
            args(&mapped(&format!("{base}config-state = present\n"), "f")).len(),
            2
        );
    }

    #[test]
    fn page_content_and_port_recipes() {
        let m = mapped(
            "[p]\nrecipe = slapos.cookbook:check_page_content\npath = /w\nurl = http://a/\nmatch = Welcome.*\n",
            "p",
        );
        assert_eq!(
            args(&m),
            ["--url", "http://a/", "-k", "--expect-content", "Welcome.*"]
        );
        assert_eq!(
            m.notes,
            ["match is now plain text, not a regular expression"]
        );
        let m = mapped(
            "[p]\nrecipe = slapos.cookbook:check_port_listening\npath = /w\nhostname = 2001:db8::1\nport = 22\n",
            "p",
        );
        assert_eq!(args(&m), ["--host", "2001:db8::1", "--port", "22"]);
        let error = classify_text(
            "[p]\nrecipe = slapos.cookbook:check_port_listening\npath = /w\nport = 22\n",
            "p",
        )
        .unwrap_err();
        assert_eq!(error.0, "[p] has no hostname, which the recipe requires");
    }

    #[test]
    fn other_parts_and_unknown_plugins() {
        assert!(matches!(
            classify_text("[a]\nrecipe = slapos.cookbook:wrapper\n", "a").unwrap(),
            Part::Other
        ));
        assert!(matches!(
            classify_text("[a]\nx = 1\n", "a").unwrap(),
            Part::Other
        ));
        assert!(matches!(
            classify_text(
                "[directory]\npromise = /srv/part/etc/promise\n",
                "directory"
            )
            .unwrap(),
            Part::Other
        ));
        match classify_text("[a]\npromise = check_free_disk_space\n", "a").unwrap() {
            Part::Skipped(why) => assert_eq!(
                why,
                "plugin check_free_disk_space has no native replacement"
            ),
            other => panic!("{other:?}"),
        }
    }
}
