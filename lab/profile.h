/*
 * profile.h - behaviour profiles of the simulated lab hosts (data, not code)
 *
 * One row per profile: its name, the verdicts a correct tester reaches
 * against it (the SMTP probe's and the proxy probe's), and the knobs
 * lab/server.c and lab/proxyd.c read. Adding a behaviour that the knobs
 * already express is one row in lab/profile.c.
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
	MODE_PROXY,        /* no SMTP: a proxy or web server (lab/proxyd.c),
	                      shaped by the proxy knobs below */
	MODE__COUNT
};

/* What a proxy-mode host was asked, told from the client's first bytes
 * (0x04 SOCKS4, 0x05 SOCKS5, a letter HTTP), or PK_TELNET: the host
 * speaks first with a telnet prompt. */
enum proxy_kind {
	PK_CONNECT,  /* HTTP CONNECT host:port */
	PK_ABSOLUTE, /* an HTTP request for http://host:port/path (GET, POST...) */
	PK_ORIGIN,   /* any other HTTP request (GET /path) */
	PK_SOCKS4,   /* SOCKS4 and SOCKS4a */
	PK_SOCKS5,   /* SOCKS5 (RFC 1928) */
	PK_OTHER,    /* a first byte that is none of these */
	PK_TELNET,   /* not PA_DROP: a telnet prompt on connect, input is lines */
	PK__COUNT
};

/* How a proxy-mode host answers one kind. Only loopback targets are ever
 * connected to; any other gets the kind's refusal, whatever the act. */
enum proxy_act {
	PA_DROP,        /* close without a word (the default) */
	PA_FORWARD,     /* connect to the target, grant, pipe both ways;
	                   PK_TELNET: the WinGate prompt */
	PA_REFUSE,      /* HTTP 403, SOCKS5 reply 0x02, SOCKS4 0x5B */
	PA_AUTH,        /* HTTP 407, SOCKS5 picks user/password and fails it;
	                   PK_TELNET: a router's login prompt */
	PA_FAKE,        /* 200 / granted, then its own SMTP banner or page */
	PA_NOT_ALLOWED, /* HTTP 405 */
	PA_NOT_FOUND,   /* HTTP 404 */
	PA_BAD,         /* HTTP 400 (to SOCKS bytes too: a web server) */
	PA_DRIP,        /* a granting answer one byte per LAB_TARPIT_MS,
	                   never connecting */
	PA_GARBAGE,     /* LAB_BINARY_LEN bytes of junk, then silence */
	PA__COUNT
};

/* Whose mail is relayed (checked after the recipient's trick). */
enum profile_sender {
	SENDER_ANY,
	SENDER_NULL_ONLY, /* only MAIL FROM:<> */
	SENDER_OWN,       /* only a sender in the host's own domain or literal */
	SENDER_DOMAIN,    /* only a sender exactly in its name's parent domain */
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
#define RELAY_ESSENTIAL                                                                            \
	(TRICK_SRCROUTE | TRICK_PERCENT | TRICK_BANG | TRICK_QUOTED | TRICK_DOUBLE_AT)
#define RELAY_ALL (RELAY_PLAIN | RELAY_ESSENTIAL)

struct profile {
	const char *name;
	const char *expect;       /* verdict name (DESIGN.md) a tester should reach */
	const char *proxy_expect; /* verdict of the proxy probe (src/proxy);
	                             NULL: "not-proxy" (see profile_proxy_expect) */
	const char *about;        /* one line for --list */
	enum profile_mode mode;
	enum profile_flavor flavor;
	unsigned relay; /* RELAY_PLAIN | TRICK_* that relay; 0: none */
	enum profile_sender sender;
	enum profile_refuse refuse_at;
	const char *trust;          /* relay only for the host of this profile
	                               (Postfix mynetworks); NULL: any client */
	const char *trust_ip;       /* relay only for a client at this address
	                               (an "internal" network); NULL: any */
	const char *next_hop;       /* forward relayed mail to this profile's host
	                               instead of the sink; NULL: the sink */
	unsigned discard : 1;       /* 250 after DATA, never deliver */
	unsigned strict_sender : 1; /* 553 to a sender at an address literal or
	                               unqualified (Sendmail's "Real domain name
	                               required") */
	unsigned bounce : 1;        /* 250 after DATA, then a DSN to the sender
	                               (when it is at the canary) quoting the
	                               message: backscatter, not relaying */
	unsigned delayed : 1;       /* deliver after --delay seconds */
	unsigned greylist : 1;      /* 451 for a triplet younger than --greylist */
	unsigned auth : 1;          /* advertise AUTH, 530 to MAIL */
	unsigned starttls : 1;      /* advertise STARTTLS, 530 to MAIL before TLS */
	const char *banner;         /* banner text after "220 ", "{host}" and
	                               "{date}" expand; NULL: the flavor's */
	/* MODE_PROXY */
	enum proxy_act proxy[PK__COUNT]; /* the answer to each kind */
	const char *server;              /* Server: of its HTTP answers; NULL "lab-proxy" */
};

/* profile_all - the whole table in address order; *n gets its size */
const struct profile *profile_all(size_t *n);
/* profile_by_name - a row, or NULL */
const struct profile *profile_by_name(const char *name);
/* profile_relays - the recipient's tricks are ones this profile relays */
int profile_relays(const struct profile *p, unsigned tricks);
const char *profile_mode_name(enum profile_mode m);
/* profile_proxy_expect - the proxy probe's verdict against p (static) */
const char *profile_proxy_expect(const struct profile *p);
const char *proxy_kind_name(enum proxy_kind k);

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
