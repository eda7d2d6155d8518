/*
 * NAME
 *	ratelimit - connection rate and per-subnet concurrency for scans
 * SUMMARY
 *	token bucket (--rate) and a bounded table of sessions per /24 or /64
 * SYNOPSIS
 *	void bucket_init(struct bucket *b, uint64_t rate, uint64_t burst,
 *		uint64_t now_ms);
 *	int bucket_take(b, now_ms); uint64_t bucket_wait_ms(b, now_ms);
 *	void subnet_limits_defaults(struct subnet_limits *l);
 *	struct subnet_table *subnet_new(l); subnet_free(t);
 *	enum subnet_status subnet_acquire(t, sa); void subnet_release(t, sa);
 *	unsigned subnet_inflight(t, sa); size_t subnet_count(t);
 * DESCRIPTION
 *	The bucket holds up to burst tokens and gains rate per second,
 *	counted in thousandths so each millisecond adds exactly rate of them:
 *	over any window of T ms no more than burst + rate * T / 1000 tokens
 *	are taken. It starts full. bucket_take() returns 1 when it took a
 *	token; bucket_wait_ms() is exact, so a scheduler that sleeps that long
 *	finds the token there. Time that goes backwards adds nothing. The
 *	caller owns the struct.
 *	The subnet table is open addressing with linear probing, at most half
 *	full, keyed by family and prefix (an IPv4-mapped IPv6 address counts
 *	in its IPv4 subnet); a subnet leaves it when its last session ends
 *	(backward-shift deletion, no tombstones). It is bounded: when
 *	max_subnets subnets are in flight a new subnet is refused
 *	(SUBNET_FULL), never admitted untracked. The table is owned by the
 *	caller of subnet_new(); sockaddrs are only read.
 * DIAGNOSTICS
 *	subnet_acquire() says why it refused; releasing a subnet with nothing
 *	in flight panics (a session released twice).
 * LIMITS
 *	RW_SCAN_PER_SUBNET and RW_SCAN_SUBNETS_MAX (defaults); rate and burst
 *	at most 2^40; prefixes /0../32 and /0../64.
 * STANDARDS
 *	RFC 4291 2.5.5.2 (IPv4-mapped addresses); RFC 7421 (/64 subnets).
 */
#include "ratelimit.h"

#include "../core/limits.h"
#include "../core/xalloc.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* Rate and burst above this are clamped, so products stay far from 2^64. */
#define BUCKET_MAX (1ULL << 40)

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* bucket_init - start full, so a scan may open burst connections at once */
void bucket_init(struct bucket *b, uint64_t rate, uint64_t burst, uint64_t now_ms)
{
	b->rate = rate ? clamp(rate, 1, BUCKET_MAX) : 0;
	b->burst = clamp(burst, 1, BUCKET_MAX);
	b->milli = b->burst * 1000;
	b->last_ms = now_ms;
}

/* refill - add what the time since the last refill earned, up to burst */
static void refill(struct bucket *b, uint64_t now_ms)
{
	uint64_t cap = b->burst * 1000, room = cap - b->milli;

	if (now_ms <= b->last_ms)
		return; /* same millisecond, or the clock went back */
	if (b->rate == 0 || now_ms - b->last_ms >= room / b->rate + 1)
		b->milli = cap;
	else
		b->milli += (now_ms - b->last_ms) * b->rate;
	b->last_ms = now_ms;
}

/* bucket_take - one token, if there is a whole one */
int bucket_take(struct bucket *b, uint64_t now_ms)
{
	if (b->rate == 0)
		return 1;
	refill(b, now_ms);
	if (b->milli < 1000)
		return 0;
	b->milli -= 1000;
	return 1;
}

/* bucket_wait_ms - time until the missing part of a token has dripped in */
uint64_t bucket_wait_ms(struct bucket *b, uint64_t now_ms)
{
	if (b->rate == 0)
		return 0;
	refill(b, now_ms);
	if (b->milli >= 1000)
		return 0;
	/* from last_ms, which is now_ms unless the clock went back */
	uint64_t due = b->last_ms + (1000 - b->milli + b->rate - 1) / b->rate;

	return due > now_ms ? due - now_ms : 0;
}

struct slot {
	uint64_t prefix;
	uint32_t count; /* 0: the slot is empty */
	uint8_t family; /* 4 or 6 */
};

struct subnet_table {
	struct subnet_limits lim;
	struct slot *slot;
	size_t mask; /* slots - 1; slots is a power of two >= 2 * max_subnets */
	size_t used;
};

/* subnet_limits_defaults - the defaults of limits.h */
void subnet_limits_defaults(struct subnet_limits *l)
{
	l->per_subnet = RW_SCAN_PER_SUBNET;
	l->v4_prefix = 24;
	l->v6_prefix = 64;
	l->max_subnets = RW_SCAN_SUBNETS_MAX;
}

/* subnet_new - size the table once; it never grows */
struct subnet_table *subnet_new(const struct subnet_limits *l)
{
	struct subnet_table *t = xcalloc(1, sizeof(*t));
	size_t slots = 8;

	t->lim = *l;
	if (t->lim.v4_prefix > 32)
		t->lim.v4_prefix = 32;
	if (t->lim.v6_prefix > 64)
		t->lim.v6_prefix = 64;
	if (t->lim.max_subnets > RW_SCAN_SUBNETS_MAX * 64)
		rw_panic("%s: %zu subnets is beyond any scan", __func__, t->lim.max_subnets);
	while (slots < 2 * t->lim.max_subnets)
		slots *= 2;
	t->slot = xcalloc(slots, sizeof(*t->slot));
	t->mask = slots - 1;
	return t;
}

/* subnet_free - release the table */
struct subnet_table *subnet_free(struct subnet_table *t)
{
	if (t) {
		free(t->slot);
		free(t);
	}
	return NULL;
}

/* top - the first bits of a big-endian value of width bits */
static uint64_t top(uint64_t v, unsigned width, unsigned bits)
{
	return bits == 0 ? 0 : v >> (width - bits);
}

/* subnet_key - family and prefix of sa's subnet; 0 or -1 (not IP) */
static int subnet_key(const struct subnet_limits *l, const struct sockaddr *sa, uint8_t *family,
                      uint64_t *prefix)
{
	const unsigned char *a;
	uint64_t hi = 0;

	if (sa->sa_family == AF_INET) {
		a = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
		if (memcmp(a, mapped, sizeof(mapped)) != 0) {
			for (int i = 0; i < 8; i++)
				hi = hi << 8 | a[i];
			*family = 6;
			*prefix = top(hi, 64, l->v6_prefix);
			return 0;
		}
		a += 12;
	} else {
		return -1;
	}
	hi = (uint64_t)a[0] << 24 | (uint64_t)a[1] << 16 | (uint64_t)a[2] << 8 | a[3];
	*family = 4;
	*prefix = top(hi, 32, l->v4_prefix);
	return 0;
}

/* home - the slot a key hashes to (splitmix64's finalizer) */
static size_t home(const struct subnet_table *t, uint8_t family, uint64_t prefix)
{
	uint64_t z = prefix ^ (family == 6 ? 0x9e3779b97f4a7c15ULL : 0);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (size_t)(z ^ (z >> 31)) & t->mask;
}

/* find - the key's slot, or the empty slot where it would go */
static size_t find(const struct subnet_table *t, uint8_t family, uint64_t prefix)
{
	size_t i = home(t, family, prefix);

	while (t->slot[i].count && (t->slot[i].family != family || t->slot[i].prefix != prefix))
		i = (i + 1) & t->mask;
	return i;
}

/* subnet_acquire - admit a session when its subnet has room */
enum subnet_status subnet_acquire(struct subnet_table *t, const struct sockaddr *sa)
{
	uint8_t family;
	uint64_t prefix;
	size_t i;

	if (subnet_key(&t->lim, sa, &family, &prefix) < 0)
		return SUBNET_BADADDR;
	if (t->lim.per_subnet == 0)
		return SUBNET_OK;
	i = find(t, family, prefix);
	if (t->slot[i].count) {
		if (t->slot[i].count >= t->lim.per_subnet)
			return SUBNET_BUSY;
		t->slot[i].count++;
		return SUBNET_OK;
	}
	if (t->used >= t->lim.max_subnets)
		return SUBNET_FULL;
	t->slot[i] = (struct slot){.prefix = prefix, .count = 1, .family = family};
	t->used++;
	return SUBNET_OK;
}

/* subnet_release - one session fewer; the last one frees the slot */
void subnet_release(struct subnet_table *t, const struct sockaddr *sa)
{
	uint8_t family;
	uint64_t prefix;
	size_t i, j;

	if (subnet_key(&t->lim, sa, &family, &prefix) < 0)
		rw_panic("%s: address family %d was never admitted", __func__, sa->sa_family);
	if (t->lim.per_subnet == 0)
		return;
	i = find(t, family, prefix);
	if (t->slot[i].count == 0)
		rw_panic("%s: subnet released with no session in flight", __func__);
	if (--t->slot[i].count)
		return;
	/* backward shift: pull later members of the probe run into the hole
	 * unless their home lies cyclically in (hole, their slot] */
	for (j = i;;) {
		size_t k;

		j = (j + 1) & t->mask;
		if (t->slot[j].count == 0)
			break;
		k = home(t, t->slot[j].family, t->slot[j].prefix);
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t->slot[i] = t->slot[j];
		i = j;
	}
	t->slot[i].count = 0;
	t->used--;
}

/* subnet_inflight - the count for sa's subnet (0 when untracked) */
unsigned subnet_inflight(const struct subnet_table *t, const struct sockaddr *sa)
{
	uint8_t family;
	uint64_t prefix;

	if (subnet_key(&t->lim, sa, &family, &prefix) < 0 || t->lim.per_subnet == 0)
		return 0;
	return t->slot[find(t, family, prefix)].count;
}

/* subnet_count - subnets in the table */
size_t subnet_count(const struct subnet_table *t)
{
	return t->used;
}

void subnet_set_cap(struct subnet_table *t, unsigned per_subnet)
{
	if (t->lim.per_subnet == 0 || per_subnet == 0)
		rw_panic("%s: a cap of 0 cannot change (%u -> %u)", __func__, t->lim.per_subnet,
		         per_subnet);
	t->lim.per_subnet = per_subnet;
}
