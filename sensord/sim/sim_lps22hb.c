/* A register-level model of the ST LPS22HB (DocID027083; the register map is
 * in drivers/lps22hb.h). Quantities (a barometer, sim.h): pressure_pa
 * (101325), load_kpa (0), temperature_c (22); own noise 1 Pa and 0.01 °C
 * (our choice, about an unfiltered chip's).
 *
 * Power-on: WHO_AM_I 0xB1, CTRL_REG1 0x00 (power-down), CTRL_REG2 0x10
 * (IF_ADD_INC), STATUS and the outputs 0. Transfers auto-increment while
 * IF_ADD_INC is 1 and stay on one register otherwise. Only CTRL_REG1 and
 * CTRL_REG2 are writable.
 *
 * Time is counted in transfers, so that a driver that does not wait is
 * caught whatever its delays: ONE_SHOT (in power-down) samples the scenario
 * at the time of that write; the first read afterwards still shows ONE_SHOT
 * set and the old outputs, the next one finds the measurement done (ONE_SHOT
 * clear, the outputs new, P_DA and T_DA set). SWRESET likewise reads back 1
 * once, having already returned every register to its power-on value.
 * Reading PRESS_OUT_H clears P_DA, reading TEMP_OUT_H clears T_DA. The
 * low-pass filter and the continuous ODRs are not modelled. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lps22hb.h"
#include "sim.h"

enum { Q_TEMPERATURE = 2 };	/* in the order of .quantities below */

#define REG_PRESS_OUT_H 0x2A
#define REG_TEMP_OUT_H 0x2C

struct sim_lps22hb {
	uint8_t regs[256];
	bool shot_pending;	/* a ONE_SHOT measurement not yet in the outputs */
	bool busy_read;		/* the next read still sees it running */
	bool reset_read;	/* the next read still sees SWRESET set */
	int32_t shot_p;		/* the pending measurement, as counts */
	int16_t shot_t;
};

static void sim_lps22hb_power_on(struct sim_chip *chip)
{
	struct sim_lps22hb *st = chip->state;

	memset(st, 0, sizeof(*st));
	st->regs[LPS22HB_REG_WHO_AM_I] = LPS22HB_ID;
	st->regs[LPS22HB_REG_CTRL_REG2] = LPS22HB_CTRL2_IF_ADD_INC;
}

/* value * lsb_per_unit rounded, within the two's complement range of bits. */
static int32_t sim_lps22hb_count(double value, double lsb_per_unit, int bits)
{
	double max = ldexp(1, bits - 1) - 1;
	double count = round(value * lsb_per_unit);

	if (isnan(count))
		return 0;
	return (int32_t)fmax(-max - 1, fmin(max, count));
}

static void sim_lps22hb_sample(struct sim_chip *chip, struct sim_lps22hb *st)
{
	/* Temperature first: the sensed pressure depends on it when sealed. */
	double temperature_c = sim_chip_value(chip, Q_TEMPERATURE);
	double pressure_pa = sim_chip_sensed_pa(chip, temperature_c);

	st->shot_p = sim_lps22hb_count(pressure_pa, LPS22HB_LSB_PER_PA, 24);
	st->shot_t = (int16_t)sim_lps22hb_count(temperature_c, LPS22HB_LSB_PER_C, 16);
	st->shot_pending = true;
	st->busy_read = true;
}

/* The measurement lands in the outputs, LSB first. */
static void sim_lps22hb_complete(struct sim_lps22hb *st)
{
	uint32_t p = (uint32_t)st->shot_p, t = (uint16_t)st->shot_t;

	for (int i = 0; i < 3; i++)
		st->regs[LPS22HB_REG_PRESS_OUT_XL + i] = (uint8_t)(p >> (8 * i));
	st->regs[REG_TEMP_OUT_H - 1] = (uint8_t)t;
	st->regs[REG_TEMP_OUT_H] = (uint8_t)(t >> 8);
	st->regs[LPS22HB_REG_STATUS] |= LPS22HB_STATUS_P_DA | LPS22HB_STATUS_T_DA;
	st->regs[LPS22HB_REG_CTRL_REG2] &= (uint8_t)~LPS22HB_CTRL2_ONE_SHOT;
	st->shot_pending = false;
}

static uint8_t sim_lps22hb_next(const struct sim_lps22hb *st, uint8_t reg)
{
	return (st->regs[LPS22HB_REG_CTRL_REG2] & LPS22HB_CTRL2_IF_ADD_INC) ? (uint8_t)(reg + 1) : reg;
}

static int sim_lps22hb_write(struct sim_chip *chip, uint8_t reg, const uint8_t *buf, size_t len)
{
	struct sim_lps22hb *st = chip->state;

	for (size_t i = 0; i < len; i++, reg = sim_lps22hb_next(st, reg)) {
		if (reg == LPS22HB_REG_CTRL_REG1) {
			st->regs[reg] = buf[i] & 0x7F;	/* bit 7 reads 0 */
		} else if (reg == LPS22HB_REG_CTRL_REG2 && (buf[i] & LPS22HB_CTRL2_SWRESET)) {
			sim_lps22hb_power_on(chip);
			st->regs[reg] |= LPS22HB_CTRL2_SWRESET;
			st->reset_read = true;
		} else if (reg == LPS22HB_REG_CTRL_REG2) {
			st->regs[reg] = buf[i] & 0xF1;	/* bits 3:1 are not ours to set */
			/* One-shot only in power-down (ODR 000). */
			if ((buf[i] & LPS22HB_CTRL2_ONE_SHOT) && !(st->regs[LPS22HB_REG_CTRL_REG1] & 0x70))
				sim_lps22hb_sample(chip, st);
			else
				st->regs[reg] &= (uint8_t)~LPS22HB_CTRL2_ONE_SHOT;
		}
	}
	return 0;
}

static int sim_lps22hb_read(struct sim_chip *chip, uint8_t reg, uint8_t *buf, size_t len)
{
	struct sim_lps22hb *st = chip->state;

	if (st->busy_read)
		st->busy_read = false;
	else if (st->shot_pending)
		sim_lps22hb_complete(st);
	if (st->reset_read)
		st->reset_read = false;
	else
		st->regs[LPS22HB_REG_CTRL_REG2] &= (uint8_t)~LPS22HB_CTRL2_SWRESET;
	for (size_t i = 0; i < len; i++, reg = sim_lps22hb_next(st, reg)) {
		buf[i] = st->regs[reg];
		if (reg == REG_PRESS_OUT_H)
			st->regs[LPS22HB_REG_STATUS] &= (uint8_t)~LPS22HB_STATUS_P_DA;
		if (reg == REG_TEMP_OUT_H)
			st->regs[LPS22HB_REG_STATUS] &= (uint8_t)~LPS22HB_STATUS_T_DA;
	}
	return 0;
}

const struct sim_model sim_lps22hb_model = {
	.name = "lps22hb",
	.state_size = sizeof(struct sim_lps22hb),
	.quantities = (const char *const[]){"pressure_pa", "load_kpa", "temperature_c", NULL},
	.defaults = (const double[]){101325, 0, 22},
	.noise = (const double[]){1.0, 0, 0.01},
	.power_on = sim_lps22hb_power_on,
	.write = sim_lps22hb_write,
	.read = sim_lps22hb_read,
};
