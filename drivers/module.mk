# The chip layer (drivers/): one file per chip, its registry, and the bus
# interface they talk through. Both daemons link it: sensord drives the chips,
# the collector validates the same configuration file, whose chip keys the
# drivers declare. It uses no external library, so the collector stays free
# of libi2c and libgpiod.
DRIVERS_SRCS += $(wildcard drivers/*.c)
DRIVERS_CPPFLAGS := -Icommon -Idrivers
