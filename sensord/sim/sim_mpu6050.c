/* A register-level model of the InvenSense MPU-6050 (RM-MPU-6000A-00 rev 4.2;
 * the register map is in drivers/mpu6050.h). Quantities: gyro_x_dps,
 * gyro_y_dps, gyro_z_dps (the tool's true angular rate, 0), zro_x_dps,
 * zro_y_dps, zro_z_dps (the chip's zero-rate offset, which its gyro adds to
 * every axis: 0; a real one is up to ±20 °/s [PS §6.1]), accel_x_g,
 * accel_y_g, accel_z_g (0, 0, 1: lying flat at rest) and temperature_c (25).
 * Own noise: 0.05 °/s on each gyro axis (the total RMS noise of PS §6.1),
 * 0.002 g on each accelerometer axis (our choice, about 400 µg/√Hz over the
 * filter's bandwidth [PS §6.2]), 0.01 °C (our choice, 3.4 counts). A live
 * chip never repeats all seven outputs for long, and the driver's stuck
 * check relies on that: a scenario that silences every one of them makes
 * a frozen chip.
 *
 * Power-on: every register 0 except PWR_MGMT_1 0x40 (asleep) and WHO_AM_I
 * 0x68 [RM §3]. Transfers auto-increment. Writable: SMPLRT_DIV, CONFIG
 * (bits 5:0), GYRO_CONFIG and ACCEL_CONFIG (bits 7:3), PWR_MGMT_1 (all but
 * bit 4); the rest ignores writes. DEVICE_RESET returns every register to
 * its power-on value at once, but the next read still finds the bit set, so
 * that a driver that does not wait for it is caught.
 *
 * While awake (SLEEP clear) a read that touches the output registers
 * (0x3B..0x48) first takes a new sample of the scenario at that time, all
 * six axes and the temperature at once: gyro = (gyro + zro) * the FS_SEL
 * sensitivity, accel * the AFS_SEL one, rounded and held at the 16-bit
 * ends (-32768, 32767), which is the full-scale range; temperature as
 * TEMP_OUT / 340 + 36.53 [RM §4.18]. Asleep, the outputs keep what they
 * last held (0 after power-on). The sample rate, the filter and the
 * self-test bits are not modelled. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mpu6050.h"
#include "sim.h"

/* In the order of .quantities below. */
enum { Q_GYRO = 0, Q_ZRO = 3, Q_ACCEL = 6, Q_TEMPERATURE = 9 };

#define REG_DATA_END (MPU6050_REG_ACCEL_XOUT_H + MPU6050_DATA_LEN)	/* 0x49 */

struct sim_mpu6050 {
	uint8_t regs[128];
	bool reset_read;	/* the next read still sees DEVICE_RESET set */
};

static void sim_mpu6050_power_on(struct sim_chip *chip)
{
	struct sim_mpu6050 *st = chip->state;

	memset(st, 0, sizeof(*st));
	st->regs[MPU6050_REG_PWR_MGMT_1] = MPU6050_PWR1_SLEEP;
	st->regs[MPU6050_REG_WHO_AM_I] = MPU6050_ID;
}

/* value * lsb_per_unit, rounded, held within 16 bits, high byte first. */
static void sim_mpu6050_put(uint8_t *hl, double value, double lsb_per_unit)
{
	double count = round(value * lsb_per_unit);
	uint16_t c;

	if (isnan(count))
		count = 0;
	c = (uint16_t)(int16_t)fmax(-32768.0, fmin(32767.0, count));
	hl[0] = (uint8_t)(c >> 8);
	hl[1] = (uint8_t)c;
}

static void sim_mpu6050_sample(struct sim_chip *chip, struct sim_mpu6050 *st)
{
	unsigned fs = (st->regs[MPU6050_REG_GYRO_CONFIG] & MPU6050_FS_MASK) >> MPU6050_FS_SHIFT;
	unsigned afs = (st->regs[MPU6050_REG_ACCEL_CONFIG] & MPU6050_FS_MASK) >> MPU6050_FS_SHIFT;
	double t_c = sim_chip_value(chip, Q_TEMPERATURE);

	for (int i = 0; i < 3; i++) {
		double dps = sim_chip_value(chip, Q_GYRO + i) + sim_chip_value(chip, Q_ZRO + i);

		sim_mpu6050_put(&st->regs[MPU6050_REG_GYRO_XOUT_H + 2 * i], dps,
				mpu6050_gyro_lsb_per_dps[fs]);
		sim_mpu6050_put(&st->regs[MPU6050_REG_ACCEL_XOUT_H + 2 * i],
				sim_chip_value(chip, Q_ACCEL + i), mpu6050_accel_lsb_per_g[afs]);
	}
	sim_mpu6050_put(&st->regs[MPU6050_REG_TEMP_OUT_H], t_c - 36.53, 340.0);
}

static int sim_mpu6050_write(struct sim_chip *chip, uint8_t reg, const uint8_t *buf, size_t len)
{
	struct sim_mpu6050 *st = chip->state;

	for (size_t i = 0; i < len; i++, reg++) {
		uint8_t v = buf[i];

		if (reg >= sizeof(st->regs))
			break;
		switch (reg) {
		case MPU6050_REG_SMPLRT_DIV:
			st->regs[reg] = v;
			break;
		case MPU6050_REG_CONFIG:
			st->regs[reg] = v & 0x3F;
			break;
		case MPU6050_REG_GYRO_CONFIG:
		case MPU6050_REG_ACCEL_CONFIG:
			st->regs[reg] = v & 0xF8;
			break;
		case MPU6050_REG_PWR_MGMT_1:
			if (v & MPU6050_PWR1_DEVICE_RESET) {
				sim_mpu6050_power_on(chip);
				st->regs[reg] |= MPU6050_PWR1_DEVICE_RESET;
				st->reset_read = true;
			} else {
				st->regs[reg] = v & 0xEF;	/* bit 4 is reserved */
			}
			break;
		default:
			break;	/* read-only, or not modelled */
		}
	}
	return 0;
}

static int sim_mpu6050_read(struct sim_chip *chip, uint8_t reg, uint8_t *buf, size_t len)
{
	struct sim_mpu6050 *st = chip->state;
	bool awake = !(st->regs[MPU6050_REG_PWR_MGMT_1] & MPU6050_PWR1_SLEEP);

	if (st->reset_read)
		st->reset_read = false;
	else
		st->regs[MPU6050_REG_PWR_MGMT_1] &= (uint8_t)~MPU6050_PWR1_DEVICE_RESET;
	if (awake && reg < REG_DATA_END && (size_t)reg + len > MPU6050_REG_ACCEL_XOUT_H)
		sim_mpu6050_sample(chip, st);
	for (size_t i = 0; i < len; i++)
		buf[i] = (size_t)reg + i < sizeof(st->regs) ? st->regs[reg + i] : 0;
	return 0;
}

const struct sim_model sim_mpu6050_model = {
	.name = "mpu6050",
	.state_size = sizeof(struct sim_mpu6050),
	.quantities = (const char *const[]){"gyro_x_dps", "gyro_y_dps", "gyro_z_dps",
					    "zro_x_dps", "zro_y_dps", "zro_z_dps",
					    "accel_x_g", "accel_y_g", "accel_z_g",
					    "temperature_c", NULL},
	.defaults = (const double[]){0, 0, 0, 0, 0, 0, 0, 0, 1, 25},
	.noise = (const double[]){0.05, 0.05, 0.05, 0, 0, 0, 0.002, 0.002, 0.002, 0.01},
	.power_on = sim_mpu6050_power_on,
	.write = sim_mpu6050_write,
	.read = sim_mpu6050_read,
};
