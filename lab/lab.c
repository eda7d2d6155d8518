/*
 * NAME
 *	lab - the simulated network: hosts, addresses, ground truth
 * SUMMARY
 *	build one host per selected profile and own everything they make
 * SYNOPSIS
 *	struct lab *lab_new(base, cfg, err, errlen);
 *	int lab_start(lab, err, errlen);
 *	int lab_write_truth(lab, path, err, errlen);
 *	struct lab *lab_free(struct lab *lab);
 *	void lab_defer(lab, fn, arg); long long lab_now_ms(lab);
 *	void lab_expand(tmpl, host, helo, peer, rcpt, out, outlen);
 *	const char *lab_date(char *buf, size_t len);
 * DESCRIPTION
 *	lab_new() assigns the selected profiles consecutive IPv4 addresses
 *	from cfg->base (in table order, the whole selection cfg->repeat
 *	times), names host N "lab-N.lab.test", and resolves the chain knobs
 *	(trust, next_hop) to hosts of the same copy; a chain whose partner
 *	is not selected relays to the sink / trusts nobody. The
 *	lab borrows cfg and base. lab_start() binds every listener, so the
 *	caller may print "ready" when it returns 0. lab_free() ends every
 *	connection and delivery and frees them at once.
 *	lab_defer() is the one place objects die: the reaper event runs the
 *	deferred calls after the current callback has returned.
 * DIAGNOSTICS
 *	Configuration and bind problems come back as -1/NULL with a text.
 * LIMITS
 *	LAB_HOSTS_MAX hosts.
 * STANDARDS
 *	RFC 5322 3.3 (date-time).
 */
#include "lab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../src/core/log.h"
#include "../src/core/xalloc.h"
#include "sparse.h"

struct lab_dead {
	void (*fn)(void *);
	void *arg;
	struct lab_dead *next;
};

/* reap - run the deferred frees, including any they defer in turn */
static void reap(evutil_socket_t fd, short what, void *arg)
{
	struct lab *lab = arg;
	struct lab_dead *d;

	while ((d = lab->dead) != NULL) {
		lab->dead = d->next;
		d->fn(d->arg);
		free(d);
	}
}

/* lab_defer - queue fn(arg) for the reaper */
void lab_defer(struct lab *lab, void (*fn)(void *), void *arg)
{
	struct lab_dead *d = xmalloc(sizeof(*d));

	d->fn = fn;
	d->arg = arg;
	d->next = lab->dead;
	lab->dead = d;
	event_active(lab->reaper, EV_TIMEOUT, 0);
}

/* lab_now_ms - monotonic clock */
long long lab_now_ms(const struct lab *lab)
{
	struct timespec ts;

	(void)lab;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* lab_date - RFC 5322 date-time of now, local time with its offset */
const char *lab_date(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	if (strftime(buf, len, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0 && len > 0)
		buf[0] = '\0';
	return buf;
}

/* lab_expand - fill a flavor template; output is truncated to fit */
void lab_expand(const char *tmpl, const char *host, const char *helo, const char *peer,
                const char *rcpt, char *out, size_t outlen)
{
	static const char *const keys[] = {"{host}", "{date}", "{helo}", "{peer}", "{rcpt}"};
	char date[64];
	const char *vals[5];
	size_t o = 0, i, k;

	vals[0] = host;
	vals[1] = NULL;
	vals[2] = helo;
	vals[3] = peer;
	vals[4] = rcpt;
	if (outlen == 0)
		return;
	for (i = 0; tmpl[i] != '\0' && o + 1 < outlen;) {
		for (k = 0; k < 5; k++)
			if (strncmp(tmpl + i, keys[k], strlen(keys[k])) == 0)
				break;
		if (k == 5) {
			out[o++] = tmpl[i++];
			continue;
		}
		if (k == 1)
			vals[1] = lab_date(date, sizeof(date));
		i += strlen(keys[k]);
		for (const char *v = vals[k] ? vals[k] : ""; *v != '\0' && o + 1 < outlen; v++)
			out[o++] = *v;
	}
	out[o] = '\0';
}

/* selected - the profile is in the comma list (or the list is empty) */
static int selected(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (list == NULL || *list == '\0')
		return 1;
	while (*p != '\0') {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && strncmp(p, name, n) == 0)
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* check_list - every name in the comma list is a profile */
static int check_list(const char *list, char *err, size_t errlen)
{
	char name[64];
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == 0 || len >= sizeof(name)) {
			snprintf(err, errlen, "--profiles: empty or overlong name");
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		if (profile_by_name(name) == NULL) {
			snprintf(err, errlen, "--profiles: unknown profile \"%s\" (see --list)",
			         name);
			return -1;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* host_by_profile - the host running a profile in the same copy as
 * hosts[i], or NULL; a copy's hosts are consecutive in the table */
static struct lab_host *host_by_profile(struct lab *lab, const char *name, size_t i)
{
	int copy = lab->hosts[i].copy;
	size_t j = i;

	if (name == NULL)
		return NULL;
	while (j > 0 && lab->hosts[j - 1].copy == copy)
		j--;
	for (; j < lab->nhosts && lab->hosts[j].copy == copy; j++)
		if (strcmp(lab->hosts[j].prof->name, name) == 0)
			return &lab->hosts[j];
	return NULL;
}

/* host_add - the next host: address, names, identity for addr_route */
static int host_add(struct lab *lab, const struct profile *p, int copy, uint32_t addr, char *err,
                    size_t errlen)
{
	struct lab_host *h;
	struct sockaddr_in *sin;

	if (lab->nhosts >= LAB_HOSTS_MAX) {
		snprintf(err, errlen, "more than %d hosts", LAB_HOSTS_MAX);
		return -1;
	}
	h = &lab->hosts[lab->nhosts];
	h->lab = lab;
	h->prof = p;
	h->copy = copy;
	h->index = (int)lab->nhosts + 1;
	snprintf(h->name, sizeof(h->name), "lab-%d.lab.test", h->index);
	sin = (struct sockaddr_in *)&h->addr;
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)lab->cfg->port);
	sin->sin_addr.s_addr = htonl(addr);
	h->addrlen = sizeof(*sin);
	inet_ntop(AF_INET, &sin->sin_addr, h->ip, sizeof(h->ip));
	if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127) {
		snprintf(err, errlen, "lab address %s is not on loopback (127/8)", h->ip);
		return -1;
	}
	h->names[0] = h->name;
	h->names[1] = "localhost";
	h->names[2] = NULL;
	h->ips[0] = h->ip;
	h->ips[1] = NULL;
	h->self.names = h->names;
	h->self.ips = h->ips;
	lab->nhosts++;
	return 0;
}

/* pick_profiles - the profiles in the order hosts take them: table order
 * (each once) without --range; with it the list's order, where a name
 * listed twice gets twice the share. *n gets the count; owned. */
static const struct profile **pick_profiles(const struct lab_config *cfg, size_t *n)
{
	const struct profile *all, **sel;
	size_t nall, i;
	const char *p = cfg->profiles;

	all = profile_all(&nall);
	*n = 0;
	if (cfg->range == NULL || p == NULL || *p == '\0') {
		sel = xcalloc(nall, sizeof(*sel));
		for (i = 0; i < nall; i++)
			if (selected(cfg->profiles, all[i].name))
				sel[(*n)++] = &all[i];
		return sel;
	}
	sel = xcalloc(strlen(p) / 2 + 1, sizeof(*sel)); /* names are >= 1 char plus a comma */
	while (*p != '\0') {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)len, p); /* check_list bounded it */
		sel[(*n)++] = profile_by_name(name);
		p += len;
		if (*p == ',')
			p++;
	}
	return sel;
}

/* add_hosts - every host: the selection --repeat times from --base, or
 * the selection in turn over the populated addresses of --range */
static int add_hosts(struct lab *lab, const struct profile **sel, size_t nsel, char *err,
                     size_t errlen)
{
	const struct lab_config *cfg = lab->cfg;
	uint64_t count, k, nth = 0;
	uint32_t first;
	struct in_addr a;
	size_t i;
	int copy;

	if (cfg->range == NULL) {
		if (inet_pton(AF_INET, cfg->base, &a) != 1) {
			snprintf(err, errlen, "--base %s: not an IPv4 address", cfg->base);
			return -1;
		}
		first = ntohl(a.s_addr);
		for (copy = 0; copy < cfg->repeat; copy++)
			for (i = 0; i < nsel; i++)
				if (host_add(lab, sel[i], copy, first + (uint32_t)lab->nhosts, err,
				             errlen) < 0)
					return -1;
		return 0;
	}
	if (sparse_range(cfg->range, &first, &count, err, errlen) < 0)
		return -1;
	for (k = 0; k < count; k++) {
		if (!sparse_populated(cfg->seed, first + (uint32_t)k, cfg->density_ppm))
			continue;
		if (host_add(lab, sel[nth % nsel], (int)(nth / nsel), first + (uint32_t)k, err,
		             errlen) < 0)
			return -1;
		nth++;
	}
	return 0;
}

/* lab_new - hosts, addresses, chain partners */
struct lab *lab_new(struct event_base *base, const struct lab_config *cfg, char *err, size_t errlen)
{
	const struct profile **sel;
	struct lab *lab;
	size_t nsel, i;
	int sinklen, rc;

	if (check_list(cfg->profiles, err, errlen) < 0)
		return NULL;
	lab = xcalloc(1, sizeof(*lab));
	lab->base = base;
	lab->cfg = cfg;
	lab->reaper = event_new(base, -1, 0, reap, lab);
	sinklen = (int)sizeof(lab->sink);
	if (evutil_parse_sockaddr_port(cfg->sink, (struct sockaddr *)&lab->sink, &sinklen) < 0 ||
	    strchr(cfg->sink, ':') == NULL) {
		snprintf(err, errlen, "--sink %s: want ADDR:PORT", cfg->sink);
		return lab_free(lab);
	}
	lab->sinklen = (socklen_t)sinklen;
	if (cfg->repeat < 1 || cfg->repeat > LAB_HOSTS_MAX) {
		snprintf(err, errlen, "--repeat %d: want 1 to %d", cfg->repeat, LAB_HOSTS_MAX);
		return lab_free(lab);
	}
	/* add_hosts stops at LAB_HOSTS_MAX hosts with an error */
	lab->hosts = xcalloc(LAB_HOSTS_MAX, sizeof(*lab->hosts));
	sel = pick_profiles(cfg, &nsel);
	rc = nsel == 0 ? 0 : add_hosts(lab, sel, nsel, err, errlen);
	free(sel);
	if (rc < 0)
		return lab_free(lab);
	if (lab->nhosts == 0) {
		snprintf(err, errlen,
		         nsel == 0 ? "no profile selected"
		                   : "--range %s: no address drawn at this density",
		         cfg->range);
		return lab_free(lab);
	}
	lab->hosts = xrealloc(lab->hosts, lab->nhosts * sizeof(*lab->hosts));
	for (i = 0; i < lab->nhosts; i++) {
		struct lab_host *h = &lab->hosts[i], *p;

		/* the names point into the host itself: set again after the realloc */
		h->names[0] = h->name;
		h->ips[0] = h->ip;
		h->self.names = h->names;
		h->self.ips = h->ips;
		h->lab = lab;
		if (h->prof->next_hop != NULL) {
			h->next_hop = host_by_profile(lab, h->prof->next_hop, i);
			if (h->next_hop == NULL)
				rw_log(LOG_WARNING,
				       "lab host=%s profile=%s event=config next_hop=%s "
				       "problem=not-selected action=sink",
				       h->name, h->prof->name, h->prof->next_hop);
		}
		if (h->prof->trust != NULL) {
			p = host_by_profile(lab, h->prof->trust, i);
			if (p != NULL)
				snprintf(h->trusted, sizeof(h->trusted), "%s", p->ip);
			else
				rw_log(LOG_WARNING,
				       "lab host=%s profile=%s event=config trust=%s "
				       "problem=not-selected action=trust-nobody",
				       h->name, h->prof->name, h->prof->trust);
		}
	}
	return lab;
}

/* raise_nofile - room for every listener, LAB_CONN_MAX connections and
 * the deliveries; the hard limit is raised too when we may (root) */
static void raise_nofile(const struct lab *lab)
{
	rlim_t want = (rlim_t)lab->nhosts + LAB_CONN_MAX + LAB_DELIVER_CONC + LAB_FD_SPARE;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		struct rlimit up = {want, want};

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			return;
	}
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		rw_log(LOG_WARNING,
		       "lab event=nofile limit=%llu want=%llu hosts=%zu "
		       "problem=low-fd-limit action=connections-beyond-refused",
		       (unsigned long long)rl.rlim_cur, (unsigned long long)want, lab->nhosts);
}

/* lab_start - a listener per host, TLS context first if anyone needs it */
int lab_start(struct lab *lab, char *err, size_t errlen)
{
	size_t i;

	raise_nofile(lab);
	for (i = 0; i < lab->nhosts; i++) {
		struct lab_host *h = &lab->hosts[i];

		if (h->prof->greylist)
			h->grey = greylist_new(LAB_GREYLIST_MAX);
		if (h->prof->starttls && lab->tls == NULL) {
			lab->tls = starttls_ctx_new("lab.test", err, errlen);
			if (lab->tls == NULL)
				return -1;
		}
	}
	for (i = 0; i < lab->nhosts; i++)
		if (server_listen(&lab->hosts[i], err, errlen) < 0)
			return -1;
	return 0;
}

/* lab_write_truth - "addr port profile expected-verdict proxy-verdict" per
 * host: the verdict of the SMTP probe, then that of the proxy probe (a
 * fifth column, so readers of the first four are unaffected) */
int lab_write_truth(const struct lab *lab, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < lab->nhosts; i++)
		fprintf(f, "%s %u %s %s %s\n", lab->hosts[i].ip, lab->cfg->port,
		        lab->hosts[i].prof->name, lab->hosts[i].prof->expect,
		        profile_proxy_expect(lab->hosts[i].prof));
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* lab_free - end everything; deferred frees run here, not in a callback */
struct lab *lab_free(struct lab *lab)
{
	size_t i;

	if (lab == NULL)
		return NULL;
	for (i = 0; i < lab->nhosts; i++) {
		struct lab_host *h = &lab->hosts[i];

		if (h->listener != NULL)
			evconnlistener_free(h->listener);
		h->listener = NULL;
		if (h->resume_ev != NULL)
			event_free(h->resume_ev);
		h->resume_ev = NULL;
	}
	server_close_all(lab);
	proxyd_close_all(lab);
	deliver_close_all(lab);
	reap(-1, 0, lab);
	for (i = 0; i < lab->nhosts; i++)
		lab->hosts[i].grey = greylist_free(lab->hosts[i].grey);
	starttls_ctx_free(lab->tls);
	if (lab->reaper != NULL)
		event_free(lab->reaper);
	free(lab->hosts);
	free(lab);
	return NULL;
}
