/* The ADS1115's pure helpers, apart from its driver table so that the sampler
 * and the tests can use them without a bus. */
#ifndef ROLLSENSE_ADS1115_H
#define ROLLSENSE_ADS1115_H

#include <stdint.h>

#include "config.h"

/* The register map (see drivers/ads1115.c), shared with the simulated chip. */
#define ADS1115_REG_CONVERSION 0x00
#define ADS1115_REG_CONFIG 0x01
#define ADS1115_CFG_OS (1u << 15)
#define ADS1115_CFG_MUX_SHIFT 12
#define ADS1115_CFG_PGA_SHIFT 9
#define ADS1115_CFG_MODE_SINGLE (1u << 8)
#define ADS1115_CFG_DR_SHIFT 5
#define ADS1115_CFG_DR_MASK (7u << ADS1115_CFG_DR_SHIFT)
#define ADS1115_CFG_COMP_QUE_OFF 0x0003u

/* An ADS1115's settings, the base of its rows (drivers/ads1115.c) in
 * struct sensor_cfg.options. */
struct ads1115_options {
	unsigned mux;			/* config MUX code 0..7, from "input": "ain0" (4, default),
					 * "ain0-ain1" (0) ... */
	double fsr_v;			/* "gain_v": 6.144, 4.096 (default), 2.048, 1.024, 0.512, 0.256 */
	unsigned data_rate_sps;		/* 8 ... 860; default 128 */
	struct config_calibration calibration;	/* required when it provides pressure_kpa */
};
_Static_assert(sizeof(struct ads1115_options) <= CONFIG_CHIP_OPTIONS_MAX, "options do not fit");

/* Maps the force sensor's voltage to the pressure on the tool in kPa,
 * piecewise linear through the points of cfg's calibration (volts rising):
 *   - at or below the first point's volts: that point's kPa. A force-sensing
 *     resistor at rest sits near 0 V with some noise; extending the first
 *     segment downwards would invent negative or phantom pressure there.
 *   - between two points: linear between them.
 *   - above the last point: the last segment extended. Pressing harder than
 *     the calibration went still reads as more, not as a flat ceiling.
 * With one point: that point's kPa. NAN for NAN volts or no points. */
double ads1115_volts_to_kpa(const struct sensor_cfg *cfg, double volts);

/* The config register word that starts one single-shot conversion with cfg's
 * input (mux), full-scale range (fsr_v) and data rate: OS=1, MODE=1 (single
 * shot), comparator off (COMP_QUE=11). 0 and *word set, or -EINVAL for a
 * setting the chip cannot do. */
int ads1115_config_word(const struct sensor_cfg *cfg, uint16_t *word);

#endif
