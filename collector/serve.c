/* `rollsense-collector serve` (serve.h): one loop, like the daemons, over
 * two descriptors: the MQTT client's (readings, events and status feed the
 * live view, whose changes go out to the event clients) and the HTTP
 * server's. The database is only read; the ingesting collector stays its
 * only writer. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "command.h"
#include "daemon.h"
#include "live.h"
#include "log.h"
#include "mqtt.h"
#include "notify.h"
#include "pages.h"
#include "route.h"
#include "serve.h"
#include "store.h"
#include "topic.h"
#include "web.h"

#define HEALTH_EVERY_S 300.0
#define PING_EVERY_S 15.0	/* a comment frame keeps proxies and the browser's stream awake */
#define TICK_EVERY_S 0.5	/* live_tick: devices whose readings stopped go offline */

#define TYPE_HTML "text/html; charset=utf-8"
#define TYPE_JSON "application/json; charset=utf-8"

#define HOST_SHOWN_MAX 64	/* of a refused Host, the bytes its 403 shows */

struct serve {
	const struct rs_config *cfg;
	struct store *st;
	struct live *live;
	struct mqtt_client *mqtt;
	struct textbuf frame;		/* one event frame, reused */
	bool loopback_only;		/* web.listen is a loopback address: every request
					 * needs a Host of ours, reads too */
};

/* ---- the handler ------------------------------------------------------- */

/* An error line, as JSON under /api/ and as text elsewhere. */
static void reply_error(struct web_reply *reply, const char *path, int status, const char *msg)
{
	reply->status = status;
	if (strncmp(path, "/api/", 5) == 0) {
		reply->content_type = TYPE_JSON;
		textbuf_puts(&reply->body, "{\"error\":");
		textbuf_json_string(&reply->body, msg);
		textbuf_puts(&reply->body, "}\n");
	} else {
		textbuf_printf(&reply->body, "%s\n", msg);
	}
}

/* "event: device" with d's view as its data. */
static void frame_device(struct textbuf *out, const struct live_device *d)
{
	textbuf_puts(out, "event: device\ndata: ");
	live_device_json(d, out);
	textbuf_puts(out, "\n\n");
}

/* The scheme, host and port of an Origin or Referer (up to the path) is
 * "http://" and the Host header, so the page that sent the request is one
 * this server gave out. */
static bool same_origin(const struct web_request *req)
{
	const char *from = req->origin ? req->origin : req->referer;
	const char *authority, *end;

	if (!from || !req->host || strncasecmp(from, "http://", 7) != 0)
		return false;
	authority = from + 7;
	end = authority + strcspn(authority, "/?#");
	return (size_t)(end - authority) == strlen(req->host) &&
	       strncasecmp(authority, req->host, strlen(req->host)) == 0 &&
	       (req->origin == NULL || *end == '\0');
}

/* ":PORT" (digits), or nothing. */
static bool port_rest(const char *p)
{
	return *p == '\0' || (p[0] == ':' && p[1] != '\0' && strspn(p + 1, "0123456789") == strlen(p + 1));
}

/* name (without its trailing dot) is known, a name of ours that may end
 * in one: the same DNS name, case aside. */
static bool name_is(const char *name, const char *known)
{
	size_t n = strlen(known);

	if (n > 0 && known[n - 1] == '.')
		n--;
	return strlen(name) == n && strncasecmp(name, known, n) == 0;
}

/* Whether the Host header names this machine: an IPv4 or IPv6 address
 * ("[::1]"), "localhost", the machine's own name (bare or with ".local",
 * as mDNS gives it), or one of web.hosts; case and one trailing dot aside,
 * the port ignored. A page from a name of someone else's (DNS rebinding:
 * evil.example made to resolve to this Pi) is its own origin to the browser
 * and passes the check above; the name it must send in Host gives it away. */
static bool host_is_ours(const char *host, const struct config_hosts *hosts)
{
	char name[CONFIG_HOST_NAME_MAX + 2], self[256], self_local[270];
	const char *end;
	size_t n;
	struct in_addr v4;
	struct in6_addr v6;

	if (!host || !*host)
		return false;
	if (host[0] == '[') {
		end = strchr(host, ']');
		if (!end || !port_rest(end + 1))
			return false;
		n = (size_t)(end - host - 1);
		if (n == 0 || n >= sizeof(name))
			return false;
		memcpy(name, host + 1, n);
		name[n] = '\0';
		return inet_pton(AF_INET6, name, &v6) == 1;
	}
	n = strcspn(host, ":");
	if (n == 0 || n >= sizeof(name) || !port_rest(host + n))
		return false;
	if (host[n - 1] == '.' && --n == 0)	/* "pi.lan." is the same name, absolute */
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	if (inet_pton(AF_INET, name, &v4) == 1 || name_is(name, "localhost"))
		return true;
	for (size_t i = 0; i < hosts->n; i++)
		if (name_is(name, hosts->name[i]))
			return true;
	if (gethostname(self, sizeof(self)) != 0)
		return false;
	self[sizeof(self) - 1] = '\0';
	snprintf(self_local, sizeof(self_local), "%s.local", self);
	return name_is(name, self) || name_is(name, self_local);
}

/* The 403 for a Host that is not ours: it names the Host (at most
 * HOST_SHOWN_MAX bytes, anything but printable ASCII as '?') and the key
 * that would make it ours. */
static void host_refuse(struct web_reply *reply, const struct web_request *req)
{
	char shown[HOST_SHOWN_MAX + 4], msg[HOST_SHOWN_MAX + 96];
	size_t n = 0;

	if (!req->host) {
		reply_error(reply, req->path, 403, "the request has no Host header");
		return;
	}
	for (const char *p = req->host; *p != '\0' && n < HOST_SHOWN_MAX; p++)
		shown[n++] = *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\' ? *p : '?';
	shown[n] = '\0';
	if (strlen(req->host) > HOST_SHOWN_MAX)
		strcat(shown, "...");
	snprintf(msg, sizeof(msg), "Host \"%s\" is not a name of this machine (add it to web.hosts)",
		 shown);
	reply_error(reply, req->path, 403, msg);
}

/* Whether web.listen's host is a loopback address (127.0.0.0/8, ::1) or
 * "localhost". */
static bool listen_is_loopback(const char *listen)
{
	char host[128];
	unsigned port;
	struct in_addr v4;
	struct in6_addr v6;

	if (config_listen_split(listen, host, sizeof(host), &port) < 0)
		return false;
	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

/* POST /api/devices/DEVICE/command: only with web.commands, only from a
 * page of this server, only what sensord takes (command_parse, against the
 * same zones; spaces around the body aside): "tare" goes out as it is, a
 * zone as {"zone":"calf_left"} ({"zone":"none"} clears it). */
static void command(struct serve *s, const struct web_request *req, const struct route *q,
		    struct web_reply *reply)
{
	const char *body = req->body + strspn(req->body, " \t\r\n");
	size_t len = strlen(body);
	struct command parsed;
	char topic[256], cmd[64], what[64], why[160], msg[256];

	if (!s->cfg->web.commands) {
		reply_error(reply, req->path, 403, "commands are off (web.commands)");
		return;
	}
	if (!same_origin(req)) {
		reply_error(reply, req->path, 403, "cross-origin request refused");
		return;
	}
	if (!host_is_ours(req->host, &s->cfg->web.hosts)) {
		host_refuse(reply, req);
		return;
	}
	while (len > 0 && strchr(" \t\r\n", body[len - 1]))
		len--;
	if (command_parse(body, len, &s->cfg->zones, &parsed, why, sizeof(why)) < 0) {
		snprintf(msg, sizeof(msg), "command refused: %s (send \"tare\", {\"command\":\"tare\"} "
			 "or {\"zone\":\"NAME\"})", why);
		reply_error(reply, req->path, 400, msg);
		return;
	}
	if (parsed.kind == COMMAND_TARE) {
		strcpy(cmd, "tare");
		strcpy(what, "tare");
	} else {
		const char *zone = parsed.zone[0] ? parsed.zone : ZONE_NONE;

		snprintf(cmd, sizeof(cmd), "{\"zone\":\"%s\"}", zone);
		snprintf(what, sizeof(what), "zone %s", zone);
	}
	if (!mqtt_client_connected(s->mqtt)) {
		reply_error(reply, req->path, 503, "not connected to the broker; try again");
		return;
	}
	topic_build(topic, sizeof(topic), s->cfg->mqtt.topic_prefix, q->device, "command");
	if (mqtt_client_publish(s->mqtt, topic, cmd, strlen(cmd), 1, false, 0) < 0) {
		reply_error(reply, req->path, 503, "the broker client's queue is full; try again");
		return;
	}
	log_info("web: %s sent to %s", what, q->device);
	snprintf(msg, sizeof(msg), "%s sent to %s", what, q->device);
	reply->status = 202;
	reply->content_type = TYPE_JSON;
	textbuf_puts(&reply->body, "{\"sent\":");
	textbuf_json_string(&reply->body, msg);
	textbuf_puts(&reply->body, "}\n");
}

static void handle(void *ctx, const struct web_request *req, struct web_reply *reply)
{
	struct serve *s = ctx;
	struct route q, post;
	char msg[256];
	int status;

	/* On loopback only this machine's browser reaches the server, and a
	 * page of a name made to resolve to 127.0.0.1 (DNS rebinding) could
	 * read every answer; its Host gives it away. On the LAN reads stay
	 * open (no login: docs/security.md). */
	if (s->loopback_only && !host_is_ours(req->host, &s->cfg->web.hosts)) {
		host_refuse(reply, req);
		return;
	}
	/* Longer than any route takes (the command, the only one with a
	 * body, takes WEB_BODY_MAX bytes): web.c read none of it. */
	if (req->body_too_long) {
		reply_error(reply, req->path, 413, "the request body is longer than 256 bytes");
		return;
	}
	status = route_parse(req->method, req->path, req->args, req->n_args, &q, msg, sizeof(msg));
	if (status != 200) {
		if (status == 405)
			reply->allow = route_parse("POST", req->path, NULL, 0, &post, NULL, 0) == 200 ?
				       "POST" : "GET, HEAD";
		reply_error(reply, req->path ? req->path : "", status, msg);
		return;
	}
	/* The pages are HTML, the API JSON; live_page_html and command() say
	 * their own. */
	reply->content_type = (q.kind >= ROUTE_API_DEVICES && q.kind <= ROUTE_API_SESSION) ||
			      q.kind == ROUTE_API_WEEKS || q.kind == ROUTE_API_ADVICE ?
			      TYPE_JSON : TYPE_HTML;
	switch (q.kind) {
	case ROUTE_LIVE:
		live_page_html(&reply->body, s->cfg->web.commands, &s->cfg->detector,
			       &s->cfg->zones);
		break;
	case ROUTE_EVENTS:
		/* What the page shows at once; the changes follow. */
		reply->event_stream = true;
		textbuf_puts(&reply->body, "retry: 2000\n\n");
		for (size_t i = 0; i < live_device_count(s->live); i++)
			frame_device(&reply->body, live_device_at(s->live, i));
		break;
	case ROUTE_SESSIONS:
		reply->status = pages_sessions(s->st, &q, &reply->body);
		break;
	case ROUTE_SESSION:
		reply->status = pages_session(s->st, s->cfg, q.session_id, &reply->body);
		break;
	case ROUTE_HISTORY:
		reply->status = pages_history(s->st, s->cfg, &q, clock_wall_s(), &reply->body);
		break;
	case ROUTE_API_DEVICES:
		reply->status = api_devices(s->st, &reply->body);
		break;
	case ROUTE_API_SESSIONS:
		reply->status = api_sessions(s->st, &q, &reply->body);
		break;
	case ROUTE_API_SESSION:
		reply->status = api_session(s->st, q.session_id, q.raw, &reply->body);
		break;
	case ROUTE_API_WEEKS:
		reply->status = api_weeks(s->st, &s->cfg->zones, q.device, &reply->body);
		break;
	case ROUTE_API_ADVICE:
		reply->status = api_advice(s->st, s->cfg, q.device, clock_wall_s(), &reply->body);
		break;
	case ROUTE_COMMAND:
		command(s, req, &q, reply);
		break;
	case ROUTE_HEALTH:
		reply->content_type = "text/plain; charset=utf-8";
		textbuf_puts(&reply->body, "ok\n");
		break;
	}
}

/* ---- the loop ---------------------------------------------------------- */

static void broadcast_device(struct serve *s, struct web_server *web, int idx)
{
	textbuf_reset(&s->frame);
	frame_device(&s->frame, live_device_at(s->live, (size_t)idx));
	if (!textbuf_failed(&s->frame))
		web_server_broadcast(web, textbuf_text(&s->frame), s->frame.len);
}

static void log_health(const struct serve *s, const struct web_server *web)
{
	struct web_stats ws;
	struct mqtt_stats ms;

	web_server_get_stats(web, &ws);
	mqtt_client_get_stats(s->mqtt, &ms);
	log_info("health: web answers 2xx %llu, 3xx %llu, 4xx %llu, 5xx %llu (busy %llu); "
		 "connections %u, event clients %u, dropped slow %llu; mqtt messages %llu, "
		 "malformed %llu, oversize %llu, reconnects %llu",
		 (unsigned long long)ws.by_class[2], (unsigned long long)ws.by_class[3],
		 (unsigned long long)ws.by_class[4], (unsigned long long)ws.by_class[5],
		 (unsigned long long)ws.busy, ws.connections, ws.sse_clients,
		 (unsigned long long)ws.sse_dropped, (unsigned long long)ms.messages,
		 live_malformed(s->live), (unsigned long long)ms.dropped_oversize,
		 (unsigned long long)ms.connects);
}

/* STATUS= for systemctl status. */
static void status_line(const struct serve *s, const struct web_server *web, char *line,
			size_t len)
{
	struct web_stats ws;

	web_server_get_stats(web, &ws);
	snprintf(line, len, "broker %s, %zu devices, %u connections, %u live pages",
		 mqtt_client_connected(s->mqtt) ? "connected" : "not connected",
		 live_device_count(s->live), ws.connections, ws.sse_clients);
}

static void reload(struct rs_config *cfg)
{
	struct rs_config next;

	/* Only the log level is taken over; the rest waits for a restart. */
	if (daemon_config_reload(cfg, &next, CONFIG_COLLECTOR, NULL,
				 "MQTT, database, detector and web changes") < 0)
		return;
	explicit_bzero(&next, sizeof(next));	/* no copy of the password stays on the stack */
	log_info("reload done");
}

/* Takes what the broker sent this round into the live view; changes go to
 * the event clients. */
static void mqtt_take(struct serve *s, struct web_server *web)
{
	struct mqtt_event ev;
	size_t taken = 0;
	int idx;

	while (taken++ < 2000 && mqtt_client_next(s->mqtt, &ev) == 0) {
		switch (ev.kind) {
		case MQTT_EVENT_MESSAGE:
			idx = live_message(s->live, ev.topic, ev.payload, ev.payload_len,
					   clock_real_s());
			if (idx >= 0)
				broadcast_device(s, web, idx);
			break;
		case MQTT_EVENT_CONNECTED:
			log_info("mqtt: connected to %s", s->cfg->mqtt.uri);
			break;
		case MQTT_EVENT_LOST:
			log_warn("mqtt: %s", ev.detail);
			break;
		case MQTT_EVENT_PUBLISHED:
			if (!ev.ok)
				log_warn("mqtt: a command was not delivered to the broker");
			break;
		}
		mqtt_event_clear(&ev);
	}
}

static int serve_loop(struct rs_config *cfg, struct serve *s, struct web_server *web,
		      struct notify *notify)
{
	double now, last_health, last_ping, last_tick = 0, last_status = 0;
	int idx;

	last_health = last_ping = clock_real_s();
	notify_send(notify, "READY=1");
	while (!daemon_stop_requested) {
		struct pollfd pfd[2] = {
			{ .fd = mqtt_client_fd(s->mqtt), .events = POLLIN },
			{ .fd = web_server_fd(web), .events = POLLIN },
		};

		if (daemon_reload_requested) {
			daemon_reload_requested = 0;
			notify_reloading(notify);
			reload(cfg);
			notify_send(notify, "READY=1");
		}
		if (poll(pfd, 2, web_server_timeout_ms(web, 100)) < 0 && errno != EINTR)
			log_warn("poll: %s", strerror(errno));
		mqtt_take(s, web);
		now = clock_real_s();
		if (now - last_tick >= TICK_EVERY_S) {
			while ((idx = live_tick(s->live, now)) >= 0)
				broadcast_device(s, web, idx);
			last_tick = now;
		}
		if (now - last_ping >= PING_EVERY_S) {
			web_server_broadcast(web, ": ping\n\n", 8);
			last_ping = now;
		}
		web_server_run(web);
		mqtt_client_tick(s->mqtt, now);
		notify_watchdog(notify, now);
		if (notify->enabled && now - last_status >= 5.0) {
			char line[160];

			status_line(s, web, line, sizeof(line));
			notify_status(notify, line);
			last_status = now;
		}
		if (now - last_health >= HEALTH_EVERY_S) {
			log_health(s, web);
			last_health = now;
		}
	}
	notify_send(notify, "STOPPING=1");
	log_health(s, web);
	return 0;
}

int serve_run(struct rs_config *cfg)
{
	struct serve s = { .cfg = cfg, .loopback_only = listen_is_loopback(cfg->web.listen) };
	struct web_server *web = NULL;
	struct notify notify;
	char err[512], client_id[160], filter[256];
	static const char *const kinds[] = { "reading", "event", "status", "zone" };
	int rc = 1;

	s.st = store_open_readonly(cfg->collector.database, err, sizeof(err));
	if (!s.st) {
		log_error("%s", err);
		return 1;
	}
	textbuf_init(&s.frame, 64 * 1024);
	daemon_signals_install(false);
	clock_start(1.0);
	if (notify_init(&notify) < 0)
		log_warn("systemd: NOTIFY_SOCKET or WATCHDOG_USEC unusable; %s",
			 notify.enabled ? "no watchdog pings" : "no notifications");
	s.live = live_new(cfg->mqtt.topic_prefix);
	if (!s.live) {
		log_error("out of memory");
		goto out;
	}
	live_set_zones(s.live, &cfg->zones);
	/* Its own id beside the collector's: a broker drops the older of two
	 * clients with the same id. */
	snprintf(client_id, sizeof(client_id), "%s-web",
		 cfg->mqtt.client_id[0] ? cfg->mqtt.client_id : "rollsense");
	s.mqtt = mqtt_client_new(&cfg->mqtt, client_id, NULL, err, sizeof(err));
	if (!s.mqtt) {
		log_error("%s: %s", cfg->path, err);
		goto out;
	}
	/* It only watches: nothing queued for it while it is away. */
	mqtt_client_set_clean_session(s.mqtt, true);
	mqtt_client_set_inbound_limits(s.mqtt, LIVE_MAX_PAYLOAD, 0);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(filter, sizeof(filter), "%s/+/%s", cfg->mqtt.topic_prefix, kinds[i]);
		mqtt_client_subscribe(s.mqtt, filter, 0);
	}
	web = web_server_new(&cfg->web, handle, &s, err, sizeof(err));
	if (!web) {
		log_error("%s: %s", cfg->path, err);
		goto out;
	}
	if (mqtt_client_start(s.mqtt, err, sizeof(err)) < 0)
		log_warn("%s (retrying)", err);
	log_info("web: serving http://%s/ (database %s, read-only; commands %s)", cfg->web.listen,
		 cfg->collector.database, cfg->web.commands ? "on" : "off");
	rc = serve_loop(cfg, &s, web, &notify);
out:
	web_server_free(web);
	if (s.mqtt)
		mqtt_client_free(s.mqtt, 1000);
	live_free(s.live);
	store_close(s.st);
	textbuf_free(&s.frame);
	return rc;
}
