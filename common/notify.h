/* The service manager's notification protocol (sd_notify(3)), spoken
 * directly: one AF_UNIX datagram of "KEY=VALUE" lines to the socket named in
 * $NOTIFY_SOCKET (a path, or "@name" for an abstract socket). No libsystemd:
 * the protocol is a single sendto(), and this keeps the daemons free of a
 * dependency that a non-systemd Pi would not have.
 *
 * Under systemd with Type=notify the daemons say READY=1 when they can do
 * their job, RELOADING=1 / READY=1 around a reload, STOPPING=1 on the way
 * out, a short STATUS= line for `systemctl status`, and WATCHDOG=1 while
 * their work goes on (WatchdogSec=: systemd kills and restarts a service
 * whose pings stop). Outside systemd (no $NOTIFY_SOCKET) every call is a
 * no-op that returns 0. */
#ifndef ROLLSENSE_NOTIFY_H
#define ROLLSENSE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

struct notify {
	bool enabled;			/* $NOTIFY_SOCKET named a usable socket */
	struct sockaddr_un addr;
	socklen_t addr_len;
	double watchdog_s;		/* $WATCHDOG_USEC in seconds; 0: no watchdog for us */
	double watchdog_sent_s;		/* when WATCHDOG=1 last went out (caller's clock) */
	bool watchdog_sent;
};

/* Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID into n. The
 * watchdog applies only when WATCHDOG_PID is unset or is this process (a
 * child inheriting the environment must not ping for its parent). Returns 0
 * (also when not under systemd: n->enabled false), or -EINVAL when
 * NOTIFY_SOCKET is set but unusable (not "/..." or "@...", too long), or
 * WATCHDOG_USEC is not a positive number; n is then disabled or without
 * watchdog, and the daemon should say so in its log. */
int notify_init(struct notify *n);

/* Sends state (one or more "KEY=VALUE" lines) as one datagram. Returns 0
 * (also when disabled), or -errno if the send failed. */
int notify_send(const struct notify *n, const char *state);

/* "RELOADING=1\nMONOTONIC_USEC=N" with N the CLOCK_MONOTONIC time now in
 * microseconds: Type=notify-reload (systemd 253) requires it to match the
 * reload to the request; older Type=notify ignores it. */
int notify_reloading(const struct notify *n);
/* "STATUS=text", text cut at the first newline (the protocol is line-based)
 * and to 200 bytes. */
int notify_status(const struct notify *n, const char *text);

/* Sends "WATCHDOG=1" if a watchdog is on and at least half its interval has
 * passed since the last one sent (now_s: any monotonic clock in seconds, the
 * same on every call). Call it from the place that proves the work goes on,
 * not from a timer: a loop that stops doing its job must stop pinging.
 * Returns 1 if sent, 0 if not due (or no watchdog), -errno on failure. */
int notify_watchdog(struct notify *n, double now_s);

#endif
