//! Whole numbers as users type them in options: ASCII digits and nothing else.
//!
//! `str::parse` takes a leading `+`; a port, a count of days or a status code
//! that only means what it says must not. Every option that takes a whole
//! number reads it here.

use std::str::FromStr;

/// `value` as a number when it is one or more ASCII digits that fit `T`:
/// no sign, space, exponent, base prefix or fraction.
#[must_use]
pub fn digits<T: FromStr>(value: &str) -> Option<T> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_only() {
        assert_eq!(digits::<u16>("80"), Some(80));
        assert_eq!(digits::<u16>("0080"), Some(80));
        assert_eq!(digits::<u32>("0"), Some(0));
        for bad in [
            "", "+5", "-1", " 5", "5 ", "0x10", "1e3", "5.0", "nan", "99999",
        ] {
            assert_eq!(digits::<u16>(bad), None, "{bad:?} was accepted");
        }
    }
}
