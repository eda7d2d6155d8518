/*
 * NAME
 *	fuzz_space - libFuzzer target for a scan's saved target space
 * SUMMARY
 *	the space JSON that --resume reads back from the store
 * DESCRIPTION
 *	The input is JSON (json_loadb, any value at top level). When
 *	space_from_json() accepts it, the targets and ports must keep
 *	targets.h's promises (ports 1..65535, ascending without duplicates,
 *	at most RW_SCAN_PORTS_MAX; groups by ascending port within 65535;
 *	within RW_SCAN_ADDRS_MAX), every group it read must have said its
 *	port as an integer, and space_to_json() of what it built must
 *	rebuild the same groups and ports, and print the same JSON again.
 *	When it refuses, the error text must say something.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/limits.h"
#include "../../src/core/xalloc.h"
#include "../../src/scan/space.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			rw_panic("fuzz_space: %s:%d: %s", __FILE__, __LINE__, #cond);              \
	} while (0)

/* check_space - the promises of a built list and its ports */
static void check_space(struct targets *t, const struct targets_ports *ports)
{
	size_t ng;
	const struct targets_group *g = targets_groups(t, &ng);
	uint64_t sum = 0;

	CHECK(ports->n >= 1 && ports->n <= RW_SCAN_PORTS_MAX);
	for (size_t i = 0; i < ports->n; i++) {
		CHECK(ports->port[i] >= 1);
		CHECK(i == 0 || ports->port[i - 1] < ports->port[i]);
	}
	for (size_t i = 0; i < ng; i++) {
		CHECK(g[i].port <= 65535);
		CHECK(i == 0 || g[i - 1].port < g[i].port);
		sum += ipset_size(g[i].set);
		CHECK(sum <= RW_SCAN_ADDRS_MAX);
	}
	CHECK(targets_count(t, 1) == sum);
}

/* same_groups - the same non-empty groups, port by port */
static int same_groups(struct targets *a, struct targets *b)
{
	size_t na, nb, i = 0, k = 0;
	const struct targets_group *ga = targets_groups(a, &na), *gb = targets_groups(b, &nb);

	for (;;) {
		while (i < na && ipset_empty(ga[i].set))
			i++;
		while (k < nb && ipset_empty(gb[k].set))
			k++;
		if (i == na || k == nb)
			return i == na && k == nb;
		if (ga[i].port != gb[k].port || !ipset_equal(ga[i].set, gb[k].set))
			return 0;
		i++, k++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL), *j2, *j3, *grp;
	struct targets *t, *t2;
	struct targets_ports ports, ports2;
	const char *e;
	char *text, *text2;
	size_t i;

	if (j == NULL)
		return 0;
	t = targets_new();
	e = space_from_json(j, t, &ports);
	if (e != NULL) {
		CHECK(e[0] != '\0');
		json_decref(j);
		targets_free(t);
		return 0;
	}
	check_space(t, &ports);
	json_array_foreach(json_object_get(j, "groups"), i, grp)
	    CHECK(json_is_integer(json_object_get(grp, "port")));

	j2 = space_to_json(t, &ports);
	text = json_dumps(j2, JSON_COMPACT);
	CHECK(text != NULL);
	json_decref(j2);
	j2 = json_loads(text, 0, NULL);
	CHECK(j2 != NULL);
	t2 = targets_new();
	e = space_from_json(j2, t2, &ports2);
	CHECK(e == NULL);
	check_space(t2, &ports2);
	CHECK(ports2.n == ports.n);
	CHECK(memcmp(ports2.port, ports.port, ports.n * sizeof(ports.port[0])) == 0);
	CHECK(same_groups(t, t2));
	j3 = space_to_json(t2, &ports2);
	text2 = json_dumps(j3, JSON_COMPACT);
	CHECK(text2 != NULL && strcmp(text, text2) == 0);

	free(text);
	free(text2);
	json_decref(j);
	json_decref(j2);
	json_decref(j3);
	targets_free(t);
	targets_free(t2);
	return 0;
}
