/*
 * NAME
 *	store_desk - the abuse desk's checked store calls
 * SUMMARY
 *	store_contact_* / complaint_* / incident_* / outbox_* / action_*:
 *	check, normalise, then call the backend's store_desk_ops
 * SYNOPSIS
 *	int store_contact_for(struct store *st, const char *addr,
 *	    struct store_contact *out);
 *	int store_incident_open(st, inc, ev, &id); store_incident_update(st,
 *	inc, ev); store_outbox_claim(st, now_ms, lease_ms, &m); ...
 *	(every desk call of store.h)
 * DESCRIPTION
 *	The wrappers keep store.c's promises (schema current, outputs
 *	cleared, a failure spoils the open batch) and do what no backend
 *	should repeat: a netblock is parsed here (inet_pton) into its
 *	family, prefix length and network bytes, refused when host bits are
 *	set, and stored canonical; store_contact_for walks the prefix
 *	lengths present for the address's family, longest first, masking
 *	the address to each and asking the backend for that exact network,
 *	so the answer is the longest prefix for IPv4 and IPv6 alike, and the
 *	family's /0 (the NOC) comes last. States and kinds are checked
 *	against the tables below before any SQL runs. A complaint's raw
 *	message is cut to RW_STORE_RAW_MAX (raw_size keeps its size).
 * DIAGNOSTICS
 *	-1 and store_error(st).
 * LIMITS
 *	RW_STORE_RAW_MAX, RW_STORE_PAGE_MAX.
 * STANDARDS
 *	RFC 4632 (CIDR), RFC 5952 (IPv6 text: inet_ntop's canonical form).
 */
#include "store_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const action_kinds[] = {"block", "unblock", "suspend", "terminate"};
static const char *const action_whats[] = {"", "inbound", "outbound", "both"};

/* one_of - s is in the table */
static int one_of(const char *s, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n && s != NULL; i++)
		if (strcmp(s, v[i]) == 0)
			return 1;
	return 0;
}

/* ready - the schema is current (as store.c's, for the desk's calls) */
static int ready(struct store *st)
{
	if (st->version == STORE_SCHEMA_VERSION)
		return 0;
	store_seterr(st, "%s: schema version %d, this program needs %d: run migrate", st->ops->name,
	             st->version, STORE_SCHEMA_VERSION);
	if (st->in_batch)
		st->spoiled = 1;
	return -1;
}

/* done - a failure spoils the open batch */
static int done(struct store *st, int rc)
{
	if (rc < 0 && st->in_batch)
		st->spoiled = 1;
	return rc;
}

/* bad - refuse a call's arguments */
static int bad(struct store *st, const char *fmt, const char *what)
{
	store_seterr(st, fmt, what ? what : "(null)");
	return done(st, -1);
}

/* limit - 1..RW_STORE_PAGE_MAX */
static int64_t limit(int64_t n)
{
	return n <= 0 || n > RW_STORE_PAGE_MAX ? RW_STORE_PAGE_MAX : n;
}

/* page - as store.c's */
static struct store_page page(const struct store_page *pg)
{
	struct store_page p = {RW_STORE_PAGE_MAX, 0};

	if (pg != NULL) {
		p.limit = limit(pg->limit);
		if (pg->offset > 0)
			p.offset = pg->offset;
	}
	return p;
}

/* A parsed address or netblock. */
struct net {
	int family; /* 4 or 6 */
	int bits;   /* 32 or 128 */
	int prefix;
	unsigned char b[16];
};

/* parse_addr - an IPv4 or IPv6 address: 0, or -1 */
static int parse_addr(const char *s, struct net *n)
{
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, s, n->b) == 1) {
		n->family = 4;
		n->bits = n->prefix = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, s, n->b) == 1) {
		n->family = 6;
		n->bits = n->prefix = 128;
		return 0;
	}
	return -1;
}

/* mask - clear the bits after prefix; returns nonzero when any was set */
static int mask(struct net *n, int prefix)
{
	int set = 0;

	for (int i = prefix; i < n->bits; i++) {
		unsigned char bit = (unsigned char)(0x80u >> (i % 8));

		set |= (n->b[i / 8] & bit) != 0;
		n->b[i / 8] &= (unsigned char)~bit;
	}
	n->prefix = prefix;
	return set;
}

/* hex - the network bytes as lowercase hex (8 or 32 digits) */
static void hex(const struct net *n, char *buf)
{
	for (int i = 0; i < n->bits / 8; i++)
		sprintf(buf + 2 * i, "%02x", n->b[i]);
}

/* parse_cidr - "addr/len" (a plain address is a host route): NULL, or why not */
static const char *parse_cidr(const char *s, struct net *n)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	long prefix;
	char *end;

	if (len == 0 || len >= sizeof(addr))
		return "not a CIDR netblock";
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (parse_addr(addr, n) < 0)
		return "not an IPv4 or IPv6 address";
	if (slash == NULL)
		return NULL;
	prefix = strtol(slash + 1, &end, 10);
	if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || prefix < 0 || prefix > n->bits)
		return "bad prefix length";
	if (mask(n, (int)prefix))
		return "host bits set after the prefix length";
	return NULL;
}

/* canon - the canonical CIDR text of n */
static void canon(const struct net *n, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(n->family == 4 ? AF_INET : AF_INET6, n->b, a, sizeof(a));
	snprintf(buf, len, "%s/%d", a, n->prefix);
}

/* store_contact_put - upsert by netblock: 1 inserted, 0 updated */
int store_contact_put(struct store *st, const struct store_contact *c, int64_t *id)
{
	struct net n;
	char text[80], net[33];
	const char *why;

	if (ready(st) < 0)
		return -1;
	if ((why = parse_cidr(c->netblock ? c->netblock : "", &n)) != NULL) {
		store_seterr(st, "contact \"%s\": %s", c->netblock ? c->netblock : "", why);
		return done(st, -1);
	}
	canon(&n, text, sizeof(text));
	hex(&n, net);
	return done(st, st->ops->desk->contact_put(st, c, text, n.family, n.prefix, net, id));
}

/* store_contact_delete - 1 deleted, 0 no such netblock */
int store_contact_delete(struct store *st, const char *netblock)
{
	struct net n;
	char text[80];
	const char *why;

	if (ready(st) < 0)
		return -1;
	if ((why = parse_cidr(netblock, &n)) != NULL) {
		store_seterr(st, "contact \"%s\": %s", netblock, why);
		return done(st, -1);
	}
	canon(&n, text, sizeof(text));
	return done(st, st->ops->desk->contact_delete(st, text));
}

/* store_contact_for - the longest prefix holding addr, the /0 last */
int store_contact_for(struct store *st, const char *addr, struct store_contact *out)
{
	struct net a, n;
	int prefixes[129];
	size_t np;
	char net[33];

	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	if (parse_addr(addr, &a) < 0)
		return bad(st, "contact for \"%s\": not an IPv4 or IPv6 address", addr);
	if (st->ops->desk->contact_prefixes(st, a.family, prefixes, &np) < 0)
		return done(st, -1);
	for (size_t i = 0; i < np; i++) {
		int rc;

		n = a;
		mask(&n, prefixes[i]);
		hex(&n, net);
		rc = st->ops->desk->contact_match(st, a.family, prefixes[i], net, out);
		if (rc != 0)
			return done(st, rc);
	}
	return 0;
}

/* store_contacts_list - a page of contacts */
int store_contacts_list(struct store *st, const struct store_page *pg, struct store_contacts *out)
{
	struct store_page p = page(pg);

	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->desk->contacts_list(st, &p, out));
}

/* store_complaint_add - 1 kept, 0 a report with its ref is kept already */
int store_complaint_add(struct store *st, const struct store_complaint *c, int64_t *id)
{
	struct store_complaint cut = *c;

	if (ready(st) < 0)
		return -1;
	if (c->addr == NULL || c->port > 65535)
		return bad(st, "complaint: address %s or port missing", c->addr);
	cut.raw_size = (int64_t)c->raw_len;
	if (cut.raw_len > RW_STORE_RAW_MAX)
		cut.raw_len = RW_STORE_RAW_MAX;
	return done(st, st->ops->desk->complaint_add(st, &cut, id));
}

/* store_complaint_attach - 1 attached, 0 no such complaint */
int store_complaint_attach(struct store *st, int64_t complaint, int64_t incident)
{
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->desk->complaint_attach(st, complaint, incident));
}

/* store_complaints_for - an incident's complaints */
int store_complaints_for(struct store *st, int64_t incident, struct store_complaints *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	if (st->ops->desk->complaints_for(st, incident, out) < 0) {
		store_complaints_free(out);
		return done(st, -1);
	}
	return 0;
}

/* store_complaint_get - one complaint by id */
int store_complaint_get(struct store *st, int64_t id, struct store_complaints *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	if (st->ops->desk->complaint_get(st, id, out) < 0) {
		store_complaints_free(out);
		return done(st, -1);
	}
	return out->n > 0 ? 1 : 0;
}

/* check_event - an event needs a kind */
static int check_event(struct store *st, const struct store_event *ev)
{
	if (ev == NULL || ev->kind == NULL || ev->kind[0] == '\0')
		return bad(st, "incident: an event with a kind is required%s", "");
	return 0;
}

/* store_incident_open - the incident and its first event, or the open one */
int store_incident_open(struct store *st, const struct store_incident *inc,
                        const struct store_event *ev, int64_t *id)
{
	int64_t tmp;

	if (ready(st) < 0)
		return -1;
	if (inc->addr == NULL || inc->state == NULL || inc->port > 65535)
		return bad(st, "incident open: address %s, state or port missing", inc->addr);
	if (inc->closed_ms != 0)
		return bad(st, "incident open %s: an incident opens open", inc->addr);
	if (check_event(st, ev) < 0)
		return -1;
	return done(st, st->ops->desk->incident_open(st, inc, ev, id ? id : &tmp));
}

/* store_incident_update - new state and its event where the rev matches */
int store_incident_update(struct store *st, const struct store_incident *inc,
                          const struct store_event *ev)
{
	if (ready(st) < 0)
		return -1;
	if (inc->state == NULL || inc->id <= 0)
		return bad(st, "incident update: id or state missing%s", "");
	if (check_event(st, ev) < 0)
		return -1;
	return done(st, st->ops->desk->incident_update(st, inc, ev));
}

/* store_incident_get - 1 found, 0 no such incident */
int store_incident_get(struct store *st, int64_t id, struct store_incident *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->desk->incident_get(st, id, out));
}

/* store_incident_open_for - the open incident of (addr, port) */
int store_incident_open_for(struct store *st, const char *addr, unsigned port,
                            struct store_incident *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->desk->incident_open_for(st, addr, port, out));
}

/* list_done - free a half-read list on error */
#define LIST_CALL(st, call, out, freefn)                                                           \
	do {                                                                                       \
		if ((call) < 0) {                                                                  \
			freefn(out);                                                               \
			return done(st, -1);                                                       \
		}                                                                                  \
		return 0;                                                                          \
	} while (0)

/* store_incidents_due - open incidents due by before_ms */
int store_incidents_due(struct store *st, int64_t before_ms, int64_t lim,
                        struct store_incidents *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	LIST_CALL(st, st->ops->desk->incidents_due(st, before_ms, limit(lim), out), out,
	          store_incidents_free);
}

/* store_incidents_list - a page, newest first, optionally one state */
int store_incidents_list(struct store *st, const char *state, const struct store_page *pg,
                         struct store_incidents *out)
{
	struct store_page p = page(pg);

	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	LIST_CALL(st, st->ops->desk->incidents_list(st, state, &p, out), out, store_incidents_free);
}

/* store_incidents_of - a page of one address's incidents, newest first */
int store_incidents_of(struct store *st, const char *addr, const struct store_page *pg,
                       struct store_incidents *out)
{
	struct store_page p = page(pg);

	memset(out, 0, sizeof(*out));
	if (addr == NULL) {
		store_seterr(st, "incidents_of: no address");
		return -1;
	}
	if (ready(st) < 0)
		return -1;
	LIST_CALL(st, st->ops->desk->incidents_of(st, addr, &p, out), out, store_incidents_free);
}

/* store_incidents_count - rows incidents_list pages through */
int store_incidents_count(struct store *st, const char *state, int64_t *n)
{
	*n = 0;
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->desk->incidents_count(st, state, n));
}

/* store_event_add - append one event */
int store_event_add(struct store *st, const struct store_event *ev, int64_t *id)
{
	if (ready(st) < 0)
		return -1;
	if (check_event(st, ev) < 0)
		return -1;
	return done(st, st->ops->desk->event_add(st, ev, id));
}

/* store_events_list - an incident's events */
int store_events_list(struct store *st, int64_t incident, struct store_events *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	LIST_CALL(st, st->ops->desk->events_list(st, incident, out), out, store_events_free);
}

/* store_incident_timeline - everything about one incident in time order */
int store_incident_timeline(struct store *st, int64_t incident, struct store_timeline *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	LIST_CALL(st, st->ops->desk->timeline(st, incident, out), out, store_timeline_free);
}

/* store_report - counters since since_ms */
int store_report(struct store *st, int64_t since_ms, struct store_report *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->desk->report(st, since_ms, out));
}

/* store_outbox_queue - 1 queued, 0 the message_id was queued already */
int store_outbox_queue(struct store *st, const struct store_outbox *m, int64_t *id)
{
	if (ready(st) < 0)
		return -1;
	if (m->message_id == NULL || m->message_id[0] == '\0' || m->rcpt == NULL)
		return bad(st, "outbox queue: message_id and rcpt are required%s", "");
	return done(st, st->ops->desk->outbox_queue(st, m, id));
}

/* store_outbox_claim - lease the next due message */
int store_outbox_claim(struct store *st, int64_t now_ms, int64_t lease_ms, struct store_outbox *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	if (lease_ms <= 0)
		return bad(st, "outbox claim: the lease must be positive%s", "");
	return done(st, st->ops->desk->outbox_claim(st, now_ms, lease_ms, out));
}

/* store_outbox_sent - sending -> sent */
int store_outbox_sent(struct store *st, int64_t id, int64_t now_ms)
{
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->desk->outbox_mark(st, id, "sent", 0, now_ms, NULL));
}

/* store_outbox_retry - sending -> queued again at next_ms */
int store_outbox_retry(struct store *st, int64_t id, int64_t next_ms, const char *error)
{
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->desk->outbox_mark(st, id, "queued", next_ms, 0, error));
}

/* store_outbox_failed - sending -> failed for good */
int store_outbox_failed(struct store *st, int64_t id, const char *error)
{
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->desk->outbox_mark(st, id, "failed", 0, 0, error));
}

/* store_outbox_for - an incident's notices */
int store_outbox_for(struct store *st, int64_t incident, struct store_outboxes *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	LIST_CALL(st, st->ops->desk->outbox_list(st, incident, out), out, store_outboxes_free);
}

/* store_action_add - a pending request */
int store_action_add(struct store *st, const struct store_action *a, int64_t *id)
{
	int64_t tmp;

	if (ready(st) < 0)
		return -1;
	if (!one_of(a->kind, action_kinds, NELEM(action_kinds)))
		return bad(st, "action \"%s\": not block, unblock, suspend or terminate", a->kind);
	if (!one_of(a->what ? a->what : "", action_whats, NELEM(action_whats)))
		return bad(st, "action what \"%s\": not inbound, outbound or both", a->what);
	if (a->addr == NULL)
		return bad(st, "action: address missing%s", "");
	return done(st, st->ops->desk->action_add(st, a, id ? id : &tmp));
}

/* store_action_applied - pending or failed -> applied */
int store_action_applied(struct store *st, int64_t id, int64_t now_ms)
{
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->desk->action_mark(st, id, "applied", now_ms, NULL));
}

/* store_action_failed - pending -> failed */
int store_action_failed(struct store *st, int64_t id, int64_t now_ms, const char *error)
{
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->desk->action_mark(st, id, "failed", now_ms, error));
}

/* store_action_lifted - applied -> lifted */
int store_action_lifted(struct store *st, int64_t id, int64_t now_ms)
{
	if (ready(st) < 0)
		return -1;
	return done(st, st->ops->desk->action_mark(st, id, "lifted", now_ms, NULL));
}

/* store_actions_pending - pending requests after id `after` */
int store_actions_pending(struct store *st, int64_t after, int64_t lim, struct store_actions *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	LIST_CALL(st, st->ops->desk->actions_list(st, "pending", NULL, after, limit(lim), out), out,
	          store_actions_free);
}

/* store_blocks_active - applied blocks after id `after` */
int store_blocks_active(struct store *st, int64_t after, int64_t lim, struct store_actions *out)
{
	memset(out, 0, sizeof(*out));
	if (ready(st) < 0)
		return -1;
	LIST_CALL(st, st->ops->desk->actions_list(st, "applied", "block", after, limit(lim), out),
	          out, store_actions_free);
}

static void free_const(const void *s)
{
	free((void *)(uintptr_t)s);
}

/* store_contact_clear - free a returned contact; c is zeroed */
void store_contact_clear(struct store_contact *c)
{
	free_const(c->netblock);
	free_const(c->customer);
	free_const(c->account);
	free_const(c->emails);
	memset(c, 0, sizeof(*c));
}

/* store_incident_clear - free a returned incident; i is zeroed */
void store_incident_clear(struct store_incident *i)
{
	free_const(i->addr);
	free_const(i->state);
	free_const(i->policy);
	free_const(i->contact);
	free_const(i->machine);
	memset(i, 0, sizeof(*i));
}

/* store_outbox_clear - free a returned notice; m is zeroed */
void store_outbox_clear(struct store_outbox *m)
{
	free_const(m->step);
	free_const(m->rcpt);
	free_const(m->subject);
	free_const(m->body);
	free_const(m->message_id);
	free_const(m->state);
	free_const(m->last_error);
	memset(m, 0, sizeof(*m));
}

/* LIST_FREE - free every row with fn, then the vector; l is emptied */
#define LIST_FREE(l, fn)                                                                           \
	do {                                                                                       \
		for (size_t i_ = 0; i_ < (l)->n; i_++)                                             \
			fn(&(l)->v[i_]);                                                           \
		free((l)->v);                                                                      \
		memset((l), 0, sizeof(*(l)));                                                      \
	} while (0)

static void complaint_clear(struct store_complaint *c)
{
	free_const(c->reporter);
	free_const(c->addr);
	free_const(c->kind);
	free_const(c->summary);
	free_const(c->raw);
	free_const(c->ref);
}

static void event_clear(struct store_event *e)
{
	free_const(e->kind);
	free_const(e->detail);
}

static void action_clear(struct store_action *a)
{
	free_const(a->kind);
	free_const(a->what);
	free_const(a->addr);
	free_const(a->state);
	free_const(a->error);
}

static void item_clear(struct store_timeline_item *t)
{
	free_const(t->kind);
	free_const(t->state);
	free_const(t->text);
}

/* the list frees; each accepts an empty list */
void store_contacts_free(struct store_contacts *l)
{
	LIST_FREE(l, store_contact_clear);
}
void store_complaints_free(struct store_complaints *l)
{
	LIST_FREE(l, complaint_clear);
}
void store_incidents_free(struct store_incidents *l)
{
	LIST_FREE(l, store_incident_clear);
}
void store_events_free(struct store_events *l)
{
	LIST_FREE(l, event_clear);
}
void store_outboxes_free(struct store_outboxes *l)
{
	LIST_FREE(l, store_outbox_clear);
}
void store_actions_free(struct store_actions *l)
{
	LIST_FREE(l, action_clear);
}
void store_timeline_free(struct store_timeline *l)
{
	LIST_FREE(l, item_clear);
}
