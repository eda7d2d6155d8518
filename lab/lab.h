/*
 * lab.h - relaywatch-lab internals: the lab, its hosts, and the modules
 *	that serve (server.c, smtpd.c), proxy (proxyd.c), deliver
 *	(deliver.c), greylist (greylist.c) and encrypt (starttls.c) for them
 *
 * One process, one libevent loop, one listener per simulated host. The
 * lab owns everything; a connection or delivery that ends is handed to
 * lab_defer() and freed when the loop unwinds, never inside its own
 * callback.
 */
#ifndef LAB_LAB_H
#define LAB_LAB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../src/core/limits.h"
#include "../src/core/log.h"
#include "../src/smtp/addr.h"
#include "profile.h"

struct event_base;
struct event;
struct bufferevent;
struct evconnlistener;
struct ssl_ctx_st;
struct greylist;

/* Limits of the lab (one name each, as src/core/limits.h does). */
#define LAB_HOSTS_MAX          65536        /* hosts in one lab: a whole /16 */
#define LAB_CONN_MAX           16384        /* server connections, all hosts */
#define LAB_FD_SPARE           64           /* descriptors beyond listeners and connections */
#define LAB_MSG_MAX            (256 * 1024) /* message accepted (advertised SIZE) */
#define LAB_RCPT_MAX           100          /* RFC 5321 4.5.3.1.8 */
#define LAB_READ_HIGHWAT       (16 * 1024)  /* per connection input */
#define LAB_WRITE_HIGHWAT      (64 * 1024)  /* unread replies: stop reading commands */
#define LAB_ACCEPT_PAUSE_MS    1000         /* after EMFILE and friends */
#define LAB_IDLE_SEC           120          /* per command; Postfix says 300 */
#define LAB_ERRORS_MAX         20           /* Postfix smtpd_hard_error_limit */
#define LAB_TARPIT_MS          2000         /* one byte per this */
#define LAB_FLUSH_POLL_MS      20           /* closing TLS: look for the flush */
#define LAB_LONGLINE_LEN       10240        /* the hostile long line */
#define LAB_ENDLESS_CHUNK      (16 * 1024)  /* refill when output drops below */
#define LAB_ENDLESS_MAX        (64L * 1024 * 1024) /* then close anyway */
#define LAB_BINARY_LEN         512                 /* junk banner */
#define LAB_DELIVER_MAX        32768               /* deliveries waiting or running */
#define LAB_DELIVER_CONC       512 /* of them connected at once (the sink takes 1024) */
#define LAB_DELIVER_TIMEOUT    30  /* per reply, seconds */
#define LAB_DELIVER_TRIES      3   /* for a temporary failure */
#define LAB_DELIVER_RETRY_SEC  1
#define LAB_GREYLIST_MAX       4096        /* triplets remembered per host */
#define LAB_PROXY_HEAD_MAX     8192        /* HTTP request head; past it 431 */
#define LAB_PROXY_URI_MAX      2048        /* request target; past it 414 */
#define LAB_PROXY_LINE_MAX     256         /* telnet command line; SOCKS user id */
#define LAB_PROXY_CONNECT_SEC  10          /* to the target */
#define LAB_PROXY_PIPE_HIGHWAT (64 * 1024) /* unsent either way: stop reading */

struct lab_config {
	const char *sink; /* "addr:port" */
	const char *canary;
	const char *base; /* first address */
	unsigned port;
	int latency_ms;
	const char *truth;    /* ground-truth file or NULL */
	const char *profiles; /* comma list or NULL: all */
	int repeat;           /* hosts per profile (benchmarks) */
	const char *range;    /* CIDR to populate sparsely, or NULL: --base */
	uint32_t density_ppm; /* share of --range populated, per million */
	uint64_t seed;        /* which addresses of --range are populated */
	int delay;            /* seconds, delayed profile */
	int greylist;         /* seconds, greylist profile */
	int verbose;
	int quiet; /* warnings only (benchmarks) */
};

/* lab_info - an INFO log line unless --quiet */
#define lab_info(lab, ...)                                                                         \
	do {                                                                                       \
		if (!(lab)->cfg->quiet)                                                            \
			rw_log(LOG_INFO, __VA_ARGS__);                                             \
	} while (0)

struct lab_host {
	struct lab *lab;
	const struct profile *prof;
	int index;            /* 1-based, names it */
	int copy;             /* 0-based, of --repeat */
	char name[64];        /* "lab-3.lab.test" */
	char ip[64];          /* "127.10.0.3" */
	const char *names[4]; /* addr_self.names */
	const char *ips[2];
	struct addr_self self;
	struct sockaddr_storage addr; /* ip:port */
	socklen_t addrlen;
	struct evconnlistener *listener;
	struct event *resume_ev;         /* re-enables the listener after EMFILE */
	const struct lab_host *next_hop; /* relay there, not to the sink */
	char trusted[64];                /* relay only for this client ("" none) */
	struct greylist *grey;
	unsigned nconn; /* connections open now */
	unsigned long conns, msgs, relayed;
};

struct lab_dead;
struct server_conn;
struct proxy_conn;
struct delivery;

struct lab {
	struct event_base *base;
	const struct lab_config *cfg;
	struct sockaddr_storage sink;
	socklen_t sinklen;
	struct lab_host *hosts;
	size_t nhosts;
	struct ssl_ctx_st *tls; /* NULL unless a profile wants STARTTLS */
	struct event *reaper;
	struct lab_dead *dead;       /* freed by the reaper */
	struct server_conn *conns;   /* open server connections */
	struct proxy_conn *pconns;   /* open proxy connections */
	unsigned nconn;              /* of both, and the proxies' upstreams */
	struct delivery *deliveries; /* waiting or running */
	unsigned ndeliver;
	struct delivery *runq, *runq_tail; /* due, waiting for a connection slot */
	unsigned nrunning;                 /* connected (<= LAB_DELIVER_CONC) */
	struct event *deliver_pump;        /* starts due deliveries */
	unsigned long next_id;
};

/* lab.c */
/* lab_new - build the hosts of cfg; NULL with err on a config problem */
struct lab *lab_new(struct event_base *base, const struct lab_config *cfg, char *err,
                    size_t errlen);
/* lab_start - listen on every host; -1 with err when a bind fails */
int lab_start(struct lab *lab, char *err, size_t errlen);
/* lab_write_truth - the ground-truth file; -1 with err */
int lab_write_truth(const struct lab *lab, const char *path, char *err, size_t errlen);
/* lab_free - close listeners, connections and deliveries; NULL ok */
struct lab *lab_free(struct lab *lab);
/* lab_defer - call fn(arg) once the loop unwinds from the current callback */
void lab_defer(struct lab *lab, void (*fn)(void *), void *arg);
/* lab_now_ms - monotonic milliseconds (the loop's cached time) */
long long lab_now_ms(const struct lab *lab);
/* lab_expand - copy tmpl into out, replacing {host} {date} {helo} {peer}
 * {rcpt} by the given texts (NULL leaves the placeholder out) */
void lab_expand(const char *tmpl, const char *host, const char *helo, const char *peer,
                const char *rcpt, char *out, size_t outlen);
/* lab_date - RFC 5322 date of now into buf */
const char *lab_date(char *buf, size_t len);

/* server.c */
int server_listen(struct lab_host *h, char *err, size_t errlen);
/* server_close_all - end every open connection (shutdown) */
void server_close_all(struct lab *lab);

/* proxyd.c */
/* proxyd_accept - serve a new client of a MODE_PROXY host; takes fd */
void proxyd_accept(struct lab_host *h, int fd, const char *peer);
/* proxyd_close_all - end every proxy connection and its upstream (shutdown) */
void proxyd_close_all(struct lab *lab);

/* deliver.c */
struct deliver_job {
	const struct lab_host *from; /* relaying host: source address, EHLO */
	const struct sockaddr *to;   /* sink or next hop; copied */
	socklen_t tolen;
	const char *sender;       /* envelope sender, "" = <>; copied */
	const char *const *rcpts; /* envelope recipients; copied */
	size_t nrcpt;
	char *msg; /* message, CRLF lines, unstuffed; taken */
	size_t msglen;
	int delay_sec;
	const char *qid; /* the relaying host's queue id, for logs */
};
/* deliver_submit - queue a delivery; -1 (job->msg freed) when
 * LAB_DELIVER_MAX deliveries are pending */
int deliver_submit(struct lab *lab, const struct deliver_job *job);
int deliver_room(const struct lab *lab);
void deliver_close_all(struct lab *lab);

/* greylist.c */
struct greylist *greylist_new(size_t max);
struct greylist *greylist_free(struct greylist *g);
/* greylist_check - 1 when the triplet was first seen at least delay_ms
 * ago; else 0 and *wait_ms tells how long is left. Remembers new ones. */
int greylist_check(struct greylist *g, const char *client, const char *sender, const char *rcpt,
                   long long now_ms, long long delay_ms, long long *wait_ms);

/* starttls.c */
/* starttls_ctx_new - a server context with a fresh self-signed certificate
 * for cn; NULL with err */
struct ssl_ctx_st *starttls_ctx_new(const char *cn, char *err, size_t errlen);
void starttls_ctx_free(struct ssl_ctx_st *ctx);
/* starttls_accept - wrap `under` in a TLS server filter; the result owns
 * `under`; NULL on failure (under untouched) */
struct bufferevent *starttls_accept(struct event_base *base, struct ssl_ctx_st *ctx,
                                    struct bufferevent *under);
/* starttls_version - protocol of an upgraded connection, "" if none */
const char *starttls_version(struct bufferevent *bev);

#endif
