/* An I²C bus: the real /dev/i2c-N (sensord/bus_i2c.c, the only file that
 * includes libi2c) or the simulated bus (sensord/sim/bus_sim.c). Drivers
 * cannot tell them apart. Every call returns 0 or -errno, passed up unchanged:
 *   -EREMOTEIO  the chip did not acknowledge (a NACK, or no chip there)
 *   -ETIMEDOUT  the transfer timed out
 *   -EIO        any other bus error
 * 7-bit addresses throughout. */
#ifndef ROLLSENSE_BUS_H
#define ROLLSENSE_BUS_H

#include <stddef.h>
#include <stdint.h>

struct bus {
	/* Sets the chip's register pointer to reg, then reads len bytes
	 * (auto-increment): a combined write-then-read transfer. 1 <= len <= 32. */
	int (*read)(struct bus *bus, uint8_t addr, uint8_t reg, uint8_t *buf, size_t len);
	/* Writes reg followed by len data bytes in one transfer. 0 <= len <= 32. */
	int (*write)(struct bus *bus, uint8_t addr, uint8_t reg, const uint8_t *buf, size_t len);
	/* Waits for a chip to finish something (a conversion, a reset): sleeps on
	 * the real bus; on the simulated bus only advances its model time. */
	void (*delay_us)(struct bus *bus, unsigned us);
	/* Releases everything; bus is invalid afterwards. */
	void (*close)(struct bus *bus);
	/* "/dev/i2c-1", or "sim". */
	char name[64];
};

/* Opens /dev/i2c-N. NULL with errno set on failure (ENOENT, EACCES, ...). */
struct bus *bus_i2c_open(const char *path);

#endif
