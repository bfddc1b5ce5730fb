/* The documentation names every key the configuration accepts: the README's
 * "Configuration reference" as `KEY` and rollsense.json(5) as a ".B KEY"
 * line. The keys come from the configuration itself, through its public
 * interface: the "unknown key (known: ...)" message config_parse gives for a
 * key nobody knows, asked in every section it names (a name whose probe
 * answers with a list of its own is a section), and, for the sensors, the
 * same message for each chip of config_chip_at(). A key added to a table of
 * common/config.c or to a driver's rows fails this test until it is
 * documented. Run from the repository's top folder (make check does). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

#define KEYS_MAX 256
#define KEY_LEN 96
#define PROBE "zz_probe"
#define NAME "probe.json"

static char keys[KEYS_MAX][KEY_LEN];
static size_t n_keys;
static struct rs_config cfg;
static char err[2048];

static void key_add(const char *key)
{
	for (size_t i = 0; i < n_keys; i++)
		if (strcmp(keys[i], key) == 0)
			return;
	assert_true(n_keys < KEYS_MAX);
	assert_true(strlen(key) < KEY_LEN);
	strcpy(keys[n_keys++], key);
}

/* Parses json, which must fail with "probe.json: AT.zz_probe: unknown key
 * (known: LIST)"; copies LIST into list. Returns 0, or -1 when the message
 * is another (the probed name is no section). */
static int known_list(const char *json, const char *at, char *list, size_t len)
{
	char want[256];
	const char *end;
	size_t n;

	assert_int_not_equal(config_parse(json, strlen(json), NAME, ".", &cfg, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s: %s%s" PROBE ": unknown key (known: ", NAME, at,
		 at[0] ? "." : "");
	if (strncmp(err, want, strlen(want)) != 0)
		return -1;
	end = strrchr(err, ')');
	assert_non_null(end);
	n = (size_t)(end - (err + strlen(want)));
	assert_true(n < len);
	memcpy(list, err + strlen(want), n);
	list[n] = '\0';
	return 0;
}

/* The JSON that puts the probe key in the section at dotted path (""
 * for the top level): {"device_id":"d","a":{"b":{"zz_probe":1}}}. */
static void probe_json(const char *path, char *out, size_t len)
{
	char copy[KEY_LEN];
	size_t depth = 0;
	char *part, *save = NULL;

	snprintf(out, len, "{\"device_id\":\"d\",");
	strcpy(copy, path);
	for (part = strtok_r(copy, ".", &save); part; part = strtok_r(NULL, ".", &save), depth++)
		snprintf(out + strlen(out), len - strlen(out), "\"%s\":{", part);
	snprintf(out + strlen(out), len - strlen(out), "\"" PROBE "\":1");
	for (size_t i = 0; i <= depth; i++)
		snprintf(out + strlen(out), len - strlen(out), "}");
}

/* Adds every key under the section at path, recursing into sections. */
static void section_walk(const char *path)
{
	char json[1024], list[1024], child[KEY_LEN], sub[1024];
	char *name, *save = NULL;

	probe_json(path, json, sizeof(json));
	assert_int_equal(known_list(json, path, list, sizeof(list)), 0);
	for (name = strtok_r(list, ", ", &save); name; name = strtok_r(NULL, ", ", &save)) {
		snprintf(child, sizeof(child), "%s%s%s", path, path[0] ? "." : "", name);
		if (strcmp(child, "device_id") == 0) {
			key_add(child);	/* the probe itself sets it */
			continue;
		}
		if (strcmp(child, "sensord.sensors") == 0)
			continue;	/* an array: its elements' keys are walked per chip */
		probe_json(child, json, sizeof(json));
		if (known_list(json, child, sub, sizeof(sub)) == 0)
			section_walk(child);
		else
			key_add(child);
	}
}

/* Adds sensord.sensors[].KEY for the keys every chip accepts. */
static void sensors_walk(void)
{
	const struct config_chip *c;
	char json[512], list[1024], key[KEY_LEN];
	char *name, *save = NULL;
	size_t i;

	for (i = 0; (c = config_chip_at(i)) != NULL; i++) {
		snprintf(json, sizeof(json), "{\"device_id\":\"d\",\"sensord\":{\"sensors\":"
			 "[{\"driver\":\"%s\",\"" PROBE "\":1}]}}", c->name);
		assert_int_equal(known_list(json, "sensord.sensors[0]", list, sizeof(list)), 0);
		for (name = strtok_r(list, ", ", &save); name; name = strtok_r(NULL, ", ", &save)) {
			snprintf(key, sizeof(key), "sensord.sensors[].%s", name);
			key_add(key);
		}
		/* The message lists the chip's own rows. */
		for (size_t k = 0; k < c->n_keys; k++) {
			snprintf(key, sizeof(key), "sensord.sensors[].%s", c->keys[k].name);
			key_add(key);
		}
	}
	assert_true(i >= 5);	/* bmp280, bme280, ads1115, mcp9808, lps22hb */
}

static bool walked(const char *key)
{
	for (size_t i = 0; i < n_keys; i++)
		if (strcmp(keys[i], key) == 0)
			return true;
	return false;
}

static char *file_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s (run from the repository's top folder)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	return text;
}

static int setup(void **state)
{
	(void)state;
	n_keys = 0;
	section_walk("");
	sensors_walk();
	return 0;
}

/* The walk reaches the keys the issue found missing, the nested sections and
 * a chip's own key: without these the checks below would prove nothing. */
static void test_walk_finds_the_schema(void **state)
{
	static const char *const expected[] = {
		"device_id", "log_level", "mqtt.uri", "mqtt.tls.ca_file", "mqtt.tls.key_group",
		"sensord.sample_hz", "sensord.gauge.rest_kpa", "sensord.simulation.time_scale",
		"sensord.feedback.long_press_s", "sensord.sensors[].driver",
		"sensord.sensors[].address", "sensord.sensors[].calibration",
		"sensord.sensors[].lowpass", "sensord.sensors[].oversampling_h",
		"detector.hot_c", "collector.gap_timeout_s", "homeassistant.enabled",
		"homeassistant.discovery_prefix",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		if (!walked(expected[i]))
			fail_msg("the walk of the configuration missed %s", expected[i]);
	/* Sections are not keys; the password read from its file is none. */
	assert_false(walked("mqtt"));
	assert_false(walked("mqtt.tls"));
	assert_false(walked("mqtt.password"));
	assert_false(walked("sensord.sensors"));
}

/* How many keys the file at path lacks, each written as before KEY after
 * (as the file has it); each missing one is printed with what. */
static size_t keys_missing(const char *path, const char *before, const char *after,
			   const char *what)
{
	char *text = file_read(path);
	char want[KEY_LEN + 16];
	size_t missing = 0;

	for (size_t i = 0; i < n_keys; i++) {
		snprintf(want, sizeof(want), "%s%.*s%s", before, KEY_LEN - 1, keys[i], after);
		if (strstr(text, want) == NULL) {
			print_message("%s: %s is not %s\n", path, keys[i], what);
			missing++;
		}
	}
	free(text);
	return missing;
}

static void test_readme_names_every_key(void **state)
{
	(void)state;
	assert_int_equal(keys_missing("README.md", "`", "`",
				      "in the configuration reference (as `KEY`)"), 0);
}

static void test_man_page_names_every_key(void **state)
{
	(void)state;
	assert_int_equal(keys_missing("man/rollsense.json.5", "\n.B ", "\n",
				      "a \".B KEY\" line"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_finds_the_schema),
		cmocka_unit_test(test_readme_names_every_key),
		cmocka_unit_test(test_man_page_names_every_key),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
