/*
 * block_apply.h - carry the store's block and unblock actions out on the
 * firewall (`relaywatch block apply` and the daemon's tick share it)
 */
#ifndef RW_BLOCK_APPLY_H
#define RW_BLOCK_APPLY_H

#include <stdint.h>
#include <stdio.h>

struct store;
struct rw_config;

/* How long the daemon waits after its n-th failed apply in a row, and how
 * often it reconciles with nothing pending (a `flush ruleset` by the
 * distribution's nftables service empties our table). */
#define BLOCK_RETRY_LADDER_S                                                                       \
	{                                                                                          \
		60, 300, 900, 3600, 4 * 3600                                                       \
	}
#define BLOCK_RECONCILE_MS (300 * 1000)

struct block_apply_opts {
	const struct rw_config *cfg; /* block_backend, block_ports, block_command_* */
	int dry_run;                 /* print the diff, change nothing */
	int64_t now_ms;
	int attempt;      /* the daemon's attempt in a row (events say it); 0: none */
	int64_t retry_ms; /* when the daemon tries again after a failure; 0: none */
	FILE *diff;       /* "+ ADDR DIR" / "- ADDR DIR" lines; NULL: none */
};

struct block_apply_result {
	size_t added, removed;  /* firewall elements */
	size_t applied, lifted; /* block actions applied / lifted (unblocks applied) */
	size_t failed;          /* actions that failed this time */
	char why[512];          /* the last failure */
};

/* block_backend_check - whether cfg names a usable backend: NULL, or the
 * problem (static) */
const char *block_backend_check(const struct rw_config *cfg);

/* block_apply - reconcile the firewall with the store: the desired set is
 * the applied blocks plus the pending ones, less those the pending
 * unblocks lift. The nft backend reads the table and changes only the
 * difference, in one transaction; the command backend runs one command
 * per element added or removed. On success the pending blocks become
 * applied, the lifted blocks lifted and the unblocks applied (one
 * durable store batch). On a firewall failure the pending actions stay
 * pending, to be tried again, and each gets a "block-failed" or
 * "unblock-failed" event in its incident's timeline; an action that can
 * never work (its address is not an address) is marked failed at once.
 * Returns 0 all done, 1 some action failed, -1 the store failed or (with
 * nothing pending) the firewall could not be read; r->why says why. */
int block_apply(struct store *st, const struct block_apply_opts *o, struct block_apply_result *r);

/* The daemon's schedule: zero-initialised, owned by the daemon. */
struct block_sched {
	int fails;         /* failed applies in a row */
	long long next_ms; /* not before this (after a failure) */
	long long last_ms; /* the last apply */
};

/* block_tick - apply when the backend is configured and an action is
 * pending (or BLOCK_RECONCILE_MS passed), unless a failure's back-off
 * runs; logs the outcome */
void block_tick(struct block_sched *s, struct store *st, const struct rw_config *cfg,
                long long now_ms);

#endif
