/* sd_notify(3) datagrams, written out: see notify.h. */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATUS_MAX 200

/* WATCHDOG_USEC / WATCHDOG_PID: decimal, in range, nothing after. */
static int parse_ulong(const char *text, unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!text || !*text || *text == '-')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v == 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

int notify_init(struct notify *n)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	const char *wd_usec = getenv("WATCHDOG_USEC");
	const char *wd_pid = getenv("WATCHDOG_PID");
	unsigned long long usec, pid;
	size_t len;
	int rc = 0;

	memset(n, 0, sizeof(*n));
	if (!sock || !*sock)
		return 0;	/* not under a service manager */
	len = strlen(sock);
	/* Only paths and abstract names: "vsock:" addresses are for VMs. */
	if ((sock[0] != '/' && sock[0] != '@') || len < 2 || len > sizeof(n->addr.sun_path) - 1)
		return -EINVAL;
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, sock, len);
	/* An abstract name starts with a NUL and is exactly len bytes long
	 * (no terminator counted); a path is NUL-terminated. */
	if (sock[0] == '@')
		n->addr.sun_path[0] = '\0';
	n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (sock[0] == '/'));
	n->enabled = true;

	if (wd_usec) {
		/* More than a day between pings is a typo, not a watchdog. */
		if (parse_ulong(wd_usec, 86400ULL * 1000000ULL, &usec) < 0)
			rc = -EINVAL;
		else if (wd_pid && (parse_ulong(wd_pid, 0x7fffffffULL, &pid) < 0 ||
				    (pid_t)pid != getpid()))
			;	/* meant for another process */
		else
			n->watchdog_s = (double)usec / 1e6;
	}
	return rc;
}

int notify_send(const struct notify *n, const char *state)
{
	ssize_t sent;
	int fd, err = 0;

	if (!n->enabled)
		return 0;
	/* A socket per message: messages are rare (a few a minute), and a
	 * long-lived descriptor would need a close that every exit path keeps. */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		      (const struct sockaddr *)&n->addr, n->addr_len);
	if (sent < 0)
		err = -errno;
	else if ((size_t)sent != strlen(state))
		err = -EMSGSIZE;
	close(fd);
	return err;
}

int notify_reloading(const struct notify *n)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL);
	return notify_send(n, msg);
}

int notify_status(const struct notify *n, const char *text)
{
	char msg[sizeof("STATUS=") + STATUS_MAX];
	size_t len = strcspn(text, "\n");

	if (len > STATUS_MAX)
		len = STATUS_MAX;
	snprintf(msg, sizeof(msg), "STATUS=%.*s", (int)len, text);
	return notify_send(n, msg);
}

int notify_watchdog(struct notify *n, double now_s)
{
	int rc;

	if (!n->enabled || n->watchdog_s <= 0)
		return 0;
	if (n->watchdog_sent && now_s - n->watchdog_sent_s < n->watchdog_s / 2)
		return 0;
	rc = notify_send(n, "WATCHDOG=1");
	if (rc < 0)
		return rc;
	n->watchdog_sent = true;
	n->watchdog_sent_s = now_s;
	return 1;
}
