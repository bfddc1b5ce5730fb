/* The chip drivers: one file per chip in drivers/, each ending in one
 *   const struct sensor_driver NAME_driver = { .config = { .name = "NAME", ... }, ... };
 * and one line in drivers/registry.c. The descriptor says everything the
 * configuration and the sampler need to know about the chip, so neither
 * names one. Drivers
 * never print, never read a clock
 * (they wait through bus->delay_us) and return 0 or -errno:
 *   -ENODEV     the chip answered but is not the expected chip (id check)
 *   -ETIMEDOUT  a conversion did not finish in time
 *   -EINVAL     a setting in the configuration the chip cannot do
 *   anything the bus returned, unchanged. */
#ifndef ROLLSENSE_SENSOR_H
#define ROLLSENSE_SENSOR_H

#include <stdint.h>

#include "bus.h"
#include "config.h"

/* Absolute physical values from one chip's measurement. A quantity the chip
 * does not measure is NAN. */
struct sensor_values {
	double pressure_pa;	/* BMP280/BME280: absolute pressure */
	double temperature_c;	/* BMP280/BME280, MCP9808 */
	double humidity_pct;	/* BME280 */
	double voltage_v;	/* ADS1115: the configured input's voltage */
	/* An IMU (MPU-6050, LSM6DS3TR-C): the angular rate about x, y, z in
	 * degrees per second, raw (the zero-rate offset is the sampler's), and
	 * the acceleration along x, y, z in g. NAN where none. */
	double gyro_dps[3];
	double accel_g[3];
	/* A fingerprint of the raw registers behind these values; the sampler
	 * uses it to spot a chip whose results have frozen (see .stuck_samples). */
	uint64_t raw;
};

struct sensor {
	const struct sensor_driver *drv;
	struct bus *bus;
	uint8_t address;
	const struct sensor_cfg *cfg;	/* borrowed from the loaded config */
	void *priv;			/* drv->priv_size bytes, zeroed, owned by the sampler */
};

/* What a chip's pressure is, which decides how the sampler zeroes it. */
enum sensor_pressure {
	SENSOR_PRESSURE_NONE,	/* the chip measures no pressure */
	/* The absolute pressure of the air around the chip (a barometer sealed
	 * in the tool): zeroed against the air at rest, corrected for its
	 * temperature by the gas law when the configuration allows it. */
	SENSOR_PRESSURE_GAS,
	/* Already the pressure applied to the tool (a force sensor through its
	 * calibration): zeroed by an offset only. */
	SENSOR_PRESSURE_APPLIED,
};

struct sensor_driver {
	/* The chip as the configuration sees it: its name, the channels it can
	 * give the reading, the addresses it can be strapped to (datasheet;
	 * declared for the registry test and the README, the configuration
	 * accepts any address, as it always has) and the rows of its own keys,
	 * which read into its options struct in s->cfg->options. */
	struct config_chip config;
	enum sensor_pressure pressure;
	/* The pressure in kPa from one successful read (for pressure != NONE):
	 * the driver applies its own conversion, e.g. its calibration from
	 * s->cfg. NAN when v holds none. */
	double (*pressure_kpa)(const struct sensor *s, const struct sensor_values *v);
	size_t priv_size;
	/* Checks the chip's identity, resets it where it can, reads calibration,
	 * applies cfg. Called at start and again to recover after failures, so it
	 * must bring the chip from any state (including power-on reset) to
	 * measuring. */
	int (*init)(struct sensor *s);
	/* Makes one measurement and fills out (every field; NAN where none).
	 * Values are never stale: a conversion that did not complete is an error. */
	int (*read)(struct sensor *s, struct sensor_values *out);
	/* When nonzero: this many consecutive measurements with an identical
	 * .raw mean the chip is stuck (a 20-bit pressure reading never repeats
	 * exactly for long on a live chip). 0: the chip can legitimately repeat. */
	unsigned stuck_samples;
};

/* Helpers shared by the drivers (drivers/sensor_reg.c). Register access
 * returns 0 or what the bus returned. One 8-bit register: */
int sensor_reg8_write(struct sensor *s, uint8_t reg, uint8_t value);
/* Registers of 16 bits sent MSB first behind a register pointer: */
int sensor_reg16_read(struct sensor *s, uint8_t reg, uint16_t *value);
int sensor_reg16_write(struct sensor *s, uint8_t reg, uint16_t value);
/* Writes value, then reads the register back into *back: what the chip kept. */
int sensor_reg16_write_read(struct sensor *s, uint8_t reg, uint16_t value, uint16_t *back);
/* The position of value in list[0..n) (equal within 1e-9), -1 if absent:
 * for settings whose register code is their place in a datasheet table. */
int sensor_code_of(const double *list, size_t n, double value);
/* Sets every value of v to NAN and raw to 0: a driver's read starts with it
 * and fills only what its chip measures. */
void sensor_values_clear(struct sensor_values *v);
/* .pressure_kpa for a barometer: its pressure_pa in kPa. */
double sensor_pressure_pa_kpa(const struct sensor *s, const struct sensor_values *v);

/* The driver table (drivers/registry.c), which also answers config_chip_at
 * (config.h). NULL for an unknown name. */
const struct sensor_driver *sensor_driver_find(const char *name);
/* Driver i of the table (0-based), NULL past the end: for tests walking it. */
const struct sensor_driver *sensor_driver_at(size_t i);

#endif
