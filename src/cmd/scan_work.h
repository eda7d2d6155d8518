/*
 * scan_work.h - the distributed scan on the command line: the progress of
 * a scan across its workers (relaywatch scan --status), and vantage names
 */
#ifndef RW_SCAN_WORK_H
#define RW_SCAN_WORK_H

#include "../store/store.h"

#include <stdint.h>

/* scan_status - print scan's progress over every shard, vantage and
 * worker (JSON: one object) at now_ms; an exit status (0, 2 no such scan,
 * 3 a store error) */
int scan_status(struct store *st, int64_t scan, int json, long long now_ms);

/* vantage_name_ok - 1 to 64 of [A-Za-z0-9._-] */
int vantage_name_ok(const char *s);

#endif
