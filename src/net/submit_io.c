/*
 * NAME
 *	submit_io - libevent binding of the smarthost session
 * SUMMARY
 *	sockets, TLS with verification and timers around src/desk/submit
 * SYNOPSIS
 *	struct submit_io *submit_io_start(const struct submit_io_env *env,
 *		struct submit *s, const struct sockaddr *addr, socklen_t addrlen,
 *		submit_io_done_fn done, void *arg);
 *	struct submit_io *submit_io_free(struct submit_io *io);
 *	enum submit_outcome submit_io_send(env, s, addr, addrlen);
 *	SSL_CTX *submit_io_ssl_ctx(const char *ca_file, int verify, char *err,
 *		size_t errlen);
 * DESCRIPTION
 *	The same shape as src/net/probe.c: every byte read goes through the
 *	reply parser, whole replies go to submit_on_reply(), and the action
 *	it returns is carried out here. The deadline of each wait is an
 *	absolute one-shot timer (submit_deadline_ms()), the session budget
 *	another. STARTTLS wraps the socket in a bufferevent_openssl filter;
 *	bytes the server sent before the handshake are dropped (RFC 3207 5).
 *	With env->tls_name the peer certificate must match that DNS name
 *	(SSL_set1_host) or IP literal, and it is sent as SNI when a name.
 *	done runs from a deferred event, so the caller may free there.
 *	submit_io_send() is the blocking convenience: it runs the loop of
 *	env->base until this session's done fired.
 * DIAGNOSTICS
 *	Socket, TLS and verification errors become session failures (the
 *	result's text names the OpenSSL verify error), never exits.
 *	submit_io_ssl_ctx() returns NULL and a text when the CA file cannot
 *	be loaded.
 * LIMITS
 *	RW_READ_HIGHWAT bytes buffered per connection.
 * STANDARDS
 *	RFC 3207 4, 5; RFC 6125 (name checks, via OpenSSL); RFC 8314 3.
 */
#include "submit_io.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/xalloc.h"
#include "../smtp/reply.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct submit_io {
	const struct submit_io_env *env;
	struct submit *s;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	submit_io_done_fn done;
	void *arg;
	struct bufferevent *bev;
	SSL *ssl;
	int connected;
	int finished;
	struct reply_parser *rp;
	struct event *deadline;
	struct event *budget;
	struct event *later; /* deferred done */
};

static void carry_out(struct submit_io *io, enum submit_action a);

/* arm - (re)arm a one-shot timer in ms */
static void arm(struct event *ev, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	evtimer_del(ev);
	evtimer_add(ev, &tv);
}

static void drop_conn(struct submit_io *io)
{
	if (io->bev) {
		bufferevent_free(io->bev); /* frees the SSL too */
		io->bev = NULL;
		io->ssl = NULL;
	}
	io->connected = 0;
	evtimer_del(io->deadline);
}

static void fail(struct submit_io *io, enum submit_failure f, const char *detail)
{
	carry_out(io, submit_on_failure(io->s, f, detail));
}

static void on_done_later(evutil_socket_t fd, short what, void *arg)
{
	struct submit_io *io = arg;

	io->done(io, io->s, io->arg);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct submit_io *io = arg;
	char d[96];

	snprintf(d, sizeof(d), "no reply within %d ms in state %s", submit_deadline_ms(io->s),
	         submit_state_name(io->s));
	fail(io, SUBMIT_FAIL_TIMEOUT, d);
}

static void on_budget(evutil_socket_t fd, short what, void *arg)
{
	struct submit_io *io = arg;

	if (!io->finished)
		fail(io, SUBMIT_FAIL_TIMEOUT, "session budget spent");
}

/* on_read - bytes into the parser, whole replies into the session */
static void on_read(struct bufferevent *bev, void *arg)
{
	struct submit_io *io = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (!io->finished && io->bev == bev && evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		size_t used = 0;
		enum reply_status rs;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		rs = reply_feed(io->rp, v.iov_base, v.iov_len, &used);
		evbuffer_drain(in, used);
		if (rs == REPLY_ERROR) {
			fail(io, SUBMIT_FAIL_PROTOCOL, reply_error(io->rp));
			return;
		}
		if (rs == REPLY_DONE)
			carry_out(io, submit_on_reply(io->s, reply_get(io->rp)));
	}
}

/* tls_error - the most useful words about a failed handshake */
static void tls_error(struct submit_io *io, unsigned long e, char *d, size_t n)
{
	long vr = io->ssl ? SSL_get_verify_result(io->ssl) : X509_V_OK;
	char buf[160];

	if (vr != X509_V_OK) {
		snprintf(d, n, "TLS certificate verification failed: %s",
		         X509_verify_cert_error_string(vr));
		return;
	}
	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(d, n, "TLS: %s", buf);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct submit_io *io = arg;
	char d[256];

	if (io->bev != bev || io->finished)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		if (io->ssl && io->connected) {
			carry_out(io, submit_on_tls(io->s, 1, SSL_get_version(io->ssl)));
			return;
		}
		io->connected = 1;
		carry_out(io, submit_on_connect(io->s));
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		unsigned long e = bufferevent_get_openssl_error(bev);
		int err = EVUTIL_SOCKET_ERROR();

		if (io->ssl && !SSL_is_init_finished(io->ssl)) {
			tls_error(io, e, d, sizeof(d));
			carry_out(io, submit_on_tls(io->s, 0, d));
			return;
		}
		snprintf(d, sizeof(d), "%s", err ? evutil_socket_error_to_string(err) : "error");
		fail(io, io->connected ? SUBMIT_FAIL_EOF : SUBMIT_FAIL_CONNECT, d);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		if (io->ssl && !SSL_is_init_finished(io->ssl)) {
			carry_out(io, submit_on_tls(io->s, 0, "closed during TLS handshake"));
			return;
		}
		fail(io, SUBMIT_FAIL_EOF, "connection closed by peer");
	}
}

/* start_tls - wrap the connection; name checks per env->tls_name */
static void start_tls(struct submit_io *io)
{
	struct evbuffer *in = bufferevent_get_input(io->bev);
	const char *name = io->env->tls_name;
	struct bufferevent *tls;
	unsigned char ipbuf[16];

	if (evbuffer_get_length(in) > 0) {
		rw_log(LOG_NOTICE, "submit event=plaintext-after-starttls bytes=%zu",
		       evbuffer_get_length(in));
		evbuffer_drain(in, evbuffer_get_length(in));
	}
	reply_reset(io->rp);
	if (io->env->ssl_ctx == NULL) {
		carry_out(io, submit_on_tls(io->s, 0, "no TLS context configured"));
		return;
	}
	io->ssl = SSL_new(io->env->ssl_ctx);
	if (name && name[0]) {
		int is_ip =
		    inet_pton(AF_INET, name, ipbuf) == 1 || inet_pton(AF_INET6, name, ipbuf) == 1;

		if (is_ip) {
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(io->ssl), name);
		} else {
			SSL_set_tlsext_host_name(io->ssl, name);
			SSL_set1_host(io->ssl, name);
		}
	}
	tls = bufferevent_openssl_filter_new(io->env->base, io->bev, io->ssl,
	                                     BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (tls == NULL) {
		SSL_free(io->ssl);
		io->ssl = NULL;
		carry_out(io, submit_on_tls(io->s, 0, "cannot create TLS filter"));
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
	io->bev = tls;
	bufferevent_setcb(tls, on_read, NULL, on_event, io);
	bufferevent_setwatermark(tls, EV_READ, 0, RW_READ_HIGHWAT);
	bufferevent_enable(tls, EV_READ | EV_WRITE);
}

static void carry_out(struct submit_io *io, enum submit_action a)
{
	struct dbuf *out = submit_output(io->s);
	struct timeval tv = {0, 0};

	if (io->finished)
		return;
	switch (a) {
	case SUBMIT_SEND:
		if (io->bev && out->len)
			bufferevent_write(io->bev, out->data, out->len);
		dbuf_reset(out);
		/* fall through */
	case SUBMIT_READ:
		arm(io->deadline, submit_deadline_ms(io->s));
		return;
	case SUBMIT_STARTTLS:
		arm(io->deadline, submit_deadline_ms(io->s));
		start_tls(io);
		return;
	case SUBMIT_FINISH:
		io->finished = 1;
		drop_conn(io);
		evtimer_del(io->budget);
		evtimer_add(io->later, &tv);
		return;
	}
}

/* submit_io_start - a socket, the session and its timers */
struct submit_io *submit_io_start(const struct submit_io_env *env, struct submit *s,
                                  const struct sockaddr *addr, socklen_t addrlen,
                                  submit_io_done_fn done, void *arg)
{
	struct submit_io *io = xcalloc(1, sizeof(*io));
	char d[160];

	io->env = env;
	io->s = s;
	memcpy(&io->addr, addr, addrlen);
	io->addrlen = addrlen;
	io->done = done;
	io->arg = arg;
	io->rp = reply_parser_new();
	io->deadline = evtimer_new(env->base, on_deadline, io);
	io->budget = evtimer_new(env->base, on_budget, io);
	io->later = evtimer_new(env->base, on_done_later, io);
	arm(io->budget, env->session_timeout_ms);
	io->bev = bufferevent_socket_new(env->base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(io->bev, on_read, NULL, on_event, io);
	bufferevent_setwatermark(io->bev, EV_READ, 0, RW_READ_HIGHWAT);
	bufferevent_enable(io->bev, EV_READ | EV_WRITE);
	arm(io->deadline, submit_deadline_ms(s));
	if (bufferevent_socket_connect(io->bev, (struct sockaddr *)&io->addr, (int)addrlen) < 0) {
		snprintf(d, sizeof(d), "connect: %s", strerror(errno));
		fail(io, SUBMIT_FAIL_CONNECT, d);
	}
	return io;
}

struct submit_io *submit_io_free(struct submit_io *io)
{
	if (io == NULL)
		return NULL;
	drop_conn(io);
	event_free(io->deadline);
	event_free(io->budget);
	event_free(io->later);
	reply_parser_free(io->rp);
	free(io);
	return NULL;
}

/* send_done - the blocking wrapper's callback: note the end, stop waiting */
static void send_done(struct submit_io *io, struct submit *s, void *arg)
{
	*(int *)arg = 1;
}

/* submit_io_send - start, then loop until this session is over */
enum submit_outcome submit_io_send(const struct submit_io_env *env, struct submit *s,
                                   const struct sockaddr *addr, socklen_t addrlen)
{
	int over = 0;
	struct submit_io *io = submit_io_start(env, s, addr, addrlen, send_done, &over);

	/* bounded: the session budget timer ends the session at the latest */
	while (!over && event_base_loop(env->base, EVLOOP_ONCE) == 0)
		;
	submit_io_free(io);
	return submit_result(s)->outcome;
}

/* submit_io_ssl_ctx - a verifying client context for our own smarthost */
SSL_CTX *submit_io_ssl_ctx(const char *ca_file, int verify, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		rw_panic("%s: SSL_CTX_new failed", __func__);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (verify) {
		int ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
		                 : SSL_CTX_set_default_verify_paths(ctx);
		if (ok != 1) {
			char e[160];
			ERR_error_string_n(ERR_get_error(), e, sizeof(e));
			snprintf(err, errlen, "CA file %s: %s", ca_file ? ca_file : "(system)", e);
			SSL_CTX_free(ctx);
			return NULL;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	return ctx;
}
