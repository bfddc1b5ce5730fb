/* paho_sub_min: the least a program can do to receive a stream at QoS 1
 * with Paho's MQTTAsync, as the floor for the collector's ingest rate (the
 * collector receives through the same library). A bench program, not project
 * code (hence Paho included here, outside common/mqtt.c).
 *
 *   paho_sub_min URI CLIENT_ID FILTER COUNT
 *
 * Connects with a persistent session (cleansession 0, like the collector and
 * `mosquitto_sub -c`), subscribes to FILTER at QoS 1 and exits once COUNT
 * messages have arrived, printing "paho_sub_min: N messages". COUNT 0 only
 * registers the session: it exits once the subscription is acknowledged.
 * Gives up after 300 s (exit 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <MQTTAsync.h>

static volatile int connected, failed, subscribed;
static volatile long received;
static const char *filter;

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
	(void)ctx;
	(void)topic_len;
	__atomic_add_fetch(&received, 1, __ATOMIC_SEQ_CST);
	MQTTAsync_freeMessage(&m);
	MQTTAsync_free(topic);
	return 1;
}

static void on_subscribed(void *ctx, MQTTAsync_successData *resp)
{
	(void)ctx;
	(void)resp;
	subscribed = 1;
}

static void on_failure(void *ctx, MQTTAsync_failureData *resp)
{
	(void)ctx;
	(void)resp;
	failed = 1;
}

static void on_connect(void *ctx, MQTTAsync_successData *resp)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	MQTTAsync client = ctx;

	(void)resp;
	connected = 1;
	ro.onSuccess = on_subscribed;
	ro.onFailure = on_failure;
	if (MQTTAsync_subscribe(client, filter, 1, &ro) != MQTTASYNC_SUCCESS)
		failed = 1;
}

int main(int argc, char **argv)
{
	MQTTAsync client;
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
	MQTTAsync_disconnectOptions dopt = MQTTAsync_disconnectOptions_initializer;
	long count;
	int i;

	if (argc != 5 || (count = strtol(argv[4], NULL, 10)) < 0) {
		fprintf(stderr, "usage: paho_sub_min URI CLIENT_ID FILTER COUNT\n");
		return 2;
	}
	filter = argv[3];
	if (MQTTAsync_create(&client, argv[1], argv[2], MQTTCLIENT_PERSISTENCE_NONE, NULL) !=
	    MQTTASYNC_SUCCESS)
		return 1;
	if (MQTTAsync_setCallbacks(client, NULL, NULL, on_message, NULL) != MQTTASYNC_SUCCESS)
		return 1;
	co.keepAliveInterval = 30;
	co.cleansession = 0;
	co.onSuccess = on_connect;
	co.onFailure = on_failure;
	co.context = client;
	if (MQTTAsync_connect(client, &co) != MQTTASYNC_SUCCESS)
		return 1;
	/* 1 ms steps for 300 s: the wait, not the polling, is what is timed. */
	for (i = 0; i < 300000 && !failed; i++) {
		if (count == 0 ? subscribed : __atomic_load_n(&received, __ATOMIC_SEQ_CST) >= count)
			break;
		usleep(1000);
	}
	dopt.timeout = 1000;
	MQTTAsync_disconnect(client, &dopt);
	usleep(100000);
	MQTTAsync_destroy(&client);
	if (failed || (count ? received < count : !subscribed)) {
		fprintf(stderr, "paho_sub_min: %ld of %ld messages (%s)\n", (long)received, count,
			failed ? "connect or subscribe failed" : "timed out");
		return 1;
	}
	printf("paho_sub_min: %ld messages\n", (long)received);
	return 0;
}
