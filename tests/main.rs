//! Black-box tests: they run the built binaries as slapgrid would (no stdin, the
//! working folder set, proxy variables cleared) against real sockets and files
//! on this machine. `PROMISE_BIN_DIR` points them at another build, such as the
//! static release binaries in `dist/bin`.

mod util;

// check-port-listening against TCP (IPv4, IPv6), Unix and abstract listeners.
mod check_port_listening;
// check-file-exists against real files, folders, sockets, FIFOs and links.
mod check_file_exists;
// check-url-available against our HTTP(S) servers and proxy, certificates made at test time.
mod check_url_available;
// check-command with real processes: codes, signals, deadline, no process left behind.
mod check_command;
// check-certificate against certificate files made at test time (rcgen, openssl).
mod check_certificate;
// check-free-disk-space against a tmpfs of a few MiB and the test's own filesystem.
mod check_free_disk_space;
// Conventions every binary shares: --help, --version, --opt=value, bad input.
mod conventions;
// Hostile command lines for every binary: huge, control characters, not UTF-8, absurd numbers.
mod hostile_input;
// check-url-available against peers that misbehave on purpose: bounded time, memory and output.
mod hostile_peers;
// Signals and processes: SIGTERM ends a check at once, no children, no lingering.
mod processes;
// recipe-generator: wrappers run end to end, exec counts, hostile values, conversion.
mod recipe_generator;
// The shipped binaries: static, within their size budgets.
mod dist;
// The one list of promises: promises/, the registry, the Makefile, the release.
mod registry;
// The release tarball and SHA256SUMS next to dist/bin; --version of every binary.
mod release;
// Arguments are data: values never read as options, -h, the deadline whatever the parent did, hosts.
mod arguments;
// Secrets never reach a line: every refusal path with a marker secret.
mod secrets;
// examples/: SlapOS, Docker, Kubernetes and Nagios, run against our loopback services.
mod examples;
