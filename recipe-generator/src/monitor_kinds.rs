//! The monitor stack's plugins (`stack/monitor` of SlapOS, and the node
//! monitor and caucase profiles for `check_certificate`) as native promises:
//! what the converter knows about each, as pure functions of a part's
//! `config-*` options, ready for the converter's table of kinds.
//!
//! | plugin | promise | how |
//! | --- | --- | --- |
//! | `check_free_disk_space` | check-free-disk-space | statvfs of the partition, `threshold` (GiB) as `--min-free` |
//! | `check_partition_deployment_state` | check-file-exists | slapgrid's error log `--state absent-or-empty`; the log's link made once |
//! | `monitor_bootstrap_status` | check-file-exists | the status file `--state empty --type file` |
//! | `check_certificate` | check-certificate | `certificate`, `key`, `certificate-expiration-days` |
//!
//! Where the native form is approximate, [`Native::notes`] says how, for the
//! part's line and the README's conversion section.

use std::io;
use std::path::{Path, PathBuf};

/// A plugin part turned into a promise command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Native {
    /// The promise binary to run.
    pub promise: &'static str,
    /// The arguments to bake.
    pub args: Vec<String>,
    /// What the operator should know: approximations, options ignored.
    pub notes: Vec<String>,
    /// A link the converter makes once, at conversion, which the plugin kept
    /// up at every run.
    pub symlink: Option<Symlink>,
}

/// A symbolic link: `link` pointing to `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symlink {
    /// Where the link is made.
    pub link: PathBuf,
    /// What it points to (which may not exist yet).
    pub target: PathBuf,
}

impl Symlink {
    /// Makes the link unless something is already at `link` (a link, a file):
    /// true when it was made. The folder of `link` must exist.
    ///
    /// # Errors
    /// The link cannot be made (missing folder, permissions).
    pub fn make(&self) -> io::Result<bool> {
        if self.link.symlink_metadata().is_ok() {
            return Ok(false);
        }
        std::os::unix::fs::symlink(&self.target, &self.link)?;
        Ok(true)
    }
}

/// The plugins this module converts, each with the promise that replaces it
/// and the `config-` keys it reads (any other `config-` key is reported as
/// ignored).
pub const KINDS: [(&str, &str, &[&str]); 4] = [
    (
        "check_free_disk_space",
        "check-free-disk-space",
        &FREE_DISK_SPACE_KEYS,
    ),
    (
        "check_partition_deployment_state",
        "check-file-exists",
        &DEPLOYMENT_STATE_KEYS,
    ),
    (
        "monitor_bootstrap_status",
        "check-file-exists",
        &BOOTSTRAP_KEYS,
    ),
    ("check_certificate", "check-certificate", &CERTIFICATE_KEYS),
];

const FREE_DISK_SPACE_KEYS: [&str; 1] = ["threshold"];
const DEPLOYMENT_STATE_KEYS: [&str; 2] = ["monitor-url", "partition-id"];
const BOOTSTRAP_KEYS: [&str; 3] = ["status-file", "process-name", "partition-id"];
const CERTIFICATE_KEYS: [&str; 3] = ["certificate", "key", "certificate-expiration-days"];

/// Keys read by the plugins for something we cannot do natively, and why.
const EXPLAINED: [(&str, &str); 10] = [
    (
        "frequency",
        "slapgrid decides when a promise runs; a wrapper runs each time",
    ),
    (
        "collectordb",
        "figures are read live with statvfs, no collector database",
    ),
    (
        "threshold-file",
        "the plugin has ignored it since 2019 as well",
    ),
    (
        "display-partition",
        "no collector database: the biggest partitions are not listed",
    ),
    ("display-prediction", "no prediction (pandas, statsmodels)"),
    ("nb-days-predicted", "no prediction"),
    ("test-check-date", "the plugin's test mode"),
    ("test-check-time", "the plugin's test mode"),
    ("test-disk-partition", "the plugin's test mode"),
    (
        "process-pid-file",
        "a running bootstrap is not waited for; its last finished run is judged",
    ),
];

/// The native form of plugin `plugin` configured by `config` (the part's
/// options, keys as written: `config-threshold`; other options such as
/// `recipe` or `name` are skipped), in the partition folder `partition`.
/// `None` when `plugin` is not one of [`KINDS`].
///
/// # Errors
/// A value the plugin could not use either, naming its key: the part cannot
/// be converted.
pub fn convert(
    plugin: &str,
    config: &[(String, String)],
    partition: &Path,
) -> Option<Result<Native, String>> {
    let config = Config::new(config);
    Some(match plugin {
        "check_free_disk_space" => free_disk_space(&config),
        "check_partition_deployment_state" => Ok(deployment_state(&config, partition)),
        "monitor_bootstrap_status" => bootstrap_status(&config, partition),
        "check_certificate" => certificate(&config),
        _ => return None,
    })
    .map(|native| native.map(|n| config.report_ignored(plugin, n)))
}

/// A part's `config-` options, without the prefix.
struct Config<'a> {
    entries: Vec<(&'a str, &'a str)>,
}

impl<'a> Config<'a> {
    fn new(options: &'a [(String, String)]) -> Config<'a> {
        Config {
            entries: options
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix("config-")?, v.as_str())))
                .collect(),
        }
    }

    /// The last value of `key` (a later assignment wins, as in buildout).
    fn get(&self, key: &str) -> Option<&'a str> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }

    /// Adds to `native` a note for every key the plugin's native form does
    /// not use: with the reason where we know one.
    fn report_ignored(&self, plugin: &str, mut native: Native) -> Native {
        let known = KINDS
            .iter()
            .find(|(name, _, _)| *name == plugin)
            .map_or(&[][..], |(_, _, keys)| *keys);
        let mut plain = Vec::new();
        let mut seen = Vec::new();
        for (key, _) in &self.entries {
            if known.contains(key) || seen.contains(key) {
                continue;
            }
            seen.push(key);
            match EXPLAINED.iter().find(|(k, _)| k == key) {
                Some((_, why)) => native.notes.push(format!("ignored: config-{key} ({why})")),
                None => plain.push(format!("config-{key}")),
            }
        }
        if !plain.is_empty() {
            native.notes.push(format!("ignored: {}", plain.join(", ")));
        }
        native
    }
}

/// `check_free_disk_space`: the plugin fails when the free space of the
/// partition's disk is at most `threshold` GiB, or 5 % of the disk when no
/// threshold is set, and when 98 % of its inodes are used. It reads the sizes
/// from the node collector's database, a minute old, and skips the check when
/// the database has no figure for that minute.
fn free_disk_space(config: &Config<'_>) -> Result<Native, String> {
    let mut args = Vec::new();
    if let Some(threshold) = config.get("threshold") {
        args.extend(["--min-free".to_owned(), gib(threshold)?]);
    }
    Ok(Native {
        promise: "check-free-disk-space",
        args,
        notes: vec![
            "approximate: free space and inodes read live (statvfs), not from the collector database, so the check is never skipped for want of data".into(),
            "approximate: the inodes of /tmp, when it is a mount of its own, are not checked (add a check-free-disk-space --path /tmp)".into(),
        ],
        symlink: None,
    })
}

/// The plugin's `threshold`, a float of GiB, as `--min-free`'s size.
fn gib(threshold: &str) -> Result<String, String> {
    let value = threshold.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    // `1.` and `.5` are floats to Python: give them their digits.
    let whole = if whole.is_empty() { "0" } else { whole };
    if !digits(whole) || !digits(fraction) || !value.bytes().any(|b| b.is_ascii_digit()) {
        return Err(format!(
            "config-threshold is '{threshold}', expected a number of GiB such as 10 or 0.5"
        ));
    }
    Ok(if fraction.is_empty() {
        format!("{whole}G")
    } else {
        format!("{whole}.{fraction}G")
    })
}

/// `check_partition_deployment_state`: fails while slapgrid's error log for
/// the partition (`.slapgrid-<id>-error.log`, removed when slapgrid starts on
/// the partition, written when buildout fails) is not empty; the plugin also
/// links `var/log/slapgrid-<id>-error.log` to it so that the monitor serves it.
/// The partition id is the folder's name, as slapgrid names partitions,
/// unless `partition-id` says otherwise.
fn deployment_state(config: &Config<'_>, partition: &Path) -> Native {
    let id = partition_id(config, partition);
    let name = format!("slapgrid-{id}-error.log");
    let log = partition.join(format!(".{name}"));
    let mut hint = format!("buildout failed to process {id}");
    if let Some(url) = config.get("monitor-url").filter(|u| !u.is_empty()) {
        hint.push_str(&format!(", see {url}/log/{name}"));
    }
    let mut notes = vec![
        "approximate: the link in var/log is made once, now, and stays (dangling while the log is absent); the plugin made it on failure and removed it on success".into(),
    ];
    let mut args = vec![
        "--path".to_owned(),
        log.display().to_string(),
        "--state".into(),
        "absent-or-empty".into(),
    ];
    push_hint(&mut args, &mut notes, hint);
    Native {
        promise: "check-file-exists",
        args,
        notes,
        symlink: Some(Symlink {
            link: partition.join("var/log").join(&name),
            target: log,
        }),
    }
}

/// `monitor_bootstrap_status`: the monitor's bootstrap writes an empty status
/// file when it went to its end, and removes it otherwise. The plugin also
/// fails without the bootstrap's pid file, waits up to 15 s for a bootstrap
/// still running, and quotes the last lines of its log.
fn bootstrap_status(config: &Config<'_>, partition: &Path) -> Result<Native, String> {
    let status = config
        .get("status-file")
        .filter(|s| !s.is_empty())
        .ok_or("has no config-status-file, which monitor_bootstrap_status requires")?;
    let id = partition_id(config, partition);
    let mut hint = "the monitor bootstrap did not run or failed".to_owned();
    if let Some(process) = config.get("process-name").filter(|p| !p.is_empty()) {
        hint.push_str(&format!(
            ", see {}",
            partition.join(format!(".{id}_{process}.log")).display()
        ));
    }
    let mut notes = vec![
        "approximate: a bootstrap still running is not waited for (the plugin waited 15 s): the status of its last finished run is judged".into(),
        "approximate: the last lines of the bootstrap's log are not quoted; the line names the log".into(),
    ];
    let mut args = vec![
        "--path".to_owned(),
        status.to_owned(),
        "--state".into(),
        "empty".into(),
        "--type".into(),
        "file".into(),
    ];
    push_hint(&mut args, &mut notes, hint);
    Ok(Native {
        promise: "check-file-exists",
        args,
        notes,
        symlink: None,
    })
}

/// `check_certificate`: the first certificate of `certificate` expires in
/// fewer than `certificate-expiration-days` (15) days, or `key` does not match.
fn certificate(config: &Config<'_>) -> Result<Native, String> {
    let cert = config
        .get("certificate")
        .filter(|c| !c.is_empty())
        .ok_or("has no config-certificate, which check_certificate requires")?;
    let mut args = vec!["--cert-file".to_owned(), cert.to_owned()];
    if let Some(key) = config.get("key").filter(|k| !k.is_empty()) {
        args.extend(["--key-file".to_owned(), key.to_owned()]);
    }
    if let Some(days) = config.get("certificate-expiration-days") {
        let trimmed = days.trim();
        if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "config-certificate-expiration-days is '{days}', expected a number of days"
            ));
        }
        args.extend(["--days".to_owned(), trimmed.to_owned()]);
    }
    Ok(Native {
        promise: "check-certificate",
        args,
        notes: vec![
            "a certificate not valid yet now fails too (the plugin read only its end date)".into(),
        ],
        symlink: None,
    })
}

/// `partition-id` when set, else the partition folder's name.
fn partition_id(config: &Config<'_>, partition: &Path) -> String {
    match config.get("partition-id").filter(|id| !id.is_empty()) {
        Some(id) => id.to_owned(),
        None => partition.file_name().map_or_else(
            || "the partition".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        ),
    }
}

/// `--hint` when check-file-exists takes it (it shares the line with the failure).
fn push_hint(args: &mut Vec<String>, notes: &mut Vec<String>, hint: String) {
    if hint.len() > check_file_exists::MAX_HINT {
        notes.push("the failure line names no log: its path or URL is too long".into());
        return;
    }
    args.extend(["--hint".to_owned(), hint]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn options(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn native(plugin: &str, pairs: &[(&str, &str)]) -> Result<Native, String> {
        convert(
            plugin,
            &options(pairs),
            Path::new("/srv/slapgrid/slappart3"),
        )
        .expect("a monitor kind")
    }

    /// The arguments mean something to the binary: its own options and plan.
    fn valid<P: shared::Promise>(native: &Native) {
        let argv: Vec<OsString> = native.args.iter().map(OsString::from).collect();
        let parsed: P = shared::args::parse(native.promise, "0", argv)
            .unwrap_or_else(|e| panic!("{native:?}: {e:?}"));
        assert!(parsed.plan().is_ok(), "{native:?}");
    }

    #[test]
    fn free_disk_space_as_stack_monitor_writes_it() {
        // [promise-check-free-disk-space] of stack/monitor.
        let n = native(
            "check_free_disk_space",
            &[
                ("recipe", "slapos.cookbook:promise.plugin"),
                ("module", "slapos.promise.plugin.check_free_disk_space"),
                (
                    "config-collectordb",
                    "/srv/slapgrid/var/data-log/collector.db",
                ),
                (
                    "config-threshold-file",
                    "/srv/slapgrid/slappart3/etc/min-free-disk-size",
                ),
            ],
        )
        .unwrap();
        assert_eq!(n.promise, "check-free-disk-space");
        assert!(n.args.is_empty(), "{n:?}");
        assert!(
            n.notes
                .iter()
                .any(|l| l.starts_with("ignored: config-collectordb ("))
        );
        assert!(
            n.notes
                .iter()
                .any(|l| l.starts_with("ignored: config-threshold-file ("))
        );
        assert!(n.notes.iter().any(|l| l.contains("statvfs")));
        valid::<check_free_disk_space::Args>(&n);
    }

    #[test]
    fn free_disk_space_threshold_in_gib() {
        // software/monitor's node monitoring: threshold 0.08, prediction on.
        let n = native(
            "check_free_disk_space",
            &[
                ("config-threshold", "0.08"),
                ("config-frequency", "60"),
                ("config-nb-days-predicted", "10"),
                ("config-display-partition", "1"),
                ("config-display-prediction", "1"),
            ],
        )
        .unwrap();
        assert_eq!(n.args, ["--min-free", "0.08G"]);
        for key in [
            "frequency",
            "nb-days-predicted",
            "display-partition",
            "display-prediction",
        ] {
            let prefix = format!("ignored: config-{key} (");
            assert!(
                n.notes.iter().any(|l| l.starts_with(&prefix)),
                "{key}: {n:?}"
            );
        }
        valid::<check_free_disk_space::Args>(&n);
        assert_eq!(gib("278").unwrap(), "278G");
        assert_eq!(gib(" 2.5 ").unwrap(), "2.5G");
        assert_eq!(gib(".5").unwrap(), "0.5G");
        for bad in ["", ".", "-1", "1e3", "ten", "nan"] {
            assert!(
                native("check_free_disk_space", &[("config-threshold", bad)]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn deployment_state_checks_the_error_log_and_links_it() {
        // [promise-check-slapgrid] of stack/monitor.
        let n = native(
            "check_partition_deployment_state",
            &[("config-monitor-url", "https://[2001:db8::1]:8196")],
        )
        .unwrap();
        assert_eq!(n.promise, "check-file-exists");
        assert_eq!(
            n.args,
            [
                "--path",
                "/srv/slapgrid/slappart3/.slapgrid-slappart3-error.log",
                "--state",
                "absent-or-empty",
                "--hint",
                "buildout failed to process slappart3, see https://[2001:db8::1]:8196/log/slapgrid-slappart3-error.log",
            ]
        );
        assert_eq!(
            n.symlink,
            Some(Symlink {
                link: "/srv/slapgrid/slappart3/var/log/slapgrid-slappart3-error.log".into(),
                target: "/srv/slapgrid/slappart3/.slapgrid-slappart3-error.log".into(),
            })
        );
        valid::<check_file_exists::Args>(&n);
        let without_url = native("check_partition_deployment_state", &[]).unwrap();
        assert_eq!(without_url.args[5], "buildout failed to process slappart3");
    }

    #[test]
    fn bootstrap_status_is_an_empty_status_file() {
        // [monitor-bootstrap-promise] of stack/monitor.
        let n = native(
            "monitor_bootstrap_status",
            &[
                (
                    "config-process-pid-file",
                    "/srv/slapgrid/slappart3/var/run/monitor/monitor-bootstrap.pid",
                ),
                ("config-process-name", "bootstrap-monitor"),
                (
                    "config-status-file",
                    "/srv/slapgrid/slappart3/srv/monitor/monitor-bootstrap-status",
                ),
            ],
        )
        .unwrap();
        assert_eq!(
            n.args,
            [
                "--path",
                "/srv/slapgrid/slappart3/srv/monitor/monitor-bootstrap-status",
                "--state",
                "empty",
                "--type",
                "file",
                "--hint",
                "the monitor bootstrap did not run or failed, see /srv/slapgrid/slappart3/.slappart3_bootstrap-monitor.log",
            ]
        );
        assert!(n.notes.iter().any(|l| l.contains("15 s")));
        assert!(
            n.notes
                .iter()
                .any(|l| l.starts_with("ignored: config-process-pid-file ("))
        );
        valid::<check_file_exists::Args>(&n);
        assert!(native("monitor_bootstrap_status", &[]).is_err());
    }

    #[test]
    fn certificate_with_key_and_days() {
        // software/monitor's [check-re6stnet-certificate.py], and the plugin's tests.
        let n = native(
            "check_certificate",
            &[
                ("config-certificate", "/etc/re6stnet/cert.crt"),
                ("config-certificate-expiration-days", "15"),
            ],
        )
        .unwrap();
        assert_eq!(
            n.args,
            ["--cert-file", "/etc/re6stnet/cert.crt", "--days", "15"]
        );
        valid::<check_certificate::Args>(&n);
        let n = native(
            "check_certificate",
            &[
                ("config-certificate", "/p/cert.pem"),
                ("config-key", "/p/key.pem"),
                ("config-frequency", "720"),
                ("config-something", "x"),
            ],
        )
        .unwrap();
        assert_eq!(
            n.args,
            ["--cert-file", "/p/cert.pem", "--key-file", "/p/key.pem"]
        );
        assert!(
            n.notes.contains(&"ignored: config-something".to_owned()),
            "{n:?}"
        );
        valid::<check_certificate::Args>(&n);
        // The plugin's own "bad" case fails at conversion rather than at every run.
        let bad = native(
            "check_certificate",
            &[
                ("config-certificate", "/p/cert.pem"),
                ("config-certificate-expiration-days", "bad"),
            ],
        );
        assert_eq!(
            bad.unwrap_err(),
            "config-certificate-expiration-days is 'bad', expected a number of days"
        );
        assert!(native("check_certificate", &[]).is_err());
    }

    #[test]
    fn other_plugins_are_not_ours() {
        assert!(convert("check_url_available", &[], Path::new("/p")).is_none());
    }

    #[test]
    fn the_link_is_made_once() {
        let dir = std::env::temp_dir().join(format!("monitor-kinds-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("var/log")).unwrap();
        let n = convert("check_partition_deployment_state", &[], &dir)
            .unwrap()
            .unwrap();
        let link = n.symlink.unwrap();
        assert!(link.make().unwrap());
        assert!(!link.make().unwrap());
        assert_eq!(std::fs::read_link(&link.link).unwrap(), link.target);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
