/*
 * NAME
 *	arrival - ownership helpers for struct arrival
 * SUMMARY
 *	clear and deep-copy the sink's record of a delivered message
 * SYNOPSIS
 *	void arrival_clear(struct arrival *a);
 *	void arrival_copy(struct arrival *dst, const struct arrival *src);
 * DESCRIPTION
 *	received[] strings are owned by the arrival; clear frees them and
 *	zeroes the count, copy duplicates them. arrival_copy() overwrites dst
 *	without freeing it: dst must be empty or already cleared.
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
