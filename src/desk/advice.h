/*
 * advice.h - repair advice for an open relay, per fingerprinted MTA and trick
 */
#ifndef RW_ADVICE_H
#define RW_ADVICE_H

#include <stddef.h>

#include "../core/dbuf.h"

struct advice {
	const char *mta;     /* fingerprint_guess() name; "unknown" for the fallback */
	const char *product; /* "Postfix", "Microsoft Exchange", ... */
	const char *fix;     /* what to change, lines ending in "\n" */
	const char *verify;  /* a manual check on the server itself */
};

/* advice_for - the row for an MTA name (as fingerprint_guess() writes it,
 * case-insensitive); the "unknown" row for NULL, "" or a name without
 * advice of its own. Static; never NULL. */
const struct advice *advice_for(const char *mta);
/* advice_all - the whole table and its size (the unknown row last) */
const struct advice *advice_all(size_t *n);

/* advice_trick - extra advice for a battery test id that worked on this
 * MTA ("percent-ip", "bang-host", "quoted", ...): the MTA's own row, else a
 * generic one; NULL when the id needs nothing beyond the general fix.
 * Static text. */
const char *advice_trick(const char *mta, const char *test_id);

/* advice_write - the whole advice into out: the general fix, then each
 * distinct trick text for ids (nids of them, NULL entries skipped) */
void advice_write(struct dbuf *out, const char *mta, const char *const *ids, size_t nids);
/* advice_verify - how to check the repair: the manual check, then the
 * retest command (e.g. "relaywatch test 192.0.2.7:25"; NULL leaves it out) */
void advice_verify(struct dbuf *out, const char *mta, const char *retest_command);

#endif
