/*
 * NAME
 *	results_vantage - one scan's results side by side per vantage
 * SUMMARY
 *	relaywatch results SCAN-ID --by-vantage [--json]
 * SYNOPSIS
 *	int results_by_vantage(struct store *st, int64_t scan, int json);
 * DESCRIPTION
 *	Reads every result of the scan (store_results_list, a page at a
 *	time), groups them by (target, port, probe) and prints one line per
 *	group: the verdict each vantage saw ("-": none yet) and the exposure:
 *	"open-to-all" (open or suspect from every vantage that has a
 *	result), "open-from-some" (e.g. open from inside, closed from
 *	outside: a relay open only to "trusted" networks), "not-open".
 *	--json gives one object per group: {"target", "port", "probe",
 *	"verdicts": {VANTAGE: VERDICT}, "exposure"}. The vantage "" (a scan
 *	not planned per vantage) is shown as "(any)".
 * DIAGNOSTICS
 *	-1 and the store's error on stderr.
 * LIMITS
 *	holds the scan's keys and verdicts in memory (about 100 bytes per
 *	result); RW_WORKER_VANTAGES_MAX vantages get a column, more are
 *	counted in the exposure only.
 */
#include "results_vantage.h"

#include "../core/limits.h"
#include "../core/xalloc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One result, reduced. */
struct row {
	char *key; /* "target\tport\tprobe" */
	char *target, *probe;
	unsigned port;
	char *vantage, *verdict;
};

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->vantage, y->vantage);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* is_open - a verdict that means relaying (or proxying) was accepted */
static int is_open(const char *v)
{
	return strcmp(v, "open") == 0 || strcmp(v, "suspect") == 0;
}

int results_by_vantage(struct store *st, int64_t scan, int json)
{
	struct store_page pg = {.limit = RW_STORE_PAGE_MAX, .offset = 0};
	struct row *v = NULL;
	size_t n = 0, cap = 0, nvan = 0;
	char *van[RW_WORKER_VANTAGES_MAX];
	int rc = 0;

	for (;;) {
		struct store_results l = {0};

		if (store_results_list(st, scan, NULL, &pg, &l) < 0) {
			fprintf(stderr, "relaywatch results: %s\n", store_error(st));
			rc = -1;
			goto out;
		}
		for (size_t i = 0; i < l.n; i++) {
			const struct store_result *r = &l.v[i];
			const char *vt = r->vantage ? r->vantage : "";
			size_t k = 0;

			if (n == cap)
				v = xrealloc(v, (cap = cap ? 2 * cap : 256) * sizeof(*v));
			v[n].target = xstrdup(r->target);
			v[n].probe = xstrdup(r->probe ? r->probe : "smtp");
			v[n].port = r->port;
			v[n].key = xasprintf("%s\t%05u\t%s", r->target, r->port, v[n].probe);
			v[n].vantage = xstrdup(vt);
			v[n].verdict = xstrdup(r->verdict);
			n++;
			while (k < nvan && strcmp(van[k], vt) != 0)
				k++;
			if (k == nvan && nvan < RW_WORKER_VANTAGES_MAX)
				van[nvan++] = xstrdup(vt);
		}
		size_t got = l.n;
		store_results_free(&l);
		if (got < (size_t)pg.limit)
			break;
		pg.offset += pg.limit;
	}
	qsort(v, n, sizeof(*v), cmp_row);
	qsort(van, nvan, sizeof(*van), cmp_str);
	if (!json) {
		printf("%-28s %-6s", "TARGET", "PROBE");
		for (size_t k = 0; k < nvan; k++)
			printf(" %-14s", van[k][0] ? van[k] : "(any)");
		printf(" EXPOSURE\n");
	}
	for (size_t i = 0; i < n;) {
		size_t j = i, opened = 0;
		const char *col[RW_WORKER_VANTAGES_MAX] = {0};
		const char *exposure;

		while (j < n && strcmp(v[j].key, v[i].key) == 0) {
			for (size_t k = 0; k < nvan; k++)
				if (strcmp(van[k], v[j].vantage) == 0)
					col[k] = v[j].verdict;
			opened += is_open(v[j].verdict);
			j++;
		}
		exposure = opened == 0       ? "not-open"
		           : opened == j - i ? "open-to-all"
		                             : "open-from-some";
		if (json) {
			json_t *o = json_pack("{s:s, s:i, s:s, s:{}, s:s}", "target", v[i].target,
			                      "port", (int)v[i].port, "probe", v[i].probe,
			                      "verdicts", "exposure", exposure);
			json_t *vd = json_object_get(o, "verdicts");
			char *line;

			for (size_t k = i; k < j; k++)
				json_object_set_new(vd, v[k].vantage, json_string(v[k].verdict));
			line = json_dumps(o, JSON_COMPACT);
			json_decref(o);
			printf("%s\n", line ? line : "{}");
			free(line);
		} else {
			char t[80];

			snprintf(t, sizeof(t), "%s:%u", v[i].target, v[i].port);
			printf("%-28s %-6s", t, v[i].probe);
			for (size_t k = 0; k < nvan; k++)
				printf(" %-14s", col[k] ? col[k] : "-");
			printf(" %s\n", exposure);
		}
		i = j;
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].target);
		free(v[i].probe);
		free(v[i].vantage);
		free(v[i].verdict);
	}
	free(v);
	for (size_t k = 0; k < nvan; k++)
		free(van[k]);
	return rc;
}
