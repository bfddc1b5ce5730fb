/* The service-manager notifications (common/notify.c): a real AF_UNIX
 * datagram socket bound here stands in for systemd, and every datagram is
 * checked byte for byte against sd_notify(3)'s protocol. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

struct listener {
	int fd;
	char path[108];		/* filesystem socket; empty for an abstract one */
	char env[112];		/* what NOTIFY_SOCKET says */
};

/* Binds a datagram socket: a path under /tmp, or an abstract name. */
static void listener_open(struct listener *l, bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;

	memset(l, 0, sizeof(*l));
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(l->fd >= 0);
	if (abstract) {
		snprintf(l->env, sizeof(l->env), "@rollsense-test-notify-%ld", (long)getpid());
		memcpy(sa.sun_path, l->env, strlen(l->env));
		sa.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(l->env));
	} else {
		snprintf(l->path, sizeof(l->path), "/tmp/rollsense-test-notify-%ld.sock", (long)getpid());
		unlink(l->path);
		snprintf(l->env, sizeof(l->env), "%s", l->path);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->path);
		len = sizeof(sa);
	}
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", l->env, 1), 0);
}

static void listener_close(struct listener *l)
{
	close(l->fd);
	if (l->path[0])
		unlink(l->path);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

/* The next datagram, NUL-terminated, or "" if none comes within wait_ms. */
static const char *listener_next(struct listener *l, int wait_ms)
{
	static char buf[512];
	struct pollfd pfd = { .fd = l->fd, .events = POLLIN };
	ssize_t n;

	buf[0] = '\0';
	if (poll(&pfd, 1, wait_ms) != 1)
		return buf;
	n = recv(l->fd, buf, sizeof(buf) - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static void test_disabled_outside_systemd(void **state)
{
	struct notify n;

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "1000000", 1);
	assert_int_equal(notify_init(&n), 0);
	assert_false(n.enabled);
	assert_int_equal(notify_send(&n, "READY=1"), 0);
	assert_int_equal(notify_status(&n, "x"), 0);
	assert_int_equal(notify_watchdog(&n, 100.0), 0);
	unsetenv("WATCHDOG_USEC");
}

static void test_messages(void **state)
{
	const bool abstract = *(const bool *)*state;	/* or a path */
	struct listener l;
	struct notify n;
	struct timespec t0, t1;
	unsigned long long usec, before, after;
	const char *msg;
	char *end;

	listener_open(&l, abstract);
	assert_int_equal(notify_init(&n), 0);
	assert_true(n.enabled);
	assert_true(n.watchdog_s == 0);

	assert_int_equal(notify_send(&n, "READY=1"), 0);
	assert_string_equal(listener_next(&l, 1000), "READY=1");
	assert_int_equal(notify_send(&n, "STOPPING=1"), 0);
	assert_string_equal(listener_next(&l, 1000), "STOPPING=1");
	assert_int_equal(notify_status(&n, "sampling 10 Hz, 2 of 2 chips answer"), 0);
	assert_string_equal(listener_next(&l, 1000), "STATUS=sampling 10 Hz, 2 of 2 chips answer");
	/* A newline would start a new assignment: the status stops there. */
	assert_int_equal(notify_status(&n, "first line\nREADY=1"), 0);
	assert_string_equal(listener_next(&l, 1000), "STATUS=first line");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(notify_reloading(&n), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	msg = listener_next(&l, 1000);
	assert_memory_equal(msg, "RELOADING=1\nMONOTONIC_USEC=", 27);
	usec = strtoull(msg + 27, &end, 10);
	assert_string_equal(end, "");
	before = (unsigned long long)t0.tv_sec * 1000000ULL + (unsigned long long)t0.tv_nsec / 1000ULL;
	after = (unsigned long long)t1.tv_sec * 1000000ULL + (unsigned long long)t1.tv_nsec / 1000ULL;
	assert_true(usec >= before && usec <= after);

	/* No watchdog configured: nothing is sent. */
	assert_int_equal(notify_watchdog(&n, 1.0), 0);
	assert_string_equal(listener_next(&l, 50), "");
	listener_close(&l);
}

/* WatchdogSec=4 s: a ping at most every 2 s of the caller's clock. */
static void test_watchdog_pacing(void **state)
{
	struct listener l;
	struct notify n;

	(void)state;
	listener_open(&l, false);
	setenv("WATCHDOG_USEC", "4000000", 1);
	assert_int_equal(notify_init(&n), 0);
	assert_true(n.watchdog_s == 4.0);

	assert_int_equal(notify_watchdog(&n, 100.0), 1);
	assert_string_equal(listener_next(&l, 1000), "WATCHDOG=1");
	assert_int_equal(notify_watchdog(&n, 101.0), 0);
	assert_int_equal(notify_watchdog(&n, 101.99), 0);
	assert_string_equal(listener_next(&l, 50), "");
	assert_int_equal(notify_watchdog(&n, 102.0), 1);
	assert_string_equal(listener_next(&l, 1000), "WATCHDOG=1");
	assert_int_equal(notify_watchdog(&n, 103.0), 0);
	assert_string_equal(listener_next(&l, 50), "");
	listener_close(&l);
}

static void test_watchdog_pid(void **state)
{
	struct listener l;
	struct notify n;
	char pid[32];

	(void)state;
	listener_open(&l, false);
	setenv("WATCHDOG_USEC", "2000000", 1);
	/* For another process (we are a child that inherited it): not ours. */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_init(&n), 0);
	assert_true(n.watchdog_s == 0);
	assert_int_equal(notify_watchdog(&n, 5.0), 0);
	assert_string_equal(listener_next(&l, 50), "");

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_init(&n), 0);
	assert_true(n.watchdog_s == 2.0);
	assert_int_equal(notify_watchdog(&n, 5.0), 1);
	assert_string_equal(listener_next(&l, 1000), "WATCHDOG=1");
	listener_close(&l);
}

static void test_bad_environment(void **state)
{
	struct listener l;
	struct notify n;
	char long_path[200];

	(void)state;
	setenv("NOTIFY_SOCKET", "run/systemd/notify", 1);	/* relative */
	assert_int_equal(notify_init(&n), -EINVAL);
	assert_false(n.enabled);
	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	assert_int_equal(notify_init(&n), -EINVAL);
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	setenv("NOTIFY_SOCKET", long_path, 1);
	assert_int_equal(notify_init(&n), -EINVAL);
	assert_false(n.enabled);

	/* A usable socket with a watchdog interval that is not a number:
	 * notifications work, the watchdog stays off, and init says so. */
	listener_open(&l, false);
	for (size_t i = 0; i < 4; i++) {
		static const char *const bad[] = { "abc", "-5", "0", "5000000x" };

		setenv("WATCHDOG_USEC", bad[i], 1);
		assert_int_equal(notify_init(&n), -EINVAL);
		assert_true(n.enabled);
		assert_true(n.watchdog_s == 0);
	}
	assert_int_equal(notify_send(&n, "READY=1"), 0);
	assert_string_equal(listener_next(&l, 1000), "READY=1");
	listener_close(&l);
}

/* systemd gone (the socket closed): the send fails with an errno, it does
 * not hang or kill the daemon with SIGPIPE. */
static void test_socket_gone(void **state)
{
	struct listener l;
	struct notify n;
	int rc;

	(void)state;
	listener_open(&l, false);
	assert_int_equal(notify_init(&n), 0);
	close(l.fd);
	unlink(l.path);
	rc = notify_send(&n, "READY=1");
	assert_true(rc == -ENOENT || rc == -ECONNREFUSED);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disabled_outside_systemd),
		TEST_WITH(test_path_socket, test_messages, &(bool){ false }),
		TEST_WITH(test_abstract_socket, test_messages, &(bool){ true }),
		cmocka_unit_test(test_watchdog_pacing),
		cmocka_unit_test(test_watchdog_pid),
		cmocka_unit_test(test_bad_environment),
		cmocka_unit_test(test_socket_gone),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
