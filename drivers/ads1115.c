/* TI ADS1115: 16-bit delta-sigma ADC with a 4-input mux and a programmable
 * gain amplifier; here it reads a force-sensing resistor's divider voltage.
 * Facts from TI SBAS444 rev E (rev D numbers 7.x as 9.x):
 *
 *   Address pointer register (one byte, P[1:0]; it persists) [Register Map]:
 *     00 conversion (R), 01 config (R/W), 10 Lo_thresh, 11 Hi_thresh.
 *   Every register is 16 bits, sent MSB first: write = pointer, MSB, LSB;
 *   read = set the pointer, then read 2 bytes.
 *   Config register, power-on value 0x8583:
 *     15    OS         write 1: start one conversion (in power-down only);
 *                      read 0: converting, 1: idle [§7.4.2.1]
 *     14:12 MUX        000 AIN0-AIN1 ... 100..111 AIN0..AIN3 against GND
 *     11:9  PGA        full-scale range ±6.144, 4.096, 2.048, 1.024, 0.512,
 *                      0.256 V (101..111 all ±0.256 V)
 *     8     MODE       0 continuous, 1 single shot / power-down
 *     7:5   DR         8, 16, 32, 64, 128, 250, 475, 860 samples per second
 *     4:0   COMP_MODE, COMP_POL, COMP_LAT, COMP_QUE; COMP_QUE = 11 turns the
 *                      comparator off and leaves ALERT/RDY high-impedance
 *   Conversion register: two's complement, LSB = FSR / 2^15; 0x7FFF is +FS,
 *   0x8000 is -FS [§7.3.3].
 *   Timing: a conversion takes 1/DR and settles in that one cycle [§7.3.6];
 *   a single shot first powers up the device (~25 µs) [§7.4.2.1].
 *
 * There is no ID register, so init proves "an ADS1115 answers" by writing
 * config words and reading back the bits the chip must keep as written.
 * Nor does it use the reset the chip has (general call 0x00, byte 0x06
 * [§7.5.1.2]): every chip on the bus that honours general calls would reset
 * with it. Writing the whole config word brings the chip to a known state. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ads1115.h"
#include "sensor.h"

/* How often, and how far apart, read() asks whether the conversion is done
 * after the nominal conversion time has passed. The data rate may be off by
 * up to 10 % [SBAS444, Electrical Characteristics]; eight polls of a quarter
 * conversion each allow twice the nominal time on top before -ETIMEDOUT. */
#define ADS1115_POLLS 8

/* Index = MUX code [ADS config bits 14:12]. */
static const char *const ads1115_inputs[] = { "ain0-ain1", "ain0-ain3", "ain1-ain3", "ain2-ain3",
					      "ain0", "ain1", "ain2", "ain3" };
/* The PGA codes in config order: index = PGA field [Config Register]. */
static const double ads1115_fsr_v[] = {6.144, 4.096, 2.048, 1.024, 0.512, 0.256};
/* The DR codes in config order: index = DR field. */
static const double ads1115_rate_sps[] = {8, 16, 32, 64, 128, 250, 475, 860};

static const struct config_key ads1115_keys[] = {
	/* AIN0 against GND [ADS config MUX 100]. */
	ROW_AS(struct ads1115_options, mux, "input", KEY_PICK, PICK(ads1115_inputs), .def = 4),
	ROW_AS(struct ads1115_options, fsr_v, "gain_v", KEY_ONE_OF, ONE_OF(ads1115_fsr_v), .def = 4.096),
	ROW(struct ads1115_options, data_rate_sps, KEY_ONE_OF, ONE_OF(ads1115_rate_sps), .def = 128),
	ROW(struct ads1115_options, calibration, KEY_CALIBRATION,
	    .missing = "missing; an ads1115 that provides pressure_kpa needs a table of "
		       "[volts, kPa] points to turn its voltage into pressure"),
};

struct ads1115_priv {
	uint16_t config;	/* the single-shot start word for this sensor */
	double fsr_v;
	unsigned conversion_us;	/* one conversion at the configured rate */
};

int ads1115_config_word(const struct sensor_cfg *s, uint16_t *word)
{
	struct ads1115_options cfg;

	memcpy(&cfg, s->options, sizeof(cfg));
	int pga = sensor_code_of(ads1115_fsr_v, ARRAY_LEN(ads1115_fsr_v), cfg.fsr_v);
	int dr = sensor_code_of(ads1115_rate_sps, ARRAY_LEN(ads1115_rate_sps), cfg.data_rate_sps);

	if (cfg.mux > 7 || pga < 0 || dr < 0)
		return -EINVAL;
	*word = (uint16_t)(ADS1115_CFG_OS | (cfg.mux << ADS1115_CFG_MUX_SHIFT) |
			   ((unsigned)pga << ADS1115_CFG_PGA_SHIFT) | ADS1115_CFG_MODE_SINGLE |
			   ((unsigned)dr << ADS1115_CFG_DR_SHIFT) | ADS1115_CFG_COMP_QUE_OFF);
	return 0;
}

/* Writes word without OS (so nothing starts) and checks that every bit
 * except OS reads back as written. OS is a status bit when read, so it is
 * left out of the comparison. -ENODEV when the chip does not keep them. */
static int ads1115_config_probe(struct sensor *s, uint16_t word)
{
	uint16_t back;
	int ret;

	word &= (uint16_t)~ADS1115_CFG_OS;
	ret = sensor_reg16_write_read(s, ADS1115_REG_CONFIG, word, &back);
	if (ret < 0)
		return ret;
	if ((back & (uint16_t)~ADS1115_CFG_OS) != word)
		return -ENODEV;
	return 0;
}

static int ads1115_init(struct sensor *s)
{
	struct ads1115_priv *priv = s->priv;
	struct ads1115_options cfg;
	uint16_t word;
	int ret;

	memcpy(&cfg, s->cfg->options, sizeof(cfg));
	ret = ads1115_config_word(s->cfg, &word);
	if (ret < 0)
		return ret;
	/* Two different words: a chip (or a stuck bus) that returns the same
	 * value whatever is written cannot pass both, and one of them differs
	 * from the 0x8583 power-on value whatever cfg says. The data rate field
	 * is the one flipped because in power-down it changes nothing else.
	 * MODE=1 in both: this also stops a chip left converting continuously. */
	ret = ads1115_config_probe(s, word ^ ADS1115_CFG_DR_MASK);
	if (ret < 0)
		return ret;
	ret = ads1115_config_probe(s, word);
	if (ret < 0)
		return ret;

	priv->config = word;
	priv->fsr_v = cfg.fsr_v;
	priv->conversion_us = (1000000u + cfg.data_rate_sps - 1) / cfg.data_rate_sps;
	return 0;
}

static int ads1115_read(struct sensor *s, struct sensor_values *out)
{
	const struct ads1115_priv *priv = s->priv;
	uint16_t status = 0, code;
	int ret;

	ret = sensor_reg16_write(s, ADS1115_REG_CONFIG, priv->config);
	if (ret < 0)
		return ret;
	/* One conversion time, 10 % for the oscillator, 25 µs of power-up
	 * [§7.4.2.1] rounded up. */
	s->bus->delay_us(s->bus, priv->conversion_us + priv->conversion_us / 10 + 50);
	for (int i = 0; !(status & ADS1115_CFG_OS); i++) {
		if (i > ADS1115_POLLS)
			return -ETIMEDOUT;
		if (i > 0)
			s->bus->delay_us(s->bus, priv->conversion_us / 4 + 10);
		ret = sensor_reg16_read(s, ADS1115_REG_CONFIG, &status);
		if (ret < 0)
			return ret;
	}
	/* A chip that lost power since the start word reads its power-on config
	 * and OS=1 with a conversion register that is not ours: stale data.
	 * -EIO sends the sampler to init, which writes the config again. */
	if ((status & (uint16_t)~ADS1115_CFG_OS) != (priv->config & (uint16_t)~ADS1115_CFG_OS))
		return -EIO;
	ret = sensor_reg16_read(s, ADS1115_REG_CONVERSION, &code);
	if (ret < 0)
		return ret;

	sensor_values_clear(out);
	out->voltage_v = (double)(int16_t)code * priv->fsr_v / 32768.0;
	out->raw = code;
	return 0;
}

double ads1115_volts_to_kpa(const struct sensor_cfg *s, double volts)
{
	struct config_calibration cal;
	size_t n, hi;

	memcpy(&cal, s->options + offsetof(struct ads1115_options, calibration), sizeof(cal));
	n = cal.n_points;

	if (isnan(volts) || n == 0)
		return NAN;
	if (n == 1 || volts <= cal.v[0])
		return cal.kpa[0];
	/* The segment [hi-1, hi] that holds volts; past the last point, the last
	 * segment, extended. */
	for (hi = 1; hi < n - 1; hi++)
		if (volts <= cal.v[hi])
			break;
	double v0 = cal.v[hi - 1], v1 = cal.v[hi];
	double p0 = cal.kpa[hi - 1], p1 = cal.kpa[hi];

	if (v1 == v0)	/* config requires rising volts; guard the division anyway */
		return p1;
	return p0 + (p1 - p0) * (volts - v0) / (v1 - v0);
}

static double ads1115_pressure_kpa(const struct sensor *s, const struct sensor_values *v)
{
	return ads1115_volts_to_kpa(s->cfg, v->voltage_v);
}

/* ADDR tied to GND, VDD, SDA or SCL [§7.5.1.1]. */
static const uint8_t ads1115_addresses[] = { 0x48, 0x49, 0x4A, 0x4B, 0 };

/* It provides pressure only: a voltage becomes kPa through the calibration
 * table. No stuck_samples: a force sensor at rest reads the same code again
 * and again. */
const struct sensor_driver ads1115_driver = {
	.config = CONFIG_CHIP("ads1115", CONFIG_CHANNEL_PRESSURE, ads1115_addresses, ads1115_keys),
	.pressure = SENSOR_PRESSURE_APPLIED,
	.pressure_kpa = ads1115_pressure_kpa,
	.priv_size = sizeof(struct ads1115_priv),
	.init = ads1115_init,
	.read = ads1115_read,
};
