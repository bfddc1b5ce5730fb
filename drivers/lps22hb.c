/* ST LPS22HB: piezoresistive absolute pressure sensor (260..1260 hPa) with a
 * temperature sensor, as a barometer sealed in the tool like the BMP280.
 * Facts from DocID027083; the register map, its bits and the output scaling
 * are in lps22hb.h. I²C address 101110x, x = SA0 [§7.2]. ONE_SHOT (in
 * power-down) and SWRESET clear themselves once done: the outputs hold the
 * result, the registers their power-on values [§9, CTRL_REG2].
 *
 * Every read is one one-shot measurement, so a value is never older than the
 * read: set ONE_SHOT, wait until the chip clears it, then read STATUS and the
 * five output registers in one burst and insist that both ready flags are
 * set. BDU stays 0: in one-shot mode nothing rewrites the outputs while they
 * are read, and with BDU = 1 an earlier half-read result would hold them. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lps22hb.h"
#include "sensor.h"

/* The datasheet gives no one-shot conversion time; at its fastest ODR,
 * 75 Hz, a measurement takes at most 13.3 ms. Polling every millisecond for
 * 50 ms leaves margin without waiting on a chip that is gone. */
#define POLL_US 1000u
#define ONE_SHOT_POLLS 50
#define RESET_POLLS 10

/* CTRL_REG1 by "lowpass" (index of lowpass_names). */
static const uint8_t lowpass_bits[] = {
	0, LPS22HB_CTRL1_EN_LPFP, LPS22HB_CTRL1_EN_LPFP | LPS22HB_CTRL1_LPFP_CFG
};
static const char *const lowpass_names[] = { "off", "odr/9", "odr/20" };

static const struct config_key lps22hb_keys[] = {
	ROW(struct lps22hb_options, lowpass, KEY_PICK, PICK(lowpass_names)),
};

struct lps22hb_priv {
	bool ready;		/* init succeeded; read refuses otherwise */
	uint8_t ctrl_reg1;	/* what init wrote: a chip that lost it was reset */
};

double lps22hb_pressure_pa(const uint8_t out[3])
{
	int32_t count = (int32_t)out[2] << 16 | (int32_t)out[1] << 8 | out[0];

	if (count & 0x800000)	/* sign bit 23 */
		count -= 0x1000000;
	return count / LPS22HB_LSB_PER_PA;
}

double lps22hb_temperature_c(const uint8_t out[2])
{
	int32_t count = (int32_t)out[1] << 8 | out[0];

	if (count & 0x8000)	/* sign bit 15 */
		count -= 0x10000;
	return count / LPS22HB_LSB_PER_C;
}

/* Sets bit (SWRESET or ONE_SHOT, which clear themselves when done) in
 * CTRL_REG2, keeping IF_ADD_INC, and polls until it is clear again, tries
 * times POLL_US apart; ctrl gets CTRL_REG1 and CTRL_REG2 as last read. 0,
 * -ETIMEDOUT, or what the bus returned. */
static int ctrl2_run(struct sensor *s, uint8_t bit, int tries, uint8_t ctrl[2])
{
	int rc = sensor_reg8_write(s, LPS22HB_REG_CTRL_REG2, LPS22HB_CTRL2_IF_ADD_INC | bit);

	if (rc < 0)
		return rc;
	for (int i = 0; i < tries; i++) {
		s->bus->delay_us(s->bus, POLL_US);
		rc = s->bus->read(s->bus, s->address, LPS22HB_REG_CTRL_REG1, ctrl, 2);
		if (rc < 0)
			return rc;
		if (!(ctrl[1] & bit))
			return 0;
	}
	return -ETIMEDOUT;
}

static int lps22hb_init(struct sensor *s)
{
	struct lps22hb_priv *priv = s->priv;
	struct lps22hb_options cfg;
	uint8_t id, ctrl[2];
	int rc;

	memcpy(&cfg, s->cfg->options, sizeof(cfg));
	priv->ready = false;
	if (cfg.lowpass >= ARRAY_LEN(lowpass_bits))
		return -EINVAL;
	rc = s->bus->read(s->bus, s->address, LPS22HB_REG_WHO_AM_I, &id, 1);
	if (rc < 0)
		return rc;
	if (id != LPS22HB_ID)
		return -ENODEV;
	/* From whatever state a previous run or a glitch left (a filter, an
	 * ODR running continuously) to power-on values. */
	rc = ctrl2_run(s, LPS22HB_CTRL2_SWRESET, RESET_POLLS, ctrl);
	if (rc < 0)
		return rc;
	/* ODR 000: power-down, measuring only on ONE_SHOT. */
	priv->ctrl_reg1 = lowpass_bits[cfg.lowpass];
	rc = sensor_reg8_write(s, LPS22HB_REG_CTRL_REG1, priv->ctrl_reg1);
	if (rc < 0)
		return rc;
	priv->ready = true;
	return 0;
}

static int lps22hb_read(struct sensor *s, struct sensor_values *out)
{
	const struct lps22hb_priv *priv = s->priv;
	uint8_t ctrl[2], data[6];	/* STATUS, PRESS_OUT_XL .. TEMP_OUT_H */
	int rc;

	if (!priv->ready)
		return -EIO;
	rc = ctrl2_run(s, LPS22HB_CTRL2_ONE_SHOT, ONE_SHOT_POLLS, ctrl);
	if (rc < 0)
		return rc;
	/* A chip that lost power since init lost its filter setting: -EIO
	 * sends the sampler to init. */
	if (ctrl[0] != priv->ctrl_reg1)
		return -EIO;
	rc = s->bus->read(s->bus, s->address, LPS22HB_REG_STATUS, data, sizeof(data));
	if (rc < 0)
		return rc;
	if ((data[0] & (LPS22HB_STATUS_P_DA | LPS22HB_STATUS_T_DA)) !=
	    (LPS22HB_STATUS_P_DA | LPS22HB_STATUS_T_DA))
		return -EIO;

	sensor_values_clear(out);
	out->pressure_pa = lps22hb_pressure_pa(&data[1]);
	out->temperature_c = lps22hb_temperature_c(&data[4]);
	/* 24 + 16 bits, every raw bit, for the frozen-chip check. */
	out->raw = (uint64_t)data[3] << 32 | (uint64_t)data[2] << 24 | (uint64_t)data[1] << 16 |
		   (uint64_t)data[5] << 8 | data[4];
	return 0;
}

static const uint8_t lps22hb_addresses[] = { 0x5C, 0x5D, 0 };	/* SA0 to GND, to VDD [§7.2] */

/* stuck_samples: one count is 0.024 Pa, far below the chip's noise, so 20
 * identical raw results in a row mean a frozen chip (as for the BMP280). */
const struct sensor_driver lps22hb_driver = {
	.config = CONFIG_CHIP("lps22hb", CONFIG_CHANNEL_PRESSURE | CONFIG_CHANNEL_TEMPERATURE,
			      lps22hb_addresses, lps22hb_keys),
	.pressure = SENSOR_PRESSURE_GAS,
	.pressure_kpa = sensor_pressure_pa_kpa,
	.stuck_samples = 20,
	.priv_size = sizeof(struct lps22hb_priv),
	.init = lps22hb_init,
	.read = lps22hb_read,
};
