# Hardware in the loop (hil/): the real binaries against a real Linux
# kernel's i2c-dev (i2c-stub) and GPIO character device (gpio-sim), booted
# under qemu for amd64 and arm64. Downloads and kernel module builds are
# cached in $(ROLLSENSE_HIL_CACHE) (default ~/.cache/rollsense-hil); the
# guests' files and results are in build/hil/ARCH/.
HIL_ARCHES ?= amd64 arm64

.PHONY: check-hil
check-hil: deps
	@hil/deps.sh
	@hil/check-hil.sh $(HIL_ARCHES)
