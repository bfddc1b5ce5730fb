/* The daemons' shared start-up and reload (daemon.h). */
#include "daemon.h"

#include <getopt.h>
#include <signal.h>
#include <string.h>

#include "log.h"

int daemon_options_parse(int argc, char **argv, const char *name, bool sensord_opts,
			 bool stop_at_command, void (*usage)(FILE *out), struct daemon_options *o)
{
	/* sensord's own options last: without sensord_opts the table ends
	 * before them. */
	struct option opts[] = {
		{ .name = "config", .has_arg = required_argument, .val = 'c' },
		{ .name = "check-config", .val = 'k' },
		{ .name = "verbose", .val = 'v' },
		{ .name = "help", .val = 'h' },
		{ .name = "version", .val = 'V' },
		{ .name = "once", .val = 'o' },
		{ .name = "state-dir", .has_arg = required_argument, .val = 's' },
		{ .name = NULL },
	};
	int opt;

	if (!sensord_opts)
		memset(&opts[5], 0, sizeof(opts[5]));
	*o = (struct daemon_options){ .config_path = CONFIG_DEFAULT_PATH };
	/* "+": stop at the first non-option, the command. */
	while ((opt = getopt_long(argc, argv, stop_at_command ? "+c:vhV" : "c:vhV", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'c': o->config_path = optarg; break;
		case 'k': o->check_only = true; break;
		case 'o': o->once = true; break;
		case 's': o->state_dir = optarg; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("%s %s\n", name, ROLLSENSE_VERSION); return 0;
		default: usage(stderr); return DAEMON_EXIT_CONFIG;
		}
	}
	if (!stop_at_command && optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", name, argv[optind]);
		usage(stderr);
		return DAEMON_EXIT_CONFIG;
	}
	return -1;
}

volatile sig_atomic_t daemon_stop_requested;
volatile sig_atomic_t daemon_reload_requested;
volatile sig_atomic_t daemon_usr1_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		daemon_reload_requested = 1;
	else if (sig == SIGUSR1)
		daemon_usr1_requested = 1;
	else
		daemon_stop_requested = 1;
}

void daemon_signals_install(bool usr1)
{
	struct sigaction sa = { .sa_handler = on_signal };

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (usr1)
		sigaction(SIGUSR1, &sa, NULL);
}

/* Loads path into cfg and runs check; the error goes to stderr. 0 or -1. */
static int config_load_checked(const char *path, struct rs_config *cfg,
			       daemon_config_check_fn check)
{
	char err[1024];

	if (config_load(path, cfg, err, sizeof(err)) < 0 ||
	    (check != NULL && check(cfg, err, sizeof(err)) < 0)) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

int daemon_config_start(const struct daemon_options *o, struct rs_config *cfg,
			daemon_config_check_fn check)
{
	enum log_level lvl;

	if (config_load_checked(o->config_path, cfg, check) < 0)
		return DAEMON_EXIT_CONFIG;
	if (o->check_only) {
		printf("%s: configuration is valid\n", o->config_path);
		return 0;
	}
	if (log_level_parse(cfg->log_level, &lvl) == 0)
		log_set_level(o->verbose ? LOG_LEVEL_DEBUG : lvl);
	return -1;
}

int daemon_config_reload(struct rs_config *cur, struct rs_config *next, enum config_daemon daemon,
			 daemon_config_check_fn check, const char *waiting)
{
	char changed[512];
	enum log_level lvl;

	log_info("reloading %s", cur->path);
	if (config_load_checked(cur->path, next, check) < 0) {
		explicit_bzero(next, sizeof(*next));	/* it may hold the password */
		log_error("reload refused; keeping the running configuration");
		return -1;
	}
	if (config_restart_keys(cur, next, daemon, changed, sizeof(changed)) > 0)
		log_warn("reload: %s take effect at the next restart: %s", waiting, changed);
	if (log_level_parse(next->log_level, &lvl) == 0)
		log_set_level(lvl);
	snprintf(cur->log_level, sizeof(cur->log_level), "%s", next->log_level);
	return 0;
}
