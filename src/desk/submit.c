/*
 * NAME
 *	submit - send one message through a smarthost (sans I/O)
 * SUMMARY
 *	the SMTP client of the outbox: EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA
 * SYNOPSIS
 *	struct submit *submit_new(const struct submit_config *cfg, char *err,
 *		size_t errlen);
 *	struct submit *submit_free(struct submit *s);
 *	enum submit_action submit_on_connect(s), submit_on_reply(s, r),
 *		submit_on_tls(s, ok, text), submit_on_failure(s, f, detail);
 *	struct dbuf *submit_output(s); int submit_deadline_ms(s);
 *	const struct submit_result *submit_result(s);
 *	const char *submit_transcript(s);
 *	void submit_dot_stuff(struct dbuf *out, const char *data, size_t len);
 * DESCRIPTION
 *	One state per reply awaited; submit_enter() alone writes the state.
 *	Each event returns the I/O layer's next step; commands are written
 *	to submit_output(). The outcome is decided by the first failing
 *	reply's class (4xx temporary, 5xx permanent) or by a transport
 *	failure (temporary); QUIT is sent after the decision and its answer
 *	changes nothing. STARTTLS follows the policy; AUTH goes only over
 *	TLS unless auth_plaintext_ok, and a server that offers no AUTH (or
 *	no common mechanism) when credentials are set is a temporary
 *	failure: sending unauthenticated would likely be refused as a relay
 *	attempt and lose the notice for good. A recipient refused while
 *	others are accepted is kept in the result (partial delivery, outcome
 *	SENT); when all are refused the outcome is temporary if any refusal
 *	was 4xx, else permanent. A transport failure while the final "." is
 *	awaited sets maybe_sent.
 * DIAGNOSTICS
 *	submit_new() refuses an unusable configuration with a text. Session
 *	trouble is never an error return: it is the result's outcome, stage,
 *	code and text. The transcript never holds the AUTH secrets.
 * LIMITS
 *	RW_MAIL_RCPT_MAX recipients; RW_MAIL_TRANSCRIPT_MAX octets of
 *	transcript (the message itself is noted, not copied).
 * STANDARDS
 *	RFC 5321 3.3, 4.1.1, 4.5.2 (dot-stuffing), 4.2.5 (QUIT); RFC 3207;
 *	RFC 4954 4, 6 (AUTH, 235/334/535/454); RFC 4616; RFC 1047.
 */
#include "submit.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/xalloc.h"
#include "mailmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum sstate {
	ST_CONNECT,   /* waiting for the TCP connection */
	ST_TLS_FIRST, /* implicit TLS handshake */
	ST_BANNER,
	ST_EHLO,
	ST_HELO,
	ST_STARTTLS,  /* 220 to STARTTLS awaited */
	ST_TLS,       /* handshake after STARTTLS */
	ST_EHLO2,     /* EHLO again, over TLS */
	ST_AUTH,      /* 235 (PLAIN) or 334 (LOGIN: user name next) */
	ST_AUTH_USER, /* 334: password next */
	ST_AUTH_PASS, /* 235 */
	ST_MAIL,
	ST_RCPT,
	ST_DATA,
	ST_DOT,
	ST_QUIT,
	ST_DONE,
	ST__COUNT
};

static const char *const state_names[ST__COUNT] = {
    [ST_CONNECT] = "connect",
    [ST_TLS_FIRST] = "tls-first",
    [ST_BANNER] = "banner",
    [ST_EHLO] = "ehlo",
    [ST_HELO] = "helo",
    [ST_STARTTLS] = "starttls",
    [ST_TLS] = "tls",
    [ST_EHLO2] = "ehlo2",
    [ST_AUTH] = "auth",
    [ST_AUTH_USER] = "auth-user",
    [ST_AUTH_PASS] = "auth-pass",
    [ST_MAIL] = "mail",
    [ST_RCPT] = "rcpt",
    [ST_DATA] = "data",
    [ST_DOT] = "dot",
    [ST_QUIT] = "quit",
    [ST_DONE] = "done",
};

/* the stage a result names, per state */
static const char *const stage_names[ST__COUNT] = {
    [ST_CONNECT] = "connect", [ST_TLS_FIRST] = "tls",  [ST_BANNER] = "banner",
    [ST_EHLO] = "ehlo",       [ST_HELO] = "ehlo",      [ST_STARTTLS] = "starttls",
    [ST_TLS] = "tls",         [ST_EHLO2] = "ehlo",     [ST_AUTH] = "auth",
    [ST_AUTH_USER] = "auth",  [ST_AUTH_PASS] = "auth", [ST_MAIL] = "mail",
    [ST_RCPT] = "rcpt",       [ST_DATA] = "data",      [ST_DOT] = "dot",
    [ST_QUIT] = "quit",       [ST_DONE] = "quit",
};

struct submit {
	const struct submit_config *cfg;
	enum sstate state;
	struct dbuf out;
	struct dbuf transcript;
	struct submit_result res;
	struct submit_rcpt *rcpt;
	size_t next_rcpt;
	int tls_active;
	int login;           /* AUTH LOGIN in progress */
	struct ehlo_info ei; /* the last EHLO answer */
};

/* submit_enter - the only writer of s->state */
static void submit_enter(struct submit *s, enum sstate next)
{
	rw_debug("submit state=%s -> %s", state_names[s->state], state_names[next]);
	s->state = next;
}

/* note - one transcript line (bounded: the cap drops the rest) */
static void note(struct submit *s, const char *who, const char *text, size_t len)
{
	dbuf_adds(&s->transcript, who);
	dbuf_add(&s->transcript, text, len);
	dbuf_adds(&s->transcript, "\n");
}

/* cmd - write one command line and note it (secret: note a placeholder) */
static enum submit_action cmd(struct submit *s, enum sstate next, const char *secret_note,
                              const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum submit_action cmd(struct submit *s, enum sstate next, const char *secret_note,
                              const char *fmt, ...)
{
	size_t start = s->out.len;
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	dbuf_adds(&s->out, line);
	dbuf_adds(&s->out, "\r\n");
	if (secret_note)
		note(s, "C: ", secret_note, strlen(secret_note));
	else
		note(s, "C: ", s->out.data + start, strlen(line));
	free(line);
	submit_enter(s, next);
	return SUBMIT_SEND;
}

/* set_text - the result's text: a reply's lines joined by spaces */
static void set_text(char *dst, size_t n, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i]; i++)
		dst[i] = src[i] == '\n' || src[i] == '\r' ? ' ' : src[i];
	dst[i] = '\0';
}

/* decide - the outcome, once: later events never change it */
static void decide(struct submit *s, enum submit_outcome o, int code, const char *esc,
                   const char *text)
{
	if (s->res.outcome != SUBMIT_PENDING)
		return;
	s->res.outcome = o;
	s->res.stage = stage_names[s->state];
	s->res.code = code;
	snprintf(s->res.esc, sizeof(s->res.esc), "%s", esc ? esc : "");
	set_text(s->res.text, sizeof(s->res.text), text ? text : "");
}

/* quit - the outcome is known: say goodbye, finish on the answer */
static enum submit_action quit(struct submit *s)
{
	return cmd(s, ST_QUIT, NULL, "QUIT");
}

/* fail_reply - a refusal decides: 4xx temporary, anything else permanent */
static enum submit_action fail_reply(struct submit *s, const struct reply *r)
{
	decide(s, r->code >= 400 && r->code < 500 ? SUBMIT_TEMPFAIL : SUBMIT_PERMFAIL, r->code,
	       r->esc, r->text);
	return quit(s);
}

/* fail_local - our own policy stops the session (temporary: config or server may change) */
static enum submit_action fail_local(struct submit *s, const char *why)
{
	decide(s, SUBMIT_TEMPFAIL, 0, "", why);
	return quit(s);
}

static enum submit_action start_mail(struct submit *s)
{
	return cmd(s, ST_MAIL, NULL, "MAIL FROM:<%s>", s->cfg->mail_from);
}

/* mech_offered - the word w in the EHLO AUTH list */
static int mech_offered(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = list; (p = strcasestr(p, w)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return 1;
	return 0;
}

/* start_auth - AUTH PLAIN (initial response) or AUTH LOGIN */
static enum submit_action start_auth(struct submit *s, const struct ehlo_info *ei)
{
	const struct submit_config *c = s->cfg;
	const char *mech = c->auth_mech;
	struct dbuf b;
	enum submit_action a;

	if (!s->tls_active && !c->auth_plaintext_ok)
		return fail_local(s, "AUTH over plain text refused by policy (no TLS)");
	if (!(ei->caps & EHLO_AUTH))
		return fail_local(s, "credentials configured but the server offers no AUTH");
	if (mech == NULL)
		mech = mech_offered(ei->auth, "PLAIN")   ? "PLAIN"
		       : mech_offered(ei->auth, "LOGIN") ? "LOGIN"
		                                         : NULL;
	else if (!mech_offered(ei->auth, mech))
		mech = NULL;
	if (mech == NULL)
		return fail_local(s, "no common AUTH mechanism (we speak PLAIN and LOGIN)");
	if (strcasecmp(mech, "LOGIN") == 0) {
		s->login = 1;
		return cmd(s, ST_AUTH, NULL, "AUTH LOGIN");
	}
	/* RFC 4616: authzid NUL authcid NUL passwd */
	dbuf_init(&b, 0);
	dbuf_addc(&b, '\0');
	dbuf_adds(&b, c->user);
	dbuf_addc(&b, '\0');
	dbuf_adds(&b, c->pass ? c->pass : "");
	{
		struct dbuf e;
		dbuf_init(&e, 0);
		mailmsg_base64(&e, b.data, b.len);
		a = cmd(s, ST_AUTH, "AUTH PLAIN <credentials>", "AUTH PLAIN %s", dbuf_str(&e));
		dbuf_free(&e);
	}
	dbuf_free(&b);
	return a;
}

/* b64_cmd - one LOGIN response line, its note a placeholder */
static enum submit_action b64_cmd(struct submit *s, enum sstate next, const char *v,
                                  const char *what)
{
	struct dbuf e;
	enum submit_action a;

	dbuf_init(&e, 0);
	mailmsg_base64(&e, v, strlen(v));
	a = cmd(s, next, what, "%s", dbuf_str(&e));
	dbuf_free(&e);
	return a;
}

/* after_ehlo - STARTTLS, AUTH or MAIL, by policy and what was offered */
static enum submit_action after_ehlo(struct submit *s, const struct ehlo_info *ei)
{
	const struct submit_config *c = s->cfg;

	if (!s->tls_active && c->tls != SUBMIT_TLS_NEVER && (ei->caps & EHLO_STARTTLS))
		return cmd(s, ST_STARTTLS, NULL, "STARTTLS");
	if (!s->tls_active && c->tls == SUBMIT_TLS_REQUIRE)
		return fail_local(s, "TLS required but STARTTLS not offered");
	if (c->user && !s->res.authenticated)
		return start_auth(s, ei);
	return start_mail(s);
}

/* queue_id - "queued as X" (Postfix, Exim's "id=X", or the whole text) */
static void queue_id(char *dst, size_t n, const char *text)
{
	static const char *const marks[] = {"queued as ", "id=", "queued as: "};
	const char *p;

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		if ((p = strcasestr(text, marks[i])) != NULL) {
			size_t k = 0;
			p += strlen(marks[i]);
			while (k + 1 < n && p[k] && p[k] != ' ' && p[k] != '\n' && p[k] != '>')
				dst[k] = p[k], k++;
			dst[k] = '\0';
			if (k)
				return;
		}
	}
	set_text(dst, n, text);
}

static enum submit_action next_rcpt(struct submit *s)
{
	const struct submit_config *c = s->cfg;

	if (s->next_rcpt < c->nrcpt)
		return cmd(s, ST_RCPT, NULL, "RCPT TO:<%s>", c->rcpt[s->next_rcpt]);
	if (s->res.naccepted > 0)
		return cmd(s, ST_DATA, NULL, "DATA");
	return quit(s); /* decided at the last refusal */
}

/* on_rcpt - one recipient's answer; the last refusal decides when none is left */
static enum submit_action on_rcpt(struct submit *s, const struct reply *r)
{
	struct submit_rcpt *rc = &s->rcpt[s->next_rcpt++];
	int any_temp = 0;

	rc->code = r->code;
	if (r->code >= 200 && r->code < 300) {
		s->res.naccepted++;
	} else {
		s->res.nrefused++;
		set_text(rc->text, sizeof(rc->text), r->text);
		if (s->next_rcpt == s->cfg->nrcpt && s->res.naccepted == 0) {
			for (size_t i = 0; i < s->cfg->nrcpt; i++)
				if (s->rcpt[i].code >= 400 && s->rcpt[i].code < 500)
					any_temp = 1;
			decide(s, any_temp ? SUBMIT_TEMPFAIL : SUBMIT_PERMFAIL, r->code, r->esc,
			       r->text);
		}
	}
	return next_rcpt(s);
}

/* submit_on_reply - judge a whole reply in the current state */
enum submit_action submit_on_reply(struct submit *s, const struct reply *r)
{
	struct ehlo_info ei;
	int ok = r->code >= 200 && r->code < 300;
	char line[8];

	snprintf(line, sizeof(line), "%d ", r->code);
	dbuf_adds(&s->transcript, "S: ");
	dbuf_adds(&s->transcript, line);
	note(s, "", r->text, r->len);
	switch (s->state) {
	case ST_BANNER:
		return ok ? cmd(s, ST_EHLO, NULL, "EHLO %s", s->cfg->helo) : fail_reply(s, r);
	case ST_EHLO:
	case ST_EHLO2:
		if (ok) {
			memset(&s->ei, 0, sizeof(s->ei));
			ehlo_parse(r, &s->ei);
			return after_ehlo(s, &s->ei);
		}
		/* an old server: HELO, unless we need what only EHLO offers */
		if (s->state == ST_EHLO && r->code >= 500 && s->cfg->tls != SUBMIT_TLS_REQUIRE &&
		    s->cfg->user == NULL)
			return cmd(s, ST_HELO, NULL, "HELO %s", s->cfg->helo);
		return fail_reply(s, r);
	case ST_HELO:
		if (!ok)
			return fail_reply(s, r);
		memset(&ei, 0, sizeof(ei));
		return after_ehlo(s, &ei);
	case ST_STARTTLS:
		if (r->code == 220) {
			submit_enter(s, ST_TLS);
			return SUBMIT_STARTTLS;
		}
		if (s->cfg->tls == SUBMIT_TLS_REQUIRE)
			return fail_reply(s, r);
		/* refused while only opportunistic: go on in plain text */
		s->ei.caps &= ~(unsigned)EHLO_STARTTLS;
		return after_ehlo(s, &s->ei);
	case ST_AUTH:
		if (s->login && r->code == 334)
			return b64_cmd(s, ST_AUTH_USER, s->cfg->user, "<user name>");
		if (!s->login && r->code == 235) {
			s->res.authenticated = 1;
			return start_mail(s);
		}
		return fail_reply(s, r);
	case ST_AUTH_USER:
		if (r->code == 334)
			return b64_cmd(s, ST_AUTH_PASS, s->cfg->pass ? s->cfg->pass : "",
			               "<password>");
		return fail_reply(s, r);
	case ST_AUTH_PASS:
		if (r->code == 235) {
			s->res.authenticated = 1;
			return start_mail(s);
		}
		return fail_reply(s, r);
	case ST_MAIL:
		return ok ? next_rcpt(s) : fail_reply(s, r);
	case ST_RCPT:
		return on_rcpt(s, r);
	case ST_DATA:
		if (r->code != 354)
			return fail_reply(s, r);
		submit_dot_stuff(&s->out, s->cfg->data, s->cfg->data_len);
		dbuf_printf(&s->transcript, "C: <message, %zu octets>\nC: .\n", s->cfg->data_len);
		submit_enter(s, ST_DOT);
		return SUBMIT_SEND;
	case ST_DOT:
		if (!ok)
			return fail_reply(s, r);
		decide(s, SUBMIT_SENT, r->code, r->esc, r->text);
		queue_id(s->res.queue_id, sizeof(s->res.queue_id), r->text);
		return quit(s);
	case ST_QUIT:
		submit_enter(s, ST_DONE);
		return SUBMIT_FINISH;
	case ST_CONNECT:
	case ST_TLS_FIRST:
	case ST_TLS:
	case ST_DONE:
	case ST__COUNT:
		break;
	}
	/* bytes where none were asked for (e.g. before the TLS handshake) */
	decide(s, SUBMIT_TEMPFAIL, r->code, r->esc, "unexpected reply");
	submit_enter(s, ST_DONE);
	return SUBMIT_FINISH;
}

/* submit_on_connect - TCP is up: TLS first (465) or wait for the banner */
enum submit_action submit_on_connect(struct submit *s)
{
	if (s->state != ST_CONNECT)
		rw_panic("%s: connect in state %s", __func__, state_names[s->state]);
	if (s->cfg->implicit_tls) {
		submit_enter(s, ST_TLS_FIRST);
		return SUBMIT_STARTTLS;
	}
	submit_enter(s, ST_BANNER);
	return SUBMIT_READ;
}

/* submit_on_tls - the handshake's end: banner (465) or EHLO again */
enum submit_action submit_on_tls(struct submit *s, int ok, const char *text)
{
	if (!ok) {
		decide(s, SUBMIT_TEMPFAIL, 0, "", text ? text : "TLS handshake failed");
		submit_enter(s, ST_DONE);
		return SUBMIT_FINISH;
	}
	s->tls_active = s->res.tls = 1;
	snprintf(s->res.tls_version, sizeof(s->res.tls_version), "%s", text ? text : "");
	note(s, "-- TLS ", s->res.tls_version, strlen(s->res.tls_version));
	if (s->state == ST_TLS_FIRST) {
		submit_enter(s, ST_BANNER);
		return SUBMIT_READ;
	}
	return cmd(s, ST_EHLO2, NULL, "EHLO %s", s->cfg->helo);
}

/* submit_on_failure - the transport broke: temporary, unless already decided */
enum submit_action submit_on_failure(struct submit *s, enum submit_failure f, const char *detail)
{
	static const char *const what[] = {
	    [SUBMIT_FAIL_CONNECT] = "connect",
	    [SUBMIT_FAIL_EOF] = "connection closed",
	    [SUBMIT_FAIL_TIMEOUT] = "timeout",
	    [SUBMIT_FAIL_PROTOCOL] = "protocol error",
	};
	char t[256];

	snprintf(t, sizeof(t), "%s: %s", what[f], detail ? detail : "");
	note(s, "-- ", t, strlen(t));
	if (s->state == ST_DOT && s->res.outcome == SUBMIT_PENDING)
		s->res.maybe_sent = 1;
	decide(s, SUBMIT_TEMPFAIL, 0, "", t);
	submit_enter(s, ST_DONE);
	return SUBMIT_FINISH;
}

/* submit_dot_stuff - RFC 5321 4.5.2 transparency, CRLF everywhere, final dot */
void submit_dot_stuff(struct dbuf *out, const char *data, size_t len)
{
	int bol = 1;

	for (size_t i = 0; i < len; i++) {
		char c = data[i];

		if (bol && c == '.')
			dbuf_addc(out, '.');
		bol = 0;
		if (c == '\r' || c == '\n') {
			if (c == '\r' && i + 1 < len && data[i + 1] == '\n')
				i++;
			dbuf_adds(out, "\r\n");
			bol = 1;
			continue;
		}
		dbuf_addc(out, c);
	}
	if (!bol)
		dbuf_adds(out, "\r\n");
	dbuf_adds(out, ".\r\n");
}

/* submit_new - check the configuration, prepare the recipients' slots */
struct submit *submit_new(const struct submit_config *cfg, char *err, size_t errlen)
{
	struct submit *s;

	if (cfg->nrcpt == 0 || cfg->nrcpt > RW_MAIL_RCPT_MAX) {
		snprintf(err, errlen, "want 1 to %d recipients, got %zu", RW_MAIL_RCPT_MAX,
		         cfg->nrcpt);
		return NULL;
	}
	if (cfg->user && cfg->tls == SUBMIT_TLS_NEVER && !cfg->implicit_tls &&
	    !cfg->auth_plaintext_ok) {
		snprintf(err, errlen, "AUTH without TLS is refused unless explicitly allowed");
		return NULL;
	}
	if (cfg->auth_mech && strcasecmp(cfg->auth_mech, "PLAIN") != 0 &&
	    strcasecmp(cfg->auth_mech, "LOGIN") != 0) {
		snprintf(err, errlen, "AUTH mechanism %s: want PLAIN or LOGIN", cfg->auth_mech);
		return NULL;
	}
	for (size_t i = 0; i < cfg->nrcpt; i++)
		if (strpbrk(cfg->rcpt[i], "\r\n<> ") || cfg->rcpt[i][0] == '\0') {
			snprintf(err, errlen, "recipient %zu is not a bare address", i);
			return NULL;
		}
	if (strpbrk(cfg->mail_from, "\r\n<> ") || (cfg->helo && strpbrk(cfg->helo, "\r\n "))) {
		snprintf(err, errlen, "sender or HELO name holds a forbidden character");
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->cfg = cfg;
	s->state = ST_CONNECT;
	dbuf_init(&s->out, 0);
	dbuf_init(&s->transcript, RW_MAIL_TRANSCRIPT_MAX);
	s->rcpt = xcalloc(cfg->nrcpt, sizeof(*s->rcpt));
	for (size_t i = 0; i < cfg->nrcpt; i++)
		s->rcpt[i].addr = cfg->rcpt[i];
	s->res.outcome = SUBMIT_PENDING;
	s->res.stage = "connect";
	s->res.rcpt = s->rcpt;
	return s;
}

struct submit *submit_free(struct submit *s)
{
	if (s == NULL)
		return NULL;
	dbuf_free(&s->out);
	dbuf_free(&s->transcript);
	free(s->rcpt);
	free(s);
	return NULL;
}

struct dbuf *submit_output(struct submit *s)
{
	return &s->out;
}

/* submit_deadline_ms - the end of DATA may take longer than a command */
int submit_deadline_ms(const struct submit *s)
{
	return s->state == ST_DOT ? s->cfg->dot_timeout_ms : s->cfg->reply_timeout_ms;
}

int submit_wants_tls_first(const struct submit *s)
{
	return s->cfg->implicit_tls;
}

const struct submit_result *submit_result(const struct submit *s)
{
	return &s->res;
}

const char *submit_transcript(const struct submit *s)
{
	return dbuf_str(&s->transcript);
}

const char *submit_state_name(const struct submit *s)
{
	return state_names[s->state];
}

const char *submit_outcome_name(enum submit_outcome o)
{
	static const char *const names[] = {
	    [SUBMIT_PENDING] = "pending",
	    [SUBMIT_SENT] = "sent",
	    [SUBMIT_TEMPFAIL] = "tempfail",
	    [SUBMIT_PERMFAIL] = "permfail",
	};
	return names[o];
}
