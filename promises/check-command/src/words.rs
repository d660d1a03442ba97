//! A shell command split into words, the way the shell splits plain words and
//! quotes, without expanding anything.
//!
//! Two users: our line shows `--command` as words (to hide the secrets among
//! them), and recipe-generator recognises commands it can run natively
//! (`test -S PATH`), which it may only do when the command is nothing but
//! plain words, so that the shell would have run exactly those.

/// The words of a command, and whether that is all there is to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// The words, quotes removed. Shell syntax stays in them as text.
    pub words: Vec<String>,
    /// True when the shell would run exactly these words: no expansion, glob,
    /// redirection, list, pipe, comment or assignment, and every quote closed.
    pub plain: bool,
}

/// Characters the shell takes literally in a word, wherever they stand
/// (`=` too, except in a first word, where it makes an assignment).
fn literal(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/._-+:,@%=".contains(c) || !c.is_ascii()
}

/// Splits `command`: white space (space, tab, newline) separates words, quotes
/// group, a backslash escapes the next character. Unclosed quotes run to the end.
/// A command substitution, `$(...)` (nested ones included) or `` `...` ``,
/// stays whole inside its word, white space and all, as the shell keeps it:
/// `--password=$(cat f)x` is one word, so that its value is hidden whole.
#[must_use]
pub fn split(command: &str) -> Words {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut plain = true;
    // An unquoted `[` or `]` is literal only as a whole word (test's other name).
    let mut bracket = false;
    let mut chars = command.chars().peekable();
    let end_word =
        |word: &mut String, bracket: &mut bool, plain: &mut bool, words: &mut Vec<String>| {
            *plain &= !*bracket || word == "[" || word == "]";
            *bracket = false;
            words.push(std::mem::take(word));
        };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '\'' {
                        closed = true;
                        break;
                    }
                    word.push(c);
                }
                plain &= closed;
            }
            '"' => {
                in_word = true;
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => word.push('\\'),
                        },
                        c => {
                            plain &= c != '$' && c != '`';
                            word.push(c);
                        }
                    }
                }
                plain &= closed;
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => word.push(c),
                    None => plain = false,
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    end_word(&mut word, &mut bracket, &mut plain, &mut words);
                    in_word = false;
                }
            }
            '$' if chars.peek() == Some(&'(') => {
                in_word = true;
                plain = false;
                word.push('$');
                let mut depth = 0_usize;
                for c in chars.by_ref() {
                    word.push(c);
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        break;
                    }
                }
            }
            '`' => {
                in_word = true;
                plain = false;
                word.push('`');
                for c in chars.by_ref() {
                    word.push(c);
                    if c == '`' {
                        break;
                    }
                }
            }
            c => {
                if c == '[' || c == ']' {
                    bracket = true;
                } else if !literal(c) || (c == '=' && words.is_empty()) {
                    plain = false;
                }
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        end_word(&mut word, &mut bracket, &mut plain, &mut words);
    }
    Words { words, plain }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(command: &str) -> Option<Vec<String>> {
        let words = split(command);
        words.plain.then_some(words.words)
    }

    #[test]
    fn words_follow_shell_quoting() {
        assert_eq!(
            split(r#"a 'b c' "d \"e\" \x" f\ g  "#).words,
            ["a", "b c", "d \"e\" \\x", "f g"]
        );
        assert_eq!(split("a ''").words, ["a", ""]);
        assert_eq!(split(" \t\n ").words, Vec::<String>::new());
        assert_eq!(
            plain("[ -S \"/p/x.sock\" ]"),
            Some(vec![
                "[".into(),
                "-S".into(),
                "/p/x.sock".into(),
                "]".into()
            ])
        );
        assert!(plain("a ''").is_some());
        assert!(plain("is-local-tcp-port-opened 2001:db8::1 80").is_some());
    }

    #[test]
    fn shell_syntax_is_not_plain_but_still_split() {
        for command in [
            "a; b", "a | b", "a > f", "a $(b)", "a `b`", "\"$x\"", "a 'open", "a \"open", "a #c",
            "a [x]", "X=1 a", "~/a", "a *", "a\\",
        ] {
            assert_eq!(plain(command), None, "{command}");
        }
        assert_eq!(split("echo hi; x").words, ["echo", "hi;", "x"]);
        assert_eq!(split("a 'open").words, ["a", "open"]);
        assert_eq!(
            split("x --password=$(cat 'a b' $(y z))SECRET `c d`e f").words,
            ["x", "--password=$(cat 'a b' $(y z))SECRET", "`c d`e", "f"]
        );
        assert_eq!(split("x $(open").words, ["x", "$(open"]);
    }
}
