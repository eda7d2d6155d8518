/*
 * test_battery - the relay battery: its catalogue, its expansion, and the
 * safety property that every recipient ends at the operator's canary
 *
 * The safety test expands every row of the full battery for several
 * canaries and targets and asks addr_route, playing the target, where the
 * recipient goes: always to the canary, never to a third party, never
 * local to the target.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/core/limits.h"
#include "../../src/smtp/addr.h"
#include "../../src/smtp/battery.h"

#include <stdio.h>
#include <string.h>

struct target {
	const char *ip, *rawip, *host;
};

static const char *const canaries[] = {
    "canary.example.net", "[192.0.2.1]", "[IPv6:2001:db8::c]",
    "Canary.Example.NET", /* an operator who typed capitals */
};
static const struct target targets[] = {
    {"[127.0.0.5]", "127.0.0.5", "mx.lab.test"},
    {"[IPv6:::1]", "::1", "mx6.lab.test"},
    {"[192.0.2.77]", "192.0.2.77", "MX.Example.ORG"},
};
#define NCANARIES (sizeof(canaries) / sizeof(canaries[0]))
#define NTARGETS  (sizeof(targets) / sizeof(targets[0]))

static void vars_for(const struct battery_test *t, const char *canary, const struct target *tg,
                     char *user, size_t ulen, struct battery_vars *v)
{
	snprintf(user, ulen, "rw-%s", t->id);
	v->user = user;
	v->canary = canary;
	v->ip = tg->ip;
	v->rawip = tg->rawip;
	v->host = tg->host;
	v->me = "scanner.example.org";
	v->domain = "mail.target.example";
	v->parent = "target.example";
}

/* THE safety property: every recipient, read by the target, reaches the canary */
static void test_every_rcpt_ends_at_canary(void **state)
{
	size_t n, checked = 0;
	const struct battery_test *const *full = battery_get("full", &n);
	int bad = 0;

	assert_non_null(full);
	for (size_t i = 0; i < n; i++) {
		for (size_t c = 0; c < NCANARIES; c++) {
			for (size_t t = 0; t < NTARGETS; t++) {
				const char *names[] = {targets[t].host, NULL};
				const char *ips[] = {targets[t].rawip, NULL};
				const struct addr_self self = {.names = names, .ips = ips};
				struct battery_vars v;
				struct addr_route r;
				char user[64], rcpt[RW_PATH_MAX + 1], tricks[128];
				const char *err;

				vars_for(full[i], canaries[c], &targets[t], user, sizeof(user), &v);
				if (battery_expand(full[i]->rcpt_to, &v, rcpt, sizeof(rcpt)) != 0) {
					print_error("%s / %s / %s: rcpt does not expand\n",
					            full[i]->id, canaries[c], targets[t].ip);
					bad++;
					continue;
				}
				err = addr_route(rcpt, &self, &r);
				checked++;
				if (err) {
					print_error("%s: <%s>: got error %s, want the canary\n",
					            full[i]->id, rcpt, err);
					bad++;
				} else if (r.local || !addr_domain_eq(r.domain, canaries[c]) ||
				           strcmp(r.localpart, user) != 0) {
					print_error(
					    "%s: <%s> via %s: got local=%d %s@%s (%s), want "
					    "%s@%s\n",
					    full[i]->id, rcpt, targets[t].host, r.local,
					    r.localpart, r.domain,
					    addr_trick_names(r.tricks, tricks, sizeof(tricks)),
					    user, canaries[c]);
					bad++;
				}
			}
		}
	}
	assert_int_equal(checked, n * NCANARIES * NTARGETS);
	assert_int_equal(bad, 0);
}

/* each recipient row really exercises its trick (canary name, IPv4 target) */
static void test_rows_use_their_trick(void **state)
{
	static const struct {
		const char *id;
		unsigned tricks;
	} want[] = {
	    {"plain", 0},
	    {"null-sender", 0},
	    {"sender-rawip", 0},
	    {"sender-host", 0},
	    {"sender-ip", 0},
	    {"sender-postmaster", 0},
	    {"sender-domain", 0},
	    {"sender-parent", 0},
	    {"sender-unqualified", 0},
	    {"percent-ip", TRICK_PERCENT | TRICK_VIA_SELF},
	    {"percent-host", TRICK_PERCENT | TRICK_VIA_SELF},
	    {"quoted", TRICK_UNQUALIFIED | TRICK_QUOTED},
	    {"quoted-percent", TRICK_UNQUALIFIED | TRICK_QUOTED | TRICK_PERCENT},
	    {"double-at-ip", TRICK_DOUBLE_AT | TRICK_VIA_SELF},
	    {"quoted-ip", TRICK_QUOTED | TRICK_VIA_SELF},
	    {"double-at-host", TRICK_DOUBLE_AT | TRICK_VIA_SELF},
	    {"source-route-ip", TRICK_SRCROUTE | TRICK_VIA_SELF},
	    {"source-route-host", TRICK_SRCROUTE | TRICK_VIA_SELF},
	    {"bang", TRICK_UNQUALIFIED | TRICK_BANG},
	    {"bang-ip", TRICK_BANG | TRICK_VIA_SELF},
	    {"bang-host", TRICK_BANG | TRICK_VIA_SELF},
	    {"unqualified", TRICK_UNQUALIFIED | TRICK_PERCENT},
	    {"trailing-dot", TRICK_TRAILING_DOT},
	    {"upper-case", TRICK_CASE},
	    {"mixed-case", TRICK_CASE},
	    {"helo-host", 0},
	    {"helo-ip", 0},
	};
	size_t n;
	int bad = 0;

	battery_all(&n);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct battery_test *t = battery_by_id(want[i].id);
		const char *names[] = {targets[0].host, NULL};
		const char *ips[] = {targets[0].rawip, NULL};
		const struct addr_self self = {.names = names, .ips = ips};
		struct battery_vars v;
		struct addr_route r;
		char user[64], rcpt[RW_PATH_MAX + 1], got[128], exp[128];

		if (!t) {
			print_error("%s: missing from the table\n", want[i].id);
			bad++;
			continue;
		}
		vars_for(t, canaries[0], &targets[0], user, sizeof(user), &v);
		assert_int_equal(battery_expand(t->rcpt_to, &v, rcpt, sizeof(rcpt)), 0);
		assert_null(addr_route(rcpt, &self, &r));
		if (r.tricks != want[i].tricks) {
			print_error("%s: <%s>: got tricks %s, want %s\n", t->id, rcpt,
			            addr_trick_names(r.tricks, got, sizeof(got)),
			            addr_trick_names(want[i].tricks, exp, sizeof(exp)));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* nmap smtp-open-relay's 16 combinations, in nmap's order, are all there */
static void test_nmap_combinations(void **state)
{
	static const struct {
		const char *from, *to;
	} nmap[] = {
	    {"", "{user}@{canary}"},
	    {"{user}@{rawip}", "{user}@{canary}"},
	    {"{user}@{host}", "{user}@{canary}"},
	    {"{user}@{ip}", "{user}@{canary}"},
	    {"{user}@{ip}", "{user}%{canary}@{ip}"},
	    {"{user}@{ip}", "{user}%{canary}@{host}"},
	    {"{user}@{ip}", "\"{user}@{canary}\""},
	    {"{user}@{ip}", "\"{user}%{canary}\""},
	    {"{user}@{ip}", "{user}@{canary}@{ip}"},
	    {"{user}@{ip}", "\"{user}@{canary}\"@{ip}"},
	    {"{user}@{ip}", "{user}@{canary}@{host}"},
	    {"{user}@{ip}", "@{ip}:{user}@{canary}"},
	    {"{user}@{ip}", "@{host}:{user}@{canary}"},
	    {"{user}@{ip}", "{canary}!{user}"},
	    {"{user}@{ip}", "{canary}!{user}@{ip}"},
	    {"{user}@{ip}", "{canary}!{user}@{host}"},
	};
	size_t n;
	const struct battery_test *all = battery_all(&n);
	int bad = 0;

	for (size_t k = 0; k < sizeof(nmap) / sizeof(nmap[0]); k++) {
		int found = 0;
		char tag[16];

		snprintf(tag, sizeof(tag), "nmap %zu", k + 1);
		for (size_t i = 0; i < n; i++)
			if (!all[i].helo && strcmp(all[i].mail_from, nmap[k].from) == 0 &&
			    strcmp(all[i].rcpt_to, nmap[k].to) == 0) {
				found++;
				if (!strstr(all[i].trick, tag) ||
				    (strstr(all[i].trick, tag)[strlen(tag)] >= '0' &&
				     strstr(all[i].trick, tag)[strlen(tag)] <= '9')) {
					print_error("%s: trick text does not say %s\n", all[i].id,
					            tag);
					bad++;
				}
			}
		if (found != 1) {
			print_error("%s <%s> <%s>: got %d rows, want 1\n", tag, nmap[k].from,
			            nmap[k].to, found);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* the classic relay-tester forms: a recipient, sender or HELO template each */
static void test_classic_forms(void **state)
{
	static const struct {
		const char *helo, *from, *to; /* NULL: any */
	} classic[] = {
	    {NULL, "{user}@{canary}", "{user}@{canary}"},
	    {NULL, NULL, "\"{user}@{canary}\""},
	    {NULL, NULL, "{user}%{canary}@{ip}"},
	    {NULL, NULL, "{user}%{canary}@{host}"},
	    {NULL, NULL, "\"{user}%{canary}\""},
	    {NULL, NULL, "{user}@{canary}@{ip}"},
	    {NULL, NULL, "\"{user}@{canary}\"@{ip}"},
	    {NULL, NULL, "{user}@{canary}@{host}"},
	    {NULL, NULL, "@{ip}:{user}@{canary}"},
	    {NULL, NULL, "@{host}:{user}@{canary}"},
	    {NULL, NULL, "{canary}!{user}"},
	    {NULL, NULL, "{canary}!{user}@{ip}"},
	    {NULL, NULL, "{canary}!{user}@{host}"},
	    {NULL, "{user}@{canary}", "{user}%{canary}"},
	    {NULL, "{user}@{canary}", "{user}@{canary}."},
	    {NULL, "{user}@{canary}", "{user}@{CANARY}"},
	    {NULL, "{user}@{canary}", "{user}@{Canary}"},
	    {NULL, "", "{user}@{canary}"},
	    {NULL, "postmaster@{host}", "{user}@{canary}"},
	    {NULL, "{user}@{ip}", "{user}@{canary}"},
	    {NULL, "{user}", "{user}@{canary}"},
	    {"{host}", "{user}@{canary}", "{user}@{canary}"},
	    {"{ip}", "{user}@{canary}", "{user}@{canary}"},
	};
	size_t n;
	const struct battery_test *all = battery_all(&n);
	int bad = 0;

	for (size_t k = 0; k < sizeof(classic) / sizeof(classic[0]); k++) {
		int found = 0;

		for (size_t i = 0; i < n; i++) {
			if ((classic[k].helo == NULL) != (all[i].helo == NULL))
				continue;
			if (classic[k].helo && strcmp(classic[k].helo, all[i].helo) != 0)
				continue;
			if (classic[k].from && strcmp(classic[k].from, all[i].mail_from) != 0)
				continue;
			if (strcmp(classic[k].to, all[i].rcpt_to) != 0)
				continue;
			found++;
			if (!strstr(all[i].trick, "classic")) {
				print_error("%s: trick text does not say classic\n", all[i].id);
				bad++;
			}
		}
		if (found != 1) {
			print_error("classic %s/<%s>/<%s>: got %d rows, want 1\n",
			            classic[k].helo ? classic[k].helo : "-",
			            classic[k].from ? classic[k].from : "*", classic[k].to, found);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* ids unique and well formed; sets sane; lookup by id and by name */
static void test_catalogue(void **state)
{
	static const char *const quick_ids[] = {
	    "plain",           "null-sender", "sender-postmaster", "percent-ip", "bang-ip",
	    "source-route-ip", "quoted",      "double-at-ip",
	};
	size_t n, nq, nf;
	const struct battery_test *all = battery_all(&n);
	const struct battery_test *const *quick = battery_get("quick", &nq);
	const struct battery_test *const *full = battery_get("full", &nf);
	int bad = 0;

	assert_true(n > 0 && n <= RW_BATTERY_MAX);
	assert_non_null(quick);
	assert_non_null(full);
	for (size_t i = 0; i < n; i++) {
		const char *id = all[i].id;

		if (!id || !*id ||
		    strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(id) ||
		    id[0] == '-' || strlen(id) >= 48) {
			print_error("row %zu: bad id \"%s\"\n", i, id ? id : "(null)");
			bad++;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(all[j].id, id) == 0) {
				print_error("%s: duplicate id\n", id);
				bad++;
			}
		if (!all[i].trick || !*all[i].trick || !all[i].mail_from || !all[i].rcpt_to ||
		    !*all[i].rcpt_to) {
			print_error("%s: missing trick, sender or recipient\n", id);
			bad++;
		}
		if (!(all[i].sets & BATTERY_FULL)) {
			print_error("%s: not in the full battery\n", id);
			bad++;
		}
		if (battery_by_id(id) != &all[i]) {
			print_error("%s: battery_by_id finds another row\n", id);
			bad++;
		}
	}
	/* full is the whole table in order; quick is a subset in table order */
	assert_int_equal(nf, n);
	for (size_t i = 0; i < nf; i++)
		assert_ptr_equal(full[i], &all[i]);
	assert_int_equal(nq, sizeof(quick_ids) / sizeof(quick_ids[0]));
	for (size_t i = 0; i < nq; i++) {
		int in_full = 0;

		for (size_t j = 0; j < nf; j++)
			in_full |= quick[i] == full[j];
		if (!in_full || !(quick[i]->sets & BATTERY_QUICK)) {
			print_error("%s: quick row not in full\n", quick[i]->id);
			bad++;
		}
		if (i > 0 && quick[i] <= quick[i - 1]) {
			print_error("%s: quick not in table order\n", quick[i]->id);
			bad++;
		}
	}
	for (size_t k = 0; k < nq; k++) {
		const struct battery_test *t = battery_by_id(quick_ids[k]);

		if (!t || !(t->sets & BATTERY_QUICK)) {
			print_error("%s: want it in the quick battery\n", quick_ids[k]);
			bad++;
		}
	}
	assert_null(battery_by_id("no-such-test"));
	assert_null(battery_by_id(NULL));
	n = 99;
	assert_null(battery_get("medium", &n));
	assert_int_equal(n, 0);
	assert_null(battery_get(NULL, &n));
	assert_int_equal(bad, 0);
}

/* every template of every row expands for every var set, within a path */
static void test_rows_expand(void **state)
{
	size_t n;
	const struct battery_test *all = battery_all(&n);
	int bad = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; c < NCANARIES; c++)
			for (size_t t = 0; t < NTARGETS; t++) {
				struct battery_vars v;
				char user[64], out[RW_PATH_MAX + 1];
				const char *tmpl[] = {all[i].mail_from, all[i].rcpt_to,
				                      all[i].helo ? all[i].helo : "{me}"};

				vars_for(&all[i], canaries[c], &targets[t], user, sizeof(user), &v);
				for (size_t k = 0; k < 3; k++)
					if (battery_expand(tmpl[k], &v, out, sizeof(out)) != 0 ||
					    (k > 0 && !*out) || strpbrk(out, "{}<>\r\n ")) {
						print_error("%s: template \"%s\" gives \"%s\"\n",
						            all[i].id, tmpl[k], out);
						bad++;
					}
			}
	assert_int_equal(bad, 0);
}

/* battery_expand itself: a table of templates, variables and results */
static void test_expand(void **state)
{
#define STD                                                                                        \
	{                                                                                          \
		.user = "rw-plain", .canary = "canary.example.net", .ip = "[192.0.2.7]",           \
		.rawip = "192.0.2.7", .host = "mx.lab.test", .me = "scanner.example.org"           \
	}
	static const struct battery_vars std = STD;
	static const struct {
		const char *name, *tmpl;
		struct battery_vars v;
		size_t outlen; /* 0: a large buffer */
		int rc;
		const char *want;
	} cases[] = {
	    {"no placeholder", "postmaster", STD, 0, 0, "postmaster"},
	    {"no domain: not run", "{user}@{domain}", STD, 0, -1, ""},
	    {"domain", "{user}@{domain}", {.user = "u", .domain = "mx.lab.test"}, 0, 0, "u@mx.lab.test"},
	    {"parent", "{user}@{parent}", {.user = "u", .parent = "lab.test"}, 0, 0, "u@lab.test"},
	    {"domain with a hop", "{user}@{domain}", {.user = "u", .domain = "a@b"}, 0, -1, ""},
	    {"empty", "", STD, 0, 0, ""},
	    {"user at canary", "{user}@{canary}", STD, 0, 0, "rw-plain@canary.example.net"},
	    {"upper", "{user}@{CANARY}", STD, 0, 0, "rw-plain@CANARY.EXAMPLE.NET"},
	    {"mixed", "{user}@{Canary}", STD, 0, 0, "rw-plain@Canary.Example.Net"},
	    {"mixed from capitals",
	     "{Canary}",
	     {.canary = "cANARY.EXAMPLE.NET"},
	     0,
	     0,
	     "Canary.Example.Net"},
	    {"upper literal",
	     "{CANARY}",
	     {.canary = "[IPv6:2001:db8::c]"},
	     0,
	     0,
	     "[IPV6:2001:DB8::C]"},
	    {"all", "{user}|{canary}|{ip}|{rawip}|{host}|{me}", STD, 0, 0,
	     "rw-plain|canary.example.net|[192.0.2.7]|192.0.2.7|mx.lab.test|"
	     "scanner.example.org"},
	    {"v6 target",
	     "@{ip}:{user}@{canary}",
	     {.user = "u", .canary = "c.example", .ip = "[IPv6:::1]"},
	     0,
	     0,
	     "@[IPv6:::1]:u@c.example"},
	    {"v6 rawip", "{rawip}", {.rawip = "2001:db8::1"}, 0, 0, "2001:db8::1"},
	    {"exact fit", "{user}", STD, 9, 0, "rw-plain"},
	    {"one short", "{user}", STD, 8, -1, ""},
	    {"literal overflow", "abcdef", STD, 6, -1, ""},
	    {"one-byte buffer", "x", STD, 1, -1, ""},
	    {"unknown placeholder", "{user}@{domain}", STD, 0, -1, ""},
	    {"wrong case placeholder", "{User}", STD, 0, -1, ""},
	    {"unclosed", "{user", STD, 0, -1, ""},
	    {"empty placeholder", "{}", STD, 0, -1, ""},
	    {"missing variable", "{host}", {.user = "u"}, 0, -1, ""},
	    {"empty variable", "{host}", {.host = ""}, 0, -1, ""},
	    {"host with crlf", "{host}", {.host = "mx\r\nRCPT TO:<x@evil.example>"}, 0, -1, ""},
	    {"host with at", "{host}", {.host = "evil.example:u@x"}, 0, -1, ""},
	    {"host with space", "{host}", {.host = "mx lab"}, 0, -1, ""},
	    {"canary with bracket", "{canary}", {.canary = "x>evil"}, 0, -1, ""},
	    {"canary literal junk", "{canary}", {.canary = "[1.2.3.4]@evil"}, 0, -1, ""},
	    {"user with percent", "{user}", {.user = "a%evil.example"}, 0, -1, ""},
	    {"user with bang", "{user}", {.user = "evil!a"}, 0, -1, ""},
	    {"user with quote", "{user}", {.user = "a\"b"}, 0, -1, ""},
	    {"rawip with letters", "{rawip}", {.rawip = "evil.example"}, 0, -1, ""},
	    {"ip not literal", "{ip}", {.ip = "[1.2.3.4"}, 0, -1, ""},
	    {"host underscore ok", "{host}", {.host = "mx_1.lab-2.test"}, 0, 0, "mx_1.lab-2.test"},
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[512];
		size_t len = cases[i].outlen ? cases[i].outlen : sizeof(out);
		int rc;

		memset(out, 'X', sizeof(out));
		rc = battery_expand(cases[i].tmpl, &cases[i].v, out, len);
		if (rc != cases[i].rc || strcmp(out, cases[i].want) != 0) {
			print_error("%s: got %d \"%.*s\", want %d \"%s\"\n", cases[i].name, rc,
			            (int)strnlen(out, len), out, cases[i].rc, cases[i].want);
			bad++;
		}
		if (strnlen(out, len) >= len) {
			print_error("%s: not terminated within outlen\n", cases[i].name);
			bad++;
		}
	}
	assert_int_equal(battery_expand("x", &std, NULL, 10), -1);
	assert_int_equal(bad, 0);
#undef STD
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_rcpt_ends_at_canary),
	    cmocka_unit_test(test_rows_use_their_trick),
	    cmocka_unit_test(test_nmap_combinations),
	    cmocka_unit_test(test_classic_forms),
	    cmocka_unit_test(test_catalogue),
	    cmocka_unit_test(test_rows_expand),
	    cmocka_unit_test(test_expand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
