#!/bin/sh
# Installs the Debian packages `make check-hil` needs on the host, when any is
# missing: qemu for both guests, a static busybox, the arm64 cross compiler,
# and the tools that unpack and pack (through scripts/deps.sh).
exec "$(dirname "$0")/../scripts/deps.sh" qemu-system-x86 qemu-system-arm busybox-static \
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross cpio xz-utils patch gzip binutils python3 make gcc
