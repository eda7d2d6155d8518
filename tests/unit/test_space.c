/*
 * test_space - a scan's space survives the JSON round trip: the same
 * groups, ports and indexes (what --resume depends on); bad JSON refused
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/scan/sched.h"
#include "../../src/scan/space.h"

/* add - one spec on a port */
static void add(struct targets *t, const char *spec, unsigned port)
{
	struct ipset_range r;

	assert_null(ipset_range_parse(spec, &r));
	assert_null(targets_add(t, &r, port));
}

static void test_round_trip(void **state)
{
	struct targets *a = targets_new(), *b = targets_new();
	struct targets_ports pa = {.n = 2, .port = {25, 587}}, pb = {0};
	struct sched_config ca = {.ports = &pa, .seed = 3, .concurrency = 1}, cb;
	struct sched *sa, *sb;
	const char *err;
	json_t *j;
	char *text;

	(void)state;
	add(a, "192.0.2.0/28", 0);
	add(a, "192.0.2.200-192.0.2.210", 0);
	add(a, "2001:db8::1", 0);
	add(a, "198.51.100.7", 2525);
	j = space_to_json(a, &pa);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	j = json_loads(text, 0, NULL);
	assert_null(space_from_json(j, b, &pb));
	json_decref(j);
	assert_int_equal(pb.n, 2);
	assert_int_equal(pb.port[1], 587);
	ca.targets = a;
	cb = ca;
	cb.targets = b;
	cb.ports = &pb;
	sa = sched_new(&ca, &err);
	sb = sched_new(&cb, &err);
	for (uint64_t i = 0; i < (16 + 11 + 1) * 2 + 1; i++) {
		struct ipset_addr x, y;
		unsigned px, py;

		assert_int_equal(sched_locate(sa, i, &x, &px), 0);
		assert_int_equal(sched_locate(sb, i, &y, &py), 0);
		assert_int_equal(px, py);
		assert_int_equal(x.fam, y.fam);
		assert_true(x.v.hi == y.v.hi && x.v.lo == y.v.lo);
	}
	sched_free(sa);
	sched_free(sb);
	free(text);
	targets_free(a);
	targets_free(b);
}

/* --probe smtp,proxy: the probes of each port and of the targets' own
 * ports survive the round trip, and the walk is the same */
static void test_probes(void **state)
{
	struct targets *a = targets_new(), *b = targets_new();
	struct targets_ports pa = {.n = 3,
	                           .port = {25, 25, 3128},
	                           .probe = {TARGETS_PROBE_SMTP, TARGETS_PROBE_PROXY,
	                                     TARGETS_PROBE_PROXY},
	                           .gprobes = 3},
	                     pb = {0};
	struct sched_config ca = {.ports = &pa, .seed = 5, .concurrency = 1}, cb;
	struct sched *sa, *sb;
	const char *err;
	json_t *j;

	(void)state;
	add(a, "192.0.2.0/29", 0);
	add(a, "198.51.100.7", 8080);
	j = space_to_json(a, &pa);
	assert_null(space_from_json(j, b, &pb));
	json_decref(j);
	assert_int_equal(pb.n, 3);
	assert_int_equal(pb.gprobes, 3);
	assert_memory_equal(pb.probe, pa.probe, 3);
	ca.targets = a;
	cb = ca;
	cb.targets = b;
	cb.ports = &pb;
	sa = sched_new(&ca, &err);
	sb = sched_new(&cb, &err);
	for (uint64_t i = 0; i < 8 * 3 + 2; i++) {
		struct ipset_addr x, y;
		unsigned px, py, qx, qy;

		assert_int_equal(sched_locate_probe(sa, i, &x, &px, &qx), 0);
		assert_int_equal(sched_locate_probe(sb, i, &y, &py, &qy), 0);
		assert_int_equal(px, py);
		assert_int_equal(qx, qy);
		assert_true(x.v.lo == y.v.lo);
	}
	sched_free(sa);
	sched_free(sb);
	targets_free(a);
	targets_free(b);
	/* a saved space with an unknown probe is refused */
	j = json_loads("{\"ports\":[25],\"probes\":[\"ftp\"],\"groups\":[]}", 0, NULL);
	a = targets_new();
	assert_non_null(space_from_json(j, a, &pb));
	json_decref(j);
	targets_free(a);
}

static void test_bad(void **state)
{
	const char *bad[] = {
	    "{}", "{\"ports\":[],\"groups\":[]}", "{\"ports\":[70000],\"groups\":[]}",
	    "{\"ports\":[25],\"groups\":[{\"port\":0,\"ranges\":[\"nope\"]}]}",
	    "{\"ports\":[25],\"groups\":[{\"port\":0,\"ranges\":[5]}]}",
	    /* found by fuzz_space (seeds group_without_port and
	     * duplicate_ports): a group without an integer port
	     * became port 0, every port; ports out of order or
	     * twice broke targets_ports' promise */
	    "{\"ports\":[25],\"groups\":[{\"ranges\":[\"192.0.2.1\"]}]}",
	    "{\"ports\":[25],\"groups\":[{\"port\":\"587\",\"ranges\":[]}]}",
	    "{\"ports\":[25],\"groups\":[{\"port\":25.0,\"ranges\":[]}]}",
	    "{\"ports\":[25,25],\"groups\":[]}", "{\"ports\":[587,25],\"groups\":[]}"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct targets *t = targets_new();
		struct targets_ports p;
		json_t *j = json_loads(bad[i], 0, NULL);

		assert_non_null(j);
		assert_non_null(space_from_json(j, t, &p));
		json_decref(j);
		targets_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_probes),
	    cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
