/*
 * output.h - reports of test results: terminal text and JSON Lines
 */
#ifndef RW_OUTPUT_H
#define RW_OUTPUT_H

#include <stdio.h>

#include "../smtp/result.h"

struct arrival;

/* output_json - one JSON object on one line (doc/cli.md); verbose adds
 * the transcript */
void output_json(FILE *fp, const struct target_result *r, const char *canary, int verbose);
/* output_human - a readable report; colour only when `color` */
void output_human(FILE *fp, const struct target_result *r, int verbose, int color);
/* output_json_text - a JSON string value from bytes that may be anything
 * (not UTF-8: high bytes become \\xNN); a new reference */
struct json_t;
struct json_t *output_json_text(const char *s);
/* output_arrival_json - an arrival as a JSON object string (owned), for
 * the standalone sink and foreign arrivals */
char *output_arrival_json(const struct arrival *a);

struct proxy_result;
/* output_proxy_json - a proxy result as one JSON line (doc/cli.md); it is
 * also the evidence the store keeps; _str returns it owned, without "\n" */
void output_proxy_json(FILE *fp, const struct proxy_result *r, int verbose);
char *output_proxy_json_str(const struct proxy_result *r, int verbose);
/* output_proxy_human - a readable report; colour only when `color` */
void output_proxy_human(FILE *fp, const struct proxy_result *r, int verbose, int color);

#endif
