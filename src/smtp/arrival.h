/*
 * arrival.h - what the sink saw of one message: the proof of relaying
 */
#ifndef RW_ARRIVAL_H
#define RW_ARRIVAL_H

#include "../core/limits.h"
#include "token.h"

struct arrival {
	long long time;                 /* unix seconds at end of DATA */
	char peer[64];                  /* address of the client that delivered */
	unsigned peer_port;
	char helo[RW_DOMAIN_MAX + 1];   /* its HELO/EHLO argument */
	char mail_from[RW_PATH_MAX + 1];
	char rcpt_to[RW_PATH_MAX + 1];  /* first recipient */
	size_t size;                    /* message octets */
	char token[RW_TOKEN_MAX];       /* as found, "" when none */
	enum token_status token_status;
	int replayed;                   /* this token arrived before */
	int quoted;                     /* the token came back only quoted in a
	                                   bounce or auto-reply: not relaying */
	struct token_fields fields;     /* valid when token_status is VALID */
	int nreceived;
	char *received[RW_RECEIVED_MAX]; /* Received: values, unfolded, top
	                                    (newest) first; owned */
};

/* arrival_clear - free received[]; the struct itself is the caller's */
void arrival_clear(struct arrival *a);
/* arrival_copy - deep copy into dst (dst must be clear) */
void arrival_copy(struct arrival *dst, const struct arrival *src);
/* arrival_dup - an owned deep copy of src (a result keeps one only when a
 * message arrived); free it with arrival_free() */
struct arrival *arrival_dup(const struct arrival *src);
/* arrival_free - free an arrival from arrival_dup(); NULL ok; returns NULL */
struct arrival *arrival_free(struct arrival *a);

#endif
