/* Scenarios and the simulated bus: what a scenario author sees (error
 * messages, the values chips sense at given times, noise, faults) and what a
 * driver sees on the bus (routing by address, NACKs, a chip that lost its
 * configuration). Expected values are computed by hand in the comments. The
 * bus tests use a tiny register-file model defined here, so they do not
 * depend on the real chip models. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"
#include "scenario_internal.h"
#include "unit.h"

/* ---- a test-only model: 64 registers, one quantity ------------------------ */

#define TEST_REGS 64
#define TEST_REG_ID 0x00
#define TEST_ID 0x5a
/* Reading this register returns the quantity "level" as a byte, measured at
 * the transfer's time: it shows the bus set chip->now_s. */
#define TEST_REG_LEVEL 0x3f

struct test_regs_state {
	uint8_t regs[TEST_REGS];
	unsigned power_ons;
};

static const char *const test_regs_quantities[] = { "level", NULL };
static const double test_regs_defaults[] = { 7 };

static void test_regs_power_on(struct sim_chip *chip)
{
	struct test_regs_state *st = chip->state;

	/* The bus zeroes the state first; count anyway to see it did. */
	st->power_ons++;
	st->regs[TEST_REG_ID] = TEST_ID;
}

static int test_regs_write(struct sim_chip *chip, uint8_t reg, const uint8_t *buf, size_t len)
{
	struct test_regs_state *st = chip->state;

	if (reg + len > TEST_REGS)
		return -EIO;
	memcpy(st->regs + reg, buf, len);
	return 0;
}

static int test_regs_read(struct sim_chip *chip, uint8_t reg, uint8_t *buf, size_t len)
{
	struct test_regs_state *st = chip->state;

	if (reg + len > TEST_REGS)
		return -EIO;
	st->regs[TEST_REG_LEVEL] = (uint8_t)sim_chip_value(chip, 0);
	memcpy(buf, st->regs + reg, len);
	return 0;
}

static const struct sim_model test_regs_model = {
	.name = "test_regs",
	.state_size = sizeof(struct test_regs_state),
	.quantities = test_regs_quantities,
	.defaults = test_regs_defaults,
	.power_on = test_regs_power_on,
	.write = test_regs_write,
	.read = test_regs_read,
};

static const struct sim_model *const test_models[] = { &test_regs_model, NULL };

static double test_clock_s;

static double test_now_s(void *ctx)
{
	(void)ctx;
	return test_clock_s;
}

/* ---- helpers -------------------------------------------------------------- */

static struct sim_scenario *parse_ok(const char *text)
{
	char err[256];
	struct sim_scenario *scn = sim_scenario_parse_with(test_models, text, strlen(text),
							   "t.scn", err, sizeof(err));

	if (!scn)
		fail_msg("unexpected parse error: %s", err);
	return scn;
}

static double truth(const struct sim_scenario *scn, const char *chip, const char *quantity,
		    double t)
{
	double v = NAN;

	assert_int_equal(sim_scenario_value(scn, chip, quantity, t, &v), 0);
	return v;
}

static struct sim_chip *chip_named(struct sim_scenario *scn, const char *name)
{
	size_t i;

	for (i = 0; i < sim_scenario_chip_count(scn); i++)
		if (strcmp(sim_scenario_chip(scn, i)->name, name) == 0)
			return sim_scenario_chip(scn, i);
	fail_msg("no chip %s", name);
	return NULL;
}

static double chip_value_at(struct sim_chip *chip, int q, double t)
{
	chip->now_s = t;
	return sim_chip_value(chip, q);
}

/* ---- parse errors --------------------------------------------------------- */

struct bad_case {
	const char *name;
	const char *text;
	const char *message;
};

static const struct bad_case bad_cases[] = {
	{ "t.scn", "chip ball bmp281 0x76\n",
	  "t.scn:1: unknown chip model \"bmp281\" (known: bmp280, bme280, ads1115, mcp9808, lps22hb, mpu6050)" },
	{ "t.scn", "# header\n\nchip ball bmp280 0x78\n",
	  "t.scn:3: invalid address \"0x78\" (want 0x03..0x77)" },
	{ "t.scn", "chip ball bmp280 0x02\n",
	  "t.scn:1: invalid address \"0x02\" (want 0x03..0x77)" },
	{ "t.scn", "chip ball bmp280 0x0x76\n",
	  "t.scn:1: invalid address \"0x0x76\" (want 0x03..0x77)" },
	{ "t.scn", "chip ball bmp280 -5\n",
	  "t.scn:1: invalid address \"-5\" (want 0x03..0x77)" },
	{ "t.scn", "chip ball bmp280 0x76\nchip ball mcp9808 0x18\n",
	  "t.scn:2: duplicate chip \"ball\"" },
	{ "t.scn", "chip ball bmp280 0x76\nchip roll bme280 118\n",
	  "t.scn:2: address 0x76 already used by chip \"ball\"" },
	{ "t.scn", "chip ball bmp280 0x76\nramp 5 5 ball load_kpa 12\n",
	  "t.scn:2: ramp ends at 5, not after its start 5" },
	{ "t.scn", "chip ball bmp280 0x76\nramp 10 5 ball load_kpa 12\n",
	  "t.scn:2: ramp ends at 5, not after its start 10" },
	{ "t.scn", "chip ball bmp280 0x76\nat ten ball load_kpa 12\n",
	  "t.scn:2: invalid time \"ten\" (want seconds >= 0)" },
	{ "t.scn", "chip ball bmp280 0x76\nat 10 ball load_kpa 12kPa\n",
	  "t.scn:2: invalid value \"12kPa\" (want a number from -1e+09 to 1e+09)" },
	{ "t.scn", "chip ball bmp280 0x76\nat nan ball load_kpa 12\n",
	  "t.scn:2: invalid time \"nan\" (want seconds >= 0)" },
	{ "t.scn", "chip ball bmp280 0x76\nat 10 ball load_kpa inf\n",
	  "t.scn:2: invalid value \"inf\" (want a number from -1e+09 to 1e+09)" },
	{ "t.scn", "chip ball bmp280 0x76\nat -1 ball load_kpa 3\n",
	  "t.scn:2: invalid time \"-1\" (want seconds >= 0)" },
	{ "t.scn", "chip ball bmp280 0x76\nat 1e400 ball load_kpa 3\n",
	  "t.scn:2: invalid time \"1e400\" (want seconds >= 0)" },
	/* The example from sim.h's brief, on line 12. */
	{ "demo.scn", "chip ball bmp280 0x76\n\n\n\n\n\n\n\n\n\n\nat 3 ball presure_pa 3\n",
	  "demo.scn:12: unknown quantity \"presure_pa\" for bmp280 chip \"ball\" (known: "
	  "pressure_pa, load_kpa, temperature_c)" },
	{ "t.scn", "chip temp mcp9808 0x18\nnoise temp humidity_pct 1\n",
	  "t.scn:2: unknown quantity \"humidity_pct\" for mcp9808 chip \"temp\" (known: "
	  "temperature_c)" },
	{ "t.scn", "chip ball bmp280 0x76\nfault 1 2 roller nack\n",
	  "t.scn:2: unknown chip \"roller\"" },
	{ "t.scn", "chip ball bmp280 0x76\nfault 1 2 ball flaky\n",
	  "t.scn:2: unknown fault \"flaky\" (known: nack, absent, stuck)" },
	{ "t.scn", "chip ball bmp280 0x76\nfault 2 1 ball nack\n",
	  "t.scn:2: fault ends at 1, not after its start 2" },
	{ "t.scn", "chip ball bmp280 0x76\nat 1 ball load_kpa 5 kPa\n",
	  "t.scn:2: unexpected \"kPa\" after at T NAME QUANTITY VALUE" },
	{ "t.scn", "chip ball bmp280 0x76 sealed tight\n",
	  "t.scn:1: unexpected \"tight\" after chip NAME MODEL ADDRESS [sealed]" },
	{ "t.scn", "chip ball bmp280 0x76 selaed\n",
	  "t.scn:1: unexpected \"selaed\" after chip NAME MODEL ADDRESS [sealed]" },
	{ "t.scn", "chip temp mcp9808 0x18 sealed\n",
	  "t.scn:1: \"sealed\" applies to bmp280, bme280 and lps22hb chips, not mcp9808" },
	{ "t.scn", "chip ball bmp280\n",
	  "t.scn:1: \"chip\" needs more arguments: chip NAME MODEL ADDRESS [sealed]" },
	{ "t.scn", "step 1 ball load_kpa 3\n",
	  "t.scn:1: unknown statement \"step\" (known: seed, end, chip, at, ramp, noise, fault)" },
	{ "t.scn", "chip ball bmp280 0x76\nnoise ball load_kpa -0.5\n",
	  "t.scn:2: invalid sigma \"-0.5\" (want a number from 0 to 1e+09)" },
	{ "t.scn", "seed -1\n",
	  "t.scn:1: invalid seed \"-1\" (want 0..18446744073709551615)" },
	{ "t.scn", "seed 18446744073709551616\n",
	  "t.scn:1: invalid seed \"18446744073709551616\" (want 0..18446744073709551615)" },
	{ "t.scn", "end 10\nend 20\n", "t.scn:2: end given twice" },
	{ "t.scn", "chip b\x01ll bmp280 0x76\n",
	  "t.scn:1: invalid chip name \"b?ll\" (want 1 to 31 of A-Z a-z 0-9 _ -)" },
	{ "t.scn", "chip b bmp\x1b[31m 0x76\n",
	  "t.scn:1: unknown chip model \"bmp?[31m\" (known: bmp280, bme280, ads1115, mcp9808, lps22hb, mpu6050)" },
	{ "t.scn", "chip temp mcp9808 0x18\nramp 1 2 temp temperature_c -273.15\n",
	  "t.scn:2: temperature_c -273.15 is at or below absolute zero (-273.15)" },
	{ "t.scn", "chip ball bmp280 0x76\nat 1 ball pressure_pa 1e10\n",
	  "t.scn:2: invalid value \"1e10\" (want a number from -1e+09 to 1e+09)" },
	/* A reference to a chip before its declaration is an unknown chip. */
	{ "t.scn", "at 1 ball load_kpa 3\nchip ball bmp280 0x76\n",
	  "t.scn:1: unknown chip \"ball\"" },
};

static void test_parse_errors_exact(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char err[256] = "untouched";
		struct sim_scenario *scn;

		errno = 0;
		scn = sim_scenario_parse(c->text, strlen(c->text), c->name, err, sizeof(err));
		if (scn || strcmp(err, c->message) != 0)
			fail_msg("case %zu:\n  got  \"%s\"\n  want \"%s\"", i, err, c->message);
		assert_int_equal(errno, EINVAL);
	}
}

static void test_parse_error_nul_and_long_line(void **state)
{
	static const char nul_text[] = "seed 3\nend 1\0 0\n";
	char err[256];
	char *text;

	(void)state;
	assert_null(sim_scenario_parse(nul_text, sizeof(nul_text) - 1, "t.scn", err, sizeof(err)));
	assert_string_equal(err, "t.scn:2: NUL byte in line");

	/* 1025 characters on line 2: one more than SIM_LINE_MAX. */
	text = malloc(2000);
	assert_non_null(text);
	strcpy(text, "seed 3\n# ");
	memset(text + 9, 'x', 1023);
	strcpy(text + 9 + 1023, "\n");
	assert_null(sim_scenario_parse(text, strlen(text), "t.scn", err, sizeof(err)));
	assert_string_equal(err, "t.scn:2: line too long (at most 1024 characters)");
	/* 1024 exactly is fine. */
	text[9 + 1022] = '\n';
	text[9 + 1023] = '\0';
	sim_scenario_free(parse_ok(text));
	free(text);
}

static void test_parse_error_too_many_chips(void **state)
{
	char text[2048] = "";
	char err[256];
	int i;

	(void)state;
	/* 16 chips are fine, the 17th (line 17) is refused. */
	for (i = 0; i < 17; i++) {
		size_t used = strlen(text);

		snprintf(text + used, sizeof(text) - used, "chip c%d mcp9808 %d\n", i, 0x10 + i);
	}
	assert_null(sim_scenario_parse(text, strlen(text), "t.scn", err, sizeof(err)));
	assert_string_equal(err, "t.scn:17: too many chips (at most 16)");
	*strstr(text, "chip c16") = '\0';
	sim_scenario_free(parse_ok(text));
}

static void test_parse_error_too_many_statements(void **state)
{
	static const char chip[] = "chip ball bmp280 0x76\n";
	static const char step[] = "at 1 ball load_kpa 2 # comment lines do not count\n";
	size_t n = 100000, i, len = 0;
	char err[256];
	char *text;

	(void)state;
	/* The chip line and 99999 steps: 100000 statements, the limit. */
	text = malloc(sizeof(chip) + (n + 1) * (sizeof(step) + 2));
	assert_non_null(text);
	memcpy(text, chip, sizeof(chip) - 1);
	len = sizeof(chip) - 1;
	for (i = 0; i < n - 1; i++) {
		memcpy(text + len, step, sizeof(step) - 1);
		len += sizeof(step) - 1;
	}
	memcpy(text + len, "#\n", 2);
	len += 2;
	{
		struct sim_scenario *scn = sim_scenario_parse(text, len, "t.scn", err, sizeof(err));

		assert_non_null(scn);
		assert_near(truth(scn, "ball", "load_kpa", 1), 2, 0);
		sim_scenario_free(scn);
	}
	/* One more, on line 100002 (after the comment line). */
	memcpy(text + len, step, sizeof(step) - 1);
	len += sizeof(step) - 1;
	assert_null(sim_scenario_parse(text, len, "t.scn", err, sizeof(err)));
	assert_string_equal(err, "t.scn:100002: too many statements (at most 100000)");
	free(text);
}

/* Random bytes and mutated valid text: the parser must answer every input
 * with a scenario or a "t.scn:LINE: ..." message, and never crash (ASan). */
static void test_parse_hostile_input(void **state)
{
	static const char base[] = "seed 7\nend 60\nchip ball bmp280 0x76 sealed\n"
				   "chip fsr ads1115 0x48\nat 1 ball load_kpa 12\n"
				   "ramp 2 4 fsr ain0_v 1.5\nnoise ball temperature_c 0.1\n"
				   "fault 5 6 fsr absent\n";
	static const char alphabet[] = " \t\n#0123456789.-+xeE abcdilmnprstu_\x01\xff\0";
	uint64_t x = 12345;
	char text[512], err[128];
	int round;

	(void)state;
	for (round = 0; round < 20000; round++) {
		size_t len, i;
		struct sim_scenario *scn;

		if (round % 2) {
			len = sizeof(base) - 1;
			memcpy(text, base, len);
			for (i = 0; i < 4; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				text[x % len] = alphabet[(x >> 32) % (sizeof(alphabet) - 1)];
			}
		} else {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			len = x % sizeof(text);
			for (i = 0; i < len; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				text[i] = alphabet[(x >> 32) % (sizeof(alphabet) - 1)];
			}
		}
		err[0] = '\0';
		scn = sim_scenario_parse(text, len, "t.scn", err, sizeof(err));
		if (scn) {
			double v;

			(void)sim_scenario_value(scn, "ball", "measured_pa", 3.0, &v);
			sim_scenario_free(scn);
		} else {
			assert_int_equal(errno, EINVAL);
			assert_memory_equal(err, "t.scn:", 6);
		}
	}
}

/* ---- values --------------------------------------------------------------- */

static void test_defaults_before_any_statement(void **state)
{
	struct sim_scenario *scn = parse_ok("chip ball bmp280 0x76\n"
					    "chip hum bme280 0x77\n"
					    "chip fsr ads1115 0x48\n"
					    "chip temp mcp9808 0x18\n"
					    "at 100 ball pressure_pa 90000\n");

	(void)state;
	/* The defaults sim.h promises; ball's step at 100 s is not yet in force. */
	assert_near(truth(scn, "ball", "pressure_pa", 0), 101325, 0);
	assert_near(truth(scn, "ball", "pressure_pa", 99.999), 101325, 0);
	assert_near(truth(scn, "ball", "load_kpa", 50), 0, 0);
	assert_near(truth(scn, "ball", "temperature_c", 50), 22, 0);
	assert_near(truth(scn, "hum", "humidity_pct", 50), 40, 0);
	assert_near(truth(scn, "fsr", "ain0_v", 50), 0, 0);
	assert_near(truth(scn, "fsr", "ain3_v", 50), 0, 0);
	assert_near(truth(scn, "temp", "temperature_c", 50), 22, 0);
	/* Unsealed, unloaded: the chip senses the ambient pressure. */
	assert_near(truth(scn, "ball", "measured_pa", 50), 101325, 0);
	assert_near(sim_scenario_end_s(scn), 0, 0);
	sim_scenario_free(scn);
}

static void test_unknown_lookups(void **state)
{
	struct sim_scenario *scn = parse_ok("chip temp mcp9808 0x18\nend 120\n");
	double v = 123;

	(void)state;
	assert_int_equal(sim_scenario_value(scn, "ball", "load_kpa", 1, &v), -ENOENT);
	assert_int_equal(sim_scenario_value(scn, "temp", "load_kpa", 1, &v), -ENOENT);
	/* measured_pa exists only for the barometers. */
	assert_int_equal(sim_scenario_value(scn, "temp", "measured_pa", 1, &v), -ENOENT);
	assert_near(v, 123, 0);
	assert_near(sim_scenario_end_s(scn), 120, 0);
	sim_scenario_free(scn);
}

static void test_steps_and_ramps(void **state)
{
	/* Deliberately out of order in the file: timelines sort by time. */
	struct sim_scenario *scn = parse_ok(
		"chip ball bmp280 118          # decimal address\n"
		"chip fsr ads1115 0x48\n"
		"chip temp mcp9808 0x18\n"
		"ramp 20 30 ball load_kpa 2    # from 12 (set at 10 s) down to 2\n"
		"at 10 ball load_kpa 12\n"
		"ramp 0 100 ball temperature_c 42\n"
		"ramp 100 200 ball load_kpa 20 # from 2, cut short by the step at 150\n"
		"at 150 ball load_kpa 5\n"
		"ramp 300 400 fsr ain0_v 10\n"
		"ramp 350 450 fsr ain0_v 0     # starts from 5, where the first one was\n"
		"at 5 temp temperature_c 30\n"
		"at 5 temp temperature_c 31    # same time: the later line wins\n");

	(void)state;
	assert_int_equal(chip_named(scn, "ball")->address, 0x76);
	assert_near(truth(scn, "ball", "load_kpa", 9.99), 0, 0);
	assert_near(truth(scn, "ball", "load_kpa", 10), 12, 0);
	assert_near(truth(scn, "ball", "load_kpa", 20), 12, 0);
	/* 12 + (2 - 12) * 2.5 / 10 = 9.5 */
	assert_near(truth(scn, "ball", "load_kpa", 22.5), 9.5, 1e-9);
	assert_near(truth(scn, "ball", "load_kpa", 30), 2, 1e-9);
	assert_near(truth(scn, "ball", "load_kpa", 60), 2, 0);
	/* 2 + (20 - 2) * 49 / 100 = 10.82 */
	assert_near(truth(scn, "ball", "load_kpa", 149), 10.82, 1e-9);
	assert_near(truth(scn, "ball", "load_kpa", 150), 5, 0);
	assert_near(truth(scn, "ball", "load_kpa", 199), 5, 0);
	assert_near(truth(scn, "ball", "load_kpa", 1000), 5, 0);
	/* From the default 22 at 0 s to 42 at 100 s: 22 + 20 * 0.5 = 32 at 50 s. */
	assert_near(truth(scn, "ball", "temperature_c", 0), 22, 0);
	assert_near(truth(scn, "ball", "temperature_c", 50), 32, 1e-9);
	assert_near(truth(scn, "ball", "temperature_c", 500), 42, 0);
	/* 0 -> 10 over 300..400 reaches 5 at 350; then 5 -> 0 over 350..450:
	 * 5 - 5 * 50 / 100 = 2.5 at 400. */
	assert_near(truth(scn, "fsr", "ain0_v", 325), 2.5, 1e-9);
	assert_near(truth(scn, "fsr", "ain0_v", 350), 5, 1e-9);
	assert_near(truth(scn, "fsr", "ain0_v", 400), 2.5, 1e-9);
	assert_near(truth(scn, "fsr", "ain0_v", 450), 0, 0);
	assert_near(truth(scn, "temp", "temperature_c", 5), 31, 0);
	/* Unsealed: 101325 Pa ambient + 9.5 kPa load at 22.5 s. */
	assert_near(truth(scn, "ball", "measured_pa", 22.5), 110825, 1e-6);
	sim_scenario_free(scn);
}

static void test_chip_value_follows_timeline(void **state)
{
	struct sim_scenario *scn = parse_ok("chip temp mcp9808 0x18\n"
					    "at 0 temp temperature_c 20\n"
					    "ramp 10 20 temp temperature_c 40\n");
	struct sim_chip *temp = chip_named(scn, "temp");

	(void)state;
	/* No noise line: exactly the timeline. 20 + 20 * 0.25 = 25 at 12.5 s. */
	assert_near(chip_value_at(temp, 0, 12.5), 25, 1e-9);
	assert_near(chip_value_at(temp, 0, 30), 40, 0);
	/* The reference for a sealed ball: time 0, after "at 0" statements. */
	assert_near(sim_chip_initial(temp, 0), 20, 0);
	sim_scenario_free(scn);
}

/* 10000 draws of sigma 2 around 22 °C. The sample mean's standard error is
 * 2 / sqrt(10000) = 0.02 and the sample standard deviation's about
 * 2 / sqrt(2 * 10000) = 0.0141; the tolerances are 4 of those. A gaussian
 * puts 68.27 % of draws within one sigma (a uniform of the same sigma only
 * 57.7 %); that fraction's standard error is sqrt(0.68 * 0.32 / 10000) =
 * 0.0047, tolerance 4 x = 0.019. */
static void test_noise_statistics(void **state)
{
	struct sim_scenario *scn = parse_ok("seed 42\nchip temp mcp9808 0x18\n"
					    "noise temp temperature_c 2\n");
	struct sim_chip *temp = chip_named(scn, "temp");
	double sum = 0, sum_sq = 0, mean, sd, truth_v;
	int i, n = 10000, within = 0;

	(void)state;
	for (i = 0; i < n; i++) {
		double v = chip_value_at(temp, 0, i * 0.01);

		sum += v;
		sum_sq += v * v;
		within += fabs(v - 22) < 2;
	}
	mean = sum / n;
	sd = sqrt((sum_sq - n * mean * mean) / (n - 1));
	assert_near(mean, 22, 0.08);
	assert_near(sd, 2, 0.057);
	assert_near((double)within / n, 0.6827, 0.019);
	/* Ground truth stays noise-free. */
	assert_int_equal(sim_scenario_value(scn, "temp", "temperature_c", 1, &truth_v), 0);
	assert_near(truth_v, 22, 0);
	sim_scenario_free(scn);
}

static void test_noise_is_deterministic_per_seed(void **state)
{
	static const char *const texts[] = {
		"seed 42\nchip temp mcp9808 0x18\nnoise temp temperature_c 2\n",
		"seed 42\nchip temp mcp9808 0x18\nnoise temp temperature_c 2\n",
		"seed 43\nchip temp mcp9808 0x18\nnoise temp temperature_c 2\n",
	};
	double draws[3][5];
	int s, i;

	(void)state;
	for (s = 0; s < 3; s++) {
		struct sim_scenario *scn = parse_ok(texts[s]);

		for (i = 0; i < 5; i++)
			draws[s][i] = chip_value_at(chip_named(scn, "temp"), 0, i);
		sim_scenario_free(scn);
	}
	assert_memory_equal(draws[0], draws[1], sizeof(draws[0]));
	assert_memory_not_equal(draws[0], draws[2], sizeof(draws[0]));
	/* Fresh draws every call, not one offset. */
	assert_true(draws[0][0] != draws[0][1]);
}

static void test_stuck_freezes_measurement(void **state)
{
	struct sim_scenario *scn = parse_ok("chip temp mcp9808 0x18\n"
					    "chip quiet mcp9808 0x19\n"
					    "ramp 0 100 temp temperature_c 42\n"
					    "ramp 0 100 quiet temperature_c 42\n"
					    "noise temp temperature_c 0.5\n"
					    "fault 10 20 temp stuck\n"
					    "fault 10 20 quiet stuck\n"
					    "fault 30 40 temp stuck\n");
	struct sim_chip *temp = chip_named(scn, "temp");
	struct sim_chip *quiet = chip_named(scn, "quiet");
	double at12, at31, after;

	(void)state;
	/* Without noise: frozen at the first reading in the window, 22 + 20 *
	 * 0.12 = 24.4 at 12 s, although the truth at 19.9 s is 25.98. */
	assert_near(chip_value_at(quiet, 0, 5), 23, 1e-9);
	assert_near(chip_value_at(quiet, 0, 12), 24.4, 1e-9);
	assert_near(chip_value_at(quiet, 0, 19.9), 24.4, 1e-9);
	/* 22 + 20 * 0.2 = 26 when the window ends. */
	assert_near(chip_value_at(quiet, 0, 20), 26, 1e-9);

	/* With noise: the very same draw, repeated. */
	at12 = chip_value_at(temp, 0, 12);
	assert_near(at12, 24.4, 4 * 0.5);
	assert_true(chip_value_at(temp, 0, 15) == at12);
	assert_true(chip_value_at(temp, 0, 19.99) == at12);
	after = chip_value_at(temp, 0, 20);
	assert_true(after != at12);
	assert_near(after, 26, 4 * 0.5);
	/* A second window freezes a new value. */
	at31 = chip_value_at(temp, 0, 31);
	assert_true(at31 != at12);
	assert_true(chip_value_at(temp, 0, 39) == at31);
	sim_scenario_free(scn);
}

/* A sealed ball holds n moles of air in a fixed volume V: p = nRT / V, so
 * p(t) / p(0) = T(t) / T(0) in kelvin. Ambient 101325 Pa at 22 °C (295.15 K)
 * heated to 37 °C (310.15 K): 101325 * 310.15 / 295.15 = 106474.50025 Pa,
 * plus a 10 kPa load: 116474.50025 Pa. */
static void test_sealed_gas_law(void **state)
{
	struct sim_scenario *scn = parse_ok("chip ball bmp280 0x76 sealed\n"
					    "chip open bme280 0x77\n"
					    "ramp 0 100 ball temperature_c 37\n"
					    "ramp 0 100 open temperature_c 37\n"
					    "at 100 ball load_kpa 10\n"
					    "at 100 open load_kpa 10\n");
	struct sim_scenario *cold = parse_ok("chip ball bmp280 0x76 sealed\n"
					     "at 0 ball pressure_pa 100000\n"
					     "at 0 ball temperature_c 20\n"
					     "at 60 ball temperature_c 30\n");

	(void)state;
	assert_true(chip_named(scn, "ball")->sealed);
	assert_false(chip_named(scn, "open")->sealed);
	assert_near(truth(scn, "ball", "measured_pa", 0), 101325, 1e-6);
	assert_near(truth(scn, "ball", "measured_pa", 100), 116474.50025, 1e-4);
	assert_near(truth(scn, "ball", "measured_pa", 99.999), 106474.50025, 0.1);
	/* Not sealed: the air inside is the room's, only the load adds. */
	assert_near(truth(scn, "open", "measured_pa", 100), 111325, 1e-6);
	/* The plain quantity stays the ambient pressure. */
	assert_near(truth(scn, "ball", "pressure_pa", 100), 101325, 0);
	/* 100000 Pa at 20 °C (293.15 K) warmed to 30 °C (303.15 K):
	 * 100000 * 303.15 / 293.15 = 103411.2229 Pa. */
	assert_near(truth(cold, "ball", "measured_pa", 59), 100000, 1e-6);
	assert_near(truth(cold, "ball", "measured_pa", 60), 103411.2229, 1e-3);
	sim_scenario_free(scn);
	sim_scenario_free(cold);
}

/* ---- loading -------------------------------------------------------------- */

static void test_load_file(void **state)
{
	char *dir = unit_tmpdir("test_scenario");
	char path[128], err[256], want[256];
	struct sim_scenario *scn;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/demo.scn", dir);
	unit_write_file(path, "end 30\nchip ball bmp280 0x76\nat 3 ball load_kpa 4\n", 0644);
	scn = sim_scenario_load(path, err, sizeof(err));
	assert_non_null(scn);
	assert_near(sim_scenario_end_s(scn), 30, 0);
	assert_near(truth(scn, "ball", "load_kpa", 3), 4, 0);
	sim_scenario_free(scn);

	unit_write_file(path, "end 30\nchip ball bmp280 0x76 # ok\nat 3 ball load 4\n", 0644);
	assert_null(sim_scenario_load(path, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	snprintf(want, sizeof(want), "%s:3: unknown quantity \"load\" for bmp280 chip \"ball\" "
		 "(known: pressure_pa, load_kpa, temperature_c)", path);
	assert_string_equal(err, want);
	assert_int_equal(unlink(path), 0);

	assert_null(sim_scenario_load(path, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
	unit_rmtree(dir);
}

/* ---- the bus -------------------------------------------------------------- */

static struct bus *bus_open_text(const char *text, struct sim_scenario **scn_out)
{
	struct sim_scenario *scn = parse_ok(text);
	struct bus *bus;

	test_clock_s = 0;
	bus = sim_bus_open(scn, test_now_s, NULL);
	assert_non_null(bus);
	if (scn_out)
		*scn_out = scn;
	return bus;
}

static struct test_regs_state *regs_of(struct sim_scenario *scn, const char *name)
{
	return chip_named(scn, name)->state;
}

static void test_bus_routes_by_address(void **state)
{
	struct sim_scenario *scn;
	struct bus *bus = bus_open_text("chip a test_regs 0x20\nchip b test_regs 0x21\n"
					"at 10 a level 99\n", &scn);
	uint8_t buf[33] = { 0 }, data[2] = { 0x11, 0x22 };

	(void)state;
	assert_string_equal(bus->name, "sim");
	/* Powered on at open. */
	assert_int_equal(regs_of(scn, "a")->power_ons, 1);
	assert_int_equal(bus->read(bus, 0x20, TEST_REG_ID, buf, 1), 0);
	assert_int_equal(buf[0], TEST_ID);
	/* Nobody at 0x22 or above 0x7f. */
	assert_int_equal(bus->read(bus, 0x22, TEST_REG_ID, buf, 1), -EREMOTEIO);
	assert_int_equal(bus->write(bus, 0x22, 1, data, 2), -EREMOTEIO);
	assert_int_equal(bus->read(bus, 0xa0, TEST_REG_ID, buf, 1), -EREMOTEIO);
	/* A write reaches only the addressed chip. */
	assert_int_equal(bus->write(bus, 0x21, 1, data, 2), 0);
	assert_int_equal(bus->read(bus, 0x21, 1, buf, 2), 0);
	assert_int_equal(buf[0], 0x11);
	assert_int_equal(buf[1], 0x22);
	assert_int_equal(bus->read(bus, 0x20, 1, buf, 2), 0);
	assert_int_equal(buf[0], 0);
	/* The model's own errors pass up unchanged. */
	assert_int_equal(bus->read(bus, 0x20, 60, buf, 8), -EIO);
	/* Each transfer happens at now_s(ctx). */
	test_clock_s = 9.5;
	assert_int_equal(bus->read(bus, 0x20, TEST_REG_LEVEL, buf, 1), 0);
	assert_int_equal(buf[0], 7);
	test_clock_s = 10;
	assert_int_equal(bus->read(bus, 0x20, TEST_REG_LEVEL, buf, 1), 0);
	assert_int_equal(buf[0], 99);
	bus->delay_us(bus, 1000);
	bus->close(bus);
}

static void test_bus_length_checks(void **state)
{
	struct bus *bus = bus_open_text("chip a test_regs 0x20\n", NULL);
	uint8_t buf[33] = { 0 };

	(void)state;
	assert_int_equal(bus->read(bus, 0x20, 0, buf, 0), -EINVAL);
	assert_int_equal(bus->read(bus, 0x20, 0, buf, 33), -EINVAL);
	assert_int_equal(bus->read(bus, 0x20, 0, buf, 32), 0);
	assert_int_equal(bus->write(bus, 0x20, 0, buf, 33), -EINVAL);
	assert_int_equal(bus->write(bus, 0x20, 0, buf, 32), 0);
	/* A bare register-pointer write. */
	assert_int_equal(bus->write(bus, 0x20, 5, NULL, 0), 0);
	/* A bad length is refused even where no chip answers. */
	assert_int_equal(bus->read(bus, 0x30, 0, buf, 0), -EINVAL);
	bus->close(bus);
}

static void test_bus_nack_window(void **state)
{
	struct sim_scenario *scn;
	struct bus *bus = bus_open_text("chip a test_regs 0x20\nfault 20 30 a nack\n", &scn);
	uint8_t cfg = 0x42, buf[1];

	(void)state;
	test_clock_s = 19;
	assert_int_equal(bus->write(bus, 0x20, 1, &cfg, 1), 0);
	test_clock_s = 20;
	assert_int_equal(bus->read(bus, 0x20, 1, buf, 1), -EREMOTEIO);
	test_clock_s = 29.99;
	assert_int_equal(bus->write(bus, 0x20, 1, &cfg, 1), -EREMOTEIO);
	/* Back at 30 s with its configuration: a NACK is not a power cycle. */
	test_clock_s = 30;
	assert_int_equal(bus->read(bus, 0x20, 1, buf, 1), 0);
	assert_int_equal(buf[0], 0x42);
	assert_int_equal(regs_of(scn, "a")->power_ons, 1);
	bus->close(bus);
}

static void test_bus_absent_window_resets_chip(void **state)
{
	struct sim_scenario *scn;
	struct bus *bus = bus_open_text("chip a test_regs 0x20\nchip b test_regs 0x21\n"
					"fault 40 50 a absent\nfault 60 65 a absent\n", &scn);
	uint8_t cfg = 0x42, buf[2];

	(void)state;
	test_clock_s = 35;
	assert_int_equal(bus->write(bus, 0x20, 1, &cfg, 1), 0);
	assert_int_equal(bus->write(bus, 0x21, 1, &cfg, 1), 0);
	test_clock_s = 45;
	assert_int_equal(bus->read(bus, 0x20, 0, buf, 2), -EREMOTEIO);
	/* The other chip is not affected. */
	assert_int_equal(bus->read(bus, 0x21, 1, buf, 1), 0);
	assert_int_equal(buf[0], 0x42);
	/* Back at 50 s in its power-on state: the 0x42 written before is gone. */
	test_clock_s = 50;
	assert_int_equal(bus->read(bus, 0x20, 0, buf, 2), 0);
	assert_int_equal(buf[0], TEST_ID);
	assert_int_equal(buf[1], 0);
	assert_int_equal(regs_of(scn, "a")->power_ons, 1);
	/* Reset once, not at every later transfer. */
	assert_int_equal(bus->write(bus, 0x20, 1, &cfg, 1), 0);
	test_clock_s = 55;
	assert_int_equal(bus->read(bus, 0x20, 1, buf, 1), 0);
	assert_int_equal(buf[0], 0x42);
	/* Off the bus 60..65 s with no transfer meanwhile: still lost. */
	test_clock_s = 70;
	assert_int_equal(bus->read(bus, 0x20, 1, buf, 1), 0);
	assert_int_equal(buf[0], 0);
	bus->close(bus);
}

static void test_bus_open_failures(void **state)
{
	struct sim_scenario *scn = parse_ok("chip a test_regs 0x20\n");

	(void)state;
	/* The bus owns scn also on failure (ASan reports a leak otherwise). */
	errno = 0;
	assert_null(sim_bus_open(scn, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(sim_bus_open(NULL, test_now_s, NULL));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors_exact),
		cmocka_unit_test(test_parse_error_nul_and_long_line),
		cmocka_unit_test(test_parse_error_too_many_chips),
		cmocka_unit_test(test_parse_error_too_many_statements),
		cmocka_unit_test(test_parse_hostile_input),
		cmocka_unit_test(test_defaults_before_any_statement),
		cmocka_unit_test(test_unknown_lookups),
		cmocka_unit_test(test_steps_and_ramps),
		cmocka_unit_test(test_chip_value_follows_timeline),
		cmocka_unit_test(test_noise_statistics),
		cmocka_unit_test(test_noise_is_deterministic_per_seed),
		cmocka_unit_test(test_stuck_freezes_measurement),
		cmocka_unit_test(test_sealed_gas_law),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_bus_routes_by_address),
		cmocka_unit_test(test_bus_length_checks),
		cmocka_unit_test(test_bus_nack_window),
		cmocka_unit_test(test_bus_absent_window_resets_chip),
		cmocka_unit_test(test_bus_open_failures),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
