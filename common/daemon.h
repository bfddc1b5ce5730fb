/* What both daemons do with their command line, configuration and signals:
 * the shared options, loading with the daemon's own checks, --check-config,
 * the log level, the shared half of a reload on SIGHUP, the signal flags. */
#ifndef ROLLSENSE_DAEMON_H
#define ROLLSENSE_DAEMON_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

#define DAEMON_EXIT_CONFIG 2	/* a bad option or configuration */

struct daemon_options {
	const char *config_path;	/* CONFIG_DEFAULT_PATH unless -c */
	bool check_only;		/* --check-config */
	bool once;			/* --once, where allowed */
	const char *state_dir;		/* --state-dir DIR, where allowed; NULL without */
	bool verbose;			/* -v: debug messages whatever log_level says */
};

/* A daemon's own requirements beyond config_load's, and what its command
 * line sets over the file (sensord's --state-dir), applied to cfg here so
 * that a reload compares like with like: 0, or -1 with "PATH: KEY: what is
 * wrong" in err. */
typedef int (*daemon_config_check_fn)(struct rs_config *cfg, char *err, size_t err_len);

/* Parses -c/--config PATH, --check-config, -v/--verbose, -h/--help,
 * -V/--version and, with sensord_opts, sensord's --once and --state-dir DIR.
 * With stop_at_command, parsing
 * stops at the first non-option (a command); optind is the first argument
 * left. Without it, any argument left is refused ("NAME: unexpected argument
 * "ARG"" and usage on stderr). Returns -1 to go on, or the exit status: 0
 * after --help or --version (printed as "NAME VERSION"), DAEMON_EXIT_CONFIG
 * after a bad option or argument (usage on stderr). */
int daemon_options_parse(int argc, char **argv, const char *name, bool sensord_opts,
			 bool stop_at_command, void (*usage)(FILE *out), struct daemon_options *o);

/* Loads o->config_path into cfg and runs check (NULL: none); the error goes
 * to stderr and DAEMON_EXIT_CONFIG is returned. With --check-config, prints
 * "PATH: configuration is valid" and returns 0 (exit with it); else sets the
 * log level and returns -1 (go on). */
int daemon_config_start(const struct daemon_options *o, struct rs_config *cfg,
			daemon_config_check_fn check);

/* SIGHUP's shared half. Loads cur->path again into *next (check as above);
 * refused, it logs so, wipes next and returns -1. Otherwise it warns "reload:
 * WAITING take effect at the next restart: KEYS" when keys that wait for
 * daemon's restart changed, takes the new log level into cur and the logger,
 * and returns 0: the caller takes over what else it can, wipes next (it may
 * hold the MQTT password) and logs "reload done". */
int daemon_config_reload(struct rs_config *cur, struct rs_config *next, enum config_daemon daemon,
			 daemon_config_check_fn check, const char *waiting);

/* Set to 1 by the signals daemon_signals_install() catches; the main loop
 * acts on them and clears what it handled. */
extern volatile sig_atomic_t daemon_stop_requested;	/* SIGTERM, SIGINT */
extern volatile sig_atomic_t daemon_reload_requested;	/* SIGHUP */
extern volatile sig_atomic_t daemon_usr1_requested;	/* SIGUSR1, with usr1 */

/* Ignores SIGPIPE and catches the signals above. Call it before Paho starts
 * its threads, so they inherit it. */
void daemon_signals_install(bool usr1);

#endif
