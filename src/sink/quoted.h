/*
 * quoted.h - did a message come back relayed, or only quoted in a bounce?
 */
#ifndef RW_QUOTED_H
#define RW_QUOTED_H

#include <stddef.h>

/* quoted_is_bounce - 1 when the token at `tok` (inside msg) is only quoted:
 * it lies in the body rather than the header section, or the message is a
 * delivery report (multipart/report) or an NDR by its Subject. A relay
 * keeps our header fields; a bounce or auto-reply writes new ones and
 * carries the original below. */
int quoted_is_bounce(const char *msg, size_t len, const char *tok);

#endif
