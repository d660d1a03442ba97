//! Durations shown in lines, the way users write them.
//!
//! Integer arithmetic only: float formatting would cost the static binaries
//! 10 KiB.

use std::time::Duration;

/// Shows a duration as users wrote it: `10 s`, `0.5 s`, `1.25 s`.
#[must_use]
pub fn format_seconds(duration: Duration) -> String {
    let millis = duration.subsec_millis();
    if millis == 0 {
        format!("{} s", duration.as_secs())
    } else {
        let fraction = format!("{millis:03}");
        format!(
            "{}.{} s",
            duration.as_secs(),
            fraction.trim_end_matches('0')
        )
    }
}

/// Shows a short elapsed time, rounded up to a tenth of a millisecond: `0.1 ms`,
/// `12.5 ms`, `1530 ms`. Integer arithmetic only: float formatting would cost
/// the static binaries 10 KiB.
#[must_use]
pub fn format_millis(duration: Duration) -> String {
    let tenths = duration.as_micros().div_ceil(100);
    if tenths >= 1000 {
        format!("{} ms", tenths / 10)
    } else {
        format!("{}.{} ms", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_shown_as_written() {
        assert_eq!(format_seconds(Duration::from_secs(10)), "10 s");
        assert_eq!(format_seconds(Duration::from_millis(500)), "0.5 s");
        assert_eq!(format_seconds(Duration::from_millis(1250)), "1.25 s");
    }

    #[test]
    fn millis_keep_one_decimal_below_100() {
        assert_eq!(format_millis(Duration::from_micros(1)), "0.1 ms");
        assert_eq!(format_millis(Duration::from_micros(340)), "0.4 ms");
        assert_eq!(format_millis(Duration::from_micros(12_500)), "12.5 ms");
        assert_eq!(format_millis(Duration::from_micros(1_530_900)), "1530 ms");
    }
}
