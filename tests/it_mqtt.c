/* Integration: the MQTT layer (common/mqtt.c) in this process against a real
 * mosquitto on loopback, without the daemons: what a client sees of its own
 * rules (the inbound limits, lock order with Paho's threads).
 *
 * Each client is driven from one thread only, as mqtt.h asks; two clients on
 * two threads share Paho's threads and its global mutex, as the daemons'
 * clients would if they lived in one process. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "harness.h"
#include "mqtt.h"

struct fixture {
	struct harness_env env;	/* first; no subscriber */
	struct mqtt_cfg cfg;	/* plain tcp:// to the broker */
};

static int setup(void **state)
{
	struct fixture *f = harness_fixture_new(sizeof(*f), "it-mqtt", NULL);
	struct rs_config defaults;

	*state = f;
	if (!f)
		return -1;
	config_defaults(&defaults);
	f->cfg = defaults.mqtt;
	snprintf(f->cfg.uri, sizeof(f->cfg.uri), "tcp://127.0.0.1:%d", f->env.broker.port);
	return 0;
}

static int teardown(void **state)
{
	harness_fixture_free(*state);
	return 0;
}

static struct mqtt_client *client_new(const struct fixture *f, const char *id)
{
	char err[256];
	struct mqtt_client *c = mqtt_client_new(&f->cfg, id, NULL, err, sizeof(err));

	if (!c)
		fail_msg("mqtt_client_new: %s", err);
	return c;
}

/* Takes every queued event; true if one of them was CONNECTED. */
static bool events_drain(struct mqtt_client *c)
{
	struct mqtt_event ev;
	bool connected = false;

	while (mqtt_client_next(c, &ev) == 0) {
		if (ev.kind == MQTT_EVENT_CONNECTED)
			connected = true;
		mqtt_event_clear(&ev);
	}
	return connected;
}

/* One turn of a client's loop for harness_poll: true once it is connected. */
static bool turn_connected(const void *arg)
{
	struct mqtt_client *c = (struct mqtt_client *)arg;

	if (events_drain(c))
		return true;
	mqtt_client_tick(c, clock_real_s());
	return false;
}

/* Runs c's loop (events, tick) until it is connected; false after timeout_s. */
static bool wait_connected(struct mqtt_client *c, double timeout_s)
{
	return harness_poll(turn_connected, c, timeout_s, 0.005);
}

/* One turn for harness_poll: true once nothing waits for a PUBACK. */
static bool turn_all_sent(const void *arg)
{
	struct mqtt_client *c = (struct mqtt_client *)arg;

	if (mqtt_client_pending(c) == 0)
		return true;
	events_drain(c);
	mqtt_client_tick(c, clock_real_s());
	return false;
}

struct awaited {
	struct mqtt_client *c;
	const char *topic;
	void (*seen)(const struct mqtt_event *ev, void *arg);
	void *arg;
};

/* One turn for harness_poll: true once a message on a->topic came. */
static bool turn_message(const void *arg)
{
	const struct awaited *a = arg;
	struct mqtt_event ev;

	while (mqtt_client_next(a->c, &ev) == 0) {
		bool last = ev.kind == MQTT_EVENT_MESSAGE && strcmp(ev.topic, a->topic) == 0;

		if (ev.kind == MQTT_EVENT_MESSAGE && !last && a->seen)
			a->seen(&ev, a->arg);
		mqtt_event_clear(&ev);
		if (last)
			return true;
	}
	mqtt_client_tick(a->c, clock_real_s());
	return false;
}

/* Runs c's loop until a message on topic arrives (true) or timeout_s
 * passes; the messages before it are handed to seen (may be NULL). */
static bool wait_message(struct mqtt_client *c, const char *topic, double timeout_s,
			 void (*seen)(const struct mqtt_event *ev, void *arg), void *arg)
{
	const struct awaited a = { c, topic, seen, arg };

	return harness_poll(turn_message, &a, timeout_s, 0.005);
}

/* ---- inbound limits ------------------------------------------------------ */

/* The collector's setting: its largest valid reading. */
#define MAX_PAYLOAD 4096

struct sizes_seen {
	size_t n;
	char topic[4][32];
	size_t len[4];
	bool intact[4];		/* every byte as sent */
};

static void sizes_note(const struct mqtt_event *ev, void *arg)
{
	struct sizes_seen *s = arg;
	size_t i = s->n++;

	if (i >= 4)
		return;
	snprintf(s->topic[i], sizeof(s->topic[i]), "%s", ev->topic);
	s->len[i] = ev->payload_len;
	s->intact[i] = ev->payload[ev->payload_len] == '\0';
	for (size_t k = 0; k < ev->payload_len; k++)
		if (ev->payload[k] != 'a')
			s->intact[i] = false;
}

/* What c saw before big/end: big/fits alone, max bytes of 'a', and
 * big/too-long counted as dropped. Returns c's stats. */
static struct mqtt_stats expect_only_fits(struct mqtt_client *c, const struct sizes_seen *seen,
					  size_t max)
{
	struct mqtt_stats st;

	assert_int_equal(seen->n, 1);
	assert_string_equal(seen->topic[0], "big/fits");
	assert_int_equal(seen->len[0], max);
	assert_true(seen->intact[0]);
	mqtt_client_get_stats(c, &st);
	assert_int_equal(st.dropped_oversize, 1);
	return st;
}

/* A payload of exactly the limit arrives whole; one byte more is dropped,
 * counted once, and the client goes on (the marker after it arrives). */
static void test_oversize_dropped(void **state)
{
	struct fixture *f = *state;
	struct mqtt_client *c = client_new(f, "it-mqtt-oversize");
	char *payload = malloc(MAX_PAYLOAD + 2);
	struct sizes_seen seen = { 0 };
	struct mqtt_stats st;

	assert_non_null(payload);
	mqtt_client_set_inbound_limits(c, MAX_PAYLOAD, 0);
	assert_int_equal(mqtt_client_subscribe(c, "big/#", 1), 0);
	assert_int_equal(mqtt_client_start(c, NULL, 0), 0);
	assert_true(wait_connected(c, 10));

	memset(payload, 'a', MAX_PAYLOAD + 1);
	payload[MAX_PAYLOAD] = '\0';
	assert_int_equal(harness_publish(&f->env.broker, "big/fits", payload, false), 0);
	payload[MAX_PAYLOAD] = 'a';
	payload[MAX_PAYLOAD + 1] = '\0';
	assert_int_equal(harness_publish(&f->env.broker, "big/too-long", payload, false), 0);
	assert_int_equal(harness_publish(&f->env.broker, "big/end", "end", false), 0);
	assert_true(wait_message(c, "big/end", 10, sizes_note, &seen));

	st = expect_only_fits(c, &seen, MAX_PAYLOAD);
	assert_int_equal(st.messages, 2);	/* big/fits and big/end */
	mqtt_client_free(c, 1000);
	free(payload);
}

/* A client that sets nothing drops above 256 KiB. */
static void test_oversize_default(void **state)
{
	struct fixture *f = *state;
	struct mqtt_client *c = client_new(f, "it-mqtt-oversize-default");
	struct mqtt_client *pub = client_new(f, "it-mqtt-oversize-pub");
	size_t max = MQTT_DEFAULT_MAX_PAYLOAD_BYTES;
	char *payload = malloc(max + 1);
	struct sizes_seen seen = { 0 };

	assert_non_null(payload);
	memset(payload, 'a', max + 1);
	assert_int_equal(mqtt_client_subscribe(c, "big/#", 1), 0);
	assert_int_equal(mqtt_client_start(c, NULL, 0), 0);
	assert_int_equal(mqtt_client_start(pub, NULL, 0), 0);
	assert_true(wait_connected(c, 10));
	assert_true(wait_connected(pub, 10));
	/* Too long for a command line: published by a client of our own. */
	assert_int_equal(mqtt_client_publish(pub, "big/fits", payload, max, 1, false, 1), 0);
	assert_int_equal(mqtt_client_publish(pub, "big/too-long", payload, max + 1, 1, false, 2), 0);
	assert_int_equal(mqtt_client_publish(pub, "big/end", "end", 3, 1, false, 3), 0);
	harness_poll(turn_all_sent, pub, 10, 0.01);
	assert_true(wait_message(c, "big/end", 10, sizes_note, &seen));
	expect_only_fits(c, &seen, max);
	mqtt_client_free(pub, 1000);
	mqtt_client_free(c, 1000);
	free(payload);
}

#define WAKE_PUBLISHES 300
#define WAKE_POLL_MS 3000
#define WAKE_WINDOW_MAX 64

/* An owner that sleeps in poll() on the client's descriptor, as the
 * collector does when no message comes, while more publishes wait than the
 * window lets through (a collector's acks after a burst): each PUBACK that
 * frees room must wake it, or every window's worth waits for the poll's
 * timeout. All of them go out without a single poll timing out. */
static void waiting_publishes_wake(struct fixture *f, bool polled)
{
	struct mqtt_client *pub = client_new(f, polled ? "it-mqtt-wake-polled" : "it-mqtt-wake");
	struct pollfd pfd;
	unsigned timeouts = 0;
	double end;

	mqtt_client_set_polled(pub, polled);
	assert_int_equal(mqtt_client_start(pub, NULL, 0), 0);
	assert_true(wait_connected(pub, 10));
	/* Past the new connection's probation (one publish at a time). */
	for (end = clock_real_s() + 1.5; clock_real_s() < end;) {
		events_drain(pub);
		mqtt_client_tick(pub, clock_real_s());
		usleep(10000);
	}
	for (int i = 0; i < WAKE_PUBLISHES; i++) {
		char topic[32];

		snprintf(topic, sizeof(topic), "wake/%d", i);
		assert_int_equal(mqtt_client_publish(pub, topic, "w", 1, 1, false, (uint64_t)i), 0);
	}
	assert_true(mqtt_client_pending(pub) > 0);
	pfd = (struct pollfd){ .fd = mqtt_client_fd(pub), .events = POLLIN };
	/* While more are pending than Paho may hold (mqtt.c's WINDOW_MAX, 64),
	 * some wait for the window. The last window's PUBACKs wake nobody:
	 * nothing waits behind them. */
	for (end = clock_real_s() + 30; mqtt_client_pending(pub) > WAKE_WINDOW_MAX &&
					 clock_real_s() < end;) {
		events_drain(pub);
		mqtt_client_tick(pub, clock_real_s());
		if (mqtt_client_pending(pub) > WAKE_WINDOW_MAX && poll(&pfd, 1, WAKE_POLL_MS) == 0)
			timeouts++;
	}
	assert_int_equal(timeouts, 0);
	assert_true(harness_poll(turn_all_sent, pub, 10, 0.01));
	mqtt_client_free(pub, 1000);
}

static void test_waiting_publishes_wake_the_owner(void **state)
{
	waiting_publishes_wake(*state, false);
}

/* A polled owner (sensord) is still woken for publishes that wait. */
static void test_waiting_publishes_wake_a_polled_owner(void **state)
{
	waiting_publishes_wake(*state, true);
}

#define POLLED_QUIET_MS 1500

/* A message wakes an owner that sleeps in poll() on the descriptor; a polled
 * owner's (mqtt_client_set_polled) sleeps on through it, and its next
 * mqtt_client_next() has the message. Both subscribe to the same topic and
 * get the same publish. */
static void test_polled_owner_sleeps_through_messages(void **state)
{
	struct fixture *f = *state;
	struct mqtt_client *woken = client_new(f, "it-mqtt-woken");
	struct mqtt_client *polled = client_new(f, "it-mqtt-polled");
	struct pollfd pfd;

	mqtt_client_set_polled(polled, true);
	assert_int_equal(mqtt_client_subscribe(woken, "polled/#", 1), 0);
	assert_int_equal(mqtt_client_subscribe(polled, "polled/#", 1), 0);
	assert_int_equal(mqtt_client_start(woken, NULL, 0), 0);
	assert_int_equal(mqtt_client_start(polled, NULL, 0), 0);
	assert_true(wait_connected(woken, 10));
	assert_true(wait_connected(polled, 10));
	/* The subscriptions are renewed on connection: let them settle. */
	for (double end = clock_real_s() + 0.5; clock_real_s() < end;) {
		events_drain(woken);
		events_drain(polled);
		usleep(10000);
	}
	assert_int_equal(harness_publish(&f->env.broker, "polled/one", "1", false), 0);
	pfd = (struct pollfd){ .fd = mqtt_client_fd(woken), .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	assert_true(wait_message(woken, "polled/one", 1, NULL, NULL));
	pfd = (struct pollfd){ .fd = mqtt_client_fd(polled), .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, POLLED_QUIET_MS), 0);
	assert_true(wait_message(polled, "polled/one", 5, NULL, NULL));
	mqtt_client_free(woken, 1000);
	mqtt_client_free(polled, 1000);
}

#define BURST 20
#define BURST_PAYLOAD 1000
/* Room for two or three of the burst's messages (each is its payload, its
 * topic and an event of a few hundred bytes). */
#define BURST_BUDGET 4000

struct burst_seen {
	int next;		/* the index expected next */
	bool in_order;
};

static void burst_note(const struct mqtt_event *ev, void *arg)
{
	struct burst_seen *b = arg;
	int i = -1;

	if (sscanf(ev->topic, "burst/%d", &i) != 1 || i != b->next || ev->payload_len != BURST_PAYLOAD)
		b->in_order = false;
	b->next++;
}

/* A burst larger than the byte budget while the owner takes nothing: the
 * client holds what fits (at most BURST_BUDGET bytes), Paho keeps the rest,
 * and once the owner takes events every message arrives, once and in
 * order. Paho offers a held message again only when a packet arrives from
 * the broker (mqtt.c, MAX_QUEUED), so the draining client publishes to a
 * topic nobody reads: each PUBACK lets one more through. */
static void test_byte_budget(void **state)
{
	struct fixture *f = *state;
	struct mqtt_client *c = client_new(f, "it-mqtt-budget");
	struct mqtt_client *pub = client_new(f, "it-mqtt-budget-pub");
	struct burst_seen seen = { .in_order = true };
	char payload[BURST_PAYLOAD];
	struct mqtt_stats st;
	uint64_t nudges = 0, held;
	double end;

	mqtt_client_set_inbound_limits(c, 0, BURST_BUDGET);
	assert_int_equal(mqtt_client_subscribe(c, "burst/#", 1), 0);
	assert_int_equal(mqtt_client_start(c, NULL, 0), 0);
	assert_int_equal(mqtt_client_start(pub, NULL, 0), 0);
	assert_true(wait_connected(c, 10));
	assert_true(wait_connected(pub, 10));

	memset(payload, 'b', sizeof(payload));
	for (int i = 0; i < BURST; i++) {
		char topic[32];

		snprintf(topic, sizeof(topic), "burst/%02d", i);
		assert_int_equal(mqtt_client_publish(pub, topic, payload, sizeof(payload), 1, false,
						     (uint64_t)i), 0);
	}
	/* The whole burst reaches the broker (every PUBACK back) while c's
	 * owner takes nothing. */
	assert_true(harness_poll(turn_all_sent, pub, 15, 0.01));
	harness_sleep(0.5);
	mqtt_client_get_stats(c, &st);
	held = st.messages;
	if (held < 1 || held > BURST_BUDGET / BURST_PAYLOAD)
		fail_msg("%llu messages queued within a budget of %d bytes",
			 (unsigned long long)held, BURST_BUDGET);

	end = clock_real_s() + harness_timeout_s(30);
	while (seen.next < BURST && clock_real_s() < end) {
		struct mqtt_event ev;

		while (mqtt_client_next(c, &ev) == 0) {
			if (ev.kind == MQTT_EVENT_MESSAGE)
				burst_note(&ev, &seen);
			mqtt_event_clear(&ev);
		}
		if (mqtt_client_pending(c) == 0 &&
		    mqtt_client_publish(c, "nudge", "n", 1, 1, false, nudges) == 0)
			nudges++;
		mqtt_client_tick(c, clock_real_s());
		harness_sleep(0.002);
	}
	if (seen.next != BURST || !seen.in_order)
		fail_msg("%d of %d messages arrived%s", seen.next, BURST,
			 seen.in_order ? "" : ", not all in order");
	mqtt_client_get_stats(c, &st);
	assert_int_equal(st.messages, BURST);
	assert_int_equal(st.dropped_oversize, 0);
	print_message("%llu of %d queued within the budget; the rest came through with %llu PUBACKs\n",
		      (unsigned long long)held, BURST, (unsigned long long)nudges);
	mqtt_client_free(pub, 1000);
	mqtt_client_free(c, 1000);
}

/* ---- lock order ---------------------------------------------------------- */

/* Rounds of the hammering thread, clients per round, and subscriptions each
 * client adds while connected (a client keeps at most 8 filters; one is the
 * flood's). The clients of a round connect together: Paho's one receive
 * thread takes some 2 s to notice a new socket while another is open. */
#define LOCK_ROUNDS 8
#define LOCK_CLIENTS 8
#define LOCK_SUBSCRIBES 7
/* Flood messages published per millisecond, at most. */
#define FLOOD_PER_MS 10

struct hammer {
	const struct fixture *f;
	atomic_int rounds_done;
	atomic_bool done;
	char failure[160];	/* empty: fine */
};

/* The hammering thread: clients subscribed to the flood, connected, then
 * adding subscriptions one after another while the flood's messages arrive
 * on Paho's thread. Each subscription calls into Paho from the owner's
 * thread; with the client lock held (the old code) Paho's receive thread,
 * holding Paho's mutex and waiting for that lock in the message callback,
 * and this thread, holding the lock and waiting for Paho's mutex, stop for
 * good. */
static void *hammer_run(void *arg)
{
	struct hammer *h = arg;

	for (int round = 0; round < LOCK_ROUNDS && !h->failure[0]; round++) {
		struct mqtt_client *c[LOCK_CLIENTS];

		for (int k = 0; k < LOCK_CLIENTS; k++) {
			char id[64];

			snprintf(id, sizeof(id), "it-mqtt-hammer-%d-%d", round, k);
			c[k] = client_new(h->f, id);
			if (mqtt_client_subscribe(c[k], "flood/#", 0) != 0 ||
			    mqtt_client_start(c[k], NULL, 0) != 0)
				snprintf(h->failure, sizeof(h->failure), "round %d: client %d did not start",
					 round, k);
		}
		for (int k = 0; k < LOCK_CLIENTS && !h->failure[0]; k++)
			if (!wait_connected(c[k], 20))
				snprintf(h->failure, sizeof(h->failure), "round %d: client %d not connected",
					 round, k);
		for (int i = 0; i < LOCK_SUBSCRIBES && !h->failure[0]; i++) {
			for (int k = 0; k < LOCK_CLIENTS; k++) {
				char filter[32];

				snprintf(filter, sizeof(filter), "other/%d", i);
				/* -1 is allowed (Paho may refuse while the
				 * connection churns); hanging is not. */
				(void)mqtt_client_subscribe(c[k], filter, 1);
				events_drain(c[k]);
				mqtt_client_tick(c[k], clock_real_s());
			}
		}
		for (int k = 0; k < LOCK_CLIENTS; k++)
			mqtt_client_free(c[k], 0);
		atomic_store(&h->rounds_done, round + 1);
	}
	atomic_store(&h->done, true);
	return NULL;
}

/* Found by a code review, and seen here: before the fix this test stopped
 * for good within a few rounds (both threads blocked, as gdb showed). The
 * flood keeps Paho's receive thread in the message callback as often as
 * possible, so that it holds Paho's mutex at the moment the other thread
 * calls in. A stuck thread cannot be freed: on failure the process ends
 * with the report (a later test would block on Paho's mutex). */
static void test_lock_order_subscribe_under_flood(void **state)
{
	struct fixture *f = *state;
	struct hammer h = { .f = f };
	struct mqtt_client *pub = client_new(f, "it-mqtt-flood");
	double deadline, last_progress;
	int last_rounds = 0;
	uint64_t sent = 0;
	pthread_t thread;

	assert_int_equal(mqtt_client_start(pub, NULL, 0), 0);
	assert_true(wait_connected(pub, 10));
	assert_int_equal(pthread_create(&thread, NULL, hammer_run, &h), 0);
	deadline = clock_real_s() + harness_timeout_s(120);
	last_progress = clock_real_s();
	while (!atomic_load(&h.done)) {
		int rounds = atomic_load(&h.rounds_done);
		double now = clock_real_s();

		if (rounds != last_rounds) {
			last_rounds = rounds;
			last_progress = now;
		}
		/* A round takes a few seconds; 20 s without one is a
		 * thread that will never come back. */
		if (now - last_progress > harness_timeout_s(20) || now > deadline) {
			fprintf(stderr, "it_mqtt: the hammering thread is stuck after %d of %d rounds "
				"(%llu messages sent): a lock-order deadlock with Paho\n",
				rounds, LOCK_ROUNDS, (unsigned long long)sent);
			fflush(stderr);
			harness_env_close(&f->env);
			_exit(1);
		}
		/* Some 20,000 a second at most: more and mosquitto drops the
		 * slowest subscriber ("out of memory"). */
		for (int i = 0; i < FLOOD_PER_MS && mqtt_client_pending(pub) < 1000; i++)
			if (mqtt_client_publish(pub, "flood/a", "x", 1, 0, false, sent) == 0)
				sent++;
		events_drain(pub);
		mqtt_client_tick(pub, now);
		harness_sleep(0.001);
	}
	assert_int_equal(pthread_join(thread, NULL), 0);
	mqtt_client_free(pub, 0);
	if (h.failure[0])
		fail_msg("%s", h.failure);
	assert_int_equal(atomic_load(&h.rounds_done), LOCK_ROUNDS);
	print_message("%d rounds of %d clients adding %d subscriptions each; %llu flood messages\n",
		      LOCK_ROUNDS, LOCK_CLIENTS, LOCK_SUBSCRIBES, (unsigned long long)sent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		IT_TEST(test_oversize_dropped),
		IT_TEST(test_oversize_default),
		IT_TEST(test_byte_budget),
		IT_TEST(test_waiting_publishes_wake_the_owner),
		IT_TEST(test_waiting_publishes_wake_a_polled_owner),
		IT_TEST(test_polled_owner_sleeps_through_messages),
		/* Last: when it fails, Paho's threads are stuck for good. */
		IT_TEST(test_lock_order_subscribe_under_flood),
	};

	tests_select();
	return cmocka_run_group_tests_name("it_mqtt", tests, NULL, NULL);
}
