/*
 * NAME
 *	ares_ev - a c-ares channel on a libevent loop
 * SUMMARY
 *	c-ares' sockets as persistent events, its deadline as one timer
 * SYNOPSIS
 *	struct ares_ev *ares_ev_new(struct event_base *base, unsigned timeout_ms,
 *		unsigned tries, const struct nslist *servers, const char **why);
 *	void ares_ev_rearm(struct ares_ev *a);
 *	struct ares_ev *ares_ev_free(struct ares_ev *a);
 * DESCRIPTION
 *	c-ares tells through its socket-state callback which sockets to
 *	watch for reading or writing; each is an EV_PERSIST event that hands
 *	readiness to ares_process_fd. After every call into c-ares the timer
 *	is set to ares_timeout's next deadline (or removed). Name servers
 *	given explicitly (with their ports) replace resolv.conf's.
 * DIAGNOSTICS
 *	NULL from ares_ev_new with a static reason; an event that cannot be
 *	added is a broken invariant (rw_panic).
 * LIMITS
 *	RW_DNS_SERVERS_MAX name servers.
 */
#include "ares_ev.h"
#include "../core/limits.h"
#include "../core/log.h"
#include "../core/xalloc.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct asock {
	struct asock *next;
	ares_socket_t fd;
	struct event *ev;
};

struct ares_ev {
	struct event_base *base;
	ares_channel ch;
	struct event *timer;
	struct asock *socks;
	int closing;
};

/* on_io - a c-ares socket is ready */
static void on_io(evutil_socket_t fd, short what, void *arg)
{
	struct ares_ev *a = arg;

	ares_process_fd(a->ch, what & EV_READ ? (ares_socket_t)fd : ARES_SOCKET_BAD,
	                what & EV_WRITE ? (ares_socket_t)fd : ARES_SOCKET_BAD);
	ares_ev_rearm(a);
}

/* on_timer - c-ares' next retry or timeout is due */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ares_ev *a = arg;

	ares_process_fd(a->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	ares_ev_rearm(a);
}

void ares_ev_rearm(struct ares_ev *a)
{
	struct timeval tv;

	if (a->closing)
		return;
	if (ares_timeout(a->ch, NULL, &tv))
		evtimer_add(a->timer, &tv);
	else
		evtimer_del(a->timer);
}

/* on_sock_state - c-ares opened, changed or closed a socket: watch it as it asks */
static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct ares_ev *ae = data;
	struct asock **pp = &ae->socks, *a;

	while (*pp && (*pp)->fd != fd)
		pp = &(*pp)->next;
	a = *pp;
	if (!readable && !writable) {
		if (a) {
			*pp = a->next;
			event_free(a->ev);
			free(a);
		}
		return;
	}
	if (a == NULL) {
		a = xcalloc(1, sizeof(*a));
		a->fd = fd;
		a->next = ae->socks;
		ae->socks = a;
	} else {
		event_free(a->ev);
	}
	a->ev =
	    event_new(ae->base, fd,
	              EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0), on_io, ae);
	if (a->ev == NULL || event_add(a->ev, NULL) < 0)
		rw_panic("%s: cannot watch a c-ares socket", __func__);
}

/* set_servers - the explicit name servers, with their ports */
static int set_servers(ares_channel ch, const struct nslist *s)
{
	struct ares_addr_port_node nodes[RW_DNS_SERVERS_MAX];

	memset(nodes, 0, sizeof(nodes));
	for (size_t i = 0; i < s->n && i < RW_DNS_SERVERS_MAX; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&s->ss[i];

		nodes[i].next = i + 1 < s->n && i + 1 < RW_DNS_SERVERS_MAX ? &nodes[i + 1] : NULL;
		nodes[i].family = sa->sa_family;
		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *a = (const void *)sa;

			memcpy(&nodes[i].addr.addr4, &a->sin_addr, 4);
			nodes[i].udp_port = nodes[i].tcp_port = ntohs(a->sin_port);
		} else {
			const struct sockaddr_in6 *a = (const void *)sa;

			memcpy(&nodes[i].addr.addr6, &a->sin6_addr, 16);
			nodes[i].udp_port = nodes[i].tcp_port = ntohs(a->sin6_port);
		}
	}
	return ares_set_servers_ports(ch, nodes) == ARES_SUCCESS ? 0 : -1;
}

struct ares_ev *ares_ev_new(struct event_base *base, unsigned timeout_ms, unsigned tries,
                            const struct nslist *servers, const char **why)
{
	struct ares_ev *a = xcalloc(1, sizeof(*a));
	struct ares_options ao;

	a->base = base;
	memset(&ao, 0, sizeof(ao));
	ao.sock_state_cb = on_sock_state;
	ao.sock_state_cb_data = a;
	ao.timeout = (int)timeout_ms;
	ao.tries = (int)tries;
	if (ares_init_options(&a->ch, &ao,
	                      ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) !=
	    ARES_SUCCESS) {
		a->ch = NULL;
		*why = "c-ares: cannot read /etc/resolv.conf";
		return ares_ev_free(a);
	}
	if (servers && servers->n > 0 && set_servers(a->ch, servers) < 0) {
		*why = "c-ares: cannot set the name servers";
		return ares_ev_free(a);
	}
	if ((a->timer = evtimer_new(base, on_timer, a)) == NULL) {
		*why = "cannot create a timer";
		return ares_ev_free(a);
	}
	return a;
}

ares_channel ares_ev_channel(const struct ares_ev *a)
{
	return a->ch;
}

struct ares_ev *ares_ev_free(struct ares_ev *a)
{
	if (a == NULL)
		return NULL;
	a->closing = 1;
	if (a->ch)
		ares_destroy(a->ch); /* callbacks with ARES_EDESTRUCTION */
	while (a->socks) {
		struct asock *s = a->socks;

		a->socks = s->next;
		event_free(s->ev);
		free(s);
	}
	if (a->timer)
		event_free(a->timer);
	free(a);
	return NULL;
}
