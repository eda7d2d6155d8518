/*
 * fingerprint.h - guess the MTA from its banner and EHLO reply
 */
#ifndef RW_FINGERPRINT_H
#define RW_FINGERPRINT_H

#include <stddef.h>

/* fingerprint_guess - the MTA's short name ("postfix", "exim", ...) into
 * out, or "" when nothing matches; banner and ehlo may be NULL */
const char *fingerprint_guess(const char *banner, const char *ehlo, char *out, size_t len);

#endif
