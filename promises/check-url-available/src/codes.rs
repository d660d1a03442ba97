//! The status policy of `--http-code`: single codes, ranges and classes.

use std::fmt;

/// One element of the list: an inclusive range (a code is a range of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Code(u16),
    Range(u16, u16),
    /// `2xx`: the hundreds digit.
    Class(u16),
}

impl Item {
    fn contains(self, code: u16) -> bool {
        match self {
            Item::Code(c) => code == c,
            Item::Range(low, high) => (low..=high).contains(&code),
            Item::Class(hundreds) => code / 100 == hundreds,
        }
    }
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Code(c) => write!(f, "{c}"),
            Item::Range(low, high) => write!(f, "{low}-{high}"),
            Item::Class(hundreds) => write!(f, "{hundreds}xx"),
        }
    }
}

/// The status codes that count as success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codes(Vec<Item>);

impl Default for Codes {
    fn default() -> Codes {
        Codes(vec![Item::Code(200)])
    }
}

impl Codes {
    /// Parses `200`, `200,204`, `200-399`, `2xx` and lists of them.
    ///
    /// # Errors
    /// A message for argh to print after the option's name.
    pub fn parse(text: &str) -> Result<Codes, String> {
        let items: Option<Vec<Item>> = text.split(',').map(|part| item(part.trim())).collect();
        match items {
            Some(items) => Ok(Codes(items)),
            None => Err(format!(
                "expected status codes from 100 to 599 such as 200, 200,204, 200-399 or 2xx, got '{}'",
                shared::args::display_arg(text)
            )),
        }
    }

    /// Whether `code` is in the list.
    #[must_use]
    pub fn contains(&self, code: u16) -> bool {
        self.0.iter().any(|item| item.contains(code))
    }

    /// The list with `code` added (for `--check-secure`'s 401).
    #[must_use]
    pub fn with(mut self, code: u16) -> Codes {
        if !self.contains(code) {
            self.0.push(Item::Code(code));
        }
        self
    }
}

/// `200`, `200 or 204`, `200, 204 or 3xx`.
impl fmt::Display for Codes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = self.0.len().saturating_sub(1);
        for (i, item) in self.0.iter().enumerate() {
            match i {
                0 => {}
                _ if i == last => f.write_str(" or ")?,
                _ => f.write_str(", ")?,
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

fn item(text: &str) -> Option<Item> {
    if let Some((low, high)) = text.split_once('-') {
        let (low, high) = (code(low)?, code(high)?);
        return (low <= high).then_some(Item::Range(low, high));
    }
    if let [digit @ b'1'..=b'5', x1, x2] = text.as_bytes() {
        if x1.eq_ignore_ascii_case(&b'x') && x2.eq_ignore_ascii_case(&b'x') {
            return Some(Item::Class(u16::from(digit - b'0')));
        }
    }
    code(text).map(Item::Code)
}

/// Three digits, 100 to 599.
fn code(text: &str) -> Option<u16> {
    if text.len() != 3 {
        return None;
    }
    shared::number::digits(text).filter(|c| (100..=599).contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_ranges_and_classes() {
        let codes = Codes::parse("200, 204,300-399,5XX").unwrap();
        for yes in [200, 204, 300, 350, 399, 500, 599] {
            assert!(codes.contains(yes), "{yes}");
        }
        for no in [100, 201, 299, 400, 401, 600] {
            assert!(!codes.contains(no), "{no}");
        }
        assert_eq!(codes.to_string(), "200, 204, 300-399 or 5xx");
        assert_eq!(Codes::default().to_string(), "200");
        assert_eq!(Codes::default().with(401).to_string(), "200 or 401");
        assert_eq!(Codes::parse("4xx").unwrap().with(401).to_string(), "4xx");
    }

    use proptest::prelude::*;

    /// One list element as text, and the codes it stands for.
    fn item_text() -> impl Strategy<Value = (String, Vec<u16>)> {
        prop_oneof![
            (100u16..600).prop_map(|c| (c.to_string(), vec![c])),
            (100u16..600, 100u16..600).prop_map(|(a, b)| {
                let (low, high) = (a.min(b), a.max(b));
                (format!("{low}-{high}"), (low..=high).collect())
            }),
            (1u16..6, any::<bool>()).prop_map(|(h, upper)| {
                let x = if upper { "XX" } else { "xx" };
                (format!("{h}{x}"), (h * 100..h * 100 + 100).collect())
            }),
        ]
    }

    proptest! {
        #[test]
        fn any_text_parses_or_is_refused(text in "[0-9xX, +-]{0,16}|.{0,16}") {
            if let Ok(codes) = Codes::parse(&text) {
                prop_assert!(!codes.contains(99) && !codes.contains(600));
                let _ = codes.to_string();
            }
        }

        #[test]
        fn lists_hold_exactly_their_codes(items in proptest::collection::vec(item_text(), 1..5), spaced in any::<bool>()) {
            let separator = if spaced { ", " } else { "," };
            let text = items.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(separator);
            let codes = Codes::parse(&text).expect("a well-formed list");
            for code in 0..1000 {
                let expected = items.iter().any(|(_, c)| c.contains(&code));
                prop_assert_eq!(codes.contains(code), expected, "{} in {}", code, text);
            }
        }
    }

    #[test]
    fn malformed_lists_are_refused() {
        for bad in [
            "", ",", "200,", "20", "2000", "099", "600", "6xx", "0xx", "x00", "200-", "-200",
            "399-300", "200-2xx", "+200", "2 00", "abc", "200;204",
        ] {
            assert!(Codes::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
