/*
 * sched.h - the scan scheduler: which (address, port) to test next, and when
 *
 * A pure state machine (no sockets, no clock: the caller passes the time).
 * It walks the scan space (targets x ports) in the seeded permutation of
 * src/scan/permute, keeps at most `concurrency` sessions in flight, paces
 * new connections with a token bucket and a per-subnet cap, refuses every
 * address in the never set or outside the scope one more time before it is
 * handed out, skips what a resumed scan already has, queues one retry of a
 * tempfailed target after `retry_after_ms`, and keeps the low-water mark:
 * the walk position below which every target is final (what a resume
 * starts from).
 *
 * The caller's loop:
 *	while ((st = sched_next(s, now, &it, &wait)) == SCHED_GO)
 *		start a session for it;
 *	SCHED_WAIT: call again in `wait` ms; SCHED_FULL: again after a
 *	sched_end(); SCHED_DROP: a queued retry's first result is final;
 *	SCHED_DONE: nothing left to start (sessions may still run).
 *	When a session ends: sched_end(); then either sched_retry() (a retry
 *	is queued; the item is not final) or, once its arrivals are waited
 *	for, sched_final().
 */
#ifndef RW_SCHED_H
#define RW_SCHED_H

#include "ipset.h"
#include "ratelimit.h"
#include "targets.h"

#include <stdint.h>
#include <sys/socket.h>

struct sched_config {
	struct targets *targets;           /* the space's groups; borrowed, kept unchanged */
	const struct targets_ports *ports; /* for groups without a port */
	struct ipset *never;               /* never contacted; borrowed; NULL: none */
	struct ipset *scope;               /* only these are contacted; NULL: no scope */
	uint64_t seed;
	unsigned concurrency; /* sessions in flight, >= 1 */
	uint64_t rate;        /* new connections per second; 0: no limit */
	struct subnet_limits subnet;
	uint64_t retry_after_ms; /* delay of the one retry; 0: no retries */
	/* a distributed scan's slice of the walk (permute_shard): shard k
	 * of `shards`; shards 0 or 1 = the whole walk. Ordinals, the
	 * low-water mark and sched_skip_before count within the slice. */
	uint32_t shard, shards;
};

/* one target handed out */
struct sched_item {
	struct ipset_addr addr;
	unsigned port;
	unsigned probe;             /* enum targets_probe: what runs on it */
	uint64_t ordinal;           /* place in the walk: 0, 1, ... (same on resume) */
	int retry;                  /* 1: this is the target's retry */
	void *data;                 /* the caller's; kept with a queued retry */
	struct sockaddr_storage ss; /* address and port to connect to */
	socklen_t sslen;
};

enum sched_step {
	SCHED_GO,   /* *it is to be started now */
	SCHED_WAIT, /* nothing may start for *wait_ms */
	SCHED_FULL, /* concurrency or subnet limit: wait for a sched_end() */
	SCHED_DROP, /* *it is a queued retry that will not run (stopped, or now
	               excluded): its first result is final; call again */
	SCHED_DONE  /* the walk and the retries are exhausted, or stopped */
};

struct sched_stats {
	uint64_t total;   /* the space: targets x ports */
	uint64_t taken;   /* walk positions taken */
	uint64_t started; /* sessions handed out (retries included) */
	uint64_t retries; /* retries handed out */
	uint64_t refused; /* excluded or out of scope at hand-out time */
	uint64_t resumed; /* already had a result (resume) */
	uint64_t inflight;
	uint64_t retry_queued; /* retries waiting for their time */
};

struct sched;

/* sched_new - a scheduler over c (copied; the sets stay borrowed); NULL
 * with a static text in *err when the space is too large */
struct sched *sched_new(const struct sched_config *c, const char **err);
struct sched *sched_free(struct sched *s); /* accepts NULL, returns NULL */

/* sched_skip_before - resume: walk positions below `position` are final
 * already; call before the first sched_next */
void sched_skip_before(struct sched *s, uint64_t position);
/* sched_skip - resume: (a, port) has its smtp result already; never handed out */
void sched_skip(struct sched *s, const struct ipset_addr *a, unsigned port);
/* sched_skip_probe - the same for one probe (enum targets_probe) */
void sched_skip_probe(struct sched *s, const struct ipset_addr *a, unsigned port, unsigned probe);

/* sched_next - the next step at time now_ms (see enum sched_step) */
enum sched_step sched_next(struct sched *s, uint64_t now_ms, struct sched_item *it,
                           uint64_t *wait_ms);
/* sched_end - it's session is over: its in-flight and subnet slots are free */
void sched_end(struct sched *s, const struct sched_item *it);
/* sched_retry - queue it's one retry (due retry_after_ms after now_ms):
 * 1 queued, 0 not (retries off, already a retry, or stopped) and it is to
 * be made final */
int sched_retry(struct sched *s, const struct sched_item *it, uint64_t now_ms);
/* sched_final - it's result is final (reported and stored) */
void sched_final(struct sched *s, const struct sched_item *it);
/* sched_set_limits - a new rate (new connections per second, 0 none) and
 * per-subnet cap (both nonzero before and after, or unchanged): a
 * distributed scan's share as workers come and go. Sessions in flight
 * keep their slots; more than the new cap may run until they end. */
void sched_set_limits(struct sched *s, uint64_t rate, unsigned per_subnet);
/* sched_stop - hand out nothing more: sched_next returns each queued
 * retry as SCHED_DROP, then SCHED_DONE */
void sched_stop(struct sched *s);

/* sched_low_water - every walk position below it is final */
uint64_t sched_low_water(const struct sched *s);
void sched_stats(const struct sched *s, struct sched_stats *out);
/* sched_locate - the address and port at permutation index i; 0 or -1 */
int sched_locate(struct sched *s, uint64_t i, struct ipset_addr *a, unsigned *port);
/* sched_locate_probe - the same, and the probe (enum targets_probe) */
int sched_locate_probe(struct sched *s, uint64_t i, struct ipset_addr *a, unsigned *port,
                       unsigned *probe);

#endif
