/*
 * iniline.h - the lines of an INI file as inih will see them: a reader
 * for ini_parse_stream that counts them, and a judge that says what inih
 * will make of each (src/core/config.c, src/desk/policy.c)
 */
#ifndef RW_INILINE_H
#define RW_INILINE_H

#include <stddef.h>
#include <stdio.h>

enum iniline_kind {
	INILINE_BLANK,   /* empty, white space, a ; or # comment, or a long line blanked */
	INILINE_SECTION, /* "[name]", or a '[' line without its ']' */
	INILINE_PAIR,    /* the rest: key = value, a continuation, or a line that is not INI */
};

/* the state of one file; zero it, then set one source */
struct iniline {
	FILE *fp;         /* the source: a stream, read with getc, or when NULL */
	const char *text; /* a NUL-terminated string, read up to the NUL (borrowed) */
	/* read-only for callers: the line inih has in its buffer */
	int line;               /* its number from 1; 0 before the first */
	enum iniline_kind kind; /* as iniline_judge found it */
	int toolong;            /* longer than the buffer: handed over as a blank line */
	int indented;           /* continues the key before it (inih's multi-line values) */
	int handled;            /* the caller's ini_handler saw it (iniline_handled) */
	int after_pair;         /* inih holds a key name: an indented line continues it */
};

/* iniline_read - the next line into buf (num bytes, inih's buffer), as
 * fgets would but at most num - 2 characters and always its '\n' (a longer
 * line is counted, skipped to its end and handed over as "\n" with toolong
 * set); no newline is added to a last line without one, and a CR is
 * kept (inih strips it as white space). buf, or NULL at the end, on a read
 * error (ferror tells) or when num < 2. */
char *iniline_read(struct iniline *il, char *buf, int num);

/* iniline_judge - what inih will make of buf, the line just read: its
 * kind, and for a section header its name (*name into buf, *len bytes),
 * *name NULL when inih finds no ']'. Call it before inih sees the line. */
enum iniline_kind iniline_judge(struct iniline *il, const char *buf, const char **name,
                                size_t *len);

/* iniline_handled - call from the ini_handler with the name it was given:
 * inih has handed over this line */
void iniline_handled(struct iniline *il, const char *name);

/* iniline_unhandled - the line inih last had was a pair it never handed
 * over (inih found no '=' or ':'): its number, else 0. Ask before
 * iniline_read, which forgets it. */
int iniline_unhandled(const struct iniline *il);

#endif
