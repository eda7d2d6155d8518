/*
 * NAME
 *	desk - the incident machine's decisions carried out on the store
 * SUMMARY
 *	complaints, sweep results, test results, timers and sent notices
 *	in; incident rows, events, notices and actions out, one batch each
 * SYNOPSIS
 *	struct desk *desk_new(struct store *st, const struct desk_config *cfg,
 *		char *err, size_t errlen);
 *	int desk_complaint(struct desk *d, int64_t complaint_id, long long now_ms,
 *		int64_t *incident);
 *	int desk_scan(struct desk *d, const struct target_result *r, long long now_ms,
 *		int64_t *incident);
 *	int desk_result(struct desk *d, int64_t incident_id,
 *		const struct target_result *r, long long now_ms);
 *	int desk_due(struct desk *d, long long now_ms, desk_test_fn *on_test, void *arg);
 *	int desk_scan_finding(struct desk *d, const struct desk_finding *f, long long now_ms,
                      int64_t *incident)
{
        struct ctx c = { .f = f };
        int64_t id = 0;
        int rv = apply(d, &id, f->addr, f->port ? f->port : 25, incident_event_for(f->verdict, 1),
                       &c, now_ms, NULL, NULL);

        if (incident)
                *incident = id;
        return rv < 0 ? -1 : rv == 2 ? 0 : 1;
}

int desk_result_finding(struct desk *d, int64_t incident_id, const struct desk_finding *f,
                        long long now_ms)
{
        struct ctx c = { .f = f };
        int64_t id = incident_id;

        if (incident_id <= 0)
                return fail(d, "incident %lld: no such incident", (long long)incident_id);
        int rv = apply(d, &id, NULL, 0, incident_event_for(f->verdict, 0), &c, now_ms, NULL, NULL);
        return rv < 0 ? -1 : rv == 1 ? 1 : 0;
}

int desk_notice_sent(struct desk *d, const struct store_outbox *m, long long now_ms);
 * DESCRIPTION
 *	Each entry point runs apply(): the machine's struct (JSON in the
 *	incident row, with the desk's own fields: the last verdict, a test
 *	handed out) is read, fed one event, and the incident update, its
 *	event, one event per action, the notices and the action requests are
 *	written in one batch (STORE_DURABLE when it blocks or unblocks). A
 *	stale rev (another writer) rolls back and applies again, at most
 *	DESK_RETRIES times. The Message-ID of a notice is
 *	<rw.INCIDENT.REV.INDEX.RCPT@DOMAIN>: a replay of the same step on the
 *	same revision queues the same id, which the outbox keeps once.
 *	The outbox body holds the whole composed message (mailmsg), CRLF.
 *	The machine JSON also keeps the incident's class, set when it opens
 *	from the result's probe (or the complaint's kind); a later result of
 *	the other class is fed as inconclusive, and desk_due hands each test
 *	out with the probe of its incident's class.
 * DIAGNOSTICS
 *	-1 with desk_error(); the store's text when the store failed.
 * LIMITS
 *	DESK_RETRIES, DESK_TEST_LEASE_MS, RW_STORE_PAGE_MAX incidents read
 *	per page when the ladder counts earlier incidents.
 * STANDARDS
 *	RFC 5322 3.6.4 (Message-ID).
 */
#include "desk.h"
#include "../core/dbuf.h"
#include "../core/xalloc.h"
#include <strings.h>
#include "evidence.h"
#include "incident.h"
#include "mailmsg.h"
#include "owner.h"
#include "../smtp/token.h"
#include "template.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* stale-rev retries of one step */
#define DESK_RETRIES 3

struct desk {
	struct store *st;
	struct policy policy;
	char *from, *domain, *operator_name, *noc, *incident_url, *retest_command;
	struct template *tpl[STEP__COUNT][RCPT__COUNT];
	struct token_key owner_key; /* with have_owner_key: {{owner_url}} */
	int have_owner_key;
	char err[512];
};

/* the machine and the desk's own facts, as kept in incidents.machine */
struct mstate {
	struct incident m;
	char klass[16]; /* DESK_CLASS_RELAY or DESK_CLASS_PROXY */
	char last_verdict[32];
	char last_reason[512];
	long long last_tested_ms;
	long long running_ms; /* a test handed out at, 0 none */
	json_t *evidence;     /* the notice variables of the last open or suspect
	                         result (evidence_vars), owned; NULL none */
};

/* what a step knows besides the incident: the notices' extra variables */
struct ctx {
	const struct target_result *r; /* a result at hand, or NULL ... */
	const struct desk_finding *f;  /* ... or as the store keeps it, or NULL */
	json_t *cur;                   /* its evidence variables (apply_once's) */
	const char *complainant;       /* this complaint's reporter, or NULL */
	long long complaint_ms;
	int64_t complaint_id;
	const char *user;  /* an operator command's: who */
	const char *text;  /* ... the note or the close reason */
	const char *why;   /* out: the machine's why when it ignored or rejected */
	const char *klass; /* the class the result or complaint is of; NULL: relay */
	int internal;      /* open from an internal vantage, ignored by the policy */
};

/* policy template name -> default file stem */
static const struct {
	const char *name, *file;
} tpl_alias[] = {
    {.name = "results", .file = "test-results"},
    {.name = "repaired", .file = "unblocked"},
    {.name = "isp-inbound-blocked", .file = "blocked"},
    {.name = "isp-unblocked", .file = "unblocked"},
    {.name = "isp-warning", .file = "escalation-warning"},
    {.name = "isp-suspended", .file = "escalation-suspension"},
    {.name = "isp-terminated", .file = "escalation-termination"},
};

/* fail - set the error text, return -1 */
static int fail(struct desk *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct desk *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int store_fail(struct desk *d, const char *what)
{
	return fail(d, "%s: %s", what, store_error(d->st));
}

static char *dupn(const char *s)
{
	return s != NULL && *s ? xstrdup(s) : NULL;
}

/* load_tpl - the file for (name, rcpt) by the lookup order of desk.h */
static struct template *load_tpl(const char *dir, const char *name, const char *rcpt, char *err,
                                 size_t errlen)
{
	const char *stems[2] = {name, NULL};
	char path[4096];

	for (size_t i = 0; i < sizeof(tpl_alias) / sizeof(tpl_alias[0]); i++)
		if (strcmp(tpl_alias[i].name, name) == 0)
			stems[1] = tpl_alias[i].file;
	for (int s = 0; s < 2 && stems[s] != NULL; s++) {
		for (int withr = 1; withr >= 0; withr--) {
			if (withr)
				snprintf(path, sizeof(path), "%s/%s-%s.tpl", dir, stems[s], rcpt);
			else
				snprintf(path, sizeof(path), "%s/%s.tpl", dir, stems[s]);
			FILE *f = fopen(path, "r");
			if (f == NULL)
				continue;
			fclose(f);
			return template_load(path, template_std_names(), err, errlen);
		}
	}
	snprintf(err, errlen, "%s: no template %s for %s (%s/%s.tpl)", dir, name, rcpt, dir, name);
	return NULL;
}

/* desk_new - check the From address, load every template the policy names */
struct desk *desk_new(struct store *st, const struct desk_config *cfg, char *err, size_t errlen)
{
	struct desk *d = xcalloc(1, sizeof(*d));
	char spec[RW_MAIL_ADDR_MAX + 1], one[512];
	const char *e, *at;
	struct dbuf problems;

	d->st = st;
	d->policy = *cfg->policy;
	dbuf_init(&problems, 0);
	if (cfg->from == NULL || (e = mailmsg_addr_spec(cfg->from, spec, sizeof(spec))) != NULL ||
	    (at = strrchr(spec, '@')) == NULL) {
		snprintf(err, errlen, "desk: the operator's From address is unusable");
		dbuf_free(&problems);
		return desk_free(d);
	}
	d->from = xstrdup(cfg->from);
	d->domain = xstrdup(at + 1);
	d->operator_name = dupn(cfg->operator_name);
	d->noc = dupn(cfg->noc);
	d->incident_url = dupn(cfg->incident_url);
	d->retest_command = dupn(cfg->retest_command);
	if (cfg->owner_key) {
		d->owner_key = *cfg->owner_key;
		d->have_owner_key = 1;
	}
	for (int s = 0; s < STEP__COUNT; s++)
		for (int r = 0; r < RCPT__COUNT; r++) {
			const char *name = d->policy.notify[s][r];
			if (*name == '\0')
				continue;
			d->tpl[s][r] =
			    load_tpl(cfg->template_dir, name, policy_rcpt_name((enum policy_rcpt)r),
			             one, sizeof(one));
			if (d->tpl[s][r] == NULL)
				dbuf_printf(&problems, "%s%s", problems.len ? "\n" : "", one);
		}
	if (problems.len) {
		snprintf(err, errlen, "%s", dbuf_str(&problems));
		dbuf_free(&problems);
		return desk_free(d);
	}
	dbuf_free(&problems);
	return d;
}

struct desk *desk_free(struct desk *d)
{
	if (d == NULL)
		return NULL;
	for (int s = 0; s < STEP__COUNT; s++)
		for (int r = 0; r < RCPT__COUNT; r++)
			template_free(d->tpl[s][r]);
	free(d->from);
	free(d->domain);
	free(d->operator_name);
	free(d->noc);
	free(d->incident_url);
	free(d->retest_command);
	free(d);
	return NULL;
}

const char *desk_error(const struct desk *d)
{
	return d->err;
}

/* machine JSON ------------------------------------------------------- */

static char *mstate_json(const struct mstate *s)
{
	const struct incident *m = &s->m;
	json_t *o = json_pack(
	    "{s:i, s:s, s:i, s:I, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i,"
	    " s:i, s:I, s:i, s:s}",
	    "v", DESK_MACHINE_VERSION, "state", incident_state_name(m->state), "prior", m->prior,
	    "trigger", (json_int_t)m->trigger, "complainant", m->complainant, "opened_ms",
	    (json_int_t)m->opened_ms, "confirmed_ms", (json_int_t)m->confirmed_ms, "notified_ms",
	    (json_int_t)m->notified_ms, "blocked_ms", (json_int_t)m->blocked_ms, "closed_ms",
	    (json_int_t)m->closed_ms, "deadline_ms", (json_int_t)m->deadline_ms, "test_at_ms",
	    (json_int_t)m->test_at_ms, "attempts", m->attempts, "suspects", m->suspects, "blocked",
	    (json_int_t)m->blocked, "level", (int)m->level, "close_reason", m->close_reason);
	json_object_set_new(o, "class", json_string(s->klass[0] ? s->klass : DESK_CLASS_RELAY));
	json_object_set_new(o, "last_verdict", json_string(s->last_verdict));
	json_object_set_new(o, "last_reason", json_string(s->last_reason));
	json_object_set_new(o, "last_tested_ms", json_integer(s->last_tested_ms));
	json_object_set_new(o, "running_ms", json_integer(s->running_ms));
	if (s->evidence)
		json_object_set(o, "evidence", s->evidence);
	char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (text == NULL)
		rw_panic("%s: json_dumps", __func__);
	return text;
}

static long long jint(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void jstr(json_t *o, const char *k, char *dst, size_t size)
{
	const char *v = json_string_value(json_object_get(o, k));
	snprintf(dst, size, "%s", v ? v : "");
}

/* mstate_clear - free what mstate_parse or apply_once gave s */
static void mstate_clear(struct mstate *s)
{
	json_decref(s->evidence);
	s->evidence = NULL;
}

/* mstate_parse - 0, or -1 when the text is not our JSON */
static int mstate_parse(const char *text, struct mstate *s)
{
	json_error_t je;
	json_t *o = json_loads(text ? text : "", 0, &je);
	char state[32];
	int found = 0;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(o) || jint(o, "v") < 1 || jint(o, "v") > DESK_MACHINE_VERSION) {
		json_decref(o);
		return -1;
	}
	jstr(o, "state", state, sizeof(state));
	for (int i = 0; i < IS__COUNT; i++)
		if (strcmp(state, incident_state_name((enum incident_state)i)) == 0) {
			s->m.state = (enum incident_state)i;
			found = 1;
		}
	s->m.prior = (int)jint(o, "prior");
	s->m.trigger = (unsigned)jint(o, "trigger");
	s->m.complainant = (int)jint(o, "complainant");
	s->m.opened_ms = jint(o, "opened_ms");
	s->m.confirmed_ms = jint(o, "confirmed_ms");
	s->m.notified_ms = jint(o, "notified_ms");
	s->m.blocked_ms = jint(o, "blocked_ms");
	s->m.closed_ms = jint(o, "closed_ms");
	s->m.deadline_ms = jint(o, "deadline_ms");
	s->m.test_at_ms = jint(o, "test_at_ms");
	s->m.attempts = (int)jint(o, "attempts");
	s->m.suspects = (int)jint(o, "suspects");
	s->m.blocked = (unsigned)jint(o, "blocked");
	s->m.level = (enum policy_level)jint(o, "level");
	if (s->m.level >= LEVEL__COUNT)
		found = 0;
	jstr(o, "close_reason", s->m.close_reason, sizeof(s->m.close_reason));
	jstr(o, "class", s->klass, sizeof(s->klass));
	if (strcmp(s->klass, DESK_CLASS_PROXY) != 0) /* version 1: relays only */
		snprintf(s->klass, sizeof(s->klass), "%s", DESK_CLASS_RELAY);
	jstr(o, "last_verdict", s->last_verdict, sizeof(s->last_verdict));
	jstr(o, "last_reason", s->last_reason, sizeof(s->last_reason));
	s->last_tested_ms = jint(o, "last_tested_ms");
	s->running_ms = jint(o, "running_ms");
	if (json_is_object(json_object_get(o, "evidence")))
		s->evidence = json_incref(json_object_get(o, "evidence"));
	json_decref(o);
	if (!found)
		mstate_clear(s);
	return found ? 0 : -1;
}

/* due - when desk_due should look at the incident again */
static long long due(const struct mstate *s)
{
	long long t = incident_next_due(&s->m);

	if (!incident_is_open(&s->m))
		return 0;
	if (s->running_ms) {
		long long lease = s->running_ms + DESK_TEST_LEASE_MS;
		long long dl = s->m.deadline_ms;
		t = dl && dl < lease ? dl : lease;
	}
	return t;
}

/* notices -------------------------------------------------------------- */

static void iso(char *buf, size_t size, long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0) {
		snprintf(buf, size, "%s", "");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm);
}

static void dur(char *buf, size_t size, long long ms)
{
	long long h = ms / 3600000;

	if (h >= 24 && h % 24 == 0)
		snprintf(buf, size, "%lld days", h / 24);
	else
		snprintf(buf, size, "%lld hours", h);
}

/* contact snapshot fields */
static void snap_get(const char *contact, const char *key, char *dst, size_t size)
{
	json_error_t je;
	json_t *o = json_loads(contact ? contact : "{}", 0, &je);

	jstr(o, key, dst, size);
	json_decref(o);
}

/* split_addrs - "a@x, b@y;c@z" into up to max pointers into buf */
static size_t split_addrs(char *buf, const char **v, size_t max)
{
	size_t n = 0;

	for (char *save = NULL, *t = strtok_r(buf, " ,;\t", &save); t != NULL && n < max;
	     t = strtok_r(NULL, " ,;\t", &save))
		v[n++] = t;
	return n;
}

/* rcpt_list - the recipients of rcpt for this incident into out (", "
 * separated); 0 when there is nobody */
static int rcpt_list(struct desk *d, const struct store_incident *row, enum policy_rcpt rcpt,
                     const struct ctx *c, struct dbuf *out)
{
	char emails[2048];

	dbuf_reset(out);
	switch (rcpt) {
	case RCPT_ADMIN:
		snap_get(row->contact, "emails", emails, sizeof(emails));
		dbuf_adds(out, emails);
		break;
	case RCPT_NOC:
		if (d->noc)
			dbuf_adds(out, d->noc);
		break;
	case RCPT_COMPLAINANT:
		if (c->complainant != NULL && *c->complainant) {
			dbuf_adds(out, c->complainant);
			break;
		}
		struct store_complaints l;
		if (store_complaints_for(d->st, row->id, &l) < 0)
			return -1;
		for (size_t i = 0; i < l.n; i++) {
			const char *rep = l.v[i].reporter;
			if (rep == NULL || *rep == '\0' || strstr(dbuf_str(out), rep) != NULL)
				continue;
			dbuf_printf(out, "%s%s", out->len ? ", " : "", rep);
		}
		store_complaints_free(&l);
		break;
	default:
		break;
	}
	return out->len ? 1 : 0;
}

static void set_vars(struct desk *d, struct template_vars *v, const struct store_incident *row,
                     const struct mstate *s, const struct ctx *c, enum policy_step step,
                     const char *rcpts)
{
	static const char *const retest_keys[] = {"verdict", "reason", "tested_at"};
	char buf[256], cname[256];
	int proxy = strcmp(s->klass, DESK_CLASS_PROXY) == 0;

	/* the repaired notice quotes, for the record, the relaying found
	 * before (the kept evidence) and says what the repairing retest
	 * found: that retest's own tests and transcript show only refusals */
	int record = step == STEP_REPAIRED && c->cur != NULL && s->evidence != NULL;
	const json_t *evo = record ? s->evidence : c->cur ? c->cur : s->evidence;
	if (evo != NULL) {
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)evo, k, x)
		    template_vars_set(v, k, json_string_value(x));
		for (size_t i = 0; record && i < sizeof(retest_keys) / sizeof(retest_keys[0]); i++)
			template_vars_set(
			    v, retest_keys[i],
			    json_string_value(json_object_get(c->cur, retest_keys[i])));
	} else {
		template_vars_set(v, "host.addr", row->addr);
		template_vars_setf(v, "host.port", "%u", row->port);
		template_vars_set(v, "verdict", s->last_verdict);
		template_vars_set(v, "reason", s->last_reason);
		iso(buf, sizeof(buf), s->last_tested_ms);
		template_vars_set(v, "tested_at", buf);
		if (d->retest_command)
			template_vars_set(v, "retest_command", d->retest_command);
		else
			template_vars_setf(v, "retest_command", "relaywatch test %s%s:%u",
			                   proxy ? "--proxy " : "", row->addr, row->port);
	}
	/* the incident's class wins over its evidence's (kept from before v2) */
	template_vars_set(v, "incident.class", s->klass);
	if (proxy)
		template_vars_set(v, "proxy", "yes");
	template_vars_setf(v, "incident.id", "%lld", (long long)row->id);
	/* a repair during the grace lifts no block: the notice says which */
	template_vars_set(v, "was_blocked", s->m.blocked_ms > 0 ? "yes" : NULL);
	iso(buf, sizeof(buf), s->m.opened_ms);
	template_vars_set(v, "incident.opened", buf);
	template_vars_set(v, "incident.state", incident_state_name(s->m.state));
	if (d->incident_url)
		template_vars_setf(v, "incident.url", "%s%lld", d->incident_url,
		                   (long long)row->id);
	if (d->incident_url && d->have_owner_key) {
		/* the console's own origin: scheme://host[:port] of incident_url */
		const char *o = strstr(d->incident_url, "://");
		size_t n = o ? (size_t)(o + 3 - d->incident_url) + strcspn(o + 3, "/")
		             : strlen(d->incident_url);
		char tok[OWNER_TOKEN_MAX];

		owner_token(&d->owner_key, row->id, tok);
		template_vars_setf(v, "owner_url", "%.*s/owner/%s", (int)n, d->incident_url, tok);
	}
	iso(buf, sizeof(buf), s->m.deadline_ms);
	template_vars_set(v, "deadline", buf);
	dur(buf, sizeof(buf), d->policy.grace_ms);
	/* an operator's block before the grace ended: no "after the grace" */
	if (!(s->m.state == IS_BLOCKED && s->m.blocked_ms &&
	      s->m.blocked_ms < s->m.notified_ms + d->policy.grace_ms))
		template_vars_set(v, "grace", buf);
	template_vars_set(v, "block.scope", policy_block_name(d->policy.block));
	template_vars_set(v, "operator", d->operator_name);
	template_vars_set(v, "abuse_contact", d->from);
	snap_get(row->contact, "customer", cname, sizeof(cname));
	template_vars_set(v, "contact.name", cname);
	snap_get(row->contact, "emails", buf, sizeof(buf));
	template_vars_set(v, "contact.email", buf);
	template_vars_set(v, "complainant", c->complainant);
	iso(buf, sizeof(buf), c->complaint_ms);
	template_vars_set(v, "complaint.received", buf);
	template_vars_set(v, "escalation.level", policy_level_name(s->m.level));
	template_vars_setf(v, "escalation.count", "%d", s->m.prior + 1);
	template_vars_set(v, "escalation.repeat", s->m.prior > 0 ? "yes" : NULL);
	dur(buf, sizeof(buf), d->policy.window_ms);
	template_vars_set(v, "escalation.window", buf);
	(void)rcpts;
}

/* subject_of - the Subject header's value out of rendered header lines */
static void subject_of(const char *headers, char *dst, size_t size)
{
	const char *p = headers;

	*dst = '\0';
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n > 9 && strncasecmp(p, "Subject: ", 9) == 0) {
			snprintf(dst, size, "%.*s", (int)(n - 9), p + 9);
			return;
		}
		p = nl ? nl + 1 : NULL;
	}
}

/* notify - render, compose and queue one notice (inside the batch) */
static int notify(struct desk *d, const struct store_incident *row, const struct mstate *s,
                  const struct ctx *c, const struct incident_action *a, size_t idx, int64_t rev,
                  long long now)
{
	const struct template *t = d->tpl[a->step][a->rcpt];
	const char *rname = policy_rcpt_name(a->rcpt);
	struct dbuf rc, hdr, body, msg;
	struct template_vars *v;
	char msgid[256], subject[1024], errb[256], *copy;
	const char *to[RW_MAIL_RCPT_MAX];
	int rv = 0, who;

	dbuf_init(&rc, 0);
	if ((who = rcpt_list(d, row, a->rcpt, c, &rc)) <= 0 || t == NULL) {
		dbuf_free(&rc);
		if (who < 0)
			return store_fail(d, "complaints_for");
		struct store_event ev = {
		    .at_ms = now,
		    .kind = "notice-skipped",
		    .incident = row->id,
		};
		char det[256];
		snprintf(det, sizeof(det), "{\"step\":\"%s\",\"rcpt\":\"%s\",\"why\":\"%s\"}",
		         policy_step_name(a->step), rname,
		         t == NULL ? "no template" : "no recipient address");
		ev.detail = det;
		return store_event_add(d->st, &ev, NULL) < 0 ? store_fail(d, "event_add") : 0;
	}
	v = xmalloc(sizeof(*v));
	template_vars_init(v);
	set_vars(d, v, row, s, c, a->step, dbuf_str(&rc));
	dbuf_init(&hdr, 0);
	dbuf_init(&body, 0);
	dbuf_init(&msg, 0);
	template_render(t, template_vars_get, v, &hdr, &body);
	subject_of(dbuf_str(&hdr), subject, sizeof(subject));
	snprintf(msgid, sizeof(msgid), "<rw.%lld.%lld.%zu.%s@%s>", (long long)row->id,
	         (long long)rev, idx, rname, d->domain);
	copy = xstrdup(dbuf_str(&rc));
	size_t nto = split_addrs(copy, to, RW_MAIL_RCPT_MAX);
	struct mailmsg mm = {
	    .from = d->from,
	    .to = to,
	    .nto = nto,
	    .subject = subject,
	    .message_id = msgid,
	    .date = now / 1000,
	    .body = dbuf_str(&body),
	    .body_len = body.len,
	};
	if (mailmsg_compose(&mm, &msg, errb, sizeof(errb)) != 0) {
		rv = fail(d, "incident %lld: notice %s to %s: %s", (long long)row->id,
		          policy_step_name(a->step), rname, errb);
	} else {
		struct store_outbox o = {
		    .incident = row->id,
		    .step = policy_step_name(a->step),
		    .rcpt = dbuf_str(&rc),
		    .subject = subject,
		    .body = dbuf_str(&msg),
		    .message_id = msgid,
		    .queued_ms = now,
		};
		if (store_outbox_queue(d->st, &o, NULL) < 0)
			rv = store_fail(d, "outbox_queue");
	}
	free(copy);
	dbuf_free(&rc);
	dbuf_free(&hdr);
	dbuf_free(&body);
	dbuf_free(&msg);
	template_vars_clear(v);
	free(v);
	return rv;
}

static const char *what_name(unsigned what)
{
	switch (what & (POLICY_BLOCK_INBOUND | POLICY_BLOCK_OUTBOUND)) {
	case POLICY_BLOCK_INBOUND:
		return "inbound";
	case POLICY_BLOCK_OUTBOUND:
		return "outbound";
	case POLICY_BLOCK_INBOUND | POLICY_BLOCK_OUTBOUND:
		return "both";
	default:
		return "";
	}
}

/* carry_out - one action, inside the batch; its audit event too */
static int carry_out(struct desk *d, const struct store_incident *row, const struct mstate *s,
                     const struct ctx *c, const struct incident_action *a, size_t idx, int64_t rev,
                     long long now)
{
	struct store_action req = {.incident = row->id, .addr = row->addr, .requested_ms = now};
	struct store_event ev = {
	    .incident = row->id, .at_ms = now, .kind = incident_act_name(a->kind)};
	json_t *o = json_object();

	switch (a->kind) {
	case ACT_NOTIFY:
		json_object_set_new(o, "step", json_string(policy_step_name(a->step)));
		json_object_set_new(o, "rcpt", json_string(policy_rcpt_name(a->rcpt)));
		json_object_set_new(o, "template", json_string(a->tmpl));
		break;
	case ACT_TEST:
	case ACT_DEADLINE:
		json_object_set_new(o, "at_ms", json_integer(a->at_ms));
		break;
	case ACT_BLOCK:
	case ACT_UNBLOCK:
		req.kind = a->kind == ACT_BLOCK ? "block" : "unblock";
		req.what = what_name(a->what);
		json_object_set_new(o, "what", json_string(req.what));
		break;
	case ACT_ESCALATE:
		ev.kind = STORE_EVENT_ESCALATE;
		json_object_set_new(o, "level", json_string(policy_level_name(a->level)));
		if (a->level == LEVEL_SUSPEND)
			req.kind = "suspend";
		else if (a->level == LEVEL_TERMINATE)
			req.kind = "terminate";
		req.what = "";
		break;
	case ACT_CLOSE:
		json_object_set_new(o, "reason", json_string(a->reason));
		break;
	default:
		break;
	}
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	ev.detail = text ? text : "{}";
	int added = store_event_add(d->st, &ev, NULL);
	free(text);
	if (added < 0)
		return store_fail(d, "event_add");
	if (req.kind != NULL && store_action_add(d->st, &req, NULL) < 0)
		return store_fail(d, "action_add");
	if (a->kind == ACT_NOTIFY)
		return notify(d, row, s, c, a, idx, rev, now);
	return 0;
}

/* the step ------------------------------------------------------------- */

/* count_prior - earlier incidents of addr confirmed within the window */
static int count_prior(struct desk *d, const char *addr, long long now, int *n)
{
	struct store_page pg = {.limit = RW_STORE_PAGE_MAX, .offset = 0};
	long long since = now - d->policy.window_ms;

	*n = 0;
	for (;;) {
		struct store_incidents l;
		if (store_incidents_of(d->st, addr, &pg, &l) < 0)
			return store_fail(d, "incidents_of");
		for (size_t i = 0; i < l.n; i++) {
			struct mstate s;
			if (mstate_parse(l.v[i].machine, &s) < 0)
				continue;
			if (s.m.confirmed_ms > 0 && s.m.confirmed_ms >= since)
				(*n)++;
			mstate_clear(&s);
		}
		size_t got = l.n;
		store_incidents_free(&l);
		if (got < (size_t)pg.limit)
			return 0;
		pg.offset += pg.limit;
	}
}

static char *contact_snapshot(struct desk *d, const char *addr)
{
	struct store_contact c;
	int r = store_contact_for(d->st, addr, &c);
	json_t *o;
	char *text;

	if (r <= 0)
		return xstrdup("{}");
	o = json_pack("{s:s, s:s, s:s, s:s, s:b}", "netblock", c.netblock ? c.netblock : "",
	              "customer", c.customer ? c.customer : "", "account",
	              c.account ? c.account : "", "emails", c.emails ? c.emails : "", "noc", c.noc);
	store_contact_clear(&c);
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text ? text : xstrdup("{}");
}

/* jtext - a JSON string of any bytes: invalid UTF-8 bytes as \\xNN */
static json_t *jtext(const char *str)
{
	json_t *j = json_string(str ? str : "");
	struct dbuf b;

	if (j != NULL)
		return j;
	dbuf_init(&b, 0);
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		if (*p < 0x80)
			dbuf_add(&b, p, 1);
		else
			dbuf_printf(&b, "\\x%02x", *p);
	}
	j = json_string(dbuf_str(&b));
	dbuf_free(&b);
	return j ? j : json_string("");
}

/* the result at hand, whichever form it came in */
static int ctx_has_result(const struct ctx *c)
{
	return c->r != NULL || c->f != NULL;
}

static enum verdict ctx_verdict(const struct ctx *c)
{
	return c->r ? c->r->verdict : c->f->verdict;
}

static const char *ctx_reason(const struct ctx *c)
{
	const char *r = c->r ? c->r->reason : c->f->reason;
	return r ? r : "";
}

/* finding_class - a stored result's class: its probe, else its evidence's */
static const char *finding_class(const struct desk_finding *f)
{
	const char *probe = f->probe;
	json_t *o = NULL;
	int proxy;

	if (probe == NULL && f->evidence != NULL) {
		json_error_t je;
		o = json_loads(f->evidence, 0, &je);
		probe = json_string_value(json_object_get(o, "probe"));
	}
	proxy = probe != NULL && strcmp(probe, "proxy") == 0;
	json_decref(o);
	return proxy ? DESK_CLASS_PROXY : DESK_CLASS_RELAY;
}

const char *desk_class_probe(const char *klass)
{
	return klass && strcmp(klass, DESK_CLASS_PROXY) == 0 ? "proxy" : "smtp";
}

const char *desk_machine_class(const char *machine)
{
	struct mstate s;

	if (mstate_parse(machine, &s) < 0)
		return DESK_CLASS_RELAY;
	mstate_clear(&s);
	return strcmp(s.klass, DESK_CLASS_PROXY) == 0 ? DESK_CLASS_PROXY : DESK_CLASS_RELAY;
}

/* other_event - a result of another class than the incident's: inconclusive */
static enum incident_event other_event(enum incident_event ev)
{
	switch (ev) {
	case EV_SCAN_OPEN:
	case EV_SCAN_SUSPECT:
	case EV_SCAN_CLEAN:
		return EV_SCAN_OTHER;
	case EV_TEST_OPEN:
	case EV_TEST_SUSPECT:
	case EV_TEST_CLEAN:
		return EV_TEST_OTHER;
	default:
		return ev;
	}
}

/* ctx_evidence - the result's notice variables as a JSON object (owned) */
static json_t *ctx_evidence(const struct desk *d, const struct ctx *c)
{
	struct template_vars *v = xmalloc(sizeof(*v));
	json_t *o = json_object();

	template_vars_init(v);
	if (c->r)
		evidence_vars(v, c->r, d->retest_command);
	else if (evidence_vars_json(v, c->f->evidence, d->retest_command) < 0) {
		/* no usable evidence document: what the store row says */
		template_vars_set(v, "host.addr", c->f->addr);
		template_vars_setf(v, "host.port", "%u", c->f->port);
		template_vars_set(v, "verdict", verdict_name(c->f->verdict));
		template_vars_set(v, "reason", ctx_reason(c));
	}
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i].value)
			json_object_set_new(o, v->v[i].name, json_string(v->v[i].value));
	template_vars_clear(v);
	free(v);
	return o;
}

/* apply_once - one attempt: 1 applied, 0 ignored/rejected (recorded), 2
 * not opened (nothing written), 3 stale (rolled back: try again), -1 */
static int apply_once(struct desk *d, int64_t *id, const char *addr, unsigned port,
                      enum incident_event ev, struct ctx *c, long long now,
                      void (*prep)(struct mstate *, void *), void *prep_arg)
{
	struct store_incident row;
	struct mstate s;
	struct incident_out out;
	int found, rv = -1, opening = 0;
	char *machine = NULL, *contact = NULL, *det = NULL;

	memset(&row, 0, sizeof(row));
	memset(&s, 0, sizeof(s));
	if (*id > 0)
		found = store_incident_get(d->st, *id, &row);
	else
		found = store_incident_open_for(d->st, addr, port, &row);
	if (found < 0)
		return store_fail(d, "incident read");
	if (found == 0 && *id > 0)
		return fail(d, "incident %lld: no such incident", (long long)*id);
	if (found) {
		if (mstate_parse(row.machine, &s) < 0) {
			fail(d, "incident %lld: machine state unreadable", (long long)row.id);
			goto out;
		}
	} else {
		int prior;
		if (count_prior(d, addr, now, &prior) < 0)
			goto out;
		memset(&s, 0, sizeof(s));
		incident_init(&s.m, prior);
		opening = 1;
	}
	const char *klass = c->klass ? c->klass : DESK_CLASS_RELAY;
	int mismatch = 0;
	if (opening)
		snprintf(s.klass, sizeof(s.klass), "%s", klass);
	else if (ctx_has_result(c) && strcmp(s.klass, klass) != 0) {
		/* e.g. an smtp result of the port of an open proxy: no proof either way */
		mismatch = 1;
		ev = other_event(ev);
	}
	if (prep)
		prep(&s, prep_arg);
	incident_on_event(&s.m, &d->policy, ev, c->text, now, &out);
	if (opening && !incident_is_open(&s.m)) {
		rv = 2;
		goto out;
	}
	if (ctx_has_result(c)) {
		enum verdict vd = ctx_verdict(c);
		snprintf(s.last_verdict, sizeof(s.last_verdict), "%s", verdict_name(vd));
		snprintf(s.last_reason, sizeof(s.last_reason), "%s", ctx_reason(c));
		s.last_tested_ms = now;
		s.running_ms = 0;
		c->cur = ctx_evidence(d, c);
		if ((vd == V_OPEN || vd == V_SUSPECT) && !mismatch) {
			json_decref(s.evidence);
			s.evidence = json_incref(c->cur);
		}
	}
	machine = mstate_json(&s);
	{
		json_t *o = json_pack("{s:s, s:s, s:s}", "outcome",
		                      out.outcome == IO_APPLIED   ? "applied"
		                      : out.outcome == IO_IGNORED ? "ignored"
		                                                  : "rejected",
		                      "from", incident_state_name(out.from), "to",
		                      incident_state_name(out.to));
		if (out.why)
			json_object_set_new(o, "why", json_string(out.why));
		if (c->complaint_id)
			json_object_set_new(o, "complaint", json_integer(c->complaint_id));
		if (c->user)
			json_object_set_new(o, "user", jtext(c->user));
		if (c->text)
			json_object_set_new(o, "text", jtext(c->text));
		if (ctx_has_result(c)) {
			json_object_set_new(o, "verdict",
			                    json_string(verdict_name(ctx_verdict(c))));
			json_object_set_new(o, "reason", jtext(ctx_reason(c)));
			if (mismatch)
				json_object_set_new(o, "class", json_string(klass));
			if (c->f && c->f->vantage && *c->f->vantage)
				json_object_set_new(o, "vantage", jtext(c->f->vantage));
			if (c->internal)
				json_object_set_new(o, "ignored",
				                    json_string("open from an internal vantage: "
				                                "internal_open = ignore"));
		}
		det = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		if (det == NULL)
			det = xstrdup("{}");
	}
	struct store_event e = {.at_ms = now, .kind = incident_event_name(ev), .detail = det};
	unsigned flags = 0;
	for (size_t i = 0; i < out.n; i++)
		if (out.act[i].kind == ACT_BLOCK || out.act[i].kind == ACT_UNBLOCK)
			flags |= STORE_DURABLE;
	if (store_batch_begin(d->st, flags) < 0) {
		store_fail(d, "batch_begin");
		goto out;
	}
	int64_t rev = row.rev;
	struct store_incident w = row; /* row's strings stay row's */
	if (opening) {
		contact = contact_snapshot(d, addr);
		w.addr = addr;
		w.port = port;
		w.policy = d->policy.name;
		w.contact = contact;
		w.opened_ms = now;
	}
	w.state = incident_state_name(s.m.state);
	w.updated_ms = now;
	w.closed_ms = incident_is_open(&s.m) ? 0 : (s.m.closed_ms ? s.m.closed_ms : now);
	w.machine = machine;
	w.due_ms = due(&s);
	w.level = (int)s.m.level;
	if (opening) {
		int64_t nid;
		int r = store_incident_open(d->st, &w, &e, &nid);
		if (r <= 0) {
			store_batch_abort(d->st);
			rv = r < 0 ? store_fail(d, "incident_open") : 3; /* opened meanwhile */
			goto out;
		}
		w.id = nid;
	} else {
		int r = store_incident_update(d->st, &w, &e);
		if (r <= 0) {
			store_batch_abort(d->st);
			rv = r < 0 ? store_fail(d, "incident_update") : 3;
			goto out;
		}
	}
	*id = w.id;
	if (c->complaint_id && store_complaint_attach(d->st, c->complaint_id, w.id) < 0) {
		store_fail(d, "complaint_attach");
		store_batch_abort(d->st);
		goto out;
	}
	for (size_t i = 0; i < out.n; i++)
		if (carry_out(d, &w, &s, c, &out.act[i], i, rev, now) < 0) {
			store_batch_abort(d->st);
			goto out;
		}
	if (store_batch_commit(d->st) < 0) {
		store_fail(d, "batch_commit");
		goto out;
	}
	rv = out.outcome == IO_APPLIED ? 1 : 0;
	c->why = out.why;
out:
	if (found)
		store_incident_clear(&row);
	mstate_clear(&s);
	json_decref(c->cur);
	c->cur = NULL;
	free(machine);
	free(det);
	free(contact);
	return rv;
}

static int apply(struct desk *d, int64_t *id, const char *addr, unsigned port,
                 enum incident_event ev, struct ctx *c, long long now,
                 void (*prep)(struct mstate *, void *), void *prep_arg)
{
	for (int i = 0; i < DESK_RETRIES; i++) {
		int r = apply_once(d, id, addr, port, ev, c, now, prep, prep_arg);
		if (r != 3)
			return r;
	}
	return fail(d, "incident %lld: changed under us %d times", (long long)*id, DESK_RETRIES);
}

/* entry points --------------------------------------------------------- */

int desk_complaint(struct desk *d, int64_t complaint_id, long long now_ms, int64_t *incident)
{
	struct store_complaints l;
	const struct store_complaint *cp = NULL;
	int64_t id = 0;
	int r;

	int g = store_complaint_get(d->st, complaint_id, &l);
	if (g < 0)
		return store_fail(d, "complaint_get");
	if (g == 0)
		return fail(d, "complaint %lld: no such complaint", (long long)complaint_id);
	cp = &l.v[0];
	struct ctx c = {.complainant = cp->reporter,
	                .complaint_ms = cp->received_ms,
	                .complaint_id = complaint_id,
	                .klass = cp->kind && strcasestr(cp->kind, "proxy") ? DESK_CLASS_PROXY
	                                                                   : DESK_CLASS_RELAY};
	r = apply(d, &id, cp->addr, cp->port ? cp->port : 25, EV_COMPLAINT, &c, now_ms, NULL, NULL);
	store_complaints_free(&l);
	if (incident)
		*incident = id;
	return r < 0 ? -1 : r == 2 ? 0 : 1;
}

/* scan_step, result_step - a sweep's or a test's result, in either form (c) */
static int scan_step(struct desk *d, struct ctx *c, const char *addr, unsigned port, enum verdict v,
                     long long now_ms, int64_t *incident)
{
	int64_t id = 0;
	int rv =
	    apply(d, &id, addr, port ? port : 25,
	          c->internal ? EV_SCAN_OTHER : incident_event_for(v, 1), c, now_ms, NULL, NULL);

	if (incident)
		*incident = id;
	return rv < 0 ? -1 : rv == 2 ? 0 : 1;
}

static int result_step(struct desk *d, struct ctx *c, int64_t incident_id, enum verdict v,
                       long long now_ms)
{
	int64_t id = incident_id;

	if (incident_id <= 0)
		return fail(d, "incident %lld: no such incident", (long long)incident_id);
	int rv = apply(d, &id, NULL, 0, incident_event_for(v, 0), c, now_ms, NULL, NULL);
	return rv < 0 ? -1 : rv == 1 ? 1 : 0;
}

struct desk_finding desk_finding_of(const struct store_result *r)
{
	enum verdict v = V_ERROR;

	for (int i = 0; i < V__COUNT; i++)
		if (r->verdict && strcmp(r->verdict, verdict_name((enum verdict)i)) == 0)
			v = (enum verdict)i;
	return (struct desk_finding){.addr = r->target,
	                             .port = r->port,
	                             .verdict = v,
	                             .reason = r->reason,
	                             .evidence = r->evidence,
	                             .probe = r->probe,
	                             .vantage = r->vantage};
}

const struct policy *desk_policy(const struct desk *d)
{
	return &d->policy;
}

int desk_scan(struct desk *d, const struct target_result *r, long long now_ms, int64_t *incident)
{
	struct ctx c = {.r = r};

	return scan_step(d, &c, r->addr, r->port, r->verdict, now_ms, incident);
}

int desk_result(struct desk *d, int64_t incident_id, const struct target_result *r,
                long long now_ms)
{
	struct ctx c = {.r = r};

	return result_step(d, &c, incident_id, r->verdict, now_ms);
}

int desk_scan_finding(struct desk *d, const struct desk_finding *f, long long now_ms,
                      int64_t *incident)
{
	struct ctx c = {.f = f, .klass = finding_class(f)};

	c.internal = (f->verdict == V_OPEN || f->verdict == V_SUSPECT) &&
	             d->policy.internal_ignore && policy_internal(&d->policy, f->vantage);
	return scan_step(d, &c, f->addr, f->port, f->verdict, now_ms, incident);
}

int desk_result_finding(struct desk *d, int64_t incident_id, const struct desk_finding *f,
                        long long now_ms)
{
	struct ctx c = {.f = f, .klass = finding_class(f)};

	return result_step(d, &c, incident_id, f->verdict, now_ms);
}

int desk_notice_sent(struct desk *d, const struct store_outbox *m, long long now_ms)
{
	struct ctx c = {0};
	int64_t id = m->incident;

	if (id <= 0 || m->step == NULL || strcmp(m->step, policy_step_name(STEP_CONFIRMED)) != 0 ||
	    m->message_id == NULL || strstr(m->message_id, ".admin@") == NULL)
		return 0;
	int rv = apply(d, &id, NULL, 0, EV_NOTICE_SENT, &c, now_ms, NULL, NULL);
	return rv < 0 ? -1 : rv == 1 ? 1 : 0;
}

int desk_command(struct desk *d, int64_t incident, enum desk_cmd cmd, const char *user,
                 const char *text, long long now_ms)
{
	static const enum incident_event ev[] = {
	    [DESK_CMD_RETEST] = EV_CMD_RETEST,   [DESK_CMD_NOTE] = EV_CMD_NOTE,
	    [DESK_CMD_CLOSE] = EV_CMD_CLOSE,     [DESK_CMD_BLOCK] = EV_CMD_BLOCK,
	    [DESK_CMD_UNBLOCK] = EV_CMD_UNBLOCK,
	};
	struct ctx c = {.user = user && *user ? user : "operator", .text = text};
	int64_t id = incident;

	if (incident <= 0)
		return fail(d, "incident %lld: no such incident", (long long)incident);
	if ((unsigned)cmd > DESK_CMD_UNBLOCK)
		return fail(d, "unknown command");
	if (cmd == DESK_CMD_RETEST)
		text = NULL;
	else if (cmd == DESK_CMD_BLOCK && text && *text == '\0')
		text = NULL;
	else if (cmd != DESK_CMD_BLOCK && (text == NULL || *text == '\0'))
		return fail(d, cmd == DESK_CMD_NOTE    ? "a note needs its text"
		               : cmd == DESK_CMD_CLOSE ? "close needs a reason"
		                                       : "unblock needs a reason");
	c.text = text;
	if (text && strlen(text) > INCIDENT_REASON_MAX && cmd != DESK_CMD_NOTE)
		return fail(d, "the reason is longer than %d bytes", INCIDENT_REASON_MAX);
	int rv = apply(d, &id, NULL, 0, ev[cmd], &c, now_ms, NULL, NULL);
	if (rv < 0)
		return -1;
	if (rv != 1) {
		fail(d, "%s", c.why ? c.why : "nothing to do in this state");
		return 0;
	}
	return 1;
}

/* mark_running - prep for the "test-started" record: the test is out */
static int hand_test(struct desk *d, struct store_incident *row, long long now)
{
	struct mstate s;
	char *machine;
	int rv;

	if (mstate_parse(row->machine, &s) < 0)
		return fail(d, "incident %lld: machine state unreadable", (long long)row->id);
	s.m.test_at_ms = 0;
	s.running_ms = now;
	machine = mstate_json(&s);
	struct store_event e = {.at_ms = now, .kind = "test-started", .detail = "{}"};
	row->machine = machine;
	row->updated_ms = now;
	row->due_ms = due(&s);
	rv = store_incident_update(d->st, row, &e);
	free(machine);
	mstate_clear(&s);
	if (rv < 0)
		return store_fail(d, "incident_update");
	return rv;
}

int desk_due(struct desk *d, long long now_ms, desk_test_fn *on_test, void *arg)
{
	struct store_incidents l;
	int acted = 0;

	if (store_incidents_due(d->st, now_ms, 0, &l) < 0)
		return store_fail(d, "incidents_due");
	for (size_t i = 0; i < l.n; i++) {
		int64_t id = l.v[i].id;
		struct ctx c = {0};
		int r;

		/* a deadline first, then (re-read) a test that is also due */
		for (int pass = 0; pass < 2; pass++) {
			struct store_incident row;
			struct mstate s;

			if ((r = store_incident_get(d->st, id, &row)) < 0) {
				store_fail(d, "incident_get");
				goto bad;
			}
			if (r == 0)
				break;
			if (mstate_parse(row.machine, &s) < 0 || !incident_is_open(&s.m)) {
				mstate_clear(&s);
				store_incident_clear(&row);
				break;
			}
			mstate_clear(&s); /* only its times and class are read below */
			long long lease_end = s.running_ms ? s.running_ms + DESK_TEST_LEASE_MS : 0;
			if (pass == 0 && s.m.deadline_ms && s.m.deadline_ms <= now_ms) {
				store_incident_clear(&row);
				if (apply(d, &id, NULL, 0, EV_DEADLINE, &c, now_ms, NULL, NULL) < 0)
					goto bad;
				acted++;
				continue;
			}
			if ((s.m.test_at_ms && s.m.test_at_ms <= now_ms) ||
			    (lease_end && lease_end <= now_ms)) {
				const char *machine = row.machine;
				r = hand_test(d, &row, now_ms);
				row.machine = machine;
				if (r == 1 && on_test)
					on_test(arg, row.id, row.addr, row.port,
					        desk_class_probe(s.klass));
				store_incident_clear(&row);
				if (r < 0)
					goto bad;
				acted += r == 1;
				break;
			}
			store_incident_clear(&row);
			break;
		}
	}
	store_incidents_free(&l);
	return acted;
bad:
	store_incidents_free(&l);
	return -1;
}
