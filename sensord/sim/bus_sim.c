/* The simulated I²C bus: routes each transfer by 7-bit address to a chip
 * model, and plays the scenario's bus faults. It answers as the Linux i2c-dev
 * adapter would: a NACK (no chip, a "nack" window, an "absent" chip) is
 * -EREMOTEIO, a bad length -EINVAL. Time is whatever now_s(ctx) says at each
 * transfer, so delay_us has nothing to do: the chip models compare
 * chip->now_s with when a conversion started. */
#include "scenario_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SIM_BUS_MAX_LEN 32
#define I2C_ADDRESSES 128

struct sim_bus {
	struct bus bus;		/* first, so a struct bus * is a struct sim_bus * */
	struct sim_scenario *scn;
	double (*now_s)(void *ctx);
	void *ctx;
	/* Chip index + 1 at each address, 0 for none. */
	uint8_t chip_at[I2C_ADDRESSES];
	/* Per chip: how many "absent" windows had ended when it was last
	 * powered on; one more means it was off the bus since. */
	size_t absent_seen[SIM_MAX_CHIPS];
};

static void chip_power_on(struct sim_chip *chip)
{
	memset(chip->state, 0, chip->model->state_size);
	chip->model->power_on(chip);
}

/* The chip at addr ready for a transfer at the current time, or NULL when
 * nothing answers there. A chip back from an "absent" window starts from its
 * power-on reset state: whatever the driver configured is gone. */
static struct sim_chip *sim_bus_chip(struct sim_bus *sb, uint8_t addr)
{
	struct sim_chip *chip;
	size_t i, ended;

	if (addr >= I2C_ADDRESSES || !sb->chip_at[addr])
		return NULL;
	i = sb->chip_at[addr] - 1u;
	chip = sim_scenario_chip(sb->scn, i);
	chip->now_s = sb->now_s(sb->ctx);
	if (sim_scenario_fault_at(sb->scn, i, SIM_FAULT_ABSENT, chip->now_s) >= 0 ||
	    sim_scenario_fault_at(sb->scn, i, SIM_FAULT_NACK, chip->now_s) >= 0)
		return NULL;
	ended = sim_scenario_faults_ended(sb->scn, i, SIM_FAULT_ABSENT, chip->now_s);
	if (ended > sb->absent_seen[i])
		chip_power_on(chip);
	/* Also when time went backwards (a test rewinding its clock). */
	sb->absent_seen[i] = ended;
	return chip;
}

static int sim_bus_read(struct bus *bus, uint8_t addr, uint8_t reg, uint8_t *buf, size_t len)
{
	struct sim_bus *sb = (struct sim_bus *)bus;
	struct sim_chip *chip;

	if (len < 1 || len > SIM_BUS_MAX_LEN || !buf)
		return -EINVAL;
	chip = sim_bus_chip(sb, addr);
	if (!chip)
		return -EREMOTEIO;
	return chip->model->read(chip, reg, buf, len);
}

static int sim_bus_write(struct bus *bus, uint8_t addr, uint8_t reg, const uint8_t *buf,
			 size_t len)
{
	static const uint8_t no_data[1];
	struct sim_bus *sb = (struct sim_bus *)bus;
	struct sim_chip *chip;

	if (len > SIM_BUS_MAX_LEN || (len && !buf))
		return -EINVAL;
	chip = sim_bus_chip(sb, addr);
	if (!chip)
		return -EREMOTEIO;
	/* Models may memcpy(dst, buf, 0): keep that defined for a bare
	 * register-pointer write. */
	return chip->model->write(chip, reg, buf ? buf : no_data, len);
}

static void sim_bus_delay_us(struct bus *bus, unsigned us)
{
	(void)bus;
	(void)us;
}

static void sim_bus_close(struct bus *bus)
{
	struct sim_bus *sb = (struct sim_bus *)bus;

	sim_scenario_free(sb->scn);
	free(sb);
}

struct bus *sim_bus_open(struct sim_scenario *scn, double (*now_s)(void *ctx), void *ctx)
{
	struct sim_bus *sb;
	size_t i, n;
	double t;

	sb = scn && now_s ? calloc(1, sizeof(*sb)) : NULL;
	if (!sb) {
		int err = scn && now_s ? ENOMEM : EINVAL;

		sim_scenario_free(scn);
		errno = err;
		return NULL;
	}
	sb->bus.read = sim_bus_read;
	sb->bus.write = sim_bus_write;
	sb->bus.delay_us = sim_bus_delay_us;
	sb->bus.close = sim_bus_close;
	strcpy(sb->bus.name, "sim");
	sb->scn = scn;
	sb->now_s = now_s;
	sb->ctx = ctx;

	/* The parser refused duplicate addresses and more than SIM_MAX_CHIPS
	 * chips, so the table needs no checks. */
	t = now_s(ctx);
	n = sim_scenario_chip_count(scn);
	for (i = 0; i < n; i++) {
		struct sim_chip *chip = sim_scenario_chip(scn, i);

		sb->chip_at[chip->address] = (uint8_t)(i + 1);
		sb->absent_seen[i] = sim_scenario_faults_ended(scn, i, SIM_FAULT_ABSENT, t);
		chip->now_s = t;
		chip_power_on(chip);
	}
	return &sb->bus;
}
