/*
 * NAME
 *	arrival_store - record a sink arrival in the store
 * SUMMARY
 *	struct arrival (src/smtp) flattened into struct store_arrival
 * SYNOPSIS
 *	int64_t arrival_store_scan(const struct arrival *a);
 *	int arrival_store_put(struct store *st, const struct arrival *a, int64_t scan,
 *		int64_t *id);
 * DESCRIPTION
 *	What both the scan's embedded sink and the standalone sink write for
 *	each accepted message. arrival_store_scan reads the scan id out of a
 *	valid token (canonical decimal, as token.c writes it, maybe followed
 *	by a vantage's tag "v" and 8 hex digits: a distributed scan's test
 *	from that vantage); anything else is 0. arrival_store_put copies the token's fields only
 *when the token is valid (a forged one could name any target), and marks it relayed only when not
 *`quoted`, so a bounce quoting a token never upgrades a result. DIAGNOSTICS store_arrival_put's: -1
 *with store_error(st). LIMITS RW_RECEIVED_MAX Received lines (the arrival's own bound). STANDARDS
 *	RFC 8259 (the received column's JSON).
 */
#include "arrival_store.h"
#include "output.h"
#include "../core/xalloc.h"
#include "../smtp/arrival.h"
#include "../store/store.h"

#include <jansson.h>

#include <stdlib.h>
#include <string.h>

/* the largest scan id read from a token: 18 digits always fit int64_t */
#define SCAN_DIGITS_MAX 18

/* arrival_store_scan - the scan id a valid token names, or 0; a shard's
 * test of a vantage signs "ID" "v" 8 hex digits (the vantage's tag) */
int64_t arrival_store_scan(const struct arrival *a)
{
	const char *s = a->fields.scan;
	size_t n = strspn(s, "0123456789"), len = strlen(s);

	if (a->token_status != TOKEN_VALID || n == 0 || n > SCAN_DIGITS_MAX || s[0] == '0')
		return 0;
	if (n != len &&
	    !(len == n + 9 && s[n] == 'v' && strspn(s + n + 1, "0123456789abcdef") == 8))
		return 0;
	return (int64_t)strtoll(s, NULL, 10);
}

/* arrival_store_put - flatten a and record it, tied to scan */
int arrival_store_put(struct store *st, const struct arrival *a, int64_t scan, int64_t *id)
{
	int valid = a->token_status == TOKEN_VALID;
	json_t *chain = json_array();
	char *rcv;
	int rc;

	for (int i = 0; i < a->nreceived; i++)
		json_array_append_new(chain, output_json_text(a->received[i]));
	rcv = json_dumps(chain, JSON_COMPACT);
	json_decref(chain);
	if (rcv == NULL)
		rw_panic("%s: json_dumps failed (out of memory)", __func__);
	struct store_arrival sa = {
	    .token = a->token,
	    .scan = scan > 0 ? scan : 0,
	    .target = valid ? a->fields.target : "",
	    .port = valid ? a->fields.port : 0,
	    .test = valid ? a->fields.test : "",
	    .peer = a->peer,
	    .received = rcv,
	    .arrived = a->time,
	    .relayed = !a->quoted,
	};
	rc = store_arrival_put(st, &sa, id);
	free(rcv);
	return rc;
}
