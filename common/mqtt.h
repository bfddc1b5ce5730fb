/* The MQTT client: the only file that includes Paho (MQTTAsync). It hides
 * Paho's threads: callbacks only queue events, and the daemon's single main
 * loop takes them with mqtt_client_next() when mqtt_client_fd() is readable.
 *
 * Always: MQTT 3.1.1, a persistent session (cleansession=0, so a frozen or
 * restarted broker does not drop in-flight QoS 1 messages), reconnects from
 * mqtt_client_tick(), resubscription on every connect, TLS with hostname
 * verification for ssl:// and mqtts:// and the client key checked before
 * every connect (keyfile.h), and no Paho file persistence (it never fsyncs;
 * the daemons keep their own durable state). */
#ifndef ROLLSENSE_MQTT_H
#define ROLLSENSE_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct mqtt_client;

enum mqtt_event_kind {
	MQTT_EVENT_CONNECTED,	/* (re)connected; subscriptions are being renewed */
	MQTT_EVENT_LOST,	/* the connection dropped or a connect failed (detail says
				 * why); mqtt_client_tick() tries again */
	MQTT_EVENT_PUBLISHED,	/* a publish finished: tag, ok */
	MQTT_EVENT_MESSAGE,	/* a message arrived: topic, payload */
};

struct mqtt_event {
	enum mqtt_event_kind kind;
	uint64_t tag;		/* PUBLISHED: the tag given to mqtt_client_publish */
	bool ok;		/* PUBLISHED: false if Paho gave up on it (it will not arrive) */
	char *topic;		/* MESSAGE: NUL-terminated, in the client's queue */
	char *payload;		/* MESSAGE: payload_len bytes plus a NUL, in the client's queue */
	size_t payload_len;
	char detail[320];	/* CONNECTED/LOST: the reason, for logs */
};

struct mqtt_will {
	const char *topic;	/* NULL: no will */
	const char *payload;
	bool retained;
};

/* Creates the client for cfg (uri, credentials, TLS). client_id must be
 * unique per broker. NULL on failure with err filled ("mqtt.uri: ..."). Call
 * after SIGPIPE is ignored: Paho's threads start here. */
struct mqtt_client *mqtt_client_new(const struct mqtt_cfg *cfg, const char *client_id,
				    const struct mqtt_will *will, char *err, size_t err_len);
/* Disconnects (waiting at most timeout_ms for in-flight work) and frees. */
void mqtt_client_free(struct mqtt_client *c, unsigned timeout_ms);

/* Starts connecting; returns at once (0, or -1 with err: Paho refused at once,
 * or the TLS client key failed its check; mqtt_client_tick() tries again
 * either way). Connection results arrive as events. */
int mqtt_client_start(struct mqtt_client *c, char *err, size_t err_len);

/* Connects again after a failed connect or a lost connection, 1 s after the
 * first tick that sees it down, then with a delay doubling up to 30 s; the
 * TLS client key is checked before each attempt, and a refused one is a
 * LOST event (once per stretch of refusals) and waits like a failed connect.
 * Also hands queued publishes to Paho. Call at least once a second (the
 * daemons call it every round of their loop) with clock_real_s(). */
void mqtt_client_tick(struct mqtt_client *c, double now_real_s);

/* What a client takes in, by default. */
#define MQTT_DEFAULT_MAX_PAYLOAD_BYTES (256u * 1024)
#define MQTT_DEFAULT_MAX_QUEUED_BYTES (16u * 1024 * 1024)

/* A clean session (cleansession=1) instead of the persistent one, for a
 * client that only watches (the live page, watch): the broker then queues
 * nothing for it while it is away, and forgets it when it disconnects.
 * Call before mqtt_client_start(). */
void mqtt_client_set_clean_session(struct mqtt_client *c, bool clean);

/* For an owner whose loop calls mqtt_client_next() at least every
 * MQTT_POLLED_MAX_S whatever happens (sensord, which samples on a timer):
 * arriving messages and connection events then wait for that call instead
 * of waking the owner through mqtt_client_fd(), so each costs no eventfd
 * write, read and wake-up. Publishes waiting for the window still wake it
 * (each window's worth would otherwise wait a whole round). Any thread,
 * any time. */
#define MQTT_POLLED_MAX_S 0.1
void mqtt_client_set_polled(struct mqtt_client *c, bool polled);

/* Limits what a client takes in; 0 keeps a default above. A message whose
 * payload is longer than max_payload_bytes is dropped on Paho's thread before
 * anything is copied: no event, counted in mqtt_stats.dropped_oversize.
 * Messages waiting for the owner (event, topic and payload, including the
 * batch mqtt_client_next() took last) hold at most max_queued_bytes, except
 * that one message always fits an empty queue; beyond it Paho keeps the next
 * message and offers it again later, so nothing is lost, only delayed (Paho
 * offers it again when its next packet arrives from the broker: see
 * mqtt.c). This bounds the client's queue, not the process's memory: Paho
 * 1.3.12 sends a QoS 1 message's PUBACK whether it was taken or not, so the
 * broker keeps sending, and Paho holds what was refused in its own queue. Any time, from the owner's thread; best before mqtt_client_start. */
void mqtt_client_set_inbound_limits(struct mqtt_client *c, size_t max_payload_bytes,
				    size_t max_queued_bytes);

/* Adds a subscription, kept for every later reconnect. 0 or -1. */
int mqtt_client_subscribe(struct mqtt_client *c, const char *filter, int qos);

/* Publishes a copy of payload. It waits in the client's queue while not
 * connected, and goes to Paho through a window that restarts at one message
 * on every connection (see mqtt.c). The result arrives as a PUBLISHED event
 * with the same tag (for QoS 1: when the PUBACK comes; ok false if Paho gave
 * up on it). 0, or -1 when it cannot be queued (10,000 waiting, or out of
 * memory): no event will follow. */
int mqtt_client_publish(struct mqtt_client *c, const char *topic, const void *payload,
			size_t len, int qos, bool retained, uint64_t tag);

bool mqtt_client_connected(const struct mqtt_client *c);
/* Publishes queued or handed to Paho that have not been called back. */
size_t mqtt_client_pending(const struct mqtt_client *c);

/* A descriptor that is readable while events are queued (for poll()),
 * except PUBLISHED events while no publish waits for the window: they wait
 * for the next mqtt_client_next(), so call it every round of the loop, not
 * only when the descriptor is readable. While publishes wait, a PUBLISHED
 * event makes it readable: the owner's next call hands more to Paho. */
int mqtt_client_fd(const struct mqtt_client *c);
/* Takes the oldest queued event into ev (0), or returns -1 when none is
 * queued. Its topic and payload stay valid until the next call of
 * mqtt_client_next() or mqtt_client_free(), no longer: copy what must
 * outlive them. Release it with mqtt_event_clear(). */
int mqtt_client_next(struct mqtt_client *c, struct mqtt_event *ev);
void mqtt_event_clear(struct mqtt_event *ev);

/* Statistics for the health line. */
struct mqtt_stats {
	uint64_t connects;
	uint64_t published_ok;
	uint64_t messages;		/* queued as MESSAGE events */
	uint64_t dropped_oversize;	/* longer than the client's max payload: dropped */
};
void mqtt_client_get_stats(const struct mqtt_client *c, struct mqtt_stats *st);

#endif
