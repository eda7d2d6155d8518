/*
 * ares_ev.h - a c-ares channel driven by a libevent loop: its sockets are
 * watched as c-ares asks, its retries and timeouts are one timer
 *
 * resolve (MX) and dnsbl (A, TXT) share it; the caller keeps the library
 * initialised (ares_library_init) for the channel's life.
 */
#ifndef RW_ARES_EV_H
#define RW_ARES_EV_H

#include <ares.h>

#include "../core/nslist.h"

struct event_base;
struct ares_ev;

/* ares_ev_new - a channel on base: timeout_ms per try, tries, the name
 * servers (NULL or empty: /etc/resolv.conf's). NULL with the problem in
 * *why (static text). */
struct ares_ev *ares_ev_new(struct event_base *base, unsigned timeout_ms, unsigned tries,
                            const struct nslist *servers, const char **why);
/* ares_ev_channel - for ares_query() and the like */
ares_channel ares_ev_channel(const struct ares_ev *a);
/* ares_ev_rearm - after queries were sent: the timer to c-ares' next deadline */
void ares_ev_rearm(struct ares_ev *a);
/* ares_ev_free - destroy the channel (pending callbacks run with
 * ARES_EDESTRUCTION) and its events; NULL ok; returns NULL */
struct ares_ev *ares_ev_free(struct ares_ev *a);

#endif
