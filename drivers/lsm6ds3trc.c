/* ST LSM6DS3TR-C: 3D accelerometer and 3D gyroscope, here for the angular
 * rate of the tool (rolling or holding still). Facts from ST's LSM6DS3TR-C
 * datasheet; the register map, its bits and the sensitivities are in
 * lsm6ds3trc.h:
 *   I²C address 110101x, x = SA0 [§6.1.1]: 0x6A, 0x6B.
 *   WHO_AM_I (0Fh) 0x6A [§9]; the older LSM6DS3 answers 0x69 and is refused.
 *   CTRL1_XL (10h), CTRL2_G (11h): ODR and full scale [§9].
 *   CTRL3_C (12h): SW_RESET (clears itself), BDU, IF_INC [§9].
 *   STATUS_REG (1Eh): GDA, XLDA, new data at the outputs [§9].
 *   OUTX_L_G .. OUTZ_H_G (22h..27h), OUTX_L_XL .. OUTZ_H_XL (28h..2Dh): 16-bit
 *   two's complement, LSB first [§9].
 *   Sensitivities: Table 3 "Mechanical characteristics" [§4.1], G_So in
 *   mdps/LSB and LA_So in mg/LSB by full scale.
 *
 * Both sensors run continuously at the configured ODR. Init waits for the
 * first set; a read waits (bounded) until STATUS_REG shows a new set from
 * both, then reads the twelve output bytes in one burst; BDU keeps each
 * axis' two bytes from one sample. A sample the chip had already given is
 * never given again: if no new data arrives within two output periods, the
 * read fails. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lsm6ds3trc.h"
#include "sensor.h"

#define POLL_US 1000u
#define RESET_POLLS 10
/* A gyroscope leaving power-down takes a while to give its first set; init
 * waits for it, so that the first sample after init does not fail. 200 ms
 * is our margin, not a datasheet figure. */
#define START_POLLS 200

/* The choices, in the order of their codes where the code is the place. */
static const double gyro_ranges_dps[] = { 125, 250, 500, 1000, 2000 };
static const double accel_ranges_g[] = { 2, 4, 8, 16 };
static const double odrs_hz[] = { 12.5, 26, 52, 104, 208, 416, 833, 1660 };

/* CTRL2_G by gyro_ranges_dps, CTRL1_XL by accel_ranges_g [§9]. */
static const uint8_t gyro_fs_bits[] = { LSM6DS3TRC_CTRL2_FS_125, 0x0 << 2, 0x1 << 2, 0x2 << 2, 0x3 << 2 };
static const uint8_t accel_fs_bits[] = { 0x0 << 2, 0x2 << 2, 0x3 << 2, 0x1 << 2 };
/* Table 3 [§4.1]: G_So by FS_G (00 .. 11), LA_So by FS_XL (00 .. 11). */
static const double gyro_mdps_per_lsb[] = { 8.75, 17.50, 35.0, 70.0 };
#define GYRO_125_MDPS_PER_LSB 4.375
static const double accel_mg_per_lsb[] = { 0.061, 0.488, 0.122, 0.244 };

static const struct config_key lsm6ds3trc_keys[] = {
	ROW(struct lsm6ds3trc_options, gyro_range_dps, KEY_ONE_OF, ONE_OF(gyro_ranges_dps), .def = 500),
	ROW(struct lsm6ds3trc_options, accel_range_g, KEY_ONE_OF, ONE_OF(accel_ranges_g), .def = 2),
	ROW(struct lsm6ds3trc_options, odr_hz, KEY_ONE_OF, ONE_OF(odrs_hz), .def = 104),
};

struct lsm6ds3trc_priv {
	bool ready;		/* init succeeded; read refuses otherwise */
	uint8_t ctrl[3];	/* CTRL1_XL, CTRL2_G, CTRL3_C as init wrote them */
	unsigned polls;		/* STATUS_REG polls, POLL_US apart: two periods */
	double gyro_dps_per_lsb, accel_g_per_lsb;
};

static int code_of(const double *list, size_t n, double value, const uint8_t *bits, uint8_t *out)
{
	int i = sensor_code_of(list, n, value);

	if (i < 0)
		return -EINVAL;
	*out = bits ? bits[i] : (uint8_t)(i + 1);	/* ODR: 0 is power-down */
	return 0;
}

int lsm6ds3trc_gyro_fs_bits(double range_dps, uint8_t *bits)
{
	return code_of(gyro_ranges_dps, ARRAY_LEN(gyro_ranges_dps), range_dps, gyro_fs_bits, bits);
}

int lsm6ds3trc_accel_fs_bits(double range_g, uint8_t *bits)
{
	return code_of(accel_ranges_g, ARRAY_LEN(accel_ranges_g), range_g, accel_fs_bits, bits);
}

int lsm6ds3trc_odr_code(double odr_hz, uint8_t *code)
{
	return code_of(odrs_hz, ARRAY_LEN(odrs_hz), odr_hz, NULL, code);
}

double lsm6ds3trc_gyro_dps_per_lsb(uint8_t ctrl2_g)
{
	if (ctrl2_g & LSM6DS3TRC_CTRL2_FS_125)
		return GYRO_125_MDPS_PER_LSB / 1000.0;
	return gyro_mdps_per_lsb[(ctrl2_g >> LSM6DS3TRC_FS_SHIFT) & 0x3] / 1000.0;
}

double lsm6ds3trc_accel_g_per_lsb(uint8_t ctrl1_xl)
{
	return accel_mg_per_lsb[(ctrl1_xl >> LSM6DS3TRC_FS_SHIFT) & 0x3] / 1000.0;
}

double lsm6ds3trc_decode(const uint8_t out[2], double per_lsb)
{
	int32_t count = (int32_t)out[1] << 8 | out[0];

	if (count & 0x8000)	/* sign bit 15 */
		count -= 0x10000;
	return count * per_lsb;
}

/* Software reset: SW_RESET (IF_INC kept), then poll until the chip cleared
 * it, RESET_POLLS times POLL_US apart. 0, -ETIMEDOUT or the bus' error. */
static int lsm6ds3trc_reset(struct sensor *s)
{
	uint8_t ctrl3;
	int rc = sensor_reg8_write(s, LSM6DS3TRC_REG_CTRL3_C,
				   LSM6DS3TRC_CTRL3_IF_INC | LSM6DS3TRC_CTRL3_SW_RESET);

	if (rc < 0)
		return rc;
	for (int i = 0; i < RESET_POLLS; i++) {
		s->bus->delay_us(s->bus, POLL_US);
		rc = s->bus->read(s->bus, s->address, LSM6DS3TRC_REG_CTRL3_C, &ctrl3, 1);
		if (rc < 0)
			return rc;
		if (!(ctrl3 & LSM6DS3TRC_CTRL3_SW_RESET))
			return 0;
	}
	return -ETIMEDOUT;
}

/* Polls STATUS_REG until both GDA and XLDA are set, at most polls times
 * POLL_US apart. Reading STATUS_REG clears neither: the outputs do. 0,
 * -ETIMEDOUT or the bus' error. */
static int lsm6ds3trc_wait_ready(struct sensor *s, unsigned polls)
{
	const uint8_t both = LSM6DS3TRC_STATUS_GDA | LSM6DS3TRC_STATUS_XLDA;
	uint8_t status;
	int rc;

	for (unsigned i = 0; i < polls; i++) {
		if (i > 0)
			s->bus->delay_us(s->bus, POLL_US);
		rc = s->bus->read(s->bus, s->address, LSM6DS3TRC_REG_STATUS, &status, 1);
		if (rc < 0)
			return rc;
		if ((status & both) == both)
			return 0;
	}
	return -ETIMEDOUT;
}

static int lsm6ds3trc_init(struct sensor *s)
{
	struct lsm6ds3trc_priv *priv = s->priv;
	struct lsm6ds3trc_options cfg;
	uint8_t id, g_fs, xl_fs, odr, back[3];
	int rc;

	memcpy(&cfg, s->cfg->options, sizeof(cfg));
	priv->ready = false;
	if (lsm6ds3trc_gyro_fs_bits(cfg.gyro_range_dps, &g_fs) < 0 ||
	    lsm6ds3trc_accel_fs_bits(cfg.accel_range_g, &xl_fs) < 0 ||
	    lsm6ds3trc_odr_code(cfg.odr_hz, &odr) < 0)
		return -EINVAL;
	rc = s->bus->read(s->bus, s->address, LSM6DS3TRC_REG_WHO_AM_I, &id, 1);
	if (rc < 0)
		return rc;
	/* 0x69 is the older LSM6DS3, whose registers differ: not this chip. */
	if (id != LSM6DS3TRC_ID)
		return -ENODEV;
	rc = lsm6ds3trc_reset(s);
	if (rc < 0)
		return rc;

	priv->ctrl[0] = (uint8_t)(odr << LSM6DS3TRC_ODR_SHIFT | xl_fs);
	priv->ctrl[1] = (uint8_t)(odr << LSM6DS3TRC_ODR_SHIFT | g_fs);
	priv->ctrl[2] = LSM6DS3TRC_CTRL3_BDU | LSM6DS3TRC_CTRL3_IF_INC;
	/* CTRL3_C first: BDU before any output is produced. */
	rc = sensor_reg8_write(s, LSM6DS3TRC_REG_CTRL3_C, priv->ctrl[2]);
	if (rc == 0)
		rc = s->bus->write(s->bus, s->address, LSM6DS3TRC_REG_CTRL1_XL, priv->ctrl, 2);
	if (rc == 0)
		rc = s->bus->read(s->bus, s->address, LSM6DS3TRC_REG_CTRL1_XL, back, sizeof(back));
	if (rc < 0)
		return rc;
	if (memcmp(back, priv->ctrl, sizeof(back)) != 0)
		return -EIO;

	priv->gyro_dps_per_lsb = lsm6ds3trc_gyro_dps_per_lsb(priv->ctrl[1]);
	priv->accel_g_per_lsb = lsm6ds3trc_accel_g_per_lsb(priv->ctrl[0]);
	priv->polls = (unsigned)ceil(2e6 / cfg.odr_hz / POLL_US) + 1;
	rc = lsm6ds3trc_wait_ready(s, START_POLLS + priv->polls);
	if (rc < 0)
		return rc;
	priv->ready = true;
	return 0;
}

static int lsm6ds3trc_read(struct sensor *s, struct sensor_values *out)
{
	const struct lsm6ds3trc_priv *priv = s->priv;
	uint8_t ctrl[3], data[12];	/* OUTX_L_G .. OUTZ_H_XL */
	uint64_t raw;
	int rc;

	if (!priv->ready)
		return -EIO;
	/* A chip that lost power since init is in power-down with its power-on
	 * settings: -EIO sends the sampler to init. */
	rc = s->bus->read(s->bus, s->address, LSM6DS3TRC_REG_CTRL1_XL, ctrl, sizeof(ctrl));
	if (rc < 0)
		return rc;
	if (memcmp(ctrl, priv->ctrl, sizeof(ctrl)) != 0)
		return -EIO;
	rc = lsm6ds3trc_wait_ready(s, priv->polls);
	if (rc < 0)
		return rc;
	rc = s->bus->read(s->bus, s->address, LSM6DS3TRC_REG_OUTX_L_G, data, sizeof(data));
	if (rc < 0)
		return rc;

	sensor_values_clear(out);
	for (int axis = 0; axis < 3; axis++) {
		out->gyro_dps[axis] = lsm6ds3trc_decode(&data[2 * axis], priv->gyro_dps_per_lsb);
		out->accel_g[axis] = lsm6ds3trc_decode(&data[6 + 2 * axis], priv->accel_g_per_lsb);
	}
	/* 96 bits folded into 64 (FNV-1a): a fingerprint, not the values. */
	raw = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < sizeof(data); i++)
		raw = (raw ^ data[i]) * 0x100000001b3ull;
	out->raw = raw;
	return 0;
}

static const uint8_t lsm6ds3trc_addresses[] = { 0x6A, 0x6B, 0 };	/* SA0 to GND, to VDD [§6.1.1] */

/* No stuck_samples: a chip held still at a coarse full scale can repeat all
 * six axes' counts, and a chip that stops converting is caught sooner by
 * STATUS_REG (no new data: -ETIMEDOUT). */
const struct sensor_driver lsm6ds3trc_driver = {
	.config = CONFIG_CHIP("lsm6ds3trc", CONFIG_CHANNEL_ROTATION, lsm6ds3trc_addresses,
			      lsm6ds3trc_keys),
	.priv_size = sizeof(struct lsm6ds3trc_priv),
	.init = lsm6ds3trc_init,
	.read = lsm6ds3trc_read,
};
