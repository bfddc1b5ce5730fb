/* Helpers shared by the drivers. A 16-bit register write is pointer, MSB,
 * LSB; a read sets the pointer, then reads 2 bytes. */
#include <math.h>
#include <stdint.h>

#include "sensor.h"

int sensor_reg8_write(struct sensor *s, uint8_t reg, uint8_t value)
{
	return s->bus->write(s->bus, s->address, reg, &value, 1);
}

int sensor_reg16_read(struct sensor *s, uint8_t reg, uint16_t *value)
{
	uint8_t buf[2];
	int ret = s->bus->read(s->bus, s->address, reg, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	*value = (uint16_t)((buf[0] << 8) | buf[1]);
	return 0;
}

int sensor_reg16_write(struct sensor *s, uint8_t reg, uint16_t value)
{
	const uint8_t buf[2] = {(uint8_t)(value >> 8), (uint8_t)(value & 0xFF)};

	return s->bus->write(s->bus, s->address, reg, buf, sizeof(buf));
}

int sensor_reg16_write_read(struct sensor *s, uint8_t reg, uint16_t value, uint16_t *back)
{
	int ret = sensor_reg16_write(s, reg, value);

	if (ret < 0)
		return ret;
	return sensor_reg16_read(s, reg, back);
}

int sensor_code_of(const double *list, size_t n, double value)
{
	for (size_t i = 0; i < n; i++)
		if (fabs(value - list[i]) < 1e-9)
			return (int)i;
	return -1;
}

double sensor_pressure_pa_kpa(const struct sensor *s, const struct sensor_values *v)
{
	(void)s;
	return v->pressure_pa / 1000.0;
}

void sensor_values_clear(struct sensor_values *v)
{
	v->pressure_pa = NAN;
	v->temperature_c = NAN;
	v->humidity_pct = NAN;
	v->voltage_v = NAN;
	for (int i = 0; i < 3; i++) {
		v->gyro_dps[i] = NAN;
		v->accel_g[i] = NAN;
	}
	v->raw = 0;
}
