/* The driver table: adding a chip is its file in drivers/ plus one line here. */
#include <string.h>

#include "sensor.h"

extern const struct sensor_driver bmp280_driver;
extern const struct sensor_driver bme280_driver;
extern const struct sensor_driver ads1115_driver;
extern const struct sensor_driver mcp9808_driver;
extern const struct sensor_driver lps22hb_driver;
extern const struct sensor_driver mpu6050_driver;

static const struct sensor_driver *const drivers[] = {
	&bmp280_driver,
	&bme280_driver,
	&ads1115_driver,
	&mcp9808_driver,
	&lps22hb_driver,
	&mpu6050_driver,
};

const struct sensor_driver *sensor_driver_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(drivers); i++)
		if (strcmp(drivers[i]->config.name, name) == 0)
			return drivers[i];
	return NULL;
}

const struct sensor_driver *sensor_driver_at(size_t i)
{
	return i < ARRAY_LEN(drivers) ? drivers[i] : NULL;
}

const struct config_chip *config_chip_at(size_t i)
{
	return i < ARRAY_LEN(drivers) ? &drivers[i]->config : NULL;
}

