//! The command as our line shows it: short, and without its secrets.
//!
//! SlapOS commands carry credentials (`--password="..."` for mysql, tokens,
//! URLs with a user and password), and our line travels to the SlapOS Master
//! and to monitoring. So the command is shown as words: the program by its
//! file name, then its arguments, where `***` stands for
//!
//! - the value of a word `NAME=VALUE` whose name looks secret (`--password=x`,
//!   `PGPASSWORD=x`), to the end of the shell word (`$(cat f)x` included);
//! - the word after an option that looks secret (`--password x`, `-passin x`);
//! - the password of `user:password` after `-u`, `-U`, `--user` or
//!   `--proxy-user` (curl's form: `-u admin:x`, `--user=admin:x`, `-uadmin:x`);
//! - the value of a credential header (`Authorization`, `Proxy-Authorization`,
//!   `Cookie`, as [`shared::secret`] names them) in any word, after `-H` or
//!   `--header` (`-H 'Authorization: Bearer x'`) or not;
//! - the user information of a URL, from `scheme://` to its last `@`
//!   (`https://***@host/`, [`shared::secret::mask_userinfo`]);
//! - a password glued to its short option, or after it, for the programs
//!   whose short option is known to take one: `-pSECRET` for `mysql*` and
//!   `mariadb*` (their `-p` alone prompts, so the next word is shown),
//!   `-p SECRET` / `-pSECRET` for `sshpass`, `-a SECRET` / `-aSECRET` for
//!   `redis-cli`. The program is the last word naming one of them, so
//!   `env X=1 mysql -px` counts too;
//! - each of the above in a word holding white space, a command in one word
//!   (`sh -c 'mysql -px'`), its words split as the shell would.
//!
//! A name looks secret when it contains `pass`, `secret`, `token`, `credential`,
//! `auth` or `cookie` (any case): wider than needed, since hiding a harmless
//! value costs little and showing a password costs a lot. A `--command` string
//! is split into words by [`crate::words`] for display only, never to run it.
//! Other short options glued to their value cannot be told from flags
//! (`-p8080` is a port for most programs) and are shown.

use shared::secret::{MASK, is_credential_header, shown_header, split_userinfo};

/// How many characters of the command the line shows.
pub const SHOWN_COMMAND_CHARS: usize = 100;

/// Secret values shorter than this are hidden in the command but not searched
/// for in its output, where they would hide common words.
pub const MIN_SECRET_IN_OUTPUT: usize = 4;

/// `words` (the program first) as the line shows them.
#[must_use]
pub fn show<S: AsRef<str>>(words: &[S]) -> String {
    show_and_collect(words).0
}

/// What the word after an option is, when that option takes a secret.
#[derive(Clone, Copy)]
enum Next {
    /// A secret as a whole.
    Secret,
    /// `user:password`: the password is.
    UserPassword,
    /// `Name: value`: the value is when the header carries credentials.
    Header,
}

/// Programs whose short option (the letter) takes a password, glued or not,
/// and whether the next word is the password when it is not glued.
fn password_letter(program: &str) -> Option<(char, bool)> {
    if program.starts_with("mysql") || program.starts_with("mariadb") {
        Some(('p', false))
    } else if program == "sshpass" {
        Some(('p', true))
    } else if program == "redis-cli" {
        Some(('a', true))
    } else {
        None
    }
}

/// [`show`], and the secret values it hid that are long enough to be hidden
/// in the command's output too (a command may print its own arguments).
#[must_use]
pub fn show_and_collect<S: AsRef<str>>(words: &[S]) -> (String, Vec<String>) {
    let mut secrets = Vec::new();
    let shown = shown_words(words, &mut secrets);
    // A secret may also stand elsewhere in the command (echoed, in a URL).
    let shown = redact(&shown, &secrets);
    let shown = shared::report::sanitize(&shown, SHOWN_COMMAND_CHARS);
    (shown, secrets)
}

/// The words as shown, joined, and the secrets hidden in them.
fn shown_words<S: AsRef<str>>(words: &[S], secrets: &mut Vec<String>) -> String {
    let mut shown: Vec<String> = Vec::with_capacity(words.len());
    let mut next: Option<Next> = None;
    let mut letter: Option<(char, bool)> = None;
    for (index, word) in words.iter().enumerate() {
        let word = word.as_ref();
        let file_name = word.rsplit('/').find(|part| !part.is_empty());
        if index == 0 && !word.contains('=') {
            shown.push(file_name.unwrap_or(word).to_owned());
            letter = file_name.and_then(password_letter);
            continue;
        }
        let shown_word = match next.take() {
            Some(Next::Secret) => hide_whole(word, secrets),
            Some(Next::UserPassword) => user_password(word, secrets),
            Some(Next::Header) => header(word, secrets),
            None => {
                let (shown_word, after) = one_word(word, letter, secrets);
                next = after;
                shown_word
            }
        };
        if !word.starts_with('-') {
            if let Some(found) = file_name.and_then(password_letter) {
                letter = Some(found);
            }
        }
        shown.push(shown_word);
    }
    shown.join(" ")
}

/// A word with no secret-taking option before it, and what the next one is.
fn one_word(
    word: &str,
    letter: Option<(char, bool)>,
    secrets: &mut Vec<String>,
) -> (String, Option<Next>) {
    if let Some(shown) = glued_header(word, secrets) {
        return (shown, None);
    }
    if let (Some((letter, takes_next)), Some(rest)) = (letter, word.strip_prefix('-')) {
        if let Some(glued) = rest.strip_prefix(letter) {
            if glued.is_empty() {
                return (word.to_owned(), takes_next.then_some(Next::Secret));
            }
            hide(glued, secrets);
            return (format!("-{letter}{MASK}"), None);
        }
    }
    if let Some(glued) = word.strip_prefix("-u").or_else(|| word.strip_prefix("-U")) {
        if glued.contains(':') {
            return (
                format!("{}{}", &word[..2], user_password(glued, secrets)),
                None,
            );
        }
    }
    if let Some((name, value)) = word.split_once('=') {
        if looks_secret(name) {
            hide(value, secrets);
            return (format!("{name}={MASK}"), None);
        }
        if is_user_option(name) {
            return (format!("{name}={}", user_password(value, secrets)), None);
        }
        if is_header_option(name) {
            return (format!("{name}={}", header(value, secrets)), None);
        }
    }
    if word.starts_with('-') {
        if is_user_option(word) {
            return (word.to_owned(), Some(Next::UserPassword));
        }
        if is_header_option(word) {
            return (word.to_owned(), Some(Next::Header));
        }
        if looks_secret(word) && !word.contains('=') {
            return (word.to_owned(), Some(Next::Secret));
        }
    }
    if word.contains(char::is_whitespace) {
        // A command in one word (`sh -c 'mysql -px'`, `su -c '...'`): its own
        // words follow the same rules, once a URL's user information, which
        // may hold a space, is masked.
        let word = url(word, secrets);
        return (
            shown_words(&crate::words::split(&word).words, secrets),
            None,
        );
    }
    (url(word, secrets), None)
}

/// `***`, the word hidden.
fn hide_whole(word: &str, secrets: &mut Vec<String>) -> String {
    hide(word, secrets);
    MASK.to_owned()
}

/// Keeps `secret` to hide in the command's output, when long enough; and the
/// literal text around its command substitutions, which the output shows
/// with the substitutions expanded (`$(cat f)x` prints as `...x`).
fn hide(secret: &str, secrets: &mut Vec<String>) {
    let mut keep = |piece: &str| {
        if piece.chars().count() >= MIN_SECRET_IN_OUTPUT && !secrets.iter().any(|s| s == piece) {
            secrets.push(piece.to_owned());
        }
    };
    keep(secret);
    if secret.contains("$(") || secret.contains('`') {
        let mut depth = 0_usize;
        let mut piece = String::new();
        let mut chars = secret.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '$' if depth == 0 && chars.peek() == Some(&'(') => {
                    keep(&std::mem::take(&mut piece));
                    chars.next();
                    depth = 1;
                }
                '`' if depth == 0 => {
                    keep(&std::mem::take(&mut piece));
                    for c in chars.by_ref() {
                        if c == '`' {
                            break;
                        }
                    }
                }
                '(' if depth > 0 => depth += 1,
                ')' if depth > 0 => depth -= 1,
                c if depth == 0 => piece.push(c),
                _ => {}
            }
        }
        keep(&piece);
    }
}

/// `user:***` (a URL given there is shown as URLs are).
fn user_password(word: &str, secrets: &mut Vec<String>) -> String {
    if word.contains("://") {
        return url(word, secrets);
    }
    match word.split_once(':') {
        Some((user, password)) => {
            hide(password, secrets);
            format!("{user}:{MASK}")
        }
        None => word.to_owned(),
    }
}

/// A header line as [`shown_header`] shows it, its secret kept to hide.
fn header(word: &str, secrets: &mut Vec<String>) -> String {
    let shown = shown_header(word);
    if shown != word {
        let value = word.split_once(':').map_or(word, |(_, value)| value).trim();
        hide(value, secrets);
        // A token may be printed without its scheme (`Bearer`, `Basic`).
        if let Some((_, token)) = value.rsplit_once([' ', '\t']) {
            hide(token, secrets);
        }
    }
    shown
}

/// A word that is a credential header line, bare or glued to `-H`.
fn glued_header(word: &str, secrets: &mut Vec<String>) -> Option<String> {
    let (option, line) = match word.strip_prefix("-H") {
        Some(line) => ("-H", line),
        None => ("", word),
    };
    let (name, _) = line.split_once(':')?;
    is_credential_header(name).then(|| format!("{option}{}", header(line, secrets)))
}

/// A URL with its user information hidden, which is kept to hide, and its
/// password part too.
fn url(word: &str, secrets: &mut Vec<String>) -> String {
    if !word.contains("://") {
        return word.to_owned();
    }
    let (shown, hidden) = split_userinfo(word);
    if let Some(hidden) = hidden {
        hide(hidden, secrets);
        if let Some((_, password)) = hidden.split_once(':') {
            hide(password, secrets);
        }
    }
    shown
}

/// curl's options that take `user:password`.
fn is_user_option(word: &str) -> bool {
    ["-u", "-U", "--user", "--proxy-user"].contains(&word)
}

/// Options that take a header line.
fn is_header_option(word: &str) -> bool {
    ["-H", "--header", "--proxy-header"].contains(&word)
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
    ["pass", "secret", "token", "credential", "auth", "cookie"]
        .iter()
        .any(|word| name.contains(word))
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
            "probe https://***@[::1]:8443/path?a=b"
        );
        // An `@` in the path masks more than needed: nothing wrong shows.
        assert_eq!(shown("probe http://host/a@b:c"), "probe http://***@b:c");
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
    fn every_documented_form_is_masked() {
        for (command, line) in [
            // A password holding URL delimiters: masked to the last `@`.
            ("probe http://u:Zq9/x@h/", "probe http://***@h/"),
            ("probe http://u:Zq9#x@h/ y", "probe http://***@h/ y"),
            ("probe --url=http://u:Zq9?x@h/", "probe --url=http://***@h/"),
            // mysql's glued password, not the next word.
            ("mysql -pS3cret db", "mysql -p*** db"),
            (
                "/opt/bin/mysqladmin -ppassw0rd ping",
                "mysqladmin -p*** ping",
            ),
            (
                "mariadb-admin -u root -pS3cret -h x ping",
                "mariadb-admin -u root -p*** -h x ping",
            ),
            ("mysql -p db", "mysql -p db"),
            ("env X=1 mysql -pS3cret", "env X=1 mysql -p***"),
            ("mysql -ppass=word", "mysql -p***"),
            ("X=1 mysql -pS3cret", "X=1 mysql -p***"),
            ("PGPASSWORD=S3cret psql", "PGPASSWORD=*** psql"),
            // redis-cli and sshpass.
            (
                "redis-cli -h x -a S3cret ping",
                "redis-cli -h x -a *** ping",
            ),
            ("redis-cli -aS3cret ping", "redis-cli -a*** ping"),
            ("sshpass -p S3cret ssh h", "sshpass -p *** ssh h"),
            ("sshpass -pS3cret ssh h", "sshpass -p*** ssh h"),
            // curl's user:password.
            (
                "curl -u admin:S3cret http://h/",
                "curl -u admin:*** http://h/",
            ),
            (
                "curl --user admin:S3cret http://h/",
                "curl --user admin:*** http://h/",
            ),
            (
                "curl --user=admin:S3cret http://h/",
                "curl --user=admin:*** http://h/",
            ),
            (
                "curl -uadmin:S3cretpass http://h/",
                "curl -uadmin:*** http://h/",
            ),
            (
                "curl --proxy-user a:S3cret -U b:T0k",
                "curl --proxy-user a:*** -U b:***",
            ),
            ("mysql -u root", "mysql -u root"),
            // Credential headers, after -H or not.
            (
                "curl -H 'Authorization: Bearer S3cret' http://h/",
                "curl -H Authorization: *** http://h/",
            ),
            (
                "curl --header 'authorization: Basic dXNlcjpwYXNz==' http://h/",
                "curl --header authorization: *** http://h/",
            ),
            ("curl '-HCookie: a=S3cret'", "curl -HCookie: ***"),
            (
                "curl '--header=Proxy-Authorization: x'",
                "curl --header=Proxy-Authorization: ***",
            ),
            (
                "probe 'Authorization: Basic dXNlcjpwYXNz=='",
                "probe Authorization: ***",
            ),
            ("curl -H 'Authorization Bearer S3cret'", "curl -H ***"),
            ("curl -H 'X-A: b'", "curl -H X-A: b"),
            // A NAME=VALUE word hides to the end of the shell word.
            ("tool --password=$(cat f)S3cret x", "tool --password=*** x"),
            ("tool --password=`cat f`S3cret x", "tool --password=*** x"),
            // A command in one word follows the same rules.
            (
                "sh -c 'probe \"http://u:S3 cret@h/\"'",
                "sh -c probe http://***@h/",
            ),
            (
                "sh -c \"/usr/bin/mysql -uroot -pS3cret -e 'select 1'\"",
                "sh -c mysql -uroot -p*** -e select 1",
            ),
            (
                "su -c 'curl -u a:S3cret http://h/' app",
                "su -c curl -u a:*** http://h/ app",
            ),
        ] {
            assert_eq!(shown(command), line, "{command}");
            assert!(!shown(command).contains("S3cret"), "{command}");
        }
    }

    #[test]
    fn the_secret_hidden_is_searched_in_the_output() {
        let collect = |command: &str| show_and_collect(&crate::words::split(command).words).1;
        assert_eq!(
            collect("curl -H 'Authorization: Bearer tok3n' -u a:pw0rd http://u:Zq9/x@h/"),
            ["Bearer tok3n", "tok3n", "pw0rd", "u:Zq9/x", "Zq9/x"]
        );
        assert_eq!(collect("mysql -pS3cret"), ["S3cret"]);
        assert_eq!(
            collect("x --password=ab$(cat f)S3cret`c`d3f4"),
            ["ab$(cat f)S3cret`c`d3f4", "S3cret", "d3f4"]
        );
    }

    #[test]
    fn hidden_values_are_hidden_in_the_output_too() {
        let words =
            crate::words::split("tool --password hunter2 --token=abc http://u:pw0rd@h/ -x y").words;
        let (line, secrets) = show_and_collect(&words);
        assert_eq!(line, "tool --password *** --token=*** http://***@h/ -x y");
        assert_eq!(secrets, ["hunter2", "u:pw0rd", "pw0rd"]);
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
