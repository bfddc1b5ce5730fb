#!/bin/sh
# Installs the Debian packages rollsense needs to build, test, run its demo and
# its benchmarks, when any is missing: apt-get as root, else through sudo.
# Nothing else. With arguments, installs those packages instead (hil/deps.sh
# uses that).
#
# Beyond the libraries and compilers, the tests and scripts run these
# commands, which a minimal Debian 12 lacks: mosquitto, mosquitto_passwd
# (mosquitto); mosquitto_sub, mosquitto_pub (mosquitto-clients); sqlite3;
# openssl (it_security's certificates); systemd-analyze and the host's units
# (systemd, for it_systemd); valgrind and callgrind_annotate (valgrind);
# /bin/kill, which it_systemd copies into its unit root, and pgrep and free
# (bench/run.sh) (procps); python3, which finds a free port in
# scripts/demo.sh and bench/run.sh (python3-minimal); /usr/bin/time
# (bench/run.sh) (time); groff and man, which scripts/check-docs.sh runs on
# the man pages (groff-base, man-db); chromium, which it_browser drives
# headless, with a font to draw the pages' text (fonts-dejavu-core: without
# one the screenshots show boxes); tmux, in which the tests run `watch`;
# zlib, with which the tests' harness reads the screenshots' pixels
# (zlib1g-dev).
set -eu

PACKAGES="build-essential pkg-config libpaho-mqtt-dev libcjson-dev libi2c-dev libgpiod-dev
libsqlite3-dev libmicrohttpd-dev libcmocka-dev mosquitto mosquitto-clients sqlite3 i2c-tools openssl systemd clang libclang-rt-dev valgrind
libmosquitto-dev procps python3-minimal time groff-base man-db"
PACKAGES="$PACKAGES chromium fonts-dejavu-core tmux zlib1g-dev"
[ $# -eq 0 ] || PACKAGES="$*"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: missing packages:$missing; run as root or install sudo" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
