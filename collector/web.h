/* The HTTP server of `rollsense-collector serve`: libmicrohttpd (the only
 * file that includes microhttpd.h) driven from the caller's own loop. The
 * caller polls web_server_fd() beside its other descriptors, waits at most
 * web_server_timeout_ms(), and calls web_server_run() every round; no
 * thread of the server's own exists.
 *
 * It owns the transport only: limits (web.max_clients, beyond them a 503;
 * web.timeout_s for slow clients; a bounded request size), the headers
 * every answer carries (no-store, nosniff, a Content-Security-Policy that
 * lets nothing load from the network, no-referrer), and Server-Sent Event
 * clients with their bounded queues. What to answer is the handler's. */
#ifndef ROLLSENSE_WEB_H
#define ROLLSENSE_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "route.h"
#include "textbuf.h"

#define WEB_BODY_MAX 256		/* a request body at most; see body_too_long */
#define WEB_SSE_QUEUE_MAX (64 * 1024)	/* an event client further behind (beyond what is
					 * left of its first frames) is closed */
#define WEB_PAGE_MAX (8u * 1024 * 1024)	/* an answer's body at most (reply.body's limit) */
#define WEB_BUSY_EXTRA 16		/* connections beyond max_clients still read, to get
					 * their 503; more than that are closed unanswered */

struct web_server;

/* One request. Its body is read only for a route that takes one (the
 * command, as route_parse says); any other request is answered as soon as
 * its headers are in, a body it announced unread and the connection closed
 * after the answer. Valid during the handler's call. */
struct web_request {
	const char *method;		/* as sent: "GET", "HEAD", "POST", ... */
	const char *path;		/* percent-decoded, except that an encoded NUL stays
					 * "%00" (so the router sees it) */
	const struct route_arg *args;	/* the query, decoded likewise, in order */
	size_t n_args;			/* at most ROUTE_ARGS_MAX + 1: a longer query is cut
					 * there, which the router refuses */
	const char *host;		/* the Host header; NULL when absent */
	const char *origin;		/* Origin; NULL when absent */
	const char *referer;		/* Referer; NULL when absent */
	const char *body;		/* "" when none; NUL-terminated */
	size_t body_len;
	bool body_too_long;		/* its Content-Length passed WEB_BODY_MAX: the handler
					 * is called at once, none of it read (a chunked body
					 * that passes it is closed unanswered) */
};

/* What the handler answers. web.c fills the defaults before the call. */
struct web_reply {
	int status;			/* 200 */
	const char *content_type;	/* "text/plain; charset=utf-8"; a static string */
	const char *allow;		/* a 405's Allow header; NULL: none */
	struct textbuf body;		/* empty, limit WEB_PAGE_MAX; web.c sends and frees it */
	bool event_stream;		/* make the connection an event client (text/event-stream):
					 * body is its first frames, web_server_broadcast the rest;
					 * a failed body is a 500 */
};

typedef void (*web_handler_fn)(void *ctx, const struct web_request *req, struct web_reply *reply);

/* Listens on cfg->listen with cfg's limits; requests go to handler(ctx, ...).
 * NULL with err ("web.listen: 127.0.0.1:8480: cannot listen: ...") on
 * failure. */
struct web_server *web_server_new(const struct web_cfg *cfg, web_handler_fn handler, void *ctx,
				  char *err, size_t err_len);
/* Closes every connection (event clients too) and frees the server. */
void web_server_free(struct web_server *srv);

/* The descriptor to poll for input (an epoll descriptor for every socket). */
int web_server_fd(const struct web_server *srv);
/* How long the caller may wait before web_server_run() is due, in ms, at
 * most max_ms. */
int web_server_timeout_ms(struct web_server *srv, int max_ms);
/* Does what is due: accepts, reads, answers, times out, writes queued
 * events. Call every round of the loop. */
void web_server_run(struct web_server *srv);

/* Queues one event frame (whole "event: ...\ndata: ...\n\n" text) to every
 * event client. A client whose unsent text would pass WEB_SSE_QUEUE_MAX
 * beyond what is left of its first frames (a snapshot of 64 devices can be
 * larger) is closed instead (counted in sse_dropped). */
void web_server_broadcast(struct web_server *srv, const char *frame, size_t len);

struct web_stats {
	uint64_t by_class[6];		/* answers by status class: [2] 2xx ... [5] 5xx */
	uint64_t busy;			/* 503s for more than max_clients connections */
	uint64_t sse_dropped;		/* event clients closed for falling behind */
	unsigned connections;		/* open now */
	unsigned sse_clients;		/* open now */
};
void web_server_get_stats(const struct web_server *srv, struct web_stats *st);

#endif
