/* The MCP9808 driver (drivers/mcp9808.c) and its simulated chip
 * (sensord/sim/sim_mcp9808.c). Ground truth is Microchip DS25095 as
 * summarised in docs/chips.md: T_A is a 13-bit two's complement count
 * of 0.0625 °C under three flag bits, IDs 0x0054 / 0x04, the resolution codes,
 * and 25 °C reading 0xC190 with the power-on limits of 0. */
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

#include "mcp9808.h"
#include "sensor.h"
#include "sim/sim.h"
#include "unit.h"

extern const struct sensor_driver mcp9808_driver;

#define MCP_ADDR 0x18

static struct sensor_cfg cfg_make(double resolution_c)
{
	const struct mcp9808_options o = { .resolution_c = resolution_c };

	return unit_sensor_cfg("mcp9808", MCP_ADDR, &o, sizeof(o));
}

static void sensor_setup(struct sensor *s, struct bus *bus, const struct sensor_cfg *cfg)
{
	unit_sensor_setup(s, &mcp9808_driver, bus, MCP_ADDR, cfg);
}

/* ---- Decoding T_A ---- */

static void test_decode_positive(void **state)
{
	(void)state;
	/* 0x0190 = 400 counts * 0.0625 = 25.0 °C; 0xC190 is the same reading
	 * with T_A >= T_CRIT and T_A > T_UPPER set (the power-on limits are 0). */
	assert_near(mcp9808_temp_decode(0x0190), 25.0, 0);
	assert_near(mcp9808_temp_decode(0xC190), 25.0, 0);
	assert_near(mcp9808_temp_decode(0x0001), 0.0625, 0);
	/* 0x0FFF = 4095 counts = 255.9375 °C, the top of the range */
	assert_near(mcp9808_temp_decode(0x0FFF), 255.9375, 0);
	assert_near(mcp9808_temp_decode(0x0000), 0.0, 0);
}

static void test_decode_negative(void **state)
{
	(void)state;
	/* 0x1FF0: sign bit 12 set; 0x1FF0 - 0x2000 = -16 counts = -1.0 °C. */
	assert_near(mcp9808_temp_decode(0x1FF0), -1.0, 0);
	/* 0x1E70 by the corrected Equation 5-1: Upper = 0x1E, Lower = 0x70;
	 * (0x1E & 0x0F) * 16 + 0x70 / 16 - 256 = 224 + 7 - 256 = -25 °C.
	 * (The printed branch, 256 - (224 + 7) = 25, gives |T|.) Check by
	 * counts: 0x1E70 - 0x2000 = -400 counts = -25.0 °C. */
	assert_near(mcp9808_temp_decode(0x1E70), -25.0, 0);
	/* The same reading with T_A < T_LOWER set, and with all flags set. */
	assert_near(mcp9808_temp_decode(0x3E70), -25.0, 0);
	assert_near(mcp9808_temp_decode(0xFE70), -25.0, 0);
	/* 0x1FFF = -1 count = -0.0625 °C; 0x1000 = -4096 counts = -256 °C. */
	assert_near(mcp9808_temp_decode(0x1FFF), -0.0625, 0);
	assert_near(mcp9808_temp_decode(0x1000), -256.0, 0);
}

static void test_resolution_codes(void **state)
{
	(void)state;
	uint8_t code = 0xFF;

	assert_int_equal(mcp9808_resolution_code(0.5, &code), 0);
	assert_int_equal(code, 0x00);
	assert_int_equal(mcp9808_resolution_code(0.25, &code), 0);
	assert_int_equal(code, 0x01);
	assert_int_equal(mcp9808_resolution_code(0.125, &code), 0);
	assert_int_equal(code, 0x02);
	assert_int_equal(mcp9808_resolution_code(0.0625, &code), 0);
	assert_int_equal(code, 0x03);
	assert_int_equal(mcp9808_resolution_code(0.1, &code), -EINVAL);
	assert_int_equal(mcp9808_resolution_code(1.0, &code), -EINVAL);
}

/* ---- A register-file bus: what the driver writes stays, reads see it ---- */

/* The registers 0x00..0x07 are 16 bits wide, 0x08 (resolution) is one
 * byte: the driver may write only CONFIG (0x01, a word) and the resolution. */
static int mcp_on_read(struct fake_bus *fb, uint8_t reg, uint8_t *buf, size_t len)
{
	(void)fb;
	(void)buf;
	if (reg == 0x08)
		assert_int_equal(len, 1);
	else
		assert_true(reg < 8 && len == 2);
	return 0;
}

static int mcp_on_write(struct fake_bus *fb, uint8_t reg, const uint8_t *buf, size_t len)
{
	(void)fb;
	(void)buf;
	if (reg == 0x08)
		return 0;
	assert_int_equal(reg, 0x01);	/* the driver writes only CONFIG */
	assert_int_equal(len, 2);
	return 0;
}

static void fake_init(struct fake_bus *fb)
{
	fake_bus_init(fb, MCP_ADDR, 2);
	fb->other_addr_fails_test = true;
	fb->on_read = mcp_on_read;
	fb->on_write = mcp_on_write;
	fb->regs[0x06] = 0x0054;
	fb->regs[0x07] = 0x0400;
	fb->regs[0x08] = 0x03;	/* resolution */
}

static void test_init_writes_resolution_byte(void **state)
{
	(void)state;
	static const struct {
		double resolution_c;
		uint8_t code;
		unsigned conversion_ms;	/* typical t_CONV for it */
	} rows[] = {{0.5, 0x00, 30}, {0.25, 0x01, 65}, {0.125, 0x02, 130}, {0.0625, 0x03, 250}};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fake_bus fb;
		struct sensor s;
		struct sensor_cfg cfg = cfg_make(rows[i].resolution_c);

		fake_init(&fb);
		fb.regs[0x08] = rows[i].code == 0x03 ? 0x00 : 0x03;	/* something else */
		sensor_setup(&s, &fb.bus, &cfg);
		assert_int_equal(mcp9808_driver.init(&s), 0);
		assert_int_equal(fake_bus_writes_to(&fb, 0x08), 1);
		assert_int_equal(fake_bus_last_write(&fb, 0x08)->len, 1);	/* an 8-bit register */
		assert_int_equal(fb.regs[0x08], rows[i].code);
		/* The first reading must come from a conversion at this resolution. */
		assert_true(fb.waited_us >= rows[i].conversion_ms * 1000u);
		assert_int_equal(fake_bus_writes_to(&fb, 0x01), 0);	/* already converting */
		free(s.priv);
	}
}

static void test_init_leaves_shutdown(void **state)
{
	(void)state;
	struct fake_bus fb;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(0.0625);

	fake_init(&fb);
	fb.regs[0x01] = 0x0100 | 0x0006;	/* SHDN, plus alert bits to keep */
	sensor_setup(&s, &fb.bus, &cfg);
	assert_int_equal(mcp9808_driver.init(&s), 0);
	assert_int_equal(fb.regs[0x01], 0x0006);
	free(s.priv);
}

static void test_init_rejects_wrong_ids(void **state)
{
	(void)state;
	struct fake_bus fb;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(0.0625);

	sensor_setup(&s, &fb.bus, &cfg);

	fake_init(&fb);
	fb.regs[0x06] = 0x5400;	/* the right ID, byte-swapped (SMBus word order) */
	assert_int_equal(mcp9808_driver.init(&s), -ENODEV);

	fake_init(&fb);
	fb.regs[0x07] = 0x0500;	/* another device of the same maker */
	assert_int_equal(mcp9808_driver.init(&s), -ENODEV);

	fake_init(&fb);
	fb.regs[0x07] = 0x0401;	/* a later silicon revision is still an MCP9808 */
	assert_int_equal(mcp9808_driver.init(&s), 0);

	fake_init(&fb);
	struct sensor_cfg bad = cfg_make(0.1);
	s.cfg = &bad;
	assert_int_equal(mcp9808_driver.init(&s), -EINVAL);
	free(s.priv);
}

static void test_read_fills_values(void **state)
{
	(void)state;
	struct fake_bus fb;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(0.0625);
	struct sensor_values v;

	fake_init(&fb);
	sensor_setup(&s, &fb.bus, &cfg);
	assert_int_equal(mcp9808_driver.init(&s), 0);
	fb.regs[0x05] = 0xC190;
	assert_int_equal(mcp9808_driver.read(&s, &v), 0);
	assert_near(v.temperature_c, 25.0, 0);
	assert_int_equal(v.raw, 0xC190);
	assert_true(isnan(v.pressure_pa));
	assert_true(isnan(v.humidity_pct));
	assert_true(isnan(v.voltage_v));
	fb.regs[0x05] = 0x3E70;
	assert_int_equal(mcp9808_driver.read(&s, &v), 0);
	assert_near(v.temperature_c, -25.0, 0);
	assert_int_equal(mcp9808_driver.stuck_samples, 0);
	free(s.priv);
}

/* ---- The simulated chip, and the driver on the simulated bus ---- */

static const char scenario_text[] =
	"chip skin mcp9808 0x18\n"
	"at 0 skin temperature_c 25\n"
	"at 10 skin temperature_c -10.3\n"
	"at 20 skin temperature_c 38.27\n"
	"fault 30 40 skin nack\n"
	"fault 50 60 skin absent\n";

static int sim_setup(void **state)
{
	return sim_rig_setup(state, scenario_text);
}

static void sim_reg_write(struct bus *bus, uint8_t reg, uint16_t value)
{
	const uint8_t buf[2] = {(uint8_t)(value >> 8), (uint8_t)value};

	assert_int_equal(bus->write(bus, MCP_ADDR, reg, buf, 2), 0);
}

static void test_sim_power_on_registers(void **state)
{
	struct sim_rig *f = *state;
	uint8_t res = 0;

	f->now_s = 1;
	assert_int_equal(unit_reg16(f->bus, MCP_ADDR, 0x06), 0x0054);
	assert_int_equal(unit_reg16(f->bus, MCP_ADDR, 0x07), 0x0400);
	assert_int_equal(unit_reg16(f->bus, MCP_ADDR, 0x01), 0x0000);
	assert_int_equal(unit_reg16(f->bus, MCP_ADDR, 0x02), 0x0000);
	assert_int_equal(unit_reg16(f->bus, MCP_ADDR, 0x04), 0x0000);
	assert_int_equal(f->bus->read(f->bus, MCP_ADDR, 0x08, &res, 1), 0);
	assert_int_equal(res, 0x03);
	/* 25 °C with all limits 0: T_A >= T_CRIT and T_A > T_UPPER [docs/chips.md]. */
	assert_int_equal(unit_reg16(f->bus, MCP_ADDR, 0x05), 0xC190);
}

static void test_sim_flags_follow_limits(void **state)
{
	struct sim_rig *f = *state;

	f->now_s = 21;	/* 38.27 °C -> 38.25 at 0.0625 °C = 612 counts = 0x264 */
	sim_reg_write(f->bus, 0x02, 0x01E0);	/* T_UPPER 30 °C = 480 / 16 */
	sim_reg_write(f->bus, 0x04, 0x0280);	/* T_CRIT 40 °C = 640 / 16 */
	assert_int_equal(unit_reg16(f->bus, MCP_ADDR, 0x05), 0x4264);	/* above upper only */
	sim_reg_write(f->bus, 0x03, 0x0320);	/* T_LOWER 50 °C */
	assert_int_equal(unit_reg16(f->bus, MCP_ADDR, 0x05), 0x6264);	/* and below lower */

	/* At the limits exactly: T_A >= T_CRIT holds, T_A > T_UPPER does not. */
	f->now_s = 1;	/* 25 °C = 400 counts = 0x190 */
	sim_reg_write(f->bus, 0x03, 0x0000);
	sim_reg_write(f->bus, 0x02, 0x0190);
	sim_reg_write(f->bus, 0x04, 0x0190);
	assert_int_equal(unit_reg16(f->bus, MCP_ADDR, 0x05), 0x8190);

	f->now_s = 11;	/* -10.3 °C: floor(-164.8) = -165 counts = 0x2000 - 165 = 0x1F5B */
	sim_reg_write(f->bus, 0x03, 0x1F60);	/* T_LOWER -10 °C: 0x2000 - 160 */
	assert_int_equal(unit_reg16(f->bus, MCP_ADDR, 0x05), 0x3F5B);	/* below lower */
}

static void test_sim_driver_reads_scenario_temperature(void **state)
{
	struct sim_rig *f = *state;
	struct sensor s;
	struct sensor_cfg fine = cfg_make(0.0625);
	struct sensor_cfg coarse = cfg_make(0.5);
	struct sensor_values v;

	sensor_setup(&s, f->bus, &fine);
	f->now_s = 1;
	assert_int_equal(mcp9808_driver.init(&s), 0);
	assert_int_equal(mcp9808_driver.read(&s, &v), 0);
	assert_near(v.temperature_c, 25.0, 0);
	assert_int_equal(v.raw, 0xC190);
	f->now_s = 11;
	assert_int_equal(mcp9808_driver.read(&s, &v), 0);
	assert_near(v.temperature_c, -10.3, 0.0625);

	s.cfg = &coarse;
	assert_int_equal(mcp9808_driver.init(&s), 0);
	f->now_s = 21;
	assert_int_equal(mcp9808_driver.read(&s, &v), 0);
	/* 38.27 °C at 0.5 °C steps: within one step, and on a step. */
	assert_near(v.temperature_c, 38.27, 0.5);
	assert_near(fmod(v.temperature_c, 0.5), 0.0, 0);
	free(s.priv);
}

static void test_sim_shutdown_freezes_until_init(void **state)
{
	struct sim_rig *f = *state;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(0.0625);
	struct sensor_values v;

	f->now_s = 1;
	sim_reg_write(f->bus, 0x01, 0x0100);	/* SHDN at 25 °C */
	f->now_s = 21;
	assert_int_equal(unit_reg16(f->bus, MCP_ADDR, 0x05), 0xC190);	/* still 25 °C */

	sensor_setup(&s, f->bus, &cfg);
	assert_int_equal(mcp9808_driver.init(&s), 0);
	assert_int_equal(unit_reg16(f->bus, MCP_ADDR, 0x01), 0x0000);
	assert_int_equal(mcp9808_driver.read(&s, &v), 0);
	assert_near(v.temperature_c, 38.27, 0.0625);
	free(s.priv);
}

static void test_sim_faults_and_recovery(void **state)
{
	struct sim_rig *f = *state;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(0.5);
	struct sensor_values v;

	sensor_setup(&s, f->bus, &cfg);
	sim_rig_chip_faults(f, &s, 35, 55);	/* the scenario's nack and absent windows */

	/* Back from power-on reset at 0.0625 °C: 38.27 reads 38.25, off the
	 * configured 0.5 °C grid, until init sets the resolution again. */
	f->now_s = 61;
	assert_int_equal(mcp9808_driver.read(&s, &v), 0);
	assert_near(v.temperature_c, 38.25, 0);
	assert_int_equal(mcp9808_driver.init(&s), 0);
	assert_int_equal(mcp9808_driver.read(&s, &v), 0);
	assert_near(v.temperature_c, 38.0, 0);	/* floor(38.27 / 0.5) * 0.5 */
	free(s.priv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_positive),
		cmocka_unit_test(test_decode_negative),
		cmocka_unit_test(test_resolution_codes),
		cmocka_unit_test(test_init_writes_resolution_byte),
		cmocka_unit_test(test_init_leaves_shutdown),
		cmocka_unit_test(test_init_rejects_wrong_ids),
		cmocka_unit_test(test_read_fills_values),
		cmocka_unit_test_setup_teardown(test_sim_power_on_registers, sim_setup, sim_rig_teardown),
		cmocka_unit_test_setup_teardown(test_sim_flags_follow_limits, sim_setup, sim_rig_teardown),
		cmocka_unit_test_setup_teardown(test_sim_driver_reads_scenario_temperature, sim_setup,
						sim_rig_teardown),
		cmocka_unit_test_setup_teardown(test_sim_shutdown_freezes_until_init, sim_setup,
						sim_rig_teardown),
		cmocka_unit_test_setup_teardown(test_sim_faults_and_recovery, sim_setup, sim_rig_teardown),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
