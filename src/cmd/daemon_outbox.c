/*
 * NAME
 *	daemon_outbox - the daemon's outbox sender
 * SUMMARY
 *	claim a due notice, send it through the smarthost, record the outcome
 * SYNOPSIS
 *	struct outbox_sender *outbox_sender_new(struct event_base *base,
 *		struct store *st, const struct rw_config *cfg, char *err, size_t errlen);
 *	void outbox_sender_kick(struct outbox_sender *o, struct desk *d, long long now_ms);
 *	int outbox_sender_resume(struct store *st, struct desk *d);
 * DESCRIPTION
 *	One session at a time (notices are few; a smarthost is one peer).
 *	A claim (store_outbox_claim) marks the message "sending" with a lease
 *	of OUTBOX_LEASE_MS; the session is src/desk/submit over
 *	src/net/submit_io with the configured STARTTLS mode, certificate
 *	check and AUTH. Outcomes: sent (also when some recipients were
 *	refused: logged with them) -> store_outbox_sent, then
 *	desk_notice_sent, which starts the grace period for the results
 *	notice; temporary failure (4xx, connection, TLS) -> retried after
 *	1, 5, 15, 60 minutes then every 4 hours, until OUTBOX_GIVE_UP_MS
 *	after queueing; permanent (5xx, every recipient refused) -> failed.
 *	A process killed after the server took a message and before
 *	store_outbox_sent sends it again when the lease ends, under the same
 *	Message-ID, so the recipient's mail system can tell (RFC 1047). If it
 *	dies between store_outbox_sent and desk_notice_sent,
 *	outbox_sender_resume finds the incident still "confirmed" with its
 *	notice sent and feeds it at start-up.
 * DIAGNOSTICS
 *	Logs one line per outcome (msg=, incident=, outcome=, stage=, code=),
 *	never the password.
 * LIMITS
 *	the smarthost is resolved with getaddrinfo at each session (a name in
 *	/etc/hosts or DNS; the loop waits for it); RW_MAIL_* timeouts.
 * STANDARDS
 *	RFC 5321, RFC 3207, RFC 4954 (through submit).
 */
#include "daemon_outbox.h"
#include "cmd.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/netaddr.h"
#include "../core/xalloc.h"
#include "../desk/desk.h"
#include "../desk/mailmsg.h"
#include "../desk/policy.h"
#include "../desk/submit.h"
#include "../net/submit_io.h"
#include "../store/store.h"

#include <event2/event.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUTBOX_LEASE_MS   ((RW_MAIL_SESSION_TIMEOUT + 60) * 1000LL)
#define OUTBOX_GIVE_UP_MS (5LL * 86400 * 1000)

struct outbox_sender {
	struct event_base *base;
	struct store *st;
	struct desk *d;
	char *host, *tls_name, *user, *pass, *mech;
	unsigned port;
	enum submit_tls tls;
	char from_addr[RW_MAIL_ADDR_MAX + 1];
	char helo[RW_DOMAIN_MAX + 1];
	SSL_CTX *ssl;
	int warned;
	long long now;
	/* the session in flight */
	struct store_outbox m;
	int busy;
	struct submit *s;
	struct submit_config sc; /* s borrows it for the whole session */
	struct submit_io *io;
	struct submit_io_env env;
	char *rcptbuf;
	const char *rcpt[RW_MAIL_RCPT_MAX];
	struct event *next; /* deferred: claim the next one */
};

static void on_next(evutil_socket_t fd, short what, void *arg);

struct outbox_sender *outbox_sender_new(struct event_base *base, struct store *st,
                                        const struct rw_config *cfg, char *err, size_t errlen)
{
	struct outbox_sender *o = xcalloc(1, sizeof(*o));
	char host[RW_DOMAIN_MAX + 1];
	const char *e, *from = cfg->notify_from ? cfg->notify_from : cfg->abuse_contact;

	o->base = base;
	o->st = st;
	o->next = event_new(base, -1, 0, on_next, o);
	if (o->next == NULL)
		rw_panic("%s: event_new", __func__);
	if (cfg->smarthost == NULL)
		return o;
	if ((e = netaddr_split(cfg->smarthost, host, sizeof(host), &o->port, 25)) != NULL) {
		snprintf(err, errlen, "smarthost %s: %s", cfg->smarthost, e);
		return outbox_sender_free(o);
	}
	if ((e = mailmsg_addr_spec(from, o->from_addr, sizeof(o->from_addr))) != NULL) {
		snprintf(err, errlen, "notify_from %s: %s", from, e);
		return outbox_sender_free(o);
	}
	o->host = xstrdup(host);
	o->tls_name = xstrdup(cfg->smarthost_tls_name ? cfg->smarthost_tls_name : host);
	o->tls = strcmp(cfg->smarthost_starttls, "require") == 0 ? SUBMIT_TLS_REQUIRE
	         : strcmp(cfg->smarthost_starttls, "never") == 0 ? SUBMIT_TLS_NEVER
	                                                         : SUBMIT_TLS_AUTO;
	if ((cfg->smarthost_auth_user == NULL) != (cfg->smarthost_auth_pass_file == NULL)) {
		snprintf(err, errlen,
		         "smarthost_auth_user and smarthost_auth_pass_file go together");
		return outbox_sender_free(o);
	}
	if (cfg->smarthost_auth_user) {
		o->user = xstrdup(cfg->smarthost_auth_user);
		if ((o->pass = cmd_read_secret(cfg->smarthost_auth_pass_file)) == NULL) {
			snprintf(err, errlen, "smarthost_auth_pass_file %s: unreadable",
			         cfg->smarthost_auth_pass_file);
			return outbox_sender_free(o);
		}
	}
	if (strcmp(cfg->smarthost_auth_mech, "auto") != 0)
		o->mech = xstrdup(cfg->smarthost_auth_mech);
	if (o->tls != SUBMIT_TLS_NEVER &&
	    (o->ssl = submit_io_ssl_ctx(cfg->smarthost_ca_file,
	                                strcmp(cfg->smarthost_verify, "no") != 0, err, errlen)) ==
	        NULL)
		return outbox_sender_free(o);
	if (cfg->helo_name)
		snprintf(o->helo, sizeof(o->helo), "%s", cfg->helo_name);
	else if (gethostname(o->helo, sizeof(o->helo) - 1) != 0 || o->helo[0] == '\0')
		snprintf(o->helo, sizeof(o->helo), "localhost");
	return o;
}

/* end_session - free what the session in flight holds */
static void end_session(struct outbox_sender *o)
{
	o->io = submit_io_free(o->io);
	o->s = submit_free(o->s);
	store_outbox_clear(&o->m);
	free(o->rcptbuf);
	o->rcptbuf = NULL;
	o->busy = 0;
}

struct outbox_sender *outbox_sender_free(struct outbox_sender *o)
{
	if (o == NULL)
		return NULL;
	end_session(o);
	if (o->next)
		event_free(o->next);
	if (o->ssl)
		SSL_CTX_free(o->ssl);
	if (o->pass) {
		memset(o->pass, 0, strlen(o->pass));
		free(o->pass);
	}
	free(o->host);
	free(o->tls_name);
	free(o->user);
	free(o->mech);
	free(o);
	return NULL;
}

int outbox_sender_busy(const struct outbox_sender *o)
{
	return o->busy;
}

/* backoff - the delay before attempt n + 1 */
static long long backoff(int attempts)
{
	static const long long step[] = {60000, 300000, 900000, 3600000};

	if (attempts >= 1 && attempts <= 4)
		return step[attempts - 1];
	return 4 * 3600000LL;
}

static void record(struct outbox_sender *o, const char *kind, const char *detail)
{
	struct store_event ev = {
	    .incident = o->m.incident, .at_ms = o->now, .kind = kind, .detail = detail};

	if (o->m.incident > 0 && store_event_add(o->st, &ev, NULL) < 0)
		rw_log(LOG_ERR, "outbox event=store-error msg=%lld error=\"%s\"",
		       (long long)o->m.id, store_error(o->st));
}

/* settle - the message's new state (sent; retry at next_ms when nonzero;
 * else failed) and its event in one batch: a kill between two commits
 * would keep the state and lose the event. 1 moved, 0 it was not sending
 * (no event), -1 store error (logged; nothing written) */
static int settle(struct outbox_sender *o, const char *kind, const char *det, long long next_ms,
                  const char *why)
{
	int moved = -1;

	if (store_batch_begin(o->st, 0) == 0) {
		if (strcmp(kind, "notice-sent") == 0)
			moved = store_outbox_sent(o->st, o->m.id, o->now);
		else if (next_ms)
			moved = store_outbox_retry(o->st, o->m.id, next_ms, why);
		else
			moved = store_outbox_failed(o->st, o->m.id, why);
		if (moved == 1)
			record(o, kind, det);
		if (store_batch_commit(o->st) < 0)
			moved = -1;
	}
	if (moved < 0)
		rw_log(LOG_ERR, "outbox event=store-error msg=%lld error=\"%s\"",
		       (long long)o->m.id, store_error(o->st));
	else if (moved == 0)
		rw_log(LOG_WARNING, "outbox event=not-sending msg=%lld note=\"%s not recorded\"",
		       (long long)o->m.id, kind);
	return moved;
}

static void on_done(struct submit_io *io, struct submit *s, void *arg)
{
	struct outbox_sender *o = arg;
	const struct submit_result *r = submit_result(s);
	char det[1024], refused[512] = "";
	size_t off = 0;

	(void)io;
	for (size_t i = 0; r->rcpt && i < r->naccepted + r->nrefused; i++)
		if (r->rcpt[i].code >= 400 && off + 2 < sizeof(refused))
			off += (size_t)snprintf(refused + off, sizeof(refused) - off, "%s%s %d",
			                        off ? ", " : "", r->rcpt[i].addr, r->rcpt[i].code);
	snprintf(det, sizeof(det),
	         "{\"message_id\":\"%s\",\"outcome\":\"%s\",\"stage\":\"%s\",\"code\":%d,"
	         "\"tls\":%s,\"auth\":%s,\"refused\":\"%s\"}",
	         o->m.message_id, submit_outcome_name(r->outcome), r->stage, r->code,
	         r->tls ? "true" : "false", r->authenticated ? "true" : "false", refused);
	rw_log(r->outcome == SUBMIT_SENT ? LOG_INFO : LOG_WARNING,
	       "outbox event=%s msg=%lld incident=%lld step=%s rcpt=\"%s\" stage=%s code=%d "
	       "text=\"%.200s\"%s%s",
	       submit_outcome_name(r->outcome), (long long)o->m.id, (long long)o->m.incident,
	       o->m.step, o->m.rcpt, r->stage, r->code, r->text, refused[0] ? " refused=" : "",
	       refused);
	if (r->outcome == SUBMIT_SENT) {
		if (settle(o, "notice-sent", det, 0, NULL) == 1 && o->d &&
		    desk_notice_sent(o->d, &o->m, o->now) < 0)
			rw_log(LOG_ERR, "outbox event=desk-error msg=%lld error=\"%s\"",
			       (long long)o->m.id, desk_error(o->d));
	} else {
		char why[600];
		snprintf(why, sizeof(why), "%s: %d %s", r->stage, r->code, r->text);
		if (r->outcome == SUBMIT_TEMPFAIL &&
		    o->now + backoff(o->m.attempts) < o->m.queued_ms + OUTBOX_GIVE_UP_MS)
			settle(o, "notice-deferred", det, o->now + backoff(o->m.attempts), why);
		else
			settle(o, "notice-failed", det, 0, why);
	}
	end_session(o);
	event_active(o->next, 0, 0); /* the next due one, from a fresh stack */
}

/* start - one claimed message: 0 started, -1 could not (recorded) */
static int start(struct outbox_sender *o)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	char port[8], err[256];
	size_t n = 0;
	int g;

	o->rcptbuf = xstrdup(o->m.rcpt ? o->m.rcpt : "");
	for (char *save = NULL, *t = strtok_r(o->rcptbuf, " ,;\t", &save);
	     t != NULL && n < RW_MAIL_RCPT_MAX; t = strtok_r(NULL, " ,;\t", &save))
		o->rcpt[n++] = t;
	o->sc = (struct submit_config){
	    .helo = o->helo,
	    .tls = o->tls,
	    .user = o->user,
	    .pass = o->pass,
	    .auth_mech = o->mech,
	    .mail_from = o->from_addr,
	    .rcpt = o->rcpt,
	    .nrcpt = n,
	    .data = o->m.body,
	    .data_len = strlen(o->m.body),
	    .reply_timeout_ms = RW_MAIL_REPLY_TIMEOUT * 1000,
	    .dot_timeout_ms = RW_MAIL_DOT_TIMEOUT * 1000,
	};
	if ((o->s = submit_new(&o->sc, err, sizeof(err))) == NULL) {
		rw_log(LOG_ERR, "outbox event=failed msg=%lld error=\"%s\"", (long long)o->m.id,
		       err);
		settle(o, "notice-failed", "{\"why\":\"unusable message\"}", 0, err);
		return -1;
	}
	snprintf(port, sizeof(port), "%u", o->port);
	if ((g = getaddrinfo(o->host, port, &hints, &ai)) != 0) {
		snprintf(err, sizeof(err), "smarthost %s: %s", o->host, gai_strerror(g));
		rw_log(LOG_WARNING, "outbox event=tempfail msg=%lld error=\"%s\"",
		       (long long)o->m.id, err);
		store_outbox_retry(o->st, o->m.id, o->now + backoff(o->m.attempts), err);
		return -1;
	}
	o->env = (struct submit_io_env){
	    .base = o->base,
	    .ssl_ctx = o->ssl,
	    .tls_name = o->tls_name,
	    .session_timeout_ms = RW_MAIL_SESSION_TIMEOUT * 1000,
	};
	o->io = submit_io_start(&o->env, o->s, ai->ai_addr, ai->ai_addrlen, on_done, o);
	freeaddrinfo(ai);
	o->busy = 1;
	return 0;
}

static void claim_next(struct outbox_sender *o)
{
	for (int i = 0; i < 100 && !o->busy; i++) {
		int r = store_outbox_claim(o->st, o->now, OUTBOX_LEASE_MS, &o->m);
		if (r < 0) {
			rw_log(LOG_ERR, "outbox event=store-error error=\"%s\"",
			       store_error(o->st));
			return;
		}
		if (r == 0)
			return;
		if (start(o) < 0)
			end_session(o);
	}
}

static void on_next(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	claim_next(arg);
}

void outbox_sender_kick(struct outbox_sender *o, struct desk *d, long long now_ms)
{
	o->d = d;
	o->now = now_ms;
	if (o->busy)
		return;
	if (o->host == NULL) {
		if (!o->warned)
			rw_log(LOG_WARNING, "outbox event=idle why=\"no smarthost configured: "
			                    "notices stay queued\"");
		o->warned = 1;
		return;
	}
	claim_next(o);
}

int outbox_sender_resume(struct store *st, struct desk *d)
{
	struct store_page pg = {.limit = RW_STORE_PAGE_MAX, .offset = 0};
	struct store_incidents l;
	int fed = 0;

	if (store_incidents_list(st, "confirmed", &pg, &l) < 0)
		return -1;
	for (size_t i = 0; i < l.n; i++) {
		struct store_outboxes ob;
		if (store_outbox_for(st, l.v[i].id, &ob) < 0)
			continue;
		for (size_t k = 0; k < ob.n; k++) {
			const struct store_outbox *m = &ob.v[k];
			if (m->state && strcmp(m->state, "sent") == 0 &&
			    desk_notice_sent(d, m, m->sent_ms) == 1)
				fed++;
		}
		store_outboxes_free(&ob);
	}
	store_incidents_free(&l);
	return fed;
}
