//! Secrets stay out of every line: what a message shows in their place.
//!
//! Passwords, credentials in URLs and credential headers are named by the
//! option that holds them, with [`MASK`] for the secret itself.

/// What a line shows instead of a secret.
pub const MASK: &str = "***";

/// `text` with the user information of a URL (`user:password@`) masked:
/// `http://***@host/`. Without a scheme, the authority is taken to start the
/// text (`user:password@host:3128`, a proxy given without `http://`).
#[must_use]
pub fn mask_userinfo(text: &str) -> String {
    let start = text.find("://").map_or(0, |i| i + 3);
    let rest = &text[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    match authority.rfind('@') {
        Some(at) => format!("{}{MASK}{}", &text[..start], &rest[at..]),
        None => text.to_owned(),
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
        assert_eq!(mask_userinfo("http://u:p@h:8/x@y"), "http://***@h:8/x@y");
        assert_eq!(mask_userinfo("https://a@b@[::1]/"), "https://***@[::1]/");
        assert_eq!(mask_userinfo("http://h/?u=a@b"), "http://h/?u=a@b");
        assert_eq!(mask_userinfo("u:p@h:1"), "***@h:1");
        assert_eq!(mask_userinfo("h/a@b"), "h/a@b");
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
