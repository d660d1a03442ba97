//! The two commands, end to end: check everything, then write.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use shared::Usage;
use shared::args::{check_path, display_arg, os_arg};

use crate::buildout::Buildout;
use crate::cli::{Convert, Write};
use crate::convert::{self, Context, Part};
use crate::install::{self, Outcome};
use crate::registry::Promise;
use crate::wrapper::{self, Form, Wrapper};

/// A wrapper checked and rendered, ready to be installed.
struct Ready {
    output: PathBuf,
    content: Vec<u8>,
    /// What the line says after the path: promise, form, notes.
    about: String,
}

/// `recipe-generator write`.
///
/// # Errors
/// Whatever is wrong, before anything is written.
pub fn write(options: Write, say: &mut dyn FnMut(&str)) -> Result<(), Usage> {
    for (option, value) in [
        ("--output", Some(&options.output)),
        ("--bin-dir", options.bin_dir.as_ref()),
        ("--binary", options.binary.as_ref()),
        ("--shell", Some(&options.shell)),
    ] {
        if let Some(value) = value {
            check_path(option, value)?;
        }
    }
    let promise = Promise::find(&options.promise)?;
    let (binary, option) = match (options.bin_dir, options.binary) {
        (Some(dir), None) => {
            check_bin_dir(&dir)?;
            (PathBuf::from(os_arg(&dir)).join(promise.name), "--bin-dir")
        }
        (None, Some(binary)) => (PathBuf::from(os_arg(&binary)), "--binary"),
        _ => return Err(Usage::new("give either --bin-dir or --binary (see --help)")),
    };
    wrapper::check_executable(option, &binary)?;
    let args: Vec<OsString> = options.args.iter().map(|a| os_arg(a)).collect();
    let wrapper = Wrapper::new(promise, binary, args)?;
    wrapper.check_mode(options.mode)?;
    let ready = render(
        wrapper,
        PathBuf::from(os_arg(&options.output)),
        &PathBuf::from(os_arg(&options.shell)),
        promise.name.to_owned(),
        &[],
    )?;
    let outcome = install::install(&ready.output, &ready.content, options.mode)?;
    say(&line(outcome, false, &ready));
    Ok(())
}

/// `recipe-generator convert`.
///
/// # Errors
/// Whatever is wrong, before anything is written (or the write that failed).
pub fn convert(options: Convert, say: &mut dyn FnMut(&str)) -> Result<(), Usage> {
    for (option, value) in [
        ("FILE", &options.file),
        ("--bin-dir", &options.bin_dir),
        ("--promise-dir", &options.promise_dir),
        ("--shell", &options.shell),
    ] {
        check_path(option, value)?;
    }
    let file = PathBuf::from(os_arg(&options.file));
    let shown = file.display().to_string();
    let bytes = read_bounded(&file, &shown)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        Usage::new(format!("{shown} line {}: not UTF-8", line + 1))
    })?;
    let buildout = Buildout::parse(&text, &shown)?;
    check_bin_dir(&options.bin_dir)?;
    let bin_dir = PathBuf::from(os_arg(&options.bin_dir));
    let shell = PathBuf::from(os_arg(&options.shell));
    let promise_dir = PathBuf::from(os_arg(&options.promise_dir));
    let context = Context {
        buildout: &buildout,
        promise_dir: &promise_dir,
        file: &file,
    };

    let mut ready: Vec<Ready> = Vec::new();
    let mut skipped = Vec::new();
    let mut others = 0;
    let mut targets: HashMap<PathBuf, String> = HashMap::new();
    // A `<=` base is a template unless [buildout] parts installs it too; a file
    // whose parts cannot be resolved here has its bases taken as templates.
    let listed: HashSet<String> = match buildout.get("buildout", "parts") {
        Ok(Some(parts)) => parts.split_whitespace().map(str::to_owned).collect(),
        _ => HashSet::new(),
    };
    for section in buildout.sections() {
        let name = section.name.as_str();
        if name == "buildout" {
            continue;
        }
        if buildout.is_macro_base(name) && !listed.contains(name) {
            others += 1;
            continue;
        }
        let mapped = match convert::classify(&context, name)? {
            Part::Other => {
                others += 1;
                continue;
            }
            Part::Skipped(why) => {
                skipped.push(format!("skipped: [{name}] {why}"));
                continue;
            }
            Part::Promise(mapped) => mapped,
        };
        let promise_name = mapped.promise;
        let in_part = |e: Usage| Usage::new(format!("[{name}] {promise_name}: {e}"));
        let Ok(promise) = Promise::find(mapped.promise) else {
            skipped.push(format!(
                "skipped: [{name}] {} is not part of this build of recipe-generator",
                mapped.promise
            ));
            continue;
        };
        if let Some(first) = targets.insert(mapped.output.clone(), name.to_owned()) {
            return Err(Usage::new(format!(
                "[{first}] and [{name}] both write {}",
                mapped.output.display()
            )));
        }
        let binary = bin_dir.join(promise.name);
        wrapper::check_executable("--bin-dir", &binary)?;
        let wrapper = Wrapper::new(promise, binary, mapped.args).map_err(in_part)?;
        wrapper.check_mode(options.mode).map_err(in_part)?;
        let about = format!("[{name}] {}", promise.name);
        let one = render(wrapper, mapped.output, &shell, about, &mapped.notes)?;
        install::check_target(&one.output).map_err(in_part)?;
        ready.push(one);
    }

    let (mut written, mut unchanged) = (0, 0);
    for one in &ready {
        let outcome = if options.dry_run {
            if install::is_current(&one.output, &one.content, options.mode) {
                Outcome::Unchanged
            } else {
                Outcome::Written
            }
        } else {
            install::install(&one.output, &one.content, options.mode)?
        };
        match outcome {
            Outcome::Written => written += 1,
            Outcome::Unchanged => unchanged += 1,
        }
        say(&line(outcome, options.dry_run, one));
    }
    for line in &skipped {
        say(line);
    }
    say(&format!(
        "{}: {written} {}, {unchanged} unchanged, {} skipped, {others} other parts left alone",
        if options.dry_run { "dry run" } else { "done" },
        if options.dry_run {
            "to write"
        } else {
            "written"
        },
        skipped.len()
    ));
    Ok(())
}

/// Renders `wrapper`; the line will say `about`, the form, then `notes`.
fn render(
    wrapper: Wrapper,
    output: PathBuf,
    shell: &Path,
    about: String,
    notes: &[String],
) -> Result<Ready, Usage> {
    let (content, form) = wrapper.render(shell);
    let how = match form {
        Form::Direct => "run directly".to_owned(),
        Form::Shell(why) => {
            wrapper::check_shell(shell)?;
            if wrapper.args.iter().any(|a| a == "--password") {
                format!("{why}; the password shows in ps in this form, prefer --password-file")
            } else {
                why
            }
        }
    };
    let mut about = format!("{about}, {how}");
    for note in notes {
        about.push_str("; ");
        about.push_str(note);
    }
    Ok(Ready {
        output,
        content,
        about,
    })
}

fn line(outcome: Outcome, dry_run: bool, ready: &Ready) -> String {
    let verb = match (outcome, dry_run) {
        (Outcome::Unchanged, _) => "unchanged",
        (Outcome::Written, false) => "written",
        (Outcome::Written, true) => "would write",
    };
    format!("{verb}: {} ({})", ready.output.display(), ready.about)
}

fn check_bin_dir(dir: &str) -> Result<(), Usage> {
    if Path::new(&os_arg(dir)).is_absolute() {
        Ok(())
    } else {
        Err(Usage::new(format!(
            "--bin-dir {} is not an absolute path (wrappers run from the partition folder)",
            display_arg(dir)
        )))
    }
}

/// The largest buildout file we read: a deployed partition's `.installed.cfg`
/// is at most a few MiB; the cap keeps `convert /dev/zero` finite.
pub const MAX_BUILDOUT_BYTES: u64 = 16 << 20;

fn read_bounded(file: &Path, shown: &str) -> Result<Vec<u8>, Usage> {
    shared::file::read_capped(file, MAX_BUILDOUT_BYTES).map_err(|e| {
        Usage::new(format!(
            "cannot read {shown}: {}",
            e.describe(&format!("{} MiB", MAX_BUILDOUT_BYTES >> 20))
        ))
    })
}
