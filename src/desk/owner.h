/*
 * owner.h - the host owner's link to an incident: an unguessable token
 * derived from the token key, so nothing is stored
 *
 * token = incident id "-" hex(HMAC-SHA256(key, "owner|" id))[0..32)
 * (the first 16 bytes of the MAC, token_hmac). The id lets the console
 * find the incident without a table; the MAC makes the link unguessable
 * (128 bits) and lets it be checked in constant time.
 */
#ifndef RW_DESK_OWNER_H
#define RW_DESK_OWNER_H

#include <stddef.h>
#include <stdint.h>

struct token_key;

/* id (at most 19 digits), '-', 32 hex, NUL */
#define OWNER_TOKEN_MAX (19 + 1 + 32 + 1)

/* owner_token - the token of incident id into out */
void owner_token(const struct token_key *k, int64_t id, char out[OWNER_TOKEN_MAX]);
/* owner_token_check - the incident id a token names, or -1 when it is
 * malformed or its MAC is wrong (compared in constant time) */
int64_t owner_token_check(const struct token_key *k, const char *tok);

#endif
