/* Bosch BMP280 (pressure, temperature) and BME280 (the same plus humidity).
 *
 * Sources: [BMP] BST-BMP280-DS001, [BME] BST-BME280-DS002; the facts are
 * collected in docs/chips.md.
 *
 * Registers (I²C; reads auto-increment, writes are register/value pairs):
 *   0x88..0x9F  calibration dig_T1..dig_P9, 16-bit LSB first [BMP §3.11.2]
 *   0xA1        dig_H1 (BME280)                              [BME §4.2.2]
 *   0xE1..0xE7  dig_H2..dig_H6 (BME280); H4 and H5 are 12-bit and share
 *               the nibbles of 0xE5                          [BME §4.2.2]
 *   0xD0        id: 0x58 BMP280 [BMP §4.3.1], 0x60 BME280 [BME §5.4.1]
 *   0xE0        reset: writing 0xB6 is a power-on reset
 *   0xF2        ctrl_hum (BME280) osrs_h[2:0]; latched by the next
 *               ctrl_meas write [BME §5.4.3]
 *   0xF3        status: bit 3 measuring, bit 0 im_update     [BMP §4.3.3]
 *   0xF4        ctrl_meas: osrs_t[7:5] osrs_p[4:2] mode[1:0]
 *   0xF5        config: t_sb[7:5] filter[4:2]                [BMP §4.3.5]
 *   0xF7..0xFC  press, temp: 20-bit, msb/lsb/xlsb[7:4], MSB first
 *   0xFD..0xFE  hum (BME280): 16-bit MSB first
 *
 * Formulas: the integer compensation routines of [BMP §3.11.3] (32-bit
 * temperature, 64-bit pressure) and [BME §4.2.3] (32-bit humidity); the
 * forced-mode wait t_measure,max of [BME §9.1]. The data registers are read
 * in one burst because shadowing only holds within a burst [BMP §3.9]. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bmp280.h"
#include "sensor.h"

/* The register map is in bmp280.h, shared with the simulated chip. */
#define MODE_SLEEP 0x0
#define MODE_FORCED 0x1
#define MODE_NORMAL 0x3

/* Start-up time after a power-on or soft reset, 2 ms [BMP table 2]. */
#define STARTUP_US 2000u
#define POLL_US 1000u
/* Bounds on status polling; past them the chip is not working. */
#define IM_UPDATE_TRIES 10
#define MEASURING_TRIES 20

extern const struct sensor_driver bme280_driver;

struct bmp280_priv {
	struct bmp280_calib cal;
	bool ready;		/* init succeeded; read refuses otherwise */
	bool normal_mode;
	uint8_t ctrl_meas;	/* osrs_t, osrs_p; mode bits 0 */
	unsigned measure_us;	/* t_measure,max for the configured oversampling */
};

/* C11 leaves >> of a negative value implementation-defined; the datasheet
 * routines assume an arithmetic shift, i.e. floor division by 2^n. */
static int32_t asr32(int32_t x, unsigned n)
{
	return x < 0 ? ~(~x >> n) : x >> n;
}

static int64_t asr64(int64_t x, unsigned n)
{
	return x < 0 ? ~(~x >> n) : x >> n;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int bmp280_calib_decode(struct bmp280_calib *cal, const uint8_t *nvm, size_t nvm_len,
			const uint8_t *hum)
{
	if (nvm_len != BMP280_CALIB_TP_LEN && nvm_len != BME280_CALIB_TPH1_LEN)
		return -EINVAL;
	if (nvm_len == BME280_CALIB_TPH1_LEN && !hum)
		return -EINVAL;

	struct bmp280_calib c = { 0 };
	c.dig_T1 = le16(nvm + 0);
	c.dig_T2 = (int16_t)le16(nvm + 2);
	c.dig_T3 = (int16_t)le16(nvm + 4);
	c.dig_P1 = le16(nvm + 6);
	c.dig_P2 = (int16_t)le16(nvm + 8);
	c.dig_P3 = (int16_t)le16(nvm + 10);
	c.dig_P4 = (int16_t)le16(nvm + 12);
	c.dig_P5 = (int16_t)le16(nvm + 14);
	c.dig_P6 = (int16_t)le16(nvm + 16);
	c.dig_P7 = (int16_t)le16(nvm + 18);
	c.dig_P8 = (int16_t)le16(nvm + 20);
	c.dig_P9 = (int16_t)le16(nvm + 22);
	if (nvm_len == BME280_CALIB_TPH1_LEN) {
		c.dig_H1 = nvm[25];	/* 0xA1; 0xA0 is not used */
		c.dig_H2 = (int16_t)le16(hum + 0);
		c.dig_H3 = hum[2];
		/* H4 = 0xE4 bits 11:4, 0xE5[3:0] bits 3:0; H5 = 0xE6 bits 11:4,
		 * 0xE5[7:4] bits 3:0. The high byte carries the sign, so it goes
		 * through int8_t [BME §4.2.2]. */
		c.dig_H4 = (int16_t)((int8_t)hum[3] * 16 | (hum[4] & 0x0F));
		c.dig_H5 = (int16_t)((int8_t)hum[5] * 16 | hum[4] >> 4);
		c.dig_H6 = (int8_t)hum[6];
	}
	*cal = c;
	return 0;
}

/* Transcribed from [BMP §3.11.3] bmp280_compensate_T_int32; left shifts of
 * values that may be negative are written as multiplications (a negative
 * left shift is undefined in C). */
int32_t bmp280_compensate_t(const struct bmp280_calib *cal, int32_t adc_t, int32_t *t_fine)
{
	int32_t t1 = cal->dig_T1;
	int32_t var1 = asr32((asr32(adc_t, 3) - t1 * 2) * cal->dig_T2, 11);
	int32_t d = asr32(adc_t, 4) - t1;
	int32_t var2 = asr32(asr32(d * d, 12) * cal->dig_T3, 14);

	*t_fine = var1 + var2;
	return asr32(*t_fine * 5 + 128, 8);
}

/* Transcribed from [BMP §3.11.3] bmp280_compensate_P_int64. */
uint32_t bmp280_compensate_p(const struct bmp280_calib *cal, int32_t adc_p, int32_t t_fine)
{
	int64_t var1 = (int64_t)t_fine - 128000;
	int64_t var2 = var1 * var1 * cal->dig_P6;
	var2 += var1 * cal->dig_P5 * ((int64_t)1 << 17);
	var2 += (int64_t)cal->dig_P4 * ((int64_t)1 << 35);
	var1 = asr64(var1 * var1 * cal->dig_P3, 8) + var1 * cal->dig_P2 * ((int64_t)1 << 12);
	var1 = asr64((((int64_t)1 << 47) + var1) * cal->dig_P1, 33);
	if (var1 == 0)
		return 0;	/* the datasheet's guard against division by zero */
	int64_t p = 1048576 - (int64_t)adc_p;
	p = (p * ((int64_t)1 << 31) - var2) * 3125 / var1;
	var1 = asr64(cal->dig_P9 * asr64(p, 13) * asr64(p, 13), 25);
	var2 = asr64(cal->dig_P8 * p, 19);
	p = asr64(p + var1 + var2, 8) + (int64_t)cal->dig_P7 * 16;
	return (uint32_t)p;
}

/* Transcribed from [BME §4.2.3] bme280_compensate_H_int32. */
uint32_t bme280_compensate_h(const struct bmp280_calib *cal, int32_t adc_h, int32_t t_fine)
{
	int32_t x = t_fine - 76800;
	int32_t a = asr32(adc_h * 16384 - cal->dig_H4 * 1048576 - cal->dig_H5 * x + 16384, 15);
	int32_t b = asr32(asr32(x * cal->dig_H6, 10) * (asr32(x * cal->dig_H3, 11) + 32768), 10);
	x = a * asr32((b + 2097152) * cal->dig_H2 + 8192, 14);
	x -= asr32(asr32(asr32(x, 15) * asr32(x, 15), 7) * cal->dig_H1, 4);
	if (x < 0)
		x = 0;
	if (x > 419430400)
		x = 419430400;	/* 100 %RH in Q22.10, shifted by 12 below */
	return (uint32_t)(x >> 12);
}

/* osrs codes 001..101 [BMP §3.3.1]; 0 (skip) is refused: the compensation
 * needs a temperature for every pressure. */
static const double oversampling[] = { 1, 2, 4, 8, 16 };
/* IIR coefficients, codes 000..100 [BMP §3.3.3]. */
static const double filters[] = { 0, 2, 4, 8, 16 };

/* Oversampling factor 1..16 to its osrs code; -1 otherwise. */
static int osrs_code(unsigned factor)
{
	int i = sensor_code_of(oversampling, ARRAY_LEN(oversampling), factor);

	return i < 0 ? -1 : i + 1;
}

/* t_measure,max [BME §9.1] in µs: 1.25 ms + 2.3 ms per temperature sample
 * + 2.3 ms per pressure sample + 0.575 ms (and the same for humidity). */
static unsigned measure_max_us(unsigned os_t, unsigned os_p, unsigned os_h)
{
	unsigned us = 1250 + 2300 * os_t + 2300 * os_p + 575;
	if (os_h)
		us += 2300 * os_h + 575;
	return us;
}

/* Polls status until (status & mask) == 0, waiting wait_us between reads. */
static int status_wait_clear(struct sensor *s, uint8_t mask, int tries, unsigned wait_us)
{
	for (int i = 0; i < tries; i++) {
		uint8_t status;
		int rc = s->bus->read(s->bus, s->address, BMP280_REG_STATUS, &status, 1);
		if (rc < 0)
			return rc;
		if (!(status & mask))
			return 0;
		s->bus->delay_us(s->bus, wait_us);
	}
	return -ETIMEDOUT;
}

/* Both chips' init: the driver descriptor says which one is expected. */
static int bmp280_init(struct sensor *s)
{
	struct bmp280_priv *priv = s->priv;
	struct bmp280_options cfg;
	bool humidity = s->drv == &bme280_driver;
	int rc;

	memcpy(&cfg, s->cfg->options, sizeof(cfg));

	priv->ready = false;
	int os_t = osrs_code(cfg.oversampling_t);
	int os_p = osrs_code(cfg.oversampling_p);
	int os_h = humidity ? osrs_code(cfg.oversampling_h) : 0;
	int filter = sensor_code_of(filters, ARRAY_LEN(filters), cfg.filter);
	if (os_t < 0 || os_p < 0 || os_h < 0 || filter < 0)
		return -EINVAL;

	uint8_t id;
	rc = s->bus->read(s->bus, s->address, BMP280_REG_ID, &id, 1);
	if (rc < 0)
		return rc;
	if (id != (humidity ? BME280_ID : BMP280_ID))
		return -ENODEV;

	/* A reset brings the chip from whatever state it is in (normal mode
	 * left running by a previous run, half-written settings) to POR. */
	rc = sensor_reg8_write(s, BMP280_REG_RESET, BMP280_RESET_WORD);
	if (rc < 0)
		return rc;
	s->bus->delay_us(s->bus, STARTUP_US);
	/* The calibration is valid only once the NVM copy is done. */
	rc = status_wait_clear(s, BMP280_STATUS_IM_UPDATE, IM_UPDATE_TRIES, POLL_US);
	if (rc < 0)
		return rc;

	uint8_t nvm[BME280_CALIB_TPH1_LEN];
	uint8_t hum[BME280_CALIB_H_LEN];
	size_t nvm_len = humidity ? BME280_CALIB_TPH1_LEN : BMP280_CALIB_TP_LEN;
	rc = s->bus->read(s->bus, s->address, BMP280_REG_CALIB_TP, nvm, nvm_len);
	if (rc < 0)
		return rc;
	if (humidity) {
		rc = s->bus->read(s->bus, s->address, BMP280_REG_CALIB_H, hum, sizeof(hum));
		if (rc < 0)
			return rc;
	}
	rc = bmp280_calib_decode(&priv->cal, nvm, nvm_len, humidity ? hum : NULL);
	if (rc < 0)
		return rc;
	/* Blank calibration would make every value meaningless (and P1 = 0
	 * divides by zero): the NVM read did not work. */
	if (priv->cal.dig_T1 == 0 || priv->cal.dig_P1 == 0)
		return -EIO;

	/* Written while still asleep after the reset: config writes in normal
	 * mode may be ignored [BMP §4.3.5]. t_sb 000 (0.5 ms, the same on
	 * both chips) keeps normal-mode results at most one cycle old. */
	rc = sensor_reg8_write(s, BMP280_REG_CONFIG, (uint8_t)(filter << 2));
	if (rc < 0)
		return rc;
	if (humidity) {
		/* Must precede ctrl_meas, which latches it [BME §5.4.3]. */
		rc = sensor_reg8_write(s, BMP280_REG_CTRL_HUM, (uint8_t)os_h);
		if (rc < 0)
			return rc;
	}
	priv->normal_mode = cfg.normal_mode;
	priv->ctrl_meas = (uint8_t)(os_t << 5 | os_p << 2);
	priv->measure_us = measure_max_us(cfg.oversampling_t, cfg.oversampling_p,
					  humidity ? cfg.oversampling_h : 0);
	rc = sensor_reg8_write(s, BMP280_REG_CTRL_MEAS, (uint8_t)(priv->ctrl_meas |
			       (priv->normal_mode ? MODE_NORMAL : MODE_SLEEP)));
	if (rc < 0)
		return rc;
	/* In normal mode the data registers hold the POR 0x80000 until the
	 * first conversion ends. */
	if (priv->normal_mode)
		s->bus->delay_us(s->bus, priv->measure_us);
	priv->ready = true;
	return 0;
}

static int bmp280_read(struct sensor *s, struct sensor_values *out)
{
	struct bmp280_priv *priv = s->priv;
	bool humidity = s->drv == &bme280_driver;
	int rc;

	if (!priv->ready)
		return -EIO;
	if (!priv->normal_mode) {
		/* Forced mode: one conversion, then the chip sleeps again. */
		rc = sensor_reg8_write(s, BMP280_REG_CTRL_MEAS,
				       (uint8_t)(priv->ctrl_meas | MODE_FORCED));
		if (rc < 0)
			return rc;
		s->bus->delay_us(s->bus, priv->measure_us);
		rc = status_wait_clear(s, BMP280_STATUS_MEASURING, MEASURING_TRIES, POLL_US);
		if (rc < 0)
			return rc;
	}

	uint8_t d[8];
	rc = s->bus->read(s->bus, s->address, BMP280_REG_DATA, d, humidity ? 8 : 6);
	if (rc < 0)
		return rc;
	int32_t adc_p = (int32_t)((uint32_t)d[0] << 12 | (uint32_t)d[1] << 4 | d[2] >> 4);
	int32_t adc_t = (int32_t)((uint32_t)d[3] << 12 | (uint32_t)d[4] << 4 | d[5] >> 4);
	int32_t adc_h = humidity ? (int32_t)(d[6] << 8 | d[7]) : 0;
	/* We never configure a skip, so the marker means the chip lost its
	 * settings (a reset behind our back) or never converted. */
	if (adc_p == BMP280_ADC_SKIPPED_TP || adc_t == BMP280_ADC_SKIPPED_TP ||
	    (humidity && adc_h == BMP280_ADC_SKIPPED_H))
		return -EIO;

	int32_t t_fine;
	int32_t t_centi = bmp280_compensate_t(&priv->cal, adc_t, &t_fine);
	uint32_t p_q24_8 = bmp280_compensate_p(&priv->cal, adc_p, t_fine);
	if (p_q24_8 == 0)
		return -EIO;

	sensor_values_clear(out);
	out->temperature_c = t_centi / 100.0;
	out->pressure_pa = p_q24_8 / 256.0;
	out->humidity_pct = humidity ?
		bme280_compensate_h(&priv->cal, adc_h, t_fine) / 1024.0 : NAN;
	/* 20 + 20 + 16 bits: every raw bit counts for the frozen-chip check. */
	out->raw = (uint64_t)adc_p << 36 | (uint64_t)adc_t << 16 | (uint64_t)adc_h;
	return 0;
}

static const char *const modes[] = { "forced", "normal" };

#define OPTION_ROW(member, list, def_value) \
	ROW(struct bmp280_options, member, KEY_ONE_OF, ONE_OF(list), .def = def_value)
/* The rows both chips start with, in the order of their "known keys". */
#define BMX280_ROWS_MODE_P_T							\
	ROW_AS(struct bmp280_options, normal_mode, "mode", KEY_PICK, PICK(modes)),	\
	OPTION_ROW(oversampling_p, oversampling, 4),				\
	OPTION_ROW(oversampling_t, oversampling, 1)

static const struct config_key bmp280_keys[] = {
	BMX280_ROWS_MODE_P_T,
	OPTION_ROW(filter, filters, 0),
};

static const struct config_key bme280_keys[] = {
	BMX280_ROWS_MODE_P_T,
	OPTION_ROW(oversampling_h, oversampling, 1),
	OPTION_ROW(filter, filters, 0),
};

/* SDO tied to GND: 0x76, to VDDIO: 0x77 [BMP §5.2, BME §6.2]. */
static const uint8_t bmx280_addresses[] = { 0x76, 0x77, 0 };

/* The two chips differ only in the humidity key (and init tells them apart
 * by their descriptor), so every other field is written once here.
 * stuck_samples: 20 identical raw pressure+temperature pairs in a row never
 * happen on a live chip: its noise (about 1.3 Pa) spans several codes at any
 * oversampling. At 10 Hz a frozen chip is caught within 2 s. */
#define BMX280_DRIVER(chip_name, chip_keys)				\
	{									\
		.config = CONFIG_CHIP(chip_name,				\
				      CONFIG_CHANNEL_PRESSURE | CONFIG_CHANNEL_TEMPERATURE, \
				      bmx280_addresses, chip_keys),		\
		.pressure = SENSOR_PRESSURE_GAS,				\
		.pressure_kpa = sensor_pressure_pa_kpa,				\
		.priv_size = sizeof(struct bmp280_priv),			\
		.init = bmp280_init,						\
		.read = bmp280_read,						\
		.stuck_samples = 20,						\
	}

const struct sensor_driver bmp280_driver = BMX280_DRIVER("bmp280", bmp280_keys);
const struct sensor_driver bme280_driver = BMX280_DRIVER("bme280", bme280_keys);
