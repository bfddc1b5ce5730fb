/* Integration: security, with the real binaries against a real mosquitto.
 *
 * - TLS: a CA and certificates made here with the openssl command line; the
 *   daemons verify the broker's certificate and its host name, refuse a
 *   certificate for another host or from a CA they do not trust (saying so in
 *   their log, with nothing delivered), and present a client certificate to a
 *   broker that requires one.
 * - User names and passwords (mosquitto_passwd) under the ACL shipped in
 *   config/mosquitto-rollsense.acl: a scripted run stores everything; a
 *   device that claims another device's id gets nothing through; Home
 *   Assistant's login receives every discovery config and every topic its
 *   entities read, its birth message makes both daemons send discovery
 *   again, and its button and select reach sensord.
 * - Start-up refusals: secrets readable by others, device ids that would
 *   break MQTT topics (exit status 2 and a message naming the key).
 * - Hostile text in readings reaches SQLite only as data.
 *
 * Ground truth comes from outside the daemons: the broker's own log, a
 * mosquitto_sub watcher, and the database read with the sqlite3 command. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cJSON.h>

#include "harness.h"
#include "unit.h"

#define ACL_FILE "config/mosquitto-rollsense.acl"

/* 30 s of a ball: a 15 s hold from 3 s (effective), then nothing; with
 * detector.idle_s 10 the session closes at about 28 s. Played 10 times
 * faster than real time: 3 s and about 300 readings. */
static const char scenario[] =
	"seed 3\n"
	"end 30\n"
	"chip ball bmp280 0x76 sealed\n"
	"at 0 ball pressure_pa 101325\n"
	"at 0 ball temperature_c 22\n"
	"ramp 3 3.5 ball load_kpa 15\n"
	"ramp 18 18.5 ball load_kpa 0\n";
/* The hold as the script has it: 10 kPa is crossed at 3.333 s, 8 kPa last
 * at 18.233 s. */
#define HOLD_S (18.0 + 0.5 * 7.0 / 15.0 - (3.0 + 0.5 * 10.0 / 15.0))

/* Made once for all tests by group_setup. */
static char *certs;

struct fixture {
	struct harness_env env;	/* the folder; each test starts env.broker itself */
	int plain_port;		/* a plain listener beside a TLS one, for the watcher */
	/* Processes started and not yet stopped: teardown stops them when a
	 * test failed half-way. */
	pid_t children[8];
	size_t n_children;
};

static struct fixture *current;

static pid_t child_add(pid_t pid)
{
	if (pid > 0 && current->n_children < sizeof(current->children) / sizeof(current->children[0]))
		current->children[current->n_children++] = pid;
	return pid;
}

/* For a child that exited and was waited for: its PID may be reused. */
static void child_forget(pid_t pid)
{
	for (size_t i = 0; i < current->n_children; i++) {
		if (current->children[i] == pid) {
			current->children[i] = current->children[--current->n_children];
			return;
		}
	}
}

/* harness_stop, and forgets pid. */
static int child_stop(pid_t pid, int sig, double timeout_s)
{
	child_forget(pid);
	return harness_stop(pid, sig, timeout_s);
}

/* What a daemon's config says; NULL leaves a key out. */
struct daemon_opts {
	const char *device;
	const char *uri;
	const char *username;
	const char *password_file;
	const char *ca_file;
	const char *cert_file;
	const char *key_file;
	const char *state;	/* folder name under the fixture's dir */
	const char *extra;	/* more "key=value" lines, as harness_write_config takes them */
};

/* ---- helpers --------------------------------------------------------- */

static void path_in(char *out, size_t len, const char *dir, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

/* A key and a certificate signed by ca for name (in subjectAltName, which is
 * what a TLS client checks), with extra extension lines. */
static void cert_make(const char *ca, const char *name, const char *dns, const char *ext_lines)
{
	char key[300], csr[300], crt[300], ext[300], ca_crt[300], ca_key[300], subj[128], log[300];
	char *req[] = { "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
			"ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr,
			"-subj", subj, NULL };
	char *sign[] = { "openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
			 "-CAcreateserial", "-days", "2", "-out", crt, "-extfile", ext, NULL };

	snprintf(key, sizeof(key), "%s/%s.key", certs, name);
	snprintf(csr, sizeof(csr), "%s/%s.csr", certs, name);
	snprintf(crt, sizeof(crt), "%s/%s.crt", certs, name);
	snprintf(ext, sizeof(ext), "%s/%s.ext", certs, name);
	snprintf(ca_crt, sizeof(ca_crt), "%s/%s.crt", certs, ca);
	snprintf(ca_key, sizeof(ca_key), "%s/%s.key", certs, ca);
	snprintf(subj, sizeof(subj), "/CN=%s", dns);
	path_in(log, sizeof(log), certs, "openssl.log");
	assert_int_equal(harness_write_file(ext, "subjectAltName=DNS:%s\n%s", dns, ext_lines), 0);
	assert_int_equal(harness_run(log, req, 30), 0);
	assert_int_equal(harness_run(log, sign, 30), 0);
}

static void ca_make(const char *name, const char *cn)
{
	char key[300], crt[300], subj[128], log[300];
	char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
			 "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", crt,
			 "-days", "2", "-subj", subj, NULL };

	snprintf(key, sizeof(key), "%s/%s.key", certs, name);
	snprintf(crt, sizeof(crt), "%s/%s.crt", certs, name);
	snprintf(subj, sizeof(subj), "/CN=%s", cn);
	path_in(log, sizeof(log), certs, "openssl.log");
	assert_int_equal(harness_run(log, argv, 30), 0);
}

static const char *cert_path(const char *file)
{
	static char buf[4][300];
	static int next;
	char *out = buf[next++ % 4];

	snprintf(out, sizeof(buf[0]), "%s/%s", certs, file);
	return out;
}

static int group_setup(void **state)
{
	(void)state;
	certs = unit_tmpdir("it-security-certs");
	assert_non_null(certs);
	ca_make("ca", "rollsense test CA");
	ca_make("other-ca", "someone else's CA");
	cert_make("ca", "server", "localhost", "");
	cert_make("ca", "wrong-host", "broker.example", "");
	cert_make("ca", "client", "ball1", "extendedKeyUsage=clientAuth\n");
	assert_int_equal(chmod(cert_path("client.key"), 0600), 0);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unit_rmtree(certs);
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(harness_env_open_dir(&f->env, "it-security"), 0);
	assert_int_equal(harness_write_file(f->env.scn, "%s", scenario), 0);
	current = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	while (f->n_children > 0)
		child_stop(f->children[0], SIGKILL, 5);
	harness_env_close(&f->env);
	free(f);
	return 0;
}

/* A broker whose listener speaks TLS with server_cert (its .crt and .key),
 * plus a plain listener on f->plain_port for the test's watcher. */
static void broker_start_tls(struct fixture *f, const char *server_cert, const char *more)
{
	char extra[2048];

	f->plain_port = harness_free_port();
	/* The lines after the harness's "listener" apply to it. */
	snprintf(extra, sizeof(extra),
		 "cafile %s/ca.crt\ncertfile %s/%s.crt\nkeyfile %s/%s.key\n%s\n"
		 "listener %d 127.0.0.1\n",
		 certs, certs, server_cert, certs, server_cert, more ? more : "", f->plain_port);
	assert_int_equal(broker_start(&f->env.broker, f->env.dir, 0, extra), 0);
}

/* mosquitto_sub on everything under rollsense/, "topic payload" lines into
 * out; with a user name when user is not NULL. */
static pid_t watch(int port, const char *user, const char *password, const char *out)
{
	char p[16];
	char *argv[] = { "mosquitto_sub", "-h", "127.0.0.1", "-p", p, "-t", "rollsense/#", "-v",
			 "-q", "1", user ? "-u" : NULL, (char *)user, "-P", (char *)password, NULL };
	pid_t pid;

	snprintf(p, sizeof(p), "%d", port);
	pid = child_add(harness_spawn(out, argv));
	harness_sleep(0.3);	/* subscribed before anything is published */
	return pid;
}

/* Writes the config both daemons read: the short scenario, collector
 * acknowledgements, and o's identity, broker and secrets. */
static const char *config_write(struct fixture *f, const char *name, const struct daemon_opts *o)
{
	static const char *const keys[] = { "username", "password_file", "tls.ca_file", "tls.cert_file",
					     "tls.key_file" };
	const char *values[] = { o->username, o->password_file, o->ca_file, o->cert_file, o->key_file };
	static char path[300];
	char secrets[2048] = "";
	size_t n = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (values[i])
			n += (size_t)snprintf(secrets + n, sizeof(secrets) - n, "mqtt.%s=\"%s\"\n", keys[i],
					      values[i]);
	assert_true(n < sizeof(secrets));
	path_in(path, sizeof(path), f->env.dir, name);
	assert_int_equal(harness_write_config_to(&f->env, path,
		"device_id=\"%s\"\n"
		"mqtt.uri=\"%s\"\n"
		"mqtt.keepalive_s=5\n"
		"%s"
		"sensord.state_dir=\"%s/%s\"\n"
		"sensord.confirm=\"collector\"\n"
		"sensord.resend_s=2\n"
		"sensord.sensors=[{\"driver\": \"bmp280\", \"bus\": \"sim\", \"address\": \"0x76\","
		" \"provides\": [\"pressure_kpa\"]}]\n"
		"sensord.simulation.time_scale=10\n"
		"detector.idle_s=10\n"
		"%s",
		o->device, o->uri, secrets, f->env.dir, o->state ? o->state : "state",
		o->extra ? o->extra : ""), 0);
	return path;
}

static pid_t daemon_start(const char *bin, const char *cfg, const char *log)
{
	char *argv[] = { (char *)harness_bin(bin), "--config", (char *)cfg, NULL };

	return child_add(harness_spawn(log, argv));
}

static void fail_with_log(const char *what, const char *log)
{
	char *text = harness_read_file(log);

	/* Printed here: cmocka cuts long messages. */
	fprintf(stderr, "---- %s ----\n%s---- end ----\n", log, text ? text : "(none)\n");
	free(text);
	fail_msg("%s; the log %s is above", what, log);
}

static void assert_log_has(const char *log, const char *needle, double timeout_s)
{
	if (!harness_wait_file_contains(log, needle, timeout_s)) {
		char what[600];

		snprintf(what, sizeof(what), "\"%s\" never appeared", needle);
		fail_with_log(what, log);
	}
}

static bool file_has(const char *path, const char *needle)
{
	char *text = harness_read_file(path);
	bool found = text && strstr(text, needle);

	free(text);
	return found;
}

/* The rows of a query on the collector's database, through the sqlite3
 * command (not the project's code), as a cJSON array of objects. */
static cJSON *sql(struct fixture *f, const char *query)
{
	char out[400];
	char *argv[] = { "sqlite3", "-readonly", "-json", f->env.db, (char *)query, NULL };
	char *text;
	cJSON *rows;

	path_in(out, sizeof(out), f->env.dir, "sqlite3.out");
	remove(out);
	assert_int_equal(harness_run(out, argv, 30), 0);
	text = harness_read_file(out);
	assert_non_null(text);
	/* sqlite3 -json prints nothing at all for no rows. */
	rows = text[0] ? cJSON_Parse(text) : cJSON_CreateArray();
	if (!cJSON_IsArray(rows))
		fail_msg("sqlite3 said: %s", text);
	free(text);
	return rows;
}

static double sql_number(struct fixture *f, const char *query)
{
	cJSON *rows = sql(f, query);
	const cJSON *first = cJSON_GetArrayItem(rows, 0);
	double v;

	assert_non_null(first);
	assert_true(cJSON_IsNumber(first->child));
	v = first->child->valuedouble;
	cJSON_Delete(rows);
	return v;
}

/* The collector and sensord on the short scenario, both configured by opts
 * (sensord's identity: opts->device). sensord exits 0 only once the
 * collector acknowledged every reading it sent; then the database must hold
 * every reading, and the one session with its one effective hold. */
static void scripted_run(struct fixture *f, const struct daemon_opts *sensord_opts,
			 const struct daemon_opts *collector_opts)
{
	char sensord_log[300];
	const char *cfg;
	pid_t collector, sensord;
	int status;
	char query[200];
	double readings, max_seq, hold_s;
	cJSON *rows;

	path_in(sensord_log, sizeof(sensord_log), f->env.dir, "sensord.log");
	cfg = config_write(f, "collector.json", collector_opts);
	collector = daemon_start("rollsense-collector", cfg, f->env.collector_log);
	assert_true(collector > 0);
	assert_log_has(f->env.collector_log, "mqtt: connected to ", 15);
	cfg = config_write(f, "sensord.json", sensord_opts);
	sensord = daemon_start("rollsense-sensord", cfg, sensord_log);
	assert_true(sensord > 0);
	status = harness_wait(sensord, 60);
	if (status != -1)
		child_forget(sensord);
	if (status == -1) {
		child_stop(sensord, SIGKILL, 5);
		fail_with_log("sensord did not finish (its readings were never all acknowledged)",
			      sensord_log);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_with_log("sensord did not exit 0", sensord_log);
	/* The session closes 10 s of scenario time after the hold: 1 s here. */
	assert_log_has(f->env.collector_log, "session ball1/", 10);
	status = child_stop(collector, SIGTERM, 10);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_with_log("the collector did not exit 0", f->env.collector_log);

	snprintf(query, sizeof(query),
		 "SELECT count(*) FROM readings JOIN runs ON runs.id = run_id "
		 "JOIN devices ON devices.id = runs.device_id WHERE devices.name = '%s'",
		 sensord_opts->device);
	readings = sql_number(f, query);
	max_seq = sql_number(f, "SELECT max(seq) FROM readings");
	/* 30 s at 10 Hz; every seq from 1 stored. */
	if (readings < 290 || readings != max_seq)
		fail_msg("%.0f readings stored, highest seq %.0f", readings, max_seq);
	assert_int_equal(sql_number(f, "SELECT count(*) FROM sessions"), 1);
	rows = sql(f, "SELECT class, duration_s FROM holds");
	assert_int_equal(cJSON_GetArraySize(rows), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "class")->valuestring,
			    "effective");
	hold_s = cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "duration_s")->valuedouble;
	if (fabs(hold_s - HOLD_S) > 0.3)
		fail_msg("hold of %.2f s, the script says %.2f s", hold_s, HOLD_S);
	cJSON_Delete(rows);
}

/* Starts sensord alone with opts, waits until its log has needle, lets it
 * try for a moment longer, stops it; the watcher on the plain listener must
 * have seen nothing of it. */
static void refused_run(struct fixture *f, const struct daemon_opts *opts, const char *needle)
{
	char sensord_log[300], watched[300];
	pid_t watcher, sensord;
	/* An outbox of its own: what it kept must not be resent by a later
	 * run of the test. */
	struct daemon_opts o = *opts;

	o.state = "state-refused";
	opts = &o;

	path_in(sensord_log, sizeof(sensord_log), f->env.dir, "sensord.log");
	path_in(watched, sizeof(watched), f->env.dir, "watched.txt");
	remove(sensord_log);
	remove(watched);
	watcher = watch(f->plain_port, NULL, NULL, watched);
	sensord = daemon_start("rollsense-sensord", config_write(f, "sensord.json", opts),
			       sensord_log);
	assert_true(sensord > 0);
	assert_log_has(sensord_log, needle, 15);
	/* A first retry (1 s later) must fail the same way. */
	harness_sleep(1.5);
	child_stop(sensord, SIGTERM, 10);
	child_stop(watcher, SIGTERM, 5);
	assert_false(file_has(sensord_log, "mqtt: connected"));
	if (file_has(watched, "rollsense/"))
		fail_with_log("a message got through", watched);
}

/* ---- TLS ------------------------------------------------------------- */

static const char *tls_uri(const struct fixture *f)
{
	static char uri[64];

	/* The certificate names localhost; so must the URI. */
	snprintf(uri, sizeof(uri), "ssl://localhost:%d", f->env.broker.port);
	return uri;
}

static void test_tls_scripted_run(void **state)
{
	struct fixture *f = *state;
	struct daemon_opts s = { .device = "ball1", .ca_file = cert_path("ca.crt") };
	struct daemon_opts c;
	char watched[300];
	pid_t watcher;

	broker_start_tls(f, "server", NULL);
	s.uri = tls_uri(f);
	c = s;
	path_in(watched, sizeof(watched), f->env.dir, "watched.txt");
	watcher = watch(f->plain_port, NULL, NULL, watched);
	scripted_run(f, &s, &c);
	child_stop(watcher, SIGTERM, 5);
	/* What went over TLS came out to a plain subscriber: the session. */
	assert_true(file_has(watched, "rollsense/ball1/session {"));
	assert_true(file_has(f->env.collector_log, "mqtt: connected to ssl://localhost:"));
}

static void test_tls_wrong_host(void **state)
{
	struct fixture *f = *state;
	struct daemon_opts s = { .device = "ball1", .ca_file = cert_path("ca.crt") };

	/* Signed by the trusted CA, but for broker.example. */
	broker_start_tls(f, "wrong-host", NULL);
	s.uri = tls_uri(f);
	refused_run(f, &s,
		    "mqtt: TLS: the broker's certificate is not for host \"localhost\"; connect to ssl://localhost:");
}

static void test_tls_untrusted_ca(void **state)
{
	struct fixture *f = *state;
	struct daemon_opts s = { .device = "ball1", .ca_file = cert_path("other-ca.crt") };
	char uri[64];

	broker_start_tls(f, "server", NULL);
	snprintf(uri, sizeof(uri), "mqtts://localhost:%d", f->env.broker.port);
	s.uri = uri;
	refused_run(f, &s,
		    "mqtt: TLS: certificate verify failed (refused the broker's certificate: unknown CA)");
}

static void test_tls_client_certificate(void **state)
{
	struct fixture *f = *state;
	struct daemon_opts s = { .device = "ball1", .ca_file = cert_path("ca.crt") };
	struct daemon_opts c;

	broker_start_tls(f, "server", "require_certificate true");
	s.uri = tls_uri(f);
	/* Without one: refused, and the log points at the setting. (TLS 1.3
	 * ends the client's handshake before the broker refuses, so which
	 * words come first depends on timing; both name mqtt.tls.cert_file.) */
	refused_run(f, &s, "mqtt.tls.cert_file");
	/* With one, signed by the CA the broker trusts. */
	s.cert_file = cert_path("client.crt");
	s.key_file = cert_path("client.key");
	c = s;
	scripted_run(f, &s, &c);
}

/* OpenSSL opens the client key anew at every connect, so it is checked
 * before every connect, not only at start. sensord connected with a good
 * key; the key is opened to others and the connection broken (the broker
 * restarted): sensord does not connect while the key is 0644 (neither its
 * log nor the broker's shows a connection), says why once however many
 * attempts it makes, and connects again by itself once the key is 0600. */
static void test_tls_key_checked_before_reconnect(void **state)
{
	struct fixture *f = *state;
	struct daemon_opts s = { .device = "ball1", .ca_file = cert_path("ca.crt"),
				 .cert_file = cert_path("client.crt") };
	static const char connected[] = "mqtt: connected to ssl://localhost:";
	static const char broker_saw[] = "as rollsense-sensord-ball1 ";
	char key[300], sensord_log[300], refused[560];
	char *text;

	broker_start_tls(f, "server", "require_certificate true");
	s.uri = tls_uri(f);
	/* A copy of the client key, for this test to chmod. */
	path_in(key, sizeof(key), f->env.dir, "client.key");
	text = harness_read_file(cert_path("client.key"));
	assert_non_null(text);
	assert_int_equal(harness_write_file(key, "%s", text), 0);
	free(text);
	assert_int_equal(chmod(key, 0600), 0);
	s.key_file = key;
	path_in(sensord_log, sizeof(sensord_log), f->env.dir, "sensord.log");
	/* No collector: sensord waits for acknowledgements and keeps running. */
	assert_true(daemon_start("rollsense-sensord", config_write(f, "sensord.json", &s),
				 sensord_log) > 0);
	assert_log_has(sensord_log, connected, 15);
	assert_int_equal(harness_file_count(f->env.broker.log, broker_saw), 1);

	assert_int_equal(chmod(key, 0644), 0);
	broker_stop(&f->env.broker);
	assert_log_has(sensord_log, "mqtt: connection lost", 10);
	assert_int_equal(broker_restart(&f->env.broker), 0);
	snprintf(refused, sizeof(refused), "warn: mqtt: mqtt.tls.key_file: %.200s is readable by "
		 "others (mode 0644); chmod 600 %.200s; not connecting until it is fixed\n", key, key);
	assert_log_has(sensord_log, refused, 10);
	/* Attempts 1, 2 and 4 s apart: by now two or three were refused. */
	harness_sleep(4.5);
	if (harness_file_count(sensord_log, connected) != 1)
		fail_with_log("sensord connected with a key readable by others", sensord_log);
	assert_int_equal(harness_file_count(f->env.broker.log, broker_saw), 1);
	if (harness_file_count(sensord_log, refused) != 1)
		fail_with_log("the refusal should be logged once per stretch", sensord_log);

	/* Fixed: the next attempt (at most 16 s away) connects. */
	assert_int_equal(chmod(key, 0600), 0);
	if (!harness_wait_file_count(sensord_log, connected, 2, 30))
		fail_with_log("sensord did not connect again once the key was 0600", sensord_log);
	assert_int_equal(harness_file_count(f->env.broker.log, broker_saw), 2);
}

/* ---- user names, passwords, ACL ---------------------------------------- */

/* The broker's password file for the users of the shipped ACL, and one
 * private password file per daemon user (mode 0600). */
static void users_make(struct fixture *f)
{
	static const char *const users[][2] = {
		{ "ball1", "ball1-secret" },
		{ "rollsense-collector", "collector-secret" },
		{ "rollsense-monitor", "monitor-secret" },
	};
	char passwd[300], log[300], file[300];

	path_in(passwd, sizeof(passwd), f->env.dir, "mosquitto.passwd");
	path_in(log, sizeof(log), f->env.dir, "mosquitto_passwd.log");
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		char *create[] = { "mosquitto_passwd", "-c", "-b", passwd, (char *)users[i][0],
				   (char *)users[i][1], NULL };
		char *add[] = { "mosquitto_passwd", "-b", passwd, (char *)users[i][0],
				(char *)users[i][1], NULL };

		assert_int_equal(harness_run(log, i == 0 ? create : add, 30), 0);
		snprintf(file, sizeof(file), "%s/%s.pw", f->env.dir, users[i][0]);
		assert_int_equal(harness_write_file(file, "%s\n", users[i][1]), 0);
		assert_int_equal(chmod(file, 0600), 0);
	}
}

static void broker_start_acl(struct fixture *f)
{
	char extra[1200], cwd[512];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	users_make(f);
	/* log_type debug: mosquitto logs the publishes its ACL denies only
	 * at that level. */
	snprintf(extra, sizeof(extra),
		 "allow_anonymous false\npassword_file %s/mosquitto.passwd\nacl_file %s/%s\n"
		 "log_type debug\n",
		 f->env.dir, cwd, ACL_FILE);
	assert_int_equal(broker_start(&f->env.broker, f->env.dir, 0, extra), 0);
}

static const char *pw_file(struct fixture *f, const char *user)
{
	static char buf[2][300];
	static int next;
	char *out = buf[next++ % 2];

	snprintf(out, sizeof(buf[0]), "%s/%s.pw", f->env.dir, user);
	return out;
}

static void test_acl_scripted_run(void **state)
{
	struct fixture *f = *state;
	struct daemon_opts s = { .device = "ball1", .username = "ball1" };
	struct daemon_opts c = { .device = "ball1", .username = "rollsense-collector" };
	char uri[64], watched[300], log[300];
	char port[16];
	char *anonymous[] = { "mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-t",
			      "rollsense/ball1/command", "-m", "tare", "-q", "1", NULL };
	pid_t watcher;

	broker_start_acl(f);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", f->env.broker.port);
	snprintf(port, sizeof(port), "%d", f->env.broker.port);
	s.uri = c.uri = uri;
	s.password_file = pw_file(f, "ball1");
	c.password_file = pw_file(f, "rollsense-collector");
	path_in(watched, sizeof(watched), f->env.dir, "watched.txt");
	watcher = watch(f->env.broker.port, "rollsense-monitor", "monitor-secret", watched);
	scripted_run(f, &s, &c);
	child_stop(watcher, SIGTERM, 5);
	/* The collector may write acks and sessions, the device its status. */
	assert_true(file_has(watched, "rollsense/ball1/ack {\"run\":"));
	assert_true(file_has(watched, "rollsense/ball1/session {"));
	assert_true(file_has(watched, "rollsense/ball1/status online"));
	/* ... and its current zone (none yet, of the default 15), which the
	 * monitor login (Home Assistant's select) reads. */
	assert_true(file_has(watched, "rollsense/ball1/zone {\"zone\":null,\"label\":null,"
			     "\"position\":0,\"of\":15}"));
	assert_false(file_has(f->env.broker.log, "Denied PUBLISH from rollsense-sensord"));
	/* No user name: refused by the broker. */
	path_in(log, sizeof(log), f->env.dir, "anonymous.log");
	assert_int_not_equal(harness_run(log, anonymous, 30), 0);
	assert_true(file_has(log, "not authorised") || file_has(log, "Not authorized"));
}

static void test_wrong_password(void **state)
{
	struct fixture *f = *state;
	struct daemon_opts s = { .device = "ball1", .username = "ball1" };
	char uri[64], wrong[300], sensord_log[300];
	pid_t sensord;

	broker_start_acl(f);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", f->env.broker.port);
	s.uri = uri;
	path_in(wrong, sizeof(wrong), f->env.dir, "wrong.pw");
	assert_int_equal(harness_write_file(wrong, "not-the-password\n"), 0);
	assert_int_equal(chmod(wrong, 0600), 0);
	s.password_file = wrong;
	path_in(sensord_log, sizeof(sensord_log), f->env.dir, "sensord.log");
	sensord = daemon_start("rollsense-sensord", config_write(f, "sensord.json", &s), sensord_log);
	/* mosquitto 2.0 answers a wrong password with CONNACK 5. */
	assert_log_has(sensord_log, "refused the connection: not authorised (code 5; mqtt.username, "
		       "mqtt.password_file)", 15);
	child_stop(sensord, SIGTERM, 10);
}

/* The last "readings N" and "outbox N" of sensord's health lines. */
static void health_last(const char *log, long *readings, long *outbox)
{
	char *text = harness_read_file(log);
	const char *line = NULL;

	assert_non_null(text);
	for (const char *p = text; (p = strstr(p, "health: run ")) != NULL; p++)
		line = p;
	if (!line)
		fail_with_log("no health line", log);
	assert_int_equal(sscanf(strstr(line, " readings "), " readings %ld", readings), 1);
	assert_int_equal(sscanf(strstr(line, "outbox "), "outbox %ld", outbox), 1);
	free(text);
}

/* A device with ball1's credentials that calls itself ball2: the broker
 * drops everything it publishes on rollsense/ball2/... What sensord sees
 * (mosquitto 2.0.11, Paho 1.3.11, MQTT 3.1.1): mosquitto answers the denied
 * QoS 1 publish with a PUBACK that carries MQTT 5's reason code 135 (not
 * authorised) and closes the connection ("Bad socket read/write" in its
 * log); sensord reconnects, and so on: each connection ends at its first
 * publish (the status), "connection lost" in its log with, from the third
 * time in a row, what is likely wrong; "Denied PUBLISH" in the broker's log,
 * nothing confirmed, its outbox keeps every reading. The real ball1 next to
 * it goes through. This loop once crashed sensord (a use-after-free in Paho
 * when a publish meets the closed socket; see common/mqtt.c), so the
 * impostor must still be running at the end. */
static void test_acl_impostor(void **state)
{
	struct fixture *f = *state;
	struct daemon_opts s = { .device = "ball1", .username = "ball1" };
	struct daemon_opts bad = { .device = "ball2", .username = "ball1", .state = "state-ball2" };
	struct daemon_opts c = { .device = "ball1", .username = "rollsense-collector" };
	char uri[64], watched[300], impostor_log[300];
	pid_t watcher, impostor;
	long readings, outbox;
	int status;

	broker_start_acl(f);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", f->env.broker.port);
	s.uri = bad.uri = c.uri = uri;
	s.password_file = bad.password_file = pw_file(f, "ball1");
	c.password_file = pw_file(f, "rollsense-collector");
	path_in(watched, sizeof(watched), f->env.dir, "watched.txt");
	path_in(impostor_log, sizeof(impostor_log), f->env.dir, "impostor.log");
	watcher = watch(f->env.broker.port, "rollsense-monitor", "monitor-secret", watched);
	impostor = daemon_start("rollsense-sensord", config_write(f, "impostor.json", &bad),
				impostor_log);
	/* The real device's whole run, stored, while the impostor runs too. */
	scripted_run(f, &s, &c);
	/* From the third connection in a row that died at once, the impostor
	 * says what is likely wrong (about 3 s per connection). */
	assert_log_has(impostor_log, "3 times in a row within 1 s of connecting: the broker may "
		       "refuse what this client publishes (its ACL for user \"ball1\"", 30);
	/* The scenario ended long ago: a working ball2 would have exited. */
	status = harness_wait(impostor, 2);
	if (status != -1) {
		child_forget(impostor);
		fprintf(stderr, "the impostor ended with wait status 0x%x\n", (unsigned)status);
		fail_with_log("the impostor should keep running", impostor_log);
	}
	child_stop(impostor, SIGTERM, 10);
	child_stop(watcher, SIGTERM, 5);
	/* The broker's own account (log_type debug): everything ball2 sent was
	 * denied, ball1's accepted. */
	assert_true(file_has(f->env.broker.log, "Denied PUBLISH from rollsense-sensord-ball2"));
	assert_false(file_has(f->env.broker.log, "Received PUBLISH from rollsense-sensord-ball2"));
	assert_true(file_has(f->env.broker.log, "Received PUBLISH from rollsense-sensord-ball1"));
	assert_false(file_has(watched, "rollsense/ball2/"));
	assert_true(file_has(watched, "rollsense/ball1/reading {"));
	assert_int_equal(sql_number(f, "SELECT count(*) FROM devices WHERE name = 'ball2'"), 0);
	assert_int_equal(sql_number(f, "SELECT count(*) FROM devices"), 1);
	/* Nothing was ever confirmed: every reading is still in its outbox. */
	health_last(impostor_log, &readings, &outbox);
	if (readings < 290 || outbox != readings)
		fail_with_log("the impostor's outbox should hold every reading", impostor_log);
	assert_true(file_has(impostor_log, "mqtt: connection lost"));
	assert_false(file_has(impostor_log, "refused the subscription"));
}

/* Two tools with one device_id under the shipped ACL (issue 17): both log
 * in as ball1, and each reads its device's retained health back (the
 * ACL's read line for it; a denied read is dropped without a word) and
 * names the other's run. */
static void test_acl_same_id(void **state)
{
	struct fixture *f = *state;
	struct daemon_opts a = { .device = "ball1", .username = "ball1", .state = "state-a",
				 .extra = "sensord.simulation.exit_at_end=false\n" };
	struct daemon_opts b = a;
	char uri[64], log_a[300], log_b[300];
	pid_t pa, pb;

	broker_start_acl(f);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", f->env.broker.port);
	a.uri = b.uri = uri;
	a.password_file = b.password_file = pw_file(f, "ball1");
	b.state = "state-b";
	path_in(log_a, sizeof(log_a), f->env.dir, "a.log");
	path_in(log_b, sizeof(log_b), f->env.dir, "b.log");
	pa = daemon_start("rollsense-sensord", config_write(f, "a.json", &a), log_a);
	assert_log_has(log_a, "mqtt: connected to ", 15);
	pb = daemon_start("rollsense-sensord", config_write(f, "b.json", &b), log_b);
	assert_log_has(log_b, "mqtt: connected to ", 15);
	assert_log_has(log_a, "uses device_id \"ball1\" on this broker: give each tool its own "
		       "device_id", 10);
	assert_log_has(log_b, "uses device_id \"ball1\" on this broker: give each tool its own "
		       "device_id", 10);
	child_stop(pa, SIGTERM, 10);
	child_stop(pb, SIGTERM, 10);
	assert_false(file_has(f->env.broker.log, "Denied PUBLISH"));
}

/* ---- Home Assistant under the ACL ---------------------------------------- */

/* mosquitto_sub as Home Assistant's login on what Home Assistant reads,
 * "RETAIN TOPIC PAYLOAD" lines into out: a message published while it was
 * subscribed arrives with retain 0, a retained one replayed at subscribe
 * time with 1. */
static pid_t watch_as_home_assistant(int port, const char *out)
{
	char p[16];
	char *argv[] = { "mosquitto_sub", "-h", "127.0.0.1", "-p", p, "-u", "rollsense-monitor",
			 "-P", "monitor-secret", "-t", "homeassistant/#", "-t", "rollsense/#",
			 "-F", "%r %t %p", "-q", "1", NULL };
	pid_t pid;

	snprintf(p, sizeof(p), "%d", port);
	pid = child_add(harness_spawn(out, argv));
	harness_sleep(0.3);	/* subscribed before anything is published */
	return pid;
}

/* mosquitto_pub of one message as Home Assistant's login, at QoS 1 (the
 * broker's PUBACK comes back either way; "Denied PUBLISH" in its log says
 * whether the ACL let it through). */
static void publish_as_home_assistant(struct fixture *f, const char *topic, const char *payload)
{
	char port[16], log[300];
	char *argv[] = { "mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-u", "rollsense-monitor",
			 "-P", "monitor-secret", "-t", (char *)topic, "-m", (char *)payload, "-q", "1",
			 NULL };

	snprintf(port, sizeof(port), "%d", f->env.broker.port);
	path_in(log, sizeof(log), f->env.dir, "mosquitto_pub.log");
	assert_int_equal(harness_run(log, argv, 30), 0);
}

/* The payload of the last "0 topic ..." or "1 topic ..." line (retain any)
 * in out, parsed; NULL if none. */
static cJSON *watched_last(const char *out, const char *topic)
{
	char *text = harness_read_file(out), *line, *save = NULL;
	const char *last = NULL;
	size_t n = strlen(topic);
	cJSON *j = NULL;

	if (!text)
		return NULL;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if ((line[0] == '0' || line[0] == '1') && line[1] == ' ' &&
		    strncmp(line + 2, topic, n) == 0 && line[2 + n] == ' ')
			last = line + 3 + n;
	if (last)
		j = cJSON_Parse(last);
	free(text);
	return j;
}

/* Every topic a discovery payload names for Home Assistant to read: each
 * component's state_topic, json_attributes_topic, trigger topic and
 * availability topics (not the command topics: Home Assistant writes
 * those). Adds them to topics (n so far, at most max), without repeats. */
static size_t read_topics(const cJSON *config, char topics[][128], size_t n, size_t max)
{
	const cJSON *cmps = cJSON_GetObjectItemCaseSensitive(config, "cmps");

	for (const cJSON *c = cmps ? cmps->child : NULL; c; c = c->next) {
		const cJSON *avail = cJSON_GetObjectItemCaseSensitive(c, "availability");
		const char *found[8];
		size_t k = 0;

		for (const cJSON *m = c->child; m; m = m->next)
			if (cJSON_IsString(m) && strstr(m->string, "topic") &&
			    strcmp(m->string, "command_topic") != 0 && k < 8)
				found[k++] = m->valuestring;
		for (const cJSON *a = avail ? avail->child : NULL; a; a = a->next)
			if (k < 8 && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(a, "topic")))
				found[k++] = cJSON_GetObjectItemCaseSensitive(a, "topic")->valuestring;
		for (size_t i = 0; i < k; i++) {
			bool seen = false;

			for (size_t t = 0; t < n && !seen; t++)
				seen = strcmp(topics[t], found[i]) == 0;
			if (!seen && n < max)
				snprintf(topics[n++], sizeof(topics[0]), "%s", found[i]);
		}
	}
	return n;
}

/* The "RETAIN TOPIC " prefix of the watcher's lines for topic. */
static const char *watched_line(const char *retain, const char *topic)
{
	static char buf[300];

	snprintf(buf, sizeof(buf), "%s %s ", retain, topic);
	return buf;
}

/* Issue 14, "Home Assistant, done right": a real mosquitto under the shipped
 * ACL, sensord (device ball1, simulated: one effective hold, so events, a
 * session, today's and the week's totals) and the collector each with its
 * own login, and a client with Home Assistant's login, rollsense-monitor,
 * subscribed to homeassistant/# and rollsense/# before anything starts.
 * It must receive both discovery configs and every topic their entities
 * read (collected by walking the payloads, so a new entity is covered
 * without touching this test); its birth message must make both daemons
 * send discovery again, as fresh messages (retain 0: the watcher was
 * subscribed, so these are not retained replays); the commands its button
 * and select send (taken from the payloads) must change sensord's zone and
 * tare; the broker must deny nothing; and when the collector dies, its
 * will must reach Home Assistant. */
static void test_acl_home_assistant(void **state)
{
	struct fixture *f = *state;
	struct daemon_opts s = { .device = "ball1", .username = "ball1",
				 .extra = "sensord.simulation.exit_at_end=false\n" };
	struct daemon_opts c = { .device = "ball1", .username = "rollsense-collector" };
	static const char sensord_config[] = "homeassistant/device/rollsense_ball1/config";
	static const char collector_config[] = "homeassistant/device/rollsense_ball1_sessions/config";
	char uri[64], watched[300], sensord_log[300], command[128];
	char topics[64][128];
	size_t n_topics = 0, n_sensord, n_collector;
	const char *tpl, *opt;
	cJSON *sj, *cj;
	pid_t collector;

	broker_start_acl(f);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", f->env.broker.port);
	s.uri = c.uri = uri;
	s.password_file = pw_file(f, "ball1");
	c.password_file = pw_file(f, "rollsense-collector");
	path_in(watched, sizeof(watched), f->env.dir, "home-assistant.txt");
	path_in(sensord_log, sizeof(sensord_log), f->env.dir, "sensord.log");
	watch_as_home_assistant(f->env.broker.port, watched);
	collector = daemon_start("rollsense-collector", config_write(f, "collector.json", &c),
				 f->env.collector_log);
	assert_log_has(f->env.collector_log, "mqtt: connected to ", 15);
	daemon_start("rollsense-sensord", config_write(f, "sensord.json", &s), sensord_log);

	/* Both configs, then every topic they name. */
	assert_log_has(watched, watched_line("0", sensord_config), 15);
	assert_log_has(watched, watched_line("0", collector_config), 15);
	sj = watched_last(watched, sensord_config);
	cj = watched_last(watched, collector_config);
	assert_non_null(sj);
	assert_non_null(cj);
	n_topics = read_topics(sj, topics, n_topics, 64);
	n_topics = read_topics(cj, topics, n_topics, 64);
	/* reading, status, health, zone; session, today, week, advice,
	 * same_id, event, the collector's status. */
	assert_int_equal(n_topics, 11);
	for (size_t i = 0; i < n_topics; i++) {
		print_message("waiting for %s\n", topics[i]);
		assert_log_has(watched, watched_line("0", topics[i]), 30);
	}
	assert_log_has(watched, "0 rollsense/collector online", 5);

	/* Home Assistant's select, as it sends an option: its command template
	 * with the option in place of {{ value }}. */
	tpl = json_str(json_obj(sj, "cmps.zone"), "command_template");
	opt = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(json_obj(sj, "cmps.zone"), "options"),
				 11)->valuestring;
	assert_string_equal(opt, "calf_left");	/* the 12th of the default zones */
	assert_non_null(strstr(tpl, "{{ value }}"));
	snprintf(command, sizeof(command), "%.*s%s%s", (int)(strstr(tpl, "{{ value }}") - tpl), tpl,
		 opt, strstr(tpl, "{{ value }}") + strlen("{{ value }}"));
	publish_as_home_assistant(f, json_str(json_obj(sj, "cmps.zone"), "command_topic"), command);
	assert_log_has(watched, "0 rollsense/ball1/zone {\"zone\":\"calf_left\",\"label\":\"Left calf\","
		       "\"position\":12,\"of\":15}", 10);
	/* ... and "none", the select's option for no zone. */
	snprintf(command, sizeof(command), "%.*snone%s", (int)(strstr(tpl, "{{ value }}") - tpl), tpl,
		 strstr(tpl, "{{ value }}") + strlen("{{ value }}"));
	publish_as_home_assistant(f, json_str(json_obj(sj, "cmps.zone"), "command_topic"), command);
	assert_log_has(watched, "0 rollsense/ball1/zone {\"zone\":null,\"label\":null,\"position\":0,"
		       "\"of\":15}", 10);
	/* The tare button's press. */
	publish_as_home_assistant(f, json_str(json_obj(sj, "cmps.tare"), "command_topic"),
				  json_str(json_obj(sj, "cmps.tare"), "payload_press"));
	assert_log_has(sensord_log, "tare (MQTT command)", 10);

	/* Home Assistant restarts: its birth message, and both daemons send
	 * their discovery again, live. */
	n_sensord = harness_file_count(watched, watched_line("0", sensord_config));
	n_collector = harness_file_count(watched, watched_line("0", collector_config));
	publish_as_home_assistant(f, "homeassistant/status", "online");
	assert_log_has(watched, "0 homeassistant/status online", 10);
	if (!harness_wait_file_count(watched, watched_line("0", sensord_config), n_sensord + 1, 10))
		fail_with_log("sensord did not send its discovery again", watched);
	if (!harness_wait_file_count(watched, watched_line("0", collector_config), n_collector + 1, 10))
		fail_with_log("the collector did not send its discovery again", watched);
	assert_log_has(f->env.collector_log, "homeassistant: online; sending discovery again", 5);

	/* The broker let everything through (log_type debug logs each denial). */
	if (file_has(f->env.broker.log, "Denied"))
		fail_with_log("the broker denied something", f->env.broker.log);

	/* The collector dies: its will tells Home Assistant. */
	child_stop(collector, SIGKILL, 5);
	assert_log_has(watched, "0 rollsense/collector offline", 10);
	cJSON_Delete(sj);
	cJSON_Delete(cj);
}

/* ---- start-up refusals ------------------------------------------------ */

struct run_result {
	int status;
	char *out;
};

static struct run_result run_daemon(struct fixture *f, const char *bin, const char *cfg)
{
	struct run_result r;
	char log[300];
	char *argv[] = { (char *)harness_bin(bin), "--config", (char *)cfg, NULL };

	path_in(log, sizeof(log), f->env.dir, "run.log");
	remove(log);
	r.status = harness_run(log, argv, 30);
	r.out = harness_read_file(log);
	assert_non_null(r.out);
	return r;
}

static void assert_refused(struct fixture *f, const char *cfg, const char *expect)
{
	static const char *const bins[] = { "rollsense-sensord", "rollsense-collector" };

	for (size_t i = 0; i < 2; i++) {
		struct run_result r = run_daemon(f, bins[i], cfg);

		if (r.status != 2 || strstr(r.out, expect) == NULL)
			fail_msg("%s: exit %d, expected 2 and \"%s\"; it said:\n%s", bins[i], r.status,
				 expect, r.out);
		free(r.out);
	}
}

static void test_secret_files_open_to_others(void **state)
{
	struct fixture *f = *state;
	struct daemon_opts o = { .device = "ball1", .uri = "tcp://127.0.0.1:1",
				 .username = "ball1" };
	char pw[300], key[300], expect[900];
	const char *cfg;

	path_in(pw, sizeof(pw), f->env.dir, "open.pw");
	assert_int_equal(harness_write_file(pw, "s3cret\n"), 0);
	assert_int_equal(chmod(pw, 0644), 0);
	o.password_file = pw;
	cfg = config_write(f, "open-pw.json", &o);
	snprintf(expect, sizeof(expect), "%s: mqtt.password_file: %s is readable by others "
		 "(mode 0644); chmod 600 it\n", cfg, pw);
	assert_refused(f, cfg, expect);

	/* The client key of a TLS setup: a copy of the real one, opened up. */
	path_in(key, sizeof(key), f->env.dir, "open.key");
	{
		char *text = harness_read_file(cert_path("client.key"));

		assert_non_null(text);
		assert_int_equal(harness_write_file(key, "%s", text), 0);
		free(text);
	}
	assert_int_equal(chmod(key, 0604), 0);
	o = (struct daemon_opts){ .device = "ball1", .uri = "ssl://localhost:1",
				  .ca_file = cert_path("ca.crt"), .cert_file = cert_path("client.crt"),
				  .key_file = key };
	cfg = config_write(f, "open-key.json", &o);
	snprintf(expect, sizeof(expect), "%s: mqtt.tls.key_file: %s is readable by others "
		 "(mode 0604); chmod 600 %s\n", cfg, key, key);
	assert_refused(f, cfg, expect);

	/* The same key, private: the config is accepted (the daemon then runs
	 * until stopped, so --check-config). */
	assert_int_equal(chmod(key, 0600), 0);
	{
		char log[300];
		char *argv[] = { (char *)harness_bin("rollsense-sensord"), "--config", (char *)cfg,
				 "--check-config", NULL };

		path_in(log, sizeof(log), f->env.dir, "check.log");
		assert_int_equal(harness_run(log, argv, 30), 0);
	}
}

/* it_cli checks '/', '+', '#' and a space for sensord; here control
 * characters for both daemons, and the rest for the collector. */
static void test_device_ids_refused(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *json;	/* as written in the JSON file */
		const char *why;
	} cases[] = {
		{ "a/b", "\"a/b\" contains '/'" },
		{ "a+b", "\"a+b\" contains '+'" },
		{ "a#b", "\"a#b\" contains '#'" },
		{ "a b", "\"a b\" contains a space" },
		{ "a\\u0001b", "\"a\\x01b\" contains control character 0x01" },
		{ "a\\tb", "\"a\\x09b\" contains control character 0x09" },
		{ "a\\nb", "\"a\\x0ab\" contains control character 0x0a" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct daemon_opts o = { .device = cases[i].json, .uri = "tcp://127.0.0.1:1" };
		const char *cfg = config_write(f, "bad-id.json", &o);
		char expect[600];

		snprintf(expect, sizeof(expect), "%s: device_id: %s; ", cfg, cases[i].why);
		assert_refused(f, cfg, expect);
	}
}

/* ---- SQL ------------------------------------------------------------- */

static void test_hostile_text_is_data(void **state)
{
	struct fixture *f = *state;
	struct daemon_opts c = { .device = "ball1" };
	char uri[64], acks[300], r1[600], r2[600], bad_run[400];
	const char *fault_key = "x'); DROP TABLE readings;--";
	const char *fault_what = "nack\"); DELETE FROM sessions; --";
	const char *fault2 = "Robert'); DROP TABLE devices;--";
	pid_t collector, watcher;
	cJSON *rows, *faults;
	double now = 1.7e9;

	assert_int_equal(broker_start(&f->env.broker, f->env.dir, 0, NULL), 0);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", f->env.broker.port);
	c.uri = uri;
	collector = daemon_start("rollsense-collector", config_write(f, "collector.json", &c),
				 f->env.collector_log);
	assert_log_has(f->env.collector_log, "mqtt: connected to ", 15);
	path_in(acks, sizeof(acks), f->env.dir, "acks.txt");
	watcher = child_add(harness_subscribe(&f->env.broker, "rollsense/+/ack", "it-security-acks",
					      acks));

	/* Two good readings carrying hostile text where the contract allows any
	 * string (fault keys and texts, unknown fields). */
	snprintf(r1, sizeof(r1),
		 "{\"run\":\"0badf00d\",\"seq\":1,\"mono\":0.1,\"ts\":%.1f,\"pressure_kpa\":1.5,"
		 "\"temperature_c\":null,\"faults\":{\"x'); DROP TABLE readings;--\":"
		 "\"nack\\\"); DELETE FROM sessions; --\"},\"note\":\"'; DROP TABLE runs; --\"}", now);
	snprintf(r2, sizeof(r2),
		 "{\"run\":\"0badf00d\",\"seq\":2,\"mono\":0.2,\"ts\":%.1f,\"pressure_kpa\":null,"
		 "\"temperature_c\":30.5,\"faults\":{\"bmp280@sim:0x76\":\"%s\"}}", now + 0.1, fault2);
	/* And two the contract refuses: a run id and a device id of SQL. */
	snprintf(bad_run, sizeof(bad_run),
		 "{\"run\":\"'; DROP TABLE runs;--\",\"seq\":1,\"mono\":0,\"ts\":%.1f,"
		 "\"pressure_kpa\":1,\"temperature_c\":null}", now);
	assert_int_equal(harness_publish(&f->env.broker, "rollsense/ball1/reading", r1, false), 0);
	assert_int_equal(harness_publish(&f->env.broker, "rollsense/ball1/reading", r2, false), 0);
	assert_int_equal(harness_publish(&f->env.broker, "rollsense/ball1/reading", bad_run, false), 0);
	assert_int_equal(harness_publish(&f->env.broker, "rollsense/x';DROP TABLE devices;--/reading",
					 r1, false), 0);
	/* Stored and committed: acknowledged. */
	assert_log_has(acks, "rollsense/ball1/ack {\"run\":\"0badf00d\",\"seq\":2}", 10);
	assert_log_has(f->env.collector_log, "(range)", 5);
	assert_log_has(f->env.collector_log, "(topic)", 5);
	child_stop(watcher, SIGTERM, 5);
	assert_true(WIFEXITED(child_stop(collector, SIGTERM, 10)));

	rows = sql(f, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
	assert_int_equal(cJSON_GetArraySize(rows), 6);
	assert_string_equal(cJSON_GetArrayItem(rows, 0)->child->valuestring, "devices");
	assert_string_equal(cJSON_GetArrayItem(rows, 1)->child->valuestring, "holds");
	assert_string_equal(cJSON_GetArrayItem(rows, 2)->child->valuestring, "readings");
	assert_string_equal(cJSON_GetArrayItem(rows, 3)->child->valuestring, "runs");
	assert_string_equal(cJSON_GetArrayItem(rows, 4)->child->valuestring, "session_zones");
	assert_string_equal(cJSON_GetArrayItem(rows, 5)->child->valuestring, "sessions");
	cJSON_Delete(rows);
	rows = sql(f, "PRAGMA integrity_check");
	assert_string_equal(cJSON_GetArrayItem(rows, 0)->child->valuestring, "ok");
	cJSON_Delete(rows);
	assert_int_equal(sql_number(f, "SELECT count(*) FROM devices"), 1);
	assert_int_equal(sql_number(f, "SELECT count(*) FROM runs"), 1);

	/* The fault texts, verbatim. */
	rows = sql(f, "SELECT seq, faults FROM readings ORDER BY seq");
	assert_int_equal(cJSON_GetArraySize(rows), 2);
	faults = cJSON_Parse(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "faults")->valuestring);
	assert_non_null(faults);
	assert_non_null(cJSON_GetObjectItem(faults, fault_key));
	assert_string_equal(cJSON_GetObjectItem(faults, fault_key)->valuestring, fault_what);
	cJSON_Delete(faults);
	faults = cJSON_Parse(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 1), "faults")->valuestring);
	assert_non_null(faults);
	assert_string_equal(cJSON_GetObjectItem(faults, "bmp280@sim:0x76")->valuestring, fault2);
	cJSON_Delete(faults);
	cJSON_Delete(rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		IT_TEST(test_tls_scripted_run),
		IT_TEST(test_tls_wrong_host),
		IT_TEST(test_tls_untrusted_ca),
		IT_TEST(test_tls_client_certificate),
		IT_TEST(test_tls_key_checked_before_reconnect),
		IT_TEST(test_acl_scripted_run),
		IT_TEST(test_wrong_password),
		IT_TEST(test_acl_impostor),
		IT_TEST(test_acl_home_assistant),
		IT_TEST(test_acl_same_id),
		IT_TEST(test_secret_files_open_to_others),
		IT_TEST(test_device_ids_refused),
		IT_TEST(test_hostile_text_is_data),
	};

	tests_select();
	return cmocka_run_group_tests_name("it_security", tests, group_setup, group_teardown);
}
