/*
 * permute.h - the scan order: a seeded pseudo-random permutation of [0, n)
 *
 * The index space is targets x ports (n <= RW_SCAN_SPACE_MAX). The order is
 * a walk of the cyclic group (Z/pZ)* by a primitive root, as zmap does, so
 * it needs no memory beyond this struct and consecutive indexes land far
 * apart. The same n and seed give the same order; a saved position resumes
 * it exactly.
 */
#ifndef RW_PERMUTE_H
#define RW_PERMUTE_H

#include <stdint.h>

/* The iterator. Plain data: the caller owns it; nothing to free. */
struct permute {
	uint64_t n; /* indexes are 0 .. n-1 */
	uint64_t seed;
	uint64_t prime; /* smallest usable prime > n */
	uint64_t gen;   /* primitive root modulo prime, from the seed */
	uint64_t first; /* element at step 0 of the cycle, from the seed */
	uint64_t begin; /* this shard's steps are begin .. end-1 */
	uint64_t end;
	uint64_t step;    /* next step to take */
	uint64_t elem;    /* first * gen^step mod prime */
	uint64_t emitted; /* indexes handed out so far */
	uint32_t shard, shards;
};

/* A position to save (in the store) and resume from: where the walk is,
 * how much it handed out, and the element there, which checks that n and
 * the seed are the ones it was saved with. */
struct permute_pos {
	uint64_t step;
	uint64_t emitted;
	uint64_t elem;
	uint32_t shard, shards;
};

/* permute_init - the whole cycle for n indexes; NULL or a static error
 * text (n too large). n = 0 is an empty permutation. */
const char *permute_init(struct permute *pm, uint64_t n, uint64_t seed);

/* permute_shard - restrict a fresh iterator to shard k of count: a
 * contiguous slice of the cycle; the count shards together hand out every
 * index exactly once. NULL or a static error text (k >= count, count 0,
 * or the iterator already moved). */
const char *permute_shard(struct permute *pm, uint32_t k, uint32_t count);

/* permute_next - the next index into *index and 0, or 1 when done */
int permute_next(struct permute *pm, uint64_t *index);

/* permute_state - the position after the indexes handed out so far */
struct permute_pos permute_state(const struct permute *pm);

/* permute_resume - an iterator continuing exactly after pos; NULL or a
 * static error text (pos does not belong to this n and seed). */
const char *permute_resume(struct permute *pm, uint64_t n, uint64_t seed,
                           const struct permute_pos *pos);

/* permute_emitted - indexes handed out so far (by this shard) */
static inline uint64_t permute_emitted(const struct permute *pm)
{
	return pm->emitted;
}

#endif
