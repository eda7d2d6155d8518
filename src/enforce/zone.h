/*
 * zone.h - the DNSBL zone derived from the store: every incident whose
 * relaying is verified and not repaired (confirmed, notified, blocked),
 * rendered for rbldnsd (a combined dataset: ip4set + ip6trie) or BIND
 *
 * Pure apart from the FILE it writes to: no store, no clock (the serial
 * is passed in). Every address is checked with inet_pton and written in
 * its canonical form; every TXT is escaped for its format, so a hostile
 * reason, URL or address cannot add a line or a record to a zone.
 */
#ifndef RW_ZONE_H
#define RW_ZONE_H

#include <stddef.h>
#include <stdio.h>

/* the A value of a listed address (RFC 5782 2.1) */
#define ZONE_A "127.0.0.2"
/* one TXT character-string (RFC 1035 3.3): longer texts are cut */
#define ZONE_TXT_MAX 255
/* TTL of the records when the caller gives none (rbldnsd's default, 35m) */
#define ZONE_TTL_DEFAULT 2100
/* the TXT of the RFC 5782 5 test entries */
#define ZONE_TEST_TXT "test entry"

enum zone_format { ZONE_RBLDNSD, ZONE_BIND };

/* the incident states that are listed (incident_state_name() names) */
extern const char *const zone_listed_states[];
extern const size_t zone_listed_states_n;

struct zone_opts {
	enum zone_format format;
	const char *zone;         /* BIND: required ($ORIGIN); rbldnsd: $SOA/$NS when set */
	const char *ns;           /* BIND: required (NS and SOA MNAME) */
	const char *hostmaster;   /* NULL: hostmaster.ZONE; "user@domain" or a DNS name */
	long long serial;         /* SOA serial (the caller's time) */
	unsigned ttl;             /* 0: ZONE_TTL_DEFAULT */
	const char *retest_url;   /* the address is appended (dnsbl_retest_url) */
	const char *incident_url; /* else: the incident id is appended */
	const char *contact;      /* else: "retest: mail CONTACT"; NULL: no retest part */
};

/* one listed incident; borrowed for the call */
struct zone_entry {
	const char *addr; /* as the store keeps it; checked here */
	long long incident;
};

struct zone_stats {
	unsigned long listed4, listed6; /* entries written (test entries not counted) */
	unsigned long skipped;          /* not an address, or an RFC 5782 test address */
};

/* zone_format_parse - "rbldnsd" or "bind": 0, or -1 */
int zone_format_parse(const char *name, enum zone_format *out);

/* zone_name_ok - a DNS name a zone file may hold unquoted: labels of
 * letters, digits, '-' and '_', 1..63 each, 253 in all, optional final dot */
int zone_name_ok(const char *name);

/* zone_txt - the raw (unescaped) TXT of an entry into buf (cut to
 * ZONE_TXT_MAX bytes): "open relay, incident N; retest: URL". Returns the
 * length. addr is written as given (the caller's canonical form). */
size_t zone_txt(const struct zone_opts *o, const char *addr, long long incident, char *buf,
                size_t len);

struct zone_writer;

/* zone_writer_new - check o and write the zone's head to out (borrowed,
 * must outlive the writer). NULL with the problem in err (a missing or
 * bad zone, ns or hostmaster name). */
struct zone_writer *zone_writer_new(const struct zone_opts *o, FILE *out, char *err, size_t errlen);
/* zone_writer_add - one entry: 1 written, 0 skipped (*why: static text),
 * -1 a write error. IPv6 entries of the rbldnsd format wait in a
 * temporary file until zone_writer_finish (its ip6trie section). */
int zone_writer_add(struct zone_writer *w, const struct zone_entry *e, const char **why);
/* zone_writer_finish - the rest of the zone and a flush: 0, or -1 when
 * any write failed. stats may be NULL. */
int zone_writer_finish(struct zone_writer *w, struct zone_stats *stats);
/* zone_writer_free - NULL ok; returns NULL */
struct zone_writer *zone_writer_free(struct zone_writer *w);

#endif
