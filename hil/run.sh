#!/bin/bash
# Hardware in the loop: the real rollsense binaries against a real Linux
# kernel's i2c-dev and GPIO character device, in qemu, for one architecture.
#
#   hil/run.sh amd64|arm64
#
# 1. hil/prepare.sh: Debian's kernel and our two modules (cached);
# 2. builds rollsense for the guest (arm64: cross-built against the sysroot
#    of arm64 -dev packages, objects in build/arm64/);
# 3. packs an initramfs: static busybox, hil/init, the kernel modules, the
#    binaries (rollsense, mosquitto, its clients, i2c-tools) and every shared
#    library they need;
# 4. boots it under qemu (TCG, no network at all) with build/hil/ARCH/share
#    as a 9p share holding hil/guest.sh and the plan from hil/check.py;
# 5. checks what the guest left there with hil/check.py verify.
# Exit 0 only when every check passed.
set -euo pipefail

ARCH=${1:?usage: run.sh amd64|arm64}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
CACHE=${ROLLSENSE_HIL_CACHE:-$HOME/.cache/rollsense-hil}
OUT=$CACHE/$ARCH
WORK=$TOP/build/hil/$ARCH
BOOT_TIMEOUT_S=${ROLLSENSE_HIL_TIMEOUT_S:-300}

say() { echo "hil[$ARCH] ${SECONDS}s: $*"; }

mkdir -p "$WORK"
rm -f "$WORK/verify.txt"
# One preparation at a time per cache: two runs share its downloads.
mkdir -p "$CACHE"
flock "$CACHE/.lock" "$HERE/prepare.sh" "$ARCH"
# shellcheck disable=SC1091
. "$OUT/kernel.env"
MODDIR=$OUT/root/lib/modules/$RELEASE

# ---- 2. the binaries
say "building rollsense"
case $ARCH in
amd64)
	TRIPLET=x86_64-linux-gnu
	SYSROOT=/
	BUSYBOX=/bin/busybox
	make -s -C "$TOP" all
	BIN=$TOP/build
	;;
arm64)
	TRIPLET=aarch64-linux-gnu
	SYSROOT=$OUT/sysroot
	BUSYBOX=$SYSROOT/bin/busybox
	# pkg-config answers from the sysroot's .pc files, paths prefixed.
	PC=$OUT/pkg-config
	cat >"$PC" <<-EOF
		#!/bin/sh
		export PKG_CONFIG_SYSROOT_DIR=$SYSROOT
		export PKG_CONFIG_LIBDIR=$SYSROOT/usr/lib/$TRIPLET/pkgconfig:$SYSROOT/usr/share/pkgconfig
		exec pkg-config "\$@"
	EOF
	chmod +x "$PC"
	make -s -C "$TOP" BUILD=build/arm64 CROSS_COMPILE=$TRIPLET- \
		CC="$TRIPLET-gcc --sysroot=$SYSROOT" PKG_CONFIG="$PC" all
	BIN=$TOP/build/arm64
	;;
*)
	echo "run.sh: unknown architecture $ARCH" >&2
	exit 2
	;;
esac

# ---- 3. the initramfs
say "packing the initramfs"
RD=$WORK/initramfs
rm -rf "$RD"
mkdir -p "$RD"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,share,lib/modules/hil,lib/$TRIPLET}
cp "$BUSYBOX" "$RD/bin/busybox"
cp "$HERE/init" "$RD/init"
chmod 0755 "$RD/init"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$RD/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$RD/etc/group"
cp "$BIN/rollsense-sensord" "$BIN/rollsense-collector" "$RD/usr/bin/"
cp "$SYSROOT/usr/sbin/mosquitto" "$SYSROOT/usr/sbin/i2cset" "$SYSROOT/usr/sbin/i2cget" \
	"$SYSROOT/usr/sbin/i2ctransfer" "$RD/usr/sbin/"
cp "$SYSROOT/usr/bin/mosquitto_sub" "$SYSROOT/usr/bin/mosquitto_pub" "$RD/usr/bin/"

# Shared libraries: each binary's DT_NEEDED, found in the sysroot's multiarch
# folders, recursively; and the program interpreter at its own path.
libdirs="$SYSROOT/lib/$TRIPLET $SYSROOT/usr/lib/$TRIPLET"
declare -A seen=()
add_libs() {
	local lib path
	for lib in $(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -n "${seen[$lib]:-}" ] && continue
		seen[$lib]=1
		path=""
		for d in $libdirs; do
			if [ -e "$d/$lib" ]; then path=$d/$lib; break; fi
		done
		[ -n "$path" ] || { echo "run.sh: $lib (needed by $1) not found" >&2; exit 1; }
		cp -L "$path" "$RD/lib/$TRIPLET/$lib"
		add_libs "$path"
	done
}
for f in "$RD"/usr/bin/* "$RD"/usr/sbin/*; do
	add_libs "$f"
	interp=$(readelf -l "$f" | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]/\1/p')
	if [ -n "$interp" ] && [ ! -e "$RD$interp" ]; then
		mkdir -p "$RD$(dirname "$interp")"
		cp -L "$SYSROOT$interp" "$RD$interp"
	fi
done
# The loader's default paths are the multiarch ones; say it anyway.
echo "/lib/$TRIPLET" >"$RD/etc/ld.so.conf"

# Kernel modules: the 9p share over virtio-pci, configfs, i2c-dev, each after
# what it depends on (from the modules' own .modinfo); built-in ones skipped.
declare -A kopath=() loaded=()
while read -r ko; do
	name=${ko##*/}
	name=${name%.ko}
	kopath[${name//-/_}]=$ko
done < <(find "$MODDIR/kernel" -name '*.ko')
: >"$RD/lib/modules/hil/order"
add_module() {
	local m=${1//-/_} dep ko
	[ -n "${loaded[$m]:-}" ] && return 0
	loaded[$m]=1
	ko=${kopath[$m]:-}
	if [ -z "$ko" ]; then
		grep -q "/${1}.ko\$\|/${m}.ko\$" "$MODDIR/modules.builtin" && return 0
		echo "run.sh: kernel module $1 neither built in nor found" >&2
		exit 1
	fi
	for dep in $(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
		add_module "$dep"
	done
	cp "$ko" "$RD/lib/modules/hil/"
	echo "${ko##*/}" >>"$RD/lib/modules/hil/order"
}
for m in virtio_pci 9pnet_virtio 9p configfs i2c-dev; do
	add_module "$m"
done
cp "$OUT"/ko/*.ko "$RD/lib/modules/hil/"
(cd "$RD" && find . | cpio -o -H newc --quiet | gzip -1) >"$WORK/initramfs.cpio.gz"

# ---- 4. boot
SHARE=$WORK/share
rm -rf "$SHARE"
mkdir -p "$SHARE"
cp "$HERE/guest.sh" "$SHARE/"
python3 "$HERE/check.py" plan "$SHARE"
case $ARCH in
amd64)
	QEMU=(qemu-system-x86_64 -M pc -cpu max -smp 2)
	CONSOLE=ttyS0
	;;
arm64)
	QEMU=(qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2)
	CONSOLE=ttyAMA0
	;;
esac
say "booting $RELEASE under ${QEMU[0]} (at most $BOOT_TIMEOUT_S s)"
start=$(date +%s.%N)
rc=0
timeout --kill-after=10 "$BOOT_TIMEOUT_S" "${QEMU[@]}" -m 1024 -nographic -no-reboot -nic none \
	-kernel "$KERNEL" -initrd "$WORK/initramfs.cpio.gz" \
	-append "console=$CONSOLE panic=-1 loglevel=4 rdinit=/init" \
	-virtfs "local,path=$SHARE,mount_tag=hil,security_model=none,id=hil" \
	</dev/null >"$WORK/console.log" 2>&1 || rc=$?
end=$(date +%s.%N)
say "the guest ran $(awk "BEGIN { printf \"%.1f\", $end - $start }") s (qemu exit $rc)"
if [ ! -f "$SHARE/guest.rc" ]; then
	echo "hil[$ARCH]: the guest did not finish; its console:" >&2
	tail -40 "$WORK/console.log" >&2
	exit 1
fi
guest_rc=$(cat "$SHARE/guest.rc")
if [ "$guest_rc" != 0 ]; then
	echo "hil[$ARCH]: guest.sh failed:" >&2
	tail -20 "$SHARE/guest.log" >&2
fi

# ---- 5. check
python3 "$HERE/check.py" verify "$SHARE" "$ARCH" | tee "$WORK/verify.txt"
verify_rc=${PIPESTATUS[0]}
[ "$guest_rc" = 0 ] && [ "$verify_rc" = 0 ]
