/*
 * NAME
 *	sparse - which addresses of a lab --range hold a host
 * SUMMARY
 *	parse a loopback CIDR; a seeded, deterministic draw per address
 * SYNOPSIS
 *	int sparse_range(const char *cidr, uint32_t *first, uint64_t *count,
 *	    char *err, size_t errlen);
 *	int sparse_density(const char *text, uint32_t *ppm);
 *	int sparse_populated(uint64_t seed, uint32_t addr, uint32_t ppm);
 * DESCRIPTION
 *	sparse_range() reads "a.b.c.d/len" inside 127.0.0.0/8 (len 8 to
 *	32; host bits must be zero) into its first address (host order)
 *	and its size. sparse_density() reads a fraction in (0, 1] ("0.1",
 *	"1") as parts per million. sparse_populated() hashes (seed, addr)
 *	with splitmix64 and says whether the address falls below the
 *	density: the same seed gives the same hosts whatever the range's
 *	other addresses, and about ppm/10^6 of them are drawn. Pure: no
 *	allocation, no I/O.
 * DIAGNOSTICS
 *	sparse_range: -1 with err for a malformed or non-loopback block;
 *	sparse_density: -1 for anything outside (0, 1].
 * LIMITS
 *	127.0.0.0/8 only (the lab never binds elsewhere).
 * STANDARDS
 *	RFC 4632 (CIDR notation), RFC 1122 3.2.1.3 (127/8 is loopback).
 */
#include "sparse.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PPM 1000000u

/* sparse_range - a loopback CIDR: first address and number of addresses */
int sparse_range(const char *cidr, uint32_t *first, uint64_t *count, char *err, size_t errlen)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = strchr(cidr, '/');
	struct in_addr a;
	char *end;
	long len;
	uint32_t host;

	if (slash == NULL || (size_t)(slash - cidr) >= sizeof(ip)) {
		snprintf(err, errlen, "--range %s: want a.b.c.d/len", cidr);
		return -1;
	}
	memcpy(ip, cidr, (size_t)(slash - cidr));
	ip[slash - cidr] = '\0';
	len = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, ip, &a) != 1 || slash[1] == '\0' || *end != '\0' || len < 8 ||
	    len > 32) {
		snprintf(err, errlen, "--range %s: want a.b.c.d/len with len 8 to 32", cidr);
		return -1;
	}
	host = ntohl(a.s_addr);
	if ((host >> 24) != 127) {
		snprintf(err, errlen, "--range %s: not on loopback (127/8)", cidr);
		return -1;
	}
	*count = (uint64_t)1 << (32 - len);
	if ((host & (uint32_t)(*count - 1)) != 0) {
		snprintf(err, errlen, "--range %s: host bits set", cidr);
		return -1;
	}
	*first = host;
	return 0;
}

/* sparse_density - "0.1" -> 100000 ppm; (0, 1] only */
int sparse_density(const char *text, uint32_t *ppm)
{
	char *end;
	double d;

	if (text == NULL || *text == '\0')
		return -1;
	d = strtod(text, &end);
	if (*end != '\0' || !(d > 0.0) || d > 1.0)
		return -1;
	*ppm = (uint32_t)(d * PPM + 0.5);
	if (*ppm == 0)
		*ppm = 1;
	return 0;
}

/* splitmix64 - one step of Vigna's mixer (the permutation uses it too) */
static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* sparse_populated - the seeded draw for one address */
int sparse_populated(uint64_t seed, uint32_t addr, uint32_t ppm)
{
	uint64_t h = splitmix64(splitmix64(seed) ^ addr);

	return ppm >= PPM || h % PPM < ppm;
}
