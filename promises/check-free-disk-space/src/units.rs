//! Ratios and sizes as users write them and read them, in integers only
//! (float formatting would cost the static binary about 10 KiB).

use shared::args::display_arg;
use shared::number::digits;

/// A ratio in millionths: `0.05` is 50 000.
pub type Ppm = u32;

/// One, in millionths.
pub const WHOLE: Ppm = 1_000_000;

/// What [`parse_ratio`] accepts, for its error and for tests.
pub const RATIO_RULE: &str = "expected a ratio from 0 to 1 with at most 6 decimals, such as 0.05";

/// Parses a ratio from 0 to 1 with up to six decimals: `0.05`, `1`, `0.125`.
///
/// # Errors
/// A message for argh to print after the option's name.
pub fn parse_ratio(value: &str) -> Result<Ppm, String> {
    decimal(value, 6)
        .and_then(|(whole, millionths)| {
            let ppm = whole.checked_mul(u64::from(WHOLE))? + millionths;
            Ppm::try_from(ppm).ok().filter(|p| *p <= WHOLE)
        })
        .ok_or_else(|| format!("{RATIO_RULE}, got '{}'", display_arg(value)))
}

/// `WHOLE[.FRACTION]` in plain digits (no sign, exponent, `.5` or `5.`), with
/// at most `decimals` decimals: the whole part, and the fraction in units of
/// 10^-`decimals`.
fn decimal(text: &str, decimals: usize) -> Option<(u64, u64)> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let whole = digits::<u64>(whole)?;
    let scaled = match fraction {
        Some(fraction) if !fraction.is_empty() && fraction.len() <= decimals => {
            digits::<u64>(&format!("{fraction:0<decimals$}"))?
        }
        Some(_) => return None,
        None => 0,
    };
    Some((whole, scaled))
}

/// `ratio` of `total`, rounded up: a threshold never falls below its ratio.
#[must_use]
pub fn share(total: u64, ratio: Ppm) -> u64 {
    let product = u128::from(total) * u128::from(ratio);
    u64::try_from(product.div_ceil(u128::from(WHOLE))).unwrap_or(u64::MAX)
}

/// `part / total` in millionths, rounded down (0 for an empty total).
#[must_use]
pub fn ratio_of(part: u64, total: u64) -> Ppm {
    if total == 0 {
        return 0;
    }
    let ppm = u128::from(part.min(total)) * u128::from(WHOLE) / u128::from(total);
    Ppm::try_from(ppm).unwrap_or(WHOLE)
}

/// The largest size we accept: 1 EiB, beyond any filesystem a promise watches.
pub const MAX_SIZE: u64 = 1 << 60;

/// Parses a size: bytes, or a number with a binary unit (`K`, `M`, `G`, `T`,
/// or `KiB` ... `TiB`), fractions allowed with a unit: `500M`, `1.5G`, `0.08G`.
///
/// # Errors
/// A message for argh to print after the option's name.
pub fn parse_size(value: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "expected a size such as 500M, 1.5G or 1073741824 (bytes), got '{}'",
            display_arg(value)
        )
    };
    let number_end = value
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(number_end);
    let shift = match unit {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        "T" | "TiB" => 40,
        _ => return Err(bad()),
    };
    let (whole, nanos) = decimal(number, 9)
        .filter(|_| shift > 0 || !number.contains('.'))
        .ok_or_else(bad)?;
    let bytes = u128::from(whole) << shift;
    let part = (u128::from(nanos) << shift).div_ceil(1_000_000_000);
    u64::try_from(bytes + part)
        .ok()
        .filter(|b| *b <= MAX_SIZE)
        .ok_or_else(|| format!("'{}' is larger than 1 EiB", display_arg(value)))
}

/// A size in the largest binary unit that keeps it at least 1, one decimal,
/// rounded down: `512 B`, `1.5 KiB`, `269.1 GiB`.
#[must_use]
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut unit = 0;
    while unit + 1 < UNITS.len() && bytes >> (10 * (unit + 2)) > 0 {
        unit += 1;
    }
    let tenths = (u128::from(bytes) * 10) >> (10 * (unit + 1));
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

/// Two sizes a verdict compares, each as [`format_size`] writes it, or both in
/// exact bytes where rounding would make different sizes read the same
/// (`1.4 MiB free … below the threshold of 1.4 MiB`).
#[must_use]
pub fn format_sizes(a: u64, b: u64) -> (String, String) {
    let (x, y) = (format_size(a), format_size(b));
    if a != b && x == y {
        (format!("{a} B"), format!("{b} B"))
    } else {
        (x, y)
    }
}

/// Two ratios a verdict compares, each as [`format_percent`] writes it, or
/// both to the millionth where two decimals would make them read the same.
#[must_use]
pub fn format_percents(a: Ppm, b: Ppm) -> (String, String) {
    let (x, y) = (format_percent(a), format_percent(b));
    if a != b && x == y {
        (exact_percent(a), exact_percent(b))
    } else {
        (x, y)
    }
}

/// A ratio as a percentage to the millionth, trailing zeros dropped: `14.1406%`.
fn exact_percent(ratio: Ppm) -> String {
    let (whole, fraction) = (ratio / 10_000, ratio % 10_000);
    if fraction == 0 {
        return format!("{whole}%");
    }
    let fraction = format!("{fraction:04}");
    format!("{whole}.{}%", fraction.trim_end_matches('0'))
}

/// A ratio as a percentage with at most two decimals, trailing zeros dropped:
/// `5%`, `2.5%`, `99.99%` (rounded down, so that 99.999% never reads 100%).
#[must_use]
pub fn format_percent(ratio: Ppm) -> String {
    let hundredths = ratio / 100;
    let (whole, fraction) = (hundredths / 100, hundredths % 100);
    match fraction {
        0 => format!("{whole}%"),
        f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
        f => format!("{whole}.{f:02}%"),
    }
}

/// A ratio as a plain decimal for performance data: `5`, `2.5`, `99.99`.
#[must_use]
pub fn percent_number(ratio: Ppm) -> String {
    format_percent(ratio).trim_end_matches('%').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_decimals_from_0_to_1() {
        assert_eq!(parse_ratio("0.05"), Ok(50_000));
        assert_eq!(parse_ratio("1"), Ok(WHOLE));
        assert_eq!(parse_ratio("1.0"), Ok(WHOLE));
        assert_eq!(parse_ratio("0"), Ok(0));
        assert_eq!(parse_ratio("0.000001"), Ok(1));
        assert_eq!(
            parse_ratio("0.14140625"),
            Err(format!("{RATIO_RULE}, got '0.14140625'"))
        );
        for bad in [
            "",
            ".5",
            "5.",
            "1.1",
            "2",
            "0.0000001",
            "-0.1",
            "5%",
            "1e-2",
            " 0.1",
            "0..1",
        ] {
            assert!(parse_ratio(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sizes_take_binary_units_and_fractions() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("278GiB"), Ok(278 << 30));
        // The plugin's threshold of 0.08 GB, rounded up to a whole byte.
        assert_eq!(parse_size("0.08G"), Ok(85_899_346));
        assert_eq!(parse_size("1024T"), Ok(1 << 50));
        for bad in [
            "", "G", "1.5", "1..5G", "1.G", "5KB", "5 G", "-1", "1E", "2000000T", "1e3",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sizes_and_percentages_read_in_integers() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(8 << 20), "8.0 MiB");
        assert_eq!(format_size(288_947_063_603), "269.1 GiB");
        assert_eq!(format_size(u64::MAX), "15.9 EiB");
        assert_eq!(format_percent(50_000), "5%");
        assert_eq!(format_percent(25_000), "2.5%");
        assert_eq!(format_percent(999_999), "99.99%");
        assert_eq!(format_percent(WHOLE), "100%");
        assert_eq!(percent_number(123_456), "12.34");
    }

    #[test]
    fn compared_figures_never_read_the_same_when_they_differ() {
        let mib = 1 << 20;
        // 1.45 MiB and 1.4 MiB both read 1.4 MiB to one decimal.
        assert_eq!(
            format_sizes(mib * 145 / 100, 1_468_007),
            ("1520435 B".to_owned(), "1468007 B".to_owned())
        );
        assert_eq!(
            format_sizes(mib, 2 * mib),
            ("1.0 MiB".to_owned(), "2.0 MiB".to_owned())
        );
        assert_eq!(
            format_sizes(mib, mib),
            ("1.0 MiB".to_owned(), "1.0 MiB".to_owned())
        );
        assert_eq!(
            format_percents(141_405, 141_406),
            ("14.1405%".to_owned(), "14.1406%".to_owned())
        );
        assert_eq!(
            format_percents(141_400, 141_450),
            ("14.14%".to_owned(), "14.145%".to_owned())
        );
        assert_eq!(
            format_percents(50_000, 49_900),
            ("5%".to_owned(), "4.99%".to_owned())
        );
    }

    #[test]
    fn shares_round_towards_safety() {
        assert_eq!(share(100, 50_000), 5);
        assert_eq!(share(101, 50_000), 6);
        assert_eq!(share(u64::MAX, WHOLE), u64::MAX);
        assert_eq!(ratio_of(5, 100), 50_000);
        assert_eq!(ratio_of(1, 0), 0);
        assert_eq!(ratio_of(200, 100), WHOLE);
    }
}
