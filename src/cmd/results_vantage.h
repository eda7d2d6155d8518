/*
 * results_vantage.h - one scan's results side by side per vantage
 * (relaywatch results --by-vantage)
 */
#ifndef RW_RESULTS_VANTAGE_H
#define RW_RESULTS_VANTAGE_H

#include "../store/store.h"

#include <stdint.h>

/* results_by_vantage - print scan's results grouped by (target, port,
 * probe), a verdict per vantage and the exposure; 0, or -1 after a message */
int results_by_vantage(struct store *st, int64_t scan, int json);

#endif
