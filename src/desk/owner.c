/*
 * NAME
 *	owner - the host owner's incident token
 * SUMMARY
 *	"ID-MAC": HMAC(token key, "owner|" ID) truncated to 32 hex
 * SYNOPSIS
 *	void owner_token(const struct token_key *k, int64_t id, char out[OWNER_TOKEN_MAX]);
 *	int64_t owner_token_check(const struct token_key *k, const char *tok);
 * DESCRIPTION
 *	The notices link the owner to the console's /owner/TOKEN page; the
 *	token is computed, never stored, so no schema change is needed, and
 *	a new token key revokes every link. Checking parses the canonical
 *	id (no sign, no leading zero) and compares MACs with CRYPTO_memcmp.
 * DIAGNOSTICS
 *	owner_token_check: -1 for anything but a right token.
 * LIMITS
 *	OWNER_TOKEN_MAX.
 * STANDARDS
 *	RFC 2104 (HMAC).
 */
#include "owner.h"

#include "../smtp/token.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

/* mac_hex - the 32 hex digits of id's MAC */
static void mac_hex(const struct token_key *k, int64_t id, char hex[2 * TOKEN_HMAC_LEN + 1])
{
	unsigned char mac[TOKEN_HMAC_LEN];
	char msg[40];
	int n = snprintf(msg, sizeof(msg), "owner|%lld", (long long)id);

	token_hmac(k, msg, (size_t)n, mac);
	for (int i = 0; i < TOKEN_HMAC_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
}

void owner_token(const struct token_key *k, int64_t id, char out[OWNER_TOKEN_MAX])
{
	char hex[2 * TOKEN_HMAC_LEN + 1];

	mac_hex(k, id, hex);
	snprintf(out, OWNER_TOKEN_MAX, "%lld-%s", (long long)id, hex);
}

int64_t owner_token_check(const struct token_key *k, const char *tok)
{
	char hex[2 * TOKEN_HMAC_LEN + 1];
	int64_t id = 0;
	size_t i = 0;

	if (tok == NULL || tok[0] < '1' || tok[0] > '9')
		return -1;
	for (; tok[i] >= '0' && tok[i] <= '9'; i++) {
		if (i >= 18)
			return -1;
		id = id * 10 + (tok[i] - '0');
	}
	if (tok[i] != '-' || strlen(tok + i + 1) != 2 * TOKEN_HMAC_LEN)
		return -1;
	mac_hex(k, id, hex);
	return CRYPTO_memcmp(hex, tok + i + 1, 2 * TOKEN_HMAC_LEN) == 0 ? id : -1;
}
