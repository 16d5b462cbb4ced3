#!/usr/bin/env bash
# Installs what `make run` and `make test` need on Debian/Ubuntu, when it is missing:
# Redis, fail2ban (its own service is kept from starting: it would ban with real firewall
# rules), PostgreSQL 15, Node.js with npm (the web project and the country database come from
# the npm registry), Chromium and HAProxy (the browser tests), promtool (Debian's prometheus).
# Idempotent and quiet when everything is there.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }
have redis-server || need+=(redis-server)
have fail2ban-server || need+=(fail2ban)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
geoip="$root/.cache/geoip/geo-whois-asn-country.mmdb"
have npm || need+=(npm)
# The browser tests: Debian's Chromium (Playwright never downloads a browser here) behind HAProxy.
have chromium || need+=(chromium)
have haproxy || need+=(haproxy)
# `make test-deploy`: a Python virtual environment for Helm's and Kubernetes' checks, and
# systemd's unit verifier.
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
have systemd-analyze || need+=(systemd)
# …and the image test: podman with runc (its default runtime fails here), a Debian base image
# made from Debian's packages (no registry is reachable), curl to talk to the container.
have podman || need+=(podman)
have runc || need+=(runc)
have mmdebstrap || need+=(mmdebstrap)
have curl || need+=(curl)
# Observability: Prometheus' promtool lints a scrape and checks and tests the alert rules.
have promtool || need+=(prometheus)

if ! command -v cargo >/dev/null 2>&1; then
  echo "install-deps: cargo is missing; install Rust with rustup (https://rustup.rs)" >&2
  exit 1
fi

install_geoip() {
  # The CC0 country database tests and `make run` use, from the npm registry (the only place
  # it can come from here). Pinned, so every machine gets the same data.
  [ -s "$geoip" ] && return 0
  echo "install-deps: fetching the country database (npm @ip-location-db/geo-whois-asn-country-mmdb)"
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "@ip-location-db/geo-whois-asn-country-mmdb@2.3.2026061719" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  mkdir -p "$(dirname "$geoip")"
  mv "$tmp/package/geo-whois-asn-country.mmdb" "$geoip.part"
  mv "$geoip.part" "$geoip"
  rm -rf "$tmp"
}

if [ ${#need[@]} -eq 0 ]; then
  install_geoip
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps: missing ${need[*]}; run as root or install sudo" >&2
  exit 1
fi

echo "install-deps: installing ${need[*]}"
# Packages must not start their system services: fail2ban's default jails would touch the
# firewall, and Redis/PostgreSQL would hold the default ports. policy-rc.d is the Debian way.
added_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
  added_policy=1
fi
cleanup() { if [ -n "$added_policy" ]; then "${sudo[@]}" rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

# On a machine running systemd, keep the services we just installed disabled.
if [ -d /run/systemd/system ]; then
  for pkg in "${need[@]}"; do
    case "$pkg" in
      fail2ban) svc=fail2ban ;;
      redis-server) svc=redis-server ;;
      haproxy) svc=haproxy ;;
      postgresql-15) svc=postgresql ;;
      *) continue ;;
    esac
    "${sudo[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
  done
fi
install_geoip
echo "install-deps: done"
