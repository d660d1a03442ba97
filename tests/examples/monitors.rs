//! The monitor examples in real engines: Nagios Core 4 runs
//! `examples/nagios/commands.cfg` unchanged and Icinga 2 runs
//! `examples/icinga2/commands.conf` unchanged, each from a private folder,
//! against our loopback services, one service for each exit code. What the
//! engine recorded (state, output, performance data) is read from the engine
//! itself: Nagios' `status.dat`, the Icinga 2 REST API. This is what proved
//! that a line on stderr reached Nagios as `(No output on stdout) stderr: ...`.
//!
//! The engines come from Debian (`nagios4-core`, `icinga2`); `make test`
//! installs them and sets `PROMISE_REQUIRE_MONITORS`, elsewhere a missing
//! engine is a SKIP line. Under a runner (the aarch64 build through
//! qemu-aarch64) the engines run shims that exec the runner with the binary.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::http::{Reply, Server, V4};
use crate::util::tls::{self, Validity};
use crate::util::{SHIPPED, bin, listen, runner, temp_dir};

/// How long an engine may take to start and check every service, under load.
const PATIENCE: Duration = Duration::from_secs(120);

/// One service's verdict as the engine recorded it.
#[derive(Debug)]
struct Verdict {
    state: i64,
    output: String,
    perfdata: String,
}

/// What one service must show.
struct Expected {
    service: &'static str,
    state: i64,
    output: String,
    perfdata: &'static str,
}

/// What an engine's test starts from: the engine, a private folder, our
/// services, the example file and who the engine runs as.
struct Stage {
    engine: PathBuf,
    dir: PathBuf,
    scene: Scene,
    example: PathBuf,
    user: String,
    group: String,
}

impl Stage {
    /// `None` (said) when `program` is not installed here.
    fn new(program: &str, example: &str) -> Option<Stage> {
        let engine = PathBuf::from(program);
        if !engine.is_file() {
            assert!(
                std::env::var_os("PROMISE_REQUIRE_MONITORS").is_none(),
                "{program} is missing (make test-deps installs it)"
            );
            crate::util::skip(format_args!(
                "{program} is not installed; the example is not run in it"
            ));
            return None;
        }
        let dir = temp_dir(engine.file_name().unwrap().to_str().unwrap());
        let (user, group) = user_and_group();
        Some(Stage {
            engine,
            scene: Scene::new(&dir),
            dir,
            example: Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples")
                .join(example),
            user,
            group,
        })
    }
}

/// The folder the engine finds our binaries in: the build under test, or
/// shims that run them through the runner.
fn plugin_dir(dir: &Path) -> PathBuf {
    let real = bin("check-url-available").parent().unwrap().to_owned();
    let prefix = runner::shell_prefix(&bin("check-url-available"));
    if prefix.is_empty() {
        return real;
    }
    let shims = dir.join("shims");
    fs::create_dir_all(&shims).unwrap();
    for name in SHIPPED {
        let shim = shims.join(name);
        let target = real.join(name);
        fs::write(
            &shim,
            format!("#!/bin/sh\nexec {prefix}'{}' \"$@\"\n", target.display()),
        )
        .unwrap();
        fs::set_permissions(&shim, fs::Permissions::from_mode(0o755)).unwrap();
    }
    shims
}

/// The user and group the engine runs as: ours (root in `make test`).
fn user_and_group() -> (String, String) {
    let id = |flag: &str| {
        let out = Command::new("id").arg(flag).output().expect("id runs");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    (id("-un"), id("-gn"))
}

/// An engine's process, ended with SIGTERM (and reaped) when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// The loopback services every engine checks, and what each service shows.
struct Scene {
    _http: Server,
    _https: Server,
    _socket: UnixListener,
    url: String,
    https_url: String,
    ca_file: PathBuf,
    closed_port: u16,
    socket: PathBuf,
    file: PathBuf,
}

impl Scene {
    fn new(dir: &Path) -> Scene {
        let http = Server::http(V4, |_| Reply::text(200, "shop")).expect("http server");
        let ca = tls::Ca::new("native-promises monitor CA");
        let ca_file = tls::write(dir, "ca.pem", &ca.pem());
        let identity = ca.server(
            &tls::LOOPBACK,
            Validity::EndsIn(Duration::from_secs(5 * 86_400)),
        );
        let https = Server::https(V4, tls::server_config(&identity, None), |_| {
            Reply::text(200, "shop")
        })
        .expect("https server");
        let socket = dir.join("db.sock");
        let file = dir.join("fresh");
        fs::write(&file, "fresh\n").unwrap();
        Scene {
            url: http.url("http", "/"),
            https_url: https.url("https", "/"),
            _http: http,
            _https: https,
            _socket: listen::unix(&socket),
            ca_file,
            closed_port: listen::closed_port(),
            socket,
            file,
        }
    }

    /// The verdicts both engines must record, by service name.
    fn expected(&self) -> Vec<Expected> {
        let (url, https, port) = (&self.url, &self.https_url, self.closed_port);
        vec![
            Expected {
                service: "http-ok",
                state: 0,
                output: format!("OK: {url} returned 200 in "),
                perfdata: "time=",
            },
            Expected {
                service: "cert-warning",
                state: 1,
                output: format!("WARNING: {https} returned 200 in "),
                perfdata: "time=",
            },
            Expected {
                service: "tcp-critical",
                state: 2,
                output: format!("CRITICAL: 127.0.0.1:{port} is not listening: "),
                perfdata: "",
            },
            Expected {
                service: "cert-unknown",
                state: 3,
                output: "UNKNOWN: ".to_owned(),
                perfdata: "",
            },
            Expected {
                service: "file-ok",
                state: 0,
                output: format!("OK: {} exists (file, 6 bytes", self.file.display()),
                perfdata: "age=",
            },
        ]
    }
}

/// Waits (bounded) until `read` returns a verdict for every expected service,
/// then asserts each.
fn assert_verdicts(
    engine: &str,
    expected: &[Expected],
    mut read: impl FnMut() -> Vec<(String, Verdict)>,
) {
    let started = Instant::now();
    let verdicts = loop {
        let verdicts = read();
        if expected
            .iter()
            .all(|e| verdicts.iter().any(|(name, _)| name == e.service))
        {
            break verdicts;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{engine} checked only {verdicts:?} in {PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    for e in expected {
        let (_, v) = verdicts.iter().find(|(name, _)| name == e.service).unwrap();
        assert!(
            v.state == e.state
                && v.output.starts_with(&e.output)
                && !v.output.contains("stderr")
                && v.perfdata.starts_with(e.perfdata)
                && (e.perfdata.is_empty() == v.perfdata.is_empty()),
            "{engine}, service {}: expected state {}, output {:?}…, perfdata {:?}…, got {v:?}",
            e.service,
            e.state,
            e.output,
            e.perfdata
        );
    }
}

// --- Nagios Core 4 ------------------------------------------------------------

#[test]
fn nagios_core_runs_the_example_commands_one_service_per_exit_code() {
    let Some(Stage {
        engine: nagios,
        dir,
        scene,
        example: commands,
        user,
        group,
    }) = Stage::new("/usr/sbin/nagios4", "nagios/commands.cfg")
    else {
        return;
    };
    let d = dir.display();
    fs::create_dir_all(dir.join("checkresults")).unwrap();
    fs::write(
        dir.join("resource.cfg"),
        format!("$USER1$={}\n", plugin_dir(&dir).display()),
    )
    .unwrap();
    fs::write(
        dir.join("nagios.cfg"),
        format!(
            "log_file={d}/nagios.log\ncfg_file={}\ncfg_file={d}/objects.cfg\n\
             resource_file={d}/resource.cfg\nstatus_file={d}/status.dat\n\
             status_update_interval=1\nobject_cache_file={d}/objects.cache\n\
             precached_object_file={d}/objects.precache\ntemp_file={d}/nagios.tmp\n\
             temp_path={d}\nlock_file={d}/nagios.lock\ncheck_result_path={d}/checkresults\n\
             state_retention_file={d}/retention.dat\nretain_state_information=0\n\
             nagios_user={user}\nnagios_group={group}\ncheck_external_commands=0\n\
             use_syslog=0\nenable_notifications=0\nenable_event_handlers=0\n\
             enable_flap_detection=0\ninterval_length=1\nmax_service_check_spread=1\n\
             service_inter_check_delay_method=n\ncheck_result_reaper_frequency=1\n",
            commands.display()
        ),
    )
    .unwrap();
    let (url, https, ca) = (&scene.url, &scene.https_url, scene.ca_file.display());
    let port = scene.closed_port;
    let services = [
        ("http-ok", format!("np_check_http!{url}")),
        (
            "cert-warning",
            format!("np_check_cert!{https}!14!--ca-cert-file {ca}"),
        ),
        ("tcp-critical", format!("np_check_tcp!{port}")),
        (
            "cert-unknown",
            format!("np_check_cert!{https}!two-weeks!--ca-cert-file {ca}"),
        ),
        (
            "file-ok",
            format!("np_check_file_age!{}!3600", scene.file.display()),
        ),
    ];
    let mut objects = String::from(
        "define timeperiod {\n timeperiod_name always\n alias always\n sunday 00:00-24:00\n \
         monday 00:00-24:00\n tuesday 00:00-24:00\n wednesday 00:00-24:00\n \
         thursday 00:00-24:00\n friday 00:00-24:00\n saturday 00:00-24:00\n}\n\
         define contact {\n contact_name nobody\n host_notifications_enabled 0\n \
         service_notifications_enabled 0\n host_notification_period always\n \
         service_notification_period always\n host_notification_options n\n \
         service_notification_options n\n host_notification_commands np_check_tcp\n \
         service_notification_commands np_check_tcp\n}\n\
         define host {\n host_name loopback\n address 127.0.0.1\n max_check_attempts 1\n \
         check_period always\n notification_period always\n contacts nobody\n}\n",
    );
    for (name, command) in &services {
        objects.push_str(&format!(
            "define service {{\n host_name loopback\n service_description {name}\n \
             check_command {command}\n max_check_attempts 1\n check_interval 3600\n \
             retry_interval 3600\n check_period always\n notification_period always\n \
             contacts nobody\n}}\n"
        ));
    }
    fs::write(dir.join("objects.cfg"), objects).unwrap();
    let cfg = dir.join("nagios.cfg");
    let verify = Command::new(&nagios).arg("-v").arg(&cfg).output().unwrap();
    assert!(
        verify.status.success(),
        "nagios4 -v {}:\n{}",
        cfg.display(),
        String::from_utf8_lossy(&verify.stdout)
    );
    let _running = Running(
        Command::new(&nagios)
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nagios4 starts"),
    );
    let status = dir.join("status.dat");
    assert_verdicts("Nagios Core", &scene.expected(), || {
        nagios_status(&fs::read_to_string(&status).unwrap_or_default())
    });
}

/// The checked services of a Nagios `status.dat`.
fn nagios_status(text: &str) -> Vec<(String, Verdict)> {
    let mut found = Vec::new();
    for block in text.split("servicestatus {").skip(1) {
        let block = block.split('}').next().unwrap_or("");
        let field = |key: &str| {
            block
                .lines()
                .find_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
                .unwrap_or("")
                .to_owned()
        };
        if field("has_been_checked") == "1" {
            found.push((
                field("service_description"),
                Verdict {
                    state: field("current_state").parse().unwrap_or(-1),
                    output: field("plugin_output"),
                    perfdata: field("performance_data"),
                },
            ));
        }
    }
    found
}

// --- Icinga 2 -----------------------------------------------------------------

#[test]
fn icinga2_runs_the_example_check_commands_one_service_per_exit_code() {
    let Some(Stage {
        engine: icinga2,
        dir,
        scene,
        example: commands,
        user,
        group,
    }) = Stage::new("/usr/sbin/icinga2", "icinga2/commands.conf")
    else {
        return;
    };
    for sub in ["data/certs", "log", "cache", "spool", "run"] {
        fs::create_dir_all(dir.join(sub)).unwrap();
    }
    // The API's certificate, its own CA: no other endpoint connects.
    let certs = dir.join("data/certs");
    let identity = tls::self_signed_ca(&["np-test"], Validity::Year);
    tls::write(&certs, "np-test.crt", &identity.cert_pem);
    tls::write(&certs, "np-test.key", &identity.key_pem);
    tls::write(&certs, "ca.crt", &identity.cert_pem);
    let api_port = listen::closed_port();
    let (url, https, ca) = (&scene.url, &scene.https_url, scene.ca_file.display());
    let services = [
        ("http-ok", "np_http", format!("vars.np_http_url = {url:?}")),
        (
            "cert-warning",
            "np_http",
            format!(
                "vars.np_http_url = {https:?}\n  vars.np_http_cert_min_days = 14\n  \
                 vars.np_http_ca_cert_file = \"{ca}\""
            ),
        ),
        // The port is the host's (a closed one): looked up on the host.
        ("tcp-critical", "np_tcp", String::new()),
        (
            "cert-unknown",
            "np_http",
            format!("vars.np_http_url = {https:?}\n  vars.np_http_cert_min_days = \"two-weeks\""),
        ),
        (
            "file-ok",
            "np_file",
            format!(
                "vars.np_file_path = \"{}\"\n  vars.np_file_max_age = 3600",
                scene.file.display()
            ),
        ),
        // The host's port must not reach a Unix-socket check (set_if guards).
        (
            "socket-ok",
            "np_tcp",
            format!("vars.np_tcp_unix_socket = \"{}\"", scene.socket.display()),
        ),
    ];
    let mut conf = format!(
        "const NodeName = \"np-test\"\nconst ZoneName = \"np-test\"\nconst TicketSalt = \"\"\n\
         const NativePromisesDir = \"{}\"\ninclude <itl>\ninclude \"{}\"\n\
         object Endpoint NodeName {{}}\nobject Zone ZoneName {{ endpoints = [ NodeName ] }}\n\
         object ApiListener \"api\" {{ bind_host = \"127.0.0.1\"; bind_port = {api_port} }}\n\
         object ApiUser \"test\" {{ password = \"test\"; permissions = [ \"*\" ] }}\n\
         object CheckerComponent \"checker\" {{}}\n\
         object Host \"loopback\" {{\n  address = \"127.0.0.1\"\n  check_command = \"dummy\"\n  \
         enable_active_checks = false\n  vars.np_tcp_port = {}\n}}\n",
        plugin_dir(&dir).display(),
        commands.display(),
        scene.closed_port
    );
    for (name, command, vars) in &services {
        conf.push_str(&format!(
            "object Service \"{name}\" {{\n  host_name = \"loopback\"\n  check_command = \"{command}\"\n  \
             check_interval = 2s\n  retry_interval = 2s\n  {vars}\n}}\n"
        ));
    }
    let cfg = dir.join("icinga2.conf");
    fs::write(&cfg, conf).unwrap();
    let d = dir.display();
    let defines = [
        format!("RunAsUser={user}"),
        format!("RunAsGroup={group}"),
        format!("ConfigDir={d}"),
        format!("DataDir={d}/data"),
        format!("LogDir={d}/log"),
        format!("CacheDir={d}/cache"),
        format!("SpoolDir={d}/spool"),
        format!("InitRunDir={d}/run"),
    ];
    let icinga = |extra: &[&str]| {
        let mut command = Command::new(&icinga2);
        command.arg("daemon").args(extra).arg("-c").arg(&cfg);
        for define in &defines {
            command.arg("-D").arg(define);
        }
        command
    };
    let verify = icinga(&["-C"]).output().unwrap();
    assert!(
        verify.status.success(),
        "icinga2 daemon -C {}:\n{}",
        cfg.display(),
        String::from_utf8_lossy(&verify.stdout)
    );
    let _running = Running(
        icinga(&[])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("icinga2 starts"),
    );
    let mut expected = scene.expected();
    expected.push(Expected {
        service: "socket-ok",
        state: 0,
        output: format!("OK: unix socket {} is listening", scene.socket.display()),
        perfdata: "time=",
    });
    let api = format!("https://127.0.0.1:{api_port}/v1/objects/services?attrs=last_check_result");
    assert_verdicts("Icinga 2", &expected, || icinga2_services(&api));
}

/// The checked services, as the Icinga 2 API lists them (empty until it answers).
fn icinga2_services(api: &str) -> Vec<(String, Verdict)> {
    let Ok(out) = Command::new("curl")
        .args(["-sk", "--max-time", "10", "-u", "test:test", api])
        .output()
    else {
        panic!("curl is missing (make test-deps installs it)");
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for result in json["results"].as_array().into_iter().flatten() {
        let check = &result["attrs"]["last_check_result"];
        if check.is_null() {
            continue;
        }
        let perfdata: Vec<&str> = check["performance_data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str)
            .collect();
        found.push((
            result["name"]
                .as_str()
                .unwrap_or("")
                .trim_start_matches("loopback!")
                .to_owned(),
            Verdict {
                state: check["exit_status"].as_i64().unwrap_or(-1),
                output: check["output"].as_str().unwrap_or("").trim_end().to_owned(),
                perfdata: perfdata.join(" "),
            },
        ));
    }
    found
}
