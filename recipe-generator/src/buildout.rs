//! The buildout file format, read as zc.buildout 6 reads it, for promise parts.
//!
//! What `zc/buildout/configparser.py` and `buildout.py` do with one file, and
//! what real files (rendered SlapOS instance profiles, a partition's
//! `.installed.cfg` after many runs) rely on:
//!
//! - `[name]` headers; a header seen again continues that section (a later
//!   buildout run appends another `[buildout]` to `.installed.cfg`);
//! - `key = value`, an option assigned again replaces the earlier value;
//!   `key += lines` / `key -= lines` add or remove lines (of the same
//!   section's value, else of its `<=` macros', else of nothing), and an `=`
//!   after them wins;
//! - continuation lines: indented, joined with newlines; a value that starts
//!   on the next line keeps its relative indentation (dedented), one that
//!   starts on the key's line has each continuation stripped and blank ones
//!   dropped; `#`/`;` in the first column are comments;
//! - `<= a` (one macro a line): the section starts with its macros' options;
//! - `${section:key}`, `${:key}` substitutions, `$$` keeping a `$` from being
//!   one (buildout leaves `$$` as written, and so do we);
//! - `${buildout:directory}` (and `bin-directory`, `parts-directory`...)
//!   default to the folder of the file read; `${:_buildout_section_name_}` is
//!   the section whose value is substituted (the one using a macro, not the
//!   macro); `${:_profile_base_location_}` (SlapOS's buildout) is the folder
//!   of the profile, for a single file its own;
//! - `[name:condition]`: the section counts only when the condition holds.
//!   What every SlapOS partition shares is evaluated (Linux, POSIX, CPython
//!   3.10 or later, as zc.buildout 6 requires: `linux`, `posix`, `python3`,
//!   `bits64`, `os.name == 'posix'`, `sys.platform == 'linux'`,
//!   `sys.version_info < (3,10)`...; see `condition.rs`); a condition whose
//!   answer depends on the Python running buildout (`python311`,
//!   `sys.version_info >= (3,12)`) or on anything else is refused by section
//!   name ([`Buildout::refused`]), never guessed, and a part that depends on
//!   such a section says so ([`Buildout::unread`]);
//! - `%(__buildout_space__)s` and the like, with which `.installed.cfg`
//!   writes white space next to newlines, are decoded.
//!
//! `[buildout] extends` (and `optional-extends`, when the file exists) is
//! followed ([`Buildout::load`]): the files they name (local paths, relative
//! to the file naming them) are read first, as buildout reads them; URLs are
//! refused. What buildout would take from elsewhere still (a user's
//! `~/.buildout/default.cfg`, command-line options, sections that recipes
//! add) is not: a substitution that the files cannot resolve is an error
//! naming the section and key, reported only when the value is used.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use shared::Usage;

mod condition;

/// How deep macros and substitutions may nest before we call it a loop.
const MAX_DEPTH: usize = 32;

/// The most steps (a section's options looked up through its macros, one
/// substitution) resolving the whole file may take: a file that is read,
/// however large, takes a few per value, while macros and substitutions that
/// fan out (`<= a a a a`, `${:x}${:x}` a level down...) would take exponential
/// time without a budget.
const MAX_STEPS: usize = 1_000_000;

/// The longest value once substituted: it becomes one argument, which the
/// kernel caps at 128 KiB.
pub const MAX_VALUE: usize = 128 * 1024;

/// The encodings `.installed.cfg` uses for white space next to newlines.
const SPACES: [(&str, &str); 5] = [
    ("%(__buildout_space__)s", " "),
    ("%(__buildout_space_n__)s", "\n"),
    ("%(__buildout_space_r__)s", "\r"),
    ("%(__buildout_space_f__)s", "\x0c"),
    ("%(__buildout_space_v__)s", "\x0b"),
];

/// `[buildout]` folders that buildout sets, relative to its `directory`,
/// when the file does not.
const DEFAULT_FOLDERS: [(&str, &str); 4] = [
    ("bin-directory", "bin"),
    ("parts-directory", "parts"),
    ("eggs-directory", "eggs"),
    ("develop-eggs-directory", "develop-eggs"),
];

/// A parsed buildout file.
#[derive(Debug)]
pub struct Buildout {
    sections: Vec<Section>,
    index: HashMap<String, usize>,
    /// Sections that another one names in a `<=` line.
    bases: HashSet<String>,
    refused: Vec<Refused>,
    /// The folder of the file read, when known.
    folder: Option<String>,
    /// Steps taken so far, against [`MAX_STEPS`].
    steps: Cell<usize>,
}

/// What [`Buildout::walk`] follows from a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// What buildout installs or reads: substitutions and `=>` parts, not
    /// `<=` macros (templates, not parts).
    Installed,
    /// What a section's values come from: substitutions and `<=` macros,
    /// sections that do not exist included.
    Values,
}

impl Walk {
    /// What an error in resolving a section means to this walk.
    fn tolerate<T>(self, error: Usage) -> Result<Option<T>, Usage> {
        match self {
            Walk::Installed => Err(error),
            Walk::Values => Ok(None),
        }
    }
}

/// A `[name:condition]` section whose condition cannot be evaluated here: its
/// options were not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The section's name.
    pub name: String,
    /// The condition as written.
    pub condition: String,
    /// Its header's line, from 1.
    pub line: usize,
}

/// One `[section]`, all its headers merged, with its options as written:
/// `key +`/`key -` entries are the additions and removals still to apply to
/// the `<=` macros' values.
#[derive(Debug, Default)]
pub struct Section {
    /// The name between the brackets.
    pub name: String,
    options: Vec<Option<(String, String)>>,
    index: HashMap<String, usize>,
    /// The folder of the file that last defined it: `_profile_base_location_`.
    location: Option<String>,
}

impl Section {
    fn option(&self, key: &str) -> Option<&str> {
        self.index
            .get(key)
            .and_then(|&i| self.options[i].as_ref())
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key`, in place when it exists (as a Python dict does).
    fn set(&mut self, key: &str, value: String) {
        match self.index.get(key) {
            Some(&i) => {
                if let Some((_, old)) = self.options[i].as_mut() {
                    *old = value;
                }
            }
            None => {
                self.index.insert(key.to_owned(), self.options.len());
                self.options.push(Some((key.to_owned(), value)));
            }
        }
    }

    fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.index.remove(key)?;
        self.options[i].take().map(|(_, v)| v)
    }

    fn value_mut(&mut self, key: &str) -> Option<&mut String> {
        let i = *self.index.get(key)?;
        self.options[i].as_mut().map(|(_, v)| v)
    }

    /// Option names and values, in order.
    fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.options
            .iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The `+`/`-` entries that change `key`, in buildout's order (by name).
    fn changes(&self, key: &str) -> Vec<(char, &str)> {
        let mut changes: Vec<(&str, char, &str)> = self
            .entries()
            .filter_map(|(k, v)| {
                let op = k.chars().last().filter(|c| matches!(c, '+' | '-'))?;
                let base = k.trim_end_matches([' ', op]);
                (base == key && base != k).then_some((k, op, v))
            })
            .collect();
        changes.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
        changes.into_iter().map(|(_, op, v)| (op, v)).collect()
    }
}

/// `value` with the lines of `lines` added (`+`) or removed (`-`), as
/// buildout's `+=` and `-=` do.
fn change(value: &str, op: char, lines: &str) -> String {
    if op == '+' {
        format!("{value}\n{lines}")
    } else {
        let removed: Vec<&str> = lines.split('\n').collect();
        value
            .split('\n')
            .filter(|l| !removed.contains(l))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A `[name]` or `[name:condition]` header, with an optional comment after.
fn header(line: &str) -> Option<(&str, Option<&str>)> {
    let inner = line.strip_prefix('[')?.trim_start();
    let end = inner.find(|c: char| c.is_whitespace() || "#[]:;{}".contains(c))?;
    let (name, rest) = inner.split_at(end);
    if name.is_empty() {
        return None;
    }
    let rest = rest.trim_start();
    let (condition, rest) = match rest.strip_prefix(':') {
        Some(after) => {
            let stop = after.find(['#', ';']).unwrap_or(after.len());
            let close = after[..stop].rfind(']')?;
            (Some(after[..close].trim()), &after[close..])
        }
        None => (None, rest),
    };
    let tail = rest.strip_prefix(']')?.trim_start();
    (tail.is_empty() || tail.starts_with(['#', ';'])).then_some((name, condition))
}

/// `key = value`, `key += value`, `key -= value`: the key as buildout keeps it
/// (`key +` for an addition) and the value.
fn option_line(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once('=')?;
    let core_end = name
        .find(|c: char| c.is_whitespace() || "{}[]:".contains(c))
        .unwrap_or(name.len());
    if core_end == 0 {
        return None;
    }
    let rest = name[core_end..].trim_start();
    if !(rest.is_empty() || rest == "+" || rest == "-") {
        return None;
    }
    Some((name.trim_end(), value.trim()))
}

/// Python's `textwrap.dedent` followed by the removal of leading blank
/// lines, as buildout treats a value that starts on the line after its key.
fn dedent(value: &str) -> String {
    let lines: Vec<&str> = value.trim_end().split('\n').collect();
    let margin = lines
        .iter()
        .filter(|l| !l.trim_matches([' ', '\t']).is_empty())
        .map(|l| &l[..l.len() - l.trim_start_matches([' ', '\t']).len()])
        .reduce(|a, b| {
            let common = a
                .char_indices()
                .zip(b.chars())
                .find(|((_, x), y)| x != y)
                .map_or(a.len().min(b.len()), |((i, _), _)| i);
            &a[..common]
        })
        .unwrap_or("");
    let dedented: Vec<&str> = lines
        .iter()
        .map(|l| {
            if l.trim_matches([' ', '\t']).is_empty() {
                ""
            } else {
                l.strip_prefix(margin).unwrap_or(l)
            }
        })
        .collect();
    let first = dedented
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(dedented.len());
    // Leading blank lines go with their newline; the last line stays.
    let first = if first == dedented.len() {
        dedented.len().saturating_sub(1)
    } else {
        first
    };
    dedented[first..].join("\n")
}

impl Buildout {
    fn empty() -> Buildout {
        Buildout {
            sections: Vec::new(),
            index: HashMap::new(),
            bases: HashSet::new(),
            refused: Vec::new(),
            folder: None,
            steps: Cell::new(0),
        }
    }

    /// Parses `text` alone (its `extends` are not followed); `file` names it
    /// in errors. `${buildout:directory}` and `${:_profile_base_location_}`
    /// stay unresolved until [`Buildout::in_folder`].
    ///
    /// # Errors
    /// The first line that is not buildout syntax.
    pub fn parse(text: &str, file: &str) -> Result<Buildout, Usage> {
        let mut buildout = Buildout::empty();
        buildout.merge(Buildout::parse_one(text, file, None)?);
        Ok(buildout)
    }

    /// Reads `path` and, as buildout does, the files its `[buildout] extends`
    /// names (relative to the folder of the file naming them), each before
    /// the file that extends it; `read` reads one file.
    ///
    /// # Errors
    /// What `read` says, a syntax error, an `extends` loop or URL.
    pub fn load(
        path: &Path,
        read: &mut dyn FnMut(&Path) -> Result<String, Usage>,
    ) -> Result<Buildout, Usage> {
        let mut files = Vec::new();
        collect(path, read, &mut Vec::new(), &mut files)?;
        let mut buildout = Buildout::empty();
        for file in files {
            buildout.merge(file);
        }
        Ok(buildout)
    }

    /// One file as buildout's parser gives it: its sections merged within
    /// it, `+=`/`-=` not yet applied.
    fn parse_one(text: &str, file: &str, location: Option<&str>) -> Result<Buildout, Usage> {
        let mut buildout = Buildout::empty();
        let bad = |n: usize, what: &str| Usage::new(format!("{file} line {}: {what}", n + 1));
        let mut current: Option<usize> = None;
        let mut active = true;
        let mut option: Option<String> = None;
        let mut block = false;
        let lines: Vec<&str> = text
            .strip_suffix('\n')
            .unwrap_or(text)
            .split('\n')
            .collect();
        for (n, line) in lines.into_iter().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let first = line.chars().next();
            if matches!(first, Some('#' | ';')) {
                continue;
            }
            let indented = first.is_none_or(char::is_whitespace);
            if let (true, Some(at), Some(key)) = (indented, current, option.as_deref()) {
                if !active {
                    continue;
                }
                let line = if block { line.trim_end() } else { line.trim() };
                if !block && line.is_empty() {
                    continue;
                }
                if let Some(value) = buildout.sections[at].value_mut(key) {
                    value.push('\n');
                    value.push_str(line);
                }
                continue;
            }
            if let Some((name, condition_text)) = header(line) {
                active = true;
                if let Some(text) = condition_text {
                    match condition::evaluate(text) {
                        Some(true) => {}
                        Some(false) => {
                            active = false;
                            continue;
                        }
                        None => {
                            active = false;
                            buildout.refused.push(Refused {
                                name: name.to_owned(),
                                condition: text.to_owned(),
                                line: n + 1,
                            });
                            continue;
                        }
                    }
                }
                current = Some(buildout.section_index(name));
                option = None;
                continue;
            }
            if line.starts_with('[') && !line.contains(']') {
                return Err(bad(n, "a section header lacks its ]"));
            }
            let Some(at) = current else {
                if line.trim().is_empty() {
                    continue;
                }
                return Err(bad(n, "an option before any [section]"));
            };
            let line: Cow<'_, str> = match line.strip_prefix("=>") {
                Some(rest) => format!("<part-dependencies> = {rest}").into(),
                None => line.into(),
            };
            let Some((key, value)) = option_line(&line) else {
                if option.is_none() && line.trim().is_empty() {
                    continue;
                }
                if line.starts_with('[') {
                    return Err(bad(n, "expected a section header such as [name]"));
                }
                return Err(bad(
                    n,
                    "expected key = value, [section], a comment or an indented continuation",
                ));
            };
            if !active {
                continue;
            }
            let section = &mut buildout.sections[at];
            let op = key.chars().last().filter(|c| matches!(c, '+' | '-'));
            match (op, section.value_mut(key)) {
                (Some(_), Some(old)) => {
                    old.truncate(old.trim_end().len());
                    if !value.is_empty() {
                        old.push('\n');
                        old.push_str(value);
                    }
                }
                _ => {
                    if op.is_none() {
                        section.remove(&format!("{key} +"));
                        section.remove(&format!("{key} -"));
                    }
                    section.set(key, value.to_owned());
                }
            }
            option = Some(key.to_owned());
            block = value.is_empty();
        }
        for section in &mut buildout.sections {
            section.location = location.map(str::to_owned);
            for (_, value) in section.options.iter_mut().flatten() {
                if value.starts_with(char::is_whitespace) {
                    *value = dedent(value);
                }
            }
        }
        Ok(buildout)
    }

    /// Adds the sections of a file read after those already here, as
    /// buildout's `_update` does: a section already here takes the new
    /// options, its `+=`/`-=` applied to the values here; a new one without
    /// macros has its own applied; a new one with macros keeps them for
    /// when its macros are resolved.
    fn merge(&mut self, file: Buildout) {
        self.refused.extend(file.refused);
        for mut section in file.sections {
            match self.index.get(&section.name) {
                Some(&at) => update_section(&mut self.sections[at], section),
                None => {
                    if section.option("<").is_none() {
                        apply_changes(&mut section);
                    }
                    self.index.insert(section.name.clone(), self.sections.len());
                    self.sections.push(section);
                }
            }
        }
        self.bases = self
            .sections
            .iter()
            .filter_map(|s| s.option("<"))
            .flat_map(macro_names)
            .map(str::to_owned)
            .collect();
    }

    /// Says that the file read is in `folder`: `${buildout:directory}` (unless
    /// the file sets it), the folders buildout derives from it, and
    /// `${:_profile_base_location_}`.
    #[must_use]
    pub fn in_folder(mut self, folder: &str) -> Buildout {
        let at = self.section_index("buildout");
        let section = &mut self.sections[at];
        if section.option("directory").is_none() {
            section.set("directory", folder.to_owned());
        }
        for (key, default) in DEFAULT_FOLDERS {
            if section.option(key).is_none() {
                section.set(key, format!("${{buildout:directory}}/{default}"));
            }
        }
        for section in &mut self.sections {
            section.location.get_or_insert_with(|| folder.to_owned());
        }
        self.folder = Some(folder.to_owned());
        self
    }

    fn section_index(&mut self, name: &str) -> usize {
        if let Some(&at) = self.index.get(name) {
            return at;
        }
        self.index.insert(name.to_owned(), self.sections.len());
        self.sections.push(Section {
            name: name.to_owned(),
            ..Section::default()
        });
        self.sections.len() - 1
    }

    /// The sections buildout would install or read: those `[buildout] parts`
    /// names and, transitively, those their values substitute from (buildout
    /// reads a section only when something uses it, and installs those with
    /// a recipe). `None` when the file has no `parts` (a fragment).
    ///
    /// # Errors
    /// A macro loop or missing macro, or too many steps.
    pub fn reached(&self) -> Result<Option<HashSet<String>>, Usage> {
        let Ok(Some(parts)) = self.get("buildout", "parts") else {
            return Ok(None);
        };
        // Buildout reads all of [buildout] first.
        let mut start: Vec<String> = parts.split_whitespace().map(str::to_owned).collect();
        start.push("buildout".to_owned());
        self.walk(start, Walk::Installed).map(Some)
    }

    /// The first `[name:condition]` section not read (its condition unknown
    /// here) that `section` depends on: one that re-opens (or is) `section`,
    /// one of its `<=` macros, or a section its values substitute from,
    /// transitively. Its values may then be other than those read.
    ///
    /// # Errors
    /// A macro loop or missing macro, or too many steps.
    pub fn unread(&self, section: &str) -> Result<Option<&Refused>, Usage> {
        if self.refused.is_empty() {
            return Ok(None);
        }
        let used = self.walk(vec![section.to_owned()], Walk::Values)?;
        Ok(self.refused.iter().find(|r| used.contains(&r.name)))
    }

    /// The sections reached from `start` by following what buildout
    /// follows (see [`Walk`]).
    fn walk(&self, mut queue: Vec<String>, walk: Walk) -> Result<HashSet<String>, Usage> {
        let mut reached: HashSet<String> = HashSet::new();
        while let Some(name) = queue.pop() {
            let known = self.index.contains_key(&name);
            // What buildout reads exists; what values may come from need not.
            if !known && walk == Walk::Installed {
                continue;
            }
            let new = reached.insert(name.clone());
            if !(new && known) {
                continue;
            }
            if walk == Walk::Values {
                if let Some(bases) = self.sections[self.index[&name]].option("<") {
                    queue.extend(macro_names(bases).map(str::to_owned));
                }
            }
            // A missing macro is an error when the values are read; what
            // is found up to it is what matters here.
            let keys = self.keys(&name).map(Some).or_else(|e| walk.tolerate(e))?;
            for key in keys.unwrap_or_default() {
                let Some(raw) = self.raw(&name, &key, 0).or_else(|e| walk.tolerate(e))? else {
                    continue;
                };
                if key == "<part-dependencies>" && walk == Walk::Installed {
                    queue.extend(raw.split_whitespace().map(str::to_owned));
                }
                for piece in raw.split("$$") {
                    let mut rest = piece;
                    while let Some(start) = rest.find("${") {
                        rest = &rest[start + 2..];
                        let Some(end) = rest.find('}') else { break };
                        match rest[..end].split_once(':') {
                            Some(("", _)) | None => {}
                            Some((target, _)) => queue.push(target.to_owned()),
                        }
                        rest = &rest[end + 1..];
                    }
                }
            }
        }
        Ok(reached)
    }

    /// Every section, in the order of their first headers.
    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.sections.iter()
    }

    /// The `[name:condition]` sections not read because their condition
    /// cannot be evaluated here.
    #[must_use]
    pub fn refused(&self) -> &[Refused] {
        &self.refused
    }

    /// Whether another section names `name` in a `<=` line: a template, not a part.
    #[must_use]
    pub fn is_macro_base(&self, name: &str) -> bool {
        self.bases.contains(name)
    }

    /// The option names of `section`, its macros' included, in buildout's
    /// order (its macros' first, each where it first appeared).
    ///
    /// # Errors
    /// A macro loop, a missing macro, or a file that takes too many steps to
    /// resolve.
    pub fn keys(&self, section: &str) -> Result<Vec<String>, Usage> {
        let mut order: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        self.collect_keys(section, 0, &mut |key: &str| {
            if seen.insert(key.to_owned()) {
                order.push(key.to_owned());
            }
        })?;
        Ok(order)
    }

    fn collect_keys(
        &self,
        section: &str,
        depth: usize,
        add: &mut dyn FnMut(&str),
    ) -> Result<(), Usage> {
        self.step(section, depth)?;
        let Some(&at) = self.index.get(section) else {
            return Ok(());
        };
        let own = &self.sections[at];
        let Some(bases) = own.option("<") else {
            own.entries().for_each(|(key, _)| add(key));
            return Ok(());
        };
        for base in macro_names(bases) {
            self.base_exists(section, base)?;
            self.collect_keys(base, depth + 1, add)?;
        }
        for (key, _) in own.entries().filter(|(k, _)| *k != "<") {
            match key.chars().last() {
                Some(op @ ('+' | '-')) => add(key.trim_end_matches([' ', op])),
                _ => add(key),
            }
        }
        Ok(())
    }

    fn base_exists(&self, section: &str, base: &str) -> Result<(), Usage> {
        if self.index.contains_key(base) {
            Ok(())
        } else {
            Err(Usage::new(format!(
                "[{section}] <= {base}: this file has no section [{base}]"
            )))
        }
    }

    /// The value of `key` in `section`, macros applied and substitutions
    /// resolved; `None` when the section does not have that option.
    ///
    /// # Errors
    /// A substitution the file cannot resolve (naming the section and key), a
    /// malformed one, a loop, or a value too large or too costly to resolve.
    pub fn get(&self, section: &str, key: &str) -> Result<Option<String>, Usage> {
        self.lookup(section, key, 0)
    }

    fn lookup(&self, section: &str, key: &str, depth: usize) -> Result<Option<String>, Usage> {
        let Some(raw) = self.raw(section, key, depth)? else {
            return Ok(None);
        };
        let mut value = String::new();
        for (i, piece) in decode_spaces(&raw).split("$$").enumerate() {
            if i > 0 {
                value.push_str("$$");
            }
            value.push_str(&self.substitute(piece, section, key, depth)?);
            if value.len() > MAX_VALUE {
                return Err(too_long(section, key));
            }
        }
        Ok(Some(value))
    }

    /// The value of `key` as buildout has it in `section` before
    /// substitution: its own, else its macros' (the last that has it), with
    /// its `+=`/`-=` applied.
    fn raw(&self, section: &str, key: &str, depth: usize) -> Result<Option<String>, Usage> {
        self.step(section, depth)?;
        let Some(&at) = self.index.get(section) else {
            return Ok(None);
        };
        let own = &self.sections[at];
        let Some(bases) = own.option("<") else {
            return Ok(own.option(key).map(str::to_owned));
        };
        if key == "<" {
            return Ok(None);
        }
        let mut value = own.option(key).map(str::to_owned);
        if value.is_none() {
            for base in macro_names(bases).rev() {
                self.base_exists(section, base)?;
                if let Some(found) = self.raw(base, key, depth + 1)? {
                    value = Some(found);
                    break;
                }
            }
        }
        for (op, lines) in own.changes(key) {
            value = Some(change(value.as_deref().unwrap_or(""), op, lines));
        }
        if value.as_ref().is_some_and(|v| v.len() > MAX_VALUE) {
            return Err(too_long(section, key));
        }
        Ok(value)
    }

    /// Counts one step of resolution against the depth and step budgets.
    fn step(&self, section: &str, depth: usize) -> Result<(), Usage> {
        if depth >= MAX_DEPTH {
            return Err(Usage::new(format!(
                "[{section}]: macros (<=) or substitutions nest too deep (a loop?)"
            )));
        }
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        if steps > MAX_STEPS {
            return Err(Usage::new(format!(
                "[{section}]: macros (<=) and substitutions take more than {MAX_STEPS} steps to resolve"
            )));
        }
        Ok(())
    }

    fn substitute(
        &self,
        text: &str,
        section: &str,
        key: &str,
        depth: usize,
    ) -> Result<String, Usage> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let malformed = || {
                Usage::new(format!(
                    "[{section}] {key}: malformed substitution in '{}' (expected ${{section:option}})",
                    shared::report::sanitize(text, 200)
                ))
            };
            let end = after.find('}').ok_or_else(malformed)?;
            let (target, option) = after[..end].split_once(':').ok_or_else(malformed)?;
            if option.is_empty() || !valid_name(target) || !valid_name(option) {
                return Err(malformed());
            }
            let target = if target.is_empty() { section } else { target };
            if depth >= MAX_DEPTH {
                return Err(Usage::new(format!(
                    "[{section}] {key}: substitutions nest too deep (a loop?)"
                )));
            }
            let unresolved = |why: String| {
                Usage::new(format!(
                    "[{section}] {key}: ${{{}}} is unresolved: {why}",
                    shared::report::sanitize(&after[..end], 200)
                ))
            };
            if !self.index.contains_key(target) {
                return Err(unresolved(format!("this file has no section [{target}]")));
            }
            let value = match self.lookup(target, option, depth + 1)? {
                Some(value) => value,
                // As buildout: the section whose value this is.
                None if option == "_buildout_section_name_" => section.to_owned(),
                None if option == "_profile_base_location_" => {
                    match self
                        .index
                        .get(section)
                        .and_then(|&at| self.sections[at].location.clone())
                    {
                        Some(location) => location,
                        None => return Err(unresolved("the file's folder is unknown".into())),
                    }
                }
                None if matches!(self.raw(target, "recipe", depth + 1), Ok(Some(_))) => {
                    return Err(unresolved(format!(
                        "[{target}] has no option {option}{SET_BY_RECIPE}"
                    )));
                }
                None => return Err(unresolved(format!("[{target}] has no option {option}"))),
            };
            out.push_str(&value);
            if out.len() > MAX_VALUE {
                return Err(too_long(section, key));
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// How an unresolved substitution ends when the section it names has a
/// recipe, which may set the option only when buildout runs it (as
/// slapconfiguration sets `ipv6-random`): only a deployed partition's
/// `.installed.cfg` has the value.
pub const SET_BY_RECIPE: &str =
    " (its recipe sets it when buildout runs: convert the partition's .installed.cfg)";

/// Whether `error` is an option that a recipe sets when buildout runs.
#[must_use]
pub fn set_by_recipe(error: &Usage) -> bool {
    error.0.ends_with(SET_BY_RECIPE)
}

/// The most files one `load` reads (`extends` of `extends`...).
const MAX_FILES: usize = 256;

/// Reads `path` and what it extends, depth first, into `files`.
fn collect(
    path: &Path,
    read: &mut dyn FnMut(&Path) -> Result<String, Usage>,
    stack: &mut Vec<PathBuf>,
    files: &mut Vec<Buildout>,
) -> Result<(), Usage> {
    let shown = path.display().to_string();
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    if stack.contains(&real) {
        return Err(Usage::new(format!(
            "{shown} extends itself (an extends loop)"
        )));
    }
    if files.len() + stack.len() >= MAX_FILES {
        return Err(Usage::new(format!(
            "{shown}: more than {MAX_FILES} files to read through extends"
        )));
    }
    let text = read(path)?;
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let folder = std::path::absolute(folder).unwrap_or_else(|_| folder.to_owned());
    let location = folder.to_string_lossy().into_owned();
    let mut file = Buildout::parse_one(&text, &shown, Some(&location))?;
    let at = file.section_index("buildout");
    let extends = file.sections[at].remove("extends").unwrap_or_default();
    let optional = file.sections[at]
        .remove("optional-extends")
        .unwrap_or_default();
    stack.push(real);
    for (name, required) in extends
        .split_whitespace()
        .map(|n| (n, true))
        .chain(optional.split_whitespace().map(|n| (n, false)))
    {
        if name.contains("://") {
            return Err(Usage::new(format!(
                "{shown}: extends {name}, a URL: convert reads local files only (download it and name the copy)"
            )));
        }
        let next = lexical(&folder.join(name));
        if required || next.exists() {
            collect(&next, read, stack, files)?;
        }
    }
    stack.pop();
    files.push(file);
    Ok(())
}

/// `path` without its `.` and `..` (as the names in `extends` are written).
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Buildout's `_update_section`: `new`'s `+=`/`-=` applied to its own value
/// or else to `old`'s, then its options replacing `old`'s.
fn update_section(old: &mut Section, mut new: Section) {
    for (key, lines) in sorted_changes(&new) {
        let op = if key.ends_with('+') { '+' } else { '-' };
        let plain = key.trim_end_matches([' ', op]).to_owned();
        let base = new.option(&plain).or(old.option(&plain)).unwrap_or("");
        let value = change(base, op, &lines);
        new.remove(&key);
        new.set(&plain, value);
    }
    for (key, value) in new.entries() {
        old.set(key, value.to_owned());
    }
    if new.location.is_some() {
        old.location = new.location;
    }
}

/// The `+=`/`-=` entries of `section`, in the order buildout applies them
/// (by option, additions before removals).
fn sorted_changes(section: &Section) -> Vec<(String, String)> {
    let mut changes: Vec<(String, String)> = section
        .entries()
        .filter(|(k, _)| k.ends_with(['+', '-']))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    changes.sort_by(|a, b| {
        let order = |k: &str| (k.trim_end_matches([' ', '+']).to_owned(), k.chars().last());
        order(&a.0).cmp(&order(&b.0))
    });
    changes
}

/// A section's `<=` macros, one a line.
fn macro_names(bases: &str) -> impl DoubleEndedIterator<Item = &str> {
    bases.split('\n').map(str::trim).filter(|b| !b.is_empty())
}

/// Resolves the `+=`/`-=` of a section without macros, as buildout does
/// when it reads a file: an addition or removal without an `=` becomes one.
fn apply_changes(section: &mut Section) {
    let mut changed = sorted_changes(section);
    if changed.is_empty() {
        return;
    }
    changed.sort();
    for (key, value) in &changed {
        let plain: String = key
            .chars()
            .take(key.chars().count().saturating_sub(2))
            .collect();
        if section.option(&plain).is_none() {
            section.remove(key);
            let value = if key.ends_with('-') {
                String::new()
            } else {
                value.clone()
            };
            section.set(&plain, value);
        }
    }
    let own = std::mem::replace(
        section,
        Section {
            name: section.name.clone(),
            location: section.location.clone(),
            ..Section::default()
        },
    );
    update_section(section, own);
}

fn too_long(section: &str, key: &str) -> Usage {
    Usage::new(format!(
        "[{section}] {key}: longer than {} KiB once substituted",
        MAX_VALUE / 1024
    ))
}

/// Section and option names buildout accepts in a substitution.
fn valid_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ' ' | '.' | '_'))
}

fn decode_spaces(raw: &str) -> Cow<'_, str> {
    if !raw.contains("%(__buildout_space") {
        return Cow::Borrowed(raw);
    }
    Cow::Owned(
        SPACES
            .iter()
            .fold(raw.to_owned(), |value, (marker, space)| {
                value.replace(marker, space)
            }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Buildout {
        Buildout::parse(text, "f.cfg").unwrap()
    }

    #[test]
    fn sections_options_comments_and_continuations() {
        let b = parse(
            "# top\n[a]\nx = 1\n; c\ny =\n  line one\n\n\tline two\n[b] # note\nz = a = b\r\n",
        );
        let names: Vec<&str> = b.sections().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(b.get("a", "x").unwrap().as_deref(), Some("1"));
        // Tabs and spaces share no margin: nothing is dedented (as Python's textwrap).
        assert_eq!(
            b.get("a", "y").unwrap().as_deref(),
            Some("  line one\n\n\tline two")
        );
        assert_eq!(b.get("b", "z").unwrap().as_deref(), Some("a = b"));
        assert_eq!(b.get("b", "nope").unwrap(), None);
        assert_eq!(b.get("nope", "x").unwrap(), None);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        for (text, line) in [
            ("x = 1\n", 1),
            ("[a]\n  cont\n", 2),
            ("[a]\nnovalue\n", 2),
            ("[a\n", 1),
            ("[a] junk\n", 1),
            ("[a]\n = 1\n", 2),
            ("[a]\nx: 1\n", 2),
            ("[a]\n[b c]\n", 2),
        ] {
            let error = Buildout::parse(text, "f.cfg").unwrap_err();
            assert!(
                error.0.starts_with(&format!("f.cfg line {line}: ")),
                "{text:?}: {error}"
            );
        }
    }

    #[test]
    fn macros_and_substitutions_resolve_within_the_file() {
        let b = parse(
            "[directory]\netc = /srv/part/etc\nplugin = ${:etc}/plugin\n\
             [base]\nrecipe = slapos.cookbook:promise.plugin\nmodule = slapos.promise.plugin.${:promise}\noutput = ${directory:plugin}/${:name}\n\
             [check]\n<= base\n  \npromise = check_socket_listening\nname = check.py\nprice = $${not:ref} $$5\n",
        );
        assert_eq!(
            b.get("check", "module").unwrap().as_deref(),
            Some("slapos.promise.plugin.check_socket_listening")
        );
        assert_eq!(
            b.get("check", "output").unwrap().as_deref(),
            Some("/srv/part/etc/plugin/check.py")
        );
        assert_eq!(
            b.get("check", "price").unwrap().as_deref(),
            Some("$${not:ref} $$5")
        );
        assert!(b.is_macro_base("base"));
        assert!(!b.is_macro_base("check"));
        assert_eq!(b.keys("check").unwrap()[0], "recipe");
    }

    #[test]
    fn unresolved_and_looping_substitutions_are_errors() {
        let b = parse(
            "[a]\nurl = ${front:url}\nport = ${a:nope}\nloop = ${:loop}\nbad = ${x}\n[front]\n",
        );
        assert_eq!(
            b.get("a", "url").unwrap_err().0,
            "[a] url: ${front:url} is unresolved: [front] has no option url"
        );
        assert_eq!(
            b.get("a", "port").unwrap_err().0,
            "[a] port: ${a:nope} is unresolved: [a] has no option nope"
        );
        assert!(b.get("a", "loop").unwrap_err().0.contains("too deep"));
        assert!(b.get("a", "bad").unwrap_err().0.contains("malformed"));
        let b = parse("[a]\nurl = ${other:url}\n[m]\n<= m\n[n]\n<= a b\n");
        assert_eq!(
            b.get("a", "url").unwrap_err().0,
            "[a] url: ${other:url} is unresolved: this file has no section [other]"
        );
        assert!(b.get("m", "x").unwrap_err().0.contains("too deep"));
        // One macro a line, as buildout reads them.
        assert_eq!(
            b.get("n", "x").unwrap_err().0,
            "[n] <= a b: this file has no section [a b]"
        );
    }

    #[test]
    fn fanning_out_macros_and_substitutions_are_bounded() {
        // Each level names the next ten times: 10^31 lookups without a budget.
        let mut macros = String::new();
        let mut laughs = String::from("[l0]\nv = ha\n");
        for level in 0..31 {
            let next = vec![format!("m{}", level + 1); 10].join("\n  ");
            macros.push_str(&format!("[m{level}]\n<= {next}\n"));
            let refs = format!("${{l{level}:v}}").repeat(10);
            laughs.push_str(&format!("[l{}]\nv = {refs}\n", level + 1));
        }
        macros.push_str("[m31]\nx = 1\n");
        let started = std::time::Instant::now();
        let b = parse(&macros);
        let error = b.get("m0", "missing").unwrap_err();
        assert!(error.0.contains("steps to resolve"), "{error}");
        let b = parse(&laughs);
        assert_eq!(
            b.get("l31", "v").unwrap_err().0,
            "[l5] v: longer than 128 KiB once substituted"
        );
        assert_eq!(b.get("l1", "v").unwrap().unwrap(), "ha".repeat(10));
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn large_sections_parse_and_resolve_in_linear_time() {
        let mut text = String::from("[base]\n");
        for i in 0..100_000 {
            text.push_str(&format!("k{i} = {i}\n"));
        }
        text.push_str("[part]\n<= base\nk7 = own\n");
        let started = std::time::Instant::now();
        let b = parse(&text);
        assert_eq!(b.get("part", "k7").unwrap().as_deref(), Some("own"));
        assert_eq!(b.get("part", "k99999").unwrap().as_deref(), Some("99999"));
        let keys = b.keys("part").unwrap();
        assert_eq!(keys.len(), 100_000);
        assert_eq!(keys[7], "k7");
        assert_eq!(keys.last().map(String::as_str), Some("k99999"));
        assert!(b.is_macro_base("base"));
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    /// Lines made of buildout's syntax: headers, options, continuations,
    /// comments, macros, substitutions, escapes and space markers.
    fn buildout_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let line = prop_oneof![
            "\\[[a-c]{1,2}\\]",
            "[a-c<]{1,2} ?= ?[a-c ]{0,4}",
            "[a-c] = \\$\\{[a-c]?:[a-c]\\}\\$\\{[a-c]?:[a-c]\\}",
            "[a-c] = \\$\\$\\{x\\}",
            "<= [a-c]( [a-c])?",
            "  [a-c ]{0,4}",
            "[#;].{0,4}",
            "x = %\\(__buildout_space_n__\\)s",
            ".{0,8}",
        ];
        proptest::collection::vec(line, 0..12).prop_map(|lines| lines.join("\n"))
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_names_a_line(text in buildout_text()) {
            match Buildout::parse(&text, "f.cfg") {
                Ok(b) => {
                    for section in ["a", "b", "c", "buildout"] {
                        let _ = b.keys(section);
                        for key in ["a", "b", "c", "x", "<"] {
                            if let Ok(Some(value)) = b.get(section, key) {
                                proptest::prop_assert!(value.len() <= MAX_VALUE);
                            }
                        }
                    }
                }
                Err(e) => proptest::prop_assert!(e.0.starts_with("f.cfg line "), "{}", e.0),
            }
        }
    }

    #[test]
    fn a_section_seen_again_continues_and_a_reassigned_option_replaces() {
        let b = parse(
            "[buildout]\nparts = a\n[a]\nx = 1\ny = 2\n[b]\nz = 3\n[a]\nx = 4\nw = 5\n\
             [buildout]\nparts = a b\ninstalled_develop_eggs =\n",
        );
        let names: Vec<&str> = b.sections().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["buildout", "a", "b"]);
        assert_eq!(b.get("a", "x").unwrap().as_deref(), Some("4"));
        assert_eq!(b.keys("a").unwrap(), ["x", "y", "w"]);
        assert_eq!(b.get("buildout", "parts").unwrap().as_deref(), Some("a b"));
    }

    #[test]
    fn additions_and_removals_follow_buildout() {
        let b = parse(
            "[a]\nx = 1\n  2\nx += 3\nx -= 1\ny += only\nz -= gone\nw += 1\nw = reset\n\
             [m]\nx = base\nkeep = k\n[u]\n<= m\nx += more\nkeep -= k\nnew += n\n",
        );
        assert_eq!(b.get("a", "x").unwrap().as_deref(), Some("2\n3"));
        assert_eq!(b.get("a", "y").unwrap().as_deref(), Some("only"));
        assert_eq!(b.get("a", "z").unwrap().as_deref(), Some(""));
        assert_eq!(b.get("a", "w").unwrap().as_deref(), Some("reset"));
        assert_eq!(b.get("u", "x").unwrap().as_deref(), Some("base\nmore"));
        assert_eq!(b.get("u", "keep").unwrap().as_deref(), Some(""));
        // Added to nothing, as buildout does after a macro: an empty first line.
        assert_eq!(b.get("u", "new").unwrap().as_deref(), Some("\nn"));
        assert_eq!(b.keys("u").unwrap(), ["x", "keep", "new"]);
    }

    #[test]
    fn values_on_the_next_line_keep_their_relative_indentation() {
        let b = parse("[a]\nx =\n    if a:\n\n      b\n    c\ny = first\n   second\n\n   third\n");
        assert_eq!(b.get("a", "x").unwrap().as_deref(), Some("if a:\n\n  b\nc"));
        assert_eq!(
            b.get("a", "y").unwrap().as_deref(),
            Some("first\nsecond\nthird")
        );
    }

    #[test]
    fn directory_section_name_and_profile_location() {
        let text = "[m]\nname = ${:_buildout_section_name_}\nfrom = ${:_profile_base_location_}/x\n\
                    [u]\n<= m\nbin = ${buildout:bin-directory}\nother = ${m:name}\n";
        let b = parse(text).in_folder("/srv/slapgrid/slappart3");
        assert_eq!(b.get("u", "name").unwrap().as_deref(), Some("u"));
        assert_eq!(b.get("u", "other").unwrap().as_deref(), Some("m"));
        assert_eq!(
            b.get("u", "from").unwrap().as_deref(),
            Some("/srv/slapgrid/slappart3/x")
        );
        assert_eq!(
            b.get("u", "bin").unwrap().as_deref(),
            Some("/srv/slapgrid/slappart3/bin")
        );
        let b = parse(&format!("[buildout]\ndirectory = /p\n{text}")).in_folder("/elsewhere");
        assert_eq!(b.get("u", "bin").unwrap().as_deref(), Some("/p/bin"));
        // Without a folder, the location is unknown: an error naming it.
        let error = parse(text).get("u", "from").unwrap_err();
        assert!(error.0.contains("_profile_base_location_"), "{error}");
    }

    #[test]
    fn conditional_sections_are_evaluated_or_refused_by_name() {
        let b = parse(
            "[a]\nx = 1\n[a:linux and not windows] # note\nx = 2\n[a:macosx]\nx = 3\n  cont\n\
             [b:python3]\ny = 1\n[c:sys.version_info >= (3, 11)]\nz = 1\n[d:(bits32 or bits64)]\nw = 1\n",
        );
        assert_eq!(b.get("a", "x").unwrap().as_deref(), Some("2"));
        assert_eq!(b.get("b", "y").unwrap().as_deref(), Some("1"));
        assert_eq!(b.get("d", "w").unwrap().as_deref(), Some("1"));
        assert_eq!(b.get("c", "z").unwrap(), None);
        assert_eq!(
            b.refused(),
            [Refused {
                name: "c".into(),
                condition: "sys.version_info >= (3, 11)".into(),
                line: 10
            }]
        );
        let names: Vec<&str> = b.sections().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "d"]);
    }

    #[test]
    fn a_part_depends_on_the_unread_sections_it_is_or_uses() {
        let b = parse(
            "[base]\nrecipe = r\n[c]\n<= base\nport = 3\n[d]\n<= base\nport = 4\n[d:python311]\nport = 44\n\
             [hosts]\nf = 127.0.0.1\n[hosts:sys.version_info < (3,12)]\nf = ::1\n\
             [f]\nhost = ${hosts:f}\n[g]\n<= f\n[macro:python312]\nrecipe = s\n[m]\n<= macro\n\
             [only:python313]\nx = 1\n[o]\nx = ${only:x}\n[e]\nport = 5\n[e:os.name == 'posix']\nport = 55\n",
        );
        let unread = |name: &str| b.unread(name).unwrap().map(|r| r.condition.clone());
        assert_eq!(unread("c"), None);
        assert_eq!(unread("e"), None);
        assert_eq!(b.get("e", "port").unwrap().as_deref(), Some("55"));
        assert_eq!(unread("d").as_deref(), Some("python311"));
        assert_eq!(unread("f").as_deref(), Some("sys.version_info < (3,12)"));
        assert_eq!(unread("g").as_deref(), Some("sys.version_info < (3,12)"));
        assert_eq!(unread("m").as_deref(), Some("python312"));
        assert_eq!(unread("o").as_deref(), Some("python313"));
        assert_eq!(unread("base"), None);
    }

    #[test]
    fn extends_are_read_first_and_extended_by_the_file() {
        let dir = crate::test_dir::TestDir::new("rg-extends");
        std::fs::create_dir_all(dir.join("stack")).unwrap();
        std::fs::write(
            dir.join("stack/monitor.cfg"),
            "[buildout]\nparts = monitor\n[monitor-promise-base]\nrecipe = slapos.cookbook:promise.plugin\n\
             module = slapos.promise.plugin.${:promise}\n[where]\nat = ${:_profile_base_location_}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("instance.cfg"),
            "[buildout]\nextends = stack/monitor.cfg\noptional-extends = missing.cfg\nparts += check\n\
             [check]\n<= monitor-promise-base\npromise = check_socket_listening\n[here]\nat = ${:_profile_base_location_}\n",
        )
        .unwrap();
        let mut read = |p: &Path| std::fs::read_to_string(p).map_err(|e| Usage::new(e.to_string()));
        let b = Buildout::load(&dir.join("instance.cfg"), &mut read).unwrap();
        assert_eq!(
            b.get("buildout", "parts").unwrap().as_deref(),
            Some("monitor\ncheck")
        );
        assert_eq!(b.get("buildout", "extends").unwrap(), None);
        assert_eq!(
            b.get("check", "module").unwrap().as_deref(),
            Some("slapos.promise.plugin.check_socket_listening")
        );
        let dir_text = dir.to_string_lossy().into_owned();
        assert_eq!(
            b.get("where", "at").unwrap(),
            Some(format!("{dir_text}/stack"))
        );
        assert_eq!(b.get("here", "at").unwrap(), Some(dir_text.clone()));
        std::fs::write(
            dir.join("stack/monitor.cfg"),
            "[buildout]\nextends = ../instance.cfg\n",
        )
        .unwrap();
        let error = Buildout::load(&dir.join("instance.cfg"), &mut read).unwrap_err();
        assert!(
            error
                .0
                .ends_with("instance.cfg extends itself (an extends loop)"),
            "{error}"
        );
        std::fs::write(
            dir.join("stack/monitor.cfg"),
            "[buildout]\nextends = https://x/y.cfg\n",
        )
        .unwrap();
        let error = Buildout::load(&dir.join("instance.cfg"), &mut read).unwrap_err();
        assert!(
            error.0.contains("extends https://x/y.cfg, a URL"),
            "{error}"
        );
    }

    #[test]
    fn reached_sections_are_those_buildout_reads() {
        let b = parse(
            "[buildout]\nparts = a\n  ${c:name}\n[a]\nx = ${b:y}\n=> d\n[b]\ny = 1\n[c]\nname = e\n[d]\n[e]\n[unused]\nz = ${nowhere:at-all}\n",
        );
        let mut reached: Vec<String> = b.reached().unwrap().unwrap().into_iter().collect();
        reached.sort();
        assert_eq!(reached, ["a", "b", "buildout", "c", "d", "e"]);
        assert_eq!(parse("[a]\n").reached().unwrap(), None);
        // An option a recipe sets when buildout runs: said so.
        let b = parse(
            "[conf]\nrecipe = slapos.cookbook:slapconfiguration\n[a]\nip = ${conf:ipv6-random}\n[b]\nip = ${a:nope}\n",
        );
        let error = b.get("a", "ip").unwrap_err();
        assert!(set_by_recipe(&error), "{error}");
        assert!(!set_by_recipe(&b.get("b", "ip").unwrap_err()));
    }

    proptest::proptest! {
        /// Headers seen again continue their section and the last `=` wins,
        /// `+=` lines after it are added: whatever the order of the lines.
        #[test]
        fn reopened_sections_and_reassigned_options_merge(
            lines in proptest::collection::vec(
                (0..3usize, 0..3usize, "[a-z0-9]{1,6}", proptest::bool::ANY),
                1..30,
            )
        ) {
            let mut text = String::new();
            let mut expected: std::collections::BTreeMap<(usize, usize), String> =
                std::collections::BTreeMap::new();
            for (section, key, value, add) in &lines {
                text.push_str(&format!("[s{section}]\n"));
                let slot = (*section, *key);
                if *add && expected.contains_key(&slot) {
                    text.push_str(&format!("k{key} += {value}\n"));
                    let old = expected.get_mut(&slot).unwrap();
                    old.push('\n');
                    old.push_str(value);
                } else {
                    text.push_str(&format!("k{key} = {value}\n"));
                    expected.insert(slot, value.clone());
                }
            }
            let b = parse(&text);
            for section in 0..3 {
                for key in 0..3 {
                    let got = b.get(&format!("s{section}"), &format!("k{key}")).unwrap();
                    proptest::prop_assert_eq!(got.as_ref(), expected.get(&(section, key)), "{}", text);
                }
            }
        }
    }

    #[test]
    fn installed_cfg_space_markers_are_decoded() {
        let b = parse("[a]\nv = %(__buildout_space__)sx%(__buildout_space_n__)s\n");
        assert_eq!(b.get("a", "v").unwrap().as_deref(), Some(" x\n"));
    }
}

/// Our reader against zc.buildout's own, on the files of
/// `tests/fixtures/buildout/` (a profile and the `.installed.cfg` of one and
/// of two real runs): `regenerate.sh` dumped what zc.buildout made of each.
#[cfg(test)]
mod against_zc_buildout {
    use std::collections::BTreeMap;

    use super::Buildout;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/buildout");
    /// The partition folder the fixtures were made in.
    const PARTITION: &str = "/tmp/np-fixture/slappart0";

    type Sections = BTreeMap<String, BTreeMap<String, String>>;

    /// The dump: `{"sections": {name: {key: value}}}`, strings only.
    fn dump(name: &str) -> Sections {
        let text = std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap();
        let mut json = Json(text.as_bytes(), 0);
        json.expect(b'{');
        assert_eq!(json.string(), "sections");
        json.expect(b':');
        json.object(|json| json.object(|json| json.string()))
    }

    struct Json<'a>(&'a [u8], usize);

    impl Json<'_> {
        fn skip(&mut self) {
            while self.0.get(self.1).is_some_and(u8::is_ascii_whitespace) {
                self.1 += 1;
            }
        }

        fn expect(&mut self, byte: u8) {
            self.skip();
            assert_eq!(self.0[self.1], byte, "at {}", self.1);
            self.1 += 1;
        }

        fn object<T>(&mut self, mut value: impl FnMut(&mut Self) -> T) -> BTreeMap<String, T> {
            let mut map = BTreeMap::new();
            self.expect(b'{');
            loop {
                self.skip();
                if self.0[self.1] == b'}' {
                    self.1 += 1;
                    return map;
                }
                if !map.is_empty() {
                    self.expect(b',');
                }
                let key = self.string();
                self.expect(b':');
                map.insert(key, value(self));
            }
        }

        fn string(&mut self) -> String {
            self.expect(b'"');
            let mut units: Vec<u16> = Vec::new();
            loop {
                let rest = std::str::from_utf8(&self.0[self.1..]).unwrap();
                let c = rest.chars().next().unwrap();
                self.1 += c.len_utf8();
                match c {
                    '"' => return String::from_utf16(&units).unwrap(),
                    '\\' => {
                        let escape = self.0[self.1];
                        self.1 += 1;
                        let simple = match escape {
                            b'n' => '\n',
                            b't' => '\t',
                            b'r' => '\r',
                            b'b' => '\x08',
                            b'f' => '\x0c',
                            b'u' => {
                                let hex = std::str::from_utf8(&self.0[self.1..self.1 + 4]).unwrap();
                                self.1 += 4;
                                units.push(u16::from_str_radix(hex, 16).unwrap());
                                continue;
                            }
                            other => char::from(other),
                        };
                        units.extend(simple.encode_utf16(&mut [0; 2]).iter());
                    }
                    c => units.extend(c.encode_utf16(&mut [0; 2]).iter()),
                }
            }
        }
    }

    fn compare(cfg: &str, json: &str) {
        let text = std::fs::read_to_string(format!("{FIXTURES}/{cfg}")).unwrap();
        let ours = Buildout::parse(&text, cfg).unwrap().in_folder(PARTITION);
        let theirs = dump(json);
        assert!(theirs.len() > 3, "{json}: {} sections", theirs.len());
        let names: Vec<&str> = ours.sections().map(|s| s.name.as_str()).collect();
        for (name, options) in &theirs {
            assert!(names.contains(&name.as_str()), "{cfg}: no [{name}]");
            if let Some(error) = options.get("__error__") {
                // A macro's own ${:key}: unresolved by buildout, and by us.
                let failed = ours
                    .keys(name)
                    .unwrap()
                    .iter()
                    .any(|key| ours.get(name, key).is_err());
                assert!(
                    failed,
                    "{cfg} [{name}]: buildout says {error}, we resolve it"
                );
                continue;
            }
            if name != "buildout" {
                let mut keys = ours.keys(name).unwrap();
                keys.sort();
                let expected: Vec<&String> = options.keys().collect();
                assert_eq!(keys.iter().collect::<Vec<_>>(), expected, "{cfg} [{name}]");
            }
            for (key, value) in options {
                assert_eq!(
                    ours.get(name, key).unwrap().as_ref(),
                    Some(value),
                    "{cfg} [{name}] {key}"
                );
            }
        }
        assert_eq!(names.len(), theirs.len(), "{cfg}: {names:?}");
    }

    #[test]
    fn the_profile_reads_as_zc_buildout_reads_it() {
        compare("instance.cfg", "instance.json");
    }

    #[test]
    fn installed_cfg_after_one_and_two_runs_reads_as_zc_buildout_reads_it() {
        compare("installed-1.cfg", "installed-1.json");
        compare("installed-2.cfg", "installed-2.json");
    }

    #[test]
    fn conditions_known_on_every_partition_read_as_zc_buildout_reads_them() {
        let text = std::fs::read_to_string(format!("{FIXTURES}/conditions.cfg")).unwrap();
        assert_eq!(Buildout::parse(&text, "c").unwrap().refused(), []);
        compare("conditions.cfg", "conditions.json");
    }
}
