/*
 * addr.h - mailbox forms and where a server would route them (sans I/O)
 *
 * addr_route() interprets a path the way a permissive, sendmail-like MTA
 * does: source routes (@a,@b:u@d), the percent hack (u%d@self), bang
 * paths (d!u, d!u@self), quoted local parts ("u@d"@self, "u%d"), double
 * at (u@d@self), unqualified addresses. The lab uses it to decide what a
 * simulated open relay does with a recipient; the battery's tests use it
 * to prove every recipient ends at the canary and nowhere else.
 * Standards: RFC 5321 4.1.2 (path syntax), RFC 1123 5.2.16 (percent
 * hack), RFC 976 (bang paths), RFC 5321 appendix C (source routes).
 */
#ifndef RW_ADDR_H
#define RW_ADDR_H

#include <stddef.h>

#include "../core/limits.h"

enum addr_trick {
	TRICK_SRCROUTE = 1u << 0,    /* @hop:rest */
	TRICK_PERCENT = 1u << 1,     /* user%domain */
	TRICK_BANG = 1u << 2,        /* domain!user */
	TRICK_QUOTED = 1u << 3,      /* "..." local part */
	TRICK_DOUBLE_AT = 1u << 4,   /* user@domain@self */
	TRICK_UNQUALIFIED = 1u << 5, /* no @domain at the outer level */
	TRICK_TRAILING_DOT = 1u << 6,/* domain. */
	TRICK_CASE = 1u << 7,        /* domain not in lower case */
	TRICK_VIA_SELF = 1u << 8,    /* an outer @self (name or literal) was stripped */
};

/* The identity of the server that interprets the path. */
struct addr_self {
	const char *const *names; /* its host names, NULL-terminated; may be NULL */
	const char *const *ips;   /* its addresses as text ("127.0.0.5", "::1"),
	                             NULL-terminated; matched against [ip] and
	                             [IPv6:ip] literals; may be NULL */
};

struct addr_route {
	int local;                          /* 1: ends at the server itself */
	char domain[RW_DOMAIN_MAX + 1];     /* final domain, lower case, no
	                                       trailing dot; literals kept as
	                                       "[1.2.3.4]"; "" when local */
	char localpart[RW_PATH_MAX + 1];    /* local part at the destination,
	                                       unquoted */
	unsigned tricks;                    /* TRICK_* used on the way */
};

/* addr_route - where `path` (the text between < and >) goes when the
 * server `self` interprets it. Returns NULL, or a static error text for
 * syntax it cannot read (empty, too long, unbalanced quotes, too many
 * rewriting rounds). */
const char *addr_route(const char *path, const struct addr_self *self, struct addr_route *out);

/* addr_domain_eq - domains equal ignoring case and one trailing dot;
 * "[1.2.3.4]" equals "[1.2.3.4]"; "[IPv6:x]" compares the address */
int addr_domain_eq(const char *a, const char *b);

/* addr_is_literal - "[...]" form */
int addr_is_literal(const char *domain);

/* addr_trick_names - comma-separated names of the bits in `tricks` into buf */
const char *addr_trick_names(unsigned tricks, char *buf, size_t len);

#endif
