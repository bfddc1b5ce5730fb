/* A register-level model of the ST LSM6DS3TR-C (the register map is in
 * drivers/lsm6ds3trc.h). Quantities, named as in the MPU-6050 model:
 * gyro_x_dps, gyro_y_dps, gyro_z_dps (0), the tool's true angular rate about
 * each axis; zro_x_dps, zro_y_dps, zro_z_dps (0), the chip's zero-rate
 * offset, which its gyro adds to each axis (a real one is a few °/s); and
 * accel_x_g, accel_y_g, accel_z_g (0, 0, 1: lying still, z up). Own noise
 * 0.05 °/s and 0.001 g (our choice, about a still chip's at 104 Hz).
 *
 * Power-on: WHO_AM_I 0x6A, CTRL3_C 0x04 (IF_INC), every other control
 * register 0 (both sensors in power-down), STATUS_REG and the outputs 0.
 * Transfers auto-increment while IF_INC is 1 and stay on one register
 * otherwise. CTRL1_XL .. CTRL10_C (10h..19h) are writable.
 *
 * Each sensor converts continuously at its ODR (CTRL1_XL, CTRL2_G bits 7:4)
 * on the scenario's clock: at each transfer, a sensor whose output period has
 * ticked since its last sample takes a new one (the scenario's values at
 * that time, gyro plus zro, at the full scale then set, saturating at its ends) and sets
 * its STATUS_REG flag (XLDA, GDA). After an ODR is set the first set lands
 * at the second read transfer, counted in transfers as in the LPS22HB model:
 * the simulated bus does not advance time while a driver waits, so a driver
 * that polls STATUS_REG after init gets its first set while one that reads
 * the outputs at once finds zeros. Reading any byte of a sensor's outputs
 * clears its flag (our reading of the datasheet: the flag says a set not yet
 * read). SW_RESET returns every register to its power-on value and reads
 * back 1 once, as the LPS22HB model does, so a driver that does not wait for
 * it is caught. BOOT, BLE, the filters and the temperature are not modelled.
 *
 * The model "lsm6ds3" is the older LSM6DS3 as far as this project cares:
 * the same chip answering WHO_AM_I with 0x69, for the driver's refusal. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lsm6ds3trc.h"
#include "sim.h"

enum { Q_GYRO_X = 0, Q_ZRO_X = 3, Q_ACCEL_X = 6 };	/* in the order of .quantities below */
enum { SENSOR_XL, SENSOR_G };

#define REG_CTRL10_C 0x19
#define REG_OUT_END 0x2D

/* By ODR code 0000 .. 1010 [§9, CTRL1_XL]; 0 is power-down. */
static const double odr_hz[16] = { 0, 12.5, 26, 52, 104, 208, 416, 833, 1660, 3330, 6660 };

struct sim_lsm6ds3trc {
	uint8_t regs[128];
	bool reset_read;	/* the next read still sees SW_RESET set */
	long tick[2];		/* by sensor: the output period of its last sample */
	int first_reads[2];	/* by sensor: read transfers until its first set */
};

static void power_on_with_id(struct sim_chip *chip, uint8_t id)
{
	struct sim_lsm6ds3trc *st = chip->state;

	memset(st, 0, sizeof(*st));
	st->regs[LSM6DS3TRC_REG_WHO_AM_I] = id;
	st->regs[LSM6DS3TRC_REG_CTRL3_C] = LSM6DS3TRC_CTRL3_IF_INC;
}

static void sim_lsm6ds3trc_power_on(struct sim_chip *chip)
{
	power_on_with_id(chip, LSM6DS3TRC_ID);
}

static void sim_lsm6ds3_power_on(struct sim_chip *chip)
{
	power_on_with_id(chip, LSM6DS3_ID);
}

static double sensor_odr_hz(const struct sim_lsm6ds3trc *st, int sensor)
{
	return odr_hz[st->regs[sensor == SENSOR_XL ? LSM6DS3TRC_REG_CTRL1_XL : LSM6DS3TRC_REG_CTRL2_G] >> 4];
}

static long tick_at(double odr, double now_s)
{
	return (long)floor(now_s * odr);
}

/* One sample of sensor into its three output pairs, LSB first. */
static void sample(struct sim_chip *chip, struct sim_lsm6ds3trc *st, int sensor)
{
	bool gyro = sensor == SENSOR_G;
	double per_lsb = gyro ? lsm6ds3trc_gyro_dps_per_lsb(st->regs[LSM6DS3TRC_REG_CTRL2_G])
			      : lsm6ds3trc_accel_g_per_lsb(st->regs[LSM6DS3TRC_REG_CTRL1_XL]);
	uint8_t out = gyro ? LSM6DS3TRC_REG_OUTX_L_G : LSM6DS3TRC_REG_OUTX_L_XL;

	for (int axis = 0; axis < 3; axis++) {
		double value = gyro ? sim_chip_value(chip, Q_GYRO_X + axis) + sim_chip_value(chip, Q_ZRO_X + axis)
				    : sim_chip_value(chip, Q_ACCEL_X + axis);
		double count = round(value / per_lsb);
		uint16_t c = (uint16_t)(int16_t)(isnan(count) ? 0 : fmax(-32768, fmin(32767, count)));

		st->regs[out + 2 * axis] = (uint8_t)c;
		st->regs[out + 2 * axis + 1] = (uint8_t)(c >> 8);
	}
	st->regs[LSM6DS3TRC_REG_STATUS] |= gyro ? LSM6DS3TRC_STATUS_GDA : LSM6DS3TRC_STATUS_XLDA;
}

/* Brings both sensors' outputs up to chip->now_s. */
static void convert(struct sim_chip *chip, struct sim_lsm6ds3trc *st)
{
	for (int sensor = SENSOR_XL; sensor <= SENSOR_G; sensor++) {
		double odr = sensor_odr_hz(st, sensor);
		long tick;

		if (odr <= 0)
			continue;
		tick = tick_at(odr, chip->now_s);
		if (tick > st->tick[sensor]) {
			sample(chip, st, sensor);
			st->tick[sensor] = tick;
		}
	}
}

static uint8_t next_reg(const struct sim_lsm6ds3trc *st, uint8_t reg)
{
	return (st->regs[LSM6DS3TRC_REG_CTRL3_C] & LSM6DS3TRC_CTRL3_IF_INC) ? (uint8_t)((reg + 1) & 0x7F)
									     : reg;
}

static int sim_lsm6ds3trc_write(struct sim_chip *chip, uint8_t reg, const uint8_t *buf, size_t len)
{
	struct sim_lsm6ds3trc *st = chip->state;

	convert(chip, st);
	reg &= 0x7F;
	for (size_t i = 0; i < len; i++, reg = next_reg(st, reg)) {
		if (reg == LSM6DS3TRC_REG_CTRL3_C && (buf[i] & LSM6DS3TRC_CTRL3_SW_RESET)) {
			chip->model->power_on(chip);
			st->regs[reg] |= LSM6DS3TRC_CTRL3_SW_RESET;
			st->reset_read = true;
		} else if (reg == LSM6DS3TRC_REG_CTRL1_XL || reg == LSM6DS3TRC_REG_CTRL2_G) {
			int sensor = reg == LSM6DS3TRC_REG_CTRL1_XL ? SENSOR_XL : SENSOR_G;

			st->regs[reg] = buf[i];
			st->tick[sensor] = tick_at(sensor_odr_hz(st, sensor), chip->now_s);
			st->first_reads[sensor] = 2;
		} else if (reg >= LSM6DS3TRC_REG_CTRL1_XL && reg <= REG_CTRL10_C) {
			st->regs[reg] = buf[i];
		}
	}
	return 0;
}

static int sim_lsm6ds3trc_read(struct sim_chip *chip, uint8_t reg, uint8_t *buf, size_t len)
{
	struct sim_lsm6ds3trc *st = chip->state;

	convert(chip, st);
	for (int sensor = SENSOR_XL; sensor <= SENSOR_G; sensor++)
		if (st->first_reads[sensor] > 0 && --st->first_reads[sensor] == 0 &&
		    sensor_odr_hz(st, sensor) > 0)
			sample(chip, st, sensor);
	if (st->reset_read)
		st->reset_read = false;
	else
		st->regs[LSM6DS3TRC_REG_CTRL3_C] &= (uint8_t)~LSM6DS3TRC_CTRL3_SW_RESET;
	reg &= 0x7F;
	for (size_t i = 0; i < len; i++, reg = next_reg(st, reg)) {
		buf[i] = st->regs[reg];
		if (reg >= LSM6DS3TRC_REG_OUTX_L_G && reg < LSM6DS3TRC_REG_OUTX_L_XL)
			st->regs[LSM6DS3TRC_REG_STATUS] &= (uint8_t)~LSM6DS3TRC_STATUS_GDA;
		else if (reg >= LSM6DS3TRC_REG_OUTX_L_XL && reg <= REG_OUT_END)
			st->regs[LSM6DS3TRC_REG_STATUS] &= (uint8_t)~LSM6DS3TRC_STATUS_XLDA;
	}
	return 0;
}

static const char *const quantities[] = {
	"gyro_x_dps", "gyro_y_dps", "gyro_z_dps", "zro_x_dps", "zro_y_dps", "zro_z_dps",
	"accel_x_g", "accel_y_g", "accel_z_g", NULL
};
static const double defaults[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const double noise[] = { 0.05, 0.05, 0.05, 0, 0, 0, 0.001, 0.001, 0.001 };

const struct sim_model sim_lsm6ds3trc_model = {
	.name = "lsm6ds3trc",
	.state_size = sizeof(struct sim_lsm6ds3trc),
	.quantities = quantities,
	.defaults = defaults,
	.noise = noise,
	.power_on = sim_lsm6ds3trc_power_on,
	.write = sim_lsm6ds3trc_write,
	.read = sim_lsm6ds3trc_read,
};

const struct sim_model sim_lsm6ds3_model = {
	.name = "lsm6ds3",
	.state_size = sizeof(struct sim_lsm6ds3trc),
	.quantities = quantities,
	.defaults = defaults,
	.noise = noise,
	.power_on = sim_lsm6ds3_power_on,
	.write = sim_lsm6ds3trc_write,
	.read = sim_lsm6ds3trc_read,
};
