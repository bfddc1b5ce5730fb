/* Tests of drivers/bmp280.c (BMP280 and BME280) and its simulated chips
 * (sim/sim_bmp280.c). Ground truth: the datasheet's worked example
 * [BMP §3.12], tests/data/bmp280-datasheet-calib.tsv, bytes and values
 * worked out by hand (each with a comment saying how), and the physics of
 * the scenario (the gas law). Run from the repository root; the vectors are
 * read from tests/data (described in tests/data/README.md), or from the
 * folder $ROLLSENSE_VECTORS when it is set. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include "bmp280.h"
#include "sensor.h"
#include "sim/sim.h"
#include "unit.h"

extern const struct sensor_driver bmp280_driver;
extern const struct sensor_driver bme280_driver;

/* The datasheet's worked example calibration [BMP §3.12], as the chip
 * stores it at 0x88..0x9F: 16-bit words LSB first, negative ones in two's
 * complement (e.g. T3 = -1000 = 0xFC18 -> 18 FC). */
static const uint8_t example_nvm[24] = {
	0x70, 0x6B,	/* T1 27504 = 0x6B70 */
	0x43, 0x67,	/* T2 26435 = 0x6743 */
	0x18, 0xFC,	/* T3 -1000 */
	0x7D, 0x8E,	/* P1 36477 = 0x8E7D */
	0x43, 0xD6,	/* P2 -10685 = 0xD643 */
	0xD0, 0x0B,	/* P3 3024 */
	0x27, 0x0B,	/* P4 2855 */
	0x8C, 0x00,	/* P5 140 */
	0xF9, 0xFF,	/* P6 -7 */
	0x8C, 0x3C,	/* P7 15500 */
	0xF8, 0xC6,	/* P8 -14600 = 0xC6F8 */
	0x70, 0x17,	/* P9 6000 */
};

static const struct bmp280_calib example_cal = {
	.dig_T1 = 27504, .dig_T2 = 26435, .dig_T3 = -1000,
	.dig_P1 = 36477, .dig_P2 = -10685, .dig_P3 = 3024, .dig_P4 = 2855,
	.dig_P5 = 140, .dig_P6 = -7, .dig_P7 = 15500, .dig_P8 = -14600, .dig_P9 = 6000,
	/* The humidity trimming the simulated BME280 uses (typical values). */
	.dig_H1 = 75, .dig_H2 = 362, .dig_H3 = 0, .dig_H4 = 313, .dig_H5 = 50, .dig_H6 = 30,
};

/* ---- (a) the datasheet's worked example ---------------------------------- */

static void test_worked_example(void **state)
{
	(void)state;
	int32_t t_fine = 0;

	/* [BMP §3.12]: adc_T 519888 -> 25.08 °C, t_fine 128422. */
	assert_int_equal(bmp280_compensate_t(&example_cal, 519888, &t_fine), 2508);
	assert_int_equal(t_fine, 128422);
	/* adc_P 415148 -> 100653.27 Pa printed (the double routine); the
	 * int64 routine gives exactly 25767233 = 100653.25 Pa (docs/chips.md). */
	uint32_t p = bmp280_compensate_p(&example_cal, 415148, t_fine);
	assert_int_equal(p, 25767233);
	assert_true(fabs(p / 256.0 - 100653.27) < 0.05);
}

/* ---- (b) the vector file, bit for bit ------------------------------------ */

static int field_parse(char **cursor, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(*cursor, &end, 10);
	if (errno || end == *cursor || v < min || v > max || (*end != '\t' && *end != '\n' && *end != '\0'))
		return -1;
	*out = v;
	*cursor = end;
	return 0;
}

static void test_vectors_file(void **state)
{
	(void)state;
	const char *dir = getenv("ROLLSENSE_VECTORS");
	char path[1024];
	snprintf(path, sizeof(path), "%s/bmp280-datasheet-calib.tsv", dir ? dir : "tests/data");
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));

	char line[256];
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(strncmp(line, "adc_T\tadc_P\tt_fine\tT_centi_degC\tP_q24_8", 38), 0);
	int rows = 0;
	while (fgets(line, sizeof(line), f)) {
		char *c = line;
		long adc_t, adc_p, t_fine, t_centi, p;
		if (field_parse(&c, 0, 0xFFFFF, &adc_t) || field_parse(&c, 0, 0xFFFFF, &adc_p) ||
		    field_parse(&c, INT32_MIN, INT32_MAX, &t_fine) ||
		    field_parse(&c, -100000, 100000, &t_centi) ||
		    field_parse(&c, 0, UINT32_MAX, &p))
			fail_msg("%s:%d: malformed row", path, rows + 2);
		rows++;
		int32_t got_t_fine;
		int32_t got_t = bmp280_compensate_t(&example_cal, (int32_t)adc_t, &got_t_fine);
		uint32_t got_p = bmp280_compensate_p(&example_cal, (int32_t)adc_p, got_t_fine);
		if (got_t_fine != t_fine || got_t != t_centi || got_p != (uint32_t)p)
			fail_msg("row %d (adc_T %ld adc_P %ld): t_fine %d/%ld T %d/%ld P %u/%ld", rows,
				 adc_t, adc_p, got_t_fine, t_fine, got_t, t_centi, got_p, p);
	}
	fclose(f);
	assert_int_equal(rows, 200);	/* the README's count */
}

/* ---- humidity (no datasheet example exists) ----------------------------- */

static void test_humidity_compensation(void **state)
{
	(void)state;
	/* adc_H 30000 at t_fine 128422 with H1..H6 = 75, 362, 0, 313, 50, 30:
	 * a separate Python transcription of bme280_compensate_H_int32 gives
	 * 56317 (54.997 %RH); the double routine [BME §8.1] gives 55.0007 %. */
	uint32_t h = bme280_compensate_h(&example_cal, 30000, 128422);
	assert_int_equal(h, 56317);
	assert_true(fabs(h / 1024.0 - 55.0007) < 0.01);
	/* adc_H 25600 (0x6400) -> 31169 in the same transcription. */
	assert_int_equal(bme280_compensate_h(&example_cal, 25600, 128422), 31169);
	/* The routine clamps: 0 and 65535 give 0 % and 100 % (100 * 1024). */
	assert_int_equal(bme280_compensate_h(&example_cal, 0, 128422), 0);
	assert_int_equal(bme280_compensate_h(&example_cal, 65535, 128422), 102400);
}

/* ---- (c) the calibration decoder ----------------------------------------- */

static void test_calib_decode_bmp280(void **state)
{
	(void)state;
	struct bmp280_calib cal;
	memset(&cal, 0x55, sizeof(cal));
	assert_int_equal(bmp280_calib_decode(&cal, example_nvm, 24, NULL), 0);
	assert_int_equal(cal.dig_T1, 27504);
	assert_int_equal(cal.dig_T2, 26435);
	assert_int_equal(cal.dig_T3, -1000);
	assert_int_equal(cal.dig_P1, 36477);
	assert_int_equal(cal.dig_P2, -10685);
	assert_int_equal(cal.dig_P3, 3024);
	assert_int_equal(cal.dig_P4, 2855);
	assert_int_equal(cal.dig_P5, 140);
	assert_int_equal(cal.dig_P6, -7);
	assert_int_equal(cal.dig_P7, 15500);
	assert_int_equal(cal.dig_P8, -14600);
	assert_int_equal(cal.dig_P9, 6000);
	assert_int_equal(cal.dig_H1, 0);
	assert_int_equal(cal.dig_H2, 0);
	assert_int_equal(cal.dig_H4, 0);
	assert_int_equal(cal.dig_H6, 0);
}

static void test_calib_decode_bme280(void **state)
{
	(void)state;
	uint8_t nvm[26];
	memcpy(nvm, example_nvm, 24);
	nvm[24] = 0xAA;		/* 0xA0: not calibration, must be ignored */
	nvm[25] = 75;		/* H1 @0xA1 */
	/* H2 362 = 0x016A; H3 0; H4 313 = 0x139 -> E4 0x13, E5[3:0] 9;
	 * H5 50 = 0x032 -> E6 0x03, E5[7:4] 2; so E5 = 0x29; H6 30 = 0x1E. */
	const uint8_t hum[7] = { 0x6A, 0x01, 0x00, 0x13, 0x29, 0x03, 0x1E };
	struct bmp280_calib cal;
	assert_int_equal(bmp280_calib_decode(&cal, nvm, 26, hum), 0);
	assert_int_equal(cal.dig_T3, -1000);
	assert_int_equal(cal.dig_P9, 6000);
	assert_int_equal(cal.dig_H1, 75);
	assert_int_equal(cal.dig_H2, 362);
	assert_int_equal(cal.dig_H3, 0);
	assert_int_equal(cal.dig_H4, 313);
	assert_int_equal(cal.dig_H5, 50);
	assert_int_equal(cal.dig_H6, 30);

	/* Signed ones: H2 -2 = FE FF; H3 200 (unsigned); H4 -300 = 0xED4
	 * (12-bit) -> E4 0xED, E5[3:0] 4; H5 -1 = 0xFFF -> E6 0xFF,
	 * E5[7:4] F; E5 = 0xF4; H6 -5 = 0xFB. */
	const uint8_t neg[7] = { 0xFE, 0xFF, 200, 0xED, 0xF4, 0xFF, 0xFB };
	assert_int_equal(bmp280_calib_decode(&cal, nvm, 26, neg), 0);
	assert_int_equal(cal.dig_H2, -2);
	assert_int_equal(cal.dig_H3, 200);
	assert_int_equal(cal.dig_H4, -300);
	assert_int_equal(cal.dig_H5, -1);
	assert_int_equal(cal.dig_H6, -5);
	/* H4 2047 = 0x7FF and H5 -2048 = 0x800: the 12-bit extremes;
	 * E4 0x7F, E5 = 0x0F (H5 low nibble 0, H4 low nibble F), E6 0x80. */
	const uint8_t ext[7] = { 0, 0, 0, 0x7F, 0x0F, 0x80, 0 };
	assert_int_equal(bmp280_calib_decode(&cal, nvm, 26, ext), 0);
	assert_int_equal(cal.dig_H4, 2047);
	assert_int_equal(cal.dig_H5, -2048);
}

static void test_calib_decode_rejects(void **state)
{
	(void)state;
	struct bmp280_calib cal = { .dig_T1 = 1234 };
	uint8_t nvm[26] = { 0 };
	assert_int_equal(bmp280_calib_decode(&cal, nvm, 25, NULL), -EINVAL);
	assert_int_equal(bmp280_calib_decode(&cal, nvm, 26, NULL), -EINVAL);
	assert_int_equal(cal.dig_T1, 1234);	/* untouched on failure */
}

/* ---- the driver against a scripted register file ------------------------- */

/* The status register (0xF3) of the chip on the fake bus: its bits stay set
 * for a number of reads. */
static int measuring_reads;	/* status reads that still show measuring */
static int im_update_reads;	/* ... that still show im_update */

static int bmp_on_read(struct fake_bus *fb, uint8_t reg, uint8_t *buf, size_t len)
{
	(void)fb;
	(void)len;
	if (reg == 0xF3) {
		buf[0] = (uint8_t)((measuring_reads > 0 ? 0x08 : 0) | (im_update_reads > 0 ? 0x01 : 0));
		measuring_reads--;
		im_update_reads--;
	}
	return 0;
}

static int bmp_on_write(struct fake_bus *fb, uint8_t reg, const uint8_t *buf, size_t len)
{
	(void)fb;
	(void)reg;
	(void)buf;
	assert_int_equal(len, 1);	/* the driver writes one register at a time */
	return 0;
}

/* A BMP280 (or BME280) holding the worked example: adc_P 415148 = 0x655AC
 * -> F7..F9 = 65 5A C0; adc_T 519888 = 0x7EED0 -> FA..FC = 7E ED 00. */
static void fake_setup(struct fake_bus *fb, bool bme)
{
	fake_bus_init(fb, 0x76, 1);
	fb->on_read = bmp_on_read;
	fb->on_write = bmp_on_write;
	measuring_reads = 0;
	im_update_reads = 0;
	fb->regs[0xD0] = bme ? 0x60 : 0x58;
	fake_bus_set_bytes(fb, 0x88, example_nvm, 24);
	const uint8_t data[8] = { 0x65, 0x5A, 0xC0, 0x7E, 0xED, 0x00, 0x75, 0x30 };
	fake_bus_set_bytes(fb, 0xF7, data, 8);	/* FD..FE: adc_H 30000 = 0x7530 */
	if (bme) {
		fb->regs[0xA1] = 75;
		const uint8_t hum[7] = { 0x6A, 0x01, 0x00, 0x13, 0x29, 0x03, 0x1E };
		fake_bus_set_bytes(fb, 0xE1, hum, 7);
	}
}

static void cfg_setup(struct sensor_cfg *cfg, unsigned os_t, unsigned os_p, unsigned os_h,
		      unsigned filter, bool normal)
{
	const struct bmp280_options o = { .oversampling_t = os_t, .oversampling_p = os_p,
					  .oversampling_h = os_h, .filter = filter,
					  .normal_mode = normal };

	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->options, &o, sizeof(o));
}

/* The value written last to reg, or -1. */
static int last_write(const struct fake_bus *fb, uint8_t reg)
{
	const struct fake_write *w = fake_bus_last_write(fb, reg);

	return w ? w->value : -1;
}

static void test_driver_forced_bmp280(void **state)
{
	(void)state;
	static struct fake_bus fb;
	struct sensor_cfg cfg;
	uint64_t priv[64] = { 0 };
	assert_true(bmp280_driver.priv_size <= sizeof(priv));
	fake_setup(&fb, false);
	cfg_setup(&cfg, 2, 16, 1, 4, false);
	struct sensor s = { &bmp280_driver, &fb.bus, 0x76, &cfg, priv };

	im_update_reads = 2;		/* the NVM copy is still running twice */
	assert_int_equal(bmp280_driver.init(&s), 0);
	/* Reset first: E0 <- B6 [BMP §4.3.2]. */
	assert_int_equal(fb.writes[0].reg, 0xE0);
	assert_int_equal(fb.writes[0].value, 0xB6);
	/* filter 4 -> code 010 in bits 4:2 = 0x08; t_sb 000. */
	assert_int_equal(last_write(&fb, 0xF5), 0x08);
	/* osrs_t x2 = 010, osrs_p x16 = 101, mode sleep: 010 101 00 = 0x54. */
	assert_int_equal(last_write(&fb, 0xF4), 0x54);
	assert_int_equal(last_write(&fb, 0xF2), -1);	/* no ctrl_hum on a BMP280 */

	fb.waited_us = 0;
	measuring_reads = 1;
	struct sensor_values v;
	assert_int_equal(bmp280_driver.read(&s, &v), 0);
	assert_int_equal(last_write(&fb, 0xF4), 0x55);	/* the same, mode forced 01 */
	/* t_measure,max for T x2 / P x16 is 43.2 ms [BMP §3.8.1]. */
	assert_true(fb.waited_us >= 43200);
	assert_true(fb.waited_us < 43200 + 20000);
	assert_true(measuring_reads < 0);	/* it did wait for measuring = 0 */
	assert_true(v.pressure_pa == 25767233 / 256.0);	/* 100653.25390625 Pa exactly */
	assert_true(fabs(v.temperature_c - 25.08) < 1e-9);
	assert_true(isnan(v.humidity_pct));
	assert_true(isnan(v.voltage_v));
	assert_true(v.raw != 0);
	assert_int_equal(bmp280_driver.stuck_samples, 20);

	/* A different raw pair gives a different fingerprint. */
	uint64_t raw = v.raw;
	fb.regs[0xF9] = 0xD0;	/* adc_P + 1 */
	assert_int_equal(bmp280_driver.read(&s, &v), 0);
	assert_true(v.raw != raw);
}

static void test_driver_forced_bme280(void **state)
{
	(void)state;
	static struct fake_bus fb;
	struct sensor_cfg cfg;
	uint64_t priv[64] = { 0 };
	fake_setup(&fb, true);
	cfg_setup(&cfg, 1, 1, 1, 0, false);
	struct sensor s = { &bme280_driver, &fb.bus, 0x76, &cfg, priv };

	assert_int_equal(bme280_driver.init(&s), 0);
	/* ctrl_hum x1 = 001, and it comes before ctrl_meas, which latches it. */
	int hum_at = -1, meas_at = -1;
	for (int i = 0; i < fb.n_writes; i++) {
		if (fb.writes[i].reg == 0xF2 && hum_at < 0)
			hum_at = i;
		if (fb.writes[i].reg == 0xF4 && meas_at < 0)
			meas_at = i;
	}
	assert_true(hum_at >= 0 && meas_at > hum_at);
	assert_int_equal(fb.writes[hum_at].value, 0x01);
	assert_int_equal(last_write(&fb, 0xF4), 0x24);	/* 001 001 00 */

	fb.waited_us = 0;
	struct sensor_values v;
	assert_int_equal(bme280_driver.read(&s, &v), 0);
	/* BME280 x1/x1/x1: 9.3 ms [BME §9.1]. */
	assert_true(fb.waited_us >= 9300);
	assert_true(v.pressure_pa == 25767233 / 256.0);
	assert_true(fabs(v.temperature_c - 25.08) < 1e-9);
	assert_true(fabs(v.humidity_pct - 56317 / 1024.0) < 1e-9);	/* as above */
	assert_int_equal(bme280_driver.stuck_samples, 20);
}

static void test_driver_normal_mode(void **state)
{
	(void)state;
	static struct fake_bus fb;
	struct sensor_cfg cfg;
	uint64_t priv[64] = { 0 };
	fake_setup(&fb, false);
	cfg_setup(&cfg, 1, 4, 1, 16, true);
	struct sensor s = { &bmp280_driver, &fb.bus, 0x76, &cfg, priv };

	assert_int_equal(bmp280_driver.init(&s), 0);
	assert_int_equal(last_write(&fb, 0xF5), 0x10);	/* filter 16: code 100 */
	assert_int_equal(last_write(&fb, 0xF4), 0x2F);	/* 001 011 11: normal */
	int writes = fb.n_writes;
	struct sensor_values v;
	assert_int_equal(bmp280_driver.read(&s, &v), 0);
	assert_int_equal(fb.n_writes, writes);	/* nothing to trigger */
	assert_true(v.pressure_pa == 25767233 / 256.0);
}

static void test_driver_errors(void **state)
{
	(void)state;
	static struct fake_bus fb;
	struct sensor_cfg cfg;
	uint64_t priv[64] = { 0 };
	struct sensor_values v;
	fake_setup(&fb, false);
	cfg_setup(&cfg, 1, 4, 1, 0, false);
	struct sensor s = { &bmp280_driver, &fb.bus, 0x76, &cfg, priv };

	/* read before a successful init */
	assert_true(bmp280_driver.read(&s, &v) < 0);
	/* settings the chip cannot do */
	cfg_setup(&cfg, 1, 3, 1, 0, false);
	assert_int_equal(bmp280_driver.init(&s), -EINVAL);
	cfg_setup(&cfg, 1, 4, 1, 5, false);
	assert_int_equal(bmp280_driver.init(&s), -EINVAL);
	cfg_setup(&cfg, 1, 4, 1, 0, false);
	/* the wrong chip: a BME280 for the BMP280 driver and back */
	fb.regs[0xD0] = 0x60;
	assert_int_equal(bmp280_driver.init(&s), -ENODEV);
	s.drv = &bme280_driver;
	fb.regs[0xD0] = 0x58;
	assert_int_equal(bme280_driver.init(&s), -ENODEV);
	s.drv = &bmp280_driver;
	/* NVM copy never ends */
	im_update_reads = 1000;
	assert_int_equal(bmp280_driver.init(&s), -ETIMEDOUT);
	im_update_reads = 0;
	/* no chip at the address: the bus error comes back unchanged */
	s.address = 0x77;
	assert_int_equal(bmp280_driver.init(&s), -EREMOTEIO);
	s.address = 0x76;

	assert_int_equal(bmp280_driver.init(&s), 0);
	/* a conversion that never ends */
	measuring_reads = 1000;
	assert_int_equal(bmp280_driver.read(&s, &v), -ETIMEDOUT);
	measuring_reads = 0;
	/* the skipped-measurement marker 0x80000 */
	fb.regs[0xFA] = 0x80;
	fb.regs[0xFB] = 0x00;
	fb.regs[0xFC] = 0x00;
	assert_int_equal(bmp280_driver.read(&s, &v), -EIO);
	fb.regs[0xFA] = 0x7E;
	fb.regs[0xFB] = 0xED;
	fb.regs[0xF7] = 0x80;
	fb.regs[0xF8] = 0x00;
	fb.regs[0xF9] = 0x00;
	assert_int_equal(bmp280_driver.read(&s, &v), -EIO);
}


/* ---- (d) through the simulated bus --------------------------------------- */

/* Tolerances, from the resolution of both ends.
 * Temperature: the driver reports 0.01 °C steps (0.005 °C of rounding), and
 * the model's double routine and the driver's integer one disagree on
 * t_fine by up to 13 units = 0.0025 °C (tests/data/README.md): 0.0075 < 0.01 °C.
 * Pressure: one adc_P code is 0.16-0.2 Pa (the 20-bit resolution, 0.16 Pa at
 * x16 [BMP §3.3.1]), so rounding to a code costs up to 0.1 Pa; the double
 * and integer routines differ by up to 0.5 Pa through t_fine
 * (tests/data/README.md): 0.6 Pa. (A sweep of 3000 points over 85-131 kPa
 * and -10-35 °C gave at most 0.57 Pa.)
 * Humidity: one adc_H code is 0.0056 %RH here (0.0028 of rounding), Q22.10
 * truncates by up to 0.001 %RH, and the routines differ by about 0.004 %RH
 * (test_humidity_compensation) plus what the t_fine difference adds; the
 * datasheet's resolution is 0.008 %RH [BME table 1]: 0.02 %RH. */
#define TOL_C 0.01
#define TOL_PA 0.6
#define TOL_PCT 0.02

struct rig {
	struct sim_rig sim;
	struct sensor_cfg cfg;
	uint64_t priv[64];
	struct sensor s;
};

/* A simulated bus over scenario text with the chosen driver at addr, forced
 * mode, x1 temperature, x4 pressure, x1 humidity, no filter (the defaults
 * of the configuration). */
static struct rig *rig_open(const char *text, const struct sensor_driver *drv, uint8_t addr)
{
	struct rig *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	sim_rig_open(&r->sim, text);
	cfg_setup(&r->cfg, 1, 4, 1, 0, false);
	assert_true(drv->priv_size <= sizeof(r->priv));
	r->s = (struct sensor){ drv, r->sim.bus, addr, &r->cfg, r->priv };
	return r;
}

static void rig_close(struct rig *r)
{
	sim_rig_close(&r->sim);
	free(r);
}

static void test_sim_values(void **state)
{
	(void)state;
	struct rig *r = rig_open("chip p bmp280 0x76\n"
				 "noise p pressure_pa 0\nnoise p temperature_c 0\n"
				 "at 0 p pressure_pa 98765.4\n"
				 "at 0 p temperature_c 18.3\n"
				 "at 10 p load_kpa 25\n"
				 "at 20 p temperature_c -5.55\n", &bmp280_driver, 0x76);
	struct sensor_values v;
	assert_int_equal(r->s.drv->init(&r->s), 0);
	r->sim.now_s = 1;
	assert_int_equal(r->s.drv->read(&r->s, &v), 0);
	assert_true(fabs(v.pressure_pa - 98765.4) <= TOL_PA);
	assert_true(fabs(v.temperature_c - 18.3) <= TOL_C);
	assert_true(isnan(v.humidity_pct));
	assert_true(isnan(v.voltage_v));
	/* 25 kPa of load adds 25000 Pa. */
	r->sim.now_s = 11;
	assert_int_equal(r->s.drv->read(&r->s, &v), 0);
	assert_true(fabs(v.pressure_pa - 123765.4) <= TOL_PA);
	r->sim.now_s = 21;
	assert_int_equal(r->s.drv->read(&r->s, &v), 0);
	assert_true(fabs(v.temperature_c - -5.55) <= TOL_C);
	assert_true(fabs(v.pressure_pa - 123765.4) <= TOL_PA);	/* not sealed */
	rig_close(r);
}

static void test_sim_sealed_ball(void **state)
{
	(void)state;
	struct rig *r = rig_open("chip ball bmp280 0x76 sealed\n"
				 "noise ball pressure_pa 0\nnoise ball temperature_c 0\n"
				 "ramp 10 20 ball temperature_c 32\n", &bmp280_driver, 0x76);
	struct sensor_values v;
	assert_int_equal(r->s.drv->init(&r->s), 0);
	assert_int_equal(r->s.drv->read(&r->s, &v), 0);
	assert_true(fabs(v.pressure_pa - 101325) <= TOL_PA);	/* the defaults */
	assert_true(fabs(v.temperature_c - 22) <= TOL_C);
	/* pV = nRT with V and n fixed: p2 = p1 * T2 / T1 in kelvin,
	 * 101325 * 305.15 / 295.15 = 104758.00 Pa. */
	double expected_pa = 101325.0 * (32 + 273.15) / (22 + 273.15);
	assert_true(fabs(expected_pa - 104758.00) < 0.01);
	r->sim.now_s = 25;
	assert_int_equal(r->s.drv->read(&r->s, &v), 0);
	assert_true(fabs(v.temperature_c - 32) <= TOL_C);
	assert_true(fabs(v.pressure_pa - expected_pa) <= TOL_PA);
	rig_close(r);
}

static void test_sim_wrong_chip(void **state)
{
	(void)state;
	struct rig *r = rig_open("chip h bme280 0x76\n"
				 "noise h pressure_pa 0\nnoise h temperature_c 0\nnoise h humidity_pct 0\n", &bmp280_driver, 0x76);
	assert_int_equal(r->s.drv->init(&r->s), -ENODEV);
	/* nothing answers at 0x77 */
	r->s.address = 0x77;
	assert_int_equal(r->s.drv->init(&r->s), -EREMOTEIO);
	/* the right driver works */
	r->s.address = 0x76;
	r->s.drv = &bme280_driver;
	assert_int_equal(r->s.drv->init(&r->s), 0);
	rig_close(r);
}

static void test_sim_nack(void **state)
{
	(void)state;
	struct rig *r = rig_open("chip p bmp280 0x76\nnoise p pressure_pa 0\nnoise p temperature_c 0\nfault 5 10 p nack\n", &bmp280_driver, 0x76);
	struct sensor_values v;
	assert_int_equal(r->s.drv->init(&r->s), 0);
	r->sim.now_s = 6;
	assert_int_equal(r->s.drv->read(&r->s, &v), -EREMOTEIO);
	assert_int_equal(r->s.drv->init(&r->s), -EREMOTEIO);
	/* The window is [5, 10): the chip answers again at 10. */
	r->sim.now_s = 10;
	assert_int_equal(r->s.drv->init(&r->s), 0);
	assert_int_equal(r->s.drv->read(&r->s, &v), 0);
	assert_true(fabs(v.pressure_pa - 101325) <= TOL_PA);
	rig_close(r);
}

static void test_sim_absent(void **state)
{
	(void)state;
	struct rig *r = rig_open("chip p bmp280 0x76\nnoise p pressure_pa 0\nnoise p temperature_c 0\nfault 5 10 p absent\n", &bmp280_driver, 0x76);
	struct sensor_values v;
	cfg_setup(&r->cfg, 1, 4, 1, 0, true);
	assert_int_equal(r->s.drv->init(&r->s), 0);
	assert_int_equal(r->s.drv->read(&r->s, &v), 0);
	r->sim.now_s = 6;
	assert_int_equal(r->s.drv->read(&r->s, &v), -EREMOTEIO);
	/* Back in its power-on state: asleep, data registers 0x80000, which
	 * the driver reports instead of a stale value... */
	r->sim.now_s = 11;
	assert_int_equal(r->s.drv->read(&r->s, &v), -EIO);
	/* ... and init brings it back. */
	assert_int_equal(r->s.drv->init(&r->s), 0);
	assert_int_equal(r->s.drv->read(&r->s, &v), 0);
	assert_true(fabs(v.pressure_pa - 101325) <= TOL_PA);
	assert_true(fabs(v.temperature_c - 22) <= TOL_C);
	rig_close(r);
}

static void test_sim_bme280(void **state)
{
	(void)state;
	struct rig *r = rig_open("chip h bme280 0x77\n"
				 "noise h pressure_pa 0\nnoise h temperature_c 0\nnoise h humidity_pct 0\n"
				 "at 10 h humidity_pct 63.5\n"
				 "at 10 h temperature_c 30.25\n"
				 "fault 20 30 h absent\n", &bme280_driver, 0x77);
	struct sensor_values v;
	assert_int_equal(r->s.drv->init(&r->s), 0);
	assert_int_equal(r->s.drv->read(&r->s, &v), 0);
	assert_true(fabs(v.humidity_pct - 40) <= TOL_PCT);	/* the default */
	assert_true(fabs(v.pressure_pa - 101325) <= TOL_PA);
	r->sim.now_s = 11;
	assert_int_equal(r->s.drv->read(&r->s, &v), 0);
	assert_true(fabs(v.humidity_pct - 63.5) <= TOL_PCT);
	assert_true(fabs(v.temperature_c - 30.25) <= TOL_C);
	assert_true(isnan(v.voltage_v));
	/* After a power loss ctrl_hum is 0 (humidity skipped, 0x8000): the
	 * forced read notices rather than reporting a made-up humidity. */
	r->sim.now_s = 31;
	assert_int_equal(r->s.drv->read(&r->s, &v), -EIO);
	assert_int_equal(r->s.drv->init(&r->s), 0);
	assert_int_equal(r->s.drv->read(&r->s, &v), 0);
	assert_true(fabs(v.humidity_pct - 63.5) <= TOL_PCT);
	rig_close(r);
}

static void test_sim_stuck_raw(void **state)
{
	(void)state;
	struct rig *r = rig_open("chip p bmp280 0x76\n"
				 "noise p temperature_c 0\n"
				 "noise p pressure_pa 5\n"
				 "fault 5 10 p stuck\n", &bmp280_driver, 0x76);
	struct sensor_values v;
	assert_int_equal(r->s.drv->init(&r->s), 0);
	r->sim.now_s = 1;
	assert_int_equal(r->s.drv->read(&r->s, &v), 0);
	uint64_t live1 = v.raw;
	r->sim.now_s = 2;
	assert_int_equal(r->s.drv->read(&r->s, &v), 0);
	/* 5 Pa of noise is some 25 adc_P codes: the fingerprint moves. */
	assert_true(v.raw != live1);
	r->sim.now_s = 6;
	assert_int_equal(r->s.drv->read(&r->s, &v), 0);
	uint64_t stuck = v.raw;
	for (int i = 0; i < 5; i++) {
		r->sim.now_s = 6.5 + i * 0.5;
		assert_int_equal(r->s.drv->read(&r->s, &v), 0);
		assert_true(v.raw == stuck);
	}
	rig_close(r);
}

/* The model's bus protocol, bytes on the wire against the datasheet. */
static void test_sim_model_registers(void **state)
{
	(void)state;
	struct rig *r = rig_open("chip p bmp280 0x76\n"
				 "noise p pressure_pa 0\nnoise p temperature_c 0\n", &bmp280_driver, 0x76);
	struct bus *bus = r->sim.bus;
	uint8_t b[26];

	assert_int_equal(bus->read(bus, 0x76, 0xD0, b, 1), 0);
	assert_int_equal(b[0], 0x58);
	/* POR: calibration in NVM (the worked example), data 0x80000. */
	assert_int_equal(bus->read(bus, 0x76, 0x88, b, 24), 0);
	assert_memory_equal(b, example_nvm, 24);
	assert_int_equal(bus->read(bus, 0x76, 0xF7, b, 6), 0);
	const uint8_t skipped[6] = { 0x80, 0, 0, 0x80, 0, 0 };
	assert_memory_equal(b, skipped, 6);
	/* Writes are (register, value) pairs: config <- 0x08 and ctrl_meas <-
	 * 0x25 (T x1, P x1, forced) in one transfer. */
	const uint8_t pairs[3] = { 0x08, 0xF4, 0x25 };
	assert_int_equal(bus->write(bus, 0x76, 0xF5, pairs, 3), 0);
	assert_int_equal(bus->read(bus, 0x76, 0xF3, b, 3), 0);
	assert_int_equal(b[0] & 0x08, 0x08);	/* measuring, once */
	assert_int_equal(b[1], 0x24);		/* back to sleep: mode 00 */
	assert_int_equal(b[2], 0x08);
	assert_int_equal(bus->read(bus, 0x76, 0xF3, b, 1), 0);
	assert_int_equal(b[0] & 0x08, 0);
	assert_int_equal(bus->read(bus, 0x76, 0xF7, b, 6), 0);
	assert_memory_not_equal(b, skipped, 6);
	/* osrs_p 000 skips pressure only */
	const uint8_t skip_p[1] = { 0x21 };
	assert_int_equal(bus->write(bus, 0x76, 0xF4, skip_p, 1), 0);
	assert_int_equal(bus->read(bus, 0x76, 0xF7, b, 6), 0);
	assert_memory_equal(b, skipped, 3);
	assert_memory_not_equal(b + 3, skipped + 3, 3);
	/* reset: settings back to 0, calibration kept, im_update once */
	const uint8_t reset[1] = { 0xB6 };
	assert_int_equal(bus->write(bus, 0x76, 0xE0, reset, 1), 0);
	assert_int_equal(bus->read(bus, 0x76, 0xF3, b, 3), 0);
	assert_int_equal(b[0], 0x01);
	assert_int_equal(b[1], 0x00);
	assert_int_equal(b[2], 0x00);
	assert_int_equal(bus->read(bus, 0x76, 0x88, b, 24), 0);
	assert_memory_equal(b, example_nvm, 24);
	rig_close(r);

	/* BME280 humidity NVM: H1 @A1 75, E1..E7 as in test_calib_decode_bme280. */
	r = rig_open("chip h bme280 0x76\n"
				 "noise h pressure_pa 0\nnoise h temperature_c 0\nnoise h humidity_pct 0\n", &bme280_driver, 0x76);
	bus = r->sim.bus;
	assert_int_equal(bus->read(bus, 0x76, 0xD0, b, 1), 0);
	assert_int_equal(b[0], 0x60);
	assert_int_equal(bus->read(bus, 0x76, 0x88, b, 26), 0);
	assert_int_equal(b[25], 75);
	const uint8_t hum[7] = { 0x6A, 0x01, 0x00, 0x13, 0x29, 0x03, 0x1E };
	assert_int_equal(bus->read(bus, 0x76, 0xE1, b, 7), 0);
	assert_memory_equal(b, hum, 7);
	rig_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_example),
		cmocka_unit_test(test_vectors_file),
		cmocka_unit_test(test_humidity_compensation),
		cmocka_unit_test(test_calib_decode_bmp280),
		cmocka_unit_test(test_calib_decode_bme280),
		cmocka_unit_test(test_calib_decode_rejects),
		cmocka_unit_test(test_driver_forced_bmp280),
		cmocka_unit_test(test_driver_forced_bme280),
		cmocka_unit_test(test_driver_normal_mode),
		cmocka_unit_test(test_driver_errors),
		cmocka_unit_test(test_sim_values),
		cmocka_unit_test(test_sim_sealed_ball),
		cmocka_unit_test(test_sim_wrong_chip),
		cmocka_unit_test(test_sim_nack),
		cmocka_unit_test(test_sim_absent),
		cmocka_unit_test(test_sim_bme280),
		cmocka_unit_test(test_sim_stuck_raw),
		cmocka_unit_test(test_sim_model_registers),
	};
	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
