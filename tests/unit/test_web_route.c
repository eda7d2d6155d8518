/*
 * test_web_route - the console's routing table: which row answers which
 * (method, path), whole path segments only, the catch-all after the API's
 * rows (401 before 404), /metrics open to loopback
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../src/web/web_int.h"

static void test_find(void **state)
{
	static const struct {
		unsigned method;
		const char *path;
		const char *want; /* route name, NULL: none */
		enum web_role role;
	} cases[] = {
	    {EVHTTP_REQ_GET, "/api/v1/scans", "scans", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_GET, "/api/v1/scans/", "scans", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_GET, "/api/v1/scans/7/results", "scans", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_HEAD, "/api/v1/scans", "scans", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_GET, "/api/v1/scansX", "api", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_POST, "/api/v1/scans", "api", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_GET, "/api/v1/incidents/3", "incidents", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_GET, "/api/v1/hosts/2001:db8::1", "hosts", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_GET, "/api/v1/blocks", "blocks", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_GET, "/api/v1/blocks/1", "api", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_GET, "/api/v1/dnsbl", "dnsbl", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_GET, "/api/v1/openapi.json", "openapi", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_GET, "/api/v1/nothing", "api", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_GET, "/api/v1", "api", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_GET, "/api/v10/scans", NULL, WEB_ROLE_NONE},
	    {EVHTTP_REQ_GET, "/metrics", "metrics", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_GET, "/metrics/x", NULL, WEB_ROLE_NONE},
	    {EVHTTP_REQ_POST, "/metrics", NULL, WEB_ROLE_NONE},
	    {EVHTTP_REQ_GET, "/", "overview", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_GET, "/incidents/3", "page-incidents", WEB_ROLE_VIEWER},
	    {EVHTTP_REQ_POST, "/incidents/3/note", "incident-form", WEB_ROLE_OPERATOR},
	    {EVHTTP_REQ_GET, "/owner/1-00", "owner", WEB_ROLE_NONE},
	    {EVHTTP_REQ_GET, "/static/style.css", "css", WEB_ROLE_NONE},
	    {EVHTTP_REQ_GET, "", NULL, WEB_ROLE_NONE},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct web_route *r = web_route_find(cases[i].method, cases[i].path);
		const char *got = r ? r->name : "(none)", *want = cases[i].want;

		if (strcmp(got, want ? want : "(none)") != 0)
			fail_msg("%s: got %s, want %s", cases[i].path, got, want ? want : "(none)");
		if (r && r->min_role != cases[i].role)
			fail_msg("%s: got role %d, want %d", cases[i].path, (int)r->min_role,
			         (int)cases[i].role);
	}
	/* only /metrics is open to loopback peers */
	assert_true(web_route_find(EVHTTP_REQ_GET, "/metrics")->flags & ROUTE_LOOPBACK);
	assert_false(web_route_find(EVHTTP_REQ_GET, "/api/v1/scans")->flags & ROUTE_LOOPBACK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
