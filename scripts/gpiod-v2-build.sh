#!/bin/sh
# Builds rollsense against libgpiod v2 on Debian 12, whose own libgpiod is
# v1 (1.6): downloads libgpiod-dev and libgpiod3 from bookworm-backports
# with a private apt configuration (the system's sources are not touched,
# nothing is installed), unpacks them into a cache folder, and runs make
# with pkg-config pointed there, so the Makefile defines ROLLSENSE_GPIOD_V2
# and sensord/gpio_gpiod.c compiles its v2 side. The binaries find the v2
# library through an rpath into the cache.
#
#   scripts/gpiod-v2-build.sh              build/gpiod2/rollsense-sensord, -collector
#   scripts/gpiod-v2-build.sh check        the same, then the test suite
#   GPIOD2_CACHE=DIR scripts/gpiod-v2-build.sh ...
#
# Needs the machine's Debian mirror once (the one its apt sources name);
# later runs reuse the cache.
set -eu

cd "$(dirname "$0")/.."
CACHE=${GPIOD2_CACHE:-$HOME/.cache/rollsense/gpiod2}
SUITE=bookworm-backports
ARCH=$(dpkg --print-architecture)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
ROOT=$CACHE/root
LIBDIR=$ROOT/usr/lib/$MULTIARCH
PCDIR=$CACHE/pkgconfig

if [ ! -f "$PCDIR/libgpiod.pc" ]; then
	APT=$CACHE/apt
	mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/etc/sources.list.d" \
		"$APT/etc/preferences.d" "$CACHE/debs" "$ROOT" "$PCDIR"
	# The machine's own Debian mirror, as its apt sources name it.
	MIRROR=$(sed -n 's|^URIs:[[:space:]]*\([^[:space:]]*/debian\)/*$|\1|p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
	[ -n "$MIRROR" ] || MIRROR=$(sed -n 's|^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*/debian\)/*[[:space:]].*|\2|p' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1)
	[ -n "$MIRROR" ] || { echo "gpiod-v2-build: no Debian mirror in the apt sources" >&2; exit 1; }
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" \
		>"$APT/etc/sources.list"
	cat >"$APT/apt.conf" <<CONF
Dir::Etc::SourceList "$APT/etc/sources.list";
Dir::Etc::SourceParts "$APT/etc/sources.list.d";
Dir::Etc::Preferences "$APT/etc/preferences";
Dir::Etc::PreferencesParts "$APT/etc/preferences.d";
Dir::State::Lists "$APT/lists";
Dir::Cache "$APT/cache";
APT::Architecture "$ARCH";
CONF
	export APT_CONFIG="$APT/apt.conf"
	echo "gpiod-v2: fetching the $SUITE package list"
	apt-get update -qq
	VERSION=$(apt-cache madison libgpiod-dev | awk -v s="$SUITE" '$0 ~ s { print $3; exit }')
	case "$VERSION" in
	2.*) ;;
	*) echo "gpiod-v2: no libgpiod-dev 2.x in $SUITE (found \"$VERSION\")" >&2; exit 1 ;;
	esac
	echo "gpiod-v2: downloading libgpiod-dev and libgpiod3 $VERSION"
	# apt-get download writes into the current folder; as root it warns
	# that _apt cannot write there, which is harmless.
	(cd "$CACHE/debs" && apt-get download -qq "libgpiod-dev=$VERSION" "libgpiod3=$VERSION" 2>&1 |
		grep -v "unsandboxed" || true)
	for deb in "$CACHE"/debs/*.deb; do
		dpkg-deb -x "$deb" "$ROOT"
	done
	# The package's .pc says prefix=/usr: point it into the cache.
	sed -e "s|^prefix=.*|prefix=$ROOT/usr|" "$LIBDIR/pkgconfig/libgpiod.pc" >"$PCDIR/libgpiod.pc"
fi

export PKG_CONFIG_PATH="$PCDIR${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
echo "gpiod-v2: libgpiod $(pkg-config --modversion libgpiod) from $ROOT"
pkg-config --atleast-version=2 libgpiod || { echo "gpiod-v2: pkg-config does not see v2" >&2; exit 1; }
exec make BUILD=build/gpiod2 LDFLAGS="${LDFLAGS:-} -Wl,-rpath,$LIBDIR" "${@:-all}"
