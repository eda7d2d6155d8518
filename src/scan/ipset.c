/*
 * NAME
 *	ipset - sets of IPv4 and IPv6 addresses as sorted, merged intervals
 * SUMMARY
 *	targets, exclusions and scope as interval sets with set arithmetic
 * SYNOPSIS
 *	struct ipset *ipset_new(void); ipset_free(s); ipset_copy(s);
 *	void ipset_add(s, range); ipset_add_addr(s, a); ipset_add_set(s, t);
 *	const char *ipset_add_text(s, spec);
 *	int ipset_contains(s, a); struct ip128 ipset_count(s, fam);
 *	uint64_t ipset_size(s); const struct ipset_range *ipset_ranges(s, fam, &n);
 *	int ipset_nth(s, i, &a); void ipset_subtract(a, b); ipset_intersect(a, b);
 *	const char *ipset_range_parse(spec, &range); int ipset_addr_parse(t, &a);
 * DESCRIPTION
 *	Each family is an array of inclusive intervals. ipset_add() appends
 *	and marks the family dirty; every reader first normalises it: sort by
 *	start, then merge overlapping and adjacent intervals. The merged form
 *	of a set is unique, so the order in which ranges were added can
 *	never change an answer (nmap has let excluded targets through when
 *	exclusions were given in some orders; for a scanner that is a safety
 *	bug). Normalising also computes how many addresses precede each
 *	interval, so ipset_contains() and ipset_nth() are binary searches.
 *	Subtraction and intersection are linear sweeps over two normalised
 *	sets. Pointers from ipset_ranges() are borrowed until the next change.
 *	Addresses are 128-bit numbers (two uint64_t, no compiler extension);
 *	IPv4 uses the low 32 bits and is a separate space from IPv6.
 * DIAGNOSTICS
 *	ipset_range_parse() returns a static text saying what is wrong;
 *	a range with lo > hi or mixed families passed to ipset_add() is a
 *	caller's bug (rw_panic).
 * LIMITS
 *	none on the number of intervals; counts saturate (2^128 - 1 for all
 *	of IPv6, UINT64_MAX in ipset_size()).
 * STANDARDS
 *	RFC 4632 3.1 (CIDR prefixes), RFC 4291 2.3 (IPv6 prefixes),
 *	RFC 5952 (IPv6 text, via inet_ntop).
 */
#include "ipset.h"
#include "../core/xalloc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct famset {
	struct ipset_range *r; /* owned; merged and sorted unless dirty */
	size_t n, alloc;
	uint64_t *before; /* owned; addresses preceding r[i], saturating */
	int dirty;
};

struct ipset {
	struct famset f[2];
};

static const struct ip128 ZERO = {0, 0};
static const struct ip128 ONE = {0, 1};

/* ip128_cmp - three-way comparison of unsigned 128-bit numbers */
int ip128_cmp(struct ip128 a, struct ip128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/* ip128_add - sum, saturating at 2^128 - 1 */
struct ip128 ip128_add(struct ip128 a, struct ip128 b)
{
	static const struct ip128 max = {UINT64_MAX, UINT64_MAX};
	struct ip128 r = {a.hi + b.hi, a.lo + b.lo};

	if (r.hi < a.hi)
		return max;
	if (r.lo < a.lo) { /* carry */
		if (r.hi == UINT64_MAX)
			return max;
		r.hi++;
	}
	return r;
}

/* ip128_u64 - value clamped to 64 bits */
uint64_t ip128_u64(struct ip128 a)
{
	return a.hi ? UINT64_MAX : a.lo;
}

/* sub - a - b for a >= b (wraps otherwise) */
static struct ip128 sub(struct ip128 a, struct ip128 b)
{
	struct ip128 r = {a.hi - b.hi, a.lo - b.lo};

	if (a.lo < b.lo)
		r.hi--;
	return r;
}

static struct ip128 inc(struct ip128 a)
{
	return sub(a, (struct ip128){UINT64_MAX, UINT64_MAX}); /* a + 1, wrapping */
}

static struct ip128 dec(struct ip128 a)
{
	return sub(a, ONE);
}

static int is_ones(struct ip128 a)
{
	return a.hi == UINT64_MAX && a.lo == UINT64_MAX;
}

/* hostmask - the low (bits - plen) bits set */
static struct ip128 hostmask(unsigned bits, unsigned plen)
{
	unsigned h = bits - plen;

	if (h == 0)
		return ZERO;
	if (h < 64)
		return (struct ip128){0, (UINT64_C(1) << h) - 1};
	if (h == 64)
		return (struct ip128){0, UINT64_MAX};
	if (h < 128)
		return (struct ip128){(UINT64_C(1) << (h - 64)) - 1, UINT64_MAX};
	return (struct ip128){UINT64_MAX, UINT64_MAX};
}

/* ipset_range_count - hi - lo + 1, saturating for all of IPv6 */
struct ip128 ipset_range_count(const struct ipset_range *r)
{
	struct ip128 d = sub(r->hi, r->lo);

	return is_ones(d) ? d : inc(d);
}

/* ipset_new - empty set */
struct ipset *ipset_new(void)
{
	return xcalloc(1, sizeof(struct ipset));
}

/* ipset_free - release; NULL in, NULL out */
struct ipset *ipset_free(struct ipset *s)
{
	if (s == NULL)
		return NULL;
	for (int f = 0; f < 2; f++) {
		free(s->f[f].r);
		free(s->f[f].before);
	}
	free(s);
	return NULL;
}

/* ipset_clear - empty the set, keep nothing */
void ipset_clear(struct ipset *s)
{
	for (int f = 0; f < 2; f++) {
		free(s->f[f].r);
		free(s->f[f].before);
		memset(&s->f[f], 0, sizeof(s->f[f]));
	}
}

static void push(struct famset *fs, const struct ipset_range *r)
{
	if (fs->n == fs->alloc) {
		fs->alloc = fs->alloc ? fs->alloc * 2 : 16;
		fs->r = xrealloc(fs->r, fs->alloc * sizeof(*fs->r));
	}
	fs->r[fs->n++] = *r;
}

static int by_start(const void *pa, const void *pb)
{
	const struct ipset_range *a = pa, *b = pb;
	int c = ip128_cmp(a->lo, b->lo);

	return c ? c : ip128_cmp(a->hi, b->hi);
}

/* normalise - sort, merge overlapping and adjacent intervals, count */
static void normalise(struct famset *fs)
{
	size_t out = 0;
	uint64_t acc = 0;

	if (!fs->dirty)
		return;
	fs->dirty = 0;
	if (fs->n > 1)
		qsort(fs->r, fs->n, sizeof(*fs->r), by_start);
	for (size_t i = 0; i < fs->n; i++) {
		struct ipset_range *cur = &fs->r[out];

		if (i == 0)
			continue;
		/* adjacent: r.lo == cur.hi + 1; never wraps because cur.hi < r.lo */
		if (ip128_cmp(fs->r[i].lo, cur->hi) <= 0 ||
		    ip128_cmp(fs->r[i].lo, inc(cur->hi)) == 0) {
			if (ip128_cmp(fs->r[i].hi, cur->hi) > 0)
				cur->hi = fs->r[i].hi;
		} else {
			fs->r[++out] = fs->r[i];
		}
	}
	if (fs->n)
		fs->n = out + 1;
	free(fs->before);
	fs->before = xmalloc((fs->n ? fs->n : 1) * sizeof(*fs->before));
	for (size_t i = 0; i < fs->n; i++) {
		uint64_t c = ip128_u64(ipset_range_count(&fs->r[i]));

		fs->before[i] = acc;
		acc = acc > UINT64_MAX - c ? UINT64_MAX : acc + c;
	}
}

static struct famset *fam(struct ipset *s, enum ipset_fam f)
{
	if (f != IPSET_V4 && f != IPSET_V6)
		rw_panic("%s: bad family %d", __func__, (int)f);
	normalise(&s->f[f]);
	return &s->f[f];
}

/* ipset_add - add an interval; normalised lazily */
void ipset_add(struct ipset *s, const struct ipset_range *r)
{
	struct famset *fs;

	if ((r->fam != IPSET_V4 && r->fam != IPSET_V6) || ip128_cmp(r->lo, r->hi) > 0 ||
	    (r->fam == IPSET_V4 && (r->hi.hi || r->hi.lo > UINT32_MAX)))
		rw_panic("%s: bad range", __func__);
	fs = &s->f[r->fam];
	push(fs, r);
	fs->dirty = 1;
}

/* ipset_add_addr - add one address */
void ipset_add_addr(struct ipset *s, const struct ipset_addr *a)
{
	struct ipset_range r = {.fam = a->fam, .lo = a->v, .hi = a->v};

	ipset_add(s, &r);
}

/* ipset_add_set - add every interval of another set */
void ipset_add_set(struct ipset *s, struct ipset *from)
{
	if (s == from)
		return;
	for (int f = 0; f < 2; f++) {
		size_t n;
		const struct ipset_range *r = ipset_ranges(from, (enum ipset_fam)f, &n);

		for (size_t i = 0; i < n; i++)
			push(&s->f[f], &r[i]);
		if (n)
			s->f[f].dirty = 1;
	}
}

/* ipset_add_text - parse one numeric spec and add it */
const char *ipset_add_text(struct ipset *s, const char *spec)
{
	struct ipset_range r;
	const char *e = ipset_range_parse(spec, &r);

	if (e == NULL)
		ipset_add(s, &r);
	return e;
}

/* ipset_add_list - every spec of a comma- or space-separated list; NULL,
 * or the error with the bad spec copied into bad */
const char *ipset_add_list(struct ipset *s, const char *list, char *bad, size_t badlen)
{
	char *copy = xstrdup(list), *save = NULL;
	const char *e = NULL;

	for (char *tok = strtok_r(copy, ", \t\r\n", &save); tok && !e;
	     tok = strtok_r(NULL, ", \t\r\n", &save))
		if ((e = ipset_add_text(s, tok)) != NULL)
			snprintf(bad, badlen, "%s", tok);
	free(copy);
	return e;
}

/* ipset_copy - a new, normalised set with the same addresses */
struct ipset *ipset_copy(struct ipset *s)
{
	struct ipset *c = ipset_new();

	ipset_add_set(c, s);
	return c;
}

/* ipset_ranges - borrowed view of one family's merged intervals */
const struct ipset_range *ipset_ranges(struct ipset *s, enum ipset_fam f, size_t *n)
{
	struct famset *fs = fam(s, f);

	*n = fs->n;
	return fs->r;
}

/* find - index of the interval holding v, or -1 */
static long find(struct famset *fs, struct ip128 v)
{
	size_t lo = 0, hi = fs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ip128_cmp(fs->r[mid].hi, v) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < fs->n && ip128_cmp(fs->r[lo].lo, v) <= 0)
		return (long)lo;
	return -1;
}

/* ipset_contains - nonzero when a is in the set */
int ipset_contains(struct ipset *s, const struct ipset_addr *a)
{
	return find(fam(s, a->fam), a->v) >= 0;
}

/* ipset_count - exact count of one family (saturating at 2^128 - 1) */
struct ip128 ipset_count(struct ipset *s, enum ipset_fam f)
{
	struct famset *fs = fam(s, f);
	struct ip128 c = ZERO;

	for (size_t i = 0; i < fs->n; i++)
		c = ip128_add(c, ipset_range_count(&fs->r[i]));
	return c;
}

/* ipset_size - both families, saturating at UINT64_MAX */
uint64_t ipset_size(struct ipset *s)
{
	return ip128_u64(ip128_add(ipset_count(s, IPSET_V4), ipset_count(s, IPSET_V6)));
}

int ipset_empty(struct ipset *s)
{
	return fam(s, IPSET_V4)->n == 0 && fam(s, IPSET_V6)->n == 0;
}

/* ipset_equal - same addresses (the merged form is unique) */
int ipset_equal(struct ipset *a, struct ipset *b)
{
	for (int f = 0; f < 2; f++) {
		struct famset *x = fam(a, (enum ipset_fam)f), *y = fam(b, (enum ipset_fam)f);

		if (x->n != y->n)
			return 0;
		for (size_t i = 0; i < x->n; i++)
			if (ip128_cmp(x->r[i].lo, y->r[i].lo) || ip128_cmp(x->r[i].hi, y->r[i].hi))
				return 0;
	}
	return 1;
}

/* nth_in - the i-th address of one family; 0 or -1 */
static int nth_in(struct famset *fs, uint64_t i, struct ip128 *out)
{
	size_t lo = 0, hi = fs->n;

	if (fs->n == 0)
		return -1;
	while (hi - lo > 1) { /* last interval with before <= i */
		size_t mid = lo + (hi - lo) / 2;

		if (fs->before[mid] <= i)
			lo = mid;
		else
			hi = mid;
	}
	struct ip128 off = {0, i - fs->before[lo]};

	if (ip128_cmp(off, ipset_range_count(&fs->r[lo])) >= 0)
		return -1;
	*out = ip128_add(fs->r[lo].lo, off);
	return 0;
}

/* ipset_nth - address number i in set order (IPv4 first) */
int ipset_nth(struct ipset *s, uint64_t i, struct ipset_addr *out)
{
	uint64_t n4 = ip128_u64(ipset_count(s, IPSET_V4));

	if (i < n4) {
		out->fam = IPSET_V4;
		return nth_in(fam(s, IPSET_V4), i, &out->v);
	}
	out->fam = IPSET_V6;
	return nth_in(fam(s, IPSET_V6), i - n4, &out->v);
}

/* replace - install a freshly built, already merged interval array */
static void replace(struct famset *fs, struct famset *built)
{
	free(fs->r);
	free(fs->before);
	*fs = *built;
	fs->before = NULL;
	fs->dirty = 1; /* recount; the sort of sorted input is cheap */
}

/* ipset_subtract - remove every address of b from a */
void ipset_subtract(struct ipset *a, struct ipset *b)
{
	for (int f = 0; f < 2; f++) {
		struct famset *x = fam(a, (enum ipset_fam)f), *y = fam(b, (enum ipset_fam)f);
		struct famset out = {0};
		size_t j = 0;

		for (size_t i = 0; i < x->n; i++) {
			struct ipset_range cur = x->r[i];
			int alive = 1;

			while (j < y->n && ip128_cmp(y->r[j].hi, cur.lo) < 0)
				j++;
			for (size_t k = j; k < y->n && ip128_cmp(y->r[k].lo, cur.hi) <= 0; k++) {
				if (ip128_cmp(y->r[k].lo, cur.lo) > 0) {
					struct ipset_range piece = cur;

					piece.hi = dec(y->r[k].lo);
					push(&out, &piece);
				}
				if (ip128_cmp(y->r[k].hi, cur.hi) >= 0) {
					alive = 0;
					break;
				}
				cur.lo = inc(y->r[k].hi); /* y.hi < cur.hi: no wrap */
			}
			if (alive)
				push(&out, &cur);
		}
		replace(x, &out);
	}
}

/* ipset_intersect - keep only the addresses also in b */
void ipset_intersect(struct ipset *a, struct ipset *b)
{
	for (int f = 0; f < 2; f++) {
		struct famset *x = fam(a, (enum ipset_fam)f), *y = fam(b, (enum ipset_fam)f);
		struct famset out = {0};
		size_t i = 0, j = 0;

		while (i < x->n && j < y->n) {
			struct ipset_range r = x->r[i];

			if (ip128_cmp(y->r[j].lo, r.lo) > 0)
				r.lo = y->r[j].lo;
			if (ip128_cmp(y->r[j].hi, r.hi) < 0)
				r.hi = y->r[j].hi;
			if (ip128_cmp(r.lo, r.hi) <= 0)
				push(&out, &r);
			if (ip128_cmp(x->r[i].hi, y->r[j].hi) < 0)
				i++;
			else
				j++;
		}
		replace(x, &out);
	}
}

static struct ip128 from_bytes(const uint8_t *b)
{
	struct ip128 v = ZERO;

	for (int i = 0; i < 8; i++) {
		v.hi = v.hi << 8 | b[i];
		v.lo = v.lo << 8 | b[8 + i];
	}
	return v;
}

static void to_bytes(struct ip128 v, uint8_t *b)
{
	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(v.hi >> (56 - 8 * i));
		b[8 + i] = (uint8_t)(v.lo >> (56 - 8 * i));
	}
}

/* ipset_addr_parse - numeric IPv4 (dotted quad) or IPv6 text */
int ipset_addr_parse(const char *text, struct ipset_addr *out)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, text, &a4) == 1) {
		out->fam = IPSET_V4;
		out->v = (struct ip128){0, ntohl(a4.s_addr)};
		return 0;
	}
	if (inet_pton(AF_INET6, text, &a6) == 1) {
		out->fam = IPSET_V6;
		out->v = from_bytes(a6.s6_addr);
		return 0;
	}
	return -1;
}

/* ipset_range_parse - CIDR, a-b, a-lastoctet or one address */
const char *ipset_range_parse(const char *spec, struct ipset_range *out)
{
	char buf[128], *slash, *dash, *end;
	struct ipset_addr a, b;
	unsigned long n;

	if (strlen(spec) >= sizeof(buf))
		return "too long for an address or range";
	strcpy(buf, spec);
	slash = strchr(buf, '/');
	dash = strchr(buf, '-');
	if (slash && dash)
		return "both '/' and '-'";
	if (slash)
		*slash = '\0';
	if (dash)
		*dash = '\0';
	if (ipset_addr_parse(buf, &a) < 0)
		return slash  ? "not an IP address before '/'"
		       : dash ? "not an IP address before '-'"
		              : "not an IP address";
	out->fam = a.fam;
	out->lo = out->hi = a.v;
	if (slash) {
		unsigned bits = a.fam == IPSET_V4 ? 32 : 128;
		struct ip128 m;

		if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
			return "prefix length is not a number";
		n = strtoul(slash + 1, &end, 10);
		if (*end)
			return "prefix length is not a number";
		if (n > bits)
			return a.fam == IPSET_V4 ? "IPv4 prefix length above 32"
			                         : "IPv6 prefix length above 128";
		m = hostmask(bits, (unsigned)n);
		out->lo = (struct ip128){a.v.hi & ~m.hi, a.v.lo & ~m.lo};
		out->hi = (struct ip128){out->lo.hi | m.hi, out->lo.lo | m.lo};
		return NULL;
	}
	if (!dash)
		return NULL;
	if (dash[1] == '\0')
		return "nothing after '-'";
	if (a.fam == IPSET_V4 && strspn(dash + 1, "0123456789") == strlen(dash + 1)) {
		if (strlen(dash + 1) > 3 || (n = strtoul(dash + 1, NULL, 10)) > 255)
			return "last octet above 255";
		b.fam = IPSET_V4;
		b.v = (struct ip128){0, (a.v.lo & ~UINT64_C(0xff)) | n};
	} else if (ipset_addr_parse(dash + 1, &b) < 0) {
		return "not an IP address after '-'";
	}
	if (b.fam != a.fam)
		return "range mixes IPv4 and IPv6";
	if (ip128_cmp(b.v, a.v) < 0)
		return "range ends before it starts";
	out->hi = b.v;
	return NULL;
}

/* ipset_addr_text - numeric text into buf */
const char *ipset_addr_text(const struct ipset_addr *a, char *buf, size_t len)
{
	if (a->fam == IPSET_V4) {
		struct in_addr a4 = {htonl((uint32_t)a->v.lo)};

		if (inet_ntop(AF_INET, &a4, buf, (socklen_t)len) == NULL)
			snprintf(buf, len, "?");
	} else {
		struct in6_addr a6;

		to_bytes(a->v, a6.s6_addr);
		if (inet_ntop(AF_INET6, &a6, buf, (socklen_t)len) == NULL)
			snprintf(buf, len, "?");
	}
	return buf;
}

static unsigned popcount128(struct ip128 m)
{
	return (unsigned)(__builtin_popcountll(m.hi) + __builtin_popcountll(m.lo));
}

/* ipset_range_text - "lo/plen" when the range is one prefix, "lo" for one
 * address, else "lo-hi" */
const char *ipset_range_text(const struct ipset_range *r, char *buf, size_t len)
{
	struct ipset_addr lo = {r->fam, r->lo}, hi = {r->fam, r->hi};
	struct ip128 m = sub(r->hi, r->lo);
	char a[64], b[64];
	unsigned bits = r->fam == IPSET_V4 ? 32 : 128;

	ipset_addr_text(&lo, a, sizeof(a));
	if (m.hi == 0 && m.lo == 0) {
		snprintf(buf, len, "%s", a);
	} else if (((m.hi & inc(m).hi) | (m.lo & inc(m).lo)) == 0 && (r->lo.hi & m.hi) == 0 &&
	           (r->lo.lo & m.lo) == 0) {
		snprintf(buf, len, "%s/%u", a, bits - popcount128(m));
	} else {
		snprintf(buf, len, "%s-%s", a, ipset_addr_text(&hi, b, sizeof(b)));
	}
	return buf;
}

/* ipset_addr_from_sa - from a socket address; IPv4-mapped stays IPv6 */
int ipset_addr_from_sa(const struct sockaddr *sa, struct ipset_addr *out)
{
	if (sa->sa_family == AF_INET) {
		out->fam = IPSET_V4;
		out->v =
		    (struct ip128){0, ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr)};
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		out->fam = IPSET_V6;
		out->v = from_bytes(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
		return 0;
	}
	return -1;
}

/* ipset_addr_to_sa - into a sockaddr with port; returns its length */
socklen_t ipset_addr_to_sa(const struct ipset_addr *a, unsigned port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->fam == IPSET_V4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		s4->sin_addr.s_addr = htonl((uint32_t)a->v.lo);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons((uint16_t)port);
	to_bytes(a->v, s6->sin6_addr.s6_addr);
	return sizeof(*s6);
}
