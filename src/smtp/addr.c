/*
 * NAME
 *	addr - mailbox forms and where a permissive MTA would route them
 * SUMMARY
 *	interpret source routes, %, !, quotes and double @ the sendmail way
 * SYNOPSIS
 *	const char *addr_route(const char *path, const struct addr_self *self,
 *	                       struct addr_route *out);
 *	int addr_domain_eq(const char *a, const char *b);
 *	int addr_is_literal(const char *domain);
 *	const char *addr_trick_names(unsigned tricks, char *buf, size_t len);
 * DESCRIPTION
 *	addr_route rewrites the path in rounds, as a server that accepts every
 *	old form would: a source route's first hop is stripped when it names
 *	the server (else that hop is the destination); otherwise the path is
 *	split at the last '@' outside quotes. A domain naming the server (by
 *	name, or by an [ip] / [IPv6:ip] literal equal to one of its addresses)
 *	sends the local part round again when it is quoted, holds an '@', a
 *	'!' or a '%' (rightmost '%' becomes '@'); a plain local part is
 *	delivered there. A path with no '@' is unqualified: quoted, bang,
 *	percent or local. Any other domain ends the walk: it is lower-cased
 *	and loses one trailing dot, and the tricks used are recorded.
 *	TRICK_VIA_SELF marks a route that passed through the server on its
 *	way elsewhere (a plain local delivery does not set it).
 *	addr_domain_eq compares domains ignoring case and one trailing dot;
 *	two literals compare by address (IPv4 equals its IPv4-mapped IPv6).
 *	Everything works in caller or stack storage; no state is kept.
 * DIAGNOSTICS
 *	addr_route returns NULL, or a static text: empty path, too long,
 *	unbalanced quotes, bad source route, bad bang path, empty domain,
 *	too many rewriting rounds.
 * LIMITS
 *	RW_PATH_MAX, RW_DOMAIN_MAX; RW_ADDR_ROUNDS_MAX rewriting rounds.
 * STANDARDS
 *	RFC 5321 4.1.2 and appendix C (source routes), 4.1.3 (literals);
 *	RFC 1123 5.2.16 (percent hack); RFC 976 (bang paths).
 */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const trick_names[] = {
    "source-route", "percent",      "bang", "quoted",   "double-at",
    "unqualified",  "trailing-dot", "case", "via-self",
};

/* addr_trick_names - comma-separated names of the bits in tricks */
const char *addr_trick_names(unsigned tricks, char *buf, size_t len)
{
	size_t used = 0;

	if (!buf || len == 0)
		return "";
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(trick_names) / sizeof(trick_names[0]); i++) {
		int n;

		if (!(tricks & (1u << i)))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", trick_names[i]);
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0'; /* drop a name that does not fit whole */
			break;
		}
		used += (size_t)n;
	}
	return buf;
}

/* strip_dot - length without one trailing dot (never to zero) */
static size_t strip_dot(const char *d, size_t n)
{
	return n > 1 && d[n - 1] == '.' ? n - 1 : n;
}

/* is_literal_n - "[...]" with something inside, on a counted string */
static int is_literal_n(const char *d, size_t n)
{
	return n >= 3 && d[0] == '[' && d[n - 1] == ']';
}

/* addr_is_literal - "[...]" form */
int addr_is_literal(const char *domain)
{
	return domain && is_literal_n(domain, strlen(domain));
}

/* parse_ip - "1.2.3.4", "IPv6:x" or "x" (with ':') into an IPv6 address, v4 mapped */
static int parse_ip(const char *s, size_t n, struct in6_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct in_addr v4;
	int v6 = 0;

	if (n > 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		v6 = 1;
		s += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (v6 || memchr(buf, ':', n))
		return inet_pton(AF_INET6, buf, a) == 1 ? 0 : -1;
	if (inet_pton(AF_INET, buf, &v4) != 1)
		return -1;
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	memcpy(&a->s6_addr[12], &v4, 4);
	return 0;
}

/* literal_addr - the address inside "[...]" */
static int literal_addr(const char *d, size_t n, struct in6_addr *a)
{
	if (!is_literal_n(d, n))
		return -1;
	return parse_ip(d + 1, n - 2, a);
}

/* domain_eq_n - addr_domain_eq on counted strings */
static int domain_eq_n(const char *a, size_t na, const char *b, size_t nb)
{
	int la, lb;

	na = strip_dot(a, na);
	nb = strip_dot(b, nb);
	la = is_literal_n(a, na);
	lb = is_literal_n(b, nb);
	if (la != lb)
		return 0;
	if (la) {
		struct in6_addr x, y;

		if (literal_addr(a, na, &x) == 0 && literal_addr(b, nb, &y) == 0)
			return memcmp(&x, &y, sizeof(x)) == 0;
	}
	return na == nb && strncasecmp(a, b, na) == 0;
}

/* addr_domain_eq - equal ignoring case and one trailing dot; literals by address */
int addr_domain_eq(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	return domain_eq_n(a, strlen(a), b, strlen(b));
}

/* is_self - does the domain name the server interpreting the path? */
static int is_self(const char *d, size_t n, const struct addr_self *self)
{
	struct in6_addr lit, ip;

	if (!self)
		return 0;
	for (const char *const *p = self->names; p && *p; p++)
		if (domain_eq_n(d, n, *p, strlen(*p)))
			return 1;
	n = strip_dot(d, n);
	if (literal_addr(d, n, &lit) < 0)
		return 0;
	for (const char *const *p = self->ips; p && *p; p++) {
		size_t m = strlen(*p);
		int ok = is_literal_n(*p, m) ? literal_addr(*p, m, &ip) : parse_ip(*p, m, &ip);

		if (ok == 0 && memcmp(&lit, &ip, sizeof(ip)) == 0)
			return 1;
	}
	return 0;
}

/* last_at - the last '@' outside quotes, or NULL; -1 for an unclosed quote */
static int last_at(const char *s, const char **at)
{
	int inq = 0;

	*at = NULL;
	for (const char *p = s; *p; p++) {
		if (inq) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				inq = 0;
		} else if (*p == '"') {
			inq = 1;
		} else if (*p == '@') {
			*at = p;
		}
	}
	return inq ? -1 : 0;
}

/* unquote - copy n bytes dropping quotes and the backslash of quoted pairs */
static void unquote(const char *s, size_t n, char *out)
{
	int inq = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			inq = !inq;
		else if (inq && s[i] == '\\' && i + 1 < n)
			*out++ = s[++i];
		else
			*out++ = s[i];
	}
	*out = '\0';
}

/* finish - the path leaves for a domain that is not the server */
static const char *finish(struct addr_route *out, const char *dom, size_t n, const char *lp,
                          size_t lpn)
{
	size_t m = strip_dot(dom, n);
	int upper = 0;

	if (m != n)
		out->tricks |= TRICK_TRAILING_DOT;
	if (m == 0 || (m == 1 && dom[0] == '.'))
		return "empty domain";
	if (m > RW_DOMAIN_MAX)
		return "domain too long";
	if (is_literal_n(dom, m) && m > 6 && strncasecmp(dom + 1, "IPv6:", 5) == 0) {
		/* keep the tag's spelling canonical; the address is hex, lower it */
		memcpy(out->domain, "[IPv6:", 6);
		for (size_t i = 6; i < m; i++)
			out->domain[i] =
			    (char)(dom[i] >= 'A' && dom[i] <= 'Z' ? dom[i] + 32 : dom[i]);
	} else {
		for (size_t i = 0; i < m; i++) {
			char c = dom[i];

			if (c >= 'A' && c <= 'Z') {
				upper = 1;
				c = (char)(c + 32);
			}
			out->domain[i] = c;
		}
	}
	out->domain[m] = '\0';
	if (upper && !is_literal_n(dom, m))
		out->tricks |= TRICK_CASE;
	unquote(lp, lpn, out->localpart);
	out->local = 0;
	return NULL;
}

/* deliver - the path ends at the server itself */
static const char *deliver(struct addr_route *out, const char *lp)
{
	out->local = 1;
	out->domain[0] = '\0';
	snprintf(out->localpart, sizeof(out->localpart), "%s", lp);
	return NULL;
}

/* source_route - "@hop,@hop:rest": strip a self hop into cur (0) or finish (1) */
static int source_route(char *cur, const struct addr_self *self, struct addr_route *out,
                        const char **err)
{
	const char *p = cur + 1, *hop = cur + 1, *rest;
	int depth = 0;

	for (; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth)
			depth--;
		else if (!depth && (*p == ',' || *p == ':'))
			break;
	}
	rest = p + 1;
	if (!*p || p == hop || !*rest || (*p == ',' && *rest != '@')) {
		*err = "bad source route";
		return 1;
	}
	out->tricks |= TRICK_SRCROUTE;
	if (is_self(hop, (size_t)(p - hop), self)) {
		out->tricks |= TRICK_VIA_SELF;
		memmove(cur, rest, strlen(rest) + 1);
		return 0;
	}
	*err = finish(out, hop, (size_t)(p - hop), rest, strlen(rest));
	return 1;
}

/* bang - "host!rest": strip a self host into cur (0) or finish (1) */
static int bang(char *cur, const char *s, const struct addr_self *self, struct addr_route *out,
                const char **err)
{
	const char *b = strchr(s, '!');
	const char *rest = b + 1;

	out->tricks |= TRICK_BANG;
	if (b == s || !*rest) {
		*err = "bad bang path";
		return 1;
	}
	if (is_self(s, (size_t)(b - s), self)) {
		out->tricks |= TRICK_VIA_SELF;
		memmove(cur, rest, strlen(rest) + 1);
		return 0;
	}
	*err = finish(out, s, (size_t)(b - s), rest, strlen(rest));
	return 1;
}

/* percent - rightmost '%' becomes '@' */
static void percent(char *cur, const char *s, struct addr_route *out)
{
	size_t n = strlen(s);

	out->tricks |= TRICK_PERCENT;
	memmove(cur, s, n + 1);
	*strrchr(cur, '%') = '@';
}

/* walk - the rewriting rounds; out is partial when an error is returned */
static const char *walk(const char *path, const struct addr_self *self, struct addr_route *out)
{
	char cur[RW_PATH_MAX + 1], lp[RW_PATH_MAX + 1];
	const char *err = NULL;

	memset(out, 0, sizeof(*out));
	if (!path || !*path)
		return "empty path";
	if (strlen(path) > RW_PATH_MAX)
		return "path too long";
	memcpy(cur, path, strlen(path) + 1);

	for (int round = 0; round < RW_ADDR_ROUNDS_MAX; round++) {
		const char *at;

		if (!cur[0])
			return "empty address";
		if (last_at(cur, &at) < 0)
			return "unbalanced quotes";
		if (cur[0] == '@') {
			if (source_route(cur, self, out, &err))
				return err;
			continue;
		}
		if (at) {
			size_t n = (size_t)(at - cur);
			const char *dom = at + 1;

			if (!is_self(dom, strlen(dom), self))
				return finish(out, dom, strlen(dom), cur, n);
			memcpy(lp, cur, n);
			lp[n] = '\0';
		} else {
			/* no @domain at the outer level: the server qualifies it */
			if (round == 0)
				out->tricks |= TRICK_UNQUALIFIED;
			memcpy(lp, cur, strlen(cur) + 1);
		}
		/* lp is for the server itself: rewrite it or deliver it */
		if (strchr(lp, '"')) {
			out->tricks |= TRICK_QUOTED | (at ? TRICK_VIA_SELF : 0);
			unquote(lp, strlen(lp), cur);
		} else if (at && strchr(lp, '@')) {
			out->tricks |= TRICK_DOUBLE_AT | TRICK_VIA_SELF;
			memcpy(cur, lp, strlen(lp) + 1);
		} else if (strchr(lp, '!')) {
			out->tricks |= at ? TRICK_VIA_SELF : 0;
			if (bang(cur, lp, self, out, &err))
				return err;
		} else if (strchr(lp, '%')) {
			out->tricks |= at ? TRICK_VIA_SELF : 0;
			percent(cur, lp, out);
		} else {
			return deliver(out, lp);
		}
	}
	return "too many rewriting rounds";
}

/* addr_route - where path goes when self interprets it; out is zeroed on error */
const char *addr_route(const char *path, const struct addr_self *self, struct addr_route *out)
{
	const char *err = walk(path, self, out);

	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}
