/*
 * NAME
 *	block_apply - the store's block actions, carried out on the firewall
 * SUMMARY
 *	store (truth) -> desired set -> diff with the firewall -> marks
 * SYNOPSIS
 *	const char *block_backend_check(const struct rw_config *cfg);
 *	int block_apply(struct store *st, const struct block_apply_opts *o,
 *			struct block_apply_result *r);
 *	void block_tick(struct block_sched *s, struct store *st,
 *			const struct rw_config *cfg, long long now_ms);
 * DESCRIPTION
 *	One function for `relaywatch block apply` and the daemon, so the two
 *	can never disagree. The desired set is rebuilt from the store every
 *	time (applied blocks, pending blocks, less what pending unblocks
 *	lift), never from the firewall: applying twice changes nothing, and
 *	a table emptied by `flush ruleset` is filled again. A block of
 *	another incident on the same address keeps the address blocked when
 *	one incident is unblocked.
 *	Backends, as a table (backends[]): `nft` reads our table with
 *	`nft -j list table inet relaywatch` and applies the difference as one
 *	`nft -f -` transaction (all or nothing); `command` runs the
 *	configured add or remove command once per element (address and
 *	direction) and takes the store's applied blocks as what is in place.
 *	A transient failure leaves the actions pending (retried: by the
 *	daemon after a back-off, BLOCK_RETRY_LADDER_S) with one event per
 *	action and attempt in the incident's timeline; an address that does
 *	not parse is marked failed at once and never reaches a firewall.
 * DIAGNOSTICS
 *	block_apply: 0, 1 (some action failed), -1 (r->why).
 * LIMITS
 *	FW_RUN_TIMEOUT_MS per nft or command run.
 */
#include "block_apply.h"

#include "../core/config.h"
#include "../core/log.h"
#include "../core/xalloc.h"
#include "../enforce/fw_run.h"
#include "../enforce/nft.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* one action as the apply sees it */
struct act {
	struct store_action *a;
	int block;     /* kind block (else unblock) */
	int fam;       /* 4 or 6; 0: not an address */
	unsigned mask; /* directions; 0: bad what */
	unsigned char bin[16];
	int pending;    /* from the pending list (else an applied block) */
	int lift;       /* applied block: a pending unblock lifts it */
	int superseded; /* pending block: unblocked before it was applied */
	int fail;       /* the firewall refused its change */
};

struct run {
	struct store *st;
	const struct block_apply_opts *o;
	struct block_apply_result *r;
	struct store_actions pending, active;
	struct act *v;
	size_t n;
	struct nft_ports ports;
	struct nft_set want, have, add, del, bad_add, bad_del;
	struct nft_state cur;
};

/* load - every row of a paged list (pending actions or active blocks) */
static int load(struct store *st, int pending, struct store_actions *all)
{
	int64_t after = 0;

	memset(all, 0, sizeof(*all));
	for (;;) {
		struct store_actions page;
		int rc = pending ? store_actions_pending(st, after, 0, &page)
		                 : store_blocks_active(st, after, 0, &page);

		if (rc < 0)
			return -1;
		if (page.n == 0) {
			store_actions_free(&page);
			return 0;
		}
		all->v = xrealloc(all->v, (all->n + page.n) * sizeof(*all->v));
		memcpy(all->v + all->n, page.v, page.n * sizeof(*page.v));
		all->n += page.n;
		after = page.v[page.n - 1].id;
		free(page.v); /* the rows' strings now belong to all */
	}
}

/* elems - the elements of one action into s */
static void elems(const struct act *x, struct nft_set *s)
{
	for (unsigned d = NFT_IN; d <= NFT_OUT; d++)
		if (x->mask & (1u << d)) {
			struct nft_elem e = {.dir = (unsigned char)d,
			                     .family = (unsigned char)x->fam};

			memcpy(e.a, x->bin, 16);
			if (s->n == s->cap) {
				s->cap = s->cap ? s->cap * 2 : 16;
				s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
			}
			s->v[s->n++] = e;
		}
}

/* any_in - whether one of x's elements is in s (sorted) */
static int any_in(const struct act *x, const struct nft_set *s)
{
	struct nft_set mine = {0};
	int hit = 0;

	elems(x, &mine);
	for (size_t i = 0; i < mine.n && !hit; i++)
		hit = nft_set_has(s, &mine.v[i]);
	nft_set_clear(&mine);
	return hit;
}

/* same_target - an unblock u lifts block b: same address, same incident
 * (an operator's unblock, incident 0, lifts every block of the address),
 * and b was asked for before u */
static int same_target(const struct act *u, const struct act *b)
{
	return b->fam == u->fam && memcmp(b->bin, u->bin, 16) == 0 && b->a->id < u->a->id &&
	       (u->a->incident == 0 || u->a->incident == b->a->incident);
}

/* event - one line in the incident's timeline (none for an operator's own) */
static void event(struct run *r, const struct act *x, const char *kind, const char *why)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "action", (json_int_t)x->a->id, "addr",
	                      x->a->addr ? x->a->addr : "", "what", x->a->what ? x->a->what : "",
	                      "error", why);
	char *text;

	if (r->o->attempt > 0)
		json_object_set_new(o, "attempt", json_integer(r->o->attempt));
	if (r->o->retry_ms > 0)
		json_object_set_new(o, "retry_ms", json_integer(r->o->retry_ms));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	rw_log(LOG_WARNING, "block event=%s action=%lld incident=%lld error=\"%s\"", kind,
	       (long long)x->a->id, (long long)x->a->incident, why);
	if (x->a->incident > 0) {
		struct store_event ev = {.incident = x->a->incident,
		                         .at_ms = r->o->now_ms,
		                         .kind = kind,
		                         .detail = text};
		if (store_event_add(r->st, &ev, NULL) < 0)
			rw_log(LOG_ERR, "block event=store-error error=\"%s\"", store_error(r->st));
	}
	free(text);
}

/* classify - parse every action once; hostile or broken rows go no further */
static void classify(struct run *r)
{
	r->n = r->pending.n + r->active.n;
	r->v = xcalloc(r->n ? r->n : 1, sizeof(*r->v));
	size_t k = 0;
	for (size_t i = 0; i < r->active.n; i++, k++) {
		struct act *x = &r->v[k];

		x->a = &r->active.v[i];
		x->block = 1;
	}
	for (size_t i = 0; i < r->pending.n; i++, k++) {
		struct act *x = &r->v[k];

		x->a = &r->pending.v[i];
		x->pending = 1;
		x->block = strcmp(x->a->kind, "block") == 0;
	}
	for (k = 0; k < r->n; k++) {
		struct act *x = &r->v[k];

		if (!x->block && strcmp(x->a->kind, "unblock") != 0)
			continue; /* suspend, terminate: not the firewall's */
		x->fam = nft_addr_parse(x->a->addr, x->bin);
		x->mask = nft_dir_mask(x->a->what);
	}
}

/* usable - a block or unblock with an address and a direction */
static int usable(const struct act *x)
{
	return x->fam != 0 && (x->mask != 0 || !x->block) &&
	       (x->block || strcmp(x->a->kind, "unblock") == 0);
}

/* desired - the applied and pending blocks, less what unblocks lift */
static void desired(struct run *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct act *u = &r->v[i];

		if (!u->pending || u->block || !usable(u))
			continue;
		for (size_t j = 0; j < r->n; j++) {
			struct act *b = &r->v[j];

			if (b->block && usable(b) && same_target(u, b)) {
				if (b->pending)
					b->superseded = 1;
				else
					b->lift = 1;
			}
		}
	}
	for (size_t i = 0; i < r->n; i++) {
		struct act *x = &r->v[i];

		if (x->block && usable(x) && !x->lift && !x->superseded)
			elems(x, &r->want);
		/* the command backend: what the store says is in place */
		if (x->block && usable(x) && !x->pending &&
		    strcmp(r->o->cfg->block_backend, "command") == 0)
			elems(x, &r->have);
	}
	nft_set_sort(&r->want);
}

/* nft_read - our table as nft shows it; 0, or -1 with r->why */
static int nft_read(struct run *r)
{
	char *argv[] = {"nft", "-j", "list", "table", "inet", NFT_TABLE, NULL};
	struct fw_result res;
	char err[256];
	const char *e;
	int rc = -1;

	if (fw_run(argv, NULL, 0, FW_RUN_TIMEOUT_MS, &res, err, sizeof(err)) < 0) {
		snprintf(r->r->why, sizeof(r->r->why), "nft list: %s", err);
		return -1;
	}
	if (res.status != 0 && !res.timed_out && strstr(res.err, "No such file or directory")) {
		nft_state_absent(&r->cur); /* no table yet (or flushed): create it */
		rc = 0;
	} else if (res.status != 0) {
		snprintf(r->r->why, sizeof(r->r->why), "nft list: %s",
		         fw_result_why(&res, err, sizeof(err)));
	} else if ((e = nft_state_parse(res.out, res.outlen, &r->ports, &r->cur, err,
	                                sizeof(err)))) {
		snprintf(r->r->why, sizeof(r->r->why), "nft list: %s", e);
	} else {
		rc = 0;
	}
	fw_result_clear(&res);
	return rc;
}

/* nft_write - one transaction with the difference; 0 or -1 with r->why */
static int nft_write(struct run *r)
{
	char *argv[] = {"nft", "-f", "-", NULL};
	char *script = nft_script(&r->ports, &r->cur, &r->add, &r->del);
	struct fw_result res;
	char err[256];
	int rc = -1;

	if (script == NULL)
		return 0;
	if (fw_run(argv, script, strlen(script), FW_RUN_TIMEOUT_MS, &res, err, sizeof(err)) < 0)
		snprintf(r->r->why, sizeof(r->r->why), "nft: %s", err);
	else if (res.status != 0)
		snprintf(r->r->why, sizeof(r->r->why), "nft: %s",
		         fw_result_why(&res, err, sizeof(err)));
	else
		rc = 0;
	fw_result_clear(&res);
	free(script);
	return rc;
}

/* cmd_each - the command backend: one run per element; failures into bad */
static int cmd_each(struct run *r, const char *tmpl, const char *key, const struct nft_set *s,
                    struct nft_set *bad)
{
	int fails = 0;

	for (size_t i = 0; i < s->n; i++) {
		char addr[64], err[256];
		struct fw_result res;
		char **argv;

		nft_elem_addr(&s->v[i], addr, sizeof(addr));
		argv = tmpl ? fw_template_argv(tmpl, addr, nft_dir_name(s->v[i].dir)) : NULL;
		if (argv == NULL) {
			snprintf(r->r->why, sizeof(r->r->why), "%s is not set", key);
		} else if (fw_run(argv, NULL, 0, FW_RUN_TIMEOUT_MS, &res, err, sizeof(err)) < 0) {
			snprintf(r->r->why, sizeof(r->r->why), "%s: %s", key, err);
		} else {
			if (res.status != 0)
				snprintf(r->r->why, sizeof(r->r->why), "%s %s: %s", key, addr,
				         fw_result_why(&res, err, sizeof(err)));
			int ok = res.status == 0;
			fw_result_clear(&res);
			fw_argv_free(argv);
			if (ok)
				continue;
			argv = NULL;
		}
		fw_argv_free(argv);
		fails++;
		nft_set_add(bad, addr, 1u << s->v[i].dir);
	}
	nft_set_sort(bad);
	return fails ? -1 : 0;
}

/* print_diff - "- addr dir" then "+ addr dir" */
static void print_diff(struct run *r)
{
	char a[64];

	if (r->o->diff == NULL)
		return;
	for (size_t i = 0; i < r->del.n; i++)
		fprintf(r->o->diff, "- %s %s\n", nft_elem_addr(&r->del.v[i], a, sizeof(a)),
		        nft_dir_name(r->del.v[i].dir));
	for (size_t i = 0; i < r->add.n; i++)
		fprintf(r->o->diff, "+ %s %s\n", nft_elem_addr(&r->add.v[i], a, sizeof(a)),
		        nft_dir_name(r->add.v[i].dir));
}

/* mark - the store follows what the firewall did, in one durable batch */
static int mark(struct run *r, int all_failed)
{
	int64_t now = r->o->now_ms;
	int ok = 1;

	if (store_batch_begin(r->st, STORE_DURABLE) < 0)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		struct act *x = &r->v[i];

		if (!x->pending)
			continue;
		if (!x->block && strcmp(x->a->kind, "unblock") != 0)
			continue;
		if (!usable(x)) {
			const char *why = x->fam == 0 ? "not an IP address" : "no direction";
			ok &= store_action_failed(r->st, x->a->id, now, why) >= 0;
			event(r, x, x->block ? "block-failed" : "unblock-failed", why);
			r->r->failed++;
			continue;
		}
		if (x->block) {
			if (x->superseded)
				continue; /* its unblock decides */
			x->fail = all_failed || any_in(x, &r->bad_add);
			if (!x->fail) {
				ok &= store_action_applied(r->st, x->a->id, now) >= 0;
				r->r->applied++;
			}
			continue;
		}
		/* an unblock: every block it lifts must be gone from the firewall */
		x->fail = all_failed;
		for (size_t j = 0; j < r->n && !x->fail; j++)
			if (r->v[j].block && usable(&r->v[j]) && same_target(x, &r->v[j]) &&
			    any_in(&r->v[j], &r->bad_del))
				x->fail = 1;
		if (x->fail)
			continue;
		for (size_t j = 0; j < r->n; j++) {
			struct act *b = &r->v[j];

			if (!b->block || !usable(b) || !same_target(x, b))
				continue;
			if (b->pending)
				ok &= store_action_failed(r->st, b->a->id, now,
				                          "unblocked before it was applied") >= 0;
			else
				ok &= store_action_lifted(r->st, b->a->id, now) >= 0;
			r->r->lifted += !b->pending;
		}
		ok &= store_action_applied(r->st, x->a->id, now) >= 0;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct act *x = &r->v[i];

		if (x->pending && x->fail && !x->superseded) {
			event(r, x, x->block ? "block-failed" : "unblock-failed", r->r->why);
			r->r->failed++;
		}
	}
	if (!ok) {
		snprintf(r->r->why, sizeof(r->r->why), "store: %s", store_error(r->st));
		store_batch_abort(r->st);
		return -1;
	}
	return store_batch_commit(r->st) < 0 ? -1 : 0;
}

/* backends --------------------------------------------------------------- */

struct fw_backend {
	const char *name;
	/* read - what is in place into r->cur.elems / r->have; 0 or -1 (r->why) */
	int (*read)(struct run *r);
	/* write - apply r->add and r->del; failed elements into r->bad_add and
	 * r->bad_del (all or nothing: return -1 with none listed) */
	int (*write)(struct run *r, int *all_failed);
};

static int nft_rd(struct run *r)
{
	if (nft_read(r) < 0)
		return -1;
	nft_set_clear(&r->have);
	r->have = r->cur.elems; /* borrowed: cur owns it */
	return 0;
}

static int nft_wr(struct run *r, int *all_failed)
{
	*all_failed = nft_write(r) < 0;
	return *all_failed ? -1 : 0;
}

static int cmd_rd(struct run *r)
{
	r->cur.complete = 1; /* nothing to create */
	nft_set_sort(&r->have);
	return 0;
}

static int cmd_wr(struct run *r, int *all_failed)
{
	const struct rw_config *c = r->o->cfg;
	int a = cmd_each(r, c->block_command_remove, "block_command_remove", &r->del, &r->bad_del);
	int b = cmd_each(r, c->block_command_add, "block_command_add", &r->add, &r->bad_add);

	*all_failed = 0;
	return a < 0 || b < 0 ? -1 : 0;
}

static const struct fw_backend backends[] = {
    {.name = "nft", .read = nft_rd, .write = nft_wr},
    {.name = "command", .read = cmd_rd, .write = cmd_wr},
};

static const struct fw_backend *backend_by_name(const char *name)
{
	for (size_t i = 0; name && i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i].name, name) == 0)
			return &backends[i];
	return NULL;
}

const char *block_backend_check(const struct rw_config *cfg)
{
	struct nft_ports p;
	const char *e;

	if (cfg->block_backend == NULL)
		return "no block_backend configured (nft or command)";
	if (backend_by_name(cfg->block_backend) == NULL)
		return "block_backend: not nft or command";
	if ((e = nft_ports_parse(cfg->block_ports, &p)) != NULL)
		return e;
	if (strcmp(cfg->block_backend, "command") == 0 &&
	    (cfg->block_command_add == NULL || cfg->block_command_remove == NULL))
		return "the command backend needs block_command_add and block_command_remove";
	return NULL;
}

int block_apply(struct store *st, const struct block_apply_opts *o, struct block_apply_result *res)
{
	struct run r = {.st = st, .o = o, .r = res};
	const struct fw_backend *be;
	const char *e;
	int rc = -1, all_failed = 0, npending = 0;

	memset(res, 0, sizeof(*res));
	if ((e = block_backend_check(o->cfg)) != NULL) {
		snprintf(res->why, sizeof(res->why), "%s", e);
		return -1;
	}
	be = backend_by_name(o->cfg->block_backend);
	nft_ports_parse(o->cfg->block_ports, &r.ports);
	if (load(st, 1, &r.pending) < 0 || load(st, 0, &r.active) < 0) {
		snprintf(res->why, sizeof(res->why), "store: %s", store_error(st));
		goto out;
	}
	classify(&r);
	for (size_t i = 0; i < r.n; i++)
		npending +=
		    r.v[i].pending && (r.v[i].block || strcmp(r.v[i].a->kind, "unblock") == 0);
	desired(&r);
	if (be->read(&r) < 0) {
		all_failed = 1;
	} else {
		nft_diff(&r.want, &r.have, &r.add, &r.del);
		print_diff(&r);
		res->added = r.add.n;
		res->removed = r.del.n;
		if (o->dry_run) {
			rc = 0;
			goto out;
		}
		if (be->write(&r, &all_failed) < 0 && !all_failed && r.bad_add.n + r.bad_del.n == 0)
			all_failed = 1;
		if (!all_failed) {
			/* what failed to go stays out of the count */
			res->added -= r.bad_add.n;
			res->removed -= r.bad_del.n;
		} else {
			res->added = res->removed = 0;
		}
	}
	if (all_failed && npending == 0) {
		rc = -1; /* nothing to mark: the firewall itself is the problem */
		goto out;
	}
	if (o->dry_run) {
		rc = -1;
		goto out;
	}
	if (mark(&r, all_failed) < 0) {
		if (res->why[0] == '\0')
			snprintf(res->why, sizeof(res->why), "store: %s", store_error(st));
		rc = -1;
		goto out;
	}
	rc = res->failed ? 1 : 0;
out:
	if (r.have.v == r.cur.elems.v)
		memset(&r.have, 0, sizeof(r.have));
	nft_state_clear(&r.cur);
	nft_set_clear(&r.have);
	nft_set_clear(&r.want);
	nft_set_clear(&r.add);
	nft_set_clear(&r.del);
	nft_set_clear(&r.bad_add);
	nft_set_clear(&r.bad_del);
	free(r.v);
	store_actions_free(&r.pending);
	store_actions_free(&r.active);
	return rc;
}

/* block_tick - the daemon's look: pending work or a periodic reconcile */
void block_tick(struct block_sched *s, struct store *st, const struct rw_config *cfg,
                long long now_ms)
{
	static const long long ladder[] = BLOCK_RETRY_LADDER_S;
	const size_t nl = sizeof(ladder) / sizeof(ladder[0]);
	struct block_apply_result res;
	struct store_actions page;
	int work = 0;

	if (cfg->block_backend == NULL || now_ms < s->next_ms)
		return;
	/* pending firewall work (suspend and terminate are not ours) */
	int64_t after = 0;
	while (!work && store_actions_pending(st, after, 0, &page) == 0 && page.n > 0) {
		for (size_t i = 0; i < page.n; i++)
			work |= strcmp(page.v[i].kind, "block") == 0 ||
			        strcmp(page.v[i].kind, "unblock") == 0;
		after = page.v[page.n - 1].id;
		store_actions_free(&page);
	}
	if (!work && s->last_ms != 0 && now_ms - s->last_ms < BLOCK_RECONCILE_MS)
		return;
	size_t k = (size_t)s->fails < nl ? (size_t)s->fails : nl - 1;
	struct block_apply_opts o = {.cfg = cfg,
	                             .now_ms = now_ms,
	                             .attempt = s->fails + 1,
	                             .retry_ms = now_ms + ladder[k] * 1000};
	int rc = block_apply(st, &o, &res);

	s->last_ms = now_ms;
	if (rc == 0) {
		if (s->fails)
			rw_log(LOG_NOTICE, "block event=recovered after=%d", s->fails);
		s->fails = 0;
		s->next_ms = 0;
		if (res.added || res.removed || res.applied || res.lifted)
			rw_log(LOG_NOTICE,
			       "block event=applied added=%zu removed=%zu applied=%zu lifted=%zu",
			       res.added, res.removed, res.applied, res.lifted);
		return;
	}
	s->fails++;
	s->next_ms = o.retry_ms;
	rw_log(LOG_ERR,
	       "block event=apply-failed attempt=%d failed=%zu retry_in_s=%lld error=\"%s\"",
	       s->fails, res.failed, ladder[k], res.why);
}
