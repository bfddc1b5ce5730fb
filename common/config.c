/* Loading and validating the configuration (config.h).
 *
 * The file is JSON with // and block comments. Comments are blanked out in a
 * private copy (newlines kept), so cJSON's error offsets still point at the
 * user's line and column; cJSON_Minify is not used because 1.7.15 misreads a
 * string ending in an escaped backslash ("C:\\") and would then strip real
 * text. The tree is then walked section by section against a fixed schema:
 * every key is known, typed and range-checked, and the first problem ends the
 * load with "FILE: KEY: what is wrong".
 *
 * Hostile input (the fuzzer calls config_parse) is bounded: the text is at
 * most CONFIG_TEXT_MAX bytes, cJSON stops nesting at CJSON_NESTING_LIMIT, the
 * walk below has a fixed depth, every string is length-checked before it is
 * copied, and anything echoed back in a message is escaped and shortened. */
#include "config.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"

#define CONFIG_TEXT_MAX (1024 * 1024)	/* a config file is a few KiB; more is a mistake */
#define KEY_PATH_MAX 160		/* "sensord.sensors[7].calibration[15]" and the like */
#define SHOW_MAX 40			/* characters of user text echoed in a message */
#define SHOW_BUF (SHOW_MAX * 4 + 8)

struct parse_ctx {
	const char *name;	/* the file, as given, for messages */
	const char *base_dir;	/* relative paths are resolved against it */
	char *err;
	size_t err_len;
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void detector_cfg_defaults(struct detector_cfg *cfg)
{
	/* docs/protocol.md, "Detector semantics". */
	cfg->contact_kpa = 2.0;
	cfg->hold_start_kpa = 10.0;
	cfg->hold_end_kpa = 8.0;
	cfg->bridge_s = 1.0;
	cfg->min_hold_s = 5.0;
	cfg->effective_s = 10.0;
	cfg->long_s = 60.0;
	cfg->idle_s = 120.0;
	cfg->heat_c = 38.0;
	cfg->heat_hysteresis_c = 0.5;
	cfg->hot_c = 45.0;
}

/* The per-sensor defaults, applied to each sensor before its keys are read. */
static void sensor_cfg_defaults(struct sensor_cfg *s)
{
	memset(s, 0, sizeof(*s));
	s->normal_mode = false;
	s->oversampling_p = 4;
	s->oversampling_t = 1;
	s->oversampling_h = 1;
	s->filter = 0;
	s->mux = 4;		/* AIN0 against GND [ADS config MUX 100] */
	s->fsr_v = 4.096;
	s->data_rate_sps = 128;
	s->resolution_c = 0.0625;
}

void config_defaults(struct rs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->log_level, "info");

	strcpy(cfg->mqtt.uri, "tcp://127.0.0.1:1883");
	strcpy(cfg->mqtt.topic_prefix, "rollsense");
	cfg->mqtt.keepalive_s = 30;

	cfg->sensord.sample_hz = 10;
	strcpy(cfg->sensord.state_dir, "/var/lib/rollsense");
	cfg->sensord.confirm = CONFIRM_COLLECTOR;
	cfg->sensord.outbox_max = 200000;
	cfg->sensord.resend_s = 30.0;
	cfg->sensord.flush_s = 1.0;
	cfg->sensord.gauge.rest_kpa = 1.0;
	cfg->sensord.gauge.track_s = 60.0;
	cfg->sensord.gauge.gas_law = true;
	cfg->sensord.sim.time_scale = 1.0;
	cfg->sensord.sim.exit_at_end = false;

	detector_cfg_defaults(&cfg->detector);

	strcpy(cfg->collector.database, "/var/lib/rollsense/collector.db");
	cfg->collector.retention_days = 30;
	cfg->collector.commit_s = 0.5;
	cfg->collector.gap_timeout_s = 300;
	cfg->sensord.feedback.led.offset = -1;
	cfg->sensord.feedback.buzzer.offset = -1;
	cfg->sensord.feedback.button.offset = -1;
	cfg->sensord.feedback.button_active_low = true;
	cfg->sensord.feedback.debounce_ms = 30;
	cfg->sensord.feedback.long_press_s = 2.0;
	cfg->homeassistant.enabled = true;
	strcpy(cfg->homeassistant.discovery_prefix, "homeassistant");
}

bool config_device_id_valid(const char *id)
{
	return id && topic_device_id_valid(id, strlen(id));
}

/* ---- messages ---------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int fail(struct parse_ctx *ctx, const char *key, const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ctx->err == NULL || ctx->err_len == 0)
		return -1;
	/* A message longer than the caller's buffer is cut: it is only text. */
	if (key != NULL)
		(void)!snprintf(ctx->err, ctx->err_len, "%s: %s: %s", ctx->name, key, what);
	else
		(void)!snprintf(ctx->err, ctx->err_len, "%s: %s", ctx->name, what);
	return -1;
}

static bool is_plain_char(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

/* Writes user text s (n bytes) into buf for a message: printable ASCII as is,
 * anything else as \xNN, at most SHOW_MAX characters and then "...". With
 * quoted, the result is in double quotes and '"' and '\' are escaped. buf has
 * SHOW_BUF bytes. Returns buf. */
static const char *show_n(const char *s, size_t n, bool quoted, char *buf)
{
	size_t o = 0;

	if (quoted)
		buf[o++] = '"';
	for (size_t i = 0; i < n && i < SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (quoted && (c == '"' || c == '\\')) {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (is_plain_char(c)) {
			buf[o++] = (char)c;
		} else {
			o += (size_t)sprintf(buf + o, "\\x%02x", c);
		}
	}
	if (n > SHOW_MAX) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	if (quoted)
		buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static const char *show(const char *s, char *buf)
{
	return show_n(s, strlen(s), true, buf);
}

/* Writes a, sep and b into out, cut at len - 1 bytes: key paths are short
 * and only used in messages. */
static void text_join(char *out, size_t len, const char *a, const char *sep, const char *b)
{
	const char *parts[] = { a, sep, b };
	size_t o = 0;

	for (size_t i = 0; i < ARRAY_LEN(parts); i++)
		for (const char *p = parts[i]; *p != '\0' && o + 1 < len; p++)
			out[o++] = *p;
	out[o] = '\0';
}

/* parent.key, or key at the top level. Keys from the schema are short; a key
 * from the file (an unknown one) is escaped first. */
static void key_join(char *out, size_t len, const char *parent, const char *key)
{
	text_join(out, len, parent, parent[0] == '\0' ? "" : ".", key);
}

static void key_join_user(char *out, size_t len, const char *parent, const char *key)
{
	char shown[SHOW_BUF];

	key_join(out, len, parent, show_n(key, strlen(key), false, shown));
}

static void key_index(char *out, size_t len, const char *parent, size_t index)
{
	char suffix[24];

	sprintf(suffix, "[%zu]", index);
	text_join(out, len, parent, suffix, "");
}

/* "a, b, c" from a list of names. */
static void names_join(char *out, size_t len, const char *const *names, size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++) {
		int w = snprintf(out + o, len - o, "%s%s", i ? ", " : "", names[i]);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

static bool name_in(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* ---- typed access ------------------------------------------------------ */

/* Checks that every key of obj is in known and appears once. */
static int keys_check(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
		      const char *const *known, size_t n_known)
{
	char key[KEY_PATH_MAX];
	char list[512];
	const cJSON *item;

	cJSON_ArrayForEach(item, obj) {
		if (item->string == NULL || !name_in(item->string, known, n_known)) {
			key_join_user(key, sizeof(key), parent, item->string ? item->string : "");
			names_join(list, sizeof(list), known, n_known);
			return fail(ctx, key, "unknown key (known: %s)", list);
		}
		/* Every key before this one is a distinct known key, so this
		 * scan is short however long a hostile object is. */
		for (const cJSON *prev = obj->child; prev != item; prev = prev->next) {
			if (strcmp(prev->string, item->string) == 0) {
				key_join(key, sizeof(key), parent, item->string);
				return fail(ctx, key, "given twice");
			}
		}
	}
	return 0;
}

/* *out is the object at key, or NULL when it is absent. */
static int object_get(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
		      const char *name, const cJSON **out, char *path, size_t path_len)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	key_join(path, path_len, parent, name);
	*out = NULL;
	if (item == NULL)
		return 0;
	if (!cJSON_IsObject(item))
		return fail(ctx, path, "expected an object");
	*out = item;
	return 0;
}

/* Copies a string value into out (size bytes) without truncating; control
 * characters are refused (they only ever come from a mistake or an attack). */
static int string_value(struct parse_ctx *ctx, const cJSON *item, const char *path,
			char *out, size_t size)
{
	size_t n;

	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return fail(ctx, path, "expected a string");
	n = strlen(item->valuestring);
	if (n >= size)
		return fail(ctx, path, "too long (%zu bytes, at most %zu)", n, size - 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)item->valuestring[i];
		if (c < 0x20 || c == 0x7f)
			return fail(ctx, path, "contains a control character (0x%02x)", c);
	}
	memcpy(out, item->valuestring, n + 1);
	return 0;
}

/* Absent: 0 and out unchanged (it holds the default). */
static int string_get(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
		      const char *name, char *out, size_t size)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	char path[KEY_PATH_MAX];

	if (item == NULL)
		return 0;
	key_join(path, sizeof(path), parent, name);
	return string_value(ctx, item, path, out, size);
}

/* A relative path in p becomes base_dir/p. Empty stays empty (unset). */
static int path_resolve(struct parse_ctx *ctx, const char *path, char *p, size_t size)
{
	char joined[CONFIG_PATH_MAX * 2 + 2];
	const char *base = ctx->base_dir;
	size_t base_len;
	int n;

	if (p[0] == '\0' || p[0] == '/' || base == NULL || base[0] == '\0')
		return 0;
	base_len = strlen(base);
	if (base_len >= CONFIG_PATH_MAX * 2)
		return fail(ctx, path, "the configuration's folder is too long to resolve a relative path");
	n = snprintf(joined, sizeof(joined), "%s%s%s", base,
		     base[base_len - 1] == '/' ? "" : "/", p);
	if (n < 0 || (size_t)n >= size)
		return fail(ctx, path, "too long once resolved against %s (at most %zu bytes)",
			    base, size - 1);
	memcpy(p, joined, (size_t)n + 1);
	return 0;
}

static int path_get(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
		    const char *name, char *out, size_t size, bool may_be_empty)
{
	char path[KEY_PATH_MAX];

	if (cJSON_GetObjectItemCaseSensitive(obj, name) == NULL)
		return 0;
	key_join(path, sizeof(path), parent, name);
	if (string_get(ctx, obj, parent, name, out, size) < 0)
		return -1;
	if (out[0] == '\0' && !may_be_empty)
		return fail(ctx, path, "empty; expected a path");
	return path_resolve(ctx, path, out, size);
}

static int number_value(struct parse_ctx *ctx, const cJSON *item, const char *path, double *out)
{
	if (!cJSON_IsNumber(item))
		return fail(ctx, path, "expected a number");
	/* JSON has no NaN or infinity, but cJSON turns 1e999 into inf. */
	if (!isfinite(item->valuedouble))
		return fail(ctx, path, "expected a finite number");
	*out = item->valuedouble;
	return 0;
}

static int double_get(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
		      const char *name, double *out, double min, double max)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	char path[KEY_PATH_MAX];
	double v = 0;

	if (item == NULL)
		return 0;
	key_join(path, sizeof(path), parent, name);
	if (number_value(ctx, item, path, &v) < 0)
		return -1;
	if (v < min || v > max)
		return fail(ctx, path, "%.15g is out of range (%.15g..%.15g)", v, min, max);
	*out = v;
	return 0;
}

static int integer_value(struct parse_ctx *ctx, const cJSON *item, const char *path,
			 double min, double max, double *out)
{
	double v = 0;

	if (number_value(ctx, item, path, &v) < 0)
		return -1;
	if (floor(v) != v)
		return fail(ctx, path, "expected an integer, got %.15g", v);
	if (v < min || v > max)
		return fail(ctx, path, "%.15g is out of range (%.15g..%.15g)", v, min, max);
	*out = v;
	return 0;
}

static int unsigned_get(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
			const char *name, unsigned *out, unsigned min, unsigned max)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	char path[KEY_PATH_MAX];
	double v = 0;

	if (item == NULL)
		return 0;
	key_join(path, sizeof(path), parent, name);
	if (integer_value(ctx, item, path, min, max, &v) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int size_get(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
		    const char *name, size_t *out, size_t min, size_t max)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	char path[KEY_PATH_MAX];
	double v = 0;

	if (item == NULL)
		return 0;
	key_join(path, sizeof(path), parent, name);
	if (integer_value(ctx, item, path, (double)min, (double)max, &v) < 0)
		return -1;
	*out = (size_t)v;
	return 0;
}

static int bool_get(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
		    const char *name, bool *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	char path[KEY_PATH_MAX];

	if (item == NULL)
		return 0;
	key_join(path, sizeof(path), parent, name);
	if (!cJSON_IsBool(item))
		return fail(ctx, path, "expected true or false");
	*out = cJSON_IsTrue(item);
	return 0;
}

/* A string that must be one of names; *out is its index. */
static int choice_get(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
		      const char *name, const char *const *names, size_t n, unsigned *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	char path[KEY_PATH_MAX];
	char shown[SHOW_BUF];
	char list[256];

	if (item == NULL)
		return 0;
	key_join(path, sizeof(path), parent, name);
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return fail(ctx, path, "expected a string");
	for (size_t i = 0; i < n; i++) {
		if (strcmp(item->valuestring, names[i]) == 0) {
			*out = (unsigned)i;
			return 0;
		}
	}
	names_join(list, sizeof(list), names, n);
	return fail(ctx, path, "%s is not one of %s", show(item->valuestring, shown), list);
}

/* A number that must be one of values (exact: the file's "4.096" parses to
 * the same double as the constant). */
static int value_choice_get(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
			    const char *name, const double *values, size_t n, double *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	char path[KEY_PATH_MAX];
	char list[256];
	size_t o = 0;
	double v = 0;

	if (item == NULL)
		return 0;
	key_join(path, sizeof(path), parent, name);
	if (number_value(ctx, item, path, &v) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v == values[i]) {
			*out = v;
			return 0;
		}
	}
	list[0] = '\0';
	for (size_t i = 0; i < n && o < sizeof(list); i++) {
		int w = snprintf(list + o, sizeof(list) - o, "%s%.15g", i ? ", " : "", values[i]);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	return fail(ctx, path, "%.15g is not one of %s", v, list);
}

static int unsigned_choice_get(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
			       const char *name, const double *values, size_t n, unsigned *out)
{
	double v = *out;

	if (value_choice_get(ctx, obj, parent, name, values, n, &v) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* ---- files named in the configuration ---------------------------------- */

/* Opens file (a regular file) for reading. With private_file, the file must
 * not be open to others: it holds a secret. Returns the fd, or -1 after
 * fail(). */
static int file_open_checked(struct parse_ctx *ctx, const char *path, const char *file,
			     bool private_file)
{
	struct stat st;
	unsigned mode;
	int fd;

	/* O_NONBLOCK: a FIFO put there must not hang the start-up. */
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int saved = errno;
		return fail(ctx, path, "cannot open %s: %s", file, strerror(saved));
	}
	/* fstat on the open file: what is checked is what is read. */
	if (fstat(fd, &st) < 0) {
		int saved = errno;
		close(fd);
		return fail(ctx, path, "cannot stat %s: %s", file, strerror(saved));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(ctx, path, "%s is not a regular file", file);
	}
	mode = (unsigned)(st.st_mode & 07777);
	if (private_file && (mode & 0007) != 0) {
		const char *how = (mode & 0004) ? "readable" : (mode & 0002) ? "writable" :
										"accessible";
		close(fd);
		return fail(ctx, path, "%s is %s by others (mode %04o); chmod 600 it", file, how, mode);
	}
	return fd;
}

/* The first line of a private file, without its line end, into out. */
static int secret_read(struct parse_ctx *ctx, const char *path, const char *file,
		       char *out, size_t size)
{
	char buf[sizeof(((struct mqtt_cfg *)0)->password) + 1];
	size_t got = 0;
	size_t line;
	char *nl;
	int fd;
	int rc = -1;

	fd = file_open_checked(ctx, path, file, true);
	if (fd < 0)
		return -1;
	while (got < sizeof(buf)) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			fail(ctx, path, "cannot read %s: %s", file, strerror(saved));
			goto cleanup;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got == 0) {
		fail(ctx, path, "%s is empty; its first line is the password", file);
		goto cleanup;
	}
	nl = memchr(buf, '\n', got);
	if (nl == NULL && got == sizeof(buf)) {
		fail(ctx, path, "the first line of %s is too long (at most %zu bytes)", file, size - 1);
		goto cleanup;
	}
	line = nl ? (size_t)(nl - buf) : got;
	if (line > 0 && buf[line - 1] == '\r')
		line--;
	if (line == 0) {
		fail(ctx, path, "the first line of %s is empty; it is the password", file);
		goto cleanup;
	}
	if (line >= size) {
		fail(ctx, path, "the first line of %s is too long (at most %zu bytes)", file, size - 1);
		goto cleanup;
	}
	if (memchr(buf, '\0', line) != NULL) {
		fail(ctx, path, "the first line of %s contains a NUL byte", file);
		goto cleanup;
	}
	memcpy(out, buf, line);
	out[line] = '\0';
	rc = 0;
cleanup:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* A public file (CA, certificate): it must open and be a regular file. */
static int file_check(struct parse_ctx *ctx, const char *path, const char *file)
{
	int fd = file_open_checked(ctx, path, file, false);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* ---- sections ---------------------------------------------------------- */

static int device_id_parse(struct parse_ctx *ctx, const cJSON *root, struct rs_config *cfg)
{
	static const char why[] = "only A-Z, a-z, 0-9, '_' and '-' are allowed, because the id "
				  "becomes a level of MQTT topics and broker ACLs, where '/' "
				  "separates levels and '+' and '#' are wildcards";
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "device_id");
	char shown[SHOW_BUF];
	const char *id;
	size_t n;

	if (item == NULL)
		return fail(ctx, "device_id", "missing; every device needs an id (it names its MQTT topics)");
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return fail(ctx, "device_id", "expected a string");
	id = item->valuestring;
	n = strlen(id);
	if (n == 0)
		return fail(ctx, "device_id", "empty; %s", why);
	if (n > CONFIG_DEVICE_ID_MAX)
		return fail(ctx, "device_id", "%zu characters, at most %d", n, CONFIG_DEVICE_ID_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		char what[32];
		char one[2] = { (char)c, '\0' };

		if (config_device_id_valid(one))
			continue;
		if (c == ' ')
			strcpy(what, "a space");
		else if (c < 0x20 || c == 0x7f)
			snprintf(what, sizeof(what), "control character 0x%02x", c);
		else if (c >= 0x80)
			snprintf(what, sizeof(what), "byte 0x%02x", c);
		else
			snprintf(what, sizeof(what), "'%c'", c);
		return fail(ctx, "device_id", "%s contains %s; %s", show(id, shown), what, why);
	}
	memcpy(cfg->device_id, id, n + 1);
	return 0;
}

/* scheme://host:port with a scheme Paho knows and a port 1..65535. */
static int uri_check(struct parse_ctx *ctx, const char *path, const char *uri)
{
	static const char *const schemes[] = { "tcp://", "mqtt://", "ssl://", "mqtts://" };
	char shown[SHOW_BUF];
	const char *host = NULL;
	const char *p;
	size_t host_len;
	unsigned long port = 0;

	for (size_t i = 0; i < ARRAY_LEN(schemes); i++)
		if (strncmp(uri, schemes[i], strlen(schemes[i])) == 0)
			host = uri + strlen(schemes[i]);
	if (host == NULL)
		return fail(ctx, path, "%s must start with tcp://, mqtt://, ssl:// or mqtts://",
			    show(uri, shown));
	if (host[0] == '[') {
		/* An IPv6 literal, "[::1]". */
		p = host + 1;
		while (*p != '\0' && *p != ']' &&
		       (strchr("0123456789abcdefABCDEF:.", *p) != NULL))
			p++;
		if (*p != ']' || p == host + 1)
			return fail(ctx, path, "%s has an invalid host", show(uri, shown));
		p++;
		host_len = (size_t)(p - host);
	} else {
		p = host;
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		       (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_')
			p++;
		host_len = (size_t)(p - host);
		if (*p != '\0' && *p != ':')
			return fail(ctx, path, "%s has an invalid host", show(uri, shown));
	}
	if (host_len == 0)
		return fail(ctx, path, "%s has no host", show(uri, shown));
	if (*p != ':')
		return fail(ctx, path, "%s has no port (expected SCHEME://HOST:PORT)", show(uri, shown));
	p++;
	if (*p < '0' || *p > '9')
		return fail(ctx, path, "%s has no valid port (expected SCHEME://HOST:PORT)",
			    show(uri, shown));
	/* At most 6 digits are read, so the value cannot overflow. */
	for (size_t digits = 0; *p >= '0' && *p <= '9'; p++, digits++) {
		if (digits == 6)
			return fail(ctx, path, "port of %s is out of range (1..65535)", show(uri, shown));
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (*p != '\0')
		return fail(ctx, path, "%s has something after the port (expected SCHEME://HOST:PORT)",
			    show(uri, shown));
	if (port < 1 || port > 65535)
		return fail(ctx, path, "port %lu is out of range (1..65535)", port);
	return 0;
}

static bool uri_is_tls(const char *uri)
{
	return strncmp(uri, "ssl://", 6) == 0 || strncmp(uri, "mqtts://", 8) == 0;
}

static int topic_prefix_check(struct parse_ctx *ctx, const char *path, const char *prefix)
{
	char shown[SHOW_BUF];
	size_t n = strlen(prefix);

	if (n == 0)
		return fail(ctx, path, "empty; topics are PREFIX/DEVICE/KIND");
	for (size_t i = 0; i < n; i++) {
		char c = prefix[i];
		if (c == '+' || c == '#')
			return fail(ctx, path, "%s contains '%c', an MQTT wildcard", show(prefix, shown), c);
		if (c <= ' ' || c > '~')
			return fail(ctx, path, "%s contains a character other than printable ASCII "
				    "(spaces included)", show(prefix, shown));
	}
	if (prefix[0] == '/' || prefix[n - 1] == '/')
		return fail(ctx, path, "%s starts or ends with '/'; the levels are added with '/'",
			    show(prefix, shown));
	if (strstr(prefix, "//") != NULL)
		return fail(ctx, path, "%s has an empty level (\"//\")", show(prefix, shown));
	if (prefix[0] == '$')
		return fail(ctx, path, "%s starts with '$', which brokers reserve for themselves",
			    show(prefix, shown));
	return 0;
}

static int printable_check(struct parse_ctx *ctx, const char *path, const char *s)
{
	char shown[SHOW_BUF];

	for (const char *p = s; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~')
			return fail(ctx, path, "%s contains a character other than printable ASCII "
				    "(spaces included)", show(s, shown));
	return 0;
}

static int mqtt_parse(struct parse_ctx *ctx, const cJSON *obj, struct mqtt_cfg *m)
{
	static const char *const keys[] = { "uri", "topic_prefix", "client_id", "username",
					    "password_file", "keepalive_s", "tls" };
	static const char *const tls_keys[] = { "ca_file", "cert_file", "key_file", "key_group" };
	char path[KEY_PATH_MAX];
	char why[CONFIG_PATH_MAX * 2 + 200];
	const cJSON *tls;
	gid_t gid;
	int rc;

	if (keys_check(ctx, obj, "mqtt", keys, ARRAY_LEN(keys)) < 0 ||
	    string_get(ctx, obj, "mqtt", "uri", m->uri, sizeof(m->uri)) < 0 ||
	    uri_check(ctx, "mqtt.uri", m->uri) < 0 ||
	    string_get(ctx, obj, "mqtt", "topic_prefix", m->topic_prefix, sizeof(m->topic_prefix)) < 0 ||
	    topic_prefix_check(ctx, "mqtt.topic_prefix", m->topic_prefix) < 0 ||
	    string_get(ctx, obj, "mqtt", "client_id", m->client_id, sizeof(m->client_id)) < 0 ||
	    printable_check(ctx, "mqtt.client_id", m->client_id) < 0 ||
	    string_get(ctx, obj, "mqtt", "username", m->username, sizeof(m->username)) < 0 ||
	    path_get(ctx, obj, "mqtt", "password_file", m->password_file,
		     sizeof(m->password_file), true) < 0 ||
	    unsigned_get(ctx, obj, "mqtt", "keepalive_s", &m->keepalive_s, 1, 65535) < 0 ||
	    object_get(ctx, obj, "mqtt", "tls", &tls, path, sizeof(path)) < 0)
		return -1;

	if (m->password_file[0] != '\0') {
		/* MQTT 3.1.1 §3.1.2.9: no password flag without a user name. */
		if (m->username[0] == '\0')
			return fail(ctx, "mqtt.password_file", "set without mqtt.username "
				    "(MQTT sends a password only with a user name)");
		if (secret_read(ctx, "mqtt.password_file", m->password_file, m->password,
				sizeof(m->password)) < 0)
			return -1;
	}

	if (tls == NULL)
		return 0;
	if (keys_check(ctx, tls, path, tls_keys, ARRAY_LEN(tls_keys)) < 0 ||
	    path_get(ctx, tls, path, "ca_file", m->ca_file, sizeof(m->ca_file), true) < 0 ||
	    path_get(ctx, tls, path, "cert_file", m->cert_file, sizeof(m->cert_file), true) < 0 ||
	    path_get(ctx, tls, path, "key_file", m->key_file, sizeof(m->key_file), true) < 0 ||
	    string_get(ctx, tls, path, "key_group", m->key_group, sizeof(m->key_group)) < 0 ||
	    printable_check(ctx, "mqtt.tls.key_group", m->key_group) < 0)
		return -1;
	if ((m->ca_file[0] || m->cert_file[0] || m->key_file[0]) && !uri_is_tls(m->uri))
		return fail(ctx, "mqtt.tls", "set, but mqtt.uri does not use TLS (use ssl:// or "
			    "mqtts://); the files would be ignored");
	if ((m->cert_file[0] != '\0') != (m->key_file[0] != '\0'))
		return fail(ctx, m->cert_file[0] ? "mqtt.tls.key_file" : "mqtt.tls.cert_file",
			    "missing; a client certificate needs both cert_file and key_file");
	if (m->key_group[0] && !m->key_file[0])
		return fail(ctx, "mqtt.tls.key_group", "set without mqtt.tls.key_file (it names the "
			    "group that may read the key)");
	if (m->key_group[0] && (rc = keyfile_group_lookup(m->key_group, &gid)) < 0) {
		char shown[SHOW_BUF];

		if (rc == -ENOENT)
			return fail(ctx, "mqtt.tls.key_group", "no group named %s",
				    show(m->key_group, shown));
		return fail(ctx, "mqtt.tls.key_group", "cannot look up group %s: %s",
			    show(m->key_group, shown), strerror(-rc));
	}
	if ((m->ca_file[0] && file_check(ctx, "mqtt.tls.ca_file", m->ca_file) < 0) ||
	    (m->cert_file[0] && file_check(ctx, "mqtt.tls.cert_file", m->cert_file) < 0))
		return -1;
	/* The same check as before every connect (mqtt.c). */
	if (m->key_file[0] && keyfile_check(m->key_file, m->key_group, why, sizeof(why)) < 0)
		return fail(ctx, "mqtt.tls.key_file", "%s", why);
	return 0;
}

/* What each driver accepts beyond the common keys, and can measure. */
struct driver_schema {
	const char *name;
	unsigned channels;
	const char *const *keys;
	size_t n_keys;
};

static const char *const sensor_common_keys[] = { "driver", "bus", "address", "provides" };
static const char *const bmp280_keys[] = { "mode", "oversampling_p", "oversampling_t", "filter" };
static const char *const bme280_keys[] = { "mode", "oversampling_p", "oversampling_t",
					   "oversampling_h", "filter" };
static const char *const ads1115_keys[] = { "input", "gain_v", "data_rate_sps", "calibration" };
static const char *const mcp9808_keys[] = { "resolution_c" };

static const struct driver_schema driver_schemas[] = {
	{ "bmp280", CONFIG_CHANNEL_PRESSURE | CONFIG_CHANNEL_TEMPERATURE,
	  bmp280_keys, ARRAY_LEN(bmp280_keys) },
	{ "bme280", CONFIG_CHANNEL_PRESSURE | CONFIG_CHANNEL_TEMPERATURE,
	  bme280_keys, ARRAY_LEN(bme280_keys) },
	/* A voltage becomes kPa through the calibration table; nothing else. */
	{ "ads1115", CONFIG_CHANNEL_PRESSURE, ads1115_keys, ARRAY_LEN(ads1115_keys) },
	{ "mcp9808", CONFIG_CHANNEL_TEMPERATURE, mcp9808_keys, ARRAY_LEN(mcp9808_keys) },
};

static const char *const channel_names[] = { "pressure_kpa", "temperature_c" };

static int sensor_keys_check(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
			     const struct driver_schema *d)
{
	const char *known[ARRAY_LEN(sensor_common_keys) + 8];
	size_t n_known = 0;
	char key[KEY_PATH_MAX];
	char list[512];
	const cJSON *item;

	for (size_t i = 0; i < ARRAY_LEN(sensor_common_keys); i++)
		known[n_known++] = sensor_common_keys[i];
	for (size_t i = 0; i < d->n_keys; i++)
		known[n_known++] = d->keys[i];

	cJSON_ArrayForEach(item, obj) {
		const char *owners[ARRAY_LEN(driver_schemas)];
		size_t n_owners = 0;

		if (item->string != NULL && name_in(item->string, known, n_known))
			continue;
		key_join_user(key, sizeof(key), parent, item->string ? item->string : "");
		for (size_t i = 0; item->string && i < ARRAY_LEN(driver_schemas); i++)
			if (name_in(item->string, driver_schemas[i].keys, driver_schemas[i].n_keys))
				owners[n_owners++] = driver_schemas[i].name;
		if (n_owners > 0) {
			names_join(list, sizeof(list), owners, n_owners);
			return fail(ctx, key, "does not apply to driver %s (it is a setting of %s)",
				    d->name, list);
		}
		names_join(list, sizeof(list), known, n_known);
		return fail(ctx, key, "unknown key (known: %s)", list);
	}
	/* Now that all keys are known, the duplicate check of keys_check. */
	return keys_check(ctx, obj, parent, known, n_known);
}

/* "address": 118, "0x76" or "118". */
static int address_parse(struct parse_ctx *ctx, const cJSON *item, const char *path, uint8_t *out)
{
	static const char expected[] = "expected an integer or a string like \"0x76\"";
	char shown[SHOW_BUF];
	unsigned long v = 0;

	if (cJSON_IsNumber(item)) {
		double d = item->valuedouble;
		if (!isfinite(d) || floor(d) != d)
			return fail(ctx, path, "%s", expected);
		if (d < 0x03 || d > 0x77)
			return fail(ctx, path, "%.15g is out of range (0x03..0x77)", d);
		v = (unsigned long)d;
	} else if (cJSON_IsString(item) && item->valuestring != NULL) {
		const char *s = item->valuestring;
		bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
		const char *digits = hex ? s + 2 : s;
		char *end;

		/* strtoul alone would take "-1", " 7" and "0x" without complaint. */
		bool ok = hex ? (digits[0] != '\0' && strchr("0123456789abcdefABCDEF", digits[0]))
			      : (digits[0] >= '0' && digits[0] <= '9');
		if (!ok)
			return fail(ctx, path, "%s is not an address (%s)", show(s, shown), expected);
		errno = 0;
		v = strtoul(digits, &end, hex ? 16 : 10);
		if (*end != '\0')
			return fail(ctx, path, "%s is not an address (%s)", show(s, shown), expected);
		if (errno == ERANGE || v < 0x03 || v > 0x77)
			return fail(ctx, path, "%s is out of range (0x03..0x77)", show(s, shown));
	} else {
		return fail(ctx, path, "%s", expected);
	}
	*out = (uint8_t)v;
	return 0;
}

static int provides_parse(struct parse_ctx *ctx, const cJSON *item, const char *path,
			  const struct driver_schema *d, unsigned *out)
{
	char ipath[KEY_PATH_MAX];
	char shown[SHOW_BUF];
	const cJSON *e;
	size_t i = 0;
	unsigned mask = 0;

	if (!cJSON_IsArray(item))
		return fail(ctx, path, "expected an array, like [\"pressure_kpa\"]");
	cJSON_ArrayForEach(e, item) {
		unsigned bit = 0;

		key_index(ipath, sizeof(ipath), path, i++);
		if (!cJSON_IsString(e) || e->valuestring == NULL)
			return fail(ctx, ipath, "expected a string");
		for (size_t c = 0; c < ARRAY_LEN(channel_names); c++)
			if (strcmp(e->valuestring, channel_names[c]) == 0)
				bit = 1u << c;
		if (bit == 0)
			return fail(ctx, ipath, "%s is not one of pressure_kpa, temperature_c",
				    show(e->valuestring, shown));
		if (mask & bit)
			return fail(ctx, ipath, "%s is listed twice", e->valuestring);
		if (!(d->channels & bit))
			return fail(ctx, ipath, "driver %s cannot measure %s", d->name, e->valuestring);
		mask |= bit;
	}
	*out = mask;
	return 0;
}

static int bmx280_parse(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
			struct sensor_cfg *s, bool bme)
{
	static const char *const modes[] = { "forced", "normal" };
	/* osrs codes 001..101 [BMP §3.3.1]; 0 (skip) is refused: the
	 * compensation needs a temperature for every pressure. */
	static const double oversampling[] = { 1, 2, 4, 8, 16 };
	/* IIR coefficients, codes 000..100 [BMP §3.3.3]. */
	static const double filters[] = { 0, 2, 4, 8, 16 };
	unsigned mode = s->normal_mode ? 1 : 0;

	if (choice_get(ctx, obj, parent, "mode", modes, ARRAY_LEN(modes), &mode) < 0 ||
	    unsigned_choice_get(ctx, obj, parent, "oversampling_p", oversampling,
				ARRAY_LEN(oversampling), &s->oversampling_p) < 0 ||
	    unsigned_choice_get(ctx, obj, parent, "oversampling_t", oversampling,
				ARRAY_LEN(oversampling), &s->oversampling_t) < 0 ||
	    (bme && unsigned_choice_get(ctx, obj, parent, "oversampling_h", oversampling,
					ARRAY_LEN(oversampling), &s->oversampling_h) < 0) ||
	    unsigned_choice_get(ctx, obj, parent, "filter", filters, ARRAY_LEN(filters),
				&s->filter) < 0)
		return -1;
	s->normal_mode = mode == 1;
	return 0;
}

static int calibration_parse(struct parse_ctx *ctx, const cJSON *item, const char *path,
			     struct sensor_cfg *s)
{
	char ppath[KEY_PATH_MAX];
	const cJSON *pair;
	size_t n = 0;

	if (!cJSON_IsArray(item))
		return fail(ctx, path, "expected an array of [volts, kPa] pairs");
	cJSON_ArrayForEach(pair, item) {
		const cJSON *v, *k;
		double volts = 0, kpa = 0;

		key_index(ppath, sizeof(ppath), path, n);
		if (n >= CONFIG_MAX_CAL_POINTS)
			return fail(ctx, path, "more than %d points", CONFIG_MAX_CAL_POINTS);
		if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2)
			return fail(ctx, ppath, "expected a pair [volts, kPa]");
		v = pair->child;
		k = v->next;
		if (number_value(ctx, v, ppath, &volts) < 0 || number_value(ctx, k, ppath, &kpa) < 0)
			return -1;
		if (n > 0 && !(volts > s->cal_v[n - 1]))
			return fail(ctx, ppath, "%.15g V is not above the %.15g V of the point before; "
				    "volts must rise strictly", volts, s->cal_v[n - 1]);
		s->cal_v[n] = volts;
		s->cal_kpa[n] = kpa;
		n++;
	}
	if (n < 2)
		return fail(ctx, path, "%zu point%s, at least 2 are needed", n, n == 1 ? "" : "s");
	s->cal_points = n;
	return 0;
}

static int ads1115_parse(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
			 struct sensor_cfg *s)
{
	/* Index = MUX code [ADS config bits 14:12]. */
	static const char *const inputs[] = { "ain0-ain1", "ain0-ain3", "ain1-ain3", "ain2-ain3",
					      "ain0", "ain1", "ain2", "ain3" };
	/* PGA full-scale ranges [ADS config bits 11:9]. */
	static const double gains_v[] = { 6.144, 4.096, 2.048, 1.024, 0.512, 0.256 };
	/* Data rates [ADS config bits 7:5]. */
	static const double rates_sps[] = { 8, 16, 32, 64, 128, 250, 475, 860 };
	const cJSON *cal = cJSON_GetObjectItemCaseSensitive(obj, "calibration");
	char path[KEY_PATH_MAX];

	if (choice_get(ctx, obj, parent, "input", inputs, ARRAY_LEN(inputs), &s->mux) < 0 ||
	    value_choice_get(ctx, obj, parent, "gain_v", gains_v, ARRAY_LEN(gains_v), &s->fsr_v) < 0 ||
	    unsigned_choice_get(ctx, obj, parent, "data_rate_sps", rates_sps, ARRAY_LEN(rates_sps),
				&s->data_rate_sps) < 0)
		return -1;
	key_join(path, sizeof(path), parent, "calibration");
	if (cal != NULL && calibration_parse(ctx, cal, path, s) < 0)
		return -1;
	if (cal == NULL && (s->provides & CONFIG_CHANNEL_PRESSURE))
		return fail(ctx, path, "missing; an ads1115 that provides pressure_kpa needs a "
			    "table of [volts, kPa] points to turn its voltage into pressure");
	return 0;
}

static int sensor_parse(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
			struct sensor_cfg *s)
{
	const char *names[ARRAY_LEN(driver_schemas)];
	const struct driver_schema *d = NULL;
	const cJSON *item;
	char path[KEY_PATH_MAX];
	char shown[SHOW_BUF];
	char list[128];
	int n;

	sensor_cfg_defaults(s);
	if (!cJSON_IsObject(obj))
		return fail(ctx, parent, "expected an object");

	key_join(path, sizeof(path), parent, "driver");
	item = cJSON_GetObjectItemCaseSensitive(obj, "driver");
	for (size_t i = 0; i < ARRAY_LEN(driver_schemas); i++)
		names[i] = driver_schemas[i].name;
	names_join(list, sizeof(list), names, ARRAY_LEN(names));
	if (item == NULL)
		return fail(ctx, path, "missing (one of %s)", list);
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return fail(ctx, path, "expected a string");
	for (size_t i = 0; i < ARRAY_LEN(driver_schemas); i++)
		if (strcmp(item->valuestring, driver_schemas[i].name) == 0)
			d = &driver_schemas[i];
	if (d == NULL)
		return fail(ctx, path, "%s is not a known driver (known: %s)",
			    show(item->valuestring, shown), list);
	strcpy(s->driver, d->name);

	if (sensor_keys_check(ctx, obj, parent, d) < 0)
		return -1;

	key_join(path, sizeof(path), parent, "bus");
	if (cJSON_GetObjectItemCaseSensitive(obj, "bus") == NULL)
		return fail(ctx, path, "missing (a device such as /dev/i2c-1, or \"sim\")");
	if (string_get(ctx, obj, parent, "bus", s->bus, sizeof(s->bus)) < 0)
		return -1;
	if (strcmp(s->bus, "sim") != 0 && (strncmp(s->bus, "/dev/", 5) != 0 || s->bus[5] == '\0'))
		return fail(ctx, path, "%s is not a bus; use a device such as /dev/i2c-1, or \"sim\"",
			    show(s->bus, shown));

	key_join(path, sizeof(path), parent, "address");
	item = cJSON_GetObjectItemCaseSensitive(obj, "address");
	if (item == NULL)
		return fail(ctx, path, "missing (the chip's 7-bit I2C address, like \"0x76\")");
	if (address_parse(ctx, item, path, &s->address) < 0)
		return -1;

	/* Optional: a sensor that provides no channel still adds its own
	 * fields to the reading (a BME280's humidity, an ADC's voltage). */
	key_join(path, sizeof(path), parent, "provides");
	item = cJSON_GetObjectItemCaseSensitive(obj, "provides");
	if (item != NULL && provides_parse(ctx, item, path, d, &s->provides) < 0)
		return -1;

	if (strcmp(d->name, "bmp280") == 0 || strcmp(d->name, "bme280") == 0) {
		if (bmx280_parse(ctx, obj, parent, s, strcmp(d->name, "bme280") == 0) < 0)
			return -1;
	} else if (strcmp(d->name, "ads1115") == 0) {
		if (ads1115_parse(ctx, obj, parent, s) < 0)
			return -1;
	} else if (strcmp(d->name, "mcp9808") == 0) {
		static const double resolutions_c[] = { 0.5, 0.25, 0.125, 0.0625 };
		if (value_choice_get(ctx, obj, parent, "resolution_c", resolutions_c,
				     ARRAY_LEN(resolutions_c), &s->resolution_c) < 0)
			return -1;
	}

	/* The key names the sensor in readings' "faults" (struct reading_fault,
	 * 128 bytes), so it has to fit there, not only in s->key. */
	n = snprintf(s->key, sizeof(s->key), "%s@%s:0x%02x", s->driver, s->bus, s->address);
	if (n < 0 || n >= 128) {
		key_join(path, sizeof(path), parent, "bus");
		return fail(ctx, path, "too long to name the sensor (\"DRIVER@BUS:0xAA\" must stay "
			    "under 128 bytes)");
	}
	return 0;
}

static int sensors_parse(struct parse_ctx *ctx, const cJSON *item, struct sensord_cfg *sd)
{
	const cJSON *e;
	size_t n = 0;

	if (!cJSON_IsArray(item))
		return fail(ctx, "sensord.sensors", "expected an array of sensor objects");
	cJSON_ArrayForEach(e, item) {
		char path[KEY_PATH_MAX];
		struct sensor_cfg *s;

		if (n >= CONFIG_MAX_SENSORS)
			return fail(ctx, "sensord.sensors", "more than %d sensors", CONFIG_MAX_SENSORS);
		s = &sd->sensors[n];
		key_index(path, sizeof(path), "sensord.sensors", n);
		if (sensor_parse(ctx, e, path, s) < 0)
			return -1;
		for (size_t j = 0; j < n; j++) {
			const struct sensor_cfg *o = &sd->sensors[j];
			char key[KEY_PATH_MAX];

			if (strcmp(o->bus, s->bus) == 0 && o->address == s->address) {
				key_join(key, sizeof(key), path, "address");
				return fail(ctx, key, "0x%02x on %s is already taken by "
					    "sensord.sensors[%zu] (%s)", s->address, s->bus, j, o->driver);
			}
			for (size_t c = 0; c < ARRAY_LEN(channel_names); c++) {
				if (o->provides & s->provides & (1u << c)) {
					key_join(key, sizeof(key), path, "provides");
					return fail(ctx, key, "%s is already provided by "
						    "sensord.sensors[%zu] (%s); each channel comes "
						    "from one sensor", channel_names[c], j, o->key);
				}
			}
		}
		if (strcmp(s->bus, "sim") == 0)
			sd->simulated = true;
		n++;
	}
	sd->n_sensors = n;
	return 0;
}

/* A GPIO line: an offset (0..1023) or a line name ("GPIO17"). */
static int gpio_line_get(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
			 const char *name, struct gpio_line_cfg *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	char path[KEY_PATH_MAX];
	double v = 0;

	if (item == NULL)
		return 0;
	key_join(path, sizeof(path), parent, name);
	if (cJSON_IsString(item)) {
		if (string_value(ctx, item, path, out->name, sizeof(out->name)) < 0)
			return -1;
		if (out->name[0] == '\0')
			return fail(ctx, path, "empty; give a line offset or a line name such as \"GPIO17\"");
		out->offset = -1;
		return 0;
	}
	if (!cJSON_IsNumber(item))
		return fail(ctx, path, "expected a line offset (a number) or a line name (a string)");
	if (integer_value(ctx, item, path, 0, 1023, &v) < 0)
		return -1;
	out->name[0] = '\0';
	out->offset = (int)v;
	return 0;
}

static int feedback_parse(struct parse_ctx *ctx, const cJSON *obj, const char *path,
			  struct feedback_cfg *fb)
{
	static const char *const keys[] = { "chip", "led", "buzzer", "button", "led_active_low",
					    "buzzer_active_low", "button_active_low", "debounce_ms",
					    "long_press_s" };

	if (keys_check(ctx, obj, path, keys, ARRAY_LEN(keys)) < 0 ||
	    string_get(ctx, obj, path, "chip", fb->chip, sizeof(fb->chip)) < 0 ||
	    gpio_line_get(ctx, obj, path, "led", &fb->led) < 0 ||
	    gpio_line_get(ctx, obj, path, "buzzer", &fb->buzzer) < 0 ||
	    gpio_line_get(ctx, obj, path, "button", &fb->button) < 0 ||
	    bool_get(ctx, obj, path, "led_active_low", &fb->led_active_low) < 0 ||
	    bool_get(ctx, obj, path, "buzzer_active_low", &fb->buzzer_active_low) < 0 ||
	    bool_get(ctx, obj, path, "button_active_low", &fb->button_active_low) < 0 ||
	    unsigned_get(ctx, obj, path, "debounce_ms", &fb->debounce_ms, 0, 1000) < 0 ||
	    double_get(ctx, obj, path, "long_press_s", &fb->long_press_s, 0.2, 30) < 0)
		return -1;
	if (fb->chip[0] == '\0' && (fb->led.offset >= 0 || fb->led.name[0] || fb->buzzer.offset >= 0 ||
				    fb->buzzer.name[0] || fb->button.offset >= 0 || fb->button.name[0]))
		return fail(ctx, "sensord.feedback.chip", "missing; the lines need their GPIO chip "
			    "(\"gpiochip0\", a chip label, or \"sim\")");
	return 0;
}

static int sensord_parse(struct parse_ctx *ctx, const cJSON *obj, struct sensord_cfg *sd)
{
	static const char *const keys[] = { "sample_hz", "state_dir", "confirm", "outbox_max",
					    "resend_s", "flush_s", "sensors", "gauge", "simulation",
					    "feedback" };
	static const char *const gauge_keys[] = { "rest_kpa", "track_s", "gas_law" };
	static const char *const sim_keys[] = { "scenario", "time_scale", "exit_at_end" };
	static const char *const confirms[] = { "collector", "broker" };
	unsigned confirm = (unsigned)sd->confirm;
	const cJSON *gauge, *sim, *sensors;
	char gauge_path[KEY_PATH_MAX];
	char sim_path[KEY_PATH_MAX];

	if (keys_check(ctx, obj, "sensord", keys, ARRAY_LEN(keys)) < 0 ||
	    unsigned_get(ctx, obj, "sensord", "sample_hz", &sd->sample_hz, 1, 100) < 0 ||
	    path_get(ctx, obj, "sensord", "state_dir", sd->state_dir, sizeof(sd->state_dir),
		     false) < 0 ||
	    choice_get(ctx, obj, "sensord", "confirm", confirms, ARRAY_LEN(confirms), &confirm) < 0 ||
	    size_get(ctx, obj, "sensord", "outbox_max", &sd->outbox_max, 1, 10000000) < 0 ||
	    double_get(ctx, obj, "sensord", "resend_s", &sd->resend_s, 1, 3600) < 0 ||
	    double_get(ctx, obj, "sensord", "flush_s", &sd->flush_s, 0.1, 60) < 0)
		return -1;
	sd->confirm = confirm == 1 ? CONFIRM_BROKER : CONFIRM_COLLECTOR;

	sensors = cJSON_GetObjectItemCaseSensitive(obj, "sensors");
	if (sensors != NULL && sensors_parse(ctx, sensors, sd) < 0)
		return -1;

	if (object_get(ctx, obj, "sensord", "gauge", &gauge, gauge_path, sizeof(gauge_path)) < 0)
		return -1;
	if (gauge != NULL &&
	    (keys_check(ctx, gauge, gauge_path, gauge_keys, ARRAY_LEN(gauge_keys)) < 0 ||
	     double_get(ctx, gauge, gauge_path, "rest_kpa", &sd->gauge.rest_kpa, 0.01, 100) < 0 ||
	     double_get(ctx, gauge, gauge_path, "track_s", &sd->gauge.track_s, 1, 86400) < 0 ||
	     bool_get(ctx, gauge, gauge_path, "gas_law", &sd->gauge.gas_law) < 0))
		return -1;

	if (object_get(ctx, obj, "sensord", "feedback", &sim, sim_path, sizeof(sim_path)) < 0 ||
	    (sim != NULL && feedback_parse(ctx, sim, sim_path, &sd->feedback) < 0))
		return -1;

	if (object_get(ctx, obj, "sensord", "simulation", &sim, sim_path, sizeof(sim_path)) < 0)
		return -1;
	if (sim != NULL &&
	    (keys_check(ctx, sim, sim_path, sim_keys, ARRAY_LEN(sim_keys)) < 0 ||
	     path_get(ctx, sim, sim_path, "scenario", sd->sim.scenario, sizeof(sd->sim.scenario),
		      false) < 0 ||
	     double_get(ctx, sim, sim_path, "time_scale", &sd->sim.time_scale, 0.1, 1000) < 0 ||
	     bool_get(ctx, sim, sim_path, "exit_at_end", &sd->sim.exit_at_end) < 0))
		return -1;

	if (sd->simulated && sd->sim.scenario[0] == '\0') {
		for (size_t i = 0; i < sd->n_sensors; i++)
			if (strcmp(sd->sensors[i].bus, "sim") == 0)
				return fail(ctx, "sensord.simulation.scenario", "missing; "
					    "sensord.sensors[%zu] is on the \"sim\" bus, whose chips "
					    "play a scenario file", i);
	}
	if (sd->sim.time_scale != 1.0) {
		if (!sd->simulated)
			return fail(ctx, "sensord.simulation.time_scale", "%.15g needs simulated "
				    "sensors (bus \"sim\"): real chips run in real time",
				    sd->sim.time_scale);
		for (size_t i = 0; i < sd->n_sensors; i++)
			if (strcmp(sd->sensors[i].bus, "sim") != 0)
				return fail(ctx, "sensord.simulation.time_scale", "%.15g needs every "
					    "sensor on the \"sim\" bus, but sensord.sensors[%zu] is on "
					    "%s: real chips run in real time", sd->sim.time_scale, i,
					    sd->sensors[i].bus);
	}
	return 0;
}

/* Fails when a (at key_a) is above b (at key_b). */
static int order_check(struct parse_ctx *ctx, const char *key_a, double a, const char *key_b,
		       double b, const char *why)
{
	if (a > b)
		return fail(ctx, key_a, "%.15g is above %s (%.15g); %s", a, key_b, b, why);
	return 0;
}

static int detector_parse(struct parse_ctx *ctx, const cJSON *obj, struct detector_cfg *d)
{
	static const char *const keys[] = { "contact_kpa", "hold_start_kpa", "hold_end_kpa",
					    "bridge_s", "min_hold_s", "effective_s", "long_s",
					    "idle_s", "heat_c", "heat_hysteresis_c", "hot_c" };
	const char *p = "detector";

	if (obj != NULL &&
	    (keys_check(ctx, obj, p, keys, ARRAY_LEN(keys)) < 0 ||
	     double_get(ctx, obj, p, "contact_kpa", &d->contact_kpa, 0.01, 1000) < 0 ||
	     double_get(ctx, obj, p, "hold_start_kpa", &d->hold_start_kpa, 0.01, 1000) < 0 ||
	     double_get(ctx, obj, p, "hold_end_kpa", &d->hold_end_kpa, 0.01, 1000) < 0 ||
	     double_get(ctx, obj, p, "bridge_s", &d->bridge_s, 0, 60) < 0 ||
	     double_get(ctx, obj, p, "min_hold_s", &d->min_hold_s, 0, 3600) < 0 ||
	     double_get(ctx, obj, p, "effective_s", &d->effective_s, 0, 3600) < 0 ||
	     double_get(ctx, obj, p, "long_s", &d->long_s, 1, 86400) < 0 ||
	     double_get(ctx, obj, p, "idle_s", &d->idle_s, 1, 86400) < 0 ||
	     double_get(ctx, obj, p, "heat_c", &d->heat_c, 0, 100) < 0 ||
	     double_get(ctx, obj, p, "heat_hysteresis_c", &d->heat_hysteresis_c, 0, 20) < 0 ||
	     double_get(ctx, obj, p, "hot_c", &d->hot_c, 0, 100) < 0))
		return -1;
	/* The thresholds only make sense in this order; a swapped pair would
	 * silently make holds or classes impossible. */
	if (order_check(ctx, "detector.contact_kpa", d->contact_kpa, "detector.hold_end_kpa",
			d->hold_end_kpa, "a hold needs contact") < 0 ||
	    order_check(ctx, "detector.hold_end_kpa", d->hold_end_kpa, "detector.hold_start_kpa",
			d->hold_start_kpa, "a hold ends below where it starts") < 0 ||
	    order_check(ctx, "detector.min_hold_s", d->min_hold_s, "detector.effective_s",
			d->effective_s, "shorter holds would count as effective") < 0 ||
	    order_check(ctx, "detector.effective_s", d->effective_s, "detector.long_s",
			d->long_s, "no hold could be effective") < 0 ||
	    order_check(ctx, "detector.heat_c", d->heat_c, "detector.hot_c", d->hot_c,
			"hot is the part of heat that risks a burn") < 0)
		return -1;
	return 0;
}

static int collector_parse(struct parse_ctx *ctx, const cJSON *obj, struct collector_cfg *c)
{
	static const char *const keys[] = { "database", "retention_days", "commit_s", "gap_timeout_s" };

	if (keys_check(ctx, obj, "collector", keys, ARRAY_LEN(keys)) < 0 ||
	    path_get(ctx, obj, "collector", "database", c->database, sizeof(c->database), false) < 0 ||
	    unsigned_get(ctx, obj, "collector", "retention_days", &c->retention_days, 0, 36500) < 0 ||
	    double_get(ctx, obj, "collector", "commit_s", &c->commit_s, 0.05, 60) < 0 ||
	    double_get(ctx, obj, "collector", "gap_timeout_s", &c->gap_timeout_s, 1, 86400) < 0)
		return -1;
	return 0;
}

static int root_parse(struct parse_ctx *ctx, const cJSON *root, struct rs_config *cfg)
{
	static const char *const keys[] = { "device_id", "log_level", "mqtt", "sensord",
					    "detector", "collector", "homeassistant" };
	static const char *const ha_keys[] = { "enabled", "discovery_prefix" };
	static const char *const levels[] = { "error", "warn", "info", "debug" };
	unsigned level = 2;
	const cJSON *mqtt, *sensord, *detector, *collector, *ha;
	char path[KEY_PATH_MAX];

	if (!cJSON_IsObject(root))
		return fail(ctx, NULL, "expected a JSON object at the top level, "
			    "like {\"device_id\": \"roller1\"}");
	if (keys_check(ctx, root, "", keys, ARRAY_LEN(keys)) < 0 ||
	    device_id_parse(ctx, root, cfg) < 0 ||
	    choice_get(ctx, root, "", "log_level", levels, ARRAY_LEN(levels), &level) < 0)
		return -1;
	strcpy(cfg->log_level, levels[level]);

	if (object_get(ctx, root, "", "mqtt", &mqtt, path, sizeof(path)) < 0)
		return -1;
	/* Without an mqtt section the defaults are checked like any other
	 * value: a password file cannot come from defaults. */
	if (mqtt != NULL && mqtt_parse(ctx, mqtt, &cfg->mqtt) < 0)
		return -1;
	if (object_get(ctx, root, "", "sensord", &sensord, path, sizeof(path)) < 0 ||
	    (sensord != NULL && sensord_parse(ctx, sensord, &cfg->sensord) < 0))
		return -1;
	if (object_get(ctx, root, "", "detector", &detector, path, sizeof(path)) < 0 ||
	    detector_parse(ctx, detector, &cfg->detector) < 0)
		return -1;
	if (object_get(ctx, root, "", "collector", &collector, path, sizeof(path)) < 0 ||
	    (collector != NULL && collector_parse(ctx, collector, &cfg->collector) < 0))
		return -1;
	if (object_get(ctx, root, "", "homeassistant", &ha, path, sizeof(path)) < 0)
		return -1;
	if (ha != NULL &&
	    (keys_check(ctx, ha, "homeassistant", ha_keys, ARRAY_LEN(ha_keys)) < 0 ||
	     bool_get(ctx, ha, "homeassistant", "enabled", &cfg->homeassistant.enabled) < 0 ||
	     string_get(ctx, ha, "homeassistant", "discovery_prefix", cfg->homeassistant.discovery_prefix,
			sizeof(cfg->homeassistant.discovery_prefix)) < 0 ||
	     topic_prefix_check(ctx, "homeassistant.discovery_prefix",
				cfg->homeassistant.discovery_prefix) < 0))
		return -1;

	/* Below rest_kpa the gauge's zero follows the reading; at or above
	 * contact the user is pressing. If rest reached contact, the zero would
	 * creep up under a light touch and eat it. */
	if (cfg->sensord.gauge.rest_kpa >= cfg->detector.contact_kpa)
		return fail(ctx, "sensord.gauge.rest_kpa", "%.15g is not below detector.contact_kpa "
			    "(%.15g); the zero would track away light contact",
			    cfg->sensord.gauge.rest_kpa, cfg->detector.contact_kpa);
	return 0;
}

/* ---- text -------------------------------------------------------------- */

static void text_position(const char *text, size_t offset, unsigned *line, unsigned *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*column = 1;
		} else {
			(*column)++;
		}
	}
}

/* Blanks // and block comments in text (len bytes) with spaces, keeping
 * newlines, so offsets stay those of the file. Strings are skipped with their
 * escapes. Returns 0, or -1 with *bad_at and *why set. */
static int text_strip_comments(char *text, size_t len, size_t *bad_at, const char **why)
{
	size_t i = 0;

	while (i < len) {
		if (text[i] == '"') {
			for (i++; i < len && text[i] != '"'; i++) {
				if (text[i] != '\\')
					continue;
				/* cJSON would end the string at the NUL and
				 * silently drop the rest of it. */
				if (i + 5 < len && memcmp(text + i + 1, "u0000", 5) == 0) {
					*bad_at = i;
					*why = "\\u0000 in a string is not allowed";
					return -1;
				}
				i++;
			}
			i++;
		} else if (text[i] == '/' && i + 1 < len && text[i + 1] == '/') {
			while (i < len && text[i] != '\n')
				text[i++] = ' ';
		} else if (text[i] == '/' && i + 1 < len && text[i + 1] == '*') {
			size_t start = i;

			text[i++] = ' ';
			text[i++] = ' ';
			for (;;) {
				if (i + 1 >= len) {
					*bad_at = start;
					*why = "a /* comment is never closed";
					return -1;
				}
				if (text[i] == '*' && text[i + 1] == '/') {
					text[i++] = ' ';
					text[i++] = ' ';
					break;
				}
				if (text[i] != '\n')
					text[i] = ' ';
				i++;
			}
		} else {
			i++;
		}
	}
	return 0;
}

static int parse_tree(struct parse_ctx *ctx, const char *text, size_t len, cJSON **out)
{
	const char *end = NULL;
	const char *why = NULL;
	char shown[SHOW_BUF];
	unsigned line, column;
	size_t bad_at = 0;
	size_t i;
	char *copy;
	int rc = -1;

	*out = NULL;
	if (len > CONFIG_TEXT_MAX)
		return fail(ctx, NULL, "%zu bytes, more than a configuration file has "
			    "(at most %d)", len, CONFIG_TEXT_MAX);
	copy = malloc(len + 1);
	if (copy == NULL)
		return fail(ctx, NULL, "out of memory");
	memcpy(copy, text, len);
	copy[len] = '\0';

	/* The original text is used for positions: the copy is changed. */
	if (memchr(text, '\0', len) != NULL) {
		bad_at = (size_t)((const char *)memchr(text, '\0', len) - text);
		why = "contains a NUL byte; not a text file";
	} else {
		(void)text_strip_comments(copy, len, &bad_at, &why);
	}
	if (why != NULL) {
		text_position(text, bad_at, &line, &column);
		fail(ctx, NULL, "line %u, column %u: %s", line, column, why);
		goto cleanup;
	}
	for (i = 0; i < len; i++)
		if (copy[i] != ' ' && copy[i] != '\t' && copy[i] != '\n' && copy[i] != '\r')
			break;
	if (i == len) {
		fail(ctx, NULL, "empty; expected a JSON object");
		goto cleanup;
	}

	/* require_null_terminated: anything after the value is an error. */
	*out = cJSON_ParseWithOpts(copy, &end, 1);
	if (*out == NULL) {
		size_t at = (end != NULL && end >= copy && end <= copy + len) ?
				    (size_t)(end - copy) : 0;
		/* cJSON often stops just past the culprit; point at the last
		 * thing written before the blank (comments are blank here). */
		while (at > 0 && at < len && strchr(" \t\r\n", copy[at]) != NULL)
			at--;
		text_position(text, at, &line, &column);
		if (at >= len)
			fail(ctx, NULL, "line %u, column %u: not valid JSON: the text ends too early",
			     line, column);
		else
			fail(ctx, NULL, "line %u, column %u: not valid JSON near %s", line, column,
			     show_n(copy + at, strcspn(copy + at, "\r\n"), true, shown));
		goto cleanup;
	}
	rc = 0;
cleanup:
	free(copy);
	return rc;
}

/* ---- entry points ------------------------------------------------------ */

int config_parse(const char *text, size_t len, const char *name, const char *base_dir,
		 struct rs_config *cfg, char *err, size_t err_len)
{
	struct parse_ctx ctx = {
		.name = name ? name : "(config)",
		.base_dir = base_dir,
		.err = err,
		.err_len = err_len,
	};
	struct rs_config *next = NULL;
	cJSON *root = NULL;
	int rc = -1;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (text == NULL)
		return fail(&ctx, NULL, "no text");
	if (strlen(ctx.name) >= sizeof(next->path))
		return fail(&ctx, NULL, "path too long (at most %zu bytes)", sizeof(next->path) - 1);
	/* On the heap: a config with eight sensors is some 15 KiB. */
	next = malloc(sizeof(*next));
	if (next == NULL)
		return fail(&ctx, NULL, "out of memory");
	config_defaults(next);
	strcpy(next->path, ctx.name);

	if (parse_tree(&ctx, text, len, &root) < 0)
		goto cleanup;
	if (root_parse(&ctx, root, next) < 0)
		goto cleanup;
	*cfg = *next;
	rc = 0;
cleanup:
	cJSON_Delete(root);
	/* It may hold the MQTT password. */
	explicit_bzero(next, sizeof(*next));
	free(next);
	return rc;
}

int config_load(const char *path, struct rs_config *cfg, char *err, size_t err_len)
{
	struct parse_ctx ctx = { .name = path ? path : "(null)", .err = err, .err_len = err_len };
	char base[PATH_MAX];
	char real_base[PATH_MAX];
	const char *slash;
	char *text = NULL;
	size_t got = 0;
	size_t size;
	struct stat st;
	int fd;
	int rc = -1;

	if (path == NULL || path[0] == '\0')
		return fail(&ctx, NULL, "no configuration file given");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int saved = errno;
		return fail(&ctx, NULL, "cannot open: %s", strerror(saved));
	}
	if (fstat(fd, &st) < 0) {
		int saved = errno;
		fail(&ctx, NULL, "cannot stat: %s", strerror(saved));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(&ctx, NULL, "not a regular file");
		goto cleanup;
	}
	if (st.st_size > CONFIG_TEXT_MAX) {
		fail(&ctx, NULL, "%lld bytes, more than a configuration file has (at most %d)",
		     (long long)st.st_size, CONFIG_TEXT_MAX);
		goto cleanup;
	}
	/* One byte more than its size, to notice a file that grew meanwhile. */
	size = (size_t)st.st_size + 1;
	text = malloc(size);
	if (text == NULL) {
		fail(&ctx, NULL, "out of memory");
		goto cleanup;
	}
	while (got < size) {
		ssize_t n = read(fd, text + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			fail(&ctx, NULL, "cannot read: %s", strerror(saved));
			goto cleanup;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got == size) {
		fail(&ctx, NULL, "changed while being read");
		goto cleanup;
	}

	/* Relative paths inside are relative to the file's folder, made
	 * absolute so that they survive a later chdir. */
	slash = strrchr(path, '/');
	if (slash == NULL) {
		strcpy(base, ".");
	} else if (slash == path) {
		strcpy(base, "/");
	} else {
		size_t n = (size_t)(slash - path);
		if (n >= sizeof(base)) {
			fail(&ctx, NULL, "path too long");
			goto cleanup;
		}
		memcpy(base, path, n);
		base[n] = '\0';
	}
	if (realpath(base, real_base) == NULL) {
		int saved = errno;
		fail(&ctx, NULL, "cannot resolve its folder %s: %s", base, strerror(saved));
		goto cleanup;
	}
	rc = config_parse(text, got, path, real_base, cfg, err, err_len);
cleanup:
	free(text);
	close(fd);
	return rc;
}

bool config_chip_at(size_t i, struct config_chip *out)
{
	if (i >= ARRAY_LEN(driver_schemas))
		return false;
	*out = (struct config_chip){ driver_schemas[i].name, driver_schemas[i].channels,
				     driver_schemas[i].keys, driver_schemas[i].n_keys };
	return true;
}
