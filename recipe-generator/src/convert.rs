//! From buildout promise parts to wrappers, with the legacy semantics carried
//! over (see the README, "Replacing curl-based promises").
//!
//! Every kind of part the converter knows is one entry of [`KINDS`]: how the
//! part names it (a cookbook recipe or a promise plugin), the options it
//! understands, the promise binary it runs and its mapping, a function from
//! the part's options ([`Options`]) to the arguments to bake, or to why the
//! part is skipped. Supporting one more kind is one entry and its mapping.
//!
//! A recipe part's wrapper replaces the file its `path` names. A plugin part
//! is `recipe = slapos.cookbook:promise.plugin` with
//! `module = slapos.promise.plugin.NAME`, or a monitor-style section with
//! `promise = NAME`; its settings are its `config-KEY` options, and its
//! wrapper is PROMISE-DIR/NAME, NAME being the file name of its `output` (or
//! its `name`) without `.py`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use shared::Usage;

use crate::buildout::Buildout;
use crate::command_kinds::{self, Chosen};
use crate::monitor_kinds;

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
    /// Whether the wrapper replaces a cookbook part's own output, which
    /// buildout rewrites when it next installs that part.
    pub in_place: bool,
    /// A link made once, with the wrapper, where the plugin kept one up at
    /// every run.
    pub link: Option<Symlink>,
}

/// A symbolic link: `link` pointing to `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symlink {
    /// Where the link is made.
    pub link: PathBuf,
    /// What it points to (which may not exist yet).
    pub target: PathBuf,
}

impl Symlink {
    /// Makes the link unless something is already at `link` (a link, a file):
    /// true when it was made. The folder of `link` must exist.
    ///
    /// # Errors
    /// The link cannot be made (missing folder, permissions).
    pub fn make(&self) -> std::io::Result<bool> {
        if self.link.symlink_metadata().is_ok() {
            return Ok(false);
        }
        std::os::unix::fs::symlink(&self.target, &self.link)?;
        Ok(true)
    }
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

/// How a part names its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `recipe = slapos.cookbook:NAME`; its options are read as they are.
    Recipe(&'static str),
    /// The plugin `slapos.promise.plugin.NAME`; its settings are `config-KEY`.
    Plugin(&'static str),
}

/// What a mapping makes of a part.
#[derive(Debug)]
pub enum Baked {
    /// The arguments to bake into the wrapper.
    Args(Vec<String>),
    /// The arguments of another promise than the kind's, which the mapping
    /// chose (a command the kind's promise would run that another does natively).
    Instead {
        /// The promise binary the wrapper runs.
        promise: &'static str,
        /// Its arguments.
        args: Vec<String>,
    },
    /// Why this part cannot be converted (it is listed as `skipped:`).
    Skip(String),
}

/// A mapping: reads the part through [`Options`] (and adds notes there),
/// returns what to bake. An error names the section and the key.
pub type Map = fn(&mut Options<'_, '_>) -> Result<Baked, Usage>;

/// One kind of promise part the converter knows.
#[derive(Debug)]
pub struct Kind {
    /// How the part names it.
    pub source: Source,
    /// The settings it understands: a plugin's `config-` keys (without the
    /// prefix), a recipe's options. A part's other settings are listed in an
    /// `ignored:` note, the machinery's own aside (`recipe`, `path`, `<`,
    /// buildout's `__buildout_*__` records).
    pub keys: &'static [&'static str],
    /// The promise binary the wrapper runs, unless the mapping chooses
    /// another ([`Baked::Instead`]).
    pub promise: &'static str,
    /// The mapping.
    pub map: Map,
}

/// Every kind of promise part the converter knows.
pub const KINDS: &[Kind] = &[
    Kind {
        source: Source::Recipe("check_url_available"),
        keys: &[
            "url",
            "dash_path",
            "curl_path",
            "check-secure",
            "http_code",
            "timeout-file-path",
            "ca-cert-file",
            "cert-file",
            "key-file",
        ],
        promise: "check-url-available",
        map: legacy_url,
    },
    Kind {
        source: Source::Recipe("check_port_listening"),
        keys: &["hostname", "port"],
        promise: "check-port-listening",
        map: legacy_port,
    },
    Kind {
        source: Source::Recipe("check_page_content"),
        keys: &["url", "dash_path", "curl_path", "match"],
        promise: "check-url-available",
        map: page_content,
    },
    Kind {
        source: Source::Plugin("check_url_available"),
        keys: &[
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
        ],
        promise: "check-url-available",
        map: plugin_url,
    },
    Kind {
        source: Source::Plugin("check_socket_listening"),
        keys: &["host", "port", "pathname", "abstract"],
        promise: "check-port-listening",
        map: plugin_socket,
    },
    Kind {
        source: Source::Plugin("check_file_state"),
        keys: &["filename", "state", "url"],
        promise: "check-file-exists",
        map: plugin_file,
    },
    Kind {
        source: Source::Plugin("check_command_execute"),
        keys: &command_kinds::COMMAND_KEYS,
        promise: "check-command",
        map: plugin_command,
    },
    Kind {
        source: Source::Recipe("check_parameter"),
        keys: &command_kinds::PARAMETER_KEYS,
        promise: "check-parameter",
        map: parameter,
    },
    Kind {
        source: Source::Plugin("check_free_disk_space"),
        keys: monitor_kinds::FREE_DISK_SPACE_KEYS,
        promise: "check-free-disk-space",
        map: monitor_kinds::free_disk_space,
    },
    Kind {
        source: Source::Plugin("check_partition_deployment_state"),
        keys: monitor_kinds::DEPLOYMENT_STATE_KEYS,
        promise: "check-file-exists",
        map: monitor_kinds::deployment_state,
    },
    Kind {
        source: Source::Plugin("monitor_bootstrap_status"),
        keys: monitor_kinds::BOOTSTRAP_KEYS,
        promise: "check-file-exists",
        map: monitor_kinds::bootstrap_status,
    },
    Kind {
        source: Source::Plugin("check_certificate"),
        keys: monitor_kinds::CERTIFICATE_KEYS,
        promise: "check-certificate",
        map: monitor_kinds::certificate,
    },
];

const COOKBOOK: &str = "slapos.cookbook:";
const PLUGIN_RECIPE: &str = "slapos.cookbook:promise.plugin";
const PLUGIN_MODULE: &str = "slapos.promise.plugin.";

/// What `section` is and, for a promise, its wrapper.
///
/// # Errors
/// A value that cannot be resolved or read, naming the section and key.
pub fn classify(context: &Context<'_>, section: &str) -> Result<Part, Usage> {
    let mut options = Options {
        context,
        section,
        source: Source::Recipe(""),
        notes: Vec::new(),
        link: None,
    };
    let source = match options.get("recipe")?.as_deref() {
        Some(PLUGIN_RECIPE) => match (options.get("module")?, options.get("file")?) {
            (Some(module), _) => match module.strip_prefix(PLUGIN_MODULE) {
                Some(name) => Found::Plugin(name.to_owned()),
                None => {
                    return Ok(Part::Skipped(format!(
                        "plugin module {module} is the software release's own, not slapos.promise.plugin's: no native replacement"
                    )));
                }
            },
            (None, Some(file)) => {
                return Ok(Part::Skipped(format!(
                    "plugin file {file} is the software release's own Python: no native replacement"
                )));
            }
            (None, None) => match options.get("promise")? {
                Some(name) => Found::Plugin(name),
                None => {
                    return Ok(Part::Skipped(
                        "plugin without a module has no native replacement".into(),
                    ));
                }
            },
        },
        Some(recipe) => match recipe.strip_prefix(COOKBOOK) {
            Some(name) => Found::Recipe(name.to_owned()),
            None => return Ok(Part::Other),
        },
        // [directory] sections often have a `promise` folder: only a plugin
        // name makes a monitor-style promise.
        None => match options.get("promise")? {
            Some(name) if is_plugin_name(&name) => Found::Plugin(name),
            _ => return Ok(Part::Other),
        },
    };
    let kind = KINDS.iter().find(|kind| match (&source, kind.source) {
        (Found::Recipe(name), Source::Recipe(known))
        | (Found::Plugin(name), Source::Plugin(known)) => name == known,
        _ => false,
    });
    let Some(kind) = kind else {
        return Ok(match source {
            Found::Plugin(name) => {
                Part::Skipped(format!("plugin {name} has no native replacement"))
            }
            Found::Recipe(_) => Part::Other,
        });
    };
    options.source = kind.source;
    let (output, in_place) = match kind.source {
        Source::Recipe(_) => (PathBuf::from(options.require("path")?), true),
        Source::Plugin(_) => (options.plugin_output()?, false),
    };
    let (promise, args) = match (kind.map)(&mut options)? {
        Baked::Args(args) => (kind.promise, args),
        Baked::Instead { promise, args } => (promise, args),
        Baked::Skip(why) => return Ok(Part::Skipped(why)),
    };
    let ignored = options.ignored(kind.keys)?;
    if !ignored.is_empty() {
        options.note(format!("ignored: {}", ignored.join(", ")));
    }
    Ok(Part::Promise(Mapped {
        promise,
        output,
        args: args.into_iter().map(OsString::from).collect(),
        notes: options.notes,
        in_place,
        link: options.link,
    }))
}

/// What a section names, before the table is searched.
enum Found {
    Recipe(String),
    Plugin(String),
}

/// `check_url_available`, not a path or a substitution.
fn is_plugin_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A part's options, as a mapping reads them, and the notes it adds.
#[derive(Debug)]
pub struct Options<'c, 'a> {
    context: &'c Context<'a>,
    section: &'c str,
    source: Source,
    notes: Vec<String>,
    link: Option<Symlink>,
}

impl Options<'_, '_> {
    /// The section's name.
    #[must_use]
    pub fn section(&self) -> &str {
        self.section
    }

    /// The option `key` as written (macros applied, substitutions resolved).
    ///
    /// # Errors
    /// A value that cannot be resolved.
    pub fn get(&self, key: &str) -> Result<Option<String>, Usage> {
        self.context.buildout.get(self.section, key)
    }

    /// The option `key`, which `what` (the recipe, the plugin...) needs.
    ///
    /// # Errors
    /// When it is missing, naming the section.
    pub fn require(&self, key: &str) -> Result<String, Usage> {
        self.get(key)?.ok_or_else(|| {
            let what = match self.source {
                Source::Recipe(_) => "the recipe",
                Source::Plugin(_) => "the plugin",
            };
            Usage::new(format!(
                "[{}] has no {key}, which {what} requires",
                self.section
            ))
        })
    }

    /// A plugin's setting `key`, written `config-KEY`.
    ///
    /// # Errors
    /// A value that cannot be resolved.
    pub fn config(&self, key: &str) -> Result<Option<String>, Usage> {
        self.get(&format!("config-{key}"))
    }

    /// A plugin's required setting `config-KEY`.
    ///
    /// # Errors
    /// When it is missing, naming the section.
    pub fn require_config(&self, key: &str) -> Result<String, Usage> {
        self.config(key)?
            .ok_or_else(|| Usage::new(format!("[{}] has no config-{key}", self.section)))
    }

    /// The 0/1 option `key`, read as the legacy code did (`int(value)`,
    /// non-zero is on).
    ///
    /// # Errors
    /// A value that is not an integer.
    pub fn flag(&self, key: &str, default: bool) -> Result<bool, Usage> {
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

    /// Adds what the operator should know, shown on the part's line: an
    /// approximation, or `ignored: KEY` for a setting without equivalent.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Asks for `link` to point to `target`, made once when the wrapper is
    /// written (not in a dry run).
    pub fn link(&mut self, link: PathBuf, target: PathBuf) {
        self.link = Some(Symlink { link, target });
    }

    /// Two plugin settings used only together: both baked, or a note for
    /// the one given alone.
    ///
    /// # Errors
    /// A value that cannot be resolved.
    pub fn pair(
        &mut self,
        args: &mut Vec<String>,
        (a, a_option): (&str, &str),
        (b, b_option): (&str, &str),
    ) -> Result<(), Usage> {
        match (self.config(a)?, self.config(b)?) {
            (Some(a_value), Some(b_value)) => {
                args.extend([a_option.into(), a_value, b_option.into(), b_value]);
            }
            (Some(_), None) => self.note(format!("ignored: config-{a} without config-{b}")),
            (None, Some(_)) => self.note(format!("ignored: config-{b} without config-{a}")),
            (None, None) => {}
        }
        Ok(())
    }

    /// The partition folder: `${buildout:directory}`, which is the folder of
    /// the file read (where `.installed.cfg` and the instance profile live)
    /// unless the file says otherwise.
    ///
    /// # Errors
    /// A `directory` that cannot be resolved.
    pub fn partition(&self) -> Result<PathBuf, Usage> {
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

    /// The part's settings that `keys` does not have.
    fn ignored(&self, keys: &[&str]) -> Result<Vec<String>, Usage> {
        let all = self.context.buildout.keys(self.section)?;
        Ok(match self.source {
            Source::Plugin(_) => all
                .into_iter()
                .filter(|k| {
                    k.strip_prefix("config-")
                        .is_some_and(|k| !keys.contains(&k))
                })
                .collect(),
            Source::Recipe(_) => all
                .into_iter()
                .filter(|k| {
                    !keys.contains(&k.as_str())
                        && !matches!(k.as_str(), "recipe" | "path" | "<" | "<part-dependencies>")
                        && !k.starts_with("__buildout_")
                })
                .collect(),
        })
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
}

/// The dash+curl script: no TLS verification, redirects followed, timeout
/// read from a file at every run. Without a number there, the script used
/// 20 s, which is also slapgrid's kill time: the check would be killed
/// before it could say anything, so our 10 s default applies instead.
fn legacy_url(part: &mut Options<'_, '_>) -> Result<Baked, Usage> {
    let url = part.require("url")?;
    let mut args = vec!["--url".into(), url, "-k".into()];
    if let Some(code) = part.get("http_code")? {
        args.extend(["--http-code".into(), code]);
    }
    if part.flag("check-secure", false)? {
        args.push("--check-secure".into());
    }
    let timeout_file = match part.get("timeout-file-path")? {
        Some(file) => file,
        None => part
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
        part.get("ca-cert-file")?,
        part.get("cert-file")?,
        part.get("key-file")?,
    );
    if let (Some(_), Some(cert), Some(key)) = (&ca, cert, key) {
        args.extend(["--cert-file".into(), cert, "--key-file".into(), key]);
    }
    Ok(Baked::Args(args))
}

fn legacy_port(part: &mut Options<'_, '_>) -> Result<Baked, Usage> {
    let host = part.require("hostname")?;
    let port = part.require("port")?;
    Ok(Baked::Args(vec![
        "--host".into(),
        host,
        "--port".into(),
        port,
    ]))
}

/// `curl -sL URL | grep MATCH`: no TLS verification, redirects followed, the
/// status never looked at (a 503 page holding the text passed, and still
/// does: `--ignore-code`), 10 s (our default), `match` a basic regular
/// expression defaulting to the URL.
fn page_content(part: &mut Options<'_, '_>) -> Result<Baked, Usage> {
    let url = part.require("url")?;
    let expected = part.get("match")?.unwrap_or_else(|| url.clone());
    if expected.contains(['.', '*', '[', ']', '^', '$', '\\']) {
        part.note("match is now plain text, not a regular expression");
    }
    Ok(Baked::Args(vec![
        "--url".into(),
        url,
        "-k".into(),
        "--ignore-code".into(),
        "--expect-content".into(),
        expected,
    ]))
}

fn plugin_url(part: &mut Options<'_, '_>) -> Result<Baked, Usage> {
    let url = part.require_config("url")?;
    let mut args = vec!["--url".to_owned(), url];
    for (key, option) in [("timeout", "--timeout"), ("http-code", "--http-code")] {
        if let Some(value) = part.config(key)? {
            args.extend([option.to_owned(), value]);
        }
    }
    if part.flag("config-ignore-code", false)? {
        args.push("--ignore-code".into());
    }
    if !part.flag("config-allow-redirects", true)? {
        args.push("--no-follow".into());
    }
    let ca = part.config("ca-cert-file")?;
    if !part.flag("config-verify", false)? && ca.is_none() {
        args.push("-k".into());
    }
    if let Some(ca) = ca {
        args.extend(["--ca-cert-file".into(), ca]);
    }
    part.pair(
        &mut args,
        ("cert-file", "--cert-file"),
        ("key-file", "--key-file"),
    )?;
    part.pair(
        &mut args,
        ("username", "--username"),
        ("password", "--password"),
    )?;
    Ok(Baked::Args(args))
}

fn plugin_socket(part: &mut Options<'_, '_>) -> Result<Baked, Usage> {
    let mut args = Vec::new();
    for (key, option) in [
        ("host", "--host"),
        ("port", "--port"),
        ("pathname", "--unix-socket"),
        ("abstract", "--abstract"),
    ] {
        if let Some(value) = part.config(key)? {
            args.extend([option.to_owned(), value]);
        }
    }
    Ok(Baked::Args(args))
}

fn plugin_file(part: &mut Options<'_, '_>) -> Result<Baked, Usage> {
    let filename = part.require_config("filename")?;
    let mut args = vec!["--path".to_owned(), filename];
    // The plugin's "any other state" means: the file exists, our default.
    if let Some(state) = part.config("state")? {
        if matches!(state.as_str(), "absent" | "empty" | "not-empty") {
            args.extend(["--state".into(), state]);
        }
    }
    if let Some(url) = part.config("url")? {
        let url = shared::secret::mask_userinfo(&url);
        args.extend(["--hint".into(), format!("content available at {url}")]);
    }
    Ok(Baked::Args(args))
}

fn plugin_command(part: &mut Options<'_, '_>) -> Result<Baked, Usage> {
    let command = part.config("command")?;
    let chosen = command_kinds::command_execute(part.section(), command.as_deref())?;
    Ok(part.native(chosen))
}

fn parameter(part: &mut Options<'_, '_>) -> Result<Baked, Usage> {
    let [value, expected_type, expected_value, expected_not_value] =
        command_kinds::PARAMETER_KEYS.map(|key| part.get(key));
    let native = command_kinds::parameter(&command_kinds::Parameter {
        section: part.section(),
        value: value?.as_deref(),
        expected_type: expected_type?.as_deref(),
        expected_value: expected_value?.as_deref(),
        expected_not_value: expected_not_value?.as_deref(),
    })?;
    Ok(part.native(native))
}

impl Options<'_, '_> {
    /// What command_kinds chose, its notes on the part's line.
    fn native(&mut self, chosen: Chosen) -> Baked {
        match chosen {
            Chosen::Native(native) => {
                self.notes.extend(native.notes);
                Baked::Instead {
                    promise: native.promise,
                    args: native.args,
                }
            }
            Chosen::Skip(why) => Baked::Skip(why),
        }
    }
}

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
        let text = "[monitor-promise-base]\neggs = slapos.toolbox\n[check-mysql]\n<= monitor-promise-base\npromise = check_socket_listening\nname = check-mysql.py\nconfig-pathname = /p/var/run/mysqld.sock\n\
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
            [
                "--url",
                "http://a/",
                "-k",
                "--ignore-code",
                "--expect-content",
                "Welcome.*"
            ]
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
    fn the_release_own_plugins_are_skipped_by_name() {
        let base = "[monitor-promise-base]\nrecipe = slapos.cookbook:promise.plugin\nmodule = slapos.promise.plugin.${:promise}\noutput = /p/etc/plugin/${:name}\n";
        let text = format!(
            "{base}[own]\n<= monitor-promise-base\nmodule = check_url_available\nname = ${{:_buildout_section_name_}}.py\nconfig-url = http://x/\n\
             [file]\nrecipe = slapos.cookbook:promise.plugin\nfile = /srv/release/promise.py\noutput = /p/etc/plugin/f.py\n\
             [ours]\n<= monitor-promise-base\npromise = check_socket_listening\nname = ${{:_buildout_section_name_}}.py\nconfig-host = ::1\nconfig-port = 1\n"
        );
        match classify_text(&text, "own").unwrap() {
            Part::Skipped(why) => assert_eq!(
                why,
                "plugin module check_url_available is the software release's own, not slapos.promise.plugin's: no native replacement"
            ),
            other => panic!("{other:?}"),
        }
        match classify_text(&text, "file").unwrap() {
            Part::Skipped(why) => assert!(
                why.starts_with("plugin file /srv/release/promise.py "),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
        let m = mapped(&text, "ours");
        assert_eq!(m.output, Path::new("/p/etc/promise/ours"));
        assert!(!m.in_place);
    }

    #[test]
    fn recipe_parts_are_converted_in_place_and_name_what_they_ignore() {
        let m = mapped(
            "[p]\nrecipe = slapos.cookbook:check_port_listening\npath = /w\nhostname = ::1\nport = 22\ntimeout = 3\n__buildout_installed__ = /w\n",
            "p",
        );
        assert!(m.in_place);
        assert_eq!(m.notes, ["ignored: timeout"]);
    }

    /// Parts the way instance profiles write them: a monitor-style base, the
    /// file named after the section, a command over two lines.
    const COMMANDS: &str = "[directory]\nbin = /p/bin\nrun = /p/var/run\n\
        [monitor-promise-base]\nrecipe = slapos.cookbook:promise.plugin\neggs = slapos.toolbox\nmodule = slapos.promise.plugin.${:promise}\noutput = /p/etc/plugin/${:name}\n\
        [psql]\nwrapper-path = /p/bin/psql\n\
        [postgresql-promise]\n<= monitor-promise-base\npromise = check_command_execute\nname = promise-postgresql.py\nconfig-command =\n    ${psql:wrapper-path} -c '\\q'\nconfig-frequency = 5\n\
        [clamd-socket]\n<= monitor-promise-base\npromise = check_command_execute\nname = ${:_buildout_section_name_}.py\nconfig-command = test -S ${directory:run}/clamd.sock\n\
        [mariadb-port]\n<= monitor-promise-base\npromise = check_command_execute\nname = ${:_buildout_section_name_}.py\nconfig-command = \"${directory:bin}/is-local-tcp-port-opened\" \"10.0.0.7\" \"2099\"\n\
        [check-software-url]\nrecipe = slapos.cookbook:check_parameter\nvalue = https://lab/old.cfg\nexpected-not-value =\nexpected-value = https://lab/new.cfg\npath = ${directory:bin}/${:_buildout_section_name_}\n\
        [check-runner-url]\nrecipe = slapos.cookbook:check_parameter\nvalue = not-ready\nexpected-not-value = not-ready\npath = ${directory:bin}/${:_buildout_section_name_}\nexpected-value =\n\
        [promise-software-url]\n<= monitor-promise-base\npromise = check_command_execute\nname = ${:_buildout_section_name_}.py\nconfig-command = ${check-software-url:path}\n\
        [no-command]\n<= monitor-promise-base\npromise = check_command_execute\nname = x.py\n";

    #[test]
    fn commands_run_as_the_plugin_ran_them_or_natively() {
        let m = mapped(COMMANDS, "postgresql-promise");
        assert_eq!(m.promise, "check-command");
        assert_eq!(m.output, Path::new("/p/etc/promise/promise-postgresql"));
        assert_eq!(args(&m), ["--command", "/p/bin/psql -c '\\q'"]);
        assert_eq!(m.notes, ["ignored: config-frequency"]);
        assert!(!m.in_place);

        let m = mapped(COMMANDS, "clamd-socket");
        assert_eq!(m.promise, "check-file-exists");
        assert_eq!(m.output, Path::new("/p/etc/promise/clamd-socket"));
        assert_eq!(
            args(&m),
            ["--path", "/p/var/run/clamd.sock", "--type", "socket"]
        );
        assert!(m.notes.is_empty(), "{:?}", m.notes);

        let m = mapped(COMMANDS, "mariadb-port");
        assert_eq!(m.promise, "check-port-listening");
        assert_eq!(args(&m), ["--host", "10.0.0.7", "--port", "2099"]);
        assert_eq!(m.notes.len(), 1, "{:?}", m.notes);

        let m = mapped(COMMANDS, "promise-software-url");
        assert_eq!(args(&m), ["--command", "/p/bin/check-software-url"]);

        let error = classify_text(COMMANDS, "no-command").unwrap_err();
        assert_eq!(
            error.0,
            "[no-command] has no config-command: the plugin fails at every run"
        );
    }

    #[test]
    fn parameters_become_check_parameter_wrappers_in_place() {
        let m = mapped(COMMANDS, "check-software-url");
        assert_eq!(m.promise, "check-parameter");
        assert_eq!(m.output, Path::new("/p/bin/check-software-url"));
        assert!(m.in_place);
        assert_eq!(
            args(&m),
            [
                "--name",
                "check-software-url",
                "--value",
                "https://lab/old.cfg",
                "--expected",
                "https://lab/new.cfg"
            ]
        );
        assert!(m.notes.is_empty(), "{:?}", m.notes);
        let m = mapped(COMMANDS, "check-runner-url");
        assert_eq!(
            args(&m),
            [
                "--name",
                "check-runner-url",
                "--value",
                "not-ready",
                "--not-expected",
                "not-ready"
            ]
        );
    }

    #[test]
    fn every_kind_is_one_entry_naming_a_known_promise() {
        for (i, kind) in KINDS.iter().enumerate() {
            assert!(
                crate::registry::Promise::find(kind.promise).is_ok(),
                "{:?}",
                kind.source
            );
            assert!(
                KINDS[..i].iter().all(|k| k.source != kind.source),
                "{:?} twice",
                kind.source
            );
        }
        // And so is every promise a mapping chooses instead.
        for section in ["postgresql-promise", "clamd-socket", "mariadb-port"] {
            let promise = mapped(COMMANDS, section).promise;
            assert!(crate::registry::Promise::find(promise).is_ok(), "{promise}");
        }
    }

    #[test]
    fn the_readme_lists_every_kind() {
        // recipe-generator's help points there instead of listing them.
        let readme = include_str!("../../README.md");
        for kind in KINDS {
            // A heading may name several kinds of one family.
            let (family, name) = match kind.source {
                Source::Recipe(name) => ("### Cookbook ", name),
                Source::Plugin(name) => ("### Plugin", name),
            };
            let quoted = format!("`{name}`");
            assert!(
                readme
                    .lines()
                    .any(|l| l.starts_with(family) && l.contains(&quoted)),
                "README.md has no {family}... heading naming {quoted}"
            );
        }
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
        match classify_text("[a]\npromise = check_service_state\n", "a").unwrap() {
            Part::Skipped(why) => {
                assert_eq!(why, "plugin check_service_state has no native replacement")
            }
            other => panic!("{other:?}"),
        }
    }
}
