/* A register-level model of the TI ADS1115 (SBAS444; the facts are in
 * docs/chips.md): four 16-bit registers sent MSB first behind a 2-bit
 * pointer (every transfer here sets it, so the model need not keep it),
 * power-on values config 0x8583, Lo_thresh 0x8000, Hi_thresh 0x7FFF,
 * conversion 0x0000. Quantities: ain0_v, ain1_v, ain2_v, ain3_v (0).
 *
 * Time is counted in transfers rather than microseconds, so that a driver
 * that does not poll is caught whatever its delays: a single shot (OS=1
 * written in power-down) samples the inputs at the time of that write; the
 * first config read afterwards reports OS=0 (converting), the next one OS=1,
 * and only then does the conversion register hold the new result. Reading the
 * conversion register earlier returns the previous result, as the chip would.
 * In continuous mode (MODE=0) every conversion register read is a fresh
 * conversion. The comparator is not modelled (the ALERT pin is not wired). */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ads1115.h"
#include "sim.h"

enum sim_ads1115_quantity { AIN0, AIN1, AIN2, AIN3 };

struct sim_ads1115 {
	/* By pointer: conversion, config (as written, without OS), Lo_thresh,
	 * Hi_thresh. */
	uint16_t regs[4];
	bool converting;	/* a single shot was started and has not finished */
	bool busy_reported;	/* ... and a config read has seen OS=0 */
	uint16_t pending;	/* its result */
};

/* The inputs (positive, negative) of each MUX code; -1 is GND [Config Register]. */
static const int sim_ads1115_mux[8][2] = {
	{AIN0, AIN1}, {AIN0, AIN3}, {AIN1, AIN3}, {AIN2, AIN3},
	{AIN0, -1}, {AIN1, -1}, {AIN2, -1}, {AIN3, -1},
};

/* One conversion with the current config: the selected input's voltage at
 * the chip's time, over the PGA's range, rounded to the nearest code and
 * clipped to the two's complement range [§7.3.3]. */
static uint16_t sim_ads1115_convert(struct sim_chip *chip, const struct sim_ads1115 *st)
{
	static const double fsr_v[8] = {6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256};
	unsigned mux = (st->regs[ADS1115_REG_CONFIG] >> ADS1115_CFG_MUX_SHIFT) & 7;
	unsigned pga = (st->regs[ADS1115_REG_CONFIG] >> ADS1115_CFG_PGA_SHIFT) & 7;
	double v = sim_chip_value(chip, sim_ads1115_mux[mux][0]);

	if (sim_ads1115_mux[mux][1] >= 0)
		v -= sim_chip_value(chip, sim_ads1115_mux[mux][1]);
	double code = round(v / (fsr_v[pga] / 32768.0));

	if (isnan(code))
		code = 0;
	if (code > 32767)
		code = 32767;
	if (code < -32768)
		code = -32768;
	return (uint16_t)(int16_t)code;
}

static void sim_ads1115_power_on(struct sim_chip *chip)
{
	struct sim_ads1115 *st = chip->state;

	*st = (struct sim_ads1115){.regs = {0x0000, 0x8583 & ~ADS1115_CFG_OS, 0x8000, 0x7FFF}};
}

static void sim_ads1115_config_write(struct sim_chip *chip, struct sim_ads1115 *st, uint16_t value)
{
	/* "Power-down" is single-shot mode with no conversion running; a start
	 * request anywhere else has no effect [§7.4.2.1]. */
	bool power_down = (st->regs[ADS1115_REG_CONFIG] & ADS1115_CFG_MODE_SINGLE) &&
			  !st->converting;

	st->regs[ADS1115_REG_CONFIG] = value & (uint16_t)~ADS1115_CFG_OS;
	if ((value & ADS1115_CFG_OS) && power_down && (value & ADS1115_CFG_MODE_SINGLE)) {
		st->pending = sim_ads1115_convert(chip, st);
		st->converting = true;
		st->busy_reported = false;
	} else if (!(value & ADS1115_CFG_MODE_SINGLE)) {
		/* Continuous mode takes over; a single shot in flight is dropped. */
		st->converting = false;
	}
}

/* The value of register reg, as a read would see it now. */
static uint16_t sim_ads1115_reg_read(struct sim_chip *chip, struct sim_ads1115 *st, unsigned reg)
{
	uint16_t config = st->regs[ADS1115_REG_CONFIG];
	bool single = config & ADS1115_CFG_MODE_SINGLE;

	if (reg == ADS1115_REG_CONVERSION && !single)
		st->regs[reg] = sim_ads1115_convert(chip, st);
	if (reg != ADS1115_REG_CONFIG)
		return st->regs[reg];
	/* The datasheet leaves OS undefined while converting continuously; the
	 * device is always "performing a conversion", so it reads 0 then. */
	if (!single)
		return config;
	if (st->converting && !st->busy_reported) {
		st->busy_reported = true;
		return config;
	}
	if (st->converting) {
		st->regs[ADS1115_REG_CONVERSION] = st->pending;
		st->converting = false;
	}
	return config | ADS1115_CFG_OS;
}

static int sim_ads1115_write(struct sim_chip *chip, uint8_t reg, const uint8_t *buf, size_t len)
{
	struct sim_ads1115 *st = chip->state;

	/* Only P[1:0] exist; the chip ignores the upper pointer bits. A
	 * register changes only with both bytes; a transfer cut short after the
	 * MSB leaves it as it was. Bytes past the LSB are ignored. */
	reg &= 3;
	if (len < 2)
		return 0;
	uint16_t value = (uint16_t)((buf[0] << 8) | buf[1]);

	if (reg == ADS1115_REG_CONFIG)
		sim_ads1115_config_write(chip, st, value);
	else if (reg != ADS1115_REG_CONVERSION)	/* the conversion register is read-only */
		st->regs[reg] = value;
	return 0;
}

static int sim_ads1115_read(struct sim_chip *chip, uint8_t reg, uint8_t *buf, size_t len)
{
	uint16_t value = sim_ads1115_reg_read(chip, chip->state, reg & 3u);

	/* A master that reads on past the LSB sees the register again. */
	for (size_t i = 0; i < len; i++)
		buf[i] = (i % 2 == 0) ? (uint8_t)(value >> 8) : (uint8_t)(value & 0xFF);
	return 0;
}

const struct sim_model sim_ads1115_model = {
	.name = "ads1115",
	.state_size = sizeof(struct sim_ads1115),
	/* In the order of enum sim_ads1115_quantity. */
	.quantities = (const char *const[]){"ain0_v", "ain1_v", "ain2_v", "ain3_v", NULL},
	.defaults = (const double[]){0, 0, 0, 0},
	.power_on = sim_ads1115_power_on,
	.write = sim_ads1115_write,
	.read = sim_ads1115_read,
};
