/*
 * NAME
 *	proxyd - the connections of the lab's simulated proxies
 * SUMMARY
 *	accept, drip, connect to loopback targets only, pipe both ways, close
 * SYNOPSIS
 *	void proxyd_accept(struct lab_host *h, int fd, const char *peer);
 *	void proxyd_close_all(struct lab *lab);
 *	void proxyd_enter(c, st); void proxyd_kill(c, why); void proxyd_close(c);
 *	void proxyd_say(c, buf, len); size_t proxyd_unsent(c);
 *	void proxyd_proxyd_forward(c);
 * DESCRIPTION
 *	proxyd_accept() serves one client of a MODE_PROXY host (server.c
 *	hands the descriptor over and proxyd owns it from then on);
 *	proxyreq.c reads its request and answers it. proxyd_say() puts an
 *	answer on the wire, or on the drip (one byte per LAB_TARPIT_MS) for
 *	a PA_DRIP act. proxyd_forward() connects to c->to only when it is a
 *	loopback address (127/8, ::1) - anything else gets the protocol's
 *	refusal from proxyreq_refuse() - and from the host's own address, so
 *	the far end sees the lab host as the egress; then proxyreq_granted()
 *	or proxyreq_failed() answers, and once granted the bytes are piped
 *	both ways until either side ends, what it sent being flushed to the
 *	other before both close. proxyd_close() closes after the flush,
 *	proxyd_kill() at once; the memory goes through lab_defer().
 *	proxyd_close_all() ends every connection at shutdown.
 * DIAGNOSTICS
 *	One log line per connect and close (with the reason), per failed
 *	upstream; debug lines per state change.
 * LIMITS
 *	LAB_CONN_MAX connections, clients and upstreams together;
 *	LAB_READ_HIGHWAT input per side; LAB_PROXY_PIPE_HIGHWAT unsent bytes
 *	per direction (then the sending side is not read); LAB_IDLE_SEC idle
 *	per side, LAB_PROXY_CONNECT_SEC to connect.
 * STANDARDS
 *	RFC 9110 9.3.6 (CONNECT tunnels: close both sides together).
 */
#include "proxyd_int.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/log.h"
#include "../src/core/xalloc.h"

static const char *const state_names[PS__COUNT] = {
    [PS_FIRST] = "first",
    [PS_HTTP] = "http",
    [PS_SOCKS4] = "socks4",
    [PS_SOCKS5_HELLO] = "socks5-hello",
    [PS_SOCKS5_AUTH] = "socks5-auth",
    [PS_SOCKS5_REQ] = "socks5-request",
    [PS_TELNET] = "telnet",
    [PS_CONNECTING] = "connecting",
    [PS_PIPE] = "pipe",
    [PS_FAKE] = "fake",
    [PS_SILENT] = "silent",
    [PS_CLOSING] = "closing",
    [PS_DEAD] = "dead",
};

/* proxyd_enter - the one place the state changes */
void proxyd_enter(struct proxy_conn *c, enum pstate st)
{
	rw_debug("lab host=%s pconn=%lu state=%s -> %s", c->host->name, c->id,
	         state_names[c->state], state_names[st]);
	c->state = st;
}

/* p_free - the reaper's half of p_kill */
static void p_free(void *arg)
{
	struct proxy_conn *c = arg;

	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->up != NULL)
		bufferevent_free(c->up);
	if (c->ahead != NULL)
		evbuffer_free(c->ahead);
	evbuffer_free(c->drip);
	event_free(c->drip_ev);
	free(c);
}

/* proxyd_kill - stop all I/O of both sides now; the memory goes later */
void proxyd_kill(struct proxy_conn *c, const char *why)
{
	if (c->state == PS_DEAD)
		return;
	lab_info(c->lab, "lab host=%s pconn=%lu event=close peer=%s reason=%s", c->host->name,
	         c->id, c->peer, why);
	proxyd_enter(c, PS_DEAD);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	if (c->up != NULL) {
		bufferevent_disable(c->up, EV_READ | EV_WRITE);
		bufferevent_setcb(c->up, NULL, NULL, NULL, NULL);
		c->lab->nconn--;
	}
	event_del(c->drip_ev);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->lab->pconns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->lab->nconn--;
	c->host->nconn--;
	lab_defer(c->lab, p_free, c);
}

/* proxyd_unsent - what the client has not taken */
size_t proxyd_unsent(const struct proxy_conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

/* out_len - bytes waiting to reach a bufferevent's peer */
static size_t out_len(struct bufferevent *b)
{
	return b != NULL ? evbuffer_get_length(bufferevent_get_output(b)) : 0;
}

/* p_done_if_flushed - a closing connection dies once all is written */
static void p_done_if_flushed(struct proxy_conn *c)
{
	if (c->state == PS_CLOSING && proxyd_unsent(c) == 0 && out_len(c->up) == 0 &&
	    evbuffer_get_length(c->drip) == 0)
		proxyd_kill(c, "closed");
}

/* proxyd_close - stop reading; close once every answer is flushed */
void proxyd_close(struct proxy_conn *c)
{
	bufferevent_disable(c->bev, EV_READ);
	if (c->up != NULL)
		bufferevent_disable(c->up, EV_READ);
	proxyd_enter(c, PS_CLOSING);
	p_done_if_flushed(c);
}

/* proxyd_say - bytes to the client; a dripping profile's go one per LAB_TARPIT_MS */
void proxyd_say(struct proxy_conn *c, const void *buf, size_t len)
{
	if (c->act != PA_DRIP) {
		bufferevent_write(c->bev, buf, len);
		return;
	}
	evbuffer_add(c->drip, buf, len);
	if (!evtimer_pending(c->drip_ev, NULL)) {
		struct timeval tv = {LAB_TARPIT_MS / 1000, (LAB_TARPIT_MS % 1000) * 1000};

		evtimer_add(c->drip_ev, &tv);
	}
}

/* drip_cb - one byte, then wait again */
static void drip_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proxy_conn *c = arg;
	char ch;

	if (evbuffer_remove(c->drip, &ch, 1) == 1)
		bufferevent_write(c->bev, &ch, 1);
	if (evbuffer_get_length(c->drip) > 0) {
		struct timeval tv = {LAB_TARPIT_MS / 1000, (LAB_TARPIT_MS % 1000) * 1000};

		evtimer_add(c->drip_ev, &tv);
	}
}

static void up_read_cb(struct bufferevent *bev, void *arg);
static void up_write_cb(struct bufferevent *bev, void *arg);
static void up_event_cb(struct bufferevent *bev, short what, void *arg);
static void pipe_bytes(struct proxy_conn *c, struct bufferevent *from, struct bufferevent *to);

/* loopback - the only targets a lab proxy ever connects to */
static int loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return 0;
}

/* bev_free - an upstream that failed to connect, freed after its callback */
static void bev_free(void *arg)
{
	bufferevent_free(arg);
}

/* connect_failed - log, drop the upstream, and let the kind answer */
static void connect_failed(struct proxy_conn *c, const char *why)
{
	lab_info(c->lab, "lab host=%s pconn=%lu event=upstream target=%s error=\"%s\"",
	         c->host->name, c->id, c->target, why);
	if (c->up != NULL) {
		bufferevent_disable(c->up, EV_READ | EV_WRITE);
		bufferevent_setcb(c->up, NULL, NULL, NULL, NULL);
		lab_defer(c->lab, bev_free, c->up);
		c->up = NULL;
		c->lab->nconn--;
	}
	proxyreq_failed(c);
}

/* proxyd_forward - connect from the host's own address to the (loopback) target */
void proxyd_forward(struct proxy_conn *c)
{
	struct timeval tmo = {LAB_PROXY_CONNECT_SEC, 0};
	evutil_socket_t fd;

	if (!loopback(&c->to)) {
		proxyreq_refuse(c, "refused-not-loopback");
		return;
	}
	if (c->lab->nconn >= LAB_CONN_MAX) {
		connect_failed(c, "too many connections");
		return;
	}
	fd = socket(c->to.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		connect_failed(c, strerror(errno));
		return;
	}
	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	if (c->to.ss_family == AF_INET) {
		struct sockaddr_in src;

		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		if (evutil_inet_pton(AF_INET, c->host->ip, &src.sin_addr) == 1 &&
		    bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
			rw_log(LOG_WARNING, "lab host=%s pconn=%lu event=bind src=%s error=\"%s\"",
			       c->host->name, c->id, c->host->ip, strerror(errno));
	}
	c->up = bufferevent_socket_new(c->lab->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->up == NULL)
		rw_panic("%s: bufferevent_socket_new failed", __func__);
	c->lab->nconn++;
	bufferevent_setcb(c->up, up_read_cb, up_write_cb, up_event_cb, c);
	bufferevent_setwatermark(c->up, EV_READ, 0, LAB_READ_HIGHWAT);
	bufferevent_set_timeouts(c->up, &tmo, &tmo);
	bufferevent_enable(c->up, EV_READ | EV_WRITE);
	bufferevent_disable(c->bev, EV_READ);
	proxyd_enter(c, PS_CONNECTING);
	if (bufferevent_socket_connect(c->up, (struct sockaddr *)&c->to, (int)c->tolen) < 0)
		connect_failed(c, "connect failed");
}

/* connected - grant, then pipe what either side has */
static void connected(struct proxy_conn *c)
{
	struct timeval idle = {LAB_IDLE_SEC, 0};

	bufferevent_set_timeouts(c->up, &idle, &idle);
	bufferevent_setwatermark(c->up, EV_WRITE, LAB_PROXY_PIPE_HIGHWAT / 2, 0);
	bufferevent_setwatermark(c->bev, EV_WRITE, LAB_PROXY_PIPE_HIGHWAT / 2, 0);
	proxyreq_granted(c);
	proxyd_enter(c, PS_PIPE);
	bufferevent_enable(c->bev, EV_READ);
	pipe_bytes(c, c->bev, c->up);
}

/* pipe_bytes - move what `from` read to `to`; stop reading `from` while
 * `to` holds LAB_PROXY_PIPE_HIGHWAT unsent */
static void pipe_bytes(struct proxy_conn *c, struct bufferevent *from, struct bufferevent *to)
{
	struct evbuffer *in = bufferevent_get_input(from);

	if (c->state != PS_PIPE) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	evbuffer_add_buffer(bufferevent_get_output(to), in);
	if (out_len(to) >= LAB_PROXY_PIPE_HIGHWAT)
		bufferevent_disable(from, EV_READ);
}

/* up_read_cb - the target's bytes to the client */
static void up_read_cb(struct bufferevent *bev, void *arg)
{
	pipe_bytes(arg, bev, ((struct proxy_conn *)arg)->bev);
}

/* up_write_cb - the target took our bytes: read the client again */
static void up_write_cb(struct bufferevent *bev, void *arg)
{
	struct proxy_conn *c = arg;

	if (c->state == PS_PIPE)
		bufferevent_enable(c->bev, EV_READ);
	p_done_if_flushed(c);
}

/* up_event_cb - connected, or the target ended: flush to the client, close */
static void up_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct proxy_conn *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		connected(c);
		return;
	}
	if (c->state == PS_CONNECTING) {
		connect_failed(c, (what & BEV_EVENT_TIMEOUT)
		                      ? "connect timeout"
		                      : evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		return;
	}
	/* the target's last bytes were delivered to read_cb already */
	evbuffer_drain(bufferevent_get_output(bev), out_len(bev));
	proxyd_close(c);
}

/* read_cb - the client's bytes: to the pipe, or to the request reader */
static void read_cb(struct bufferevent *bev, void *arg)
{
	struct proxy_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	switch (c->state) {
	case PS_PIPE:
		pipe_bytes(c, bev, c->up);
		break;
	case PS_CONNECTING: /* reading is off meanwhile: the bytes wait for the pipe */
		break;
	case PS_SILENT:
	case PS_CLOSING:
	case PS_DEAD:
		evbuffer_drain(in, evbuffer_get_length(in));
		break;
	default:
		proxyreq_feed(c, in);
		break;
	}
}

/* write_cb - the client took our bytes: read the target again, or finish */
static void write_cb(struct bufferevent *bev, void *arg)
{
	struct proxy_conn *c = arg;

	if (c->state == PS_PIPE)
		bufferevent_enable(c->up, EV_READ);
	p_done_if_flushed(c);
}

/* event_cb - the client ended, or idled: flush to the target, close */
static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct proxy_conn *c = arg;

	if (c->state == PS_PIPE && (what & BEV_EVENT_EOF) && c->up != NULL) {
		evbuffer_drain(bufferevent_get_output(bev), out_len(bev));
		proxyd_close(c);
		return;
	}
	proxyd_kill(c, (what & BEV_EVENT_EOF)       ? "eof"
	               : (what & BEV_EVENT_TIMEOUT) ? "timeout"
	                                            : "error");
}

/* proxyd_accept - a new client; a telnet host speaks first */
void proxyd_accept(struct lab_host *h, int fd, const char *peer)
{
	struct lab *lab = h->lab;
	struct timeval idle = {LAB_IDLE_SEC, 0};
	struct proxy_conn *c = xcalloc(1, sizeof(*c));

	c->lab = lab;
	c->host = h;
	c->id = ++lab->next_id;
	c->state = PS_FIRST;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->drip = evbuffer_new();
	c->drip_ev = evtimer_new(lab->base, drip_cb, c);
	c->bev = bufferevent_socket_new(lab->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		rw_panic("%s: bufferevent_socket_new failed", __func__);
	c->next = lab->pconns;
	if (lab->pconns != NULL)
		lab->pconns->prev = c;
	lab->pconns = c;
	lab->nconn++;
	h->nconn++;
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, LAB_READ_HIGHWAT);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	lab_info(lab, "lab host=%s pconn=%lu event=connect peer=%s profile=%s", h->name, c->id,
	         peer, h->prof->name);
	proxyreq_greet(c);
}

/* proxyd_close_all - end every proxy connection (shutdown) */
void proxyd_close_all(struct lab *lab)
{
	while (lab->pconns != NULL)
		proxyd_kill(lab->pconns, "shutdown");
}
