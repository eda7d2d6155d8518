/*
 * NAME
 *	sink - the canary SMTP receiver that proves relaying
 * SUMMARY
 *	accept mail for the canary domain only, record each arrival's token
 * SYNOPSIS
 *	struct sink *sink_new(struct event_base *base, const struct sink_config *cfg,
 *	                      sink_arrival_fn fn, void *arg, char *err, size_t errlen);
 *	struct sink *sink_free(struct sink *s);
 *	int sink_rcpt_ok(const char *path, const char *canary);
 *	void sink_stats(const struct sink *s, unsigned long *conns,
 *	                unsigned long *msgs, unsigned long *refused_rcpts);
 *	void sink_proxy_stats(const struct sink *s, unsigned long *http,
 *	                      unsigned long *helo);
 * DESCRIPTION
 *	sink_new() binds cfg->listen and serves SMTP on base; it copies what
 *	it needs from cfg (cfg and its strings may go away after the call).
 *	Every session is a bufferevent fed through the smtpcmd parser; the
 *	state machine lives in conn_enter()/on_command(). For each message
 *	completed with "." the sink replies 250, then calls fn with an arrival
 *	(borrowed for the call): client, envelope, the first token found and
 *	its status, a replayed flag, and the Received chain with the sink's
 *	own line first. fn may break the loop or even call sink_free(): the
 *	free is then deferred until the callback unwinds. Sessions are never
 *	freed inside their own callbacks either: they are marked dead and
 *	reaped by an event the loop runs next. The process must ignore SIGPIPE.
 *	sink_free() closes the listener and every connection; NULL ok.
 *	sink_rcpt_ok() is the whole relay policy: one '@', a local part of
 *	letters, digits and ". _ + - =" only, and a domain equal to the canary
 *	(addr_domain_eq: case, trailing dot). So %-hacks, bang paths, quoted
 *	local parts and source routes are refused and the sink is no relay.
 *	The proxy canary (src/proxy/nonce.h): a new session first waits
 *	cfg->greet_wait_ms (state greet) for the client to speak. Bytes that
 *	begin an HTTP/1.x request line (httpreq.c) make it an HTTP session:
 *	the head is read, "HTTP/1.0 200" with a nonce bound to the target's
 *	/rwp/<id> (else "0") is written and the connection closed. Anything
 *	else, or the wait passing, brings the banner with a nonce bound to "0"
 *	and SMTP as ever, the bytes already read included. A HELO/EHLO whose
 *	argument is a probe id gets a nonce bound to it in its first line;
 *	an HTTP request line arriving later as an unknown command is read
 *	and answered as HTTP. Nonces: time now, serial the session id, peer
 *	the client's address text. sink_proxy_stats() counts both.
 * DIAGNOSTICS
 *	sink_new: NULL and a reason in err. Sessions log one line per connect,
 *	arrival and disconnect (sess=ID sink event=...); commands at debug.
 * LIMITS
 *	RW_SINK_CONN_MAX connections and RW_SINK_CONN_PER_PEER per peer address
 *	(421 past either); RW_SINK_SESSION_SEC per connection; cfg->idle_timeout per
 *	command, re-armed in DATA every RW_DATA_LINE_MAX bytes; RW_READ_HIGHWAT
 *	read watermark; RW_SINK_OUT_MAX unread replies before reading pauses;
 *	RW_SINK_RCPT_MAX RCPTs per transaction (452); RW_SINK_ERRORS_MAX protocol
 *	errors per session (421); cfg->msg_cap per message (552); RW_SINK_SEEN_MAX
 *	tokens remembered for replay detection, oldest forgotten first.
 *	cfg->greet_wait_ms before the banner; an HTTP head within
 *	RW_HTTP_HEAD_SEC, RW_HTTP_HEAD_MAX and RW_HTTP_HEADERS_MAX (400).
 * STANDARDS
 *	RFC 5321 (3.3, 4.1.4 order, 4.2.2 codes, 4.4 Received, 4.5.3 limits);
 *	RFC 1870 SIZE; RFC 2920 PIPELINING; RFC 3463/2034 enhanced codes;
 *	RFC 3848 (ESMTP/SMTP in "with"); RFC 5322 3.3 (date);
 *	RFC 9112 (the canary's HTTP/1.0 answer, Content-Length framing).
 */
#include "sink.h"
#include "httpreq.h"
#include "quoted.h"
#include "received.h"
#include "smtpcmd.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/xalloc.h"
#include "../proxy/nonce.h"
#include "../smtp/addr.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/evp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SEEN_BUCKETS 65536 /* power of two */
#define SEEN_DIGEST  16
#define SEEN_NONE    UINT32_MAX
/* Seconds before accepting again after EMFILE and the like. */
#define SINK_RELISTEN_SEC 1

/* ---------------------------------------------------------------- seen set */

/* A bounded set of token digests: a ring (oldest evicted first) indexed
 * by hash chains. Digest = SHA-256(key | token), so a peer cannot aim
 * tokens at one chain without the key. */
struct seen {
	unsigned char (*digest)[SEEN_DIGEST]; /* ring; NULL until first use */
	uint32_t *next;                       /* chain link per ring slot */
	uint32_t *bucket;                     /* chain head per bucket */
	uint32_t count, head;                 /* used slots; next slot to write */
};

/* seen_bucket - hash bucket of a digest: its first four bytes, masked */
static uint32_t seen_bucket(const unsigned char *d)
{
	return ((uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
	        (uint32_t)d[3] << 24) &
	       (SEEN_BUCKETS - 1);
}

/* seen_add - remember tok; returns 1 when it was already there */
static int seen_add(struct seen *st, const struct token_key *key, const char *tok)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint32_t b, i;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, key->k, sizeof(key->k)) ||
	    !EVP_DigestUpdate(ctx, tok, strlen(tok)) || !EVP_DigestFinal_ex(ctx, md, &mdlen))
		rw_panic("%s: SHA-256 failed", __func__);
	EVP_MD_CTX_free(ctx);
	if (!st->digest) {
		st->digest = xmalloc(sizeof(*st->digest) * RW_SINK_SEEN_MAX);
		st->next = xmalloc(sizeof(*st->next) * RW_SINK_SEEN_MAX);
		st->bucket = xmalloc(sizeof(*st->bucket) * SEEN_BUCKETS);
		for (i = 0; i < SEEN_BUCKETS; i++)
			st->bucket[i] = SEEN_NONE;
	}
	b = seen_bucket(md);
	for (i = st->bucket[b]; i != SEEN_NONE; i = st->next[i])
		if (memcmp(st->digest[i], md, SEEN_DIGEST) == 0)
			return 1;
	if (st->count == RW_SINK_SEEN_MAX) {
		/* unlink the oldest entry from its chain, then reuse its slot */
		uint32_t ob = seen_bucket(st->digest[st->head]);
		uint32_t *link = &st->bucket[ob];

		while (*link != st->head) {
			if (*link == SEEN_NONE)
				rw_panic("%s: slot %u not in its chain", __func__, st->head);
			link = &st->next[*link];
		}
		*link = st->next[st->head];
	} else {
		st->count++;
	}
	memcpy(st->digest[st->head], md, SEEN_DIGEST);
	st->next[st->head] = st->bucket[b];
	st->bucket[b] = st->head;
	st->head = (st->head + 1) % RW_SINK_SEEN_MAX;
	return 0;
}

/* seen_free - release the replay memory and leave it empty for reuse */
static void seen_free(struct seen *st)
{
	free(st->digest);
	free(st->next);
	free(st->bucket);
	memset(st, 0, sizeof(*st));
}

/* ---------------------------------------------------------------- sessions */

enum conn_state {
	CS_GREET, /* waiting for the client to speak first, no banner yet */
	CS_HTTP,  /* it spoke HTTP: reading the request head */
	CS_CMD,   /* no transaction */
	CS_MAIL,  /* MAIL accepted: RCPT, DATA */
	CS_DATA,  /* reading the message */
	CS_QUIT,  /* last reply queued: flush, then close */
	CS__COUNT
};

static const char *const conn_state_names[CS__COUNT] = {
    [CS_GREET] = "greet", [CS_HTTP] = "http", [CS_CMD] = "cmd",
    [CS_MAIL] = "mail",   [CS_DATA] = "data", [CS_QUIT] = "quit",
};

struct conn {
	struct sink *sink;
	struct conn *prev, *next; /* live list, or (next only) dead list */
	unsigned long id;
	struct bufferevent *bev;
	struct event *idle_ev;
	struct event *life_ev; /* whole-connection lifetime */
	struct smtpcmd_parser *parser;
	enum conn_state state;
	int dead;
	char peer[64];
	unsigned peer_port;
	int peer_v6;
	char helo[RW_DOMAIN_MAX + 1];
	int esmtp;
	char mail_from[RW_PATH_MAX + 1];
	char rcpt[RW_PATH_MAX + 1]; /* first accepted recipient */
	int nrcpt;                  /* RCPT commands in this transaction */
	int nrcpt_ok;
	int errors;
	unsigned msgs;
	size_t data_bytes;    /* DATA bytes since the timer was armed */
	struct httpreq *http; /* CS_GREET, CS_HTTP only */
	size_t http_fed;      /* input bytes given to it, not yet drained */
};

struct sink {
	struct event_base *base;
	struct evconnlistener *lev;
	struct event *reaper;   /* frees dead sessions once callbacks unwound */
	struct event *relisten; /* accepts again after EMFILE */
	char *canary;
	char *myname;
	struct token_key key;
	long long max_age;
	size_t msg_cap;
	struct timeval idle;
	struct timeval greet; /* {0, 0}: banner at once */
	sink_arrival_fn fn;
	void *arg;
	struct conn *live, *dead;
	unsigned nconn;
	unsigned long next_id;
	unsigned long n_conns, n_msgs, n_refused;
	unsigned long n_http, n_helo; /* proxy canary answers */
	struct seen seen;
	int depth;        /* callbacks of ours on the stack */
	int free_pending; /* sink_free() called inside one of them */
};

static void conn_process(struct conn *s);
static void sink_destroy(struct sink *k);

/* conn_enter - the only writer of the session state */
static void conn_enter(struct conn *s, enum conn_state st)
{
	if (st != s->state)
		rw_debug("sess=%lx sink state=%s -> %s", s->id, conn_state_names[s->state],
		         conn_state_names[st]);
	s->state = st;
}

/* reply - queue one reply line; nothing once the session is closing */
static void reply(struct conn *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(struct conn *s, const char *fmt, ...)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	va_list ap;

	if (s->dead || s->state == CS_QUIT)
		return;
	va_start(ap, fmt);
	if (log_verbose()) {
		va_list ap2;
		char *line;

		va_copy(ap2, ap);
		line = xvasprintf(fmt, ap2);
		va_end(ap2);
		rw_debug("sess=%lx sink event=reply text=\"%s\"", s->id, line);
		free(line);
	}
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	evbuffer_add(out, "\r\n", 2);
}

/* conn_kill - stop the session now; it is freed by the reaper */
static void conn_kill(struct conn *s, const char *why)
{
	struct sink *k = s->sink;

	if (s->dead)
		return;
	rw_log(LOG_INFO, "sess=%lx sink event=disconnect peer=%s reason=%s msgs=%u", s->id, s->peer,
	       why, s->msgs);
	s->dead = 1;
	bufferevent_disable(s->bev, EV_READ | EV_WRITE);
	event_del(s->idle_ev);
	event_del(s->life_ev);
	if (s->prev)
		s->prev->next = s->next;
	else
		k->live = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = NULL;
	s->next = k->dead;
	k->dead = s;
	k->nconn--;
	event_active(k->reaper, EV_TIMEOUT, 1);
}

/* conn_destroy - release everything of a session (never from its own callbacks) */
static void conn_destroy(struct conn *s)
{
	bufferevent_free(s->bev);
	event_free(s->idle_ev);
	event_free(s->life_ev);
	smtpcmd_free(s->parser);
	httpreq_free(s->http);
	free(s);
}

/* conn_close - queue the last reply's flush, then close */
static void conn_close(struct conn *s)
{
	if (s->dead)
		return;
	conn_enter(s, CS_QUIT);
	bufferevent_disable(s->bev, EV_READ);
	event_del(s->idle_ev);
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
		conn_kill(s, "quit");
	/* else write_cb kills it once the output is flushed; a client that
	 * does not read meets the write timeout */
}

/* arm_idle - (re)start the per-command idle timer */
static void arm_idle(struct conn *s)
{
	s->data_bytes = 0;
	evtimer_add(s->idle_ev, &s->sink->idle);
}

/* txn_reset - forget the envelope (RSET, HELO, end of message) */
static void txn_reset(struct conn *s)
{
	s->mail_from[0] = s->rcpt[0] = '\0';
	s->nrcpt = s->nrcpt_ok = 0;
	if (s->state == CS_MAIL || s->state == CS_DATA)
		conn_enter(s, CS_CMD);
}

/* copy_clean - bounded copy with control bytes made visible as '?' */
static void copy_clean(char *dst, size_t dstlen, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c < ' ' || c == 0x7f ? '?' : (char)c;
	}
	dst[i] = '\0';
}

/* protocol_error - a 5xx for the client's mistake; too many and we hang up */
static void protocol_error(struct conn *s, const char *text)
{
	reply(s, "%s", text);
	if (++s->errors >= RW_SINK_ERRORS_MAX) {
		reply(s, "421 4.7.0 %s Error: too many errors", s->sink->myname);
		conn_close(s);
	}
}

/* -------------------------------------------------------- proxy canary */

/* conn_nonce - this session's signed statement, bound to bind ("0" or a
 * probe id): what a proxy that reached us passes back to the prober */
static void conn_nonce(const struct conn *s, const char *bind, char out[NONCE_MAX])
{
	struct nonce_fields f;

	memset(&f, 0, sizeof(f));
	f.time = (long long)time(NULL);
	f.serial = s->id;
	snprintf(f.peer, sizeof(f.peer), "%s", s->peer);
	snprintf(f.bind, sizeof(f.bind), "%s", bind);
	nonce_make(&s->sink->key, &f, out, NONCE_MAX);
}

/* greet_banner - the 220 with an unbound nonce; SMTP from here on, the
 * bytes read so far included (no early-talker penalty) */
static void greet_banner(struct conn *s)
{
	char nonce[NONCE_MAX];

	s->http = httpreq_free(s->http);
	s->http_fed = 0;
	conn_enter(s, CS_CMD);
	conn_nonce(s, "0", nonce);
	reply(s, "220 %s ESMTP relaywatch canary sink %s", s->sink->myname, nonce);
	arm_idle(s);
}

/* http_enter - the client speaks HTTP: its head has RW_HTTP_HEAD_SEC */
static void http_enter(struct conn *s)
{
	struct timeval tv = {RW_HTTP_HEAD_SEC, 0};

	conn_enter(s, CS_HTTP);
	evtimer_add(s->idle_ev, &tv);
}

/* http_answer - the head is whole (200 and a nonce bound to the target's
 * probe id, or "0") or bad (400); either way the connection closes once
 * the answer is flushed, and a body is never read */
static void http_answer(struct conn *s, enum httpreq_event ev)
{
	static const char fields[] = "Content-Type: text/plain\r\nCache-Control: no-store\r\n"
	                             "Connection: close\r\n";
	struct evbuffer *out = bufferevent_get_output(s->bev);
	char id[NONCE_ID_MAX + 1], nonce[NONCE_MAX], body[NONCE_MAX + 64];
	int n;

	if (ev == HTTPREQ_BAD) {
		rw_log(LOG_INFO, "sess=%lx sink event=http-bad peer=%s why=\"%s\"", s->id, s->peer,
		       httpreq_why(s->http));
		evbuffer_add_printf(out, "HTTP/1.0 400 Bad Request\r\n%sContent-Length: 0\r\n\r\n",
		                    fields);
	} else {
		if (nonce_path_id(httpreq_target(s->http), id, sizeof(id)) < 0)
			snprintf(id, sizeof(id), "0");
		conn_nonce(s, id, nonce);
		n = snprintf(body, sizeof(body), "relaywatch proxy canary %s\r\n", nonce);
		evbuffer_add_printf(out, "HTTP/1.0 200 OK\r\n%sContent-Length: %d\r\n\r\n%s",
		                    fields, n, body);
		s->sink->n_http++;
		rw_log(LOG_INFO,
		       "sess=%lx sink event=proxy-canary peer=%s id=%s serial=%lu via=http "
		       "method=%s",
		       s->id, s->peer, id, s->id, httpreq_method(s->http));
	}
	s->http = httpreq_free(s->http);
	conn_close(s);
}

/* http_process - give the unread input to the HTTP recognizer (greet and
 * http states): 1 when the session moved on (go on with the input), 0
 * when every byte was taken and more are needed. Undecided bytes stay in
 * the input, for SMTP should they prove not to be HTTP. */
static int http_process(struct conn *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);

	while (s->http_fed < evbuffer_get_length(in)) {
		struct evbuffer_ptr pos;
		struct evbuffer_iovec v;
		size_t used = 0;
		enum httpreq_event ev;

		if (evbuffer_ptr_set(in, &pos, s->http_fed, EVBUFFER_PTR_SET) < 0 ||
		    evbuffer_peek(in, -1, &pos, &v, 1) < 1 || v.iov_len == 0)
			break;
		ev = httpreq_feed(s->http, v.iov_base, v.iov_len, &used);
		s->http_fed += used;
		switch (ev) {
		case HTTPREQ_MORE:
			break;
		case HTTPREQ_NOT_HTTP:
			greet_banner(s); /* an early-talking SMTP client, or junk */
			return 1;
		case HTTPREQ_IS_HTTP:
			http_enter(s);
			break;
		case HTTPREQ_HEAD:
		case HTTPREQ_BAD:
			evbuffer_drain(in, evbuffer_get_length(in));
			s->http_fed = 0;
			http_answer(s, ev);
			return 1;
		}
		if (s->state == CS_HTTP) {
			evbuffer_drain(in, s->http_fed); /* decided: nothing to keep */
			s->http_fed = 0;
		}
	}
	return 0;
}

/* late_http - an HTTP request line read as a command after the banner (a
 * proxy that spoke after the greet wait): read its head and answer as in
 * the greet state. Only an unknown verb whose line is METHOD SP target SP
 * HTTP/1.x, whole, qualifies, so no SMTP command ever does. */
static int late_http(struct conn *s, const struct smtpcmd *c)
{
	struct httpreq *p;
	char *line;
	size_t len, off = 0, used = 0;
	enum httpreq_event ev = HTTPREQ_MORE;

	if (c->verb != CMD_UNKNOWN || !c->arg[0])
		return 0;
	p = httpreq_new();
	line = xasprintf("%s %s\r\n", c->verb_text, c->arg);
	len = strlen(line);
	while (off < len && (ev == HTTPREQ_MORE || ev == HTTPREQ_IS_HTTP)) {
		ev = httpreq_feed(p, line + off, len - off, &used);
		off += used;
	}
	free(line);
	if (off != len || ev != HTTPREQ_MORE || !httpreq_line_done(p)) {
		httpreq_free(p);
		return 0;
	}
	rw_log(LOG_INFO, "sess=%lx sink event=late-http peer=%s state=%s", s->id, s->peer,
	       conn_state_names[s->state]);
	s->http = p;
	s->http_fed = 0;
	http_enter(s);
	return 1;
}

/* ------------------------------------------------------------ commands */

/* EHLO capabilities: no STARTTLS, no AUTH, no CHUNKING */
static const struct ehlo_cap {
	const char *name;
	int with_size; /* followed by the message cap */
} ehlo_caps[] = {
    {.name = "PIPELINING"},
    {.name = "SIZE", .with_size = 1},
    {.name = "8BITMIME"},
    {.name = "ENHANCEDSTATUSCODES"},
};

/* do_helo - record the client's name and greet, listing our few ESMTP keywords for EHLO */
static void do_helo(struct conn *s, const struct smtpcmd *c)
{
	char nonce[NONCE_MAX] = "";
	size_t n;

	if (!c->arg[0]) {
		protocol_error(s, c->verb == CMD_EHLO ? "501 5.5.4 Syntax: EHLO hostname"
		                                      : "501 5.5.4 Syntax: HELO hostname");
		return;
	}
	copy_clean(s->helo, sizeof(s->helo), c->arg);
	n = strlen(s->helo);
	while (n > 0 && s->helo[n - 1] == ' ')
		s->helo[--n] = '\0';
	s->esmtp = c->verb == CMD_EHLO;
	txn_reset(s);
	if (nonce_id_valid(s->helo)) {
		/* a proxy prober's tunnel reached us: sign its probe id */
		conn_nonce(s, s->helo, nonce);
		s->sink->n_helo++;
		rw_log(LOG_INFO, "sess=%lx sink event=proxy-canary peer=%s id=%s serial=%lu via=%s",
		       s->id, s->peer, s->helo, s->id, s->esmtp ? "ehlo" : "helo");
	}
	reply(s, "250%s%s%s%s", s->esmtp ? "-" : " ", s->sink->myname, nonce[0] ? " Hello " : "",
	      nonce);
	if (!s->esmtp)
		return;
	for (size_t i = 0; i < sizeof(ehlo_caps) / sizeof(ehlo_caps[0]); i++) {
		const char *sep = i + 1 < sizeof(ehlo_caps) / sizeof(ehlo_caps[0]) ? "-" : " ";

		if (ehlo_caps[i].with_size)
			reply(s, "250%s%s %zu", sep, ehlo_caps[i].name, s->sink->msg_cap);
		else
			reply(s, "250%s%s", sep, ehlo_caps[i].name);
	}
}

/* size_param - the SIZE= value of MAIL parameters, or 0 */
static unsigned long long size_param(const char *params)
{
	const char *p = params;

	while (*p) {
		if (strncasecmp(p, "SIZE=", 5) == 0)
			return strtoull(p + 5, NULL, 10);
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	return 0;
}

/* do_mail - open a transaction; an oversized SIZE= is refused before any RCPT */
static void do_mail(struct conn *s, const struct smtpcmd *c)
{
	if (s->state != CS_CMD) {
		protocol_error(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (!c->path_ok) {
		protocol_error(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	if (strlen(c->path) > RW_PATH_MAX) {
		protocol_error(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	if (size_param(c->params) > s->sink->msg_cap) {
		reply(s, "552 5.3.4 Message size exceeds fixed limit");
		return;
	}
	copy_clean(s->mail_from, sizeof(s->mail_from), c->path);
	conn_enter(s, CS_MAIL);
	reply(s, "250 2.1.0 Ok");
}

/* do_rcpt - accept only canary recipients; a refusal is not a protocol error */
static void do_rcpt(struct conn *s, const struct smtpcmd *c)
{
	if (s->state != CS_MAIL) {
		protocol_error(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (!c->path_ok) {
		protocol_error(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	if (s->nrcpt >= RW_SINK_RCPT_MAX) {
		reply(s, "452 4.5.3 Error: too many recipients");
		return;
	}
	s->nrcpt++;
	if (!sink_rcpt_ok(c->path, s->sink->canary)) {
		s->sink->n_refused++;
		rw_debug("sess=%lx sink event=rcpt-refused", s->id);
		reply(s, "550 5.7.1 Error: relaying denied");
		return;
	}
	if (s->nrcpt_ok++ == 0)
		copy_clean(s->rcpt, sizeof(s->rcpt), c->path);
	reply(s, "250 2.1.5 Ok");
}

/* do_data - 354 once a recipient was accepted; the parser switches to message mode */
static void do_data(struct conn *s, const struct smtpcmd *c)
{
	if (s->state != CS_MAIL) {
		protocol_error(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (c->arg[0]) {
		protocol_error(s, "501 5.5.4 Syntax: DATA");
		return;
	}
	if (s->nrcpt_ok == 0) {
		protocol_error(s, "554 5.5.1 Error: no valid recipients");
		return;
	}
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
	smtpcmd_begin_data(s->parser);
	conn_enter(s, CS_DATA);
}

/* do_rset - drop the transaction, keep the greeting */
static void do_rset(struct conn *s, const struct smtpcmd *c)
{
	txn_reset(s);
	reply(s, "250 2.0.0 Ok");
}

/* do_noop - 250, nothing else */
static void do_noop(struct conn *s, const struct smtpcmd *c)
{
	reply(s, "250 2.0.0 Ok");
}

/* do_quit - 221, then close once the reply is flushed */
static void do_quit(struct conn *s, const struct smtpcmd *c)
{
	reply(s, "221 2.0.0 Bye");
	conn_close(s);
}

/* do_vrfy - 252: never confirm or deny a mailbox */
static void do_vrfy(struct conn *s, const struct smtpcmd *c)
{
	reply(s, "252 2.0.0 Cannot VRFY user; try RCPT");
}

/* do_help - one line saying what this server is */
static void do_help(struct conn *s, const struct smtpcmd *c)
{
	reply(s, "214 2.0.0 relaywatch canary sink: mail for the canary domain only");
}

/* do_unimplemented - 502 for commands the sink knows but does not offer */
static void do_unimplemented(struct conn *s, const struct smtpcmd *c)
{
	protocol_error(s, "502 5.5.1 Error: command not implemented");
}

/* do_unknown - 500 for anything else; counts as a protocol error */
static void do_unknown(struct conn *s, const struct smtpcmd *c)
{
	if (late_http(s, c))
		return;
	protocol_error(s, "500 5.5.2 Error: command not recognized");
}

/* One handler per verb; every verb has one. */
static void (*const cmd_table[CMD__COUNT])(struct conn *, const struct smtpcmd *) = {
    [CMD_UNKNOWN] = do_unknown,
    [CMD_HELO] = do_helo,
    [CMD_EHLO] = do_helo,
    [CMD_MAIL] = do_mail,
    [CMD_RCPT] = do_rcpt,
    [CMD_DATA] = do_data,
    [CMD_RSET] = do_rset,
    [CMD_NOOP] = do_noop,
    [CMD_QUIT] = do_quit,
    [CMD_VRFY] = do_vrfy,
    [CMD_EXPN] = do_unimplemented,
    [CMD_HELP] = do_help,
    [CMD_STARTTLS] = do_unimplemented,
    [CMD_AUTH] = do_unimplemented,
    [CMD_BDAT] = do_unimplemented,
};

/* ------------------------------------------------------------ arrivals */

/* rfc5322_date - "Thu, 27 Nov 2025 13:29:00 +0000", locale-free */
static void rfc5322_date(time_t t, char *buf, size_t len)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%s, %d %s %d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
	         months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* on_message - the "." arrived: reply, record, tell the owner */
static void on_message(struct conn *s)
{
	struct sink *k = s->sink;
	struct arrival a;
	const char *msg, *tok;
	size_t len, toklen;
	char id[32], date[64];

	memset(&a, 0, sizeof(a));
	msg = smtpcmd_message(s->parser, &len);
	a.time = (long long)time(NULL);
	copy_clean(a.peer, sizeof(a.peer), s->peer);
	a.peer_port = s->peer_port;
	copy_clean(a.helo, sizeof(a.helo), s->helo);
	copy_clean(a.mail_from, sizeof(a.mail_from), s->mail_from);
	copy_clean(a.rcpt_to, sizeof(a.rcpt_to), s->rcpt);
	a.size = len;
	a.token_status = TOKEN_MALFORMED;
	tok = token_find(msg, len, &toklen);
	if (tok && toklen < sizeof(a.token)) {
		memcpy(a.token, tok, toklen);
		a.token[toklen] = '\0';
		a.token_status = token_verify(&k->key, a.token, a.time, k->max_age, &a.fields);
		if (a.token_status != TOKEN_MALFORMED)
			a.replayed = seen_add(&k->seen, &k->key, a.token);
		a.quoted = quoted_is_bounce(msg, len, tok);
	}
	snprintf(id, sizeof(id), "%08llX%05lX", (unsigned long long)a.time & 0xffffffffULL,
	         (k->n_msgs + 1) & 0xfffff);
	rfc5322_date((time_t)a.time, date, sizeof(date));
	a.received[0] = xasprintf("from %s (%s%s%s) by %s with %s id %s; %s",
	                          s->helo[0] ? s->helo : "unknown", s->peer_v6 ? "[IPv6:" : "[",
	                          s->peer, "]", k->myname, s->esmtp ? "ESMTP" : "SMTP", id, date);
	a.nreceived = 1 + received_extract(msg, len, a.received + 1, RW_RECEIVED_MAX - 1);

	k->n_msgs++;
	s->msgs++;
	reply(s, "250 2.0.0 Ok: queued as %s", id);
	rw_log(LOG_INFO,
	       "sess=%lx sink event=arrival id=%s peer=%s size=%zu token_status=%s replayed=%d "
	       "test=%s target=%s hops=%d bare_lf=%u quoted=%d",
	       s->id, id, a.peer, a.size, a.token[0] ? token_status_name(a.token_status) : "none",
	       a.replayed, a.fields.test[0] ? a.fields.test : "-",
	       a.fields.target[0] ? a.fields.target : "-", a.nreceived, smtpcmd_bare_lf(s->parser),
	       a.quoted);
	txn_reset(s);
	if (k->fn)
		k->fn(&a, k->arg);
	arrival_clear(&a);
}

/* on_event - act on one parser event */
static void on_event(struct conn *s, enum smtpcmd_event ev)
{
	const struct smtpcmd *c;

	switch (ev) {
	case SMTPCMD_MORE:
		return;
	case SMTPCMD_TOOLONG:
		arm_idle(s);
		protocol_error(s, "500 5.5.2 Error: line too long");
		return;
	case SMTPCMD_MSG_TOOBIG:
		arm_idle(s);
		reply(s, "552 5.3.4 Error: message too big");
		txn_reset(s);
		return;
	case SMTPCMD_MESSAGE:
		arm_idle(s);
		on_message(s);
		return;
	case SMTPCMD_COMMAND:
		arm_idle(s);
		c = smtpcmd_get(s->parser);
		rw_debug("sess=%lx sink event=command verb=%s state=%s", s->id,
		         smtpcmd_verb_name(c->verb), conn_state_names[s->state]);
		if (c->nul_seen) {
			protocol_error(s, "500 5.5.2 Error: NUL in command");
			return;
		}
		cmd_table[c->verb < CMD__COUNT ? c->verb : CMD_UNKNOWN](s, c);
		return;
	}
	rw_panic("%s: bad parser event %d", __func__, (int)ev);
}

/* conn_process - feed buffered input to the parser, one event at a time */
static void conn_process(struct conn *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	struct evbuffer *out = bufferevent_get_output(s->bev);

	while (!s->dead && s->state != CS_QUIT && !s->sink->free_pending &&
	       evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		enum smtpcmd_event ev;
		size_t used = 0;

		if (s->state == CS_GREET || s->state == CS_HTTP) {
			if (!http_process(s))
				break;
			continue;
		}
		if (evbuffer_get_length(out) > RW_SINK_OUT_MAX) {
			/* the client does not read its replies: wait for it. Its
			 * commands wait on us now, so the write timeout, not the
			 * idle timer, is what runs */
			bufferevent_disable(s->bev, EV_READ);
			event_del(s->idle_ev);
			return;
		}
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
			break;
		ev = smtpcmd_feed(s->parser, v.iov_base, v.iov_len, &used);
		evbuffer_drain(in, used);
		if (s->state == CS_DATA && ev == SMTPCMD_MORE) {
			s->data_bytes += used;
			if (s->data_bytes >= RW_DATA_LINE_MAX)
				arm_idle(s); /* the message is moving */
		}
		on_event(s, ev);
	}
}

/* ---------------------------------------------------------- callbacks */

/* leave - end of one of our callbacks: honour a deferred sink_free() */
static void leave(struct sink *k)
{
	if (--k->depth == 0 && k->free_pending)
		sink_destroy(k);
}

/* read_cb - new input: run the session, deferring a sink_free() made meanwhile */
static void read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *s = arg;
	struct sink *k = s->sink;

	k->depth++;
	conn_process(s);
	leave(k);
}

/* write_cb - output flushed: finish a close, or read again after a backlog */
static void write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *s = arg;
	struct sink *k = s->sink;

	if (s->dead)
		return;
	k->depth++;
	if (s->state == CS_QUIT) {
		conn_kill(s, "quit");
	} else if (!(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_enable(bev, EV_READ);
		arm_idle(s);
		conn_process(s);
	}
	leave(k);
}

/* event_cb - EOF, write timeout or socket error: the session dies, reason logged */
static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *s = arg;
	const char *why = "error";

	if (what & BEV_EVENT_EOF)
		why = s->state == CS_DATA ? "eof-in-data" : "eof";
	else if (what & BEV_EVENT_TIMEOUT)
		why = "write-timeout";
	else if (what & BEV_EVENT_ERROR)
		why = evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR());
	conn_kill(s, why);
}

/* idle_cb - no complete command within the idle timeout */
static void idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *s = arg;

	if (s->dead)
		return;
	if (s->state == CS_GREET) {
		struct sink *k = s->sink;

		/* the client kept silent (an SMTP client), or had not yet said
		 * enough: banner now, and what it did say is SMTP */
		k->depth++;
		greet_banner(s);
		conn_process(s);
		leave(k);
		return;
	}
	if (s->state == CS_HTTP) {
		rw_log(LOG_INFO, "sess=%lx sink event=http-timeout peer=%s", s->id, s->peer);
		conn_kill(s, "http-timeout");
		return;
	}
	rw_log(LOG_INFO, "sess=%lx sink event=idle-timeout state=%s", s->id,
	       conn_state_names[s->state]);
	reply(s, "421 4.4.2 %s Error: timeout exceeded", s->sink->myname);
	conn_close(s);
}

/* life_cb - the connection outlived RW_SINK_SESSION_SEC: a client that
 * feeds a byte now and then would otherwise keep its slot for ever */
static void life_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *s = arg;

	if (s->dead)
		return;
	rw_log(LOG_INFO, "sess=%lx sink event=lifetime-exceeded state=%s", s->id,
	       conn_state_names[s->state]);
	conn_kill(s, "lifetime");
}

/* peer_conns - live connections from this peer address */
static unsigned peer_conns(const struct sink *k, const char *peer)
{
	unsigned n = 0;

	for (const struct conn *x = k->live; x; x = x->next)
		n += strcmp(x->peer, peer) == 0;
	return n;
}

/* reap_cb - free the sessions killed since the last run */
static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sink *k = arg;

	while (k->dead) {
		struct conn *s = k->dead;

		k->dead = s->next;
		conn_destroy(s);
	}
}

/* peer_text - address text and port of a socket address */
static void peer_text(const struct sockaddr *sa, char *buf, size_t len, unsigned *port, int *v6)
{
	*v6 = 0;
	*port = 0;
	snprintf(buf, len, "unknown");
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, buf, (socklen_t)len);
		*port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		*port = ntohs(sin6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], buf, (socklen_t)len);
		} else {
			inet_ntop(AF_INET6, &sin6->sin6_addr, buf, (socklen_t)len);
			*v6 = 1;
		}
	}
}

/* refuse_busy - a 421 on a fresh socket we will not serve, best effort (the
 * line fits its buffer); it carries a nonce, so a proxy that reached us
 * while we were full is still proven to have reached us */
static void refuse_busy(struct sink *k, evutil_socket_t fd, const char *peer, const char *text)
{
	struct nonce_fields f = {.time = (long long)time(NULL), .serial = ++k->next_id};
	char nonce[NONCE_MAX], line[NONCE_MAX + 128];
	int n;

	snprintf(f.peer, sizeof(f.peer), "%s", peer[0] ? peer : "unknown");
	snprintf(f.bind, sizeof(f.bind), "0");
	nonce_make(&k->key, &f, nonce, sizeof(nonce));
	n = snprintf(line, sizeof(line), "421 %s %s\r\n", text, nonce);
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		rw_debug("sink event=busy-send-failed");
	evutil_closesocket(fd);
}

/* accept_cb - admit a connection under the global and per-peer caps, arm its timers */
static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
	struct sink *k = arg;
	struct conn *s;

	if (k->nconn >= RW_SINK_CONN_MAX) {
		char peer[64];
		unsigned port;
		int v6;

		peer_text(sa, peer, sizeof(peer), &port, &v6);
		refuse_busy(k, fd, peer, "4.3.2 Error: too many connections");
		rw_log(LOG_WARNING, "sink event=refused reason=conn-max max=%d", RW_SINK_CONN_MAX);
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->sink = k;
	s->id = ++k->next_id;
	peer_text(sa, s->peer, sizeof(s->peer), &s->peer_port, &s->peer_v6);
	if (peer_conns(k, s->peer) >= RW_SINK_CONN_PER_PEER) {
		/* one host must not take every slot from the relays we wait for */
		refuse_busy(k, fd, s->peer, "4.7.0 Error: too many connections from you");
		rw_log(LOG_WARNING, "sink event=refused reason=conn-per-peer peer=%s max=%d",
		       s->peer, RW_SINK_CONN_PER_PEER);
		free(s);
		return;
	}
	s->bev = bufferevent_socket_new(k->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!s->bev) {
		evutil_closesocket(fd);
		free(s);
		rw_log(LOG_ERR, "sink event=refused reason=bufferevent-failed");
		return;
	}
	s->idle_ev = evtimer_new(k->base, idle_cb, s);
	s->life_ev = evtimer_new(k->base, life_cb, s);
	if (!s->idle_ev || !s->life_ev)
		rw_panic("%s: evtimer_new failed", __func__);
	{
		struct timeval life = {.tv_sec = RW_SINK_SESSION_SEC, .tv_usec = 0};

		evtimer_add(s->life_ev, &life);
	}
	s->parser = smtpcmd_new(k->msg_cap);
	s->state = k->greet.tv_sec || k->greet.tv_usec ? CS_GREET : CS_CMD;
	if (s->state == CS_GREET)
		s->http = httpreq_new();
	s->next = k->live;
	if (k->live)
		k->live->prev = s;
	k->live = s;
	k->nconn++;
	k->n_conns++;
	bufferevent_setcb(s->bev, read_cb, write_cb, event_cb, s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, RW_READ_HIGHWAT);
	bufferevent_set_timeouts(s->bev, NULL, &k->idle);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	rw_log(LOG_INFO, "sess=%lx sink event=connect peer=%s port=%u conns=%u", s->id, s->peer,
	       s->peer_port, k->nconn);
	if (s->state == CS_GREET)
		evtimer_add(s->idle_ev, &k->greet); /* idle_cb sends the banner */
	else
		greet_banner(s);
}

/* relisten_cb - accept again after a pause */
static void relisten_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sink *k = arg;

	evconnlistener_enable(k->lev);
}

/* accept_error_cb - EMFILE and friends: pause accepting instead of spinning */
static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct sink *k = arg;
	struct timeval tv = {SINK_RELISTEN_SEC, 0};
	int e = EVUTIL_SOCKET_ERROR();

	rw_log(LOG_WARNING, "sink event=accept-error error=\"%s\"",
	       evutil_socket_error_to_string(e));
	evconnlistener_disable(lev);
	evtimer_add(k->relisten, &tv);
}

/* ---------------------------------------------------------------- public */

/* parse_listen - numeric "addr:port", "[v6]:port", ":port" or "*:port" */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen,
                        char *err, size_t errlen)
{
	char host[RW_DOMAIN_MAX + 1];
	const char *colon, *port;
	struct addrinfo hints, *res = NULL;
	size_t hl;
	int rc;

	if (listen[0] == '[') {
		const char *end = strchr(listen, ']');

		if (!end || end[1] != ':') {
			snprintf(err, errlen, "listen address \"%s\": want [addr]:port", listen);
			return -1;
		}
		hl = (size_t)(end - listen - 1);
		colon = end + 1;
		if (hl >= sizeof(host))
			hl = sizeof(host) - 1;
		memcpy(host, listen + 1, hl);
	} else {
		colon = strrchr(listen, ':');
		if (!colon || memchr(listen, ':', (size_t)(colon - listen))) {
			snprintf(err, errlen,
			         "listen address \"%s\": want addr:port or [addr]:port", listen);
			return -1;
		}
		hl = (size_t)(colon - listen);
		if (hl >= sizeof(host))
			hl = sizeof(host) - 1;
		memcpy(host, listen, hl);
	}
	host[hl] = '\0';
	port = colon + 1;
	if (!*port || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 ||
	    atoi(port) > 65535) {
		snprintf(err, errlen, "listen address \"%s\": bad port", listen);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST; /* no DNS in a loop */
	rc = getaddrinfo(host[0] && strcmp(host, "*") != 0 ? host : NULL, port, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(err, errlen, "listen address \"%s\": %s", listen,
		         rc ? gai_strerror(rc) : "no address");
		if (res)
			freeaddrinfo(res);
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = (socklen_t)res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* sink_new - bind and listen; NULL with a reason in err */
struct sink *sink_new(struct event_base *base, const struct sink_config *cfg, sink_arrival_fn fn,
                      void *arg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct sink *k;
	char host[RW_DOMAIN_MAX + 1];

	if (!cfg->listen || !cfg->listen[0]) {
		snprintf(err, errlen, "sink: no listen address");
		return NULL;
	}
	if (!cfg->canary || !cfg->canary[0]) {
		snprintf(err, errlen, "sink: no canary domain");
		return NULL;
	}
	if (!cfg->key) {
		snprintf(err, errlen, "sink: no token key");
		return NULL;
	}
	if (parse_listen(cfg->listen, &ss, &sslen, err, errlen) < 0)
		return NULL;
	k = xcalloc(1, sizeof(*k));
	k->base = base;
	k->canary = xstrdup(cfg->canary);
	if (cfg->myname && cfg->myname[0]) {
		k->myname = xstrdup(cfg->myname);
	} else {
		if (gethostname(host, sizeof(host)) < 0 || !host[0])
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		k->myname = xstrdup(host);
	}
	k->key = *cfg->key;
	k->max_age = cfg->token_max_age;
	k->msg_cap = cfg->msg_cap ? cfg->msg_cap : RW_SINK_MSG_MAX;
	k->idle.tv_sec = cfg->idle_timeout > 0 ? cfg->idle_timeout : RW_SINK_IDLE_SEC;
	if (cfg->greet_wait_ms > 0) {
		k->greet.tv_sec = cfg->greet_wait_ms / 1000;
		k->greet.tv_usec = (cfg->greet_wait_ms % 1000) * 1000;
	}
	k->fn = fn;
	k->arg = arg;
	k->reaper = event_new(base, -1, 0, reap_cb, k);
	k->relisten = evtimer_new(base, relisten_cb, k);
	if (!k->reaper || !k->relisten)
		rw_panic("%s: event_new failed", __func__);
	k->lev = evconnlistener_new_bind(
	    base, accept_cb, k, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    RW_SINK_BACKLOG, (struct sockaddr *)&ss, (int)sslen);
	if (!k->lev) {
		snprintf(err, errlen, "sink: cannot listen on %s: %s", cfg->listen,
		         evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		sink_destroy(k);
		return NULL;
	}
	evconnlistener_set_error_cb(k->lev, accept_error_cb);
	rw_log(LOG_INFO, "sink event=listen addr=%s canary=%s myname=%s", cfg->listen, k->canary,
	       k->myname);
	return k;
}

/* sink_destroy - release everything now */
static void sink_destroy(struct sink *k)
{
	if (k->lev)
		evconnlistener_free(k->lev);
	while (k->live) {
		struct conn *s = k->live;

		k->live = s->next;
		conn_destroy(s);
	}
	reap_cb(-1, 0, k);
	if (k->reaper)
		event_free(k->reaper);
	if (k->relisten)
		event_free(k->relisten);
	seen_free(&k->seen);
	free(k->canary);
	free(k->myname);
	memset(&k->key, 0, sizeof(k->key));
	free(k);
}

/* sink_free - close everything; deferred when called from our own callback */
struct sink *sink_free(struct sink *k)
{
	if (!k)
		return NULL;
	if (k->depth > 0) {
		k->free_pending = 1;
		if (k->lev)
			evconnlistener_disable(k->lev);
		return NULL;
	}
	sink_destroy(k);
	return NULL;
}

/* plain_char - allowed in a canary local part */
static int plain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '+' || c == '-' || c == '=';
}

/* sink_rcpt_ok - plain local part @ the canary; nothing else */
int sink_rcpt_ok(const char *path, const char *canary)
{
	const char *at;

	if (!path || !canary || !canary[0] || strlen(path) > RW_PATH_MAX)
		return 0;
	at = strchr(path, '@');
	if (!at || at == path || strchr(at + 1, '@') || !at[1])
		return 0;
	for (const char *p = path; p < at; p++)
		if (!plain_char((unsigned char)*p))
			return 0;
	return addr_domain_eq(at + 1, canary);
}

/* sink_stats - counters since sink_new */
void sink_stats(const struct sink *k, unsigned long *conns, unsigned long *msgs,
                unsigned long *refused_rcpts)
{
	if (conns)
		*conns = k->n_conns;
	if (msgs)
		*msgs = k->n_msgs;
	if (refused_rcpts)
		*refused_rcpts = k->n_refused;
}

/* sink_proxy_stats - proxy canary answers since sink_new */
void sink_proxy_stats(const struct sink *k, unsigned long *http, unsigned long *helo)
{
	if (http)
		*http = k->n_http;
	if (helo)
		*helo = k->n_helo;
}
