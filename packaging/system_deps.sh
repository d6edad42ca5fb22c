#!/usr/bin/env bash
# Installs the system libraries Gatehouse loads at run time, or says exactly how to.
#   libzbar0  - the zbar QR decoder behind pyzbar (the second decoder of the cascade)
#   libpulse0 - PySide6's QtMultimedia will not import on Linux without it
set -euo pipefail
[ "$(uname -s)" = "Linux" ] || exit 0
missing=()
ldconfig -p | grep -q 'libzbar\.so\.0' || missing+=(libzbar0)
ldconfig -p | grep -q 'libpulse\.so\.0' || missing+=(libpulse0)
for lib in libEGL.so.1 libxkbcommon.so.0 libGL.so.1 libfontconfig.so.1 libdbus-1.so.3; do
  if ! ldconfig -p | grep -q "$lib"; then
    case $lib in
      libEGL.so.1) missing+=(libegl1) ;;
      libxkbcommon.so.0) missing+=(libxkbcommon0) ;;
      libGL.so.1) missing+=(libgl1) ;;
      libfontconfig.so.1) missing+=(libfontconfig1) ;;
      libdbus-1.so.3) missing+=(libdbus-1-3) ;;
    esac
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing system libraries: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Gatehouse needs these system libraries: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
  exit 2
fi
