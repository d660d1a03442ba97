//! The two commands, end to end: check everything, then write.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use shared::Usage;
use shared::args::{check_path, display_arg, os_arg};

use crate::buildout::{Buildout, set_by_recipe};
use crate::cli::{Convert, Write};
use crate::convert::{self, Context, Part, Symlink};
use crate::install::{self, Outcome};
use crate::registry::Promise;
use crate::wrapper::{self, Form, Wrapper};

/// A wrapper checked and rendered, ready to be installed.
struct Ready {
    output: PathBuf,
    content: Vec<u8>,
    /// What the line says after the path: promise, form, notes.
    about: String,
    /// A link to make with the wrapper.
    link: Option<Symlink>,
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
    let buildout = Buildout::load(&file, &mut read_text)?.in_folder(&folder_of(&file));
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
    let mut skipped: Vec<String> = Vec::new();
    // The unread conditional sections that a part depends on, by line: the
    // part's own line names them.
    let mut unread_named: HashSet<usize> = HashSet::new();
    let mut others = 0;
    let mut in_place = 0;
    let mut targets: HashMap<PathBuf, String> = HashMap::new();
    // The parts are the sections with a recipe that buildout installs: those
    // [buildout] parts names and those their values use (all of a fragment
    // without that list). What buildout would not read is neither converted
    // nor counted; a `<=` base is a template unless it is a part too.
    let reached: Option<HashSet<String>> = buildout.reached()?;
    let is_part = |name: &str| {
        reached.as_ref().is_none_or(|r| r.contains(name))
            && matches!(buildout.get(name, "recipe"), Ok(Some(_)))
    };
    for section in buildout.sections() {
        let name = section.name.as_str();
        if name == "buildout"
            || buildout.is_macro_base(name) && !is_part(name)
            || reached.as_ref().is_some_and(|r| !r.contains(name))
        {
            continue;
        }
        let classified = match (convert::classify(&context, name), buildout.unread(name)?) {
            (Ok(Part::Other), _) => Ok(Part::Other),
            // Its values may be other than those read: never guessed.
            (_, Some(unread)) => {
                unread_named.insert(unread.line);
                skipped.push(format!(
                    "skipped: [{name}] depends on [{}:{}] (line {}), whose condition cannot be evaluated here",
                    unread.name, unread.condition, unread.line
                ));
                continue;
            }
            (Err(error), None) if set_by_recipe(&error) => {
                skipped.push(format!("skipped: [{name}] {error}"));
                continue;
            }
            (other, None) => other,
        };
        let mapped = match classified? {
            Part::Other => {
                others += usize::from(is_part(name));
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
        in_place += usize::from(mapped.in_place);
        let binary = bin_dir.join(promise.name);
        wrapper::check_executable("--bin-dir", &binary)?;
        let wrapper = Wrapper::new(promise, binary, mapped.args).map_err(in_part)?;
        wrapper.check_mode(options.mode).map_err(in_part)?;
        let about = format!("[{name}] {}", promise.name);
        let mut one = render(wrapper, mapped.output, &shell, about, &mapped.notes)?;
        one.link = mapped.link;
        install::check_target(&one.output).map_err(in_part)?;
        ready.push(one);
    }

    skipped.extend(
        buildout
            .refused()
            .iter()
            .filter(|r| !unread_named.contains(&r.line))
            .map(|r| {
                format!(
                    "skipped: [{}:{}] (line {}) not read: its condition cannot be evaluated here",
                    r.name, r.condition, r.line
                )
            }),
    );

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
        if let Some(link) = &one.link {
            say(&link_line(link, options.dry_run));
        }
    }
    for line in &skipped {
        say(line);
    }
    let mut summary = format!(
        "{}: {written} {}, {unchanged} unchanged, {} skipped, {others} other parts left alone",
        if options.dry_run { "dry run" } else { "done" },
        if options.dry_run {
            "to write"
        } else {
            "written"
        },
        skipped.len()
    );
    if in_place > 0 {
        summary.push_str(&format!(
            "; {in_place} cookbook {} in place: the next buildout run that installs {} rewrites {}, change the profile to keep the wrappers",
            if in_place == 1 { "part converted" } else { "parts converted" },
            if in_place == 1 { "it" } else { "them" },
            if in_place == 1 { "its file" } else { "their files" },
        ));
    }
    say(&summary);
    Ok(())
}

/// The folder of `file`, absolute: buildout's `directory` for that file.
fn folder_of(file: &Path) -> String {
    let folder = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::path::absolute(folder)
        .unwrap_or_else(|_| folder.to_owned())
        .to_string_lossy()
        .into_owned()
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
        link: None,
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

/// Makes `link` (unless `dry_run`) and says what became of it. A link that
/// cannot be made does not stop the conversion: the wrapper works without it.
fn link_line(link: &Symlink, dry_run: bool) -> String {
    let (at, to) = (link.link.display(), link.target.display());
    if dry_run {
        return format!("would link: {at} -> {to}");
    }
    match link.make() {
        Ok(true) => format!("linked: {at} -> {to}"),
        Ok(false) => format!("unchanged: {at} (already there)"),
        Err(e) => format!(
            "not linked: {at} -> {to}: {}",
            shared::report::describe_io(&e)
        ),
    }
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

/// One buildout file, as text.
fn read_text(file: &Path) -> Result<String, Usage> {
    let shown = file.display().to_string();
    let bytes = read_bounded(file, &shown)?;
    String::from_utf8(bytes).map_err(|e| {
        let line = e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        Usage::new(format!("{shown} line {}: not UTF-8", line + 1))
    })
}

/// The largest buildout file we read: a deployed partition's `.installed.cfg`
/// is at most a few MiB; the cap keeps `convert /dev/zero` finite.
pub const MAX_BUILDOUT_BYTES: u64 = 16 << 20;

fn read_bounded(file: &Path, shown: &str) -> Result<Vec<u8>, Usage> {
    let fail = |e: shared::file::ReadError| {
        Usage::new(format!(
            "cannot read {shown}: {}",
            e.describe(&format!("{} MiB", MAX_BUILDOUT_BYTES >> 20))
        ))
    };
    // Opening a FIFO would wait for a writer, reading a device or a folder
    // makes no sense: say which it is before opening anything.
    let kind = std::fs::metadata(file)
        .map_err(|e| fail(shared::file::ReadError::Io(e)))?
        .file_type();
    if let Some(what) = not_regular(kind) {
        return Err(Usage::new(format!(
            "{shown} is {what}, not a buildout file"
        )));
    }
    // Still a regular file once open, or refused.
    shared::file::read_regular_capped(file, MAX_BUILDOUT_BYTES).map_err(fail)
}

/// What a file that is not a regular file is, for the refusal.
fn not_regular(kind: std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        Some("a folder")
    } else if kind.is_fifo() {
        Some("a FIFO")
    } else if kind.is_socket() {
        Some("a socket")
    } else if kind.is_char_device() || kind.is_block_device() {
        Some("a device")
    } else {
        None
    }
}
