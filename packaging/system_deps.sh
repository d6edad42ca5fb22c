#!/usr/bin/env bash
# Installs the system libraries the kiosk window, its sounds and zbar load at run time, on
# Debian or Ubuntu, or says exactly how to. Quick and silent when everything is present, so
# `make demo` and `make test` run it every time.
#
#   bash packaging/system_deps.sh           install what is missing (as root; else print the
#                                           apt-get line and exit 2)
#   bash packaging/system_deps.sh --check   only say what is missing (exit 2 if anything is)
#
# Where the table comes from: packaging/derive_system_deps.py reads the ELF dynamic section
# (DT_NEEDED) of the PySide6 modules ui/ imports and of the Qt plugins a kiosk loads (xcb and
# wayland platforms, xcb GL integrations, input contexts, the FFmpeg multimedia backend that
# plays the verdict sounds, image formats), follows the libraries the PySide6 wheel bundles,
# and lists every library the wheel does NOT carry, plus libzbar.so.0 (pyzbar opens it by
# name), with the Debian package that ships it (dpkg -S). Re-derive it after a PySide6
# upgrade with `.venv/bin/python packaging/derive_system_deps.py --write`;
# tests/packaging/test_system_deps.py fails in `make test` when the table is stale.
# The last lines are not libraries but fonts: fontconfig finds none on a minimal system and
# the window would draw no text, and each script of the ten languages needs its own
# (Devanagari, Arabic, Chinese and Japanese; derive_system_deps.py's DATA_FILES says which).
set -euo pipefail
[ "$(uname -s)" = "Linux" ] || exit 0
check_only=0
[ "${1:-}" = "--check" ] && check_only=1

# soname (or file) and the package that ships it on Debian 12 (Ubuntu: the same names;
# Debian 13 / Ubuntu 24.04 add "t64" to a few, handled below).
read -r -d '' TABLE <<'EOF' || true
# BEGIN derived table: packaging/derive_system_deps.py --write rewrites these lines
ld-linux-x86-64.so.2                                            libc6
libEGL.so.1                                                     libegl1
libGL.so.1                                                      libgl1
libX11-xcb.so.1                                                 libx11-xcb1
libX11.so.6                                                     libx11-6
libXext.so.6                                                    libxext6
libXrandr.so.2                                                  libxrandr2
libbrotlicommon.so.1                                            libbrotli1
libbrotlidec.so.1                                               libbrotli1
libbz2.so.1                                                     libbz2-1.0
libc.so.6                                                       libc6
libdbus-1.so.3                                                  libdbus-1-3
libdl.so.2                                                      libc6
libdrm.so.2                                                     libdrm2
libfontconfig.so.1                                              libfontconfig1
libfreetype.so.6                                                libfreetype6
libgcc_s.so.1                                                   libgcc-s1
libglib-2.0.so.0                                                libglib2.0-0
libgssapi_krb5.so.2                                             libgssapi-krb5-2
libgthread-2.0.so.0                                             libglib2.0-0
libm.so.6                                                       libc6
libpthread.so.0                                                 libc6
libpulse.so.0                                                   libpulse0
libresolv.so.2                                                  libc6
libstdc++.so.6                                                  libstdc++6
libwayland-client.so.0                                          libwayland-client0
libwayland-cursor.so.0                                          libwayland-cursor0
libxcb-cursor.so.0                                              libxcb-cursor0
libxcb-glx.so.0                                                 libxcb-glx0
libxcb-icccm.so.4                                               libxcb-icccm4
libxcb-image.so.0                                               libxcb-image0
libxcb-keysyms.so.1                                             libxcb-keysyms1
libxcb-randr.so.0                                               libxcb-randr0
libxcb-render-util.so.0                                         libxcb-render-util0
libxcb-render.so.0                                              libxcb-render0
libxcb-shape.so.0                                               libxcb-shape0
libxcb-shm.so.0                                                 libxcb-shm0
libxcb-sync.so.1                                                libxcb-sync1
libxcb-util.so.1                                                libxcb-util1
libxcb-xfixes.so.0                                              libxcb-xfixes0
libxcb-xkb.so.1                                                 libxcb-xkb1
libxcb.so.1                                                     libxcb1
libxkbcommon-x11.so.0                                           libxkbcommon-x11-0
libxkbcommon.so.0                                               libxkbcommon0
libz.so.1                                                       zlib1g
libzbar.so.0                                                    libzbar0
libzstd.so.1                                                    libzstd1
/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf                 fonts-dejavu-core
/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf            fonts-dejavu-core
/usr/share/fonts/truetype/noto/NotoSansDevanagariUI-Regular.ttf fonts-noto-ui-core
/usr/share/fonts/truetype/noto/NotoSansDevanagariUI-Bold.ttf    fonts-noto-ui-core
/usr/share/fonts/truetype/noto/NotoSansArabicUI-Regular.ttf     fonts-noto-ui-core
/usr/share/fonts/truetype/noto/NotoSansArabicUI-Bold.ttf        fonts-noto-ui-core
/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc          fonts-noto-cjk
/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc             fonts-noto-cjk
# END derived table
EOF

triplet="$(uname -m)-linux-gnu"
cache="$(ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true)"
present() {
  local name=$1 dir
  if [ "${name:0:1}" = "/" ]; then
    [ -e "$name" ]
    return
  fi
  for dir in "/lib/$triplet" "/usr/lib/$triplet" /lib64 /usr/lib64; do
    [ -e "$dir/$name" ] && return 0
  done
  grep -qF "	$name (" <<<"$cache"
}
missing_now() {
  local name pkg out=()
  while read -r name pkg; do
    if [ -z "$name" ] || [ "${name:0:1}" = "#" ]; then continue; fi
    present "$name" && continue
    [[ " ${out[*]-} " == *" $pkg "* ]] || out+=("$pkg")
  done <<<"$TABLE"
  echo "${out[*]-}"
}

# Optional lists, apart from the derived table: installed through apt when root, else named
# on stderr, never an error (what needs them says why it is off or skips).
# install_optional WHAT FOR_WHAT IF_NOT PACKAGES...
install_optional() {
  local what=$1 for_what=$2 if_not=$3 p
  shift 3
  local absent=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || absent+=("$p")
  done
  [ ${#absent[@]} -eq 0 ] && return 0
  if [ $check_only = 0 ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing $what: ${absent[*]}"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${absent[@]}" >/dev/null; } \
      || echo "Could not install ${absent[*]}: $if_not" >&2
  else
    echo "Optional, for $for_what: apt-get install -y ${absent[*]}" >&2
  fi
}

# PC/SC contactless readers (issue 17). A kiosk without them runs as before (cameras and hand
# scanners); scanner/pcsc.py says why it reads no cards. pcscd is the PC/SC service, libccid
# its driver for USB readers (ACR122U and other CCID readers), libpcsclite1 the library
# pyscard loads, vsmartcard-vpcd the virtual reader tests/media/test_pcsc_reader.py taps
# cards on (those tests skip and say why without it). libpcsclite-dev: PyPI has no Linux
# wheel of pyscard, so pip builds it (its swig comes from PyPI, its headers, winscard.h and
# libpcsclite.pc, from here); without it `make venv` failed on a new machine.
PCSC_PACKAGES="pcscd libccid libpcsclite1 libpcsclite-dev vsmartcard-vpcd"
# shellcheck disable=SC2086  # word splitting of the lists is meant
install_optional "PC/SC reader support" "PC/SC card readers" "PC/SC readers stay off" \
  $PCSC_PACKAGES

# TEST tools (issue 16), not needed to run a kiosk or a server. haproxy is the load balancer
# tests/server/test_scale_out.py puts in front of three replicas (as docs/deploy.md runs it);
# those tests skip and name the package without it. chromium is the headless browser of the
# page tests (the organizer's page, the ticket holder's wallet: tests/wallet), which skip
# and say so without it.
TEST_TOOL_PACKAGES="haproxy chromium"
# shellcheck disable=SC2086
install_optional "test tools" "the scale-out tests and the browser tests" \
  "the scale-out tests and the browser tests will skip" $TEST_TOOL_PACKAGES

read -r -a missing <<<"$(missing_now)"
[ ${#missing[@]} -eq 0 ] && exit 0
if [ $check_only = 1 ] || [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null; then
  echo "Gatehouse needs these system packages: ${missing[*]}" >&2
  if command -v apt-get >/dev/null; then
    echo "Install them with:  sudo bash packaging/system_deps.sh" >&2
    echo "              (or:  sudo apt-get install -y ${missing[*]})" >&2
  fi
  exit 2
fi
echo "Installing system libraries: ${missing[*]}"
apt-get update -qq
# A package renamed for 64-bit time (libasound2 -> libasound2t64) is found under either name.
pkgs=()
for p in "${missing[@]}"; do
  if ! apt-cache show "$p" >/dev/null 2>&1; then
    for alt in "${p}t64" "${p%t64}"; do
      if apt-cache show "$alt" >/dev/null 2>&1; then p=$alt && break; fi
    done
  fi
  pkgs+=("$p")
done
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
read -r -a still <<<"$(missing_now)"
if [ ${#still[@]} -gt 0 ]; then
  echo "Installed ${pkgs[*]}, but these are still missing: ${still[*]}" >&2
  exit 2
fi
