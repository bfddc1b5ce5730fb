#!/bin/sh
# Builds the Debian packages (rollsense-sensord, rollsense-collector, the
# rollsense metapackage) for amd64 or arm64 (a Pi 3/4/5 on 64-bit Raspberry
# Pi OS), default this machine's architecture, and leaves them in
# build/pkg/<arch>/. Installs what the build needs first (scripts/deps.sh;
# for arm64 the arm64 architecture, the cross compiler and the arm64 -dev
# packages). The build runs on a copy of the tree in build/pkg/<arch>/src,
# since dpkg-buildpackage writes the packages into the parent folder. An
# amd64 build is checked with lintian, which must report no error (E:).
# The debug symbols (*-dbgsym) go to build/pkg/<arch>/dbgsym/, so that
# `apt install ./*.deb` in build/pkg/<arch> installs the three packages
# alone. Prints how long the build took and the packages' sizes.
set -eu

cd "$(dirname "$0")/.."
root=$(pwd)
arch=${1:-$(dpkg --print-architecture)}
host=$(dpkg --print-architecture)
jobs=$(nproc 2>/dev/null || echo 1)

build_deps="build-essential debhelper dpkg-dev fakeroot pkg-config libpaho-mqtt-dev libcjson-dev
libi2c-dev libgpiod-dev libsqlite3-dev libmicrohttpd-dev libcmocka-dev"
if [ "$arch" = "$host" ]; then
	# shellcheck disable=SC2086
	scripts/deps.sh $build_deps lintian
else
	case "$arch" in
	arm64) cross=crossbuild-essential-arm64 ;;
	*) echo "package: $arch: only $host and arm64 are built here" >&2; exit 2 ;;
	esac
	if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
		[ "$(id -u)" -eq 0 ] && SUDO="" || SUDO=sudo
		$SUDO dpkg --add-architecture "$arch"
	fi
	# The arm64 libraries are Multi-Arch: same, beside the amd64 ones.
	# shellcheck disable=SC2086
	scripts/deps.sh $build_deps $cross file libpaho-mqtt-dev:$arch libcjson-dev:$arch \
		libi2c-dev:$arch libgpiod-dev:$arch libsqlite3-dev:$arch libmicrohttpd-dev:$arch
fi

out="$root/build/pkg/$arch"
rm -rf "$out"
mkdir -p "$out/src"
tar -C "$root" --exclude=./build --exclude=./.git -cf - . | tar -C "$out/src" -xf -

t0=$(date +%s)
cd "$out/src"
if [ "$arch" = "$host" ]; then
	DEB_BUILD_OPTIONS="parallel=$jobs${DEB_BUILD_OPTIONS:+ $DEB_BUILD_OPTIONS}" \
		dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1 || {
		tail -n 40 "$out/build.log" >&2
		echo "package: $arch: dpkg-buildpackage failed; log in $out/build.log" >&2
		exit 1
	}
else
	# Cross: the unit tests cannot run here (DEB_BUILD_OPTIONS=nocheck).
	DEB_BUILD_OPTIONS="nocheck parallel=$jobs" \
		dpkg-buildpackage -us -uc -b -a "$arch" -Pnocheck >"$out/build.log" 2>&1 || {
		tail -n 40 "$out/build.log" >&2
		echo "package: $arch: dpkg-buildpackage failed; log in $out/build.log" >&2
		exit 1
	}
fi
t1=$(date +%s)
cd "$out"
rm -rf src
echo "package: $arch: built in $((t1 - t0)) s, in $out:"
for deb in *.deb; do
	printf '  %-45s %6s bytes, %s KiB installed\n' "$deb" "$(stat -c %s "$deb")" \
		"$(dpkg-deb -f "$deb" Installed-Size)"
done

if [ "$arch" = "$host" ]; then
	changes=$(ls ./*.changes)
	# --fail-on error: exit non-zero on an E: tag. Warnings and infos are
	# fixed or overridden in debian/*.lintian-overrides, with the reason.
	if lintian --info --display-info --fail-on error "$changes" >lintian.log 2>&1; then
		status=0
	else
		status=1
	fi
	echo "package: lintian: $(grep -c '^[EWIPX]: ' lintian.log) tags (log in $out/lintian.log)"
	grep '^[EWIPX]: ' lintian.log | awk '{ print "  " $1 " " $3 }' | sort | uniq -c
	if [ "$status" -ne 0 ]; then
		echo "package: lintian reports errors" >&2
		exit 1
	fi
fi
mkdir -p dbgsym
mv ./*-dbgsym_*.deb dbgsym/

# A cross build must hold the target's binaries, not the build machine's.
if [ "$arch" = arm64 ]; then
	rm -rf unpacked
	for deb in rollsense-sensord_*.deb rollsense-collector_*.deb; do
		dpkg-deb -x "$deb" unpacked
	done
	for bin in unpacked/usr/bin/*; do
		kind=$(file -b "$bin")
		case "$kind" in
		*"ARM aarch64"*) echo "package: ${bin#unpacked}: $kind" | cut -c1-100 ;;
		*) echo "package: ${bin#unpacked} is not an aarch64 binary: $kind" >&2; exit 1 ;;
		esac
	done
	rm -rf unpacked
fi
