/*
 * NAME
 *	daemon_dist - the daemon hands distributed scans' results to the desk
 * SUMMARY
 *	dist_feed_tick: a page of a planned scan's results per tick, in scan
 *	id order, as `relaywatch feed` does
 * SYNOPSIS
 *	void dist_feed_load(struct dist_feed *f, const char *dir);
 *	void dist_feed_save(const struct dist_feed *f, const char *dir);
 *	int dist_feed_tick(struct dist_feed *f, struct store *st, struct desk *d,
 *		long long now_ms, int64_t max, const char *dir);
 * DESCRIPTION
 *	A scan planned with --shards (doc/scale.md) is scanned by workers,
 *	not by the daemon; its results still belong to the desk. Each tick
 *	takes the lowest planned scan above the last one fed whole (the store's
 *	newest RW_DIST_SCANS scans are looked at), and feeds up to `max` of its
 *	results after those already fed (results are listed in the order they
 *	were written, so the offset only grows) to desk_scan_finding, each with
 *	its vantage: the policy's internal_vantages and internal_open apply.
 *	While the scan runs, what its workers wrote so far is fed; once it is
 *	done or stopped and nothing is left, it is the last fed and the next
 *	planned scan follows. The state is a line in DIR/dist.state (written to
 *	a temporary file, synced, renamed), so a restart goes on where it was.
 * DIAGNOSTICS
 *	Errors are logged (daemon event=desk-error / store-error); the tick
 *	goes on next time.
 * LIMITS
 *	RW_DIST_SCANS scans looked at per tick; a planned scan that never ends
 *	holds the ones after it back (its own results are still fed).
 */
#include "daemon_dist.h"

#include "../core/log.h"
#include "../core/xalloc.h"
#include "../desk/desk.h"
#include "../smtp/result.h"
#include "../store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RW_DIST_SCANS 100

static char *path_of(const char *dir)
{
	return xasprintf("%s/dist.state", dir);
}

void dist_feed_load(struct dist_feed *f, const char *dir)
{
	char *path = path_of(dir);
	FILE *fp = fopen(path, "r");
	long long a = 0, b = 0, c = 0;

	memset(f, 0, sizeof(*f));
	if (fp) {
		if (fscanf(fp, "%lld %lld %lld", &a, &b, &c) == 3 && a >= 0 && b >= 0 && c >= 0)
			*f = (struct dist_feed){.scan = a, .fed = b, .last = c};
		fclose(fp);
	}
	free(path);
}

void dist_feed_save(const struct dist_feed *f, const char *dir)
{
	char *path = path_of(dir), *tmp = xasprintf("%s.tmp", path);
	FILE *fp = fopen(tmp, "w");
	int ok = 0;

	if (fp) {
		ok = fprintf(fp, "%lld %lld %lld\n", (long long)f->scan, (long long)f->fed,
		             (long long)f->last) > 0;
		ok = fflush(fp) == 0 && fsync(fileno(fp)) == 0 && ok;
		ok = fclose(fp) == 0 && ok;
	}
	if (!ok || rename(tmp, path) < 0) {
		rw_log(LOG_ERR, "daemon event=state-error file=%s error=\"%s\"", path,
		       strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	free(path);
}

/* next_scan - the lowest planned scan above last among the newest ones; 0 none */
static int64_t next_scan(struct store *st, int64_t last)
{
	struct store_page pg = {.limit = RW_DIST_SCANS, .offset = 0};
	struct store_scans l;
	int64_t best = 0;

	if (store_scan_list(st, &pg, &l) < 0)
		return 0;
	for (size_t i = 0; i < l.n; i++) {
		struct store_shards sh;
		int64_t id = l.v[i].id;

		if (id <= last || (best && id >= best))
			continue;
		if (store_shards_list(st, id, &sh) == 0) {
			if (sh.n > 0)
				best = id;
			store_shards_free(&sh);
		}
	}
	store_scans_free(&l);
	return best;
}

int dist_feed_tick(struct dist_feed *f, struct store *st, struct desk *d, long long now_ms,
                   int64_t max, const char *dir)
{
	struct store_results l;
	struct store_scan sc = {0};
	struct store_page pg;
	int over;

	if (d == NULL)
		return 0;
	if (f->scan == 0 && (f->scan = next_scan(st, f->last)) == 0)
		return 0;
	if (store_scan_get(st, f->scan, &sc) <= 0) { /* gone: skip it */
		f->last = f->scan;
		f->scan = f->fed = 0;
		dist_feed_save(f, dir);
		return 1;
	}
	over = strcmp(sc.state, "running") != 0; /* read before the results */
	store_scan_clear(&sc);
	pg = (struct store_page){.limit = max, .offset = f->fed};
	if (store_results_list(st, f->scan, NULL, &pg, &l) < 0) {
		rw_log(LOG_ERR, "daemon event=store-error what=results error=\"%s\"",
		       store_error(st));
		return 0;
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct store_result *r = &l.v[i];
		struct desk_finding fd = desk_finding_of(r);
		int64_t inc = 0;
		int a = desk_scan_finding(d, &fd, now_ms, &inc);

		if (a < 0)
			rw_log(LOG_ERR, "daemon event=desk-error host=%s error=\"%s\"", r->target,
			       desk_error(d));
		else if (a == 1)
			rw_log(LOG_INFO,
			       "daemon event=scan-result scan=%lld incident=%lld host=%s port=%u "
			       "vantage=%s verdict=%s",
			       (long long)f->scan, (long long)inc, r->target, r->port,
			       r->vantage && *r->vantage ? r->vantage : "-", r->verdict);
	}
	f->fed += (int64_t)l.n;
	size_t n = l.n;
	store_results_free(&l);
	if (n == 0 && !over)
		return 0;
	if (n == 0) {
		rw_log(LOG_INFO, "daemon event=scan-fed scan=%lld results=%lld", (long long)f->scan,
		       (long long)f->fed);
		f->last = f->scan;
		f->scan = f->fed = 0;
	}
	dist_feed_save(f, dir);
	return 1;
}
