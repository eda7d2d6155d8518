/*
 * battery.h - the relay test battery: one row per trick
 *
 * Templates use placeholders expanded per target and per test:
 *   {user}    local part for this test ("rw-<id>")
 *   {canary}  canary domain, or an address literal "[192.0.2.1]"
 *   {CANARY}  the same in upper case; {Canary} in mixed case
 *   {ip}      the target's address literal "[192.0.2.7]" / "[IPv6:...]"
 *   {rawip}   the target's address without brackets
 *   {host}    the target's host name (given, or from its banner)
 *   {domain}  the target's own name for senders: the one given, else the
 *             banner's or EHLO's; unset (the row is not run) when none
 *   {parent}  {domain} less its first label, when that still has a dot
 *   {me}      our own HELO name
 * An empty mail_from means the null sender <>.
 */
#ifndef RW_BATTERY_H
#define RW_BATTERY_H

#include <stddef.h>

enum {
	BATTERY_QUICK = 1u << 0,
	BATTERY_FULL = 1u << 1,
};

struct battery_test {
	const char *id;        /* stable id, e.g. "percent-ip" */
	const char *trick;     /* human description */
	const char *helo;      /* HELO template, or NULL for {me} */
	const char *mail_from; /* template; "" = <> */
	const char *rcpt_to;   /* template */
	unsigned sets;         /* BATTERY_* it belongs to */
	int no_bounce;         /* sender in a real domain: RCPT asks NOTIFY=NEVER where DSN is offered */
};

struct battery_vars {
	const char *user;
	const char *canary;
	const char *ip;     /* literal with brackets */
	const char *rawip;
	const char *host;
	const char *me;
	const char *domain; /* NULL when the target has no name */
	const char *parent; /* NULL when domain has no parent with a dot */
};

/* battery_get - tests of the named battery ("quick", "full") in order;
 * *n gets their count (<= RW_BATTERY_MAX). NULL for an unknown name.
 * Returned array is static: tests are copied by pointer, never freed. */
const struct battery_test *const *battery_get(const char *name, size_t *n);
const struct battery_test *battery_by_id(const char *id);
/* battery_all - the whole table and its size */
const struct battery_test *battery_all(size_t *n);

/* battery_expand - expand a template into out; 0, or -1 when it does not
 * fit or names an unknown placeholder (out is then ""). Also -1 when a
 * variable it uses is NULL or out of its syntax, so banner text cannot add
 * a hop or a line: canary, ip, host, me are [A-Za-z0-9._-] names or
 * "[...]" literals of [A-Za-z0-9.:]; user is [A-Za-z0-9._+-]; rawip is
 * [0-9A-Fa-f.:]. */
int battery_expand(const char *tmpl, const struct battery_vars *v, char *out, size_t outlen);

#endif
