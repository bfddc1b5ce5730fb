/* Register-level models of the Bosch BMP280 and BME280 ([BMP] BST-BMP280-DS001,
 * [BME] BST-BME280-DS002; the facts are in docs/chips.md).
 *
 * Quantities (barometers, sim.h): pressure_pa (101325), load_kpa (0),
 * temperature_c (22), humidity_pct (bme280, 40); own noise 1.3 Pa on
 * pressure_pa and 0.005 °C on temperature_c, about what a real chip shows
 * unfiltered at the standard resolution preset [BMP §3.3].
 *
 * Power-on: id 0xD0 = 0x58 / 0x60, ctrl_hum, ctrl_meas, config and status
 * 0x00 (sleep, every measurement skipped), the data registers 0x80000 (the
 * humidity 0x8000). The NVM calibration is the datasheet's worked example
 * [BMP §3.12]; the datasheet gives no humidity example, so the BME280 gets
 * typical-looking values H1 = 75, H2 = 362, H3 = 0, H4 = 313, H5 = 50,
 * H6 = 30 (our choice, not Bosch's). Writing 0xB6 to reset (0xE0) is a
 * power-on reset: the calibration stays (it lives in NVM), everything else
 * returns to the values above.
 *
 * Bus protocol [BMP §5.2]: reads auto-increment; a write transfer is
 * (register, value) pairs, so "reg v1 reg2 v2 ..." writes v1 to reg and v2 to
 * reg2 (an odd trailing byte is dropped). Only ctrl_hum (BME280), ctrl_meas,
 * config and reset are writable.
 *
 * Conversions: a ctrl_meas write with mode 01 or 10 (forced) converts once
 * at chip->now_s and returns the mode to sleep (00); the first status read
 * afterwards shows measuring (bit 3) = 1, later ones 0. In normal mode (11)
 * every read that touches the data registers gets a fresh conversion. Time
 * is not modelled further: tests drive these models with a frozen clock.
 * The physical values become raw adc codes by a binary search over the code
 * with the datasheet's double-precision compensation [BMP §8.1, BME §8.1],
 * written here apart from the driver's integer routines so the two check
 * each other. Oversampling matters only as skip (code 000 reads 0x80000 /
 * 0x8000) or not: every conversion has full 20-bit resolution, and the IIR
 * filter and t_sb are not modelled. ctrl_hum takes effect at the next
 * ctrl_meas write [BME §5.4.3]. After a reset (and at power-on) the first
 * status read shows im_update = 1 (the NVM copy). */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bmp280.h"
#include "sim.h"

/* The register map is in drivers/bmp280.h; only what the model adds here. */
#define REG_DATA_LAST_BMP 0xFC
#define REG_DATA_LAST_BME 0xFE

#define ADC_TP_MAX 0xFFFFF
#define ADC_H_MAX 0xFFFF

enum { Q_PRESSURE, Q_LOAD, Q_TEMPERATURE, Q_HUMIDITY };

static const char *const sim_bmp280_quantities[] = {
	"pressure_pa", "load_kpa", "temperature_c", NULL
};
static const char *const sim_bme280_quantities[] = {
	"pressure_pa", "load_kpa", "temperature_c", "humidity_pct", NULL
};
/* Both models' (the BMP280 uses the first three). */
static const double sim_bmx280_defaults[] = { 101325, 0, 22, 40 };
static const double sim_bmx280_noise[] = { 1.3, 0, 0.005, 0.02 };

/* The NVM trimming values (the struct is the driver's, the encoding into
 * registers below is the model's own). */
static const struct bmp280_calib sim_nvm = {
	27504, 26435, -1000,
	36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000,
	75, 362, 0, 313, 50, 30,
};

struct sim_bmx280 {
	uint8_t regs[256];
	uint8_t osrs_h;		/* ctrl_hum as latched by the last ctrl_meas write */
	bool measuring_pending;	/* the next status read shows measuring */
	bool im_update_pending;	/* the next status read shows im_update */
};

extern const struct sim_model sim_bme280_model;

static bool sim_bmx280_is_bme(const struct sim_chip *chip)
{
	return chip->model == &sim_bme280_model;
}

/* ---- the datasheet's double-precision compensation [BMP §8.1, BME §8.1] -- */

/* Temperature in °C from adc_T; *t_fine as the datasheet's (int32) cast. */
static double sim_bmx280_temperature_c(int32_t adc_t, int32_t *t_fine)
{
	const struct bmp280_calib *n = &sim_nvm;
	double a = adc_t / 16384.0 - n->dig_T1 / 1024.0;
	double b = adc_t / 131072.0 - n->dig_T1 / 8192.0;
	double var1 = a * n->dig_T2;
	double var2 = b * b * n->dig_T3;

	if (t_fine)
		*t_fine = (int32_t)(var1 + var2);
	return (var1 + var2) / 5120.0;
}

static double sim_bmx280_pressure_pa(int32_t adc_p, int32_t t_fine)
{
	const struct bmp280_calib *n = &sim_nvm;
	double var1 = t_fine / 2.0 - 64000.0;
	double var2 = var1 * var1 * n->dig_P6 / 32768.0;
	var2 = var2 + var1 * n->dig_P5 * 2.0;
	var2 = var2 / 4.0 + n->dig_P4 * 65536.0;
	var1 = (n->dig_P3 * var1 * var1 / 524288.0 + n->dig_P2 * var1) / 524288.0;
	var1 = (1.0 + var1 / 32768.0) * n->dig_P1;
	if (var1 == 0.0)
		return 0.0;
	double p = 1048576.0 - adc_p;
	p = (p - var2 / 4096.0) * 6250.0 / var1;
	var1 = n->dig_P9 * p * p / 2147483648.0;
	var2 = p * n->dig_P8 / 32768.0;
	return p + (var1 + var2 + n->dig_P7) / 16.0;
}

static double sim_bmx280_humidity_pct(int32_t adc_h, int32_t t_fine)
{
	const struct bmp280_calib *n = &sim_nvm;
	double x = t_fine - 76800.0;
	double h = (adc_h - (n->dig_H4 * 64.0 + n->dig_H5 / 16384.0 * x)) *
		   (n->dig_H2 / 65536.0 *
		    (1.0 + n->dig_H6 / 67108864.0 * x * (1.0 + n->dig_H3 / 67108864.0 * x)));
	h = h * (1.0 - n->dig_H1 * h / 524288.0);
	if (h > 100.0)
		h = 100.0;
	if (h < 0.0)
		h = 0.0;
	return h;
}

/* ---- physical value to adc code ------------------------------------------ */

enum sim_bmx280_channel { CH_TEMPERATURE, CH_PRESSURE, CH_HUMIDITY };

static double sim_bmx280_forward(enum sim_bmx280_channel ch, int32_t adc, int32_t t_fine)
{
	switch (ch) {
	case CH_TEMPERATURE: return sim_bmx280_temperature_c(adc, NULL);
	case CH_PRESSURE: return sim_bmx280_pressure_pa(adc, t_fine);
	default: return sim_bmx280_humidity_pct(adc, t_fine);
	}
}

/* The code in 0..max whose compensated value is nearest target. The
 * compensation is monotonic over the whole code range with this calibration
 * (rising for temperature and humidity, falling for pressure), so a binary
 * search finds the first code at or past target; its lower neighbour may be
 * nearer. Targets out of range give the end codes. */
static int32_t sim_bmx280_invert(enum sim_bmx280_channel ch, int32_t max, double target,
				 int32_t t_fine)
{
	bool rising = ch != CH_PRESSURE;
	int32_t lo = 0, hi = max;

	while (lo < hi) {
		int32_t mid = lo + (hi - lo) / 2;
		double v = sim_bmx280_forward(ch, mid, t_fine);
		if (rising ? v >= target : v <= target)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo > 0 && fabs(sim_bmx280_forward(ch, lo - 1, t_fine) - target) <
		      fabs(sim_bmx280_forward(ch, lo, t_fine) - target))
		lo--;
	return lo;
}

static void sim_bmx280_put20(uint8_t *regs, uint8_t reg, int32_t code)
{
	regs[reg] = (uint8_t)(code >> 12);
	regs[reg + 1] = (uint8_t)(code >> 4);
	regs[reg + 2] = (uint8_t)((code & 0x0F) << 4);
}

/* One conversion at chip->now_s into the data registers, honouring skips. */
static void sim_bmx280_convert(struct sim_chip *chip)
{
	struct sim_bmx280 *st = chip->state;
	unsigned osrs_t = st->regs[BMP280_REG_CTRL_MEAS] >> 5;
	unsigned osrs_p = (st->regs[BMP280_REG_CTRL_MEAS] >> 2) & 0x07;
	/* Each quantity once per conversion: every call draws new noise. */
	double temperature_c = sim_chip_value(chip, Q_TEMPERATURE);
	double pressure_pa = sim_chip_sensed_pa(chip, temperature_c);

	int32_t t_fine;
	int32_t adc_t = sim_bmx280_invert(CH_TEMPERATURE, ADC_TP_MAX, temperature_c, 0);
	sim_bmx280_temperature_c(adc_t, &t_fine);
	int32_t adc_p = sim_bmx280_invert(CH_PRESSURE, ADC_TP_MAX, pressure_pa, t_fine);
	sim_bmx280_put20(st->regs, 0xF7, osrs_p ? adc_p : BMP280_ADC_SKIPPED_TP);
	sim_bmx280_put20(st->regs, 0xFA, osrs_t ? adc_t : BMP280_ADC_SKIPPED_TP);
	if (sim_bmx280_is_bme(chip)) {
		double humidity_pct = sim_chip_value(chip, Q_HUMIDITY);
		int32_t adc_h = st->osrs_h ?
			sim_bmx280_invert(CH_HUMIDITY, ADC_H_MAX, humidity_pct, t_fine) :
			BMP280_ADC_SKIPPED_H;
		st->regs[0xFD] = (uint8_t)(adc_h >> 8);
		st->regs[0xFE] = (uint8_t)adc_h;
	}
}

/* ---- registers ------------------------------------------------------------ */

static void sim_bmx280_put16(uint8_t *regs, uint8_t reg, uint16_t v)
{
	regs[reg] = (uint8_t)v;		/* calibration words are LSB first */
	regs[reg + 1] = (uint8_t)(v >> 8);
}

static void sim_bmx280_power_on(struct sim_chip *chip)
{
	struct sim_bmx280 *st = chip->state;
	const struct bmp280_calib *n = &sim_nvm;
	bool bme = sim_bmx280_is_bme(chip);
	uint8_t *r = st->regs;

	memset(st, 0, sizeof(*st));
	const uint16_t words[12] = {
		n->dig_T1, (uint16_t)n->dig_T2, (uint16_t)n->dig_T3, n->dig_P1, (uint16_t)n->dig_P2,
		(uint16_t)n->dig_P3, (uint16_t)n->dig_P4, (uint16_t)n->dig_P5, (uint16_t)n->dig_P6,
		(uint16_t)n->dig_P7, (uint16_t)n->dig_P8, (uint16_t)n->dig_P9,
	};
	for (int i = 0; i < 12; i++)
		sim_bmx280_put16(r, (uint8_t)(BMP280_REG_CALIB_TP + 2 * i), words[i]);
	r[BMP280_REG_ID] = bme ? BME280_ID : BMP280_ID;
	sim_bmx280_put20(r, 0xF7, BMP280_ADC_SKIPPED_TP);
	sim_bmx280_put20(r, 0xFA, BMP280_ADC_SKIPPED_TP);
	if (bme) {
		r[BMP280_REG_CALIB_H1] = n->dig_H1;
		sim_bmx280_put16(r, BMP280_REG_CALIB_H, (uint16_t)n->dig_H2);
		r[0xE3] = n->dig_H3;
		/* H4 = E4[7:0] << 4 | E5[3:0]; H5 = E6[7:0] << 4 | E5[7:4] [BME §4.2.2] */
		r[0xE4] = (uint8_t)((uint16_t)n->dig_H4 >> 4);
		r[0xE5] = (uint8_t)(((uint16_t)n->dig_H5 & 0x0F) << 4 |
				    ((uint16_t)n->dig_H4 & 0x0F));
		r[0xE6] = (uint8_t)((uint16_t)n->dig_H5 >> 4);
		r[0xE7] = (uint8_t)n->dig_H6;
		r[0xFD] = BMP280_ADC_SKIPPED_H >> 8;
		r[0xFE] = 0x00;
	}
	st->im_update_pending = true;
}

static void sim_bmx280_reg_write(struct sim_chip *chip, uint8_t reg, uint8_t value)
{
	struct sim_bmx280 *st = chip->state;
	unsigned mode;

	switch (reg) {
	case BMP280_REG_RESET:
		if (value == BMP280_RESET_WORD)
			sim_bmx280_power_on(chip);
		break;
	case BMP280_REG_CTRL_HUM:
		if (sim_bmx280_is_bme(chip))
			st->regs[BMP280_REG_CTRL_HUM] = value & 0x07;
		break;
	case BMP280_REG_CONFIG:
		st->regs[BMP280_REG_CONFIG] = value & 0xFD;	/* bit 1 is reserved */
		break;
	case BMP280_REG_CTRL_MEAS:
		st->regs[BMP280_REG_CTRL_MEAS] = value;
		st->osrs_h = st->regs[BMP280_REG_CTRL_HUM];
		mode = value & 0x03;
		if (mode == 0x01 || mode == 0x02) {
			sim_bmx280_convert(chip);
			st->regs[BMP280_REG_CTRL_MEAS] = value & 0xFC;	/* back to sleep */
			st->measuring_pending = true;
		}
		break;
	default:
		break;	/* read-only or reserved */
	}
}

static int sim_bmx280_write(struct sim_chip *chip, uint8_t reg, const uint8_t *buf, size_t len)
{
	if (len == 0)
		return 0;
	sim_bmx280_reg_write(chip, reg, buf[0]);
	for (size_t i = 1; i + 1 < len; i += 2)
		sim_bmx280_reg_write(chip, buf[i], buf[i + 1]);
	return 0;
}

static int sim_bmx280_read(struct sim_chip *chip, uint8_t reg, uint8_t *buf, size_t len)
{
	struct sim_bmx280 *st = chip->state;
	unsigned first = reg, last = reg + (unsigned)len - 1;
	unsigned data_last = sim_bmx280_is_bme(chip) ? REG_DATA_LAST_BME : REG_DATA_LAST_BMP;

	if ((st->regs[BMP280_REG_CTRL_MEAS] & 0x03) == 0x03 && first <= data_last &&
	    last >= BMP280_REG_DATA)
		sim_bmx280_convert(chip);
	for (size_t i = 0; i < len; i++) {
		uint8_t r = (uint8_t)(reg + i);
		if (r == BMP280_REG_STATUS) {
			buf[i] = (uint8_t)((st->measuring_pending ? BMP280_STATUS_MEASURING : 0) |
					   (st->im_update_pending ? BMP280_STATUS_IM_UPDATE : 0));
			st->measuring_pending = false;
			st->im_update_pending = false;
		} else {
			buf[i] = st->regs[r];
		}
	}
	return 0;
}

/* The two models share the register file and its code; they differ in their
 * quantities (the BME280 adds humidity) and sim_bmx280_is_bme tells them apart. */
#define BMX280_MODEL(name_, quantities_)		\
	{						\
		.name = name_,				\
		.state_size = sizeof(struct sim_bmx280),\
		.quantities = quantities_,		\
		.defaults = sim_bmx280_defaults,	\
		.noise = sim_bmx280_noise,		\
		.power_on = sim_bmx280_power_on,	\
		.write = sim_bmx280_write,		\
		.read = sim_bmx280_read,		\
	}

const struct sim_model sim_bmp280_model = BMX280_MODEL("bmp280", sim_bmp280_quantities);
const struct sim_model sim_bme280_model = BMX280_MODEL("bme280", sim_bme280_quantities);
