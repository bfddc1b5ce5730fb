/* paho_min: the least a program can do to publish lines at QoS 1 with Paho's
 * MQTTAsync, as a reference for sensord's cost per reading. A bench program,
 * not project code (hence Paho included here, outside common/mqtt.c).
 *
 *   paho_min URI TOPIC [READY_FILE] < lines
 *
 * Each line of stdin (as it comes: a pacer upstream sets the rate) is one
 * message, QoS 1, not retained, no persistence, clean session. At end of
 * input it waits for every PUBACK (at most 30 s), disconnects and prints
 * "paho_min: N sent, N acknowledged". Exit 0 when all were acknowledged.
 * READY_FILE, if given, is created once connected: a pacer can wait for it,
 * so that no lines pile up while a slow start (valgrind, a loaded machine)
 * connects, to be sent in one burst that costs less per line than a
 * steady stream.
 * With PAHO_MIN_TRACE=error in the environment it sets Paho's trace level to
 * errors first, as common/mqtt.c does (at Paho's default level every packet
 * is formatted into its in-memory trace): the floor for that setting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <MQTTAsync.h>

static volatile int connected, failed;
static volatile long acknowledged;

static void on_connect(void *ctx, MQTTAsync_successData *resp)
{
	(void)ctx;
	(void)resp;
	connected = 1;
}

static void on_connect_failure(void *ctx, MQTTAsync_failureData *resp)
{
	(void)ctx;
	(void)resp;
	failed = 1;
}

static void on_sent(void *ctx, MQTTAsync_successData *resp)
{
	(void)ctx;
	(void)resp;
	__atomic_add_fetch(&acknowledged, 1, __ATOMIC_SEQ_CST);
}

int main(int argc, char **argv)
{
	MQTTAsync client;
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	MQTTAsync_disconnectOptions dopt = MQTTAsync_disconnectOptions_initializer;
	char line[4096], id[64];
	long sent = 0;
	int i;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: paho_min URI TOPIC [READY_FILE] < lines\n");
		return 2;
	}
	if (getenv("PAHO_MIN_TRACE") && strcmp(getenv("PAHO_MIN_TRACE"), "error") == 0)
		MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
	snprintf(id, sizeof(id), "paho-min-%ld", (long)getpid());
	if (MQTTAsync_create(&client, argv[1], id, MQTTCLIENT_PERSISTENCE_NONE, NULL) != MQTTASYNC_SUCCESS)
		return 1;
	co.keepAliveInterval = 30;
	co.cleansession = 1;
	co.onSuccess = on_connect;
	co.onFailure = on_connect_failure;
	if (MQTTAsync_connect(client, &co) != MQTTASYNC_SUCCESS)
		return 1;
	for (i = 0; i < 1000 && !connected && !failed; i++)
		usleep(10000);
	if (!connected) {
		fprintf(stderr, "paho_min: cannot connect to %s\n", argv[1]);
		return 1;
	}
	if (argc == 4) {
		FILE *ready = fopen(argv[3], "w");

		if (!ready || fclose(ready) != 0) {
			fprintf(stderr, "paho_min: %s: cannot create\n", argv[3]);
			return 1;
		}
	}
	ro.onSuccess = on_sent;
	while (fgets(line, sizeof(line), stdin)) {
		size_t len = strcspn(line, "\n");

		if (MQTTAsync_send(client, argv[2], (int)len, line, 1, 0, &ro) != MQTTASYNC_SUCCESS) {
			fprintf(stderr, "paho_min: send refused\n");
			break;
		}
		sent++;
	}
	for (i = 0; i < 3000 && __atomic_load_n(&acknowledged, __ATOMIC_SEQ_CST) < sent; i++)
		usleep(10000);
	dopt.timeout = 1000;
	MQTTAsync_disconnect(client, &dopt);
	usleep(100000);
	MQTTAsync_destroy(&client);
	printf("paho_min: %ld sent, %ld acknowledged\n", sent, acknowledged);
	return acknowledged == sent ? 0 : 1;
}
