/* rollsense-collector watch (watch.h): an MQTT client feeding the live view
 * model, and two ways to show it. On a terminal the whole screen is drawn
 * again every 100 ms from the top (cursor home, each line cleared to its
 * end, the rest of the screen cleared), which needs no terminal library and
 * survives a resize; lines are cut to the terminal's width so none wraps
 * and pushes the screen up. Elsewhere (a file, a pipe) nothing is redrawn:
 * one line per event and one per second per device in a session, flushed
 * at once so a reader sees them as they happen. */
#include "watch.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "live.h"
#include "mqtt.h"
#include "textbuf.h"

#define WATCH_FRAME_S 0.1

struct watch {
	const struct rs_config *cfg;
	struct mqtt_client *mqtt;
	struct live *live;
	bool tty;
	bool connected;
	/* Plain lines: what was last said per device. */
	bool said_online[LIVE_MAX_DEVICES];
	double said_second[LIVE_MAX_DEVICES];
	char said_zone[LIVE_MAX_DEVICES][ZONE_NAME_MAX + 1];
};

static void usage_watch(void)
{
	fprintf(stderr, "Usage: rollsense-collector [--config PATH] watch [--device ID]\n");
}

/* "12.3 s" below a minute, "1:02.3" from there. */
static void hold_text(double s, char *buf, size_t size)
{
	long tenths = (long)floor(s * 10 + 1e-6);

	if (tenths < 600)
		snprintf(buf, size, "%.1f s", tenths / 10.0);
	else
		snprintf(buf, size, "%ld:%04.1f", tenths / 600, (tenths % 600) / 10.0);
}

/* A hold's mark at s seconds, by the detector's classes: "counts" from
 * effective_s, "let go" once it is long (above long_s). */
static const char *hold_mark(const struct detector_cfg *det, double s)
{
	return s > det->long_s ? "let go" : s >= det->effective_s ? "counts" : "";
}

/* Whole minutes and seconds, "2:23". */
static void minutes_text(double s, char *buf, size_t size)
{
	long t = lround(s);

	snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
}

/* rolling_s: shown only when there was some (a tool with a gyroscope). */
static void totals_text(unsigned n_short, unsigned n_effective, unsigned n_long, double hold_s,
			double rolling_s, double heat_s, char *buf, size_t size)
{
	char hold[24], rolling[40] = "", heat[24];
	unsigned all = n_short + n_effective + n_long;

	minutes_text(hold_s, hold, sizeof(hold));
	if (rolling_s > 0) {
		snprintf(rolling, sizeof(rolling), ", rolling ");
		minutes_text(rolling_s, rolling + strlen(rolling), sizeof(rolling) - strlen(rolling));
	}
	minutes_text(heat_s, heat, sizeof(heat));
	snprintf(buf, size, "%u %s (%u short, %u effective, %u long), hold time %s%s, heat %s", all,
		 all == 1 ? "hold" : "holds", n_short, n_effective, n_long, hold, rolling, heat);
}

static void session_text(const struct live_device *d, char *buf, size_t size)
{
	if (d->in_session)
		totals_text(d->holds_short, d->holds_effective, d->holds_long, d->hold_time_s, 0,
			    d->heat_time_s, buf, size);
	else if (d->has_last_session)
		totals_text(d->last_holds_short, d->last_holds_effective, d->last_holds_long,
			    d->last_hold_time_s, d->last_rolling_time_s, d->last_heat_time_s, buf,
			    size);
	else
		snprintf(buf, size, "none yet");
}

static void temperature_text(const struct live_device *d, char *buf, size_t size)
{
	if (isnan(d->temperature_c))
		snprintf(buf, size, "-- °C heat %s%s", d->heat_on ? "on" : "off",
			 d->too_hot ? " BURN RISK" : "");
	else
		snprintf(buf, size, "%.1f °C heat %s%s", d->temperature_c, d->heat_on ? "on" : "off",
			 d->too_hot ? " BURN RISK" : "");
}

/* ---- the terminal ---- */

/* What one frame is drawn into, and how much of the terminal it may use. */
struct screen {
	struct textbuf *out;
	unsigned width, rows;	/* the terminal's; 80 x 24 when it does not say */
	unsigned used;		/* rows written so far */
};

/* Lines a device takes at most (screen_device). */
#define WATCH_DEVICE_ROWS 7

static void screen_size(struct screen *sc)
{
	struct winsize ws;

	sc->width = 80;
	sc->rows = 24;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
		sc->width = ws.ws_col;
		sc->rows = ws.ws_row;
	}
}

/* One screen line: text cut to width - 1 columns (a character is a column;
 * the last column is left free, where some terminals wrap at once), then
 * the rest of the line cleared. Nothing is written on the last row: a line
 * there would scroll the screen and the next frame would not start at its
 * top. */
static void screen_line(struct screen *sc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void screen_line(struct screen *sc, const char *fmt, ...)
{
	char line[512];
	unsigned columns = 0;
	size_t n = 0;
	va_list ap;

	if (sc->used + 1 >= sc->rows)
		return;
	sc->used++;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (; line[n]; n++) {
		/* A UTF-8 continuation byte does not start a column. */
		if (((unsigned char)line[n] & 0xc0) != 0x80 && ++columns == sc->width)
			break;
	}
	textbuf_add(sc->out, line, n);
	textbuf_puts(sc->out, "\x1b[K\n");
}

/* The pressure bar, '#' up to the pressure on a 0..40 kPa scale (wider
 * when the hold threshold is above 30 kPa, so that it stands at three
 * quarters, as on the live page), '|' at hold_kpa where the bar has not
 * reached it. */
static void bar_text(double kpa, double hold_kpa, unsigned cells, char *buf)
{
	double top = fmax(40, ceil(hold_kpa * 4 / 30) * 10);
	unsigned fill = 0, mark = (unsigned)lround(hold_kpa / top * cells);

	if (!isnan(kpa) && kpa > 0)
		fill = kpa >= top ? cells : (unsigned)lround(kpa / top * cells);
	for (unsigned i = 0; i < cells; i++)
		buf[i] = i < fill ? '#' : i == mark ? '|' : ' ';
	buf[cells] = '\0';
}

static void screen_device(struct screen *sc, const struct detector_cfg *det,
			  const struct live_device *d)
{
	char kpa[24], bar[300], text[200], hold[24];
	unsigned cells;

	screen_line(sc, "%s  %s  zone %s%s%s", d->device, d->online ? "online" : "offline",
		    d->zone[0] ? d->zone_label : "none", d->in_session ? "  in a session" : "",
		    d->faults[0] ? "  (chip faults)" : "");
	if (isnan(d->pressure_kpa))
		snprintf(kpa, sizeof(kpa), "  -- kPa");
	else
		snprintf(kpa, sizeof(kpa), "%6.1f kPa", d->pressure_kpa);
	/* "  pressure  " + kpa + "  [" + bar + "]" within width - 1 columns. */
	cells = sc->width > 41 ? sc->width - 27 : 14;
	if (cells > sizeof(bar) - 1)
		cells = sizeof(bar) - 1;
	bar_text(d->pressure_kpa, det->hold_start_kpa, cells, bar);
	screen_line(sc, "  pressure  %s  [%s]", kpa, bar);
	if (d->in_rolling && !d->in_hold) {
		screen_line(sc, "  hold      rolling, not a hold");
	} else if (isnan(d->hold_s)) {
		screen_line(sc, "  hold      --");
	} else {
		hold_text(d->hold_s, hold, sizeof(hold));
		if (d->in_hold)
			screen_line(sc, "  hold      %-9s %s", hold, hold_mark(det, d->hold_s));
		else
			screen_line(sc, "  last hold %-9s %s", hold, d->hold_class);
	}
	temperature_text(d, text, sizeof(text));
	screen_line(sc, "  temp      %s", text);
	session_text(d, text, sizeof(text));
	screen_line(sc, "  %s %s", d->in_session || !d->has_last_session ? "session  " : "last one ",
		    text);
	if (d->faults[0])
		screen_line(sc, "  faults    %s", d->faults);
	screen_line(sc, "%s", "");
}

static void screen_draw(const struct watch *w, struct textbuf *out)
{
	struct screen sc = { .out = out };
	size_t n = live_device_count(w->live), i;

	screen_size(&sc);
	textbuf_reset(out);
	textbuf_puts(out, "\x1b[H");
	screen_line(&sc, "rollsense watch  %s %s  (Ctrl-C quits)",
		    w->connected ? "connected to" : "connecting to", w->cfg->mqtt.uri);
	screen_line(&sc, "%s", "");
	if (n == 0)
		screen_line(&sc, "waiting for a device…");
	/* Whole devices only, and a row kept to say how many did not fit. */
	for (i = 0; i < n && sc.used + WATCH_DEVICE_ROWS + 2 <= sc.rows; i++)
		screen_device(&sc, &w->cfg->detector, live_device_at(w->live, i));
	if (i < n)
		screen_line(&sc, "%zu more device%s than the screen holds: watch --device ID shows one",
			    n - i, n - i == 1 ? "" : "s");
	textbuf_puts(out, "\x1b[J");
	if (!textbuf_failed(out)) {
		fwrite(textbuf_text(out), 1, out->len, stdout);
		fflush(stdout);
	}
}

/* ---- plain lines ---- */

/* Why writing the lines failed (EPIPE: the reader left, as `watch | head`
 * does); 0 while they go out. watch then stops. */
static int plain_errno;

static void plain_line(const struct live_device *d, double ts, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void plain_line(const struct live_device *d, double ts, const char *fmt, ...)
{
	char when[32];
	struct tm tm;
	time_t t = (time_t)floor(ts);
	va_list ap;

	if (!localtime_r(&t, &tm) || strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(when, sizeof(when), "%.0f", ts);
	errno = 0;	/* what a failed write below leaves is its own */
	printf("%s %s ", when, d->device);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	/* Line buffered: putchar's write may have failed already, and then
	 * fflush finds nothing to write; the error flag stays. */
	if ((fflush(stdout) == EOF || ferror(stdout)) && plain_errno == 0)
		plain_errno = errno ? errno : EIO;
}

/* The label of what a device did last: its last reading's time, or now. */
static double label_ts(const struct live_device *d)
{
	return d->last_ts > 0 ? d->last_ts : clock_wall_s();
}

static void plain_event(const struct live_device *d, const char *event)
{
	char hold[24], text[200];

	if (strncmp(event, "hold_", 5) == 0 && !isnan(d->hold_s)) {
		hold_text(d->hold_s, hold, sizeof(hold));
		plain_line(d, label_ts(d), "%s %s %s", event, hold, d->hold_class);
	} else if (strcmp(event, "session_ended") == 0) {
		session_text(d, text, sizeof(text));
		plain_line(d, d->last_session_end_ts, "%s: %s", event, text);
	} else if (strcmp(event, "heat_on") == 0 || strcmp(event, "heat_off") == 0 ||
		   strcmp(event, "too_hot") == 0) {
		temperature_text(d, text, sizeof(text));
		plain_line(d, label_ts(d), "%s (%s)", event, text);
	} else {
		plain_line(d, label_ts(d), "%s", event);
	}
}

/* Once a second of the device's readings while it is in a session. */
static void plain_second(struct watch *w, size_t i, const struct live_device *d)
{
	char kpa[24], hold[24], temp[200];
	const char *mark;

	if (!d->in_session || floor(d->last_ts) == w->said_second[i])
		return;
	w->said_second[i] = floor(d->last_ts);
	if (isnan(d->pressure_kpa))
		snprintf(kpa, sizeof(kpa), "-- kPa");
	else
		snprintf(kpa, sizeof(kpa), "%.1f kPa", d->pressure_kpa);
	temperature_text(d, temp, sizeof(temp));
	if (d->in_hold && !isnan(d->hold_s)) {
		hold_text(d->hold_s, hold, sizeof(hold));
		mark = hold_mark(&w->cfg->detector, d->hold_s);
		plain_line(d, d->last_ts, "hold %s%s%s%s %s %s", hold, *mark ? " (" : "", mark,
			   *mark ? ")" : "", kpa, temp);
	} else {
		plain_line(d, d->last_ts, "no hold %s %s", kpa, temp);
	}
}

static void plain_online(struct watch *w, int i)
{
	const struct live_device *d = live_device_at(w->live, (size_t)i);

	if (d->online == w->said_online[i])
		return;
	w->said_online[i] = d->online;
	plain_line(d, clock_wall_s(), "%s", d->online ? "online" : "offline");
}

/* A line when the device's zone changes (its zone topic): "zone Left calf
 * (calf_left)", "zone none". Nothing is said of a device that never had
 * one. */
static void plain_zone(struct watch *w, int i)
{
	const struct live_device *d = live_device_at(w->live, (size_t)i);

	if (strcmp(d->zone, w->said_zone[i]) == 0)
		return;
	snprintf(w->said_zone[i], sizeof(w->said_zone[i]), "%s", d->zone);
	if (d->zone[0])
		plain_line(d, clock_wall_s(), "zone %s (%s)", d->zone_label, d->zone);
	else
		plain_line(d, clock_wall_s(), "zone none");
}

/* ---- the loop ---- */

static void on_message(struct watch *w, const struct mqtt_event *ev)
{
	int i = live_message(w->live, ev->topic, ev->payload, ev->payload_len, clock_real_s());
	const struct live_device *d;

	if (i < 0 || w->tty)
		return;
	d = live_device_at(w->live, (size_t)i);
	plain_online(w, i);
	plain_zone(w, i);
	if (live_last_event(w->live)[0])
		plain_event(d, live_last_event(w->live));
	else
		plain_second(w, (size_t)i, d);
}

static void take_events(struct watch *w)
{
	struct mqtt_event ev;

	while (mqtt_client_next(w->mqtt, &ev) == 0) {
		switch (ev.kind) {
		case MQTT_EVENT_MESSAGE:
			on_message(w, &ev);
			break;
		case MQTT_EVENT_CONNECTED:
			w->connected = true;
			if (!w->tty)
				fprintf(stderr, "watch: connected to %s\n", w->cfg->mqtt.uri);
			break;
		case MQTT_EVENT_LOST:
			w->connected = false;
			if (!w->tty)
				fprintf(stderr, "watch: mqtt: %s\n", ev.detail);
			break;
		case MQTT_EVENT_PUBLISHED:
			break;
		}
		mqtt_event_clear(&ev);
	}
}

/* Runs until a signal or, for plain lines, until they cannot be written.
 * 0, or 1 after a write error other than the reader leaving. */
static int watch_loop(struct watch *w)
{
	struct textbuf screen;
	double next_frame = 0;
	int i;

	textbuf_init(&screen, 0);
	if (w->tty)
		fputs("\x1b[?25l\x1b[H\x1b[J", stdout);
	while (!daemon_stop_requested && !daemon_reload_requested && plain_errno == 0) {
		struct pollfd pfd = { .fd = mqtt_client_fd(w->mqtt), .events = POLLIN };
		double now;

		take_events(w);
		now = clock_real_s();
		while ((i = live_tick(w->live, now)) >= 0)
			if (!w->tty)
				plain_online(w, i);
		mqtt_client_tick(w->mqtt, now);
		if (w->tty && now >= next_frame) {
			screen_draw(w, &screen);
			next_frame = now + WATCH_FRAME_S;
		}
		poll(&pfd, 1, 50);
	}
	if (w->tty) {
		screen_draw(w, &screen);
		fputs("\x1b[?25h", stdout);
		fflush(stdout);
	}
	textbuf_free(&screen);
	if (plain_errno && plain_errno != EPIPE) {
		fprintf(stderr, "watch: writing the lines: %s\n", strerror(plain_errno));
		return 1;
	}
	return 0;
}

int watch_run(const struct rs_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const kinds[] = { "reading", "event", "status", "zone" };
	struct watch w = { .cfg = cfg };
	const char *device = "+";
	char err[512], id[64], filter[256];
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'd') {
			usage_watch();
			return DAEMON_EXIT_CONFIG;
		}
		if (!config_device_id_valid(optarg)) {
			fprintf(stderr, "watch: --device: \"%s\" is not a device id ([A-Za-z0-9_-]{1,64})\n",
				optarg);
			return DAEMON_EXIT_CONFIG;
		}
		device = optarg;
	}
	if (optind < argc) {
		fprintf(stderr, "watch: unexpected argument \"%s\"\n", argv[optind]);
		return DAEMON_EXIT_CONFIG;
	}
	w.tty = isatty(STDOUT_FILENO) == 1;
	w.live = live_new(cfg->mqtt.topic_prefix);
	if (!w.live) {
		fprintf(stderr, "watch: out of memory\n");
		return 1;
	}
	live_set_zones(w.live, &cfg->zones);
	daemon_signals_install(false);
	snprintf(id, sizeof(id), "rollsense-watch-%ld", (long)getpid());
	w.mqtt = mqtt_client_new(&cfg->mqtt, id, NULL, err, sizeof(err));
	if (!w.mqtt) {
		fprintf(stderr, "%s: %s\n", cfg->path, err);
		live_free(w.live);
		return 1;
	}
	mqtt_client_set_clean_session(w.mqtt, true);
	mqtt_client_set_inbound_limits(w.mqtt, LIVE_MAX_PAYLOAD, 0);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		snprintf(filter, sizeof(filter), "%s/%s/%s", cfg->mqtt.topic_prefix, device, kinds[k]);
		mqtt_client_subscribe(w.mqtt, filter, 0);
	}
	if (mqtt_client_start(w.mqtt, err, sizeof(err)) < 0 && !w.tty)
		fprintf(stderr, "watch: %s (retrying)\n", err);
	if (!w.tty)
		setvbuf(stdout, NULL, _IOLBF, 0);
	rc = watch_loop(&w);
	mqtt_client_free(w.mqtt, 500);
	live_free(w.live);
	return rc;
}
