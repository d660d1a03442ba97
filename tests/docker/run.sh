#!/usr/bin/env bash
# `make docker-test` (opt-in; needs a running Docker daemon, e.g. Debian's
# docker.io, reached through DOCKER_HOST or the default socket): builds the
# final stage of examples/docker/Dockerfile, unchanged, FROM scratch with this
# machine's architecture's binaries of dist/ in place of the downloaded
# tarball, and a tiny static `app` of ours (tests/docker/app.c) as the service.
# Then reads the HEALTHCHECK's verdict from `docker inspect`: healthy with our
# OK line while the app answers 200, unhealthy with our CRITICAL line when it
# answers 503. No registry is needed: every stage is FROM scratch.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
arch=$(uname -m)
bin=$root/dist/bin/$arch
[ -x "$bin/check-url-available" ] || { echo "docker-test: no $bin (run make dist)" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "docker-test: no Docker daemon answers (DOCKER_HOST=${DOCKER_HOST:-default})" >&2; exit 1; }
command -v musl-gcc >/dev/null 2>&1 || { echo "docker-test: musl-gcc is missing (make deps installs it)" >&2; exit 1; }

work=$(mktemp -d)
image=native-promises-docker-test:$$
containers=()
cleanup() {
	for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
	docker rmi -f "$image" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/bin"
cp "$bin/check-url-available" "$bin/check-port-listening" "$work/bin/"
musl-gcc -static -Os -o "$work/app" "$root/tests/docker/app.c"
{
	echo "# The release from dist/ in place of the example's download stage."
	echo "FROM scratch AS native-promises"
	echo "COPY bin /native-promises/bin"
	sed -n '/^FROM scratch$/,$p' "$root/examples/docker/Dockerfile"
} > "$work/Dockerfile"
# The classic builder: FROM scratch needs no BuildKit (nor buildx) here.
if ! DOCKER_BUILDKIT=0 docker build -q -t "$image" "$work" > "$work/build.log" 2>&1; then
	cat "$work/build.log" >&2
	exit 1
fi

# Runs the image with the app answering STATUS, checked every second; waits
# (bounded) for Docker's verdict and prints it with the last check's output.
verdict() { # name status
	local name=np-docker-test-$$-$1 state output
	containers+=("$name")
	docker run -d --name "$name" --health-interval=1s --health-retries=1 \
		--health-start-period=0s "$image" "$2" >/dev/null
	for _ in $(seq 1 120); do
		state=$(docker inspect --format '{{.State.Health.Status}}' "$name")
		[ "$state" = starting ] || break
		sleep 0.5
	done
	output=$(docker inspect --format '{{with (index .State.Health.Log 0)}}{{.ExitCode}} {{.Output}}{{end}}' "$name")
	echo "$state|$output"
}
fail=0
expect() { # label got wanted-prefix
	case "$2" in
	"$3"*) echo "docker-test: $1: $2" ;;
	*) echo "docker-test: $1: expected '$3...', got '$2'" >&2; fail=1 ;;
	esac
}
url=http://127.0.0.1:8080/healthz
expect "200" "$(verdict ok 200)" "healthy|0 OK: $url returned 200 in "
expect "503" "$(verdict broken 503)" "unhealthy|2 CRITICAL: $url returned 503, expected 200"
exit $fail
