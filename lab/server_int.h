/*
 * server_int.h - one lab server connection, shared by server.c (its I/O:
 *	accept, latency, tarpit, TLS, close) and smtpd.c (its dialogue:
 *	commands, relay decisions, messages)
 *
 * smtpd.c builds each reply in c->out and may set c->act; server.c puts
 * the reply on the wire (now, after --latency, or dripped) and then acts.
 */
#ifndef LAB_SERVER_INT_H
#define LAB_SERVER_INT_H

#include "../src/sink/smtpcmd.h"
#include "lab.h"

struct evbuffer;

enum conn_state {
	CS_COMMAND, /* reading commands */
	CS_DATA,    /* reading a message */
	CS_ENDLESS, /* streaming a reply that never ends */
	CS_SILENT,  /* reading and ignoring */
	CS_CLOSING, /* flushing the last reply */
	CS_DEAD,    /* handed to the reaper */
	CS__COUNT
};

/* What happens once the reply in `out` is on its way. */
enum conn_act {
	ACT_NONE,
	ACT_CLOSE,    /* close when flushed */
	ACT_STARTTLS, /* put TLS over the connection */
	ACT_ENDLESS,  /* keep sending "250-" lines */
	ACT_SILENT,   /* read and ignore from now on */
};

struct server_conn {
	struct lab *lab;
	struct lab_host *host;
	unsigned long id;
	enum conn_state state;
	struct bufferevent *bev;
	struct smtpcmd_parser *cp;
	char peer[64];
	char helo[RW_DOMAIN_MAX + 1];
	int greeted, esmtp, tls;
	int errors;
	/* the mail transaction (smtpd.c) */
	int has_mail;
	char sender[RW_PATH_MAX + 1];
	int sender_own;            /* sender is in the host's own domain */
	size_t nrcpt;              /* accepted */
	char *relay[LAB_RCPT_MAX]; /* canary recipients to deliver; owned */
	size_t nrelay;
	int refuse_data;           /* refuse the message at end of DATA */
	/* output (server.c) */
	struct evbuffer *out;      /* reply being built */
	enum conn_act act;
	int paused;                /* a reply waits for --latency */
	int blocked;               /* LAB_WRITE_HIGHWAT unread: not reading */
	int eof;                   /* the peer stopped sending: answer, close */
	struct event *latency_ev;
	struct evbuffer *drip;     /* tarpit bytes still to send */
	struct event *drip_ev;
	struct event *flush_ev;    /* TLS close: poll the ciphertext out */
	long long closing_since;   /* ms */
	long endless_sent;
	unsigned long endless_lines;
	struct server_conn *prev, *next;
};

/* server.c */
/* server_enter - the one place c->state changes (logs old -> new) */
void server_enter(struct server_conn *c, enum conn_state st);
/* server_reply - append one reply line to c->out, CRLF added */
void server_reply(struct server_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* smtpd.c */
/* smtpd_greet - the first words of a new connection into c->out */
void smtpd_greet(struct server_conn *c);
/* smtpd_event - answer one parser event into c->out */
void smtpd_event(struct server_conn *c, enum smtpcmd_event ev);
/* smtpd_reset - forget the mail transaction and free its recipients */
void smtpd_reset(struct server_conn *c);

#endif
