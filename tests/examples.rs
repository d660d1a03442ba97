//! The files in examples/, run here. Where the system itself is not on the
//! build machines (buildout, a Docker engine, a kubelet), each test takes the
//! commands out of the example file as that system would (the wrappers
//! converted and written with recipe-generator, the HEALTHCHECK exec array,
//! the probes' exec commands, the Nagios command lines with their macros) and
//! runs them against our loopback services, only the address and port swapped
//! for ours. Nagios Core and Icinga 2 themselves run their examples in
//! [`monitors`].

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::util::http::{Reply, Request, Server, V4};
use crate::util::tls::{self, Validity};
use crate::util::{Outcome, SHIPPED, bin, listen, run_in, run_program, temp_dir};

const VERSION: &str = env!("CARGO_PKG_VERSION");

mod monitors;

fn example(path: &str) -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(path);
    fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// `dir/np-bin`, a short link to the binaries under test, so that wrappers
/// name them directly (`#!BINARY --baked`) wherever the build lives.
fn bin_link(dir: &Path) -> PathBuf {
    let link = dir.join("np-bin");
    std::os::unix::fs::symlink(bin("recipe-generator").parent().unwrap(), &link)
        .expect("symlink to the binaries");
    link
}

/// Runs an example's command (program first), the program being one of our
/// binaries under the example's path, such as /usr/local/bin/NAME.
fn run_command(argv: &[String]) -> Outcome {
    let name = argv[0].rsplit('/').next().unwrap();
    assert!(SHIPPED.contains(&name), "{} is not ours", argv[0]);
    run_program(&bin(name), &argv[0], &argv[1..], None)
}

/// `argv` with the example's service on 127.0.0.1:8080 moved to `port`.
fn on_port(argv: &[String], port: u16) -> Vec<String> {
    let moved: Vec<String> = argv
        .iter()
        .map(|a| match a.as_str() {
            "8080" => port.to_string(),
            _ => a.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}")),
        })
        .collect();
    assert_ne!(moved, argv, "the example names no 127.0.0.1:8080");
    moved
}

/// The value after option `name` in `argv`.
fn option<'a>(argv: &'a [String], name: &str) -> &'a str {
    let at = argv
        .iter()
        .position(|a| a == name)
        .unwrap_or_else(|| panic!("{name} missing from {argv:?}"));
    &argv[at + 1]
}

/// An HTTP(S) server on 127.0.0.1 giving every request the reply of the moment.
struct Service {
    server: Server,
    reply: Arc<Mutex<Reply>>,
}

impl Service {
    fn start(tls: Option<Arc<rustls::ServerConfig>>) -> Service {
        let reply = Arc::new(Mutex::new(Reply::status(200)));
        let current = reply.clone();
        let handler = move |_: &Request| current.lock().unwrap().clone();
        let server = match tls {
            Some(config) => Server::https(V4, config, handler),
            None => Server::http(V4, handler),
        }
        .expect("a server on 127.0.0.1");
        Service { server, reply }
    }

    fn answer(&self, status: u16, body: &str) {
        *self.reply.lock().unwrap() = Reply::text(status, body);
    }

    fn port(&self) -> u16 {
        self.server.address.port()
    }
}

// --- SlapOS -----------------------------------------------------------------

/// A buildout file as buildout reads it, as far as the examples need: sections,
/// `key = value`, indented continuation lines, comments, `<= base` macros and
/// `${section:key}` substitutions.
struct Buildout(BTreeMap<String, BTreeMap<String, String>>);

impl Buildout {
    fn parse(text: &str) -> Buildout {
        let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let (mut section, mut key) = (String::new(), String::new());
        for line in text.lines() {
            if line.starts_with([' ', '\t']) && !line.trim().is_empty() {
                let value = sections
                    .get_mut(&section)
                    .and_then(|s| s.get_mut(&key))
                    .expect("a continuation line follows an option");
                value.push('\n');
                value.push_str(line.trim());
                continue;
            }
            let line = line.trim();
            if line.is_empty() || line.starts_with(['#', ';']) {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.to_owned();
                sections.entry(section.clone()).or_default();
                continue;
            }
            let (k, v) = line.split_once('=').expect("key = value");
            key = k.trim().to_owned();
            sections
                .get_mut(&section)
                .expect("an option inside a section")
                .insert(key.clone(), v.trim().to_owned());
        }
        let raw = sections.clone();
        for options in sections.values_mut() {
            for value in options.values_mut() {
                *value = value.trim().to_owned();
            }
            if let Some(base) = options.remove("<") {
                let mut merged = raw[&base].clone();
                merged.extend(options.iter().map(|(k, v)| (k.clone(), v.clone())));
                *options = merged;
            }
        }
        Buildout(sections)
    }

    fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.0.get(section)?.get(key).map(String::as_str)
    }

    /// `section:key` with every `${...}` substituted, looked up in this file,
    /// then in `others`.
    fn resolved(&self, section: &str, key: &str, others: &[&Buildout]) -> String {
        let value = std::iter::once(self)
            .chain(others.iter().copied())
            .find_map(|b| b.get(section, key))
            .unwrap_or_else(|| panic!("${{{section}:{key}}} is not defined"));
        let mut out = String::new();
        let mut rest = value;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = start + rest[start..].find('}').expect("a closing }");
            let (s, k) = rest[start + 2..end]
                .split_once(':')
                .expect("${section:key}");
            out.push_str(&self.resolved(if s.is_empty() { section } else { s }, k, others));
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// The before: the partition's `.installed.cfg` converted by recipe-generator
/// into wrappers that run against our frontend and MariaDB socket. The after:
/// the instance profile fragment writes the very same wrappers (`unchanged`).
#[test]
fn slapos_before_converts_and_the_after_fragment_writes_the_same_wrappers() {
    let partition = temp_dir("example-slapos");
    for folder in ["etc/promise", "etc/plugin", "var/run"] {
        fs::create_dir_all(partition.join(folder)).unwrap();
    }
    let p = s(&partition);
    let bin_dir = bin_link(&partition);
    let identity = tls::self_signed(&tls::LOOPBACK, Validity::Year);
    let frontend = Service::start(Some(tls::server_config(&identity, None)));
    let url = format!("https://127.0.0.1:{}/", frontend.port());
    let mut mariadb = Some(listen::unix(&partition.join("var/run/mariadb.sock")));

    // What the partition records, with its path and the frontend's address ours.
    let installed = example("slapos/before/installed.cfg")
        .replace("/srv/slapgrid/slappart3", &p)
        .replace(
            "[2001:db8:24::7]:4443",
            &format!("127.0.0.1:{}", frontend.port()),
        );
    let cfg = partition.join(".installed.cfg");
    fs::write(&cfg, &installed).unwrap();
    let promise_dir = partition.join("etc/promise");
    let out = run_in(
        "recipe-generator",
        [
            "convert",
            &s(&cfg),
            "--bin-dir",
            &s(&bin_dir),
            "--promise-dir",
            &s(&promise_dir),
        ],
        Some(&partition),
    );
    assert_eq!(
        (out.code, out.stderr.as_str(), out.stdout.as_str()),
        (
            Some(0),
            "",
            format!(
                "written: {p}/etc/promise/check-frontend ([frontend-promise] check-url-available, run directly)\n\
                 written: {p}/etc/promise/check-mariadb ([mariadb-promise] check-port-listening, run directly)\n\
                 done: 2 written, 0 unchanged, 0 skipped, 3 other parts left alone; 1 cookbook part converted in place: \
                 the next buildout run that installs it rewrites its file, change the profile to keep the wrappers\n"
            )
            .as_str()
        ),
        "{out}"
    );

    // Run as slapgrid runs them: no arguments, from the partition.
    let promise = |name: &str| {
        let wrapper = promise_dir.join(name);
        run_program(&wrapper, &s(&wrapper), Vec::<&str>::new(), Some(&partition))
    };
    frontend.answer(401, "");
    promise("check-frontend").expect_parts(0, &format!("OK: {url} returned 401 in "), &[]);
    frontend.answer(503, "");
    promise("check-frontend").expect(
        2,
        &format!("CRITICAL: {url} returned 503, expected 200 or 401"),
    );
    promise("check-mariadb").expect_parts(
        0,
        &format!("OK: unix socket {p}/var/run/mariadb.sock is listening ("),
        &[],
    );
    mariadb.take();
    promise("check-mariadb").expect(
        2,
        &format!(
            "CRITICAL: unix socket {p}/var/run/mariadb.sock is not listening: connection refused"
        ),
    );

    // The after: the fragment rendered as the software release renders it,
    // each part's recipe-generator call made as its update code makes it.
    let fragment = Buildout::parse(
        &example("slapos/instance-promises.cfg.in")
            .replace("{{ native_promises_bin }}", &s(&bin_dir)),
    );
    let installed = Buildout::parse(&installed);
    let mut written = Vec::new();
    for (section, options) in &fragment.0 {
        let Some(name) = options.get("promise") else {
            continue;
        };
        let output = fragment.resolved(section, "output", &[&installed]);
        let args = fragment.resolved(section, "args", &[&installed]);
        let mut argv = vec![
            "write".to_owned(),
            "--output".into(),
            output.clone(),
            "--promise".into(),
            name.clone(),
            "--bin-dir".into(),
            fragment.resolved(section, "bin-dir", &[]),
            "--".into(),
        ];
        argv.extend(args.lines().map(str::to_owned));
        run_in("recipe-generator", argv, Some(&partition))
            .expect(0, &format!("unchanged: {output} ({name}, run directly)"));
        written.push(output);
    }
    assert_eq!(
        written,
        [
            format!("{p}/etc/promise/check-frontend"),
            format!("{p}/etc/promise/check-mariadb")
        ]
    );
}

/// software.cfg pins the release by version and SHA-256, the hash documented as
/// the one on the tarball's line of SHA256SUMS (`HASH  NAME`).
#[test]
fn slapos_component_pins_the_release_tarball_by_its_sha256() {
    let software = Buildout::parse(&example("slapos/software.cfg"));
    let get = |key: &str| software.resolved("native-promises", key, &[]);
    assert_eq!(get("version"), VERSION, "software.cfg pins another version");
    let tarball = format!("native-promises-{VERSION}-x86_64-linux-musl.tar.gz");
    assert!(
        get("url").ends_with(&format!("/{tarball}")),
        "url {} does not name {tarball}",
        get("url")
    );
    // slapos_promise lists what the shared part holds: every shipped binary.
    let listed: Vec<String> = get("slapos_promise")
        .split_whitespace()
        .map(|w| w.trim_start_matches("file:bin/").to_owned())
        .collect();
    let mut shipped: Vec<String> = SHIPPED.iter().map(str::to_owned).collect();
    shipped.sort();
    assert_eq!(listed, shipped, "software.cfg's slapos_promise");
    let sha256 = get("sha256");
    assert!(
        sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "sha256 is not 64 lowercase hex digits: {sha256}"
    );
    let documented = format!("#   {sha256}  {tarball}");
    assert!(
        example("slapos/software.cfg")
            .lines()
            .any(|l| l == documented),
        "software.cfg does not show its SHA256SUMS line {documented:?}"
    );
    let dockerfile = example("docker/Dockerfile");
    assert!(
        dockerfile.contains(&format!("ARG NP_SHA256_AMD64={sha256}\n")),
        "the Dockerfile pins another x86_64 tarball than software.cfg"
    );
    // Multi-arch: Docker's TARGETARCH picks the tarball and its hash.
    let arm64 = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("ARG NP_SHA256_ARM64="))
        .expect("an arm64 hash");
    assert!(
        arm64.len() == 64
            && arm64
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "NP_SHA256_ARM64 is not a SHA-256: {arm64}"
    );
    for mapping in [
        "amd64) arch=x86_64 sha256=\"$NP_SHA256_AMD64\"",
        "arm64) arch=aarch64 sha256=\"$NP_SHA256_ARM64\"",
        "name=\"native-promises-${NP_VERSION}-${arch}-linux-musl\"",
        "ARG TARGETARCH\n",
    ] {
        assert!(
            dockerfile.contains(mapping),
            "the Dockerfile lacks {mapping:?}"
        );
    }
}

// --- Docker -----------------------------------------------------------------

/// The HEALTHCHECK instruction: its options and its exec-form command.
fn healthcheck(dockerfile: &str) -> (Vec<String>, Vec<String>) {
    let joined = dockerfile.replace("\\\n", " ");
    let line = joined
        .lines()
        .find_map(|l| l.strip_prefix("HEALTHCHECK "))
        .expect("a HEALTHCHECK");
    let (options, command) = line.split_once(" CMD ").expect("HEALTHCHECK ... CMD");
    let options = options.split_whitespace().map(str::to_owned).collect();
    (options, json_strings(command.trim()))
}

/// A JSON array of strings, as the exec form writes it.
fn json_strings(text: &str) -> Vec<String> {
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .expect("the exec form: a JSON array");
    let mut items = Vec::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.find(|c| !c.is_whitespace() && *c != ',') {
        assert_eq!(c, '"', "the exec form holds strings only: {text}");
        let mut item = String::new();
        loop {
            match chars.next().expect("a closing quote") {
                '"' => break,
                '\\' => item.push(chars.next().expect("an escaped character")),
                c => item.push(c),
            }
        }
        items.push(item);
    }
    items
}

#[test]
fn docker_healthcheck_exec_form_runs_against_our_service() {
    let dockerfile = example("docker/Dockerfile");
    let final_stage = dockerfile
        .lines()
        .rfind(|l| l.starts_with("FROM "))
        .unwrap();
    assert_eq!(final_stage, "FROM scratch");
    let (options, command) = healthcheck(&dockerfile);
    assert!(
        dockerfile
            .lines()
            .any(|l| l.starts_with("COPY --from=") && l.ends_with(&format!(" {}", command[0]))),
        "no COPY puts {} into the image",
        command[0]
    );
    // Our deadline ends the check before Docker's, so that our line is kept.
    let docker_timeout: f64 = options
        .iter()
        .find_map(|o| o.strip_prefix("--timeout="))
        .and_then(|t| t.strip_suffix('s'))
        .expect("HEALTHCHECK --timeout=Ns")
        .parse()
        .unwrap();
    let ours: f64 = option(&command, "--timeout").parse().unwrap();
    assert!(
        ours < docker_timeout,
        "--timeout {ours} is not below Docker's {docker_timeout} s"
    );

    let service = Service::start(None);
    let command = on_port(&command, service.port());
    let url = option(&command, "--url").to_owned();
    assert_eq!(url, format!("http://127.0.0.1:{}/healthz", service.port()));
    service.answer(200, "ok");
    run_command(&command).expect_parts(0, &format!("OK: {url} returned 200 in "), &[]);
    service.answer(503, "starting");
    run_command(&command).expect(2, &format!("CRITICAL: {url} returned 503, expected 200"));
}

// --- Kubernetes -------------------------------------------------------------

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// A YAML plain or quoted scalar, as the probes write them.
fn yaml_scalar(text: &str) -> String {
    if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        inner.replace("''", "'")
    } else if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        assert!(!inner.contains('\\'), "escapes not handled here: {text}");
        inner.to_owned()
    } else {
        text.to_owned()
    }
}

/// A probe's exec command (a block list) and its timeoutSeconds.
fn probe(yaml: &str, name: &str) -> (Vec<String>, f64) {
    let lines: Vec<&str> = yaml.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == format!("{name}:"))
        .unwrap_or_else(|| panic!("no {name}"));
    let block: Vec<&str> = lines[start + 1..]
        .iter()
        .take_while(|l| indent(l) > indent(lines[start]))
        .copied()
        .collect();
    let at = block
        .iter()
        .position(|l| l.trim() == "command:")
        .unwrap_or_else(|| panic!("{name} has no exec command"));
    let command = block[at + 1..]
        .iter()
        .map(|l| l.trim())
        .map_while(|l| l.strip_prefix("- "))
        .map(yaml_scalar)
        .collect();
    let timeout = block
        .iter()
        .find_map(|l| l.trim().strip_prefix("timeoutSeconds:"))
        .unwrap_or_else(|| panic!("{name} has no timeoutSeconds"))
        .trim()
        .parse()
        .unwrap();
    (command, timeout)
}

#[test]
fn kubernetes_exec_probes_run_against_our_service() {
    let yaml = example("kubernetes/deployment.yaml");
    let dockerfile = example("docker/Dockerfile");
    for name in ["livenessProbe", "readinessProbe"] {
        let (command, timeout_seconds) = probe(&yaml, name);
        let ours: f64 = option(&command, "--timeout").parse().unwrap();
        assert!(
            ours < timeout_seconds,
            "{name}: --timeout {ours} is not below timeoutSeconds {timeout_seconds}"
        );
        assert!(
            dockerfile
                .lines()
                .any(|l| l.starts_with("COPY --from=") && l.ends_with(&format!(" {}", command[0]))),
            "{name} runs {}, which the image of ../docker lacks",
            command[0]
        );
    }

    let (liveness, _) = probe(&yaml, "livenessProbe");
    let listener = listen::tcp4();
    let port = listener.local_addr().unwrap().port();
    run_command(&on_port(&liveness, port)).expect_parts(
        0,
        &format!("OK: 127.0.0.1:{port} is listening (127.0.0.1:{port} accepted in "),
        &[],
    );
    let closed = listen::closed_port();
    run_command(&on_port(&liveness, closed)).expect(
        2,
        &format!(
            "CRITICAL: 127.0.0.1:{closed} is not listening: 127.0.0.1:{closed} connection refused"
        ),
    );

    let (readiness, _) = probe(&yaml, "readinessProbe");
    let service = Service::start(None);
    let readiness = on_port(&readiness, service.port());
    let url = option(&readiness, "--url").to_owned();
    service.answer(200, r#"{"status":"ready"}"#);
    run_command(&readiness).expect_parts(
        0,
        &format!("OK: {url} returned 200 in "),
        &[r#", body contains '"status":"ready"'"#],
    );
    service.answer(200, r#"{"status":"starting"}"#);
    run_command(&readiness).expect(
        2,
        &format!(
            r#"CRITICAL: {url} returned 200 but the body (21 bytes) does not contain '"status":"ready"'"#
        ),
    );
}

// --- Nagios -----------------------------------------------------------------

/// command_name → command_line of every `define command` block.
fn nagios_commands(cfg: &str) -> BTreeMap<String, String> {
    let mut commands = BTreeMap::new();
    let (mut name, mut line) = (None, None);
    for l in cfg.lines().map(str::trim) {
        if let Some(v) = l.strip_prefix("command_name") {
            name = Some(v.trim().to_owned());
        } else if let Some(v) = l.strip_prefix("command_line") {
            line = Some(v.trim().to_owned());
        } else if l == "}" {
            commands.insert(
                name.take().expect("command_name"),
                line.take().expect("command_line"),
            );
        }
    }
    commands
}

/// Runs `command` as Nagios does: macros substituted ($ARGn$ missing = empty),
/// the line handed to /bin/sh since it holds quotes.
fn nagios(commands: &BTreeMap<String, String>, command: &str, args: &[&str]) -> Outcome {
    let bin_dir = bin("check-url-available").parent().unwrap().to_owned();
    // Under emulation, the shell runs the runner with the binary.
    let runner = crate::util::runner::shell_prefix(&bin("check-url-available"));
    let mut line = commands[command]
        .replace("$USER1$/", &format!("{runner}{}/", s(&bin_dir)))
        .replace("$HOSTADDRESS$", "127.0.0.1");
    for n in 1..=9 {
        line = line.replace(&format!("$ARG{n}$"), args.get(n - 1).copied().unwrap_or(""));
    }
    assert!(!line.contains('$'), "a macro is left in {line}");
    run_program(Path::new("/bin/sh"), command, ["-c", &line], None)
}

/// The performance data of a line: what follows ` | `.
fn perfdata(line: &str) -> &str {
    line.split_once(" | ")
        .unwrap_or_else(|| panic!("no performance data in {line:?}"))
        .1
}

/// `time=S.SSSSSSs;;;0;10.000000`: a response time within the default deadline.
fn assert_time(perf: &str) {
    let (seconds, rest) = perf
        .strip_prefix("time=")
        .and_then(|p| p.split_once('s'))
        .unwrap_or_else(|| panic!("not time=...s: {perf:?}"));
    let (whole, micros) = seconds.split_once('.').expect("seconds with decimals");
    assert!(
        whole.parse::<u64>().is_ok() && micros.len() == 6 && micros.parse::<u32>().is_ok(),
        "{perf:?}"
    );
    assert_eq!(rest, ";;;0;10.000000", "{perf:?}");
}

#[test]
fn nagios_commands_exit_0_1_2_3_with_performance_data() {
    let commands = nagios_commands(&example("nagios/commands.cfg"));
    assert_eq!(
        commands.keys().collect::<Vec<_>>(),
        [
            "np_check_cert",
            "np_check_file_age",
            "np_check_http",
            "np_check_tcp"
        ]
    );
    let dir = temp_dir("example-nagios");

    // np_check_http: 0 with the response time, 2 without performance data.
    let service = Service::start(None);
    let url = format!("http://127.0.0.1:{}/", service.port());
    service.answer(200, "shop");
    let ok = nagios(&commands, "np_check_http", &[&url]);
    let line = ok.line(0);
    assert!(
        line.starts_with(&format!("OK: {url} returned 200 in ")),
        "{ok}"
    );
    assert_time(perfdata(line));
    service.answer(500, "");
    nagios(&commands, "np_check_http", &[&url, "--http-code 200-399"]).expect(
        2,
        &format!("CRITICAL: {url} returned 500, expected 200-399"),
    );

    // np_check_cert: 0 with a year left, 1 within the threshold, 3 for a bad
    // threshold; verified against our CA ($ARG3$).
    let ca = tls::Ca::new("native-promises example CA");
    let ca_file = tls::write(&dir, "ca.pem", &ca.pem());
    let extra = format!("--ca-cert-file {}", s(&ca_file));
    let days = Duration::from_secs(86_400);
    // Certificates are made now, with whole seconds: the days left may round either way.
    for (validity, code, status, days_left) in [
        (Validity::Year, 0, "OK", 364..=365),
        (Validity::EndsIn(5 * days), 1, "WARNING", 4..=5),
    ] {
        let identity = ca.server(&tls::LOOPBACK, validity);
        let site = Service::start(Some(tls::server_config(&identity, None)));
        let url = format!("https://127.0.0.1:{}/", site.port());
        let out = nagios(&commands, "np_check_cert", &[&url, "14", &extra]);
        let line = out.line(code);
        assert!(
            line.starts_with(&format!("{status}: {url} returned 200 in ")),
            "{out}"
        );
        let perf = perfdata(line);
        let (time, cert) = perf.split_once(' ').expect("time and cert_days");
        assert_time(time);
        let left = cert
            .strip_prefix("cert_days=")
            .and_then(|c| c.strip_suffix(";14:;0:;0"))
            .and_then(|d| d.parse::<u32>().ok())
            .unwrap_or_else(|| panic!("not cert_days=N;14:;0:;0 {out}"));
        assert!(days_left.contains(&left), "{out}");
    }
    nagios(&commands, "np_check_cert", &[&url, "two-weeks", &extra]).expect_parts(
        3,
        "UNKNOWN: Error parsing option '--cert-min-days' with value 'two-weeks': ",
        &[],
    );

    // np_check_tcp on $HOSTADDRESS$: 0 with the connect time, 2 when refused.
    let listener = listen::tcp4();
    let port = listener.local_addr().unwrap().port().to_string();
    let ok = nagios(&commands, "np_check_tcp", &[&port]);
    let line = ok.line(0);
    assert!(
        line.starts_with(&format!("OK: 127.0.0.1:{port} is listening (")),
        "{ok}"
    );
    assert_time(perfdata(line));
    let closed = listen::closed_port().to_string();
    nagios(&commands, "np_check_tcp", &[&closed]).expect(
        2,
        &format!(
            "CRITICAL: 127.0.0.1:{closed} is not listening: 127.0.0.1:{closed} connection refused"
        ),
    );

    // np_check_file_age: 0 with age and size, 2 when missing.
    let file = dir.join("backup.done");
    fs::write(&file, "done\n").unwrap();
    let ok = nagios(&commands, "np_check_file_age", &[&s(&file), "3600"]);
    let line = ok.line(0);
    assert!(
        line.starts_with(&format!("OK: {} exists (file, 5 bytes", s(&file))),
        "{ok}"
    );
    let perf = perfdata(line);
    let (age, size) = perf.split_once(' ').expect("age and size");
    let seconds = age
        .strip_prefix("age=")
        .and_then(|a| a.strip_suffix("s;;3600;0"))
        .unwrap_or_else(|| panic!("{perf:?}"));
    assert!(seconds.parse::<u64>().is_ok_and(|s| s < 60), "{perf:?}");
    assert_eq!(size, "size=5B;;;0");
    nagios(
        &commands,
        "np_check_file_age",
        &[&s(&dir.join("missing")), "3600"],
    )
    .expect_parts(2, &format!("CRITICAL: {} ", s(&dir.join("missing"))), &[]);
}
