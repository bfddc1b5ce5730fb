#!/bin/bash
# Hardware in the loop, step 1 for one architecture: everything that does not
# depend on rollsense's own code, downloaded and built once into the cache
# and reused while Debian's kernel stays the same.
#
#   hil/prepare.sh amd64|arm64
#
# Leaves in $CACHE/$ARCH/:
#   root/      Debian's kernel image, its modules and headers, unpacked (never
#              installed: the host's /boot and /lib/modules are not touched)
#   ko/        i2c-stub.ko (patched: serves I2C_RDWR, 16-bit register chips)
#              and gpio-sim-hil.ko (gpio-sim with irq_sim built in), built
#              from Debian's linux-source-6.1 with hil/patches/
#   sysroot/   arm64 only: the arm64 -dev and runtime packages rollsense and
#              the guest need, unpacked with dpkg-deb -x
#   kernel.env ABI=..., KERNEL=path of the kernel image
# The host needs: apt, dpkg-deb, make, gcc (and gcc-aarch64-linux-gnu for
# arm64); hil/deps.sh installs them.
set -euo pipefail

ARCH=${1:?usage: prepare.sh amd64|arm64}
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${ROLLSENSE_HIL_CACHE:-$HOME/.cache/rollsense-hil}
OUT=$CACHE/$ARCH
mkdir -p "$OUT"

say() { echo "hil[$ARCH]: $*"; }

# apt for the guest's architecture. arm64 uses a private configuration (its
# own lists, an empty dpkg status, downloads only): the host's dpkg
# architectures are not changed.
apt_for_arch() {
	if [ "$ARCH" = amd64 ]; then
		apt-get -o APT::Sandbox::User=root "$@"
		return
	fi
	local d=$CACHE/apt-arm64
	if [ ! -f "$d/apt.conf" ]; then
		mkdir -p "$d/state/lists/partial" "$d/cache/archives/partial"
		: >"$d/state/status"
		cat >"$d/apt.conf" <<-EOF
			APT::Architecture "arm64";
			APT::Architectures { "arm64"; };
			APT::Sandbox::User "root";
			Dir::State "$d/state";
			Dir::State::status "$d/state/status";
			Dir::Cache "$d/cache";
		EOF
	fi
	APT_CONFIG=$d/apt.conf apt-get "$@"
}

# The lists are refreshed when the cache has never seen them, when the
# private ones are a day old (so both architectures follow the same kernel
# uploads), or on demand (ROLLSENSE_HIL_REFRESH=1).
refresh_lists() {
	if [ "$ARCH" = amd64 ]; then
		if ! apt-cache depends linux-image-amd64 2>/dev/null | grep -q 'Depends: linux-image-' ||
			[ "${ROLLSENSE_HIL_REFRESH:-0}" = 1 ]; then
			say "apt-get update"
			apt-get update -qq
		fi
	elif [ ! -f "$CACHE/apt-arm64/updated" ] || [ "${ROLLSENSE_HIL_REFRESH:-0}" = 1 ] ||
		[ -n "$(find "$CACHE/apt-arm64/updated" -mtime +0)" ]; then
		say "apt-get update (private arm64 configuration)"
		apt_for_arch update -qq
		touch "$CACHE/apt-arm64/updated"
	fi
}

# Downloads packages (no dependencies) into $1: the guest's architecture's,
# or with download_host, the host's (the kernel build scripts run here).
download() {
	local dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && apt_for_arch download -qq "$@" >/dev/null)
}
download_host() {
	local dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && apt-get -o APT::Sandbox::User=root download -qq "$@" >/dev/null)
}

refresh_lists
if [ "$ARCH" = amd64 ]; then
	FLAVOUR=amd64
	KMAKE=()
else
	FLAVOUR=arm64
	KMAKE=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
fi
# linux-image-<flavour> is the metapackage; it names the current ABI.
if [ "$ARCH" = amd64 ]; then
	IMAGE_PKG=$(apt-cache depends linux-image-$FLAVOUR)
else
	IMAGE_PKG=$(APT_CONFIG=$CACHE/apt-arm64/apt.conf apt-cache depends linux-image-$FLAVOUR)
fi
IMAGE_PKG=$(echo "$IMAGE_PKG" | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
ABI=${IMAGE_PKG#linux-image-}
ABI=${ABI%-"$FLAVOUR"}
[ -n "$ABI" ] || { echo "hil: cannot tell the kernel ABI of linux-image-$FLAVOUR" >&2; exit 1; }
RELEASE=$ABI-$FLAVOUR
ROOT=$OUT/root
stamp=$OUT/.ready-$RELEASE-$(cat "$HERE"/patches/*.patch "$HERE"/prepare.sh | md5sum | cut -c1-12)
if [ -f "$stamp" ]; then
	exit 0
fi
say "kernel $RELEASE"
rm -rf "$ROOT" "$OUT/ko" "$OUT"/.ready-*

# The kernel, its modules and the headers to build ours against. The headers'
# Makefile includes the common headers by an absolute /usr/src path: it is
# pointed at the unpacked copy. The scripts (fixdep, modpost) come from the
# host's own linux-kbuild, whatever the guest's architecture.
debs=$CACHE/debs
download "$debs/$ARCH" "linux-image-$RELEASE" "linux-headers-$RELEASE"
# The source and the build scripts of the very upload the image comes from.
KVER=$(dpkg-deb -f "$(ls "$debs/$ARCH/linux-image-${RELEASE}_"*.deb | sort -V | tail -1)" Version)
download "$debs/all" "linux-headers-$ABI-common" "linux-source-6.1=$KVER"
download_host "$debs/host" "linux-kbuild-6.1=$KVER"
mkdir -p "$ROOT"
for deb in "$debs/$ARCH/linux-image-${RELEASE}_"*.deb "$debs/$ARCH/linux-headers-${RELEASE}_"*.deb \
	"$debs/all/linux-headers-$ABI-common_"*.deb "$debs/host/linux-kbuild-6.1_${KVER}_"*.deb; do
	dpkg-deb -x "$deb" "$ROOT"
done
HDR=$ROOT/usr/src/linux-headers-$RELEASE
sed -i "s#^include /usr/src/#include $ROOT/usr/src/#" "$HDR/Makefile"

# The four source files, from the linux-source tarball (unpacked once per
# version: it is the slow part of a cold run).
SRCVER=$KVER
SRC=$CACHE/src-$SRCVER
FILES=(drivers/i2c/i2c-stub.c drivers/gpio/gpio-sim.c drivers/gpio/gpiolib.h kernel/irq/irq_sim.c)
if [ ! -f "$SRC/.ready" ]; then
	say "unpacking linux-source $SRCVER"
	rm -rf "$SRC" && mkdir -p "$SRC"
	dpkg-deb --fsys-tarfile "$debs/all/linux-source-6.1_${SRCVER}_all.deb" |
		tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -xJ -C "$SRC" --strip-components=1 "${FILES[@]/#/linux-source-6.1/}"
	touch "$SRC/.ready"
fi

# Our two modules. Kbuild wants the sources in one folder.
KB=$OUT/kbuild
rm -rf "$KB" && mkdir -p "$KB"
(cd "$SRC" && cp --parents "${FILES[@]}" "$KB/")
(cd "$KB" && for p in "$HERE"/patches/*.patch; do patch -s -p1 <"$p"; done)
mv "$KB"/drivers/i2c/i2c-stub.c "$KB"/drivers/gpio/gpio-sim.c "$KB"/drivers/gpio/gpiolib.h "$KB"/kernel/irq/irq_sim.c "$KB/"
# irq_sim is only built in when something in the kernel selected it; then
# the module must not export its symbols a second time.
if grep -q '^CONFIG_IRQ_SIM=y' "$HDR/.config"; then
	SIMOBJ=""
else
	SIMOBJ="irq_sim.o"
fi
cat >"$KB/Kbuild" <<EOF
obj-m := i2c-stub.o gpio-sim-hil.o
gpio-sim-hil-y := gpio-sim.o $SIMOBJ
EOF
say "building i2c-stub.ko and gpio-sim-hil.ko"
make -s -C "$HDR" M="$KB" "${KMAKE[@]}" modules >"$OUT/kbuild.log" 2>&1 ||
	{ cat "$OUT/kbuild.log" >&2; exit 1; }
mkdir -p "$OUT/ko"
cp "$KB"/i2c-stub.ko "$KB"/gpio-sim-hil.ko "$OUT/ko/"

# The guest's user space for arm64 (amd64 uses the host's own files): the
# libraries rollsense links against, with their headers for cross building,
# and mosquitto, its clients and i2c-tools with every library they need.
if [ "$ARCH" = arm64 ]; then
	say "arm64 packages into the sysroot"
	d=$CACHE/apt-arm64
	apt_for_arch install -d -y -qq --no-install-recommends \
		libc6-dev libpaho-mqtt-dev libcjson-dev libi2c-dev libgpiod-dev libsqlite3-dev libmicrohttpd-dev \
		mosquitto mosquitto-clients i2c-tools busybox-static >/dev/null
	rm -rf "$OUT/sysroot" && mkdir -p "$OUT/sysroot"
	for deb in "$d"/cache/archives/*.deb; do
		dpkg-deb -x "$deb" "$OUT/sysroot"
	done
fi

KERNEL=$ROOT/boot/vmlinuz-$RELEASE
cat >"$OUT/kernel.env" <<EOF
RELEASE=$RELEASE
KERNEL=$KERNEL
EOF
touch "$stamp"
say "prepared"
