//! The command line: `write` one wrapper, or `convert` a buildout file's parts.

use argh::FromArgs;

use crate::install::{DEFAULT_MODE, parse_mode};

/// Writes wrappers that run a native promise binary with baked arguments, and
/// converts the promise parts of a buildout file into such wrappers.
#[derive(FromArgs, Debug)]
#[argh(
    example = "{command_name} write --output etc/promise/mariadb --promise check-port-listening --bin-dir /opt/native-promises/bin -- --unix-socket var/run/mariadb.sock\n{command_name} convert .installed.cfg --bin-dir /opt/native-promises/bin --promise-dir etc/promise --dry-run",
    note = "Run '{command_name} write --help' and '{command_name} convert --help' for each command's options.",
    error_code(0, "every wrapper was written or already up to date"),
    error_code(
        3,
        "UNKNOWN: bad usage, arguments the promise would refuse, a file that cannot be read or written; the line says which"
    )
)]
pub struct Cli {
    /// what to do
    #[argh(subcommand)]
    pub command: Command,

    /// print the version and exit
    #[argh(switch)]
    pub version: bool,
}

/// The two commands.
#[derive(FromArgs, Debug)]
#[argh(subcommand)]
pub enum Command {
    /// Write one wrapper.
    Write(Write),
    /// Convert a buildout file's promise parts.
    Convert(Convert),
}

/// Writes one wrapper that runs a promise binary with the arguments after --,
/// checked as the binary itself checks them.
#[derive(FromArgs, Debug)]
#[argh(
    subcommand,
    name = "write",
    example = "{command_name} --output /srv/slapgrid/slappart3/etc/promise/check-mariadb --promise check-port-listening --bin-dir /opt/native-promises/bin -- --unix-socket /srv/slapgrid/slappart3/var/run/mariadb.sock",
    note = "When '#!BINARY --baked' fits the 127 bytes every kernel reads, the wrapper names the binary as its interpreter and carries the arguments in its body: one exec, no shell, nothing from PATH, and nothing baked shows in ps. Otherwise it is a POSIX sh script that execs the binary with every argument single-quoted. Arguments given to the wrapper at run time follow the baked ones.\n\nValues round-trip verbatim, quotes, $, backticks, globs and non-ASCII included; a value holding a newline is refused. The write is atomic (a temporary file in the same folder, then a rename), and a wrapper that is already up to date is left untouched, mtime included.",
    error_code(0, "the wrapper was written or already up to date"),
    error_code(
        3,
        "UNKNOWN: bad usage, arguments the promise would refuse, a missing folder or binary"
    )
)]
pub struct Write {
    /// path of the wrapper to write; its folder must exist
    #[argh(option)]
    pub output: String,

    /// the promise binary to run, such as check-port-listening; an unknown name lists every one
    #[argh(option)]
    pub promise: String,

    /// absolute path of the folder holding the promise binaries (or --binary)
    #[argh(option)]
    pub bin_dir: Option<String>,

    /// absolute path of the promise binary itself, instead of --bin-dir
    #[argh(option)]
    pub binary: Option<String>,

    /// permission bits of the wrapper, in octal (default: 700)
    #[argh(option, from_str_fn(parse_mode), default = "DEFAULT_MODE")]
    pub mode: u32,

    /// shell for wrappers whose #! line would be too long (default: /bin/sh)
    #[argh(option, default = "String::from(\"/bin/sh\")")]
    pub shell: String,

    /// print the version and exit
    #[argh(switch)]
    pub version: bool,

    /// the arguments to bake, after --
    #[argh(positional, arg_name = "ARGS")]
    pub args: Vec<String>,
}

/// Converts the promise parts of a buildout file (a rendered instance profile or
/// a deployed partition's .installed.cfg) into wrappers.
#[derive(FromArgs, Debug)]
#[argh(
    subcommand,
    name = "convert",
    example = "{command_name} /srv/slapgrid/slappart3/.installed.cfg --bin-dir /opt/native-promises/bin --promise-dir /srv/slapgrid/slappart3/etc/promise",
    note = "Converted: every cookbook recipe and slapos.promise.plugin plugin the README lists under \"Replacing curl-based promises\"; a recipe's wrapper is written to its path, a plugin's to PROMISE-DIR under the plugin's file name without .py. A plugin without a native replacement is listed as skipped; every other part is left alone. The legacy semantics carry over, and each line names what does not (ignored: settings, approximations).\n\nEverything is validated before anything is written: a ${{section:key}} that the file cannot resolve is an error naming the section and key. One line per wrapper says written, unchanged or skipped and why, then a summary.",
    error_code(0, "every wrapper was written or already up to date"),
    error_code(
        3,
        "UNKNOWN: a file that cannot be read or parsed, an unresolved value, arguments a promise would refuse; a validation failure writes nothing"
    )
)]
pub struct Convert {
    /// the buildout file to read
    #[argh(positional, arg_name = "FILE")]
    pub file: String,

    /// absolute path of the folder holding the promise binaries
    #[argh(option)]
    pub bin_dir: String,

    /// folder for the wrappers that replace plugins, such as the partition's etc/promise
    #[argh(option)]
    pub promise_dir: String,

    /// say what would be written, write nothing
    #[argh(switch)]
    pub dry_run: bool,

    /// permission bits of the wrappers, in octal (default: 700)
    #[argh(option, from_str_fn(parse_mode), default = "DEFAULT_MODE")]
    pub mode: u32,

    /// shell for wrappers whose #! line would be too long (default: /bin/sh)
    #[argh(option, default = "String::from(\"/bin/sh\")")]
    pub shell: String,

    /// print the version and exit
    #[argh(switch)]
    pub version: bool,
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;

    use proptest::prelude::*;
    use shared::args::{Exit, parse};

    use super::*;
    use crate::registry::Promise;

    /// Words of the command line, and some noise.
    fn word() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"write".to_vec()),
            Just(b"convert".to_vec()),
            Just(b"--".to_vec()),
            Just(b"--mode".to_vec()),
            Just(b"--mode=0750".to_vec()),
            Just(b"--output".to_vec()),
            Just(b"--promise".to_vec()),
            Just(b"check-port-listening".to_vec()),
            Just(b"check-url-available".to_vec()),
            Just(b"--bin-dir".to_vec()),
            Just(b"/bin".to_vec()),
            Just(b"--port".to_vec()),
            Just(b"--url".to_vec()),
            proptest::collection::vec(1u8..=255, 0..6),
        ]
    }

    proptest! {
        #[test]
        fn any_command_line_parses_or_is_one_line(words in proptest::collection::vec(word(), 0..10)) {
            let argv: Vec<OsString> = words.into_iter().map(OsString::from_vec).collect();
            match parse::<Cli>("recipe-generator", "0", argv) {
                Ok(Cli { command: Command::Write(write), .. }) => {
                    if let Ok(promise) = Promise::find(&write.promise) {
                        let args: Vec<OsString> = write.args.iter().map(|a| shared::args::os_arg(a)).collect();
                        if let Err(usage) = promise.validate(&args) {
                            prop_assert!(!usage.0.is_empty() && !usage.0.contains('\n'), "{:?}", usage.0);
                        }
                    }
                }
                Ok(_) | Err(Exit::Info(_)) => {}
                Err(Exit::Usage(usage)) => prop_assert!(!usage.0.contains('\n'), "{:?}", usage.0),
            }
        }
    }
}
