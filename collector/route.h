/* The web side's router: what an HTTP request asks for, checked, with no
 * sockets involved (so it is fuzzed and tested alone). web.c hands it the
 * method, the path (percent-decoded) and the query arguments; everything the
 * pages and the API need comes out in struct route, already validated. */
#ifndef ROLLSENSE_ROUTE_H
#define ROLLSENSE_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROUTE_PATH_MAX 256	/* longer paths: 414 */
#define ROUTE_ARGS_MAX 16	/* more query arguments: 400 */

enum route_kind {
	ROUTE_LIVE,		/* GET /: the live page */
	ROUTE_EVENTS,		/* GET /events: Server-Sent Events of the live view */
	ROUTE_SESSIONS,		/* GET /sessions?device=&since=&until= */
	ROUTE_SESSION,		/* GET /sessions/ID */
	ROUTE_HISTORY,		/* GET /history?device=&since=&until= */
	ROUTE_API_DEVICES,	/* GET /api/devices */
	ROUTE_API_SESSIONS,	/* GET /api/sessions?device=&since=&until= */
	ROUTE_API_SESSION,	/* GET /api/sessions/ID[?raw=1] */
	ROUTE_COMMAND,		/* POST /api/devices/DEVICE/command (body: the command) */
	ROUTE_API_WEEKS,	/* GET /api/devices/DEVICE/weeks: per ISO week and zone */
	ROUTE_API_ADVICE,	/* GET /api/devices/DEVICE/advice: the advice as of now */
	ROUTE_HEALTH,		/* GET /healthz: "ok", for monitors */
};

struct route_arg {
	const char *key;
	const char *value;	/* "" for a key given without "=" */
};

struct route {
	enum route_kind kind;
	char device[65];	/* ?device= or the path's DEVICE; "" when none */
	int64_t session_id;	/* ROUTE_SESSION, ROUTE_API_SESSION: >= 1 */
	double since_ts;	/* ?since=: Unix time; 0 when not given */
	double until_ts;	/* ?until=: Unix time; INFINITY when not given */
	bool raw;		/* ?raw=1: every reading, not the downsampled curve */
};

/* Parses a request. method is "GET", "HEAD" or "POST" (others: 405 on a
 * path that is a page, 404 on one that is not); path starts with "/".
 * since/until take what `report --since` takes (a date,
 * "YYYY-MM-DD HH:MM" local time, or Unix seconds). Returns 200 with *out
 * filled, or the HTTP status to answer (400 bad argument, 404 unknown path
 * or id, 405 method, 414 path too long) with msg holding one short line for
 * a person, such as "since: \"2026-13-01\" is not a date". */
int route_parse(const char *method, const char *path, const struct route_arg *args,
		size_t n_args, struct route *out, char *msg, size_t msg_len);

#endif
