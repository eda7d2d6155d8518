/*
 * test_sink - the canary sink driven over loopback in one process
 *
 * Each test starts a sink on 127.0.0.1 (a port that was free a moment
 * before) in its own event_base and talks to it with a non-blocking
 * socket client; the client pumps the event loop while it waits, so no
 * thread is needed. Fixtures differ by flag (idle timeout, message cap,
 * greet wait). The proxy canary's nonces are checked with nonce_verify.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "../../src/core/dbuf.h"
#include "../../src/core/limits.h"
#include "../../src/core/log.h"
#include "../../src/core/xalloc.h"
#include "../../src/proxy/nonce.h"
#include "../../src/sink/received.h"
#include "../../src/sink/sink.h"

#define CANARY    "canary.test"
#define MYNAME    "sink.test"
#define MAX_AGE   3600
#define SMALL_CAP 4096
#define GOT_MAX   8
#define WAIT_MS   10000 /* generous: valgrind */
#define GREET_MS  300
#define PROBE_ID  "rwpget.0123456789abcdef"

struct fx {
	struct event_base *base;
	struct sink *sink;
	struct token_key key, other;
	char listen[64];
	struct arrival got[GOT_MAX];
	int ngot;
	int free_in_callback;
};

struct cl {
	int fd;
	struct dbuf in;  /* bytes received */
	size_t taken;    /* of which taken as replies */
	char last[8192]; /* the last complete reply */
	int eof;
};

/* ---------------------------------------------------------------- fixture */

static void on_arrival(const struct arrival *a, void *arg)
{
	struct fx *fx = arg;

	if (fx->ngot < GOT_MAX)
		arrival_copy(&fx->got[fx->ngot], a);
	fx->ngot++;
	if (fx->free_in_callback) {
		fx->sink = sink_free(fx->sink); /* deferred inside the callback */
		event_base_loopbreak(fx->base);
	}
}

static unsigned free_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static int setup_cfg(void **state, int idle, size_t cap, const char *host, int greet_ms)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	char err[256] = "";

	memset(fx->key.k, 0x42, sizeof(fx->key.k));
	memset(fx->other.k, 0x17, sizeof(fx->other.k));
	fx->base = event_base_new();
	for (int tries = 0; tries < 5 && !fx->sink; tries++) {
		struct sink_config cfg = {
		    .canary = CANARY,
		    .myname = MYNAME,
		    .key = &fx->key,
		    .token_max_age = MAX_AGE,
		    .msg_cap = cap,
		    .idle_timeout = idle,
		    .greet_wait_ms = greet_ms,
		};

		snprintf(fx->listen, sizeof(fx->listen), strchr(host, ':') ? "[%s]:%u" : "%s:%u",
		         host, free_port());
		cfg.listen = fx->listen;
		fx->sink = sink_new(fx->base, &cfg, on_arrival, fx, err, sizeof(err));
	}
	if (!fx->sink) {
		print_message("sink_new: %s\n", err);
		event_base_free(fx->base);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int setup(void **state)
{
	return setup_cfg(state, 10, 0, "127.0.0.1", 0);
}

static int setup_small(void **state)
{
	return setup_cfg(state, 10, SMALL_CAP, "127.0.0.1", 0);
}

static int setup_idle(void **state)
{
	return setup_cfg(state, 1, 0, "127.0.0.1", 0);
}

static int setup_greet(void **state)
{
	return setup_cfg(state, 10, 0, "127.0.0.1", GREET_MS);
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	fx->sink = sink_free(fx->sink);
	for (int i = 0; i < fx->ngot && i < GOT_MAX; i++)
		arrival_clear(&fx->got[i]);
	event_base_free(fx->base);
	free(fx);
	return 0;
}

/* ----------------------------------------------------------------- client */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* pump - run what is ready in the sink's loop, then wait a little on fd */
static void pump(struct fx *fx, int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};

	event_base_loop(fx->base, EVLOOP_NONBLOCK);
	if (fd >= 0)
		poll(&p, 1, 2);
}

/* cl_open_rcvbuf - connect; rcvbuf > 0 sets SO_RCVBUF before the handshake */
/* cl_source - when set, IPv4 clients bind to this source address */
static const char *cl_source;

static void cl_open_rcvbuf(struct fx *fx, struct cl *c, int rcvbuf)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *colon = strrchr(fx->listen, ':');
	unsigned port = (unsigned)atoi(colon + 1);

	memset(c, 0, sizeof(*c));
	dbuf_init(&c->in, 0);
	memset(&ss, 0, sizeof(ss));
	if (fx->listen[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, "::1", &s6->sin6_addr);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s4);
	}
	c->fd = socket(ss.ss_family, SOCK_STREAM, 0);
	assert_true(c->fd >= 0);
	if (rcvbuf > 0)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (cl_source && ss.ss_family == AF_INET) {
		struct sockaddr_in src = {.sin_family = AF_INET};

		inet_pton(AF_INET, cl_source, &src.sin_addr);
		assert_int_equal(bind(c->fd, (struct sockaddr *)&src, sizeof(src)), 0);
	}
	/* loopback: the kernel completes the handshake before accept() */
	assert_int_equal(connect(c->fd, (struct sockaddr *)&ss, len), 0);
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
}

static void cl_open(struct fx *fx, struct cl *c)
{
	cl_open_rcvbuf(fx, c, 0);
}

static void cl_close(struct fx *fx, struct cl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	dbuf_free(&c->in);
	for (int i = 0; i < 5; i++)
		pump(fx, -1, 0); /* let the sink see the close */
}

/* cl_read - take what the socket has; sets eof */
static void cl_read(struct cl *c)
{
	char buf[16384];
	ssize_t n;

	while ((n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		dbuf_add(&c->in, buf, (size_t)n);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
		c->eof = 1;
}

/* take_reply - a complete reply at the front of c->in into c->last */
static int take_reply(struct cl *c)
{
	const char *p = dbuf_str(&c->in);
	size_t off = c->taken;

	while (off < c->in.len) {
		const char *nl = memchr(p + off, '\n', c->in.len - off);
		size_t ll;

		if (!nl)
			break;
		ll = (size_t)(nl - (p + off)) + 1;
		if (ll >= 4 && p[off + 3] == ' ') {
			size_t n = off + ll - c->taken;
			size_t keep = n < sizeof(c->last) ? n : sizeof(c->last) - 1;

			memcpy(c->last, p + c->taken, keep);
			c->last[keep] = '\0';
			c->taken += n;
			return 1;
		}
		off += ll;
	}
	/* compact now and then, not per reply: floods send 100k replies */
	if (c->taken > 0 && (c->taken == c->in.len || c->taken > 65536)) {
		memmove(c->in.data, c->in.data + c->taken, c->in.len - c->taken);
		c->in.len -= c->taken;
		c->in.data[c->in.len] = '\0';
		c->taken = 0;
	}
	return 0;
}

/* cl_reply - wait for the next complete reply; its code, or -1 at EOF */
static int cl_reply(struct fx *fx, struct cl *c)
{
	long long end = now_ms() + WAIT_MS;

	c->last[0] = '\0';
	while (now_ms() < end) {
		if (take_reply(c))
			return atoi(c->last);
		if (c->eof)
			return -1;
		pump(fx, c->fd, POLLIN);
		cl_read(c);
	}
	fail_msg("no reply within %d ms", WAIT_MS);
	return -1;
}

/* cl_send - send everything, pumping the sink while the socket is full;
 * replies that arrive meanwhile stay queued in c->in */
static int cl_send(struct fx *fx, struct cl *c, const void *data, size_t len)
{
	const char *p = data;
	long long end = now_ms() + WAIT_MS;

	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (now_ms() > end)
			fail_msg("send stuck for %d ms", WAIT_MS);
		pump(fx, c->fd, POLLOUT);
		cl_read(c);
	}
	pump(fx, -1, 0);
	return 0;
}

/* cmd - one command line and its reply code */
static int cmd(struct fx *fx, struct cl *c, const char *line)
{
	char *s = xasprintf("%s\r\n", line);
	int rc = cl_send(fx, c, s, strlen(s));

	free(s);
	return rc < 0 ? -1 : cl_reply(fx, c);
}

/* wait_eof - the sink closes the connection within WAIT_MS */
static int wait_eof(struct fx *fx, struct cl *c)
{
	long long end = now_ms() + WAIT_MS;

	while (now_ms() < end && !c->eof) {
		pump(fx, c->fd, POLLIN);
		cl_read(c);
	}
	return c->eof;
}

static void assert_reply(struct fx *fx, struct cl *c, const char *line, int want,
                         const char *want_text)
{
	int got = cmd(fx, c, line);

	if (got != want || (want_text && !strstr(c->last, want_text)))
		fail_msg("%s: got %d \"%s\", want %d \"%s\"", line, got, c->last, want,
		         want_text ? want_text : "");
}

/* open_session - connect, banner, EHLO */
static void open_session(struct fx *fx, struct cl *c, const char *helo)
{
	char line[300];

	cl_open(fx, c);
	assert_int_equal(cl_reply(fx, c), 220);
	snprintf(line, sizeof(line), "EHLO %s", helo);
	assert_int_equal(cmd(fx, c, line), 250);
}

/* make_token - a token signed with key; age seconds old */
static void make_token(const struct token_key *key, const char *test, long long age, char *out)
{
	struct token_fields f;

	memset(&f, 0, sizeof(f));
	snprintf(f.scan, sizeof(f.scan), "0");
	snprintf(f.target, sizeof(f.target), "192.0.2.25");
	f.port = 25;
	snprintf(f.test, sizeof(f.test), "%s", test);
	f.time = (long long)time(NULL) - age;
	token_make(key, &f, out, RW_TOKEN_MAX);
}

/* test_message - headers with two Received hops and the token; CRLF */
static char *test_message(const char *token)
{
	return xasprintf("Received: from entry.example (entry.example [192.0.2.25])\r\n"
	                 "\tby smarthost.example (Postfix) with ESMTP id 4ABC\r\n"
	                 "\tfor <probe@" CANARY ">; Thu, 27 Nov 2025 13:00:00 +0000\r\n"
	                 "Received: from tester.example ([198.51.100.7])\r\n"
	                 "\tby entry.example with esmtp (Exim 4.96) id 1x-2y; Thu, 27 Nov 2025 "
	                 "12:59:59 +0000\r\n"
	                 "Subject: relaywatch test %s\r\n"
	                 "X-Relaywatch-Token: %s\r\n"
	                 "\r\n"
	                 "This is a relay test. Token: %s.\r\n",
	                 token, token, token);
}

/* deliver - one whole transaction; returns the end-of-data reply code */
static int deliver(struct fx *fx, const char *helo, const char *body)
{
	struct cl c;
	int rc;

	open_session(fx, &c, helo);
	assert_int_equal(cmd(fx, &c, "MAIL FROM:<probe@tester.example>"), 250);
	assert_int_equal(cmd(fx, &c, "RCPT TO:<probe@" CANARY ">"), 250);
	assert_int_equal(cmd(fx, &c, "DATA"), 354);
	assert_int_equal(cl_send(fx, &c, body, strlen(body)), 0);
	rc = cmd(fx, &c, ".");
	assert_int_equal(cmd(fx, &c, "QUIT"), 221);
	assert_true(wait_eof(fx, &c));
	cl_close(fx, &c);
	return rc;
}

/* check_nonce - text holds a nonce of ours, fresh, from 127.0.0.1, bound to bind */
static void check_nonce(struct fx *fx, const char *text, const char *bind)
{
	struct nonce_fields f;
	char nonce[NONCE_MAX];
	size_t n = 0;
	const char *p = nonce_find(text, strlen(text), &n);
	enum token_status st;

	if (!p || n >= sizeof(nonce))
		fail_msg("no nonce in \"%s\"", text);
	memcpy(nonce, p, n);
	nonce[n] = '\0';
	st = nonce_verify(&fx->key, nonce, (long long)time(NULL), 60, &f);
	if (st != TOKEN_VALID || strcmp(f.bind, bind) != 0 || strcmp(f.peer, "127.0.0.1") != 0 ||
	    f.serial == 0)
		fail_msg("nonce %s: got %s bind=%s peer=%s serial=%llu, want valid bind=%s "
		         "peer=127.0.0.1",
		         nonce, token_status_name(st), f.bind, f.peer, f.serial, bind);
	assert_int_equal(nonce_verify(&fx->other, nonce, (long long)time(NULL), 60, &f),
	                 TOKEN_FORGED);
}

/* http_exchange - send req in pieces of step bytes (0: at once), read to
 * EOF; what the sink wrote, in c->in */
static const char *http_exchange(struct fx *fx, struct cl *c, const char *req, size_t step)
{
	size_t len = strlen(req);

	for (size_t off = 0; off < len;) {
		size_t n = step && step < len - off ? step : len - off;

		assert_int_equal(cl_send(fx, c, req + off, n), 0);
		off += n;
		for (int i = 0; step && i < 3; i++)
			pump(fx, c->fd, POLLIN);
	}
	assert_true(wait_eof(fx, c));
	return dbuf_str(&c->in);
}

/* check_http_200 - a whole canary answer with a nonce bound to bind */
static void check_http_200(struct fx *fx, const char *got, const char *bind)
{
	static const char head[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
	                           "Cache-Control: no-store\r\nConnection: close\r\n"
	                           "Content-Length: ";
	const char *body = strstr(got, "\r\n\r\n");
	long clen;

	if (strncmp(got, head, sizeof(head) - 1) != 0 || !body)
		fail_msg("HTTP answer: got \"%s\"", got);
	clen = strtol(got + sizeof(head) - 1, NULL, 10);
	body += 4;
	assert_int_equal((long)strlen(body), clen);
	assert_true(strncmp(body, "relaywatch proxy canary rwp1-", 29) == 0);
	assert_true(strcmp(body + strlen(body) - 2, "\r\n") == 0);
	check_nonce(fx, body, bind);
}

/* ------------------------------------------------------------------ tests */

static void test_greeting(void **state)
{
	struct fx *fx = *state;
	struct cl c;

	cl_open(fx, &c);
	assert_int_equal(cl_reply(fx, &c), 220);
	assert_true(strncmp(c.last, "220 " MYNAME " ESMTP relaywatch canary sink rwp1-", 45) == 0);
	check_nonce(fx, c.last, "0");
	assert_int_equal(cmd(fx, &c, "EHLO client.example"), 250);
	assert_non_null(strstr(c.last, "250-" MYNAME "\r\n"));
	assert_non_null(strstr(c.last, "PIPELINING\r\n"));
	assert_non_null(strstr(c.last, "SIZE 262144\r\n"));
	assert_non_null(strstr(c.last, "8BITMIME\r\n"));
	assert_non_null(strstr(c.last, "250 ENHANCEDSTATUSCODES\r\n"));
	assert_null(strstr(c.last, "STARTTLS"));
	assert_null(strstr(c.last, "AUTH"));
	assert_reply(fx, &c, "HELO client.example", 250, MYNAME);
	assert_reply(fx, &c, "EHLO", 501, "5.5.4");
	assert_reply(fx, &c, "NOOP", 250, "2.0.0");
	assert_reply(fx, &c, "VRFY postmaster", 252, NULL);
	assert_reply(fx, &c, "XYZZY", 500, "5.5.2");
	assert_reply(fx, &c, "STARTTLS", 502, "5.5.1");
	assert_reply(fx, &c, "AUTH PLAIN AAAA", 502, "5.5.1");
	assert_reply(fx, &c, "RSET", 250, "2.0.0");
	assert_reply(fx, &c, "QUIT", 221, "2.0.0");
	assert_true(wait_eof(fx, &c));
	cl_close(fx, &c);
}

struct rcpt_case {
	const char *path;
	int ok;
};

static const struct rcpt_case rcpt_cases[] = {
    {"probe@" CANARY, 1},
    {"PROBE@CANARY.TEST", 1},
    {"probe@canary.test.", 1},
    {"a.b+c_d-e=f9@Canary.Test", 1},
    {"probe@other.test", 0},
    {"probe@sub.canary.test", 0},
    {"probe@canary.test.other.test", 0},
    {"probe@canary.test..", 0},
    {"probe%other.test@" CANARY, 0},
    {"probe%" CANARY "@" CANARY, 0},
    {"other.test!probe@" CANARY, 0},
    {"other.test!probe", 0},
    {"\"probe@other.test\"@" CANARY, 0},
    {"\"probe\"@" CANARY, 0},
    {"@" CANARY ":probe@other.test", 0},
    {"@other.test:probe@" CANARY, 0},
    {"probe@other.test@" CANARY, 0},
    {"probe", 0},
    {"postmaster", 0},
    {"", 0},
    {"@" CANARY, 0},
    {"probe@", 0},
    {"pro be@" CANARY, 0},
    {"pr\xc3\xb6"
     "be@" CANARY,
     0},
    {"probe@[192.0.2.1]", 0},
};

/* test_rcpt_policy - the pure check, then the same cases on the wire */
static void test_rcpt_policy(void **state)
{
	struct fx *fx = *state;
	struct cl c;
	int failures = 0;
	unsigned long refused = 0, want_refused = 0;

	for (size_t i = 0; i < sizeof(rcpt_cases) / sizeof(rcpt_cases[0]); i++) {
		const struct rcpt_case *t = &rcpt_cases[i];
		int got = sink_rcpt_ok(t->path, CANARY);

		if (got != t->ok) {
			print_message("sink_rcpt_ok(\"%s\"): got %d, want %d\n", t->path, got,
			              t->ok);
			failures++;
		}
	}
	assert_int_equal(sink_rcpt_ok("probe@[127.0.0.1]", "[127.0.0.1]"), 1);
	assert_int_equal(sink_rcpt_ok("probe@[127.0.0.2]", "[127.0.0.1]"), 0);
	assert_int_equal(sink_rcpt_ok("probe%x@[127.0.0.1]", "[127.0.0.1]"), 0);
	assert_int_equal(sink_rcpt_ok("probe@canary.test", ""), 0);
	assert_int_equal(sink_rcpt_ok(NULL, CANARY), 0);

	open_session(fx, &c, "client.example");
	for (size_t i = 0; i < sizeof(rcpt_cases) / sizeof(rcpt_cases[0]); i++) {
		const struct rcpt_case *t = &rcpt_cases[i];
		char *line = xasprintf("RCPT TO:<%s>", t->path);
		int got;

		assert_int_equal(cmd(fx, &c, "RSET"), 250);
		assert_int_equal(cmd(fx, &c, "MAIL FROM:<>"), 250);
		got = cmd(fx, &c, line);
		if ((t->ok && (got != 250 || !strstr(c.last, "2.1.5"))) ||
		    (!t->ok && (got != 550 || !strstr(c.last, "5.7.1")))) {
			print_message("%s: got \"%s\", want %s\n", line, c.last,
			              t->ok ? "250 2.1.5" : "550 5.7.1");
			failures++;
		}
		want_refused += !t->ok;
		free(line);
	}
	sink_stats(fx->sink, NULL, NULL, &refused);
	assert_int_equal(refused, want_refused);
	/* refusals are not protocol errors: the session is still open */
	assert_reply(fx, &c, "NOOP", 250, NULL);
	cl_close(fx, &c);
	assert_int_equal(failures, 0);
}

/* test_sequence - RFC 5321 4.1.4 order is enforced */
static void test_sequence(void **state)
{
	struct fx *fx = *state;
	struct cl c;

	open_session(fx, &c, "client.example");
	assert_reply(fx, &c, "DATA", 503, "5.5.1");
	assert_reply(fx, &c, "RCPT TO:<probe@" CANARY ">", 503, "5.5.1");
	assert_reply(fx, &c, "MAIL FROM:probe@tester.example", 501, "5.5.4");
	assert_reply(fx, &c, "MAIL FROM:<probe@tester.example>", 250, "2.1.0");
	assert_reply(fx, &c, "MAIL FROM:<probe@tester.example>", 503, "5.5.1");
	assert_reply(fx, &c, "RCPT TO:probe@" CANARY, 501, "5.5.4");
	assert_reply(fx, &c, "RCPT TO:<probe@other.test>", 550, "5.7.1");
	assert_reply(fx, &c, "DATA", 554, "5.5.1");
	assert_reply(fx, &c, "RSET", 250, NULL);
	assert_reply(fx, &c, "RCPT TO:<probe@" CANARY ">", 503, "5.5.1");
	/* MAIL without HELO is accepted (helo stays empty) on a new session */
	cl_close(fx, &c);
	cl_open(fx, &c);
	assert_int_equal(cl_reply(fx, &c), 220);
	assert_reply(fx, &c, "MAIL FROM:<>", 250, NULL);
	assert_reply(fx, &c, "MAIL FROM:<>", 503, NULL);
	cl_close(fx, &c);
	assert_int_equal(fx->ngot, 0);
}

/* test_valid_arrival - the whole proof: token, envelope, Received chain */
static void test_valid_arrival(void **state)
{
	struct fx *fx = *state;
	char tok[RW_TOKEN_MAX];
	char *msg;
	struct cl c;
	struct received_hop hop;
	const struct arrival *a;

	make_token(&fx->key, "percent-ip", 5, tok);
	msg = test_message(tok);
	open_session(fx, &c, "entry.example");
	assert_reply(fx, &c, "MAIL FROM:<probe@tester.example> SIZE=1000 BODY=8BITMIME", 250, NULL);
	assert_reply(fx, &c, "RCPT TO:<nobody@other.test>", 550, NULL);
	assert_reply(fx, &c, "RCPT TO:<probe@" CANARY ">", 250, "2.1.5");
	assert_reply(fx, &c, "RCPT TO:<second@" CANARY ">", 250, "2.1.5");
	assert_reply(fx, &c, "DATA", 354, NULL);
	assert_int_equal(cl_send(fx, &c, msg, strlen(msg)), 0);
	assert_reply(fx, &c, ".", 250, "2.0.0 Ok: queued as ");
	assert_int_equal(fx->ngot, 1);
	a = &fx->got[0];
	assert_string_equal(a->peer, "127.0.0.1");
	assert_true(a->peer_port > 0);
	assert_string_equal(a->helo, "entry.example");
	assert_string_equal(a->mail_from, "probe@tester.example");
	assert_string_equal(a->rcpt_to, "probe@" CANARY);
	assert_int_equal(a->size, strlen(msg));
	assert_string_equal(a->token, tok);
	assert_int_equal(a->token_status, TOKEN_VALID);
	assert_int_equal(a->replayed, 0);
	assert_string_equal(a->fields.test, "percent-ip");
	assert_string_equal(a->fields.target, "192.0.2.25");
	assert_int_equal(a->fields.port, 25);
	assert_true(llabs(a->time - (long long)time(NULL)) < 60);
	/* the sink's own line first, then the message's, top first */
	assert_int_equal(a->nreceived, 3);
	{
		static const char want[] =
		    "from entry.example ([127.0.0.1]) by " MYNAME " with ESMTP id ";

		if (strncmp(a->received[0], want, sizeof(want) - 1) != 0)
			fail_msg("own Received: got \"%s\", want \"%s...\"", a->received[0], want);
	}
	assert_non_null(strstr(a->received[0], " +0000"));
	received_hop_parse(a->received[0], &hop);
	assert_string_equal(hop.from, "entry.example");
	assert_string_equal(hop.from_ip, "127.0.0.1");
	assert_string_equal(hop.by, MYNAME);
	received_hop_parse(a->received[1], &hop);
	assert_string_equal(hop.from, "entry.example");
	assert_string_equal(hop.from_ip, "192.0.2.25");
	assert_string_equal(hop.by, "smarthost.example");
	received_hop_parse(a->received[2], &hop);
	assert_string_equal(hop.from_ip, "198.51.100.7");
	/* the queue id in the reply is the id in the Received line */
	{
		char id[32];
		const char *q = strstr(c.last, "queued as ") + 10;

		snprintf(id, sizeof(id), " id %.*s;", (int)strcspn(q, "\r\n"), q);
		assert_non_null(strstr(a->received[0], id));
	}
	/* a second message in the same session: a new transaction */
	assert_reply(fx, &c, "RCPT TO:<probe@" CANARY ">", 503, NULL);
	assert_reply(fx, &c, "HELO again.example", 250, NULL);
	assert_reply(fx, &c, "MAIL FROM:<>", 250, NULL);
	assert_reply(fx, &c, "RCPT TO:<probe@" CANARY ">", 250, NULL);
	assert_reply(fx, &c, "DATA", 354, NULL);
	assert_int_equal(cl_send(fx, &c, "Subject: no token\r\n\r\nhi\r\n", 25), 0);
	assert_reply(fx, &c, ".", 250, NULL);
	assert_int_equal(fx->ngot, 2);
	a = &fx->got[1];
	assert_string_equal(a->helo, "again.example");
	assert_string_equal(a->mail_from, "");
	assert_string_equal(a->token, "");
	assert_int_equal(a->token_status, TOKEN_MALFORMED);
	assert_int_equal(a->replayed, 0);
	assert_int_equal(a->nreceived, 1);
	/* HELO, not EHLO: RFC 3848 says "with SMTP" */
	assert_non_null(
	    strstr(a->received[0], "from again.example ([127.0.0.1]) by " MYNAME " with SMTP id "));
	cl_close(fx, &c);
	free(msg);
}

/* test_token_status - forged, expired and replayed tokens are recorded as such */
static void test_token_status(void **state)
{
	struct fx *fx = *state;
	char good[RW_TOKEN_MAX], forged[RW_TOKEN_MAX], expired[RW_TOKEN_MAX], other[RW_TOKEN_MAX];
	char *msg;

	make_token(&fx->key, "plain", 0, good);
	make_token(&fx->other, "plain", 0, forged);
	make_token(&fx->key, "plain", 2 * MAX_AGE, expired);
	make_token(&fx->key, "bang", 0, other);
	const char *order[] = {forged, expired, good, good, other, forged};
	const enum token_status want_status[] = {TOKEN_FORGED, TOKEN_EXPIRED, TOKEN_VALID,
	                                         TOKEN_VALID,  TOKEN_VALID,   TOKEN_FORGED};
	const int want_replayed[] = {0, 0, 0, 1, 0, 1};

	for (int i = 0; i < 6; i++) {
		msg = test_message(order[i]);
		assert_int_equal(deliver(fx, "relay.example", msg), 250);
		free(msg);
		assert_int_equal(fx->ngot, i + 1);
		if (fx->got[i].token_status != want_status[i] ||
		    fx->got[i].replayed != want_replayed[i])
			fail_msg("arrival %d: got %s replayed=%d, want %s replayed=%d", i,
			         token_status_name(fx->got[i].token_status), fx->got[i].replayed,
			         token_status_name(want_status[i]), want_replayed[i]);
		assert_string_equal(fx->got[i].token, order[i]);
	}
	/* a forged token's fields are still readable, for the record */
	assert_string_equal(fx->got[0].fields.test, "plain");
}

/* test_oversized - past the cap: 552, nothing delivered, session goes on */
static void test_oversized(void **state)
{
	struct fx *fx = *state;
	struct cl c;
	struct dbuf big;
	char tok[RW_TOKEN_MAX], line[64];

	make_token(&fx->key, "plain", 0, tok);
	open_session(fx, &c, "client.example");
	assert_non_null(strstr(c.last, "SIZE 4096\r\n"));
	snprintf(line, sizeof(line), "MAIL FROM:<> SIZE=%d", SMALL_CAP + 1);
	assert_reply(fx, &c, line, 552, "5.3.4");
	assert_reply(fx, &c, "MAIL FROM:<>", 250, NULL);
	assert_reply(fx, &c, "RCPT TO:<probe@" CANARY ">", 250, NULL);
	assert_reply(fx, &c, "DATA", 354, NULL);
	dbuf_init(&big, 0);
	dbuf_printf(&big, "Subject: %s\r\n\r\n", tok);
	while (big.len < 4 * SMALL_CAP)
		dbuf_adds(&big,
		          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n");
	assert_int_equal(cl_send(fx, &c, big.data, big.len), 0);
	assert_reply(fx, &c, ".", 552, "5.3.4");
	assert_int_equal(fx->ngot, 0);
	assert_reply(fx, &c, "RCPT TO:<probe@" CANARY ">", 503, NULL);
	assert_reply(fx, &c, "NOOP", 250, NULL);
	/* just under the cap still goes through */
	assert_reply(fx, &c, "MAIL FROM:<>", 250, NULL);
	assert_reply(fx, &c, "RCPT TO:<probe@" CANARY ">", 250, NULL);
	assert_reply(fx, &c, "DATA", 354, NULL);
	assert_int_equal(cl_send(fx, &c, big.data, SMALL_CAP - 66), 0);
	assert_reply(fx, &c, "\r\n.", 250, NULL);
	assert_int_equal(fx->ngot, 1);
	assert_int_equal(fx->got[0].token_status, TOKEN_VALID);
	dbuf_free(&big);
	cl_close(fx, &c);
}

/* test_long_line - an overlong command gets 500 and is skipped whole */
static void test_long_line(void **state)
{
	struct fx *fx = *state;
	struct cl c;
	struct dbuf b;

	open_session(fx, &c, "client.example");
	dbuf_init(&b, 0);
	dbuf_adds(&b, "NOOP ");
	for (int i = 0; i < 3 * RW_CMD_LINE_MAX; i++)
		dbuf_addc(&b, 'x');
	assert_reply(fx, &c, b.data, 500, "5.5.2");
	assert_reply(fx, &c, "NOOP", 250, NULL);
	/* a NUL in a command */
	assert_int_equal(cl_send(fx, &c, "NO\0OP\r\n", 7), 0);
	assert_int_equal(cl_reply(fx, &c), 500);
	assert_reply(fx, &c, "NOOP", 250, NULL);
	dbuf_free(&b);
	cl_close(fx, &c);
}

/* test_bare_lf - LF-only clients work; the message is stored with CRLF */
static void test_bare_lf(void **state)
{
	struct fx *fx = *state;
	struct cl c;
	char tok[RW_TOKEN_MAX];
	char *msg;

	make_token(&fx->key, "plain", 0, tok);
	msg = xasprintf("EHLO lf.example\nMAIL FROM:<a@lf.example>\nRCPT TO:<probe@" CANARY ">\n"
	                "DATA\n");
	cl_open(fx, &c);
	assert_int_equal(cl_reply(fx, &c), 220);
	assert_int_equal(cl_send(fx, &c, msg, strlen(msg)), 0);
	assert_int_equal(cl_reply(fx, &c), 250); /* EHLO */
	assert_int_equal(cl_reply(fx, &c), 250); /* MAIL */
	assert_int_equal(cl_reply(fx, &c), 250); /* RCPT */
	assert_int_equal(cl_reply(fx, &c), 354);
	free(msg);
	msg =
	    xasprintf("Received: from a (b [192.0.2.9])\n by c; x\nSubject: %s\n\n..dot\n.\n", tok);
	assert_int_equal(cl_send(fx, &c, msg, strlen(msg)), 0);
	assert_int_equal(cl_reply(fx, &c), 250);
	assert_int_equal(fx->ngot, 1);
	assert_int_equal(fx->got[0].token_status, TOKEN_VALID);
	assert_string_equal(fx->got[0].helo, "lf.example");
	/* five lines with CRLF, the stuffed dot removed, ".\n" not counted */
	assert_int_equal(fx->got[0].size, strlen(msg) - 2 + 5 - 1);
	assert_int_equal(fx->got[0].nreceived, 2);
	assert_string_equal(fx->got[0].received[1], "from a (b [192.0.2.9]) by c; x");
	free(msg);
	cl_close(fx, &c);
}

/* test_many_rcpts - pipelined: 100 accepted, the 101st is 452; DATA goes on */
static void test_many_rcpts(void **state)
{
	struct fx *fx = *state;
	struct cl c;
	struct dbuf b;
	int code;

	open_session(fx, &c, "client.example");
	dbuf_init(&b, 0);
	dbuf_adds(&b, "MAIL FROM:<>\r\n");
	for (int i = 0; i < RW_SINK_RCPT_MAX + 5; i++)
		dbuf_printf(&b, "RCPT TO:<r%d@" CANARY ">\r\n", i);
	assert_int_equal(cl_send(fx, &c, b.data, b.len), 0);
	assert_int_equal(cl_reply(fx, &c), 250);
	for (int i = 0; i < RW_SINK_RCPT_MAX + 5; i++) {
		code = cl_reply(fx, &c);
		if (code != (i < RW_SINK_RCPT_MAX ? 250 : 452))
			fail_msg("rcpt %d: got \"%s\"", i, c.last);
	}
	assert_non_null(strstr(c.last, "4.5.3"));
	assert_reply(fx, &c, "DATA", 354, NULL);
	assert_reply(fx, &c, "Subject: x\r\n\r\nhi\r\n.", 250, NULL);
	assert_int_equal(fx->ngot, 1);
	assert_string_equal(fx->got[0].rcpt_to, "r0@" CANARY);
	dbuf_free(&b);
	cl_close(fx, &c);
}

/* test_too_many_errors - the 20th protocol error ends the session */
static void test_too_many_errors(void **state)
{
	struct fx *fx = *state;
	struct cl c;
	int code;

	open_session(fx, &c, "client.example");
	for (int n = 1; n <= 20; n++) {
		code = cmd(fx, &c, "BOGUS");
		if (code != 500)
			fail_msg("error %d: got \"%s\", want 500", n, c.last);
	}
	/* the 20th error's own reply, then the hang-up */
	assert_int_equal(cl_reply(fx, &c), 421);
	assert_non_null(strstr(c.last, "4.7.0"));
	assert_true(wait_eof(fx, &c));
	cl_close(fx, &c);
}

/* test_idle_drip - a client dripping bytes is dropped at the idle timeout,
 * though it is never silent for as long as the timeout */
static void test_idle_drip(void **state)
{
	struct fx *fx = *state;
	struct cl c;
	static const char drip[] = "NOOP\r\nNOOP\r\nNOOP\r\n";
	long long start;
	int code = 0;

	cl_open(fx, &c);
	assert_int_equal(cl_reply(fx, &c), 220);
	start = now_ms();
	for (size_t i = 0; i < sizeof(drip) - 1 && !c.eof; i++) {
		long long next = now_ms() + 300;

		if (send(c.fd, drip + i, 1, MSG_NOSIGNAL) != 1)
			break;
		while (now_ms() < next && !c.eof) {
			pump(fx, c.fd, POLLIN);
			cl_read(&c);
		}
	}
	code = cl_reply(fx, &c);
	if (code == 250) /* the first NOOP may complete within the first second */
		code = cl_reply(fx, &c);
	assert_int_equal(code, 421);
	assert_non_null(strstr(c.last, "4.4.2"));
	assert_true(wait_eof(fx, &c));
	/* dropped after about 1 s of no complete command, not at the end */
	assert_true(now_ms() - start < 4000);
	cl_close(fx, &c);

	/* a client that completes commands in time is not dropped */
	open_session(fx, &c, "client.example");
	for (int i = 0; i < 4; i++) {
		long long next = now_ms() + 500;

		while (now_ms() < next)
			pump(fx, c.fd, POLLIN);
		assert_reply(fx, &c, "NOOP", 250, NULL);
	}
	cl_close(fx, &c);
}

/* test_eof_in_data - a client gone mid-message delivers nothing */
static void test_eof_in_data(void **state)
{
	struct fx *fx = *state;
	struct cl c;
	unsigned long conns = 0, msgs = 0;

	open_session(fx, &c, "client.example");
	assert_reply(fx, &c, "MAIL FROM:<>", 250, NULL);
	assert_reply(fx, &c, "RCPT TO:<probe@" CANARY ">", 250, NULL);
	assert_reply(fx, &c, "DATA", 354, NULL);
	assert_int_equal(cl_send(fx, &c, "Subject: x\r\n\r\npartial", 22), 0);
	cl_close(fx, &c);
	assert_int_equal(fx->ngot, 0);
	sink_stats(fx->sink, &conns, &msgs, NULL);
	assert_int_equal(conns, 1);
	assert_int_equal(msgs, 0);
}

/* test_unread_replies - a client pipelining a flood without reading its
 * replies. EHLO answers with 11 times its size, so the replies outgrow what
 * the kernel buffers (tcp_wmem max 4 MiB by default) and the sink must
 * pause reading (RW_SINK_OUT_MAX) rather than queue them all; once the client
 * reads, every command is answered, in order. */
static void test_unread_replies(void **state)
{
	struct fx *fx = *state;
	struct cl c;
	struct dbuf b;
	enum { N = 100000 };
	size_t off = 0;
	int got = 0;
	long long end;

	cl_open_rcvbuf(fx, &c, 4096);
	dbuf_init(&b, 0);
	for (int i = 0; i < N; i++)
		dbuf_adds(&b, "EHLO x\r\n");
	/* send without reading, then let the sink run on its own a while; stop
	 * well inside the sink's 10 s write timeout (setup): a slow build
	 * (ASan) sends the rest in the reading loop below */
	end = now_ms() + 3000;
	while (off < b.len && now_ms() < end) {
		ssize_t n = send(c.fd, b.data + off, b.len - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0)
			off += (size_t)n;
		else
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		pump(fx, c.fd, POLLOUT);
	}
	end = now_ms() + 300;
	while (now_ms() < end)
		pump(fx, -1, 0);
	/* now read (and send the rest): every command gets its answer */
	assert_int_equal(cl_reply(fx, &c), 220);
	while (got < N) {
		int code;

		if (off < b.len) {
			ssize_t n =
			    send(c.fd, b.data + off, b.len - off, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n > 0)
				off += (size_t)n;
		}
		code = cl_reply(fx, &c);
		if (code != 250 || !strstr(c.last, "ENHANCEDSTATUSCODES"))
			fail_msg("reply %d: got %d \"%s\"", got, code, c.last);
		got++;
	}
	assert_int_equal(off, b.len);
	assert_reply(fx, &c, "QUIT", 221, NULL);
	dbuf_free(&b);
	cl_close(fx, &c);
}

/* test_free_in_callback - sink_free() from the arrival callback is deferred */
static void test_free_in_callback(void **state)
{
	struct fx *fx = *state;
	struct cl c, c2;
	static const char burst[] = "MAIL FROM:<>\r\nRCPT TO:<p@" CANARY ">\r\nDATA\r\n"
	                            "Subject: x\r\n\r\nhi\r\n.\r\nNOOP\r\nNOOP\r\n";

	fx->free_in_callback = 1;
	open_session(fx, &c, "client.example");
	open_session(fx, &c2, "idle.example");
	/* message and more pipelined commands behind it in one write */
	assert_int_equal(cl_send(fx, &c, burst, sizeof(burst) - 1), 0);
	for (int i = 0; i < 50 && fx->sink; i++)
		pump(fx, c.fd, POLLIN);
	assert_null(fx->sink);
	assert_int_equal(fx->ngot, 1);
	assert_true(wait_eof(fx, &c2));
	cl_close(fx, &c);
	cl_close(fx, &c2);
}

/* test_conn_max - past RW_SINK_CONN_MAX connections: 421 and close */
static void test_conn_max(void **state)
{
	struct fx *fx = *state;
	struct rlimit rl;
	struct cl *cls;
	struct cl extra;
	int n = RW_SINK_CONN_MAX;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < (rlim_t)(2 * n + 64)) {
		rl.rlim_cur = rl.rlim_max;
		if (rl.rlim_cur < (rlim_t)(2 * n + 64) || setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			print_message("skip: RLIMIT_NOFILE too low for %d connections\n", n);
			skip();
		}
	}
	cls = xcalloc((size_t)n, sizeof(*cls));
	for (int i = 0; i < n; i++) {
		char src[32];

		/* 32 per source address: below the per-peer cap */
		snprintf(src, sizeof(src), "127.77.%d.%d", i / 32 / 250, 1 + (i / 32) % 250);
		cl_source = src;
		cl_open(fx, &cls[i]);
		cl_source = NULL;
		if (i % 16 == 15)
			pump(fx, -1, 0);
	}
	for (int i = 0; i < n; i++)
		assert_int_equal(cl_reply(fx, &cls[i]), 220);
	cl_open(fx, &extra);
	assert_int_equal(cl_reply(fx, &extra), 421);
	assert_non_null(strstr(extra.last, "4.3.2"));
	assert_true(wait_eof(fx, &extra));
	cl_close(fx, &extra);
	/* one leaves: a new client is served again */
	assert_reply(fx, &cls[0], "QUIT", 221, NULL);
	assert_true(wait_eof(fx, &cls[0]));
	cl_close(fx, &cls[0]);
	open_session(fx, &extra, "late.example");
	cl_close(fx, &extra);
	for (int i = 1; i < n; i++) {
		close(cls[i].fd);
		dbuf_free(&cls[i].in);
	}
	free(cls);
}

/* test_conn_per_peer - one address cannot take every slot */
static void test_conn_per_peer(void **state)
{
	struct fx *fx = *state;
	struct cl cls[RW_SINK_CONN_PER_PEER];
	struct cl extra, other;

	cl_source = "127.78.0.1";
	for (int i = 0; i < RW_SINK_CONN_PER_PEER; i++) {
		cl_open(fx, &cls[i]);
		assert_int_equal(cl_reply(fx, &cls[i]), 220);
	}
	cl_open(fx, &extra);
	cl_source = NULL;
	assert_int_equal(cl_reply(fx, &extra), 421);
	assert_non_null(strstr(extra.last, "from you"));
	cl_close(fx, &extra);
	cl_source = "127.78.0.2"; /* another host is still served */
	cl_open(fx, &other);
	cl_source = NULL;
	assert_int_equal(cl_reply(fx, &other), 220);
	cl_close(fx, &other);
	for (int i = 0; i < RW_SINK_CONN_PER_PEER; i++)
		cl_close(fx, &cls[i]);
}

/* test_ipv6 - a v6 listener writes [IPv6:...] in its Received line */
static void test_ipv6(void **state)
{
	struct fx *fx;
	struct received_hop hop;

	if (setup_cfg((void **)&fx, 10, 0, "::1", 0) < 0) {
		print_message("skip: no ::1\n");
		skip();
	}
	*state = fx;
	assert_int_equal(deliver(fx, "v6.example", "Subject: x\r\n\r\nhi\r\n"), 250);
	assert_int_equal(fx->ngot, 1);
	assert_string_equal(fx->got[0].peer, "::1");
	assert_non_null(strstr(fx->got[0].received[0], "from v6.example ([IPv6:::1]) by "));
	received_hop_parse(fx->got[0].received[0], &hop);
	assert_string_equal(hop.from_ip, "::1");
}

static int teardown_v6(void **state)
{
	return *state ? teardown(state) : 0;
}

/* test_bad_config - sink_new refuses what it cannot serve */
static void test_bad_config(void **state)
{
	struct event_base *base = event_base_new();
	struct token_key key = {{0}};
	char err[256];
	static const char *const bad_listen[] = {
	    "127.0.0.1", "127.0.0.1:", "127.0.0.1:x", "127.0.0.1:70000",
	    "::1:25",    "[::1]25",    "[::1",        "256.0.0.1:25",
	    "",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad_listen) / sizeof(bad_listen[0]); i++) {
		struct sink_config cfg = {.listen = bad_listen[i], .canary = CANARY, .key = &key};

		err[0] = '\0';
		if (sink_new(base, &cfg, NULL, NULL, err, sizeof(err)) != NULL)
			fail_msg("listen \"%s\" accepted", bad_listen[i]);
		assert_true(err[0] != '\0');
	}
	{
		struct sink_config cfg = {.listen = "127.0.0.1:0", .canary = NULL, .key = &key};

		assert_null(sink_new(base, &cfg, NULL, NULL, err, sizeof(err)));
		cfg.canary = CANARY;
		cfg.key = NULL;
		assert_null(sink_new(base, &cfg, NULL, NULL, err, sizeof(err)));
	}
	{
		/* a port already in use */
		struct fx *fx;
		struct sink_config cfg = {.canary = CANARY, .key = &key};

		assert_int_equal(setup((void **)&fx), 0);
		cfg.listen = fx->listen;
		assert_null(sink_new(base, &cfg, NULL, NULL, err, sizeof(err)));
		assert_non_null(strstr(err, "cannot listen"));
		teardown((void **)&fx);
	}
	assert_null(sink_free(NULL));
	event_base_free(base);
}

/* test_canary_helo - a probe id as HELO/EHLO argument gets a bound nonce */
static void test_canary_helo(void **state)
{
	struct fx *fx = *state;
	struct cl c;
	unsigned long http = 9, helo = 9;

	cl_open(fx, &c);
	assert_int_equal(cl_reply(fx, &c), 220);
	assert_int_equal(cmd(fx, &c, "HELO rwpconnect.0123456789abcdef"), 250);
	assert_true(strncmp(c.last, "250 " MYNAME " Hello rwp1-", 25) == 0);
	check_nonce(fx, c.last, "rwpconnect.0123456789abcdef");
	assert_int_equal(cmd(fx, &c, "EHLO " PROBE_ID), 250);
	assert_true(strncmp(c.last, "250-" MYNAME " Hello rwp1-", 25) == 0);
	check_nonce(fx, c.last, PROBE_ID);
	assert_non_null(strstr(c.last, "\r\n250-PIPELINING\r\n"));
	assert_non_null(strstr(c.last, "\r\n250 ENHANCEDSTATUSCODES\r\n"));
	/* not probe ids: the plain greeting */
	assert_reply(fx, &c, "EHLO rwp-x.example", 250, NULL);
	assert_non_null(strstr(c.last, "250-" MYNAME "\r\n"));
	assert_reply(fx, &c, "HELO client.example", 250, NULL);
	assert_string_equal(c.last, "250 " MYNAME "\r\n");
	assert_reply(fx, &c, "QUIT", 221, "2.0.0");
	cl_close(fx, &c);
	sink_proxy_stats(fx->sink, &http, &helo);
	assert_int_equal(http, 0);
	assert_int_equal(helo, 2);
}

/* test_canary_http - a request within the greet wait: 200 and a bound
 * nonce, no banner, whatever the split; a malformed head: 400 */
static void test_canary_http(void **state)
{
	static const struct {
		const char *req;
		size_t step;
		const char *bind; /* NULL: want 400 */
	} cases[] = {
	    {"GET /rwp/" PROBE_ID " HTTP/1.0\r\n\r\n", 0, PROBE_ID},
	    {"GET /rwp/" PROBE_ID " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 1, PROBE_ID},
	    {"GET http://127.0.0.1:25/rwp/" PROBE_ID "?x=1 HTTP/1.1\nHost: a\nVia: 1.1 p\n\n", 7,
	     PROBE_ID},
	    {"POST /other HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc", 0, "0"},
	    {"CONNECT 127.0.0.1:25 HTTP/1.1\r\n\r\n", 0, "0"},
	    {"GET / HTTP/1.0\r\nno colon here\r\n\r\n", 0, NULL},
	    {"GET / HTTP/1.x\r\n\r\n", 0, NULL},
	};
	struct fx *fx = *state;
	unsigned long http = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cl c;
		const char *got;

		cl_open(fx, &c);
		got = http_exchange(fx, &c, cases[i].req, cases[i].step);
		if (cases[i].bind)
			check_http_200(fx, got, cases[i].bind);
		else if (strncmp(got, "HTTP/1.0 400 Bad Request\r\n", 26) != 0)
			fail_msg("case %zu: got \"%s\", want 400", i, got);
		cl_close(fx, &c);
	}
	sink_proxy_stats(fx->sink, &http, NULL);
	assert_int_equal(http, 5);
}

/* test_canary_greet - a silent client gets the banner after the wait; an
 * early-talking SMTP client gets it at once, and its commands are served */
static void test_canary_greet(void **state)
{
	struct fx *fx = *state;
	struct cl c;
	long long t0 = now_ms();

	cl_open(fx, &c);
	assert_int_equal(cl_reply(fx, &c), 220);
	assert_true(now_ms() - t0 >= GREET_MS - 20);
	check_nonce(fx, c.last, "0");
	assert_reply(fx, &c, "EHLO client.example", 250, "PIPELINING");
	assert_reply(fx, &c, "QUIT", 221, "2.0.0");
	cl_close(fx, &c);

	/* an early talker: whole pipelined transaction before the banner */
	cl_open(fx, &c);
	t0 = now_ms();
	{
		char tok[RW_TOKEN_MAX];
		char *body, *all;

		make_token(&fx->key, "open", 0, tok);
		body = test_message(tok);
		all = xasprintf("EHLO early.example\r\nMAIL FROM:<p@tester.example>\r\n"
		                "RCPT TO:<probe@" CANARY ">\r\nDATA\r\n%s.\r\nQUIT\r\n",
		                body);
		assert_int_equal(cl_send(fx, &c, all, strlen(all)), 0);
		free(all);
		free(body);
	}
	assert_int_equal(cl_reply(fx, &c), 220);
	assert_true(now_ms() - t0 < GREET_MS);
	assert_int_equal(cl_reply(fx, &c), 250);
	assert_int_equal(cl_reply(fx, &c), 250);
	assert_int_equal(cl_reply(fx, &c), 250);
	assert_int_equal(cl_reply(fx, &c), 354);
	assert_int_equal(cl_reply(fx, &c), 250);
	assert_int_equal(cl_reply(fx, &c), 221);
	assert_true(wait_eof(fx, &c));
	cl_close(fx, &c);
	assert_int_equal(fx->ngot, 1);
	assert_int_equal(fx->got[0].token_status, TOKEN_VALID);
	assert_string_equal(fx->got[0].helo, "early.example");

	/* half a request line when the wait ends: SMTP, then the late path */
	cl_open(fx, &c);
	t0 = now_ms();
	assert_int_equal(cl_send(fx, &c, "GET /rwp/", 9), 0);
	assert_int_equal(cl_reply(fx, &c), 220);
	assert_true(now_ms() - t0 >= GREET_MS - 20);
	{
		const char *got = http_exchange(fx, &c, PROBE_ID " HTTP/1.0\r\n\r\n", 0);
		const char *h = strstr(got, "HTTP/1.0 200 OK\r\n");

		assert_non_null(h);
		check_http_200(fx, h, PROBE_ID);
	}
	cl_close(fx, &c);
}

/* test_canary_late_http - an HTTP request line after the banner is
 * answered as HTTP; nothing that an SMTP client sends ever is */
static void test_canary_late_http(void **state)
{
	struct fx *fx = *state;
	struct cl c;
	const char *got, *h;

	cl_open(fx, &c);
	assert_int_equal(cl_reply(fx, &c), 220);
	assert_reply(fx, &c, "EHLO client.example", 250, NULL);
	assert_reply(fx, &c, "GET /rwp/x", 500, "5.5.2");
	assert_reply(fx, &c, "GET  /rwp/x HTTP/1.0", 500, "5.5.2");
	assert_reply(fx, &c, "get / HTTP/1.0", 500, "5.5.2");
	assert_reply(fx, &c, "GET / HTTP/2.0", 500, "5.5.2");
	assert_reply(fx, &c, "GET / HTTP/1.0 x", 500, "5.5.2");
	assert_reply(fx, &c, "NOOP / HTTP/1.0", 250, "2.0.0");
	assert_reply(fx, &c, "MAIL FROM:<a@b.example> HTTP/1.0", 250, "2.1.0");
	got = http_exchange(fx, &c,
	                    "GET /rwp/" PROBE_ID " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                    "User-Agent: x\r\n\r\n",
	                    0);
	h = strstr(got, "HTTP/1.0 200 OK\r\n");
	assert_non_null(h);
	check_http_200(fx, h, PROBE_ID);
	cl_close(fx, &c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_greeting, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rcpt_policy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sequence, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_valid_arrival, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oversized, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bare_lf, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_rcpts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_many_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idle_drip, setup_idle, teardown),
	    cmocka_unit_test_setup_teardown(test_eof_in_data, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unread_replies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_in_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conn_per_peer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conn_max, setup, teardown),
	    cmocka_unit_test_teardown(test_ipv6, teardown_v6),
	    cmocka_unit_test(test_bad_config),
	    cmocka_unit_test_setup_teardown(test_canary_helo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_canary_http, setup_greet, teardown),
	    cmocka_unit_test_setup_teardown(test_canary_greet, setup_greet, teardown),
	    cmocka_unit_test_setup_teardown(test_canary_late_http, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	/* RW_TEST_VERBOSE=1: the sink's info log, 2: its debug log */
	log_init("test_sink", LOG_DEST_STDERR,
	         getenv("RW_TEST_VERBOSE") ? atoi(getenv("RW_TEST_VERBOSE")) : 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
