#!/usr/bin/env bash
# Builds deploy/Dockerfile's runtime-prebuilt target around BINARY as image TAG with podman,
# on a machine without registry access: podman set up to work here (runc, cgroupfs, no
# default ulimits: $BANGUI_PODMAN_STATE/containers.conf, to export as CONTAINERS_CONF), and the
# Debian base made from Debian's packages (mmdebstrap) under the name the Dockerfile's FROM
# uses. Used by image.sh (make test-deploy) and the deploy_at_scale benchmark.
#
# Usage: build-image.sh BINARY TAG
set -euo pipefail
binary="$1"
tag="$2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
state="${BANGUI_PODMAN_STATE:-/var/tmp/bangui-podman}"
mkdir -p "$state"
cat > "$state/containers.conf" <<'CONF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
CONF
export CONTAINERS_CONF="$state/containers.conf"

base=docker.io/library/debian:bookworm-slim
if ! podman image exists "$base"; then
  echo "build-image: making $base from Debian's packages (mmdebstrap)" >&2
  mmdebstrap --quiet --variant=apt --format=tar bookworm "$state/bookworm.tar"
  podman import -q "$state/bookworm.tar" "$base" >/dev/null
  rm -f "$state/bookworm.tar"
fi
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp "$binary" "$context/bangui"
podman build -q --pull=never --network=host --format docker -f "$root/deploy/Dockerfile" \
  --target runtime-prebuilt -t "$tag" "$context" >/dev/null
