/*
 * resolve.h - many names at once, before a scan starts: A/AAAA through
 * libevent's evdns, MX through c-ares, on one event loop of its own
 */
#ifndef RW_RESOLVE_H
#define RW_RESOLVE_H

#include <stddef.h>
#include <sys/socket.h>

#include "../core/nslist.h"

enum resolve_kind {
	RESOLVE_HOST, /* the name's A and AAAA records */
	RESOLVE_MX,   /* the name's mail hosts (MX, else the name), their A and AAAA */
};

/* one name to resolve; every pointer borrowed for the resolve_run() call */
struct resolve_req {
	const char *name;
	unsigned port; /* handed back as is */
	enum resolve_kind kind;
	const char *where; /* source text for messages ("targets.txt:12", "--mx") */
};

struct resolve_opts {
	const struct nslist *servers; /* NULL or empty: /etc/resolv.conf's */
	unsigned inflight;            /* names at once; 0: RW_DNS_INFLIGHT */
	unsigned timeout;             /* seconds per try; 0: RW_DNS_TIMEOUT */
	unsigned tries;               /* per query; 0: RW_DNS_TRIES */
	unsigned deadline;            /* seconds for everything; 0: RW_DNS_DEADLINE */
	const char *hosts_file;       /* asked before DNS (as getaddrinfo's "files"); NULL: /etc/hosts */
	int no_hosts;                 /* DNS only */
};

/* the caller's callbacks; req points into the caller's array. host is the
 * name that was looked up: req->name, or one of its MX hosts. */
struct resolve_cb {
	/* on_addr - one address (port 0 in sa) of host, for req */
	void (*on_addr)(void *arg, const struct resolve_req *req, const char *host,
			const struct sockaddr *sa, socklen_t len);
	/* on_error - req (or its MX host) gave no address: why, as one line
	 * ("no such domain", "MX host mx2.example.org: request timed out") */
	void (*on_error)(void *arg, const struct resolve_req *req, const char *why);
	void *arg;
};

struct resolve_stats {
	unsigned long names;   /* host names looked up (MX hosts included) */
	unsigned long mx;      /* MX lookups */
	unsigned long addrs;   /* addresses handed to on_addr */
	unsigned long errors;  /* on_error calls */
	unsigned long max_inflight;
	long long ms;          /* wall time of the whole run */
};

/* resolve_run - resolve reqs[0..n-1] concurrently and return when every
 * one is answered or the deadline passed (what is left is reported through
 * on_error). Callbacks run inside this call. Returns 0, or -1 with err
 * filled when no resolver could be set up (nothing was resolved). stats
 * may be NULL. */
int resolve_run(const struct resolve_req *reqs, size_t n, const struct resolve_opts *o,
		const struct resolve_cb *cb, struct resolve_stats *stats, char *err,
		size_t errlen);

#endif
