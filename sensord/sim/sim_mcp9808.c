/* A register-level model of the Microchip MCP9808 (DS25095; the facts are in
 * docs/chips.md). Power-on: CONFIG 0x0000 (converting continuously),
 * T_UPPER = T_LOWER = T_CRIT = 0, resolution 0x03 (0.0625 °C), manufacturer
 * ID 0x0054, device ID/revision 0x0400. Quantity: temperature_c (22).
 *
 * T_A is the scenario's temperature_c at the time of the read, truncated to
 * the resolution (the unused LSBs of the two's complement value read 0, which
 * rounds towards minus infinity), with the three flag bits computed against
 * the limits, which do not depend on the alert configuration: 25 °C reads
 * 0xC190 with the power-on limits. The conversion time is not modelled: a
 * read always sees the latest temperature, except in shutdown (SHDN=1),
 * where T_A keeps the value it had when shutdown began. The alert output and
 * T_HYST are not modelled. Crit.Lock and Win.Lock are: once set, they stay
 * set until power-off, the registers they lock ignore writes, and SHDN cannot
 * be set while either is [§5.1.1]. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "mcp9808.h"
#include "sim.h"

/* CONFIG bits 15:11 are unimplemented; Int.Clear always reads 0. */
#define MCP_CFG_WRITABLE 0x07DFu
/* Limits: sign bit 12 and bits 11:2 (0.25 °C steps) [§5.1.2]. */
#define MCP_LIMIT_MASK 0x1FFCu

struct sim_mcp9808 {
	/* By pointer: CONFIG, T_UPPER, T_LOWER, T_CRIT, the IDs and the
	 * resolution as the chip holds them; T_A (0x05) is not kept here, the
	 * reserved registers read 0. */
	uint16_t regs[16];
	uint16_t frozen_ta;	/* T_A while shut down */
};

/* 13-bit two's complement (sign bit 12), in 1/16 °C, to a plain integer. */
static int sim_mcp9808_counts(uint16_t reg)
{
	int counts = reg & 0x1FFF;

	return (counts & 0x1000) ? counts - 0x2000 : counts;
}

/* A fresh conversion: the temperature now, truncated to the resolution, with
 * the flags against the current limits [§5.1.3]. */
static uint16_t sim_mcp9808_convert(struct sim_chip *chip, const struct sim_mcp9808 *st)
{
	/* 0.5 °C is 8 counts of 1/16 °C, 0.0625 °C is 1. */
	int step = 8 >> st->regs[MCP9808_REG_RESOLUTION];
	double t_c = sim_chip_value(chip, 0);
	double counts_f = floor(t_c * 16.0 / step) * step;
	int counts;

	/* The 13-bit range: -256 .. +255.9375 °C. */
	if (isnan(counts_f))
		counts_f = 0;
	if (counts_f > 4096 - step)
		counts_f = 4096 - step;
	if (counts_f < -4096)
		counts_f = -4096;
	counts = (int)counts_f;

	uint16_t reg = (uint16_t)(counts & 0x1FFF);

	if (counts >= sim_mcp9808_counts(st->regs[MCP9808_REG_CRIT]))
		reg |= 0x8000;
	if (counts > sim_mcp9808_counts(st->regs[MCP9808_REG_UPPER]))
		reg |= 0x4000;
	if (counts < sim_mcp9808_counts(st->regs[MCP9808_REG_LOWER]))
		reg |= 0x2000;
	return reg;
}

static void sim_mcp9808_power_on(struct sim_chip *chip)
{
	struct sim_mcp9808 *st = chip->state;

	*st = (struct sim_mcp9808){.regs = {[MCP9808_REG_MANUFACTURER] = 0x0054,
					    [MCP9808_REG_DEVICE] = 0x0400,
					    [MCP9808_REG_RESOLUTION] = 0x03}};
}

static void sim_mcp9808_config_write(struct sim_chip *chip, struct sim_mcp9808 *st, uint16_t value)
{
	uint16_t config = st->regs[MCP9808_REG_CONFIG];
	uint16_t locks = config & (MCP9808_CONFIG_CRIT_LOCK | MCP9808_CONFIG_WIN_LOCK);

	value &= MCP_CFG_WRITABLE;
	/* SHDN cannot be set while a lock bit is [§5.1.1]. */
	if (locks && !(config & MCP9808_CONFIG_SHDN))
		value &= (uint16_t)~MCP9808_CONFIG_SHDN;
	/* Entering shutdown stops conversions: T_A keeps its last value. */
	if ((value & MCP9808_CONFIG_SHDN) && !(config & MCP9808_CONFIG_SHDN))
		st->frozen_ta = sim_mcp9808_convert(chip, st);
	/* The lock bits can only be set; power-off clears them. */
	st->regs[MCP9808_REG_CONFIG] = value | locks;
}

static int sim_mcp9808_write(struct sim_chip *chip, uint8_t reg, const uint8_t *buf, size_t len)
{
	struct sim_mcp9808 *st = chip->state;

	/* Pointer bits 7:4 must be 0 [§5.1]. The datasheet does not say what
	 * the chip does otherwise; the model NACKs, so a driver bug shows. */
	if (reg & 0xF0)
		return -EREMOTEIO;
	if (reg == MCP9808_REG_RESOLUTION) {
		if (len >= 1)
			st->regs[reg] = buf[0] & 0x03;
		return 0;
	}
	/* 16-bit registers change only with both bytes. */
	if (len < 2)
		return 0;
	uint16_t value = (uint16_t)((buf[0] << 8) | buf[1]);
	/* Win.Lock locks T_UPPER and T_LOWER, Crit.Lock T_CRIT [§5.1.1]. */
	uint16_t lock = reg == MCP9808_REG_CRIT ? MCP9808_CONFIG_CRIT_LOCK :
						  MCP9808_CONFIG_WIN_LOCK;

	if (reg == MCP9808_REG_CONFIG)
		sim_mcp9808_config_write(chip, st, value);
	else if (reg >= MCP9808_REG_UPPER && reg <= MCP9808_REG_CRIT &&
		 !(st->regs[MCP9808_REG_CONFIG] & lock))
		st->regs[reg] = value & MCP_LIMIT_MASK;
	/* the rest is read-only or reserved */
	return 0;
}

static int sim_mcp9808_read(struct sim_chip *chip, uint8_t reg, uint8_t *buf, size_t len)
{
	struct sim_mcp9808 *st = chip->state;

	if (reg & 0xF0)
		return -EREMOTEIO;
	uint16_t value = st->regs[reg];
	if (reg == MCP9808_REG_RESOLUTION) {
		/* The one 8-bit register; bits 7:2 read 0. */
		for (size_t i = 0; i < len; i++)
			buf[i] = i == 0 ? (uint8_t)value : 0;
		return 0;
	}
	if (reg == MCP9808_REG_TA)
		value = (st->regs[MCP9808_REG_CONFIG] & MCP9808_CONFIG_SHDN) ? st->frozen_ta :
								    sim_mcp9808_convert(chip, st);
	/* Past the LSB the model returns zeros; the datasheet does not say. */
	for (size_t i = 0; i < len; i++)
		buf[i] = i == 0 ? (uint8_t)(value >> 8) : i == 1 ? (uint8_t)(value & 0xFF) : 0;
	return 0;
}

const struct sim_model sim_mcp9808_model = {
	.name = "mcp9808",
	.state_size = sizeof(struct sim_mcp9808),
	.quantities = (const char *const[]){"temperature_c", NULL},
	.defaults = (const double[]){22},
	.power_on = sim_mcp9808_power_on,
	.write = sim_mcp9808_write,
	.read = sim_mcp9808_read,
};
