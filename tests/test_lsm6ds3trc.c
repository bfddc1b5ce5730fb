/* Tests of drivers/lsm6ds3trc.c and its simulated chip
 * (sim/sim_lsm6ds3trc.c). Ground truth: the datasheet's sensitivities
 * (Table 3, §4.1: G_So 4.375, 8.75, 17.50, 35, 70 mdps/LSB at ±125 .. ±2000
 * dps; LA_So 0.061, 0.122, 0.244, 0.488 mg/LSB at ±2 .. ±16 g), its register
 * bits (§9: WHO_AM_I 0x6A, CTRL1_XL FS_XL 00 ±2 g, 01 ±16 g, 10 ±4 g, 11 ±8 g;
 * CTRL2_G FS_G 00 ±250 .. 11 ±2000, FS_125 bit 1; outputs 16-bit two's
 * complement, LSB first), with the bytes worked out by hand in each comment,
 * and the scenario's values. */
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
#include "lsm6ds3trc.h"
#include "sensor.h"
#include "sim/sim.h"
#include "unit.h"

extern const struct sensor_driver lsm6ds3trc_driver;

#define IMU_ADDR 0x6A

static struct sensor_cfg cfg_make(double gyro_dps, double accel_g, double odr_hz)
{
	const struct lsm6ds3trc_options o = {
		.gyro_range_dps = gyro_dps, .accel_range_g = accel_g, .odr_hz = odr_hz
	};

	return unit_sensor_cfg("lsm6ds3trc", IMU_ADDR, &o, sizeof(o));
}

/* ---- the datasheet's conversions at each full scale ---- */

static void test_gyro_full_scales(void **state)
{
	static const struct {
		double range_dps;
		uint8_t ctrl2_g;	/* FS_G << 2 | FS_125 << 1 */
		uint8_t out[2];
		double dps;
	} rows[] = {
		/* 1000 counts (0x03E8) * 4.375 mdps = 4.375 °/s. */
		{ 125, 0x02, { 0xE8, 0x03 }, 4.375 },
		/* 1000 * 8.75 mdps = 8.75 °/s. */
		{ 250, 0x00, { 0xE8, 0x03 }, 8.75 },
		/* -1000 (0xFC18) * 17.50 mdps = -17.5 °/s. */
		{ 500, 0x04, { 0x18, 0xFC }, -17.5 },
		/* -32768 (0x8000) * 35 mdps = -1146.88 °/s. */
		{ 1000, 0x08, { 0x00, 0x80 }, -1146.88 },
		/* 32767 (0x7FFF) * 70 mdps = 2293.69 °/s. */
		{ 2000, 0x0C, { 0xFF, 0x7F }, 2293.69 },
	};
	uint8_t bits;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		assert_int_equal(lsm6ds3trc_gyro_fs_bits(rows[i].range_dps, &bits), 0);
		assert_int_equal(bits, rows[i].ctrl2_g);
		assert_near(lsm6ds3trc_decode(rows[i].out, lsm6ds3trc_gyro_dps_per_lsb(bits)),
			    rows[i].dps, 1e-9);
	}
	/* The older LSM6DS3's ±245 is not this chip's. */
	assert_int_equal(lsm6ds3trc_gyro_fs_bits(245, &bits), -EINVAL);
}

static void test_accel_full_scales(void **state)
{
	static const struct {
		double range_g;
		uint8_t ctrl1_xl;	/* FS_XL << 2 */
		uint8_t out[2];
		double g;
	} rows[] = {
		/* 16393 counts (0x4009) * 0.061 mg = 0.999973 g: 1 g at ±2 g. */
		{ 2, 0x00, { 0x09, 0x40 }, 0.999973 },
		/* 1000 (0x03E8) * 0.122 mg = 0.122 g. */
		{ 4, 0x08, { 0xE8, 0x03 }, 0.122 },
		/* -1000 (0xFC18) * 0.244 mg = -0.244 g. */
		{ 8, 0x0C, { 0x18, 0xFC }, -0.244 },
		/* 32767 (0x7FFF) * 0.488 mg = 15.990296 g. */
		{ 16, 0x04, { 0xFF, 0x7F }, 15.990296 },
	};
	uint8_t bits;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		assert_int_equal(lsm6ds3trc_accel_fs_bits(rows[i].range_g, &bits), 0);
		assert_int_equal(bits, rows[i].ctrl1_xl);
		assert_near(lsm6ds3trc_decode(rows[i].out, lsm6ds3trc_accel_g_per_lsb(bits)),
			    rows[i].g, 1e-9);
	}
	assert_int_equal(lsm6ds3trc_accel_fs_bits(3, &bits), -EINVAL);
}

/* ---- the driver on a scripted bus ---- */

/* A chip whose SW_RESET clears at once (self_clear) or never, and that keeps
 * what is written to CTRL1_XL (keep_ctrl) or not. */
static bool self_clear, keep_ctrl;

static int imu_on_write(struct fake_bus *fb, uint8_t reg, const uint8_t *buf, size_t len)
{
	if (reg == LSM6DS3TRC_REG_CTRL3_C && len == 1 && self_clear)
		fb->regs[reg] &= (uint8_t)~LSM6DS3TRC_CTRL3_SW_RESET;
	if (reg == LSM6DS3TRC_REG_CTRL1_XL && len >= 1 && !keep_ctrl)
		fb->regs[reg] = 0;
	(void)buf;
	return 0;
}

static void fake_setup(struct fake_bus *fb)
{
	fake_bus_init(fb, IMU_ADDR, 1);
	fb->on_write = imu_on_write;
	fb->regs[LSM6DS3TRC_REG_WHO_AM_I] = LSM6DS3TRC_ID;
	fb->regs[LSM6DS3TRC_REG_CTRL3_C] = LSM6DS3TRC_CTRL3_IF_INC;
	fb->regs[LSM6DS3TRC_REG_STATUS] = LSM6DS3TRC_STATUS_GDA | LSM6DS3TRC_STATUS_XLDA;
	self_clear = true;
	keep_ctrl = true;
}

static void test_init(void **state)
{
	(void)state;
	struct fake_bus fb;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(2000, 16, 208);

	fake_setup(&fb);
	unit_sensor_setup(&s, &lsm6ds3trc_driver, &fb.bus, IMU_ADDR, &cfg);
	assert_int_equal(lsm6ds3trc_driver.init(&s), 0);
	/* Reset first (IF_INC kept), then BDU | IF_INC, then both ODRs and
	 * full scales in one burst from CTRL1_XL. */
	assert_int_equal(fb.n_writes, 3);
	assert_int_equal(fb.writes[0].reg, LSM6DS3TRC_REG_CTRL3_C);
	assert_int_equal(fb.writes[0].value, 0x05);
	assert_int_equal(fb.writes[1].reg, LSM6DS3TRC_REG_CTRL3_C);
	assert_int_equal(fb.writes[1].value, 0x44);
	assert_int_equal(fb.writes[2].reg, LSM6DS3TRC_REG_CTRL1_XL);
	/* 208 Hz is ODR 0101; ±16 g is FS_XL 01, ±2000 dps FS_G 11. */
	assert_int_equal(fb.regs[LSM6DS3TRC_REG_CTRL1_XL], 0x54);
	assert_int_equal(fb.regs[LSM6DS3TRC_REG_CTRL2_G], 0x5C);

	/* The older LSM6DS3 answers 0x69: refused before anything is written. */
	fb.n_writes = 0;
	fb.regs[LSM6DS3TRC_REG_WHO_AM_I] = LSM6DS3_ID;
	assert_int_equal(lsm6ds3trc_driver.init(&s), -ENODEV);
	assert_int_equal(fb.n_writes, 0);
	fb.regs[LSM6DS3TRC_REG_WHO_AM_I] = 0x00;
	assert_int_equal(lsm6ds3trc_driver.init(&s), -ENODEV);
	fb.regs[LSM6DS3TRC_REG_WHO_AM_I] = LSM6DS3TRC_ID;

	/* A reset that never ends, polled 1 ms apart, 10 times. */
	self_clear = false;
	fb.waited_us = 0;
	assert_int_equal(lsm6ds3trc_driver.init(&s), -ETIMEDOUT);
	assert_true(fb.waited_us >= 10000);
	self_clear = true;

	/* A chip whose accelerometer never gives its first set: init waits
	 * 200 ms plus two periods at 208 Hz (9.6 ms), polling 1 ms apart. */
	fb.regs[LSM6DS3TRC_REG_STATUS] = LSM6DS3TRC_STATUS_GDA;
	fb.waited_us = 0;
	assert_int_equal(lsm6ds3trc_driver.init(&s), -ETIMEDOUT);
	assert_true(fb.waited_us >= 209000);
	assert_true(fb.waited_us <= 215000);
	fb.regs[LSM6DS3TRC_REG_STATUS] = LSM6DS3TRC_STATUS_GDA | LSM6DS3TRC_STATUS_XLDA;

	/* A chip that does not keep its settings. */
	keep_ctrl = false;
	assert_int_equal(lsm6ds3trc_driver.init(&s), -EIO);
	keep_ctrl = true;

	/* A bus error is passed up as it is. */
	fb.read_errno = EREMOTEIO;
	assert_int_equal(lsm6ds3trc_driver.init(&s), -EREMOTEIO);
	fb.read_errno = 0;
	fb.write_errno = ENXIO;
	assert_int_equal(lsm6ds3trc_driver.init(&s), -ENXIO);
	free(s.priv);

	/* A range the chip has not (the old LSM6DS3's ±245 dps). */
	cfg = cfg_make(245, 16, 208);
	unit_sensor_setup(&s, &lsm6ds3trc_driver, &fb.bus, IMU_ADDR, &cfg);
	assert_int_equal(lsm6ds3trc_driver.init(&s), -EINVAL);
	free(s.priv);
}

static void test_read(void **state)
{
	(void)state;
	struct fake_bus fb;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(250, 2, 104);
	struct sensor_values v;
	/* Gyro x, y, z: 4571 (0x11DB) * 8.75 mdps = 39.99625 °/s, -1 (0xFFFF),
	 * 0; accel x, y, z: 0, -16393 (0xBFF7) * 0.061 mg = -0.999973 g, 82
	 * (0x0052) = 0.005002 g. */
	const uint8_t out[12] = { 0xDB, 0x11, 0xFF, 0xFF, 0x00, 0x00,
				  0x00, 0x00, 0xF7, 0xBF, 0x52, 0x00 };

	fake_setup(&fb);
	unit_sensor_setup(&s, &lsm6ds3trc_driver, &fb.bus, IMU_ADDR, &cfg);
	assert_true(lsm6ds3trc_driver.read(&s, &v) < 0);	/* before init */
	assert_int_equal(lsm6ds3trc_driver.init(&s), 0);

	fake_bus_set_bytes(&fb, LSM6DS3TRC_REG_OUTX_L_G, out, sizeof(out));
	fb.regs[LSM6DS3TRC_REG_STATUS] = LSM6DS3TRC_STATUS_GDA | LSM6DS3TRC_STATUS_XLDA;
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), 0);
	assert_near(v.gyro_dps[0], 39.99625, 1e-9);
	assert_near(v.gyro_dps[1], -0.00875, 1e-12);
	assert_near(v.gyro_dps[2], 0.0, 0);
	assert_near(v.accel_g[0], 0.0, 0);
	assert_near(v.accel_g[1], -0.999973, 1e-9);
	assert_near(v.accel_g[2], 0.005002, 1e-9);
	assert_true(isnan(v.pressure_pa));
	assert_true(isnan(v.temperature_c));
	assert_true(isnan(v.humidity_pct));
	assert_true(isnan(v.voltage_v));

	/* Only the gyroscope has a new set: no stale accelerations. Polled 1 ms
	 * apart for two output periods at 104 Hz (19.2 ms). */
	fb.regs[LSM6DS3TRC_REG_STATUS] = LSM6DS3TRC_STATUS_GDA;
	fb.waited_us = 0;
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), -ETIMEDOUT);
	assert_true(fb.waited_us >= 19231);
	assert_true(fb.waited_us <= 25000);

	/* A chip that lost power is back in power-down: sent to init. */
	fb.regs[LSM6DS3TRC_REG_STATUS] = LSM6DS3TRC_STATUS_GDA | LSM6DS3TRC_STATUS_XLDA;
	fb.regs[LSM6DS3TRC_REG_CTRL1_XL] = 0;
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), -EIO);

	/* A bus error is passed up. */
	fb.read_errno = EREMOTEIO;
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), -EREMOTEIO);
	free(s.priv);
}

/* ---- the configuration takes the chip's keys from its driver ---- */

static void test_config_keys(void **state)
{
	(void)state;
	static struct rs_config cfg;
	struct lsm6ds3trc_options o;
	char err[512];
	const char *defaults = "{\"device_id\": \"t\", \"sensord\": {\"sensors\": [{\"driver\": "
			       "\"lsm6ds3trc\", \"bus\": \"/dev/i2c-1\", \"address\": \"0x6b\", "
			       "\"provides\": [\"rotation_dps\"]}]}}";
	const char *set = "{\"device_id\": \"t\", \"sensord\": {\"sensors\": [{\"driver\": "
			  "\"lsm6ds3trc\", \"bus\": \"/dev/i2c-1\", \"address\": \"0x6a\", "
			  "\"gyro_range_dps\": 125, \"accel_range_g\": 16, \"odr_hz\": 12.5}]}}";
	const char *bad = "{\"device_id\": \"t\", \"sensord\": {\"sensors\": [{\"driver\": "
			  "\"lsm6ds3trc\", \"bus\": \"/dev/i2c-1\", \"address\": \"0x6a\", "
			  "\"gyro_range_dps\": 245}]}}";

	assert_int_equal(config_parse(defaults, strlen(defaults), "c.json", "/", &cfg, err,
				      sizeof(err)), 0);
	assert_int_equal(cfg.sensord.sensors[0].provides, CONFIG_CHANNEL_ROTATION);
	memcpy(&o, cfg.sensord.sensors[0].options, sizeof(o));
	assert_near(o.gyro_range_dps, 500, 0);
	assert_near(o.accel_range_g, 2, 0);
	assert_near(o.odr_hz, 104, 0);

	assert_int_equal(config_parse(set, strlen(set), "c.json", "/", &cfg, err, sizeof(err)), 0);
	memcpy(&o, cfg.sensord.sensors[0].options, sizeof(o));
	assert_near(o.gyro_range_dps, 125, 0);
	assert_near(o.accel_range_g, 16, 0);
	assert_near(o.odr_hz, 12.5, 0);

	assert_int_equal(config_parse(bad, strlen(bad), "c.json", "/", &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "c.json: sensord.sensors[0].gyro_range_dps: 245 is not one of "
				 "125, 250, 500, 1000, 2000");
}

/* ---- the driver on the simulated chip ---- */

static const char scenario_text[] =
	"chip imu lsm6ds3trc 0x6a\n"
	"chip old lsm6ds3 0x6b\n"
	"noise imu gyro_x_dps 0\n"
	"noise imu gyro_y_dps 0\n"
	"noise imu gyro_z_dps 0\n"
	"noise imu accel_x_g 0\n"
	"noise imu accel_y_g 0\n"
	"noise imu accel_z_g 0\n"
	"at 10 imu gyro_y_dps 40\n"
	"at 60 imu zro_x_dps 1.5\n"
	"at 60 imu zro_y_dps -2\n"
	"at 60 imu zro_z_dps 0.7\n"
	"at 10 imu gyro_x_dps -12.5\n"
	"at 20 imu gyro_z_dps 600\n"
	"at 20 imu accel_x_g -9\n"
	"fault 30 40 imu absent\n"
	"fault 50 51 imu nack\n";

static int sim_setup(void **state)
{
	return sim_rig_setup(state, scenario_text);
}

/* Half a count either way of the model's rounding. */
#define TOL_500 (0.5 * 0.0175)
#define TOL_8G (0.5 * 0.000244)

static void test_sim_scenario(void **state)
{
	struct sim_rig *f = *state;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(500, 8, 104);
	struct sensor_values v;

	unit_sensor_setup(&s, &lsm6ds3trc_driver, f->bus, IMU_ADDR, &cfg);
	f->now_s = 1;
	assert_int_equal(lsm6ds3trc_driver.init(&s), 0);
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), 0);
	assert_near(v.gyro_dps[0], 0, TOL_500);
	assert_near(v.gyro_dps[1], 0, TOL_500);
	assert_near(v.accel_g[2], 1.0, TOL_8G);

	/* No new set since: the same sample is not given twice. */
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), -ETIMEDOUT);
	/* The next output period (1/104 s = 9.6 ms) has one. */
	f->now_s = 1.01;
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), 0);

	/* Rolling about y at 40 °/s, a little about x. */
	f->now_s = 11;
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), 0);
	assert_near(v.gyro_dps[0], -12.5, TOL_500);
	assert_near(v.gyro_dps[1], 40.0, TOL_500);
	assert_near(v.gyro_dps[2], 0.0, TOL_500);

	/* Beyond ±500 °/s and ±8 g the chip saturates at its full-scale count:
	 * 32767 * 17.50 mdps = 573.4225 °/s, -32768 * 0.244 mg = -7.995392 g. */
	f->now_s = 21;
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), 0);
	assert_near(v.gyro_dps[2], 573.4225, 1e-9);
	assert_near(v.accel_g[0], -7.995392, 1e-9);

	/* Off the bus, then back from power-on reset in power-down: refused
	 * until init configures it again. */
	f->now_s = 35;
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), -EREMOTEIO);
	f->now_s = 41;
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), -EIO);
	assert_int_equal(lsm6ds3trc_driver.init(&s), 0);
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), 0);
	assert_near(v.gyro_dps[1], 40.0, TOL_500);

	/* NACKed: both init and read fail with the bus' error; after a failed
	 * init, read refuses until an init succeeds. */
	f->now_s = 50.5;
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), -EREMOTEIO);
	assert_int_equal(lsm6ds3trc_driver.init(&s), -EREMOTEIO);
	f->now_s = 52;
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), -EIO);
	assert_int_equal(lsm6ds3trc_driver.init(&s), 0);
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), 0);
	assert_near(v.gyro_dps[2], 573.4225, 1e-9);

	/* The zero-rate offset adds to what the gyro serves (the sampler's to
	 * remove): 1.5 + -12.5, -2 + 40, and still saturated about z. */
	f->now_s = 61;
	assert_int_equal(lsm6ds3trc_driver.read(&s, &v), 0);
	assert_near(v.gyro_dps[0], -11.0, TOL_500);
	assert_near(v.gyro_dps[1], 38.0, TOL_500);
	assert_near(v.gyro_dps[2], 573.4225, 1e-9);
	free(s.priv);
}

/* Each full scale as the model serves it: 40 °/s and 1 g at every range. */
static void test_sim_full_scales(void **state)
{
	static const double gyro[] = { 125, 250, 500, 1000, 2000 };
	static const double accel[] = { 2, 4, 8, 16 };
	static const double g_so_mdps[] = { 4.375, 8.75, 17.50, 35, 70 };
	static const double la_so_mg[] = { 0.061, 0.122, 0.244, 0.488 };
	struct sim_rig *f = *state;

	for (size_t i = 0; i < ARRAY_LEN(gyro); i++) {
		struct sensor s;
		struct sensor_cfg cfg = cfg_make(gyro[i], accel[i % ARRAY_LEN(accel)], 52);
		struct sensor_values v;

		unit_sensor_setup(&s, &lsm6ds3trc_driver, f->bus, IMU_ADDR, &cfg);
		f->now_s = 11 + (double)i;
		assert_int_equal(lsm6ds3trc_driver.init(&s), 0);
		assert_int_equal(lsm6ds3trc_driver.read(&s, &v), 0);
		assert_near(v.gyro_dps[1], 40.0, 0.5 * g_so_mdps[i] / 1000);
		assert_near(v.accel_g[2], 1.0, 0.5 * la_so_mg[i % ARRAY_LEN(accel)] / 1000);
		free(s.priv);
	}
}

/* The older LSM6DS3 (WHO_AM_I 0x69) is refused, and left as it was. */
static void test_sim_older_lsm6ds3(void **state)
{
	struct sim_rig *f = *state;
	struct sensor s;
	struct sensor_cfg cfg = cfg_make(500, 4, 104);
	uint8_t b;

	unit_sensor_setup(&s, &lsm6ds3trc_driver, f->bus, 0x6B, &cfg);
	f->now_s = 1;
	assert_int_equal(lsm6ds3trc_driver.init(&s), -ENODEV);
	assert_int_equal(f->bus->read(f->bus, 0x6B, LSM6DS3TRC_REG_WHO_AM_I, &b, 1), 0);
	assert_int_equal(b, 0x69);
	assert_int_equal(f->bus->read(f->bus, 0x6B, LSM6DS3TRC_REG_CTRL1_XL, &b, 1), 0);
	assert_int_equal(b, 0x00);
	free(s.priv);
}

/* The model's reset: SW_RESET reads back 1 once, then 0, with every
 * control register at its power-on value. */
static void test_sim_reset(void **state)
{
	struct sim_rig *f = *state;
	struct bus *bus = f->bus;
	uint8_t b[3];

	f->now_s = 1;
	assert_int_equal(bus->read(bus, IMU_ADDR, LSM6DS3TRC_REG_WHO_AM_I, b, 1), 0);
	assert_int_equal(b[0], 0x6A);
	assert_int_equal(bus->write(bus, IMU_ADDR, LSM6DS3TRC_REG_CTRL1_XL,
				    (const uint8_t[]){0x40, 0x40, 0x44}, 3), 0);
	assert_int_equal(bus->read(bus, IMU_ADDR, LSM6DS3TRC_REG_CTRL1_XL, b, 3), 0);
	assert_memory_equal(b, ((const uint8_t[]){0x40, 0x40, 0x44}), 3);
	assert_int_equal(bus->write(bus, IMU_ADDR, LSM6DS3TRC_REG_CTRL3_C, (const uint8_t[]){0x05}, 1), 0);
	assert_int_equal(bus->read(bus, IMU_ADDR, LSM6DS3TRC_REG_CTRL1_XL, b, 3), 0);
	assert_memory_equal(b, ((const uint8_t[]){0x00, 0x00, 0x05}), 3);
	assert_int_equal(bus->read(bus, IMU_ADDR, LSM6DS3TRC_REG_CTRL1_XL, b, 3), 0);
	assert_memory_equal(b, ((const uint8_t[]){0x00, 0x00, 0x04}), 3);
}

/* The model's data-ready: a set appears in STATUS_REG and reading the
 * outputs clears its flag. */
static void test_sim_status(void **state)
{
	struct sim_rig *f = *state;
	struct bus *bus = f->bus;
	uint8_t b[12];

	f->now_s = 11;
	/* ±250 °/s, ±2 g at 12.5 Hz. */
	assert_int_equal(bus->write(bus, IMU_ADDR, LSM6DS3TRC_REG_CTRL1_XL,
				    (const uint8_t[]){0x10, 0x10, 0x44}, 3), 0);
	assert_int_equal(bus->read(bus, IMU_ADDR, LSM6DS3TRC_REG_STATUS, b, 1), 0);
	assert_int_equal(b[0] & 0x03, 0x00);	/* not yet */
	assert_int_equal(bus->read(bus, IMU_ADDR, LSM6DS3TRC_REG_STATUS, b, 1), 0);
	assert_int_equal(b[0] & 0x03, 0x03);
	assert_int_equal(bus->read(bus, IMU_ADDR, LSM6DS3TRC_REG_OUTX_L_G, b, 12), 0);
	/* -12.5 °/s / 8.75 mdps = -1428.57 -> -1429 = 0xFA6B; 40 / 8.75 m =
	 * 4571.43 -> 4571 = 0x11DB; 1 g / 0.061 mg = 16393.4 -> 16393 = 0x4009. */
	assert_memory_equal(b, ((const uint8_t[]){0x6B, 0xFA, 0xDB, 0x11, 0x00, 0x00,
						  0x00, 0x00, 0x00, 0x00, 0x09, 0x40}), 12);
	assert_int_equal(bus->read(bus, IMU_ADDR, LSM6DS3TRC_REG_STATUS, b, 1), 0);
	assert_int_equal(b[0] & 0x03, 0x00);
	/* 80 ms later, the next set. */
	f->now_s = 11.08;
	assert_int_equal(bus->read(bus, IMU_ADDR, LSM6DS3TRC_REG_STATUS, b, 1), 0);
	assert_int_equal(b[0] & 0x03, 0x03);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gyro_full_scales),
		cmocka_unit_test(test_accel_full_scales),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_config_keys),
		cmocka_unit_test_setup_teardown(test_sim_scenario, sim_setup, sim_rig_teardown),
		cmocka_unit_test_setup_teardown(test_sim_full_scales, sim_setup, sim_rig_teardown),
		cmocka_unit_test_setup_teardown(test_sim_older_lsm6ds3, sim_setup, sim_rig_teardown),
		cmocka_unit_test_setup_teardown(test_sim_reset, sim_setup, sim_rig_teardown),
		cmocka_unit_test_setup_teardown(test_sim_status, sim_setup, sim_rig_teardown),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
