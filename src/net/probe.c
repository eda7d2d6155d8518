/*
 * NAME
 *	probe - libevent binding of the client session
 * SUMMARY
 *	sockets, TLS and timers around the pure session state machine
 * SYNOPSIS
 *	struct probe *probe_start(const struct probe_env *env, struct sess *sess,
 *		const struct sockaddr *addr, socklen_t addrlen,
 *		probe_done_fn done, void *arg);
 *	struct probe *probe_free(struct probe *p);
 *	SSL_CTX *probe_ssl_ctx(void);
 *	int probe_socket(int family, const struct sockaddr *source,
 *		socklen_t source_len, char *d, size_t dlen);
 * DESCRIPTION
 *	Every byte read goes through the reply parser; whole replies go to
 *	sess_on_reply() and the step it returns is carried out here: write,
 *	start TLS, reconnect after a delay, or finish. Deadlines are absolute
 *	one-shot timers armed when the session starts to wait, not idle
 *	timers, so a server dripping one byte a second cannot hold a session
 *	past its deadline. The done callback runs from a deferred event so
 *	the caller may free the probe there.
 *	probe_start() returns an owned probe and connects at once (from
 *	env->source when its family matches); env and sess are borrowed and
 *	must outlive it. probe_free() closes the connection and timers but
 *	not the session; NULL ok, returns NULL. probe_ssl_ctx() returns an
 *	owned client context (SSL_CTX_free) that verifies nothing and allows
 *	TLS 1.0 at security level 0: a tester must talk to old servers too;
 *	it releases idle TLS record buffers (SSL_MODE_RELEASE_BUFFERS).
 * DIAGNOSTICS
 *	Socket and TLS errors become session failures (evidence), never exits.
 *	Plaintext after STARTTLS logs one NOTICE line. probe_ssl_ctx() panics
 *	when OpenSSL cannot make a context.
 * LIMITS
 *	RW_READ_HIGHWAT bytes buffered per connection; env->session_timeout_ms
 *	for the whole session, sess_deadline_ms() per wait.
 * STANDARDS
 *	RFC 3207 5: bytes the server sent after its 220 to STARTTLS and
 *	before the handshake are discarded and noted (CVE-2011-0411 class).
 */
#include "probe.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/netaddr.h"
#include "../core/xalloc.h"
#include "../smtp/reply.h"
#include "../smtp/sess.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

struct probe {
	const struct probe_env *env;
	struct sess *sess;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	probe_done_fn done;
	void *arg;
	struct bufferevent *bev;
	SSL *ssl;
	int connected;
	int finished;
	struct reply_parser *rp;
	struct event *deadline; /* the current wait */
	struct event *budget;   /* whole session */
	struct event *later;    /* reconnect delay, deferred done */
};

static void carry_out(struct probe *p, struct sess_step st);

/* now_ms - wall clock in ms, the only clock the pure session is given */
static long long now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* arm - one-shot timer in ms; callers delete it first when re-arming */
static void arm(struct event *ev, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	evtimer_add(ev, &tv);
}

/* drop_conn - free the connection (and TLS) but not the probe */
static void drop_conn(struct probe *p)
{
	if (p->bev) {
		bufferevent_free(p->bev); /* frees p->ssl too (BEV_OPT_CLOSE_ON_FREE) */
		p->bev = NULL;
		p->ssl = NULL;
	}
	p->connected = 0;
	evtimer_del(p->deadline);
	reply_reset(p->rp);
}

/* on_done_later - report the end from a fresh event, so done may free the probe */
static void on_done_later(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;

	(void)fd;
	(void)what;
	p->done(p, p->arg);
}

static void on_reconnect_later(evutil_socket_t fd, short what, void *arg);

/* fail - hand a transport failure to the session and carry out its answer */
static void fail(struct probe *p, enum sess_failure f, const char *detail)
{
	carry_out(p, sess_on_failure(p->sess, f, detail, now_ms()));
}

/* on_deadline - the current wait overran: a reply timeout for the session */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	char d[96];

	(void)fd;
	(void)what;
	snprintf(d, sizeof(d), "deadline of %d ms passed in state %s", sess_deadline_ms(p->sess),
	         sess_state_name(p->sess));
	fail(p, FAIL_TIMEOUT, d);
}

/* on_budget - the whole-session budget is spent, whatever the state */
static void on_budget(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;

	(void)fd;
	(void)what;
	if (!p->finished)
		fail(p, FAIL_SESSION_TIMEOUT, "session budget spent");
}

/* on_read - feed bytes to the reply parser, hand each whole reply to the session */
static void on_read(struct bufferevent *bev, void *arg)
{
	struct probe *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (!p->finished && p->bev == bev && evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		size_t used = 0;
		enum reply_status rs;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		rs = reply_feed(p->rp, v.iov_base, v.iov_len, &used);
		evbuffer_drain(in, used);
		if (rs == REPLY_ERROR) {
			fail(p, FAIL_PROTOCOL, reply_error(p->rp));
			return;
		}
		if (rs == REPLY_DONE)
			carry_out(p, sess_on_reply(p->sess, reply_get(p->rp), now_ms()));
	}
}

/* on_event - connect, TLS handshake result, socket error or EOF into the session */
static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct probe *p = arg;
	char d[160];

	if (p->bev != bev || p->finished)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		if (p->ssl && p->connected) { /* TLS handshake done */
			carry_out(p, sess_on_tls(p->sess, 1, SSL_get_version(p->ssl), now_ms()));
			return;
		}
		p->connected = 1;
		carry_out(p, sess_on_connect(p->sess, now_ms()));
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		unsigned long e = bufferevent_get_openssl_error(bev);
		int err = EVUTIL_SOCKET_ERROR();

		if (p->ssl && e) {
			char buf[120];
			ERR_error_string_n(e, buf, sizeof(buf));
			snprintf(d, sizeof(d), "TLS: %s", buf);
			carry_out(p, sess_on_tls(p->sess, 0, d, now_ms()));
			return;
		}
		snprintf(d, sizeof(d), "%s", err ? evutil_socket_error_to_string(err) : "error");
		fail(p, p->connected ? FAIL_EOF : FAIL_CONNECT, d);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		if (p->ssl && !SSL_is_init_finished(p->ssl)) {
			carry_out(p,
			          sess_on_tls(p->sess, 0, "closed during TLS handshake", now_ms()));
			return;
		}
		fail(p, FAIL_EOF, "connection closed by peer");
	}
}

/* probe_socket - a non-blocking, close-on-exec stream socket of family,
 * bound to source when its family matches; the fd, or -1 with why in d */
int probe_socket(int family, const struct sockaddr *source, socklen_t source_len, char *d,
                 size_t dlen)
{
	evutil_socket_t fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0) {
		snprintf(d, dlen, "socket: %s", strerror(errno));
		return -1;
	}
	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	if (source && source->sa_family == family && bind(fd, source, source_len) < 0) {
		snprintf(d, dlen, "bind source: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* connect_now - a fresh socket, optionally bound to the source address */
static void connect_now(struct probe *p)
{
	char d[160];
	evutil_socket_t fd =
	    probe_socket(p->addr.ss_family, p->env->source, p->env->source_len, d, sizeof(d));

	if (fd < 0) {
		fail(p, FAIL_CONNECT, d);
		return;
	}
	p->bev = bufferevent_socket_new(p->env->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(p->bev, on_read, NULL, on_event, p);
	bufferevent_setwatermark(p->bev, EV_READ, 0, RW_READ_HIGHWAT);
	bufferevent_enable(p->bev, EV_READ | EV_WRITE);
	arm(p->deadline, sess_deadline_ms(p->sess));
	if (bufferevent_socket_connect(p->bev, (struct sockaddr *)&p->addr, (int)p->addrlen) < 0) {
		snprintf(d, sizeof(d), "connect: %s", strerror(errno));
		fail(p, FAIL_CONNECT, d);
	}
}

/* on_reconnect_later - the reconnect delay is over: dial again */
static void on_reconnect_later(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;

	(void)fd;
	(void)what;
	connect_now(p);
}

/* start_tls - wrap the connection in a TLS filter (STARTTLS or port 465) */
static void start_tls(struct probe *p)
{
	struct evbuffer *in = bufferevent_get_input(p->bev);
	struct bufferevent *tls;

	if (evbuffer_get_length(in) > 0) {
		char a[64];

		rw_log(LOG_NOTICE,
		       "probe target=%s port=%u event=plaintext-after-starttls bytes=%zu",
		       netaddr_text((struct sockaddr *)&p->addr, a, sizeof(a)),
		       netaddr_port((struct sockaddr *)&p->addr), evbuffer_get_length(in));
		evbuffer_drain(in, evbuffer_get_length(in));
	}
	reply_reset(p->rp);
	p->ssl = SSL_new(p->env->ssl_ctx);
	if (p->env->sni)
		SSL_set_tlsext_host_name(p->ssl, p->env->sni);
	tls = bufferevent_openssl_filter_new(p->env->base, p->bev, p->ssl,
	                                     BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (tls == NULL) {
		SSL_free(p->ssl);
		p->ssl = NULL;
		carry_out(p, sess_on_tls(p->sess, 0, "cannot create TLS filter", now_ms()));
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
	p->bev = tls;
	bufferevent_setcb(tls, on_read, NULL, on_event, p);
	bufferevent_setwatermark(tls, EV_READ, 0, RW_READ_HIGHWAT);
	bufferevent_enable(tls, EV_READ | EV_WRITE);
}

/* carry_out - do the step the session asked for: send, wait, TLS, reconnect, finish */
static void carry_out(struct probe *p, struct sess_step st)
{
	struct dbuf *out = sess_output(p->sess);
	struct timeval tv;

	if (p->finished)
		return;
	switch (st.act) {
	case SA_SEND:
		if (p->bev && out->len)
			bufferevent_write(p->bev, out->data, out->len);
		dbuf_reset(out);
		/* fall through */
	case SA_READ:
		evtimer_del(p->deadline);
		arm(p->deadline, sess_deadline_ms(p->sess));
		return;
	case SA_STARTTLS:
		evtimer_del(p->deadline);
		arm(p->deadline, sess_deadline_ms(p->sess));
		start_tls(p);
		return;
	case SA_RECONNECT:
		drop_conn(p);
		tv.tv_sec = st.delay_ms / 1000;
		tv.tv_usec = (st.delay_ms % 1000) * 1000;
		evtimer_del(p->later);
		evtimer_assign(p->later, p->env->base, on_reconnect_later, p);
		evtimer_add(p->later, &tv);
		return;
	case SA_FINISH:
		p->finished = 1;
		drop_conn(p);
		evtimer_del(p->budget);
		tv.tv_sec = 0;
		tv.tv_usec = 0;
		evtimer_del(p->later);
		evtimer_assign(p->later, p->env->base, on_done_later, p);
		evtimer_add(p->later, &tv);
		return;
	}
}

/* probe_start - bind a session to a connection and the session budget timer */
struct probe *probe_start(const struct probe_env *env, struct sess *sess,
                          const struct sockaddr *addr, socklen_t addrlen, probe_done_fn done,
                          void *arg)
{
	struct probe *p = xcalloc(1, sizeof(*p));

	p->env = env;
	p->sess = sess;
	memcpy(&p->addr, addr, addrlen);
	p->addrlen = addrlen;
	p->done = done;
	p->arg = arg;
	p->rp = reply_parser_new();
	p->deadline = evtimer_new(env->base, on_deadline, p);
	p->budget = evtimer_new(env->base, on_budget, p);
	p->later = evtimer_new(env->base, on_reconnect_later, p);
	arm(p->budget, env->session_timeout_ms);
	connect_now(p);
	return p;
}

/* probe_free - close and free everything but the borrowed session */
struct probe *probe_free(struct probe *p)
{
	if (p == NULL)
		return NULL;
	drop_conn(p);
	event_free(p->deadline);
	event_free(p->budget);
	event_free(p->later);
	reply_parser_free(p->rp);
	free(p);
	return NULL;
}

/* probe_ssl_ctx - a permissive client context: a tester judges, it does not trust */
SSL_CTX *probe_ssl_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		rw_panic("%s: SSL_CTX_new failed", __func__);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* a tester must talk to old servers too */
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_security_level(ctx, 0);
	/* a session waits on replies far longer than it moves bytes: give
	 * the ~34 KiB of TLS record buffers back while it waits */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	return ctx;
}
