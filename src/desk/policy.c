/*
 * NAME
 *	policy - an abuse-desk policy file: triggers, notices, grace, blocks,
 *	escalation ladder
 * SUMMARY
 *	one table of keys read with inih; every bad line reported
 * SYNOPSIS
 *	void policy_defaults(struct policy *p);
 *	int policy_load(const char *path, struct policy *p, char *err, size_t errlen);
 *	int policy_load_string(const char *name, const char *text, struct policy *p,
 *		char *err, size_t errlen);
 *	const char *policy_duration(const char *s, long long *ms);
 *	enum policy_level policy_level_for(const struct policy *p, int n);
 *	policy_step_name(), policy_rcpt_name(), policy_level_name(), policy_block_name()
 * DESCRIPTION
 *	policy_load() and policy_load_string() parse with inih through a
 *	reader that counts lines (src/core/iniline), so every problem is
 *	reported with its line and parsing goes on: unknown sections and keys,
 *	bad values, keys given twice, lines that are not INI (inih's own return
 *	names only the first), lines longer than inih's buffer, indented lines
 *	after a key (inih's continuation lines, even "[x]": one line a key), and
 *	cross-key problems (a ladder whose rungs do not climb, block_at_once
 *	without anything to block) at the line of the later key. Keys read
 *	before a bad line stay set; p is only usable when 0 is returned.
 *	policy_duration() reads "48h", "1d12h", "90d", "0".
 *	policy_level_for() picks the highest rung reached by the n-th
 *	incident of an address in the window.
 * DIAGNOSTICS
 *	the count of problems, and "path:line: problem" lines in err
 *	(line 0: the file could not be opened).
 * LIMITS
 *	durations up to POLICY_DURATION_MAX_MS, counts up to POLICY_COUNT_MAX,
 *	names and templates POLICY_NAME_MAX characters of [A-Za-z0-9._-],
 *	lines as long as inih's buffer (INI_MAX_LINE, 200 in Debian's build).
 * STANDARDS
 *	none (INI as read by inih).
 */
#include "policy.h"

#include "../core/iniline.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum key_kind {
	K_NAME,
	K_TRIGGERS,
	K_DURATION,
	K_COUNT,
	K_SUSPECT,
	K_BLOCK,
	K_BOOL,
	K_VANTAGES,
	K_INTERNAL,
	K_NOTIFY,
	K_RUNG
};

struct key_def {
	const char *section, *name;
	enum key_kind kind;
	size_t off;    /* K_DURATION, K_COUNT, K_BOOL */
	long long min; /* K_DURATION (ms), K_COUNT */
	long long max;
	int index; /* K_NOTIFY: the step; K_RUNG: the level */
};

#define DUR(f, lo)                                                                                 \
	.kind = K_DURATION, .off = offsetof(struct policy, f), .min = (lo),                        \
	.max = POLICY_DURATION_MAX_MS
#define CNT(f, lo)                                                                                 \
	.kind = K_COUNT, .off = offsetof(struct policy, f), .min = (lo), .max = POLICY_COUNT_MAX
#define NOTE(s) .section = "notify", .kind = K_NOTIFY, .index = (s)
#define RUNG(l) .section = "escalation", .kind = K_RUNG, .index = (l), .max = POLICY_COUNT_MAX

#define P(n) .section = "policy", .name = (n)

static const struct key_def keys[] = {
    {P("name"), .kind = K_NAME},
    {P("open_on"), .kind = K_TRIGGERS},
    {P("grace"), DUR(grace_ms, 0)},
    {P("retest_interval"), DUR(retest_ms, 0)},
    {P("blocked_retest_interval"), DUR(blocked_retest_ms, 0)},
    {P("tempfail_retry"), DUR(tempfail_retry_ms, 1000)},
    {P("test_attempts"), CNT(test_attempts, 1)},
    {P("suspect"), .kind = K_SUSPECT},
    {P("suspect_retests"), CNT(suspect_retests, 0)},
    {P("block"), .kind = K_BLOCK},
    {P("block_at_once"), .kind = K_BOOL, .off = offsetof(struct policy, block_at_once)},
    {P("unblock_grace"), DUR(unblock_grace_ms, 0)},
    {P("internal_vantages"), .kind = K_VANTAGES},
    {P("internal_open"), .kind = K_INTERNAL},
    {.name = "opened", NOTE(STEP_OPENED)},
    {.name = "confirmed", NOTE(STEP_CONFIRMED)},
    {.name = "warning", NOTE(STEP_WARNING)},
    {.name = "blocked", NOTE(STEP_BLOCKED)},
    {.name = "repaired", NOTE(STEP_REPAIRED)},
    {.name = "not_reproduced", NOTE(STEP_NOT_REPRODUCED)},
    {.name = "closed", NOTE(STEP_CLOSED)},
    {.name = "suspend", NOTE(STEP_SUSPEND)},
    {.name = "terminate", NOTE(STEP_TERMINATE)},
    {.section = "escalation", .name = "window", DUR(window_ms, 1000)},
    {.name = "warning", RUNG(LEVEL_WARNING)},
    {.name = "suspend", RUNG(LEVEL_SUSPEND)},
    {.name = "terminate", RUNG(LEVEL_TERMINATE)},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const sections[] = {"policy", "notify", "escalation"};

static const char *const step_names[STEP__COUNT] = {
    [STEP_OPENED] = "opened",       [STEP_CONFIRMED] = "confirmed",
    [STEP_WARNING] = "warning",     [STEP_BLOCKED] = "blocked",
    [STEP_REPAIRED] = "repaired",   [STEP_NOT_REPRODUCED] = "not_reproduced",
    [STEP_CLOSED] = "closed",       [STEP_SUSPEND] = "suspend",
    [STEP_TERMINATE] = "terminate",
};
static const char *const rcpt_names[RCPT__COUNT] = {
    [RCPT_ADMIN] = "admin",
    [RCPT_COMPLAINANT] = "complainant",
    [RCPT_NOC] = "noc",
};
static const char *const level_names[LEVEL__COUNT] = {
    [LEVEL_NONE] = "none",
    [LEVEL_WARNING] = "warning",
    [LEVEL_SUSPEND] = "suspend",
    [LEVEL_TERMINATE] = "terminate",
};

struct pctx {
	struct policy *p;
	const char *path;
	char *err;
	size_t errlen, used;
	int nerr;
	struct iniline il;   /* the source, and the line inih is working on */
	int bad_section;     /* keys here were already reported with the header */
	int key_line[NKEYS]; /* where each key was set, 0 = not set */
};

/* problem - append "path:line: text" to the error buffer */
__attribute__((format(printf, 3, 4))) static void problem(struct pctx *c, int line, const char *fmt,
                                                          ...)
{
	char msg[256];
	va_list ap;
	int n;

	c->nerr++;
	if (c->errlen == 0 || c->used + 4 >= c->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = snprintf(c->err + c->used, c->errlen - c->used, "%s%s:%d: %s", c->used ? "\n" : "",
	             c->path, line, msg);
	if (n < 0 || (size_t)n >= c->errlen - c->used) {
		/* truncated: end with "..." */
		strcpy(c->err + c->errlen - 4, "...");
		c->used = c->errlen;
		return;
	}
	c->used += (size_t)n;
}

/* policy_duration - number-unit pairs summed, or "0" */
const char *policy_duration(const char *s, long long *ms)
{
	long long total = 0;
	const char *q = s;

	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return NULL;
	}
	if (*q == '\0')
		return "empty duration";
	while (*q) {
		long long n = 0, unit;

		if (!isdigit((unsigned char)*q))
			return "not a duration (e.g. 48h, 90d, 1d12h, 30m, 45s)";
		while (isdigit((unsigned char)*q)) {
			n = n * 10 + (*q++ - '0');
			if (n > POLICY_DURATION_MAX_MS)
				return "duration too long (at most 366d)";
		}
		switch (*q++) {
		case 's':
			unit = 1000;
			break;
		case 'm':
			unit = 60 * 1000;
			break;
		case 'h':
			unit = 3600 * 1000;
			break;
		case 'd':
			unit = 86400 * 1000;
			break;
		default:
			return "a duration needs a unit: s, m, h or d";
		}
		total += n * unit;
		if (total > POLICY_DURATION_MAX_MS)
			return "duration too long (at most 366d)";
	}
	*ms = total;
	return NULL;
}

/* parse_count - whole-string integer in [min, max] */
static const char *parse_count(const char *v, long long min, long long max, int *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || *end != '\0')
		return "not a number";
	if (n < min || n > max)
		return "out of range";
	*out = (int)n;
	return NULL;
}

/* valid_name - a template or policy name: [A-Za-z0-9._-]{1,POLICY_NAME_MAX} */
static int valid_name(const char *s, size_t n)
{
	if (n == 0 || n > POLICY_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return 0;
	return 1;
}

/* next_word - the next word of v separated by spaces or commas; 0 at the end */
static int next_word(const char **v, const char **w, size_t *n)
{
	const char *q = *v;

	while (*q == ' ' || *q == '\t' || *q == ',')
		q++;
	if (*q == '\0')
		return 0;
	*w = q;
	while (*q && *q != ' ' && *q != '\t' && *q != ',')
		q++;
	*n = (size_t)(q - *w);
	*v = q;
	return 1;
}

/* word_is - w[0..n) equals s */
static int word_is(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && strncmp(w, s, n) == 0;
}

/* set_notify - "rcpt:template ..." into p->notify[step]; NULL or the problem */
static const char *set_notify(struct policy *p, int step, const char *v, char *buf, size_t len)
{
	char got[RCPT__COUNT][POLICY_NAME_MAX + 1] = {{0}};
	const char *w;
	size_t n;

	while (next_word(&v, &w, &n)) {
		const char *colon = memchr(w, ':', n);
		int r = -1;

		if (colon == NULL) {
			snprintf(buf, len, "'%.*s': want recipient:template", (int)n, w);
			return buf;
		}
		for (int i = 0; i < RCPT__COUNT; i++)
			if (word_is(w, (size_t)(colon - w), rcpt_names[i]))
				r = i;
		if (r < 0) {
			snprintf(buf, len, "'%.*s': recipient is admin, complainant or noc",
			         (int)(colon - w), w);
			return buf;
		}
		if (!valid_name(colon + 1, n - (size_t)(colon - w) - 1)) {
			snprintf(buf, len, "'%.*s': template name is 1-%d of A-Z a-z 0-9 . _ -",
			         (int)n, w, POLICY_NAME_MAX);
			return buf;
		}
		if (got[r][0]) {
			snprintf(buf, len, "%s named twice", rcpt_names[r]);
			return buf;
		}
		memcpy(got[r], colon + 1, n - (size_t)(colon - w) - 1);
	}
	memcpy(p->notify[step], got, sizeof(got));
	return NULL;
}

/* set_key - validate and store one value; NULL or the problem */
static const char *set_key(struct policy *p, const struct key_def *k, const char *v, char *buf,
                           size_t len)
{
	const char *w, *e;
	size_t n;
	unsigned bits = 0;
	long long ms;

	switch (k->kind) {
	case K_NAME:
		if (!valid_name(v, strlen(v)))
			return "a name is 1-63 of A-Z a-z 0-9 . _ -";
		snprintf(p->name, sizeof(p->name), "%s", v);
		return NULL;
	case K_TRIGGERS:
		while (next_word(&v, &w, &n)) {
			if (word_is(w, n, "complaint"))
				bits |= POLICY_ON_COMPLAINT;
			else if (word_is(w, n, "scan"))
				bits |= POLICY_ON_SCAN;
			else if (word_is(w, n, "scan-suspect"))
				bits |= POLICY_ON_SCAN_SUSPECT;
			else {
				snprintf(buf, len,
				         "'%.*s': trigger is complaint, scan or scan-suspect",
				         (int)n, w);
				return buf;
			}
		}
		if (bits == 0)
			return "no trigger: name complaint, scan or scan-suspect";
		p->open_on = bits;
		return NULL;
	case K_DURATION:
		if ((e = policy_duration(v, &ms)) != NULL)
			return e;
		if (ms < k->min) {
			snprintf(buf, len, "at least %llds", k->min / 1000);
			return buf;
		}
		*(long long *)((char *)p + k->off) = ms;
		return NULL;
	case K_COUNT:
		return parse_count(v, k->min, k->max, (int *)((char *)p + k->off));
	case K_RUNG:
		return parse_count(v, 0, k->max, &p->rung[k->index]);
	case K_SUSPECT:
		if (strcmp(v, "retest") == 0)
			p->suspect = SUSPECT_RETEST;
		else if (strcmp(v, "confirm") == 0)
			p->suspect = SUSPECT_CONFIRM;
		else
			return "suspect is retest or confirm";
		return NULL;
	case K_BLOCK:
		while (next_word(&v, &w, &n)) {
			if (word_is(w, n, "none"))
				;
			else if (word_is(w, n, "inbound"))
				bits |= POLICY_BLOCK_INBOUND;
			else if (word_is(w, n, "outbound"))
				bits |= POLICY_BLOCK_OUTBOUND;
			else if (word_is(w, n, "both"))
				bits |= POLICY_BLOCK_INBOUND | POLICY_BLOCK_OUTBOUND;
			else {
				snprintf(buf, len,
				         "'%.*s': block is none, inbound, outbound or both", (int)n,
				         w);
				return buf;
			}
		}
		p->block = bits;
		return NULL;
	case K_BOOL:
		if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
			*(int *)((char *)p + k->off) = 1;
		else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") ||
		         !strcmp(v, "0"))
			*(int *)((char *)p + k->off) = 0;
		else
			return "not yes or no";
		return NULL;
	case K_NOTIFY:
		return set_notify(p, k->index, v, buf, len);
	case K_VANTAGES: {
		size_t at = 0;

		p->internal_vantages[0] = '\0';
		while (next_word(&v, &w, &n)) {
			if (n > 64 ||
			    strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			              "0123456789._-") < n) {
				snprintf(buf, len, "'%.*s': a vantage is 1-64 of A-Z a-z 0-9 . _ -",
				         (int)n, w);
				return buf;
			}
			if (at + n + 1 > POLICY_VANTAGES_MAX)
				return "too many internal vantages";
			at += (size_t)snprintf(p->internal_vantages + at,
			                       sizeof(p->internal_vantages) - at, "%s%.*s",
			                       at ? " " : "", (int)n, w);
		}
		return NULL;
	}
	case K_INTERNAL:
		if (strcmp(v, "incident") == 0)
			p->internal_ignore = 0;
		else if (strcmp(v, "ignore") == 0)
			p->internal_ignore = 1;
		else
			return "internal_open is incident or ignore";
		return NULL;
	}
	return "bad key kind";
}

/* on_pair - inih callback; always goes on, problems are collected */
static int on_pair(void *arg, const char *section, const char *name, const char *value)
{
	struct pctx *c = arg;
	const struct key_def *k = NULL;
	size_t ki = 0;
	char buf[200];
	const char *e;

	iniline_handled(&c->il, name);
	if (c->il.indented) {
		problem(c, c->il.line, "continuation lines are not supported: one line per key");
		return 1;
	}
	if (c->bad_section)
		return 1;
	if (*section == '\0') {
		problem(c, c->il.line,
		        "%s: key before any section ([policy], [notify], [escalation])", name);
		return 1;
	}
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			k = &keys[ki = i];
	if (k == NULL) {
		problem(c, c->il.line, "%s: unknown key in [%s]", name, section);
		return 1;
	}
	if (c->key_line[ki]) {
		problem(c, c->il.line, "%s: given twice (first at line %d)", name, c->key_line[ki]);
		return 1;
	}
	c->key_line[ki] = c->il.line;
	if ((e = set_key(c->p, k, value, buf, sizeof(buf))) != NULL)
		problem(c, c->il.line, "%s = %s: %s", name, value, e);
	return 1;
}

/* judge_section - a section header at its line (name: n bytes, NULL
 * without ']'); the keys under a bad one are skipped */
static void judge_section(struct pctx *c, const char *name, size_t n)
{
	c->bad_section = 1;
	if (name == NULL) {
		problem(c, c->il.line, "section header without ']'");
		return;
	}
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (word_is(name, n, sections[i]))
			c->bad_section = 0;
	if (c->bad_section)
		problem(c, c->il.line, "unknown section [%.*s] (want policy, notify or escalation)",
		        (int)n, name);
}

/* reader - inih's fgets (src/core/iniline): reports the previous line if
 * it was a pair the handler never saw (not INI), an overlong line, and
 * section headers */
static char *reader(char *buf, int num, void *stream)
{
	struct pctx *c = stream;
	const char *name;
	size_t n;

	if (iniline_unhandled(&c->il))
		problem(c, c->il.line, "not 'key = value', a [section] or a comment");
	if (iniline_read(&c->il, buf, num) == NULL)
		return NULL;
	if (c->il.toolong)
		problem(c, c->il.line, "line longer than %d characters", num - 2);
	if (iniline_judge(&c->il, buf, &name, &n) == INILINE_SECTION)
		judge_section(c, name, n);
	return buf;
}

/* cross_check - problems between keys, at the line of the later one */
static void cross_check(struct pctx *c)
{
	const struct policy *p = c->p;
	int last = 0, last_level = LEVEL_NONE;

	for (int l = LEVEL_WARNING; l < LEVEL__COUNT; l++) {
		int line = 0;

		for (size_t i = 0; i < NKEYS; i++)
			if (keys[i].kind == K_RUNG && keys[i].index == l)
				line = c->key_line[i];
		if (p->rung[l] == 0)
			continue;
		if (p->rung[l] <= last)
			problem(c, line, "%s = %d: the ladder must climb (%s is at %d)",
			        level_names[l], p->rung[l], level_names[last_level], last);
		last = p->rung[l];
		last_level = l;
	}
	if (p->block_at_once && p->block == POLICY_BLOCK_NONE) {
		int line = 0;

		for (size_t i = 0; i < NKEYS; i++)
			if (keys[i].kind == K_BOOL || keys[i].kind == K_BLOCK)
				line = c->key_line[i] > line ? c->key_line[i] : line;
		problem(c, line, "block_at_once = yes but block = none: nothing to block");
	}
}

/* load - the common path of the two loaders */
static int load(struct pctx *c)
{
	int rc;

	if (c->errlen)
		c->err[0] = '\0';
	rc = ini_parse_stream(reader, c, on_pair, c);
	if (rc < 0)
		problem(c, 0, "out of memory reading the file");
	cross_check(c);
	return c->nerr;
}

/* policy_load - read path over p; the number of problems */
int policy_load(const char *path, struct policy *p, char *err, size_t errlen)
{
	struct pctx c = {.p = p, .path = path, .err = err, .errlen = errlen};
	int n;

	if ((c.il.fp = fopen(path, "r")) == NULL) {
		if (errlen)
			err[0] = '\0';
		problem(&c, 0, "cannot open: %s", strerror(errno));
		return c.nerr;
	}
	n = load(&c);
	fclose(c.il.fp);
	return n;
}

/* policy_load_string - text over p, name standing for the path */
int policy_load_string(const char *name, const char *text, struct policy *p, char *err,
                       size_t errlen)
{
	struct pctx c = {.p = p, .path = name, .err = err, .errlen = errlen, .il.text = text};

	return load(&c);
}

/* policy_internal - vantage is a word of internal_vantages */
int policy_internal(const struct policy *p, const char *vantage)
{
	size_t n = vantage ? strlen(vantage) : 0;
	const char *s = p->internal_vantages;

	while (n && *s) {
		size_t w = strcspn(s, " ");

		if (w == n && strncmp(s, vantage, n) == 0)
			return 1;
		s += w + (s[w] == ' ');
	}
	return 0;
}

/* policy_defaults - open on complaints, notify nobody, never block */
void policy_defaults(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "default");
	p->open_on = POLICY_ON_COMPLAINT;
	p->grace_ms = 48LL * 3600 * 1000;
	p->retest_ms = 6LL * 3600 * 1000;
	p->blocked_retest_ms = 24LL * 3600 * 1000;
	p->tempfail_retry_ms = 3600LL * 1000;
	p->test_attempts = 6;
	p->suspect = SUSPECT_RETEST;
	p->suspect_retests = 2;
	p->block = POLICY_BLOCK_NONE;
	p->window_ms = 90LL * 86400 * 1000;
}

/* policy_level_for - the highest rung the n-th incident reaches */
enum policy_level policy_level_for(const struct policy *p, int n)
{
	enum policy_level lv = LEVEL_NONE;

	for (int l = LEVEL_WARNING; l < LEVEL__COUNT; l++)
		if (p->rung[l] > 0 && n >= p->rung[l])
			lv = (enum policy_level)l;
	return lv;
}

const char *policy_step_name(enum policy_step s)
{
	return (unsigned)s < STEP__COUNT ? step_names[s] : "?";
}

const char *policy_rcpt_name(enum policy_rcpt r)
{
	return (unsigned)r < RCPT__COUNT ? rcpt_names[r] : "?";
}

const char *policy_level_name(enum policy_level l)
{
	return (unsigned)l < LEVEL__COUNT ? level_names[l] : "?";
}

const char *policy_block_name(unsigned block)
{
	static const char *const names[4] = {"none", "inbound", "outbound", "inbound+outbound"};

	return block < 4 ? names[block] : "?";
}
