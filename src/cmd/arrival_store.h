/*
 * arrival_store.h - an arrival the sink accepted, recorded in the store
 */
#ifndef RW_ARRIVAL_STORE_H
#define RW_ARRIVAL_STORE_H

#include <stdint.h>

struct arrival;
struct store;

/* arrival_store_scan - the store id of the scan a's token names: its
 * scan field as a positive decimal number when the token is valid, else
 * 0. The id may name no scan of the store (a scan without --db signs
 * with its start time): the store then keeps the arrival untied. */
int64_t arrival_store_scan(const struct arrival *a);

/* arrival_store_put - record a in st, tied to `scan` (0: to none),
 * with the token's target, port and test when it is valid, its Received
 * chain as a JSON array, relayed unless `quoted`; the store's late-arrival
 * rule (store.h) applies. a is only read. Returns store_arrival_put's
 * answer: 1 recorded (its id in *id when id is not NULL), 0 the same
 * record was there, -1 store_error(st). */
int arrival_store_put(struct store *st, const struct arrival *a, int64_t scan, int64_t *id);

#endif
