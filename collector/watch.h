/* rollsense-collector watch: the live view (live.h) in a terminal, for
 * people on SSH. It listens to the devices' reading, event and status
 * topics as a clean-session MQTT client that only watches. */
#ifndef ROLLSENSE_WATCH_H
#define ROLLSENSE_WATCH_H

#include "config.h"

/* Runs `watch [--device ID]` (argv[0] is "watch") until SIGINT, SIGTERM or
 * SIGHUP. On a terminal it redraws the screen in place ten times a second
 * and leaves the last screen and the cursor as they were on exit; otherwise
 * it writes plain lines, one per event and one per second per device in a
 * session, and stops when they cannot be written (the reader of a pipe
 * left: exit 0). Returns the exit code: 0; 2 on a bad argument (the
 * message on stderr); 1 when the MQTT client cannot be made or the lines
 * could not be written for another reason (said on stderr). */
int watch_run(const struct rs_config *cfg, int argc, char **argv);

#endif
