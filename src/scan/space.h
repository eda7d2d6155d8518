/*
 * space.h - a scan's target space as JSON, saved with the scan so that a
 * resume walks exactly the same addresses x ports in the same order
 *
 * {"ports":[25,587],"groups":[{"port":0,"ranges":["192.0.2.0/24","2001:db8::1"]}]}
 * A group's port 0 means each of "ports". Ranges are ipset_range_text()
 * forms, ascending, IPv4 first: the normalised sets, so the same JSON
 * always rebuilds the same groups and therefore the same indexes.
 */
#ifndef RW_SPACE_H
#define RW_SPACE_H

#include "targets.h"

#include <jansson.h>

/* space_to_json - the targets' groups and the ports; a new reference */
json_t *space_to_json(struct targets *t, const struct targets_ports *ports);

/* space_from_json - add the saved groups to t (empty) and fill ports;
 * NULL or a static error text */
const char *space_from_json(const json_t *j, struct targets *t, struct targets_ports *ports);

#endif
