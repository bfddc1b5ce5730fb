/* `rollsense-collector serve`: the web side. The live page and its events
 * from MQTT (a watch-only client), the sessions, history and JSON API from
 * the database opened read-only, over the HTTP server of web.h. */
#ifndef ROLLSENSE_SERVE_H
#define ROLLSENSE_SERVE_H

#include "config.h"

/* Runs until SIGTERM or SIGINT. Returns the exit status: 0, or 1 when the
 * database, the broker client or the listening socket cannot be set up
 * (logged). */
int serve_run(struct rs_config *cfg);

#endif
