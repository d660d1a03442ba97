# native-promises: `make dist` builds the static binaries, `make test` runs everything.
# Both install what they need when it is missing (rustup targets, C compilers,
# qemu-user, the monitors).

# Both release architectures; x86_64 is also what dist/bin/NAME holds, the paths
# users pinned before aarch64 was built.
ARCHES    := x86_64 aarch64
comma     := ,
# Every folder under promises/ is a promise binary (tests/registry.rs checks it).
BINARIES  := $(notdir $(wildcard promises/*)) recipe-generator
BUILT     := $(wildcard $(addprefix promises/,$(BINARIES)) $(BINARIES))
TARGET    := $(or $(CARGO_TARGET_DIR),target)
DIST_BIN  := dist/bin
CARGO     ?= cargo
CARGO_HOME ?= $(HOME)/.cargo
VERSION   := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
# The Rust release of rust-toolchain.toml, which rustup installs with both targets.
TOOLCHAIN := $(shell sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)
# Archive timestamps come from the commit, so two builds of one commit match.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

# Flags for the shipped static binaries only (host builds and tests keep the
# defaults). The musl targets' default is a static position-independent
# executable (static-pie): the kernel loads it at a random address, so our own
# code is randomised with the stack, heap and mmap (hardening checks expect
# it; it costs the relocation table, measured in the README). Without
# separate-code the linker does not pad the text segment to page boundaries.
# The build paths (checkout, cargo registry) are remapped out of the binaries so
# that two checkouts of one commit build byte-identical files.
REPRO_FLAGS := --remap-path-prefix=$(CURDIR)=/native-promises --remap-path-prefix=$(CARGO_HOME)=/cargo
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS := \
	-C link-arg=-Wl,-z,noseparate-code -C link-arg=-Wl,--build-id=none $(REPRO_FLAGS)
# aarch64: ring's C and assembly by Debian's cross gcc, linked by the
# toolchain's rust-lld with the toolchain's own musl (libc.a and start files),
# so no aarch64 musl toolchain is needed. Rust's aarch64 musl target does not
# know static-pie (x86_64's does), so it is linked as the x86_64 one is: the
# self-relocating start file rcrt1.o in place of crt1.o, `-static -pie
# --no-dynamic-linker`; the code is position-independent already (the target's
# default relocation model is pic).
# Expanded when a recipe runs, after `deps` installed the toolchain.
AARCH64_LIBS = $(shell rustc --print sysroot)/lib/rustlib/aarch64-unknown-linux-musl/lib/self-contained
export CC_aarch64_unknown_linux_musl := aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_musl := aarch64-linux-gnu-ar
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER := rust-lld
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS = -C link-self-contained=no \
	-L native=$(AARCH64_LIBS) $(foreach o,rcrt1 crti crtbeginS crtendS crtn,-C link-arg=$(AARCH64_LIBS)/$(o).o) \
	-C link-arg=-pie -C link-arg=--no-dynamic-linker -C link-arg=-ztext \
	-C link-arg=-znoseparate-code -C link-arg=--build-id=none $(REPRO_FLAGS)

.PHONY: all dist deps test-deps reproducible test lint unit blackbox blackbox-dist fuzz clean

all: dist

## Toolchain pieces the static builds need: the pinned Rust with both musl targets
## (rust-toolchain.toml; rustup installs what is missing), the host C compiler
## (cargo links build scripts with cc; musl-gcc wraps the host gcc), a musl C
## compiler for x86_64's ring and Debian's aarch64 cross gcc for aarch64's.
deps:
	@command -v rustup >/dev/null 2>&1 || { echo "make: rustup is needed (https://rustup.rs)" >&2; exit 1; }
	@rustup run $(TOOLCHAIN) rustc --version >/dev/null 2>&1 || rustup toolchain install --no-self-update --profile minimal \
		--component rustfmt,clippy --target $(subst $(eval) ,$(comma),$(ARCHES:%=%-unknown-linux-musl)) $(TOOLCHAIN)
	@installed=$$(rustup target list --installed); for arch in $(ARCHES); do \
		echo "$$installed" | grep -qx "$$arch-unknown-linux-musl" || rustup target add $$arch-unknown-linux-musl; done
	@missing=; command -v cc >/dev/null 2>&1 || missing="$$missing gcc libc6-dev"; \
	command -v musl-gcc >/dev/null 2>&1 || missing="$$missing musl-tools"; \
	command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing="$$missing gcc-aarch64-linux-gnu libc6-dev-arm64-cross"; \
	command -v git >/dev/null 2>&1 || missing="$$missing git"; \
	[ -z "$$missing" ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; }

## Static-pie, stripped release binaries for both architectures in dist/bin/ARCH
## (x86_64's also in dist/bin, hard links), one tarball per architecture and
## SHA256SUMS over every file.
dist: deps
	$(CARGO) build --release --locked $(foreach a,$(ARCHES),--target $(a)-unknown-linux-musl) --workspace --bins
	@rm -rf dist && mkdir -p dist/stage
	@set -e; for arch in $(ARCHES); do \
		name=native-promises-$(VERSION)-$$arch-linux-musl; \
		mkdir -p $(DIST_BIN)/$$arch dist/stage/$$name/bin; \
		for b in $(notdir $(BUILT)); do \
			install -m 0755 $(TARGET)/$$arch-unknown-linux-musl/release/$$b $(DIST_BIN)/$$arch/$$b; done; \
		cp -p $(DIST_BIN)/$$arch/* dist/stage/$$name/bin/; \
		install -m 0644 LICENSE README.md dist/stage/$$name/; \
		tar --sort=name --mtime=@$(SOURCE_DATE_EPOCH) --owner=0 --group=0 --numeric-owner \
			--mode=go-w --format=gnu -C dist/stage -cf - $$name | gzip -n -9 > dist/$$name.tar.gz; \
	done
	@for b in $(notdir $(BUILT)); do ln $(DIST_BIN)/x86_64/$$b $(DIST_BIN)/$$b; done
	@rm -rf dist/stage
	@cd dist && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS
	@cd dist && ls -l *.tar.gz $(foreach a,$(ARCHES),bin/$(a)/*)

## Proves the release is reproducible: builds HEAD (as it was when this started) in
## two fresh clones at different paths and compares the tarballs and binaries byte for byte.
reproducible:
	@set -e; work=$$(mktemp -d); trap 'rm -rf "$$work"' EXIT; commit=$$(git rev-parse HEAD); \
	for side in a b/deeper; do \
		git clone -q . "$$work/$$side"; git -C "$$work/$$side" checkout -q --detach $$commit; \
		env -u CARGO_TARGET_DIR $(MAKE) -C "$$work/$$side" --no-print-directory dist >/dev/null; \
	done; \
	cd "$$work"; sha256sum a/dist/*.tar.gz b/deeper/dist/*.tar.gz; \
	if cmp a/dist/SHA256SUMS b/deeper/dist/SHA256SUMS; then echo "reproducible: identical tarballs and binaries"; \
	else trap - EXIT; echo "reproducible: the builds differ; both are kept in $$work" >&2; exit 1; fi

## What the black-box tests use besides the build: strace counts a wrapper's execs,
## qemu-user runs the aarch64 binaries, Nagios Core 4 and Icinga 2 run the monitor
## examples; curl is the reference for what a client accepts (and reads Icinga 2's
## API), openssl makes and serves the certificates rcgen cannot.
test-deps:
	@missing=; \
	command -v strace >/dev/null 2>&1 || missing="$$missing strace"; \
	command -v qemu-aarch64 >/dev/null 2>&1 || missing="$$missing qemu-user"; \
	command -v curl >/dev/null 2>&1 || missing="$$missing curl"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	[ -x /usr/sbin/nagios4 ] || missing="$$missing nagios4-core"; \
	[ -x /usr/sbin/icinga2 ] || missing="$$missing icinga2-bin icinga2-common"; \
	[ -z "$$missing" ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends $$missing; }

## The whole suite: lints, unit tests, black-box tests on the debug build and on
## both architectures' release binaries (aarch64's through qemu-aarch64). A case
## that cannot run here passes without running (cargo hides its stderr): each
## appends its SKIP line to $(SKIP_LOG) (tests/util/skip.rs), emptied first and
## printed with the count at the end, whether the suite passed or not.
SKIP_LOG := $(abspath $(TARGET))/skipped.txt
test: test-deps lint
	@mkdir -p $(dir $(SKIP_LOG)) && : > $(SKIP_LOG)
	@status=0; PROMISE_SKIP_LOG=$(SKIP_LOG) $(MAKE) --no-print-directory unit blackbox-dist || status=$$?; \
	count=$$(wc -l < $(SKIP_LOG)); \
	if [ "$$count" -eq 0 ]; then echo "make test: no case skipped"; \
	else echo "make test: $$count skipped (cases that did not run here; $(SKIP_LOG)):"; \
		LC_ALL=C sort $(SKIP_LOG) | sed 's/^/  SKIP /'; fi; \
	exit $$status

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

# The monitor tests skip themselves where Nagios or Icinga 2 is missing, except here.
# cargo test --workspace runs the black-box suite too, on the debug build: on
# purpose, not a duplicate of blackbox-dist, since only the debug build has
# overflow checks and debug assertions (an overflow on a hostile value panics
# there, wraps silently in the release), and it is the pass that needs no dist.
unit: export PROMISE_REQUIRE_MONITORS := 1
unit: deps
	$(CARGO) test --locked --workspace

blackbox-dist: export PROMISE_REQUIRE_MONITORS := 1
blackbox-dist: dist
	PROMISE_BIN_DIR=$(CURDIR)/$(DIST_BIN)/x86_64 $(CARGO) test --locked --test blackbox
	PROMISE_BIN_DIR=$(CURDIR)/$(DIST_BIN)/aarch64 PROMISE_RUNNER=qemu-aarch64 \
		$(CARGO) test --locked --test blackbox

## Opt-in, where a Docker daemon runs (Debian's docker.io): builds the Docker
## example's final stage FROM scratch with dist/'s binaries for this machine and
## reads the HEALTHCHECK's verdict from docker inspect (tests/docker/run.sh).
.PHONY: docker-test
docker-test: dist
	@bash tests/docker/run.sh

## Every fuzz target for FUZZ_SECONDS each (default 30), where a nightly toolchain exists.
## An input that takes over 10 s (a parser in exponential time) is a finding too.
## fuzz/dict/TARGET.dict, where it exists, gives the fuzzer the tokens of that format.
FUZZ_SECONDS ?= 30
fuzz:
	@if ! rustup run nightly rustc --version >/dev/null 2>&1; then echo "make fuzz: no nightly toolchain here, skipped"; exit 0; fi; \
	command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install --locked cargo-fuzz; \
	cd fuzz && for t in $$($(CARGO) +nightly fuzz list); do \
		echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
		dict=$(CURDIR)/fuzz/dict/$$t.dict; [ -f $$dict ] && dict=-dict=$$dict || dict=; \
		$(CARGO) +nightly fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 -timeout=10 $$dict || exit 1; \
	done

## Ours against the legacy scripts and monitoring-plugins, measured side by side on
## loopback: a Markdown table on stdout. Installs hyperfine, nginx, ... when missing.
.PHONY: bench
bench: dist
	@bash tests/bench/run.sh

clean:
	$(CARGO) clean
	rm -rf dist
