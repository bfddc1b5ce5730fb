/* The HTTP server (web.h) on libmicrohttpd 0.9.75, in "external polling"
 * mode with epoll: MHD keeps every socket in one epoll descriptor that the
 * caller's loop polls, and MHD_run() does the work in the caller's thread,
 * so the handler can use the live view and the database without locks.
 *
 * Event clients (Server-Sent Events) are responses of unknown length whose
 * reader takes text from the client's own queue. An empty queue suspends
 * the connection (MHD then leaves it alone: no busy loop, no timeout);
 * web_server_broadcast() appends to every queue and resumes. A client that
 * falls behind gets web.timeout_s back, so that one which stopped reading,
 * its socket full, is closed too. */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "log.h"
#include "web.h"

/* Nothing from the network, nothing framed elsewhere, no referrer leaks:
 * the pages carry their CSS, script and SVG inline. */
#define WEB_CSP "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; " \
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; " \
	"frame-ancestors 'none'"
/* MHD's per-connection memory: the request line, headers and body share it,
 * so a longer request line gets MHD's 414 and longer headers its 431. */
#define WEB_CONNECTION_MEMORY (16 * 1024)

struct sse_client {
	struct web_server *srv;
	struct MHD_Connection *conn;
	char *buf;			/* unsent text: buf[off..len) */
	size_t off, len, cap;
	size_t first_left;		/* of the first frames (the handler's body), the
					 * bytes not sent yet: room beyond the queue's bound */
	bool suspended;
	bool dropped;			/* fell behind: the reader ends the stream */
	struct sse_client *prev, *next;
};

struct web_server {
	struct MHD_Daemon *mhd;
	web_handler_fn handler;
	void *ctx;
	unsigned max_clients;
	unsigned timeout_s;		/* web.timeout_s: also a dropped event client's */
	unsigned connections;
	bool stopping;
	struct sse_client *clients;
	struct web_stats stats;
	char busy_mark;			/* socket context of a connection beyond max_clients */
};

/* One request being read: the query and the body. */
struct exchange {
	struct route_arg args[ROUTE_ARGS_MAX + 1];
	size_t n_args;
	char body[WEB_BODY_MAX + 1];
	size_t body_len;
	bool body_too_long;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("web: %s", line);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* MHD's unescaping for the path and the query: %XX decoded, except %00,
 * which stays as it is: a NUL would cut the text short unseen, and the
 * router refuses "%00" in a path (nothing valid contains a '%'). */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	char *w = s;
	const char *r = s;

	(void)cls;
	(void)conn;
	while (*r != '\0') {
		int hi = r[0] == '%' ? hex_value(r[1]) : -1;
		int lo = hi >= 0 ? hex_value(r[2]) : -1;

		if (lo >= 0 && (hi | lo) != 0) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct web_server *srv = cls;

	(void)conn;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		srv->connections++;
		*socket_context = srv->connections > srv->max_clients ? &srv->busy_mark : NULL;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		srv->connections--;
	}
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode code)
{
	(void)cls;
	(void)conn;
	(void)code;
	free(*req_cls);
	*req_cls = NULL;
}

static enum MHD_Result arg_collect(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct exchange *x = cls;

	(void)kind;
	if (x->n_args == ROUTE_ARGS_MAX + 1)
		return MHD_NO;	/* one too many is enough for the router to refuse */
	x->args[x->n_args++] = (struct route_arg){ key, value ? value : "" };
	return MHD_YES;
}

/* ---- event clients ----------------------------------------------------- */

static void sse_resume(struct sse_client *c)
{
	if (c->suspended) {
		c->suspended = false;
		MHD_resume_connection(c->conn);
	}
}

/* Appends text to c's queue; false when it would pass WEB_SSE_QUEUE_MAX
 * beyond what is left of the first frames, or memory ran out (then c is to
 * be dropped). A snapshot of many devices may be larger than the bound, and
 * a page must not be closed for it. */
static bool sse_queue(struct sse_client *c, const char *text, size_t n)
{
	if (c->len - c->off + n > WEB_SSE_QUEUE_MAX + c->first_left)
		return false;
	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *buf;

		while (cap < c->len + n)
			cap *= 2;
		buf = realloc(c->buf, cap);
		if (!buf)
			return false;
		c->buf = buf;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, text, n);
	c->len += n;
	return true;
}

static void sse_drop(struct sse_client *c)
{
	if (!c->dropped) {
		c->dropped = true;
		c->srv->stats.sse_dropped++;
		log_info("web: an event client fell %zu bytes behind: closing it", c->len - c->off);
		/* A client that stopped reading leaves its socket full: MHD then
		 * waits for room to write and never calls the reader that would
		 * end the stream. The idle timeout, off for event clients, makes
		 * MHD close it. */
		MHD_set_connection_option(c->conn, MHD_CONNECTION_OPTION_TIMEOUT, c->srv->timeout_s);
	}
	sse_resume(c);
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse_client *c = cls;
	size_t n;

	(void)pos;
	if (c->dropped || c->srv->stopping)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (c->off == c->len) {
		c->off = c->len = 0;
		/* Nothing to send: out of MHD's loop until the next broadcast. */
		c->suspended = true;
		MHD_suspend_connection(c->conn);
		return 0;
	}
	n = c->len - c->off < max ? c->len - c->off : max;
	memcpy(buf, c->buf + c->off, n);
	c->off += n;
	c->first_left -= n < c->first_left ? n : c->first_left;
	return (ssize_t)n;
}

static void sse_free(void *cls)
{
	struct sse_client *c = cls;

	if (c->dropped)
		log_info("web: an event client that fell behind is closed");
	if (c->prev)
		c->prev->next = c->next;
	else
		c->srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->srv->stats.sse_clients--;
	free(c->buf);
	free(c);
}

/* An event stream for conn whose first frames are body (not failed: its
 * text would be ""). NULL on no memory. */
static struct MHD_Response *sse_response(struct web_server *srv, struct MHD_Connection *conn,
					 const struct textbuf *body)
{
	struct sse_client *c = calloc(1, sizeof(*c));
	struct MHD_Response *resp;

	if (!c)
		return NULL;
	c->srv = srv;
	c->conn = conn;
	c->first_left = body->len;
	if (body->len > 0 && !sse_queue(c, textbuf_text(body), body->len)) {
		free(c->buf);
		free(c);
		return NULL;
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, c, sse_free);
	if (!resp) {
		free(c->buf);
		free(c);
		return NULL;
	}
	c->next = srv->clients;
	if (c->next)
		c->next->prev = c;
	srv->clients = c;
	srv->stats.sse_clients++;
	/* The queue bounds a slow reader; between events it only waits. */
	MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
	return resp;
}

void web_server_broadcast(struct web_server *srv, const char *frame, size_t len)
{
	for (struct sse_client *c = srv->clients; c; c = c->next) {
		if (c->dropped)
			continue;
		if (!sse_queue(c, frame, len))
			sse_drop(c);
		else
			sse_resume(c);
	}
}

/* ---- answers ----------------------------------------------------------- */

static enum MHD_Result send_reply(struct web_server *srv, struct MHD_Connection *conn,
				  struct web_reply *reply, bool close)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;
	size_t len = 0;
	char *text;

	/* A failed body (out of memory, over its limit) is a 500, streamed or not. */
	if (reply->event_stream && reply->status == 200 && !textbuf_failed(&reply->body)) {
		resp = sse_response(srv, conn, &reply->body);
		textbuf_free(&reply->body);
		reply->content_type = "text/event-stream; charset=utf-8";
	} else {
		text = textbuf_take(&reply->body, &len);
		if (!text) {
			reply->status = 500;
			reply->content_type = "text/plain; charset=utf-8";
			text = strdup("the answer did not fit in memory\n");
			len = text ? strlen(text) : 0;
		}
		resp = text ? MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE) : NULL;
		if (!resp)
			free(text);
	}
	if (!resp)
		return MHD_NO;	/* out of memory: MHD closes the connection */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, reply->content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Content-Security-Policy", WEB_CSP);
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (reply->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, reply->allow);
	if (close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	rc = MHD_queue_response(conn, (unsigned)reply->status, resp);
	MHD_destroy_response(resp);
	if (reply->status >= 100 && reply->status < 600)
		srv->stats.by_class[reply->status / 100]++;
	return rc;
}

static void reply_init(struct web_reply *reply)
{
	*reply = (struct web_reply){ .status = 200, .content_type = "text/plain; charset=utf-8" };
	textbuf_init(&reply->body, WEB_PAGE_MAX);
}

static bool connection_busy(struct web_server *srv, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info && info->socket_context == &srv->busy_mark;
}

/* The body the headers announce: true with *len its Content-Length (0 for
 * a chunked one, whose length shows only as it comes), false for none. */
static bool body_announced(struct MHD_Connection *conn, uint64_t *len)
{
	const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;

	*len = 0;
	if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return true;
	if (!length)
		return false;
	errno = 0;
	*len = strtoull(length, &end, 10);
	if (errno != 0 || end == length)
		*len = UINT64_MAX;	/* MHD refuses it first; too long if not */
	return *len > 0;
}

/* Whether the router sends the request to a route that reads a body (the
 * command). Any other is answered without reading what was sent. */
static bool route_takes_body(const char *method, const char *url)
{
	struct route q;

	return route_parse(method, url, NULL, 0, &q, NULL, 0) == 200 && q.kind == ROUTE_COMMAND;
}

/* Hands the request to the handler and queues its answer. close: a body
 * was left unread, so the connection ends after the answer (MHD discards
 * the rest). */
static enum MHD_Result answer(struct web_server *srv, struct MHD_Connection *conn, const char *url,
			      const char *method, struct exchange *x, bool close)
{
	struct web_request req;
	struct web_reply reply;
	enum MHD_Result rc;

	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, arg_collect, x);
	if (x->body_too_long)
		x->body_len = 0;
	x->body[x->body_len] = '\0';
	req = (struct web_request){
		.method = method, .path = url, .args = x->args, .n_args = x->n_args,
		.host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
		.origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin"),
		.referer = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_REFERER),
		.body = x->body, .body_len = x->body_len, .body_too_long = x->body_too_long,
	};
	reply_init(&reply);
	srv->handler(srv->ctx, &req, &reply);
	/* HEAD gets the stream's headers only: no client to keep. */
	if (reply.event_stream && strcmp(method, MHD_HTTP_METHOD_HEAD) == 0) {
		reply.event_stream = false;
		reply.content_type = "text/event-stream; charset=utf-8";
		textbuf_reset(&reply.body);
	}
	rc = send_reply(srv, conn, &reply, close);
	textbuf_free(&reply.body);
	return rc;
}

/* The 503 for a connection beyond max_clients; JSON under /api/, as the
 * handler's errors there. */
static enum MHD_Result answer_busy(struct web_server *srv, struct MHD_Connection *conn,
				   const char *url)
{
	struct web_reply reply;
	enum MHD_Result rc;

	reply_init(&reply);
	reply.status = 503;
	if (strncmp(url, "/api/", 5) == 0) {
		reply.content_type = "application/json; charset=utf-8";
		textbuf_printf(&reply.body, "{\"error\":\"busy: %u clients\"}\n", srv->max_clients);
	} else {
		textbuf_printf(&reply.body, "busy: %u clients\n", srv->max_clients);
	}
	srv->stats.busy++;
	rc = send_reply(srv, conn, &reply, true);
	textbuf_free(&reply.body);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct web_server *srv = cls;
	struct exchange *x = *req_cls;
	uint64_t announced;

	(void)version;
	if (!x) {
		/* The headers are in; the body (if any) follows in later calls,
		 * unless the answer is known now: MHD then reads none of it. */
		x = calloc(1, sizeof(*x));
		if (!x)
			return MHD_NO;
		*req_cls = x;
		if (connection_busy(srv, conn))
			return answer_busy(srv, conn, url);
		if (!body_announced(conn, &announced))
			return MHD_YES;
		x->body_too_long = announced > WEB_BODY_MAX;
		if (x->body_too_long || !route_takes_body(method, url))
			return answer(srv, conn, url, method, x, true);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (x->body_len + n > WEB_BODY_MAX) {
			/* Only a chunked body gets here (a longer Content-Length
			 * was answered at once), and MHD takes no answer while it
			 * hands over a body: the connection is closed, the rest
			 * never read. */
			log_debug("web: %s %s: a chunked body passed %d bytes: closed", method, url,
				  WEB_BODY_MAX);
			return MHD_NO;
		}
		memcpy(x->body + x->body_len, upload_data, n);
		x->body_len += n;
		return MHD_YES;
	}
	return answer(srv, conn, url, method, x, false);
}

/* ---- the server -------------------------------------------------------- */

struct web_server *web_server_new(const struct web_cfg *cfg, web_handler_fn handler, void *ctx,
				  char *err, size_t err_len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	struct web_server *srv;
	char host[128], port_text[8];
	unsigned port, flags;
	int rc;

	if (config_listen_split(cfg->listen, host, sizeof(host), &port) < 0) {
		snprintf(err, err_len, "web.listen: \"%s\" is not HOST:PORT", cfg->listen);
		errno = EINVAL;
		return NULL;
	}
	snprintf(port_text, sizeof(port_text), "%u", port);
	rc = getaddrinfo(host, port_text, &hints, &ai);
	if (rc != 0) {
		snprintf(err, err_len, "web.listen: %s: %s", cfg->listen, gai_strerror(rc));
		errno = EINVAL;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		freeaddrinfo(ai);
		snprintf(err, err_len, "web: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	srv->handler = handler;
	srv->ctx = ctx;
	srv->max_clients = cfg->max_clients;
	srv->timeout_s = cfg->timeout_s;
	flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	/* "[::]" takes IPv4 too, as a home user listening on "any" expects. */
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_DUAL_STACK;
	srv->mhd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, srv,
				    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				    MHD_OPTION_CONNECTION_LIMIT, cfg->max_clients + WEB_BUSY_EXTRA,
				    MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s,
				    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)WEB_CONNECTION_MEMORY,
				    MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
				    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
				    MHD_OPTION_UNESCAPE_CALLBACK, unescape, srv,
				    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
				    MHD_OPTION_END);
	rc = errno;
	freeaddrinfo(ai);
	if (!srv->mhd) {
		snprintf(err, err_len, "web.listen: %s: cannot listen: %s", cfg->listen,
			 rc ? strerror(rc) : "libmicrohttpd refused to start");
		free(srv);
		errno = rc ? rc : EINVAL;
		return NULL;
	}
	return srv;
}

void web_server_free(struct web_server *srv)
{
	if (!srv)
		return;
	/* MHD must not stop with a suspended connection: wake every event
	 * client, whose reader then ends its stream. */
	srv->stopping = true;
	for (struct sse_client *c = srv->clients; c; c = c->next)
		sse_resume(c);
	MHD_run(srv->mhd);
	MHD_stop_daemon(srv->mhd);
	free(srv);
}

int web_server_fd(const struct web_server *srv)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_EPOLL_FD);

	return info ? info->epoll_fd : -1;
}

int web_server_timeout_ms(struct web_server *srv, int max_ms)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (MHD_get_timeout(srv->mhd, &t) == MHD_YES && t < (MHD_UNSIGNED_LONG_LONG)max_ms)
		return (int)t;
	return max_ms;
}

void web_server_run(struct web_server *srv)
{
	MHD_run(srv->mhd);
}

void web_server_get_stats(const struct web_server *srv, struct web_stats *st)
{
	*st = srv->stats;
	st->connections = srv->connections;
}
