/*
 * test_addr - where a permissive MTA routes each mailbox form
 *
 * One table of {name, path, self, want}; each failure prints "case: got
 * X, want Y" and the test fails once at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/smtp/addr.h"

#include <stdio.h>
#include <string.h>

static const char *const names4[] = {"mx.lab.test", "mx", NULL};
static const char *const ips4[] = {"127.0.0.5", "2001:db8::25", NULL};
static const struct addr_self self_lab = {.names = names4, .ips = ips4};
/* addresses given in literal form are accepted too */
static const char *const ips_lit[] = {"[192.0.2.7]", "[IPv6:::1]", NULL};
static const struct addr_self self_lit = {.names = NULL, .ips = ips_lit};

enum { S_LAB, S_LIT, S_NONE };
static const struct addr_self *const selves[] = {
    [S_LAB] = &self_lab,
    [S_LIT] = &self_lit,
    [S_NONE] = NULL,
};

#define SR TRICK_SRCROUTE
#define PC TRICK_PERCENT
#define BG TRICK_BANG
#define QU TRICK_QUOTED
#define DA TRICK_DOUBLE_AT
#define UQ TRICK_UNQUALIFIED
#define TD TRICK_TRAILING_DOT
#define CS TRICK_CASE
#define VS TRICK_VIA_SELF

/* an error case: the path and the error text expected */
#define ERR(name, path, err)                                                                       \
	{                                                                                          \
		name, path, S_LAB, err, 0, "", "", 0                                               \
	}

struct route_case {
	const char *name;
	const char *path;
	int self;
	const char *err; /* expected error text, or NULL */
	int local;
	const char *domain; /* compared exactly */
	const char *localpart;
	unsigned tricks;
};

static const struct route_case cases[] = {
    /* plain forms */
    {"remote", "user@canary.example.net", S_LAB, NULL, 0, "canary.example.net", "user", 0},
    {"local by name", "user@mx.lab.test", S_LAB, NULL, 1, "", "user", 0},
    {"local by short name", "user@MX", S_LAB, NULL, 1, "", "user", 0},
    {"local by name, case", "user@MX.Lab.Test", S_LAB, NULL, 1, "", "user", 0},
    {"local by name, dot", "user@mx.lab.test.", S_LAB, NULL, 1, "", "user", 0},
    {"local by literal", "user@[127.0.0.5]", S_LAB, NULL, 1, "", "user", 0},
    {"local by v6 literal", "user@[IPv6:2001:db8::25]", S_LAB, NULL, 1, "", "user", 0},
    {"local by v6 literal, long", "user@[IPv6:2001:DB8:0:0::25]", S_LAB, NULL, 1, "", "user", 0},
    {"local by v6 literal, tag case", "user@[ipv6:2001:db8::25]", S_LAB, NULL, 1, "", "user", 0},
    {"local by v4-mapped literal", "user@[IPv6:::ffff:127.0.0.5]", S_LAB, NULL, 1, "", "user", 0},
    {"local by bracketed self ip", "user@[192.0.2.7]", S_LIT, NULL, 1, "", "user", 0},
    {"local by bracketed v6 self", "user@[IPv6:0::1]", S_LIT, NULL, 1, "", "user", 0},
    {"other literal", "user@[127.0.0.6]", S_LAB, NULL, 0, "[127.0.0.6]", "user", 0},
    {"name is no literal", "user@[mx.lab.test]", S_LAB, NULL, 0, "[mx.lab.test]", "user", 0},
    {"no self", "user@mx.lab.test", S_NONE, NULL, 0, "mx.lab.test", "user", 0},
    {"literal canary", "user@[192.0.2.1]", S_LAB, NULL, 0, "[192.0.2.1]", "user", 0},
    {"v6 literal canonical", "user@[IPV6:2001:DB8::1]", S_LAB, NULL, 0, "[IPv6:2001:db8::1]",
     "user", 0},
    {"trailing dot", "user@canary.example.net.", S_LAB, NULL, 0, "canary.example.net", "user", TD},
    {"upper case", "user@CANARY.EXAMPLE.NET", S_LAB, NULL, 0, "canary.example.net", "user", CS},
    {"mixed case, dot", "user@Canary.Example.Net.", S_LAB, NULL, 0, "canary.example.net", "user",
     CS | TD},
    {"literal, dot", "user@[192.0.2.1].", S_LAB, NULL, 0, "[192.0.2.1]", "user", TD},

    /* percent hack */
    {"percent at name", "user%canary.example.net@mx.lab.test", S_LAB, NULL, 0, "canary.example.net",
     "user", PC | VS},
    {"percent at literal", "user%canary.example.net@[127.0.0.5]", S_LAB, NULL, 0,
     "canary.example.net", "user", PC | VS},
    {"percent at v6 literal", "user%canary.example.net@[IPv6:2001:db8::25]", S_LAB, NULL, 0,
     "canary.example.net", "user", PC | VS},
    {"percent rightmost", "a%b.example%c.example@mx", S_LAB, NULL, 0, "c.example", "a%b.example",
     PC | VS},
    {"percent back to self", "user%mx.lab.test@mx.lab.test", S_LAB, NULL, 1, "", "user", PC | VS},
    {"percent at other host", "user%canary@other.example", S_LAB, NULL, 0, "other.example",
     "user%canary", 0},
    {"unqualified percent", "user%canary.example.net", S_LAB, NULL, 0, "canary.example.net", "user",
     UQ | PC},
    {"percent, upper canary", "user%CANARY.example.net@mx", S_LAB, NULL, 0, "canary.example.net",
     "user", PC | VS | CS},

    /* bang paths */
    {"bang", "canary.example.net!user", S_LAB, NULL, 0, "canary.example.net", "user", UQ | BG},
    {"bang at literal", "canary.example.net!user@[127.0.0.5]", S_LAB, NULL, 0, "canary.example.net",
     "user", BG | VS},
    {"bang at name", "canary.example.net!user@mx.lab.test", S_LAB, NULL, 0, "canary.example.net",
     "user", BG | VS},
    {"bang chain", "a.example!b.example!user", S_LAB, NULL, 0, "a.example", "b.example!user",
     UQ | BG},
    {"bang self first", "mx.lab.test!canary.example.net!user", S_LAB, NULL, 0, "canary.example.net",
     "user", UQ | BG | VS},
    {"bang to self", "mx!user", S_LAB, NULL, 1, "", "user", UQ | BG | VS},
    {"bang literal canary", "[192.0.2.1]!user", S_LAB, NULL, 0, "[192.0.2.1]", "user", UQ | BG},
    {"bang at other host", "canary!user@other.example", S_LAB, NULL, 0, "other.example",
     "canary!user", 0},

    /* quoted local parts */
    {"quoted", "\"user@canary.example.net\"", S_LAB, NULL, 0, "canary.example.net", "user",
     UQ | QU},
    {"quoted percent", "\"user%canary.example.net\"", S_LAB, NULL, 0, "canary.example.net", "user",
     UQ | QU | PC},
    {"quoted at literal", "\"user@canary.example.net\"@[127.0.0.5]", S_LAB, NULL, 0,
     "canary.example.net", "user", QU | VS},
    {"quoted at name", "\"user@canary.example.net\"@mx.lab.test", S_LAB, NULL, 0,
     "canary.example.net", "user", QU | VS},
    {"quoted plain at self", "\"user\"@mx.lab.test", S_LAB, NULL, 1, "", "user", QU | VS},
    {"quoted at other host", "\"user@x\"@canary.example.net", S_LAB, NULL, 0, "canary.example.net",
     "user@x", 0},
    {"quoted pair", "\"us\\\"er\"@canary.example.net", S_LAB, NULL, 0, "canary.example.net",
     "us\"er", 0},
    {"quoted unqualified plain", "\"postmaster\"", S_LAB, NULL, 1, "", "postmaster", UQ | QU},

    /* double at */
    {"double at literal", "user@canary.example.net@[127.0.0.5]", S_LAB, NULL, 0,
     "canary.example.net", "user", DA | VS},
    {"double at name", "user@canary.example.net@mx.lab.test", S_LAB, NULL, 0, "canary.example.net",
     "user", DA | VS},
    {"double at other host", "user@canary@other.example", S_LAB, NULL, 0, "other.example",
     "user@canary", 0},
    {"triple at", "user@canary.example.net@mx@[127.0.0.5]", S_LAB, NULL, 0, "canary.example.net",
     "user", DA | VS},

    /* source routes */
    {"route via name", "@mx.lab.test:user@canary.example.net", S_LAB, NULL, 0, "canary.example.net",
     "user", SR | VS},
    {"route via literal", "@[127.0.0.5]:user@canary.example.net", S_LAB, NULL, 0,
     "canary.example.net", "user", SR | VS},
    {"route via v6 literal", "@[IPv6:2001:db8::25]:user@canary.example.net", S_LAB, NULL, 0,
     "canary.example.net", "user", SR | VS},
    {"route via v6 self (literal ips)", "@[IPv6:::1]:user@canary.example.net", S_LIT, NULL, 0,
     "canary.example.net", "user", SR | VS},
    {"route via dotted name", "@mx.lab.test.:user@canary.example.net", S_LAB, NULL, 0,
     "canary.example.net", "user", SR | VS},
    {"route chain", "@mx.lab.test,@relay.example:user@canary.example.net", S_LAB, NULL, 0,
     "relay.example", "user@canary.example.net", SR | VS},
    {"route elsewhere", "@relay.example:user@canary.example.net", S_LAB, NULL, 0, "relay.example",
     "user@canary.example.net", SR},
    {"route all self", "@mx.lab.test,@[127.0.0.5]:user@mx", S_LAB, NULL, 1, "", "user", SR | VS},
    {"route then percent", "@mx:user%canary.example.net@mx", S_LAB, NULL, 0, "canary.example.net",
     "user", SR | VS | PC},

    /* unqualified */
    {"unqualified", "postmaster", S_LAB, NULL, 1, "", "postmaster", UQ},
    {"unqualified, no self", "rw-x", S_NONE, NULL, 1, "", "rw-x", UQ},

    /* rounds: 7 self-percents fit in 8 rounds, 8 do not */
    {"seven rounds", "u%mx%mx%mx%mx%mx%mx%mx@mx", S_LAB, NULL, 1, "", "u", PC | VS},
    ERR("too many rounds", "u%mx%mx%mx%mx%mx%mx%mx%mx@mx", "too many rewriting rounds"),

    /* errors */
    ERR("empty", "", "empty path"),
    ERR("unbalanced quote", "\"user@canary.example.net", "unbalanced quotes"),
    ERR("unbalanced quote late", "user\"@canary.example.net", "unbalanced quotes"),
    ERR("unbalanced after unquote", "\"a\\\"b\"@mx", "unbalanced quotes"),
    ERR("empty quoted", "\"\"", "empty address"),
    ERR("empty domain", "user@", "empty domain"),
    ERR("dot domain", "user@.", "empty domain"),
    ERR("route without colon", "@mx.lab.test", "bad source route"),
    ERR("route empty hop", "@:user@canary.example.net", "bad source route"),
    ERR("route empty rest", "@relay.example:", "bad source route"),
    ERR("route comma without at", "@mx,relay:user@canary", "bad source route"),
    ERR("route open bracket", "@[IPv6:2001:db8::25:user@canary", "bad source route"),
    ERR("bang empty host", "!user", "bad bang path"),
    ERR("bang empty user", "canary.example.net!", "bad bang path"),
    ERR("bang empty user at self", "canary!@mx", "bad bang path"),
};

static void test_route(void **state)
{
	int bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct route_case *c = &cases[i];
		struct addr_route r;
		const char *err;
		char got[128], want[128];

		memset(&r, 0x55, sizeof(r));
		err = addr_route(c->path, selves[c->self], &r);
		if (c->err) {
			if (!err || strcmp(err, c->err) != 0) {
				print_error("%s: got error \"%s\", want \"%s\"\n", c->name,
				            err ? err : "(none)", c->err);
				bad++;
			} else if (r.local || r.domain[0] || r.localpart[0] || r.tricks) {
				print_error("%s: out not cleared on error\n", c->name);
				bad++;
			}
			continue;
		}
		if (err) {
			print_error("%s: got error \"%s\", want none\n", c->name, err);
			bad++;
			continue;
		}
		if (r.local != c->local || strcmp(r.domain, c->domain) != 0 ||
		    strcmp(r.localpart, c->localpart) != 0) {
			print_error(
			    "%s: got local=%d domain=%s lp=%s, want local=%d domain=%s lp=%s\n",
			    c->name, r.local, r.domain, r.localpart, c->local, c->domain,
			    c->localpart);
			bad++;
		}
		if (r.tricks != c->tricks) {
			print_error("%s: got tricks %s, want %s\n", c->name,
			            addr_trick_names(r.tricks, got, sizeof(got)),
			            addr_trick_names(c->tricks, want, sizeof(want)));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* length limits: exactly RW_PATH_MAX is read, one more is refused; NULL path */
static void test_limits(void **state)
{
	char path[RW_PATH_MAX + 2];
	struct addr_route r;

	memset(path, 'a', sizeof(path));
	memcpy(path, "u@", 2);
	path[RW_PATH_MAX] = '\0';
	assert_null(addr_route(path, &self_lab, &r));
	assert_int_equal(strlen(r.domain), RW_PATH_MAX - 2);
	path[RW_PATH_MAX] = 'a';
	path[RW_PATH_MAX + 1] = '\0';
	assert_string_equal(addr_route(path, &self_lab, &r), "path too long");
	assert_string_equal(addr_route(NULL, &self_lab, &r), "empty path");
}

static void test_domain_eq(void **state)
{
	static const struct {
		const char *a, *b;
		int want;
	} eq[] = {
	    {"canary.example.net", "canary.example.net", 1},
	    {"Canary.EXAMPLE.net", "canary.example.net", 1},
	    {"canary.example.net.", "canary.example.net", 1},
	    {"canary.example.net.", "CANARY.example.net.", 1},
	    {"canary.example.net..", "canary.example.net", 0},
	    {"canary.example.ne", "canary.example.net", 0},
	    {"xcanary.example.net", "canary.example.net", 0},
	    {"[192.0.2.1]", "[192.0.2.1]", 1},
	    {"[192.0.2.1].", "[192.0.2.1]", 1},
	    {"[192.0.2.1]", "[192.0.2.2]", 0},
	    {"[IPv6:::1]", "[IPv6:0:0::1]", 1},
	    {"[IPV6:2001:DB8::1]", "[ipv6:2001:db8:0::1]", 1},
	    {"[IPv6:::ffff:192.0.2.1]", "[192.0.2.1]", 1},
	    {"[192.0.2.1]", "192.0.2.1", 0},
	    {"[bogus]", "[BOGUS]", 1},
	    {"[bogus]", "[bogus2]", 0},
	    {"", "", 1},
	    {"a", "", 0},
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(eq) / sizeof(eq[0]); i++) {
		int got = addr_domain_eq(eq[i].a, eq[i].b), rev = addr_domain_eq(eq[i].b, eq[i].a);

		if (got != eq[i].want || rev != eq[i].want) {
			print_error("%s = %s: got %d/%d, want %d\n", eq[i].a, eq[i].b, got, rev,
			            eq[i].want);
			bad++;
		}
	}
	assert_int_equal(addr_domain_eq(NULL, "a"), 0);
	assert_int_equal(addr_domain_eq("a", NULL), 0);
	assert_int_equal(bad, 0);
}

static void test_is_literal(void **state)
{
	assert_true(addr_is_literal("[192.0.2.1]"));
	assert_true(addr_is_literal("[IPv6:::1]"));
	assert_false(addr_is_literal("[]"));
	assert_false(addr_is_literal("192.0.2.1"));
	assert_false(addr_is_literal("[192.0.2.1"));
	assert_false(addr_is_literal("canary.example.net"));
	assert_false(addr_is_literal(""));
	assert_false(addr_is_literal(NULL));
}

static void test_trick_names(void **state)
{
	char buf[256], small[12];

	assert_string_equal(addr_trick_names(0, buf, sizeof(buf)), "");
	assert_string_equal(addr_trick_names(PC | VS, buf, sizeof(buf)), "percent,via-self");
	assert_string_equal(addr_trick_names(0x1ff, buf, sizeof(buf)),
	                    "source-route,percent,bang,quoted,double-at,unqualified,"
	                    "trailing-dot,case,via-self");
	assert_string_equal(addr_trick_names(1u << 20 | BG, buf, sizeof(buf)), "bang");
	/* a name that does not fit is dropped whole */
	assert_string_equal(addr_trick_names(PC | BG | QU, small, sizeof(small)), "percent");
	assert_string_equal(addr_trick_names(PC, buf, 0), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_route),       cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_domain_eq),   cmocka_unit_test(test_is_literal),
	    cmocka_unit_test(test_trick_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
