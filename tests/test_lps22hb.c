/* Tests of drivers/lps22hb.c and its simulated chip (sim/sim_lps22hb.c).
 * Ground truth: the datasheet's conversions (DocID027083 §3.1: 4096 LSB/hPa,
 * 100 LSB/°C; §9: 24- and 16-bit two's complement, LSB first), with the
 * bytes worked out by hand in each comment, and the scenario's physics. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include "config.h"
#include "lps22hb.h"
#include "sensor.h"
#include "sim/sim.h"
#include "unit.h"

extern const struct sensor_driver lps22hb_driver;

#define LPS_ADDR 0x5C

static struct sensor_cfg cfg_make(unsigned lowpass)
{
	const struct lps22hb_options o = { .lowpass = lowpass };

	return unit_sensor_cfg("lps22hb", LPS_ADDR, &o, sizeof(o));
}

/* ---- decoding ---- */

static void test_decode_pressure(void **state)
{
	(void)state;
	/* 0x400000 = 4194304 counts / 4096 = 1024 hPa exactly. */
	assert_near(lps22hb_pressure_pa((const uint8_t[]){0x00, 0x00, 0x40}), 102400.0, 0);
	/* 0x3FF58D = 4191629 counts / 4096 = 1023.3469... hPa. */
	assert_near(lps22hb_pressure_pa((const uint8_t[]){0x8D, 0xF5, 0x3F}), 4191629 / 40.96, 1e-9);
	/* One count is 1/4096 hPa = 0.0244 Pa. */
	assert_near(lps22hb_pressure_pa((const uint8_t[]){0x01, 0x00, 0x00}), 100.0 / 4096, 1e-12);
	/* Bit 23 is the sign: 0xC00000 = -4194304 counts. */
	assert_near(lps22hb_pressure_pa((const uint8_t[]){0x00, 0x00, 0xC0}), -102400.0, 0);
	assert_near(lps22hb_pressure_pa((const uint8_t[]){0xFF, 0xFF, 0xFF}), -100.0 / 4096, 1e-12);
}

static void test_decode_temperature(void **state)
{
	(void)state;
	/* 0x09C4 = 2500 counts / 100 = 25 °C; 0xF63C = -2500. */
	assert_near(lps22hb_temperature_c((const uint8_t[]){0xC4, 0x09}), 25.0, 0);
	assert_near(lps22hb_temperature_c((const uint8_t[]){0x3C, 0xF6}), -25.0, 0);
	assert_near(lps22hb_temperature_c((const uint8_t[]){0xFF, 0x7F}), 327.67, 1e-9);
	assert_near(lps22hb_temperature_c((const uint8_t[]){0x00, 0x80}), -327.68, 1e-9);
}

/* ---- the driver on a scripted bus ---- */

/* A chip that finishes a reset or a measurement at once (self_clear), or
 * never (a chip that hangs); a measurement ends with STATUS shot_status. */
static bool self_clear;
static uint8_t shot_status;

static int lps_on_write(struct fake_bus *fb, uint8_t reg, const uint8_t *buf, size_t len)
{
	if (reg != LPS22HB_REG_CTRL_REG2 || len != 1 || !self_clear)
		return 0;
	if (buf[0] & LPS22HB_CTRL2_ONE_SHOT)
		fb->regs[LPS22HB_REG_STATUS] = shot_status;
	fb->regs[reg] = buf[0] & (uint8_t)~(LPS22HB_CTRL2_SWRESET | LPS22HB_CTRL2_ONE_SHOT);
	return 0;
}

static void fake_setup(struct fake_bus *fb)
{
	fake_bus_init(fb, LPS_ADDR, 1);
	fb->on_write = lps_on_write;
	fb->regs[LPS22HB_REG_WHO_AM_I] = LPS22HB_ID;
	fb->regs[LPS22HB_REG_CTRL_REG2] = LPS22HB_CTRL2_IF_ADD_INC;
	self_clear = true;
	shot_status = LPS22HB_STATUS_P_DA | LPS22HB_STATUS_T_DA;
}

static void test_init(void **state)
{
	(void)state;
	struct fake_bus fb;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(2);	/* "odr/20" */

	fake_setup(&fb);
	unit_sensor_setup(&s, &lps22hb_driver, &fb.bus, LPS_ADDR, &cfg);
	assert_int_equal(lps22hb_driver.init(&s), 0);
	/* Reset first (IF_ADD_INC kept), then the filter, ODR 000, BDU 0. */
	assert_int_equal(fb.n_writes, 2);
	assert_int_equal(fb.writes[0].reg, LPS22HB_REG_CTRL_REG2);
	assert_int_equal(fb.writes[0].value, 0x14);
	assert_int_equal(fb.writes[1].reg, LPS22HB_REG_CTRL_REG1);
	assert_int_equal(fb.writes[1].value, 0x0C);	/* EN_LPFP | LPFP_CFG */

	/* Another chip of the family: the LPS22HH answers 0xB3. */
	fb.regs[LPS22HB_REG_WHO_AM_I] = 0xB3;
	assert_int_equal(lps22hb_driver.init(&s), -ENODEV);
	fb.regs[LPS22HB_REG_WHO_AM_I] = LPS22HB_ID;

	/* A reset that never ends, polled 1 ms apart. */
	self_clear = false;
	fb.waited_us = 0;
	assert_int_equal(lps22hb_driver.init(&s), -ETIMEDOUT);
	assert_true(fb.waited_us >= 10000);

	/* A bus error is passed up as it is. */
	fb.read_errno = EREMOTEIO;
	assert_int_equal(lps22hb_driver.init(&s), -EREMOTEIO);
	free(s.priv);
}

static void test_read(void **state)
{
	(void)state;
	struct fake_bus fb;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(0);
	struct sensor_values v;
	/* 1013.25 hPa = 4150272 counts = 0x3F5400; 21.5 °C = 2150 = 0x0866. */
	const uint8_t out[5] = { 0x00, 0x54, 0x3F, 0x66, 0x08 };

	fake_setup(&fb);
	unit_sensor_setup(&s, &lps22hb_driver, &fb.bus, LPS_ADDR, &cfg);
	assert_true(lps22hb_driver.read(&s, &v) < 0);	/* before init */
	assert_int_equal(lps22hb_driver.init(&s), 0);
	/* "lowpass": "off": power-down (one-shot), no filter. */
	assert_int_equal(fake_bus_last_write(&fb, LPS22HB_REG_CTRL_REG1)->value, 0x00);

	fake_bus_set_bytes(&fb, LPS22HB_REG_PRESS_OUT_XL, out, sizeof(out));
	assert_int_equal(lps22hb_driver.read(&s, &v), 0);
	assert_near(v.pressure_pa, 101325.0, 0);
	assert_near(v.temperature_c, 21.5, 1e-12);
	assert_true(isnan(v.humidity_pct));
	assert_true(isnan(v.voltage_v));
	assert_int_equal(v.raw, 0x3F54000866ull);
	assert_near(lps22hb_driver.pressure_kpa(&s, &v), 101.325, 1e-12);
	assert_int_equal(fake_bus_last_write(&fb, LPS22HB_REG_CTRL_REG2)->value, 0x11);

	/* A measurement that ended without both kinds of new data. */
	shot_status = LPS22HB_STATUS_P_DA;
	assert_int_equal(lps22hb_driver.read(&s, &v), -EIO);

	/* A measurement that never ends, polled 1 ms apart for 50 ms. */
	self_clear = false;
	fb.waited_us = 0;
	assert_int_equal(lps22hb_driver.read(&s, &v), -ETIMEDOUT);
	assert_true(fb.waited_us >= 50000);
	free(s.priv);
}

/* ---- the configuration takes the chip's key from its driver ---- */

static void test_config_lowpass(void **state)
{
	(void)state;
	static struct rs_config cfg;
	struct lps22hb_options o;
	char err[512];
	const char *ok = "{\"device_id\": \"t\", \"sensord\": {\"sensors\": [{\"driver\": \"lps22hb\", "
			 "\"bus\": \"/dev/i2c-1\", \"address\": \"0x5d\", \"provides\": [\"pressure_kpa\"], "
			 "\"lowpass\": \"odr/9\"}]}}";
	const char *bad = "{\"device_id\": \"t\", \"sensord\": {\"sensors\": [{\"driver\": \"bmp280\", "
			  "\"bus\": \"/dev/i2c-1\", \"address\": \"0x76\", \"lowpass\": \"odr/9\"}]}}";

	assert_int_equal(config_parse(ok, strlen(ok), "c.json", "/", &cfg, err, sizeof(err)), 0);
	memcpy(&o, cfg.sensord.sensors[0].options, sizeof(o));
	assert_int_equal(o.lowpass, 1);
	assert_int_equal(config_parse(bad, strlen(bad), "c.json", "/", &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "c.json: sensord.sensors[0].lowpass: does not apply to driver bmp280 "
				 "(it is a setting of lps22hb)");
}

/* ---- the driver on the simulated chip ---- */

static const char scenario_text[] =
	"chip ball lps22hb 0x5c sealed\n"
	"noise ball pressure_pa 0\n"
	"noise ball temperature_c 0\n"
	"at 0 ball temperature_c 20\n"
	"at 10 ball load_kpa 12.5\n"
	"at 20 ball temperature_c 49.3\n"
	"fault 30 40 ball absent\n";

static int sim_setup(void **state)
{
	return sim_rig_setup(state, scenario_text);
}

/* Half a count either way of the rounding in the model: 4096 counts per hPa
 * [§3.1]. */
#define TOL_PA (0.5 / 40.96)

static void test_sim_scenario(void **state)
{
	struct sim_rig *f = *state;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(1);
	struct sensor_values v;
	uint8_t ctrl1;

	unit_sensor_setup(&s, &lps22hb_driver, f->bus, LPS_ADDR, &cfg);
	f->now_s = 1;
	assert_int_equal(lps22hb_driver.init(&s), 0);
	/* "lowpass": "odr/9": EN_LPFP with LPFP_CFG clear. */
	assert_int_equal(f->bus->read(f->bus, LPS_ADDR, LPS22HB_REG_CTRL_REG1, &ctrl1, 1), 0);
	assert_int_equal(ctrl1, 0x08);
	assert_int_equal(lps22hb_driver.read(&s, &v), 0);
	assert_near(v.pressure_pa, 101325.0, TOL_PA);
	assert_near(v.temperature_c, 20.0, 0.005);

	/* Each read is a new measurement: the load is there at once. */
	f->now_s = 11;
	assert_int_equal(lps22hb_driver.read(&s, &v), 0);
	assert_near(v.pressure_pa, 101325.0 + 12500.0, TOL_PA);

	/* Sealed: the air's pressure follows its absolute temperature, the
	 * load adds on top: 101325 * 322.45 / 293.15 + 12500. */
	f->now_s = 21;
	assert_int_equal(lps22hb_driver.read(&s, &v), 0);
	assert_near(v.pressure_pa, 101325.0 * (49.3 + 273.15) / (20 + 273.15) + 12500.0, TOL_PA);
	assert_near(v.temperature_c, 49.3, 0.005);

	/* Off the bus, then back from power-on reset without the filter:
	 * refused until init sets it again. */
	f->now_s = 35;
	assert_int_equal(lps22hb_driver.read(&s, &v), -EREMOTEIO);
	f->now_s = 41;
	assert_int_equal(lps22hb_driver.read(&s, &v), -EIO);
	assert_int_equal(lps22hb_driver.init(&s), 0);
	assert_int_equal(lps22hb_driver.read(&s, &v), 0);
	assert_near(v.temperature_c, 49.3, 0.005);
	free(s.priv);
}

/* The model makes a driver wait: right after ONE_SHOT the chip is still
 * measuring and the outputs hold the old result. */
static void test_sim_one_shot_takes_a_read(void **state)
{
	struct sim_rig *f = *state;
	struct bus *bus = f->bus;
	uint8_t b[6];

	f->now_s = 1;
	assert_int_equal(bus->read(bus, LPS_ADDR, LPS22HB_REG_WHO_AM_I, b, 1), 0);
	assert_int_equal(b[0], LPS22HB_ID);
	assert_int_equal(bus->read(bus, LPS_ADDR, LPS22HB_REG_CTRL_REG1, b, 2), 0);
	assert_int_equal(b[0], 0x00);
	assert_int_equal(b[1], 0x10);

	assert_int_equal(bus->write(bus, LPS_ADDR, LPS22HB_REG_CTRL_REG2, (const uint8_t[]){0x11}, 1), 0);
	assert_int_equal(bus->read(bus, LPS_ADDR, LPS22HB_REG_CTRL_REG2, b, 1), 0);
	assert_int_equal(b[0], 0x11);	/* measuring */
	assert_int_equal(bus->read(bus, LPS_ADDR, LPS22HB_REG_STATUS, b, 6), 0);
	assert_int_equal(b[0], 0x03);
	/* 101325 Pa = 4150272 counts = 0x3F5400; 20 °C = 2000 = 0x07D0. */
	assert_memory_equal(&b[1], ((const uint8_t[]){0x00, 0x54, 0x3F, 0xD0, 0x07}), 5);
	/* Reading PRESS_OUT_H and TEMP_OUT_H cleared both flags. */
	assert_int_equal(bus->read(bus, LPS_ADDR, LPS22HB_REG_STATUS, b, 1), 0);
	assert_int_equal(b[0], 0x00);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_pressure),
		cmocka_unit_test(test_decode_temperature),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_config_lowpass),
		cmocka_unit_test_setup_teardown(test_sim_scenario, sim_setup, sim_rig_teardown),
		cmocka_unit_test_setup_teardown(test_sim_one_shot_takes_a_read, sim_setup,
						sim_rig_teardown),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
