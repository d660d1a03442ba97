# native-promises: `make dist` builds the static binaries, `make test` runs everything.
# Both install what they need when it is missing (rustup target, musl-gcc).

MUSL      := x86_64-unknown-linux-musl
# Every folder under promises/ is a promise binary (tests/registry.rs checks it).
BINARIES  := $(notdir $(wildcard promises/*)) recipe-generator
BUILT     := $(wildcard $(addprefix promises/,$(BINARIES)) $(BINARIES))
TARGET    := $(or $(CARGO_TARGET_DIR),target)
RELEASE   := $(TARGET)/$(MUSL)/release
DIST_BIN  := dist/bin
CARGO     ?= cargo
CARGO_HOME ?= $(HOME)/.cargo
VERSION   := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
RELNAME   := native-promises-$(VERSION)-x86_64-linux-musl
TARBALL   := dist/$(RELNAME).tar.gz
# Archive timestamps come from the commit, so two builds of one commit match.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

# Size flags for the shipped static binaries only (host builds and tests keep the
# defaults): a non-PIE static executable needs no relocation table, and without
# separate-code the linker does not pad the text segment to page boundaries.
# Together they save about 30 KiB a binary. Stack, heap and mmap stay randomised.
# The build paths (checkout, cargo registry) are remapped out of the binaries so
# that two checkouts of one commit build byte-identical files.
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS := -C relocation-model=static \
	-C link-arg=-Wl,-z,noseparate-code -C link-arg=-Wl,--build-id=none \
	--remap-path-prefix=$(CURDIR)=/native-promises --remap-path-prefix=$(CARGO_HOME)=/cargo

.PHONY: all dist deps test-deps reproducible test lint unit blackbox blackbox-dist fuzz clean

all: dist

## Toolchain pieces the static build needs: the musl target and a musl C compiler (ring).
deps:
	@rustup target list --installed 2>/dev/null | grep -qx '$(MUSL)' || rustup target add $(MUSL)
	@command -v musl-gcc >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq musl-tools; }

## Static, stripped release binaries in dist/bin, the release tarball and SHA256SUMS.
dist: deps
	$(CARGO) build --release --locked --target $(MUSL) --workspace --bins
	@rm -rf dist/stage && mkdir -p $(DIST_BIN) dist/stage/$(RELNAME)/bin
	@for b in $(notdir $(BUILT)); do install -m 0755 $(RELEASE)/$$b $(DIST_BIN)/$$b; done
	@cp -p $(DIST_BIN)/* dist/stage/$(RELNAME)/bin/
	@install -m 0644 LICENSE README.md dist/stage/$(RELNAME)/
	@tar --sort=name --mtime=@$(SOURCE_DATE_EPOCH) --owner=0 --group=0 --numeric-owner \
		--mode=go-w --format=gnu -C dist/stage -cf - $(RELNAME) | gzip -n -9 > $(TARBALL)
	@rm -rf dist/stage
	@cd dist && sha256sum $(notdir $(TARBALL)) bin/* > SHA256SUMS
	@ls -l $(DIST_BIN) $(TARBALL)

## Proves the release is reproducible: builds HEAD in two fresh clones at different
## paths and compares the tarballs byte for byte.
reproducible:
	@set -e; work=$$(mktemp -d); trap 'rm -rf "$$work"' EXIT; \
	for side in a b/deeper; do \
		git clone -q . "$$work/$$side"; \
		env -u CARGO_TARGET_DIR $(MAKE) -C "$$work/$$side" --no-print-directory dist >/dev/null; \
	done; \
	sha256sum "$$work"/a/$(TARBALL) "$$work"/b/deeper/$(TARBALL); \
	if cmp "$$work"/a/$(TARBALL) "$$work"/b/deeper/$(TARBALL); then echo "reproducible: identical tarballs"; \
	else trap - EXIT; echo "reproducible: the tarballs differ; both builds are kept in $$work" >&2; exit 1; fi

## What the black-box tests use besides the build: strace counts a wrapper's execs;
## curl is the reference for what a client accepts, openssl makes and serves the certificates rcgen cannot.
test-deps:
	@command -v strace >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq strace; }
	@command -v curl >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq curl openssl; }

## The whole suite: lints, unit tests, black-box tests on the debug build and on dist/bin.
test: test-deps lint unit blackbox-dist

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

unit:
	$(CARGO) test --locked --workspace

blackbox-dist: dist
	PROMISE_BIN_DIR=$(CURDIR)/$(DIST_BIN) $(CARGO) test --locked --test blackbox

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
