/*
 * ratelimit.h - how fast and how close together the scan may probe
 *
 * A token bucket for --rate (new connections per second, bursts up to a
 * cap) and a per-subnet limiter for --per-subnet (sessions in flight per
 * /24 or /64). Both are pure: time is passed in, no clock, no sockets.
 */
#ifndef RW_RATELIMIT_H
#define RW_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Token bucket. Plain data: the caller owns it; nothing to free. Tokens
 * are counted in thousandths so a refill per millisecond is exact. */
struct bucket {
	uint64_t rate;    /* tokens per second; 0: no limit */
	uint64_t burst;   /* tokens held at most (at least 1) */
	uint64_t milli;   /* thousandths of a token held */
	uint64_t last_ms; /* time of the last refill */
};

/* bucket_init - a full bucket at now_ms; rate and burst are clamped to
 * 1 .. 2^40 (rate 0 stays "no limit") */
void bucket_init(struct bucket *b, uint64_t rate, uint64_t burst, uint64_t now_ms);
/* bucket_take - 1 when a token was taken at now_ms, 0 when none is there */
int bucket_take(struct bucket *b, uint64_t now_ms);
/* bucket_wait_ms - milliseconds from now_ms until bucket_take succeeds; 0
 * when it would now */
uint64_t bucket_wait_ms(struct bucket *b, uint64_t now_ms);

/* Per-subnet limits: a struct with its defaults, as every scope's limits. */
struct subnet_limits {
	unsigned per_subnet; /* sessions in flight per subnet; 0: no limit */
	unsigned v4_prefix;  /* IPv4 subnet size, 0..32 (24) */
	unsigned v6_prefix;  /* IPv6 subnet size, 0..64 (64) */
	size_t max_subnets;  /* subnets tracked at once; when full, refuse */
};

/* subnet_limits_defaults - --per-subnet RW_SCAN_PER_SUBNET per /24 and /64,
 * RW_SCAN_SUBNETS_MAX subnets */
void subnet_limits_defaults(struct subnet_limits *l);

enum subnet_status {
	SUBNET_OK,     /* admitted: call subnet_release() when the session ends */
	SUBNET_BUSY,   /* the subnet has per_subnet sessions in flight */
	SUBNET_FULL,   /* max_subnets subnets tracked: no new subnet (fail safe) */
	SUBNET_BADADDR /* neither AF_INET nor AF_INET6 */
};

struct subnet_table; /* opaque */

/* subnet_new - an empty table for l (copied); owned, subnet_free() it */
struct subnet_table *subnet_new(const struct subnet_limits *l);
/* subnet_free - release t (NULL is fine); returns NULL */
struct subnet_table *subnet_free(struct subnet_table *t);
/* subnet_acquire - count one more session in the subnet of sa, or say why not */
enum subnet_status subnet_acquire(struct subnet_table *t, const struct sockaddr *sa);
/* subnet_release - one session of sa's subnet ended; it must have been
 * admitted (anything else is a broken invariant: rw_panic) */
void subnet_release(struct subnet_table *t, const struct sockaddr *sa);
/* subnet_set_cap - a new per_subnet for t; both the old and the new cap
 * must be nonzero (sessions counted under one are released under the other) */
void subnet_set_cap(struct subnet_table *t, unsigned per_subnet);
/* subnet_inflight - sessions counted in the subnet of sa */
unsigned subnet_inflight(const struct subnet_table *t, const struct sockaddr *sa);
/* subnet_count - subnets with a session in flight */
size_t subnet_count(const struct subnet_table *t);

#endif
