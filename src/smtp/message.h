/*
 * message.h - the small, plain test message each relay attempt carries
 */
#ifndef RW_MESSAGE_H
#define RW_MESSAGE_H

struct message_info {
	const char *from;          /* envelope sender as sent ("" = <>) */
	const char *to;            /* envelope recipient as sent */
	const char *token;
	const char *operator_name; /* who is testing */
	const char *abuse_contact; /* whom to write to */
	const char *target;        /* address tested */
	unsigned port;
	const char *test_id;
	const char *trick;
	const char *myname;        /* our HELO name, for Message-ID */
	long long now;             /* unix seconds, for Date: */
};

/* message_build - headers and body, CRLF line ends, lines < 78 octets, no
 * line starting with '.', ready to send after 354 and followed by
 * ".\r\n". Carries the token in X-Relaywatch-Token:, Subject: and body.
 * Returns an owned string. */
char *message_build(const struct message_info *mi);

#endif
