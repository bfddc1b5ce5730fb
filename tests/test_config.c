/* Tests of common/config.c: the example files load, defaults are those of
 * docs/protocol.md, and every kind of mistake gives the exact message a user sees.
 * Runs from the repository root (the examples are read from config/). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ads1115.h"
#include "bmp280.h"
#include "config.h"
#include "mcp9808.h"
#include "mpu6050.h"
#include "unit.h"

/* A sensor's chip settings, as its driver's header declares them. */
#define BMP_OPT(s) ((const struct bmp280_options *)(const void *)(s)->options)
#define ADS_OPT(s) ((const struct ads1115_options *)(const void *)(s)->options)
#define MCP_OPT(s) ((const struct mcp9808_options *)(const void *)(s)->options)
#define MPU_OPT(s) ((const struct mpu6050_options *)(const void *)(s)->options)

/* The reason every device-id message gives. */
#define ID_WHY "only A-Z, a-z, 0-9, '_' and '-' are allowed, because the id becomes a " \
	       "level of MQTT topics and broker ACLs, where '/' separates levels and '+' " \
	       "and '#' are wildcards"

/* Sensors that are valid on their own, to build configurations from. */
#define BMP "{'driver':'bmp280','bus':'/dev/i2c-1','address':'0x76','provides':['pressure_kpa']}"
#define MCP "{'driver':'mcp9808','bus':'/dev/i2c-1','address':'0x18','provides':['temperature_c']}"
#define CAL "'calibration':[[0.0,0.0],[1.0,10.0],[2.0,25.0]]"
#define SENSORS(...) "{'device_id':'r','sensord':{'sensors':[" __VA_ARGS__ "]}}"

static struct rs_config cfg;	/* static: some 15 KiB */
static struct rs_config old_cfg;	/* static: some 15 KiB */
static char err[2048];
static char text[8192];

/* The test's JSON is written with ' for " to stay readable. */
static const char *q(const char *s)
{
	size_t n = strlen(s);

	assert_true(n < sizeof(text));
	for (size_t i = 0; i <= n; i++)
		text[i] = s[i] == '\'' ? '"' : s[i];
	return text;
}

static int parse_raw(const char *json)
{
	err[0] = '\0';
	return config_parse(json, strlen(json), "cfg.json", "/base", &cfg, err, sizeof(err));
}

static int parse(const char *json)
{
	return parse_raw(q(json));
}

static void expect_ok(const char *json)
{
	int rc = parse(json);

	if (rc != 0)
		print_message("refused: %s\n  %s\n", text, err);
	assert_int_equal(rc, 0);
}

static void expect_error_raw(const char *json, const char *message)
{
	int rc = parse_raw(json);

	if (rc != -1)
		print_message("accepted: %s\n", json);
	assert_int_equal(rc, -1);
	assert_string_equal(err, message);
}

static void expect_error(const char *json, const char *message)
{
	expect_error_raw(q(json), message);
}

/* ---- the example files ------------------------------------------------- */

static void test_examples_all_load(void **state)
{
	glob_t g;

	(void)state;
	assert_int_equal(glob("config/*.json", 0, NULL, &g), 0);
	/* lacrosse-ball, foam-roller and simulated at least. */
	assert_true(g.gl_pathc >= 3);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		int rc = config_load(g.gl_pathv[i], &cfg, err, sizeof(err));
		if (rc != 0)
			print_message("%s\n", err);
		assert_int_equal(rc, 0);
		assert_string_equal(cfg.path, g.gl_pathv[i]);
	}
	globfree(&g);
}

static void test_example_lacrosse_ball(void **state)
{
	const struct sensor_cfg *s;

	(void)state;
	assert_int_equal(config_load("config/lacrosse-ball.json", &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.device_id, "ball1");
	assert_int_equal(cfg.sensord.n_sensors, 3);
	assert_false(cfg.sensord.simulated);

	s = &cfg.sensord.sensors[0];
	assert_string_equal(s->driver, "bmp280");
	assert_string_equal(s->bus, "/dev/i2c-1");
	assert_int_equal(s->address, 0x76);
	assert_int_equal(s->provides, CONFIG_CHANNEL_PRESSURE);
	assert_string_equal(s->key, "bmp280@/dev/i2c-1:0x76");
	assert_false(BMP_OPT(s)->normal_mode);

	s = &cfg.sensord.sensors[1];
	assert_string_equal(s->key, "mcp9808@/dev/i2c-1:0x18");
	assert_int_equal(s->provides, CONFIG_CHANNEL_TEMPERATURE);
	assert_true(MCP_OPT(s)->resolution_c == 0.0625);
	assert_true(cfg.sensord.gauge.gas_law);

	/* The gyroscope beside the BMP280: ±500 °/s covers a ball's 18 to
	 * 90 °/s. */
	s = &cfg.sensord.sensors[2];
	assert_string_equal(s->key, "mpu6050@/dev/i2c-1:0x68");
	assert_int_equal(s->provides, CONFIG_CHANNEL_ROTATION);
	assert_true(MPU_OPT(s)->gyro_range_dps == 500);

	/* A ball reaches every spot: the default zones. */
	assert_int_equal(cfg.zones.n, 15);
	assert_string_equal(cfg.zones.zone[0].name, "neck");
	assert_string_equal(cfg.zones.zone[14].label, "Right foot");
	assert_true(cfg.sensord.feedback.double_press_s == 0.4);
}

static void test_example_foam_roller(void **state)
{
	const struct sensor_cfg *s;

	(void)state;
	assert_int_equal(config_load("config/foam-roller.json", &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.device_id, "roller1");
	assert_int_equal(cfg.sensord.n_sensors, 3);

	s = &cfg.sensord.sensors[0];
	assert_string_equal(s->key, "ads1115@/dev/i2c-1:0x48");
	assert_int_equal(s->provides, CONFIG_CHANNEL_PRESSURE);
	/* "ain0" is AIN0 against GND: MUX 100 [ADS config bits 14:12]. */
	assert_int_equal(ADS_OPT(s)->mux, 4);
	assert_true(ADS_OPT(s)->fsr_v == 4.096);
	assert_int_equal(ADS_OPT(s)->data_rate_sps, 128);
	assert_true(ADS_OPT(s)->calibration.n_points >= 2);
	for (size_t i = 1; i < ADS_OPT(s)->calibration.n_points; i++)
		assert_true(ADS_OPT(s)->calibration.v[i] > ADS_OPT(s)->calibration.v[i - 1]);
	/* A divider from 3.3 V never reads above 3.3 V. */
	assert_true(ADS_OPT(s)->calibration.v[ADS_OPT(s)->calibration.n_points - 1] < 3.3);

	s = &cfg.sensord.sensors[1];
	assert_string_equal(s->key, "mcp9808@/dev/i2c-1:0x18");
	assert_false(cfg.sensord.gauge.gas_law);

	/* The gyroscope on the end cap: a roller turns at 8 to 40 °/s. */
	s = &cfg.sensord.sensors[2];
	assert_string_equal(s->key, "mpu6050@/dev/i2c-1:0x68");
	assert_int_equal(s->provides, CONFIG_CHANNEL_ROTATION);
	assert_true(MPU_OPT(s)->gyro_range_dps == 250);

	/* A roller's spots: back, glutes, thighs, calves; no neck, no feet. */
	assert_int_equal(cfg.zones.n, 8);
	assert_string_equal(cfg.zones.zone[0].name, "upper_back");
	assert_string_equal(cfg.zones.zone[7].name, "calf_right");
	assert_string_equal(cfg.zones.zone[6].label, "Left calf");
	assert_int_equal(zones_find(&cfg.zones, "neck"), -1);
	assert_int_equal(zones_find(&cfg.zones, "foot_left"), -1);
}

static void test_example_simulated(void **state)
{
	char cwd[PATH_MAX];
	char expected[PATH_MAX + 64];

	(void)state;
	assert_int_equal(config_load("config/simulated.json", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.sensord.n_sensors, 2);
	assert_true(cfg.sensord.simulated);
	assert_string_equal(cfg.sensord.sensors[0].key, "bmp280@sim:0x76");
	assert_string_equal(cfg.sensord.sensors[1].key, "mcp9808@sim:0x18");
	assert_string_equal(cfg.mqtt.uri, "tcp://127.0.0.1:1883");
	assert_string_equal(cfg.sensord.state_dir, "/tmp/rollsense-sim");
	/* "scenarios/demo.scn" is relative to config/, made absolute. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(expected, sizeof(expected), "%s/config/scenarios/demo.scn", cwd);
	assert_string_equal(cfg.sensord.sim.scenario, expected);
}

/* ---- defaults ---------------------------------------------------------- */

static void test_defaults(void **state)
{
	(void)state;
	expect_ok("{'device_id':'roller1'}");
	assert_string_equal(cfg.path, "cfg.json");
	assert_string_equal(cfg.device_id, "roller1");
	assert_string_equal(cfg.log_level, "info");
	assert_string_equal(cfg.mqtt.uri, "tcp://127.0.0.1:1883");
	assert_string_equal(cfg.mqtt.topic_prefix, "rollsense");
	assert_string_equal(cfg.mqtt.client_id, "");
	assert_string_equal(cfg.mqtt.password, "");
	assert_int_equal(cfg.mqtt.keepalive_s, 30);
	assert_int_equal(cfg.sensord.sample_hz, 10);
	assert_string_equal(cfg.sensord.state_dir, "/var/lib/rollsense");
	assert_int_equal(cfg.sensord.confirm, CONFIRM_COLLECTOR);
	assert_int_equal(cfg.sensord.outbox_max, 200000);
	assert_true(cfg.sensord.resend_s == 30.0);
	assert_true(cfg.sensord.flush_s == 1.0);
	assert_int_equal(cfg.sensord.n_sensors, 0);
	assert_false(cfg.sensord.simulated);
	assert_true(cfg.sensord.gauge.rest_kpa == 1.0);
	assert_true(cfg.sensord.gauge.track_s == 60.0);
	assert_true(cfg.sensord.gauge.gas_law);
	assert_true(cfg.sensord.sim.time_scale == 1.0);
	assert_false(cfg.sensord.sim.exit_at_end);
	assert_string_equal(cfg.collector.database, "/var/lib/rollsense/collector.db");
	assert_int_equal(cfg.collector.retention_days, 30);
	assert_true(cfg.collector.commit_s == 0.5);
	assert_true(cfg.collector.gap_timeout_s == 300);

	/* docs/protocol.md, "Detector semantics". */
	assert_true(cfg.detector.contact_kpa == 2.0);
	assert_true(cfg.detector.hold_start_kpa == 10.0);
	assert_true(cfg.detector.hold_end_kpa == 8.0);
	assert_true(cfg.detector.bridge_s == 1.0);
	assert_true(cfg.detector.min_hold_s == 5.0);
	assert_true(cfg.detector.effective_s == 10.0);
	assert_true(cfg.detector.long_s == 60.0);
	assert_true(cfg.detector.idle_s == 120.0);
	assert_true(cfg.detector.heat_c == 38.0);
	assert_true(cfg.detector.heat_hysteresis_c == 0.5);
	assert_true(cfg.detector.hot_c == 45.0);

	/* The 15 zones of the issue, in its order, with their labels. */
	assert_int_equal(cfg.zones.n, 15);
	assert_string_equal(cfg.zones.zone[0].name, "neck");
	assert_string_equal(cfg.zones.zone[0].label, "Neck");
	assert_string_equal(cfg.zones.zone[1].name, "shoulder_left");
	assert_string_equal(cfg.zones.zone[1].label, "Left shoulder");
	assert_string_equal(cfg.zones.zone[11].name, "calf_left");
	assert_string_equal(cfg.zones.zone[11].label, "Left calf");
	assert_string_equal(cfg.zones.zone[14].name, "foot_right");
	assert_string_equal(cfg.zones.zone[14].label, "Right foot");
	assert_int_equal(cfg.advice.days_per_week, 3);
	assert_int_equal(cfg.advice.weeks, 3);
	assert_true(cfg.advice.long_share == 0.5);
	assert_int_equal(cfg.advice.min_holds, 3);
	assert_true(cfg.advice.burn_risk);
	assert_true(cfg.sensord.feedback.double_press_s == 0.4);

	/* config_defaults alone gives the same. */
	memset(&cfg, 0xa5, sizeof(cfg));
	config_defaults(&cfg);
	assert_int_equal(cfg.zones.n, 15);
	assert_string_equal(cfg.zones.zone[12].name, "calf_right");
	assert_string_equal(cfg.zones.zone[12].label, "Right calf");
	assert_int_equal(cfg.advice.weeks, 3);
	assert_true(cfg.advice.burn_risk);
	assert_true(cfg.sensord.feedback.double_press_s == 0.4);
}

/* "zones": names or {name, label} objects, [] for none, and every mistake
 * named with its index. */
static void test_zones(void **state)
{
	char json[4096];
	size_t o;

	(void)state;
	expect_ok("{'zones':['neck',{'name':'calf_left','label':'Linke Wade \\u00e4'},"
		  "{'name':'x_1'}]}");
	assert_int_equal(cfg.zones.n, 3);
	assert_string_equal(cfg.zones.zone[0].name, "neck");
	assert_string_equal(cfg.zones.zone[0].label, "neck");
	assert_string_equal(cfg.zones.zone[1].label, "Linke Wade \xc3\xa4");
	assert_string_equal(cfg.zones.zone[2].label, "x_1");
	assert_int_equal(zones_find(&cfg.zones, "calf_left"), 1);
	assert_int_equal(zones_find(&cfg.zones, "calf_right"), -1);
	assert_string_equal(zones_label(&cfg.zones, "calf_left"), "Linke Wade \xc3\xa4");
	assert_string_equal(zones_label(&cfg.zones, "gone"), "gone");

	expect_ok("{'zones':[]}");
	assert_int_equal(cfg.zones.n, 0);

	expect_error("{'zones':['neck','hip_left','hip_right','Calf']}",
		     "cfg.json: zones[3]: \"Calf\" is not a zone name: 1 to 32 of a-z, 0-9 and '_', "
		     "and not \"none\" (it means no zone)");
	expect_error("{'zones':[{'name':'none'}]}",
		     "cfg.json: zones[0].name: \"none\" is not a zone name: 1 to 32 of a-z, 0-9 and "
		     "'_', and not \"none\" (it means no zone)");
	expect_error("{'zones':['']}",
		     "cfg.json: zones[0]: \"\" is not a zone name: 1 to 32 of a-z, 0-9 and '_', "
		     "and not \"none\" (it means no zone)");
	expect_error("{'zones':['abcdefghijklmnopqrstuvwxyz0123456']}",
		     "cfg.json: zones[0]: \"abcdefghijklmnopqrstuvwxyz0123456\" is not a zone name: "
		     "1 to 32 of a-z, 0-9 and '_', and not \"none\" (it means no zone)");
	expect_ok("{'zones':['abcdefghijklmnopqrstuvwxyz012345']}");
	expect_error("{'zones':['neck','calf_left',{'name':'neck','label':'Nape'}]}",
		     "cfg.json: zones[2]: \"neck\" is already zones[0]; each zone is listed once");
	expect_error("{'zones':'neck'}",
		     "cfg.json: zones: expected an array of zone names or {\"name\", \"label\"} "
		     "objects, like [\"neck\", {\"name\": \"calf_left\", \"label\": \"Left calf\"}]");
	expect_error("{'zones':['neck',7]}",
		     "cfg.json: zones[1]: expected a zone name (a string) or an object {\"name\", \"label\"}");
	expect_error("{'zones':[{'name':3}]}", "cfg.json: zones[0].name: expected a string");
	expect_error("{'zones':[{'label':'Neck'}]}",
		     "cfg.json: zones[0]: no \"name\"; a zone object is {\"name\": \"calf_left\", "
		     "\"label\": \"Left calf\"}");
	expect_error("{'zones':['neck',{'name':'calf_left','lable':'Left calf'}]}",
		     "cfg.json: zones[1].lable: unknown key (known: name, label)");
	expect_error("{'zones':[{'name':'neck','label':''}]}",
		     "cfg.json: zones[0].label: empty; leave \"label\" out to show the name");
	expect_error("{'zones':[{'name':'neck','label':false}]}",
		     "cfg.json: zones[0].label: expected a string");
	/* 64 bytes fit, 65 do not (counted in bytes: 'ä' is two). */
	expect_ok("{'zones':[{'name':'neck','label':'"
		  "0123456789012345678901234567890123456789012345678901234567890123'}]}");
	expect_error("{'zones':[{'name':'neck','label':'"
		     "012345678901234567890123456789012345678901234567890123456789012\\u00e4'}]}",
		     "cfg.json: zones[0].label: too long (65 bytes, at most 64)");
	/* Raw bytes that are not UTF-8 (cJSON passes them through). */
	expect_error_raw("{\"zones\":[{\"name\":\"neck\",\"label\":\"Nack\xe4\"}]}",
			 "cfg.json: zones[0].label: \"Nack\\xe4\" is not UTF-8");

	/* ZONES_MAX fit, one more does not. */
	o = (size_t)snprintf(json, sizeof(json), "{\"zones\":[");
	for (int i = 0; i < ZONES_MAX; i++)
		o += (size_t)snprintf(json + o, sizeof(json) - o, "%s\"z%d\"", i ? "," : "", i);
	snprintf(json + o, sizeof(json) - o, "]}");
	assert_int_equal(parse_raw(json), 0);
	assert_int_equal(cfg.zones.n, ZONES_MAX);
	assert_string_equal(cfg.zones.zone[ZONES_MAX - 1].name, "z31");
	snprintf(json + o, sizeof(json) - o, ",\"z99\"]}");
	expect_error_raw(json, "cfg.json: zones: more than 32 zones");
}

/* "advice": its rows and their ranges. */
static void test_advice(void **state)
{
	(void)state;
	expect_ok("{'advice':{'days_per_week':4,'weeks':2,'long_share':0.75,'min_holds':5,"
		  "'burn_risk':false}}");
	assert_int_equal(cfg.advice.days_per_week, 4);
	assert_int_equal(cfg.advice.weeks, 2);
	assert_true(cfg.advice.long_share == 0.75);
	assert_int_equal(cfg.advice.min_holds, 5);
	assert_false(cfg.advice.burn_risk);
	expect_error("{'advice':{'days_per_week':8}}",
		     "cfg.json: advice.days_per_week: 8 is out of range (1..7)");
	expect_error("{'advice':{'days_per_week':0}}",
		     "cfg.json: advice.days_per_week: 0 is out of range (1..7)");
	expect_error("{'advice':{'weeks':9}}", "cfg.json: advice.weeks: 9 is out of range (1..8)");
	expect_error("{'advice':{'long_share':1.5}}",
		     "cfg.json: advice.long_share: 1.5 is out of range (0..1)");
	expect_error("{'advice':{'min_holds':0}}",
		     "cfg.json: advice.min_holds: 0 is out of range (1..1000)");
	expect_error("{'advice':{'burn_risk':1}}", "cfg.json: advice.burn_risk: expected true or false");
	expect_error("{'advice':{'days':3}}",
		     "cfg.json: advice.days: unknown key (known: days_per_week, weeks, long_share, "
		     "min_holds, burn_risk)");
}

static void test_sensor_defaults(void **state)
{
	const struct sensor_cfg *s;

	(void)state;
	expect_ok(SENSORS("{'driver':'bme280','bus':'/dev/i2c-1','address':119,"
			  "'provides':['pressure_kpa','temperature_c']},"
			  "{'driver':'ads1115','bus':'/dev/i2c-1','address':72," CAL "}"));
	s = &cfg.sensord.sensors[0];
	assert_string_equal(s->key, "bme280@/dev/i2c-1:0x77");
	assert_int_equal(s->provides, CONFIG_CHANNEL_PRESSURE | CONFIG_CHANNEL_TEMPERATURE);
	assert_false(BMP_OPT(s)->normal_mode);
	assert_int_equal(BMP_OPT(s)->oversampling_p, 4);
	assert_int_equal(BMP_OPT(s)->oversampling_t, 1);
	assert_int_equal(BMP_OPT(s)->oversampling_h, 1);
	assert_int_equal(BMP_OPT(s)->filter, 0);

	s = &cfg.sensord.sensors[1];
	/* 72 without quotes is decimal: 0x48. No "provides": it only adds its own fields. */
	assert_string_equal(s->key, "ads1115@/dev/i2c-1:0x48");
	assert_int_equal(s->provides, 0);
	assert_int_equal(ADS_OPT(s)->mux, 4);
	assert_true(ADS_OPT(s)->fsr_v == 4.096);
	assert_int_equal(ADS_OPT(s)->data_rate_sps, 128);
	assert_int_equal(ADS_OPT(s)->calibration.n_points, 3);
	assert_true(ADS_OPT(s)->calibration.v[2] == 2.0);
	assert_true(ADS_OPT(s)->calibration.kpa[2] == 25.0);
}

static void test_settings_taken(void **state)
{
	const struct sensor_cfg *s;

	(void)state;
	expect_ok("{'device_id':'Roller_1-b','log_level':'debug',"
		  "'mqtt':{'uri':'mqtts://[::1]:8883','topic_prefix':'home/rollsense',"
		  "'client_id':'rs-1','username':'u','keepalive_s':60},"
		  "'sensord':{'sample_hz':100,'confirm':'broker','outbox_max':10,"
		  "'sensors':[{'driver':'bme280','bus':'/dev/i2c-3','address':'0X77',"
		  "'provides':['temperature_c'],'mode':'normal','oversampling_p':16,"
		  "'oversampling_t':2,'oversampling_h':8,'filter':16},"
		  "{'driver':'ads1115','bus':'/dev/i2c-3','address':'0x49','provides':['pressure_kpa'],"
		  "'input':'ain2-ain3','gain_v':0.256,'data_rate_sps':860," CAL "}]}}");
	assert_string_equal(cfg.log_level, "debug");
	assert_string_equal(cfg.mqtt.uri, "mqtts://[::1]:8883");
	assert_string_equal(cfg.mqtt.topic_prefix, "home/rollsense");
	assert_int_equal(cfg.mqtt.keepalive_s, 60);
	assert_int_equal(cfg.sensord.confirm, CONFIRM_BROKER);
	assert_int_equal(cfg.sensord.outbox_max, 10);
	s = &cfg.sensord.sensors[0];
	assert_true(BMP_OPT(s)->normal_mode);
	assert_int_equal(BMP_OPT(s)->oversampling_p, 16);
	assert_int_equal(BMP_OPT(s)->oversampling_t, 2);
	assert_int_equal(BMP_OPT(s)->oversampling_h, 8);
	assert_int_equal(BMP_OPT(s)->filter, 16);
	s = &cfg.sensord.sensors[1];
	/* AIN2 against AIN3: MUX 011 [ADS config bits 14:12]. */
	assert_int_equal(ADS_OPT(s)->mux, 3);
	assert_true(ADS_OPT(s)->fsr_v == 0.256);
	assert_int_equal(ADS_OPT(s)->data_rate_sps, 860);

	expect_ok(SENSORS("{'driver':'mcp9808','bus':'/dev/i2c-1','address':'0x1f',"
			  "'provides':['temperature_c'],'resolution_c':0.5}"));
	assert_true(MCP_OPT(&cfg.sensord.sensors[0])->resolution_c == 0.5);
	assert_int_equal(cfg.sensord.sensors[0].address, 0x1f);
}

/* ---- comments ---------------------------------------------------------- */

static void test_comments(void **state)
{
	(void)state;
	/* "//" and "/" "*" inside strings are text, and a string ending in an
	 * escaped backslash ends there (cJSON_Minify 1.7.15 gets that wrong). */
	expect_ok("// leading comment\n"
		  "{ /* block\n comment */ 'device_id': 'r', // trailing\n"
		  "  'mqtt': { 'uri': 'tcp://broker.local:1883', /* the broker */\n"
		  "            'client_id': 'a/*b*/c//d',\n"
		  "            'username': 'dom\\\\' /* ends in a backslash */ }\n"
		  "}\n// the end");
	assert_string_equal(cfg.mqtt.uri, "tcp://broker.local:1883");
	assert_string_equal(cfg.mqtt.client_id, "a/*b*/c//d");
	assert_string_equal(cfg.mqtt.username, "dom\\");

	expect_error("{'device_id':'r'}\n/* never closed",
		     "cfg.json: line 2, column 1: a /* comment is never closed");
}

/* ---- errors ------------------------------------------------------------ */

static void test_error_unknown_keys(void **state)
{
	(void)state;
	expect_error("{'device_id':'r','colector':{}}",
		     "cfg.json: colector: unknown key (known: device_id, log_level, mqtt, sensord, "
		     "detector, collector, homeassistant, web, zones, advice)");
	expect_error(SENSORS(BMP ",{'driver':'mcp9808','bus':'/dev/i2c-1','adress':'0x18',"
			     "'provides':['temperature_c']}"),
		     "cfg.json: sensord.sensors[1].adress: unknown key (known: driver, bus, address, "
		     "provides, resolution_c)");
	expect_error("{'device_id':'r','mqtt':{'tls':{'ca':'x'}}}",
		     "cfg.json: mqtt.tls.ca: unknown key (known: ca_file, cert_file, key_file, key_group)");
	expect_error("{'device_id':'r','sensord':{'gauge':{'rest':1}}}",
		     "cfg.json: sensord.gauge.rest: unknown key (known: rest_kpa, track_s, gas_law)");
	/* A hostile key is escaped in the message. */
	expect_error("{'device_id':'r','a\\nb':1}",
		     "cfg.json: a\\x0ab: unknown key (known: device_id, log_level, mqtt, sensord, "
		     "detector, collector, homeassistant, web, zones, advice)");
	expect_error("{'device_id':'r','log_level':'info','log_level':'debug'}",
		     "cfg.json: log_level: given twice");
	expect_error("{'device_id':'r','sensord':{'feedback':{'chip':'gpiochip0','lde':17}}}",
		     "cfg.json: sensord.feedback.lde: unknown key (known: chip, led, buzzer, button, "
		     "led_active_low, buzzer_active_low, button_active_low, debounce_ms, long_press_s, "
		     "double_press_s)");
	expect_error("{'device_id':'r','homeassistant':{'prefix':'ha'}}",
		     "cfg.json: homeassistant.prefix: unknown key (known: enabled, discovery_prefix)");
}

/* The feedback lines: offsets or names; lines without a chip are refused. */
static void test_feedback_and_homeassistant(void **state)
{
	static const char good[] =
		"{\"device_id\":\"r\",\"sensord\":{\"feedback\":{\"chip\":\"pinctrl-bcm2711\","
		"\"led\":17,\"buzzer\":\"GPIO27\",\"button\":22,\"long_press_s\":1.5}},"
		"\"homeassistant\":{\"enabled\":false,\"discovery_prefix\":\"ha\"}}";

	(void)state;
	assert_int_equal(config_parse(good, sizeof(good) - 1, "cfg.json", "/", &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.sensord.feedback.chip, "pinctrl-bcm2711");
	assert_int_equal(cfg.sensord.feedback.led.offset, 17);
	assert_string_equal(cfg.sensord.feedback.buzzer.name, "GPIO27");
	assert_int_equal(cfg.sensord.feedback.buzzer.offset, -1);
	assert_int_equal(cfg.sensord.feedback.button.offset, 22);
	assert_true(cfg.sensord.feedback.button_active_low);
	assert_int_equal(cfg.sensord.feedback.debounce_ms, 30);
	assert_true(cfg.sensord.feedback.long_press_s == 1.5);
	assert_false(cfg.homeassistant.enabled);
	assert_string_equal(cfg.homeassistant.discovery_prefix, "ha");
	assert_true(cfg.sensord.feedback.double_press_s == 0.4);
	expect_ok("{'sensord':{'feedback':{'double_press_s':0.25}}}");
	assert_true(cfg.sensord.feedback.double_press_s == 0.25);
	expect_error("{'sensord':{'feedback':{'double_press_s':0.05}}}",
		     "cfg.json: sensord.feedback.double_press_s: 0.05 is out of range (0.1..2)");
	expect_error("{'sensord':{'feedback':{'double_press_s':2.5}}}",
		     "cfg.json: sensord.feedback.double_press_s: 2.5 is out of range (0.1..2)");
	expect_error("{'sensord':{'feedback':{'long_press_s':0.5,'double_press_s':0.5}}}",
		     "cfg.json: sensord.feedback.double_press_s: 0.5 is not below "
		     "sensord.feedback.long_press_s (0.5); a press that long ends the session, so a "
		     "double press would never be seen");
	expect_error("{'device_id':'r','sensord':{'feedback':{'led':17}}}",
		     "cfg.json: sensord.feedback.chip: missing; the lines need their GPIO chip "
		     "(\"gpiochip0\", a chip label, or \"sim\")");
	expect_error("{'device_id':'r','sensord':{'feedback':{'chip':'sim','led':2000}}}",
		     "cfg.json: sensord.feedback.led: 2000 is out of range (0..1023)");
	expect_error("{'device_id':'r','sensord':{'feedback':{'chip':'sim','led':true}}}",
		     "cfg.json: sensord.feedback.led: expected a line offset (a number) or a line name (a string)");
	expect_error("{'device_id':'r','homeassistant':{'discovery_prefix':'ha/#'}}",
		     "cfg.json: homeassistant.discovery_prefix: \"ha/#\" contains '#', an MQTT wildcard");
}

/* "web": defaults, good and bad addresses, ranges; its keys wait for a
 * restart of the collector's side (serve). */
static void test_web(void **state)
{
	static const char good[] = "{\"web\":{\"listen\":\"[::]:80\",\"max_clients\":256,"
				   "\"timeout_s\":5,\"commands\":true,"
				   "\"hosts\":[\"pi.fritz.box\",\"Pi-2.LAN.\"]}}";
	char host[64], names[256], long_name[255], json[320];
	unsigned port = 0;

	(void)state;
	assert_int_equal(config_parse("{}", 2, "cfg.json", "/", &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.web.listen, "127.0.0.1:8480");
	assert_int_equal(cfg.web.max_clients, 32);
	assert_int_equal(cfg.web.timeout_s, 30);
	assert_false(cfg.web.commands);
	assert_int_equal(cfg.web.hosts.n, 0);
	old_cfg = cfg;
	assert_int_equal(config_parse(good, sizeof(good) - 1, "cfg.json", "/", &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.web.listen, "[::]:80");
	assert_int_equal(cfg.web.max_clients, 256);
	assert_int_equal(cfg.web.timeout_s, 5);
	assert_true(cfg.web.commands);
	assert_int_equal(cfg.web.hosts.n, 2);
	assert_string_equal(cfg.web.hosts.name[0], "pi.fritz.box");
	assert_string_equal(cfg.web.hosts.name[1], "Pi-2.LAN.");
	assert_int_equal(config_restart_keys(&old_cfg, &cfg, CONFIG_COLLECTOR, names, sizeof(names)), 5);
	assert_string_equal(names, "web.listen, web.max_clients, web.timeout_s, web.commands, "
			    "web.hosts");
	assert_int_equal(config_restart_keys(&old_cfg, &cfg, CONFIG_SENSORD, names, sizeof(names)), 0);

	assert_int_equal(config_listen_split("[::]:8480", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::");
	assert_int_equal(port, 8480);
	assert_int_equal(config_listen_split("0.0.0.0:8480", host, sizeof(host), &port), 0);
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(config_listen_split("pi.local:1", host, sizeof(host), &port), 0);
	assert_string_equal(host, "pi.local");
	assert_int_equal(port, 1);
	assert_int_equal(config_listen_split("pi.local:1", host, 8, &port), -1);

	expect_error("{'web':{'listen':'x'}}", "cfg.json: web.listen: \"x\" is not HOST:PORT (such as "
		     "127.0.0.1:8480, 0.0.0.0:8480 or [::]:8480)");
	expect_error("{'web':{'listen':'127.0.0.1:65536'}}", "cfg.json: web.listen: \"127.0.0.1:65536\" "
		     "is not HOST:PORT (such as 127.0.0.1:8480, 0.0.0.0:8480 or [::]:8480)");
	expect_error("{'web':{'listen':':8480'}}", "cfg.json: web.listen: \":8480\" is not HOST:PORT "
		     "(such as 127.0.0.1:8480, 0.0.0.0:8480 or [::]:8480)");
	expect_error("{'web':{'listen':'[::1]8480'}}", "cfg.json: web.listen: \"[::1]8480\" is not "
		     "HOST:PORT (such as 127.0.0.1:8480, 0.0.0.0:8480 or [::]:8480)");
	expect_error("{'web':{'listen':'host:0'}}", "cfg.json: web.listen: \"host:0\" is not HOST:PORT "
		     "(such as 127.0.0.1:8480, 0.0.0.0:8480 or [::]:8480)");
	expect_error("{'web':{'max_clients':0}}", "cfg.json: web.max_clients: 0 is out of range (1..1024)");
	expect_error("{'web':{'max_clients':1025}}",
		     "cfg.json: web.max_clients: 1025 is out of range (1..1024)");
	expect_error("{'web':{'timeout_s':3601}}", "cfg.json: web.timeout_s: 3601 is out of range (1..3600)");
	expect_error("{'web':{'commands':'yes'}}", "cfg.json: web.commands: expected true or false");
	expect_error("{'web':{'port':80}}", "cfg.json: web.port: unknown key (known: listen, "
		     "max_clients, timeout_s, commands, hosts)");
	expect_error("{'web':{'hosts':'pi.lan'}}",
		     "cfg.json: web.hosts: expected an array of host names, like [\"pi.lan\"]");
	expect_error("{'web':{'hosts':['pi.lan',7]}}", "cfg.json: web.hosts[1]: expected a string");
	expect_error("{'web':{'hosts':['pi.lan','pi lan']}}", "cfg.json: web.hosts[1]: \"pi lan\" is "
		     "not a host name (letters, digits, '-' and '.', at most 253)");
	expect_error("{'web':{'hosts':['']}}", "cfg.json: web.hosts[0]: \"\" is not a host name "
		     "(letters, digits, '-' and '.', at most 253)");
	expect_error("{'web':{'hosts':['a','b','c','d','e','f','g','h','i','j','k','l','m','n','o',"
		     "'p','q']}}", "cfg.json: web.hosts[16]: more than 16 names");
	/* 253 characters pass, 254 do not. */
	memset(long_name, 'a', 254);
	long_name[253] = '\0';
	snprintf(json, sizeof(json), "{\"web\":{\"hosts\":[\"%s\"]}}", long_name);
	assert_int_equal(config_parse(json, strlen(json), "cfg.json", "/", &cfg, err, sizeof(err)), 0);
	assert_int_equal(strlen(cfg.web.hosts.name[0]), 253);
	long_name[253] = 'a';
	long_name[254] = '\0';
	snprintf(json, sizeof(json), "{\"web\":{\"hosts\":[\"%s\"]}}", long_name);
	assert_int_equal(config_parse(json, strlen(json), "cfg.json", "/", &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cfg.json: web.hosts[0]: \"aaaa"));
	assert_non_null(strstr(err, " is not a host name (letters, digits, '-' and '.', at most 253)"));
}

static void test_error_wrong_driver_key(void **state)
{
	(void)state;
	expect_error(SENSORS("{'driver':'bmp280','bus':'/dev/i2c-1','address':'0x76',"
			     "'provides':['pressure_kpa'],'gain_v':4.096}"),
		     "cfg.json: sensord.sensors[0].gain_v: does not apply to driver bmp280 "
		     "(it is a setting of ads1115)");
	expect_error(SENSORS("{'driver':'bmp280','bus':'/dev/i2c-1','address':'0x76',"
			     "'provides':['pressure_kpa'],'oversampling_h':1}"),
		     "cfg.json: sensord.sensors[0].oversampling_h: does not apply to driver bmp280 "
		     "(it is a setting of bme280)");
	expect_error(SENSORS("{'driver':'mcp9808','bus':'/dev/i2c-1','address':'0x18',"
			     "'provides':['temperature_c'],'mode':'forced'}"),
		     "cfg.json: sensord.sensors[0].mode: does not apply to driver mcp9808 "
		     "(it is a setting of bmp280, bme280)");
	expect_error(SENSORS("{'driver':'bmp281','bus':'/dev/i2c-1','address':'0x76',"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].driver: \"bmp281\" is not a known driver "
		     "(known: bmp280, bme280, ads1115, mcp9808, lps22hb, mpu6050)");
}

static void test_error_types(void **state)
{
	(void)state;
	expect_error("{'device_id':'r','sensord':{'sample_hz':'10'}}",
		     "cfg.json: sensord.sample_hz: expected a number");
	expect_error("{'device_id':'r','mqtt':{'uri':1883}}",
		     "cfg.json: mqtt.uri: expected a string");
	expect_error("{'device_id':'r','sensord':{'gauge':{'gas_law':'yes'}}}",
		     "cfg.json: sensord.gauge.gas_law: expected true or false");
	expect_error("{'device_id':'r','mqtt':[]}", "cfg.json: mqtt: expected an object");
	expect_error("{'device_id':'r','mqtt':{'keepalive_s':2.5}}",
		     "cfg.json: mqtt.keepalive_s: expected an integer, got 2.5");
	/* cJSON reads 1e999 as infinity. */
	expect_error("{'device_id':'r','detector':{'bridge_s':1e999}}",
		     "cfg.json: detector.bridge_s: expected a finite number");
	expect_error(SENSORS("{'driver':'bmp280','bus':'/dev/i2c-1','address':'0x76',"
			     "'provides':'pressure_kpa'}"),
		     "cfg.json: sensord.sensors[0].provides: expected an array, like [\"pressure_kpa\"]");
	expect_error("{'device_id':7}", "cfg.json: device_id: expected a string");
}

static void test_error_ranges(void **state)
{
	char json[256];

	(void)state;
	expect_error("{'device_id':'r','sensord':{'sample_hz':0}}",
		     "cfg.json: sensord.sample_hz: 0 is out of range (1..100)");
	expect_error("{'device_id':'r','sensord':{'sample_hz':101}}",
		     "cfg.json: sensord.sample_hz: 101 is out of range (1..100)");
	expect_error("{'device_id':'r','sensord':{'simulation':{'time_scale':0.05}}}",
		     "cfg.json: sensord.simulation.time_scale: 0.05 is out of range (0.1..1000)");
	expect_error("{'device_id':'r','log_level':'verbose'}",
		     "cfg.json: log_level: \"verbose\" is not one of error, warn, info, debug");
	expect_error(SENSORS("{'driver':'ads1115','bus':'/dev/i2c-1','address':'0x48',"
			     "'provides':['pressure_kpa'],'gain_v':3," CAL "}"),
		     "cfg.json: sensord.sensors[0].gain_v: 3 is not one of 6.144, 4.096, 2.048, "
		     "1.024, 0.512, 0.256");
	expect_error(SENSORS("{'driver':'ads1115','bus':'/dev/i2c-1','address':'0x48',"
			     "'provides':['pressure_kpa'],'input':'ain4'," CAL "}"),
		     "cfg.json: sensord.sensors[0].input: \"ain4\" is not one of ain0-ain1, "
		     "ain0-ain3, ain1-ain3, ain2-ain3, ain0, ain1, ain2, ain3");
	expect_error(SENSORS("{'driver':'bmp280','bus':'/dev/i2c-1','address':'0x76',"
			     "'provides':['pressure_kpa'],'oversampling_p':3}"),
		     "cfg.json: sensord.sensors[0].oversampling_p: 3 is not one of 1, 2, 4, 8, 16");
	/* 64 characters do not fit topic_prefix[64] with its NUL. */
	snprintf(json, sizeof(json), "{'device_id':'r','mqtt':{'topic_prefix':'%064d'}}", 0);
	expect_error(json, "cfg.json: mqtt.topic_prefix: too long (64 bytes, at most 63)");
	expect_error("{'device_id':'r','detector':{'hold_end_kpa':12}}",
		     "cfg.json: detector.hold_end_kpa: 12 is above detector.hold_start_kpa (10); "
		     "a hold ends below where it starts");
}

static void test_error_device_ids(void **state)
{
	char json[256];
	char id[66];

	(void)state;
	expect_error("{'device_id':'roll/er'}",
		     "cfg.json: device_id: \"roll/er\" contains '/'; " ID_WHY);
	expect_error("{'device_id':'roll+er'}",
		     "cfg.json: device_id: \"roll+er\" contains '+'; " ID_WHY);
	expect_error("{'device_id':'roll#er'}",
		     "cfg.json: device_id: \"roll#er\" contains '#'; " ID_WHY);
	expect_error("{'device_id':'roll er'}",
		     "cfg.json: device_id: \"roll er\" contains a space; " ID_WHY);
	expect_error("{'device_id':'roll\\u0001er'}",
		     "cfg.json: device_id: \"roll\\x01er\" contains control character 0x01; " ID_WHY);
	expect_error("{'device_id':''}", "cfg.json: device_id: empty; " ID_WHY);
	/* The collector needs no id; sensord asks for it. */
	expect_ok("{'log_level':'info'}");
	assert_string_equal(cfg.device_id, "");
	assert_int_equal(config_device_id_require(&cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "cfg.json: device_id: missing; every device needs an id (it names "
			    "its MQTT topics)");
	expect_ok("{'device_id':'r'}");
	assert_int_equal(config_device_id_require(&cfg, err, sizeof(err)), 0);

	memset(id, 'a', 65);
	id[65] = '\0';
	snprintf(json, sizeof(json), "{'device_id':'%s'}", id);
	expect_error(json, "cfg.json: device_id: 65 characters, at most 64");
	id[64] = '\0';
	snprintf(json, sizeof(json), "{'device_id':'%s'}", id);
	expect_ok(json);
	assert_string_equal(cfg.device_id, id);
}

static void test_device_id_valid(void **state)
{
	char id[66];

	(void)state;
	assert_true(config_device_id_valid("roller1"));
	assert_true(config_device_id_valid("A-z_09"));
	assert_false(config_device_id_valid(""));
	assert_false(config_device_id_valid(NULL));
	assert_false(config_device_id_valid("a/b"));
	assert_false(config_device_id_valid("a+b"));
	assert_false(config_device_id_valid("a#b"));
	assert_false(config_device_id_valid("a b"));
	assert_false(config_device_id_valid("a.b"));
	assert_false(config_device_id_valid("b\xc3\xa4r"));
	memset(id, 'x', 65);
	id[65] = '\0';
	assert_false(config_device_id_valid(id));
	id[64] = '\0';
	assert_true(config_device_id_valid(id));
}

static void test_error_addresses_and_buses(void **state)
{
	(void)state;
	expect_error(SENSORS("{'driver':'bmp280','bus':'/dev/i2c-1','address':'0x78',"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].address: \"0x78\" is out of range (0x03..0x77)");
	expect_error(SENSORS("{'driver':'bmp280','bus':'/dev/i2c-1','address':2,"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].address: 2 is out of range (0x03..0x77)");
	expect_error(SENSORS("{'driver':'bmp280','bus':'/dev/i2c-1','address':'-1',"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].address: \"-1\" is not an address (expected an "
		     "integer or a string like \"0x76\")");
	expect_error(SENSORS("{'driver':'bmp280','bus':'/dev/i2c-1','address':'0x76z',"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].address: \"0x76z\" is not an address (expected an "
		     "integer or a string like \"0x76\")");
	expect_error(SENSORS("{'driver':'bmp280','bus':'/dev/i2c-1','address':118.5,"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].address: expected an integer or a string like \"0x76\"");
	expect_error(SENSORS("{'driver':'bmp280','bus':'i2c-1','address':'0x76',"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].bus: \"i2c-1\" is not a bus; use a device such as "
		     "/dev/i2c-1, or \"sim\"");
	expect_error(SENSORS("{'driver':'bmp280','address':'0x76','provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].bus: missing (a device such as /dev/i2c-1, or \"sim\")");
	expect_error(SENSORS(BMP ",{'driver':'bme280','bus':'/dev/i2c-1','address':118,"
			     "'provides':['temperature_c']}"),
		     "cfg.json: sensord.sensors[1].address: 0x76 on /dev/i2c-1 is already taken by "
		     "sensord.sensors[0] (bmp280)");
	/* The same address on another bus is another chip. */
	expect_ok(SENSORS(BMP ",{'driver':'bme280','bus':'/dev/i2c-3','address':118,"
			  "'provides':['temperature_c']}"));
}

/* i2cdetect prints 0x76 as "76": a quoted address needs its 0x, and each
 * chip takes only the addresses its pins can select (its datasheet). */
static void test_error_address_forms_and_chips(void **state)
{
	(void)state;
	expect_error(SENSORS("{'driver':'bmp280','bus':'/dev/i2c-1','address':'76',"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].address: \"76\" has no 0x; write \"0x76\" "
		     "(i2cdetect shows 0x76 as 76; an address without quotes is decimal)");
	/* i2cdetect prints hex letters and leading zeros too. */
	expect_error(SENSORS("{'driver':'ads1115','bus':'/dev/i2c-1','address':'4A',"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].address: \"4A\" has no 0x; write \"0x4a\" "
		     "(i2cdetect shows 0x4a as 4a; an address without quotes is decimal)");
	expect_error(SENSORS("{'driver':'mcp9808','bus':'/dev/i2c-1','address':'7',"
			     "'provides':['temperature_c']}"),
		     "cfg.json: sensord.sensors[0].address: \"7\" has no 0x; write \"0x07\" "
		     "(i2cdetect shows 0x07 as 07; an address without quotes is decimal)");
	expect_error(SENSORS("{'driver':'bmp280','bus':'/dev/i2c-1','address':'118',"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].address: \"118\" has no 0x; write the hex "
		     "address with its 0x, like \"0x76\" (an address without quotes is decimal)");
	expect_error(SENSORS("{'driver':'bmp280','bus':'/dev/i2c-1','address':'0x0x12',"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].address: \"0x0x12\" is not an address (expected "
		     "an integer or a string like \"0x76\")");
	expect_error(SENSORS("{'driver':'bmp280','bus':'/dev/i2c-1','address':'0x',"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].address: \"0x\" is not an address (expected "
		     "an integer or a string like \"0x76\")");
	expect_error(SENSORS("{'driver':'bmp280','bus':'/dev/i2c-1','address':'0x48',"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].address: bmp280 at 0x48: a BMP280 answers only "
		     "at 0x76 or 0x77");
	/* 76 without quotes is 0x4c. */
	expect_error(SENSORS("{'driver':'bme280','bus':'/dev/i2c-1','address':76,"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].address: bme280 at 0x4c: a BME280 answers only "
		     "at 0x76 or 0x77 (76 without quotes is decimal; for 0x76 write \"0x76\")");
	expect_error(SENSORS("{'driver':'ads1115','bus':'/dev/i2c-1','address':'0x4c',"
			     "'provides':['pressure_kpa']," CAL "}"),
		     "cfg.json: sensord.sensors[0].address: ads1115 at 0x4c: an ADS1115 answers "
		     "only at 0x48, 0x49, 0x4a or 0x4b");
	expect_error(SENSORS("{'driver':'mcp9808','bus':'/dev/i2c-1','address':'0x20',"
			     "'provides':['temperature_c']}"),
		     "cfg.json: sensord.sensors[0].address: mcp9808 at 0x20: an MCP9808 answers "
		     "only at 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e or 0x1f");
	expect_error(SENSORS("{'driver':'lps22hb','bus':'/dev/i2c-1','address':'0x76',"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].address: lps22hb at 0x76: an LPS22HB answers "
		     "only at 0x5c or 0x5d");
	/* Hex digits of either case, after 0x or 0X. */
	expect_ok(SENSORS("{'driver':'lps22hb','bus':'/dev/i2c-1','address':'0X5D',"
			  "'provides':['pressure_kpa']}"));
	assert_int_equal(cfg.sensord.sensors[0].address, 0x5d);
}

static void test_error_channels(void **state)
{
	(void)state;
	expect_error(SENSORS(BMP ",{'driver':'bme280','bus':'/dev/i2c-1','address':'0x77',"
			     "'provides':['temperature_c','pressure_kpa']}"),
		     "cfg.json: sensord.sensors[1].provides: pressure_kpa is already provided by "
		     "sensord.sensors[0] (bmp280@/dev/i2c-1:0x76); each channel comes from one sensor");
	expect_error(SENSORS("{'driver':'mcp9808','bus':'/dev/i2c-1','address':'0x18',"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].provides[0]: driver mcp9808 cannot measure pressure_kpa");
	expect_error(SENSORS("{'driver':'bme280','bus':'/dev/i2c-1','address':'0x76',"
			     "'provides':['pressure_kpa','humidity_pct']}"),
		     "cfg.json: sensord.sensors[0].provides[1]: \"humidity_pct\" is not one of "
		     "pressure_kpa, temperature_c");
}

static void test_error_calibration(void **state)
{
	char json[2048];
	size_t o;

	(void)state;
	expect_error(SENSORS("{'driver':'ads1115','bus':'/dev/i2c-1','address':'0x48',"
			     "'provides':['pressure_kpa'],"
			     "'calibration':[[0.0,0.0],[1.0,10.0],[1.0,12.0]]}"),
		     "cfg.json: sensord.sensors[0].calibration[2]: 1 V is not above the 1 V of the "
		     "point before; volts must rise strictly");
	expect_error(SENSORS("{'driver':'ads1115','bus':'/dev/i2c-1','address':'0x48',"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.sensors[0].calibration: missing; an ads1115 that provides "
		     "pressure_kpa needs a table of [volts, kPa] points to turn its voltage into pressure");
	expect_error(SENSORS("{'driver':'ads1115','bus':'/dev/i2c-1','address':'0x48',"
			     "'provides':['pressure_kpa'],'calibration':[[0.5,1.0]]}"),
		     "cfg.json: sensord.sensors[0].calibration: 1 point, at least 2 are needed");
	expect_error(SENSORS("{'driver':'ads1115','bus':'/dev/i2c-1','address':'0x48',"
			     "'provides':['pressure_kpa'],'calibration':[[0.5,1.0],[1.0]]}"),
		     "cfg.json: sensord.sensors[0].calibration[1]: expected a pair [volts, kPa]");
	expect_error(SENSORS("{'driver':'ads1115','bus':'/dev/i2c-1','address':'0x48',"
			     "'provides':['pressure_kpa'],'calibration':[[0.5,1.0],[1.0,-1e999]]}"),
		     "cfg.json: sensord.sensors[0].calibration[1]: expected a finite number");

	/* 17 points, one more than CONFIG_MAX_CAL_POINTS. */
	o = (size_t)snprintf(json, sizeof(json), "{'device_id':'r','sensord':{'sensors':["
			     "{'driver':'ads1115','bus':'/dev/i2c-1','address':'0x48',"
			     "'provides':['pressure_kpa'],'calibration':[");
	for (int i = 0; i < 17; i++)
		o += (size_t)snprintf(json + o, sizeof(json) - o, "%s[%d,%d]", i ? "," : "", i, i);
	snprintf(json + o, sizeof(json) - o, "]}]}}");
	expect_error(json, "cfg.json: sensord.sensors[0].calibration: more than 16 points");
}

static void test_error_simulation(void **state)
{
	(void)state;
	expect_error(SENSORS("{'driver':'bmp280','bus':'sim','address':'0x76',"
			     "'provides':['pressure_kpa']}"),
		     "cfg.json: sensord.simulation.scenario: missing; sensord.sensors[0] is on the "
		     "\"sim\" bus, whose chips play a scenario file");
	expect_error("{'device_id':'r','sensord':{'sensors':[{'driver':'mcp9808','bus':'sim',"
		     "'address':'0x18','provides':['temperature_c']}," BMP "],"
		     "'simulation':{'scenario':'demo.scn','time_scale':10}}}",
		     "cfg.json: sensord.simulation.time_scale: 10 needs every sensor on the \"sim\" "
		     "bus, but sensord.sensors[1] is on /dev/i2c-1: real chips run in real time");
	expect_error("{'device_id':'r','sensord':{'simulation':{'time_scale':10}}}",
		     "cfg.json: sensord.simulation.time_scale: 10 needs simulated sensors "
		     "(bus \"sim\"): real chips run in real time");
	expect_ok("{'device_id':'r','sensord':{'sensors':[{'driver':'bmp280','bus':'sim',"
		  "'address':'0x76','provides':['pressure_kpa']}],"
		  "'simulation':{'scenario':'/s/demo.scn','time_scale':10}}}");
	assert_true(cfg.sensord.simulated);
	assert_true(cfg.sensord.sim.time_scale == 10.0);
}

static void test_error_mqtt(void **state)
{
	(void)state;
	expect_error("{'device_id':'r','mqtt':{'uri':'http://b:1883'}}",
		     "cfg.json: mqtt.uri: \"http://b:1883\" must start with tcp://, mqtt://, ssl:// "
		     "or mqtts://");
	expect_error("{'device_id':'r','mqtt':{'uri':'tcp://broker'}}",
		     "cfg.json: mqtt.uri: \"tcp://broker\" has no port (expected SCHEME://HOST:PORT)");
	expect_error("{'device_id':'r','mqtt':{'uri':'tcp://:1883'}}",
		     "cfg.json: mqtt.uri: \"tcp://:1883\" has no host");
	expect_error("{'device_id':'r','mqtt':{'uri':'tcp://b:65536'}}",
		     "cfg.json: mqtt.uri: port 65536 is out of range (1..65535)");
	expect_error("{'device_id':'r','mqtt':{'uri':'tcp://b:0'}}",
		     "cfg.json: mqtt.uri: port 0 is out of range (1..65535)");
	expect_error("{'device_id':'r','mqtt':{'topic_prefix':'a/#'}}",
		     "cfg.json: mqtt.topic_prefix: \"a/#\" contains '#', an MQTT wildcard");
	expect_error("{'device_id':'r','mqtt':{'topic_prefix':'rollsense/'}}",
		     "cfg.json: mqtt.topic_prefix: \"rollsense/\" starts or ends with '/'; the levels "
		     "are added with '/'");
	expect_error("{'device_id':'r','mqtt':{'topic_prefix':''}}",
		     "cfg.json: mqtt.topic_prefix: empty; topics are PREFIX/DEVICE/KIND");
	expect_error("{'device_id':'r','mqtt':{'uri':'tcp://b:1883','tls':{'ca_file':'/etc/ca.pem'}}}",
		     "cfg.json: mqtt.tls: set, but mqtt.uri does not use TLS (use ssl:// or mqtts://); "
		     "the files would be ignored");
}

static void test_error_json(void **state)
{
	(void)state;
	/* Column 19 is the 'x' after "{"device_id":"r"} " (18 characters). */
	expect_error("{'device_id':'r'} x", "cfg.json: line 1, column 19: not valid JSON near \"x\"");
	/* A trailing comma: the '}' on line 3 is where a key was expected. */
	expect_error("{\n 'device_id':'r',\n}\n",
		     "cfg.json: line 3, column 1: not valid JSON near \"}\"");
	/* Column 17 is just past the 16 characters. */
	expect_error("{'device_id':'r'", "cfg.json: line 1, column 17: not valid JSON: the text ends "
		     "too early");
	expect_error("", "cfg.json: empty; expected a JSON object");
	expect_error("  // only a comment\n", "cfg.json: empty; expected a JSON object");
	expect_error("['device_id']", "cfg.json: expected a JSON object at the top level, like "
		     "{\"device_id\": \"roller1\"}");
	expect_error("{'device_id':'ab\\u0000/c'}",
		     "cfg.json: line 1, column 17: \\u0000 in a string is not allowed");
	/* A NUL byte inside the given length. */
	assert_int_equal(config_parse("{\"device_id\":\"r\"}\0", 18, "cfg.json", "/base", &cfg,
				      err, sizeof(err)), -1);
	assert_string_equal(err, "cfg.json: line 1, column 18: contains a NUL byte; not a text file");
}

static void test_error_limits(void **state)
{
	char json[4096];
	size_t o;

	(void)state;
	/* Nine sensors, one more than CONFIG_MAX_SENSORS. */
	o = (size_t)snprintf(json, sizeof(json), "{'device_id':'r','sensord':{'sensors':[");
	for (int i = 0; i < 9; i++)
		o += (size_t)snprintf(json + o, sizeof(json) - o,
				      "%s{'driver':'mcp9808','bus':'/dev/i2c-%d','address':'0x18'}",
				      i ? "," : "", i);
	snprintf(json + o, sizeof(json) - o, "]}}");
	expect_error(json, "cfg.json: sensord.sensors: more than 8 sensors");
}

/* ---- relative paths ---------------------------------------------------- */

static void test_relative_paths(void **state)
{
	(void)state;
	/* base_dir is "/base" in parse(). */
	expect_ok("{'device_id':'r','sensord':{'state_dir':'state',"
		  "'simulation':{'scenario':'scenarios/a.scn'}},"
		  "'collector':{'database':'/abs/c.db'}}");
	assert_string_equal(cfg.sensord.state_dir, "/base/state");
	assert_string_equal(cfg.sensord.sim.scenario, "/base/scenarios/a.scn");
	assert_string_equal(cfg.collector.database, "/abs/c.db");

	/* A base of "/" gives no double slash. */
	q("{'device_id':'r','collector':{'database':'c.db'}}");
	assert_int_equal(config_parse(text, strlen(text), "cfg.json", "/", &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.collector.database, "/c.db");
}

/* ---- files: password, TLS key, config_load ----------------------------- */

struct tmp {
	char *dir;		/* first, for unit_fixture_new */
};

/* dir/name holding content, with mode (unit_write_file). */
static void write_file(const char *dir, const char *name, const char *content, mode_t mode)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unit_write_file(path, content, mode);
}

static int tmp_setup(void **state)
{
	*state = unit_fixture_new(sizeof(struct tmp), "test-config");
	return *state ? 0 : -1;
}

static int parse_in(const struct tmp *t, const char *json)
{
	err[0] = '\0';
	q(json);
	return config_parse(text, strlen(text), "cfg.json", t->dir, &cfg, err, sizeof(err));
}

static void test_password_file(void **state)
{
	struct tmp *t = *state;
	char expected[512];

	write_file(t->dir, "pw", "s3cret\r\nsecond line\n", 0600);
	assert_int_equal(parse_in(t, "{'device_id':'r','mqtt':{'username':'u','password_file':'pw'}}"), 0);
	/* Relative to the configuration's folder; the first line without CR LF. */
	snprintf(expected, sizeof(expected), "%s/pw", t->dir);
	assert_string_equal(cfg.mqtt.password_file, expected);
	assert_string_equal(cfg.mqtt.password, "s3cret");

	write_file(t->dir, "pw-open", "s3cret\n", 0644);
	assert_int_equal(parse_in(t, "{'device_id':'r','mqtt':{'username':'u','password_file':'pw-open'}}"), -1);
	snprintf(expected, sizeof(expected), "cfg.json: mqtt.password_file: %s/pw-open is readable by "
		 "others (mode 0644); chmod 600 it", t->dir);
	assert_string_equal(err, expected);

	write_file(t->dir, "pw-w", "s3cret\n", 0602);
	assert_int_equal(parse_in(t, "{'device_id':'r','mqtt':{'username':'u','password_file':'pw-w'}}"), -1);
	snprintf(expected, sizeof(expected), "cfg.json: mqtt.password_file: %s/pw-w is writable by "
		 "others (mode 0602); chmod 600 it", t->dir);
	assert_string_equal(err, expected);

	assert_int_equal(parse_in(t, "{'device_id':'r','mqtt':{'username':'u','password_file':'nope'}}"), -1);
	snprintf(expected, sizeof(expected), "cfg.json: mqtt.password_file: cannot open %s/nope: "
		 "No such file or directory", t->dir);
	assert_string_equal(err, expected);

	write_file(t->dir, "pw-empty", "", 0600);
	assert_int_equal(parse_in(t, "{'device_id':'r','mqtt':{'username':'u','password_file':'pw-empty'}}"), -1);
	snprintf(expected, sizeof(expected), "cfg.json: mqtt.password_file: %s/pw-empty is empty; its "
		 "first line is the password", t->dir);
	assert_string_equal(err, expected);

	assert_int_equal(parse_in(t, "{'device_id':'r','mqtt':{'username':'u','password_file':'.'}}"), -1);
	snprintf(expected, sizeof(expected), "cfg.json: mqtt.password_file: %s/. is not a regular file",
		 t->dir);
	assert_string_equal(err, expected);

	assert_int_equal(parse_in(t, "{'device_id':'r','mqtt':{'password_file':'pw'}}"), -1);
	assert_string_equal(err, "cfg.json: mqtt.password_file: set without mqtt.username (MQTT sends "
			    "a password only with a user name)");
}

#define TLS_KEY "{'device_id':'r','mqtt':{'uri':'ssl://b:8883','tls':{" \
	"'ca_file':'ca.pem','cert_file':'cert.pem','key_file':'key.pem'}}}"

static void test_tls_key_file(void **state)
{
	struct tmp *t = *state;
	char expected[1024];

	write_file(t->dir, "ca.pem", "ca", 0644);
	write_file(t->dir, "cert.pem", "cert", 0644);
	write_file(t->dir, "key.pem", "key", 0600);
	assert_int_equal(parse_in(t, TLS_KEY), 0);
	snprintf(expected, sizeof(expected), "%s/key.pem", t->dir);
	assert_string_equal(cfg.mqtt.key_file, expected);
	assert_string_equal(cfg.mqtt.key_group, "");

	/* The message is keyfile_check's (test_keyfile.c has them all) in the
	 * configuration's format. */
	write_file(t->dir, "key.pem", "key", 0644);
	assert_int_equal(parse_in(t, TLS_KEY), -1);
	snprintf(expected, sizeof(expected), "cfg.json: mqtt.tls.key_file: %s/key.pem is readable by "
		 "others (mode 0644); chmod 600 %s/key.pem", t->dir, t->dir);
	assert_string_equal(err, expected);

	assert_int_equal(parse_in(t, "{'device_id':'r','mqtt':{'uri':'ssl://b:8883','tls':{"
				  "'cert_file':'cert.pem'}}}"), -1);
	assert_string_equal(err, "cfg.json: mqtt.tls.key_file: missing; a client certificate needs "
			    "both cert_file and key_file");
}

/* mqtt.tls.key_group: a group that may read the key. */
static void test_tls_key_group(void **state)
{
	struct tmp *t = *state;
	char json[512], expected[1024];
	struct group *gr = getgrgid(getegid());	/* the group new files get here */
	char group[64];

	assert_non_null(gr);
	snprintf(group, sizeof(group), "%s", gr->gr_name);
	write_file(t->dir, "ca.pem", "ca", 0644);
	write_file(t->dir, "cert.pem", "cert", 0644);
	write_file(t->dir, "key.pem", "key", 0640);

	/* Readable by its group: refused without the group named... */
	assert_int_equal(parse_in(t, TLS_KEY), -1);
	snprintf(expected, sizeof(expected), "cfg.json: mqtt.tls.key_file: %s/key.pem is readable by "
		 "its group %s (mode 0640); chmod 600 %s/key.pem, or name that group in "
		 "mqtt.tls.key_group if its members must read the key", t->dir, group, t->dir);
	assert_string_equal(err, expected);

	/* ... and accepted with it. */
	snprintf(json, sizeof(json), "{'device_id':'r','mqtt':{'uri':'ssl://b:8883','tls':{"
		 "'ca_file':'ca.pem','cert_file':'cert.pem','key_file':'key.pem','key_group':'%s'}}}",
		 group);
	assert_int_equal(parse_in(t, json), 0);
	assert_string_equal(cfg.mqtt.key_group, group);

	/* Writable by the group: never. */
	write_file(t->dir, "key.pem", "key", 0660);
	assert_int_equal(parse_in(t, json), -1);
	snprintf(expected, sizeof(expected), "cfg.json: mqtt.tls.key_file: %s/key.pem is writable by "
		 "its group (mode 0660); chmod 640 %s/key.pem", t->dir, t->dir);
	assert_string_equal(err, expected);

	assert_int_equal(parse_in(t, "{'device_id':'r','mqtt':{'uri':'ssl://b:8883','tls':{"
				  "'cert_file':'cert.pem','key_file':'key.pem',"
				  "'key_group':'rollsense-no-such-group'}}}"), -1);
	assert_string_equal(err, "cfg.json: mqtt.tls.key_group: no group named "
			    "\"rollsense-no-such-group\"");

	assert_int_equal(parse_in(t, "{'device_id':'r','mqtt':{'uri':'ssl://b:8883','tls':{"
				  "'ca_file':'ca.pem','key_group':'root'}}}"), -1);
	assert_string_equal(err, "cfg.json: mqtt.tls.key_group: set without mqtt.tls.key_file (it "
			    "names the group that may read the key)");

	assert_int_equal(parse_in(t, "{'device_id':'r','mqtt':{'uri':'ssl://b:8883','tls':{"
				  "'cert_file':'cert.pem','key_file':'key.pem','key_group':7}}}"), -1);
	assert_string_equal(err, "cfg.json: mqtt.tls.key_group: expected a string");
}

static void test_load_errors_name_the_file(void **state)
{
	struct tmp *t = *state;
	char path[256];
	char expected[512];

	snprintf(path, sizeof(path), "%s/bad.json", t->dir);
	write_file(t->dir, "bad.json", "{\n  \"device_id\": \"r\"\n  \"log_level\": \"info\"\n}\n", 0644);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
	/* The missing comma: cJSON stops at the second key, line 3 column 3. */
	snprintf(expected, sizeof(expected), "%s: line 3, column 3: not valid JSON near "
		 "\"\\\"log_level\\\": \\\"info\\\"\"", path);
	assert_string_equal(err, expected);

	snprintf(path, sizeof(path), "%s/missing.json", t->dir);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(expected, sizeof(expected), "%s: cannot open: No such file or directory", path);
	assert_string_equal(err, expected);

	snprintf(path, sizeof(path), "%s/id.json", t->dir);
	write_file(t->dir, "id.json", "{\"device_id\": \"a/b\"}", 0644);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(expected, sizeof(expected), "%s: device_id: \"a/b\" contains '/'; " ID_WHY, path);
	assert_string_equal(err, expected);
}

static void test_load_resolves_against_file_folder(void **state)
{
	struct tmp *t = *state;
	char path[256];
	char expected[512];

	write_file(t->dir, "pw", "hunter2", 0600);
	write_file(t->dir, "rs.json", "{\"device_id\": \"r\", \"mqtt\": {\"username\": \"u\", "
		   "\"password_file\": \"pw\"}, \"collector\": {\"database\": \"db/c.db\"}}", 0644);
	snprintf(path, sizeof(path), "%s/rs.json", t->dir);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.path, path);
	assert_string_equal(cfg.mqtt.password, "hunter2");
	snprintf(expected, sizeof(expected), "%s/db/c.db", t->dir);
	assert_string_equal(cfg.collector.database, expected);
}

/* ---- cfg untouched on failure ------------------------------------------ */

static void test_cfg_untouched_on_failure(void **state)
{
	static struct rs_config before;
	static const char *const bad[] = {
		"{'device_id':'r','sensord':{'sample_hz':0}}",
		/* Fails only at the last cross-check, after every section was read. */
		"{'device_id':'r','sensord':{'gauge':{'rest_kpa':3}}}",
		"{'device_id':'r','mqtt':{'username':'u','password_file':'/nonexistent/pw'}}",
		"{'device_id':'r'} trailing",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&cfg, 0xA5, sizeof(cfg));
		before = cfg;
		assert_int_equal(parse(bad[i]), -1);
		assert_memory_equal(&cfg, &before, sizeof(cfg));
	}
	assert_string_equal(err, "cfg.json: line 1, column 19: not valid JSON near \"trailing\"");
	memset(&cfg, 0xA5, sizeof(cfg));
	assert_int_equal(config_load("/nonexistent/rs.json", &cfg, err, sizeof(err)), -1);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
}

/* ---- hostile input ----------------------------------------------------- */

static void test_hostile_input(void **state)
{
	size_t deep_len = 200000;
	char *deep = malloc(deep_len + 1);
	char *base;
	size_t base_len;
	FILE *f;
	unsigned seed = 12345;

	(void)state;
	assert_non_null(deep);
	/* Far deeper than cJSON's nesting limit: refused, no stack overflow. */
	memset(deep, '[', deep_len);
	deep[deep_len] = '\0';
	assert_int_equal(config_parse(deep, deep_len, "cfg.json", "/", &cfg, err, sizeof(err)), -1);
	assert_memory_equal(err, "cfg.json: ", 10);
	free(deep);

	/* Byte flips and truncations of a real file: every outcome is a clean
	 * success or a message naming the file (the sanitizers watch memory). */
	f = fopen("config/foam-roller.json", "rb");
	assert_non_null(f);
	base = malloc(65536);
	assert_non_null(base);
	base_len = fread(base, 1, 65536, f);
	fclose(f);
	for (int round = 0; round < 3000; round++) {
		char *m = malloc(base_len);
		size_t len = base_len;

		assert_non_null(m);
		memcpy(m, base, base_len);
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			m[(seed >> 8) % base_len] = (char)(seed >> 3);
		}
		if (round % 3 == 0)
			len = (seed >> 4) % base_len;
		if (config_parse(m, len, "cfg.json", "/", &cfg, err, sizeof(err)) != 0)
			assert_memory_equal(err, "cfg.json: ", 10);
		free(m);
	}
	free(base);

	/* A tiny error buffer is filled, never overrun. */
	{
		char small[8];
		assert_int_equal(config_parse("[]", 2, "cfg.json", "/", &cfg, small, sizeof(small)), -1);
		assert_string_equal(small, "cfg.jso");
		assert_int_equal(config_parse("[]", 2, "cfg.json", "/", &cfg, NULL, 0), -1);
	}
}

/* ---- reload ------------------------------------------------------------ */


/* What daemon would have to restart for, going from the configuration in
 * old_cfg to json. */
static size_t restart_keys(const char *json, enum config_daemon daemon, char *names, size_t len)
{
	expect_ok(json);
	return config_restart_keys(&old_cfg, &cfg, daemon, names, len);
}

static void test_restart_keys(void **state)
{
	char names[256];

	(void)state;
	expect_ok("{'device_id':'r','log_level':'info','mqtt':{'uri':'tcp://a:1883'},"
		  "'sensord':{'sample_hz':10,'sensors':[" BMP "]},'detector':{'contact_kpa':2}}");
	old_cfg = cfg;

	/* The same settings, and settings the running daemons take over. */
	assert_int_equal(restart_keys("{'device_id':'r','log_level':'info','mqtt':{'uri':'tcp://a:1883'},"
				      "'sensord':{'sample_hz':10,'sensors':[" BMP "]},"
				      "'detector':{'contact_kpa':2}}", CONFIG_SENSORD,
				      names, sizeof(names)), 0);
	assert_string_equal(names, "");
	assert_int_equal(restart_keys("{'device_id':'r','log_level':'debug','mqtt':{'uri':'tcp://a:1883'},"
				      "'sensord':{'sample_hz':50,'resend_s':5,'sensors':[" BMP "]},"
				      "'collector':{'retention_days':3}}", CONFIG_SENSORD,
				      names, sizeof(names)), 0);
	assert_int_equal(config_restart_keys(&old_cfg, &cfg, CONFIG_COLLECTOR, names, sizeof(names)), 0);

	/* The broker: both daemons; the detector: only the collector keeps its
	 * own until it restarts. */
	assert_int_equal(restart_keys("{'device_id':'r','mqtt':{'uri':'tcp://b:1883'},"
				      "'sensord':{'sensors':[" BMP "]},'detector':{'contact_kpa':3}}",
				      CONFIG_SENSORD, names, sizeof(names)), 1);
	assert_string_equal(names, "mqtt.uri");
	assert_int_equal(config_restart_keys(&old_cfg, &cfg, CONFIG_COLLECTOR, names, sizeof(names)), 2);
	assert_string_equal(names, "mqtt.uri, detector.contact_kpa");

	/* Chips, identity, GPIO and Home Assistant: sensord's; the names are
	 * the keys' paths. */
	assert_int_equal(restart_keys("{'device_id':'s','mqtt':{'uri':'tcp://a:1883'},"
				      "'sensord':{'sensors':[" MCP "],'state_dir':'/x',"
				      "'feedback':{'chip':'sim','led':3}},"
				      "'homeassistant':{'enabled':false}}", CONFIG_SENSORD,
				      names, sizeof(names)), 6);
	assert_string_equal(names, "device_id, sensord.state_dir, sensord.sensors, "
			    "sensord.feedback.chip, sensord.feedback.led, homeassistant.enabled");
	assert_int_equal(config_restart_keys(&old_cfg, &cfg, CONFIG_COLLECTOR, names, sizeof(names)), 1);
	assert_string_equal(names, "homeassistant.enabled");

	/* A short buffer is cut, never overrun; the count stays whole. */
	assert_int_equal(config_restart_keys(&old_cfg, &cfg, CONFIG_SENSORD, names, 8), 6);
	assert_string_equal(names, "device_");
	assert_int_equal(config_restart_keys(&old_cfg, &cfg, CONFIG_SENSORD, NULL, 0), 6);

	/* Zones: sensord takes a new list on reload, the collector does not;
	 * the advice is the collector's; the double press is sensord's
	 * feedback. The same list written again is no change. */
#define ZONES_BASE "{'device_id':'r','log_level':'info','mqtt':{'uri':'tcp://a:1883'}," \
		   "'sensord':{'sample_hz':10,'sensors':[" BMP "]},'detector':{'contact_kpa':2},"
	expect_ok(ZONES_BASE "'zones':['neck',{'name':'calf_left','label':'Left calf'}]}");
	old_cfg = cfg;
	assert_int_equal(restart_keys(ZONES_BASE "'zones':['neck',{'name':'calf_left',"
				      "'label':'Left calf'}]}", CONFIG_SENSORD, names, sizeof(names)), 0);
	assert_int_equal(restart_keys(ZONES_BASE "'zones':['neck',{'name':'calf_left',"
				      "'label':'Left Calf'}]}", CONFIG_SENSORD, names, sizeof(names)), 0);
	assert_int_equal(restart_keys(ZONES_BASE "'zones':['neck',{'name':'calf_left',"
				      "'label':'Left Calf'}]}", CONFIG_COLLECTOR, names, sizeof(names)), 1);
	assert_int_equal(restart_keys(ZONES_BASE "'zones':['neck'],'advice':{'weeks':4}}",
				      CONFIG_SENSORD, names, sizeof(names)), 0);
	assert_int_equal(config_restart_keys(&old_cfg, &cfg, CONFIG_COLLECTOR, names, sizeof(names)), 2);
	assert_string_equal(names, "zones, advice.weeks");
	assert_int_equal(restart_keys("{'device_id':'r','log_level':'info','mqtt':{'uri':'tcp://a:1883'},"
				      "'sensord':{'sample_hz':10,'sensors':[" BMP "],"
				      "'feedback':{'double_press_s':0.3}},'detector':{'contact_kpa':2},"
				      "'zones':['neck',{'name':'calf_left','label':'Left calf'}]}",
				      CONFIG_SENSORD, names, sizeof(names)), 1);
	assert_string_equal(names, "sensord.feedback.double_press_s");
	assert_int_equal(config_restart_keys(&old_cfg, &cfg, CONFIG_COLLECTOR, names, sizeof(names)), 0);
#undef ZONES_BASE
}

#define TMP_TEST(fn) cmocka_unit_test_setup_teardown(fn, tmp_setup, unit_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_all_load),
		cmocka_unit_test(test_example_lacrosse_ball),
		cmocka_unit_test(test_example_foam_roller),
		cmocka_unit_test(test_example_simulated),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_zones),
		cmocka_unit_test(test_advice),
		cmocka_unit_test(test_sensor_defaults),
		cmocka_unit_test(test_settings_taken),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_error_unknown_keys),
		cmocka_unit_test(test_feedback_and_homeassistant),
		cmocka_unit_test(test_web),
		cmocka_unit_test(test_error_wrong_driver_key),
		cmocka_unit_test(test_error_types),
		cmocka_unit_test(test_error_ranges),
		cmocka_unit_test(test_error_device_ids),
		cmocka_unit_test(test_device_id_valid),
		cmocka_unit_test(test_error_addresses_and_buses),
		cmocka_unit_test(test_error_address_forms_and_chips),
		cmocka_unit_test(test_error_channels),
		cmocka_unit_test(test_error_calibration),
		cmocka_unit_test(test_error_simulation),
		cmocka_unit_test(test_error_mqtt),
		cmocka_unit_test(test_error_json),
		cmocka_unit_test(test_error_limits),
		cmocka_unit_test(test_relative_paths),
		TMP_TEST(test_password_file),
		TMP_TEST(test_tls_key_file),
		TMP_TEST(test_tls_key_group),
		TMP_TEST(test_load_errors_name_the_file),
		TMP_TEST(test_load_resolves_against_file_folder),
		cmocka_unit_test(test_cfg_untouched_on_failure),
		cmocka_unit_test(test_hostile_input),
		cmocka_unit_test(test_restart_keys),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
