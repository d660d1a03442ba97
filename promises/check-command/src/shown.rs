//! The command as our line shows it: short, and without its secrets.
//!
//! SlapOS commands carry credentials (`--password="..."` for mysql, tokens,
//! URLs with a user and password), and our line travels to the SlapOS Master
//! and to monitoring. So the command is shown as words: the program by its
//! file name, then its arguments, where
//!
//! - the value of a word `NAME=VALUE` whose name looks secret (`--password=x`,
//!   `PGPASSWORD=x`) is `***`;
//! - the word after a secret-looking option without `=` (`--password x`) is `***`;
//! - the password of a URL's user info (`https://user:x@host/`) is `***`.
//!
//! A name looks secret when it contains `pass`, `secret`, `token`, `credential`
//! or `auth` (any case): wider than needed, since hiding a harmless value costs
//! little and showing a password costs a lot. A `--command` string is split
//! into words by [`crate::words`] for display only, never to run it. Short
//! options glued to their value (mysql's `-pSECRET`) cannot be told from
//! others and are shown.

/// How many characters of the command the line shows.
pub const SHOWN_COMMAND_CHARS: usize = 100;

const MASK: &str = "***";

/// Secret values shorter than this are hidden in the command but not searched
/// for in its output, where they would hide common words.
pub const MIN_SECRET_IN_OUTPUT: usize = 4;

/// `words` (the program first) as the line shows them.
#[must_use]
pub fn show<S: AsRef<str>>(words: &[S]) -> String {
    show_and_collect(words).0
}

/// [`show`], and the secret values it hid that are long enough to be hidden
/// in the command's output too (a command may print its own arguments).
#[must_use]
pub fn show_and_collect<S: AsRef<str>>(words: &[S]) -> (String, Vec<String>) {
    let mut shown: Vec<String> = Vec::with_capacity(words.len());
    let mut secrets = Vec::new();
    let mut hide = |secret: &str| {
        if secret.chars().count() >= MIN_SECRET_IN_OUTPUT {
            secrets.push(secret.to_owned());
        }
    };
    let mut hide_next = false;
    for (index, word) in words.iter().enumerate() {
        let word = word.as_ref();
        if hide_next {
            hide(word);
            shown.push(MASK.to_owned());
            hide_next = false;
            continue;
        }
        if index == 0 {
            let name = word.rsplit('/').find(|part| !part.is_empty());
            shown.push(name.unwrap_or(word).to_owned());
            continue;
        }
        if let Some((name, value)) = word.split_once('=').filter(|(name, _)| looks_secret(name)) {
            hide(value);
            shown.push(format!("{name}={MASK}"));
        } else if word.starts_with('-') && looks_secret(word) {
            hide_next = true;
            shown.push(word.to_owned());
        } else {
            let (word, password) = hide_url_password(word);
            if let Some(password) = password {
                hide(&password);
            }
            shown.push(word);
        }
    }
    // A secret may also stand elsewhere in the command (echoed, in a URL).
    let shown = redact(&shown.join(" "), &secrets);
    let shown = shared::report::sanitize(&shown, SHOWN_COMMAND_CHARS);
    (shown, secrets)
}

/// `text` with every one of `secrets` replaced by `***`.
#[must_use]
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_owned();
    for secret in secrets {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), MASK);
        }
    }
    text
}

/// Whether an option or variable name looks like it holds a secret.
fn looks_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["pass", "secret", "token", "credential", "auth"]
        .iter()
        .any(|word| name.contains(word))
}

/// `scheme://user:password@host...` with the password as `***`, and the password.
fn hide_url_password(word: &str) -> (String, Option<String>) {
    let unchanged = || (word.to_owned(), None);
    let Some(scheme_end) = word.find("://") else {
        return unchanged();
    };
    let authority_start = scheme_end + 3;
    let rest = &word[authority_start..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let Some(at) = authority.rfind('@') else {
        return unchanged();
    };
    let Some(colon) = authority[..at].find(':') else {
        return unchanged();
    };
    let password_start = authority_start + colon + 1;
    let password_end = authority_start + at;
    let shown = format!("{}{MASK}{}", &word[..password_start], &word[password_end..]);
    (shown, Some(word[password_start..password_end].to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(command: &str) -> String {
        show(&crate::words::split(command).words)
    }

    #[test]
    fn the_program_is_shown_by_its_file_name() {
        assert_eq!(
            shown("/srv/slapgrid/slappart3/bin/check-computer-memory -db /srv/x.db --threshold 80"),
            "check-computer-memory -db /srv/x.db --threshold 80"
        );
        assert_eq!(
            shown("test -S var/run/log.sock"),
            "test -S var/run/log.sock"
        );
        assert_eq!(show(&["/"]), "/");
    }

    #[test]
    fn secrets_never_show() {
        // The real form from stack/erp5-zope2/instance-mariadb.cfg.in.
        let line = shown(
            r#""/srv/bin/mysql-wrapper"  --execute ';'  --host="10.0.0.1" --port="2099" --user="user" --password="s3cr et" "#,
        );
        assert_eq!(
            line,
            "mysql-wrapper --execute ; --host=10.0.0.1 --port=2099 --user=user --password=***"
        );
        assert_eq!(
            shown("tool --password s3cret --x 1"),
            "tool --password *** --x 1"
        );
        assert_eq!(
            shown("tool --db-passwd=x -T tok"),
            "tool --db-passwd=*** -T tok"
        );
        assert_eq!(shown("tool --api-token abc"), "tool --api-token ***");
        assert_eq!(
            shown("env PGPASSWORD=x psql -c '\\q'"),
            "env PGPASSWORD=*** psql -c \\q"
        );
        assert_eq!(
            shown("probe 'https://admin:hunter2@[::1]:8443/path?a=b'"),
            "probe https://admin:***@[::1]:8443/path?a=b"
        );
        assert_eq!(shown("probe http://host/a@b:c"), "probe http://host/a@b:c");
        assert_eq!(shown("x --secret"), "x --secret");
        for line in [
            shown("x --password='a b c'"),
            shown("x --password 'a b c' y"),
            shown("x \"--password=unterminated"),
        ] {
            assert!(!line.contains('a') || !line.contains("b c"), "{line}");
            assert!(line.contains(MASK), "{line}");
        }
    }

    #[test]
    fn hidden_values_are_hidden_in_the_output_too() {
        let words =
            crate::words::split("tool --password hunter2 --token=abc http://u:pw0rd@h/ -x y").words;
        let (line, secrets) = show_and_collect(&words);
        assert_eq!(line, "tool --password *** --token=*** http://u:***@h/ -x y");
        assert_eq!(secrets, ["hunter2", "pw0rd"]);
        let (line, _) =
            show_and_collect(&crate::words::split("echo hunter2; x --password=hunter2").words);
        assert_eq!(line, "echo ***; x --password=***");
        assert_eq!(
            redact("login hunter2 failed (hunter2, pw0rd, abc)", &secrets),
            "login *** failed (***, ***, abc)"
        );
    }

    #[test]
    fn long_commands_are_cut_and_cleaned() {
        let line = shown(&format!("prog {}", "x".repeat(500)));
        assert_eq!(line.chars().count(), SHOWN_COMMAND_CHARS);
        assert!(line.ends_with('…'));
        assert_eq!(shown("a\nb\tc\x1b"), "a b c");
    }
}
