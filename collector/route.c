/* The router (route.h): checks a request against the few paths the web side
 * has and the arguments each takes. Nothing here touches a file: a path is
 * only ever compared with those names, so "..", "//" or a backslash can
 * never reach the disk; they are refused before matching all the same, with
 * a message that says why. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "report.h"
#include "route.h"

#define SESSION_ID_MAX 9007199254740992LL	/* 2^53: the largest id a JSON number holds exactly */
#define SHOWN_MAX 40				/* characters of user text quoted in a message */

/* Which arguments a route takes. */
enum route_args {
	ARGS_NONE,
	ARGS_RANGE,	/* device, since, until */
	ARGS_RAW,	/* raw */
};

struct route_path {
	const char *path;	/* exact, or the part before an id or a device */
	const char *tail;	/* after the device (command, weeks, advice); NULL: none */
	enum route_kind kind;
	enum route_args args;
	bool post;		/* POST only; otherwise GET and HEAD */
};

static const struct route_path paths[] = {
	{ "/", NULL, ROUTE_LIVE, ARGS_NONE, false },
	{ "/events", NULL, ROUTE_EVENTS, ARGS_NONE, false },
	{ "/sessions", NULL, ROUTE_SESSIONS, ARGS_RANGE, false },
	{ "/sessions/", NULL, ROUTE_SESSION, ARGS_NONE, false },
	{ "/history", NULL, ROUTE_HISTORY, ARGS_RANGE, false },
	{ "/api/devices", NULL, ROUTE_API_DEVICES, ARGS_NONE, false },
	{ "/api/sessions", NULL, ROUTE_API_SESSIONS, ARGS_RANGE, false },
	{ "/api/sessions/", NULL, ROUTE_API_SESSION, ARGS_RAW, false },
	{ "/api/devices/", "/command", ROUTE_COMMAND, ARGS_NONE, true },
	{ "/api/devices/", "/weeks", ROUTE_API_WEEKS, ARGS_NONE, false },
	{ "/api/devices/", "/advice", ROUTE_API_ADVICE, ARGS_NONE, false },
	{ "/healthz", NULL, ROUTE_HEALTH, ARGS_NONE, false },
};

__attribute__((format(printf, 4, 5)))
static int refuse(int status, char *msg, size_t msg_len, const char *fmt, ...)
{
	va_list ap;

	if (msg && msg_len > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, msg_len, fmt, ap);
		va_end(ap);
	}
	return status;
}

/* User text for a message, quoted: printable ASCII as is ('"' and '\'
 * escaped), other bytes as \xNN, cut after SHOWN_MAX characters. buf holds
 * SHOWN_MAX * 4 + 8 bytes. */
static const char *shown(const char *s, char *buf)
{
	size_t n = strnlen(s, SHOWN_MAX + 1), o = 1;

	buf[0] = '"';
	for (size_t i = 0; i < n && i < SHOWN_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f) {
			o += (size_t)sprintf(buf + o, "\\x%02x", c);
			continue;
		}
		if (c == '"' || c == '\\')
			buf[o++] = '\\';
		buf[o++] = (char)c;
	}
	if (n > SHOWN_MAX)
		o += (size_t)sprintf(buf + o, "...");
	strcpy(buf + o, "\"");
	return buf;
}

/* A session id: decimal, no sign, no leading zero, 1..2^53. */
static bool session_id_parse(const char *s, int64_t *id)
{
	int64_t v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 16 || s[0] == '0' || strspn(s, "0123456789") != n)
		return false;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');	/* at most 16 digits: no overflow */
	if (v > SESSION_ID_MAX)
		return false;
	*id = v;
	return true;
}

/* Why path may not even be matched, or NULL. */
static const char *path_hostile(const char *path)
{
	if (strstr(path, "..") != NULL)
		return "contains \"..\"";
	if (strstr(path, "//") != NULL)
		return "contains \"//\"";
	if (strchr(path, '\\') != NULL)
		return "contains a backslash";
	/* web.c leaves an encoded NUL undecoded: no path or argument has '%'. */
	if (strstr(path, "%00") != NULL)
		return "contains an encoded NUL (%00)";
	for (const char *p = path; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "contains a control character";
	return NULL;
}

/* Matches path against the table; fills the id or device it names. NULL:
 * no route (msg says why). */
static const struct route_path *path_match(const char *path, struct route *out, char *msg,
					   size_t msg_len)
{
	char buf[SHOWN_MAX * 4 + 8];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const struct route_path *r = &paths[i];
		size_t n = strlen(r->path);
		const char *rest;

		if (r->path[n - 1] != '/' || n == 1) {
			if (strcmp(path, r->path) == 0)
				return r;
			continue;
		}
		if (strncmp(path, r->path, n) != 0 || path[n] == '\0')
			continue;
		rest = path + n;
		if (r->tail == NULL) {
			if (session_id_parse(rest, &out->session_id))
				return r;
			refuse(404, msg, msg_len, "no session %s (ids are numbers 1..9007199254740992)",
			       shown(rest, buf));
			return NULL;
		} else {
			const char *slash = strchr(rest, '/');
			size_t dn = slash ? (size_t)(slash - rest) : 0;

			if (!slash || strcmp(slash, r->tail) != 0)
				continue;
			if (dn >= sizeof(out->device)) {
				refuse(404, msg, msg_len, "no such device: ids have 1..64 characters");
				return NULL;
			}
			memcpy(out->device, rest, dn);
			out->device[dn] = '\0';
			if (config_device_id_valid(out->device))
				return r;
			refuse(404, msg, msg_len, "no such device: %s is not a device id "
			       "([A-Za-z0-9_-]{1,64})", shown(out->device, buf));
			out->device[0] = '\0';
			return NULL;
		}
	}
	refuse(404, msg, msg_len, "no page %s", shown(path, buf));
	return NULL;
}

/* One argument of a range (device, since, until) or raw. 200 or 400. */
static int arg_take(const struct route_arg *a, enum route_args kind, unsigned *seen,
		    struct route *out, char *msg, size_t msg_len)
{
	static const char *const names[] = { "device", "since", "until", "raw" };
	const char *v = a->value ? a->value : "";
	char buf[SHOWN_MAX * 4 + 8];
	size_t k;

	for (k = 0; k < 4; k++)
		if (strcmp(a->key, names[k]) == 0)
			break;
	if (k == 4 || kind == ARGS_NONE || (kind == ARGS_RANGE) != (k < 3))
		return refuse(400, msg, msg_len, "unknown argument %s (%s)", shown(a->key, buf),
			      kind == ARGS_RANGE ? "known: device, since, until" :
			      kind == ARGS_RAW ? "known: raw" : "this page takes none");
	if (*seen & (1u << k))
		return refuse(400, msg, msg_len, "%s: given twice", names[k]);
	*seen |= 1u << k;
	/* An empty value (a form's empty field) means "not given". */
	if (v[0] == '\0' && k < 3)
		return 200;
	switch (k) {
	case 0:
		if (!config_device_id_valid(v))
			return refuse(400, msg, msg_len, "device: %s is not a device id "
				      "([A-Za-z0-9_-]{1,64})", shown(v, buf));
		snprintf(out->device, sizeof(out->device), "%s", v);
		return 200;
	case 1:
	case 2:
		if (report_time_parse(v, k == 1 ? &out->since_ts : &out->until_ts) < 0)
			return refuse(400, msg, msg_len, "%s: %s is not a date (YYYY-MM-DD, "
				      "\"YYYY-MM-DD HH:MM\" or Unix seconds)", names[k], shown(v, buf));
		return 200;
	default:
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			return refuse(400, msg, msg_len, "raw: %s is not 0 or 1", shown(v, buf));
		out->raw = v[0] == '1';
		return 200;
	}
}

int route_parse(const char *method, const char *path, const struct route_arg *args,
		size_t n_args, struct route *out, char *msg, size_t msg_len)
{
	const struct route_path *r;
	const char *why;
	char buf[SHOWN_MAX * 4 + 8];
	unsigned seen = 0;
	bool post;
	int rc;

	if (msg && msg_len > 0)
		msg[0] = '\0';
	*out = (struct route){ .since_ts = 0, .until_ts = INFINITY };
	if (!path || path[0] != '/')
		return refuse(400, msg, msg_len, "the path must start with \"/\"");
	if (strlen(path) > ROUTE_PATH_MAX)
		return refuse(414, msg, msg_len, "path longer than %d bytes", ROUTE_PATH_MAX);
	if ((why = path_hostile(path)) != NULL)
		return refuse(400, msg, msg_len, "the path %s", why);
	r = path_match(path, out, msg, msg_len);
	if (!r)
		return 404;
	out->kind = r->kind;
	/* The path first: a method no route takes is a 405 only where a
	 * page is (with an Allow header for that page). */
	if (!method || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
			strcmp(method, "POST") != 0))
		return refuse(405, msg, msg_len, "method %s not allowed here (%s)",
			      shown(method ? method : "", buf), r->post ? "POST only" : "GET or HEAD");
	post = strcmp(method, "POST") == 0;
	if (post != r->post)
		return refuse(405, msg, msg_len, "%s not allowed here (%s)", method,
			      r->post ? "POST only" : "GET or HEAD");
	if (n_args > ROUTE_ARGS_MAX)
		return refuse(400, msg, msg_len, "more than %d query arguments", ROUTE_ARGS_MAX);
	for (size_t i = 0; i < n_args; i++) {
		if (!args[i].key)
			return refuse(400, msg, msg_len, "an argument without a name");
		rc = arg_take(&args[i], r->args, &seen, out, msg, msg_len);
		if (rc != 200)
			return rc;
	}
	if (out->since_ts > out->until_ts)
		return refuse(400, msg, msg_len, "since is after until");
	return 200;
}
