#!/bin/bash
# Installs rollsense's Debian packages into a fresh Debian 12 (bookworm)
# chroot and checks what a user gets, then follows the README's "Install on
# a Pi" steps word for word in a second fresh chroot.
#
#   scripts/check-package-chroot.sh DEBDIR     (as root; DEBDIR holds the
#                                               three .debs: rollsense,
#                                               rollsense-sensord,
#                                               rollsense-collector)
#
#   README=FILE               the README whose Pi steps are run (README.md)
#   CHROOT_CACHE=DIR          cache folder (~/.cache/rollsense-pkg)
#   CHROOT_TIMEOUT=SECONDS    bound on the whole run (1500)
#
# Chroot 1: apt-get install ./*.deb; both daemons' --version prints the
# package's version and --check-config takes the shipped example;
# systemd-analyze verify passes on the units, which are enabled, carry
# ConditionPathExists=/etc/rollsense/rollsense.json and whose Documentation=
# exists; the template rollsense-sensord@.service is checked as its
# instance rollsense-sensord@ball.service (verify, and security offline),
# with ConditionPathExists=/etc/rollsense/%i.json, and is not enabled; user rollsense is in the groups i2c and gpio; the example is a
# conffile; the udev rules, the three man pages (man -l with groff's
# warnings, on the host) and the mosquitto example and ACL are there;
# apt-get purge removes the binaries, units and links.
# Chroot 2: the README's ```sh blocks between <!-- pi-steps: begin --> and
# <!-- pi-steps: end -->, in order and as written, run with bash -e as root
# (sudo works) from the folder holding the .debs; then
# /etc/rollsense/rollsense.json has its own device_id and passes both
# daemons' --check-config (as root and as the units' user); mosquitto runs
# on what the steps set up, and the collector logs in to it. Then the
# README's "Two tools on one Pi" block (between <!-- two-tools-steps: begin
# --> and its end marker), as written but for its --once, journalctl and
# systemctl status lines and systemctl's --now (no chips, journal or
# running systemd in a chroot): ball.json and roller.json with
# ids of their own, the chips at 0x18 0x68 0x76 and 0x19 0x48 0x69, feedback lines
# not shared, both instances enabled and verified, the plain unit disabled.
#
# The chroot is debootstrap's minbase variant plus sudo (the README's steps
# use it), made once and kept as a tarball in the cache; every run unpacks a
# new copy, so each run starts from a machine on which nothing of rollsense
# was ever installed. Whatever else the packages need (systemd, mosquitto,
# the libraries) they must pull in themselves. Apt's package lists and the
# downloaded archives are kept in the cache too and bind-mounted into the
# chroot, so a second run downloads little; the installed state is new.
#
# The mirror is the machine's own Debian mirror, as its apt sources name it.
# /proc, /sys and a minimal /dev are mounted in the chroot and always
# unmounted on the way out, whether the checks passed or not. Services are
# not started in the chroot (policy-rc.d answers 101, and systemctl ignores
# start requests in a chroot).
set -euo pipefail

PROG=check-package
log() { echo "$PROG: $*"; }
fail() {
	echo "$PROG: FAIL: $*" >&2
	exit 1
}

[ $# -eq 1 ] || {
	echo "usage: $0 DEBDIR" >&2
	exit 2
}
[ "$(id -u)" -eq 0 ] || fail "debootstrap, chroot and mount need root: run it as root (sudo $0 $1)"

# Paths given relative to where the script was called from.
DEBDIR=$(cd "$1" && pwd) || fail "no folder $1"
[ -z "${README:-}" ] || README=$(realpath "$README")
cd "$(dirname "$0")/.."
REPO=$PWD
README=${README:-$REPO/README.md}
CACHE=${CHROOT_CACHE:-${HOME:-/root}/.cache/rollsense-pkg}
LIMIT=${CHROOT_TIMEOUT:-1500}

# The whole run is bounded: the script runs itself again under timeout(1),
# whose TERM reaches the trap below, which unmounts and removes the chroot.
if [ -z "${ROLLSENSE_CHROOT_BOUNDED:-}" ]; then
	export ROLLSENSE_CHROOT_BOUNDED=1 README
	exec timeout --kill-after=60 "$LIMIT" "$REPO/scripts/check-package-chroot.sh" "$DEBDIR"
fi

PACKAGES=(rollsense rollsense-sensord rollsense-collector)
SUITE=bookworm
ARCH=$(dpkg --print-architecture)
VARIANT=minbase
INCLUDE=sudo
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# The cache tarball's name carries a hash of these settings: changing any
# of them builds a new one. RECIPE counts changes to tarball_build.
RECIPE=1
SETTINGS="suite=$SUITE arch=$ARCH variant=$VARIANT include=$INCLUDE recipe=$RECIPE"
HASH=$(printf '%s\n' "$SETTINGS" | sha256sum | cut -c1-12)
TARBALL=$CACHE/$SUITE-$ARCH-$HASH.tar.zst
STARTED=$SECONDS

# Host tools: debootstrap and zstd for the chroot, man-db and groff for the
# man pages, iproute2 and util-linux for a private network to try
# mosquitto's configuration in.
scripts/deps.sh debootstrap zstd man-db groff-base iproute2 util-linux debian-archive-keyring

# --- the machine's Debian mirror ------------------------------------------

sources_uri() { # $1: the path the URI ends in (debian, debian-security)
	{
		sed -n "s|^URIs:[[:space:]]*\([^[:space:]]*/$1\)/*\$|\1|p" /etc/apt/sources.list.d/*.sources 2>/dev/null || true
		sed -n "s|^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*/$1\)/*[[:space:]].*|\2|p" \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true
	} | head -n 1 || true
}
MIRROR=$(sources_uri debian)
[ -n "$MIRROR" ] || fail "no Debian mirror in /etc/apt/sources.list or /etc/apt/sources.list.d/"
SECURITY=$(sources_uri debian-security)

# --- mounts and cleanup --------------------------------------------------

# The cleanup and the traps may run inside a step whose output goes to a
# log: they write to the script's own stderr, kept as fd 3.
exec 3>&2

ROOT=""

# Unmounts everything mounted under $ROOT (ours, and any a killed
# debootstrap left), innermost first, then removes the tree, but only once
# nothing is mounted there any more: rm -rf through a bind mount would
# reach the host's files.
chroot_remove() {
	[ -n "$ROOT" ] || return 0
	local m
	awk -v r="$ROOT/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	if grep -q " $ROOT/" /proc/self/mounts; then
		echo "$PROG: still mounted under $ROOT, left in place:" >&3
		grep " $ROOT/" /proc/self/mounts >&3
		return 1
	fi
	rm -rf --one-file-system "$ROOT"
	ROOT=""
}
# Runs a long step under its own time limit, in the background, so that the
# TERM of the whole run's limit reaches the trap at once (bash runs a trap
# only once the foreground command is over) and the trap stops the step.
CHILD=""
bounded() { # $1: seconds, the rest: the command
	local secs=$1 rc=0
	shift
	timeout "$secs" "$@" 3>&- &
	CHILD=$!
	wait "$CHILD" || rc=$?
	CHILD=""
	return $rc
}
on_exit() {
	local rc=$?
	if [ -n "$CHILD" ]; then
		kill -TERM "$CHILD" 2>/dev/null || true
		wait "$CHILD" 2>/dev/null || true
	fi
	chroot_remove && rm -rf "$WORK"
	[ $rc -eq 0 ] || echo "$PROG: failed after $((SECONDS - STARTED)) s" >&3
	exit $rc
}

# A run killed outright (timeout's KILL) leaves its chroot mounted: each
# work folder names its run's pid, and those of runs gone are cleared here.
for stale in /var/tmp/rollsense-pkgcheck.*/; do
	[ -f "$stale/pid" ] || continue
	! kill -0 "$(cat "$stale/pid")" 2>/dev/null || continue
	for ROOT in "${stale%/}"/root "${stale%/}"/debootstrap; do
		[ ! -d "$ROOT" ] || chroot_remove || fail "a killed run's chroot $ROOT is still mounted"
	done
	rm -rf --one-file-system "$stale"
	log "removed a killed run's $stale"
done
ROOT=""
WORK=$(mktemp -d /var/tmp/rollsense-pkgcheck.XXXXXX)
echo $$ >"$WORK/pid"
trap on_exit EXIT
trap 'echo "$PROG: interrupted (timeout of $LIMIT s?)" >&3; exit 124' TERM INT

mount_in() { # $1: where under $ROOT, the rest: mount's arguments
	local where=$ROOT$1
	shift
	mkdir -p "$where"
	mount "$@" "$where"
}

# A /dev with only the nodes programs expect, on a tmpfs of its own: the
# host's /dev is not bound in.
dev_populate() {
	local d=$ROOT/dev
	mknod -m 666 "$d/null" c 1 3
	mknod -m 666 "$d/zero" c 1 5
	mknod -m 666 "$d/full" c 1 7
	mknod -m 666 "$d/random" c 1 8
	mknod -m 666 "$d/urandom" c 1 9
	mknod -m 666 "$d/tty" c 5 0
	ln -s /proc/self/fd "$d/fd"
	ln -s /proc/self/fd/0 "$d/stdin"
	ln -s /proc/self/fd/1 "$d/stdout"
	ln -s /proc/self/fd/2 "$d/stderr"
	mkdir -m 1777 "$d/shm"
}

chroot_mount() {
	mount_in /proc -t proc proc
	mount_in /sys -t sysfs -o ro sysfs
	mount_in /dev -t tmpfs -o mode=0755,size=1m rollsense-dev
	dev_populate
	# A private devpts instance (newinstance): dpkg logs through a pty.
	mount_in /dev/pts -t devpts -o newinstance,ptmxmode=0666,mode=0620 rollsense-devpts
	ln -s pts/ptmx "$ROOT/dev/ptmx"
	mount_in /run -t tmpfs -o mode=0755,size=16m rollsense-run
	mkdir -p "$CACHE/apt-lists/partial" "$CACHE/apt-archives/partial"
	mount_in /var/lib/apt/lists --bind "$CACHE/apt-lists"
	mount_in /var/cache/apt/archives --bind "$CACHE/apt-archives"
}

# Runs a command in the chroot with a clean environment, as root.
in_root() {
	chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive SYSTEMD_OFFLINE=1 "$@" </dev/null
}

# --- the cached tarball ---------------------------------------------------

tarball_build() {
	log "no cached chroot ($TARBALL): debootstrap --variant=$VARIANT --include=$INCLUDE $SUITE from $MIRROR"
	mkdir -p "$CACHE"
	ROOT=$WORK/debootstrap
	mkdir "$ROOT"
	local t0=$SECONDS
	bounded 900 debootstrap --variant="$VARIANT" --include="$INCLUDE" --arch="$ARCH" \
		--keyring="$KEYRING" "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
		tail -n 30 "$WORK/debootstrap.log" >&2
		fail "debootstrap failed (the log's end is above)"
	}
	rm -f "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*_* 2>/dev/null || true
	tar -C "$ROOT" --numeric-owner --xattrs -cf - . | zstd -q -T0 -3 -o "$TARBALL.tmp"
	mv "$TARBALL.tmp" "$TARBALL"
	# Tarballs of earlier settings are not used again.
	find "$CACHE" -maxdepth 1 -name "$SUITE-$ARCH-*.tar.zst" ! -name "${TARBALL##*/}" -delete
	chroot_remove
	log "cached $TARBALL ($(du -h "$TARBALL" | cut -f1), $((SECONDS - t0)) s)"
}

# Unpacks a new chroot from the tarball, points its apt at the mirror,
# forbids service starts and mounts what programs need.
chroot_new() {
	ROOT=$WORK/root
	mkdir "$ROOT"
	zstd -q -dc "$TARBALL" | tar -C "$ROOT" --numeric-owner --xattrs -xf -
	{
		echo "deb $MIRROR $SUITE main"
		echo "deb $MIRROR $SUITE-updates main"
		[ -z "$SECURITY" ] || echo "deb $SECURITY $SUITE-security main"
	} >"$ROOT/etc/apt/sources.list"
	cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
	printf '#!/bin/sh\n# No service starts in this chroot.\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
	chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
	# apt (not apt-get), which the README's steps use, deletes what it
	# downloaded once it has installed it; here the archives are the
	# cache's, kept for the next run.
	echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' >"$ROOT/etc/apt/apt.conf.d/90rollsense-keep-debs"
	# A user answers apt's "Do you want to continue? [Y/n]" with Y; here,
	# with no terminal, apt's configuration does, so that the README's
	# commands run exactly as written.
	echo 'APT::Get::Assume-Yes "true";' >"$ROOT/etc/apt/apt.conf.d/90rollsense-assume-yes"
	# A Pi's /etc/hosts names the Pi; without it sudo warns on every call.
	echo "127.0.1.1 $(uname -n)" >>"$ROOT/etc/hosts"
	# systemctl ignores start and restart in a chroot, but tells a chroot by
	# /proc/1/root, which a sandboxed host may not let it read; then it
	# fails ("System has not been booted with systemd"). SYSTEMD_OFFLINE=1
	# tells it, and sudo is told to pass it on.
	echo 'Defaults env_keep += "SYSTEMD_OFFLINE"' >"$ROOT/etc/sudoers.d/rollsense-check"
	chmod 0440 "$ROOT/etc/sudoers.d/rollsense-check"
	chroot_mount
	mkdir -p "$ROOT/root/rollsense-debs"
	cp "${DEBS[@]}" "$ROOT/root/rollsense-debs/"
	bounded 300 chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin apt-get update -qq </dev/null ||
		fail "apt-get update in the chroot failed (mirror $MIRROR)"
}

# --- the packages ---------------------------------------------------------

DEBS=()
for p in "${PACKAGES[@]}"; do
	found=("$DEBDIR/${p}_"*.deb)
	[ -f "${found[0]}" ] || fail "no ${p}_*.deb in $DEBDIR"
	[ ${#found[@]} -eq 1 ] || fail "more than one ${p}_*.deb in $DEBDIR: ${found[*]}"
	DEBS+=("${found[0]}")
done
# The version a user is told: the package's, less epoch and Debian revision.
DEB_VERSION=$(dpkg-deb -f "${DEBS[1]}" Version)
UPSTREAM=${DEB_VERSION#*:}
UPSTREAM=${UPSTREAM%-*}
log "packages: ${DEBS[*]##*/} (version $DEB_VERSION)"

# The README's steps: every ```sh block between two markers, in order, as
# written. Checked before any chroot is made, so a README without them
# fails at once.
[ -f "$README" ] || fail "no README at $README"
readme_steps() { # $1: what they are, $2: marker name ("pi-steps"), $3: the file to write
	local begin="<!-- $2: begin -->" end="<!-- $2: end -->"
	[ "$(grep -cxF "$begin" "$README")" -eq 1 ] ||
		fail "$README: the $1' start marker \"$begin\" must be on a line of its own, once"
	[ "$(grep -cxF "$end" "$README")" -eq 1 ] ||
		fail "$README: the $1' end marker \"$end\" must be on a line of its own, once"
	awk -v b="$begin" -v e="$end" '
		$0 == b { inside = 1; next }
		$0 == e { if (!inside) { print "end marker before start marker" > "/dev/stderr"; exit 1 }
			if (fence) { print "a ```sh block is still open at the end marker" > "/dev/stderr"; exit 1 }
			inside = 0; done = 1; exit 0 }
		!inside { next }
		fence && /^```[[:space:]]*$/ { fence = 0; next }
		fence { print; next }
		/^```sh[[:space:]]*$/ { fence = 1; blocks++; next }
		END { if (!done) exit 1; if (!blocks) { print "no ```sh block between the markers" > "/dev/stderr"; exit 1 } }
	' "$README" >"$3" || fail "$README: could not take the $1 from between the markers (above)"
}
STEPS=$WORK/pi-steps.sh
readme_steps "Pi steps" pi-steps "$STEPS"
# The two-tools steps, less what needs the chips, a journal or a running
# systemd, which a chroot has not: the --once wiring checks, journalctl,
# systemctl status, and the --now of systemctl enable and disable (the
# enabling and disabling stay).
TWO_STEPS=$WORK/two-tools-steps.sh
readme_steps "two-tools steps" two-tools-steps "$WORK/two-tools-all.sh"
grep -v -e ' --once' -e 'journalctl' -e 'systemctl status' "$WORK/two-tools-all.sh" |
	sed 's/systemctl \(enable\|disable\) --now /systemctl \1 /' >"$TWO_STEPS"
log "the README's Pi steps ($(grep -c '' "$STEPS") lines from $README)"
log "the README's two-tools steps ($(grep -c '' "$TWO_STEPS") of $(grep -c '' "$WORK/two-tools-all.sh") lines: not --once, journalctl or systemctl status; systemctl without --now)"

if [ ! -f "$TARBALL" ]; then
	tarball_build
else
	log "cached chroot: $TARBALL"
fi

# === 1. apt-get install ./*.deb and what the user gets ====================

T1=$SECONDS
chroot_new
log "chroot 1 ($ROOT): apt-get install ./*.deb"
bounded 600 chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
	DEBIAN_FRONTEND=noninteractive SYSTEMD_OFFLINE=1 sh -c 'cd /root/rollsense-debs && apt-get install -y -q ./*.deb' \
	</dev/null >"$WORK/install.log" 2>&1 || {
	tail -n 40 "$WORK/install.log" >&2
	fail "apt-get install ./*.deb in a fresh $SUITE chroot failed (the log's end is above)"
}
installed=$(sed -n 's/^Setting up \([^ :]*\).*/\1/p' "$WORK/install.log" | sort)
log "apt-get installed $(grep -c '' <<<"$installed") packages: $(tr '\n' ' ' <<<"$installed")"
grep -E '^(W|E):|^Created symlink .*rollsense' "$WORK/install.log" | sed 's/^/    /' || true
rm -f "$WORK/install.log"

owned_files() { in_root dpkg-query -L "${PACKAGES[@]}" 2>/dev/null | sort -u; }
FILES=$(owned_files)

for d in sensord collector; do
	out=$(in_root "rollsense-$d" --version 2>&1) || fail "rollsense-$d --version exited with an error: $out"
	case "$out" in
	*"$UPSTREAM"*) log "ok: rollsense-$d --version: $out" ;;
	*) fail "rollsense-$d --version printed \"$out\", without the package's version $UPSTREAM" ;;
	esac
	out=$(in_root "rollsense-$d" --check-config --config /etc/rollsense/rollsense.json.example 2>&1) ||
		fail "rollsense-$d --check-config --config /etc/rollsense/rollsense.json.example: $out"
	log "ok: rollsense-$d --check-config on the shipped example"
done

UNITS=$(grep -E '^/(usr/)?lib/systemd/system/[^/]+\.service$' <<<"$FILES" || true)
[ -n "$UNITS" ] || fail "the packages install no systemd unit under /lib/systemd/system"
for u in $UNITS; do
	name=${u##*/}
	# A template (rollsense-sensord@.service) is checked as an instance,
	# by name (systemd finds the template) and, for security, as a copy
	# named as one.
	target=$u
	instance=""
	case "$name" in
	*@.service)
		instance=${name%@.service}@ball.service
		target=$instance
		;;
	esac
	# man is not in the chroot: --man=no, and the man: links are checked
	# against the installed pages here instead.
	out=$(in_root systemd-analyze verify --man=no "$target" 2>&1) || fail "systemd-analyze verify $target: $out"
	[ -z "$out" ] || fail "systemd-analyze verify $target warns: $out"
	log "ok: systemd-analyze verify --man=no $target (in the chroot, no output)"
	# shellcheck disable=SC2013 # Documentation= holds space-separated words
	for doc in $(sed -n 's/^Documentation=//p' "$ROOT$u"); do
		case "$doc" in
		man:*)
			page=${doc#man:}
			page="${page%%(*}.${page#*(}"
			page=${page%)}
			grep -qE "^/usr/share/man/man[0-9]/${page//./\.}(\.gz)?\$" <<<"$FILES" ||
				fail "$u: Documentation=$doc, but the packages install no such man page"
			;;
		file://*)
			[ -e "$ROOT${doc#file://}" ] || fail "$u: Documentation=$doc, but there is no ${doc#file://}"
			;;
		esac
	done
	if [ -n "$instance" ]; then
		grep -qx 'ConditionPathExists=/etc/rollsense/%i.json' "$ROOT$u" ||
			fail "$u has no ConditionPathExists=/etc/rollsense/%i.json"
		# One instance per tool, enabled by hand (README, "Two tools on one Pi").
		wants=$(compgen -G "$ROOT/etc/systemd/system/multi-user.target.wants/${name%.service}*" || true)
		[ -z "$wants" ] || fail "$name is enabled on install: $wants"
		log "ok: $name not enabled, its instances read /etc/rollsense/NAME.json"
		cp "$ROOT$u" "$ROOT/tmp/$instance"
		target=/tmp/$instance
	else
		grep -qx 'ConditionPathExists=/etc/rollsense/rollsense.json' "$ROOT$u" ||
			fail "$u has no ConditionPathExists=/etc/rollsense/rollsense.json"
		[ -L "$ROOT/etc/systemd/system/multi-user.target.wants/$name" ] ||
			fail "$name is not enabled: no /etc/systemd/system/multi-user.target.wants/$name"
		log "ok: $name enabled, started only once /etc/rollsense/rollsense.json exists"
	fi
	# How hardened the unit is, for the record (no threshold here:
	# tests/it_systemd.c has one).
	exposure=$(in_root systemd-analyze security --offline=true --no-pager "$target" 2>&1 | grep -i 'overall exposure' || true)
	log "    systemd-analyze security --offline=true: ${exposure:-no verdict}"
done

in_root getent passwd rollsense >/dev/null || fail "no user rollsense after the install"
for g in i2c gpio; do
	in_root getent group "$g" >/dev/null || fail "no group $g after the install"
done
groups=" $(in_root id -nG rollsense) "
for g in i2c gpio; do
	case "$groups" in
	*" $g "*) ;;
	*) fail "user rollsense is not in group $g (its groups:$groups)" ;;
	esac
done
log "ok: user rollsense, in groups:$groups"

# shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
conffiles=$(in_root dpkg-query -W -f='${Conffiles}\n' "${PACKAGES[@]}")
grep -q '^ /etc/rollsense/rollsense.json.example ' <<<"$conffiles" ||
	fail "/etc/rollsense/rollsense.json.example is not a conffile of any package; conffiles:$conffiles"
log "ok: /etc/rollsense/rollsense.json.example is a conffile"

rules=$(grep -E '^/(usr/)?lib/udev/rules\.d/[^/]+\.rules$' <<<"$FILES" || true)
[ -n "$rules" ] || fail "the packages install no udev rules under /lib/udev/rules.d"
for r in $rules; do
	[ -f "$ROOT$r" ] || fail "$r is listed but missing"
	if ! grep -q 'i2c' "$ROOT$r" || ! grep -q 'gpiochip' "$ROOT$r"; then
		fail "$r does not name both i2c and gpiochip devices"
	fi
done
log "ok: udev rules: $rules"

# man-db and groff are not in the chroot: the pages are rendered on the
# host, with groff's warnings on (-ww), as lintian does.
for page in rollsense-sensord.8 rollsense-collector.8 rollsense.json.5; do
	path=$(grep -E "^/usr/share/man/man[0-9]/$page(\.gz)?\$" <<<"$FILES" || true)
	[ -n "$path" ] || fail "no man page $page installed"
	out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings=w -E UTF-8 -l -Tutf8 -Z "$ROOT$path" 2>&1 >/dev/null) ||
		fail "man -l $path failed: $out"
	[ -z "$out" ] || fail "man -l $path warns: $out"
	log "ok: man -l $path renders without warnings"
done

examples=$(grep -E '^/usr/share/doc/rollsense/examples/[^/]+$' <<<"$FILES" || true)
grep -qE 'mosquitto[^/]*\.conf(\.gz)?$' <<<"$examples" ||
	fail "no mosquitto configuration in /usr/share/doc/rollsense/examples (there: ${examples:-nothing})"
grep -qE 'acl(\.gz)?$' <<<"$examples" ||
	fail "no mosquitto ACL in /usr/share/doc/rollsense/examples (there: ${examples:-nothing})"
log "ok: examples: $(tr '\n' ' ' <<<"$examples")"

bounded 300 chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
	apt-get purge -y -q "${PACKAGES[@]}" </dev/null >/dev/null 2>&1 || fail "apt-get purge ${PACKAGES[*]} failed"
left=""
for f in /usr/bin/rollsense-sensord /usr/bin/rollsense-collector $UNITS \
	/etc/systemd/system/multi-user.target.wants/rollsense-sensord.service \
	/etc/systemd/system/multi-user.target.wants/rollsense-collector.service \
	/etc/systemd/system/multi-user.target.wants/rollsense-web.service \
	/etc/rollsense/rollsense.json.example; do
	[ ! -e "$ROOT$f" ] && [ ! -L "$ROOT$f" ] || left="$left $f"
done
[ -z "$left" ] || fail "apt-get purge left:$left"
log "ok: apt-get purge removes the binaries, units, enablement links and the example"
chroot_remove
log "chroot 1 done in $((SECONDS - T1)) s"

# === 2. The README's Pi steps, word for word ==============================

T2=$SECONDS
chroot_new
cp "$STEPS" "$ROOT/root/pi-steps.sh"
log "chroot 2 ($ROOT): the README's Pi steps, run with bash -e as root from the folder holding the .debs:"
sed 's/^/    | /' "$STEPS"
bounded 600 chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
	DEBIAN_FRONTEND=noninteractive SYSTEMD_OFFLINE=1 TERM=dumb bash -c 'cd /root/rollsense-debs && exec bash -e /root/pi-steps.sh' \
	</dev/null >"$WORK/steps.log" 2>&1 || {
	rc=$?
	tail -n 40 "$WORK/steps.log" >&2
	fail "the README's Pi steps failed (exit $rc; the output's end is above)"
}
rm -f "$WORK/steps.log"
log "ok: the README's Pi steps ran to the end"

CONFIG=/etc/rollsense/rollsense.json
[ -f "$ROOT$CONFIG" ] || fail "the README's Pi steps leave no $CONFIG"
# The example's device_id is a placeholder the steps must have changed.
device_id() { sed -n 's/^[[:space:]]*"device_id":[[:space:]]*"\([^"]*\)".*/\1/p' "$1" | head -n 1; }
example_id=$(device_id "$ROOT/etc/rollsense/rollsense.json.example")
config_id=$(device_id "$ROOT$CONFIG")
[ -n "$config_id" ] || fail "after the README's steps, $CONFIG has no \"device_id\" line"
[ "$config_id" != "$example_id" ] ||
	fail "after the README's steps, $CONFIG still has the example's device_id \"$example_id\": the steps' edit did not take"
log "ok: $CONFIG names its own device_id \"$config_id\" (the example's: \"$example_id\")"
for d in sensord collector; do
	out=$(in_root "rollsense-$d" --check-config --config "$CONFIG" 2>&1) ||
		fail "after the README's steps, rollsense-$d --check-config --config $CONFIG: $out"
	# The service reads it as its unit's User=, not as root.
	user=$(sed -n 's/^User=//p' "$ROOT/lib/systemd/system/rollsense-$d.service" "$ROOT/usr/lib/systemd/system/rollsense-$d.service" 2>/dev/null | head -n 1)
	if [ -n "$user" ]; then
		out=$(in_root setpriv --reuid="$user" --regid="$user" --init-groups "rollsense-$d" --check-config --config "$CONFIG" 2>&1) ||
			fail "after the README's steps, rollsense-$d --check-config as user $user (the unit's): $out"
	fi
	log "ok: rollsense-$d --check-config --config $CONFIG${user:+ (as root and as $user)}"
done

# mosquitto has no flag that only checks a configuration: when the steps
# set it up, it is started on its configuration in a network namespace of
# its own (loopback only, so its ports clash with nothing); still running
# after 2 s means it took the configuration. Then the collector runs 5 s
# against it, as its unit would (user rollsense, its StateDirectory made),
# and must log in: the README's login and the broker's password file match.
mq_confs=$(find "$ROOT/etc/mosquitto/conf.d" -name '*.conf' 2>/dev/null || true)
if [ -z "$mq_confs" ]; then
	log "skipped: mosquitto's configuration and the login (the README's steps add nothing to /etc/mosquitto/conf.d)"
elif [ ! -x "$ROOT/usr/sbin/mosquitto" ]; then
	fail "the README's steps add ${mq_confs//$ROOT/} but mosquitto is not installed"
else
	# As the units would: /run/mosquitto for the pid file, and
	# /var/lib/rollsense (StateDirectory=rollsense, mode 0700). mosquitto's
	# log goes to stderr as well, so that what it says is seen.
	in_root sh -c 'mkdir -p /run/mosquitto && chown mosquitto: /run/mosquitto &&
		mkdir -p -m 0700 /var/lib/rollsense && chown rollsense: /var/lib/rollsense'
	{
		cat "$ROOT/etc/mosquitto/mosquitto.conf"
		echo "log_dest stderr"
	} >"$ROOT/run/mosquitto-check.conf"
	cat >"$WORK/broker-check.sh" <<'BROKER'
# In a network namespace of its own. $1: the chroot, $2: where the output goes.
ip link set lo up || exit 90
env="/usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8"
# chroot and env exec: $! is mosquitto's own pid.
chroot "$1" $env mosquitto -c /run/mosquitto-check.conf >"$2/mosquitto.out" 2>&1 &
broker=$!
sleep 2
kill -0 "$broker" 2>/dev/null || exit 91
chroot "$1" $env timeout 5 setpriv --reuid=rollsense --regid=rollsense --init-groups \
	rollsense-collector --config /etc/rollsense/rollsense.json >"$2/collector.out" 2>&1
kill "$broker"
wait "$broker"
exit 0
BROKER
	rc=0
	unshare --net bash "$WORK/broker-check.sh" "$ROOT" "$WORK" </dev/null 3>&- || rc=$?
	case $rc in
	0) ;;
	91) fail "mosquitto -c /etc/mosquitto/mosquitto.conf (with ${mq_confs//$ROOT/}) exited at once: $(cat "$WORK/mosquitto.out")" ;;
	*) fail "could not try mosquitto in a network namespace of its own (exit $rc)" ;;
	esac
	log "ok: mosquitto runs on /etc/mosquitto/mosquitto.conf with ${mq_confs//$ROOT/}"
	grep -q 'mqtt: connected to' "$WORK/collector.out" || {
		sed 's/^/    collector: /' "$WORK/collector.out" >&2
		sed 's/^/    mosquitto: /' "$WORK/mosquitto.out" | tail -n 15 >&2
		fail "rollsense-collector, with $CONFIG as the README's steps leave it, did not log in to that broker (its output and the broker's are above)"
	}
	log "ok: rollsense-collector logs in to that broker: $(grep -m1 'mqtt: connected to' "$WORK/collector.out")"
fi

# Then the README's "Two tools on one Pi" steps on that machine (systemctl
# enables in a chroot, and starts nothing): a file per tool with its own
# device_id, the roller's MCP9808 at 0x19 and its own GPIO lines, both
# instances enabled and verified, the plain sensord unit disabled.
cp "$TWO_STEPS" "$ROOT/root/two-tools-steps.sh"
log "the README's two-tools steps, run with bash -e as root:"
sed 's/^/    | /' "$TWO_STEPS"
bounded 300 chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
	SYSTEMD_OFFLINE=1 TERM=dumb bash -e /root/two-tools-steps.sh </dev/null >"$WORK/two.log" 2>&1 || {
	rc=$?
	tail -n 40 "$WORK/two.log" >&2
	fail "the README's two-tools steps failed (exit $rc; the output's end is above)"
}
log "ok: the README's two-tools steps ran to the end"
ball_id=$(device_id "$ROOT/etc/rollsense/ball.json")
roller_id=$(device_id "$ROOT/etc/rollsense/roller.json")
if [ -z "$ball_id" ] || [ -z "$roller_id" ] || [ "$ball_id" = "$roller_id" ] ||
	[ "$ball_id" = ball1 ] || [ "$roller_id" = roller1 ]; then
	fail "after the two-tools steps, ball.json and roller.json name \"$ball_id\" and \"$roller_id\": not two ids of their own"
fi
addresses() { sed -n 's/^[[:space:]]*"address":[[:space:]]*"\(0x[0-9a-fA-F]*\)".*/\1/p' "$1" | sort | tr '\n' ' '; }
lines() { sed -n 's/^[[:space:]]*"\(led\|buzzer\|button\)":[[:space:]]*"\([^"]*\)".*/\2/p' "$1" | sort | tr '\n' ' '; }
if [ "$(addresses "$ROOT/etc/rollsense/ball.json")" != "0x18 0x68 0x76 " ] ||
	[ "$(addresses "$ROOT/etc/rollsense/roller.json")" != "0x19 0x48 0x69 " ]; then
	fail "after the two-tools steps, the chips are at $(addresses "$ROOT/etc/rollsense/ball.json")(ball) and $(addresses "$ROOT/etc/rollsense/roller.json")(roller), not 0x18 0x68 0x76 and 0x19 0x48 0x69"
fi
shared=$(comm -12 <(lines "$ROOT/etc/rollsense/ball.json" | tr ' ' '\n' | sed '/^$/d') \
	<(lines "$ROOT/etc/rollsense/roller.json" | tr ' ' '\n' | sed '/^$/d'))
[ -z "$shared" ] || fail "after the two-tools steps, both tools' feedback uses $shared"
log "ok: ball.json ($ball_id: $(addresses "$ROOT/etc/rollsense/ball.json")) and roller.json ($roller_id: $(addresses "$ROOT/etc/rollsense/roller.json")), feedback on $(lines "$ROOT/etc/rollsense/ball.json")and $(lines "$ROOT/etc/rollsense/roller.json")"
WANTS=/etc/systemd/system/multi-user.target.wants
for i in ball roller; do
	[ -L "$ROOT$WANTS/rollsense-sensord@$i.service" ] || fail "the two-tools steps leave rollsense-sensord@$i.service not enabled"
done
if [ -e "$ROOT$WANTS/rollsense-sensord.service" ] || [ -L "$ROOT$WANTS/rollsense-sensord.service" ]; then
	fail "the two-tools steps leave rollsense-sensord.service enabled"
fi
out=$(in_root systemd-analyze verify --man=no rollsense-sensord@ball.service rollsense-sensord@roller.service 2>&1) ||
	fail "systemd-analyze verify rollsense-sensord@ball.service rollsense-sensord@roller.service: $out"
[ -z "$out" ] || fail "systemd-analyze verify of the two instances warns: $out"
log "ok: rollsense-sensord@ball and @roller enabled and verified, rollsense-sensord disabled"

chroot_remove
log "chroot 2 done in $((SECONDS - T2)) s"

log "all checks passed in $((SECONDS - STARTED)) s"
