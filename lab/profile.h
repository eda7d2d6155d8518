/*
 * profile.h - behaviour profiles of the simulated lab hosts (data, not code)
 *
 * One row per profile: its name, the verdict a correct tester reaches
 * against it, and the knobs lab/server.c reads. Adding a behaviour that
 * the knobs already express is one row in lab/profile.c.
 */
#ifndef LAB_PROFILE_H
#define LAB_PROFILE_H

#include <stddef.h>

#include "../src/smtp/addr.h"

/* What the host does with a connection before any SMTP. */
enum profile_mode {
	MODE_SMTP,         /* a mail server, shaped by the knobs below */
	MODE_CLOSE,        /* accept and close at once */
	MODE_BUSY,         /* 421 banner, close */
	MODE_NOT_SMTP,     /* an HTTP 400 answer, close */
	MODE_BINARY,       /* a banner of binary junk, then silence */
	MODE_TARPIT,       /* every reply leaves one byte per LAB_TARPIT_MS */
	MODE_LONGLINE,     /* EHLO/HELO answered by a LAB_LONGLINE_LEN line */
	MODE_CONTINUATION, /* EHLO/HELO answered by endless "250-" lines */
	MODE__COUNT
};

/* Whose mail is relayed (checked after the recipient's trick). */
enum profile_sender {
	SENDER_ANY,
	SENDER_NULL_ONLY, /* only MAIL FROM:<> */
	SENDER_OWN,       /* only a sender in the host's own domain or literal */
};

/* Where a refused relay attempt is refused. */
enum profile_refuse {
	REFUSE_AT_RCPT, /* 5xx to RCPT (Postfix reject_unauth_destination) */
	REFUSE_AT_DATA, /* 250 to RCPT, 554 after the message */
};

/* The MTA a host pretends to be: banner, EHLO greeting, refusal text. */
enum profile_flavor {
	FLAVOR_POSTFIX,
	FLAVOR_EXIM,
	FLAVOR_SENDMAIL,
	FLAVOR_OPENSMTPD,
	FLAVOR__COUNT
};

/* relay mask: TRICK_* bits from addr.h that relay, plus RELAY_PLAIN for a
 * recipient in the canary domain written plainly (no essential trick) */
#define RELAY_PLAIN (1u << 16)
#define RELAY_ESSENTIAL \
	(TRICK_SRCROUTE | TRICK_PERCENT | TRICK_BANG | TRICK_QUOTED | TRICK_DOUBLE_AT)
#define RELAY_ALL (RELAY_PLAIN | RELAY_ESSENTIAL)

struct profile {
	const char *name;
	const char *expect;     /* verdict name (DESIGN.md) a tester should reach */
	const char *about;      /* one line for --list */
	enum profile_mode mode;
	enum profile_flavor flavor;
	unsigned relay;         /* RELAY_PLAIN | TRICK_* that relay; 0: none */
	enum profile_sender sender;
	enum profile_refuse refuse_at;
	const char *trust;      /* relay only for the host of this profile
	                           (Postfix mynetworks); NULL: any client */
	const char *next_hop;   /* forward relayed mail to this profile's host
	                           instead of the sink; NULL: the sink */
	unsigned discard : 1;   /* 250 after DATA, never deliver */
	unsigned strict_sender : 1; /* 553 to a sender at an address literal or
	                               unqualified (Sendmail's "Real domain name
	                               required") */
	unsigned bounce : 1;    /* 250 after DATA, then a DSN to the sender
	                           (when it is at the canary) quoting the
	                           message: backscatter, not relaying */
	unsigned delayed : 1;   /* deliver after --delay seconds */
	unsigned greylist : 1;  /* 451 for a triplet younger than --greylist */
	unsigned auth : 1;      /* advertise AUTH, 530 to MAIL */
	unsigned starttls : 1;  /* advertise STARTTLS, 530 to MAIL before TLS */
	const char *banner;     /* banner text after "220 ", "{host}" and
	                           "{date}" expand; NULL: the flavor's */
};

/* profile_all - the whole table in address order; *n gets its size */
const struct profile *profile_all(size_t *n);
/* profile_by_name - a row, or NULL */
const struct profile *profile_by_name(const char *name);
/* profile_relays - the recipient's tricks are ones this profile relays */
int profile_relays(const struct profile *p, unsigned tricks);
const char *profile_mode_name(enum profile_mode m);

/* The flavor's texts; "{host}", "{date}", "{rcpt}" expand. */
struct profile_flavor_text {
	const char *name;
	const char *banner;       /* after "220 " */
	const char *ehlo;         /* first EHLO line, after "250-" */
	const char *relay_denied; /* whole reply line to a refused RCPT */
	const char *data_denied;  /* whole reply line to a refused message */
};
const struct profile_flavor_text *profile_flavor(enum profile_flavor f);

#endif
