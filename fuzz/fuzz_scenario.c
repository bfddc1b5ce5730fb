/* libFuzzer harness for the scenario language (sensord/sim/sim.h): scenario
 * files are written by hand for tests and demos, so the parser must refuse
 * anything wrong with a message rather than crash or loop.
 *
 * A scenario that parses is evaluated: every quantity of every chip (and a
 * barometer's "measured_pa") at a few times, through sim_scenario_value
 * (the tests' ground truth) and sim_chip_value (what the chip models read,
 * noise and stuck windows included), plus the fault windows. The chip list
 * comes from scenario_internal.h, the interface the simulated bus uses.
 * Every value must be a finite number: a NaN would reach the drivers as a
 * register value. A failure must leave a message "fuzz.scn:LINE: ...". */
#include "scenario_internal.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.scn"

static void evaluate(struct sim_scenario *scn, const double *times, size_t n_times)
{
	size_t chips = sim_scenario_chip_count(scn);

	if (chips > SIM_MAX_CHIPS)
		abort();
	for (size_t i = 0; i < chips; i++) {
		struct sim_chip *chip = sim_scenario_chip(scn, i);
		const char *const *q = chip->model->quantities;

		for (size_t k = 0; k < n_times; k++) {
			double v;

			for (int j = 0; q[j]; j++) {
				if (sim_scenario_value(scn, chip->name, q[j], times[k], &v) != 0 ||
				    !isfinite(v))
					abort();
				chip->now_s = times[k];
				if (!isfinite(sim_chip_value(chip, j)) ||
				    !isfinite(sim_chip_initial(chip, j)))
					abort();
			}
			if (sim_scenario_value(scn, chip->name, "measured_pa", times[k], &v) == 0 &&
			    !isfinite(v))
				abort();
			for (int kind = 0; kind < SIM_FAULT_KINDS; kind++) {
				long w = sim_scenario_fault_at(scn, i, (enum sim_fault_kind)kind,
							       times[k]);
				size_t ended = sim_scenario_faults_ended(
					scn, i, (enum sim_fault_kind)kind, times[k]);

				/* Windows are numbered in time order: the one
				 * covering t comes right after those ended. */
				if (w >= 0 && (size_t)w != ended)
					abort();
			}
		}
		if (sim_scenario_value(scn, chip->name, "no_such_quantity", 0, &(double){ 0 }) !=
		    -ENOENT)
			abort();
	}
	if (sim_scenario_value(scn, "no-such-chip!", "temperature_c", 0, &(double){ 0 }) != -ENOENT)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_scenario *scn;
	char err[256];
	double end, times[8];
	uint32_t h = 2166136261u;

	memset(err, 'x', sizeof(err));
	scn = sim_scenario_parse((const char *)data, size, NAME, err, sizeof(err));
	if (!scn) {
		if (errno != EINVAL && errno != ENOMEM)
			abort();
		if (errno == EINVAL && (strnlen(err, sizeof(err)) == sizeof(err) ||
					strncmp(err, NAME ":", strlen(NAME ":")) != 0))
			abort();
		return 0;
	}

	/* Times: the start, the end, around it, beyond it, before the start,
	 * and two picked by a hash of the input (FNV-1a), so they vary with it. */
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	end = sim_scenario_end_s(scn);
	if (!isfinite(end) || end < 0)
		abort();
	times[0] = 0;
	times[1] = end;
	times[2] = end / 2;
	times[3] = end + 0.05;
	times[4] = 1e7;
	times[5] = -1;
	times[6] = (double)(h % 100000u) / 100.0;
	times[7] = (double)(h >> 16) / 10.0;
	evaluate(scn, times, sizeof(times) / sizeof(times[0]));
	sim_scenario_free(scn);
	return 0;
}
