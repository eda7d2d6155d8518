/*
 * NAME
 *	dnsbl - DNS blocklist lookups: is this address listed, and why
 * SUMMARY
 *	A then TXT of the reversed name under each list, c-ares on libevent
 * SYNOPSIS
 *	int dnsbl_reverse(const char *addr, char *out, size_t outlen);
 *	const char *dnsbl_status_name(enum dnsbl_status s);
 *	int dnsbl_check(const char *const *addrs, size_t naddrs,
 *		const char *const *lists, size_t nlists, const struct dnsbl_opts *o,
 *		struct dnsbl_result *out, char *err, size_t errlen);
 * DESCRIPTION
 *	dnsbl_reverse() is pure: octets (IPv4) or 32 nibbles (IPv6) in
 *	reverse order, the list's zone to be appended by the caller.
 *	dnsbl_check() makes an event_base and a c-ares channel whose sockets
 *	and timers are events of that base (the pattern of src/net/resolve:
 *	evdns has no TXT). Every (address, list) pair sends its A query at
 *	once (c-ares queues them; the pairs of a CLI run are few); a listed
 *	answer sends the TXT query of the same name. Results land in the
 *	caller's array, in place, so the output order is the caller's.
 *	ares_query() never reads /etc/hosts and adds no search domains.
 * DIAGNOSTICS
 *	-1 and err when the loop or c-ares cannot be set up. Per pair, why:
 *	"not an IP address", "no answer within N s", c-ares' texts ("Timeout
 *	while contacting DNS servers", "Server failed"...), "answer A outside
 *	127.0.0.0/8 (not a DNSBL answer)", "the list refused the query (A)".
 * LIMITS
 *	RW_DNS_TIMEOUT, RW_DNS_TRIES, RW_DNS_DEADLINE; DNSBL_A_MAX,
 *	DNSBL_TXT_MAX bytes kept per answer.
 * STANDARDS
 *	RFC 5782 (2.1 IPv4, 2.4 IPv6 nibbles, 2.3 127.0.0.0/8 answers),
 *	RFC 1035 3.3.14 (TXT).
 */
#include "dnsbl.h"
#include "ares_ev.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/xalloc.h"

#include <ares.h>
#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 1035 3.2.2 and 3.2.4 */
#define DNS_CLASS_IN 1
#define DNS_TYPE_A   1
#define DNS_TYPE_TXT 16

/* dnsbl_reverse - reversed octets or nibbles */
int dnsbl_reverse(const char *addr, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[16];
	size_t k = 0;

	if (outlen < DNSBL_REVERSE_MAX)
		return -1;
	if (inet_pton(AF_INET, addr, b) == 1) {
		snprintf(out, outlen, "%u.%u.%u.%u", b[3], b[2], b[1], b[0]);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, b) != 1)
		return -1;
	for (int i = 15; i >= 0; i--) {
		out[k++] = hex[b[i] & 0xf];
		out[k++] = '.';
		out[k++] = hex[b[i] >> 4];
		out[k++] = i > 0 ? '.' : '\0';
	}
	return AF_INET6;
}

/* dnsbl_status_name - the stable names of the JSON output */
const char *dnsbl_status_name(enum dnsbl_status s)
{
	static const char *const names[] = {
	    [DNSBL_NOT_LISTED] = "not-listed",
	    [DNSBL_LISTED] = "listed",
	    [DNSBL_ERROR] = "error",
	};

	return s <= DNSBL_ERROR ? names[s] : "?";
}

struct run;

/* one (address, list) pair */
struct pair {
	struct run *run;
	struct dnsbl_result *res;
	char name[DNSBL_REVERSE_MAX + RW_DOMAIN_MAX + 2];
	int done;
};

/* a c-ares socket watched by the loop */
struct run {
	struct event_base *base;
	struct ares_ev *ae;
	struct event *deadline;
	size_t pending;
	int closing;
};

/* pair_done - one pair answered; leave the loop after the last */
static void pair_done(struct pair *p)
{
	p->done = 1;
	if (--p->run->pending == 0)
		event_base_loopbreak(p->run->base);
}

/* ares_fail - a c-ares status as the pair's error */
static void ares_fail(struct pair *p, int status)
{
	p->res->status = DNSBL_ERROR;
	snprintf(p->res->why, sizeof(p->res->why), "%s", ares_strerror(status));
}

/* on_txt - the reason of a listed address (its absence changes nothing) */
static void on_txt(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct pair *p = arg;
	struct ares_txt_ext *txt = NULL;
	size_t n = 0;

	if (p->run->closing || p->done)
		return;
	if (status == ARES_SUCCESS)
		status = ares_parse_txt_reply_ext(abuf, alen, &txt);
	if (status == ARES_SUCCESS) {
		for (struct ares_txt_ext *t = txt; t; t = t->next) {
			/* a record's strings are joined as they are; records by a blank */
			if (t->record_start && n > 0 && n + 1 < sizeof(p->res->txt))
				p->res->txt[n++] = ' ';
			for (size_t i = 0; i < t->length && n + 1 < sizeof(p->res->txt); i++)
				p->res->txt[n++] = (char)t->txt[i];
		}
		p->res->txt[n] = '\0';
	} else if (status != ARES_ENODATA && status != ARES_ENOTFOUND) {
		snprintf(p->res->why, sizeof(p->res->why), "TXT: %s", ares_strerror(status));
	}
	if (txt)
		ares_free_data(txt);
	pair_done(p);
}

/* on_a - listed, not listed, or an answer no DNSBL gives */
static void on_a(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct pair *p = arg;
	struct ares_addrttl at[16];
	int na = 16, odd = 0, refused = 0;
	size_t n = 0;

	if (p->run->closing || p->done)
		return;
	if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
		p->res->status = DNSBL_NOT_LISTED;
		pair_done(p);
		return;
	}
	if (status == ARES_SUCCESS)
		status = ares_parse_a_reply(abuf, alen, NULL, at, &na);
	if (status == ARES_ENODATA) {
		p->res->status = DNSBL_NOT_LISTED;
		pair_done(p);
		return;
	}
	if (status != ARES_SUCCESS) {
		ares_fail(p, status);
		pair_done(p);
		return;
	}
	for (int i = 0; i < na; i++) {
		uint32_t v = ntohl(at[i].ipaddr.s_addr);
		char s[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &at[i].ipaddr, s, sizeof(s));
		n += (size_t)snprintf(p->res->a + n,
		                      n < sizeof(p->res->a) ? sizeof(p->res->a) - n : 0, "%s%s",
		                      i ? "," : "", s);
		if (n >= sizeof(p->res->a))
			n = sizeof(p->res->a) - 1;
		if ((v >> 24) != 127)
			odd = 1;
		else if ((v >> 8) == 0x7fffff)
			refused = 1;
	}
	if (na == 0) {
		p->res->status = DNSBL_NOT_LISTED;
		pair_done(p);
		return;
	}
	if (odd || refused) {
		p->res->status = DNSBL_ERROR;
		snprintf(p->res->why, sizeof(p->res->why),
		         odd ? "answer %s outside 127.0.0.0/8 (not a DNSBL answer)"
		             : "the list refused the query (%s)",
		         p->res->a);
		pair_done(p);
		return;
	}
	p->res->status = DNSBL_LISTED;
	ares_query(ares_ev_channel(p->run->ae), p->name, DNS_CLASS_IN, DNS_TYPE_TXT, on_txt, p);
}

/* on_deadline - the run's time is up */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(((struct run *)arg)->base);
}

/* setup - the loop and the channel; NULL or the problem */
static const char *setup(struct run *r, const struct dnsbl_opts *o, unsigned timeout,
                         unsigned tries)
{
	const char *why = NULL;

	if ((r->base = event_base_new()) == NULL)
		return "cannot create an event loop";
	if ((r->ae = ares_ev_new(r->base, timeout * 1000, tries, o->servers, &why)) == NULL)
		return why;
	if ((r->deadline = evtimer_new(r->base, on_deadline, r)) == NULL)
		return "cannot create a timer";
	return NULL;
}

/* teardown - late callbacks see closing; everything freed */
static void teardown(struct run *r)
{
	r->closing = 1;
	r->ae = ares_ev_free(r->ae);
	if (r->deadline)
		event_free(r->deadline);
	if (r->base)
		event_base_free(r->base);
}

/* dnsbl_check - every pair at once, bounded by the deadline */
int dnsbl_check(const char *const *addrs, size_t naddrs, const char *const *lists, size_t nlists,
                const struct dnsbl_opts *o, struct dnsbl_result *out, char *err, size_t errlen)
{
	struct run r = {0};
	unsigned timeout = o->timeout ? o->timeout : RW_DNS_TIMEOUT;
	unsigned tries = o->tries ? o->tries : RW_DNS_TRIES;
	unsigned deadline = o->deadline ? o->deadline : RW_DNS_DEADLINE;
	struct timeval tv = {.tv_sec = deadline};
	size_t n = naddrs * nlists;
	struct pair *ps;
	const char *e;

	memset(out, 0, n * sizeof(*out));
	if (n == 0)
		return 0;
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: cannot initialise");
		return -1;
	}
	if ((e = setup(&r, o, timeout, tries)) != NULL) {
		snprintf(err, errlen, "%s", e);
		teardown(&r);
		ares_library_cleanup();
		return -1;
	}
	ps = xcalloc(n, sizeof(*ps));
	for (size_t i = 0; i < naddrs; i++) {
		char rev[DNSBL_REVERSE_MAX];
		int bad = dnsbl_reverse(addrs[i], rev, sizeof(rev)) < 0;

		for (size_t j = 0; j < nlists; j++) {
			struct pair *p = &ps[i * nlists + j];

			p->run = &r;
			p->res = &out[i * nlists + j];
			if (bad) {
				p->res->status = DNSBL_ERROR;
				snprintf(p->res->why, sizeof(p->res->why), "not an IP address");
				p->done = 1;
				continue;
			}
			snprintf(p->name, sizeof(p->name), "%s.%s", rev, lists[j]);
			r.pending++;
		}
	}
	/* every query is sent before the loop runs: an answer at once
	 * (a bad name) only counts down */
	for (size_t k = 0; k < n; k++)
		if (!ps[k].done)
			ares_query(ares_ev_channel(r.ae), ps[k].name, DNS_CLASS_IN, DNS_TYPE_A,
			           on_a, &ps[k]);
	if (r.pending > 0) {
		ares_ev_rearm(r.ae);
		evtimer_add(r.deadline, &tv);
		event_base_dispatch(r.base);
	}
	for (size_t k = 0; k < n; k++)
		if (!ps[k].done) {
			if (ps[k].res->status == DNSBL_LISTED) {
				snprintf(ps[k].res->why, sizeof(ps[k].res->why),
				         "TXT: no answer within %u s", deadline);
			} else {
				ps[k].res->status = DNSBL_ERROR;
				snprintf(ps[k].res->why, sizeof(ps[k].res->why),
				         "no answer within %u s", deadline);
			}
		}
	teardown(&r);
	ares_library_cleanup();
	free(ps);
	return 0;
}
