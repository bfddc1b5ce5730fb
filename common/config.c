/* Loading and validating the configuration (config.h).
 *
 * The file is JSON with comments (jsonc.h). The tree is walked against one
 * schema, the tables below: a row per key with its type, its place in the
 * structs, its default, its range and whether a change of it waits for a
 * restart. One walker fills the defaults, refuses unknown keys and checks
 * types and ranges; what involves more than one key is a section's "done"
 * hook. The first problem ends the load with "FILE: KEY: what is wrong".
 *
 * Hostile input (the fuzzer calls config_parse) is bounded: the text is at
 * most CONFIG_TEXT_MAX bytes, cJSON stops nesting at CJSON_NESTING_LIMIT, the
 * walk below has a fixed depth, every string is length-checked before it is
 * copied, and anything echoed back in a message is escaped and shortened. */
#include "config.h"

#include <cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "jsonc.h"
#include "keyfile.h"
#include "log.h"
#include "utf8.h"

#define CONFIG_TEXT_MAX (1024 * 1024)	/* a config file is a few KiB; more is a mistake */
#define KEY_PATH_MAX 160		/* "sensord.sensors[7].calibration[15]" and the like */
#define SHOW_MAX 40			/* characters of user text echoed in a message */
#define SHOW_BUF (SHOW_MAX * 4 + 8)
#define KNOWN_MAX 16			/* keys of one object, at most */

#define CHIPS_MAX 16			/* chips in the registry, at most */

struct parse_ctx {
	const char *name;	/* the file, as given, for messages */
	const char *base_dir;	/* relative paths are resolved against it */
	char *err;
	size_t err_len;
	const struct config_chip *chip;		/* the sensor being read: its chip */
	const struct sensor_cfg *sensor;	/* ... and its common keys */
};

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
	(void)!snprintf(ctx->err, ctx->err_len, "%s: %s%s%s", ctx->name, key ? key : "",
			key ? ": " : "", what);
	return -1;
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
		} else if (c >= 0x20 && c < 0x7f) {
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

/* parent.key, or key at the top level, cut to fit out: key paths are short
 * and only used in messages. Keys from the schema are short; a key from the
 * file (an unknown one) is escaped first. */
static void key_join(char *out, size_t len, const char *parent, const char *key)
{
	if (snprintf(out, len, "%s%s%s", parent, parent[0] == '\0' ? "" : ".", key) < 0)
		out[0] = '\0';
}

static void key_join_user(char *out, size_t len, const char *parent, const char *key)
{
	char shown[SHOW_BUF];

	key_join(out, len, parent, show_n(key, strlen(key), false, shown));
}

static void key_index(char *out, size_t len, const char *parent, size_t index)
{
	if (snprintf(out, len, "%s[%zu]", parent, index) < 0)
		out[0] = '\0';
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

/* ---- values ------------------------------------------------------------ */

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

/* A number in min..max; with integer, a whole one. */
static int range_value(struct parse_ctx *ctx, const cJSON *item, const char *path, bool integer,
		       double min, double max, double *out)
{
	double v = 0;

	if (number_value(ctx, item, path, &v) < 0)
		return -1;
	if (integer && floor(v) != v)
		return fail(ctx, path, "expected an integer, got %.15g", v);
	if (v < min || v > max)
		return fail(ctx, path, "%.15g is out of range (%.15g..%.15g)", v, min, max);
	*out = v;
	return 0;
}

/* ---- the schema -------------------------------------------------------- */

struct config_section {
	const struct config_key *keys;
	size_t n_keys;
	int (*done)(struct parse_ctx *ctx, void *base);	/* the cross-field checks, after every key */
	unsigned restart;		/* added to each key's restart */
};

#define SECTION(s) .section = &s
#define TABLE(rows) rows, ARRAY_LEN(rows)
#define BOTH (CONFIG_SENSORD | CONFIG_COLLECTOR)

_Static_assert(sizeof(enum confirm_mode) == sizeof(unsigned), "confirm is read as an unsigned");

/* Stores a number, an index or a flag as the field's C type. */
static void field_store(const struct config_key *k, void *field, double v)
{
	unsigned u = (unsigned)v;

	if (k->type == KEY_SIZE)
		*(size_t *)field = (size_t)v;
	else if (k->type == KEY_DOUBLE || (k->type == KEY_ONE_OF && k->size == sizeof(double)))
		*(double *)field = v;
	else if (k->size == sizeof(bool))
		*(bool *)field = u != 0;
	else
		memcpy(field, &u, sizeof(u));
}

static void rows_defaults(const struct config_key *keys, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++) {
		const struct config_key *k = &keys[i];
		void *field = (char *)base + k->offset;

		if (k->type == KEY_SECTION)
			rows_defaults(k->section->keys, k->section->n_keys, field);
		else if (k->type == KEY_GPIO)
			*(struct gpio_line_cfg *)field = (struct gpio_line_cfg){ .offset = -1 };
		else if (k->def_str != NULL)
			snprintf(field, k->size, "%s", k->def_str);
		else if (k->type != KEY_STRING && k->type != KEY_PATH && k->type != KEY_CALIBRATION &&
			 k->type != KEY_CUSTOM && k->type != KEY_HIDDEN)
			field_store(k, field, k->def);
	}
}

/* The names of the keys in the file, in table order, for messages. */
static size_t rows_names(const struct config_key *keys, size_t n, const char **out, size_t n_out)
{
	size_t o = n_out;

	for (size_t i = 0; i < n; i++)
		if (keys[i].type != KEY_HIDDEN && o < KNOWN_MAX)
			out[o++] = keys[i].name;
	return o;
}

static const struct config_key *row_find(const struct config_key *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i].type != KEY_HIDDEN && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int pick_read(struct parse_ctx *ctx, const struct config_key *k, const cJSON *item,
		     const char *path, void *field)
{
	char shown[SHOW_BUF];
	char list[256];

	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return fail(ctx, path, "expected a string");
	for (size_t i = 0; i < k->n_choices; i++) {
		if (strcmp(item->valuestring, k->names[i]) != 0)
			continue;
		if (k->def_str != NULL)
			snprintf(field, k->size, "%s", k->names[i]);
		else
			field_store(k, field, (double)i);
		return 0;
	}
	names_join(list, sizeof(list), k->names, k->n_choices);
	return fail(ctx, path, "%s is not one of %s", show(item->valuestring, shown), list);
}

/* A number that must be one of values (exact: the file's "4.096" parses to
 * the same double as the constant). */
static int one_of_read(struct parse_ctx *ctx, const struct config_key *k, const cJSON *item,
		       const char *path, void *field)
{
	char list[256], shown[8][32];
	const char *names[8];
	double v = 0;

	if (number_value(ctx, item, path, &v) < 0)
		return -1;
	for (size_t i = 0; i < k->n_choices && i < ARRAY_LEN(names); i++) {
		snprintf(shown[i], sizeof(shown[i]), "%.15g", k->values[i]);
		names[i] = shown[i];
		if (v != k->values[i])
			continue;
		field_store(k, field, v);
		return 0;
	}
	names_join(list, sizeof(list), names, k->n_choices);
	return fail(ctx, path, "%.15g is not one of %s", v, list);
}

/* A GPIO line: an offset (0..1023) or a line name ("GPIO17"). */
static int gpio_line_read(struct parse_ctx *ctx, const cJSON *item, const char *path,
			  struct gpio_line_cfg *out)
{
	double v = 0;

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
	if (range_value(ctx, item, path, true, 0, 1023, &v) < 0)
		return -1;
	out->name[0] = '\0';
	out->offset = (int)v;
	return 0;
}

/* KEY_CALIBRATION: [[volts, kPa], ...], 2..CONFIG_MAX_CAL_POINTS points,
 * volts rising strictly. */
static int calibration_read(struct parse_ctx *ctx, const cJSON *item, const char *path,
			    struct config_calibration *cal)
{
	char ppath[KEY_PATH_MAX];
	const cJSON *pair;
	size_t n = 0;

	if (!cJSON_IsArray(item))
		return fail(ctx, path, "expected an array of [volts, kPa] pairs");
	cJSON_ArrayForEach(pair, item) {
		double volts = 0, kpa = 0;

		key_index(ppath, sizeof(ppath), path, n);
		if (n >= CONFIG_MAX_CAL_POINTS)
			return fail(ctx, path, "more than %d points", CONFIG_MAX_CAL_POINTS);
		if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2)
			return fail(ctx, ppath, "expected a pair [volts, kPa]");
		if (number_value(ctx, pair->child, ppath, &volts) < 0 ||
		    number_value(ctx, pair->child->next, ppath, &kpa) < 0)
			return -1;
		if (n > 0 && !(volts > cal->v[n - 1]))
			return fail(ctx, ppath, "%.15g V is not above the %.15g V of the point before; "
				    "volts must rise strictly", volts, cal->v[n - 1]);
		cal->v[n] = volts;
		cal->kpa[n] = kpa;
		n++;
	}
	if (n < 2)
		return fail(ctx, path, "%zu point%s, at least 2 are needed", n, n == 1 ? "" : "s");
	cal->n_points = n;
	return 0;
}

static int section_parse(struct parse_ctx *ctx, const struct config_section *sec,
			 const cJSON *obj, const char *path, void *base);

/* Reads one present key (item) at path into its field. */
static int row_read(struct parse_ctx *ctx, const struct config_key *k, const cJSON *item,
		    const char *path, void *base)
{
	void *field = (char *)base + k->offset;
	double v = 0;

	switch (k->type) {
	case KEY_STRING:
		return string_value(ctx, item, path, field, k->size);
	case KEY_PATH:
		if (string_value(ctx, item, path, field, k->size) < 0)
			return -1;
		if (((char *)field)[0] == '\0' && k->nonempty)
			return fail(ctx, path, "empty; expected a path");
		return path_resolve(ctx, path, field, k->size);
	case KEY_UNSIGNED:
	case KEY_SIZE:
	case KEY_DOUBLE:
		if (range_value(ctx, item, path, k->type != KEY_DOUBLE, k->min, k->max, &v) < 0)
			return -1;
		field_store(k, field, v);
		return 0;
	case KEY_BOOL:
		if (!cJSON_IsBool(item))
			return fail(ctx, path, "expected true or false");
		*(bool *)field = cJSON_IsTrue(item);
		return 0;
	case KEY_PICK:
		return pick_read(ctx, k, item, path, field);
	case KEY_ONE_OF:
		return one_of_read(ctx, k, item, path, field);
	case KEY_GPIO:
		return gpio_line_read(ctx, item, path, field);
	case KEY_CALIBRATION:
		return calibration_read(ctx, item, path, field);
	case KEY_SECTION:
		if (!cJSON_IsObject(item))
			return fail(ctx, path, "expected an object");
		return section_parse(ctx, k->section, item, path, field);
	case KEY_CUSTOM:
		return k->parse(ctx, item, path, base);
	case KEY_HIDDEN:
		break;
	}
	return 0;
}

/* Reads keys[] of obj (at parent) into base, in table order. */
static int rows_parse(struct parse_ctx *ctx, const struct config_key *keys, size_t n,
		      const cJSON *obj, const char *parent, void *base)
{
	for (size_t i = 0; i < n; i++) {
		const struct config_key *k = &keys[i];
		const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, k->name);
		char path[KEY_PATH_MAX];

		if (k->type == KEY_HIDDEN)
			continue;
		key_join(path, sizeof(path), parent, k->name);
		if (item == NULL && k->missing != NULL && (k->type != KEY_CALIBRATION ||
		    (ctx->sensor->provides & CONFIG_CHANNEL_PRESSURE)))
			return fail(ctx, path, "%s", k->missing);
		if (item != NULL && row_read(ctx, k, item, path, base) < 0)
			return -1;
		if (k->check != NULL && k->check(ctx, path, (char *)base + k->offset) < 0)
			return -1;
	}
	return 0;
}

static int section_parse(struct parse_ctx *ctx, const struct config_section *sec,
			 const cJSON *obj, const char *path, void *base)
{
	const char *known[KNOWN_MAX];
	size_t n_known = rows_names(sec->keys, sec->n_keys, known, 0);

	if (keys_check(ctx, obj, path, known, n_known) < 0 ||
	    rows_parse(ctx, sec->keys, sec->n_keys, obj, path, base) < 0)
		return -1;
	return sec->done != NULL ? sec->done(ctx, base) : 0;
}

/* ---- files named in the configuration ---------------------------------- */

/* Checks that file (at key path) opens and is a regular file. With secret
 * set, the file holds a password: it must not be open to others, and its
 * first line, without its line end, goes into secret (size bytes). Returns
 * 0, or -1 after fail(). */
static int file_check(struct parse_ctx *ctx, const char *path, const char *file, char *secret,
		      size_t size)
{
	char buf[sizeof(((struct mqtt_cfg *)0)->password) + 1];
	struct file_error why;
	struct stat st;
	size_t got = 0;
	size_t line;
	unsigned mode;
	char *nl;
	int fd;
	int rc = -1;

	fd = file_open_regular(file, &st, &why);
	if (fd < 0 && why.step == FILE_NOT_REGULAR)
		return fail(ctx, path, "%s is not a regular file", file);
	if (fd < 0)
		return fail(ctx, path, "cannot %s %s: %s", why.step == FILE_OPEN ? "open" : "stat",
			    file, strerror(why.err));
	mode = (unsigned)(st.st_mode & 07777);
	if (secret == NULL) {
		close(fd);
		return 0;
	}
	if ((mode & 0007) != 0) {
		const char *how = (mode & 0004) ? "readable" : (mode & 0002) ? "writable" :
										"accessible";
		fail(ctx, path, "%s is %s by others (mode %04o); chmod 600 it", file, how, mode);
		goto cleanup;
	}
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
	nl = memchr(buf, '\n', got);
	line = nl ? (size_t)(nl - buf) : got;
	if (line > 0 && buf[line - 1] == '\r')
		line--;
	/* No line end in a full buffer: the line goes on past it. */
	if (got == 0)
		fail(ctx, path, "%s is empty; its first line is the password", file);
	else if (line == 0)
		fail(ctx, path, "the first line of %s is empty; it is the password", file);
	else if (line >= size || (nl == NULL && got == sizeof(buf)))
		fail(ctx, path, "the first line of %s is too long (at most %zu bytes)", file, size - 1);
	else if (memchr(buf, '\0', line) != NULL)
		fail(ctx, path, "the first line of %s contains a NUL byte", file);
	else
		rc = 0;
	if (rc == 0) {
		memcpy(secret, buf, line);
		secret[line] = '\0';
	}
cleanup:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* ---- checks and the keys that need their own code ----------------------- */

static int device_id_parse(struct parse_ctx *ctx, const cJSON *item, const char *path, void *base)
{
	static const char why[] = "only A-Z, a-z, 0-9, '_' and '-' are allowed, because the id "
				  "becomes a level of MQTT topics and broker ACLs, where '/' "
				  "separates levels and '+' and '#' are wildcards";
	struct rs_config *cfg = base;
	char shown[SHOW_BUF];
	const char *id;
	size_t n;

	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return fail(ctx, path, "expected a string");
	id = item->valuestring;
	n = strlen(id);
	if (n == 0)
		return fail(ctx, path, "empty; %s", why);
	if (n > CONFIG_DEVICE_ID_MAX)
		return fail(ctx, path, "%zu characters, at most %d", n, CONFIG_DEVICE_ID_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		char what[32];

		if (topic_device_id_valid(id + i, 1))
			continue;
		if (c == ' ')
			strcpy(what, "a space");
		else if (c < 0x20 || c == 0x7f)
			snprintf(what, sizeof(what), "control character 0x%02x", c);
		else if (c >= 0x80)
			snprintf(what, sizeof(what), "byte 0x%02x", c);
		else
			snprintf(what, sizeof(what), "'%c'", c);
		return fail(ctx, path, "%s contains %s; %s", show(id, shown), what, why);
	}
	memcpy(cfg->device_id, id, n + 1);
	return 0;
}

/* scheme://host:port with a scheme Paho knows and a port 1..65535. */
static int uri_check(struct parse_ctx *ctx, const char *path, const char *uri)
{
	static const char *const schemes[] = { "tcp://", "mqtt://", "ssl://", "mqtts://" };
	char buf[SHOW_BUF];
	const char *shown = show(uri, buf);
	const char *host = NULL;
	const char *p;
	unsigned long port = 0;

	for (size_t i = 0; i < ARRAY_LEN(schemes); i++)
		if (strncmp(uri, schemes[i], strlen(schemes[i])) == 0)
			host = uri + strlen(schemes[i]);
	if (host == NULL)
		return fail(ctx, path, "%s must start with tcp://, mqtt://, ssl:// or mqtts://", shown);
	if (host[0] == '[') {
		/* An IPv6 literal, "[::1]". */
		p = host + 1 + strspn(host + 1, "0123456789abcdefABCDEF:.");
		if (*p != ']' || p == host + 1)
			return fail(ctx, path, "%s has an invalid host", shown);
		p++;
	} else {
		p = host + strspn(host, "abcdefghijklmnopqrstuvwxyz" "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789.-_");
		if (*p != '\0' && *p != ':')
			return fail(ctx, path, "%s has an invalid host", shown);
	}
	if (p == host)
		return fail(ctx, path, "%s has no host", shown);
	if (*p != ':')
		return fail(ctx, path, "%s has no port (expected SCHEME://HOST:PORT)", shown);
	p++;
	if (*p < '0' || *p > '9')
		return fail(ctx, path, "%s has no valid port (expected SCHEME://HOST:PORT)", shown);
	/* At most 6 digits are read, so the value cannot overflow. */
	for (size_t digits = 0; *p >= '0' && *p <= '9'; p++, digits++) {
		if (digits == 6)
			return fail(ctx, path, "port of %s is out of range (1..65535)", shown);
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (*p != '\0')
		return fail(ctx, path, "%s has something after the port (expected SCHEME://HOST:PORT)", shown);
	if (port < 1 || port > 65535)
		return fail(ctx, path, "port %lu is out of range (1..65535)", port);
	return 0;
}

static int topic_prefix_check(struct parse_ctx *ctx, const char *path, const char *prefix)
{
	char buf[SHOW_BUF];
	const char *shown = show(prefix, buf);
	size_t n = strlen(prefix);

	if (n == 0)
		return fail(ctx, path, "empty; topics are PREFIX/DEVICE/KIND");
	for (size_t i = 0; i < n; i++) {
		char c = prefix[i];
		if (c == '+' || c == '#')
			return fail(ctx, path, "%s contains '%c', an MQTT wildcard", shown, c);
		if (c <= ' ' || c > '~')
			return fail(ctx, path, "%s contains a character other than printable ASCII "
				    "(spaces included)", shown);
	}
	if (prefix[0] == '/' || prefix[n - 1] == '/')
		return fail(ctx, path, "%s starts or ends with '/'; the levels are added with '/'", shown);
	if (strstr(prefix, "//") != NULL)
		return fail(ctx, path, "%s has an empty level (\"//\")", shown);
	if (prefix[0] == '$')
		return fail(ctx, path, "%s starts with '$', which brokers reserve for themselves", shown);
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

/* "address": "0x76" (hex, as datasheets write it) or 118 (a JSON integer,
 * decimal). A quoted number without 0x is refused, not read as decimal:
 * i2cdetect prints 0x76 as "76", and "76" read as decimal is 0x4c. */
static int address_parse(struct parse_ctx *ctx, const cJSON *item, const char *path, void *base)
{
	static const char expected[] = "expected an integer or a string like \"0x76\"";
	static const char hex_digits[] = "0123456789abcdefABCDEF";
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
		size_t n = strlen(digits);

		/* i2cdetect's own form: two hex digits, "76", "4a", "1d". */
		if (!hex && n > 0 && n <= 2 && strspn(digits, hex_digits) == n) {
			v = strtoul(digits, NULL, 16);
			return fail(ctx, path, "%s has no 0x; write \"0x%02lx\" (i2cdetect shows "
				    "0x%02lx as %02lx; an address without quotes is decimal)",
				    show(s, shown), v, v, v);
		}
		if (!hex && n > 0 && strspn(digits, "0123456789") == n)
			return fail(ctx, path, "%s has no 0x; write the hex address with its 0x, "
				    "like \"0x76\" (an address without quotes is decimal)",
				    show(s, shown));
		/* strtoul alone would take "-1", " 7", "0x" and "0x0x12" (its
		 * base 16 skips a second 0x) without complaint. */
		if (!hex || n == 0 || strspn(digits, hex_digits) != n)
			return fail(ctx, path, "%s is not an address (%s)", show(s, shown), expected);
		errno = 0;
		v = strtoul(digits, NULL, 16);
		if (errno == ERANGE || v < 0x03 || v > 0x77)
			return fail(ctx, path, "%s is out of range (0x03..0x77)", show(s, shown));
	} else {
		return fail(ctx, path, "%s", expected);
	}
	((struct sensor_cfg *)base)->address = (uint8_t)v;
	return 0;
}

/* ---- sensors ----------------------------------------------------------- */

static const char *const channel_names[] = { "pressure_kpa", "temperature_c", "rotation_dps" };

static int bus_check(struct parse_ctx *ctx, const char *path, const char *bus)
{
	char shown[SHOW_BUF];

	if (strcmp(bus, "sim") != 0 && (strncmp(bus, "/dev/", 5) != 0 || bus[5] == '\0'))
		return fail(ctx, path, "%s is not a bus; use a device such as /dev/i2c-1, or \"sim\"",
			    show(bus, shown));
	return 0;
}

/* Optional: a sensor that provides no channel still adds its own fields to
 * the reading (a BME280's humidity, an ADC's voltage). */
static int provides_parse(struct parse_ctx *ctx, const cJSON *item, const char *path, void *base)
{
	const struct config_chip *d = ctx->chip;
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
		if (!(d->provides & bit))
			return fail(ctx, ipath, "driver %s cannot measure %s", d->name, e->valuestring);
		mask |= bit;
	}
	((struct sensor_cfg *)base)->provides = mask;
	return 0;
}

/* The keys every sensor has besides "driver", which picks its chip. */
static const struct config_key sensor_keys[] = {
	ROW(struct sensor_cfg, bus, KEY_STRING, .check = bus_check,
	    .missing = "missing (a device such as /dev/i2c-1, or \"sim\")"),
	ROW(struct sensor_cfg, address, KEY_CUSTOM, .parse = address_parse,
	    .missing = "missing (the chip's 7-bit I2C address, like \"0x76\")"),
	ROW(struct sensor_cfg, provides, KEY_CUSTOM, .parse = provides_parse),
};

static int sensor_keys_check(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
			     const struct config_chip *d)
{
	const char *known[KNOWN_MAX] = { "driver" };
	size_t n_known;
	char key[KEY_PATH_MAX];
	char list[512];
	const cJSON *item;

	n_known = rows_names(sensor_keys, ARRAY_LEN(sensor_keys), known, 1);
	n_known = rows_names(d->keys, d->n_keys, known, n_known);

	cJSON_ArrayForEach(item, obj) {
		const char *owners[CHIPS_MAX];
		const struct config_chip *c;
		size_t n_owners = 0;

		if (item->string != NULL && name_in(item->string, known, n_known))
			continue;
		key_join_user(key, sizeof(key), parent, item->string ? item->string : "");
		for (size_t i = 0; item->string && i < CHIPS_MAX && (c = config_chip_at(i)); i++)
			if (row_find(c->keys, c->n_keys, item->string))
				owners[n_owners++] = c->name;
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

/* The address must be one the chip's pins can select (its driver's list):
 * "bmp280 at 0x48: a BMP280 answers only at 0x76 or 0x77". A decimal
 * integer whose digits are such an address read as hex gets a hint. */
static int chip_address_check(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
			      const struct config_chip *d, uint8_t address)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "address");
	char key[KEY_PATH_MAX], upper[sizeof(((struct sensor_cfg *)0)->driver)];
	char list[128], hint[96] = "";
	size_t n = 0, pos = 0, i;

	for (i = 0; d->addresses[i]; i++)
		if (d->addresses[i] == address)
			return 0;
	while (d->addresses[n])
		n++;
	for (i = 0; i < n && pos < sizeof(list); i++)
		pos += (size_t)snprintf(list + pos, sizeof(list) - pos, "%s0x%02x",
					i == 0 ? "" : i + 1 < n ? ", " : " or ", d->addresses[i]);
	for (i = 0; d->name[i] && i + 1 < sizeof(upper); i++)
		upper[i] = (char)toupper((unsigned char)d->name[i]);
	upper[i] = '\0';
	if (cJSON_IsNumber(item)) {
		char digits[8];
		unsigned long as_hex;

		snprintf(digits, sizeof(digits), "%u", address);
		as_hex = strtoul(digits, NULL, 16);
		for (i = 0; d->addresses[i]; i++)
			if (d->addresses[i] == as_hex)
				snprintf(hint, sizeof(hint), " (%s without quotes is decimal; for "
					 "0x%s write \"0x%s\")", digits, digits, digits);
	}
	key_join(key, sizeof(key), parent, "address");
	/* Chip names are spelt letter by letter: "an" before A, E, F, H ... */
	return fail(ctx, key, "%s at 0x%02x: a%s %s answers only at %s%s", d->name, address,
		    upper[0] && strchr("AEFHILMNORSX", upper[0]) ? "n" : "", upper, list, hint);
}

static int sensor_parse(struct parse_ctx *ctx, const cJSON *obj, const char *parent,
			struct sensor_cfg *s)
{
	const char *names[CHIPS_MAX];
	const struct config_chip *d = NULL, *c;
	size_t n_names = 0;
	const cJSON *item;
	char path[KEY_PATH_MAX];
	char shown[SHOW_BUF];
	char list[128];
	int n;

	memset(s, 0, sizeof(*s));
	if (!cJSON_IsObject(obj))
		return fail(ctx, parent, "expected an object");

	key_join(path, sizeof(path), parent, "driver");
	item = cJSON_GetObjectItemCaseSensitive(obj, "driver");
	for (; n_names < CHIPS_MAX && (c = config_chip_at(n_names)); n_names++)
		names[n_names] = c->name;
	names_join(list, sizeof(list), names, n_names);
	if (item == NULL)
		return fail(ctx, path, "missing (one of %s)", list);
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return fail(ctx, path, "expected a string");
	for (size_t i = 0; i < n_names; i++)
		if (strcmp(item->valuestring, names[i]) == 0)
			d = config_chip_at(i);
	if (d == NULL)
		return fail(ctx, path, "%s is not a known driver (known: %s)",
			    show(item->valuestring, shown), list);
	snprintf(s->driver, sizeof(s->driver), "%s", d->name);
	rows_defaults(d->keys, d->n_keys, s->options);
	ctx->chip = d;
	ctx->sensor = s;

	if (sensor_keys_check(ctx, obj, parent, d) < 0 ||
	    rows_parse(ctx, sensor_keys, ARRAY_LEN(sensor_keys), obj, parent, s) < 0 ||
	    rows_parse(ctx, d->keys, d->n_keys, obj, parent, s->options) < 0 ||
	    chip_address_check(ctx, obj, parent, d, s->address) < 0)
		return -1;

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

static int sensors_parse(struct parse_ctx *ctx, const cJSON *item, const char *path, void *base)
{
	struct sensord_cfg *sd = base;
	const cJSON *e;
	size_t n = 0;

	if (!cJSON_IsArray(item))
		return fail(ctx, path, "expected an array of sensor objects");
	cJSON_ArrayForEach(e, item) {
		char spath[KEY_PATH_MAX];
		struct sensor_cfg *s;

		if (n >= CONFIG_MAX_SENSORS)
			return fail(ctx, path, "more than %d sensors", CONFIG_MAX_SENSORS);
		s = &sd->sensors[n];
		key_index(spath, sizeof(spath), path, n);
		if (sensor_parse(ctx, e, spath, s) < 0)
			return -1;
		for (size_t j = 0; j < n; j++) {
			const struct sensor_cfg *o = &sd->sensors[j];
			char key[KEY_PATH_MAX];

			if (strcmp(o->bus, s->bus) == 0 && o->address == s->address) {
				key_join(key, sizeof(key), spath, "address");
				return fail(ctx, key, "0x%02x on %s is already taken by "
					    "sensord.sensors[%zu] (%s)", s->address, s->bus, j, o->driver);
			}
			for (size_t c = 0; c < ARRAY_LEN(channel_names); c++) {
				if (o->provides & s->provides & (1u << c)) {
					key_join(key, sizeof(key), spath, "provides");
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

/* ---- sections ---------------------------------------------------------- */

/* The checks that span keys of "mqtt" and its "tls" object (both read into
 * struct mqtt_cfg), once both are read. */
static int mqtt_done(struct parse_ctx *ctx, void *base)
{
	struct mqtt_cfg *m = base;
	char why[CONFIG_PATH_MAX * 2 + 200];
	char shown[SHOW_BUF];
	gid_t gid;
	int rc;

	if ((m->ca_file[0] || m->cert_file[0] || m->key_file[0]) &&
	    strncmp(m->uri, "ssl://", 6) != 0 && strncmp(m->uri, "mqtts://", 8) != 0)
		return fail(ctx, "mqtt.tls", "set, but mqtt.uri does not use TLS (use ssl:// or "
			    "mqtts://); the files would be ignored");
	if ((m->cert_file[0] != '\0') != (m->key_file[0] != '\0'))
		return fail(ctx, m->cert_file[0] ? "mqtt.tls.key_file" : "mqtt.tls.cert_file",
			    "missing; a client certificate needs both cert_file and key_file");
	if (m->key_group[0] && !m->key_file[0])
		return fail(ctx, "mqtt.tls.key_group", "set without mqtt.tls.key_file (it names the "
			    "group that may read the key)");
	if (m->key_group[0] && (rc = keyfile_group_lookup(m->key_group, &gid)) < 0) {
		if (rc == -ENOENT)
			return fail(ctx, "mqtt.tls.key_group", "no group named %s",
				    show(m->key_group, shown));
		return fail(ctx, "mqtt.tls.key_group", "cannot look up group %s: %s",
			    show(m->key_group, shown), strerror(-rc));
	}
	if ((m->ca_file[0] && file_check(ctx, "mqtt.tls.ca_file", m->ca_file, NULL, 0) < 0) ||
	    (m->cert_file[0] && file_check(ctx, "mqtt.tls.cert_file", m->cert_file, NULL, 0) < 0))
		return -1;
	/* The same check as before every connect (mqtt.c). */
	if (m->key_file[0] && keyfile_check(m->key_file, m->key_group, why, sizeof(why)) < 0)
		return fail(ctx, "mqtt.tls.key_file", "%s", why);
	if (m->password_file[0] == '\0')
		return 0;
	/* MQTT 3.1.1 §3.1.2.9: no password flag without a user name. */
	if (m->username[0] == '\0')
		return fail(ctx, "mqtt.password_file", "set without mqtt.username "
			    "(MQTT sends a password only with a user name)");
	return file_check(ctx, "mqtt.password_file", m->password_file, m->password,
			  sizeof(m->password));
}

/* "tls" is an object in the file but fields of struct mqtt_cfg. Everything
 * MQTT is set up once: a change waits for a restart of both daemons. */
static const struct config_key tls_keys[] = {
	ROW(struct mqtt_cfg, ca_file, KEY_PATH),
	ROW(struct mqtt_cfg, cert_file, KEY_PATH),
	ROW(struct mqtt_cfg, key_file, KEY_PATH),
	ROW(struct mqtt_cfg, key_group, KEY_STRING, .check = printable_check),
};
static const struct config_section tls_section = { TABLE(tls_keys), NULL, BOTH };

static const struct config_key mqtt_keys[] = {
	ROW(struct mqtt_cfg, uri, KEY_STRING, .def_str = "tcp://127.0.0.1:1883", .check = uri_check),
	ROW(struct mqtt_cfg, topic_prefix, KEY_STRING, .def_str = "rollsense",
	    .check = topic_prefix_check),
	ROW(struct mqtt_cfg, client_id, KEY_STRING, .check = printable_check),
	ROW(struct mqtt_cfg, username, KEY_STRING),
	ROW(struct mqtt_cfg, password_file, KEY_PATH),
	ROW(struct mqtt_cfg, keepalive_s, KEY_UNSIGNED, RANGE(1, 65535), .def = 30),
	{ .name = "tls", .type = KEY_SECTION, .offset = 0, SECTION(tls_section) },
	/* Read from password_file: a new password in the same file counts. */
	ROW(struct mqtt_cfg, password, KEY_HIDDEN),
};
static const struct config_section mqtt_section = { TABLE(mqtt_keys), mqtt_done, BOTH };

static const struct config_key gauge_keys[] = {
	ROW(struct gauge_cfg, rest_kpa, KEY_DOUBLE, RANGE(0.01, 100), .def = 1.0),
	ROW(struct gauge_cfg, track_s, KEY_DOUBLE, RANGE(1, 86400), .def = 60.0),
	ROW(struct gauge_cfg, gas_law, KEY_BOOL, .def = true),
};
static const struct config_section gauge_section = { TABLE(gauge_keys), NULL, 0 };

static const struct config_key sim_keys[] = {
	ROW(struct sim_cfg, scenario, KEY_PATH, .nonempty = true),
	ROW(struct sim_cfg, time_scale, KEY_DOUBLE, RANGE(0.1, 1000), .def = 1.0),
	ROW(struct sim_cfg, exit_at_end, KEY_BOOL),
};
static const struct config_section sim_section = { TABLE(sim_keys), NULL, CONFIG_SENSORD };

bool gpio_line_configured(const struct gpio_line_cfg *l)
{
	return l->name[0] != '\0' || l->offset >= 0;
}

static int feedback_done(struct parse_ctx *ctx, void *base)
{
	const struct feedback_cfg *fb = base;

	if (fb->chip[0] == '\0' && (gpio_line_configured(&fb->led) ||
				    gpio_line_configured(&fb->buzzer) ||
				    gpio_line_configured(&fb->button)))
		return fail(ctx, "sensord.feedback.chip", "missing; the lines need their GPIO chip "
			    "(\"gpiochip0\", a chip label, or \"sim\")");
	/* A press longer than the double-press window would end the session
	 * before the second press could count: the button needs them apart. */
	if (fb->double_press_s >= fb->long_press_s)
		return fail(ctx, "sensord.feedback.double_press_s", "%.15g is not below "
			    "sensord.feedback.long_press_s (%.15g); a press that long ends the "
			    "session, so a double press would never be seen", fb->double_press_s,
			    fb->long_press_s);
	return 0;
}

static const struct config_key feedback_keys[] = {
	ROW(struct feedback_cfg, chip, KEY_STRING),
	ROW(struct feedback_cfg, led, KEY_GPIO),
	ROW(struct feedback_cfg, buzzer, KEY_GPIO),
	ROW(struct feedback_cfg, button, KEY_GPIO),
	ROW(struct feedback_cfg, led_active_low, KEY_BOOL),
	ROW(struct feedback_cfg, buzzer_active_low, KEY_BOOL),
	ROW(struct feedback_cfg, button_active_low, KEY_BOOL, .def = true),
	ROW(struct feedback_cfg, debounce_ms, KEY_UNSIGNED, RANGE(0, 1000), .def = 30),
	ROW(struct feedback_cfg, long_press_s, KEY_DOUBLE, RANGE(0.2, 30), .def = 2.0),
	ROW(struct feedback_cfg, double_press_s, KEY_DOUBLE, RANGE(0.1, 2), .def = 0.4),
};
static const struct config_section feedback_section = {
	TABLE(feedback_keys), feedback_done, CONFIG_SENSORD
};

static int sensord_done(struct parse_ctx *ctx, void *base)
{
	const struct sensord_cfg *sd = base;

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

static const char *const confirm_names[] = { "collector", "broker" };	/* enum confirm_mode */

/* What the running sensord takes over on reload (sample rate, outbox timing,
 * gauge) has restart 0; the rest is set up once at start. */
static const struct config_key sensord_keys[] = {
	ROW(struct sensord_cfg, sample_hz, KEY_UNSIGNED, RANGE(1, 100), .def = 10),
	ROW(struct sensord_cfg, state_dir, KEY_PATH, .nonempty = true, .def_str = "/var/lib/rollsense",
	    .restart = CONFIG_SENSORD),
	ROW(struct sensord_cfg, confirm, KEY_PICK, PICK(confirm_names), .def = CONFIRM_COLLECTOR,
	    .restart = CONFIG_SENSORD),
	ROW(struct sensord_cfg, outbox_max, KEY_SIZE, RANGE(1, 10000000), .def = 200000,
	    .restart = CONFIG_SENSORD),
	ROW(struct sensord_cfg, resend_s, KEY_DOUBLE, RANGE(1, 3600), .def = 30.0),
	ROW(struct sensord_cfg, flush_s, KEY_DOUBLE, RANGE(0.1, 60), .def = 1.0),
	ROW(struct sensord_cfg, sensors, KEY_CUSTOM, .parse = sensors_parse, .restart = CONFIG_SENSORD),
	ROW(struct sensord_cfg, gauge, KEY_SECTION, SECTION(gauge_section)),
	ROW_AS(struct sensord_cfg, sim, "simulation", KEY_SECTION, SECTION(sim_section)),
	ROW(struct sensord_cfg, feedback, KEY_SECTION, SECTION(feedback_section)),
};
static const struct config_section sensord_section = { TABLE(sensord_keys), sensord_done, 0 };

/* Fails when a (at key_a) is above b (at key_b). */
static int order_check(struct parse_ctx *ctx, const char *key_a, double a, const char *key_b,
		       double b, const char *why)
{
	if (a > b)
		return fail(ctx, key_a, "%.15g is above %s (%.15g); %s", a, key_b, b, why);
	return 0;
}

static int detector_done(struct parse_ctx *ctx, void *base)
{
	const struct detector_cfg *d = base;

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

/* docs/protocol.md, "Detector semantics". sensord takes a new detector on
 * reload; the collector's sessions keep theirs until it restarts. */
#define DETECTOR_ROW(member, lo, hi, def_value) \
	ROW(struct detector_cfg, member, KEY_DOUBLE, RANGE(lo, hi), .def = def_value)

static const struct config_key detector_keys[] = {
	DETECTOR_ROW(contact_kpa, 0.01, 1000, 2.0),
	DETECTOR_ROW(hold_start_kpa, 0.01, 1000, 10.0),
	DETECTOR_ROW(hold_end_kpa, 0.01, 1000, 8.0),
	DETECTOR_ROW(bridge_s, 0, 60, 1.0),
	DETECTOR_ROW(min_hold_s, 0, 3600, 5.0),
	DETECTOR_ROW(effective_s, 0, 3600, 10.0),
	DETECTOR_ROW(long_s, 1, 86400, 60.0),
	DETECTOR_ROW(idle_s, 1, 86400, 120.0),
	DETECTOR_ROW(heat_c, 0, 100, 38.0),
	DETECTOR_ROW(heat_hysteresis_c, 0, 20, 0.5),
	DETECTOR_ROW(hot_c, 0, 100, 45.0),
	DETECTOR_ROW(still_dps, 0, 2000, 10.0),
};
static const struct config_section detector_section = {
	TABLE(detector_keys), detector_done, CONFIG_COLLECTOR
};

static const struct config_key collector_keys[] = {
	ROW(struct collector_cfg, database, KEY_PATH, .nonempty = true,
	    .def_str = "/var/lib/rollsense/collector.db", .restart = CONFIG_COLLECTOR),
	ROW(struct collector_cfg, retention_days, KEY_UNSIGNED, RANGE(0, 36500), .def = 30),
	ROW(struct collector_cfg, commit_s, KEY_DOUBLE, RANGE(0.05, 60), .def = 0.5),
	ROW(struct collector_cfg, gap_timeout_s, KEY_DOUBLE, RANGE(1, 86400), .def = 300),
};
static const struct config_section collector_section = { TABLE(collector_keys), NULL, 0 };

static const struct config_key homeassistant_keys[] = {
	ROW(struct homeassistant_cfg, enabled, KEY_BOOL, .def = true),
	ROW(struct homeassistant_cfg, discovery_prefix, KEY_STRING, .def_str = "homeassistant",
	    .check = topic_prefix_check),
};
static const struct config_section homeassistant_section = {
	TABLE(homeassistant_keys), NULL, BOTH
};

int config_listen_split(const char *listen, char *host, size_t host_len, unsigned *port)
{
	const char *h = listen, *end, *p;
	unsigned long v = 0;
	size_t n;

	if (listen[0] == '[') {
		h = listen + 1;
		end = h + strspn(h, "0123456789abcdefABCDEF:.");
		if (*end != ']' || end == h)
			return -1;
		p = end + 1;
	} else {
		end = h + strspn(h, "abcdefghijklmnopqrstuvwxyz" "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789.-");
		if (end == h)
			return -1;
		p = end;
	}
	if (*p != ':' || p[1] < '0' || p[1] > '9')
		return -1;
	/* At most 5 digits are read, so the value cannot overflow. */
	for (p++, n = 0; *p >= '0' && *p <= '9'; p++, n++) {
		if (n == 5)
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	n = (size_t)(end - h);
	if (*p != '\0' || v < 1 || v > 65535 || n >= host_len)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = (unsigned)v;
	return 0;
}

static int listen_check(struct parse_ctx *ctx, const char *path, const char *listen)
{
	char shown[SHOW_BUF], host[128];
	unsigned port;

	if (config_listen_split(listen, host, sizeof(host), &port) < 0)
		return fail(ctx, path, "%s is not HOST:PORT (such as 127.0.0.1:8480, 0.0.0.0:8480 "
			    "or [::]:8480)", show(listen, shown));
	return 0;
}

/* web.hosts: a list of DNS names (letters, digits, '-' and '.'). */
static int hosts_parse(struct parse_ctx *ctx, const cJSON *item, const char *path, void *base)
{
	static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789-.";
	struct config_hosts *h = &((struct web_cfg *)base)->hosts;
	char ipath[KEY_PATH_MAX];
	char shown[SHOW_BUF];
	const cJSON *e;

	memset(h, 0, sizeof(*h));
	if (!cJSON_IsArray(item))
		return fail(ctx, path, "expected an array of host names, like [\"pi.lan\"]");
	cJSON_ArrayForEach(e, item) {
		size_t n;

		key_index(ipath, sizeof(ipath), path, h->n);
		if (h->n == CONFIG_WEB_HOSTS_MAX)
			return fail(ctx, ipath, "more than %d names", CONFIG_WEB_HOSTS_MAX);
		if (!cJSON_IsString(e) || e->valuestring == NULL)
			return fail(ctx, ipath, "expected a string");
		n = strlen(e->valuestring);
		if (n == 0 || n > CONFIG_HOST_NAME_MAX || strspn(e->valuestring, name_chars) != n)
			return fail(ctx, ipath, "%s is not a host name (letters, digits, '-' and '.', "
				    "at most %d)", show(e->valuestring, shown), CONFIG_HOST_NAME_MAX);
		memcpy(h->name[h->n++], e->valuestring, n + 1);
	}
	return 0;
}

/* Read by `rollsense-collector serve` when it starts. */
static const struct config_key web_keys[] = {
	ROW(struct web_cfg, listen, KEY_STRING, .def_str = "127.0.0.1:8480", .check = listen_check),
	ROW(struct web_cfg, max_clients, KEY_UNSIGNED, RANGE(1, 1024), .def = 32),
	ROW(struct web_cfg, timeout_s, KEY_UNSIGNED, RANGE(1, 3600), .def = 30),
	ROW(struct web_cfg, commands, KEY_BOOL, .def = false),
	ROW(struct web_cfg, hosts, KEY_CUSTOM, .parse = hosts_parse),
};
static const struct config_section web_section = { TABLE(web_keys), NULL, CONFIG_COLLECTOR };

/* One entry of "zones": a name, or {"name", "label"}. The label defaults
 * to the name. */
static int zone_entry_parse(struct parse_ctx *ctx, const cJSON *e, const char *path,
			    struct zone_cfg *z)
{
	static const char *const known[] = { "name", "label" };
	char key[KEY_PATH_MAX];
	char shown[SHOW_BUF];
	const cJSON *name = e, *label = NULL;
	const char *name_path = path;

	if (cJSON_IsObject(e)) {
		if (keys_check(ctx, e, path, known, ARRAY_LEN(known)) < 0)
			return -1;
		name = cJSON_GetObjectItemCaseSensitive(e, "name");
		label = cJSON_GetObjectItemCaseSensitive(e, "label");
		if (name == NULL)
			return fail(ctx, path, "no \"name\"; a zone object is {\"name\": "
				    "\"calf_left\", \"label\": \"Left calf\"}");
		key_join(key, sizeof(key), path, "name");
		name_path = key;
	} else if (!cJSON_IsString(e)) {
		return fail(ctx, path, "expected a zone name (a string) or an object "
			    "{\"name\", \"label\"}");
	}
	if (!cJSON_IsString(name) || name->valuestring == NULL)
		return fail(ctx, name_path, "expected a string");
	if (!zone_name_valid(name->valuestring))
		return fail(ctx, name_path, "%s is not a zone name: 1 to %d of a-z, 0-9 and '_', "
			    "and not \"%s\" (it means no zone)", show(name->valuestring, shown),
			    ZONE_NAME_MAX, ZONE_NONE);
	memcpy(z->name, name->valuestring, strlen(name->valuestring) + 1);
	if (label == NULL) {
		memcpy(z->label, z->name, sizeof(z->name));
		return 0;
	}
	key_join(key, sizeof(key), path, "label");
	if (string_value(ctx, label, key, z->label, sizeof(z->label)) < 0)
		return -1;
	if (z->label[0] == '\0')
		return fail(ctx, key, "empty; leave \"label\" out to show the name");
	if (!utf8_valid(z->label, strlen(z->label)))
		return fail(ctx, key, "%s is not UTF-8", show(z->label, shown));
	return 0;
}

/* "zones": the list, in the button's order; [] turns zones off. */
static int zones_parse(struct parse_ctx *ctx, const cJSON *item, const char *path, void *base)
{
	struct zones_cfg *zs = &((struct rs_config *)base)->zones;
	char zpath[KEY_PATH_MAX];
	char shown[SHOW_BUF];
	const cJSON *e;

	/* All zero first: the reload compares the struct byte by byte. */
	memset(zs, 0, sizeof(*zs));
	if (!cJSON_IsArray(item))
		return fail(ctx, path, "expected an array of zone names or {\"name\", \"label\"} "
			    "objects, like [\"neck\", {\"name\": \"calf_left\", \"label\": "
			    "\"Left calf\"}]");
	cJSON_ArrayForEach(e, item) {
		struct zone_cfg *z;
		int twice;

		key_index(zpath, sizeof(zpath), path, zs->n);
		if (zs->n == ZONES_MAX)
			return fail(ctx, path, "more than %d zones", ZONES_MAX);
		z = &zs->zone[zs->n];
		if (zone_entry_parse(ctx, e, zpath, z) < 0)
			return -1;
		twice = zones_find(zs, z->name);
		if (twice >= 0)
			return fail(ctx, zpath, "%s is already zones[%d]; each zone is listed once",
				    show(z->name, shown), twice);
		zs->n++;
	}
	return 0;
}

/* The default list (zone.h), with its labels. */
static void zones_defaults(struct zones_cfg *zs)
{
	const char *name;

	memset(zs, 0, sizeof(*zs));
	for (size_t i = 0; zs->n < ZONES_MAX && (name = zone_default_name(i)) != NULL; i++) {
		snprintf(zs->zone[i].name, sizeof(zs->zone[i].name), "%s", name);
		snprintf(zs->zone[i].label, sizeof(zs->zone[i].label), "%s", zone_default_label(i));
		zs->n++;
	}
}

/* Read by the collector's advice (collector/advice.h has the rules). */
static const struct config_key advice_keys[] = {
	ROW(struct advice_cfg, days_per_week, KEY_UNSIGNED, RANGE(1, 7), .def = 3),
	ROW(struct advice_cfg, weeks, KEY_UNSIGNED, RANGE(1, 8), .def = 3),
	ROW(struct advice_cfg, long_share, KEY_DOUBLE, RANGE(0, 1), .def = 0.5),
	ROW(struct advice_cfg, min_holds, KEY_UNSIGNED, RANGE(1, 1000), .def = 3),
	ROW(struct advice_cfg, burn_risk, KEY_BOOL, .def = true),
};
static const struct config_section advice_section = { TABLE(advice_keys), NULL, CONFIG_COLLECTOR };

static int root_done(struct parse_ctx *ctx, void *base)
{
	const struct rs_config *cfg = base;

	/* Below rest_kpa the gauge's zero follows the reading; at or above
	 * contact the user is pressing. If rest reached contact, the zero would
	 * creep up under a light touch and eat it. */
	if (cfg->sensord.gauge.rest_kpa >= cfg->detector.contact_kpa)
		return fail(ctx, "sensord.gauge.rest_kpa", "%.15g is not below detector.contact_kpa "
			    "(%.15g); the zero would track away light contact",
			    cfg->sensord.gauge.rest_kpa, cfg->detector.contact_kpa);
	return 0;
}


static const struct config_key root_keys[] = {
	/* Optional here: the collector serves every device and needs none;
	 * sensord asks for it with config_device_id_require(). */
	ROW(struct rs_config, device_id, KEY_CUSTOM, .parse = device_id_parse,
	    .restart = CONFIG_SENSORD),
	ROW(struct rs_config, log_level, KEY_PICK, PICK(log_level_names), .def_str = "info"),
	ROW(struct rs_config, mqtt, KEY_SECTION, SECTION(mqtt_section)),
	ROW(struct rs_config, sensord, KEY_SECTION, SECTION(sensord_section)),
	ROW(struct rs_config, detector, KEY_SECTION, SECTION(detector_section)),
	ROW(struct rs_config, collector, KEY_SECTION, SECTION(collector_section)),
	ROW(struct rs_config, homeassistant, KEY_SECTION, SECTION(homeassistant_section)),
	ROW(struct rs_config, web, KEY_SECTION, SECTION(web_section)),
	/* sensord takes a new list on reload (a current zone gone from it is
	 * cleared, the zone topic says the new position and count); the
	 * collector sets up its zones (select, week, advice) once. */
	ROW(struct rs_config, zones, KEY_CUSTOM, .parse = zones_parse, .restart = CONFIG_COLLECTOR),
	ROW(struct rs_config, advice, KEY_SECTION, SECTION(advice_section)),
};
static const struct config_section root_section = { TABLE(root_keys), root_done, 0 };

/* ---- defaults and reload ----------------------------------------------- */

void config_defaults(struct rs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	rows_defaults(root_keys, ARRAY_LEN(root_keys), cfg);
	zones_defaults(&cfg->zones);
}

bool config_device_id_valid(const char *id)
{
	return id && topic_device_id_valid(id, strlen(id));
}

int config_device_id_require(const struct rs_config *cfg, char *err, size_t err_len)
{
	if (cfg->device_id[0] != '\0')
		return 0;
	snprintf(err, err_len, "%s: device_id: missing; every device needs an id (it names its "
		 "MQTT topics)", cfg->path);
	return -1;
}

struct restart_list {
	char *names;
	size_t len, used;
	size_t n;
};

/* Strings are equal up to their NUL: what lies behind it in the buffer is
 * whatever a longer default left there. */
static bool row_equal(const struct config_key *k, const char *a, const char *b)
{
	if (k->type == KEY_STRING || k->type == KEY_PATH || (k->type == KEY_PICK && k->def_str))
		return strncmp(a, b, k->size) == 0;
	return memcmp(a, b, k->size) == 0;
}

static void restart_walk(const struct config_section *sec, const char *parent, const void *old,
			 const void *next, unsigned daemon, struct restart_list *out)
{
	for (size_t i = 0; i < sec->n_keys; i++) {
		const struct config_key *k = &sec->keys[i];
		const char *a = (const char *)old + k->offset;
		const char *b = (const char *)next + k->offset;
		char path[KEY_PATH_MAX];
		int w;

		key_join(path, sizeof(path), parent, k->name);
		if (k->type == KEY_SECTION) {
			restart_walk(k->section, path, a, b, daemon, out);
			continue;
		}
		if (!((k->restart | sec->restart) & daemon) || row_equal(k, a, b))
			continue;
		out->n++;
		if (out->len == 0 || out->used >= out->len)
			continue;
		w = snprintf(out->names + out->used, out->len - out->used, "%s%s",
			     out->n > 1 ? ", " : "", path);
		if (w > 0)
			out->used += (size_t)w;
	}
}

size_t config_restart_keys(const struct rs_config *old, const struct rs_config *next,
			   enum config_daemon daemon, char *names, size_t len)
{
	struct restart_list out = { .names = names, .len = names != NULL ? len : 0 };

	if (out.len > 0)
		names[0] = '\0';
	restart_walk(&root_section, "", old, next, (unsigned)daemon, &out);
	return out.n;
}

/* ---- text -------------------------------------------------------------- */

static int parse_tree(struct parse_ctx *ctx, const char *text, size_t len, cJSON **out)
{
	const char *end = NULL;
	const char *why = NULL;
	char shown[SHOW_BUF];
	unsigned line, column;
	const char *nul = memchr(text, '\0', len);
	size_t bad_at = 0;
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
	if (nul != NULL) {
		bad_at = (size_t)(nul - text);
		why = "contains a NUL byte; not a text file";
	} else {
		(void)jsonc_strip_comments(copy, len, &bad_at, &why);
	}
	if (why != NULL) {
		jsonc_position(text, bad_at, &line, &column);
		fail(ctx, NULL, "line %u, column %u: %s", line, column, why);
	} else if (strspn(copy, " \t\n\r") == len) {
		/* No NUL inside: strspn stops at the end of the text at the latest. */
		fail(ctx, NULL, "empty; expected a JSON object");
	} else if ((*out = cJSON_ParseWithOpts(copy, &end, 1)) == NULL) {
		/* require_null_terminated (1): anything after the value is an error. */
		size_t at = (end != NULL && end >= copy && end <= copy + len) ?
				    (size_t)(end - copy) : 0;
		/* cJSON often stops just past the culprit; point at the last
		 * thing written before the blank (comments are blank here). */
		while (at > 0 && at < len && strchr(" \t\r\n", copy[at]) != NULL)
			at--;
		jsonc_position(text, at, &line, &column);
		if (at >= len)
			fail(ctx, NULL, "line %u, column %u: not valid JSON: the text ends too early",
			     line, column);
		else
			fail(ctx, NULL, "line %u, column %u: not valid JSON near %s", line, column,
			     show_n(copy + at, strcspn(copy + at, "\r\n"), true, shown));
	} else {
		rc = 0;
	}
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

	/* root stays NULL when parse_tree refuses the text. */
	if (parse_tree(&ctx, text, len, &root) == 0 && !cJSON_IsObject(root)) {
		fail(&ctx, NULL, "expected a JSON object at the top level, "
		     "like {\"device_id\": \"roller1\"}");
	} else if (root != NULL && section_parse(&ctx, &root_section, root, "", next) == 0) {
		*cfg = *next;
		rc = 0;
	}
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
	struct file_error why;
	long long size;
	size_t len;
	char *text;
	int rc;

	if (path == NULL || path[0] == '\0')
		return fail(&ctx, NULL, "no configuration file given");
	text = file_read_all(path, CONFIG_TEXT_MAX, &len, &size, &why);
	if (text == NULL) {
		switch (why.step) {
		case FILE_NOT_REGULAR:
			return fail(&ctx, NULL, "not a regular file");
		case FILE_TOO_BIG:
			return fail(&ctx, NULL, "%lld bytes, more than a configuration file has "
				    "(at most %d)", size, CONFIG_TEXT_MAX);
		case FILE_NO_MEMORY:
			return fail(&ctx, NULL, "out of memory");
		case FILE_CHANGED:
			return fail(&ctx, NULL, "changed while being read");
		default:
			return fail(&ctx, NULL, "cannot %s: %s", why.step == FILE_OPEN ? "open" :
				    why.step == FILE_STAT ? "stat" : "read", strerror(why.err));
		}
	}
	/* Relative paths inside are relative to the file's folder, made
	 * absolute so that they survive a later chdir. */
	if (file_dirname(path, base, sizeof(base)) < 0) {
		rc = fail(&ctx, NULL, "path too long");
	} else if (realpath(base, real_base) == NULL) {
		int saved = errno;

		rc = fail(&ctx, NULL, "cannot resolve its folder %s: %s", base, strerror(saved));
	} else {
		rc = config_parse(text, len, path, real_base, cfg, err, err_len);
	}
	free(text);
	return rc;
}

int zones_find(const struct zones_cfg *z, const char *name)
{
	for (size_t i = 0; i < z->n; i++)
		if (strcmp(z->zone[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *zones_label(const struct zones_cfg *z, const char *name)
{
	int i = zones_find(z, name);

	return i < 0 ? name : z->zone[i].label;
}
