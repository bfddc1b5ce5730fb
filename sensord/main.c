/* rollsense-sensord: samples the chips in the tool and publishes readings.
 *
 * One thread of our own: a loop that samples on a drift-free schedule, keeps
 * every reading in the durable outbox, hands the outbox to MQTT as the
 * connection allows, and takes MQTT's events (Paho's own threads only queue
 * them). Signals set flags that the loop acts on. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "command.h"
#include "config.h"
#include "daemon.h"
#include "detector.h"
#include "discovery.h"
#include "feedback.h"
#include "gpio.h"
#include "log.h"
#include "mqtt.h"
#include "notify.h"
#include "outbox.h"
#include "reading.h"
#include "sameid.h"
#include "sampler.h"
#include "summary.h"
#include "topic.h"
#include "zone_state.h"
#include "zone_topic.h"

/* Publishes in flight at once: enough to keep a link busy while replaying a
 * long outage, small enough that a reconnect does not flood the broker. */
#define SEND_WINDOW 256
/* Resends after no acknowledgement progress back off up to this. */
#define RESEND_MAX_S 600.0
/* How long to wait at exit_at_end for the outbox to drain. */
#define DRAIN_TIMEOUT_S 60.0
/* The button is read this often while a press may be under way (or all the
 * time when its side cannot tell of changes, gpio.h): a press is noticed
 * within ~20 ms (two polls inside the default 30 ms debounce). */
#define FEEDBACK_POLL_S 0.01

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: rollsense-sensord [--config PATH] [--state-dir DIR] [--check-config | --once]\n"
		"Reads the pressure and temperature chips in a foam roller or massage ball\n"
		"and publishes readings over MQTT.\n\n"
		"  -c, --config PATH   configuration file (default %s)\n"
		"      --state-dir DIR the state directory, over sensord.state_dir in the file\n"
		"                      (rollsense-sensord@.service gives /var/lib/rollsense/NAME)\n"
		"      --check-config  validate the configuration and exit\n"
		"      --once          read every chip once, print one reading as JSON, exit\n"
		"  -v, --verbose       log debug messages\n"
		"  -h, --help          this help\n"
		"  -V, --version       print the version\n\n"
		"Signals: SIGTERM/SIGINT flush and exit, SIGHUP reloads the configuration,\n"
		"SIGUSR1 tares the pressure (refused while the tool is loaded).\n",
		CONFIG_DEFAULT_PATH);
}

struct daemon {
	struct rs_config cfg;
	struct sampler *sampler;
	struct outbox *outbox;
	struct mqtt_client *mqtt;
	struct detector *detector;	/* live feedback; the collector's is authoritative */
	char run[READING_RUN_LEN + 1];
	uint64_t seq;
	char topic_reading[256];
	char topic_status[256];
	char topic_ack[256];
	char topic_command[256];
	char topic_event[256];
	char topic_zone[256];
	/* The current zone (zone_state.h): "" none. Every reading carries it,
	 * the detector names it in its events, <state_dir>/zone keeps it. */
	char zone[ZONE_NAME_MAX + 1];
	char zone_path[CONFIG_PATH_MAX + 8];
	uint64_t commands_refused;	/* malformed or unknown commands dropped */
	uint64_t events_dropped;
	uint64_t acks_ignored;		/* acks for a run or seq this sensord never made */
	double ack_ignored_logged_at;
	uint64_t outbox_dropped_logged;	/* outbox drops already in a log line */
	double outbox_drop_logged_at;
	bool outbox_write_failing;	/* logged once per failing stretch */
	double resend_interval_s;
	double last_progress_real;
	/* The CONNECTED event was handled and no LOST since. Paho says it is
	 * connected a moment before that event reaches the loop, and readings
	 * sent in between would go out twice, the event resetting them. */
	bool mqtt_up;
	uint64_t missed_ticks;
	/* Feedback on the tool (sensord.feedback); gpio NULL when off. */
	struct gpio *gpio;
	struct feedback_button button;
	struct feedback_player player;
	bool led_on, buzzer_on;		/* the levels last driven */
	bool gpio_failed_logged;
	bool button_fd_failed;	/* its button_fd failed: poll the button all the time */
	bool button_changed;	/* button_fd fired since the button was last read */
	bool end_session_pending;		/* a long press: the next reading ends the session */
	char topic_health[256];
	char topic_ha_status[128];	/* <discovery_prefix>/status: Home Assistant's birth */
	double health_published_at;
	struct notify notify;		/* systemd: readiness, watchdog, status */
	bool ready;			/* READY=1 sent: a chip gave a value */
	double status_at;		/* real time of the last STATUS= check */
	char status[160];		/* the STATUS= line last sent */
	char send_buf[READING_MAX_PAYLOAD + 64];	/* a reading with lost_after added */
	int state_dir_fd;		/* holds the state directory's lock; -1 before */
	/* Another sensord under our device_id (sameid.h): the signs, and
	 * what the log and health said of them last. */
	struct sameid_watch sameid;
	char sameid_said[READING_RUN_LEN + 1];	/* "" while none is reported */
	double sameid_logged_at;
};

/* --state-dir, or NULL: it replaces sensord.state_dir of every load,
 * reloads included, so the instance unit decides where its outbox lives
 * whatever a copied configuration says. */
static const char *state_dir_arg;

/* Checks what the shared loader cannot know is needed: sensord must have
 * a device id, chips, and a channel to give. */
static int sensord_cfg_check(struct rs_config *cfg, char *err, size_t err_len)
{
	unsigned provided = 0;

	if (state_dir_arg) {
		if (!state_dir_arg[0] || strlen(state_dir_arg) >= sizeof(cfg->sensord.state_dir)) {
			snprintf(err, err_len, "--state-dir: \"%s\" is empty or longer than %zu bytes",
				 state_dir_arg, sizeof(cfg->sensord.state_dir) - 1);
			return -1;
		}
		snprintf(cfg->sensord.state_dir, sizeof(cfg->sensord.state_dir), "%s", state_dir_arg);
	}
	if (config_device_id_require(cfg, err, err_len) < 0)
		return -1;
	if (cfg->sensord.n_sensors == 0) {
		snprintf(err, err_len, "%s: sensord.sensors: at least one sensor is needed", cfg->path);
		return -1;
	}
	for (size_t i = 0; i < cfg->sensord.n_sensors; i++)
		provided |= cfg->sensord.sensors[i].provides;
	if (!provided) {
		snprintf(err, err_len,
			 "%s: sensord.sensors: no sensor provides pressure_kpa or temperature_c", cfg->path);
		return -1;
	}
	return 0;
}

/* 64 random bits: with 32, a device restarted 10,000 times had about a 1 %
 * chance of meeting an old run id again, and the collector would take the
 * new run's readings for duplicates of the old one's. */
static void new_run_id(char run[READING_RUN_LEN + 1])
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		r = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 48);
	}
	snprintf(run, READING_RUN_LEN + 1, "%016llx", (unsigned long long)r);
}

/* name (with what goes before it), then v with decimals, or null. */
static void json_number(FILE *out, const char *name, double v, int decimals)
{
	fputs(name, out);
	if (isnan(v))
		fputs("null", out);
	else
		fprintf(out, "%.*f", decimals, v);
}

/* name, then [x,y,z] as json_number writes each. */
static void json_axes(FILE *out, const char *name, const double v[3], int decimals)
{
	fputs(name, out);
	for (int i = 0; i < 3; i++)
		json_number(out, i ? "," : "[", v[i], decimals);
	fputs("]", out);
}

/* --once: one reading with each chip's absolute values, for checking wiring. */
static int run_once(struct daemon *d)
{
	struct sampler_detail details[CONFIG_MAX_SENSORS];
	struct reading r = { 0 };
	char buf[READING_MAX_PAYLOAD];
	size_t n;
	int len, failed = 0;

	snprintf(r.run, sizeof(r.run), "%s", d->run);
	r.seq = 1;
	r.mono = clock_mono_s();
	r.ts = clock_wall_s();
	sampler_sample(d->sampler, r.mono, &r);
	len = reading_encode(&r, buf, sizeof(buf));
	if (len < 2)
		return 1;
	/* The reading, its closing brace replaced by the sensors object. */
	fwrite(buf, 1, (size_t)len - 1, stdout);
	fputs(",\"sensors\":{", stdout);
	n = sampler_details(d->sampler, details, CONFIG_MAX_SENSORS);
	for (size_t i = 0; i < n; i++) {
		const struct sensor_values *v = &details[i].values;

		printf("%s\"%s\":{", i ? "," : "", details[i].key);
		json_number(stdout, "\"pressure_pa\":", v->pressure_pa, 2);
		json_number(stdout, ",\"temperature_c\":", v->temperature_c, 2);
		json_number(stdout, ",\"humidity_pct\":", v->humidity_pct, 2);
		json_number(stdout, ",\"voltage_v\":", v->voltage_v, 5);
		/* An IMU's raw axes, zero-rate offset included: at rest the
		 * gyro shows its offset, the accelerometer 1 g down. */
		if (!isnan(v->gyro_dps[0])) {
			json_axes(stdout, ",\"gyro_dps\":", v->gyro_dps, 5);
			json_axes(stdout, ",\"accel_g\":", v->accel_g, 5);
		}
		if (details[i].fault) {
			printf(",\"fault\":\"%s\"", details[i].fault);
			failed = 1;
		}
		fputs("}", stdout);
	}
	fputs("}}\n", stdout);
	return failed;
}

/* Retained, at QoS 1, with no outbox entry behind it (tag UINT64_MAX). */
static void publish_retained(struct daemon *d, const char *topic, const char *payload)
{
	mqtt_client_publish(d->mqtt, topic, payload, strlen(payload), 1, true, UINT64_MAX);
}

/* Retained counters on <prefix>/<device>/health, for dashboards (Home
 * Assistant's "Chip faults"): since this run started. */
static void publish_health(struct daemon *d)
{
	struct outbox_stats ob;
	struct sampler_stats ss;
	char buf[640], same_id_run[READING_RUN_LEN + 3] = "null";
	int len;

	outbox_get_stats(d->outbox, &ob);
	sampler_get_stats(d->sampler, &ss);
	if (d->sameid_said[0])
		snprintf(same_id_run, sizeof(same_id_run), "\"%s\"", d->sameid_said);
	len = snprintf(buf, sizeof(buf),
		       "{\"run\":\"%s\",\"up_s\":%.3f,\"readings\":%llu,\"chip_faults\":%llu,\"reinits\":%llu,"
		       "\"missed_ticks\":%llu,\"outbox\":%zu,\"outbox_dropped\":%llu,"
		       "\"outbox_damaged\":%llu,\"events_not_sent\":%llu,\"acks_ignored\":%llu,"
		       "\"commands_refused\":%llu,\"same_id_run\":%s}",
		       d->run, clock_mono_s(), (unsigned long long)d->seq, ss.faults, ss.reinits,
		       (unsigned long long)d->missed_ticks, ob.depth, (unsigned long long)ob.dropped,
		       (unsigned long long)ob.corrupt_regions, (unsigned long long)d->events_dropped,
		       (unsigned long long)d->acks_ignored, (unsigned long long)d->commands_refused,
		       same_id_run);
	if (len > 0 && (size_t)len < sizeof(buf))
		publish_retained(d, d->topic_health, buf);
	d->health_published_at = clock_real_s();
}

/* Home Assistant discovery (retained), after every connect and whenever HA
 * announces itself online (it may have lost the retained config). */
static void publish_discovery(struct daemon *d)
{
	char topic[256], *payload;

	if (!d->cfg.homeassistant.enabled)
		return;
	payload = discovery_payload(&d->cfg, d->cfg.device_id, DISCOVERY_SENSORD);
	if (payload && discovery_topic(topic, sizeof(topic), &d->cfg, d->cfg.device_id,
				       DISCOVERY_SENSORD) >= 0)
		publish_retained(d, topic, payload);
	else
		log_warn("homeassistant: discovery payload not built");
	free(payload);
}

/* The retained zone topic: at every connect (which covers the start) and
 * on every change while connected. */
static void publish_zone(struct daemon *d)
{
	char *payload = zone_topic_payload(&d->cfg.zones, d->zone);

	if (payload)
		publish_retained(d, d->topic_zone, payload);
	else
		log_warn("zone: topic payload not built: out of memory");
	free(payload);
}

/* Makes zone ("" none) the current zone: the detector, the state file and
 * the topic follow; why says who asked, for the log. */
static void zone_set(struct daemon *d, const char *zone, const char *why)
{
	int err;

	if (strcmp(zone, d->zone) == 0) {
		log_info("zone: %s (%s): unchanged", zone[0] ? zone : "none", why);
		return;
	}
	log_info("zone: %s -> %s (%s)", d->zone[0] ? d->zone : "none", zone[0] ? zone : "none", why);
	snprintf(d->zone, sizeof(d->zone), "%s", zone);
	detector_set_zone(d->detector, d->zone);
	/* The zone stays set for this run; only a restart would forget it. */
	if ((err = zone_state_save(d->zone_path, d->zone)) < 0)
		log_warn("zone: saving %s: %s; a restart will not remember it", d->zone_path,
			 strerror(-err));
	if (d->mqtt_up)
		publish_zone(d);
}

/* At start: the zone saved by the last run, if it is still configured. */
static void zone_restore(struct daemon *d)
{
	char zone[ZONE_NAME_MAX + 1], why[CONFIG_PATH_MAX + 64];

	if (zone_state_load(d->zone_path, zone, why, sizeof(why)) < 0) {
		log_warn("zone: %s; starting with none", why);
	} else if (zone[0] && zones_find(&d->cfg.zones, zone) < 0) {
		log_warn("zone: %s (saved in %s) is no longer in the configuration's zones; dropped",
			 zone, d->zone_path);
	} else {
		if (zone[0])
			log_info("zone: %s, as the last run left it", zone);
		snprintf(d->zone, sizeof(d->zone), "%s", zone);
		detector_set_zone(d->detector, d->zone);
		return;
	}
	/* Saved as none, so that the next start does not say the same again. */
	(void)zone_state_save(d->zone_path, "");
}

/* A tare asked for by who (button, SIGUSR1, MQTT): refused while the tool
 * is loaded (sampler_tare_refused), which the log says and the LED and
 * buzzer play wherever it came from, as the person at the tool is the one
 * to let go; taken otherwise, acknowledged on the tool when by_button. */
static void tare(struct daemon *d, const char *who, bool by_button)
{
	char why[CONFIG_PATH_MAX + 128];

	if (sampler_tare(d->sampler, why, sizeof(why)) < 0) {
		log_warn("tare (%s) refused: %s; let go of the tool and ask again", who, why);
		if (d->gpio)
			feedback_player_start(&d->player, FEEDBACK_PATTERN_TARE_REFUSED, clock_real_s());
		return;
	}
	log_info("tare (%s): the zero is taken from the next samples", who);
	if (by_button && d->gpio)
		feedback_player_start(&d->player, FEEDBACK_PATTERN_TARE, clock_real_s());
}

/* A message on the command topic (command.h). What is refused changes
 * nothing: it is logged with the reason and counted in health. */
static void handle_command(struct daemon *d, const struct mqtt_event *ev)
{
	struct command c;
	char why[160];

	if (command_parse(ev->payload, ev->payload_len, &d->cfg.zones, &c, why, sizeof(why)) < 0) {
		d->commands_refused++;
		log_warn("mqtt: command on %s refused: %s (%llu refused so far)", ev->topic, why,
			 (unsigned long long)d->commands_refused);
		return;
	}
	if (c.kind == COMMAND_TARE) {
		tare(d, "MQTT command", false);
	} else {
		zone_set(d, c.zone, "MQTT command");
	}
}

/* An ack may only confirm readings this sensord made: one for a run it has
 * no record of (a previous run's retained ack, after a restart), or beyond
 * the highest seq made in that run (a collector gone wrong, or a forged
 * message), is ignored, counted and logged (at most once a minute). 0 to
 * apply it, -1 to ignore it. */
static int ack_check(struct daemon *d, const char *run, uint64_t seq)
{
	uint64_t max_seq = 0, acked_seq;
	bool known = outbox_run_info(d->outbox, run, &max_seq, &acked_seq) == 0;
	double now = clock_real_s();

	if (strcmp(run, d->run) == 0) {
		known = true;
		max_seq = d->seq;
	}
	if (known && seq <= max_seq)
		return 0;
	d->acks_ignored++;
	if (d->ack_ignored_logged_at == 0 || now - d->ack_ignored_logged_at >= 60) {
		if (!known)
			log_info("ignoring an acknowledgement of run %s: this sensord holds nothing of "
				 "that run (after a restart, the previous run's is expected once); %llu "
				 "ignored so far", run, (unsigned long long)d->acks_ignored);
		else
			log_warn("ignoring an acknowledgement of run %s up to seq %llu: that run made "
				 "only %llu readings; %llu ignored so far", run, (unsigned long long)seq,
				 (unsigned long long)max_seq, (unsigned long long)d->acks_ignored);
		d->ack_ignored_logged_at = now;
	}
	return -1;
}

static void handle_event(struct daemon *d, struct mqtt_event *ev)
{
	char run[READING_RUN_LEN + 1];
	uint64_t seq;
	size_t confirmed = 0;

	switch (ev->kind) {
	case MQTT_EVENT_CONNECTED:
		log_info("mqtt: connected to %s", d->cfg.mqtt.uri);
		sameid_watch_connected(&d->sameid, clock_real_s());
		publish_retained(d, d->topic_status, "online");
		publish_discovery(d);
		publish_health(d);
		publish_zone(d);
		/* Whatever was in flight may be gone with the old connection. */
		outbox_reset_sent(d->outbox);
		d->mqtt_up = true;
		break;
	case MQTT_EVENT_LOST:
		log_warn("mqtt: %s", ev->detail);
		sameid_watch_lost(&d->sameid, clock_real_s());
		d->mqtt_up = false;
		break;
	case MQTT_EVENT_PUBLISHED:
		/* Tag UINT64_MAX: no outbox entry behind it (publish_retained, events). */
		if (ev->ok && ev->tag != UINT64_MAX && d->cfg.sensord.confirm == CONFIRM_BROKER)
			confirmed = outbox_confirm_id(d->outbox, ev->tag);
		break;
	case MQTT_EVENT_MESSAGE:
		if (strcmp(ev->topic, d->topic_ack) == 0) {
			if (ack_decode(ev->payload, ev->payload_len, run, &seq) < 0)
				log_warn("mqtt: ignoring a malformed acknowledgement on %s", ev->topic);
			else if (d->cfg.sensord.confirm == CONFIRM_COLLECTOR && ack_check(d, run, seq) == 0)
				confirmed = outbox_ack(d->outbox, run, seq);
		} else if (d->topic_ha_status[0] && strcmp(ev->topic, d->topic_ha_status) == 0) {
			if (ev->payload_len == 6 && memcmp(ev->payload, "online", 6) == 0)
				publish_discovery(d);
		} else if (strcmp(ev->topic, d->topic_command) == 0) {
			handle_command(d, ev);
		} else if (strcmp(ev->topic, d->topic_health) == 0) {
			double up_s;

			/* Ours comes back to us; another run's is news (sameid.h). */
			if (health_decode(ev->payload, ev->payload_len, run, &up_s) == 0)
				sameid_watch_health(&d->sameid, run, up_s, clock_real_s());
		}
		break;
	}
	if (confirmed) {
		d->last_progress_real = clock_real_s();
		d->resend_interval_s = d->cfg.sensord.resend_s;
	}
}

/* Hands unsent readings to MQTT while the window has room. When nothing was
 * confirmed for resend_interval_s although readings wait, everything
 * unconfirmed is sent again from the oldest (the broker or collector may have
 * lost it), with the interval doubling while that keeps happening. */
static void pump(struct daemon *d)
{
	struct outbox_stats st;
	double now = clock_real_s();
	struct outbox_entry *e;

	if (!d->mqtt_up || !mqtt_client_connected(d->mqtt))
		return;
	outbox_get_stats(d->outbox, &st);
	if (st.depth == 0) {
		d->last_progress_real = now;
	} else if (now - d->last_progress_real > d->resend_interval_s) {
		log_info("outbox: %zu readings unconfirmed for %.0f s, sending them again", st.depth,
			 now - d->last_progress_real);
		outbox_reset_sent(d->outbox);
		d->last_progress_real = now;
		d->resend_interval_s = fmin(d->resend_interval_s * 2, RESEND_MAX_S);
	}
	while (mqtt_client_pending(d->mqtt) < SEND_WINDOW) {
		const char *payload;
		size_t len;

		e = outbox_next_to_send(d->outbox, now, INFINITY);
		if (!e)
			break;
		payload = e->payload;
		len = e->len;
		if (e->lost_after != OUTBOX_NO_LOSS) {
			/* Readings before it are gone from the outbox for good:
			 * the collector may move its ack past them. */
			int n = reading_add_lost_after(e->payload, e->len, e->lost_after, d->send_buf,
						       sizeof(d->send_buf));

			if (n > 0) {
				payload = d->send_buf;
				len = (size_t)n;
			}
		}
		if (mqtt_client_publish(d->mqtt, d->topic_reading, payload, len, 1, false, e->id) < 0)
			break;
		outbox_mark_sent(d->outbox, e, now);
	}
}

/* Live events go straight to MQTT at QoS 1, not through the outbox: they
 * are feedback for now, worth nothing replayed later (the collector derives
 * the lasting record from the readings). */
static void publish_events(struct daemon *d, double ts_offset_s, const struct detector_event *ev,
			   size_t n)
{
	char buf[16384];

	for (size_t i = 0; i < n; i++) {
		int len = event_encode(&ev[i], d->run, ts_offset_s, buf, sizeof(buf));

		if (ev[i].kind == DETECTOR_EVENT_HOLD_ENDED || ev[i].kind == DETECTOR_EVENT_TOO_HOT ||
		    ev[i].kind == DETECTOR_EVENT_SESSION_ENDED)
			log_debug("event %s", len > 0 ? buf : detector_event_name(ev[i].kind));
		if (d->gpio)
			feedback_player_start(&d->player, feedback_pattern_for_event(ev[i].kind),
					      clock_real_s());
		if (len < 0 || !mqtt_client_connected(d->mqtt) ||
		    mqtt_client_publish(d->mqtt, d->topic_event, buf, (size_t)len, 1, false, UINT64_MAX) < 0)
			d->events_dropped++;
	}
}

/* systemd, after each sample. READY=1 waits for the first reading with a
 * value in it: before that, nothing useful is published. WATCHDOG=1 comes
 * from here, so it stops when sampling stops: a bus read that never returns
 * (a wedged I2C controller) hangs this path and systemd restarts us. A
 * sample whose chips all failed still counts as the loop working: sensord
 * re-initialises failing chips itself, the readings (nulls and faults) keep
 * telling the dashboards, and a restart would not bring a chip back. */
static void sample_notify(struct daemon *d, const struct reading *r)
{
	double now = clock_real_s();
	char line[sizeof(d->status)];
	struct outbox_stats st;

	notify_watchdog(&d->notify, now);
	if (!d->ready && (!isnan(r->pressure_kpa) || !isnan(r->temperature_c))) {
		d->ready = true;
		notify_send(&d->notify, "READY=1");
		log_info("first reading with values (seq %llu): ready", (unsigned long long)r->seq);
	}
	if (now - d->status_at < 1.0)
		return;
	d->status_at = now;
	outbox_get_stats(d->outbox, &st);
	snprintf(line, sizeof(line), "%s%u Hz, %zu of %zu chips answer, broker %s, %zu unconfirmed",
		 d->ready ? "" : "waiting for a chip: ", d->cfg.sensord.sample_hz,
		 d->cfg.sensord.n_sensors - r->n_faults, d->cfg.sensord.n_sensors,
		 mqtt_client_connected(d->mqtt) ? "connected" : "not connected", st.depth);
	if (strcmp(line, d->status) != 0) {
		snprintf(d->status, sizeof(d->status), "%s", line);
		notify_status(&d->notify, line);
	}
}

static void take_sample(struct daemon *d, double tick_mono)
{
	int err = 0;
	struct detector_event ev[DETECTOR_EVENTS_MAX];
	struct reading r = { 0 }, wire;
	char buf[READING_MAX_PAYLOAD];
	size_t n;
	int len;

	/* Same sizes, NUL-terminated: a copy, not a format, per reading. */
	_Static_assert(sizeof(r.run) == sizeof(d->run) && sizeof(r.zone) == sizeof(d->zone),
		       "run and zone match struct reading");
	memcpy(r.run, d->run, sizeof(r.run));
	r.seq = ++d->seq;
	r.mono = tick_mono;
	r.ts = d->cfg.sensord.simulated ? clock_wall_at(tick_mono) : clock_wall_s();
	sampler_sample(d->sampler, tick_mono, &r);
	memcpy(r.zone, d->zone, sizeof(r.zone));
	r.end_session = d->end_session_pending;
	d->end_session_pending = false;
	len = reading_encode(&r, buf, sizeof(buf));
	if (len < 0) {
		log_error("reading %llu does not encode; dropped", (unsigned long long)r.seq);
		return;
	}
	if (outbox_append(d->outbox, d->run, r.seq, buf, (size_t)len) < 0)
		log_error("outbox: out of memory; reading %llu lost", (unsigned long long)r.seq);
	/* Into the file at once (no sync: the disk still sees one write per
	 * flush_s), so a crash or kill -9 of sensord loses no reading. Logged
	 * once per failing stretch, not per sample. */
	else if ((err = outbox_write(d->outbox)) < 0 && !d->outbox_write_failing)
		log_warn("outbox: write failed: %s; will retry", strerror(-err));
	d->outbox_write_failing = err < 0;
	/* The detector is fed the reading as the wire carries it (channels to
	 * 2 decimals, times to 3), which is what the collector's detector
	 * reads: fed the sample's own values, a last contact of 1.998 kPa
	 * was none here but "2.00" there, and the two ended the session on
	 * different readings. reading_as_sent gives those numbers without
	 * parsing the text back (test_reading holds it to the decoder). */
	reading_as_sent(&r, &wire);
	n = detector_feed(d->detector, wire.mono, wire.pressure_kpa, wire.temperature_c,
			  wire.has_rotation ? wire.rotation_dps : NAN, 1.0 / d->cfg.sensord.sample_hz,
			  ev, DETECTOR_EVENTS_MAX);
	publish_events(d, wire.ts - wire.mono, ev, n);
	if (r.end_session) {
		/* After feeding it, as the collector does: the reading that
		 * carries end_session is the session's last sample. */
		n = detector_end_session(d->detector, NAN, ev, DETECTOR_EVENTS_MAX);
		publish_events(d, wire.ts - wire.mono, ev, n);
	}
	sample_notify(d, &r);
}

/* A double press: the next zone in the list, its position blinked. */
static void zone_step(struct daemon *d, double now_real)
{
	const char *next = zone_state_next(&d->cfg.zones, d->zone);

	if (!next) {
		log_info("button: double press: zones are off (the configuration's list is empty)");
		return;
	}
	zone_set(d, next, "button");
	feedback_player_start_zone(&d->player, (unsigned)zones_find(&d->cfg.zones, next) + 1,
				   now_real);
}

/* The fd that tells of button changes, or -1: none, or it failed. */
static int button_fd(const struct daemon *d)
{
	return d->gpio && !d->button_fd_failed ? d->gpio->button_fd : -1;
}

/* The button and the outputs, at every pass of the loop. A lone short press
 * tares, a double press steps the zone, a long one ends the session at the
 * next reading; each is acknowledged with its pattern at once. Returns the
 * real time by which the loop must come back: soon while a press may be
 * under way (debounce_ms needs a few polls) or while the button has no
 * button_fd to wake us, at the next edge of a pattern, else INFINITY. */
static double feedback_poll(struct daemon *d)
{
	double now = clock_real_s(), wake = INFINITY;
	struct feedback_levels lv;
	enum feedback_press press;
	int raw;

	/* Idle and unchanged since (button_fd quiet): nothing to read. */
	if (d->gpio->has_button &&
	    (button_fd(d) < 0 || !feedback_button_idle(&d->button) || d->button_changed)) {
		d->button_changed = false;
		raw = d->gpio->button(d->gpio);
		if (raw < 0 && !d->gpio_failed_logged) {
			log_warn("feedback: reading the button on %s: %s", d->gpio->name, strerror(-raw));
			d->gpio_failed_logged = true;
		}
		press = feedback_button_feed(&d->button, now, raw > 0);
		if (press == FEEDBACK_PRESS_SHORT) {
			tare(d, "button: short press", true);
		} else if (press == FEEDBACK_PRESS_LONG) {
			log_info("button: long press: ending the session");
			d->end_session_pending = true;
			feedback_player_start(&d->player, FEEDBACK_PATTERN_SESSION_END, now);
		} else if (press == FEEDBACK_PRESS_DOUBLE) {
			log_info("button: double press: next zone");
			zone_step(d, now);
		}
		if (button_fd(d) < 0 || !feedback_button_idle(&d->button))
			wake = now + FEEDBACK_POLL_S;
	}
	lv = feedback_player_levels(&d->player, now);
	if (lv.led != d->led_on && d->gpio->set(d->gpio, GPIO_OUTPUT_LED, lv.led) == 0)
		d->led_on = lv.led;
	if (lv.buzzer != d->buzzer_on && d->gpio->set(d->gpio, GPIO_OUTPUT_BUZZER, lv.buzzer) == 0)
		d->buzzer_on = lv.buzzer;
	return fmin(wake, lv.next_change_s);
}

/* The counters in one log line; also the cron job, so it returns true. */
static bool log_health(struct daemon *d)
{
	struct outbox_stats ob;
	struct mqtt_stats ms;
	struct sampler_stats ss;

	outbox_get_stats(d->outbox, &ob);
	mqtt_client_get_stats(d->mqtt, &ms);
	sampler_get_stats(d->sampler, &ss);
	log_info("health: run %s readings %llu, chip faults %llu, reinits %llu, missed ticks %llu, "
		 "outbox %zu (dropped %llu, damaged regions %llu), published %llu, reconnects %llu, "
		 "events not sent %llu, acks ignored %llu, commands refused %llu",
		 d->run, (unsigned long long)d->seq, ss.faults, ss.reinits,
		 (unsigned long long)d->missed_ticks, ob.depth, (unsigned long long)ob.dropped,
		 (unsigned long long)ob.corrupt_regions, (unsigned long long)ms.published_ok,
		 (unsigned long long)ms.connects, (unsigned long long)d->events_dropped,
		 (unsigned long long)d->acks_ignored, (unsigned long long)d->commands_refused);
	return true;
}

/* ---- the loop's periodic jobs (redis' serverCron) ---- */

/* A job runs when period_s has passed since *last (real time). It returns
 * true when it did its work, and *last becomes the pass's time; false leaves
 * *last alone, so it is tried again at the next pass. The period is read at
 * every pass, as a reload may change it. */
struct cron_job {
	const double *period_s;
	double *last;
	bool (*fn)(struct daemon *d);
};

static const double drops_log_every_s = 60.0;
/* The retained <prefix>/<device>/health counters (Home Assistant's chip
 * fault count) are refreshed this often. */
static const double health_publish_every_s = 60.0;
static const double health_every_s = 300.0;
static const double sameid_every_s = 1.0;

/* Makes what was written since the last flush durable (outbox.h). */
static bool job_flush(struct daemon *d)
{
	int err = outbox_flush(d->outbox);

	if (err < 0)
		log_warn("outbox: write failed: %s; will retry", strerror(-err));
	return true;
}

/* Drops by a full outbox, in one line a minute at most. */
static bool job_log_drops(struct daemon *d)
{
	struct outbox_stats st;

	outbox_get_stats(d->outbox, &st);
	if (st.dropped <= d->outbox_dropped_logged)
		return false;
	log_warn("outbox full (sensord.outbox_max %zu): %llu oldest readings dropped, %llu in all",
		 d->cfg.sensord.outbox_max,
		 (unsigned long long)(st.dropped - d->outbox_dropped_logged),
		 (unsigned long long)st.dropped);
	d->outbox_dropped_logged = st.dropped;
	return true;
}

/* The retained health counters, while connected. publish_health() notes the
 * time itself (a connect publishes them too), so this returns false. */
static bool job_publish_health(struct daemon *d)
{
	if (mqtt_client_connected(d->mqtt))
		publish_health(d);
	return false;
}

/* Another sensord under our device_id: said while the signs last, at
 * most once a minute, in the log and (at once) in health; and said when
 * they stop. Runs every second. */
static bool job_sameid(struct daemon *d)
{
	double now = clock_real_s();
	const char *other = sameid_watch_other(&d->sameid, now);

	if (other) {
		bool news = strcmp(other, d->sameid_said) != 0;

		if (news || now - d->sameid_logged_at >= 60) {
			log_warn("another sensord (run %s) uses device_id \"%s\" on this broker: give "
				 "each tool its own device_id", other, d->cfg.device_id);
			d->sameid_logged_at = now;
		}
		snprintf(d->sameid_said, sizeof(d->sameid_said), "%s", other);
		if (news && d->mqtt_up)
			publish_health(d);
	} else if (d->sameid_said[0]) {
		log_info("no sign of another sensord (run %s) under device_id \"%s\" for %.0f s",
			 d->sameid_said, d->cfg.device_id, SAMEID_CLEAR_S);
		d->sameid_said[0] = '\0';
		if (d->mqtt_up)
			publish_health(d);
	}
	return true;
}

/* Runs the jobs that are due, in the table's order. */
static void cron_run(struct daemon *d, const struct cron_job *jobs, size_t n, double now_real)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (now_real - *jobs[i].last >= *jobs[i].period_s && jobs[i].fn(d))
			*jobs[i].last = now_real;
	}
}

/* SIGHUP's zones: the new list at once; the current zone cleared if it is
 * gone from it, and the topic published again either way (its position
 * and count may have moved). */
static void zones_reload(struct daemon *d, const struct zones_cfg *next)
{
	d->cfg.zones = *next;
	if (d->zone[0] && zones_find(next, d->zone) < 0) {
		log_info("zone: %s is no longer in the configuration's zones", d->zone);
		zone_set(d, "", "reload");
	} else if (d->mqtt_up) {
		publish_zone(d);
	}
}

/* SIGHUP: a new config is loaded whole and checked before anything changes.
 * What the running loop can take over at once (log level, sample rate,
 * outbox timing, gauge, detector, zones) it takes; a change of chips, broker,
 * identity, GPIO feedback or Home Assistant needs a restart, which the log
 * says, naming the keys (the schema in config.c knows which). */
static void reload(struct daemon *d)
{
	struct rs_config next;

	if (daemon_config_reload(&d->cfg, &next, CONFIG_SENSORD, sensord_cfg_check,
				 "device, MQTT, chip, state_dir, feedback or Home Assistant changes") < 0)
		return;
	d->cfg.sensord.sample_hz = next.sensord.sample_hz;
	d->cfg.sensord.resend_s = next.sensord.resend_s;
	d->cfg.sensord.flush_s = next.sensord.flush_s;
	d->cfg.sensord.gauge = next.sensord.gauge;
	d->cfg.detector = next.detector;
	zones_reload(d, &next.zones);
	explicit_bzero(&next, sizeof(next));	/* no copy of the password stays on the stack */
	log_info("reload done");
}

/* Takes the state directory for this run: an exclusive, non-blocking flock
 * on the directory itself, held (d->state_dir_fd open) until the process
 * ends. Two sensords on one outbox would each send, confirm and compact the
 * other's readings: some lost, some sent twice. 0, or -1 logged. */
static int state_dir_lock(struct daemon *d)
{
	const char *dir = d->cfg.sensord.state_dir;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), e;

	if (fd < 0) {
		log_error("%s: sensord.state_dir: cannot open %s: %s", d->cfg.path, dir, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		d->state_dir_fd = fd;
		return 0;
	}
	e = errno;
	if (e == EWOULDBLOCK)
		log_error("%s: sensord.state_dir: %s is in use by another rollsense-sensord; give each "
			  "tool its own state directory (sensord.state_dir, or --state-dir)", d->cfg.path, dir);
	else
		log_error("%s: sensord.state_dir: cannot lock %s: %s", d->cfg.path, dir, strerror(e));
	close(fd);
	return -1;
}

static int run_daemon(struct daemon *d)
{
	struct mqtt_will will = { .topic = d->topic_status, .payload = "offline", .retained = true };
	char err[512], client_id[160], outbox_dir[CONFIG_PATH_MAX + 16];
	struct outbox_stats st;
	double period, next_tick, last_flush, last_health, last_sameid, end_s, drain_started = 0;
	bool sampling = true;
	int rc = 0, rc_flush;
	/* Run in this order at each pass, after the MQTT events and the pump. */
	const struct cron_job jobs[] = {
		{ &d->cfg.sensord.flush_s, &last_flush, job_flush },
		{ &drops_log_every_s, &d->outbox_drop_logged_at, job_log_drops },
		{ &health_publish_every_s, &d->health_published_at, job_publish_health },
		{ &health_every_s, &last_health, log_health },
		{ &sameid_every_s, &last_sameid, job_sameid },
	};

	topic_build(d->topic_reading, sizeof(d->topic_reading), d->cfg.mqtt.topic_prefix, d->cfg.device_id, "reading");
	topic_build(d->topic_status, sizeof(d->topic_status), d->cfg.mqtt.topic_prefix, d->cfg.device_id, "status");
	topic_build(d->topic_ack, sizeof(d->topic_ack), d->cfg.mqtt.topic_prefix, d->cfg.device_id, "ack");
	topic_build(d->topic_command, sizeof(d->topic_command), d->cfg.mqtt.topic_prefix, d->cfg.device_id, "command");
	topic_build(d->topic_event, sizeof(d->topic_event), d->cfg.mqtt.topic_prefix, d->cfg.device_id, "event");
	topic_build(d->topic_health, sizeof(d->topic_health), d->cfg.mqtt.topic_prefix, d->cfg.device_id, "health");
	topic_build(d->topic_zone, sizeof(d->topic_zone), d->cfg.mqtt.topic_prefix, d->cfg.device_id, "zone");
	if (d->cfg.homeassistant.enabled)
		snprintf(d->topic_ha_status, sizeof(d->topic_ha_status), "%s/status",
			 d->cfg.homeassistant.discovery_prefix);

	if (mkdir(d->cfg.sensord.state_dir, 0700) < 0 && errno != EEXIST) {
		log_error("%s: sensord.state_dir: cannot create %s: %s", d->cfg.path,
			  d->cfg.sensord.state_dir, strerror(errno));
		return 1;
	}
	if (state_dir_lock(d) < 0)
		return DAEMON_EXIT_CONFIG;
	snprintf(d->zone_path, sizeof(d->zone_path), "%s/%s", d->cfg.sensord.state_dir, ZONE_STATE_FILE);
	zone_restore(d);
	snprintf(outbox_dir, sizeof(outbox_dir), "%s/outbox", d->cfg.sensord.state_dir);
	d->outbox = outbox_open(outbox_dir, d->cfg.sensord.outbox_max);
	if (!d->outbox) {
		log_error("outbox %s: %s", outbox_dir, strerror(errno));
		return 1;
	}
	outbox_get_stats(d->outbox, &st);
	if (st.recovered)
		log_info("outbox: %llu unconfirmed readings from earlier runs will be sent again",
			 (unsigned long long)st.recovered);
	/* Loss is never silent: damage found in the files is logged here, and
	 * each reading after it tells the collector. */
	if (st.corrupt_regions)
		log_error("outbox: %llu damaged regions (%llu bytes) in %s were skipped; the readings "
			  "in them are lost, and the collector is told so with the next ones sent",
			  (unsigned long long)st.corrupt_regions, (unsigned long long)st.corrupt_bytes,
			  outbox_dir);

	snprintf(client_id, sizeof(client_id), "rollsense-sensord-%s", d->cfg.device_id);
	d->mqtt = mqtt_client_new(&d->cfg.mqtt, d->cfg.mqtt.client_id[0] ? d->cfg.mqtt.client_id :
				  client_id, &will, err, sizeof(err));
	if (!d->mqtt) {
		log_error("%s: %s", d->cfg.path, err);
		outbox_close(d->outbox);
		return 1;
	}
	/* The loop below comes round every MQTT_POLLED_MAX_S at the latest,
	 * so acks and commands need not wake it (a wake-up a second, and the
	 * contention it brought, at 10 Hz). */
	mqtt_client_set_polled(d->mqtt, true);
	mqtt_client_subscribe(d->mqtt, d->topic_ack, 1);
	mqtt_client_subscribe(d->mqtt, d->topic_command, 1);
	/* The retained health tells us of another sensord under our id. */
	mqtt_client_subscribe(d->mqtt, d->topic_health, 1);
	if (d->topic_ha_status[0])
		mqtt_client_subscribe(d->mqtt, d->topic_ha_status, 1);
	if (mqtt_client_start(d->mqtt, err, sizeof(err)) < 0)
		log_warn("%s (retrying)", err);
	if (d->cfg.sensord.feedback.chip[0]) {
		/* Feedback is a comfort: without it the readings still flow. */
		d->gpio = gpio_open(&d->cfg.sensord.feedback, d->cfg.sensord.state_dir, err, sizeof(err));
		if (!d->gpio)
			log_error("%s: %s; running without feedback", d->cfg.path, err);
		feedback_button_init(&d->button, d->cfg.sensord.feedback.debounce_ms,
				     d->cfg.sensord.feedback.long_press_s,
				     d->cfg.sensord.feedback.double_press_s);
	}

	if (notify_init(&d->notify) < 0)
		log_warn("systemd: NOTIFY_SOCKET or WATCHDOG_USEC unusable; %s",
			 d->notify.enabled ? "no watchdog pings" : "no notifications");
	log_info("run %s: device %s, %u Hz, %zu chips, broker %s, state %s%s", d->run,
		 d->cfg.device_id, d->cfg.sensord.sample_hz, d->cfg.sensord.n_sensors, d->cfg.mqtt.uri,
		 d->cfg.sensord.state_dir, d->cfg.sensord.simulated ? ", simulated gear" : "");
	d->resend_interval_s = d->cfg.sensord.resend_s;
	d->last_progress_real = clock_real_s();
	end_s = d->cfg.sensord.sim.exit_at_end ? sampler_sim_end_s(d->sampler) : 0;
	period = 1.0 / d->cfg.sensord.sample_hz;
	/* Simulated chips: the first sample falls within the scenario's first
	 * period however long start-up took (a loaded machine, valgrind), and
	 * the loop catches up tick by tick, so no scenario time is skipped.
	 * It keeps the phase start-up gave, as on real chips: ticks on exact
	 * multiples of the period would sit on the scenario's round-numbered
	 * edges. Real chips start now. */
	next_tick = clock_mono_s();
	if (d->cfg.sensord.simulated)
		next_tick = fmod(next_tick, period);
	last_flush = last_health = last_sameid = clock_real_s();

	while (!daemon_stop_requested) {
		struct pollfd pfd[2] = { { .fd = mqtt_client_fd(d->mqtt), .events = POLLIN },
					 { .fd = button_fd(d), .events = POLLIN } };
		struct mqtt_event ev;
		double now = clock_mono_s(), now_real, wait_s;
		int err_drain;

		if (daemon_reload_requested) {
			daemon_reload_requested = 0;
			if (d->ready)
				notify_reloading(&d->notify);
			reload(d);
			period = 1.0 / d->cfg.sensord.sample_hz;
			if (d->ready)
				notify_send(&d->notify, "READY=1");
		}
		if (daemon_usr1_requested) {
			daemon_usr1_requested = 0;
			tare(d, "SIGUSR1", false);
		}
		if (sampling && now >= next_tick) {
			take_sample(d, next_tick);
			next_tick += period;
			/* Drift-free: ticks stay on the grid. On real chips a
			 * stall skips ticks rather than bunching readings (the
			 * gap is real). Simulated chips live on the sample
			 * timeline: a late loop catches up, tick by tick, and the
			 * data is the same however loaded the machine is. */
			if (!d->cfg.sensord.simulated && now - next_tick > period) {
				double missed = floor((now - next_tick) / period);

				d->missed_ticks += (uint64_t)missed;
				next_tick += missed * period;
			}
			if (end_s > 0 && next_tick > end_s) {
				sampling = false;
				drain_started = clock_real_s();
				(void)outbox_flush(d->outbox);	/* retried below, and logged there */
				log_info("scenario ended at %.1f s: %llu readings; waiting for confirmation",
					 end_s, (unsigned long long)d->seq);
			}
		}
		while (mqtt_client_next(d->mqtt, &ev) == 0) {
			handle_event(d, &ev);
			mqtt_event_clear(&ev);
		}
		pump(d);
		now_real = clock_real_s();
		mqtt_client_tick(d->mqtt, now_real);
		cron_run(d, jobs, sizeof(jobs) / sizeof(jobs[0]), now_real);
		if (!sampling) {
			/* Sampling ended by design (simulation): waiting is the work. */
			notify_watchdog(&d->notify, now_real);
			outbox_get_stats(d->outbox, &st);
			if (st.depth == 0) {
				log_info("all %llu readings confirmed", (unsigned long long)d->seq);
				break;
			}
			if (now_real - drain_started > DRAIN_TIMEOUT_S) {
				log_warn("%zu readings still unconfirmed after %.0f s; they stay in the outbox",
					 st.depth, DRAIN_TIMEOUT_S);
				rc = 1;
				break;
			}
		}
		wait_s = fmin(sampling ? (next_tick - clock_mono_s()) / clock_scale() : 0.05,
			      MQTT_POLLED_MAX_S);
		if (d->gpio)
			wait_s = fmin(wait_s, feedback_poll(d) - clock_real_s());
		if (wait_s > 0 && poll(pfd, 2, (int)ceil(wait_s * 1000)) < 0 && errno != EINTR)
			log_warn("poll: %s", strerror(errno));
		/* The button changed: feedback_poll at the next pass reads it. */
		if (pfd[1].fd >= 0 && (pfd[1].revents & POLLIN)) {
			d->button_changed = true;
			if ((err_drain = d->gpio->button_drain(d->gpio)) < 0) {
				log_warn("feedback: button events on %s: %s; polling the button instead",
					 d->gpio->name, strerror(-err_drain));
				d->button_fd_failed = true;
			}
		}
	}

	notify_send(&d->notify, "STOPPING=1");
	if ((rc_flush = outbox_flush(d->outbox)) < 0)
		log_error("outbox: final write failed: %s", strerror(-rc_flush));
	if (mqtt_client_connected(d->mqtt))
		publish_retained(d, d->topic_status, "offline");
	(void)log_health(d);
	mqtt_client_free(d->mqtt, 2000);
	if (d->gpio)
		d->gpio->close(d->gpio);
	outbox_close(d->outbox);
	close(d->state_dir_fd);		/* the lock goes with it */
	return rc;
}

int main(int argc, char **argv)
{
	static struct daemon d;
	struct daemon_options o;
	char err[1024];
	int rc;

	d.state_dir_fd = -1;
	rc = daemon_options_parse(argc, argv, "rollsense-sensord", true, false, usage, &o);
	if (rc >= 0)
		return rc;
	state_dir_arg = o.state_dir;
	rc = daemon_config_start(&o, &d.cfg, sensord_cfg_check);
	if (rc >= 0)
		return rc;

	daemon_signals_install(true);

	clock_start(d.cfg.sensord.simulated ? d.cfg.sensord.sim.time_scale : 1.0);
	new_run_id(d.run);
	sameid_watch_init(&d.sameid, d.run);
	d.sampler = sampler_new(&d.cfg.sensord, err, sizeof(err));
	if (!d.sampler) {
		fprintf(stderr, "%s: %s\n", o.config_path, err);
		return 1;
	}
	d.detector = detector_new(&d.cfg.detector);
	if (!d.detector) {
		fprintf(stderr, "%s: detector: %s\n", o.config_path, strerror(errno));
		sampler_free(d.sampler);
		return 1;
	}
	rc = o.once ? run_once(&d) : run_daemon(&d);
	detector_free(d.detector);
	sampler_free(d.sampler);
	return rc;
}
