/*
 * NAME
 *	pxprobe - libevent binding of the proxy attempts
 * SUMMARY
 *	one connection per protocol, in turn, with deadlines, into a result
 * SYNOPSIS
 *	struct pxprobe *pxprobe_start(const struct pxprobe_env *env,
 *		struct proxy_result *r, const struct sockaddr *addr,
 *		socklen_t addrlen, pxprobe_done_fn done, void *arg);
 *	struct pxprobe *pxprobe_free(struct pxprobe *p);
 *	const char *pxprobe_protos_parse(const char *list, unsigned *mask);
 *	const char *pxprobe_canary_parse(const char *s, struct proxy_canary *c);
 * DESCRIPTION
 *	The protocols run one after the other, HTTP first and the telnet
 *	prompt last, each on a fresh connection: a refused or timed-out first connection ends the
 *	target (unreachable, nothing more is tried), two attempts ended by
 *	their deadline end it too (a silent or dripping peer must not hold
 *	us for every protocol), and the telnet prompt attempt
 *	is skipped once another protocol got a proxy's or a web server's
 *	answer; SOCKS on a port that answered HTTP, and the telnet prompt,
 *	get PXPROBE_PROMPT_MS to answer (a web server never does). Each attempt
 *	has a connect deadline and then an absolute deadline of its own, so
 *	a peer dripping bytes gains nothing. What is read goes to pxa_feed()
 *	and what it says to send is written; the attempt decides, the probe
 *	closes. The done callback runs from a deferred event, so the caller
 *	may free the probe there. pxprobe_free() keeps the attempts in r.
 * DIAGNOSTICS
 *	Socket errors become attempt outcomes (unreachable, or the reader's
 *	judgement of an early close), never exits.
 * LIMITS
 *	RW_READ_HIGHWAT bytes buffered per connection; the attempts' own
 *	caps (src/proxy) on what they keep.
 * STANDARDS
 *	none beyond the attempts' (RFC 1928, RFC 9110 9.3.6).
 */
#include "pxprobe.h"
#include "probe.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/netaddr.h"
#include "../core/xalloc.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* the order the protocols are tried in: HTTP first (the commonest, and
 * what it answers tells whether SOCKS is worth a full wait), the telnet
 * prompt last */
static const enum proxy_proto order[PX__COUNT] = {
    PX_HTTP_CONNECT, PX_HTTP_POST, PX_HTTP_GET, PX_SOCKS5, PX_SOCKS4, PX_SOCKS4A, PX_TELNET,
};

/* attempts ended by their deadline (silent or dripping peers) before the
 * target is given up */
#define PXPROBE_SILENT_MAX 2
/* a telnet proxy greets at once: how long its prompt may take before the
 * attempt is over (the whole attempt deadline runs from the first byte) */
#define PXPROBE_PROMPT_MS 3000

struct pxprobe {
	const struct pxprobe_env *env;
	struct proxy_result *r;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	pxprobe_done_fn done;
	void *arg;
	struct bufferevent *bev;
	struct pxa *a; /* the attempt running, owned by r */
	int next;      /* the next protocol to consider */
	int connected;
	int silent;         /* attempts ended by their deadline */
	int answered_proxy; /* some attempt got a proxy's answer */
	int spoke_http;     /* some HTTP attempt got a status line */
	int spoke_text;     /* some attempt got text (or telnet IAC) first */
	int finished;
	struct dbuf out;
	struct event *deadline;
	struct event *later; /* next attempt, or done, from a fresh event */
};

static long long now_s(void)
{
	return (long long)time(NULL);
}

static long long now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void arm(struct event *ev, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	evtimer_del(ev);
	evtimer_add(ev, &tv);
}

/* later - run on_later from the loop, never inside a callback's stack */
static void later(struct pxprobe *p)
{
	event_active(p->later, EV_TIMEOUT, 0);
}

/* flush_out - write what the attempt asked for */
static void flush_out(struct pxprobe *p)
{
	if (p->out.len && p->bev)
		bufferevent_write(p->bev, p->out.data, p->out.len);
	dbuf_reset(&p->out);
}

/* end_attempt - close its connection, note what it tells about the
 * target, and go on from a fresh event */
static void end_attempt(struct pxprobe *p)
{
	const struct pxa_report *rep = pxa_report(p->a);

	if (p->bev) {
		bufferevent_free(p->bev);
		p->bev = NULL;
	}
	evtimer_del(p->deadline);
	/* a telnet proxy speaks text first, whatever we sent: binary junk
	 * or silence before it means no prompt will come */
	if (rep->received && rep->received[0] &&
	    (strncmp(rep->received, "\\x", 2) != 0 || strncmp(rep->received, "\\xff", 4) == 0))
		p->spoke_text = 1;
	if (rep->status >= 100 && (rep->proto == PX_HTTP_CONNECT || rep->proto == PX_HTTP_POST ||
	                           rep->proto == PX_HTTP_GET))
		p->spoke_http = 1;
	switch (rep->outcome) {
	case PXO_OPEN:
	case PXO_SUSPECT:
	case PXO_AUTH:
	case PXO_CLOSED:
		p->answered_proxy = 1;
		break;
	case PXO_UNREACHABLE:
		/* the port itself is closed: nothing else will do better */
		if (p->r->n == 1)
			p->next = PX__COUNT;
		break;
	default:
		break;
	}
	rw_debug("pxprobe target=%s port=%u proto=%s outcome=%s reason=\"%s\"", p->r->addr,
	         p->r->port, proxy_proto_name(rep->proto), px_outcome_name(rep->outcome),
	         rep->reason);
	p->a = NULL;
	p->connected = 0;
	later(p);
}

/* short_deadline - a telnet prompt, or SOCKS on a port that answered HTTP
 * (a mixed HTTP+SOCKS proxy answers at once; a web server never does),
 * gets PXPROBE_PROMPT_MS and does not count as a silent attempt */
static int short_deadline(const struct pxprobe *p)
{
	enum proxy_proto pr = pxa_report(p->a)->proto;

	return p->env->attempt_timeout_ms > PXPROBE_PROMPT_MS &&
	       (pr == PX_TELNET ||
	        (p->spoke_http && (pr == PX_SOCKS5 || pr == PX_SOCKS4 || pr == PX_SOCKS4A)));
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct pxprobe *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (p->a && p->bev == bev && evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		int decided;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		/* the prompt or answer came: the whole deadline from now */
		if (short_deadline(p) && !pxa_answered(p->a))
			arm(p->deadline, p->env->attempt_timeout_ms);
		decided = pxa_feed(p->a, v.iov_base, v.iov_len, &p->out, now_s());
		evbuffer_drain(in, v.iov_len);
		flush_out(p);
		if (decided) {
			end_attempt(p);
			return;
		}
	}
	if (p->a && p->bev == bev && evbuffer_get_length(in) == 0 && pxa_pause(p->a))
		end_attempt(p);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct pxprobe *p = arg;
	char d[160];

	if (p->bev != bev || p->a == NULL)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		p->connected = 1;
		arm(p->deadline,
		    short_deadline(p) ? PXPROBE_PROMPT_MS : p->env->attempt_timeout_ms);
		pxa_start(p->a, &p->out);
		flush_out(p);
		return;
	}
	if (!p->connected) {
		int err = EVUTIL_SOCKET_ERROR();

		snprintf(d, sizeof(d), "connect: %s",
		         err ? evutil_socket_error_to_string(err) : "failed");
		pxa_unreachable(p->a, d);
	} else {
		/* what is still buffered was read before the close */
		on_read(bev, p);
		if (p->a == NULL)
			return;
		pxa_eof(p->a, now_s());
	}
	end_attempt(p);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct pxprobe *p = arg;

	(void)fd;
	(void)what;
	if (p->a == NULL)
		return;
	if (!p->connected) {
		pxa_unreachable(p->a, "connect timed out");
	} else {
		if (!short_deadline(p))
			p->silent++;
		pxa_timeout(p->a, now_s());
	}
	end_attempt(p);
}

/* connect_attempt - a fresh socket for p->a, from the source address */
static void connect_attempt(struct pxprobe *p)
{
	char d[160];
	evutil_socket_t fd =
	    probe_socket(p->addr.ss_family, p->env->source, p->env->source_len, d, sizeof(d));

	if (fd < 0) {
		pxa_unreachable(p->a, d);
		end_attempt(p);
		return;
	}
	p->bev = bufferevent_socket_new(p->env->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(p->bev, on_read, NULL, on_event, p);
	bufferevent_setwatermark(p->bev, EV_READ, 0, RW_READ_HIGHWAT);
	bufferevent_enable(p->bev, EV_READ | EV_WRITE);
	arm(p->deadline, p->env->connect_timeout_ms);
	if (bufferevent_socket_connect(p->bev, (struct sockaddr *)&p->addr, (int)p->addrlen) < 0) {
		snprintf(d, sizeof(d), "connect: %s", strerror(errno));
		pxa_unreachable(p->a, d);
		end_attempt(p);
	}
}

/* wanted - protocol i is to be tried now */
static int wanted(const struct pxprobe *p, int i)
{
	unsigned mask = p->env->protos ? p->env->protos : ~0u;

	if (!(mask & (1u << i)) || !proxy_proto_applies((enum proxy_proto)i, p->env->canary))
		return 0;
	/* a prompt is only worth waiting for where nothing spoke a proxy
	 * protocol, unless it is all that was asked for */
	if (i == PX_TELNET && (p->answered_proxy || p->spoke_http || (p->r->n && !p->spoke_text)) &&
	    p->env->protos != (1u << PX_TELNET))
		return 0;
	return 1;
}

/* on_later - start the next attempt, or report the target */
static void on_later(evutil_socket_t fd, short what, void *arg)
{
	struct pxprobe *p = arg;

	(void)fd;
	(void)what;
	if (p->finished)
		return;
	while (p->next < PX__COUNT && p->silent < PXPROBE_SILENT_MAX && !wanted(p, order[p->next]))
		p->next++;
	if (p->next >= PX__COUNT || p->silent >= PXPROBE_SILENT_MAX) {
		p->finished = 1;
		p->r->finished = now_ms();
		presult_decide(p->r);
		p->done(p, p->arg);
		return;
	}
	p->a = pxa_new(order[p->next++], p->env->canary, p->env->key, now_s());
	presult_add(p->r, p->a);
	connect_attempt(p);
}

struct pxprobe *pxprobe_start(const struct pxprobe_env *env, struct proxy_result *r,
                              const struct sockaddr *addr, socklen_t addrlen, pxprobe_done_fn done,
                              void *arg)
{
	struct pxprobe *p = xcalloc(1, sizeof(*p));

	if (addrlen > sizeof(p->addr))
		rw_panic("%s: address too long", __func__);
	p->env = env;
	p->r = r;
	memcpy(&p->addr, addr, addrlen);
	p->addrlen = addrlen;
	p->done = done;
	p->arg = arg;
	dbuf_init(&p->out, 4096);
	p->deadline = evtimer_new(env->base, on_deadline, p);
	p->later = event_new(env->base, -1, 0, on_later, p);
	r->canary = *env->canary;
	r->started = now_ms();
	later(p);
	return p;
}

struct pxprobe *pxprobe_free(struct pxprobe *p)
{
	if (p == NULL)
		return NULL;
	if (p->bev)
		bufferevent_free(p->bev);
	event_free(p->deadline);
	event_free(p->later);
	dbuf_free(&p->out);
	free(p);
	return NULL;
}

/* pxprobe_protos_parse - a comma list of protocol names, or "all" */
const char *pxprobe_protos_parse(const char *list, unsigned *mask)
{
	static char bad[64];
	const char *p = list;

	*mask = 0;
	if (strcmp(list, "all") == 0) {
		*mask = (1u << PX__COUNT) - 1;
		return NULL;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		char name[32];
		int k;

		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1),
		         p);
		if ((k = proxy_proto_by_name(name)) < 0) {
			snprintf(bad, sizeof(bad), "%s", name);
			return bad;
		}
		*mask |= 1u << k;
		p += n + (p[n] == ',');
	}
	return *mask ? NULL : "empty protocol list";
}

/* pxprobe_canary_parse - a concrete address and a port */
const char *pxprobe_canary_parse(const char *s, struct proxy_canary *c)
{
	char host[RW_DOMAIN_MAX + 1];
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned port = 0;
	const char *e = netaddr_split(s, host, sizeof(host), &port, 0);

	if (e)
		return e;
	if (port == 0)
		return "the proxy canary needs a port (addr:port)";
	if (netaddr_numeric(host, port, &ss, &len) < 0)
		return "the proxy canary must be a numeric address (a proxy resolves nothing for "
		       "us)";
	if ((ss.ss_family == AF_INET &&
	     ((struct sockaddr_in *)&ss)->sin_addr.s_addr == htonl(INADDR_ANY)) ||
	    (ss.ss_family == AF_INET6 &&
	     IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr)))
		return "the proxy canary cannot be a wildcard address: set proxy_canary";
	netaddr_text((struct sockaddr *)&ss, c->addr, sizeof(c->addr));
	c->port = port;
	return NULL;
}
