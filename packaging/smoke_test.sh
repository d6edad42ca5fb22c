#!/usr/bin/env bash
# Smoke test of the built bundle (dist/gatehouse) on a machine with nothing installed.
#
#   packaging/smoke_test.sh [--strict] [--bundle DIR]
#
# Isolation (why this proves "nothing installed"): every gatehouse command runs chrooted into a
# Debian minbase root file system made by debootstrap (packaging/make_rootfs.sh, cached in
# /var/cache/gatehouse-smoke), where the bundle, bind-mounted read-only, is the only software:
# no Python, no virtualenv, no source tree, no zbar, no Qt. Commands start from an empty
# directory with a scrubbed environment (env -i). All mounts live in a private mount namespace
# (unshare), so nothing outlives the test. Steps and their checks: packaging/smoke_test.py.
#
# Needs root (chroot, mounts), debootstrap once, and a host python3 for the orchestrator (which
# never imports the project). Exit status: 0 passed, 1 a step failed (--strict: or skipped),
# 2 the test could not be set up.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bundle="$root/dist/gatehouse"
strict=()
while [ $# -gt 0 ]; do
  case $1 in
    --strict) strict=(--strict) ;;
    --bundle) bundle=$2; shift ;;
    *) echo "usage: $0 [--strict] [--bundle DIR]" >&2; exit 2 ;;
  esac
  shift
done
if [ ! -x "$bundle/gatehouse" ]; then
  echo "smoke_test: no bundle at $bundle; run 'make package' first" >&2
  exit 2
fi
if [ "$(id -u)" != "0" ]; then
  echo "smoke_test: needs root for chroot and mounts; run: sudo $0 ${strict[*]}" >&2
  exit 2
fi
rootfs=${GATEHOUSE_SMOKE_ROOTFS:-/var/cache/gatehouse-smoke/rootfs}
if [ ! -f "$rootfs/.gatehouse-rootfs-ready" ]; then
  command -v debootstrap >/dev/null || {
    echo "smoke_test: installing debootstrap (once)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  bash "$here/make_rootfs.sh" "$rootfs"
fi
# A PulseAudio server (null sink) on the host gives the kiosk in the chroot an audio output,
# so that the smoke test can check that the sounds load through the bundled client.
if ! command -v pulseaudio >/dev/null && command -v apt-get >/dev/null; then
  echo "smoke_test: installing pulseaudio (once) for the sound check"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends pulseaudio >/dev/null || true
fi
py=$(command -v python3 || true)
if [ -z "$py" ]; then
  echo "smoke_test: needs python3 on the host for the orchestrator" >&2
  exit 2
fi
echo "smoke_test: bundle $bundle ($(du -sh "$bundle" | cut -f1)), rootfs $rootfs"
exec unshare --mount --propagation private -- \
  "$py" "$here/smoke_test.py" --bundle "$bundle" --rootfs "$rootfs" "${strict[@]}"
