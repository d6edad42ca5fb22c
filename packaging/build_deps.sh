#!/usr/bin/env bash
# Installs what the build machine needs so that PyInstaller can bundle it, or says how to.
#
# PyInstaller copies the shared libraries the program links to *from the build machine*. A
# library missing here is missing from the bundle, and the kiosk then fails on the venue's
# machine, not here. Beyond the run-time libraries of system_deps.sh (zbar, PulseAudio, ...):
#   libxcb-icccm4 libxcb-keysyms1 ...  the X11 (xcb) platform plugin of Qt 6 needs these; a
#                                      desktop may not have them, so the bundle carries them
# Exit status 2 (with the exact command) when something is missing and we are not root.
set -euo pipefail
[ "$(uname -s)" = "Linux" ] || exit 0
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/system_deps.sh"
missing=()
need() { ldconfig -p | grep -q "$1" || missing+=("$2"); }
need 'libxcb-icccm\.so\.4' libxcb-icccm4
need 'libxcb-keysyms\.so\.1' libxcb-keysyms1
need 'libxcb-image\.so\.0' libxcb-image0
need 'libxcb-render-util\.so\.0' libxcb-render-util0
need 'libxcb-cursor\.so\.0' libxcb-cursor0
need 'libxcb-randr\.so\.0' libxcb-randr0
need 'libxcb-shape\.so\.0' libxcb-shape0
need 'libxcb-xkb\.so\.1' libxcb-xkb1
need 'libxkbcommon-x11\.so\.0' libxkbcommon-x11-0
need 'libcups\.so\.2' libcups2
# The slim OpenCV's FFmpeg (packaging/slim_wheels.py): assembler for fast H.264, pkg-config.
command -v nasm >/dev/null || missing+=(nasm)
command -v pkg-config >/dev/null || missing+=(pkg-config)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing libraries the bundle must carry: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "The Gatehouse build needs these libraries to bundle them: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
  exit 2
fi
