//! Checks that the filesystem holding a path has room left: free space above a
//! share of its size (or an absolute floor), and inodes not nearly exhausted.
//!
//! Replaces SlapOS's `check_free_disk_space` plugin (slapos.toolbox), which the
//! monitor stack adds to every monitored partition. The plugin reads the sizes
//! that the node's collector wrote into its SQLite database a minute earlier;
//! we ask the kernel (`statvfs`) at the moment of the check, so the verdict
//! needs no collector and is never skipped for lack of data. A hung mount is
//! caught by the deadline.

mod statvfs;
pub mod units;

use std::ffi::OsString;
use std::path::Path;

use argh::FromArgs;
use shared::args::{display_arg, os_arg};
use shared::status::Critical;
use shared::{Deadline, Promise, Report, Status, Usage};

pub use statvfs::{Space, space};
use units::{
    Ppm, format_percent, format_percents, format_size, format_sizes, parse_ratio, parse_size,
    ratio_of, share,
};

shared::promise_options! {
/// Checks the filesystem that holds a path: CRITICAL when its free space falls
/// below --threshold-ratio of its size (or below --min-free), or when
/// --max-inode-ratio of its inodes are in use.
#[derive(FromArgs, Debug)]
#[argh(
    example = "{command_name}\n{command_name} --path /srv/slapgrid/slappart3 --threshold-ratio 0.1 --warning-ratio 0.2\n{command_name} --path /srv/backup --min-free 20G --perfdata",
    note = "Options also take the form --option=value. Sizes are bytes or take a binary unit: K, M, G, T (or KiB ... TiB), fractions allowed: 1.5G. The size of a filesystem is what its users can fill: used plus available, without the blocks reserved for root (as df counts). --threshold-ratio applies when given or when --min-free is not; with both, the larger threshold applies.",
    error_code(0, "OK: enough free space and inodes"),
    error_code(
        1,
        "WARNING: free space below --warning-ratio (only with --warning-ratio)"
    ),
    error_code(
        2,
        "CRITICAL: free space below the threshold, inodes nearly exhausted, the path cannot be checked, or the check timed out"
    ),
    error_code(3, "UNKNOWN: bad usage")
)]
pub struct Args {
    /// a path on the filesystem to check (default: the working folder: the partition, under slapgrid)
    #[argh(option, default = "String::from(\".\")")]
    pub path: String,

    /// CRITICAL when the free space is below this share of the size, 0 to 1 (default: 0.05, unless --min-free is given)
    #[argh(option, arg_name = "ratio", from_str_fn(parse_ratio))]
    pub threshold_ratio: Option<Ppm>,

    /// CRITICAL when the free space is below this size, such as 500M or 2G (default: none)
    #[argh(option, arg_name = "size", from_str_fn(parse_size))]
    pub min_free: Option<u64>,

    /// WARNING when the free space is below this share of the size, above the critical share (default: no warning)
    #[argh(option, arg_name = "ratio", from_str_fn(parse_ratio))]
    pub warning_ratio: Option<Ppm>,

    /// CRITICAL when this share of the inodes or more is in use, 0 to 1 (default: 0.98); filesystems without a fixed number of inodes pass
    #[argh(
        option,
        arg_name = "ratio",
        from_str_fn(parse_ratio),
        default = "DEFAULT_MAX_INODE_RATIO"
    )]
    pub max_inode_ratio: Ppm,
}
timeout = "seconds the whole check may take; fractions allowed (default: 10)",
perfdata = "append Nagios performance data (free bytes, inode use) after a | on success",
}

/// `--threshold-ratio` by default: the plugin's 5 % of the disk size.
pub const DEFAULT_THRESHOLD_RATIO: Ppm = 50_000;

/// `--max-inode-ratio` by default: the plugin's 98 %.
pub const DEFAULT_MAX_INODE_RATIO: Ppm = 980_000;

/// The validated check.
#[derive(Debug, Clone)]
pub struct Plan {
    path: OsString,
    shown: String,
    ratio: Option<Ppm>,
    min_free: Option<u64>,
    warning_ratio: Option<Ppm>,
    max_inode_ratio: Ppm,
}

impl Promise for Args {
    type Plan = Plan;
    type Error = Critical;

    fn plan(self) -> Result<Plan, Usage> {
        shared::args::check_path("--path", &self.path)?;
        let ratio = match (self.threshold_ratio, self.min_free) {
            (None, None) => Some(DEFAULT_THRESHOLD_RATIO),
            (ratio, _) => ratio,
        };
        if let Some(warning) = self.warning_ratio {
            let critical = ratio.unwrap_or(0);
            if warning <= critical {
                return Err(Usage::new(format!(
                    "--warning-ratio ({}) must be above the critical ratio ({})",
                    format_percents(warning, critical).0,
                    format_percents(warning, critical).1
                )));
            }
        }
        Ok(Plan {
            path: os_arg(&self.path),
            shown: display_arg(&self.path),
            ratio,
            min_free: self.min_free,
            warning_ratio: self.warning_ratio,
            max_inode_ratio: self.max_inode_ratio,
        })
    }

    fn execute(plan: Plan, deadline: &Deadline, perfdata: bool) -> Result<Report, Critical> {
        let shown = shown_path(&plan);
        deadline.set_stage(&shown, "reading its filesystem's figures (hung mount?)");
        let space = space(&plan.path).map_err(|e| {
            Critical(format!(
                "{shown} cannot be checked: {}",
                shared::report::describe_io(&e)
            ))
        })?;
        let verdict = judge(&plan, &space);
        let line = format!("{shown}: {}", verdict.message);
        let mut report = match verdict.status {
            Status::Ok => Report::ok(line),
            Status::Warning => Report::warning(line),
            _ => return Err(Critical(line)),
        };
        if perfdata {
            report = with_perfdata(report, &plan, &space, verdict.threshold);
        }
        Ok(report)
    }
}

/// The path for messages: relative paths with the working folder before them,
/// since `.` alone says nothing to an operator.
fn shown_path(plan: &Plan) -> String {
    let path = Path::new(&plan.path);
    if path.is_absolute() {
        return plan.shown.clone();
    }
    match std::env::current_dir() {
        Ok(cwd) if plan.shown == "." => cwd.display().to_string(),
        Ok(cwd) => cwd.join(path).display().to_string(),
        Err(_) => plan.shown.clone(),
    }
}

/// What the figures mean for this plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// OK, WARNING or CRITICAL.
    pub status: Status,
    /// The line without the path and the status word.
    pub message: String,
    /// The critical threshold in bytes.
    pub threshold: u64,
}

/// Judges `space` against `plan`: inodes first (a full inode table breaks a
/// service however much space is left), then the free space.
#[must_use]
pub fn judge(plan: &Plan, space: &Space) -> Verdict {
    let threshold = plan
        .ratio
        .map_or(0, |r| share(space.size, r))
        .max(plan.min_free.unwrap_or(0));
    let free_share = ratio_of(space.free, space.size);
    // The free space and the level it is compared with, in figures that differ
    // whenever the values do: `1.4 MiB` on both sides would explain nothing.
    let compared = |level: u64, ratio: Option<Ppm>| {
        let (free, level) = format_sizes(space.free, level);
        let (free_share, ratio) = match ratio {
            Some(r) => {
                let (free_share, r) = format_percents(free_share, r);
                (free_share, format!(" ({r})"))
            }
            None => (format_percent(free_share), String::new()),
        };
        let figures = format!("{free} free of {} ({free_share})", format_size(space.size));
        (figures, format!("{level}{ratio}"))
    };
    let (figures, limit) = match (plan.ratio, plan.min_free) {
        (Some(r), Some(m)) if share(space.size, r) >= m => compared(threshold, Some(r)),
        (Some(r), None) => compared(threshold, Some(r)),
        _ => compared(threshold, None),
    };
    let inodes_used = space.inodes.saturating_sub(space.inodes_free);
    let inode_share = ratio_of(inodes_used, space.inodes);
    let inodes = if space.inodes == 0 {
        String::new()
    } else {
        format!("; inodes {} used", format_percent(inode_share))
    };
    if space.inodes > 0 && inode_share >= plan.max_inode_ratio {
        return Verdict {
            status: Status::Critical,
            message: {
                let (used, max) = format_percents(inode_share, plan.max_inode_ratio);
                format!(
                    "{used} of inodes used ({inodes_used} of {}), expected less than {max}; {figures}",
                    space.inodes
                )
            },
            threshold,
        };
    }
    if space.free < threshold {
        return Verdict {
            status: Status::Critical,
            message: format!("free space low: {figures}, below the threshold of {limit}{inodes}"),
            threshold,
        };
    }
    if let Some(warning) = plan.warning_ratio {
        let soft = share(space.size, warning);
        if space.free < soft {
            let (figures, level) = compared(soft, Some(warning));
            return Verdict {
                status: Status::Warning,
                message: format!(
                    "free space getting low: {figures}, below the warning level of {level}{inodes}"
                ),
                threshold,
            };
        }
    }
    Verdict {
        status: Status::Ok,
        message: format!("{figures}, threshold {limit}{inodes}"),
        threshold,
    }
}

/// `free=…B;warn:;crit:;0;size inodes=…%;;max;0;100`, in Nagios' range syntax
/// (`N:` alerts below N).
fn with_perfdata(report: Report, plan: &Plan, space: &Space, threshold: u64) -> Report {
    let warning = plan
        .warning_ratio
        .map_or(String::new(), |w| format!("{}:", share(space.size, w)));
    let report = report.with_perf(
        "free",
        &format!("{}B;{warning};{threshold}:;0;{}", space.free, space.size),
    );
    if space.inodes == 0 {
        return report;
    }
    let used = ratio_of(space.inodes.saturating_sub(space.inodes_free), space.inodes);
    report.with_perf(
        "inodes",
        &format!(
            "{}%;;{};0;100",
            units::percent_number(used),
            units::percent_number(plan.max_inode_ratio)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan, Usage> {
        Args::from_args(&["check-free-disk-space"], args)
            .unwrap()
            .plan()
    }

    /// Every usage error of the options and of plan(), with its exact line
    /// (the binary prints it after `UNKNOWN: `, exit 3).
    #[test]
    fn usage_errors_say_what_is_wrong() {
        let ratio = units::RATIO_RULE;
        let cases: [(&[&str], String); 8] = [
            (&["--path", ""], "--path needs a path".to_owned()),
            (
                &["--warning-ratio", "0.05"],
                "--warning-ratio (5%) must be above the critical ratio (5%)".to_owned(),
            ),
            (
                &["--threshold-ratio", "0.3", "--warning-ratio", "0.2"],
                "--warning-ratio (20%) must be above the critical ratio (30%)".to_owned(),
            ),
            (
                &["--threshold-ratio", "1.5"],
                format!(
                    "Error parsing option '--threshold-ratio' with value '1.5': {ratio}, got '1.5' (see --help)"
                ),
            ),
            (
                &["--max-inode-ratio", "5."],
                format!(
                    "Error parsing option '--max-inode-ratio' with value '5.': {ratio}, got '5.' (see --help)"
                ),
            ),
            (
                &["--min-free", "1.5"],
                "Error parsing option '--min-free' with value '1.5': expected a size such as 500M, 1.5G or 1073741824 (bytes), got '1.5' (see --help)".to_owned(),
            ),
            (
                &["--min-free", "2E"],
                "Error parsing option '--min-free' with value '2E': expected a size such as 500M, 1.5G or 1073741824 (bytes), got '2E' (see --help)".to_owned(),
            ),
            (
                &["--min-free", "2000000T"],
                "Error parsing option '--min-free' with value '2000000T': '2000000T' is larger than 1 EiB (see --help)".to_owned(),
            ),
        ];
        for (args, line) in cases {
            assert_eq!(
                shared::usage_line::<Args>(args).as_deref(),
                Some(line.as_str()),
                "{args:?}"
            );
        }
        assert_eq!(shared::usage_line::<Args>(&[]), None);
        assert_eq!(
            shared::usage_line::<Args>(&["--min-free", "500M", "--warning-ratio", "0.1"]),
            None
        );
    }

    const GIB: u64 = 1 << 30;

    fn disk(size: u64, free: u64, inodes: u64, inodes_free: u64) -> Space {
        Space {
            size,
            free,
            inodes,
            inodes_free,
        }
    }

    #[test]
    fn five_percent_by_default() {
        let plan = plan(&[]).unwrap();
        let ok = judge(&plan, &disk(100 * GIB, 5 * GIB, 0, 0));
        assert_eq!(ok.status, Status::Ok, "{ok:?}");
        assert_eq!(
            ok.message,
            "5.0 GiB free of 100.0 GiB (5%), threshold 5.0 GiB (5%)"
        );
        let low = judge(&plan, &disk(100 * GIB, 5 * GIB - 1, 1000, 500));
        assert_eq!(low.status, Status::Critical);
        assert_eq!(
            low.message,
            "free space low: 4.9 GiB free of 100.0 GiB (4.99%), below the threshold of 5.0 GiB (5%); inodes 50% used"
        );
    }

    #[test]
    fn the_plugins_own_case_re_expressed() {
        // 417 GiB disk, 269.10 GiB free, threshold 278 GiB: the plugin fails.
        let plan = plan(&["--min-free", "278G"]).unwrap();
        let free = 288_944_489_267;
        let verdict = judge(&plan, &disk(417 * GIB, free, 0, 0));
        assert_eq!(verdict.status, Status::Critical);
        assert_eq!(
            verdict.message,
            "free space low: 269.1 GiB free of 417.0 GiB (64.53%), below the threshold of 278.0 GiB"
        );
        // With --min-free alone the 5 % default does not apply.
        let plan = self::plan(&["--min-free", "1G"]).unwrap();
        assert_eq!(
            judge(&plan, &disk(417 * GIB, 2 * GIB, 0, 0)).status,
            Status::Ok
        );
    }

    #[test]
    fn inodes_at_98_percent_fail_even_with_space() {
        let plan = plan(&[]).unwrap();
        let full = judge(&plan, &disk(100 * GIB, 50 * GIB, 1000, 20));
        assert_eq!(full.status, Status::Critical);
        assert!(
            full.message
                .starts_with("98% of inodes used (980 of 1000), expected less than 98%"),
            "{full:?}"
        );
        assert_eq!(
            judge(&plan, &disk(100 * GIB, 50 * GIB, 1000, 21)).status,
            Status::Ok
        );
        // btrfs: no fixed number of inodes.
        assert_eq!(
            judge(&plan, &disk(100 * GIB, 50 * GIB, 0, 0)).status,
            Status::Ok
        );
    }

    #[test]
    fn warning_is_opt_in_and_above_critical() {
        let plan = self::plan(&["--warning-ratio", "0.2"]).unwrap();
        let verdict = judge(&plan, &disk(100 * GIB, 10 * GIB, 0, 0));
        assert_eq!(verdict.status, Status::Warning);
        assert!(self::plan(&["--warning-ratio", "0.05"]).is_err());
        assert!(self::plan(&["--threshold-ratio", "0.3", "--warning-ratio", "0.2"]).is_err());
    }

    /// 1.45 MiB free against a threshold of 1.4 MiB (35 % of 4 MiB): one
    /// decimal would read 1.4 MiB on both sides.
    #[test]
    fn figures_that_decide_never_read_the_same() {
        let size = 4 << 20;
        let plan = plan(&["--min-free", "1468007"]).unwrap();
        let ok = judge(&plan, &disk(size, 1_520_435, 0, 0));
        assert_eq!(ok.status, Status::Ok);
        assert_eq!(
            ok.message,
            "1520435 B free of 4.0 MiB (36.24%), threshold 1468007 B"
        );
        let plan = self::plan(&["--threshold-ratio", "0.350001"]).unwrap();
        let low = judge(&plan, &disk(size, 1_468_008, 0, 0));
        assert_eq!(low.status, Status::Critical);
        assert_eq!(
            low.message,
            "free space low: 1468008 B free of 4.0 MiB (35%), below the threshold of 1468011 B (35.0001%)"
        );
        let plan = self::plan(&["--warning-ratio", "0.350001"]).unwrap();
        let soft = judge(&plan, &disk(size, 1_468_008, 0, 0));
        assert_eq!(soft.status, Status::Warning);
        assert!(
            soft.message
                .ends_with("below the warning level of 1468011 B (35.0001%)"),
            "{soft:?}"
        );
    }

    #[test]
    fn both_thresholds_take_the_larger() {
        let plan = plan(&["--threshold-ratio", "0.1", "--min-free", "20G"]).unwrap();
        let verdict = judge(&plan, &disk(100 * GIB, 15 * GIB, 0, 0));
        assert_eq!(verdict.status, Status::Critical);
        assert!(
            verdict.message.ends_with("below the threshold of 20.0 GiB"),
            "{verdict:?}"
        );
    }
}
