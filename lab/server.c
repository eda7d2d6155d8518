/*
 * NAME
 *	server - the connections of the lab's simulated SMTP servers
 * SUMMARY
 *	accept, read commands in order, send replies in order, close
 * SYNOPSIS
 *	int server_listen(struct lab_host *h, char *err, size_t errlen);
 *	void server_close_all(struct lab *lab);
 *	void server_enter(c, state); void server_reply(c, fmt, ...);
 * DESCRIPTION
 *	server_listen() binds the host's address; every connection is fed
 *	to smtpcmd and smtpd.c answers it (a MODE_PROXY host's go to
 *	proxyd.c instead). Commands are answered in order,
 *	pipelined or not: after each reply is built, conn_send() puts it
 *	on the wire, or pauses reading for --latency first, or hands it to
 *	the tarpit's drip (one byte per LAB_TARPIT_MS). Then the reply's
 *	action runs: close when flushed, STARTTLS (discarding plaintext
 *	pipelined after it), an endless "250-" stream refilled from the
 *	write callback, or silence. A dead connection stops all I/O at
 *	once and is freed by the lab's reaper. server_close_all() ends
 *	every connection at shutdown.
 * DIAGNOSTICS
 *	server_listen() returns -1 with the bind error. One log line per
 *	connect and close (with the reason); debug lines per state change.
 * LIMITS
 *	LAB_CONN_MAX connections (more are closed at once),
 *	LAB_READ_HIGHWAT input per connection, LAB_IDLE_SEC per command
 *	(then 421), LAB_ENDLESS_MAX bytes of endless reply.
 * STANDARDS
 *	RFC 5321 4.5.3.2 (timeouts), RFC 2920 (pipelining), RFC 3207 4.2
 *	(state after STARTTLS).
 */
#include "server_int.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../src/core/dbuf.h"
#include "../src/core/log.h"
#include "../src/core/xalloc.h"

static const char *const state_names[CS__COUNT] = {
    [CS_COMMAND] = "command", [CS_DATA] = "data",       [CS_ENDLESS] = "endless",
    [CS_SILENT] = "silent",   [CS_CLOSING] = "closing", [CS_DEAD] = "dead",
};

static void conn_process(struct server_conn *c);

/* server_enter - the one place the state changes */
void server_enter(struct server_conn *c, enum conn_state st)
{
	rw_debug("lab host=%s conn=%lu state=%s -> %s", c->host->name, c->id, state_names[c->state],
	         state_names[st]);
	c->state = st;
}

/* conn_free - the reaper's half of conn_kill */
static void conn_free(void *arg)
{
	struct server_conn *c = arg;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	event_free(c->latency_ev);
	event_free(c->drip_ev);
	event_free(c->flush_ev);
	evbuffer_free(c->out);
	evbuffer_free(c->drip);
	smtpcmd_free(c->cp);
	smtpd_reset(c);
	free(c);
}

/* conn_kill - stop all I/O now; the memory goes when the loop unwinds */
static void conn_kill(struct server_conn *c, const char *why)
{
	if (c->state == CS_DEAD)
		return;
	lab_info(c->lab, "lab host=%s conn=%lu event=close peer=%s reason=%s", c->host->name, c->id,
	         c->peer, why);
	server_enter(c, CS_DEAD);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	event_del(c->latency_ev);
	event_del(c->drip_ev);
	event_del(c->flush_ev);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->lab->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->lab->nconn--;
	c->host->nconn--;
	lab_defer(c->lab, conn_free, c);
}

/* server_reply - append one reply line (CRLF added) to the reply being built */
void server_reply(struct server_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(c->out, fmt, ap);
	va_end(ap);
	evbuffer_add(c->out, "\r\n", 2);
}

/* conn_done_if_flushed - a closing connection dies once all is written.
 * Under TLS the ciphertext waits in the underlying bufferevent, whose
 * draining we are not told of: look again every LAB_FLUSH_POLL_MS. */
static void conn_done_if_flushed(struct server_conn *c)
{
	struct bufferevent *u;

	if (c->state != CS_CLOSING || evbuffer_get_length(bufferevent_get_output(c->bev)) > 0 ||
	    evbuffer_get_length(c->drip) > 0)
		return;
	u = bufferevent_get_underlying(c->bev);
	if (u != NULL && evbuffer_get_length(bufferevent_get_output(u)) > 0 &&
	    lab_now_ms(c->lab) - c->closing_since < LAB_IDLE_SEC * 1000LL) {
		struct timeval tv = {0, LAB_FLUSH_POLL_MS * 1000};

		evtimer_add(c->flush_ev, &tv);
		return;
	}
	conn_kill(c, "closed");
}

/* flush_cb - look again whether a TLS connection has flushed */
static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_done_if_flushed(arg);
}

/* endless_fill - top up an endless "250-" reply, bounded */
static void endless_fill(struct server_conn *c)
{
	struct evbuffer *o = bufferevent_get_output(c->bev);

	while (evbuffer_get_length(o) < 2 * LAB_ENDLESS_CHUNK &&
	       c->endless_sent < LAB_ENDLESS_MAX) {
		int n = evbuffer_add_printf(o, "250-%s says hello again, line %lu\r\n",
		                            c->host->name, ++c->endless_lines);
		c->endless_sent += n > 0 ? n : 1;
	}
	if (c->endless_sent >= LAB_ENDLESS_MAX) {
		server_enter(c, CS_CLOSING);
		c->closing_since = lab_now_ms(c->lab);
	}
}

static void read_cb(struct bufferevent *bev, void *arg);
static void write_cb(struct bufferevent *bev, void *arg);
static void event_cb(struct bufferevent *bev, short what, void *arg);

/* conn_setup_bev - callbacks, bounds and timeouts of (new) c->bev */
static void conn_setup_bev(struct server_conn *c)
{
	struct timeval idle = {LAB_IDLE_SEC, 0};

	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, LAB_READ_HIGHWAT);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* conn_starttls - after "220 Ready to start TLS": the handshake, and a
 * clean slate (RFC 3207 4.2); plaintext pipelined after STARTTLS is
 * discarded, never read as commands */
static void conn_starttls(struct server_conn *c)
{
	struct bufferevent *tls;

	evbuffer_drain(bufferevent_get_input(c->bev),
	               evbuffer_get_length(bufferevent_get_input(c->bev)));
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, LAB_WRITE_HIGHWAT);
	tls = starttls_accept(c->lab->base, c->lab->tls, c->bev);
	if (tls == NULL) {
		conn_kill(c, "tls-setup-failed");
		return;
	}
	c->bev = tls;
	conn_setup_bev(c);
	c->tls = 1;
	c->greeted = 0;
	c->esmtp = 0;
	c->helo[0] = '\0';
	smtpd_reset(c);
	smtpcmd_free(c->cp);
	c->cp = smtpcmd_new(LAB_MSG_MAX);
}

/* conn_emit - put the built reply on the wire (or the drip) and act */
static void conn_emit(struct server_conn *c)
{
	enum conn_act act = c->act;

	c->act = ACT_NONE;
	if (c->state == CS_DEAD)
		return;
	if (c->host->prof->mode == MODE_TARPIT) {
		evbuffer_add_buffer(c->drip, c->out);
		if (!evtimer_pending(c->drip_ev, NULL)) {
			struct timeval tv = {LAB_TARPIT_MS / 1000, (LAB_TARPIT_MS % 1000) * 1000};
			evtimer_add(c->drip_ev, &tv);
		}
	} else {
		bufferevent_write_buffer(c->bev, c->out);
	}
	switch (act) {
	case ACT_NONE:
		break;
	case ACT_CLOSE:
		server_enter(c, CS_CLOSING);
		c->closing_since = lab_now_ms(c->lab);
		conn_done_if_flushed(c);
		break;
	case ACT_STARTTLS:
		conn_starttls(c);
		break;
	case ACT_ENDLESS:
		server_enter(c, CS_ENDLESS);
		bufferevent_setwatermark(c->bev, EV_WRITE, LAB_ENDLESS_CHUNK, 0);
		endless_fill(c);
		break;
	case ACT_SILENT:
		server_enter(c, CS_SILENT);
		break;
	}
}

/* conn_send - send the built reply now, or after --latency; reading
 * waits meanwhile, so pipelined replies keep their order */
static void conn_send(struct server_conn *c)
{
	int ms = c->lab->cfg->latency_ms;

	if (ms > 0) {
		struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

		c->paused = 1;
		evtimer_add(c->latency_ev, &tv);
		return;
	}
	conn_emit(c);
}

/* latency_cb - the delayed reply is due; then read on */
static void latency_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server_conn *c = arg;

	c->paused = 0;
	conn_emit(c);
	conn_process(c);
}

/* drip_cb - the tarpit: one byte, then wait again */
static void drip_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server_conn *c = arg;
	char ch;

	if (evbuffer_remove(c->drip, &ch, 1) == 1)
		bufferevent_write(c->bev, &ch, 1);
	if (evbuffer_get_length(c->drip) > 0) {
		struct timeval tv = {LAB_TARPIT_MS / 1000, (LAB_TARPIT_MS % 1000) * 1000};
		evtimer_add(c->drip_ev, &tv);
	} else if (c->blocked) {
		conn_process(c);
	}
}

/* conn_unsent - reply bytes we hold that the peer has not taken */
static size_t conn_unsent(const struct server_conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev)) + evbuffer_get_length(c->drip);
}

/* process_input - feed buffered input to the parser while not waiting;
 * a peer that does not read its replies is not read either */
static void process_input(struct server_conn *c)
{
	while (!c->paused && (c->state == CS_COMMAND || c->state == CS_DATA)) {
		struct evbuffer *in = bufferevent_get_input(c->bev);
		struct evbuffer_iovec v;
		enum smtpcmd_event ev;
		size_t used = 0;

		c->blocked = conn_unsent(c) > LAB_WRITE_HIGHWAT;
		if (c->blocked)
			return;
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
			return;
		ev = smtpcmd_feed(c->cp, v.iov_base, v.iov_len, &used);
		evbuffer_drain(in, used);
		if (ev == SMTPCMD_MORE) {
			if (used == 0)
				return;
			continue;
		}
		smtpd_event(c, ev);
		if (evbuffer_get_length(c->out) > 0 || c->act != ACT_NONE)
			conn_send(c);
	}
}

/* conn_process - read on; after the peer's EOF, close once all is answered */
static void conn_process(struct server_conn *c)
{
	process_input(c);
	if (c->eof && !c->paused && !c->blocked &&
	    (c->state == CS_COMMAND || c->state == CS_DATA)) {
		server_enter(c, CS_CLOSING);
		c->closing_since = lab_now_ms(c->lab);
		conn_done_if_flushed(c);
	}
}

/* read_cb - commands in; ignored once silent, endless or closing */
static void read_cb(struct bufferevent *bev, void *arg)
{
	struct server_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (c->state == CS_COMMAND || c->state == CS_DATA)
		conn_process(c);
	else
		evbuffer_drain(in, evbuffer_get_length(in));
}

/* write_cb - output drained: refill, resume reading, or finish closing */
static void write_cb(struct bufferevent *bev, void *arg)
{
	struct server_conn *c = arg;

	if (c->state == CS_ENDLESS)
		endless_fill(c);
	else if (c->blocked)
		conn_process(c);
	conn_done_if_flushed(c);
}

/* event_cb - TLS up, idle timeout (421), EOF (answer, then close), error */
static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct server_conn *c = arg;

	if (what & BEV_EVENT_CONNECTED) { /* the TLS handshake is done */
		lab_info(c->lab, "lab host=%s conn=%lu event=tls version=%s", c->host->name, c->id,
		         starttls_version(bev));
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
	    (c->state == CS_COMMAND || c->state == CS_DATA) && !c->paused) {
		server_reply(c, "421 4.4.2 %s Error: timeout exceeded", c->host->name);
		c->act = ACT_CLOSE;
		bufferevent_enable(bev, EV_READ);
		conn_emit(c);
		return;
	}
	if ((what & BEV_EVENT_EOF) && (c->state == CS_COMMAND || c->state == CS_DATA) &&
	    c->host->prof->mode != MODE_TARPIT) {
		/* a half-close after pipelined commands: they still get answers */
		c->eof = 1;
		bufferevent_disable(bev, EV_READ);
		conn_process(c);
		return;
	}
	conn_kill(c, (what & BEV_EVENT_EOF)       ? "eof"
	             : (what & BEV_EVENT_TIMEOUT) ? "timeout"
	                                          : "error");
}

/* peer_text - the client's address without port */
static void peer_text(const struct sockaddr *sa, char *out, size_t len)
{
	const void *a;

	if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	else
		a = &((const struct sockaddr_in *)sa)->sin_addr;

	if (evutil_inet_ntop(sa->sa_family, a, out, len) == NULL)
		snprintf(out, len, "unknown");
}

/* accept_cb - a new client of one host */
static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                      void *arg)
{
	struct lab_host *h = arg;
	struct lab *lab = h->lab;
	struct server_conn *c;
	char peer[64];

	peer_text(sa, peer, sizeof(peer));
	h->conns++;
	if (h->prof->mode == MODE_CLOSE || lab->nconn >= LAB_CONN_MAX) {
		lab_info(lab, "lab host=%s event=connect peer=%s action=close%s", h->name, peer,
		         h->prof->mode == MODE_CLOSE ? "" : " reason=too-many-connections");
		evutil_closesocket(fd);
		return;
	}
	if (h->prof->mode == MODE_PROXY) {
		proxyd_accept(h, fd, peer);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->lab = lab;
	c->host = h;
	c->id = ++lab->next_id;
	c->state = CS_COMMAND;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->cp = smtpcmd_new(LAB_MSG_MAX);
	c->out = evbuffer_new();
	c->drip = evbuffer_new();
	c->latency_ev = evtimer_new(lab->base, latency_cb, c);
	c->drip_ev = evtimer_new(lab->base, drip_cb, c);
	c->flush_ev = evtimer_new(lab->base, flush_cb, c);
	c->bev = bufferevent_socket_new(lab->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		rw_panic("%s: bufferevent_socket_new failed", __func__);
	c->next = lab->conns;
	if (lab->conns != NULL)
		lab->conns->prev = c;
	lab->conns = c;
	lab->nconn++;
	h->nconn++;
	conn_setup_bev(c);
	lab_info(lab, "lab host=%s conn=%lu event=connect peer=%s profile=%s", h->name, c->id, peer,
	         h->prof->name);
	smtpd_greet(c);
	conn_send(c);
}

/* resume_cb - listen again after a pause */
static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lab_host *h = arg;

	evconnlistener_enable(h->listener);
}

/* accept_error_cb - EMFILE and friends: pause the listener rather than
 * spin on a socket that stays readable */
static void accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct lab_host *h = arg;
	struct timeval tv = {LAB_ACCEPT_PAUSE_MS / 1000, (LAB_ACCEPT_PAUSE_MS % 1000) * 1000};
	int e = EVUTIL_SOCKET_ERROR();

	rw_log(LOG_WARNING, "lab host=%s event=accept-error error=\"%s\" action=pause pause_ms=%d",
	       h->name, evutil_socket_error_to_string(e), LAB_ACCEPT_PAUSE_MS);
	evconnlistener_disable(l);
	evtimer_add(h->resume_ev, &tv);
}

/* server_listen - bind ip:port of the host */
int server_listen(struct lab_host *h, char *err, size_t errlen)
{
	h->listener = evconnlistener_new_bind(h->lab->base, accept_cb, h,
	                                      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
	                                      (const struct sockaddr *)&h->addr, (int)h->addrlen);
	if (h->listener == NULL) {
		snprintf(err, errlen, "listen %s:%u (%s): %s", h->ip, h->lab->cfg->port,
		         h->prof->name, strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(h->listener, accept_error_cb);
	h->resume_ev = evtimer_new(h->lab->base, resume_cb, h);
	return 0;
}

/* server_close_all - end every connection (shutdown) */
void server_close_all(struct lab *lab)
{
	while (lab->conns != NULL)
		conn_kill(lab->conns, "shutdown");
}
