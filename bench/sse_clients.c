/* sse_clients: N browsers on the live page, without the browsers. Opens N
 * connections to http://HOST:PORT/events at once (raw sockets, HTTP/1.1 as
 * a browser's EventSource asks), reads them for SECONDS and counts the
 * event frames each one got. For every frame whose data carries the
 * reading's "ts" (Unix seconds, sensord's sampling time), the delay from
 * that time to the frame's arrival here; same machine, same clock.
 *
 *   sse_clients HOST PORT N SECONDS
 *
 * Prints one line: clients answered 200, clients refused or closed, frames
 * in all, the fewest frames a client got, and the delay's p50, p99 and
 * maximum in ms (of the frames with a ts). Exit status 1 when a client was
 * refused or closed early. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CLIENTS_MAX 4096
#define BUF_SIZE 65536

struct client {
	int fd;
	bool headers_done, chunked, failed;
	long chunk_left;	/* bytes of the current chunk still to come; -1: a size line is due */
	char raw[BUF_SIZE];	/* as read, not yet taken apart */
	size_t raw_len;
	char body[BUF_SIZE];	/* the event stream, dechunked, up to the next frame's end */
	size_t body_len;
	unsigned long frames;
};

static double *delays_ms;
static size_t n_delays, cap_delays;

static double wall_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double mono_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void add_delay(double ms)
{
	if (n_delays == cap_delays) {
		size_t cap = cap_delays ? cap_delays * 2 : 65536;
		double *bigger = realloc(delays_ms, cap * sizeof(*bigger));

		if (!bigger)
			return;
		delays_ms = bigger;
		cap_delays = cap;
	}
	delays_ms[n_delays++] = ms;
}

/* Takes whole frames (ended by a blank line) out of c->body. */
static void take_frames(struct client *c, double now_s)
{
	char *end;

	while ((end = memmem(c->body, c->body_len, "\n\n", 2))) {
		size_t used = (size_t)(end - c->body) + 2;
		char *ts;

		*end = '\0';
		/* Comment frames (": ...", keep-alives) are not events. */
		if (c->body[0] != ':') {
			c->frames++;
			ts = strstr(c->body, "\"ts\":");
			if (ts) {
				double t = strtod(ts + 5, NULL);

				if (t > 0)
					add_delay((now_s - t) * 1000);
			}
		}
		memmove(c->body, c->body + used, c->body_len - used);
		c->body_len -= used;
	}
}

static void add_body(struct client *c, const char *p, size_t n)
{
	if (n > sizeof(c->body) - c->body_len) {
		c->failed = true;	/* a frame longer than the buffer: not ours */
		return;
	}
	memcpy(c->body + c->body_len, p, n);
	c->body_len += n;
}

/* Takes what came apart: the headers once, then the body, dechunked. */
static void take_raw(struct client *c)
{
	size_t at = 0;

	if (!c->headers_done) {
		char *end = memmem(c->raw, c->raw_len, "\r\n\r\n", 4);

		if (!end)
			return;
		*end = '\0';
		if (strncmp(c->raw, "HTTP/1.1 200", 12) != 0 && strncmp(c->raw, "HTTP/1.0 200", 12) != 0) {
			c->failed = true;
			return;
		}
		c->chunked = strcasestr(c->raw, "\r\ntransfer-encoding: chunked") != NULL;
		c->headers_done = true;
		c->chunk_left = -1;
		at = (size_t)(end - c->raw) + 4;
	}
	while (at < c->raw_len && !c->failed) {
		if (!c->chunked) {
			add_body(c, c->raw + at, c->raw_len - at);
			at = c->raw_len;
		} else if (c->chunk_left < 0) {
			char *eol = memmem(c->raw + at, c->raw_len - at, "\r\n", 2);
			char *end;

			if (!eol)
				break;
			if (eol == c->raw + at) {	/* the CRLF after a chunk's data */
				at += 2;
				continue;
			}
			c->chunk_left = strtol(c->raw + at, &end, 16);
			if (end == c->raw + at || c->chunk_left <= 0) {
				c->failed = true;	/* bad size, or the last chunk: the stream ended */
				break;
			}
			at = (size_t)(eol - c->raw) + 2;
		} else {
			size_t n = c->raw_len - at < (size_t)c->chunk_left ? c->raw_len - at : (size_t)c->chunk_left;

			add_body(c, c->raw + at, n);
			at += n;
			c->chunk_left -= (long)n;
			if (c->chunk_left == 0)
				c->chunk_left = -1;
		}
	}
	memmove(c->raw, c->raw + at, c->raw_len - at);
	c->raw_len -= at;
}

static int connect_to(const char *host, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double percentile(double p)
{
	size_t i;

	if (!n_delays)
		return NAN;
	i = (size_t)ceil(p / 100 * (double)n_delays);
	return delays_ms[i ? i - 1 : 0];
}

int main(int argc, char **argv)
{
	static struct client clients[CLIENTS_MAX];
	static struct pollfd fds[CLIENTS_MAX];
	char request[256], *end;
	long n, port, seconds;
	unsigned long total = 0, fewest = (unsigned long)-1;
	unsigned ok = 0, failed = 0;
	double stop_s;

	port = argc == 5 ? strtol(argv[2], &end, 10) : 0;
	n = argc == 5 ? strtol(argv[3], &end, 10) : 0;
	seconds = argc == 5 ? strtol(argv[4], &end, 10) : 0;
	if (argc != 5 || port < 1 || port > 65535 || n < 1 || n > CLIENTS_MAX || seconds < 1) {
		fprintf(stderr, "usage: sse_clients HOST PORT N SECONDS (N 1..%d)\n", CLIENTS_MAX);
		return 2;
	}
	snprintf(request, sizeof(request),
		 "GET /events HTTP/1.1\r\nHost: %s:%ld\r\nAccept: text/event-stream\r\n"
		 "Cache-Control: no-cache\r\n\r\n", argv[1], port);
	for (long i = 0; i < n; i++) {
		struct client *c = &clients[i];

		c->fd = connect_to(argv[1], (int)port);
		if (c->fd < 0 || write(c->fd, request, strlen(request)) != (ssize_t)strlen(request)) {
			fprintf(stderr, "sse_clients: client %ld: cannot connect to %s:%ld: %s\n", i, argv[1], port,
				strerror(errno));
			return 1;
		}
		fds[i] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
	}
	stop_s = mono_now_s() + (double)seconds;
	while (mono_now_s() < stop_s) {
		int left_ms = (int)((stop_s - mono_now_s()) * 1000) + 1;

		if (poll(fds, (nfds_t)n, left_ms) < 0 && errno != EINTR)
			return 1;
		for (long i = 0; i < n; i++) {
			struct client *c = &clients[i];
			ssize_t got;

			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(c->fd, c->raw + c->raw_len, sizeof(c->raw) - c->raw_len);
			if (got <= 0) {
				c->failed = true;
			} else {
				c->raw_len += (size_t)got;
				take_raw(c);
				take_frames(c, wall_now_s());
			}
			if (c->failed) {
				fds[i].fd = -1;	/* poll skips it from now on */
				close(c->fd);
			}
		}
	}
	for (long i = 0; i < n; i++) {
		if (clients[i].failed || !clients[i].headers_done) {
			failed++;
		} else {
			ok++;
			close(clients[i].fd);
		}
		total += clients[i].frames;
		if (clients[i].frames < fewest)
			fewest = clients[i].frames;
	}
	qsort(delays_ms, n_delays, sizeof(*delays_ms), cmp_double);
	printf("clients %u ok, %u refused or closed; frames %lu (fewest a client got: %lu); "
	       "delay p50 %.1f ms, p99 %.1f ms, max %.1f ms (%zu frames with a ts)\n",
	       ok, failed, total, fewest, percentile(50), percentile(99), percentile(100), n_delays);
	free(delays_ms);
	return failed ? 1 : 0;
}
