//! The one judgement of a certificate's lifetime: not valid yet, expired, or
//! how long it has left against the thresholds, and its performance data.
//!
//! check-certificate (`--days`, `--warning-days`) and check-url-available
//! (`--cert-min-days`) judge the same dates the same way and word them alike;
//! only the thresholds' meaning differs (there a CRITICAL floor and an opt-in
//! warning, here a warning alone).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::status::Status;
use crate::x509::format_utc;

/// How many days a certificate must have left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// CRITICAL below this many days (beyond expiry, always CRITICAL).
    pub critical: Option<u32>,
    /// WARNING below this many days.
    pub warning: Option<u32>,
}

/// What a certificate's dates say now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// `now` is before `notBefore` (CRITICAL).
    NotYetValid { not_before: i64 },
    /// `now` is past `notAfter` (CRITICAL).
    Expired { not_after: i64, ago: i64 },
    /// Valid, `left` seconds to go; `short` the status and the threshold in
    /// days it falls below, if any.
    Valid {
        not_after: i64,
        left: i64,
        short: Option<(Status, u32)>,
    },
}

impl Limits {
    /// Judges `(notBefore, notAfter)` at `now` (seconds since the epoch).
    #[must_use]
    pub fn judge(&self, (not_before, not_after): (i64, i64), now: i64) -> Verdict {
        if now < not_before {
            return Verdict::NotYetValid { not_before };
        }
        let left = not_after.saturating_sub(now);
        if left <= 0 {
            return Verdict::Expired {
                not_after,
                ago: -left,
            };
        }
        let below = |days: Option<u32>| days.filter(|&d| left < i64::from(d) * 86_400);
        let short = below(self.critical)
            .map(|d| (Status::Critical, d))
            .or_else(|| below(self.warning).map(|d| (Status::Warning, d)));
        Verdict::Valid {
            not_after,
            left,
            short,
        }
    }

    /// `cert_days` performance data for `left` seconds: whole days left, the
    /// thresholds as Nagios ranges (`30:`), an expired certificate critical.
    #[must_use]
    pub fn perfdata(&self, left: i64) -> String {
        let range = |days: Option<u32>| days.map_or(String::new(), |d| format!("{d}:"));
        format!(
            "{};{};{};0",
            left.div_euclid(86_400),
            range(self.warning),
            range(Some(self.critical.unwrap_or(0)))
        )
    }
}

impl Verdict {
    /// The exit status of this verdict.
    #[must_use]
    pub fn status(&self) -> Status {
        match self {
            Verdict::NotYetValid { .. } | Verdict::Expired { .. } => Status::Critical,
            Verdict::Valid { short, .. } => short.map_or(Status::Ok, |(status, _)| status),
        }
    }

    /// What follows the certificate's name in a line: `is not valid before
    /// DATE`, `expired on DATE (3 days ago)`, `expires in 5 days on DATE`,
    /// and `, expected at least 15 days` when short.
    #[must_use]
    pub fn phrase(&self) -> String {
        match *self {
            Verdict::NotYetValid { not_before } => {
                format!("is not valid before {}", format_utc(not_before))
            }
            Verdict::Expired { not_after, ago } => {
                format!("expired on {} ({} ago)", format_utc(not_after), span(ago))
            }
            Verdict::Valid {
                not_after,
                left,
                short,
            } => {
                let mut phrase = format!("expires in {} on {}", span(left), format_utc(not_after));
                if let Some((_, days)) = short {
                    phrase.push_str(&format!(", expected at least {}", day_count(days)));
                }
                phrase
            }
        }
    }
}

/// Seconds since the epoch; a clock before 1970 counts as 1970.
#[must_use]
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `3 days`, `1 day`, `5 h`, `12 min` (rounded down).
#[must_use]
pub fn span(seconds: i64) -> String {
    match seconds {
        s if s >= 2 * 86_400 => format!("{} days", s / 86_400),
        s if s >= 86_400 => "1 day".to_owned(),
        s if s >= 3600 => format!("{} h", s / 3600),
        s => format!("{} min", s / 60),
    }
}

/// `1 day`, `15 days`.
#[must_use]
pub fn day_count(days: u32) -> String {
    if days == 1 {
        "1 day".to_owned()
    } else {
        format!("{days} days")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn spans_round_down() {
        assert_eq!(span(3 * DAY - 1), "2 days");
        assert_eq!(span(2 * DAY - 1), "1 day");
        assert_eq!(span(DAY - 1), "23 h");
        assert_eq!(span(59), "0 min");
        assert_eq!(day_count(1), "1 day");
        assert_eq!(day_count(0), "0 days");
    }

    #[test]
    fn one_judgement_for_every_date() {
        let limits = Limits {
            critical: Some(15),
            warning: Some(30),
        };
        let now = 1_000 * DAY;
        assert_eq!(
            limits.judge((now + 1, now + 100 * DAY), now),
            Verdict::NotYetValid {
                not_before: now + 1
            }
        );
        let expired = limits.judge((0, now - 2 * DAY), now);
        assert_eq!(expired.status(), Status::Critical);
        assert_eq!(
            expired.phrase(),
            format!("expired on {} (2 days ago)", format_utc(now - 2 * DAY))
        );
        let judged = |days: i64| limits.judge((0, now + days * DAY), now);
        assert_eq!(judged(10).status(), Status::Critical);
        assert_eq!(judged(20).status(), Status::Warning);
        assert_eq!(judged(30).status(), Status::Ok);
        assert!(judged(10).phrase().ends_with(", expected at least 15 days"));
        assert!(judged(20).phrase().ends_with(", expected at least 30 days"));
        assert_eq!(limits.perfdata(20 * DAY + 5), "20;30:;15:;0");
        let warning_only = Limits {
            critical: None,
            warning: Some(7),
        };
        assert_eq!(warning_only.perfdata(99 * DAY), "99;7:;0:;0");
        assert_eq!(
            warning_only.judge((0, now + 3 * DAY), now).status(),
            Status::Warning
        );
    }
}
