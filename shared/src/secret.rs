//! Secrets stay out of every line: what a message shows in their place.
//!
//! Passwords, credentials in URLs and credential headers are named by the
//! option that holds them, with [`MASK`] for the secret itself.

/// What a line shows instead of a secret.
pub const MASK: &str = "***";

/// `text` with the user information of a URL (`user:password@`) masked:
/// `http://***@host/`. Without a scheme, the authority is taken to start the
/// text (`user:password@host:3128`, a proxy given without `http://`).
///
/// Everything from the start of the authority up to the LAST `@` of the text
/// is masked, not just up to the first `/`, `?` or `#`: a password may hold
/// those (`http://u:a/b@h/` is what a user means by password `a/b`, whatever
/// RFC 3986 says), and one holding a space is as secret as any. An `@` that
/// is not user information (`http://h/?mail=a@b`) masks more than needed,
/// which costs a reader nothing; showing a password would.
#[must_use]
pub fn mask_userinfo(text: &str) -> String {
    split_userinfo(text).0
}

/// [`mask_userinfo`], and the part it masked (`None` when nothing was):
/// callers that must also hide that text elsewhere (a command's output) get
/// the very string the rule took away.
#[must_use]
pub fn split_userinfo(text: &str) -> (String, Option<&str>) {
    let start = text.find("://").map_or(0, |i| i + 3);
    let rest = &text[start..];
    match rest.rfind('@') {
        Some(at) => (
            format!("{}{MASK}{}", &text[..start], &rest[at..]),
            Some(&rest[..at]),
        ),
        None => (text.to_owned(), None),
    }
}

/// Whether a header of this name carries credentials (case-insensitive):
/// `Authorization`, `Proxy-Authorization`, `Cookie`.
#[must_use]
pub fn is_credential_header(name: &str) -> bool {
    ["authorization", "proxy-authorization", "cookie"]
        .iter()
        .any(|secret| name.trim().eq_ignore_ascii_case(secret))
}

/// A `Name: value` line as a message may show it: the value masked when the
/// header carries credentials, the whole line masked when it has no `:` but
/// starts like a credential header (`Authorization Bearer ...`, mistyped).
#[must_use]
pub fn shown_header(line: &str) -> String {
    let starts_like_credential = || {
        let lower = line.trim_start().to_ascii_lowercase();
        ["authorization", "proxy-authorization", "cookie"]
            .iter()
            .any(|name| lower.starts_with(name))
    };
    match line.split_once(':') {
        Some((name, _)) if is_credential_header(name) => format!("{}: {MASK}", name.trim()),
        Some(_) => line.to_owned(),
        None if starts_like_credential() => MASK.to_owned(),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_masked_and_nothing_else() {
        assert_eq!(mask_userinfo("http://u:p@h:8/x"), "http://***@h:8/x");
        assert_eq!(mask_userinfo("https://a@b@[::1]/"), "https://***@[::1]/");
        assert_eq!(mask_userinfo("http://h/?u=a"), "http://h/?u=a");
        assert_eq!(mask_userinfo("u:p@h:1"), "***@h:1");
        assert_eq!(mask_userinfo("h/a"), "h/a");
    }

    #[test]
    fn a_password_holding_url_delimiters_is_masked_whole() {
        for (url, shown) in [
            ("http://u:Zq9/M@h:1/", "http://***@h:1/"),
            ("http://u:Zq9?M@h/", "http://***@h/"),
            ("http://u:Zq9#M@h/", "http://***@h/"),
            ("http://u:a b@h/", "http://***@h/"),
            ("u:Zq9/M@h:3128", "***@h:3128"),
            // An `@` further on masks more than needed: nothing shows wrongly.
            ("http://u:p@h:8/x@y", "http://***@y"),
            ("http://h/?u=a@b", "http://***@b"),
        ] {
            assert_eq!(mask_userinfo(url), shown, "{url}");
        }
        assert_eq!(
            split_userinfo("https://u:a/b@h/"),
            ("https://***@h/".to_owned(), Some("u:a/b"))
        );
        assert_eq!(
            split_userinfo("https://h/"),
            ("https://h/".to_owned(), None)
        );
    }

    #[test]
    fn credential_headers_show_their_name_only() {
        assert_eq!(
            shown_header("authorization: Bearer x"),
            "authorization: ***"
        );
        assert_eq!(shown_header(" Cookie :a=b"), "Cookie: ***");
        assert_eq!(shown_header("X-A: b"), "X-A: b");
        assert_eq!(shown_header("Authorization Bearer x"), "***");
        assert_eq!(shown_header("NoColon"), "NoColon");
    }
}
