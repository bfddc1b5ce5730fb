/* rollsense-collector: subscribes to the readings of every device, stores
 * them, finds sessions and holds, acknowledges what is stored and publishes
 * session summaries; and "report" prints what is stored.
 *
 * One thread of our own, like sensord: Paho's threads only queue events,
 * this loop takes them, and the ingest batches the database writes. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "homeassistant.h"
#include "ingest.h"
#include "log.h"
#include "mqtt.h"
#include "notify.h"
#include "pages.h"
#include "reading.h"
#include "report.h"
#include "serve.h"
#include "store.h"
#include "topic.h"
#include "watch.h"

#define HEALTH_EVERY_S 300.0
#define PURGE_EVERY_S 3600.0
/* Home Assistant's timed work (the day's rollover, what is due to publish)
 * runs this often, not every round of the loop: a round can be one message,
 * and the work walks every device and asks the time zone for the day. */
#define HA_TICK_EVERY_S 0.2
/* A round that found fewer messages than this waits GATHER_NS before the
 * next, so that under a steady stream a round takes dozens of messages, not
 * one: every round costs system calls (the clock, poll, the eventfd, the
 * lock Paho's thread takes per message), and with a round per message they
 * were half the loop's CPU time (bench part 2). Readings wait at most that
 * long more; an idle collector sleeps in poll() as before. */
#define GATHER_BELOW 64
#define GATHER_NS 1000000L
/* Messages came, then nothing for this long: the burst is over, and a
 * backlog in it is committed and acknowledged (ingest_quiet). Longer than
 * the pauses inside a burst, short beside commit_s. */
#define QUIET_MS 10

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: rollsense-collector [--config PATH] [--check-config]\n"
		"       rollsense-collector [--config PATH] report [--json | --csv | --html FILE]\n"
		"                           [--device ID] [--since TIME] [--until TIME]\n"
		"                           [--weekly] [--by zone]\n"
		"       rollsense-collector [--config PATH] serve\n"
		"       rollsense-collector [--config PATH] watch [--device ID]\n"
		"Stores the readings of rollsense devices, finds sessions and trigger-point\n"
		"holds, and publishes session summaries; \"report\" prints what is stored.\n\n"
		"  -c, --config PATH   configuration file (default %s)\n"
		"      --check-config  validate the configuration and exit\n"
		"  -v, --verbose       log debug messages\n"
		"  -h, --help          this help\n"
		"  -V, --version       print the version\n\n"
		"report: sessions and each device's daily totals as a table (--json, or --csv\n"
		"for the sessions alone, for programs; --html: one self-contained page with\n"
		"each session's picture and the history, FILE \"-\" for stdout); TIME is\n"
		"YYYY-MM-DD, \"YYYY-MM-DD HH:MM\" (local time) or Unix seconds. --weekly\n"
		"and --by zone: the totals alone, per ISO week and per zone, and the advice.\n"
		"serve: the web page (live view, sessions, history) and its JSON API on\n"
		"web.listen (default http://127.0.0.1:8480/), the database read-only.\n"
		"watch: the devices' pressure, hold timer and heat, live, in the terminal\n"
		"(plain lines when the output is not a terminal); Ctrl-C quits.\n",
		CONFIG_DEFAULT_PATH);
}

/* The ingest's and Home Assistant's edge to MQTT. A session summary going
 * out also makes that device's daily totals due. */
struct publisher {
	struct mqtt_client *mqtt;
	struct homeassistant *ha;	/* NULL until made */
};

static int publish(void *ctx, const char *topic, const char *payload, size_t len, bool retained)
{
	struct publisher *p = ctx;
	int rc = mqtt_client_publish(p->mqtt, topic, payload, len, 1, retained, 0);

	if (rc == 0 && p->ha)
		homeassistant_published(p->ha, topic);
	return rc;
}

static void log_health(const struct ingest *ing, const struct mqtt_client *mqtt)
{
	struct ingest_stats st;
	struct mqtt_stats ms;
	char drops[384];
	size_t pos = 0;

	ingest_get_stats(ing, &st);
	mqtt_client_get_stats(mqtt, &ms);
	drops[0] = '\0';
	for (unsigned k = 1; k < INGEST_DROP_KINDS && pos < sizeof(drops); k++)
		pos += (size_t)snprintf(drops + pos, sizeof(drops) - pos, "%s%s %llu", k > 1 ? ", " : "",
					ingest_drop_name(k), (unsigned long long)st.dropped[k]);
	log_info("health: messages %llu, stored %llu, duplicates %llu, missing %llu, late %llu, "
		 "lost %llu, conflicts %llu, sessions %llu, revised %llu, runs %zu (evicted %llu), "
		 "commits %llu, reconnects %llu; dropped: %s, oversize %llu",
		 (unsigned long long)st.messages, (unsigned long long)st.stored,
		 (unsigned long long)st.duplicates, (unsigned long long)st.missing,
		 (unsigned long long)st.late, (unsigned long long)st.lost,
		 (unsigned long long)st.conflicts, (unsigned long long)st.sessions,
		 (unsigned long long)st.revisions, st.runs, (unsigned long long)st.evicted,
		 (unsigned long long)st.commits, (unsigned long long)ms.connects, drops,
		 (unsigned long long)ms.dropped_oversize);
}

/* STATUS= for systemctl status: the few numbers that say it works. */
static void notify_collector_status(const struct notify *n, const struct ingest *ing,
				    const struct mqtt_client *mqtt)
{
	struct ingest_stats st;
	char line[160];

	if (!n->enabled)
		return;
	ingest_get_stats(ing, &st);
	snprintf(line, sizeof(line), "broker %s, %zu runs, %llu readings stored, %llu sessions",
		 mqtt_client_connected(mqtt) ? "connected" : "not connected", st.runs,
		 (unsigned long long)st.stored, (unsigned long long)st.sessions);
	notify_status(n, line);
}

static void reload(struct rs_config *cfg)
{
	struct rs_config next;

	if (daemon_config_reload(cfg, &next, CONFIG_COLLECTOR, NULL,
				 "MQTT, database, detector and Home Assistant changes") < 0)
		return;
	cfg->collector.retention_days = next.collector.retention_days;
	cfg->collector.commit_s = next.collector.commit_s;
	cfg->collector.gap_timeout_s = next.collector.gap_timeout_s;
	explicit_bzero(&next, sizeof(next));	/* no copy of the password stays on the stack */
	log_info("reload done");
}

static void purge(struct ingest *ing, struct store *st, const struct rs_config *cfg)
{
	struct timespec now;
	long n;

	if (cfg->collector.retention_days == 0)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	if (ingest_flush(ing, clock_real_s()) < 0)
		return;
	n = store_readings_purge(st, (double)now.tv_sec - cfg->collector.retention_days * 86400.0);
	if (n > 0)
		log_info("retention: %ld readings older than %u days deleted", n,
			 cfg->collector.retention_days);
}

static int run_daemon(struct rs_config *cfg)
{
	/* The availability of the collector's Home Assistant entities: online
	 * after every connect, offline when it stops cleanly or, as its will,
	 * when the broker loses it. */
	char status_topic[256];
	struct mqtt_will will = { .topic = status_topic, .payload = "offline", .retained = true };
	char err[512], filter[256];
	struct mqtt_client *mqtt;
	struct publisher pub = { 0 };
	struct homeassistant *ha;
	struct ingest *ing;
	struct store *st;
	struct ingest_env env;
	double last_health, last_purge, last_status = 0, last_ha_tick = 0;
	struct notify notify;
	bool ready = false;
	bool burst = false;	/* messages came since the queue was last quiet */
	int rc = 0;

	daemon_signals_install(false);
	clock_start(1.0);
	if (notify_init(&notify) < 0)
		log_warn("systemd: NOTIFY_SOCKET or WATCHDOG_USEC unusable; %s",
			 notify.enabled ? "no watchdog pings" : "no notifications");

	st = store_open(cfg->collector.database, err, sizeof(err));
	if (!st) {
		log_error("%s", err);
		return 1;
	}
	if (topic_collector_build(status_topic, sizeof(status_topic), cfg->mqtt.topic_prefix) < 0) {
		log_error("%s: mqtt.topic_prefix: too long", cfg->path);
		store_close(st);
		return 1;
	}
	mqtt = mqtt_client_new(&cfg->mqtt, cfg->mqtt.client_id[0] ? cfg->mqtt.client_id :
			       "rollsense-collector", &will, err, sizeof(err));
	if (!mqtt) {
		log_error("%s: %s", cfg->path, err);
		store_close(st);
		return 1;
	}
	/* Nothing the collector subscribes to is larger than a reading: a
	 * bigger payload is dropped in Paho's callback, before it is copied. */
	mqtt_client_set_inbound_limits(mqtt, READING_MAX_PAYLOAD, 0);
	pub.mqtt = mqtt;
	env = (struct ingest_env){ cfg, st, publish, &pub };
	ing = ingest_new(&env);
	ha = ing ? homeassistant_new(&env) : NULL;
	if (!ha) {
		log_error("out of memory");
		ingest_free(ing);
		mqtt_client_free(mqtt, 0);
		store_close(st);
		return 1;
	}
	pub.ha = ha;
	snprintf(filter, sizeof(filter), "%s/+/reading", cfg->mqtt.topic_prefix);
	mqtt_client_subscribe(mqtt, filter, 1);
	snprintf(filter, sizeof(filter), "%s/+/status", cfg->mqtt.topic_prefix);
	mqtt_client_subscribe(mqtt, filter, 1);
	if (homeassistant_status_filter(ha))
		mqtt_client_subscribe(mqtt, homeassistant_status_filter(ha), 1);
	if (mqtt_client_start(mqtt, err, sizeof(err)) < 0)
		log_warn("%s (retrying)", err);
	log_info("collecting %s/+/reading from %s into %s", cfg->mqtt.topic_prefix, cfg->mqtt.uri,
		 cfg->collector.database);
	last_health = clock_real_s();
	last_purge = last_health - PURGE_EVERY_S + 10;	/* first purge soon after start */

	while (!daemon_stop_requested) {
		struct pollfd pfd = { .fd = mqtt_client_fd(mqtt), .events = POLLIN };
		struct mqtt_event ev;
		/* The messages of a round share the clock's reading, taken again
		 * with each tick below (every 1,000): the clock is a system call on
		 * some machines, and a reading's arrival needs no finer time. */
		double now = clock_real_s();
		size_t taken = 0;

		if (daemon_reload_requested) {
			daemon_reload_requested = 0;
			if (ready)
				notify_reloading(&notify);
			reload(cfg);
			if (ready)
				notify_send(&notify, "READY=1");
		}
		/* Bounded per round, so commits and acks keep flowing under load. */
		while (taken < 20000 && mqtt_client_next(mqtt, &ev) == 0) {
			taken++;
			switch (ev.kind) {
			case MQTT_EVENT_MESSAGE:
				/* Home Assistant's birth message is not a malformed
				 * reading: it is not counted as a dropped one. */
				if (!homeassistant_message(ha, ev.topic, ev.payload, ev.payload_len))
					ingest_message(ing, ev.topic, ev.payload, ev.payload_len,
						       now);
				break;
			case MQTT_EVENT_CONNECTED:
				log_info("mqtt: connected to %s", cfg->mqtt.uri);
				mqtt_client_publish(mqtt, status_topic, "online", 6, 1, true, 0);
				ingest_republish(ing);
				homeassistant_connected(ha);
				/* The database is open and the subscriptions go out
				 * with this connection: readings can flow. */
				if (!ready) {
					ready = true;
					notify_send(&notify, "READY=1");
				}
				break;
			case MQTT_EVENT_LOST:
				log_warn("mqtt: %s", ev.detail);
				break;
			case MQTT_EVENT_PUBLISHED:
				break;
			}
			mqtt_event_clear(&ev);
			if (taken % 1000 == 0) {
				now = clock_real_s();
				ingest_tick(ing, now);
			}
		}
		now = clock_real_s();
		ingest_tick(ing, now);
		if (taken > 0)
			burst = true;
		if (now - last_ha_tick >= HA_TICK_EVERY_S && mqtt_client_connected(mqtt)) {
			homeassistant_tick(ha, clock_wall_s());
			last_ha_tick = now;
		}
		mqtt_client_tick(mqtt, now);
		/* Every round (poll wakes it at least every 50 ms): a loop stuck
		 * in the database or on a lock stops the pings. */
		notify_watchdog(&notify, now);
		if (now - last_status >= 5.0) {
			notify_collector_status(&notify, ing, mqtt);
			last_status = now;
		}
		if (now - last_health >= HEALTH_EVERY_S) {
			log_health(ing, mqtt);
			last_health = now;
		}
		if (now - last_purge >= PURGE_EVERY_S) {
			purge(ing, st, cfg);
			last_purge = now;
		}
		if (taken == 0) {
			/* After a burst, nothing for QUIET_MS ends it. */
			int n = poll(&pfd, 1, burst ? QUIET_MS : 50);

			if (n < 0 && errno != EINTR)
				log_warn("poll: %s", strerror(errno));
			if (n == 0 && burst) {
				ingest_quiet(ing, clock_real_s());
				burst = false;
			}
		}
		if (taken > 0 && taken < GATHER_BELOW)
			nanosleep(&(struct timespec){ .tv_nsec = GATHER_NS }, NULL);
	}

	notify_send(&notify, "STOPPING=1");
	if (ingest_flush(ing, clock_real_s()) < 0)
		rc = 1;
	log_health(ing, mqtt);
	if (mqtt_client_connected(mqtt))
		mqtt_client_publish(mqtt, status_topic, "offline", 7, 1, true, 0);
	mqtt_client_free(mqtt, 2000);
	homeassistant_free(ha);
	ingest_free(ing);
	store_close(st);
	return rc;
}

/* report --html PATH ("-": stdout): the pages' report file. 0, or 1 with
 * what went wrong said. */
static int report_html(struct store *st, const struct rs_config *cfg, const struct report_query *q,
		       const char *path)
{
	struct route r = { .kind = ROUTE_SESSIONS, .since_ts = q->since_ts,
			   .until_ts = q->until_ts };
	bool to_stdout = strcmp(path, "-") == 0;
	FILE *out = to_stdout ? stdout : fopen(path, "w");
	bool write_failed;
	int rc, saved;

	if (!out) {
		fprintf(stderr, "report: --html: %s: %s\n", path, strerror(errno));
		return 1;
	}
	snprintf(r.device, sizeof(r.device), "%s", q->device ? q->device : "");
	rc = pages_report_html(st, cfg, &r, out);
	errno = 0;
	write_failed = fflush(out) != 0 || ferror(out);
	saved = errno;
	if (!to_stdout && fclose(out) != 0 && !write_failed) {
		write_failed = true;
		saved = errno;
	}
	if (write_failed) {
		fprintf(stderr, "report: --html: %s: %s\n", path, strerror(saved ? saved : EIO));
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "report: --html: %s: the database could not be read\n", path);
		return 1;
	}
	return 0;
}

static int run_report(const struct rs_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'C' },
		{ "html", required_argument, NULL, 'H' },
		{ "device", required_argument, NULL, 'd' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "by", required_argument, NULL, 'b' },
		{ "weekly", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct report_query q = { .since_ts = 0, .until_ts = INFINITY, .format = REPORT_TABLE };
	const char *html = NULL;
	char err[1024];
	struct store *st;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
		case 'C': {
			enum report_format f = opt == 'j' ? REPORT_JSON : REPORT_CSV;

			if (q.format != REPORT_TABLE && q.format != f) {
				fprintf(stderr, "report: --json and --csv exclude each other; give one\n");
				return DAEMON_EXIT_CONFIG;
			}
			q.format = f;
			break;
		}
		case 'H':
			html = optarg;
			break;
		case 'b':
			/* One grouping for now; the option leaves room for more. */
			if (strcmp(optarg, "zone") != 0) {
				fprintf(stderr, "report: --by: \"%s\" is not known (known: zone)\n",
					optarg);
				return DAEMON_EXIT_CONFIG;
			}
			q.by_zone = true;
			break;
		case 'w':
			q.weekly = true;
			break;
		case 'd':
			if (!config_device_id_valid(optarg)) {
				fprintf(stderr, "report: --device: \"%s\" is not a device id ([A-Za-z0-9_-]{1,64})\n", optarg);
				return DAEMON_EXIT_CONFIG;
			}
			q.device = optarg;
			break;
		case 's':
		case 'u':
			if (report_time_parse(optarg, opt == 's' ? &q.since_ts : &q.until_ts) < 0) {
				fprintf(stderr, "report: --%s: \"%s\" is not a time (YYYY-MM-DD, \"YYYY-MM-DD HH:MM\" or Unix seconds)\n",
					opt == 's' ? "since" : "until", optarg);
				return DAEMON_EXIT_CONFIG;
			}
			break;
		default:
			usage(stderr);
			return DAEMON_EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "report: unexpected argument \"%s\"\n", argv[optind]);
		return DAEMON_EXIT_CONFIG;
	}
	if (html && q.format != REPORT_TABLE) {
		fprintf(stderr, "report: --html and --%s exclude each other; give one\n",
			q.format == REPORT_JSON ? "json" : "csv");
		return DAEMON_EXIT_CONFIG;
	}
	if (html && (q.weekly || q.by_zone)) {
		fprintf(stderr, "report: --html and --%s exclude each other; give one\n",
			q.weekly ? "weekly" : "by");
		return DAEMON_EXIT_CONFIG;
	}
	st = store_open(cfg->collector.database, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (q.device && (rc = report_device_check(st, q.device, cfg->collector.database, err,
						  sizeof(err))) != 0) {
		fprintf(stderr, "report: --device: %s\n", err);
		store_close(st);
		return rc < 0 ? 1 : DAEMON_EXIT_CONFIG;
	}
	rc = html ? report_html(st, cfg, &q, html) : report_write(st, &q, stdout) < 0 ? 1 : 0;
	/* The totals' table ends with what the advice says today. */
	if (rc == 0 && !html && q.format == REPORT_TABLE && (q.weekly || q.by_zone) &&
	    report_advice_write(st, &cfg->advice, &cfg->zones, q.device, (double)time(NULL),
				stdout) < 0)
		rc = 1;
	store_close(st);
	return rc;
}

int main(int argc, char **argv)
{
	static struct rs_config cfg;
	struct daemon_options o;
	int rc;

	/* Stop at the command ("report"). */
	rc = daemon_options_parse(argc, argv, "rollsense-collector", false, true, usage, &o);
	if (rc >= 0)
		return rc;
	rc = daemon_config_start(&o, &cfg, NULL);
	if (rc >= 0)
		return rc;
	if (optind < argc) {
		if (strcmp(argv[optind], "report") == 0)
			return run_report(&cfg, argc - optind, argv + optind);
		if (strcmp(argv[optind], "serve") == 0) {
			if (optind + 1 < argc) {
				fprintf(stderr, "serve: unexpected argument \"%s\"\n", argv[optind + 1]);
				return DAEMON_EXIT_CONFIG;
			}
			return serve_run(&cfg);
		}
		if (strcmp(argv[optind], "watch") == 0)
			return watch_run(&cfg, argc - optind, argv + optind);
		fprintf(stderr, "rollsense-collector: unknown command \"%s\" (known: report, serve, watch)\n",
			argv[optind]);
		return DAEMON_EXIT_CONFIG;
	}
	return run_daemon(&cfg);
}
