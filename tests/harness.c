#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "file.h"

/* Larger than any log or output a test makes. */
#define HARNESS_READ_MAX (64u << 20)

double harness_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void harness_sleep(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int harness_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd, port = -1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

int harness_write_file(const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	va_list ap;
	int rc;

	if (!f)
		return -1;
	va_start(ap, fmt);
	rc = vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) != 0 || rc < 0)
		return -1;
	return 0;
}

char *harness_read_file(const char *path)
{
	struct file_error why;
	long long size;
	size_t len;
	char *text = NULL;

	/* A log that a daemon appends to can grow while it is read: again. */
	for (int i = 0; i < 10 && !text; i++) {
		text = file_read_all(path, HARNESS_READ_MAX, &len, &size, &why);
		if (!text && why.step != FILE_CHANGED)
			break;
	}
	return text;
}

const char *harness_bin(const char *name)
{
	static char buf[512];
	const char *build = getenv("BUILD");

	snprintf(buf, sizeof(buf), "%s/%s", build && *build ? build : "build", name);
	return buf;
}

/* ROLLSENSE_VALGRIND=DIR (make check-valgrind): our own binaries, those under
 * $BUILD/, run under valgrind memcheck with a log per process in DIR, which
 * tests/valgrind.sh checks after the run. Mosquitto and its clients run as
 * they are. */
static const char *valgrind_dir(void)
{
	const char *dir = getenv("ROLLSENSE_VALGRIND");

	return dir && *dir ? dir : NULL;
}

double harness_timeout_s(double s)
{
	const char *factor = getenv("ROLLSENSE_TIMEOUT_FACTOR");
	char *end;
	double f;

	if (factor && *factor) {
		f = strtod(factor, &end);
		if (*end == '\0' && f >= 1 && f <= 1000)
			return s * f;
	}
	/* Memcheck runs code 20-50 times slower, but a daemon mostly waits
	 * for its next sample or message: 10 covers start-up and bursts. */
	return valgrind_dir() ? s * 10 : s;
}

/* argv[0] under valgrind when it is one of ours: a malloc'd argv (the
 * strings stay argv's), or NULL when it runs as it is. */
static char **valgrind_argv(char *const argv[])
{
	static char *const opts[] = {
		"valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
		"--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite,indirect",
		"--error-markers=VALGRIND-ERROR-BEGIN,VALGRIND-ERROR-END",
		"--suppressions=tests/valgrind.supp", "--num-callers=30",
	};
	static char log_opt[600];
	const char *dir = valgrind_dir(), *build = getenv("BUILD"), *base;
	size_t n_opts = sizeof(opts) / sizeof(opts[0]), argc = 0, build_len;
	char **out;

	/* Not harness_bin(): argv[0] is often its static buffer. */
	if (!build || !*build)
		build = "build";
	build_len = strlen(build);
	if (!dir || strncmp(argv[0], build, build_len) != 0 || argv[0][build_len] != '/')
		return NULL;
	base = strrchr(argv[0], '/') + 1;
	snprintf(log_opt, sizeof(log_opt), "--log-file=%s/%s.%%p.log", dir, base);
	while (argv[argc])
		argc++;
	out = calloc(n_opts + 2 + argc + 1, sizeof(*out));
	if (!out)
		return NULL;
	memcpy(out, opts, sizeof(opts));
	out[n_opts] = log_opt;
	out[n_opts + 1] = "--";
	memcpy(out + n_opts + 2, argv, (argc + 1) * sizeof(*out));
	return out;
}

pid_t harness_spawn(const char *log_path, char *const argv[])
{
	char **vg_argv = valgrind_argv(argv);
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		int null = open("/dev/null", O_RDONLY);

		if (fd < 0 || null < 0)
			_exit(127);
		dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		/* Its own process group, so a test's Ctrl-C does not hit it twice. */
		setpgid(0, 0);
		if (vg_argv)
			argv = vg_argv;
		execvp(argv[0], argv);
		dprintf(fd, "harness: cannot start %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(vg_argv);
	return pid;
}

int harness_stop(pid_t pid, int sig, double timeout_s)
{
	int status;

	if (pid <= 0)
		return -1;
	kill(pid, sig);
	status = harness_wait(pid, timeout_s);
	if (status == -1) {
		kill(pid, SIGKILL);
		status = harness_wait(pid, 5);
	}
	return status;
}

bool harness_poll(bool (*done)(const void *arg), const void *arg, double timeout_s, double period_s)
{
	double end = harness_now_s() + harness_timeout_s(timeout_s);

	do {
		if (done(arg))
			return true;
		harness_sleep(period_s);
	} while (harness_now_s() < end);
	return false;
}

struct exited {
	pid_t pid;
	int status;		/* -1 until it exited */
};

static bool has_exited(const void *arg)
{
	struct exited *e = (struct exited *)arg;
	pid_t r = waitpid(e->pid, &e->status, WNOHANG);

	if (r < 0)
		e->status = -1;
	return r != 0;
}

int harness_wait(pid_t pid, double timeout_s)
{
	struct exited e = { pid, -1 };

	return harness_poll(has_exited, &e, timeout_s, 0.02) ? e.status : -1;
}

int harness_tcp_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static bool port_accepts(const void *arg)
{
	int fd = harness_tcp_connect(*(const int *)arg);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int harness_run(const char *log_path, char *const argv[], double timeout_s)
{
	pid_t pid = harness_spawn(log_path, argv);
	int status;

	if (pid < 0)
		return -1;
	status = harness_wait(pid, timeout_s);
	if (status == -1) {
		harness_stop(pid, SIGKILL, 5);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void harness_assert_exit_ok(const char *what, const char *log_path, int status)
{
	char *text;

	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	text = harness_read_file(log_path);
	fail_msg("%s did not exit 0 (status %d); its log:\n%s", what, status, text ? text : "");
}

bool harness_wait_port(int port, double timeout_s)
{
	return harness_poll(port_accepts, &port, timeout_s, 0.05);
}

size_t harness_file_count(const char *path, const char *needle)
{
	char *text = harness_read_file(path);
	size_t n = 0;

	for (const char *p = text; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(text);
	return n;
}

struct file_needle {
	const char *path, *needle;
	size_t count;
};

static bool file_has_needles(const void *arg)
{
	const struct file_needle *fn = arg;

	return harness_file_count(fn->path, fn->needle) >= fn->count;
}

bool harness_wait_file_contains(const char *path, const char *needle, double timeout_s)
{
	const struct file_needle fn = { path, needle, 1 };

	return harness_poll(file_has_needles, &fn, timeout_s, 0.05);
}

bool harness_wait_file_count(const char *path, const char *needle, size_t count, double timeout_s)
{
	const struct file_needle fn = { path, needle, count };

	return harness_poll(file_has_needles, &fn, timeout_s, 0.01);
}

static int broker_spawn(struct broker *b)
{
	char *argv[] = { "mosquitto", "-c", b->conf, NULL };

	b->pid = harness_spawn(b->log, argv);
	if (b->pid < 0)
		return -1;
	if (!harness_wait_port(b->port, 10)) {
		harness_stop(b->pid, SIGKILL, 2);
		b->pid = -1;
		return -1;
	}
	return 0;
}

int broker_start(struct broker *b, const char *dir, int port, const char *extra_conf)
{
	memset(b, 0, sizeof(*b));
	b->port = port ? port : harness_free_port();
	snprintf(b->dir, sizeof(b->dir), "%s", dir);
	snprintf(b->conf, sizeof(b->conf), "%s/mosquitto.conf", dir);
	snprintf(b->log, sizeof(b->log), "%s/mosquitto.log", dir);
	if (harness_write_file(b->conf,
			       "# written by the rollsense tests\n"
			       "listener %d 127.0.0.1\n"
			       "allow_anonymous true\n"
			       "persistence true\n"
			       "persistence_location %s/\n"
			       "max_queued_messages 0\n"
			       "max_inflight_messages 0\n"
			       "log_dest stderr\n"
			       "log_type error\nlog_type warning\nlog_type notice\n"
			       "%s\n%s\n",
			       b->port, dir, geteuid() == 0 ? "user root" : "",
			       extra_conf ? extra_conf : "") < 0)
		return -1;
	return broker_spawn(b);
}

int broker_restart(struct broker *b)
{
	return broker_spawn(b);
}

void broker_stop(struct broker *b)
{
	if (b->pid > 0)
		harness_stop(b->pid, SIGTERM, 10);
	b->pid = -1;
}

pid_t harness_subscribe(const struct broker *b, const char *filter, const char *id,
			const char *out_path)
{
	char port[16];
	char *argv[] = { "mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-t", (char *)filter,
			 "-q", "1", "-c", "-i", (char *)id, "-v", NULL };
	pid_t pid;
	char sub_log[600];

	snprintf(port, sizeof(port), "%d", b->port);
	snprintf(sub_log, sizeof(sub_log), "%s", out_path);
	pid = harness_spawn(sub_log, argv);
	/* Give it time to subscribe before anything is published. */
	harness_sleep(0.3);
	return pid;
}

long harness_sqlite_count(const char *db, const char *query)
{
	char cmd[1024], line[64];
	FILE *p;
	long n = -1;

	/* A collector committing meanwhile locks the database for a moment. */
	snprintf(cmd, sizeof(cmd), "sqlite3 -cmd '.timeout 5000' '%s' \"%s\"", db, query);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fgets(line, sizeof(line), p))
		n = strtol(line, NULL, 10);
	pclose(p);
	return n;
}

char *harness_sqlite_text(const char *db, const char *query)
{
	char cmd[1024];
	size_t len = 0, cap = 4096;
	char *text = malloc(cap);
	FILE *p;
	size_t n;

	if (!text)
		return NULL;
	snprintf(cmd, sizeof(cmd), "sqlite3 -cmd '.timeout 5000' '%s' \"%s\"", db, query);
	p = popen(cmd, "r");
	if (!p) {
		free(text);
		return NULL;
	}
	while ((n = fread(text + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 1024) {
			char *bigger = realloc(text, cap * 2);

			if (!bigger)
				break;
			text = bigger;
			cap *= 2;
		}
	}
	text[len] = '\0';
	if (pclose(p) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int harness_publish(const struct broker *b, const char *topic, const char *payload, bool retained)
{
	char port[16], log[400];
	char *argv[] = { "mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-t", (char *)topic,
			 "-m", (char *)payload, "-q", "1", retained ? "-r" : NULL, NULL };

	snprintf(port, sizeof(port), "%d", b->port);
	snprintf(log, sizeof(log), "%s/mosquitto_pub.log", b->dir);
	return harness_run(log, argv, 10) == 0 ? 0 : -1;
}

/* ---- the integration environment ---- */

int harness_env_open_dir(struct harness_env *env, const char *tag)
{
	char *d = unit_tmpdir(tag);

	memset(env, 0, sizeof(*env));
	if (!d)
		return -1;
	snprintf(env->dir, sizeof(env->dir), "%s", d);
	free(d);
	harness_env_path(env, "rollsense.json", env->cfg, sizeof(env->cfg));
	harness_env_path(env, "test.scn", env->scn, sizeof(env->scn));
	harness_env_path(env, "collector.db", env->db, sizeof(env->db));
	harness_env_path(env, "sensord.log", env->sensord_log, sizeof(env->sensord_log));
	harness_env_path(env, "collector.log", env->collector_log, sizeof(env->collector_log));
	harness_env_path(env, "sub.out", env->sub_out, sizeof(env->sub_out));
	return 0;
}

int harness_env_open(struct harness_env *env, const char *tag, const char *sub_filter)
{
	char id[128];

	if (harness_env_open_dir(env, tag) < 0)
		return -1;
	if (broker_start(&env->broker, env->dir, 0, NULL) < 0)
		goto err_rmtree;
	if (sub_filter) {
		snprintf(id, sizeof(id), "%s-sub", tag);
		env->sub = harness_subscribe(&env->broker, sub_filter, id, env->sub_out);
		if (env->sub <= 0)
			goto err_broker;
	}
	return 0;

err_broker:
	broker_stop(&env->broker);
err_rmtree:
	unit_remove_tree(env->dir);
	return -1;
}

void harness_env_close(struct harness_env *env)
{
	if (env->sub > 0)
		harness_stop(env->sub, SIGTERM, 5);
	env->sub = 0;
	broker_stop(&env->broker);
	unit_remove_tree(env->dir);
}

void *harness_fixture_new(size_t size, const char *tag, const char *sub_filter)
{
	struct harness_env *env = calloc(1, size < sizeof(*env) ? sizeof(*env) : size);

	if (!env)
		return NULL;
	if (harness_env_open(env, tag, sub_filter) < 0) {
		free(env);
		return NULL;
	}
	return env;
}

void harness_fixture_free(void *fixture)
{
	harness_env_close(fixture);
	free(fixture);
}

pid_t harness_env_start(const struct harness_env *env, const char *bin, const char *log)
{
	char *argv[] = { (char *)harness_bin(bin), "--config", (char *)env->cfg, NULL };

	return harness_spawn(log, argv);
}

void harness_env_path(const struct harness_env *env, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", env->dir, name);
}

int harness_env_copy_scenario(const struct harness_env *env, const char *path)
{
	char *text = harness_read_file(path);
	int rc = text ? harness_write_file(env->scn, "%s", text) : -1;

	free(text);
	return rc;
}

static cJSON *config_base(const struct harness_env *env)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "{\"device_id\": \"ball1\",\n"
		 " \"mqtt\": {\"uri\": \"tcp://127.0.0.1:%d\"},\n"
		 " \"sensord\": {\"sample_hz\": 10, \"state_dir\": \"%s/state\", \"flush_s\": 0.2,\n"
		 "  \"sensors\": [\n"
		 "   {\"driver\": \"bmp280\", \"bus\": \"sim\", \"address\": \"0x76\", \"provides\": [\"pressure_kpa\"]},\n"
		 "   {\"driver\": \"mcp9808\", \"bus\": \"sim\", \"address\": \"0x18\", \"provides\": [\"temperature_c\"]}],\n"
		 "  \"simulation\": {\"scenario\": \"%s\", \"time_scale\": 1, \"exit_at_end\": true}},\n"
		 " \"collector\": {\"database\": \"%s\", \"commit_s\": 0.2}}\n",
		 env->broker.port, env->dir, env->scn, env->db);
	return cJSON_Parse(text);
}

/* Applies one "dotted.key=JSON" line to root. 0 or -1. */
static int config_override(cJSON *root, char *line)
{
	char *eq = strchr(line, '=');
	char *key, *dot;
	cJSON *obj = root, *value;

	if (!eq)
		return -1;
	*eq = '\0';
	key = line;
	while ((dot = strchr(key, '.')) != NULL) {
		cJSON *sub;

		*dot = '\0';
		sub = cJSON_GetObjectItemCaseSensitive(obj, key);
		if (!sub)
			sub = cJSON_AddObjectToObject(obj, key);
		if (!cJSON_IsObject(sub))
			return -1;
		obj = sub;
		key = dot + 1;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	if (strcmp(eq + 1, "-") == 0)
		return 0;
	value = cJSON_Parse(eq + 1);
	if (!value)
		return -1;
	cJSON_AddItemToObject(obj, key, value);
	return 0;
}

static int config_write_v(const struct harness_env *env, const char *path, const char *overrides,
			  va_list ap)
{
	cJSON *root = config_base(env);
	char lines[4096], *line, *save = NULL, *text = NULL;
	int rc = -1;

	if (!root)
		return -1;
	vsnprintf(lines, sizeof(lines), overrides, ap);
	for (line = strtok_r(lines, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (config_override(root, line) < 0) {
			fprintf(stderr, "harness_write_config: bad override \"%s\"\n", line);
			goto out;
		}
	text = cJSON_Print(root);
	if (text)
		rc = harness_write_file(path, "%s\n", text);
out:
	free(text);
	cJSON_Delete(root);
	return rc;
}

int harness_write_config(const struct harness_env *env, const char *overrides, ...)
{
	va_list ap;
	int rc;

	va_start(ap, overrides);
	rc = config_write_v(env, env->cfg, overrides, ap);
	va_end(ap);
	return rc;
}

int harness_write_config_to(const struct harness_env *env, const char *path, const char *overrides, ...)
{
	va_list ap;
	int rc;

	va_start(ap, overrides);
	rc = config_write_v(env, path, overrides, ap);
	va_end(ap);
	return rc;
}

/* ---- headless Chromium ----
 *
 * Why the DevTools pipe and not --dump-dom with --virtual-time-budget: the
 * virtual clock only runs while no request is pending, and the live page's
 * EventSource stays pending for ever, so such a run never ends. Over the
 * pipe (--remote-debugging-pipe: Chromium reads commands on fd 3 and writes
 * answers on fd 4, each a JSON text ended by a NUL byte) the test loads the
 * page, lets real time pass while the page's scripts run, then asks for the
 * DOM and a screenshot. */

#include <poll.h>
#include <zlib.h>

struct chromium {
	pid_t pid;
	int to_fd, from_fd;
	char *buf;		/* what came from fd 4 and was not yet handled */
	size_t len, cap;
	int next_id;
	char session[80];	/* the page's session, "" for the browser's */
	bool loaded;		/* Page.loadEventFired came */
	double end_s;		/* harness_now_s() by which everything is done */
};

/* Only loopback and files: every other host name resolves to nothing. The
 * rest keeps a fresh profile from calling home (updates, sync, translate,
 * casting, the network clock, first-run pages). Chromium 156 still asks for
 * two Google addresses (an update check and the signed-in accounts), as its
 * --log-net-log shows; the resolver rule answers them with nothing, so no
 * connection is made. */
static const char *const chromium_flags[] = {
	"--headless", "--no-sandbox", "--no-first-run", "--no-default-browser-check",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-default-apps", "--disable-features=Translate,MediaRouter,NetworkTimeServiceQuerying",
	"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--remote-debugging-pipe",
};

static int chromium_start(struct chromium *c, const char *profile, const char *log_path)
{
	size_t n_flags = sizeof(chromium_flags) / sizeof(chromium_flags[0]);
	char *argv[sizeof(chromium_flags) / sizeof(chromium_flags[0]) + 4];
	char profile_opt[400];
	int to[2], from[2];

	snprintf(profile_opt, sizeof(profile_opt), "--user-data-dir=%s", profile);
	argv[0] = "chromium";
	memcpy(argv + 1, chromium_flags, sizeof(chromium_flags));
	argv[n_flags + 1] = profile_opt;
	argv[n_flags + 2] = "about:blank";
	argv[n_flags + 3] = NULL;
	if (pipe(to) == -1)
		return -1;
	if (pipe(from) == -1) {
		close(to[0]);
		close(to[1]);
		return -1;
	}
	c->pid = fork();
	if (c->pid == 0) {
		int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		int null = open("/dev/null", O_RDONLY);

		if (log < 0 || null < 0)
			_exit(127);
		/* Out of the way of 3 and 4 first: the pipes may sit there. */
		to[0] = fcntl(to[0], F_DUPFD, 10);
		from[1] = fcntl(from[1], F_DUPFD, 10);
		dup2(null, 0);
		dup2(log, 1);
		dup2(log, 2);
		dup2(to[0], 3);
		dup2(from[1], 4);
		/* Its own group: the browser's helpers go with it (chromium_stop). */
		setpgid(0, 0);
		execvp(argv[0], argv);
		dprintf(log, "harness: cannot start chromium: %s\n", strerror(errno));
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	c->to_fd = to[1];
	c->from_fd = from[0];
	if (c->pid < 0) {
		close(c->to_fd);
		close(c->from_fd);
		return -1;
	}
	return 0;
}

/* Browser.close was asked (or not, on an error): the group goes. */
static void chromium_stop(struct chromium *c)
{
	close(c->to_fd);
	close(c->from_fd);
	if (harness_wait(c->pid, 5) == -1) {
		kill(-c->pid, SIGKILL);
		harness_wait(c->pid, 5);
	}
	/* Helpers that outlived the browser. */
	kill(-c->pid, SIGKILL);
	free(c->buf);
}

/* The next message from the browser, parsed; NULL on EOF, a read error, a
 * message that is not JSON or when c->end_s passed. */
static cJSON *chromium_next(struct chromium *c)
{
	for (;;) {
		char *nul = c->len ? memchr(c->buf, '\0', c->len) : NULL;
		struct pollfd p = { .fd = c->from_fd, .events = POLLIN };
		double left_s = c->end_s - harness_now_s();
		ssize_t n;

		if (nul) {
			size_t used = (size_t)(nul - c->buf) + 1;
			cJSON *msg = cJSON_Parse(c->buf);
			const char *method = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "method"));

			if (method && strcmp(method, "Page.loadEventFired") == 0)
				c->loaded = true;
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			return msg;
		}
		if (left_s <= 0 || poll(&p, 1, (int)(left_s * 1000) + 1) <= 0)
			return NULL;
		if (c->cap - c->len < 65536) {
			char *bigger = realloc(c->buf, c->cap + (1u << 20));

			if (!bigger)
				return NULL;
			c->buf = bigger;
			c->cap += 1u << 20;
		}
		n = read(c->from_fd, c->buf + c->len, c->cap - c->len);
		if (n <= 0)
			return NULL;
		c->len += (size_t)n;
	}
}

/* Sends method with params (a JSON object's text, or NULL) to the page's
 * session (or the browser's while there is none) and waits for its answer.
 * The answer's "result", detached (the caller deletes it); NULL on an error
 * answer (printed) or none. Events that come meanwhile are dropped. */
static cJSON *chromium_call(struct chromium *c, const char *method, const char *params)
{
	int id = ++c->next_id;
	char head[200];
	size_t head_len;
	cJSON *msg;

	if (c->session[0])
		head_len = (size_t)snprintf(head, sizeof(head), "{\"id\":%d,\"sessionId\":\"%s\",\"method\":\"%s\"",
					    id, c->session, method);
	else
		head_len = (size_t)snprintf(head, sizeof(head), "{\"id\":%d,\"method\":\"%s\"", id, method);
	if (dprintf(c->to_fd, "%.*s,\"params\":%s}%c", (int)head_len, head, params ? params : "{}", '\0') < 0)
		return NULL;
	while ((msg = chromium_next(c))) {
		cJSON *got = cJSON_GetObjectItemCaseSensitive(msg, "id");
		cJSON *result = cJSON_DetachItemFromObjectCaseSensitive(msg, "result");

		if (cJSON_IsNumber(got) && got->valueint == id) {
			if (!result) {
				char *text = cJSON_PrintUnformatted(msg);

				fprintf(stderr, "chromium: %s failed: %s\n", method, text ? text : "?");
				free(text);
			}
			cJSON_Delete(msg);
			return result;
		}
		cJSON_Delete(result);
		cJSON_Delete(msg);
	}
	fprintf(stderr, "chromium: no answer to %s\n", method);
	return NULL;
}

/* Waits for the page's load event; false if it did not come. */
static bool chromium_wait_loaded(struct chromium *c)
{
	while (!c->loaded) {
		cJSON *msg = chromium_next(c);

		if (!msg)
			return false;
		cJSON_Delete(msg);
	}
	return true;
}

/* Decodes base64 text in place; its length, or -1 on a stray character. */
static long base64_decode(char *text)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long bits = 0;
	int n_bits = 0;
	long out = 0;

	for (const char *p = text; *p && *p != '='; p++) {
		const char *at = strchr(alphabet, *p);

		if (!at)
			return -1;
		bits = (bits << 6 | (unsigned long)(at - alphabet)) & 0xffffff;
		n_bits += 6;
		if (n_bits >= 8) {
			n_bits -= 8;
			text[out++] = (char)(bits >> n_bits & 0xff);
		}
	}
	return out;
}

/* A string result's value, malloc'd; NULL if there is none. */
static char *chromium_eval(struct chromium *c, const char *expression)
{
	cJSON *params = cJSON_CreateObject(), *result;
	char *text = NULL, *out = NULL;
	cJSON *value;

	if (!params || !cJSON_AddStringToObject(params, "expression", expression) ||
	    !cJSON_AddTrueToObject(params, "returnByValue"))
		goto out;
	text = cJSON_PrintUnformatted(params);
	if (!text)
		goto out;
	result = chromium_call(c, "Runtime.evaluate", text);
	value = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(result, "result"), "value");
	if (cJSON_IsString(value))
		out = strdup(value->valuestring);
	cJSON_Delete(result);
out:
	free(text);
	cJSON_Delete(params);
	return out;
}

static int chromium_screenshot(struct chromium *c, const char *png)
{
	cJSON *result = chromium_call(c, "Page.captureScreenshot", "{\"format\":\"png\"}");
	cJSON *data = cJSON_GetObjectItemCaseSensitive(result, "data");
	long len = cJSON_IsString(data) ? base64_decode(data->valuestring) : -1;
	FILE *f = len > 0 ? fopen(png, "wb") : NULL;
	int rc = -1;

	if (f) {
		rc = fwrite(data->valuestring, 1, (size_t)len, f) == (size_t)len ? 0 : -1;
		if (fclose(f) != 0)
			rc = -1;
	}
	cJSON_Delete(result);
	return rc;
}

static int chromium_load(const char *url, int width, int height, int wait_ms, const char *png,
			 struct chromium_page *page, bool dark)
{
	struct chromium c = { .pid = -1 };
	char profile[] = "/tmp/rollsense-chromium-XXXXXX", log[400], cmd[400], metrics[200];
	cJSON *r;
	int rc = -1;

	if (page)
		*page = (struct chromium_page){ .scroll_width = -1 };
	if (!mkdtemp(profile))
		return -1;
	snprintf(log, sizeof(log), "%s.log", profile);
	c.end_s = harness_now_s() + harness_timeout_s(30) + wait_ms / 1000.0;
	if (chromium_start(&c, profile, log) == -1)
		goto out_profile;

	r = chromium_call(&c, "Target.createTarget", "{\"url\":\"about:blank\"}");
	snprintf(cmd, sizeof(cmd), "{\"targetId\":\"%s\",\"flatten\":true}",
		 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "targetId")) ?: "");
	cJSON_Delete(r);
	r = chromium_call(&c, "Target.attachToTarget", cmd);
	snprintf(c.session, sizeof(c.session), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "sessionId")) ?: "");
	cJSON_Delete(r);
	if (!c.session[0])
		goto out_stop;
	snprintf(metrics, sizeof(metrics), "{\"width\":%d,\"height\":%d,\"deviceScaleFactor\":1,\"mobile\":%s}",
		 width, height, width < 600 ? "true" : "false");
	r = chromium_call(&c, "Emulation.setDeviceMetricsOverride", metrics);
	cJSON_Delete(r);
	if (dark) {
		r = chromium_call(&c, "Emulation.setEmulatedMedia",
				  "{\"features\":[{\"name\":\"prefers-color-scheme\",\"value\":\"dark\"}]}");
		if (!r)
			goto out_stop;
		cJSON_Delete(r);
	}
	r = chromium_call(&c, "Page.enable", NULL);
	if (!r)
		goto out_stop;
	cJSON_Delete(r);
	r = cJSON_CreateObject();
	if (!r || !cJSON_AddStringToObject(r, "url", url) || !cJSON_PrintPreallocated(r, cmd, sizeof(cmd), false)) {
		cJSON_Delete(r);
		goto out_stop;
	}
	cJSON_Delete(r);
	r = chromium_call(&c, "Page.navigate", cmd);
	if (!r || cJSON_GetObjectItemCaseSensitive(r, "errorText")) {
		char *text = r ? cJSON_PrintUnformatted(r) : NULL;

		fprintf(stderr, "chromium: cannot load %s: %s\n", url, text ? text : "no answer");
		free(text);
		cJSON_Delete(r);
		goto out_stop;
	}
	cJSON_Delete(r);
	if (!chromium_wait_loaded(&c)) {
		fprintf(stderr, "chromium: %s did not finish loading\n", url);
		goto out_stop;
	}
	harness_sleep(wait_ms / 1000.0);
	if (page) {
		char *width_text = chromium_eval(&c, "String(document.documentElement.scrollWidth)");
		char *colors;

		page->dom = chromium_eval(&c, "document.documentElement.outerHTML");
		page->text = chromium_eval(&c, "document.body.innerText");
		page->scroll_width = width_text ? strtol(width_text, NULL, 10) : -1;
		free(width_text);
		colors = chromium_eval(&c, "getComputedStyle(document.body).backgroundColor + ' / ' + "
				       "getComputedStyle(document.body).color");
		snprintf(page->body_colors, sizeof(page->body_colors), "%s", colors ? colors : "");
		free(colors);
		if (!page->dom || !page->text)
			goto out_stop;
	}
	if (png && chromium_screenshot(&c, png) == -1) {
		fprintf(stderr, "chromium: no screenshot of %s\n", url);
		goto out_stop;
	}
	rc = 0;
out_stop:
	/* Its answer may not come before the pipe closes: not waited for. */
	dprintf(c.to_fd, "{\"id\":%d,\"method\":\"Browser.close\",\"params\":{}}%c", ++c.next_id, '\0');
	chromium_stop(&c);
	if (rc == -1)
		fprintf(stderr, "chromium: its log is %s\n", log);
	else
		remove(log);
out_profile:
	if (rc == -1 && page) {
		free(page->dom);
		free(page->text);
		page->dom = page->text = NULL;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", profile);
	if (system(cmd) != 0)
		fprintf(stderr, "chromium: cannot remove %s\n", profile);
	return rc;
}

int harness_chromium_load(const char *url, int width, int height, int wait_ms, const char *png,
			  struct chromium_page *page)
{
	return chromium_load(url, width, height, wait_ms, png, page, false);
}

int harness_chromium_load_dark(const char *url, int width, int height, int wait_ms, const char *png,
			       struct chromium_page *page)
{
	return chromium_load(url, width, height, wait_ms, png, page, true);
}

/* ---- PNG files (the screenshots) ----
 * The layout is the PNG specification's (W3C, 2nd edition): an 8-byte
 * signature, then chunks (4-byte big-endian length, 4-byte type, data, CRC);
 * IHDR first (width, height, bit depth, colour type, compression, filter,
 * interlace), the pixels in IDAT chunks, zlib-compressed, each row led by
 * its filter type byte (section 9). */

static const unsigned char png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

static unsigned long be32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

/* The file's bytes (malloc'd, *len) when it starts as a PNG with its IHDR;
 * NULL otherwise. */
static unsigned char *png_read(const char *path, size_t *len)
{
	struct file_error why;
	long long size;
	unsigned char *data = (unsigned char *)file_read_all(path, HARNESS_READ_MAX, len, &size, &why);

	if (data && (*len < 33 || memcmp(data, png_signature, 8) != 0 || memcmp(data + 12, "IHDR", 4) != 0)) {
		free(data);
		data = NULL;
	}
	return data;
}

int harness_png_size(const char *path, unsigned *width, unsigned *height)
{
	size_t len;
	unsigned char *data = png_read(path, &len);

	if (!data)
		return -1;
	*width = (unsigned)be32(data + 16);
	*height = (unsigned)be32(data + 20);
	free(data);
	return 0;
}

/* Section 9.4: the Paeth predictor. */
static unsigned char paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	if (pa <= pb && pa <= pc)
		return (unsigned char)a;
	return (unsigned char)(pb <= pc ? b : c);
}

/* Undoes the filters of rows rows of stride bytes (after each one's type
 * byte), bpp bytes a pixel, in place. -1 on an unknown filter type. */
static int png_unfilter(unsigned char *raw, size_t rows, size_t stride, size_t bpp)
{
	for (size_t y = 0; y < rows; y++) {
		unsigned char *row = raw + y * (stride + 1) + 1;
		const unsigned char *up = y ? row - (stride + 1) : NULL;
		unsigned type = row[-1];

		for (size_t x = 0; x < stride; x++) {
			int a = x >= bpp ? row[x - bpp] : 0, b = up ? up[x] : 0;
			int c = up && x >= bpp ? up[x - bpp] : 0;

			switch (type) {
			case 0: break;
			case 1: row[x] = (unsigned char)(row[x] + a); break;
			case 2: row[x] = (unsigned char)(row[x] + b); break;
			case 3: row[x] = (unsigned char)(row[x] + (a + b) / 2); break;
			case 4: row[x] = (unsigned char)(row[x] + paeth(a, b, c)); break;
			default: return -1;
			}
		}
	}
	return 0;
}

double harness_png_ink(const char *path)
{
	size_t len, bpp, stride, rows, raw_len, differ = 0;
	unsigned char *data = png_read(path, &len), *raw = NULL;
	z_stream z = { 0 };
	double ink = -1;
	int zrc = Z_OK;

	if (!data)
		return -1;
	/* Chromium's screenshots: 8 bits, RGB (2) or RGBA (6), no interlace. */
	if (data[24] != 8 || (data[25] != 2 && data[25] != 6) || data[28] != 0)
		goto out;
	bpp = data[25] == 6 ? 4 : 3;
	stride = be32(data + 16) * bpp;
	rows = be32(data + 20);
	raw_len = rows * (stride + 1);
	raw = malloc(raw_len);
	if (!raw || inflateInit(&z) != Z_OK)
		goto out;
	z.next_out = raw;
	z.avail_out = (uInt)raw_len;
	for (size_t at = 8; at + 12 <= len && zrc == Z_OK;) {
		size_t chunk = be32(data + at);

		if (chunk > len - at - 12)
			break;
		if (memcmp(data + at + 4, "IDAT", 4) == 0) {
			z.next_in = data + at + 8;
			z.avail_in = (uInt)chunk;
			zrc = inflate(&z, Z_NO_FLUSH);
		}
		at += chunk + 12;
	}
	inflateEnd(&z);
	if (zrc != Z_STREAM_END || z.avail_out != 0 || png_unfilter(raw, rows, stride, bpp) == -1)
		goto out;
	for (size_t y = 0; y < rows; y++)
		for (size_t x = 0; x < stride; x += bpp)
			if (memcmp(raw + y * (stride + 1) + 1 + x, raw + 1, bpp) != 0)
				differ++;
	ink = (double)differ / (double)(rows * (stride / bpp));
out:
	free(raw);
	free(data);
	return ink;
}

/* ---- HTTP ---- */

ssize_t harness_recv_some(int fd, char *buf, size_t len, double timeout_s)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	double end = harness_now_s() + harness_timeout_s(timeout_s);
	ssize_t n;

	for (;;) {
		double left = end - harness_now_s();
		int rc;

		if (left <= 0)
			return -1;
		rc = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -1;
		n = recv(fd, buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -1 : n;
	}
}

/* body (n bytes, chunked transfer coding) decoded in place; its new length. */
static size_t dechunk(char *body, size_t n)
{
	size_t r = 0, w = 0;

	while (r < n) {
		char *end;
		unsigned long size = strtoul(body + r, &end, 16);
		char *line_end = memchr(body + r, '\n', n - r);

		if (!line_end || end == body + r || size == 0 || size > n)
			break;
		r = (size_t)(line_end - body) + 1;
		if (r + size > n)
			size = n - r;
		memmove(body + w, body + r, size);
		w += size;
		r += size + 2;	/* the chunk's CRLF */
	}
	body[w] = '\0';
	return w;
}

int harness_http_request(int port, const char *method, const char *path, const char *headers,
			 const char *body, struct http_reply *out, double timeout_s)
{
	char *req = NULL, *text = NULL, *head_end, host[40] = "";
	size_t len = 0, cap = 0;
	int fd, n;
	ssize_t got;
	bool has_host = headers && (strncasecmp(headers, "Host:", 5) == 0 ||
				    strcasestr(headers, "\nHost:") != NULL);

	memset(out, 0, sizeof(*out));
	fd = harness_tcp_connect(port);
	if (fd < 0)
		return -1;
	if (!has_host)
		snprintf(host, sizeof(host), "Host: 127.0.0.1:%d\r\n", port);
	/* Content-Length: 0 too, or MHD answers a bodiless POST with 411. */
	n = asprintf(&req, "%s %s HTTP/1.1\r\n%s%sConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
		     method, path, host, headers ? headers : "", body ? strlen(body) : 0,
		     body ? body : "");
	if (n < 0 || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		free(req);
		close(fd);
		return -1;
	}
	free(req);
	for (;;) {
		if (len + 4096 + 1 > cap) {
			size_t bigger = cap ? cap * 2 : 16384;
			char *grown = realloc(text, bigger);

			if (!grown)
				break;
			text = grown;
			cap = bigger;
		}
		got = harness_recv_some(fd, text + len, cap - len - 1, timeout_s);
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	if (!text)
		return -1;
	text[len] = '\0';
	head_end = strstr(text, "\r\n\r\n");
	if (strncmp(text, "HTTP/1.", 7) != 0 || !head_end) {
		free(text);
		return -1;
	}
	out->status = atoi(text + 9);
	head_end[2] = '\0';
	out->headers = text;
	out->body = head_end + 4;
	out->body_len = len - (size_t)(out->body - text);
	if (harness_http_header(out, "Transfer-Encoding", NULL, 0) &&
	    strcasestr(harness_http_header(out, "Transfer-Encoding", NULL, 0), "chunked"))
		out->body_len = dechunk(out->body, out->body_len);
	return 0;
}

const char *harness_http_header(const struct http_reply *r, const char *name, char *buf,
				size_t len)
{
	size_t n = strlen(name);

	for (const char *line = r->headers ? strstr(r->headers, "\r\n") : NULL; line && line[2];
	     line = strstr(line + 2, "\r\n")) {
		const char *h = line + 2;

		if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
			const char *v = h + n + 1 + strspn(h + n + 1, " ");
			size_t vn = strcspn(v, "\r");

			if (!buf)
				return v;
			snprintf(buf, len, "%.*s", (int)vn, v);
			return buf;
		}
	}
	return NULL;
}

void harness_http_reply_free(struct http_reply *r)
{
	free(r->headers);
	memset(r, 0, sizeof(*r));
}
