/* Tests of drivers/mpu6050.c and its simulated chip (sim/sim_mpu6050.c).
 * Ground truth: the datasheet's sensitivity tables (PS-MPU-6000A-00 rev 3.4
 * §6.1: 131, 65.5, 32.8, 16.4 LSB per °/s at ±250, 500, 1000, 2000 °/s;
 * §6.2: 16384, 8192, 4096, 2048 LSB per g at ±2, 4, 8, 16 g), the register
 * map (RM-MPU-6000A-00 rev 4.2: WHO_AM_I 0x68 [§4.32], PWR_MGMT_1 0x40 at
 * power-on [§3]), with each raw value worked out by hand in its comment,
 * and the scenario each test scripts. */
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
#include "mpu6050.h"
#include "sensor.h"
#include "sim/sim.h"
#include "unit.h"

extern const struct sensor_driver mpu6050_driver;

#define MPU_ADDR 0x68

static struct sensor_cfg cfg_make(double gyro_dps, double accel_g, double lowpass_hz,
				  double rate_hz)
{
	const struct mpu6050_options o = { .gyro_range_dps = gyro_dps, .accel_range_g = accel_g,
					   .lowpass_hz = lowpass_hz, .rate_hz = rate_hz };

	return unit_sensor_cfg("mpu6050", MPU_ADDR, &o, sizeof(o));
}

/* ---- conversion: the datasheet's sensitivities at each full scale ---- */

static double gyro(uint16_t raw, unsigned fs)
{
	const uint8_t hl[2] = { (uint8_t)(raw >> 8), (uint8_t)raw };

	return mpu6050_gyro_dps(hl, fs);
}

static double accel(uint16_t raw, unsigned afs)
{
	const uint8_t hl[2] = { (uint8_t)(raw >> 8), (uint8_t)raw };

	return mpu6050_accel_g(hl, afs);
}

static void test_gyro_sensitivity(void **state)
{
	(void)state;
	/* ±250 °/s: 131 LSB per °/s, so 131 = 0x0083 is 1 °/s. */
	assert_near(gyro(0x0083, 0), 1.0, 1e-12);
	assert_near(gyro(0xFF7D, 0), -1.0, 1e-12);	/* -131 */
	assert_near(gyro(0x7FFF, 0), 32767 / 131.0, 1e-12);	/* 250.13: the top */
	/* ±500 °/s: 65.5 LSB per °/s: 131 is 2 °/s, 2620 = 0x0A3C is 40 °/s. */
	assert_near(gyro(0x0083, 1), 2.0, 1e-12);
	assert_near(gyro(0x0A3C, 1), 40.0, 1e-12);
	/* ±1000 °/s: 32.8 LSB per °/s: 328 = 0x0148 is 10 °/s. */
	assert_near(gyro(0x0148, 2), 10.0, 1e-12);
	/* ±2000 °/s: 16.4 LSB per °/s: 164 = 0x00A4 is 10 °/s; -32768 is
	 * -1998.05 °/s, the bottom. */
	assert_near(gyro(0x00A4, 3), 10.0, 1e-12);
	assert_near(gyro(0x8000, 3), -32768 / 16.4, 1e-9);
}

static void test_accel_sensitivity(void **state)
{
	(void)state;
	/* 16384 = 0x4000 is 1 g at ±2 g, 2 g at ±4 g; 4096 = 0x1000 is 1 g at
	 * ±8 g, 2048 = 0x0800 1 g at ±16 g; 0xC000 = -16384. */
	assert_near(accel(0x4000, 0), 1.0, 0);
	assert_near(accel(0xC000, 0), -1.0, 0);
	assert_near(accel(0x4000, 1), 2.0, 0);
	assert_near(accel(0x2000, 1), 1.0, 0);
	assert_near(accel(0x1000, 2), 1.0, 0);
	assert_near(accel(0x0800, 3), 1.0, 0);
	assert_near(accel(0x7FFF, 3), 32767 / 2048.0, 1e-12);
}

static void test_setting_codes(void **state)
{
	(void)state;
	uint8_t code = 0xAA;

	/* FS_SEL, AFS_SEL, DLPF_CFG are places in the datasheet's tables. */
	assert_int_equal(mpu6050_gyro_fs_code(250, &code), 0);
	assert_int_equal(code, 0);
	assert_int_equal(mpu6050_gyro_fs_code(2000, &code), 0);
	assert_int_equal(code, 3);
	assert_int_equal(mpu6050_gyro_fs_code(300, &code), -EINVAL);
	assert_int_equal(mpu6050_accel_fs_code(8, &code), 0);
	assert_int_equal(code, 2);
	assert_int_equal(mpu6050_accel_fs_code(3, &code), -EINVAL);
	assert_int_equal(mpu6050_dlpf_code(256, &code), 0);
	assert_int_equal(code, 0);
	assert_int_equal(mpu6050_dlpf_code(5, &code), 0);
	assert_int_equal(code, 6);
	assert_int_equal(mpu6050_dlpf_code(7, &code), -EINVAL);
	/* Sample rate = gyro rate / (1 + SMPLRT_DIV): 1 kHz with the filter
	 * on, 8 kHz with DLPF_CFG 0 [RM §4.2]. */
	assert_int_equal(mpu6050_smplrt_div(100, 4, &code), 0);
	assert_int_equal(code, 9);
	assert_int_equal(mpu6050_smplrt_div(1000, 1, &code), 0);
	assert_int_equal(code, 0);
	assert_int_equal(mpu6050_smplrt_div(1000, 0, &code), 0);
	assert_int_equal(code, 7);
	assert_int_equal(mpu6050_smplrt_div(50, 0, &code), 0);
	assert_int_equal(code, 159);
	assert_int_equal(mpu6050_smplrt_div(30, 4, &code), -EINVAL);
}

/* ---- the driver on a scripted bus ---- */

/* A chip whose DEVICE_RESET clears itself (self_clear) or never does. */
static bool self_clear;

static int mpu_on_write(struct fake_bus *fb, uint8_t reg, const uint8_t *buf, size_t len)
{
	if (reg == MPU6050_REG_PWR_MGMT_1 && len == 1 && (buf[0] & MPU6050_PWR1_DEVICE_RESET) &&
	    self_clear)
		fb->regs[reg] = MPU6050_PWR1_SLEEP;
	return 0;
}

static void fake_setup(struct fake_bus *fb)
{
	fake_bus_init(fb, MPU_ADDR, 1);
	fb->on_write = mpu_on_write;
	fb->regs[MPU6050_REG_WHO_AM_I] = MPU6050_ID;
	fb->regs[MPU6050_REG_PWR_MGMT_1] = MPU6050_PWR1_SLEEP;
	self_clear = true;
}

static void test_init_configures(void **state)
{
	(void)state;
	struct fake_bus fb;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(1000, 4, 42, 200);

	fake_setup(&fb);
	unit_sensor_setup(&s, &mpu6050_driver, &fb.bus, MPU_ADDR, &cfg);
	assert_int_equal(mpu6050_driver.init(&s), 0);
	/* Reset, then awake on the X gyro's clock. */
	assert_int_equal(fb.writes[0].reg, MPU6050_REG_PWR_MGMT_1);
	assert_int_equal(fb.writes[0].value, 0x80);
	assert_int_equal(fb.writes[1].reg, MPU6050_REG_PWR_MGMT_1);
	assert_int_equal(fb.writes[1].value, 0x01);
	/* 200 Hz at 1 kHz: SMPLRT_DIV 4; 42 Hz: DLPF_CFG 3; ±1000 °/s:
	 * FS_SEL 2 = 0x10; ±4 g: AFS_SEL 1 = 0x08. */
	assert_int_equal(fb.regs[MPU6050_REG_SMPLRT_DIV], 4);
	assert_int_equal(fb.regs[MPU6050_REG_CONFIG], 3);
	assert_int_equal(fb.regs[MPU6050_REG_GYRO_CONFIG], 0x10);
	assert_int_equal(fb.regs[MPU6050_REG_ACCEL_CONFIG], 0x08);
	/* The gyro's 30 ms of start-up were waited [PS §6.1]. */
	assert_true(fb.waited_us >= 30000);
	free(s.priv);
}

static void test_init_refuses_other_chips(void **state)
{
	(void)state;
	struct fake_bus fb;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(500, 2, 20, 100);
	struct sensor_values v;

	fake_setup(&fb);
	unit_sensor_setup(&s, &mpu6050_driver, &fb.bus, MPU_ADDR, &cfg);
	/* The MPU-6500 answers 0x70, the MPU-9250 0x71: not this chip, and
	 * nothing is written to them. */
	fb.regs[MPU6050_REG_WHO_AM_I] = 0x70;
	assert_int_equal(mpu6050_driver.init(&s), -ENODEV);
	fb.regs[MPU6050_REG_WHO_AM_I] = 0x71;
	assert_int_equal(mpu6050_driver.init(&s), -ENODEV);
	assert_int_equal(fb.n_writes, 0);
	/* And no values from a chip that was refused. */
	assert_int_equal(mpu6050_driver.read(&s, &v), -EIO);
	free(s.priv);
}

static void test_init_reset_and_bus_faults(void **state)
{
	(void)state;
	struct fake_bus fb;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(500, 2, 20, 100);
	struct sensor_cfg bad = cfg_make(300, 2, 20, 100);

	fake_setup(&fb);
	unit_sensor_setup(&s, &mpu6050_driver, &fb.bus, MPU_ADDR, &cfg);
	/* A reset that never ends: polled 10 ms apart for 100 ms. */
	self_clear = false;
	assert_int_equal(mpu6050_driver.init(&s), -ETIMEDOUT);
	assert_true(fb.waited_us >= 100000);
	self_clear = true;
	/* A bus error is passed up as it is. */
	fb.read_errno = EREMOTEIO;
	assert_int_equal(mpu6050_driver.init(&s), -EREMOTEIO);
	fb.read_errno = 0;
	fb.write_errno = EIO;
	assert_int_equal(mpu6050_driver.init(&s), -EIO);
	fb.write_errno = 0;
	/* A setting the chip cannot do. */
	s.cfg = &bad;
	assert_int_equal(mpu6050_driver.init(&s), -EINVAL);
	free(s.priv);
}

static void test_read_converts_all_axes(void **state)
{
	(void)state;
	struct fake_bus fb;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(250, 2, 20, 100);
	struct sensor_values v;
	uint64_t raw;
	/* accel 1 g, -0.5 g, 0.25 g at ±2 g: 0x4000, 0xE000, 0x1000; TEMP_OUT 0;
	 * gyro 1, -2, 40 °/s at ±250: 131 = 0x0083, -262 = 0xFEFA, 5240 = 0x1478. */
	const uint8_t out[14] = { 0x40, 0x00, 0xE0, 0x00, 0x10, 0x00, 0x00, 0x00,
				  0x00, 0x83, 0xFE, 0xFA, 0x14, 0x78 };

	fake_setup(&fb);
	unit_sensor_setup(&s, &mpu6050_driver, &fb.bus, MPU_ADDR, &cfg);
	assert_int_equal(mpu6050_driver.read(&s, &v), -EIO);	/* before init */
	assert_int_equal(mpu6050_driver.init(&s), 0);
	fake_bus_set_bytes(&fb, MPU6050_REG_ACCEL_XOUT_H, out, sizeof(out));
	assert_int_equal(mpu6050_driver.read(&s, &v), 0);
	assert_near(v.gyro_dps[0], 1.0, 1e-12);
	assert_near(v.gyro_dps[1], -2.0, 1e-12);
	assert_near(v.gyro_dps[2], 40.0, 1e-12);
	assert_near(v.accel_g[0], 1.0, 0);
	assert_near(v.accel_g[1], -0.5, 0);
	assert_near(v.accel_g[2], 0.25, 0);
	assert_true(isnan(v.pressure_pa));
	assert_true(isnan(v.temperature_c));
	/* The fingerprint for the stuck check: the same registers give the
	 * same one, any bit changed another. */
	raw = v.raw;
	assert_int_equal(mpu6050_driver.read(&s, &v), 0);
	assert_true(v.raw == raw);
	fb.regs[MPU6050_REG_ACCEL_XOUT_H + 5] ^= 1;	/* accel z, lowest bit */
	assert_int_equal(mpu6050_driver.read(&s, &v), 0);
	assert_true(v.raw != raw);
	fb.regs[MPU6050_REG_TEMP_OUT_H] ^= 0x80;	/* the temperature too */
	assert_int_equal(mpu6050_driver.read(&s, &v), 0);
	assert_true(v.raw != raw);

	/* The chip fell asleep (a brown-out's reset): its outputs are frozen,
	 * so no values, and the sampler re-initialises it. */
	fb.regs[MPU6050_REG_PWR_MGMT_1] = MPU6050_PWR1_SLEEP;
	assert_int_equal(mpu6050_driver.read(&s, &v), -EIO);
	/* A NACK is passed up. */
	fb.read_errno = EREMOTEIO;
	assert_int_equal(mpu6050_driver.read(&s, &v), -EREMOTEIO);
	free(s.priv);
}

/* ---- the configuration takes the chip's keys from its driver ---- */

static void test_config_keys(void **state)
{
	(void)state;
	static struct rs_config cfg;
	struct mpu6050_options o;
	char err[512];
	const char *deflt = "{\"device_id\": \"t\", \"sensord\": {\"sensors\": [{\"driver\": \"mpu6050\", "
			    "\"bus\": \"/dev/i2c-1\", \"address\": \"0x69\", \"provides\": [\"rotation_dps\"]}]}}";
	const char *set = "{\"device_id\": \"t\", \"sensord\": {\"sensors\": [{\"driver\": \"mpu6050\", "
			  "\"bus\": \"/dev/i2c-1\", \"address\": \"0x68\", \"provides\": [\"rotation_dps\"], "
			  "\"gyro_range_dps\": 2000, \"accel_range_g\": 16, \"lowpass_hz\": 5, \"rate_hz\": 50}]}}";
	const char *bad = "{\"device_id\": \"t\", \"sensord\": {\"sensors\": [{\"driver\": \"mpu6050\", "
			  "\"bus\": \"/dev/i2c-1\", \"address\": \"0x68\", \"gyro_range_dps\": 300}]}}";
	const char *not_a_gyro = "{\"device_id\": \"t\", \"sensord\": {\"sensors\": [{\"driver\": \"bmp280\", "
				 "\"bus\": \"/dev/i2c-1\", \"address\": \"0x76\", \"provides\": [\"rotation_dps\"]}]}}";

	assert_int_equal(config_parse(deflt, strlen(deflt), "c.json", "/", &cfg, err, sizeof(err)), 0);
	memcpy(&o, cfg.sensord.sensors[0].options, sizeof(o));
	assert_near(o.gyro_range_dps, 500, 0);
	assert_near(o.accel_range_g, 2, 0);
	assert_near(o.lowpass_hz, 20, 0);
	assert_near(o.rate_hz, 100, 0);
	assert_int_equal(config_parse(set, strlen(set), "c.json", "/", &cfg, err, sizeof(err)), 0);
	memcpy(&o, cfg.sensord.sensors[0].options, sizeof(o));
	assert_near(o.gyro_range_dps, 2000, 0);
	assert_near(o.accel_range_g, 16, 0);
	assert_near(o.lowpass_hz, 5, 0);
	assert_near(o.rate_hz, 50, 0);
	assert_int_equal(config_parse(bad, strlen(bad), "c.json", "/", &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "sensord.sensors[0].gyro_range_dps"));
	assert_int_equal(config_parse(not_a_gyro, strlen(not_a_gyro), "c.json", "/", &cfg, err,
				  sizeof(err)), -1);
	assert_non_null(strstr(err, "rotation_dps"));
}

/* ---- the driver on the simulated chip ---- */

static const char scenario_text[] =
	"chip imu mpu6050 0x68\n"
	"noise imu gyro_x_dps 0\n"
	"noise imu gyro_y_dps 0\n"
	"noise imu gyro_z_dps 0\n"
	"noise imu accel_x_g 0\n"
	"noise imu accel_y_g 0\n"
	"noise imu accel_z_g 0\n"
	"at 0 imu gyro_x_dps 1\n"
	"at 0 imu zro_y_dps -2\n"
	"at 10 imu gyro_x_dps 40\n"
	"at 20 imu gyro_x_dps 300\n"
	"at 20 imu gyro_z_dps -2500\n"
	"at 20 imu accel_x_g 20\n"
	"fault 30 40 imu nack\n"
	"fault 50 60 imu absent\n";

static int sim_setup(void **state)
{
	return sim_rig_setup(state, scenario_text);
}

static uint16_t sim_reg16(struct bus *bus, uint8_t reg)
{
	uint8_t hl[2];

	assert_int_equal(bus->read(bus, MPU_ADDR, reg, hl, 2), 0);
	return (uint16_t)(hl[0] << 8 | hl[1]);
}

static void test_sim_power_on_and_reset(void **state)
{
	struct sim_rig *f = *state;
	uint8_t b, reset = MPU6050_PWR1_DEVICE_RESET, awake = MPU6050_CLKSEL_PLL_XGYRO;

	f->now_s = 1;
	assert_int_equal(f->bus->read(f->bus, MPU_ADDR, MPU6050_REG_WHO_AM_I, &b, 1), 0);
	assert_int_equal(b, 0x68);
	assert_int_equal(f->bus->read(f->bus, MPU_ADDR, MPU6050_REG_PWR_MGMT_1, &b, 1), 0);
	assert_int_equal(b, 0x40);
	/* Asleep: no samples, the outputs read 0. */
	assert_int_equal(sim_reg16(f->bus, MPU6050_REG_GYRO_XOUT_H), 0);
	/* Awake at ±250 °/s: 1 °/s is 131. */
	assert_int_equal(f->bus->write(f->bus, MPU_ADDR, MPU6050_REG_PWR_MGMT_1, &awake, 1), 0);
	assert_int_equal(sim_reg16(f->bus, MPU6050_REG_GYRO_XOUT_H), 131);
	/* The zero-rate offset is in what the chip reads: -2 °/s = -262. */
	assert_int_equal((int16_t)sim_reg16(f->bus, MPU6050_REG_GYRO_XOUT_H + 2), -262);
	/* 1 g at ±2 g, the default accel_z_g. */
	assert_int_equal(sim_reg16(f->bus, MPU6050_REG_ACCEL_XOUT_H + 4), 16384);
	/* DEVICE_RESET reads back set once, then the power-on value. */
	assert_int_equal(f->bus->write(f->bus, MPU_ADDR, MPU6050_REG_PWR_MGMT_1, &reset, 1), 0);
	assert_int_equal(f->bus->read(f->bus, MPU_ADDR, MPU6050_REG_PWR_MGMT_1, &b, 1), 0);
	assert_int_equal(b, 0xC0);
	assert_int_equal(f->bus->read(f->bus, MPU_ADDR, MPU6050_REG_PWR_MGMT_1, &b, 1), 0);
	assert_int_equal(b, 0x40);
}

static void test_sim_full_scale_and_saturation(void **state)
{
	struct sim_rig *f = *state;
	struct sensor s;
	struct sensor_cfg fine = cfg_make(250, 2, 20, 100);
	struct sensor_cfg wide = cfg_make(2000, 16, 20, 100);
	struct sensor_values v;

	unit_sensor_setup(&s, &mpu6050_driver, f->bus, MPU_ADDR, &fine);
	f->now_s = 1;
	assert_int_equal(mpu6050_driver.init(&s), 0);
	assert_int_equal(mpu6050_driver.read(&s, &v), 0);
	assert_near(v.gyro_dps[0], 1.0, 0.5 / 131);
	assert_near(v.gyro_dps[1], -2.0, 0.5 / 131);
	assert_near(v.accel_g[2], 1.0, 0.5 / 16384);
	f->now_s = 11;
	assert_int_equal(mpu6050_driver.read(&s, &v), 0);
	assert_near(v.gyro_dps[0], 40.0, 0.5 / 131);
	/* Beyond ±250 °/s and ±2 g the outputs stop at the 16-bit ends. */
	f->now_s = 21;
	assert_int_equal(mpu6050_driver.read(&s, &v), 0);
	assert_near(v.gyro_dps[0], 32767 / 131.0, 1e-9);
	assert_near(v.gyro_dps[2], -32768 / 131.0, 1e-9);
	assert_near(v.accel_g[0], 32767 / 16384.0, 1e-9);

	/* At ±2000 °/s and ±16 g, 300 °/s fits; -2500 °/s and 20 g do not. */
	s.cfg = &wide;
	assert_int_equal(mpu6050_driver.init(&s), 0);
	assert_int_equal(mpu6050_driver.read(&s, &v), 0);
	assert_near(v.gyro_dps[0], 300.0, 0.5 / 16.4);
	assert_near(v.gyro_dps[2], -32768 / 16.4, 1e-9);
	assert_near(v.accel_g[0], 32767 / 2048.0, 1e-9);
	free(s.priv);
}

static void test_sim_faults_and_recovery(void **state)
{
	struct sim_rig *f = *state;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(500, 2, 20, 100);
	struct sensor_values v;

	unit_sensor_setup(&s, &mpu6050_driver, f->bus, MPU_ADDR, &cfg);
	sim_rig_chip_faults(f, &s, 35, 55);	/* the scenario's nack and absent windows */

	/* Back from power-on reset: asleep, refused until init wakes it. */
	f->now_s = 61;
	assert_int_equal(mpu6050_driver.read(&s, &v), -EIO);
	assert_int_equal(mpu6050_driver.init(&s), 0);
	assert_int_equal(mpu6050_driver.read(&s, &v), 0);
	assert_near(v.gyro_dps[0], 300.0, 0.5 / 65.5);
	free(s.priv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gyro_sensitivity),
		cmocka_unit_test(test_accel_sensitivity),
		cmocka_unit_test(test_setting_codes),
		cmocka_unit_test(test_init_configures),
		cmocka_unit_test(test_init_refuses_other_chips),
		cmocka_unit_test(test_init_reset_and_bus_faults),
		cmocka_unit_test(test_read_converts_all_axes),
		cmocka_unit_test(test_config_keys),
		cmocka_unit_test_setup_teardown(test_sim_power_on_and_reset, sim_setup,
						sim_rig_teardown),
		cmocka_unit_test_setup_teardown(test_sim_full_scale_and_saturation, sim_setup,
						sim_rig_teardown),
		cmocka_unit_test_setup_teardown(test_sim_faults_and_recovery, sim_setup,
						sim_rig_teardown),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
