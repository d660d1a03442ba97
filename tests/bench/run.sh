#!/usr/bin/env bash
# `make bench`: our static binaries against what SlapOS nodes run today, measured
# side by side in one run on loopback, printed as a Markdown table on stdout
# (progress goes to stderr).
#
# Targets: nginx bound to 127.0.0.1 and ::1 (HTTP and HTTPS with a certificate
# made here), a regular file, the partition's filesystem and certificate and the
# monitor stack's status files. Contenders: the legacy recipes' scripts (CPython
# socket.create_connection, dash + curl with the recipe's flags, dash `test -f`),
# monitoring-plugins (check_tcp, check_http, check_curl) and the monitor stack's
# slapos.toolbox plugins (check_command_execute too, with the shell alone beside
# it), each run as slapgrid runs it (a CPython importing the
# plugin and calling sense(): tests/bench/plugin.py) from a virtualenv made once
# in BENCH_VENV. Installs what it needs from Debian and PyPI when missing. Every
# loop is bounded; nginx is stopped and the work folder removed on any exit.
#
# Knobs: BENCH_RUNS (hyperfine runs per command, default 200), BENCH_ROUNDS (5),
# BENCH_WARMUP (10 per round),
# BENCH_NODE_RUNS (node simulation, default 1000), BENCH_CALLGRIND (1: count
# instructions with valgrind), PROMISE_BIN_DIR (default dist/bin), BENCH_VENV
# (the plugins' virtualenv, default target/bench-venv).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/bench
bin=${PROMISE_BIN_DIR:-$root/dist/bin}
runs=${BENCH_RUNS:-200}
warmup=${BENCH_WARMUP:-10}
node_runs=${BENCH_NODE_RUNS:-1000}
callgrind=${BENCH_CALLGRIND:-1}
plugins=/usr/lib/nagios/plugins
# The real interpreter, as the legacy recipe's shebang named it (no pyenv shim).
python=/usr/bin/python3
# The slapos.toolbox release whose plugins are measured (its dependencies as pip resolves them).
toolbox=slapos.toolbox==0.170
venv=${BENCH_VENV:-$root/target/bench-venv}

# Loopback only: no proxy may turn a request for 127.0.0.1 into anything else.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

say() { printf 'bench: %s\n' "$*" >&2; }

install_missing() {
	local missing=()
	command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
	[ -x /usr/bin/time ] || missing+=(time)
	[ -x /usr/sbin/nginx ] || missing+=(nginx-light)
	[ -x $plugins/check_tcp ] && [ -x $plugins/check_http ] || missing+=(monitoring-plugins-basic)
	# check_curl needs liburiparser1, which the package only recommends.
	if [ -x $plugins/check_curl ]; then
		case $(ldd $plugins/check_curl 2>&1) in *"not found"*) missing+=(liburiparser1) ;; esac
	else
		missing+=(monitoring-plugins-standard liburiparser1)
	fi
	[ -x /bin/dash ] || missing+=(dash)
	command -v curl >/dev/null 2>&1 || missing+=(curl)
	[ -x $python ] || missing+=(python3)
	[ -x $python ] && $python -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
	command -v openssl >/dev/null 2>&1 || missing+=(openssl)
	if [ "$callgrind" = 1 ]; then
		command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		say "installing ${missing[*]}"
		apt-get update -qq >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	fi
}

work=$(mktemp -d /tmp/native-promises-bench.XXXXXX)
chmod 755 "$work"
nginx_pid=
cleanup() {
	if [ -n "$nginx_pid" ]; then
		# SIGTERM: nginx stops its worker and exits; bounded wait for the master.
		kill "$nginx_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			case $(ps -o stat= -p "$nginx_pid" 2>/dev/null) in '' | Z*) break ;; esac
			sleep 0.1
		done
		kill -KILL "$nginx_pid" 2>/dev/null || true
		wait "$nginx_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The monitor stack's plugins come from PyPI (slapos.toolbox and slapos.core
# with their dependencies), into a virtualenv kept between runs.
plugin_venv() {
	if "$venv/bin/python" -c 'import slapos.promise.plugin.check_free_disk_space, slapos.promise.plugin.check_certificate, slapos.promise.plugin.check_command_execute' 2>/dev/null; then
		return 0
	fi
	say "installing $toolbox into $venv (once: a few minutes)"
	rm -rf "$venv"
	$python -m venv "$venv" >&2 && "$venv/bin/pip" install -q "$toolbox" >&2
}

install_missing
have_plugins=0
if plugin_venv; then have_plugins=1; else say "cannot install $toolbox: the plugins are not measured"; fi
have_command=0
[ -x "$bin/check-command" ] && have_command=1
# Short runs are the ones a busy machine distorts most: a process forked while
# other jobs fill both cores waits milliseconds for one, which dwarfs a 0.3 ms
# check but not a 25 ms Python start. Where we may, the bench (nginx and every
# contender alike) runs ahead of other work, like on an otherwise idle machine.
renice -n -10 $$ > /dev/null 2>&1 || say "cannot raise priority: timings include waits for other jobs"
for b in check-port-listening check-file-exists; do
	[ -x "$bin/$b" ] || { say "$bin/$b is missing: run make dist first"; exit 1; }
done
have_url=0
[ -x "$bin/check-url-available" ] && have_url=1
have_disk=0
[ -x "$bin/check-free-disk-space" ] && have_disk=1
have_cert=0
[ -x "$bin/check-certificate" ] && have_cert=1

ports=$($python "$here/node.py" free-ports 2)
http_port=${ports% *}
https_port=${ports#* }
ipv6=0
$python -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null && ipv6=1

# A CA and a server certificate for 127.0.0.1, ::1 and localhost (ECDSA P-256).
say "making certificates and starting nginx on 127.0.0.1:$http_port (HTTP) and :$https_port (HTTPS)"
(
	cd "$work"
	openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 2 \
		-subj '/CN=native-promises bench CA' -keyout ca.key -out ca.pem 2>/dev/null
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-subj '/CN=localhost' -keyout server.key -out server.csr 2>/dev/null
	printf '%s\n' 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost' \
		'basicConstraints=CA:FALSE' 'extendedKeyUsage=serverAuth' > server.ext
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile server.ext -out server.pem 2>/dev/null
)
mkdir -p "$work/www" "$work/nginx-tmp"
printf 'native-promises bench page\n' > "$work/www/index.html"
listen() { # port [ssl]
	echo "listen 127.0.0.1:$1 $2;"
	[ "$ipv6" = 1 ] && echo "listen [::1]:$1 $2;"
	return 0
}
{
	[ "$(id -u)" = 0 ] && echo 'user nobody nogroup;'
	cat <<EOF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $work/nginx-tmp/body;
	proxy_temp_path $work/nginx-tmp/proxy;
	fastcgi_temp_path $work/nginx-tmp/fastcgi;
	uwsgi_temp_path $work/nginx-tmp/uwsgi;
	scgi_temp_path $work/nginx-tmp/scgi;
	server {
		$(listen "$http_port" "")
		root $work/www;
	}
	server {
		$(listen "$https_port" ssl)
		ssl_certificate $work/server.pem;
		ssl_certificate_key $work/server.key;
		# nginx 1.22 (Debian 12) offers TLS 1.2 only by default; today's servers do 1.3.
		ssl_protocols TLSv1.2 TLSv1.3;
		root $work/www;
	}
}
EOF
} > "$work/nginx.conf"
# In the foreground as our child, so that cleanup stops (and reaps) it by its id.
/usr/sbin/nginx -p "$work" -c "$work/nginx.conf" -e "$work/nginx-error.log" < /dev/null &
nginx_pid=$!
for _ in $(seq 50); do
	curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$http_port/" && break
	kill -0 "$nginx_pid" 2>/dev/null || { cat "$work/nginx-error.log" >&2; exit 1; }
	sleep 0.1
done

# The partition: the legacy scripts as the recipes wrote them, and our wrappers
# (what recipe-generator writes: the binary is the interpreter, arguments baked).
part=$work/partition
mkdir -p "$part/etc/promise" "$part/var/run"
echo 20 > "$part/etc/promise_timeout"
file=$part/var/run/service.pid
echo 4242 > "$file"
http_url="http://127.0.0.1:$http_port/"
https_url="https://127.0.0.1:$https_port/"

legacy_port() { # name host port
	cat > "$part/etc/promise/$1" <<EOF
#!$python
# The shape of SlapOS's check_port_listening recipe: every address in turn, no timeout.
import socket
import sys
try:
    socket.create_connection(("$2", $3)).close()
except (socket.error, socket.timeout):
    sys.stderr.write("$2 on $3 isn't listening\n")
    sys.exit(127)
EOF
	chmod 700 "$part/etc/promise/$1"
}
legacy_url() { # name url
	cat > "$part/etc/promise/$1" <<EOF
#!/bin/dash
# The shape of SlapOS's check_url_available recipe: curl, TLS not verified,
# redirects followed, the timeout read from the partition at every run.
URL='$2'
TIMEOUT=20
if [ -f '$part/etc/promise_timeout' ]; then
  read TIMEOUT < '$part/etc/promise_timeout' || TIMEOUT=20
fi
CODE=\$(/usr/bin/curl -g -k -s -L -o /dev/null -w '%{http_code}' --max-time "\$TIMEOUT" "\$URL")
if [ "\$CODE" = 000 ]; then
  echo "\$URL is not available (server not reachable)." >&2
  exit 1
fi
if [ "\$CODE" != 200 ]; then
  echo "\$URL is not available (returned \$CODE, expected 200)." >&2
  exit 2
fi
EOF
	chmod 700 "$part/etc/promise/$1"
}
legacy_file() { # name path
	printf '#!/bin/dash\ntest -f %s\n' "$2" > "$part/etc/promise/$1"
	chmod 700 "$part/etc/promise/$1"
}
ours() { # name binary args...
	local name=$1 binary=$2
	shift 2
	{
		printf '#!%s --baked\n# bench wrapper\n\n' "$bin/$binary"
		printf '%s\n' "$@"
	} > "$part/etc/promise/$name"
	chmod 700 "$part/etc/promise/$name"
}
# The monitor stack's files: slapgrid's error log absent (the partition deployed),
# the bootstrap's status empty and its pid gone (it ended well); the collector's
# rows for this minute, which check_free_disk_space reads.
mkdir -p "$part/srv/monitor" "$part/var/run/monitor" "$part/var/log"
: > "$part/srv/monitor/monitor-bootstrap-status"
echo 999999 > "$part/var/run/monitor/monitor-bootstrap.pid"
error_log=$part/.slapgrid-$(basename "$part")-error.log
vpy=$venv/bin/python
if [ "$have_plugins" = 1 ]; then
	$vpy "$here/plugin.py" collector-db "$part" "$work" || have_plugins=0
fi

legacy_port legacy-port 127.0.0.1 "$http_port"
legacy_url legacy-http "$http_url"
legacy_url legacy-https "$https_url"
legacy_file legacy-file "$file"
ours ours-port check-port-listening --host 127.0.0.1 --port "$http_port"
ours ours-file check-file-exists --path "$file" --type file
if [ "$have_url" = 1 ]; then
	ours ours-http check-url-available --url "$http_url"
	ours ours-https check-url-available --url "$https_url" --insecure
fi

# Every measured command: group|label|command (split by hyperfine, no shell).
url_missing="not in $bin (make dist builds the Makefile's BINARIES)"
{
	echo "port|check-port-listening|$bin/check-port-listening --host 127.0.0.1 --port $http_port"
	echo "port|Python create_connection (legacy recipe)|$part/etc/promise/legacy-port"
	echo "port|check_tcp|$plugins/check_tcp -H 127.0.0.1 -p $http_port"
	if [ "$have_url" = 1 ]; then
		echo "http|check-url-available|$bin/check-url-available --url $http_url"
	else
		echo "http|check-url-available|MISSING"
	fi
	echo "http|dash + curl (legacy recipe)|$part/etc/promise/legacy-http"
	echo "http|check_http|$plugins/check_http -I 127.0.0.1 -p $http_port -u /"
	echo "http|check_curl|$plugins/check_curl -I 127.0.0.1 -p $http_port -u /"
	if [ "$have_url" = 1 ]; then
		echo "https|check-url-available -k|$bin/check-url-available --url $https_url --insecure"
	else
		echo "https|check-url-available -k|MISSING"
	fi
	echo "https|dash + curl -k (legacy recipe)|$part/etc/promise/legacy-https"
	echo "https|check_http -S|$plugins/check_http -I 127.0.0.1 -p $https_port -S -u /"
	echo "https|check_curl -S|$plugins/check_curl -I 127.0.0.1 -p $https_port -S -u /"
	echo "file|check-file-exists|$bin/check-file-exists --path $file"
	echo "file|dash -c 'test -f FILE'|/bin/dash -c 'test -f $file'"
	# The monitor stack: ours as recipe-generator's monitor_kinds maps each plugin.
	plugin="$vpy $here/plugin.py $part"
	if [ "$have_disk" = 1 ]; then
		echo "disk|check-free-disk-space|$bin/check-free-disk-space --path $part"
	else
		echo "disk|check-free-disk-space|MISSING"
	fi
	if [ "$have_cert" = 1 ]; then
		echo "cert|check-certificate|$bin/check-certificate --cert-file $work/server.pem --key-file $work/server.key --days 1"
	else
		echo "cert|check-certificate|MISSING"
	fi
	echo "deploy|check-file-exists --state absent-or-empty|$bin/check-file-exists --path $error_log --state absent-or-empty"
	echo "bootstrap|check-file-exists --state empty|$bin/check-file-exists --path $part/srv/monitor/monitor-bootstrap-status --state empty --type file"
	if [ "$have_plugins" = 1 ]; then
		echo "disk|plugin check_free_disk_space (CPython)|$plugin check_free_disk_space collectordb=$work/collector.db"
		echo "cert|plugin check_certificate (CPython)|$plugin check_certificate certificate=$work/server.pem key=$work/server.key certificate-expiration-days=1"
		echo "deploy|plugin check_partition_deployment_state (CPython)|$plugin check_partition_deployment_state"
		echo "bootstrap|plugin monitor_bootstrap_status (CPython)|$plugin monitor_bootstrap_status process-pid-file=$part/var/run/monitor/monitor-bootstrap.pid process-name=bootstrap-monitor status-file=$part/srv/monitor/monitor-bootstrap-status"
	fi
	if [ "$have_command" = 1 ]; then
		echo "command|check-command|$bin/check-command --command true"
	else
		echo "command|check-command|MISSING"
	fi
	if [ "$have_plugins" = 1 ]; then
		echo "command|plugin check_command_execute (CPython)|$plugin check_command_execute command=true"
	fi
	echo "command|/bin/sh -c true|/bin/sh -c true"
} > "$work/commands"

# Each command once first: only a passing check is worth timing.
failed=0
: > "$work/measured"
: > "$work/lines"
while IFS='|' read -r group label command; do
	case $command in
	MISSING)
		echo "$group|$label|$url_missing" >> "$work/measured"
		continue
		;;
	MISSING:*)
		echo "$group|$label|${command#MISSING: }" >> "$work/measured"
		continue
		;;
	esac
	rc=0
	line=$(cd "$part" && eval "$command" < /dev/null 2>&1) || rc=$?
	line=${line%%$'\n'*}
	echo "$group|$label|$line" >> "$work/lines"
	if [ "$rc" != 0 ]; then
		say "FAILS ($rc): $label: $line"
		echo "$group|$label|fails (exit $rc): $line" >> "$work/measured"
		failed=1
		continue
	fi
	echo "$group|$label|ok" >> "$work/measured"
done < "$work/commands"

# Timing: hyperfine per group, so that each group's contenders meet the same
# conditions; in rounds, so that a burst of load elsewhere on the machine (ours
# take a fraction of a second per 100 runs, Python several seconds) cannot fall
# on one contender alone. report.py pools the rounds.
rounds=${BENCH_ROUNDS:-5}
for group in port http https file disk cert deploy bootstrap command; do
	args=()
	while IFS='|' read -r g label command; do
		[ "$g" = "$group" ] || continue
		grep -qxF "$g|$label|ok" "$work/measured" || continue
		args+=(--command-name "$label" "$command")
	done < "$work/commands"
	[ ${#args[@]} -gt 0 ] || continue
	say "timing $group ($runs runs each, in $rounds rounds)"
	for round in $(seq "$rounds"); do
		(cd "$part" && hyperfine -N --style none --warmup "$warmup" --runs $(((runs + rounds - 1) / rounds)) \
			--export-json "$work/time-$group-$round.json" "${args[@]}" > "$work/hyperfine-$group.log" 2>&1) || {
			say "hyperfine failed for $group:"; cat "$work/hyperfine-$group.log" >&2; failed=1; break; }
	done
done

# Peak RSS: /usr/bin/time's %M (KiB) over 5 runs of each passing command.
say "measuring peak RSS"
: > "$work/rss"
while IFS='|' read -r group label command; do
	grep -qxF "$group|$label|ok" "$work/measured" || continue
	for _ in 1 2 3 4 5; do
		(cd "$part" && eval "/usr/bin/time -f %M -o '$work/rss.one' -- $command" < /dev/null > /dev/null 2>&1) || true
		echo "$group|$label|$(tail -n 1 "$work/rss.one")" >> "$work/rss"
	done
done < "$work/commands"

# Sizes: ours are single static files; the others need their shared libraries.
: > "$work/sizes"
for b in check-port-listening check-file-exists check-url-available check-free-disk-space check-certificate; do
	[ -x "$bin/$b" ] && echo "ours|$b|$(stat -c %s "$bin/$b")|0" >> "$work/sizes"
done
[ "$have_plugins" = 1 ] && echo "theirs|$toolbox virtualenv (plugins and their dependencies; CPython apart)|$(du -sb "$venv" | cut -f1)|0" >> "$work/sizes"
for exe in /usr/bin/curl /bin/dash "$python" "$plugins/check_tcp" "$plugins/check_http" "$plugins/check_curl"; do
	libs=$(ldd "$exe" 2>/dev/null | awk '/=> \//{print $3}' | xargs -r readlink -f | sort -u | xargs -r stat -L -c %s | awk '{s+=$1} END {print s+0}')
	echo "theirs|$exe|$(stat -L -c %s "$exe")|$libs" >> "$work/sizes"
done

# The node simulation: slapgrid runs a partition's promises one at a time.
say "node simulation: $node_runs promise runs per side"
(cd "$part" && $python "$here/node.py" simulate "$node_runs" "$part/etc/promise" "$have_url") > "$work/node.json" || failed=1

# Instruction counts (deterministic): one passing run of each of our checks.
: > "$work/instructions"
if [ "$callgrind" = 1 ]; then
	say "counting instructions with callgrind"
	count() { # label args...
		local label=$1 rc=0
		shift
		(cd "$part" && valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" < /dev/null > "$work/cg.log" 2>&1) || rc=$?
		echo "$label|$rc|$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/cg.log" | tail -n 1)" >> "$work/instructions"
	}
	count "check-port-listening --host 127.0.0.1" "$bin/check-port-listening" --host 127.0.0.1 --port "$http_port"
	count "check-port-listening --host localhost" "$bin/check-port-listening" --host localhost --port "$http_port"
	count "check-file-exists" "$bin/check-file-exists" --path "$file"
	count "check-file-exists --state absent-or-empty" "$bin/check-file-exists" --path "$error_log" --state absent-or-empty
	[ "$have_disk" = 1 ] && count "check-free-disk-space" "$bin/check-free-disk-space" --path "$part"
	[ "$have_cert" = 1 ] && count "check-certificate --key-file" "$bin/check-certificate" --cert-file "$work/server.pem" --key-file "$work/server.key" --days 1
	if [ "$have_url" = 1 ]; then
		count "check-url-available http://" "$bin/check-url-available" --url "$http_url"
		count "check-url-available https:// --insecure" "$bin/check-url-available" --url "$https_url" --insecure
		count "check-url-available https:// --ca-cert-file" "$bin/check-url-available" --url "$https_url" --ca-cert-file "$work/ca.pem"
		count "check-url-available https:// (webpki roots; fails: private CA)" "$bin/check-url-available" --url "$https_url"
	fi
fi

$python "$here/report.py" "$work" "$runs" "$node_runs" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
exit "$failed"
