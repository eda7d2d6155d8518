/*
 * NAME
 *	arrival - ownership helpers for struct arrival
 * SUMMARY
 *	clear and deep-copy the sink's record of a delivered message
 * SYNOPSIS
 *	void arrival_clear(struct arrival *a);
 *	void arrival_copy(struct arrival *dst, const struct arrival *src);
 *	struct arrival *arrival_dup(const struct arrival *src);
 *	struct arrival *arrival_free(struct arrival *a);
 * DESCRIPTION
 *	received[] strings are owned by the arrival; clear frees them and
 *	zeroes the count, copy duplicates them. arrival_copy() overwrites dst
 *	without freeing it: dst must be empty or already cleared.
 *	arrival_dup() returns an owned deep copy on the heap (results hold
 *	a pointer, NULL until a message arrives); arrival_free() clears and
 *	frees it, accepts NULL and returns NULL.
 * DIAGNOSTICS
 *	none: out of memory is fatal in xstrdup.
 * LIMITS
 *	at most RW_RECEIVED_MAX received[] entries are freed or copied.
 * STANDARDS
 *	none.
 */
#include "arrival.h"
#include "../core/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* arrival_clear - free the Received strings and zero the count */
void arrival_clear(struct arrival *a)
{
	for (int i = 0; i < a->nreceived && i < RW_RECEIVED_MAX; i++) {
		free(a->received[i]);
		a->received[i] = NULL;
	}
	a->nreceived = 0;
}

/* arrival_copy - deep copy, so the copy outlives the sink's borrowed arrival */
void arrival_copy(struct arrival *dst, const struct arrival *src)
{
	memcpy(dst, src, sizeof(*dst));
	for (int i = 0; i < src->nreceived && i < RW_RECEIVED_MAX; i++)
		dst->received[i] = xstrdup(src->received[i]);
}

/* arrival_dup - a heap copy, so a result pays for an arrival only when one came */
struct arrival *arrival_dup(const struct arrival *src)
{
	struct arrival *a = xmalloc(sizeof(*a));

	arrival_copy(a, src);
	return a;
}

/* arrival_free - clear and free a heap arrival; NULL ok */
struct arrival *arrival_free(struct arrival *a)
{
	if (a) {
		arrival_clear(a);
		free(a);
	}
	return NULL;
}
