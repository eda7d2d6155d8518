/*
 * daemon_dist.h - the daemon feeds distributed scans' results to the desk
 */
#ifndef RW_DAEMON_DIST_H
#define RW_DAEMON_DIST_H

#include <stdint.h>

struct desk;
struct store;

/* Where the feed is: the scan being fed (0: none), its results fed, the
 * last scan fed whole. Kept in STATEDIR/dist.state. */
struct dist_feed {
	int64_t scan, fed, last;
};

/* dist_feed_load, dist_feed_save - the state file in dir */
void dist_feed_load(struct dist_feed *f, const char *dir);
void dist_feed_save(const struct dist_feed *f, const char *dir);

/* dist_feed_tick - up to `max` more results of distributed scans (planned
 * with --shards) to the desk, in scan id order, each with its vantage;
 * 1 when something was fed (the state changed and is saved), else 0 */
int dist_feed_tick(struct dist_feed *f, struct store *st, struct desk *d, long long now_ms,
                   int64_t max, const char *dir);

#endif
