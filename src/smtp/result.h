/*
 * result.h - the result of testing one target and port: verdict and evidence
 */
#ifndef RW_RESULT_H
#define RW_RESULT_H

#include "../core/dbuf.h"
#include "../core/limits.h"
#include "arrival.h"
#include "battery.h"
#include "reply.h"

enum verdict {
	V_OPEN,          /* a test message reached the sink */
	V_SUSPECT,       /* accepted through end of DATA, no arrival in the wait */
	V_CLOSED,        /* every relay attempt refused */
	V_AUTH_REQUIRED, /* the server demands authentication */
	V_TEMPFAIL,      /* only 4xx answers, even after greylist retries */
	V_UNREACHABLE,   /* refused, reset or timed out before a banner */
	V_NOT_SMTP,      /* something answered, but not SMTP */
	V_NOT_PROXY,     /* something answered, but no proxy protocol */
	V_ERROR,         /* protocol broke mid-test */
	V__COUNT
};

/* How far one test got: the last step the server accepted. */
enum stage {
	STAGE_NOTRUN,    /* never attempted (session ended first) */
	STAGE_HELO,      /* refused at (E)HLO for this test's HELO */
	STAGE_CONNECT,   /* MAIL refused */
	STAGE_MAIL,      /* MAIL accepted, RCPT refused */
	STAGE_RCPT,      /* RCPT accepted, DATA refused */
	STAGE_DATA,      /* 354 given, message refused at end of DATA */
	STAGE_ACCEPTED,  /* 250 after the message: accepted for delivery */
	STAGE_DELIVERED, /* the sink saw its token */
	STAGE__COUNT
};

/* Why the session ended (facts the verdict is decided from). */
enum sess_end {
	END_NONE,            /* still running */
	END_DONE,            /* battery completed */
	END_CONNECT_FAILED,  /* refused, unreachable, connect timeout */
	END_CLOSED_EARLY,    /* connection closed or reset before a banner */
	END_BANNER_TIMEOUT,  /* no complete banner within its deadline */
	END_BANNER_REFUSED,  /* 554 (or other 5xx) banner */
	END_BANNER_TEMPFAIL, /* 421 (or other 4xx) banner, every try */
	END_NOT_SMTP,        /* the first bytes were not an SMTP reply */
	END_PROTOCOL,        /* unparseable reply after the banner */
	END_TIMEOUT,         /* a reply deadline passed mid-battery */
	END_SESSION_TIMEOUT, /* the whole-session budget ran out */
	END_DROPPED,         /* connection lost mid-battery, retries spent */
	END_TLS_FAILED,      /* STARTTLS/implicit TLS handshake failed */
	END_TLS_REQUIRED,    /* --tls require but no STARTTLS offered */
	END_HELO_REFUSED,    /* both EHLO and HELO refused */
	END__COUNT
};

/* One test of the battery. The result owns everything it points to but
 * test: helo, mail_from, rcpt_to and token share one block (set together
 * by result_test_set), text and arrival are their own. */
struct test_result {
	const struct battery_test *test;
	const char *helo; /* expanded for this target; "" until set */
	const char *mail_from;
	const char *rcpt_to;
	const char *token;
	char *strs; /* the block the four strings above live in; owned */
	enum stage stage;
	int code; /* the deciding reply: the refusal, or the 250 at end of DATA */
	char esc[16];
	char *text;              /* its text; owned */
	int attempts;            /* times run (greylisting retries, reconnects) */
	int tempfail;            /* last answer was 4xx: retry pending or given up */
	int done;                /* a final answer was obtained */
	struct arrival *arrival; /* what the sink saw; owned; NULL when nothing arrived */
	int bounced;             /* came back only quoted in a bounce/auto-reply */
	int sender_fallback;     /* its sender was refused; run again from the plain one */
	int unexpanded;          /* not run for want of a variable (no name yet): a later name runs it */
};

struct target_result {
	char target[RW_DOMAIN_MAX + 1]; /* as given by the user */
	char addr[64];                  /* address tested, text */
	unsigned port;
	char host[RW_DOMAIN_MAX + 1]; /* name used for {host} */
	enum verdict verdict;
	char reason[512];
	enum sess_end end;
	char end_detail[256]; /* e.g. the parser's error text */
	char mta[64];         /* guessed MTA, "" if unknown */
	char *banner;         /* owned; NULL when none */
	struct ehlo_info ehlo;
	int esmtp; /* EHLO accepted (else HELO) */
	int tls;   /* TLS was in use for the battery */
	char tls_version[32];
	int connects; /* connections made */
	int greylist_rounds;
	int banner_tempfail;   /* a 4xx banner was seen */
	int auth_seen;         /* a 530/5.7.0-style auth demand was seen */
	int starttls_demanded; /* a "must issue STARTTLS" refusal was seen */
	size_t ntests;
	struct test_result *tests;   /* ntests of them, owned (result_tests_new) */
	struct dbuf transcript;      /* "C: ..." / "S: ..." lines, capped; grows as written */
	long long started, finished; /* unix ms */
	int unmatched_arrivals;      /* arrivals for this target we could not tie to a test */
};

void result_init(struct target_result *r);
/* result_clear - frees owned fields and the tests (ntests becomes 0); r
 * reusable after init */
void result_clear(struct target_result *r);
/* result_tests_new - n empty tests (each string ""), sized to the battery
 * when a session starts; r must have none */
void result_tests_new(struct target_result *r, size_t n);
/* result_test_set - copy t's HELO, MAIL, RCPT and token into one new block
 * (any argument may be one of t's own strings); NULL counts as "" */
void result_test_set(struct test_result *t, const char *helo, const char *mail_from,
                     const char *rcpt_to, const char *token);
/* result_accepted - tests accepted at end of DATA, neither delivered nor
 * bounced: the arrivals still worth waiting for */
size_t result_accepted(const struct target_result *r);
/* result_take_arrival - give a to the test whose token it carries (not yet
 * arrived): marked bounced when a only quotes the token, else delivered
 * with a copy of a; that test, or NULL when a is not a valid first
 * delivery of one of r's tokens */
struct test_result *result_take_arrival(struct target_result *r, const struct arrival *a);

const char *verdict_name(enum verdict v);
const char *stage_name(enum stage s);
const char *sess_end_name(enum sess_end e);

#endif
