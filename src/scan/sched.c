/*
 * NAME
 *	sched - the scan scheduler (pure: the caller passes the time)
 * SUMMARY
 *	sched_new, sched_next, sched_end, sched_retry, sched_final,
 *	sched_low_water, sched_skip, sched_skip_before, sched_stop
 * SYNOPSIS
 *	See sched.h.
 * DESCRIPTION
 *	The space is the targets' groups laid end to end, each group's
 *	addresses times its ports (a group with a port) or times --ports.
 *	permute walks indexes 0..total-1; walk position k (the ordinal) is
 *	the k-th index handed out, the same on every run with the same seed,
 *	which is what a resume counts on.
 *
 *	A position taken from the walk becomes one pending item; it leaves
 *	when the bucket has a token and its subnet a slot. Items refused by
 *	the never set or the scope, or already done (resume), are final at
 *	once. Retries are a FIFO (one fixed delay, so due times are in
 *	order) and go before the walk when due.
 *
 *	The low-water mark is a bitmap of final positions starting at a word
 *	boundary at or below the mark; words wholly below the mark are
 *	dropped, so its size follows the spread of unfinished positions, not
 *	the scan.
 * LIMITS
 *	RW_SCAN_SPACE_MAX (permute).
 */
#include "sched.h"

#include "../core/log.h"
#include "../core/xalloc.h"
#include "permute.h"

#include <stdlib.h>
#include <string.h>

struct span {
	struct ipset *set; /* borrowed from the targets */
	unsigned port;     /* 0: each of ports */
	uint64_t first, n; /* indexes first .. first+n-1 */
};

/* addresses already done on one port and probe (resume) */
struct doneset {
	unsigned port, probe;
	struct ipset *set;
};

struct retry {
	struct sched_item it;
	uint64_t due_ms;
	struct retry *next;
};

struct sched {
	struct sched_config c;
	struct targets_ports ports;
	unsigned gprobe[TARGETS_PROBE__COUNT]; /* the probes run on a group's own port */
	unsigned ngprobe;
	struct span *spans;
	size_t nspans;
	uint64_t total;
	struct permute pm;
	int exhausted, stopped;
	uint64_t skip_before;
	struct doneset *done;
	size_t ndone;
	struct bucket bucket;
	int bucket_ready;
	struct subnet_table *subnets;
	int have_pending;
	struct sched_item pending;
	struct retry *rhead, *rtail;
	/* low water: bit i of bits is position base + i */
	uint64_t lw, base;
	uint64_t *bits;
	size_t nwords;
	struct sched_stats st;
};

/* build_spans - the space: each non-empty group times its ports */
static void build_spans(struct sched *s)
{
	const struct targets_group *g;
	size_t n;
	uint64_t first = 0;

	g = targets_groups(s->c.targets, &n);
	s->spans = xcalloc(n ? n : 1, sizeof(*s->spans));
	for (size_t i = 0; i < n; i++) {
		uint64_t k = g[i].port ? s->ngprobe : s->ports.n;

		if (ipset_empty(g[i].set))
			continue;
		s->spans[s->nspans] = (struct span){.set = g[i].set,
		                                    .port = g[i].port,
		                                    .first = first,
		                                    .n = ipset_size(g[i].set) * k};
		first += s->spans[s->nspans].n;
		s->nspans++;
	}
	s->total = first;
}

/* sched_new - spans, walk, limiters */
struct sched *sched_new(const struct sched_config *c, const char **err)
{
	struct sched *s = xcalloc(1, sizeof(*s));

	s->c = *c;
	if (s->c.concurrency == 0)
		s->c.concurrency = 1;
	if (c->ports && c->ports->n)
		s->ports = *c->ports;
	else
		s->ports = (struct targets_ports){.n = 1, .port = {25}};
	for (unsigned b = 0; b < TARGETS_PROBE__COUNT; b++)
		if (s->ports.gprobes & (1u << b))
			s->gprobe[s->ngprobe++] = b;
	if (s->ngprobe == 0)
		s->gprobe[s->ngprobe++] = TARGETS_PROBE_SMTP;
	build_spans(s);
	if ((*err = permute_init(&s->pm, s->total, c->seed)) != NULL)
		return sched_free(s);
	if (c->shards > 1 && (*err = permute_shard(&s->pm, c->shard, c->shards)) != NULL)
		return sched_free(s);
	s->subnets = subnet_new(&s->c.subnet);
	s->st.total = s->total;
	return s;
}

/* sched_free - everything, retries queued included */
struct sched *sched_free(struct sched *s)
{
	if (s == NULL)
		return NULL;
	while (s->rhead) {
		struct retry *r = s->rhead;

		s->rhead = r->next;
		free(r);
	}
	for (size_t i = 0; i < s->ndone; i++)
		ipset_free(s->done[i].set);
	free(s->done);
	subnet_free(s->subnets);
	free(s->spans);
	free(s->bits);
	free(s);
	return NULL;
}

/* sched_locate - the address and port at index i of the space */
int sched_locate(struct sched *s, uint64_t i, struct ipset_addr *a, unsigned *port)
{
	unsigned probe;

	return sched_locate_probe(s, i, a, port, &probe);
}

/* sched_locate_probe - the address, port and probe at index i */
int sched_locate_probe(struct sched *s, uint64_t i, struct ipset_addr *a, unsigned *port,
                       unsigned *probe)
{
	for (size_t g = 0; g < s->nspans; g++) {
		struct span *sp = &s->spans[g];
		uint64_t off;

		if (i < sp->first || i - sp->first >= sp->n)
			continue;
		off = i - sp->first;
		if (sp->port) {
			*port = sp->port;
			*probe = s->gprobe[off % s->ngprobe];
			off /= s->ngprobe;
		} else {
			*port = s->ports.port[off % s->ports.n];
			*probe = s->ports.probe[off % s->ports.n];
			off /= s->ports.n;
		}
		return ipset_nth(sp->set, off, a);
	}
	return -1;
}

/* ---- the low-water mark ------------------------------------------------ */

/* mark_final - position o is final; advance the mark over final positions */
static void mark_final(struct sched *s, uint64_t o)
{
	size_t w;

	if (o < s->lw)
		return;
	w = (size_t)((o - s->base) / 64);
	if (w >= s->nwords) {
		size_t n = s->nwords ? s->nwords : 16;

		while (n <= w)
			n *= 2;
		s->bits = xrealloc(s->bits, n * sizeof(*s->bits));
		memset(s->bits + s->nwords, 0, (n - s->nwords) * sizeof(*s->bits));
		s->nwords = n;
	}
	s->bits[w] |= 1ULL << ((o - s->base) % 64);
	while (s->lw < s->st.taken) {
		uint64_t k = s->lw - s->base;

		if ((k / 64) >= s->nwords || !(s->bits[k / 64] & (1ULL << (k % 64))))
			break;
		s->lw++;
	}
	/* drop the words wholly below the mark once they are half the map */
	w = (size_t)((s->lw - s->base) / 64);
	if (w > 0 && w >= s->nwords / 2) {
		memmove(s->bits, s->bits + w, (s->nwords - w) * sizeof(*s->bits));
		memset(s->bits + (s->nwords - w), 0, w * sizeof(*s->bits));
		s->base += (uint64_t)w * 64;
	}
}

void sched_set_limits(struct sched *s, uint64_t rate, unsigned per_subnet)
{
	if (rate != s->c.rate) {
		s->c.rate = rate;
		s->bucket_ready = 0; /* a new bucket at the next hand-out */
	}
	if (per_subnet != s->c.subnet.per_subnet && s->c.subnet.per_subnet && per_subnet) {
		s->c.subnet.per_subnet = per_subnet;
		subnet_set_cap(s->subnets, per_subnet);
	}
}

uint64_t sched_low_water(const struct sched *s)
{
	return s->lw;
}

/* ---- resume ------------------------------------------------------------ */

void sched_skip_before(struct sched *s, uint64_t position)
{
	s->skip_before = position;
}

/* done_for - the done set of a port and probe, created when asked to */
static struct ipset *done_for(struct sched *s, unsigned port, unsigned probe, int create)
{
	for (size_t i = 0; i < s->ndone; i++)
		if (s->done[i].port == port && s->done[i].probe == probe)
			return s->done[i].set;
	if (!create)
		return NULL;
	s->done = xrealloc(s->done, (s->ndone + 1) * sizeof(*s->done));
	s->done[s->ndone] = (struct doneset){.port = port, .probe = probe, .set = ipset_new()};
	return s->done[s->ndone++].set;
}

void sched_skip(struct sched *s, const struct ipset_addr *a, unsigned port)
{
	sched_skip_probe(s, a, port, TARGETS_PROBE_SMTP);
}

void sched_skip_probe(struct sched *s, const struct ipset_addr *a, unsigned port, unsigned probe)
{
	ipset_add_addr(done_for(s, port, probe, 1), a);
}

/* ---- handing out --------------------------------------------------------- */

/* refused - the last guard: excluded, or outside a scope */
static int refused(struct sched *s, const struct ipset_addr *a)
{
	if (s->c.never && ipset_contains(s->c.never, a))
		return 1;
	return s->c.scope && !ipset_contains(s->c.scope, a);
}

/* take_walk - the next position worth a session into s->pending; 0, or -1
 * when the walk is over */
static int take_walk(struct sched *s)
{
	uint64_t idx;

	while (!s->exhausted) {
		struct sched_item *it = &s->pending;
		struct ipset *done;

		if (permute_next(&s->pm, &idx) != 0) {
			s->exhausted = 1;
			break;
		}
		memset(it, 0, sizeof(*it));
		it->ordinal = s->st.taken++;
		if (sched_locate_probe(s, idx, &it->addr, &it->port, &it->probe) < 0)
			rw_panic("%s: index %llu outside the scan space", __func__,
			         (unsigned long long)idx);
		if (it->ordinal < s->skip_before) {
			s->st.resumed++;
			mark_final(s, it->ordinal);
			continue;
		}
		if ((done = done_for(s, it->port, it->probe, 0)) != NULL &&
		    ipset_contains(done, &it->addr)) {
			s->st.resumed++;
			mark_final(s, it->ordinal);
			continue;
		}
		if (refused(s, &it->addr)) {
			s->st.refused++;
			mark_final(s, it->ordinal);
			continue;
		}
		it->sslen = ipset_addr_to_sa(&it->addr, it->port, &it->ss);
		return 0;
	}
	return -1;
}

enum sched_step sched_next(struct sched *s, uint64_t now_ms, struct sched_item *it,
                           uint64_t *wait_ms)
{
	enum subnet_status sub;
	uint64_t w;

	*wait_ms = 0;
	if (s->stopped || (s->rhead && s->rhead->due_ms <= now_ms)) {
		struct retry *r = s->rhead;

		if (r == NULL)
			return SCHED_DONE;
		/* stopped, or the scope or exclusions grew since: its first
		 * result is the final one */
		if (s->stopped || refused(s, &r->it.addr)) {
			*it = r->it;
			if ((s->rhead = r->next) == NULL)
				s->rtail = NULL;
			free(r);
			s->st.retry_queued--;
			if (!s->stopped)
				s->st.refused++;
			return SCHED_DROP;
		}
	}
	if (s->st.inflight >= s->c.concurrency)
		return SCHED_FULL;
	if (!s->bucket_ready) {
		bucket_init(&s->bucket, s->c.rate,
		            s->c.rate ? (s->c.rate < 100 ? s->c.rate : 100) : 1, now_ms);
		s->bucket_ready = 1;
	}
	if (!s->have_pending) {
		if (s->rhead && s->rhead->due_ms <= now_ms) {
			struct retry *r = s->rhead;

			s->pending = r->it;
			if ((s->rhead = r->next) == NULL)
				s->rtail = NULL;
			free(r);
			s->st.retry_queued--;
			s->have_pending = 1;
		} else if (take_walk(s) == 0) {
			s->have_pending = 1;
		} else if (s->rhead) {
			*wait_ms = s->rhead->due_ms - now_ms;
			return SCHED_WAIT;
		} else {
			return SCHED_DONE;
		}
	}
	if ((w = bucket_wait_ms(&s->bucket, now_ms)) > 0) {
		*wait_ms = w;
		return SCHED_WAIT;
	}
	sub = subnet_acquire(s->subnets, (const struct sockaddr *)&s->pending.ss);
	if (sub == SUBNET_BUSY || sub == SUBNET_FULL)
		return SCHED_FULL;
	if (sub != SUBNET_OK)
		rw_panic("%s: subnet_acquire: bad address", __func__);
	bucket_take(&s->bucket, now_ms);
	s->have_pending = 0;
	s->st.inflight++;
	s->st.started++;
	if (s->pending.retry)
		s->st.retries++;
	*it = s->pending;
	return SCHED_GO;
}

void sched_end(struct sched *s, const struct sched_item *it)
{
	subnet_release(s->subnets, (const struct sockaddr *)&it->ss);
	if (s->st.inflight == 0)
		rw_panic("%s: more ends than starts", __func__);
	s->st.inflight--;
}

int sched_retry(struct sched *s, const struct sched_item *it, uint64_t now_ms)
{
	struct retry *r;

	if (s->stopped || s->c.retry_after_ms == 0 || it->retry)
		return 0;
	r = xcalloc(1, sizeof(*r));
	r->it = *it;
	r->it.retry = 1;
	r->due_ms = now_ms + s->c.retry_after_ms;
	if (s->rtail)
		s->rtail->next = r;
	else
		s->rhead = r;
	s->rtail = r;
	s->st.retry_queued++;
	return 1;
}

void sched_final(struct sched *s, const struct sched_item *it)
{
	mark_final(s, it->ordinal);
}

void sched_stop(struct sched *s)
{
	s->stopped = 1;
	s->have_pending = 0;
}

void sched_stats(const struct sched *s, struct sched_stats *out)
{
	*out = s->st;
}
