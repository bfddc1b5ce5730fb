/* The chip lists agree: sensord's driver registry (drivers/registry.c),
 * the configuration's chip schema (common/config.c) and the simulator's models
 * (sensord/sim/). A chip added to one and forgotten in another fails here,
 * before a user meets "no driver" or "unknown model" at run time. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "sensor.h"
#include "sim/sim.h"

/* The addresses the configuration and the simulator accept (7-bit, without
 * the reserved ones): what a driver declares must lie inside. */
#define ADDRESS_MIN 0x03
#define ADDRESS_MAX 0x77

/* Every chip the configuration accepts has a driver that can give the same
 * channels. */
static void test_config_chips_have_drivers(void **state)
{
	struct config_chip chip;
	size_t i;

	(void)state;
	for (i = 0; config_chip_at(i, &chip); i++) {
		const struct sensor_driver *drv = sensor_driver_find(chip.name);

		if (!drv)
			fail_msg("config accepts driver \"%s\", the registry has none", chip.name);
		if (drv->provides != chip.provides)
			fail_msg("%s: config says it provides 0x%x, the driver 0x%x", chip.name,
				 chip.provides, drv->provides);
	}
	assert_true(i > 0);
}

/* Every driver is a chip the configuration accepts, once. */
static void test_drivers_are_config_chips(void **state)
{
	const struct sensor_driver *drv;
	struct config_chip chip;
	size_t n_drivers = 0, n_chips = 0;

	(void)state;
	for (; (drv = sensor_driver_at(n_drivers)); n_drivers++) {
		bool found = false;

		for (size_t i = 0; config_chip_at(i, &chip); i++)
			found = found || strcmp(chip.name, drv->name) == 0;
		if (!found)
			fail_msg("driver \"%s\" is registered, the config does not accept it",
				 drv->name);
	}
	while (config_chip_at(n_chips, &chip))
		n_chips++;
	assert_int_equal(n_drivers, n_chips);
}

/* A driver's declarations are consistent: addresses inside the range the
 * configuration accepts, rising and 0-terminated; a pressure kind and a
 * conversion exactly when it provides pressure. */
static void test_driver_descriptors(void **state)
{
	const struct sensor_driver *drv;

	(void)state;
	for (size_t i = 0; (drv = sensor_driver_at(i)); i++) {
		bool pressure = drv->provides & CONFIG_CHANNEL_PRESSURE;

		assert_non_null(drv->addresses);
		if (drv->addresses[0] == 0)
			fail_msg("%s: no address", drv->name);
		for (size_t a = 0; drv->addresses[a]; a++) {
			if (drv->addresses[a] < ADDRESS_MIN || drv->addresses[a] > ADDRESS_MAX)
				fail_msg("%s: address 0x%02x outside 0x03..0x77", drv->name,
					 drv->addresses[a]);
			if (a > 0 && drv->addresses[a] <= drv->addresses[a - 1])
				fail_msg("%s: addresses not rising at 0x%02x", drv->name,
					 drv->addresses[a]);
		}
		if (pressure != (drv->pressure != SENSOR_PRESSURE_NONE) ||
		    pressure != (drv->pressure_kpa != NULL))
			fail_msg("%s: provides pressure %s, but pressure kind %d and %s conversion",
				 drv->name, pressure ? "yes" : "no", (int)drv->pressure,
				 drv->pressure_kpa ? "a" : "no");
		assert_non_null(drv->init);
		assert_non_null(drv->read);
	}
}

/* Every driver has a simulator model of the same name, which a scenario can
 * place at each of the driver's addresses. */
static void test_every_driver_has_a_model(void **state)
{
	const struct sensor_driver *drv;

	(void)state;
	for (size_t i = 0; (drv = sensor_driver_at(i)); i++) {
		for (size_t a = 0; drv->addresses[a]; a++) {
			char text[64], err[256];
			struct sim_scenario *scn;

			snprintf(text, sizeof(text), "chip c %s 0x%02x\n", drv->name,
				 drv->addresses[a]);
			scn = sim_scenario_parse(text, strlen(text), "t.scn", err, sizeof(err));
			if (!scn)
				fail_msg("%s at 0x%02x: %s", drv->name, drv->addresses[a], err);
			sim_scenario_free(scn);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_chips_have_drivers),
		cmocka_unit_test(test_drivers_are_config_chips),
		cmocka_unit_test(test_driver_descriptors),
		cmocka_unit_test(test_every_driver_has_a_model),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
