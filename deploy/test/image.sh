#!/usr/bin/env bash
# `make test-deploy`, second part: the image, built with podman from deploy/Dockerfile
# (target runtime-prebuilt, around the binary given as $1), run as an operator runs it —
# non-root, read-only root filesystem, no capabilities — against the Redis and PostgreSQL of
# `bangui-stack exec` (BANGUI_TEST_REDIS_URL, BANGUI_TEST_DATABASE_URL). It must become ready,
# serve the UI and the API, pass its own HEALTHCHECK, and stop by itself within its grace
# period on SIGTERM. Prints what the image weighs.
#
# No registry is reachable here: build-image.sh makes the Debian base from Debian's packages.
set -euo pipefail
binary="$1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
: "${BANGUI_TEST_REDIS_URL:?run under bangui-stack exec}" "${BANGUI_TEST_DATABASE_URL:?run under bangui-stack exec}"

"$root/deploy/test/build-image.sh" "$binary" localhost/bangui:test
export CONTAINERS_CONF="${BANGUI_PODMAN_STATE:-/var/tmp/bangui-podman}/containers.conf"

fail() { echo "FAIL  $*" >&2; exit 1; }
ok() { echo "ok    $*"; }

name="bangui-image-test-$$"
cleanup() { podman rm -f "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
size=$(podman image inspect --format '{{.Size}}' localhost/bangui:test)
ok "podman build deploy/Dockerfile (runtime-prebuilt): $((size / 1000000)) MB with this binary ($(($(stat -c %s "$binary") / 1000000)) MB)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# (Its HEALTHCHECK is run by hand below: podman schedules health checks through systemd.)
podman run -d --name "$name" --network=host --read-only --cap-drop=ALL --no-healthcheck \
  --security-opt=no-new-privileges \
  -e BANGUI_DATABASE_URL="$BANGUI_TEST_DATABASE_URL" -e BANGUI_REDIS_URL="$BANGUI_TEST_REDIS_URL" \
  -e BANGUI_REDIS_PREFIX="image-$$" -e BANGUI_LISTEN="127.0.0.1:$port" -e BANGUI_MIGRATE_ON_START=true \
  -e BANGUI_SESSION_COOKIE_SECURE=false \
  localhost/bangui:test serve >/dev/null

url="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/health/ready")" = 200 ]; then break; fi
  podman container exists "$name" || fail "the container exited: $(podman logs "$name" 2>&1 | tail -5)"
  sleep 0.2
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/health/ready")" = 200 ] || fail "not ready: $(podman logs "$name" 2>&1 | tail -5)"
ok "ready on $url (/api/v1/health/ready)"

[ "$(podman exec "$name" id -u)" = 10001 ] || fail "not running as uid 10001"
if podman exec "$name" sh -c 'touch /usr/local/bin/x' 2>/dev/null; then fail "the root filesystem is writable"; fi
ok "runs as uid 10001 on a read-only root filesystem"

page=$(curl -s "$url/")
grep -q '<div id="root"' <<<"$page" || fail "no UI at /: ${page:0:200}"
csp=$(curl -s -D - -o /dev/null "$url/" | grep -i '^content-security-policy:' || true)
[ -n "$csp" ] || fail "the UI has no Content-Security-Policy"
ok "serves the UI (index.html with its CSP)"

code=$(curl -s -o /tmp/$name.json -w '%{http_code}' "$url/api/v1/auth/session")
# Not set up yet: 503 setup_required, as JSON.
[ "$code" = 503 ] && grep -q '"setup_required"' /tmp/$name.json || fail "GET /api/v1/auth/session: $code $(cat /tmp/$name.json)"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/openapi.json")" = 200 ] || fail "no /api/v1/openapi.json"
rm -f /tmp/$name.json
ok "serves the API (503 setup_required as JSON before setup, the OpenAPI document)"

podman exec "$name" /usr/local/bin/bangui healthcheck || fail "its HEALTHCHECK command fails"
ok "its HEALTHCHECK command (bangui healthcheck) passes"

start=$(date +%s.%N)
podman stop -t 40 "$name" >/dev/null
elapsed=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
status=$(podman inspect --format '{{.State.ExitCode}}' "$name")
[ "$status" = 0 ] || fail "exit status $status after SIGTERM (killed?)"
podman logs "$name" 2>&1 | grep -q '"stopped"' || fail "no 'stopped' in its log"
ok "SIGTERM: not ready, drained and stopped by itself in ${elapsed} s (grace period 40 s, drain delay 5 s)"
echo "image checks passed"
