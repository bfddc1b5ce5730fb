/* libFuzzer harness for config_parse (common/config.h): the configuration
 * is typed by people, so every byte sequence must end in either a valid
 * configuration or one error line, never a crash or a hang.
 *
 * Relative paths resolve against a folder that does not exist, so a
 * password_file names nothing the fuzzer could read by accident (an
 * absolute one is still opened and refused or read: harmless). Checked
 * beyond "no crash": the result is all-or-nothing (cfg untouched on
 * failure), a failure gives one non-empty line of text starting with the
 * file name, and a success satisfies the ranges config.h promises. */
#include "ads1115.h"
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.json"
#define BASE_DIR "/nonexistent-rollsense-fuzz"

static void check_string(const char *s, size_t size)
{
	if (strnlen(s, size) >= size)
		abort();
}

static void check_config(const struct rs_config *cfg)
{
	check_string(cfg->path, sizeof(cfg->path));
	check_string(cfg->device_id, sizeof(cfg->device_id));
	/* "" when the file gives none (the collector needs none). */
	if (cfg->device_id[0] != '\0' && !config_device_id_valid(cfg->device_id))
		abort();
	check_string(cfg->mqtt.uri, sizeof(cfg->mqtt.uri));
	check_string(cfg->mqtt.topic_prefix, sizeof(cfg->mqtt.topic_prefix));
	check_string(cfg->mqtt.client_id, sizeof(cfg->mqtt.client_id));
	check_string(cfg->sensord.state_dir, sizeof(cfg->sensord.state_dir));
	check_string(cfg->collector.database, sizeof(cfg->collector.database));
	if (cfg->sensord.sample_hz < 1 || cfg->sensord.sample_hz > 100)
		abort();
	if (cfg->sensord.n_sensors > CONFIG_MAX_SENSORS)
		abort();
	for (size_t i = 0; i < cfg->sensord.n_sensors; i++) {
		const struct sensor_cfg *s = &cfg->sensord.sensors[i];

		check_string(s->driver, sizeof(s->driver));
		check_string(s->bus, sizeof(s->bus));
		check_string(s->key, sizeof(s->key));
		const struct config_calibration *cal =
			&((const struct ads1115_options *)(const void *)s->options)->calibration;

		if (s->address > 0x7f)
			abort();
		if (strcmp(s->driver, "ads1115") != 0)
			continue;
		if (cal->n_points > CONFIG_MAX_CAL_POINTS)
			abort();
		for (size_t k = 1; k < cal->n_points; k++)
			if (!(cal->v[k] > cal->v[k - 1]))
				abort();	/* "volts rising" */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rs_config cfg, before;
	char err[512];

	memset(&cfg, 0x5A, sizeof(cfg));
	before = cfg;
	memset(err, 'x', sizeof(err));
	if (config_parse((const char *)data, size, NAME, BASE_DIR, &cfg, err, sizeof(err)) == 0) {
		if (err[0] != '\0')
			abort();
		check_config(&cfg);
		return 0;
	}
	if (memcmp(&cfg, &before, sizeof(cfg)) != 0)
		abort();	/* "cfg is only written on success" */
	check_string(err, sizeof(err));
	if (strncmp(err, NAME ": ", strlen(NAME ": ")) != 0)
		abort();
	/* One line: a control character would split it in a log or a terminal. */
	for (const char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	return 0;
}
