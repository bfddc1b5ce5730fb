/* rollsense-loadgen: many simulated devices publishing readings in the wire
 * format of docs/protocol.md (`<prefix>/<device>/reading`, QoS 1), at a set rate for
 * a set time, for the benchmarks and the tests.
 *
 * A bench tool, not project code: it speaks MQTT through libmosquitto (the
 * reference C client, non-threaded, one poll() loop over every connection)
 * so that the load it puts on a broker does not depend on the Paho wrapper
 * it is measuring. It is the only rollsense file that includes mosquitto.h.
 *
 * Readings of all devices are spread evenly in time: event j (from 0) is due
 * at j / (devices * rate_hz) s after the start and belongs to device
 * j % devices, seq j / devices + 1. A late loop catches up at once, so the
 * long-run rate is exact; the report says how late it ever was.
 *
 * With --acks it also subscribes to `<prefix>/+/ack` and measures, for every
 * reading, the time from its publication to the arrival of the first ack that
 * covers it (the collector publishes an ack only after the commit: an upper
 * bound on "reading to stored", on one clock). It then waits up to --drain-s
 * for every reading to be acknowledged; those never acknowledged are "lost".
 *
 * The last line on stdout is the result, key=value pairs, for scripts:
 *   sent=N puback=N acked=N lost=N rate_hz=R late_max_ms=L p50_ms=.. p99_ms=.. max_ms=..
 * Exit status: 0, 1 when readings were lost or a PUBACK never came, 2 on usage. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#define RUN_LEN 16

struct options {
	const char *host;
	int port;
	const char *prefix;
	const char *device_prefix;
	long devices;
	long clients;
	double rate_hz;		/* per device; 0: as fast as the broker takes them */
	double duration_s;
	long count;		/* readings per device (overrides duration_s) */
	bool acks;
	bool one_device;
	double drain_s;
	int qos;
};

struct device {
	char name[48];
	char topic[128];
	char run[RUN_LEN + 1];
	uint64_t acked;		/* readings 1..acked are covered by an ack */
};

struct loadgen {
	struct options opt;
	struct mosquitto **clients;
	struct pollfd *pfds;
	struct device *devices;
	double *sent_mono_s;	/* [device * count + seq - 1]: when it was published */
	double *latency_s;	/* one per acknowledged reading, in ack order */
	uint64_t latencies;
	uint64_t sent, puback, acked;
	long connected;
	bool subscribed;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static double now_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_real_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rollsense-loadgen [options]\n"
		"  -h HOST           broker host (127.0.0.1)\n"
		"  -p PORT           broker port (1883)\n"
		"  --devices N       simulated devices (1)\n"
		"  --clients N       MQTT connections, devices spread over them (as many as devices)\n"
		"  --rate HZ         readings per second per device; 0: as fast as possible (10)\n"
		"  --duration S      seconds of readings (10)\n"
		"  --count N         readings per device (instead of --duration)\n"
		"  --acks            measure reading-to-ack latency and loss from the collector's acks\n"
		"  --drain S         with --acks: wait this long for the last acks (30)\n"
		"  --qos Q           0, 1 or 2 (1)\n"
		"  --prefix P        topic prefix (rollsense)\n"
		"  --device-prefix P device ids are P-00001, P-00002... (load)\n"
		"  --one-device      every simulated device uses the id P itself: one device\n"
		"                    restarted N times, each start a run of its own\n");
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Fills o from argv; prints why and returns -1 on a bad option. */
static int options_parse(struct options *o, int argc, char **argv)
{
	long v;

	*o = (struct options){ .host = "127.0.0.1", .port = 1883, .prefix = "rollsense",
			       .device_prefix = "load", .devices = 1, .clients = 0, .rate_hz = 10,
			       .duration_s = 10, .count = 0, .drain_s = 30, .qos = 1 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;

		if (!strcmp(a, "--acks")) {
			o->acks = true;
			continue;
		}
		if (!strcmp(a, "--one-device")) {
			o->one_device = true;
			continue;
		}
		if (!strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		}
		if (!val) {
			fprintf(stderr, "rollsense-loadgen: %s: missing value\n", a);
			return -1;
		}
		i++;
		if (!strcmp(a, "-h"))
			o->host = val;
		else if (!strcmp(a, "-p"))
			bad = parse_long(val, 1, 65535, &v) || ((o->port = (int)v), 0);
		else if (!strcmp(a, "--devices"))
			bad = parse_long(val, 1, 100000, &o->devices);
		else if (!strcmp(a, "--clients"))
			bad = parse_long(val, 1, 100000, &o->clients);
		else if (!strcmp(a, "--rate"))
			bad = parse_double(val, 0, 10000, &o->rate_hz);
		else if (!strcmp(a, "--duration"))
			bad = parse_double(val, 0.001, 86400, &o->duration_s);
		else if (!strcmp(a, "--count"))
			bad = parse_long(val, 1, 100000000, &o->count);
		else if (!strcmp(a, "--drain"))
			bad = parse_double(val, 0, 3600, &o->drain_s);
		else if (!strcmp(a, "--qos"))
			bad = parse_long(val, 0, 2, &v) || ((o->qos = (int)v), 0);
		else if (!strcmp(a, "--prefix"))
			o->prefix = val;
		else if (!strcmp(a, "--device-prefix"))
			o->device_prefix = val;
		else {
			fprintf(stderr, "rollsense-loadgen: unknown option %s\n", a);
			usage(stderr);
			return -1;
		}
		if (bad) {
			fprintf(stderr, "rollsense-loadgen: %s: bad value '%s'\n", a, val);
			return -1;
		}
	}
	if (o->clients == 0 || o->clients > o->devices)
		o->clients = o->devices;
	if (o->count == 0) {
		if (o->rate_hz == 0) {
			fprintf(stderr, "rollsense-loadgen: --rate 0 needs --count\n");
			return -1;
		}
		o->count = lround(o->rate_hz * o->duration_s);
		if (o->count < 1)
			o->count = 1;
	}
	if ((double)o->devices * (double)o->count > 5e7) {
		fprintf(stderr, "rollsense-loadgen: more than 50 million readings in one run\n");
		return -1;
	}
	return 0;
}

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct loadgen *lg = obj;

	(void)m;
	if (rc == 0)
		lg->connected++;
	else
		fprintf(stderr, "rollsense-loadgen: connection refused: %s\n", mosquitto_connack_string(rc));
}

static void on_publish(struct mosquitto *m, void *obj, int mid)
{
	struct loadgen *lg = obj;

	(void)m;
	(void)mid;
	lg->puback++;
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted)
{
	struct loadgen *lg = obj;

	(void)m;
	(void)mid;
	(void)n;
	(void)granted;
	lg->subscribed = true;
}

/* The device number in "<device_prefix>-NNNNN", or -1. */
static long device_index(const struct loadgen *lg, const char *name, size_t len)
{
	size_t plen = strlen(lg->opt.device_prefix);
	char digits[16];
	long v;

	if (len <= plen + 1 || len - plen - 1 >= sizeof(digits) ||
	    strncmp(name, lg->opt.device_prefix, plen) || name[plen] != '-')
		return -1;
	memcpy(digits, name + plen + 1, len - plen - 1);
	digits[len - plen - 1] = '\0';
	if (parse_long(digits, 1, lg->opt.devices, &v))
		return -1;
	return v - 1;
}

/* An ack {"run":"xxxxxxxxxxxxxxxx","seq":N} on <prefix>/<device>/ack: every reading of
 * that device up to N newly covered gets its latency. Other runs (a retained
 * ack of an earlier bench) are ignored. */
static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	struct loadgen *lg = obj;
	const char *dev, *slash, *run, *seqp;
	struct device *d;
	char buf[256], *end;
	unsigned long long seq;
	long idx;
	double now = now_mono_s();

	(void)m;
	if (!msg->payload || msg->payloadlen <= 0 || msg->payloadlen >= (int)sizeof(buf))
		return;
	dev = msg->topic + strlen(lg->opt.prefix) + 1;
	slash = strchr(dev, '/');
	if (!slash || (idx = device_index(lg, dev, (size_t)(slash - dev))) < 0)
		return;
	d = &lg->devices[idx];
	memcpy(buf, msg->payload, (size_t)msg->payloadlen);
	buf[msg->payloadlen] = '\0';
	run = strstr(buf, "\"run\":\"");
	seqp = strstr(buf, "\"seq\":");
	if (!run || !seqp || strncmp(run + 7, d->run, RUN_LEN))
		return;
	errno = 0;
	seq = strtoull(seqp + 6, &end, 10);
	if (errno || end == seqp + 6)
		return;
	if (seq > (unsigned long long)lg->opt.count)
		seq = (unsigned long long)lg->opt.count;
	for (uint64_t s = d->acked + 1; s <= seq; s++) {
		double sent = lg->sent_mono_s[(size_t)idx * (size_t)lg->opt.count + s - 1];

		if (sent <= 0)	/* not published yet: an ack cannot cover it */
			break;
		lg->latency_s[lg->latencies++] = now - sent;
		lg->acked++;
		d->acked = s;
	}
}

/* One poll() round over every connection, at most timeout_s long. Keepalive
 * housekeeping (mosquitto_loop_misc) runs twice a second, not every round:
 * with a thousand connections it would cost more than the publishing. */
static int loadgen_poll(struct loadgen *lg, double timeout_s)
{
	static double last_misc_s;
	struct timespec ts;
	long n = lg->opt.clients;
	bool misc = now_mono_s() - last_misc_s >= 0.5;
	int rc;

	for (long i = 0; i < n; i++) {
		lg->pfds[i].fd = mosquitto_socket(lg->clients[i]);
		lg->pfds[i].events = POLLIN | (mosquitto_want_write(lg->clients[i]) ? POLLOUT : 0);
		lg->pfds[i].revents = 0;
	}
	if (timeout_s < 0)
		timeout_s = 0;
	ts.tv_sec = (time_t)timeout_s;
	ts.tv_nsec = (long)((timeout_s - (double)ts.tv_sec) * 1e9);
	rc = ppoll(lg->pfds, (nfds_t)n, &ts, NULL);
	if (rc < 0 && errno != EINTR)
		return -1;
	for (long i = 0; i < n; i++) {
		struct mosquitto *m = lg->clients[i];

		if (lg->pfds[i].revents & (POLLIN | POLLHUP | POLLERR))
			rc = mosquitto_loop_read(m, 1);
		else
			rc = MOSQ_ERR_SUCCESS;
		if (rc == MOSQ_ERR_SUCCESS && (lg->pfds[i].revents & POLLOUT))
			rc = mosquitto_loop_write(m, 1);
		if (rc == MOSQ_ERR_SUCCESS && misc)
			rc = mosquitto_loop_misc(m);
		if (rc != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "rollsense-loadgen: connection %ld: %s\n", i, mosquitto_strerror(rc));
			return -1;
		}
	}
	if (misc)
		last_misc_s = now_mono_s();
	return 0;
}

static int loadgen_connect(struct loadgen *lg)
{
	double deadline;
	char id[64];

	for (long i = 0; i < lg->opt.clients; i++) {
		snprintf(id, sizeof(id), "%s-loadgen-%ld-%ld", lg->opt.device_prefix, (long)getpid(), i);
		lg->clients[i] = mosquitto_new(id, true, lg);
		if (!lg->clients[i]) {
			perror("rollsense-loadgen: mosquitto_new");
			return -1;
		}
		mosquitto_connect_callback_set(lg->clients[i], on_connect);
		mosquitto_publish_callback_set(lg->clients[i], on_publish);
		/* Unlimited in flight: the broker's own limit is what is measured. */
		mosquitto_max_inflight_messages_set(lg->clients[i], 0);
		if (mosquitto_connect(lg->clients[i], lg->opt.host, lg->opt.port, 60) != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "rollsense-loadgen: cannot connect to %s:%d\n", lg->opt.host,
				lg->opt.port);
			return -1;
		}
	}
	if (lg->opt.acks) {
		char filter[160];

		mosquitto_message_callback_set(lg->clients[0], on_message);
		mosquitto_subscribe_callback_set(lg->clients[0], on_subscribe);
		snprintf(filter, sizeof(filter), "%s/+/ack", lg->opt.prefix);
		mosquitto_subscribe(lg->clients[0], NULL, filter, 1);
	}
	deadline = now_mono_s() + 10;
	while (lg->connected < lg->opt.clients || (lg->opt.acks && !lg->subscribed)) {
		if (now_mono_s() > deadline || stop_requested) {
			fprintf(stderr, "rollsense-loadgen: %ld of %ld connections up after 10 s\n",
				lg->connected, lg->opt.clients);
			return -1;
		}
		if (loadgen_poll(lg, 0.05))
			return -1;
	}
	return 0;
}

/* Publishes event j (see the top of the file). */
static int loadgen_publish(struct loadgen *lg, uint64_t j)
{
	size_t dev = (size_t)(j % (uint64_t)lg->opt.devices);
	uint64_t seq = j / (uint64_t)lg->opt.devices + 1;
	struct device *d = &lg->devices[dev];
	double mono = lg->opt.rate_hz > 0 ? (double)(seq - 1) / lg->opt.rate_hz : (double)(seq - 1) * 0.01;
	/* A slow sine of a lean plus noise-free heat: values look like a session,
	 * and the payload has the size of a real one. */
	double kpa = 6.0 + 6.0 * sin(mono * 0.2 + (double)dev);
	char payload[256];
	int len, rc;

	len = snprintf(payload, sizeof(payload),
		       "{\"run\":\"%s\",\"seq\":%" PRIu64 ",\"mono\":%.3f,\"ts\":%.3f,"
		       "\"pressure_kpa\":%.2f,\"temperature_c\":%.2f}",
		       d->run, seq, mono, now_real_s(), kpa, 36.0 + 0.5 * (double)(dev % 8));
	lg->sent_mono_s[dev * (size_t)lg->opt.count + seq - 1] = now_mono_s();
	rc = mosquitto_publish(lg->clients[dev % (size_t)lg->opt.clients], NULL, d->topic, len, payload,
			       lg->opt.qos, false);
	if (rc != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "rollsense-loadgen: publish: %s\n", mosquitto_strerror(rc));
		return -1;
	}
	lg->sent++;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double percentile_ms(const double *sorted, uint64_t n, double p)
{
	if (n == 0)
		return NAN;
	return sorted[(uint64_t)((double)(n - 1) * p + 0.5)] * 1000.0;
}

static int loadgen_run(struct loadgen *lg)
{
	uint64_t total = (uint64_t)lg->opt.devices * (uint64_t)lg->opt.count, j = 0;
	double interval = lg->opt.rate_hz > 0 ? 1.0 / (lg->opt.rate_hz * (double)lg->opt.devices) : 0;
	double start, end_pub, deadline, late_max = 0;
	/* As fast as possible still keeps a bound on what waits in memory. */
	const uint64_t burst_window = 20000;

	start = now_mono_s();
	while (j < total && !stop_requested) {
		double now = now_mono_s();

		if (interval > 0) {
			while (j < total && start + (double)j * interval <= now) {
				if (now - (start + (double)j * interval) > late_max)
					late_max = now - (start + (double)j * interval);
				if (loadgen_publish(lg, j++))
					return -1;
			}
		} else {
			while (j < total && lg->sent - lg->puback < burst_window)
				if (loadgen_publish(lg, j++))
					return -1;
		}
		/* Sleeping at least 2 ms lets a thousand devices' readings go out in
		 * small batches instead of one poll() over every socket each 0.1 ms. */
		if (loadgen_poll(lg, interval > 0 && j < total ?
				 fmax(start + (double)j * interval - now_mono_s(), 0.002) : 0.01))
			return -1;
	}
	end_pub = now_mono_s();
	deadline = end_pub + (lg->opt.acks ? lg->opt.drain_s : 30);
	while (!stop_requested && now_mono_s() < deadline &&
	       (lg->puback < lg->sent || (lg->opt.acks && lg->acked < lg->sent)))
		if (loadgen_poll(lg, 0.05))
			return -1;

	printf("loadgen: %ld devices on %ld connections, %" PRIu64 " readings in %.2f s (%.0f/s), "
	       "%" PRIu64 " confirmed by the broker\n",
	       lg->opt.devices, lg->opt.clients, lg->sent, end_pub - start,
	       (double)lg->sent / (end_pub - start), lg->puback);
	qsort(lg->latency_s, lg->latencies, sizeof(double), cmp_double);
	printf("sent=%" PRIu64 " puback=%" PRIu64 " acked=%" PRIu64 " lost=%" PRIu64
	       " rate_hz=%.1f late_max_ms=%.1f p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
	       lg->sent, lg->puback, lg->acked, lg->opt.acks ? lg->sent - lg->acked : 0,
	       (double)lg->sent / (end_pub - start), late_max * 1000.0,
	       percentile_ms(lg->latency_s, lg->latencies, 0.50),
	       percentile_ms(lg->latency_s, lg->latencies, 0.90),
	       percentile_ms(lg->latency_s, lg->latencies, 0.99),
	       percentile_ms(lg->latency_s, lg->latencies, 1.0));
	fflush(stdout);
	return lg->puback < lg->sent || (lg->opt.acks && lg->acked < lg->sent) ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct loadgen lg = { 0 };
	size_t total;
	int status = 1;
	FILE *urandom;

	if (options_parse(&lg.opt, argc, argv))
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	mosquitto_lib_init();

	total = (size_t)lg.opt.devices * (size_t)lg.opt.count;
	lg.clients = calloc((size_t)lg.opt.clients, sizeof(*lg.clients));
	lg.pfds = calloc((size_t)lg.opt.clients, sizeof(*lg.pfds));
	lg.devices = calloc((size_t)lg.opt.devices, sizeof(*lg.devices));
	lg.sent_mono_s = calloc(total, sizeof(double));
	lg.latency_s = calloc(total, sizeof(double));
	if (!lg.clients || !lg.pfds || !lg.devices || !lg.sent_mono_s || !lg.latency_s) {
		perror("rollsense-loadgen");
		goto cleanup;
	}
	/* A fresh run id per device, as sensord makes one per start. */
	urandom = fopen("/dev/urandom", "rb");
	for (long i = 0; i < lg.opt.devices; i++) {
		struct device *d = &lg.devices[i];
		uint64_t r = ((uint64_t)(uint32_t)rand() << 32) | (uint32_t)rand();

		if (urandom && fread(&r, sizeof(r), 1, urandom) != 1)
			r = ((uint64_t)(uint32_t)rand() << 32) | (uint32_t)rand();
		if (lg.opt.one_device)
			snprintf(d->name, sizeof(d->name), "%s", lg.opt.device_prefix);
		else
			snprintf(d->name, sizeof(d->name), "%s-%05ld", lg.opt.device_prefix, i + 1);
		snprintf(d->topic, sizeof(d->topic), "%s/%s/reading", lg.opt.prefix, d->name);
		snprintf(d->run, sizeof(d->run), "%016" PRIx64, r);
	}
	if (urandom)
		fclose(urandom);

	if (loadgen_connect(&lg) == 0)
		status = loadgen_run(&lg);
cleanup:
	for (long i = 0; lg.clients && i < lg.opt.clients; i++) {
		if (!lg.clients[i])
			continue;
		mosquitto_disconnect(lg.clients[i]);
		mosquitto_destroy(lg.clients[i]);
	}
	mosquitto_lib_cleanup();
	free(lg.latency_s);
	free(lg.sent_mono_s);
	free(lg.devices);
	free(lg.pfds);
	free(lg.clients);
	return status;
}
