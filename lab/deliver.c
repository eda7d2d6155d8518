/*
 * NAME
 *	deliver - the lab's outgoing SMTP client: relayed mail to the sink
 * SUMMARY
 *	banner, EHLO, MAIL, RCPT..., DATA, dot-stuffed body, QUIT
 * SYNOPSIS
 *	int deliver_submit(struct lab *lab, const struct deliver_job *job);
 *	int deliver_room(const struct lab *lab);
 *	void deliver_close_all(struct lab *lab);
 * DESCRIPTION
 *	deliver_submit() copies the job (and takes job->msg), waits
 *	job->delay_sec, queues for one of LAB_DELIVER_CONC connection
 *	slots (first due, first served), then connects from the relaying
 *	host's own address (so the next hop sees who relayed) to job->to,
 *	which the caller
 *	takes only from the lab's --sink or another lab host: nothing else
 *	is ever contacted. Replies are read with src/smtp/reply.h; the
 *	dialogue is a state per command (d_enter writes it, d_on_reply
 *	judges the answer). A refused EHLO falls back to HELO. A connection
 *	failure, a timeout or a 4xx is retried LAB_DELIVER_TRIES times in
 *	all, LAB_DELIVER_RETRY_SEC apart; a 5xx is final. Whatever the end,
 *	one log line says it. deliver_room() says whether another job fits;
 *	deliver_close_all() abandons every job at shutdown.
 * DIAGNOSTICS
 *	deliver_submit() returns -1 when LAB_DELIVER_MAX jobs are pending.
 * LIMITS
 *	LAB_DELIVER_MAX jobs, LAB_DELIVER_CONC connections at once,
 *	LAB_DELIVER_TIMEOUT per reply, RW_READ_HIGHWAT input, replies
 *	bounded by the reply parser.
 * STANDARDS
 *	RFC 5321 3.3 (mail transaction), 4.5.2 (dot stuffing), 4.5.3.2
 *	(timeouts), 4.5.4.1 (retry).
 */
#include "lab.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../src/core/log.h"
#include "../src/core/xalloc.h"
#include "../src/smtp/reply.h"

enum dstate {
	D_WAIT,    /* delay or retry timer */
	D_QUEUED,  /* due, waiting for a connection slot */
	D_CONNECT, /* connecting */
	D_BANNER,  /* waiting for 220 */
	D_EHLO,
	D_HELO,
	D_MAIL,
	D_RCPT, /* RCPT number ri */
	D_DATA,
	D_BODY, /* message sent, waiting for 250 */
	D_QUIT,
	D_DONE,
	D__COUNT
};

static const char *const dstate_names[D__COUNT] = {
    [D_WAIT] = "wait", [D_QUEUED] = "queued", [D_CONNECT] = "connect", [D_BANNER] = "banner",
    [D_EHLO] = "ehlo", [D_HELO] = "helo",     [D_MAIL] = "mail",       [D_RCPT] = "rcpt",
    [D_DATA] = "data", [D_BODY] = "body",     [D_QUIT] = "quit",       [D_DONE] = "done",
};

struct delivery {
	struct lab *lab;
	unsigned long id;
	enum dstate state;
	char host[64]; /* relaying host's name (EHLO) */
	char src[64];  /* and address (bind) */
	struct sockaddr_storage to;
	socklen_t tolen;
	char to_text[80];
	char qid[32];
	char *sender;
	char **rcpts;
	size_t nrcpt, ri, rok;
	char *msg;
	size_t msglen;
	int tries;
	int sent;                 /* 250 after the message */
	int running;              /* holds a connection slot */
	struct delivery *rq_next; /* in lab->runq */
	struct bufferevent *bev;
	struct reply_parser *rp;
	struct event *timer;
	struct delivery *prev, *next;
};

static void d_connect(struct delivery *d);

/* d_free - the reaper's half of d_finish */
static void d_free(void *arg)
{
	struct delivery *d = arg;
	size_t i;

	if (d->bev != NULL)
		bufferevent_free(d->bev);
	reply_parser_free(d->rp);
	event_free(d->timer);
	for (i = 0; i < d->nrcpt; i++)
		free(d->rcpts[i]);
	free(d->rcpts);
	free(d->sender);
	free(d->msg);
	free(d);
}

/* bev_free - a connection dropped for a retry, freed after its callback */
static void bev_free(void *arg)
{
	bufferevent_free(arg);
}

/* pump_later - start due deliveries once the loop unwinds */
static void pump_later(struct lab *lab)
{
	if (lab->deliver_pump != NULL)
		event_active(lab->deliver_pump, EV_TIMEOUT, 0);
}

/* pump_cb - connect due deliveries while slots are free */
static void pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lab *lab = arg;

	while (lab->runq != NULL && lab->nrunning < LAB_DELIVER_CONC) {
		struct delivery *d = lab->runq;

		lab->runq = d->rq_next;
		if (lab->runq == NULL)
			lab->runq_tail = NULL;
		d->rq_next = NULL;
		d_connect(d);
	}
}

/* d_unqueue - take d out of the run queue (shutdown only: linear) */
static void d_unqueue(struct delivery *d)
{
	struct delivery **pp = &d->lab->runq, *prev = NULL;

	for (; *pp != NULL; prev = *pp, pp = &(*pp)->rq_next) {
		if (*pp != d)
			continue;
		*pp = d->rq_next;
		if (d->lab->runq_tail == d)
			d->lab->runq_tail = prev;
		d->rq_next = NULL;
		return;
	}
}

/* d_drop_conn - stop the connection's I/O, give its slot back; free later */
static void d_drop_conn(struct delivery *d)
{
	if (d->running) {
		d->running = 0;
		d->lab->nrunning--;
		pump_later(d->lab);
	}
	if (d->bev == NULL)
		return;
	bufferevent_disable(d->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(d->bev, NULL, NULL, NULL, NULL);
	lab_defer(d->lab, bev_free, d->bev);
	d->bev = NULL;
}

/* d_finish - log the outcome, unlink, free when the loop unwinds */
static void d_finish(struct delivery *d, const char *status, const char *why)
{
	if (d->sent && d->lab->cfg->quiet)
		goto unlink;
	rw_log(d->sent ? LOG_INFO : LOG_WARNING,
	       "lab deliver=%lu host=%s qid=%s to=%s rcpts=%zu accepted=%zu tries=%d event=%s "
	       "reason=\"%s\"",
	       d->id, d->host, d->qid, d->to_text, d->nrcpt, d->rok, d->tries, status, why);
unlink:
	if (d->state == D_QUEUED)
		d_unqueue(d);
	d_drop_conn(d);
	event_del(d->timer);
	d->state = D_DONE;
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		d->lab->deliveries = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	d->lab->ndeliver--;
	lab_defer(d->lab, d_free, d);
}

/* d_fail - retry a temporary failure while tries remain, else give up */
static void d_fail(struct delivery *d, int temporary, const char *why)
{
	if (d->sent) { /* the message is through; a lost QUIT changes nothing */
		d_finish(d, "sent", "ok");
		return;
	}
	if (temporary && d->tries < LAB_DELIVER_TRIES) {
		struct timeval tv = {LAB_DELIVER_RETRY_SEC, 0};

		lab_info(d->lab,
		         "lab deliver=%lu host=%s qid=%s to=%s state=%s event=retry reason=\"%s\"",
		         d->id, d->host, d->qid, d->to_text, dstate_names[d->state], why);
		d_drop_conn(d);
		d->state = D_WAIT;
		evtimer_add(d->timer, &tv);
		return;
	}
	d_finish(d, temporary ? "deferred-gave-up" : "bounced", why);
}

/* write_body - the message, dot-stuffed, and the final dot */
static void write_body(struct delivery *d)
{
	struct evbuffer *o = bufferevent_get_output(d->bev);
	const char *p = d->msg, *end = d->msg + d->msglen;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (*p == '.')
			evbuffer_add(o, ".", 1);
		evbuffer_add(o, p, n);
		p += n;
	}
	if (d->msglen > 0 && d->msg[d->msglen - 1] != '\n')
		evbuffer_add(o, "\r\n", 2);
	evbuffer_add(o, ".\r\n", 3);
}

/* d_enter - the one place the state changes; writes the state's command */
static void d_enter(struct delivery *d, enum dstate st)
{
	struct evbuffer *o = bufferevent_get_output(d->bev);

	rw_debug("lab deliver=%lu state=%s -> %s", d->id, dstate_names[d->state], dstate_names[st]);
	d->state = st;
	switch (st) {
	case D_EHLO:
		evbuffer_add_printf(o, "EHLO %s\r\n", d->host);
		break;
	case D_HELO:
		evbuffer_add_printf(o, "HELO %s\r\n", d->host);
		break;
	case D_MAIL:
		evbuffer_add_printf(o, "MAIL FROM:<%s>\r\n", d->sender);
		break;
	case D_RCPT:
		evbuffer_add_printf(o, "RCPT TO:<%s>\r\n", d->rcpts[d->ri]);
		break;
	case D_DATA:
		evbuffer_add_printf(o, "DATA\r\n");
		break;
	case D_BODY:
		write_body(d);
		break;
	case D_QUIT:
		evbuffer_add_printf(o, "QUIT\r\n");
		break;
	default:
		break;
	}
}

/* d_on_reply - judge one complete reply and move on */
static void d_on_reply(struct delivery *d, const struct reply *r)
{
	int cls = r->code / 100;
	char why[160];

	snprintf(why, sizeof(why), "%s: %d %.120s", dstate_names[d->state], r->code, r->text);
	switch (d->state) {
	case D_BANNER:
		if (cls == 2)
			d_enter(d, D_EHLO);
		else
			d_fail(d, cls == 4, why);
		return;
	case D_EHLO:
		if (cls == 2)
			d_enter(d, D_MAIL);
		else if (cls == 5)
			d_enter(d, D_HELO);
		else
			d_fail(d, 1, why);
		return;
	case D_HELO:
	case D_MAIL:
		if (cls == 2) {
			d->ri = d->rok = 0;
			d_enter(d, d->state == D_HELO ? D_MAIL : D_RCPT);
		} else {
			d_fail(d, cls == 4, why);
		}
		return;
	case D_RCPT:
		if (cls == 2)
			d->rok++;
		if (++d->ri < d->nrcpt)
			d_enter(d, D_RCPT);
		else if (d->rok > 0)
			d_enter(d, D_DATA);
		else
			d_fail(d, cls == 4, why);
		return;
	case D_DATA:
		if (r->code == 354)
			d_enter(d, D_BODY);
		else
			d_fail(d, cls == 4, why);
		return;
	case D_BODY:
		if (cls != 2) {
			d_fail(d, cls == 4, why);
			return;
		}
		d->sent = 1;
		d_enter(d, D_QUIT);
		return;
	case D_QUIT:
		d_finish(d, "sent", "ok");
		return;
	default:
		d_fail(d, 0, "reply in an unexpected state");
		return;
	}
}

/* d_read_cb - feed the reply parser; one complete reply at a time */
static void d_read_cb(struct bufferevent *bev, void *arg)
{
	struct delivery *d = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (d->bev == bev && d->state != D_WAIT && d->state != D_DONE) {
		struct evbuffer_iovec v;
		enum reply_status st;
		size_t used = 0;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
			return;
		st = reply_feed(d->rp, v.iov_base, v.iov_len, &used);
		evbuffer_drain(in, used);
		if (st == REPLY_ERROR) {
			d_fail(d, 0, reply_error(d->rp));
			return;
		}
		if (st == REPLY_DONE)
			d_on_reply(d, reply_get(d->rp));
		else if (used == 0)
			return;
	}
}

/* d_event_cb - connected, or a failure worth a retry */
static void d_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct delivery *d = arg;

	if (what & BEV_EVENT_CONNECTED) {
		d->state = D_BANNER;
		return;
	}
	d_fail(d, 1,
	       (what & BEV_EVENT_TIMEOUT) ? "timeout"
	       : (what & BEV_EVENT_EOF)   ? "connection closed"
	                                  : evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* d_connect - a new connection from the relaying host's address */
static void d_connect(struct delivery *d)
{
	struct timeval tmo = {LAB_DELIVER_TIMEOUT, 0};
	struct sockaddr_in src;
	evutil_socket_t fd;

	d->tries++;
	d->state = D_CONNECT;
	d->running = 1;
	d->lab->nrunning++;
	reply_reset(d->rp);
	fd = socket(d->to.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		d_fail(d, 1, strerror(errno));
		return;
	}
	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	if (d->to.ss_family == AF_INET && evutil_inet_pton(AF_INET, d->src, &src.sin_addr) == 1 &&
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
		rw_log(LOG_WARNING, "lab deliver=%lu host=%s event=bind src=%s error=\"%s\"", d->id,
		       d->host, d->src, strerror(errno));
	d->bev = bufferevent_socket_new(d->lab->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (d->bev == NULL)
		rw_panic("%s: bufferevent_socket_new failed", __func__);
	bufferevent_setcb(d->bev, d_read_cb, NULL, d_event_cb, d);
	bufferevent_setwatermark(d->bev, EV_READ, 0, RW_READ_HIGHWAT);
	bufferevent_set_timeouts(d->bev, &tmo, &tmo);
	bufferevent_enable(d->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(d->bev, (struct sockaddr *)&d->to, (int)d->tolen) < 0)
		d_fail(d, 1, "connect failed");
}

/* d_timer_cb - the delay (or the retry pause) is over: queue for a slot */
static void d_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct delivery *d = arg;
	struct lab *lab = d->lab;

	d->state = D_QUEUED;
	if (lab->runq_tail != NULL)
		lab->runq_tail->rq_next = d;
	else
		lab->runq = d;
	lab->runq_tail = d;
	pump_later(lab);
}

/* sockaddr_text - "addr:port" / "[addr]:port" */
static void sockaddr_text(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char a[64] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		evutil_inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		port = ntohs(s->sin_port);
		snprintf(out, len, "%s:%u", a, port);
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		evutil_inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		port = ntohs(s->sin6_port);
		snprintf(out, len, "[%s]:%u", a, port);
	}
}

/* deliver_room - another job fits */
int deliver_room(const struct lab *lab)
{
	return lab->ndeliver < LAB_DELIVER_MAX;
}

/* deliver_submit - copy the job and start its timer */
int deliver_submit(struct lab *lab, const struct deliver_job *job)
{
	struct timeval tv = {job->delay_sec > 0 ? job->delay_sec : 0, 0};
	struct delivery *d;
	size_t i;

	if (!deliver_room(lab) || job->tolen > sizeof(d->to) || job->nrcpt == 0) {
		free(job->msg);
		return -1;
	}
	if (lab->deliver_pump == NULL)
		lab->deliver_pump = event_new(lab->base, -1, 0, pump_cb, lab);
	d = xcalloc(1, sizeof(*d));
	d->lab = lab;
	d->id = ++lab->next_id;
	d->state = D_WAIT;
	snprintf(d->host, sizeof(d->host), "%s", job->from->name);
	snprintf(d->src, sizeof(d->src), "%s", job->from->ip);
	memcpy(&d->to, job->to, job->tolen);
	d->tolen = job->tolen;
	sockaddr_text(&d->to, d->to_text, sizeof(d->to_text));
	snprintf(d->qid, sizeof(d->qid), "%s", job->qid ? job->qid : "-");
	d->sender = xstrdup(job->sender);
	d->rcpts = xcalloc(job->nrcpt, sizeof(*d->rcpts));
	for (i = 0; i < job->nrcpt; i++)
		d->rcpts[i] = xstrdup(job->rcpts[i]);
	d->nrcpt = job->nrcpt;
	d->msg = job->msg;
	d->msglen = job->msglen;
	d->rp = reply_parser_new();
	d->timer = evtimer_new(lab->base, d_timer_cb, d);
	d->next = lab->deliveries;
	if (lab->deliveries != NULL)
		lab->deliveries->prev = d;
	lab->deliveries = d;
	lab->ndeliver++;
	lab_info(lab, "lab deliver=%lu host=%s qid=%s to=%s rcpts=%zu delay=%d event=queued", d->id,
	         d->host, d->qid, d->to_text, d->nrcpt, job->delay_sec);
	evtimer_add(d->timer, &tv);
	return 0;
}

/* deliver_close_all - abandon every job (shutdown) */
void deliver_close_all(struct lab *lab)
{
	while (lab->deliveries != NULL)
		d_finish(lab->deliveries, "abandoned", "shutdown");
	if (lab->deliver_pump != NULL)
		event_free(lab->deliver_pump);
	lab->deliver_pump = NULL;
}
