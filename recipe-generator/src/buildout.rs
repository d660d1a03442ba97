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

use std::collections::HashMap;

use shared::Usage;

/// How deep macros and substitutions may nest before we call it a loop.
const MAX_DEPTH: usize = 32;

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
}

/// One `[section]` with its options as written.
#[derive(Debug)]
pub struct Section {
    /// The name between the brackets.
    pub name: String,
    options: Vec<(String, String)>,
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
            if section.options.iter().any(|(k, _)| k == key) {
                return Err(bad(
                    n,
                    &format!("option {key} is defined twice in [{}]", section.name),
                ));
            }
            section
                .options
                .push((key.to_owned(), value.trim().to_owned()));
        }
        for section in &mut buildout.sections {
            for (_, value) in &mut section.options {
                *value = value.trim().to_owned();
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
        self.sections.iter().any(|s| {
            s.options
                .iter()
                .any(|(k, v)| k == "<" && v.split_whitespace().any(|base| base == name))
        })
    }

    /// The option names of `section`, its macros' included, in order.
    ///
    /// # Errors
    /// A macro loop.
    pub fn keys(&self, section: &str) -> Result<Vec<String>, Usage> {
        Ok(self
            .options(section, 0)?
            .into_iter()
            .map(|(k, _)| k)
            .collect())
    }

    /// The value of `key` in `section`, macros applied and substitutions
    /// resolved; `None` when the section does not have that option.
    ///
    /// # Errors
    /// A substitution the file cannot resolve (naming the section and key), a
    /// malformed one, or a loop.
    pub fn get(&self, section: &str, key: &str) -> Result<Option<String>, Usage> {
        self.lookup(section, key, 0)
    }

    fn lookup(&self, section: &str, key: &str, depth: usize) -> Result<Option<String>, Usage> {
        let raw = self
            .options(section, depth)?
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v);
        let Some(raw) = raw else { return Ok(None) };
        let mut pieces = Vec::new();
        for piece in decode_spaces(&raw).split("$$") {
            pieces.push(self.substitute(piece, section, key, depth)?);
        }
        Ok(Some(pieces.join("$")))
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
                    &after[..end]
                ))
            };
            if !self.index.contains_key(target) {
                return Err(unresolved(format!("this file has no section [{target}]")));
            }
            let value = self
                .lookup(target, option, depth + 1)?
                .ok_or_else(|| unresolved(format!("[{target}] has no option {option}")))?;
            out.push_str(&value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The raw options of `section`: its bases' first, then its own.
    fn options(&self, section: &str, depth: usize) -> Result<Vec<(String, String)>, Usage> {
        if depth >= MAX_DEPTH {
            return Err(Usage::new(format!(
                "[{section}]: macros (<=) or substitutions nest too deep (a loop?)"
            )));
        }
        let Some(&at) = self.index.get(section) else {
            return Ok(Vec::new());
        };
        let own = &self.sections[at].options;
        let mut merged: Vec<(String, String)> = Vec::new();
        if let Some((_, bases)) = own.iter().find(|(k, _)| k == "<") {
            for base in bases.split_whitespace() {
                for (k, v) in self.options(base, depth + 1)? {
                    merged.retain(|(existing, _)| *existing != k);
                    merged.push((k, v));
                }
            }
        }
        for (k, v) in own.iter().filter(|(k, _)| k != "<") {
            merged.retain(|(existing, _)| existing != k);
            merged.push((k.clone(), v.clone()));
        }
        Ok(merged)
    }
}

/// Section and option names buildout accepts in a substitution.
fn valid_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ' ' | '.' | '_'))
}

fn decode_spaces(raw: &str) -> String {
    if !raw.contains("%(__buildout_space") {
        return raw.to_owned();
    }
    SPACES
        .iter()
        .fold(raw.to_owned(), |value, (marker, space)| {
            value.replace(marker, space)
        })
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
    fn installed_cfg_space_markers_are_decoded() {
        let b = parse("[a]\nv = %(__buildout_space__)sx%(__buildout_space_n__)s\n");
        assert_eq!(b.get("a", "v").unwrap().as_deref(), Some(" x\n"));
    }
}
