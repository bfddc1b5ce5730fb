/* What the simulated bus (bus_sim.c) and the tests need from a parsed
 * scenario beyond the public sim.h: the chip list, the fault windows, and a
 * parser entry point that accepts extra models (tests bring their own tiny
 * models). Private to sim/ and tests; sensord uses sim.h only. */
#ifndef ROLLSENSE_SIM_SCENARIO_INTERNAL_H
#define ROLLSENSE_SIM_SCENARIO_INTERNAL_H

#include <stddef.h>

#include "sim.h"

#define SIM_MAX_CHIPS 16
#define SIM_MAX_STATEMENTS 100000
/* Longest line accepted, without its newline. */
#define SIM_LINE_MAX 1024

enum sim_fault_kind {
	SIM_FAULT_NACK,
	SIM_FAULT_ABSENT,
	SIM_FAULT_STUCK,
	SIM_FAULT_KINDS
};

/* As sim_scenario_parse, but MODEL may also name one of extra_models (a
 * NULL-terminated list, may be NULL), searched after the built-in models.
 * The models must outlive the scenario. */
struct sim_scenario *sim_scenario_parse_with(const struct sim_model *const *extra_models,
					     const char *text, size_t len, const char *name,
					     char *err, size_t err_len);

size_t sim_scenario_chip_count(const struct sim_scenario *scn);
/* Chip i (0 <= i < chip count), owned by the scenario; NULL when out of range. */
struct sim_chip *sim_scenario_chip(struct sim_scenario *scn, size_t i);

/* Overlapping or touching fault windows of one kind on one chip are merged at
 * parse time, so a chip's windows of a kind are disjoint, sorted, half-open
 * [T0, T1) intervals numbered from 0. */

/* The number of the window of KIND on chip i covering t, or -1 when none does. */
long sim_scenario_fault_at(const struct sim_scenario *scn, size_t i, enum sim_fault_kind kind,
			   double t);
/* How many windows of KIND on chip i have ended at or before t. */
size_t sim_scenario_faults_ended(const struct sim_scenario *scn, size_t i,
				 enum sim_fault_kind kind, double t);

#endif
