/*
 * incjson.h - an incident and its timeline as JSON: the one shape
 * `incidents --json`, `incident N --json` and the web API print
 */
#ifndef RW_INCJSON_H
#define RW_INCJSON_H

#include <jansson.h>
#include <stdint.h>

#include "../store/store.h"

/* incjson_incident - the incident's fields; a new reference */
json_t *incjson_incident(const struct store_incident *in);
/* incjson_outbox_of - the notice with id among ob's, or NULL (borrowed) */
const struct store_outbox *incjson_outbox_of(const struct store_outboxes *ob, int64_t id);
/* incjson_item - one timeline item (an event's detail parsed, a notice's
 * recipient and delivery from ob); a new reference */
json_t *incjson_item(const struct store_timeline_item *it, const struct store_outboxes *ob);

#endif
