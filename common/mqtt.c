/* The MQTT client over Paho MQTTAsync; see mqtt.h for the contract.
 *
 * Paho runs its own threads and calls us back on them. Callbacks here only
 * copy what they learn into a queue and wake the owner through an eventfd;
 * the daemon's main loop takes events one at a time, so none of the daemon's
 * state is ever touched from Paho's threads.
 *
 * Publishing: messages wait in the client's own queue and go to Paho through
 * a window that starts at one message on every connection and grows by one
 * with each PUBACK up to WINDOW_MAX, so it doubles every round trip (slow
 * start). The reason is a bug in Paho 1.3.11 (Debian 12's 1.3.12 package):
 * when the socket write of a QoS 1 publish fails, MQTTAsync frees the
 * command's topic and payload, while the copy it keeps for the retry after
 * reconnecting still points at them. The retry reads freed memory and the
 * final PUBACK frees them a second time, and glibc aborts the daemon. A write
 * fails when the connection breaks under a burst of publishes: a broker that
 * closes the connection at the first publish it refuses (mosquitto 2.0
 * answering a 3.1.1 client that its ACL denies) made ASan report it within
 * seconds: mosquitto sends the PUBACK and closes the socket, and the next
 * publish, sent on that PUBACK, meets the closed socket. So nothing is handed
 * to Paho while it is not connected, and a connection younger than
 * PROBATION_S carries one publish at a time, each PROBE_GAP_S after the last
 * PUBACK: a broker that drops us at a publish has closed the connection
 * before the next one goes out. Past that, the window opens in a few round
 * trips.
 *
 * Reconnecting: every connect is ours (mqtt_client_start, mqtt_client_tick).
 * Paho's automaticReconnect is off, for two reasons: in 1.3.11 it does not
 * cover a first connect that fails, and it gives no way to look at the TLS
 * client key before it reconnects (its updateConnectOptions callback cannot
 * refuse, and MQTTAsync_disconnect while it retries does not stop it for
 * sure). OpenSSL opens mqtt.tls.key_file anew at every connect, so a key
 * replaced or opened to others after the start would be used without a
 * word: hence the check (keyfile.h) before every attempt (mqtt.h).
 *
 * TLS failures: Paho reports every failed connect as "TCP/TLS connect
 * failure", which tells a user nothing. OpenSSL's own error text reaches us
 * through ssl_error_cb; the host name check Paho makes after the handshake
 * (X509_check_host) and the alerts exchanged are only written to Paho's trace,
 * so while a TLS client is not connected the trace is read at protocol level
 * for those lines. Once connected the level drops back to errors: protocol
 * level traces every packet. */
#include "mqtt.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <MQTTAsync.h>

#include "clock.h"
#include "keyfile.h"
#include "log.h"

/* The event queue: records laid end to end in blocks, so that a message
 * costs Paho's thread a copy into memory already there, not three
 * allocations, and the owner frees nothing per event. The owner takes every
 * queued block at once (mqtt_client_next) and reads the records in order; a
 * block it has read goes back to a short free list at its next take. An
 * event's topic and payload point into their block, which is why they live
 * only until the next mqtt_client_next() (mqtt.h). */
struct event_rec {
	enum mqtt_event_kind kind;
	bool ok;		/* PUBLISHED */
	uint64_t tag;		/* PUBLISHED */
	size_t text_len;	/* MESSAGE: the topic's; CONNECTED/LOST: the detail's */
	size_t payload_len;	/* MESSAGE */
	/* then the text and a NUL; MESSAGE: then the payload and a NUL */
};

struct event_block {
	struct event_block *next;
	size_t size;		/* of data */
	size_t used;		/* filled by the producer */
	size_t read;		/* taken by the owner */
	_Alignas(struct event_rec) unsigned char data[];
};

/* A block's usual size; a larger message gets a block of its own size. */
#define EVENT_BLOCK_BYTES (64u * 1024)
/* Read blocks kept for reuse, at most. */
#define EVENT_BLOCKS_FREE 8

/* Appends node to the singly linked list head..tail that its next field
 * links, for the queued blocks (event_block) and the publishes waiting for
 * the window (out_msg). */
#define LIST_APPEND(head, tail, node)			\
	do {						\
		(node)->next = NULL;			\
		if (tail)				\
			(tail)->next = (node);		\
		else					\
			(head) = (node);		\
		(tail) = (node);			\
	} while (0)

#define MAX_FILTERS 8
/* Beyond this many queued events, or the client's max_queued_bytes (mqtt.h),
 * the message callback asks Paho to deliver again later.
 *
 * Paho 1.3.12 keeps a refused message and offers it again only when its
 * receive thread reads the next packet from the broker (one offer per
 * packet; messages arriving meanwhile queue behind it, in order). Under load
 * packets keep coming; on a quiet connection the last refused messages wait
 * for the next PUBACK or PINGRESP, at worst a keepalive interval each. */
#define MAX_QUEUED 20000
/* Publishes handed to Paho and not called back, at most (see above). */
#define WINDOW_MAX 64
/* See above: how long a new connection is on probation, and the pause after
 * each PUBACK while it is. */
#define PROBATION_S 1.0
#define PROBE_GAP_S 0.1
/* Connections lost on probation this many times in a row get a diagnosis. */
#define YOUNG_LOSSES_NOTED 3
/* Publishes waiting in the client's queue, at most: beyond, publish fails. */
#define QUEUE_MAX 10000
/* What a failed TLS connect left behind, for its log line. */
#define TLS_NOTE_LEN 160

/* A publish waiting for the window: topic and payload copied behind it. */
struct out_msg {
	struct out_msg *next;
	uint64_t tag;
	size_t len;
	int qos;
	bool retained;
	char *topic;
	unsigned char payload[];
};

/* The callback context of a publish handed to Paho, until its callback. At
 * most WINDOW_MAX are in Paho (pump), so a slot is always free; those Paho
 * never calls back (destroyed while in flight) go with the client. */
struct publish_ctx {
	struct mqtt_client *c;
	uint64_t tag;
	bool busy;
};

struct mqtt_client {
	MQTTAsync handle;
	struct mqtt_cfg cfg;
	char client_id[128];
	char uri[300];
	char will_topic[256];
	char will_payload[64];
	MQTTAsync_willOptions will;	/* will.topicName NULL: no will */
	bool tls;
	bool clean_session;	/* mqtt_client_set_clean_session: the owner's thread, before start */
	bool polled;		/* mqtt_client_set_polled: lock */

	/* Locks. Paho calls every callback of this file on its own threads
	 * with its own mutex held (the message, connected, connection-lost,
	 * connect-failure, publish and subscribe callbacks take lock; the TLS
	 * error and trace callbacks take tls_lock). So the order is Paho's
	 * mutex first, ours second, and never the other way round: no
	 * MQTTAsync_* function is called while lock or tls_lock is held, on
	 * any thread. Whoever needs both copies what it needs under the lock,
	 * releases it and then calls Paho (pump, connect_attempt,
	 * mqtt_client_subscribe, on_connected). Our two locks are never held
	 * together, and under them only memory, the event queue and the
	 * eventfd are touched.
	 *
	 * Who calls Paho: the owner's thread (the daemon's main loop, through
	 * the mqtt_client_* functions), and Paho's own threads from inside a
	 * callback (on_connected subscribes there; Paho allows it, as the
	 * thread already holds its mutex). tests/it_mqtt.c's lock-order test
	 * stops for good when a subscription calls Paho with lock held. */

	char tls_error[TLS_NOTE_LEN];	/* OpenSSL's reason for the last failure: tls_lock */

	struct event_block *taken;	/* a batch taken from head: the owner's thread only */
	struct event_block *read;	/* blocks of taken read to the end: the owner's thread only */
	bool key_refused;	/* the last attempt was refused for the key: the owner's thread only */

	pthread_mutex_t lock;	/* guards everything below */
	struct event_block *head, *tail;	/* the queued events, in blocks */
	struct event_block *spare;	/* blocks to reuse, EVENT_BLOCKS_FREE at most */
	size_t n_spare;
	size_t queued;		/* events in head..tail */
	size_t queued_bytes;	/* of the messages in head..tail: their records */
	size_t batch_bytes;	/* the same for the batch the owner took last */
	size_t max_payload_bytes;	/* a longer payload is dropped in on_message */
	size_t max_queued_bytes;	/* bound of queued_bytes + batch_bytes (a lone
					 * message may pass it) */
	int event_fd;
	bool fd_signalled;	/* event_fd's counter is nonzero */
	bool connected;
	bool connecting;
	bool started;
	double retry_at;	/* clock_real_s() of the next own connect attempt */
	double retry_delay_s;
	struct out_msg *out_head, *out_tail;	/* waiting for the window */
	size_t out_count;
	size_t in_paho;		/* handed to Paho, not called back */
	size_t window;		/* how many may be in Paho now */
	double connected_at;	/* clock_real_s() of the last connect */
	double done_at;		/* clock_real_s() of the last publish callback */
	unsigned young_losses;	/* connections in a row lost on probation */
	struct publish_ctx slots[WINDOW_MAX];	/* busy ones: in_paho of them */
	char filters[MAX_FILTERS][256];
	int filter_qos[MAX_FILTERS];
	size_t n_filters;
	struct mqtt_stats stats;
};

static size_t rec_bytes(size_t text_len, size_t payload_len)
{
	size_t n = sizeof(struct event_rec) + text_len + 1 + payload_len + 1;
	size_t a = _Alignof(struct event_rec);

	return (n + a - 1) / a * a;
}

static void blocks_free(struct event_block *b)
{
	while (b) {
		struct event_block *next = b->next;

		free(b);
		b = next;
	}
}

/* Room for a record of bytes at the end of the queue, under lock: in the
 * last block, a spare one, or a new one. NULL when out of memory. */
static struct event_rec *rec_alloc_locked(struct mqtt_client *c, size_t bytes)
{
	struct event_block *b = c->tail;
	struct event_rec *r;

	if (!b || b->size - b->used < bytes) {
		if (c->spare && bytes <= c->spare->size) {
			b = c->spare;
			c->spare = b->next;
			c->n_spare--;
		} else {
			size_t size = bytes > EVENT_BLOCK_BYTES ? bytes : EVENT_BLOCK_BYTES;

			b = malloc(sizeof(*b) + size);
			if (!b)
				return NULL;
			b->size = size;
		}
		b->used = 0;
		b->read = 0;
		LIST_APPEND(c->head, c->tail, b);
	}
	r = (struct event_rec *)(b->data + b->used);
	b->used += bytes;
	return r;
}

/* A PUBLISHED event does not wake the owner: it waits for the next
 * mqtt_client_next() call, which the owner's loop makes every round anyway
 * (a sample tick, a message, a timeout). At 20 readings a second that saves
 * a wake-up, an eventfd write and a read per reading. Unless publishes wait
 * for the window: the owner's next call hands them to Paho (pump), and an
 * owner asleep in poll() would hold each window's worth back for its
 * timeout (a collector with a thousand acks to send after a burst sent 64
 * every 50 ms). A polled owner (mqtt_client_set_polled) is not woken for
 * anything else either: its loop comes round within MQTT_POLLED_MAX_S. */
static void queue_pushed_locked(struct mqtt_client *c, enum mqtt_event_kind kind)
{
	uint64_t one = 1;
	bool window_waits = kind == MQTT_EVENT_PUBLISHED && c->out_count > 0;

	c->queued++;
	if (c->fd_signalled || (!window_waits && (kind == MQTT_EVENT_PUBLISHED || c->polled)))
		return;
	c->fd_signalled = true;
	/* A failed write only means the counter is already nonzero. */
	if (write(c->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("mqtt: eventfd write: %s", strerror(errno));
}

/* Queues an event without a message, under lock. A lost CONNECTED/LOST
 * note (out of memory) only costs a log line; a lost PUBLISHED, a publish
 * the owner never hears of. */
static void queue_simple(struct mqtt_client *c, enum mqtt_event_kind kind, const char *detail,
			 uint64_t tag, bool ok)
{
	size_t len = detail ? strnlen(detail, sizeof(((struct mqtt_event *)0)->detail) - 1) : 0;
	struct event_rec *r = rec_alloc_locked(c, rec_bytes(len, 0));

	if (!r)
		return;
	r->kind = kind;
	r->tag = tag;
	r->ok = ok;
	r->text_len = len;
	r->payload_len = 0;
	memcpy(r + 1, detail ? detail : "", len);
	((char *)(r + 1))[len] = '\0';
	queue_pushed_locked(c, kind);
}

/* A broker refuses a subscription its ACL denies with the SUBACK return code
 * 0x80 (MQTT 3.1.1 §3.9.3); Paho hands that to onSuccess as the granted QoS,
 * or to onFailure. Either way the daemon would wait forever for messages that
 * never come, so it is logged. context: the filter, in the client's own
 * storage (it outlives the handle). */
static void on_subscribe_ok(void *context, MQTTAsync_successData *data)
{
	if (data && data->alt.qos == MQTT_BAD_SUBSCRIBE)
		log_error("mqtt: the broker refused the subscription to %s (not allowed by its ACL?)",
			  (const char *)context);
}

/* Also called when the connection drops before the SUBACK; the next
 * connect subscribes again, so only a refusal is worth an error. */
static void on_subscribe_fail(void *context, MQTTAsync_failureData *data)
{
	if (data && data->code == MQTT_BAD_SUBSCRIBE)
		log_error("mqtt: the broker refused the subscription to %s (not allowed by its ACL?)",
			  (const char *)context);
	else
		log_debug("mqtt: subscription to %s not completed (code %d)", (const char *)context,
			  data ? data->code : 0);
}

/* Subscribes to filter i, without lock (it calls Paho). A filter is written
 * once, under lock, before n_filters counts it, and never changes after: a
 * thread that read n_filters under lock may read filters[i] and
 * filter_qos[i] for i below it without. */
static int subscribe_one(struct mqtt_client *c, size_t i)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	int rc;

	ro.onSuccess = on_subscribe_ok;
	ro.onFailure = on_subscribe_fail;
	ro.context = c->filters[i];
	rc = MQTTAsync_subscribe(c->handle, c->filters[i], c->filter_qos[i], &ro);
	if (rc != MQTTASYNC_SUCCESS)
		log_warn("mqtt: subscribe %s failed (%d)", c->filters[i], rc);
	return rc;
}

/* Paho's trace has no context pointer, so what it says about TLS is kept
 * for the whole process: the daemons run one client each. tls_lock guards
 * it and every client's tls_error. */
static pthread_mutex_t tls_lock = PTHREAD_MUTEX_INITIALIZER;
static char trace_note[TLS_NOTE_LEN];

/* Paho's trace callback (its threads): keeps the lines that say why a TLS
 * connect failed. Paho 1.3.11 writes "X509_check_host for hostname HOST
 * failed, rc 0" when the certificate does not name the host of mqtt.uri, and
 * "SSL alert write:fatal:unknown CA" (we refused the broker) or "SSL alert
 * read:fatal:..." (the broker refused us). */
static void tls_trace(enum MQTTASYNC_TRACE_LEVELS level, char *message)
{
	static const char host_failed[] = "X509_check_host for hostname ";
	static const char alert_sent[] = "SSL alert write:fatal:";
	static const char alert_got[] = "SSL alert read:fatal:";
	char note[TLS_NOTE_LEN];
	const char *p;

	(void)level;
	if (!message)
		return;
	if ((p = strstr(message, host_failed)) != NULL) {
		p += sizeof(host_failed) - 1;
		snprintf(note, sizeof(note), "the broker's certificate is not for host \"%.*s\"",
			 (int)strcspn(p, " "), p);
	} else if ((p = strstr(message, alert_sent)) != NULL) {
		snprintf(note, sizeof(note), "refused the broker's certificate: %s",
			 p + sizeof(alert_sent) - 1);
	} else if ((p = strstr(message, alert_got)) != NULL) {
		p += sizeof(alert_got) - 1;
		/* OpenSSL 3.0 has no name for TLS 1.3's certificate_required
		 * (RFC 8446 §6.2), the alert a broker with require_certificate
		 * sends to a client without one. */
		if (strcmp(p, "unknown") == 0)
			p = "an alert OpenSSL does not name (a broker that requires a client "
			    "certificate sends one: mqtt.tls.cert_file)";
		snprintf(note, sizeof(note), "the broker refused us: %s", p);
	} else if (strstr(message, "SSL handshake done") != NULL) {
		/* With TLS 1.3 the client's handshake ends before the broker has
		 * checked the client's certificate; a refusal then comes as an
		 * alert or a reset, whichever Paho notices first. Later lines
		 * replace this note. */
		snprintf(note, sizeof(note), "the broker closed the connection after the TLS "
			 "handshake: it may require a client certificate (mqtt.tls.cert_file) "
			 "or refuse ours");
	} else {
		return;
	}
	pthread_mutex_lock(&tls_lock);
	snprintf(trace_note, sizeof(trace_note), "%s", note);
	pthread_mutex_unlock(&tls_lock);
}

/* Paho's ssl_error_cb, called with each line of OpenSSL's error queue:
 * "TID:error:CODE:LIBRARY:FUNCTION:REASON:FILE:LINE:DATA". The first line's
 * REASON (and DATA, if any) is kept. */
static int tls_error_cb(const char *str, size_t len, void *u)
{
	struct mqtt_client *c = u;
	const char *field[9];
	const char *end = str + len;
	size_t n = 0;
	size_t reason_len;

	field[n++] = str;
	for (const char *p = str; p < end && n < 9; p++)
		if (*p == ':')
			field[n++] = p + 1;
	if (n < 7)
		return 0;	/* not the format above: nothing worth keeping */
	reason_len = (size_t)(field[6] - 1 - field[5]);
	pthread_mutex_lock(&tls_lock);
	if (c->tls_error[0] == '\0') {
		size_t data_len = n == 9 ? strcspn(field[8], "\r\n") : 0;

		if (n == 9 && field[8] + data_len > end)
			data_len = (size_t)(end - field[8]);
		snprintf(c->tls_error, sizeof(c->tls_error), "%.*s%s%.*s", (int)reason_len, field[5],
			 data_len ? ": " : "", (int)data_len, n == 9 ? field[8] : "");
	}
	pthread_mutex_unlock(&tls_lock);
	return 0;
}

/* Takes (and clears) what the last TLS failure left: OpenSSL's reason and
 * the trace's note, "certificate verify failed (refused the broker's
 * certificate: unknown CA)". Empty when there is nothing. */
static void tls_failure_take(struct mqtt_client *c, char *out, size_t len)
{
	pthread_mutex_lock(&tls_lock);
	if (c->tls_error[0] && trace_note[0])
		snprintf(out, len, "%s (%s)", c->tls_error, trace_note);
	else
		snprintf(out, len, "%s%s", c->tls_error, trace_note);
	c->tls_error[0] = '\0';
	trace_note[0] = '\0';
	pthread_mutex_unlock(&tls_lock);
}

/* The trace is read at protocol level only while a TLS client is not
 * connected: that level also traces every packet. What an earlier attempt
 * left (OpenSSL's error, the trace's note) is dropped. */
static void tls_trace_watch(struct mqtt_client *c, bool on)
{
	if (!c->tls)
		return;
	pthread_mutex_lock(&tls_lock);
	c->tls_error[0] = '\0';
	trace_note[0] = '\0';
	pthread_mutex_unlock(&tls_lock);
	MQTTAsync_setTraceLevel(on ? MQTTASYNC_TRACE_PROTOCOL : MQTTASYNC_TRACE_ERROR);
}

/* Every filter is subscribed again on every connection, before the client
 * counts as connected: until then pump() hands nothing to Paho, so the
 * subscriptions go out first. A filter the owner adds meanwhile is picked up
 * by the loop (mqtt_client_subscribe leaves it to us while not connected). */
static void on_connected(void *context, char *cause)
{
	struct mqtt_client *c = context;
	size_t done = 0, n;

	tls_trace_watch(c, false);
	pthread_mutex_lock(&c->lock);
	n = c->n_filters;
	for (;;) {
		pthread_mutex_unlock(&c->lock);
		for (; done < n; done++)
			subscribe_one(c, done);
		pthread_mutex_lock(&c->lock);
		if (c->n_filters == done)
			break;
		n = c->n_filters;
	}
	c->connected = true;
	c->connecting = false;
	c->retry_delay_s = 1;
	c->window = 1;
	c->connected_at = clock_real_s();
	c->stats.connects++;
	queue_simple(c, MQTT_EVENT_CONNECTED, cause ? cause : "connected", 0, false);
	pthread_mutex_unlock(&c->lock);
}

static void on_connection_lost(void *context, char *cause)
{
	struct mqtt_client *c = context;
	char why[sizeof(((struct mqtt_event *)0)->detail)];

	pthread_mutex_lock(&c->lock);
	c->connected = false;
	c->window = 1;
	if (clock_real_s() - c->connected_at < PROBATION_S)
		c->young_losses++;
	else
		c->young_losses = 0;
	/* A broker that closes every connection at once usually refuses what
	 * we publish (mosquitto does so for a topic its ACL denies). */
	if (c->young_losses == YOUNG_LOSSES_NOTED || (c->young_losses && c->young_losses % 100 == 0))
		snprintf(why, sizeof(why), "%s, %u times in a row within %.0f s of connecting: the "
			 "broker may refuse what this client publishes (its ACL for user \"%.64s\", "
			 "mqtt.username)", cause ? cause : "connection lost", c->young_losses,
			 PROBATION_S, c->cfg.username[0] ? c->cfg.username : "(none)");
	else
		snprintf(why, sizeof(why), "%s", cause ? cause : "connection lost");
	queue_simple(c, MQTT_EVENT_LOST, why, 0, false);
	pthread_mutex_unlock(&c->lock);
}

/* Paho frees what it handed us only when we return 1; with 0 it keeps the
 * message and calls again later (see MAX_QUEUED). */
static int on_message(void *context, char *topic, int topic_len, MQTTAsync_message *m)
{
	struct mqtt_client *c = context;
	struct event_rec *r;
	size_t tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);
	size_t plen = m->payloadlen > 0 ? (size_t)m->payloadlen : 0;
	size_t bytes = rec_bytes(tlen, plen);
	char *text;

	pthread_mutex_lock(&c->lock);
	if (plen > c->max_payload_bytes) {
		/* Dropped before we copy anything: Paho's own copy is freed
		 * at once, and none reaches the queue or the owner. */
		uint64_t dropped = ++c->stats.dropped_oversize;
		size_t max = c->max_payload_bytes;

		pthread_mutex_unlock(&c->lock);
		/* The 1st, 2nd, 4th, 8th ...: a sender that keeps trying
		 * cannot flood the log. */
		if ((dropped & (dropped - 1)) == 0)
			log_warn("mqtt: dropped a message of %zu bytes, more than the %zu this client "
				 "takes (%llu dropped so far)", plen, max, (unsigned long long)dropped);
		MQTTAsync_freeMessage(&m);
		MQTTAsync_free(topic);
		return 1;
	}
	/* One message always fits an empty queue, whatever its size. */
	if (c->queued >= MAX_QUEUED ||
	    (c->queued_bytes + c->batch_bytes > 0 &&
	     c->queued_bytes + c->batch_bytes + bytes > c->max_queued_bytes)) {
		pthread_mutex_unlock(&c->lock);
		return 0;	/* Paho keeps the message and calls again */
	}
	r = rec_alloc_locked(c, bytes);
	if (!r) {
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	r->kind = MQTT_EVENT_MESSAGE;
	r->ok = false;
	r->tag = 0;
	r->text_len = tlen;
	r->payload_len = plen;
	text = (char *)(r + 1);
	memcpy(text, topic, tlen);
	text[tlen] = '\0';
	if (plen)
		memcpy(text + tlen + 1, m->payload, plen);
	text[tlen + 1 + plen] = '\0';
	c->stats.messages++;
	c->queued_bytes += bytes;
	queue_pushed_locked(c, MQTT_EVENT_MESSAGE);
	pthread_mutex_unlock(&c->lock);
	MQTTAsync_freeMessage(&m);
	MQTTAsync_free(topic);
	return 1;
}

static void publish_done(struct publish_ctx *pc, bool ok)
{
	struct mqtt_client *c = pc->c;

	pthread_mutex_lock(&c->lock);
	if (c->in_paho)
		c->in_paho--;
	c->done_at = clock_real_s();
	pc->busy = false;
	if (ok) {
		c->stats.published_ok++;
		if (c->window < WINDOW_MAX)
			c->window++;
	}
	queue_simple(c, MQTT_EVENT_PUBLISHED, NULL, pc->tag, ok);
	pthread_mutex_unlock(&c->lock);
}

static void on_publish_ok(void *context, MQTTAsync_successData *data)
{
	(void)data;
	publish_done(context, true);
}

static void on_publish_fail(void *context, MQTTAsync_failureData *data)
{
	(void)data;
	publish_done(context, false);
}

/* CONNACK return codes, MQTT 3.1.1 §3.2.2.3; Paho passes them as the code. */
static const char *const connack_names[] = {
	[1] = "unacceptable protocol version (code 1)",
	[2] = "client id rejected (code 2; mqtt.client_id)",
	[3] = "server unavailable (code 3)",
	[4] = "bad user name or password (code 4; mqtt.username, mqtt.password_file)",
	[5] = "not authorised (code 5; mqtt.username, mqtt.password_file)",
};

static void on_connect_fail(void *context, MQTTAsync_failureData *data)
{
	struct mqtt_client *c = context;
	char why[sizeof(((struct mqtt_event *)0)->detail)];
	char tls_why[2 * TLS_NOTE_LEN + 4];

	tls_why[0] = '\0';
	/* MQTTASYNC_FAILURE: the socket or TLS failed; a broker's refusal
	 * (CONNACK) has its own code and message. */
	if (c->tls && (!data || data->code == MQTTASYNC_FAILURE))
		tls_failure_take(c, tls_why, sizeof(tls_why));
	if (tls_why[0])
		snprintf(why, sizeof(why), "TLS: %.180s; connect to %.100s failed", tls_why, c->cfg.uri);
	else if (data && data->code >= 1 && data->code <= 5)
		snprintf(why, sizeof(why), "the broker at %.100s refused the connection: %s",
			 c->cfg.uri, connack_names[data->code]);
	else
		snprintf(why, sizeof(why), "connect to %.100s failed: %s (code %d)", c->cfg.uri,
			 data && data->message ? data->message : "no answer", data ? data->code : 0);
	pthread_mutex_lock(&c->lock);
	c->connecting = false;
	queue_simple(c, MQTT_EVENT_LOST, why, 0, false);
	pthread_mutex_unlock(&c->lock);
}

/* Paho knows tcp:// and ssl://; the mqtt:// and mqtts:// spellings that
 * other tools use are mapped onto them. */
static int uri_normalise(const char *in, char *out, size_t len, bool *tls)
{
	static const struct {
		const char *from, *to;
		bool tls;
	} schemes[] = {
		{ "tcp://", "tcp://", false }, { "mqtt://", "tcp://", false },
		{ "ssl://", "ssl://", true }, { "mqtts://", "ssl://", true },
	};

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i].from);

		if (strncmp(in, schemes[i].from, n) == 0) {
			*tls = schemes[i].tls;
			return snprintf(out, len, "%s%s", schemes[i].to, in + n) < (int)len ? 0 : -1;
		}
	}
	return -1;
}

/* Paho formats a line into its in-memory trace for every packet at its
 * default level (vsnprintf, about 4 per message), which nobody reads: the
 * collector drained 20,000 readings in 29 % fewer instructions at errors only
 * (callgrind). The level is the process's, set once before the first client:
 * a TLS client raises it while it connects (tls_trace_watch). */
static pthread_once_t trace_once = PTHREAD_ONCE_INIT;

static void trace_errors_only(void)
{
	MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
}

struct mqtt_client *mqtt_client_new(const struct mqtt_cfg *cfg, const char *client_id,
				    const struct mqtt_will *will, char *err, size_t err_len)
{
	MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
	struct mqtt_client *c;
	int rc;

	pthread_once(&trace_once, trace_errors_only);
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	snprintf(c->client_id, sizeof(c->client_id), "%s", client_id);
	if (uri_normalise(cfg->uri, c->uri, sizeof(c->uri), &c->tls) < 0) {
		snprintf(err, err_len, "mqtt.uri: \"%s\" is not tcp://, mqtt://, ssl:// or mqtts://",
			 cfg->uri);
		goto err_free;
	}
	if (will && will->topic) {
		snprintf(c->will_topic, sizeof(c->will_topic), "%s", will->topic);
		snprintf(c->will_payload, sizeof(c->will_payload), "%s", will->payload);
		c->will = (MQTTAsync_willOptions)MQTTAsync_willOptions_initializer;
		c->will.topicName = c->will_topic;
		c->will.message = c->will_payload;
		c->will.retained = will->retained;
		c->will.qos = 1;
	}
	c->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->event_fd < 0) {
		snprintf(err, err_len, "eventfd: %s", strerror(errno));
		goto err_free;
	}
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		snprintf(err, err_len, "mutex: out of resources");
		goto err_close_fd;
	}
	for (size_t i = 0; i < WINDOW_MAX; i++)
		c->slots[i].c = c;
	c->retry_delay_s = 1;
	c->window = 1;
	c->max_payload_bytes = MQTT_DEFAULT_MAX_PAYLOAD_BYTES;
	c->max_queued_bytes = MQTT_DEFAULT_MAX_QUEUED_BYTES;

	/* Paho may hold messages while disconnected; the daemons also keep their
	 * own queue, so this only smooths reconnects. */
	co.sendWhileDisconnected = 1;
	co.maxBufferedMessages = 10000;
	co.MQTTVersion = MQTTVERSION_3_1_1;
	rc = MQTTAsync_createWithOptions(&c->handle, c->uri, c->client_id,
					 MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
	if (rc != MQTTASYNC_SUCCESS) {
		snprintf(err, err_len, "mqtt.uri: Paho refused \"%s\" (code %d)", cfg->uri, rc);
		goto err_destroy_lock;
	}
	rc = MQTTAsync_setCallbacks(c->handle, c, on_connection_lost, on_message, NULL);
	if (rc == MQTTASYNC_SUCCESS)
		rc = MQTTAsync_setConnected(c->handle, c, on_connected);
	if (rc != MQTTASYNC_SUCCESS) {
		snprintf(err, err_len, "mqtt: cannot set callbacks (code %d)", rc);
		goto err_destroy_client;
	}
	return c;

err_destroy_client:
	MQTTAsync_destroy(&c->handle);
err_destroy_lock:
	pthread_mutex_destroy(&c->lock);
err_close_fd:
	close(c->event_fd);
err_free:
	explicit_bzero(c->cfg.password, sizeof(c->cfg.password));
	free(c);
	return NULL;
}

/* One connect attempt. The caller set connecting under lock; it is cleared
 * here if the attempt fails at once, and otherwise by the callbacks. Without
 * lock: it calls Paho. The TLS client key is checked first (see the top of
 * this file), and a refusal counts as a failed connect, reported once per
 * stretch of refusals. from_tick: that report is a LOST event (the daemons
 * log every one) and Paho's refusal a warning; otherwise either is only in
 * err, for mqtt_client_start's caller. 0, or -1 with err. */
static int connect_attempt(struct mqtt_client *c, bool from_tick, char *err, size_t err_len)
{
	MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	char what[2 * CONFIG_PATH_MAX + 200];
	bool lost = false;
	int rc;

	if (c->tls && c->cfg.key_file[0] &&
	    keyfile_check(c->cfg.key_file, c->cfg.key_group, what, sizeof(what)) != 0) {
		snprintf(err, err_len, "mqtt.tls.key_file: %.260s; not connecting until it is fixed",
			 what);
		if (c->key_refused)
			log_debug("mqtt: %s", err);
		lost = from_tick && !c->key_refused;
		c->key_refused = true;
		goto failed;
	}
	c->key_refused = false;
	opts.keepAliveInterval = (int)c->cfg.keepalive_s;
	opts.cleansession = c->clean_session;	/* persistent unless asked: see mqtt.h */
	opts.automaticReconnect = 0;	/* see the top of this file */
	opts.connectTimeout = 10;
	opts.MQTTVersion = MQTTVERSION_3_1_1;
	opts.onFailure = on_connect_fail;
	opts.context = c;
	opts.username = c->cfg.username[0] ? c->cfg.username : NULL;
	opts.password = c->cfg.password[0] ? c->cfg.password : NULL;
	opts.will = c->will.topicName ? &c->will : NULL;
	if (c->tls) {
		ssl.trustStore = c->cfg.ca_file[0] ? c->cfg.ca_file : NULL;
		ssl.keyStore = c->cfg.cert_file[0] ? c->cfg.cert_file : NULL;
		ssl.privateKey = c->cfg.key_file[0] ? c->cfg.key_file : NULL;
		ssl.enableServerCertAuth = 1;
		ssl.verify = 1;	/* the host name must match the certificate */
		if (!ssl.trustStore)
			ssl.CApath = "/etc/ssl/certs";
		ssl.ssl_error_cb = tls_error_cb;
		ssl.ssl_error_context = c;
		opts.ssl = &ssl;
		MQTTAsync_setTraceCallback(tls_trace);
		tls_trace_watch(c, true);
	}
	rc = MQTTAsync_connect(c->handle, &opts);
	if (rc == MQTTASYNC_SUCCESS)
		return 0;
	snprintf(err, err_len, "mqtt: connect to %s failed at once (code %d)", c->cfg.uri, rc);
	if (from_tick)
		log_warn("%s", err);
failed:
	pthread_mutex_lock(&c->lock);
	c->connecting = false;
	if (lost)
		queue_simple(c, MQTT_EVENT_LOST, err, 0, false);
	pthread_mutex_unlock(&c->lock);
	return -1;
}

/* Hands queued publishes to Paho while connected and the window has room.
 * The owner's thread only; Paho is called without lock (see the locks). */
static void pump(struct mqtt_client *c)
{
	for (;;) {
		MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
		MQTTAsync_message msg = MQTTAsync_message_initializer;
		double now = clock_real_s();
		struct publish_ctx *pc;
		struct out_msg *m;
		bool probation;
		int rc;

		if (!c->out_head)	/* written on the owner's thread only */
			return;
		pthread_mutex_lock(&c->lock);
		m = c->out_head;
		probation = now - c->connected_at < PROBATION_S;
		if (!c->connected || c->in_paho >= c->window ||
		    (probation && (c->in_paho > 0 || now - c->done_at < PROBE_GAP_S))) {
			pthread_mutex_unlock(&c->lock);
			return;
		}
		for (pc = c->slots; pc->busy; pc++)
			;	/* in_paho < window <= WINDOW_MAX: one is free */
		pc->busy = true;
		pc->tag = m->tag;
		c->out_head = m->next;
		if (!c->out_head)
			c->out_tail = NULL;
		c->out_count--;
		/* Counted before the call: the callback may run before it returns. */
		c->in_paho++;
		pthread_mutex_unlock(&c->lock);

		msg.payload = m->payload;	/* Paho copies it */
		msg.payloadlen = (int)m->len;
		msg.qos = m->qos;
		msg.retained = m->retained;
		ro.onSuccess = on_publish_ok;
		ro.onFailure = on_publish_fail;
		ro.context = pc;
		rc = MQTTAsync_sendMessage(c->handle, m->topic, &msg, &ro);
		if (rc != MQTTASYNC_SUCCESS) {
			log_debug("mqtt: Paho refused a publish to %s (code %d)", m->topic, rc);
			publish_done(pc, false);
		}
		free(m);
	}
}

int mqtt_client_start(struct mqtt_client *c, char *err, size_t err_len)
{
	pthread_mutex_lock(&c->lock);
	c->started = true;
	c->connecting = true;
	pthread_mutex_unlock(&c->lock);
	return connect_attempt(c, false, err, err_len);
}

void mqtt_client_tick(struct mqtt_client *c, double now_real_s)
{
	bool attempt = false;
	char err[sizeof(((struct mqtt_event *)0)->detail)];

	pthread_mutex_lock(&c->lock);
	if (c->started && !c->connecting && !c->connected) {
		if (c->retry_at == 0) {
			c->retry_at = now_real_s + c->retry_delay_s;
		} else if (now_real_s >= c->retry_at) {
			c->retry_at = 0;
			c->retry_delay_s = c->retry_delay_s * 2 > 30 ? 30 : c->retry_delay_s * 2;
			c->connecting = true;
			attempt = true;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (attempt)
		connect_attempt(c, true, err, sizeof(err));
	pump(c);
}

/* The filter is recorded under lock and subscribed after it is released.
 * While not connected, on_connected subscribes it (see there): either this
 * function sees connected set, and on_connected has finished without it, or
 * on_connected has not finished and will count it. */
int mqtt_client_subscribe(struct mqtt_client *c, const char *filter, int qos)
{
	bool now = false;
	size_t i = 0;

	pthread_mutex_lock(&c->lock);
	if (c->n_filters >= MAX_FILTERS || strlen(filter) >= sizeof(c->filters[0])) {
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	i = c->n_filters;
	snprintf(c->filters[i], sizeof(c->filters[0]), "%s", filter);
	c->filter_qos[i] = qos;
	c->n_filters++;
	now = c->connected;
	pthread_mutex_unlock(&c->lock);
	return now && subscribe_one(c, i) != MQTTASYNC_SUCCESS ? -1 : 0;
}

int mqtt_client_publish(struct mqtt_client *c, const char *topic, const void *payload,
			size_t len, int qos, bool retained, uint64_t tag)
{
	size_t topic_len = strlen(topic);
	struct out_msg *m;

	if (len > INT32_MAX)
		return -1;
	m = malloc(sizeof(*m) + len + topic_len + 1);
	if (!m)
		return -1;
	m->tag = tag;
	m->len = len;
	m->qos = qos;
	m->retained = retained;
	if (len)
		memcpy(m->payload, payload, len);
	m->topic = (char *)m->payload + len;
	memcpy(m->topic, topic, topic_len + 1);
	pthread_mutex_lock(&c->lock);
	if (c->out_count >= QUEUE_MAX) {
		pthread_mutex_unlock(&c->lock);
		free(m);
		return -1;
	}
	LIST_APPEND(c->out_head, c->out_tail, m);
	c->out_count++;
	pthread_mutex_unlock(&c->lock);
	pump(c);
	return 0;
}

bool mqtt_client_connected(const struct mqtt_client *c)
{
	struct mqtt_client *m = (struct mqtt_client *)c;
	bool up;

	pthread_mutex_lock(&m->lock);
	up = m->connected;
	pthread_mutex_unlock(&m->lock);
	return up;
}

size_t mqtt_client_pending(const struct mqtt_client *c)
{
	struct mqtt_client *m = (struct mqtt_client *)c;
	size_t n;

	pthread_mutex_lock(&m->lock);
	n = m->out_count + m->in_paho;
	pthread_mutex_unlock(&m->lock);
	return n;
}

void mqtt_client_set_clean_session(struct mqtt_client *c, bool clean)
{
	c->clean_session = clean;
}

void mqtt_client_set_polled(struct mqtt_client *c, bool polled)
{
	pthread_mutex_lock(&c->lock);
	c->polled = polled;
	pthread_mutex_unlock(&c->lock);
}

void mqtt_client_set_inbound_limits(struct mqtt_client *c, size_t max_payload_bytes,
				    size_t max_queued_bytes)
{
	pthread_mutex_lock(&c->lock);
	c->max_payload_bytes = max_payload_bytes ? max_payload_bytes : MQTT_DEFAULT_MAX_PAYLOAD_BYTES;
	c->max_queued_bytes = max_queued_bytes ? max_queued_bytes : MQTT_DEFAULT_MAX_QUEUED_BYTES;
	pthread_mutex_unlock(&c->lock);
}

int mqtt_client_fd(const struct mqtt_client *c)
{
	return c->event_fd;
}

/* Events are taken from the shared queue a whole batch at a time, so the
 * lock Paho's threads need is taken once per batch, not once per message;
 * the blocks read since the last take go back to the spares then, as no
 * event handed out from them is in use any more (mqtt.h). Publishes are
 * pumped once per batch too: the owner's loop also pumps every round. */
static void batch_take(struct mqtt_client *c)
{
	struct event_block *give_back = NULL;
	uint64_t count;

	pump(c);
	pthread_mutex_lock(&c->lock);
	while (c->read) {
		struct event_block *b = c->read;

		c->read = b->next;
		if (c->n_spare < EVENT_BLOCKS_FREE && b->size == EVENT_BLOCK_BYTES) {
			b->next = c->spare;
			c->spare = b;
			c->n_spare++;
		} else {
			b->next = give_back;
			give_back = b;
		}
	}
	c->taken = c->head;
	c->head = c->tail = NULL;
	c->queued = 0;
	/* The last batch is the owner's now (consumed, or copied out). */
	c->batch_bytes = c->queued_bytes;
	c->queued_bytes = 0;
	if (c->fd_signalled) {
		/* Drain the counter so poll() sleeps until the next push. */
		if (read(c->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
			log_debug("mqtt: eventfd read: %s", strerror(errno));
		c->fd_signalled = false;
	}
	pthread_mutex_unlock(&c->lock);
	blocks_free(give_back);
}

int mqtt_client_next(struct mqtt_client *c, struct mqtt_event *ev)
{
	struct event_block *b = c->taken;
	const struct event_rec *r;
	char *text;

	/* A block read to the end waits for the next take (see above). */
	while (b && b->read == b->used) {
		c->taken = b->next;
		b->next = c->read;
		c->read = b;
		b = c->taken;
	}
	if (!b) {
		batch_take(c);
		b = c->taken;
		if (!b)
			return -1;
	}
	r = (const struct event_rec *)(b->data + b->read);
	b->read += rec_bytes(r->text_len, r->payload_len);
	text = (char *)(r + 1);
	ev->kind = r->kind;
	ev->tag = r->tag;
	ev->ok = r->ok;
	ev->topic = NULL;
	ev->payload = NULL;
	ev->payload_len = 0;
	ev->detail[0] = '\0';
	if (r->kind == MQTT_EVENT_MESSAGE) {
		ev->topic = text;
		ev->payload = text + r->text_len + 1;
		ev->payload_len = r->payload_len;
	} else if (r->kind != MQTT_EVENT_PUBLISHED) {
		memcpy(ev->detail, text, r->text_len + 1);
	}
	return 0;
}

void mqtt_event_clear(struct mqtt_event *ev)
{
	ev->topic = NULL;
	ev->payload = NULL;
}

void mqtt_client_get_stats(const struct mqtt_client *c, struct mqtt_stats *st)
{
	struct mqtt_client *m = (struct mqtt_client *)c;

	pthread_mutex_lock(&m->lock);
	*st = m->stats;
	pthread_mutex_unlock(&m->lock);
}

void mqtt_client_free(struct mqtt_client *c, unsigned timeout_ms)
{
	MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
	struct mqtt_event ev;

	if (!c)
		return;
	if (c->started) {
		unsigned waited = 0;

		for (; waited < timeout_ms; waited += 10) {
			pump(c);
			if (!mqtt_client_connected(c) || mqtt_client_pending(c) == 0)
				break;
			usleep(10000);
		}
		timeout_ms -= waited < timeout_ms ? waited : timeout_ms;
		dopts.timeout = (int)timeout_ms;
		MQTTAsync_disconnect(c->handle, &dopts);
		/* MQTTAsync_disconnect returns at once; give in-flight work the
		 * time it was promised before the handle goes away. */
		for (waited = 0; waited < timeout_ms + 100; waited += 10) {
			if (!MQTTAsync_isConnected(c->handle))
				break;
			usleep(10000);
		}
	}
	MQTTAsync_destroy(&c->handle);
	while (c->out_head) {
		struct out_msg *next = c->out_head->next;

		free(c->out_head);
		c->out_head = next;
	}
	while (mqtt_client_next(c, &ev) == 0)
		mqtt_event_clear(&ev);
	blocks_free(c->read);
	blocks_free(c->spare);
	pthread_mutex_destroy(&c->lock);
	close(c->event_fd);
	explicit_bzero(c->cfg.password, sizeof(c->cfg.password));
	free(c);
}
