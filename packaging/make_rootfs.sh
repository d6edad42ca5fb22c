#!/usr/bin/env bash
# Builds (once) the minimal Debian root file system the smoke test runs the bundle in.
#
# Why a debootstrap chroot: it is a machine with nothing installed. No Python, no virtualenv,
# no source tree, no zbar, no Qt, no fonts: only Debian's "minbase" plus the two libraries a
# graphical desktop always has because they belong to the graphics driver (libGL/libEGL, which
# PyInstaller deliberately never bundles, and with them libxcb). If the bundle forgot
# anything, the chroot cannot hide it.
#
# Usage: packaging/make_rootfs.sh [ROOTFS]   (default /var/cache/gatehouse-smoke/rootfs)
# Needs root and debootstrap (apt-get install debootstrap); downloads about 60 MB from the
# Debian mirror the first time, then reuses the cached tree.
set -euo pipefail
ROOTFS=${1:-${GATEHOUSE_SMOKE_ROOTFS:-/var/cache/gatehouse-smoke/rootfs}}
SUITE=${GATEHOUSE_SMOKE_SUITE:-bookworm}
MIRROR=${GATEHOUSE_SMOKE_MIRROR:-http://deb.debian.org/debian}
# The driver-level libraries a kiosk desktop always has (see above). Nothing else.
DESKTOP_BASELINE=(libgl1 libegl1)
STAMP="$ROOTFS/.gatehouse-rootfs-ready"

if [ -f "$STAMP" ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "make_rootfs: building the smoke-test root file system needs root" >&2
  exit 2
fi
if ! command -v debootstrap >/dev/null; then
  echo "make_rootfs: debootstrap is missing; install it with: apt-get install -y debootstrap" >&2
  exit 2
fi
mkdir -p "$(dirname "$ROOTFS")"
if [ ! -x "$ROOTFS/usr/bin/apt-get" ]; then
  echo "make_rootfs: debootstrap --variant=minbase $SUITE into $ROOTFS (a few minutes, once)"
  debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.debootstrap.log" 2>&1 || {
    echo "make_rootfs: debootstrap failed, see $ROOTFS.debootstrap.log" >&2
    exit 2
  }
fi
echo "make_rootfs: adding the desktop baseline: ${DESKTOP_BASELINE[*]}"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  bash -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${DESKTOP_BASELINE[*]} >/dev/null && apt-get clean"
# The point of the exercise: prove the things the bundle must carry are not here.
for lib in libzbar.so.0 libpython3 libQt6Core.so.6 libfontconfig.so.1 libpulse.so.0; do
  if chroot "$ROOTFS" /sbin/ldconfig -p | grep -q "$lib"; then
    echo "make_rootfs: $lib is installed in the rootfs; it must not be" >&2
    exit 2
  fi
done
touch "$STAMP"
echo "make_rootfs: ready: $ROOTFS"
