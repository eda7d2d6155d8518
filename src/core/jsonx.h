/*
 * jsonx.h - the JSON values every report builds the same way (jansson)
 */
#ifndef RW_JSONX_H
#define RW_JSONX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* jsonx_text - any bytes as a JSON string (not UTF-8: high bytes become
 * "\xNN"); NULL is null; a new reference */
json_t *jsonx_text(const char *s);
/* jsonx_iso - ms since the epoch as RFC 3339 UTC, with the ms when frac;
 * "-" for 0 (not yet); returns buf */
const char *jsonx_iso(int64_t ms, int frac, char *buf, size_t len);
/* jsonx_time - jsonx_iso with the ms as a JSON string, or null for 0 */
json_t *jsonx_time(int64_t ms);
/* jsonx_any - JSON text from the store parsed, else the text as a string */
json_t *jsonx_any(const char *text);

#endif
