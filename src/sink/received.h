/*
 * received.h - Received: header fields of a message, and their hops
 * Standards: RFC 5322 3.6.7 (trace fields), RFC 5321 4.4 (Received).
 */
#ifndef RW_RECEIVED_H
#define RW_RECEIVED_H

#include <stddef.h>

/* received_extract - the Received: field values of the header section of
 * msg (CRLF or LF lines), unfolded and whitespace-collapsed, top first.
 * Stores at most max owned strings in out[]; returns their count. Stops
 * at the blank line ending the header. Each value capped at 1 KiB. */
int received_extract(const char *msg, size_t len, char **out, int max);

struct received_hop {
	char from[256];    /* the name after "from" ("" when absent) */
	char from_ip[64];  /* first [address] in the from clause, "" when absent */
	char by[256];      /* the name after "by" */
};

/* received_hop_parse - read the from/by clauses of one value */
void received_hop_parse(const char *value, struct received_hop *hop);

#endif
