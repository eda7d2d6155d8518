/*
 * daemon_outbox.h - the daemon's outbox sender: queued notices through
 * the smarthost, one at a time, each exactly once under its Message-ID
 */
#ifndef RW_DAEMON_OUTBOX_H
#define RW_DAEMON_OUTBOX_H

#include "../core/config.h"

struct event_base;
struct store;
struct desk;
struct outbox_sender;

/* outbox_sender_new - a sender on base for st, with the smarthost and the
 * sender address of cfg (read now: call again after a reload). NULL with
 * the reason in err when the smarthost settings are unusable (a missing
 * pass file, a bad CA file); with no smarthost configured it is created
 * and sends nothing (outbox_sender_kick logs that once). */
struct outbox_sender *outbox_sender_new(struct event_base *base, struct store *st,
					const struct rw_config *cfg, char *err, size_t errlen);
/* outbox_sender_free - abandons a session in flight (its lease runs out
 * and the message is claimed again: sent again under the same
 * Message-ID); NULL ok; returns NULL */
struct outbox_sender *outbox_sender_free(struct outbox_sender *o);
/* outbox_sender_kick - when idle, claim the next due notice at now_ms and
 * start sending it; when it is over (sent: store_outbox_sent and
 * desk_notice_sent on d; temporary failure: retried later with back-off;
 * permanent: failed) the next due one is claimed, until none is due.
 * d is borrowed until the next kick (the daemon may swap it on reload). */
void outbox_sender_kick(struct outbox_sender *o, struct desk *d, long long now_ms);
/* outbox_sender_busy - a session is in flight */
int outbox_sender_busy(const struct outbox_sender *o);
/* outbox_sender_resume - the recovery path: every incident still in state
 * "confirmed" whose admin results notice the outbox has sent gets its
 * desk_notice_sent (the daemon died between the two). Returns the count
 * fed, or -1. */
int outbox_sender_resume(struct store *st, struct desk *d);

#endif
