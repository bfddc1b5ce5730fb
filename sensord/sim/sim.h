/* The simulated I²C bus: register-level models of the real chips, driven by a
 * scenario (a timeline of physical values and faults). The real drivers run
 * on it unchanged; only the hardware is simulated.
 *
 * Scenario files are text, one statement per line, '#' starts a comment,
 * times are seconds on sensord's mono timeline (0 = sensord's start):
 *
 *   seed N                          noise generator seed (default 1)
 *   end T                           the scenario ends at T (sensord may exit)
 *   chip NAME MODEL ADDRESS [sealed] a chip on the bus: MODEL a model's name
 *                                   (the driver's: bmp280, ads1115 ...);
 *                                   ADDRESS 0x03..0x77; "sealed" (barometers):
 *                                   inside a closed ball, its air pressure
 *                                   follows the gas law
 *   at T NAME QUANTITY VALUE        QUANTITY steps to VALUE at T
 *   ramp T0 T1 NAME QUANTITY VALUE  linear from its value at T0 to VALUE at T1
 *   noise NAME QUANTITY SIGMA       gaussian noise added at every conversion
 *                                   (replaces the chip's own noise; 0 for none)
 *   fault T0 T1 NAME KIND           from T0 until T1: KIND nack (every transfer
 *                                   is NACKed), absent (off the bus; returns
 *                                   in its power-on reset state), stuck (answers,
 *                                   but its measurements freeze)
 *
 * Each model's opening comment (sim_<chip>.c) lists its quantities, their
 * defaults and its own noise. A barometer is a model with the quantities
 * pressure_pa (ambient) and temperature_c, and load_kpa (the pressure a
 * person applies to the tool) if it is the tool's gauge; it senses
 *   pressure_pa * (T / T(0) in kelvin, when sealed) + load_kpa * 1000.
 */
#ifndef ROLLSENSE_SIM_H
#define ROLLSENSE_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"

#define SIM_MAX_QUANTITIES 12

struct sim_scenario;
struct sim_chip;

/* A register-level chip model (one file per chip in sim/). */
struct sim_model {
	const char *name;
	size_t state_size;
	/* Quantities the scenario may set, NULL-terminated, and their defaults. */
	const char *const *quantities;
	const double *defaults;
	/* The chip's own RMS noise per quantity (NULL: none), used unless the
	 * scenario sets "noise" for it: a live chip never repeats a 20-bit
	 * reading for long, and sensord's stuck detection relies on that. */
	const double *noise;
	/* Power-on reset: the register file as the datasheet gives it at POR. */
	void (*power_on)(struct sim_chip *chip);
	/* A write transfer: register pointer reg, then len data bytes (len may be 0). */
	int (*write)(struct sim_chip *chip, uint8_t reg, const uint8_t *buf, size_t len);
	/* A read after setting the register pointer to reg. */
	int (*read)(struct sim_chip *chip, uint8_t reg, uint8_t *buf, size_t len);
};

struct sim_chip {
	const struct sim_model *model;
	struct sim_scenario *scn;
	int index;		/* position in the scenario's chip list */
	uint8_t address;
	bool sealed;
	char name[32];
	double now_s;		/* simulated time of the transfer being served */
	void *state;		/* model->state_size bytes, zeroed before power_on */
};

/* The value of the chip's quantity number q (index into model->quantities) at
 * chip->now_s, noise included; a stuck chip returns what it measured when the
 * fault began. For models, at each conversion. */
double sim_chip_value(struct sim_chip *chip, int q);
/* Quantity q at time 0, without noise (the sealed ball's reference temperature). */
double sim_chip_initial(struct sim_chip *chip, int q);
/* For a barometer model (quantities pressure_pa, temperature_c and optionally
 * load_kpa): the pressure in Pa the chip senses at this conversion, from
 * temperature_c as the model drew it for the same conversion; pressure_pa
 * and load_kpa are drawn here (noise included). */
double sim_chip_sensed_pa(struct sim_chip *chip, double temperature_c);

/* Parses scenario text. NULL with err "NAME:LINE: what is wrong" (errno
 * EINVAL), or NULL with errno ENOMEM. */
struct sim_scenario *sim_scenario_parse(const char *text, size_t len, const char *name,
					char *err, size_t err_len);
/* Reads and parses a file; err as above, or "PATH: strerror". */
struct sim_scenario *sim_scenario_load(const char *path, char *err, size_t err_len);
void sim_scenario_free(struct sim_scenario *scn);
/* The "end" time, or 0 when the scenario has none. */
double sim_scenario_end_s(const struct sim_scenario *scn);
/* Ground truth for tests: chip NAME's QUANTITY at t, without noise. For
 * a barometer model "measured_pa" gives the pressure the chip senses (gas law
 * and load applied). 0, or -ENOENT for an unknown chip or quantity. */
int sim_scenario_value(const struct sim_scenario *scn, const char *chip, const char *quantity,
		       double t, double *out);

/* Opens the simulated bus over scn (the bus owns it from then on, also on
 * failure). now_s(ctx) gives the simulated time of each transfer; sensord
 * passes its mono clock, tests their own. NULL with errno on failure. */
struct bus *sim_bus_open(struct sim_scenario *scn, double (*now_s)(void *ctx), void *ctx);

#endif
