#!/bin/sh
# Installs the Debian packages `make check-hil` needs on the host, when any is
# missing: qemu for both guests, a static busybox, the arm64 cross compiler,
# and the tools that unpack and pack. apt-get as root, else through sudo.
set -eu

PACKAGES="qemu-system-x86 qemu-system-arm busybox-static gcc-aarch64-linux-gnu
libc6-dev-arm64-cross cpio xz-utils patch gzip binutils python3 make gcc"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "hil deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "hil deps: missing packages:$missing; run as root or install sudo" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "hil deps: done"
