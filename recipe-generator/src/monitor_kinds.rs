//! The monitor stack's plugins (`stack/monitor` of SlapOS, and the node
//! monitor and re6stnet profiles for `check_certificate`): their mappings for
//! the converter's table of kinds ([`crate::convert::KINDS`]).
//!
//! | plugin | promise | how |
//! | --- | --- | --- |
//! | `check_free_disk_space` | check-free-disk-space | statvfs of the partition, `threshold` (GiB) as `--min-free` |
//! | `check_partition_deployment_state` | check-file-exists | slapgrid's error log `--state absent-or-empty`; the log's link made once, at conversion |
//! | `monitor_bootstrap_status` | check-file-exists | the status file `--state empty --type file` |
//! | `check_certificate` | check-certificate | `certificate`, `key`, `certificate-expiration-days` |
//!
//! Where the native form is approximate, the mapping says how in a note on
//! the part's line (the README's conversion section lists them).

use shared::Usage;

use crate::convert::{Baked, Options};

/// `check_free_disk_space`'s settings: `threshold`, and those it reads for
/// what we do not do (each noted with its reason, see [`EXPLAINED`]).
pub const FREE_DISK_SPACE_KEYS: &[&str] = &[
    "threshold",
    "frequency",
    "collectordb",
    "threshold-file",
    "display-partition",
    "display-prediction",
    "nb-days-predicted",
    "test-check-date",
    "test-check-time",
    "test-disk-partition",
];
/// `check_partition_deployment_state`'s settings.
pub const DEPLOYMENT_STATE_KEYS: &[&str] = &["monitor-url", "partition-id", "frequency"];
/// `monitor_bootstrap_status`'s settings.
pub const BOOTSTRAP_KEYS: &[&str] = &[
    "status-file",
    "process-name",
    "partition-id",
    "process-pid-file",
    "frequency",
];
/// `check_certificate`'s settings.
pub const CERTIFICATE_KEYS: &[&str] = &[
    "certificate",
    "key",
    "certificate-expiration-days",
    "frequency",
];

/// Settings the plugins read for something we cannot do natively, and why.
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

/// Notes `ignored: config-KEY (why)` for each of `keys` the part sets that
/// [`EXPLAINED`] knows.
fn explain(part: &mut Options<'_, '_>, keys: &[&str]) -> Result<(), Usage> {
    for (key, why) in EXPLAINED {
        if keys.contains(&key) && part.config(key)?.is_some() {
            part.note(format!("ignored: config-{key} ({why})"));
        }
    }
    Ok(())
}

/// A setting the plugin could not use either: the part cannot be converted.
fn bad(part: &Options<'_, '_>, key: &str, value: &str, expected: &str) -> Usage {
    Usage::new(format!(
        "[{}] config-{key} is '{value}', expected {expected}",
        part.section()
    ))
}

/// `check_free_disk_space`: the plugin fails when the free space of the
/// partition's disk is at most `threshold` GiB, or 5 % of the disk when no
/// threshold is set, and when 98 % of its inodes are used. It reads the sizes
/// from the node collector's database, a minute old, and skips the check when
/// the database has no figure for that minute.
///
/// # Errors
/// A `threshold` that is not a number of GiB.
pub fn free_disk_space(part: &mut Options<'_, '_>) -> Result<Baked, Usage> {
    let mut args = Vec::new();
    if let Some(threshold) = part.config("threshold")? {
        let size = gib(&threshold).ok_or_else(|| {
            bad(
                part,
                "threshold",
                &threshold,
                "a number of GiB such as 10 or 0.5",
            )
        })?;
        args.extend(["--min-free".to_owned(), size]);
    }
    part.note("approximate: free space and inodes read live (statvfs), not from the collector database, so the check is never skipped for want of data");
    part.note("approximate: the inodes of /tmp, when it is a mount of its own, are not checked (add a check-free-disk-space --path /tmp)");
    explain(part, FREE_DISK_SPACE_KEYS)?;
    Ok(Baked::Args(args))
}

/// The plugin's `threshold`, a float of GiB, as `--min-free`'s size.
fn gib(threshold: &str) -> Option<String> {
    let value = threshold.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    // `1.` and `.5` are floats to Python: give them their digits.
    let whole = if whole.is_empty() { "0" } else { whole };
    if !digits(whole) || !digits(fraction) || !value.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(if fraction.is_empty() {
        format!("{whole}G")
    } else {
        format!("{whole}.{fraction}G")
    })
}

/// `check_partition_deployment_state`: fails while slapgrid's error log for
/// the partition (`.slapgrid-<id>-error.log`, removed when slapgrid starts on
/// the partition, written when buildout fails) is not empty; the plugin also
/// links `var/log/slapgrid-<id>-error.log` to it so that the monitor serves
/// it, which the converter does once. The partition id is the folder's
/// name, as slapgrid names partitions, unless `partition-id` says otherwise.
///
/// # Errors
/// A value that cannot be resolved.
pub fn deployment_state(part: &mut Options<'_, '_>) -> Result<Baked, Usage> {
    let partition = part.partition()?;
    let id = partition_id(part, &partition)?;
    let name = format!("slapgrid-{id}-error.log");
    let log = partition.join(format!(".{name}"));
    let mut hint = format!("buildout failed to process {id}");
    if let Some(url) = part.config("monitor-url")?.filter(|u| !u.is_empty()) {
        let url = shared::secret::mask_userinfo(&url);
        hint.push_str(&format!(", see {url}/log/{name}"));
    }
    part.note("approximate: the link in var/log is made once, at conversion, and stays (dangling while the log is absent); the plugin made it on failure and removed it on success");
    let mut args = vec![
        "--path".to_owned(),
        log.display().to_string(),
        "--state".into(),
        "absent-or-empty".into(),
    ];
    push_hint(part, &mut args, hint);
    part.link(partition.join("var/log").join(&name), log);
    explain(part, DEPLOYMENT_STATE_KEYS)?;
    Ok(Baked::Args(args))
}

/// `monitor_bootstrap_status`: the monitor's bootstrap writes an empty status
/// file when it went to its end, and removes it otherwise. The plugin also
/// fails without the bootstrap's pid file, waits up to 15 s for a bootstrap
/// still running, and quotes the last lines of its log.
///
/// # Errors
/// No `status-file`.
pub fn bootstrap_status(part: &mut Options<'_, '_>) -> Result<Baked, Usage> {
    let status = part
        .config("status-file")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Usage::new(format!("[{}] has no config-status-file", part.section())))?;
    let partition = part.partition()?;
    let id = partition_id(part, &partition)?;
    let mut hint = "the monitor bootstrap did not run or failed".to_owned();
    if let Some(process) = part.config("process-name")?.filter(|p| !p.is_empty()) {
        hint.push_str(&format!(
            ", see {}",
            partition.join(format!(".{id}_{process}.log")).display()
        ));
    }
    part.note("approximate: a bootstrap still running is not waited for (the plugin waited 15 s): the status of its last finished run is judged");
    part.note(
        "approximate: the last lines of the bootstrap's log are not quoted; the line names the log",
    );
    let mut args = vec![
        "--path".to_owned(),
        status,
        "--state".into(),
        "empty".into(),
        "--type".into(),
        "file".into(),
    ];
    push_hint(part, &mut args, hint);
    explain(part, BOOTSTRAP_KEYS)?;
    Ok(Baked::Args(args))
}

/// `check_certificate`: the first certificate of `certificate` expires in
/// fewer than `certificate-expiration-days` (15) days, or `key` does not match.
///
/// # Errors
/// No `certificate`, or days that are not a whole number.
pub fn certificate(part: &mut Options<'_, '_>) -> Result<Baked, Usage> {
    let cert = part
        .config("certificate")?
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Usage::new(format!("[{}] has no config-certificate", part.section())))?;
    let mut args = vec!["--cert-file".to_owned(), cert];
    if let Some(key) = part.config("key")?.filter(|k| !k.is_empty()) {
        args.extend(["--key-file".to_owned(), key]);
    }
    if let Some(days) = part.config("certificate-expiration-days")? {
        let trimmed = days.trim();
        if shared::number::digits::<u32>(trimmed).is_none() {
            return Err(bad(
                part,
                "certificate-expiration-days",
                &days,
                "a number of days",
            ));
        }
        args.extend(["--days".to_owned(), trimmed.to_owned()]);
    }
    part.note("a certificate not valid yet now fails too (the plugin read only its end date)");
    explain(part, CERTIFICATE_KEYS)?;
    Ok(Baked::Args(args))
}

/// `partition-id` when set, else the partition folder's name.
fn partition_id(part: &Options<'_, '_>, partition: &std::path::Path) -> Result<String, Usage> {
    Ok(
        match part.config("partition-id")?.filter(|id| !id.is_empty()) {
            Some(id) => id,
            None => partition.file_name().map_or_else(
                || "the partition".to_owned(),
                |n| n.to_string_lossy().into_owned(),
            ),
        },
    )
}

/// `--hint` when check-file-exists takes it (it shares the line with the failure).
fn push_hint(part: &mut Options<'_, '_>, args: &mut Vec<String>, hint: String) {
    if hint.len() > check_file_exists::MAX_HINT {
        part.note("the failure line names no log: its path or URL is too long");
        return;
    }
    args.extend(["--hint".to_owned(), hint]);
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::buildout::Buildout;
    use crate::convert::{Context, Mapped, Part, Symlink, classify};

    /// `[monitor-promise-base]` as stack/monitor's instance-monitor.cfg.jinja2.in
    /// writes it, then `parts`.
    fn profile(parts: &str) -> String {
        format!(
            "[directory]\nplugins = /srv/slapgrid/slappart3/etc/plugin\n\
             [monitor-promise-base]\nrecipe = slapos.cookbook:promise.plugin\neggs =\n  slapos.toolbox\n\
             module = slapos.promise.plugin.${{:promise}}\noutput = ${{directory:plugins}}/${{:name}}\n{parts}"
        )
    }

    fn classify_in(text: &str, section: &str) -> Result<Part, shared::Usage> {
        let buildout = Buildout::parse(text, "f.cfg").unwrap();
        let context = Context {
            buildout: &buildout,
            promise_dir: Path::new("/srv/slapgrid/slappart3/etc/promise"),
            file: Path::new("/srv/slapgrid/slappart3/.installed.cfg"),
        };
        classify(&context, section)
    }

    fn mapped(parts: &str, section: &str) -> Mapped {
        match classify_in(&profile(parts), section).unwrap() {
            Part::Promise(m) => m,
            other => panic!("{other:?}"),
        }
    }

    fn args(m: &Mapped) -> Vec<&str> {
        m.args.iter().map(|a| a.to_str().unwrap()).collect()
    }

    /// The arguments mean something to the binary: its own options and plan.
    fn valid<P: shared::Promise>(m: &Mapped) {
        let parsed: P = shared::args::parse(m.promise, "0", m.args.clone())
            .unwrap_or_else(|e| panic!("{m:?}: {e:?}"));
        assert!(parsed.plan().is_ok(), "{m:?}");
    }

    fn noted(m: &Mapped, prefix: &str) -> bool {
        m.notes.iter().any(|n| n.starts_with(prefix))
    }

    #[test]
    fn free_disk_space_as_stack_monitor_writes_it() {
        let m = mapped(
            "[promise-check-free-disk-space]\n<= monitor-promise-base\npromise = check_free_disk_space\n\
             name = check-free-disk-space.py\nconfig-collectordb = /srv/slapgrid/var/data-log/collector.db\n\
             config-threshold-file = /srv/slapgrid/slappart3/etc/min-free-disk-size\n",
            "promise-check-free-disk-space",
        );
        assert_eq!(m.promise, "check-free-disk-space");
        assert_eq!(
            m.output,
            Path::new("/srv/slapgrid/slappart3/etc/promise/check-free-disk-space")
        );
        assert!(m.args.is_empty(), "{m:?}");
        assert!(noted(&m, "ignored: config-collectordb ("), "{m:?}");
        assert!(noted(&m, "ignored: config-threshold-file ("), "{m:?}");
        assert!(m.notes.iter().any(|l| l.contains("statvfs")));
        assert!(
            !m.notes
                .iter()
                .any(|l| l.starts_with("ignored: config-collectordb,"))
        );
        valid::<check_free_disk_space::Args>(&m);
    }

    #[test]
    fn free_disk_space_threshold_in_gib() {
        // software/monitor's node monitoring: threshold 0.08, prediction on.
        let m = mapped(
            "[disk]\n<= monitor-promise-base\npromise = check_free_disk_space\nname = disk.py\n\
             config-threshold = 0.08\nconfig-frequency = 60\nconfig-nb-days-predicted = 10\n\
             config-display-partition = 1\nconfig-display-prediction = 1\nconfig-other = x\n",
            "disk",
        );
        assert_eq!(args(&m), ["--min-free", "0.08G"]);
        for key in [
            "frequency",
            "nb-days-predicted",
            "display-partition",
            "display-prediction",
        ] {
            assert!(
                noted(&m, &format!("ignored: config-{key} (")),
                "{key}: {m:?}"
            );
        }
        assert!(
            m.notes.contains(&"ignored: config-other".to_owned()),
            "{m:?}"
        );
        valid::<check_free_disk_space::Args>(&m);
        assert_eq!(super::gib("278").unwrap(), "278G");
        assert_eq!(super::gib(" 2.5 ").unwrap(), "2.5G");
        assert_eq!(super::gib(".5").unwrap(), "0.5G");
        for bad in ["", ".", "-1", "1e3", "ten", "nan"] {
            let text = profile(&format!(
                "[disk]\n<= monitor-promise-base\npromise = check_free_disk_space\nname = disk.py\nconfig-threshold = {bad}\n"
            ));
            let error = classify_in(&text, "disk").unwrap_err();
            assert!(
                error.0.starts_with("[disk] config-threshold is '"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn deployment_state_checks_the_error_log_and_links_it() {
        let m = mapped(
            "[promise-check-slapgrid]\n<= monitor-promise-base\npromise = check_partition_deployment_state\n\
             name = buildout-slappart3-status.py\nconfig-monitor-url = https://[2001:db8::1]:8196\n",
            "promise-check-slapgrid",
        );
        assert_eq!(m.promise, "check-file-exists");
        assert_eq!(
            m.output,
            Path::new("/srv/slapgrid/slappart3/etc/promise/buildout-slappart3-status")
        );
        assert_eq!(
            args(&m),
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
            m.link,
            Some(Symlink {
                link: "/srv/slapgrid/slappart3/var/log/slapgrid-slappart3-error.log".into(),
                target: "/srv/slapgrid/slappart3/.slapgrid-slappart3-error.log".into(),
            })
        );
        assert!(m.notes.iter().any(|n| n.contains("made once")), "{m:?}");
        valid::<check_file_exists::Args>(&m);
        let without_url = mapped(
            "[s]\n<= monitor-promise-base\npromise = check_partition_deployment_state\nname = s.py\nconfig-partition-id = slappart9\n",
            "s",
        );
        assert_eq!(
            args(&without_url)[5],
            "buildout failed to process slappart9"
        );
    }

    #[test]
    fn bootstrap_status_is_an_empty_status_file() {
        let m = mapped(
            "[monitor-bootstrap-promise]\n<= monitor-promise-base\npromise = monitor_bootstrap_status\n\
             name = monitor-bootstrap-status.py\n\
             config-process-pid-file = /srv/slapgrid/slappart3/var/run/monitor/monitor-bootstrap.pid\n\
             config-process-name = bootstrap-monitor\n\
             config-status-file = /srv/slapgrid/slappart3/srv/monitor/monitor-bootstrap-status\n",
            "monitor-bootstrap-promise",
        );
        assert_eq!(
            args(&m),
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
        assert!(m.notes.iter().any(|l| l.contains("15 s")));
        assert!(noted(&m, "ignored: config-process-pid-file ("), "{m:?}");
        assert_eq!(m.link, None);
        valid::<check_file_exists::Args>(&m);
        let error = classify_in(
            &profile(
                "[b]\n<= monitor-promise-base\npromise = monitor_bootstrap_status\nname = b.py\n",
            ),
            "b",
        )
        .unwrap_err();
        assert_eq!(error.0, "[b] has no config-status-file");
    }

    #[test]
    fn certificate_with_key_and_days() {
        // software/re6stnet's [re6st-certificate-promise].
        let m = mapped(
            "[re6st-certificate-promise]\n<= monitor-promise-base\npromise = check_certificate\n\
             name = check-re6st-certificate.py\nconfig-certificate = /p/ca.crt\nconfig-key = /p/ca.key\n\
             config-certificate-expiration-days = 45\n",
            "re6st-certificate-promise",
        );
        assert_eq!(m.promise, "check-certificate");
        assert_eq!(
            args(&m),
            [
                "--cert-file",
                "/p/ca.crt",
                "--key-file",
                "/p/ca.key",
                "--days",
                "45"
            ]
        );
        valid::<check_certificate::Args>(&m);
        // The plugin's own "bad" case fails at conversion rather than at every run.
        let bad = profile(
            "[c]\n<= monitor-promise-base\npromise = check_certificate\nname = c.py\n\
             config-certificate = /p/cert.pem\nconfig-certificate-expiration-days = bad\n",
        );
        assert_eq!(
            classify_in(&bad, "c").unwrap_err().0,
            "[c] config-certificate-expiration-days is 'bad', expected a number of days"
        );
        let none =
            profile("[c]\n<= monitor-promise-base\npromise = check_certificate\nname = c.py\n");
        assert_eq!(
            classify_in(&none, "c").unwrap_err().0,
            "[c] has no config-certificate"
        );
    }

    #[test]
    fn the_link_is_made_once() {
        let dir = crate::test_dir::TestDir::new("monitor-kinds");
        std::fs::create_dir_all(dir.join("var/log")).unwrap();
        let link = Symlink {
            link: dir.join("var/log/l.log"),
            target: dir.join(".l.log"),
        };
        assert!(link.make().unwrap());
        assert!(!link.make().unwrap());
        assert_eq!(std::fs::read_link(&link.link).unwrap(), link.target);
    }
}
