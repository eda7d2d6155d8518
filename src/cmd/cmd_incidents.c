/*
 * NAME
 *	cmd_incidents - the abuse desk's operator commands: incidents,
 *	one incident's timeline and commands, the report
 * SUMMARY
 *	relaywatch incidents [--db PATH] [--state S] [--all] [--json] [--limit N] [--offset N]
 *	relaywatch incident ID [--db PATH] [--json]
 *	relaywatch incident ID retest|note TEXT...|close --reason TEXT [--user NAME] [--db PATH]
 *	relaywatch report [--db PATH] [--since DURATION] [--json]
 * SYNOPSIS
 *	int cmd_incidents(int argc, char **argv, struct cmd_ctx *ctx);
 *	int cmd_incident(int argc, char **argv, struct cmd_ctx *ctx);
 *	int cmd_report(int argc, char **argv, struct cmd_ctx *ctx);
 * DESCRIPTION
 *	cmd_incidents lists incidents newest first: the open ones (not in a
 *	final state), those in one state with --state, or every one with
 *	--all (the store filters); --offset and --limit count the rows listed. A table, or with
 *	--json one object per line (id, addr, port, class: open-relay or
 *	open-proxy, state, policy, contact (the snapshot, parsed), opened,
 *	updated, closed, due (ISO-8601 UTC with ms, or null), level, rev).
 *	cmd_incident without a command prints the incident (its class too)
 *	and its timeline (complaints, events, notices with their
 *	recipients and state, actions) in time order; --json prints one
 *	object, the incident plus "timeline" (events with "detail" parsed).
 *	With retest, note or close it opens the desk the configuration names
 *	(cmd_desk_open) and runs desk_command() at the wall clock's time, as
 *	--user (default $SUDO_USER, $USER, the password file's name).
 *	cmd_report prints store_report() since now - DURATION (s, m, h, d, w
 *	units, several allowed: "1w2d"; default 30d) and the incidents open
 *	now per state. Every store string is shown with control bytes, C1
 *	controls, bidirectional overrides and bytes that are not UTF-8
 *	escaped (\xNN, \uNNNN), and goes to JSON through output_json_text().
 *	Without --db (or the `db` key) they read the default store, which is
 *	never created here.
 * DIAGNOSTICS
 *	Exit 0 done; 1 the incident machine refused the command (the why on
 *	stderr; the attempt is recorded); 2 usage (unknown state, bad id,
 *	count or duration, a text with control bytes or too long) or a
 *	configuration problem (no policy, bad policy or templates); 3 no
 *	such incident, or a store or desk error.
 * LIMITS
 *	RW_STORE_PAGE_MAX incidents per query; INCIDENT_REASON_MAX bytes of
 *	close reason; CMD_NOTE_JSON_MAX bytes of note as JSON;
 *	CMD_USER_MAX bytes of user name; REPORT_SINCE_MAX_MS.
 * STANDARDS
 *	ISO 8601 (times), RFC 8259 (JSON), JSON Lines.
 */
#include "../core/jsonx.h"
#include "../desk/incjson.h"
#include "../core/limits.h"
#include "../core/xalloc.h"
#include "../desk/desk.h"
#include "../desk/deskclock.h"
#include "../desk/incident.h"
#include "../desk/policy.h"
#include "../store/store.h"
#include "cmd.h"
#include "cmd_desk.h"
#include "output.h"

#include <jansson.h>

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* a note as JSON (quotes and backslashes escaped): desk.c writes an
 * event's detail into 1024 bytes and would cut a longer one into text
 * that is not JSON */
#define CMD_NOTE_JSON_MAX 480
/* an operator's name, bytes */
#define CMD_USER_MAX 64
/* the longest --since: a century */
#define REPORT_SINCE_MAX_MS (36525LL * 86400 * 1000)
/* columns of a table */
#define TABLE_COLS_MAX 8
/* code points of a timeline summary shown (--json has all of it) */
#define SUMMARY_MAX 200

/* text cells ------------------------------------------------------------ */

/* utf8_seq - the length of the valid UTF-8 sequence at p (its code
 * point in *cp), 0 when the bytes are not one */
static size_t utf8_seq(const unsigned char *p, size_t n, unsigned *cp)
{
	size_t len;
	unsigned v, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0)
		len = 2, v = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, v = p[0] & 0x0f, min = 0x800;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4, v = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* bidi - a code point that reorders or hides the text around it */
static int bidi(unsigned cp)
{
	return cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

/* cell - s made safe for a terminal (owned): at most cap code points
 * (0: all), the last one '~' when cut */
static char *cell(const char *s, size_t cap)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), k = 0, cps = 0;
	char *o = xmalloc(n * 6 + 2);

	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t len = utf8_seq(p + i, n - i, &cp);

		if (len == 1 && cp >= 0x20 && cp != 0x7f)
			o[k++] = (char)cp;
		else if (len > 1 && cp >= 0xa0 && !bidi(cp)) {
			memcpy(o + k, p + i, len);
			k += len;
		} else if (len > 1) {
			k += (size_t)sprintf(o + k, "\\u%04x", cp);
		} else {
			k += (size_t)sprintf(o + k, "\\x%02x", p[i]);
			len = 1;
		}
		i += len;
		cps++;
	}
	o[k] = '\0';
	if (cap > 0 && cps > cap) { /* keep cap - 1 code points and the mark */
		size_t seen = 0, i = 0;

		for (; o[i] && seen < cap - 1; i++)
			if (((unsigned char)o[i] & 0xc0) != 0x80)
				seen++;
		while (((unsigned char)o[i] & 0xc0) == 0x80)
			i++;
		o[i++] = '~';
		o[i] = '\0';
	}
	return o;
}

/* width - the code points of a cell (what a terminal shows of it) */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* A table: rows are collected one page at a time, then printed aligned;
 * the widths only grow from one page to the next. */
struct table {
	size_t ncol;
	const char *const *head;
	const size_t *cap; /* per column: code points kept (0 all) */
	size_t wid[TABLE_COLS_MAX];
	size_t n, alloc;
	char **cells; /* n * ncol, owned */
	int headed;
};

/* table_add - one row of ncol values (borrowed; copied made safe) */
static void table_add(struct table *t, const char *const *v)
{
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 64;
		t->cells = xrealloc(t->cells, t->alloc * t->ncol * sizeof(*t->cells));
	}
	for (size_t c = 0; c < t->ncol; c++)
		t->cells[t->n * t->ncol + c] = cell(v[c], t->cap[c]);
	t->n++;
}

/* put - a cell padded to w, unless it is the last column */
static void put(FILE *fp, const char *s, size_t w, int last)
{
	fputs(s, fp);
	if (!last)
		for (size_t i = width(s); i < w + 2; i++)
			fputc(' ', fp);
}

/* table_flush - print the rows collected (the header first, once) and
 * forget them */
static void table_flush(FILE *fp, struct table *t)
{
	for (size_t c = 0; c < t->ncol; c++) {
		if (t->wid[c] < strlen(t->head[c]))
			t->wid[c] = strlen(t->head[c]);
		for (size_t r = 0; r < t->n; r++)
			if (width(t->cells[r * t->ncol + c]) > t->wid[c])
				t->wid[c] = width(t->cells[r * t->ncol + c]);
	}
	if (!t->headed) {
		for (size_t c = 0; c < t->ncol; c++)
			put(fp, t->head[c], t->wid[c], c + 1 == t->ncol);
		fputc('\n', fp);
		t->headed = 1;
	}
	for (size_t r = 0; r < t->n; r++) {
		for (size_t c = 0; c < t->ncol; c++) {
			put(fp, t->cells[r * t->ncol + c], t->wid[c], c + 1 == t->ncol);
			free(t->cells[r * t->ncol + c]);
		}
		fputc('\n', fp);
	}
	t->n = 0;
}

/* table_free - the rows never printed and the row array */
static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n * t->ncol; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->n = t->alloc = 0;
}

/* times, names, small parsers ------------------------------------------ */

/* span - a duration for people: its two largest units ("1d 4h", "3m") */
static const char *span(int64_t ms, char *buf, size_t len)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = {{'d', 86400000}, {'h', 3600000}, {'m', 60000}, {'s', 1000}};
	size_t n = sizeof(units) / sizeof(units[0]);

	if (ms <= 0)
		snprintf(buf, len, "-");
	else if (ms < 1000)
		snprintf(buf, len, "<1s");
	for (size_t i = 0; ms >= 1000 && i < n; i++) {
		if (ms < units[i].ms)
			continue;
		int64_t a = ms / units[i].ms,
		        b = i + 1 < n ? ms % units[i].ms / units[i + 1].ms : 0;

		if (b > 0)
			snprintf(buf, len, "%lld%c %lld%c", (long long)a, units[i].unit,
			         (long long)b, units[i + 1].unit);
		else
			snprintf(buf, len, "%lld%c", (long long)a, units[i].unit);
		break;
	}
	return buf;
}

/* since_parse - "30d", "12h", "90m", "2w", "1w2d", "45s" or "0" in ms;
 * NULL, or the problem */
static const char *since_parse(const char *s, long long *ms)
{
	static const struct {
		char unit;
		long long ms;
	} units[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}, {'w', 604800000}};
	long long total = 0;

	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return NULL;
	}
	if (*s == '\0')
		return "empty duration";
	while (*s) {
		long long n = 0, unit = 0;

		if (*s < '0' || *s > '9')
			return "not a duration (e.g. 30d, 12h, 90m, 2w, 1w2d)";
		while (*s >= '0' && *s <= '9') {
			n = n * 10 + (*s++ - '0');
			if (n > REPORT_SINCE_MAX_MS)
				return "too long (at most a century)";
		}
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (*s == units[i].unit)
				unit = units[i].ms;
		if (unit == 0)
			return "a duration needs a unit: s, m, h, d or w";
		s++;
		if (n > REPORT_SINCE_MAX_MS / unit || (total += n * unit) > REPORT_SINCE_MAX_MS)
			return "too long (at most a century)";
	}
	*ms = total;
	return NULL;
}

/* count_arg - a count flag's value: 0 or more, decimal */
static int count_arg(const char *cmd, const char *flag, const char *v, long long *out)
{
	char *end;

	*out = strtoll(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end || *out < 0 || *out > INT64_MAX / 2) {
		fprintf(stderr, "relaywatch %s: %s '%s': want a count (0 or more)\n", cmd, flag, v);
		return -1;
	}
	return 0;
}

/* state_known - a name incident_state_name() gives */
static int state_known(const char *s)
{
	for (int i = 0; i < IS__COUNT; i++)
		if (strcmp(s, incident_state_name((enum incident_state)i)) == 0)
			return 1;
	return 0;
}

/* state_open - a state name that is not final (new, never stored, is not) */
static int state_open(int i)
{
	struct incident inc = {.state = (enum incident_state)i};

	return incident_is_open(&inc);
}

/* level_name - an incident row's level as policy_level_name() spells it */
static const char *level_name(int level)
{
	return policy_level_name((enum policy_level)level);
}

/* hostport - addr:port, [v6]:port */
static void hostport(const char *addr, unsigned port, char *buf, size_t len)
{
	snprintf(buf, len, strchr(addr ? addr : "", ':') ? "[%s]:%u" : "%s:%u", addr ? addr : "",
	         port);
}

/* snap - a string field of the contact snapshot into buf ("" when none) */
static void snap(const char *contact, const char *key, char *buf, size_t len)
{
	json_t *o = json_loads(contact ? contact : "{}", 0, NULL);
	json_t *v = json_object_get(o, key);

	snprintf(buf, len, "%s", json_is_string(v) ? json_string_value(v) : "");
	json_decref(o);
}

/* print_json - one compact object and a newline; frees o */
static void print_json(json_t *o)
{
	char *line = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	if (line == NULL)
		rw_panic("%s: json_dumps failed (out of memory)", __func__);
	puts(line);
	free(line);
}

/* relaywatch incidents ----------------------------------------------------- */

static const char *const list_head[] = {"ID",       "ADDRESS", "STATE",    "POLICY",
                                        "CUSTOMER", "OPENED",  "NEXT DUE", "LEVEL"};
static const size_t list_cap[] = {0, 0, 0, 24, 24, 0, 0, 0};

/* list_usage - the synopsis of incidents */
static void list_usage(FILE *fp)
{
	fprintf(fp, "usage: relaywatch incidents [--db PATH] [--state S] [--all] [--json] "
	            "[--limit N] [--offset N]\n"
	            "  open incidents (not repaired, not-reproduced or closed), newest first;\n"
	            "  --state S only those in S, --all every one. States:");
	for (int i = 0; i < IS__COUNT; i++)
		fprintf(fp, " %s", incident_state_name((enum incident_state)i));
	fprintf(fp, "\n  --db PATH  the store (default: the `db` key, $RELAYWATCH_DB, ...)\n"
	            "exit status: 0 ok, 2 usage, 3 store error.\n");
}

/* list_row - one incident into the table */
static void list_row(struct table *t, const struct store_incident *in)
{
	char id[32], hp[128], cust[256], opened[64], due[64];

	snprintf(id, sizeof(id), "%lld", (long long)in->id);
	hostport(in->addr, in->port, hp, sizeof(hp));
	snap(in->contact, "customer", cust, sizeof(cust));
	const char *v[] = {id,
	                   hp,
	                   in->state,
	                   in->policy,
	                   cust[0] ? cust : "-",
	                   jsonx_iso(in->opened_ms, 0, opened, sizeof(opened)),
	                   jsonx_iso(in->due_ms, 0, due, sizeof(due)),
	                   level_name(in->level)};
	table_add(t, v);
}

/* cmd_incidents - incidents, newest first: open ones, one state, or all */
int cmd_incidents(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},    {"state", required_argument, NULL, 's'},
	    {"all", no_argument, NULL, 'a'},         {"json", no_argument, NULL, 'j'},
	    {"limit", required_argument, NULL, 'L'}, {"offset", required_argument, NULL, 'O'},
	    {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *state = NULL;
	int c, all = 0, json = 0, rc = EXIT_CLEAN;
	long long limit = 0, offset = 0, left;
	struct table t = {.ncol = 8, .head = list_head, .cap = list_cap};
	struct store_page pg = {0};
	struct store *st;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 's':
			state = optarg;
			break;
		case 'a':
			all = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'L':
		case 'O':
			if (count_arg("incidents", c == 'L' ? "--limit" : "--offset", optarg,
			              c == 'L' ? &limit : &offset) < 0)
				return EXIT_USAGE;
			break;
		default:
			list_usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EXIT_CLEAN : EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "relaywatch incidents: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (state && !state_known(state)) {
		fprintf(stderr, "relaywatch incidents: unknown state '%s'; states:", state);
		for (int i = 0; i < IS__COUNT; i++)
			fprintf(stderr, " %s", incident_state_name((enum incident_state)i));
		fputc('\n', stderr);
		return EXIT_USAGE;
	}
	if ((st = cmd_store_open("incidents", cmd_desk_db(ctx, db), 0, &rc)) == NULL)
		return rc;
	rc = EXIT_CLEAN;
	/* open ones by default (the store's "open" filter), one state, or all */
	const char *filter = state ? state : all ? NULL : STORE_STATE_OPEN;
	pg.offset = offset;
	left = limit > 0 ? limit : -1; /* -1: no --limit */
	while (left != 0) {
		struct store_incidents l;

		pg.limit = left > 0 && left < RW_STORE_PAGE_MAX ? left : RW_STORE_PAGE_MAX;
		if (store_incidents_list(st, filter, &pg, &l) < 0) {
			fprintf(stderr, "relaywatch incidents: %s\n", store_error(st));
			rc = EXIT_RUNTIME;
			break;
		}
		for (size_t i = 0; i < l.n && left != 0; i++) {
			if (json)
				print_json(incjson_incident(&l.v[i]));
			else
				list_row(&t, &l.v[i]);
			if (left > 0)
				left--;
		}
		size_t n = l.n;
		store_incidents_free(&l);
		if (!json)
			table_flush(stdout, &t);
		if (n < (size_t)pg.limit)
			break;
		pg.offset += pg.limit;
	}
	if (!json && !t.headed)
		table_flush(stdout, &t); /* the header of an empty list */
	table_free(&t);
	store_close(st);
	return rc;
}

/* relaywatch incident ID -------------------------------------------------- */

/* How an event's detail key reads in a summary, in this order; from, to
 * and outcome are read first, and keys not named here follow as "key
 * value". */
enum dkind { D_PLAIN, D_QUOTED, D_TIME };
static const struct {
	const char *key;
	const char *label;
	enum dkind kind;
} detail_keys[] = {
    {"why", "why: ", D_PLAIN},
    {"complaint", "complaint ", D_PLAIN},
    {"verdict", "verdict ", D_PLAIN},
    {"reason", "reason: ", D_PLAIN},
    {"user", "by ", D_PLAIN},
    {"text", "", D_QUOTED},
    {"step", "", D_PLAIN},
    {"rcpt", "to ", D_PLAIN},
    {"template", "template ", D_PLAIN},
    {"at_ms", "at ", D_TIME},
    {"level", "level ", D_PLAIN},
    {"what", "", D_PLAIN},
};

/* value_text - a detail value as text (owned): strings as they are,
 * anything else as compact JSON */
static char *value_text(json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	return s ? s : xstrdup("?");
}

/* add_part - ", " between the parts of a summary */
static void add_part(char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
	size_t k = strlen(buf);

	if (k + 1 >= len)
		return;
	snprintf(buf + k, len - k, "%s", k ? ", " : "");
	k = strlen(buf);
	snprintf(buf + k, len - k, fmt, a, b);
}

/* event_summary - the interesting keys of an event's detail, compactly:
 * "new -> reported, complaint 1", "by alice, \"called the admin\"" */
static void event_summary(const char *detail, char *buf, size_t len)
{
	json_t *o = json_loads(detail ? detail : "{}", 0, NULL);
	const char *from, *to, *outcome, *key;
	json_t *v;

	buf[0] = '\0';
	if (!json_is_object(o)) { /* not the desk's JSON: the text itself */
		snprintf(buf, len, "%s", detail ? detail : "");
		json_decref(o);
		return;
	}
	from = json_string_value(json_object_get(o, "from"));
	to = json_string_value(json_object_get(o, "to"));
	outcome = json_string_value(json_object_get(o, "outcome"));
	if (from && to && strcmp(from, to) != 0)
		add_part(buf, len, "%s -> %s", from, to);
	if (outcome && strcmp(outcome, "applied") != 0)
		add_part(buf, len, "%s%s", outcome, "");
	for (size_t i = 0; i < sizeof(detail_keys) / sizeof(detail_keys[0]); i++) {
		char tb[64], *s;

		if ((v = json_object_get(o, detail_keys[i].key)) == NULL)
			continue;
		if (detail_keys[i].kind == D_TIME && json_is_integer(v))
			s = xstrdup(jsonx_iso(json_integer_value(v), 0, tb, sizeof(tb)));
		else
			s = value_text(v);
		add_part(buf, len, detail_keys[i].kind == D_QUOTED ? "%s\"%s\"" : "%s%s",
		         detail_keys[i].label, s);
		free(s);
	}
	json_object_foreach(o, key, v)
	{
		int named = !strcmp(key, "from") || !strcmp(key, "to") || !strcmp(key, "outcome");

		for (size_t i = 0; !named && i < sizeof(detail_keys) / sizeof(detail_keys[0]); i++)
			named = strcmp(key, detail_keys[i].key) == 0;
		if (!named) {
			char *s = value_text(v);

			add_part(buf, len, "%s %s", key, s);
			free(s);
		}
	}
	json_decref(o);
}

/* item_summary - the text of one timeline line */
static void item_summary(const struct store_timeline_item *it, const struct store_outboxes *ob,
                         char *buf, size_t len)
{
	const struct store_outbox *m;

	if (strcmp(it->source, "event") == 0)
		event_summary(it->text, buf, len);
	else if (strcmp(it->source, "outbox") == 0 && (m = incjson_outbox_of(ob, it->id)) != NULL)
		snprintf(buf, len, "to %s: %s%s%s", m->rcpt ? m->rcpt : "",
		         it->text ? it->text : "",
		         m->last_error && *m->last_error ? "; last error: " : "",
		         m->last_error && *m->last_error ? m->last_error : "");
	else
		snprintf(buf, len, "%s", it->text ? it->text : "");
}

/* contact_line - the contact snapshot for people */
static void contact_line(const char *contact, char *buf, size_t len)
{
	char cust[256], net[128], mails[512], acct[128];

	snap(contact, "customer", cust, sizeof(cust));
	snap(contact, "netblock", net, sizeof(net));
	snap(contact, "emails", mails, sizeof(mails));
	snap(contact, "account", acct, sizeof(acct));
	if (!cust[0] && !net[0] && !mails[0]) {
		snprintf(buf, len, "none (no contact owned the address when it opened)");
		return;
	}
	snprintf(buf, len, "%s (%s): %s%s%s", cust[0] ? cust : "-", net, mails[0] ? mails : "-",
	         acct[0] ? ", account " : "", acct);
}

/* header_line - "label     value", the value made safe */
static void header_line(const char *label, const char *value)
{
	char *v = cell(value, 0);

	printf("%-10s%s\n", label, v);
	free(v);
}

/* show - the incident and its timeline; an exit status */
static int show(struct store *st, int64_t id, int json)
{
	static const char *const head[] = {"TIME", "SOURCE", "KIND", "STATE", "SUMMARY"};
	static const size_t cap[] = {0, 0, 0, 0, SUMMARY_MAX};
	struct store_incident in;
	struct store_timeline tl = {0};
	struct store_outboxes ob = {0};
	char buf[4096], tb[64];
	int r, rc = EXIT_CLEAN;

	if ((r = store_incident_get(st, id, &in)) <= 0) {
		fprintf(stderr, "relaywatch incident: %lld: %s\n", (long long)id,
		        r < 0 ? store_error(st) : "no such incident");
		return EXIT_RUNTIME;
	}
	if (store_incident_timeline(st, id, &tl) < 0 || store_outbox_for(st, id, &ob) < 0) {
		fprintf(stderr, "relaywatch incident: %lld: %s\n", (long long)id, store_error(st));
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (json) {
		json_t *o = incjson_incident(&in), *a = json_array();

		for (size_t i = 0; i < tl.n; i++)
			json_array_append_new(a, incjson_item(&tl.v[i], &ob));
		json_object_set_new(o, "timeline", a);
		print_json(o);
		goto out;
	}
	snprintf(buf, sizeof(buf), "%lld", (long long)in.id);
	header_line("incident", buf);
	hostport(in.addr, in.port, buf, sizeof(buf));
	header_line("address", buf);
	header_line("class", desk_machine_class(in.machine));
	header_line("state", in.state);
	header_line("policy", in.policy);
	header_line("level", level_name(in.level));
	contact_line(in.contact, buf, sizeof(buf));
	header_line("contact", buf);
	header_line("opened", jsonx_iso(in.opened_ms, 0, tb, sizeof(tb)));
	header_line("next due", jsonx_iso(in.due_ms, 0, tb, sizeof(tb)));
	header_line("closed", jsonx_iso(in.closed_ms, 0, tb, sizeof(tb)));
	putchar('\n');
	struct table t = {.ncol = 5, .head = head, .cap = cap};
	for (size_t i = 0; i < tl.n; i++) {
		const struct store_timeline_item *it = &tl.v[i];

		item_summary(it, &ob, buf, sizeof(buf));
		const char *v[] = {jsonx_iso(it->at_ms, 0, tb, sizeof(tb)), it->source, it->kind,
		                   it->state && *it->state ? it->state : "-", buf};
		table_add(&t, v);
	}
	table_flush(stdout, &t);
	table_free(&t);
out:
	store_incident_clear(&in);
	store_timeline_free(&tl);
	store_outboxes_free(&ob);
	return rc;
}

/* What each command prints when the machine took it. */
static const struct {
	const char *name;
	enum desk_cmd cmd;
	const char *done;
} commands[] = {
    {"retest", DESK_CMD_RETEST, "retest scheduled; the daemon runs it at its next tick"},
    {"note", DESK_CMD_NOTE, "note recorded"},
    {"close", DESK_CMD_CLOSE, "closed"},
    {"block", DESK_CMD_BLOCK, "block recorded; the daemon applies it at its next tick"},
    {"unblock", DESK_CMD_UNBLOCK,
     "unblock recorded (a new grace runs); the daemon applies it at its next tick"},
};

/* incident_usage - the synopsis of incident */
static void incident_usage(FILE *fp)
{
	fprintf(fp,
	        "usage: relaywatch incident ID [--db PATH] [--json]\n"
	        "       relaywatch incident ID retest [--user NAME] [--db PATH]\n"
	        "       relaywatch incident ID note TEXT... [--user NAME] [--db PATH]\n"
	        "       relaywatch incident ID close --reason TEXT [--user NAME] [--db PATH]\n"
	        "       relaywatch incident ID block [--reason TEXT] [--user NAME] [--db PATH]\n"
	        "       relaywatch incident ID unblock --reason TEXT [--user NAME] [--db PATH]\n\n"
	        "Without a command: the incident and its timeline. The commands go through the\n"
	        "policy the configuration names; --user defaults to $SUDO_USER, $USER, then the\n"
	        "login name. A note sends nothing; a blocked incident cannot be closed (only a\n"
	        "retest that shows the repair ends it). block blocks a confirmed incident now,\n"
	        "without waiting for the grace; unblock lifts a block for a new grace period\n"
	        "(blocked again at its end unless a retest shows the repair).\n"
	        "exit status: 0 done, 1 refused by the incident's state (why on stderr),\n"
	        "2 usage or configuration error, 3 no such incident or a store error.\n");
}

/* default_user - $SUDO_USER, $USER, the password file's name, "operator" */
static const char *default_user(void)
{
	const char *u = getenv("SUDO_USER");
	struct passwd *pw;

	if (u == NULL || *u == '\0')
		u = getenv("USER");
	if ((u == NULL || *u == '\0') && (pw = getpwuid(getuid())) != NULL)
		u = pw->pw_name;
	return u && *u ? u : "operator";
}

/* text_ok - a user name or text the audit log can keep: UTF-8, no
 * control bytes, its JSON at most jmax bytes; else the problem */
static const char *text_ok(const char *s, size_t jmax)
{
	json_t *j = json_string(s);
	char *enc;
	size_t n;

	if (j == NULL)
		return "is not UTF-8";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			json_decref(j);
			return "has control characters (one line of text, please)";
		}
	enc = json_dumps(j, JSON_ENCODE_ANY);
	json_decref(j);
	n = enc ? strlen(enc) : SIZE_MAX;
	free(enc);
	return n > jmax ? "is too long" : NULL;
}

/* run - an operator's command on incident id; an exit status */
static int run(struct store *st, const struct cmd_ctx *ctx, int64_t id, size_t k, const char *user,
               const char *text)
{
	struct store_incident in;
	struct deskclock clk = deskclock_system();
	struct desk *d;
	int r, rc;

	/* no desk (nor policy) is needed to say the incident does not exist */
	if ((r = store_incident_get(st, id, &in)) <= 0) {
		fprintf(stderr, "relaywatch incident: %lld: %s\n", (long long)id,
		        r < 0 ? store_error(st) : "no such incident");
		return EXIT_RUNTIME;
	}
	store_incident_clear(&in);
	if ((d = cmd_desk_open("incident", ctx, st, &rc)) == NULL)
		return rc;
	r = desk_command(d, id, commands[k].cmd, user, text, deskclock_now(&clk));
	if (r > 0) {
		printf("incident %lld: %s\n", (long long)id, commands[k].done);
		rc = EXIT_CLEAN;
	} else if (r == 0) {
		fprintf(stderr, "relaywatch incident: %lld: %s refused: %s\n", (long long)id,
		        commands[k].name, desk_error(d));
		rc = EXIT_FOUND;
	} else {
		fprintf(stderr, "relaywatch incident: %lld: %s\n", (long long)id, desk_error(d));
		rc = EXIT_RUNTIME;
	}
	desk_free(d);
	return rc;
}

/* join - argv[from..argc) separated by blanks (owned) */
static char *join(int argc, char **argv, int from)
{
	size_t n = 1;
	char *s;

	for (int i = from; i < argc; i++)
		n += strlen(argv[i]) + 1;
	s = xmalloc(n);
	s[0] = '\0';
	for (int i = from; i < argc; i++) {
		if (i > from)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* cmd_incident - one incident: its timeline, or retest, note, close */
int cmd_incident(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},     {"json", no_argument, NULL, 'j'},
	    {"reason", required_argument, NULL, 'r'}, {"user", required_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *reason = NULL, *user = NULL, *why;
	int c, json = 0, rc;
	size_t k = 0;
	long long id;
	char *end, *text = NULL;
	struct store *st;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		default:
			incident_usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EXIT_CLEAN : EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		incident_usage(stderr);
		return EXIT_USAGE;
	}
	id = strtoll(argv[optind], &end, 10);
	if (*end || id <= 0 || argv[optind][0] < '0' || argv[optind][0] > '9') {
		fprintf(stderr, "relaywatch incident: '%s' is not an incident id\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (optind + 1 == argc) { /* the timeline */
		if (reason || user) {
			fprintf(stderr,
			        "relaywatch incident: --reason and --user go with a command\n");
			return EXIT_USAGE;
		}
		if ((st = cmd_store_open("incident", cmd_desk_db(ctx, db), 0, &rc)) == NULL)
			return rc;
		rc = show(st, id, json);
		store_close(st);
		return rc;
	}
	const char *verb = argv[optind + 1];
	while (k < sizeof(commands) / sizeof(commands[0]) && strcmp(verb, commands[k].name) != 0)
		k++;
	if (k == sizeof(commands) / sizeof(commands[0])) {
		fprintf(stderr,
		        "relaywatch incident: unknown command '%s' (retest, note, close, block, "
		        "unblock)\n",
		        verb);
		return EXIT_USAGE;
	}
	int extra = argc - (optind + 2);
	enum desk_cmd cmd = commands[k].cmd;
	const char *misuse = NULL, *stray = "";
	if (json)
		misuse = "--json goes with the timeline only";
	else if ((cmd == DESK_CMD_RETEST || cmd == DESK_CMD_NOTE) && reason)
		misuse = "--reason goes with close, block and unblock";
	else if (cmd == DESK_CMD_CLOSE && !reason)
		misuse = "close needs --reason TEXT";
	else if (cmd == DESK_CMD_UNBLOCK && !reason)
		misuse = "unblock needs --reason TEXT (it is recorded)";
	else if (cmd == DESK_CMD_NOTE && extra == 0)
		misuse = "note needs its text";
	else if (cmd != DESK_CMD_NOTE && extra > 0)
		misuse = "unexpected argument ", stray = argv[optind + 2];
	if (misuse) {
		fprintf(stderr, "relaywatch incident: %s%s (relaywatch incident --help)\n", misuse,
		        stray);
		return EXIT_USAGE;
	}
	if (user == NULL)
		user = default_user();
	if ((why = text_ok(user, CMD_USER_MAX + 2)) != NULL) {
		fprintf(stderr, "relaywatch incident: the user name %s\n", why);
		return EXIT_USAGE;
	}
	if (cmd == DESK_CMD_NOTE)
		text = join(argc, argv, optind + 2);
	else if (reason)
		text = xstrdup(reason);
	if (text) {
		const char *what = cmd == DESK_CMD_NOTE ? "note" : "reason";
		size_t max = cmd == DESK_CMD_NOTE ? CMD_NOTE_JSON_MAX : 2 * INCIDENT_REASON_MAX + 2;

		why = text[0] == '\0' ? "is empty" : text_ok(text, max);
		if (why == NULL && cmd != DESK_CMD_NOTE && strlen(text) > INCIDENT_REASON_MAX)
			why = "is too long";
		if (why != NULL) {
			fprintf(stderr, "relaywatch incident: the %s %s", what, why);
			if (strcmp(why, "is too long") == 0)
				fprintf(stderr, " (at most %d bytes%s)",
				        cmd == DESK_CMD_NOTE ? CMD_NOTE_JSON_MAX - 2
				                             : INCIDENT_REASON_MAX,
				        cmd == DESK_CMD_NOTE ? ", fewer with quotes or backslashes"
				                             : "");
			fputc('\n', stderr);
			free(text);
			return EXIT_USAGE;
		}
	}
	if ((st = cmd_store_open("incident", cmd_desk_db(ctx, db), 0, &rc)) == NULL) {
		free(text);
		return rc;
	}
	rc = run(st, ctx, id, k, user, text);
	store_close(st);
	free(text);
	return rc;
}

/* relaywatch report -------------------------------------------------------- */

/* report_usage - the synopsis of report */
static void report_usage(FILE *fp)
{
	fprintf(fp, "usage: relaywatch report [--db PATH] [--since DURATION] [--json]\n"
	            "  incidents found and repaired, the median time to repair, blocks,\n"
	            "  escalations and complaints since DURATION ago (s, m, h, d, w: 30d, 12h,\n"
	            "  1w2d; default 30d), and the incidents open now by state.\n"
	            "exit status: 0 ok, 2 usage, 3 store error.\n");
}

/* cmd_report - the desk's counters since a time, and what is open now */
int cmd_report(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"since", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *since = "30d", *why;
	int c, json = 0, rc;
	long long dur, now;
	int64_t open[IS__COUNT] = {0}, total = 0;
	struct deskclock clk = deskclock_system();
	struct store_report rep;
	struct store *st;
	char tb[64], sb[64];

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 's':
			since = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			report_usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EXIT_CLEAN : EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "relaywatch report: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if ((why = since_parse(since, &dur)) != NULL) {
		fprintf(stderr, "relaywatch report: --since '%s': %s\n", since, why);
		return EXIT_USAGE;
	}
	if ((st = cmd_store_open("report", cmd_desk_db(ctx, db), 0, &rc)) == NULL)
		return rc;
	now = deskclock_now(&clk);
	int64_t from = now > dur ? now - dur : 0;
	if (store_report(st, from, &rep) < 0)
		goto bad;
	for (int i = 0; i < IS__COUNT; i++) {
		if (!state_open(i))
			continue;
		if (store_incidents_count(st, incident_state_name((enum incident_state)i),
		                          &open[i]) < 0)
			goto bad;
		total += open[i];
	}
	store_close(st);
	if (json) {
		json_t *o = json_object(), *by = json_object();

		/* 1 ms: the epoch itself, which jsonx_iso() would print as "not yet" */
		json_object_set_new(o, "since", jsonx_time(from > 0 ? from : 1));
		json_object_set_new(o, "found", json_integer(rep.found));
		json_object_set_new(o, "repaired", json_integer(rep.repaired));
		json_object_set_new(o, "repair_median_ms",
		                    rep.repair_median_ms > 0 ? json_integer(rep.repair_median_ms)
		                                             : json_null());
		json_object_set_new(o, "blocks", json_integer(rep.blocks));
		json_object_set_new(o, "escalations", json_integer(rep.escalations));
		json_object_set_new(o, "complaints", json_integer(rep.complaints));
		for (int i = 0; i < IS__COUNT; i++)
			if (state_open(i))
				json_object_set_new(by, incident_state_name((enum incident_state)i),
				                    json_integer(open[i]));
		json_object_set_new(o, "open", by);
		json_object_set_new(o, "open_total", json_integer(total));
		print_json(o);
		return EXIT_CLEAN;
	}
	printf("since %s (%s)\n", jsonx_iso(from > 0 ? from : 1, 0, tb, sizeof(tb)), since);
	printf("%-24s%lld\n", "found", (long long)rep.found);
	printf("%-24s%lld\n", "repaired", (long long)rep.repaired);
	printf("%-24s%s\n", "median time to repair", span(rep.repair_median_ms, sb, sizeof(sb)));
	printf("%-24s%lld\n", "blocks", (long long)rep.blocks);
	printf("%-24s%lld\n", "escalations", (long long)rep.escalations);
	printf("%-24s%lld\n", "complaints", (long long)rep.complaints);
	printf("%-24s%lld\n", "open now", (long long)total);
	for (int i = 0; i < IS__COUNT; i++)
		if (state_open(i))
			printf("  %-22s%lld\n", incident_state_name((enum incident_state)i),
			       (long long)open[i]);
	return EXIT_CLEAN;
bad:
	fprintf(stderr, "relaywatch report: %s\n", store_error(st));
	store_close(st);
	return EXIT_RUNTIME;
}
