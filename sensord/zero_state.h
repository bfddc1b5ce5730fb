/* The pressure zeros kept across runs (gauge.h, "a zero taken under load"):
 * <state_dir>/zero holds the last good zero of each pressure chip, so that a
 * sensord restarted while the tool is pressed starts from it instead of
 * taking the press as its zero.
 *
 * One line per chip, fields separated by one space:
 *   <p0_kpa> <t0_k> <fingerprint> <key>
 *   101.325000 293.1500 9f3c2a10b4e8d771 bmp280@/dev/i2c-1:0x76
 * p0_kpa the rest pressure (or a force sensor's offset) with 6 decimals;
 * t0_k its air temperature in kelvin, "nan" without the gas law; fingerprint
 * 16 hex digits of the chip's configuration (driver, options, gas law:
 * zero_state_fingerprint()); key the sensor's key, to the end of the line.
 * A zero is only taken back for the same key and fingerprint: a chip moved,
 * swapped for another driver, recalibrated or with the gas law switched
 * starts as on its first run. */
#ifndef ROLLSENSE_ZERO_STATE_H
#define ROLLSENSE_ZERO_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "gauge.h"

#define ZERO_STATE_FILE "zero"	/* in state_dir */

struct zero_state_entry {
	const char *key;		/* borrowed: the sensor's key */
	uint64_t fingerprint;
	struct gauge_zero zero;
};

/* What identifies a chip's zero beyond its key: FNV-1a over the driver's
 * name, its options and whether the gas law applies. */
uint64_t zero_state_fingerprint(const struct sensor_cfg *sc, bool gas_law);

/* The zero saved at path for key and fingerprint into *z. 1 found, 0 none
 * (no file, no line for that key, or a line for another configuration: a
 * reason in why, "" when there is no file or no line), -1 the file cannot
 * be read or a line is malformed (why says which: file and line). */
int zero_state_load(const char *path, const char *key, uint64_t fingerprint, struct gauge_zero *z,
		    char *why, size_t why_len);

/* Saves the n entries at path atomically (file_save_atomic). 0, or -errno. */
int zero_state_save(const char *path, const struct zero_state_entry *e, size_t n);

#endif
