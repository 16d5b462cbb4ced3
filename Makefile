# The entry points people type. `.ci/run` calls `make lint` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
STACK := $(TARGET_DIR)/debug/bangui-stack
# The country database make deps fetches (CC0, ip-location-db).
export BANGUI_GEOIP_DB_PATH ?= $(CURDIR)/.cache/geoip/geo-whois-asn-country.mmdb

.PHONY: run test bench lint fmt deps build

## deps: install what is missing (Redis, fail2ban without its service, PostgreSQL 15)
deps:
	@scripts/install-deps.sh

build: deps
	$(CARGO) build --workspace --bins

## run: start Redis, PostgreSQL, a sandboxed fail2ban with attacked demo jails, and bangui
run: build
	$(STACK) run --state .bangui -- $(TARGET_DIR)/debug/bangui serve

## test: every test against the real components; the stack stops afterwards, pass or fail
test: deps
	$(CARGO) build -p bangui-testkit --bin bangui-stack
	$(STACK) exec -- $(CARGO) test --workspace

## bench: benchmarks, each against a baseline measured in the same run
bench: deps
	$(CARGO) bench -p bangui-fail2ban --bench ban_throughput
	$(CARGO) bench -p bangui --bench session_check
	$(CARGO) bench -p bangui --bench jails_at_scale
	$(CARGO) bench -p bangui --bench jobs_at_scale

## lint: formatting and clippy, warnings are errors
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all
