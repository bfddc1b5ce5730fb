/* The ADS1115 driver (drivers/ads1115.c), its calibration mapping and
 * its simulated chip (sensord/sim/sim_ads1115.c). Ground truth is TI SBAS444
 * as summarised in docs/chips.md: the config layout, the 0x8583
 * power-on word, codes as two's complement with LSB = FSR / 2^15. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ads1115.h"
#include "sensor.h"
#include "sim/sim.h"
#include "unit.h"

extern const struct sensor_driver ads1115_driver;

#define ADS_ADDR 0x48

static struct sensor_cfg cfg_make(unsigned mux, double fsr_v, unsigned rate_sps)
{
	const struct ads1115_options o = { .mux = mux, .fsr_v = fsr_v, .data_rate_sps = rate_sps };

	return unit_sensor_cfg("ads1115", ADS_ADDR, &o, sizeof(o));
}

static void cal_set(struct sensor_cfg *cfg, const struct config_calibration *cal)
{
	memcpy(cfg->options + offsetof(struct ads1115_options, calibration), cal, sizeof(*cal));
}

/* ---- A scripted bus: an idealised ADS1115 whose behaviour each test bends,
 * recording what the driver sends. Register 0 is the conversion result,
 * register 1 the config (the last one written). ---- */

enum fake_mode {
	FAKE_GOOD,		/* keeps the config, finishes conversions at once */
	FAKE_IGNORES_WRITES,	/* config always reads 0x8583 */
	FAKE_NEVER_DONE,	/* OS stays 0 after a start */
	FAKE_RESETS,		/* powers off during the conversion: reads 0x8583 */
};

struct fake_ads {
	struct fake_bus fb;	/* first: the hooks get this */
	enum fake_mode mode;
	uint16_t start_word;	/* last config written with OS=1 */
	int starts;
	unsigned start_at_us;	/* fb.waited_us at the last start */
	unsigned delay_at_conversion_us;	/* delays between the last start and the conversion read */
};

static int ads_on_read(struct fake_bus *fb, uint8_t reg, uint8_t *buf, size_t len)
{
	struct fake_ads *ads = (struct fake_ads *)fb;
	uint16_t config = fb->regs[1];
	uint16_t value;

	assert_int_equal(len, 2);
	if (reg == 0) {
		ads->delay_at_conversion_us = fb->waited_us - ads->start_at_us;
		return 0;
	}
	if (reg != 1) {
		fail_msg("read of pointer %u", reg);
		return -EIO;
	}
	switch (ads->mode) {
	case FAKE_IGNORES_WRITES:
		value = 0x8583;
		break;
	case FAKE_NEVER_DONE:
		value = ads->starts ? (config & 0x7FFF) : (config | 0x8000);
		break;
	case FAKE_RESETS:
		value = ads->starts ? 0x8583 : (config | 0x8000);
		break;
	default:
		value = config | 0x8000;
		break;
	}
	buf[0] = (uint8_t)(value >> 8);
	buf[1] = (uint8_t)value;
	return 0;
}

static int ads_on_write(struct fake_bus *fb, uint8_t reg, const uint8_t *buf, size_t len)
{
	struct fake_ads *ads = (struct fake_ads *)fb;

	(void)buf;
	assert_int_equal(reg, 1);
	assert_int_equal(len, 2);
	if (fb->regs[1] & 0x8000) {
		ads->start_word = fb->regs[1];
		ads->starts++;
		ads->start_at_us = fb->waited_us;
	}
	return 0;
}

static void fake_init(struct fake_ads *ads, enum fake_mode mode)
{
	memset(ads, 0, sizeof(*ads));
	fake_bus_init(&ads->fb, ADS_ADDR, 2);
	ads->fb.other_addr_fails_test = true;
	ads->fb.on_read = ads_on_read;
	ads->fb.on_write = ads_on_write;
	ads->fb.regs[1] = 0x8583;
	ads->mode = mode;
}

static void sensor_setup(struct sensor *s, struct bus *bus, const struct sensor_cfg *cfg)
{
	unit_sensor_setup(s, &ads1115_driver, bus, ADS_ADDR, cfg);
}

/* ---- The config word, bit by bit from the config register table ---- */

static void test_config_word_ain0_4v096_128sps(void **state)
{
	(void)state;
	struct sensor_cfg cfg = cfg_make(4, 4.096, 128);
	uint16_t word = 0;

	/* OS=1 0x8000 | MUX=100 (AIN0-GND) 0x4000 | PGA=001 (±4.096) 0x0200 |
	 * MODE=1 0x0100 | DR=100 (128) 0x0080 | COMP_QUE=11 0x0003 = 0xC383 */
	assert_int_equal(ads1115_config_word(&cfg, &word), 0);
	assert_int_equal(word, 0xC383);
}

static void test_config_word_matches_power_on_default(void **state)
{
	(void)state;
	/* AIN0-AIN1, ±2.048 V, 128 SPS, single shot, comparator off is exactly
	 * the datasheet's power-on config 0x8583 (OS reads 1 when idle). */
	struct sensor_cfg cfg = cfg_make(0, 2.048, 128);
	uint16_t word = 0;

	assert_int_equal(ads1115_config_word(&cfg, &word), 0);
	assert_int_equal(word, 0x8583);
}

static void test_config_word_ain3_0v256_860sps(void **state)
{
	(void)state;
	struct sensor_cfg cfg = cfg_make(7, 0.256, 860);
	uint16_t word = 0;

	/* OS 0x8000 | MUX=111 0x7000 | PGA=101 0x0A00 | MODE 0x0100 |
	 * DR=111 0x00E0 | COMP_QUE 0x0003 = 0xFBE3 */
	assert_int_equal(ads1115_config_word(&cfg, &word), 0);
	assert_int_equal(word, 0xFBE3);
}

static void test_config_word_rejects_impossible_settings(void **state)
{
	(void)state;
	uint16_t word;
	struct sensor_cfg bad_fsr = cfg_make(4, 5.0, 128);
	struct sensor_cfg bad_rate = cfg_make(4, 4.096, 100);
	struct sensor_cfg bad_mux = cfg_make(8, 4.096, 128);

	assert_int_equal(ads1115_config_word(&bad_fsr, &word), -EINVAL);
	assert_int_equal(ads1115_config_word(&bad_rate, &word), -EINVAL);
	assert_int_equal(ads1115_config_word(&bad_mux, &word), -EINVAL);
}

/* ---- The driver on the scripted bus ---- */

static void test_read_writes_start_word_and_scales_code(void **state)
{
	(void)state;
	struct fake_ads fb;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(4, 4.096, 128);
	struct sensor_values v;

	fake_init(&fb, FAKE_GOOD);
	sensor_setup(&s, &fb.fb.bus, &cfg);
	assert_int_equal(ads1115_driver.init(&s), 0);
	assert_int_equal(fb.starts, 0);	/* init starts nothing */

	/* At ±4.096 V the LSB is 4.096 / 32768 = 125 µV: 1.000 V is code 8000. */
	fb.fb.regs[0] = 8000;
	assert_int_equal(ads1115_driver.read(&s, &v), 0);
	assert_int_equal(fb.starts, 1);
	assert_int_equal(fb.start_word, 0xC383);
	assert_near(v.voltage_v, 1.000, 1e-12);
	assert_int_equal(v.raw, 8000);
	assert_true(isnan(v.pressure_pa));
	assert_true(isnan(v.temperature_c));
	assert_true(isnan(v.humidity_pct));
	/* A conversion takes 1/DR = 7812.5 µs at 128 SPS [§7.3.6]; the result
	 * must not be read before that. */
	assert_true(fb.delay_at_conversion_us >= 7813);

	/* 0x7FFF is +FS - 1 LSB, 0x8000 is -FS, 0xFFFF is -1 LSB. */
	fb.fb.regs[0] = 0x7FFF;
	assert_int_equal(ads1115_driver.read(&s, &v), 0);
	assert_near(v.voltage_v, 4.096 - 0.000125, 1e-12);
	fb.fb.regs[0] = 0x8000;
	assert_int_equal(ads1115_driver.read(&s, &v), 0);
	assert_near(v.voltage_v, -4.096, 1e-12);
	assert_int_equal(v.raw, 0x8000);
	fb.fb.regs[0] = 0xFFFF;
	assert_int_equal(ads1115_driver.read(&s, &v), 0);
	assert_near(v.voltage_v, -0.000125, 1e-12);
	free(s.priv);
}

static void test_stuck_detection_is_off(void **state)
{
	(void)state;
	/* A force sensor at rest legitimately repeats the same code. */
	assert_int_equal(ads1115_driver.stuck_samples, 0);
	assert_string_equal(ads1115_driver.config.name, "ads1115");
}

static void test_init_rejects_chip_that_ignores_config(void **state)
{
	(void)state;
	struct fake_ads fb;
	struct sensor s;
	/* Even with the settings that equal the power-on word, a chip that
	 * always reads 0x8583 is not taken for an ADS1115. */
	struct sensor_cfg cfg = cfg_make(0, 2.048, 128);

	fake_init(&fb, FAKE_IGNORES_WRITES);
	sensor_setup(&s, &fb.fb.bus, &cfg);
	assert_int_equal(ads1115_driver.init(&s), -ENODEV);
	free(s.priv);
}

static void test_init_rejects_bad_setting(void **state)
{
	(void)state;
	struct fake_ads fb;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(4, 3.0, 128);

	fake_init(&fb, FAKE_GOOD);
	sensor_setup(&s, &fb.fb.bus, &cfg);
	assert_int_equal(ads1115_driver.init(&s), -EINVAL);
	free(s.priv);
}

static void test_read_times_out_when_conversion_never_ends(void **state)
{
	(void)state;
	struct fake_ads fb;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(4, 4.096, 860);
	struct sensor_values v;

	fake_init(&fb, FAKE_NEVER_DONE);
	sensor_setup(&s, &fb.fb.bus, &cfg);
	assert_int_equal(ads1115_driver.init(&s), 0);
	assert_int_equal(ads1115_driver.read(&s, &v), -ETIMEDOUT);
	free(s.priv);
}

static void test_read_refuses_result_of_a_reset_chip(void **state)
{
	(void)state;
	struct fake_ads fb;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(4, 4.096, 128);
	struct sensor_values v;

	fake_init(&fb, FAKE_RESETS);
	sensor_setup(&s, &fb.fb.bus, &cfg);
	assert_int_equal(ads1115_driver.init(&s), 0);
	/* OS=1 but the config is the power-on one: the conversion register is
	 * not the conversion we asked for. */
	assert_int_equal(ads1115_driver.read(&s, &v), -EIO);
	free(s.priv);
}

/* ---- Calibration: volts to kPa ---- */

static void test_calibration_table(void **state)
{
	(void)state;
	struct sensor_cfg cfg = cfg_make(4, 4.096, 128);
	/* Points (0 V, 0 kPa), (0.5, 5), (1.5, 25), (3.0, 40). Slopes: 10, 20
	 * and 10 kPa/V. Expected values by hand: */
	static const struct {
		double v, kpa;
	} rows[] = {
		{-0.2, 0.0},	/* below the first point: the first point's kPa */
		{0.0, 0.0},
		{0.25, 2.5},	/* 0 + 10 * 0.25 */
		{0.5, 5.0},
		{1.0, 15.0},	/* 5 + 20 * 0.5 */
		{1.5, 25.0},
		{2.0, 30.0},	/* 25 + 10 * 0.5 */
		{3.0, 40.0},
		{3.3, 43.0},	/* past the last point: 40 + 10 * 0.3 */
		{4.0, 50.0},	/* 40 + 10 * 1.0 */
	};

	cal_set(&cfg, &(struct config_calibration){ 4, { 0.0, 0.5, 1.5, 3.0 },
						   { 0.0, 5.0, 25.0, 40.0 } });
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_near(ads1115_volts_to_kpa(&cfg, rows[i].v), rows[i].kpa, 1e-9);
	assert_true(isnan(ads1115_volts_to_kpa(&cfg, NAN)));
}

static void test_calibration_first_point_above_zero(void **state)
{
	(void)state;
	struct sensor_cfg cfg = cfg_make(4, 4.096, 128);

	/* An FSR that only conducts from 0.2 V (1 kPa) on: 0.1 V is not 0 kPa
	 * extrapolated, it is the first point's 1 kPa. Slope 10 kPa/V. */
	cal_set(&cfg, &(struct config_calibration){ 2, { 0.2, 1.2 }, { 1.0, 11.0 } });
	assert_near(ads1115_volts_to_kpa(&cfg, 0.1), 1.0, 1e-9);
	assert_near(ads1115_volts_to_kpa(&cfg, 0.7), 6.0, 1e-9);	/* 1 + 10 * 0.5 */
	assert_near(ads1115_volts_to_kpa(&cfg, 2.2), 21.0, 1e-9);	/* 11 + 10 * 1.0 */
}

/* ---- The simulated chip, and the driver on the simulated bus ---- */

static const char scenario_text[] =
	"chip fsr ads1115 0x48\n"
	"at 0 fsr ain0_v 1.0\n"
	"at 0 fsr ain1_v 0.25\n"
	"at 10 fsr ain0_v 2.5\n"
	"at 10 fsr ain3_v -0.3\n"
	"fault 20 30 fsr nack\n"
	"fault 40 50 fsr absent\n";

static int sim_setup(void **state)
{
	return sim_rig_setup(state, scenario_text);
}

static void test_sim_power_on_registers(void **state)
{
	struct sim_rig *f = *state;

	f->now_s = 1;
	assert_int_equal(unit_reg16(f->bus, ADS_ADDR, 1), 0x8583);
	assert_int_equal(unit_reg16(f->bus, ADS_ADDR, 2), 0x8000);
	assert_int_equal(unit_reg16(f->bus, ADS_ADDR, 3), 0x7FFF);
	assert_int_equal(unit_reg16(f->bus, ADS_ADDR, 0), 0x0000);
}

static void test_sim_single_shot_needs_polling(void **state)
{
	struct sim_rig *f = *state;
	const uint8_t start[2] = {0xC3, 0x83};	/* AIN0, ±4.096 V, single shot */

	f->now_s = 1;
	assert_int_equal(f->bus->write(f->bus, ADS_ADDR, 1, start, 2), 0);
	/* Not finished yet: the conversion register still holds the old 0. */
	assert_int_equal(unit_reg16(f->bus, ADS_ADDR, 0), 0x0000);
	assert_int_equal(unit_reg16(f->bus, ADS_ADDR, 1), 0x4383);	/* OS=0: converting */
	assert_int_equal(unit_reg16(f->bus, ADS_ADDR, 1), 0xC383);	/* OS=1: done */
	assert_int_equal(unit_reg16(f->bus, ADS_ADDR, 0), 8000);	/* 1.000 V / 125 µV */
}

static void test_sim_driver_reads_scenario_voltage(void **state)
{
	struct sim_rig *f = *state;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(4, 4.096, 128);
	struct sensor_values v;

	sensor_setup(&s, f->bus, &cfg);
	f->now_s = 1;
	assert_int_equal(ads1115_driver.init(&s), 0);
	assert_int_equal(ads1115_driver.read(&s, &v), 0);
	assert_near(v.voltage_v, 1.0, 0.000125);
	f->now_s = 11;
	assert_int_equal(ads1115_driver.read(&s, &v), 0);
	assert_near(v.voltage_v, 2.5, 0.000125);
	free(s.priv);
}

static void test_sim_driver_differential_and_clipping(void **state)
{
	struct sim_rig *f = *state;
	struct sensor s;
	struct sensor_cfg diff = cfg_make(0, 2.048, 250);	/* AIN0 - AIN1 */
	struct sensor_cfg ain3 = cfg_make(7, 0.512, 860);
	struct sensor_values v;

	f->now_s = 1;
	sensor_setup(&s, f->bus, &diff);
	assert_int_equal(ads1115_driver.init(&s), 0);
	assert_int_equal(ads1115_driver.read(&s, &v), 0);
	assert_near(v.voltage_v, 1.0 - 0.25, 0.0000625);	/* LSB 62.5 µV */

	/* 2.5 - 0.25 = 2.25 V is beyond ±2.048 V: the code stops at 0x7FFF. */
	f->now_s = 11;
	assert_int_equal(ads1115_driver.read(&s, &v), 0);
	assert_int_equal(v.raw, 0x7FFF);
	free(s.priv);

	/* -0.3 V single-ended on ±0.512 V: -0.3 / 15.625 µV = code -19200. */
	sensor_setup(&s, f->bus, &ain3);
	assert_int_equal(ads1115_driver.init(&s), 0);
	assert_int_equal(ads1115_driver.read(&s, &v), 0);
	assert_int_equal((int16_t)v.raw, -19200);
	assert_near(v.voltage_v, -0.3, 0.000015625);
	free(s.priv);
}

static void test_sim_faults_and_recovery(void **state)
{
	struct sim_rig *f = *state;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(4, 4.096, 128);
	struct sensor_values v;

	sensor_setup(&s, f->bus, &cfg);
	sim_rig_chip_faults(f, &s, 25, 45);	/* the scenario's nack and absent windows */

	/* Back from power-on reset: init configures it again, reads are right. */
	f->now_s = 55;
	assert_int_equal(unit_reg16(f->bus, ADS_ADDR, 1), 0x8583);
	assert_int_equal(ads1115_driver.init(&s), 0);
	assert_int_equal(ads1115_driver.read(&s, &v), 0);
	assert_near(v.voltage_v, 2.5, 0.000125);
	free(s.priv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_word_ain0_4v096_128sps),
		cmocka_unit_test(test_config_word_matches_power_on_default),
		cmocka_unit_test(test_config_word_ain3_0v256_860sps),
		cmocka_unit_test(test_config_word_rejects_impossible_settings),
		cmocka_unit_test(test_read_writes_start_word_and_scales_code),
		cmocka_unit_test(test_stuck_detection_is_off),
		cmocka_unit_test(test_init_rejects_chip_that_ignores_config),
		cmocka_unit_test(test_init_rejects_bad_setting),
		cmocka_unit_test(test_read_times_out_when_conversion_never_ends),
		cmocka_unit_test(test_read_refuses_result_of_a_reset_chip),
		cmocka_unit_test(test_calibration_table),
		cmocka_unit_test(test_calibration_first_point_above_zero),
		cmocka_unit_test_setup_teardown(test_sim_power_on_registers, sim_setup, sim_rig_teardown),
		cmocka_unit_test_setup_teardown(test_sim_single_shot_needs_polling, sim_setup,
						sim_rig_teardown),
		cmocka_unit_test_setup_teardown(test_sim_driver_reads_scenario_voltage, sim_setup,
						sim_rig_teardown),
		cmocka_unit_test_setup_teardown(test_sim_driver_differential_and_clipping, sim_setup,
						sim_rig_teardown),
		cmocka_unit_test_setup_teardown(test_sim_faults_and_recovery, sim_setup, sim_rig_teardown),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
