/*
 * targets.h - what a scan is asked to test: target specs, target files in
 * plain, masscan -oL and zmap CSV forms, port lists, and the set
 * arithmetic of exclusions and scope
 *
 * Nothing here resolves a name or opens a file: names are handed back for
 * the caller to resolve (and to add with targets_add()), and file bytes
 * are fed in by the caller.
 */
#ifndef RW_TARGETS_H
#define RW_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/limits.h"
#include "ipset.h"

/* what runs against an (address, port): the relay battery or the open-proxy
 * protocols (stored as the result's probe: "smtp", "proxy") */
enum targets_probe { TARGETS_PROBE_SMTP, TARGETS_PROBE_PROXY, TARGETS_PROBE__COUNT };

/* --ports: ascending by (port, probe), without duplicates; probe[i] is
 * what runs on port[i] (all TARGETS_PROBE_SMTP unless --probe says
 * otherwise). gprobes: the probes (1 << enum targets_probe) run on a
 * target's own port (host:port); 0 means smtp only. */
struct targets_ports {
	size_t n;
	unsigned short port[RW_SCAN_PORTS_MAX];
	unsigned char probe[RW_SCAN_PORTS_MAX];
	unsigned gprobes;
};

/* targets_ports_probes - each port of in once per probe in mask (bits
 * 1 << enum targets_probe), ascending by (port, probe); gprobes = mask.
 * NULL, or a static error past RW_SCAN_PORTS_MAX. */
const char *targets_ports_probes(const struct targets_ports *in, unsigned mask,
                                 struct targets_ports *out);
/* targets_probe_name - "smtp", "proxy"; "?" out of range */
const char *targets_probe_name(unsigned probe);
/* targets_probe_by_name - the enum value, or -1 */
int targets_probe_by_name(const char *name);

/* targets_ports_parse - "25,465,587,2525-2530"; NULL or a static error */
const char *targets_ports_parse(const char *s, struct targets_ports *out);

/* the addresses to test on one port; port 0 means "each --ports port" */
struct targets_group {
	unsigned port;
	struct ipset *set; /* owned by the list */
};

/* a host name waiting for resolution */
struct targets_name {
	char *name;    /* owned by the list */
	unsigned port; /* 0: each --ports port */
	char *where;   /* owned: "targets.txt:12", for the caller's messages */
};

struct targets;

struct targets *targets_new(void);
struct targets *targets_free(struct targets *t); /* accepts NULL, returns NULL */
/* targets_add - add a range on a port (0: --ports); NULL, or a static error
 * when the range or the scan would pass RW_SCAN_ADDRS_MAX (nothing added) */
const char *targets_add(struct targets *t, const struct ipset_range *r, unsigned port);
/* targets_groups - by ascending port; borrowed until the next add or apply */
const struct targets_group *targets_groups(const struct targets *t, size_t *n);
/* targets_names - in input order; borrowed until targets_free() */
const struct targets_name *targets_names(const struct targets *t, size_t *n);
/* targets_count - (address, port) pairs, port-0 groups counted nports
 * times; saturating */
uint64_t targets_count(struct targets *t, size_t nports);

/*
 * Exclusions and scope. Rules are applied in array order to every group:
 * a scope rule keeps only its addresses, an exclusion rule removes its
 * addresses. The result is the same in any order (set difference and
 * intersection commute); `removed` counts, per rule, the addresses it
 * removed that no earlier rule had, summed over groups. A rule with a NULL
 * set is skipped. Apply again after adding resolved names: it is
 * idempotent.
 */
enum targets_rule_kind { TARGETS_EXCLUDE, TARGETS_SCOPE };

struct targets_rule {
	const char *name; /* borrowed: "reserved", "--exclude", "scope" */
	enum targets_rule_kind kind;
	struct ipset *set; /* borrowed */
	uint64_t removed;  /* out: added to, never reset */
};

void targets_apply(struct targets *t, struct targets_rule *rules, size_t n);

/*
 * The line parser. One per source (a file, stdin, the command line).
 * Each line is auto-detected: blank or '#' (also masscan's "#masscan"
 * header), masscan -oL ("open tcp 25 192.0.2.7 1700000000"), a zmap CSV
 * header ("saddr,..." or "saddr") and its rows, or plain specs separated
 * by blanks with an optional "# comment". A bad line or spec is recorded
 * as "source:line: spec: what is wrong" and parsing goes on.
 *
 * A parser made with targets_parser_init_set() fills one ipset instead
 * (exclusion and scope files): no size bound, ports are accepted and
 * ignored (the whole host is covered), host names are errors. A caller
 * must not scan when an exclusion or scope source reported errors: a
 * skipped exclusion line is a target that slips through.
 */
struct targets_parser {
	const char *source; /* borrowed, for messages */
	struct targets *t;  /* borrowed: scan mode */
	struct ipset *set;  /* borrowed: set mode */
	unsigned long line;
	/* CSV columns from the last header: -1 when absent */
	size_t csv_cols;
	long csv_saddr, csv_sport, csv_success;
	/* counts */
	unsigned long specs, names, skipped, nerrors;
	char *errors[RW_SCAN_ERRORS_KEPT]; /* owned, the first nerrors */
	/* the line being fed */
	size_t len;
	int overlong, nul;
	char buf[RW_SCAN_LINE_MAX + 1];
};

void targets_parser_init(struct targets_parser *p, const char *source, struct targets *t);
void targets_parser_init_set(struct targets_parser *p, const char *source, struct ipset *set);
void targets_parser_free(struct targets_parser *p); /* the error texts */
/* targets_feed - any number of bytes, lines split anywhere */
void targets_feed(struct targets_parser *p, const char *data, size_t len);
/* targets_end - the last line when it had no newline */
void targets_end(struct targets_parser *p);
/* targets_line - one whole line (a command-line argument); do not mix with
 * a partly fed line */
void targets_line(struct targets_parser *p, const char *line);

#endif
