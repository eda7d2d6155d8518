/*
 * NAME
 *	greylist - (client, sender, recipient) triplets and when first seen
 * SUMMARY
 *	postgrey's rule for the lab's greylisting host, in bounded memory
 * SYNOPSIS
 *	struct greylist *greylist_new(size_t max);
 *	struct greylist *greylist_free(struct greylist *g);
 *	int greylist_check(g, client, sender, rcpt, now_ms, delay_ms, &wait_ms);
 * DESCRIPTION
 *	A triplet is remembered as a 64-bit FNV-1a hash and its first-seen
 *	time in a ring of `max` slots; when the ring is full the oldest
 *	triplet is forgotten (and greylisted again if it comes back).
 *	greylist_check() passes a triplet first seen delay_ms ago or more,
 *	else reports how long is left. Times are the caller's (monotonic).
 *	A triplet seen for the first time is stored and passes only when
 *	delay_ms <= 0. Lookup is a linear scan of the ring. greylist_new()
 *	returns an owned list (max 0 counts as 1); greylist_free() accepts
 *	NULL and returns NULL. The strings are hashed, never kept.
 * DIAGNOSTICS
 *	none: 1 pass, 0 wait with *wait_ms set; a hash collision would let a
 *	triplet pass early (64-bit, harmless in a lab).
 * LIMITS
 *	max triplets (LAB_GREYLIST_MAX per host).
 * STANDARDS
 *	none (postgrey's and Harris's greylisting, not an RFC).
 */
#include "lab.h"

#include <stdint.h>
#include <stdlib.h>

#include "../src/core/xalloc.h"

struct grey_slot {
	uint64_t key;
	long long first;
};

struct greylist {
	struct grey_slot *slot;
	size_t max, n, next; /* next: ring position to overwrite */
};

/* greylist_new - an empty list of at most max triplets */
struct greylist *greylist_new(size_t max)
{
	struct greylist *g = xcalloc(1, sizeof(*g));

	g->max = max ? max : 1;
	g->slot = xcalloc(g->max, sizeof(*g->slot));
	return g;
}

/* greylist_free - NULL ok */
struct greylist *greylist_free(struct greylist *g)
{
	if (g != NULL) {
		free(g->slot);
		free(g);
	}
	return NULL;
}

/* fnv - FNV-1a over a string and its terminating NUL (a field separator) */
static uint64_t fnv(uint64_t h, const char *s)
{
	do {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	} while (*s++ != '\0');
	return h;
}

/* greylist_check - pass a triplet old enough; remember a new one */
int greylist_check(struct greylist *g, const char *client, const char *sender, const char *rcpt,
                   long long now_ms, long long delay_ms, long long *wait_ms)
{
	uint64_t key = fnv(fnv(fnv(14695981039346656037ULL, client), sender), rcpt);
	size_t i;

	for (i = 0; i < g->n; i++) {
		if (g->slot[i].key != key)
			continue;
		if (now_ms - g->slot[i].first >= delay_ms)
			return 1;
		*wait_ms = delay_ms - (now_ms - g->slot[i].first);
		return 0;
	}
	g->slot[g->next].key = key;
	g->slot[g->next].first = now_ms;
	g->next = (g->next + 1) % g->max;
	if (g->n < g->max)
		g->n++;
	*wait_ms = delay_ms;
	return delay_ms <= 0;
}
