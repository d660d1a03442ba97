//! Just enough of buildout's file format to read promise parts.
//!
//! Sections (`[name]`), options (`key = value`), continuation lines (indented,
//! joined with newlines), full-line `#` and `;` comments, `<= base` macro lines
//! (the section starts with the options of `base`, its own win), `${section:key}`
//! and `${:key}` substitutions resolved within the file, and `$$` for a literal
//! `$`. A deployed partition's `.installed.cfg` holds every option already
//! substituted, with spaces next to newlines written as
//! `%(__buildout_space__)s` and the like, which are decoded here.
//!
//! What buildout would take from elsewhere (`extends`, other files' sections,
//! `+=`) is not followed: a substitution that the file cannot resolve is an
//! error naming the section and key, reported only when the value is used.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use shared::Usage;

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

/// A parsed buildout file.
#[derive(Debug)]
pub struct Buildout {
    sections: Vec<Section>,
    index: HashMap<String, usize>,
    /// Sections that another one names in a `<=` line.
    bases: HashSet<String>,
    /// Steps taken so far, against [`MAX_STEPS`].
    steps: Cell<usize>,
}

/// One `[section]` with its options as written.
#[derive(Debug)]
pub struct Section {
    /// The name between the brackets.
    pub name: String,
    options: Vec<(String, String)>,
    index: HashMap<String, usize>,
}

impl Section {
    fn option(&self, key: &str) -> Option<&str> {
        self.index.get(key).map(|&i| self.options[i].1.as_str())
    }
}

impl Buildout {
    /// Parses `text`; `file` names it in errors.
    ///
    /// # Errors
    /// The first line that is not buildout syntax, or a section or option
    /// defined twice.
    pub fn parse(text: &str, file: &str) -> Result<Buildout, Usage> {
        let mut buildout = Buildout {
            sections: Vec::new(),
            index: HashMap::new(),
            bases: HashSet::new(),
            steps: Cell::new(0),
        };
        let bad = |n: usize, what: &str| Usage::new(format!("{file} line {}: {what}", n + 1));
        for (n, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() || line.starts_with(['#', ';']) {
                continue;
            }
            if let Some(header) = line.strip_prefix('[') {
                let (name, rest) = header
                    .split_once(']')
                    .ok_or_else(|| bad(n, "a section header lacks its ]"))?;
                let rest = rest.trim();
                let name = name.trim();
                if name.is_empty() || !(rest.is_empty() || rest.starts_with(['#', ';'])) {
                    return Err(bad(n, "expected a section header such as [name]"));
                }
                if buildout.index.contains_key(name) {
                    return Err(bad(n, &format!("section [{name}] is defined twice")));
                }
                buildout
                    .index
                    .insert(name.to_owned(), buildout.sections.len());
                buildout.sections.push(Section {
                    name: name.to_owned(),
                    options: Vec::new(),
                    index: HashMap::new(),
                });
                continue;
            }
            let Some(section) = buildout.sections.last_mut() else {
                return Err(bad(n, "an option before any [section]"));
            };
            if line.starts_with([' ', '\t']) {
                let (_, value) = section
                    .options
                    .last_mut()
                    .ok_or_else(|| bad(n, "a continuation line without an option"))?;
                value.push('\n');
                value.push_str(line.trim());
                continue;
            }
            let (key, value) = line.split_once('=').ok_or_else(|| {
                bad(
                    n,
                    "expected key = value, [section], a comment or an indented continuation",
                )
            })?;
            let key = key.trim();
            if key.is_empty() {
                return Err(bad(n, "an option without a name"));
            }
            if section.index.contains_key(key) {
                return Err(bad(
                    n,
                    &format!("option {key} is defined twice in [{}]", section.name),
                ));
            }
            section.index.insert(key.to_owned(), section.options.len());
            section
                .options
                .push((key.to_owned(), value.trim().to_owned()));
        }
        for section in &mut buildout.sections {
            for (key, value) in &mut section.options {
                *value = value.trim().to_owned();
                if key == "<" {
                    buildout
                        .bases
                        .extend(value.split_whitespace().map(str::to_owned));
                }
            }
        }
        Ok(buildout)
    }

    /// Every section, in file order.
    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.sections.iter()
    }

    /// Whether another section names `name` in a `<=` line: a template, not a part.
    #[must_use]
    pub fn is_macro_base(&self, name: &str) -> bool {
        self.bases.contains(name)
    }

    /// The option names of `section`, its macros' included, in order.
    ///
    /// # Errors
    /// A macro loop, or a file that takes too many steps to resolve.
    pub fn keys(&self, section: &str) -> Result<Vec<String>, Usage> {
        // Later definitions win and move the key to the end, as buildout's merge does.
        let mut order: Vec<Option<String>> = Vec::new();
        let mut at: HashMap<String, usize> = HashMap::new();
        self.collect_keys(section, 0, &mut |key: &str| {
            if let Some(old) = at.insert(key.to_owned(), order.len()) {
                order[old] = None;
            }
            order.push(Some(key.to_owned()));
        })?;
        Ok(order.into_iter().flatten().collect())
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
        if let Some(bases) = own.option("<") {
            for base in bases.split_whitespace() {
                self.collect_keys(base, depth + 1, add)?;
            }
        }
        for (key, _) in own.options.iter().filter(|(k, _)| k != "<") {
            add(key);
        }
        Ok(())
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
        for (i, piece) in decode_spaces(raw).split("$$").enumerate() {
            if i > 0 {
                value.push('$');
            }
            value.push_str(&self.substitute(piece, section, key, depth)?);
            if value.len() > MAX_VALUE {
                return Err(too_long(section, key));
            }
        }
        Ok(Some(value))
    }

    /// The value of `key` as written in `section` or, failing that, in its
    /// bases (the last base that has it wins).
    fn raw(&self, section: &str, key: &str, depth: usize) -> Result<Option<&str>, Usage> {
        self.step(section, depth)?;
        let Some(&at) = self.index.get(section) else {
            return Ok(None);
        };
        let own = &self.sections[at];
        if key != "<" {
            if let Some(value) = own.option(key) {
                return Ok(Some(value));
            }
        }
        if let Some(bases) = own.option("<") {
            for base in bases.split_whitespace().rev() {
                if let Some(value) = self.raw(base, key, depth + 1)? {
                    return Ok(Some(value));
                }
            }
        }
        Ok(None)
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
            let value = self
                .lookup(target, option, depth + 1)?
                .ok_or_else(|| unresolved(format!("[{target}] has no option {option}")))?;
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
        assert_eq!(
            b.get("a", "y").unwrap().as_deref(),
            Some("line one\nline two")
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
            ("[a]\n[a]\n", 2),
            ("[a]\nx = 1\nx = 2\n", 3),
            ("[a]\n = 1\n", 2),
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
             [check]\n<= base\npromise = check_socket_listening\nname = check.py\nprice = $${not:ref} $$5\n",
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
            Some("${not:ref} $5")
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
        let b = parse("[a]\nurl = ${other:url}\n[m]\n<= m\n");
        assert_eq!(
            b.get("a", "url").unwrap_err().0,
            "[a] url: ${other:url} is unresolved: this file has no section [other]"
        );
        assert!(b.get("m", "x").unwrap_err().0.contains("too deep"));
    }

    #[test]
    fn fanning_out_macros_and_substitutions_are_bounded() {
        // Each level names the next ten times: 10^31 lookups without a budget.
        let mut macros = String::new();
        let mut laughs = String::from("[l0]\nv = ha\n");
        for level in 0..31 {
            let next = vec![format!("m{}", level + 1); 10].join(" ");
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
        assert_eq!(keys.last().map(String::as_str), Some("k7"));
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
    fn installed_cfg_space_markers_are_decoded() {
        let b = parse("[a]\nv = %(__buildout_space__)sx%(__buildout_space_n__)s\n");
        assert_eq!(b.get("a", "v").unwrap().as_deref(), Some(" x\n"));
    }
}
