/* InvenSense MPU-6050: 3-axis gyroscope and 3-axis accelerometer, here the
 * tool's gyroscope (issue 15: rolling turns the tool, a hold keeps it still).
 * Facts from the Register Map and Descriptions RM-MPU-6000A-00 rev 4.2 [RM]
 * and the Product Specification PS-MPU-6000A-00 rev 3.4 [PS]; the register
 * map and its bits are in mpu6050.h.
 *
 *   Address 110100x, x = AD0: 0x68 or 0x69; WHO_AM_I reads 0x68 on both
 *   [RM §4.32]. Power-on: every register 0 except PWR_MGMT_1 = 0x40 (asleep,
 *   internal 8 MHz oscillator) and WHO_AM_I [RM §3]. A sleeping chip does not
 *   sample: its outputs keep whatever they last held.
 *   DEVICE_RESET returns every register to that state and clears itself
 *   when done [RM §4.28]. The X gyro as clock source is the recommended one
 *   while the gyros run [RM §4.28; PS §7.15].
 *   Sample rate = gyro output rate / (1 + SMPLRT_DIV), the gyro output rate
 *   8 kHz with DLPF_CFG 0 (or 7), 1 kHz otherwise [RM §4.2]. DLPF_CFG 0..6:
 *   gyro bandwidth 256, 188, 98, 42, 20, 10, 5 Hz, delay 0.98 to 18.6 ms
 *   [RM §4.3].
 *   Sensitivity: FS_SEL 0..3 (±250, 500, 1000, 2000 °/s) 131, 65.5, 32.8,
 *   16.4 LSB per °/s [PS §6.1; RM §4.4, §4.19]; AFS_SEL 0..3 (±2, 4, 8, 16 g)
 *   16384, 8192, 4096, 2048 LSB per g [PS §6.2; RM §4.5, §4.17].
 *   Zero-rate output: up to ±20 °/s at 25 °C, another ±20 °/s over
 *   temperature [PS §6.1]: far above the 10 °/s that tells a hold from
 *   rolling, which is why the sampler measures each axis' offset at rest.
 *   Gyro start-up (ZRO settling to ±1 °/s): 30 ms [PS §6.1].
 *
 * The chip samples continuously at the configured rate; a read takes the
 * latest sample of all six axes in one burst (one sampling instant [RM
 * §4.19]). A chip that lost power since init wakes up asleep with its
 * outputs frozen, so every read first checks PWR_MGMT_1 against what init
 * wrote: -EIO sends the sampler to init, never a stale value. More facts,
 * and what the code relies on, in docs/chips.md. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mpu6050.h"
#include "sensor.h"

/* DEVICE_RESET: the register map gives no duration; the chip is polled
 * every 10 ms for 100 ms. */
#define RESET_POLL_US 10000u
#define RESET_POLLS 10
/* After waking: 30 ms of ZRO settling [PS §6.1] plus the slowest filter's
 * 18.6 ms delay [RM §4.3]. */
#define START_US 50000u

const double mpu6050_gyro_lsb_per_dps[4] = { 131.0, 65.5, 32.8, 16.4 };
const double mpu6050_accel_lsb_per_g[4] = { 16384.0, 8192.0, 4096.0, 2048.0 };

/* Index = FS_SEL, AFS_SEL, DLPF_CFG [RM §4.4, §4.5, §4.3]. */
static const double gyro_ranges_dps[] = { 250, 500, 1000, 2000 };
static const double accel_ranges_g[] = { 2, 4, 8, 16 };
static const double lowpasses_hz[] = { 256, 188, 98, 42, 20, 10, 5 };
/* Each divides both gyro output rates into a SMPLRT_DIV of at most 255. */
static const double rates_hz[] = { 1000, 500, 200, 100, 50 };

static const struct config_key mpu6050_keys[] = {
	ROW(struct mpu6050_options, gyro_range_dps, KEY_ONE_OF, ONE_OF(gyro_ranges_dps), .def = 500),
	ROW(struct mpu6050_options, accel_range_g, KEY_ONE_OF, ONE_OF(accel_ranges_g), .def = 2),
	ROW(struct mpu6050_options, lowpass_hz, KEY_ONE_OF, ONE_OF(lowpasses_hz), .def = 20),
	ROW(struct mpu6050_options, rate_hz, KEY_ONE_OF, ONE_OF(rates_hz), .def = 100),
};

struct mpu6050_priv {
	bool ready;		/* init succeeded; read refuses otherwise */
	uint8_t fs, afs;	/* FS_SEL, AFS_SEL as configured */
};

/* value's place in list as a register code, or -EINVAL. */
static int code_of(const double *list, size_t n, double value, uint8_t *code)
{
	int i = sensor_code_of(list, n, value);

	if (i < 0)
		return -EINVAL;
	*code = (uint8_t)i;
	return 0;
}

int mpu6050_gyro_fs_code(double range_dps, uint8_t *code)
{
	return code_of(gyro_ranges_dps, ARRAY_LEN(gyro_ranges_dps), range_dps, code);
}

int mpu6050_accel_fs_code(double range_g, uint8_t *code)
{
	return code_of(accel_ranges_g, ARRAY_LEN(accel_ranges_g), range_g, code);
}

int mpu6050_dlpf_code(double lowpass_hz, uint8_t *code)
{
	return code_of(lowpasses_hz, ARRAY_LEN(lowpasses_hz), lowpass_hz, code);
}

int mpu6050_smplrt_div(double rate_hz, uint8_t dlpf_cfg, uint8_t *div)
{
	double base_hz = (dlpf_cfg == 0 || dlpf_cfg == 7) ? 8000.0 : 1000.0;
	uint8_t unused;

	if (code_of(rates_hz, ARRAY_LEN(rates_hz), rate_hz, &unused) < 0)
		return -EINVAL;
	*div = (uint8_t)(base_hz / rate_hz - 1.0 + 0.5);
	return 0;
}

static int16_t be16(const uint8_t hl[2])
{
	return (int16_t)(uint16_t)((hl[0] << 8) | hl[1]);
}

double mpu6050_gyro_dps(const uint8_t hl[2], unsigned fs)
{
	return be16(hl) / mpu6050_gyro_lsb_per_dps[fs & 3];
}

double mpu6050_accel_g(const uint8_t hl[2], unsigned afs)
{
	return be16(hl) / mpu6050_accel_lsb_per_g[afs & 3];
}

/* DEVICE_RESET, then polls until the chip clears it. A chip busy resetting
 * may not acknowledge: a NACK while polling is waited out like a set bit. */
static int mpu6050_reset(struct sensor *s)
{
	uint8_t pwr1;
	int rc = sensor_reg8_write(s, MPU6050_REG_PWR_MGMT_1, MPU6050_PWR1_DEVICE_RESET);

	if (rc < 0)
		return rc;
	rc = -ETIMEDOUT;
	for (int i = 0; i < RESET_POLLS; i++) {
		s->bus->delay_us(s->bus, RESET_POLL_US);
		rc = s->bus->read(s->bus, s->address, MPU6050_REG_PWR_MGMT_1, &pwr1, 1);
		if (rc == -EREMOTEIO)
			continue;
		if (rc < 0)
			return rc;
		if (!(pwr1 & MPU6050_PWR1_DEVICE_RESET))
			return 0;
		rc = -ETIMEDOUT;
	}
	return rc;
}

static int mpu6050_init(struct sensor *s)
{
	struct mpu6050_priv *priv = s->priv;
	struct mpu6050_options cfg;
	uint8_t id, pwr1, regs[4], back[4];
	int rc;

	memcpy(&cfg, s->cfg->options, sizeof(cfg));
	priv->ready = false;
	/* SMPLRT_DIV, CONFIG, GYRO_CONFIG, ACCEL_CONFIG: written in one burst. */
	if (mpu6050_dlpf_code(cfg.lowpass_hz, &regs[1]) < 0 ||
	    mpu6050_smplrt_div(cfg.rate_hz, regs[1], &regs[0]) < 0 ||
	    mpu6050_gyro_fs_code(cfg.gyro_range_dps, &priv->fs) < 0 ||
	    mpu6050_accel_fs_code(cfg.accel_range_g, &priv->afs) < 0)
		return -EINVAL;
	regs[2] = (uint8_t)(priv->fs << MPU6050_FS_SHIFT);
	regs[3] = (uint8_t)(priv->afs << MPU6050_FS_SHIFT);

	rc = s->bus->read(s->bus, s->address, MPU6050_REG_WHO_AM_I, &id, 1);
	if (rc < 0)
		return rc;
	if (id != MPU6050_ID)
		return -ENODEV;
	/* From whatever a previous run, a glitch or another program left. */
	rc = mpu6050_reset(s);
	if (rc < 0)
		return rc;
	/* Awake, X gyro clock, temperature sensor on (the reset value of
	 * TEMP_DIS: nothing gained by changing it). */
	rc = sensor_reg8_write(s, MPU6050_REG_PWR_MGMT_1, MPU6050_CLKSEL_PLL_XGYRO);
	if (rc < 0)
		return rc;
	rc = s->bus->write(s->bus, s->address, MPU6050_REG_SMPLRT_DIV, regs, sizeof(regs));
	if (rc < 0)
		return rc;
	rc = s->bus->read(s->bus, s->address, MPU6050_REG_SMPLRT_DIV, back, sizeof(back));
	if (rc < 0)
		return rc;
	if (memcmp(regs, back, sizeof(regs)) != 0)
		return -EIO;
	rc = s->bus->read(s->bus, s->address, MPU6050_REG_PWR_MGMT_1, &pwr1, 1);
	if (rc < 0)
		return rc;
	if (pwr1 != MPU6050_CLKSEL_PLL_XGYRO)
		return -EIO;
	s->bus->delay_us(s->bus, START_US);
	priv->ready = true;
	return 0;
}

static int mpu6050_read(struct sensor *s, struct sensor_values *out)
{
	const struct mpu6050_priv *priv = s->priv;
	uint8_t pwr1, d[MPU6050_DATA_LEN];
	int rc;

	rc = s->bus->read(s->bus, s->address, MPU6050_REG_PWR_MGMT_1, &pwr1, 1);
	if (rc < 0)
		return rc;
	/* Not set up, or asleep or reset since init: the outputs are frozen. */
	if (!priv->ready || pwr1 != MPU6050_CLKSEL_PLL_XGYRO)
		return -EIO;
	rc = s->bus->read(s->bus, s->address, MPU6050_REG_ACCEL_XOUT_H, d, sizeof(d));
	if (rc < 0)
		return rc;

	sensor_values_clear(out);
	for (int i = 0; i < 3; i++) {
		out->accel_g[i] = mpu6050_accel_g(&d[2 * i], priv->afs);
		out->gyro_dps[i] = mpu6050_gyro_dps(&d[8 + 2 * i], priv->fs);
	}
	/* All 14 bytes, FNV-1a: 112 bits do not fit, and the stuck check
	 * only compares. */
	out->raw = 0xcbf29ce484222325ull;
	for (int i = 0; i < MPU6050_DATA_LEN; i++)
		out->raw = (out->raw ^ d[i]) * 0x100000001b3ull;
	return 0;
}

static const uint8_t mpu6050_addresses[] = { 0x68, 0x69, 0 };	/* AD0 low, high [RM §4.32] */

/* stuck_samples: one axis of a still gyro behind a narrow filter may well
 * repeat its raw value, but all six axes and the temperature together do
 * not: even at the coarsest settings (±2000 °/s, ±16 g, 5 Hz) each axis
 * has about a count or more of noise [PS §6.1, §6.2]. A chip that was reset
 * or fell asleep is caught sooner, by read's PWR_MGMT_1 check. */
const struct sensor_driver mpu6050_driver = {
	.config = CONFIG_CHIP("mpu6050", CONFIG_CHANNEL_ROTATION, mpu6050_addresses, mpu6050_keys),
	.stuck_samples = 20,
	.priv_size = sizeof(struct mpu6050_priv),
	.init = mpu6050_init,
	.read = mpu6050_read,
};
