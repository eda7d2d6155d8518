/*
 * proxyd_int.h - one lab proxy connection, shared by proxyd.c (its I/O:
 *	accept, drip, the upstream and the pipe, close) and proxyreq.c (its
 *	dialogue: which protocol, the request, the profile's answer)
 *
 * proxyreq.c reads the client's request from the input buffer and
 * answers through proxyd_say(); to forward it fills c->to and calls
 * proxyd_forward(), which checks the target is loopback, connects, and
 * calls back proxyreq_granted() or proxyreq_failed().
 */
#ifndef LAB_PROXYD_INT_H
#define LAB_PROXYD_INT_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "lab.h"

struct evbuffer;

enum pstate {
	PS_FIRST,        /* waiting for the client's first byte */
	PS_HTTP,         /* reading an HTTP request head */
	PS_SOCKS4,       /* reading a SOCKS4(a) request */
	PS_SOCKS5_HELLO, /* reading the methods offered */
	PS_SOCKS5_AUTH,  /* reading a username/password (RFC 1929) */
	PS_SOCKS5_REQ,   /* reading the request */
	PS_TELNET,       /* reading a WinGate command line */
	PS_CONNECTING,   /* connecting to the target */
	PS_PIPE,         /* piping both ways */
	PS_FAKE,         /* "250 ok" to every line, its own SMTP */
	PS_SILENT,       /* reading and ignoring */
	PS_CLOSING,      /* flushing the last bytes */
	PS_DEAD,         /* handed to the reaper */
	PS__COUNT
};

struct proxy_conn {
	struct lab *lab;
	struct lab_host *host;
	unsigned long id;
	enum pstate state;
	enum proxy_kind kind;
	enum proxy_act act;
	struct bufferevent *bev; /* the client */
	struct bufferevent *up;  /* the target, while forwarding */
	char peer[64];
	char target[80]; /* "addr:port", for logs and telnet */
	struct sockaddr_storage to;
	socklen_t tolen;
	unsigned char s4[6];    /* SOCKS4: the request's port and address */
	struct evbuffer *ahead; /* absolute: the request for the target */
	struct evbuffer *drip;  /* bytes still to drip */
	struct event *drip_ev;
	int lines; /* telnet lines tried */
	struct proxy_conn *prev, *next;
};

/* proxyd.c */
/* proxyd_enter - the one place c->state changes (logs old -> new) */
void proxyd_enter(struct proxy_conn *c, enum pstate st);
/* proxyd_kill - stop all I/O now; freed when the loop unwinds */
void proxyd_kill(struct proxy_conn *c, const char *why);
/* proxyd_close - stop reading; close once every answer is flushed */
void proxyd_close(struct proxy_conn *c);
/* proxyd_say - bytes to the client (dripped when c->act is PA_DRIP) */
void proxyd_say(struct proxy_conn *c, const void *buf, size_t len);
/* proxyd_unsent - bytes the client has not taken yet */
size_t proxyd_unsent(const struct proxy_conn *c);
/* proxyd_forward - connect to c->to when it is loopback, else refuse */
void proxyd_forward(struct proxy_conn *c);

/* proxyreq.c */
/* proxyreq_greet - a telnet host's first words (none for the others) */
void proxyreq_greet(struct proxy_conn *c);
/* proxyreq_feed - read the request in `in` while the state is a reading one */
void proxyreq_feed(struct proxy_conn *c, struct evbuffer *in);
/* proxyreq_granted - connected: the grant to the client (or, for an
 * absolute URI, the request to the target) */
void proxyreq_granted(struct proxy_conn *c);
/* proxyreq_failed - the target could not be reached: the kind's answer */
void proxyreq_failed(struct proxy_conn *c);
/* proxyreq_refuse - the kind's refusal (403, 0x02, 0x5B, telnet), then close */
void proxyreq_refuse(struct proxy_conn *c, const char *why);

#endif
