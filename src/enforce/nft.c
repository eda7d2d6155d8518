/*
 * NAME
 *	nft - the nftables table of relaywatch's blocks: scripts and diffs
 * SUMMARY
 *	desired set + current table (nft -j) -> one atomic `nft -f -` batch
 * SYNOPSIS
 *	const char *nft_ports_parse(const char *text, struct nft_ports *out);
 *	int nft_set_add(struct nft_set *s, const char *addr, unsigned mask);
 *	const char *nft_state_parse(const char *json, size_t len, const struct nft_ports *p,
 *				    struct nft_state *out, char *err, size_t errlen);
 *	void nft_diff(const struct nft_set *want, const struct nft_set *have,
 *		      struct nft_set *add, struct nft_set *del);
 *	char *nft_script(const struct nft_ports *p, const struct nft_state *cur,
 *			 const struct nft_set *add, const struct nft_set *del);
 * DESCRIPTION
 *	Pure: no process, no clock. The table is ours alone; every line of a
 *	script names `inet relaywatch`, so other tables (a distribution's
 *	filter, docker's, an operator's own) are never touched.
 *	The chains and rules are one table below (rules[]). A table found
 *	with every set and chain, and exactly our rules carrying the comment
 *	of the configured ports, is `complete`: its script changes elements
 *	only. Otherwise the script creates what is missing (`add` of an
 *	existing table, set or chain is a no-op), flushes our three chains
 *	and writes their rules again, in the same transaction as the
 *	elements: Debian's nftables.service starts with `flush ruleset`, and
 *	a ports change rewrites the rules.
 *	Elements are deleted only when the table showed them: deleting an
 *	absent element aborts the whole batch.
 * DIAGNOSTICS
 *	nft_state_parse: "not JSON: ...", "no nftables array".
 * LIMITS
 *	NFT_PORTS_MAX ports, NFT_ELEMS_PER_LINE elements per script line.
 * STANDARDS
 *	nft(8) syntax and libnftables-json(5) as of nftables 1.0.
 */
#include "nft.h"

#include "../core/dbuf.h"
#include "../core/xalloc.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const set_names[2][2] = {
    [NFT_IN] = {"blocked_in4", "blocked_in6"},
    [NFT_OUT] = {"blocked_out4", "blocked_out6"},
};

/* our base chains; each is hooked once, at filter priority. forward is a
 * router's: to inbound-blocked hosts, from outbound-blocked ones. input
 * and output are this machine's own: a blocked host's SMTP to us is
 * dropped at input; our own retests to an inbound-blocked host leave
 * (doc/desk.md: they must reach it), so output drops only what leaves
 * from an outbound-blocked address of ours. */
static const char *const chains[] = {"forward", "input", "output"};

/* one rule: a chain, the family and the direction it drops */
static const struct rule {
	const char *chain;
	unsigned char family;
	unsigned char dir;
} rules[] = {
    {"forward", 4, NFT_IN},  {"forward", 6, NFT_IN}, {"forward", 4, NFT_OUT},
    {"forward", 6, NFT_OUT}, {"input", 4, NFT_IN},   {"input", 6, NFT_IN},
    {"input", 4, NFT_OUT},   {"input", 6, NFT_OUT},  {"output", 4, NFT_OUT},
    {"output", 6, NFT_OUT},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* set_name - the set of a family and direction */
static const char *set_name(unsigned family, unsigned dir)
{
	return set_names[dir & 1][family == 6];
}

/* nft_ports_parse - the ports of block_ports, sorted and distinct */
const char *nft_ports_parse(const char *text, struct nft_ports *out)
{
	const char *p = text;

	memset(out, 0, sizeof(*out));
	if (p == NULL || *p == '\0') {
		out->v[out->n++] = 25;
		return NULL;
	}
	while (*p) {
		unsigned long v = 0;
		const char *start;

		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p >= '0' && *p <= '9' && p - start < 6)
			v = v * 10 + (unsigned long)(*p++ - '0');
		if (p == start || (*p && *p != ',' && *p != ' ' && *p != '\t'))
			return "ports: a list of numbers separated by commas or spaces";
		if (v < 1 || v > 65535)
			return "ports: each 1..65535";
		size_t i = 0;
		while (i < out->n && out->v[i] < v)
			i++;
		if (i < out->n && out->v[i] == v)
			continue;
		if (out->n == NFT_PORTS_MAX)
			return "ports: too many (16 at most)";
		memmove(&out->v[i + 1], &out->v[i], (out->n - i) * sizeof(out->v[0]));
		out->v[i] = (unsigned)v;
		out->n++;
	}
	if (out->n == 0)
		return "ports: none given";
	return NULL;
}

/* nft_dir_mask - the directions an action's `what` names */
unsigned nft_dir_mask(const char *what)
{
	if (what == NULL)
		return 0;
	if (strcmp(what, "inbound") == 0)
		return 1u << NFT_IN;
	if (strcmp(what, "outbound") == 0)
		return 1u << NFT_OUT;
	if (strcmp(what, "both") == 0)
		return 1u << NFT_IN | 1u << NFT_OUT;
	return 0;
}

const char *nft_dir_name(enum nft_dir d)
{
	return d == NFT_OUT ? "outbound" : "inbound";
}

/* nft_addr_parse - inet_pton and nothing else: no prefix, zone, space */
int nft_addr_parse(const char *text, unsigned char a[16])
{
	memset(a, 0, 16);
	if (text == NULL || strlen(text) > 45)
		return 0;
	if (inet_pton(AF_INET, text, a) == 1)
		return 4;
	if (inet_pton(AF_INET6, text, a) == 1)
		return 6;
	return 0;
}

const char *nft_elem_addr(const struct nft_elem *e, char *buf, size_t len)
{
	if (inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

/* push - append one element */
static void push(struct nft_set *s, const struct nft_elem *e)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = *e;
}

int nft_set_add(struct nft_set *s, const char *addr, unsigned mask)
{
	struct nft_elem e = {0};
	int fam = nft_addr_parse(addr, e.a);

	if (fam == 0 || (mask & 3u) == 0)
		return -1;
	e.family = (unsigned char)fam;
	for (unsigned d = NFT_IN; d <= NFT_OUT; d++)
		if (mask & (1u << d)) {
			e.dir = (unsigned char)d;
			push(s, &e);
		}
	return 0;
}

/* cmp - direction, family, address: the order of sets and scripts */
static int cmp(const struct nft_elem *x, const struct nft_elem *y)
{
	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, x->family == 6 ? 16 : 4);
}

static int cmp_q(const void *x, const void *y)
{
	return cmp(x, y);
}

void nft_set_sort(struct nft_set *s)
{
	size_t o = 0;

	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_q);
	for (size_t i = 1; i < s->n; i++)
		if (cmp(&s->v[o], &s->v[i]) != 0)
			s->v[++o] = s->v[i];
	s->n = o + 1;
}

int nft_set_has(const struct nft_set *s, const struct nft_elem *e)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp(&s->v[mid], e);

		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

void nft_set_clear(struct nft_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void nft_diff(const struct nft_set *want, const struct nft_set *have, struct nft_set *add,
              struct nft_set *del)
{
	size_t i = 0, j = 0;

	while (i < want->n || j < have->n) {
		int c = i == want->n ? 1 : j == have->n ? -1 : cmp(&want->v[i], &have->v[j]);

		if (c < 0)
			push(add, &want->v[i++]);
		else if (c > 0)
			push(del, &have->v[j++]);
		else
			i++, j++;
	}
}

const char *nft_rule_comment(const struct nft_ports *ports, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "relaywatch tcp dport ");

	for (size_t i = 0; i < ports->n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%u", i ? "," : "", ports->v[i]);
	return buf;
}

/* state parsing ---------------------------------------------------------- */

void nft_state_absent(struct nft_state *out)
{
	memset(out, 0, sizeof(*out));
}

void nft_state_clear(struct nft_state *s)
{
	nft_set_clear(&s->elems);
	memset(s, 0, sizeof(*s));
}

/* ours - whether a JSON object belongs to table inet relaywatch */
static int ours(json_t *o, const char *tablekey)
{
	const char *fam = json_string_value(json_object_get(o, "family"));
	const char *tab = json_string_value(json_object_get(o, tablekey));

	return fam && tab && strcmp(fam, "inet") == 0 && strcmp(tab, NFT_TABLE) == 0;
}

/* set_elems - the plain addresses of one of our sets into out */
static void set_elems(json_t *set, unsigned family, unsigned dir, struct nft_set *out)
{
	json_t *elems = json_object_get(set, "elem"), *e;
	size_t i;

	json_array_foreach(elems, i, e)
	{
		const char *text = json_string_value(e);
		struct nft_elem x = {.dir = (unsigned char)dir};

		/* an element with a timeout or comment: {"elem": {"val": ...}} */
		if (text == NULL && json_is_object(e))
			text =
			    json_string_value(json_object_get(json_object_get(e, "elem"), "val"));
		if (text != NULL && nft_addr_parse(text, x.a) == (int)family) {
			x.family = (unsigned char)family;
			push(out, &x);
		}
	}
}

const char *nft_state_parse(const char *json, size_t len, const struct nft_ports *ports,
                            struct nft_state *out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je), *arr, *item;
	unsigned have_sets = 0, have_chains = 0, rule_seen[NELEM(rules)] = {0};
	int foreign_rule = 0;
	char want_comment[160];
	size_t i;

	nft_state_absent(out);
	if (root == NULL) {
		snprintf(err, errlen, "not JSON: %s (line %d)", je.text, je.line);
		return err;
	}
	if (!json_is_array(arr = json_object_get(root, "nftables"))) {
		json_decref(root);
		return "no nftables array";
	}
	nft_rule_comment(ports, want_comment, sizeof(want_comment));
	json_array_foreach(arr, i, item)
	{
		json_t *o;

		if ((o = json_object_get(item, "table")) != NULL) {
			if (ours(o, "name"))
				out->present = 1;
		} else if ((o = json_object_get(item, "set")) != NULL && ours(o, "table")) {
			const char *name = json_string_value(json_object_get(o, "name"));
			const char *type = json_string_value(json_object_get(o, "type"));

			for (unsigned d = NFT_IN; d <= NFT_OUT; d++)
				for (unsigned f = 4; f <= 6; f += 2)
					if (name && strcmp(name, set_name(f, d)) == 0) {
						if (type && strcmp(type, f == 4 ? "ipv4_addr"
						                                : "ipv6_addr") == 0)
							have_sets |= 1u << (d * 2 + (f == 6));
						set_elems(o, f, d, &out->elems);
					}
		} else if ((o = json_object_get(item, "chain")) != NULL && ours(o, "table")) {
			const char *name = json_string_value(json_object_get(o, "name"));
			const char *hook = json_string_value(json_object_get(o, "hook"));

			for (size_t c = 0; c < NELEM(chains); c++)
				if (name && hook && strcmp(name, chains[c]) == 0 &&
				    strcmp(hook, chains[c]) == 0)
					have_chains |= 1u << c;
		} else if ((o = json_object_get(item, "rule")) != NULL && ours(o, "table")) {
			const char *chain = json_string_value(json_object_get(o, "chain"));
			const char *comment = json_string_value(json_object_get(o, "comment"));
			size_t r, mine = 0;

			/* our rule: in its chain, with the comment, naming its set */
			char *text = json_dumps(json_object_get(o, "expr"), JSON_COMPACT);
			for (r = 0; r < NELEM(rules); r++) {
				char ref[32];

				snprintf(ref, sizeof(ref), "\"@%s\"",
				         set_name(rules[r].family, rules[r].dir));
				if (chain && strcmp(chain, rules[r].chain) == 0 && comment &&
				    strcmp(comment, want_comment) == 0 && text &&
				    strstr(text, ref) &&
				    strstr(text, rules[r].dir == NFT_IN ? "daddr" : "saddr")) {
					rule_seen[r]++;
					mine = 1;
					break;
				}
			}
			free(text);
			if (!mine)
				foreign_rule = 1;
		}
	}
	json_decref(root);
	out->complete = out->present && have_sets == 0xf &&
	                have_chains == (1u << NELEM(chains)) - 1 && !foreign_rule;
	for (i = 0; i < NELEM(rules); i++)
		if (rule_seen[i] != 1)
			out->complete = 0;
	nft_set_sort(&out->elems);
	return NULL;
}

/* script ----------------------------------------------------------------- */

/* elements - `VERB element inet relaywatch SET { a, b }` lines for s */
static void elements(struct dbuf *b, const char *verb, const struct nft_set *s)
{
	size_t i = 0;

	while (i < s->n) {
		const struct nft_elem *first = &s->v[i];
		size_t k = 0;

		dbuf_printf(b, "%s element inet %s %s { ", verb, NFT_TABLE,
		            set_name(first->family, first->dir));
		while (i < s->n && k < NFT_ELEMS_PER_LINE && s->v[i].family == first->family &&
		       s->v[i].dir == first->dir) {
			char a[64];

			dbuf_printf(b, "%s%s", k ? ", " : "",
			            nft_elem_addr(&s->v[i], a, sizeof(a)));
			i++, k++;
		}
		dbuf_adds(b, " }\n");
	}
}

char *nft_script(const struct nft_ports *ports, const struct nft_state *cur,
                 const struct nft_set *add, const struct nft_set *del)
{
	struct dbuf b;
	char comment[160], plist[160];
	size_t o = 0;

	if (cur->complete && add->n == 0 && del->n == 0)
		return NULL;
	dbuf_init(&b, 0);
	if (!cur->complete) {
		dbuf_printf(&b, "add table inet %s\n", NFT_TABLE);
		for (unsigned d = NFT_IN; d <= NFT_OUT; d++)
			for (unsigned f = 4; f <= 6; f += 2)
				dbuf_printf(&b, "add set inet %s %s { type %s; }\n", NFT_TABLE,
				            set_name(f, d), f == 4 ? "ipv4_addr" : "ipv6_addr");
		for (size_t c = 0; c < NELEM(chains); c++)
			dbuf_printf(&b,
			            "add chain inet %s %s { type filter hook %s priority filter; "
			            "policy accept; }\n",
			            NFT_TABLE, chains[c], chains[c]);
		for (size_t c = 0; c < NELEM(chains); c++)
			dbuf_printf(&b, "flush chain inet %s %s\n", NFT_TABLE, chains[c]);
		plist[0] = '\0';
		for (size_t i = 0; i < ports->n && o < sizeof(plist); i++)
			o += (size_t)snprintf(plist + o, sizeof(plist) - o, "%s%u", i ? ", " : "",
			                      ports->v[i]);
		nft_rule_comment(ports, comment, sizeof(comment));
		for (size_t r = 0; r < NELEM(rules); r++)
			dbuf_printf(
			    &b,
			    "add rule inet %s %s tcp dport { %s } %s %s @%s drop comment \"%s\"\n",
			    NFT_TABLE, rules[r].chain, plist, rules[r].family == 4 ? "ip" : "ip6",
			    rules[r].dir == NFT_IN ? "daddr" : "saddr",
			    set_name(rules[r].family, rules[r].dir), comment);
	}
	elements(&b, "delete", del);
	elements(&b, "add", add);
	return dbuf_steal(&b);
}
