/*
 * NAME
 *	permute - the scan order, a seeded permutation of [0, n)
 * SUMMARY
 *	walk (Z/pZ)* by a primitive root, skipping elements above n (zmap)
 * SYNOPSIS
 *	const char *permute_init(struct permute *pm, uint64_t n, uint64_t seed);
 *	const char *permute_shard(pm, k, count);
 *	int permute_next(pm, uint64_t *index);
 *	struct permute_pos permute_state(pm);
 *	const char *permute_resume(pm, n, seed, const struct permute_pos *pos);
 * DESCRIPTION
 *	permute_init() picks p, the smallest prime above n whose p - 1
 *	factors by trial division up to 2^16 with a prime (or no) cofactor,
 *	then draws from the seed (splitmix64) a primitive root g, checked by
 *	g^((p-1)/q) != 1 for every prime q dividing p - 1, and a first
 *	element. The cycle first * g^k, k = 0 .. p-2, visits every element of
 *	1 .. p-1 once; element x <= n is index x - 1, the few above n are
 *	skipped. Since x -> x * g is a bijection, x * g - x is uniform over
 *	the group, so consecutive indexes fall in one /24 about 256 times in
 *	p, not more. Same n and seed, same order; nothing is allocated.
 *	permute_shard() gives shard k of count the steps [L*k/count,
 *	L*(k+1)/count) of the cycle of length L = p - 1; it must come before
 *	the first permute_next(). permute_next() stores the next index and
 *	returns 0, or returns 1 once the shard is exhausted (and again on
 *	every later call). permute_state() is the position after what was
 *	handed out; permute_resume() rebuilds the iterator (shard included)
 *	from n, the seed and that position in O(log p) multiplications.
 * DIAGNOSTICS
 *	Static error texts: n above the limit, a bad shard, a position that
 *	does not belong to this n and seed (its element does not match).
 * LIMITS
 *	n <= RW_SCAN_SPACE_MAX (2^48); arithmetic is 128-bit above p = 2^32.
 * STANDARDS
 *	none; Durumeric et al., "ZMap", USENIX Security 2013, section 2.2.
 */
#include "permute.h"

#include "../core/limits.h"

#include <stddef.h>

__extension__ typedef unsigned __int128 u128;

/* Trial division bound when factoring p - 1; a larger cofactor must be prime. */
#define FACTOR_BOUND 65536u
/* Distinct prime factors of a number below 2^64 (the first 16 primes' product exceeds it). */
#define FACTORS_MAX 16

/* mulmod - a * b mod m, with 64-bit arithmetic when it cannot overflow */
static inline uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
	if (m <= (1ULL << 32))
		return a * b % m;
	return (uint64_t)((u128)a * b % m);
}

/* powmod - b^e mod m by squaring */
static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m)
{
	uint64_t r = 1 % m;

	b %= m;
	for (; e; e >>= 1) {
		if (e & 1)
			r = mulmod(r, b, m);
		b = mulmod(b, b, m);
	}
	return r;
}

/* is_prime - Miller-Rabin with the first 12 prime bases: exact below 3.3e24 */
static int is_prime(uint64_t n)
{
	static const uint64_t bases[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
	uint64_t d = n - 1;
	int s = 0;

	if (n < 2)
		return 0;
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (n == bases[i])
			return 1;
		if (n % bases[i] == 0)
			return 0;
	}
	while ((d & 1) == 0) {
		d >>= 1;
		s++;
	}
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		uint64_t x = powmod(bases[i], d, n);

		if (x == 1 || x == n - 1)
			continue;
		int r;
		for (r = 1; r < s; r++) {
			x = mulmod(x, x, n);
			if (x == n - 1)
				break;
		}
		if (r == s)
			return 0;
	}
	return 1;
}

/* factor - distinct primes of m into q[]; -1 when a composite cofactor
 * is left past the trial bound (the caller then tries the next prime) */
static int factor(uint64_t m, uint64_t q[FACTORS_MAX], int *nq)
{
	*nq = 0;
	for (uint64_t d = 2; d <= FACTOR_BOUND && d * d <= m; d += (d == 2 ? 1 : 2)) {
		if (m % d)
			continue;
		q[(*nq)++] = d;
		while (m % d == 0)
			m /= d;
	}
	if (m > 1) {
		if (!is_prime(m))
			return -1;
		q[(*nq)++] = m;
	}
	return 0;
}

/* splitmix64 - the seed's stream (Steele, Lea, Flood 2014) */
static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* permute_init - pick the group, its generator and the start from n and seed */
const char *permute_init(struct permute *pm, uint64_t n, uint64_t seed)
{
	uint64_t q[FACTORS_MAX], p, g, s = seed;
	int nq;

	if (n > RW_SCAN_SPACE_MAX)
		return "index space larger than 2^48";
	for (p = n + 1;; p++)
		if (is_prime(p) && factor(p - 1, q, &nq) == 0)
			break;
	if (p < 5) {
		g = p - 1; /* the only primitive root of 2 and of 3 */
	} else {
		for (;;) {
			int i;

			g = 2 + splitmix64(&s) % (p - 3);
			for (i = 0; i < nq; i++)
				if (powmod(g, (p - 1) / q[i], p) == 1)
					break;
			if (i == nq)
				break;
		}
	}
	*pm = (struct permute){
	    .n = n,
	    .seed = seed,
	    .prime = p,
	    .gen = g,
	    .first = 1 + splitmix64(&s) % (p - 1),
	    .begin = 0,
	    .end = p - 1,
	    .step = 0,
	    .emitted = 0,
	    .shard = 0,
	    .shards = 1,
	};
	pm->elem = pm->first;
	return NULL;
}

/* permute_shard - keep the steps of slice k of count */
const char *permute_shard(struct permute *pm, uint32_t k, uint32_t count)
{
	uint64_t len = pm->prime - 1;

	if (count == 0 || k >= count)
		return "shard number out of range";
	if (pm->shards != 1 || pm->step != 0 || pm->emitted != 0)
		return "shard chosen after the walk started";
	pm->begin = (uint64_t)((u128)len * k / count);
	pm->end = (uint64_t)((u128)len * (k + 1) / count);
	pm->step = pm->begin;
	pm->elem = mulmod(pm->first, powmod(pm->gen, pm->begin, pm->prime), pm->prime);
	pm->shard = k;
	pm->shards = count;
	return NULL;
}

/* permute_next - step the walk until an element maps into [0, n) */
int permute_next(struct permute *pm, uint64_t *index)
{
	while (pm->step < pm->end) {
		uint64_t x = pm->elem;

		pm->elem = mulmod(x, pm->gen, pm->prime);
		pm->step++;
		if (x <= pm->n) {
			*index = x - 1;
			pm->emitted++;
			return 0;
		}
	}
	return 1;
}

/* permute_state - what permute_resume needs to continue from here */
struct permute_pos permute_state(const struct permute *pm)
{
	return (struct permute_pos){
	    .step = pm->step,
	    .emitted = pm->emitted,
	    .elem = pm->elem,
	    .shard = pm->shard,
	    .shards = pm->shards,
	};
}

/* permute_resume - rebuild from n and seed, then jump to pos and check it */
const char *permute_resume(struct permute *pm, uint64_t n, uint64_t seed,
                           const struct permute_pos *pos)
{
	const char *err;

	if ((err = permute_init(pm, n, seed)) != NULL)
		return err;
	if (pos->shards != 1 && (err = permute_shard(pm, pos->shard, pos->shards)) != NULL)
		return err;
	if (pos->shards == 1 && pos->shard != 0)
		return "shard number out of range";
	if (pos->step < pm->begin || pos->step > pm->end || pos->emitted > pos->step - pm->begin)
		return "position outside the cycle";
	if (pos->elem != mulmod(pm->first, powmod(pm->gen, pos->step, pm->prime), pm->prime))
		return "position saved with another target count or seed";
	pm->step = pos->step;
	pm->emitted = pos->emitted;
	pm->elem = pos->elem;
	return NULL;
}
