/* The chip lists agree: the driver registry (drivers/registry.c), which the
 * configuration reads its chips from (config_chip_at), and the simulator's
 * models (sensord/sim/). A chip added to one and forgotten in another, or
 * declared inconsistently, fails here, before a user meets "no driver" or
 * "unknown model" at run time. */
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

/* The chips as their datasheets give them, by hand, in the registry's order:
 * what the configuration accepts as "driver", what each can measure and the
 * addresses its pins select. A chip lost from the registry, or an address
 * or channel declared wrong, fails here. */
static const struct {
	const char *name;
	unsigned provides;
	uint8_t addresses[9];	/* 0-terminated */
} datasheet[] = {
	/* BMP280 §5.2, BME280 §6.2: SDO to GND or VDDIO. */
	{ "bmp280", CONFIG_CHANNEL_PRESSURE | CONFIG_CHANNEL_TEMPERATURE, { 0x76, 0x77 } },
	{ "bme280", CONFIG_CHANNEL_PRESSURE | CONFIG_CHANNEL_TEMPERATURE, { 0x76, 0x77 } },
	/* ADS1115 §7.5.1.1: ADDR to GND, VDD, SDA or SCL; a voltage, pressure
	 * through the calibration. */
	{ "ads1115", CONFIG_CHANNEL_PRESSURE, { 0x48, 0x49, 0x4A, 0x4B } },
	/* MCP9808 §4.1.4: 0011 A2 A1 A0. */
	{ "mcp9808", CONFIG_CHANNEL_TEMPERATURE, { 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F } },
	/* LPS22HB §7.2: SA0 to GND or VDD. */
	{ "lps22hb", CONFIG_CHANNEL_PRESSURE | CONFIG_CHANNEL_TEMPERATURE, { 0x5C, 0x5D } },
	/* MPU-6050 RM §4.32: 110100 AD0; a gyroscope (and accelerometer). */
	{ "mpu6050", CONFIG_CHANNEL_ROTATION, { 0x68, 0x69 } },
};

static void test_registry_is_the_datasheets(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(datasheet) / sizeof(datasheet[0]); i++) {
		const struct config_chip *chip = config_chip_at(i);

		if (!chip)
			fail_msg("chip %zu \"%s\" is missing from the registry", i, datasheet[i].name);
		assert_string_equal(chip->name, datasheet[i].name);
		assert_int_equal(chip->provides, datasheet[i].provides);
		assert_memory_equal(chip->addresses, datasheet[i].addresses,
				    strlen((const char *)datasheet[i].addresses) + 1);
	}
	if (config_chip_at(i))
		fail_msg("chip %zu \"%s\" is not in the datasheet table here", i, config_chip_at(i)->name);
}

/* The configuration's chips are the drivers' own declarations, one per
 * driver, in the registry's order, each name once and short enough for
 * struct sensor_cfg.driver. */
static void test_config_chips_are_drivers(void **state)
{
	const struct config_chip *chip;
	size_t i;

	(void)state;
	for (i = 0; (chip = config_chip_at(i)); i++) {
		const struct sensor_driver *drv = sensor_driver_find(chip->name);

		if (!drv || &drv->config != chip || sensor_driver_at(i) != drv)
			fail_msg("config chip %zu \"%s\" is not the registry's driver %zu", i,
				 chip->name, i);
		if (strlen(chip->name) >= sizeof(((struct sensor_cfg *)0)->driver))
			fail_msg("%s: name too long for sensor_cfg.driver", chip->name);
	}
	assert_true(i > 0);
	assert_null(sensor_driver_at(i));
}

/* A driver's declarations are consistent: addresses inside the range the
 * configuration accepts, rising and 0-terminated; a pressure kind and a
 * conversion exactly when it provides pressure; its keys inside its options
 * area, none named like a key every sensor has. */
static void test_driver_descriptors(void **state)
{
	static const char *const common_keys[] = { "driver", "bus", "address", "provides" };
	const struct sensor_driver *drv;

	(void)state;
	for (size_t i = 0; (drv = sensor_driver_at(i)); i++) {
		const struct config_chip *c = &drv->config;
		bool pressure = c->provides & CONFIG_CHANNEL_PRESSURE;

		assert_non_null(c->addresses);
		if (c->addresses[0] == 0)
			fail_msg("%s: no address", c->name);
		for (size_t a = 0; c->addresses[a]; a++) {
			if (c->addresses[a] < ADDRESS_MIN || c->addresses[a] > ADDRESS_MAX)
				fail_msg("%s: address 0x%02x outside 0x03..0x77", c->name,
					 c->addresses[a]);
			if (a > 0 && c->addresses[a] <= c->addresses[a - 1])
				fail_msg("%s: addresses not rising at 0x%02x", c->name,
					 c->addresses[a]);
		}
		if (pressure != (drv->pressure != SENSOR_PRESSURE_NONE) ||
		    pressure != (drv->pressure_kpa != NULL))
			fail_msg("%s: provides pressure %s, but pressure kind %d and %s conversion",
				 c->name, pressure ? "yes" : "no", (int)drv->pressure,
				 drv->pressure_kpa ? "a" : "no");
		for (size_t k = 0; k < c->n_keys; k++) {
			if (c->keys[k].offset + c->keys[k].size > CONFIG_CHIP_OPTIONS_MAX)
				fail_msg("%s: key %s lies outside sensor_cfg.options", c->name,
					 c->keys[k].name);
			for (size_t j = 0; j < ARRAY_LEN(common_keys); j++)
				if (strcmp(c->keys[k].name, common_keys[j]) == 0)
					fail_msg("%s: key %s is every sensor's", c->name,
						 c->keys[k].name);
		}
		assert_non_null(drv->init);
		assert_non_null(drv->read);
	}
}

/* The configuration takes every driver at each of its addresses with its
 * defaults. */
static void test_config_accepts_every_driver(void **state)
{
	static struct rs_config cfg;
	const struct sensor_driver *drv;

	(void)state;
	for (size_t i = 0; (drv = sensor_driver_at(i)); i++) {
		for (size_t a = 0; drv->config.addresses[a]; a++) {
			char text[256], err[512];

			snprintf(text, sizeof(text), "{\"device_id\": \"t\", \"sensord\": {\"sensors\": "
				 "[{\"driver\": \"%s\", \"bus\": \"/dev/i2c-1\", \"address\": %u}]}}",
				 drv->config.name, drv->config.addresses[a]);
			if (config_parse(text, strlen(text), "t.json", "/", &cfg, err, sizeof(err)) < 0)
				fail_msg("%s at 0x%02x: %s", drv->config.name, drv->config.addresses[a],
					 err);
			assert_string_equal(cfg.sensord.sensors[0].driver, drv->config.name);
		}
	}
}

/* ... and refuses every other address: 0x03..0x77 less the datasheet's
 * list (the table above), naming the chip, the address and the list. */
static void test_config_refuses_other_addresses(void **state)
{
	static struct rs_config cfg;
	size_t refused = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(datasheet) / sizeof(datasheet[0]); i++) {
		const char *name = datasheet[i].name;

		for (unsigned a = ADDRESS_MIN; a <= ADDRESS_MAX; a++) {
			char text[256], err[512], want[64];

			if (memchr(datasheet[i].addresses, (int)a,
				   strlen((const char *)datasheet[i].addresses)))
				continue;
			snprintf(text, sizeof(text), "{\"device_id\": \"t\", \"sensord\": {\"sensors\": "
				 "[{\"driver\": \"%s\", \"bus\": \"/dev/i2c-1\", \"address\": "
				 "\"0x%02x\"}]}}", name, a);
			if (config_parse(text, strlen(text), "t.json", "/", &cfg, err, sizeof(err)) == 0)
				fail_msg("%s at 0x%02x: accepted", name, a);
			snprintf(want, sizeof(want), "t.json: sensord.sensors[0].address: %s at 0x%02x: ",
				 name, a);
			if (strncmp(err, want, strlen(want)) != 0)
				fail_msg("%s at 0x%02x: \"%s\"", name, a, err);
			refused++;
		}
	}
	/* 117 addresses in 0x03..0x77; 2, 2, 4, 8, 2 and 2 of them taken. */
	assert_int_equal(refused, 6 * 117 - (2 + 2 + 4 + 8 + 2 + 2));
}

/* Every driver has a simulator model of the same name, which a scenario can
 * place at each of the driver's addresses. */
static void test_every_driver_has_a_model(void **state)
{
	const struct sensor_driver *drv;

	(void)state;
	for (size_t i = 0; (drv = sensor_driver_at(i)); i++) {
		for (size_t a = 0; drv->config.addresses[a]; a++) {
			char text[64], err[256];
			struct sim_scenario *scn;

			snprintf(text, sizeof(text), "chip c %s 0x%02x\n", drv->config.name,
				 drv->config.addresses[a]);
			scn = sim_scenario_parse(text, strlen(text), "t.scn", err, sizeof(err));
			if (!scn)
				fail_msg("%s at 0x%02x: %s", drv->config.name, drv->config.addresses[a],
					 err);
			sim_scenario_free(scn);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_is_the_datasheets),
		cmocka_unit_test(test_config_chips_are_drivers),
		cmocka_unit_test(test_driver_descriptors),
		cmocka_unit_test(test_config_accepts_every_driver),
		cmocka_unit_test(test_config_refuses_other_addresses),
		cmocka_unit_test(test_every_driver_has_a_model),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
