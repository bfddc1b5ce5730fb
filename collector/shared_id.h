/* The collector's watch for two sensords under one device_id: per device,
 * sameid.h's decision on the readings stored, told in the log (at most once
 * a minute while it lasts, and when it ends) and on the retained
 * <prefix>/<device>/same_id topic, "ON" or "OFF" (Home Assistant's problem
 * binary_sensor "Shared device id", discovery.h). A device's topic says OFF
 * from its first reading on. Readings are stored whatever this says. */
#ifndef ROLLSENSE_SHARED_ID_H
#define ROLLSENSE_SHARED_ID_H

#include "ingest.h"

struct shared_id;

/* Copies env (ingest.h). NULL on ENOMEM. */
struct shared_id *shared_id_new(const struct ingest_env *env);
void shared_id_free(struct shared_id *s);

/* A reading stored for the first time: its device, run and ts; now_s is
 * the collector's monotonic time. */
void shared_id_reading(struct shared_id *s, const char *device, const char *run, double ts,
		       double now_s);
/* Clears what stopped, says again what lasts, publishes what is due. Call
 * a few times a second. */
void shared_id_tick(struct shared_id *s, double now_s);
/* Every device's topic again (after a connect). */
void shared_id_republish(struct shared_id *s);

#endif
