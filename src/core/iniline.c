/*
 * NAME
 *	iniline - the lines of an INI file as inih will see them
 * SUMMARY
 *	an ini_parse_stream reader that counts lines, and a judge of each line
 * SYNOPSIS
 *	char *iniline_read(struct iniline *il, char *buf, int num);
 *	enum iniline_kind iniline_judge(struct iniline *il, const char *buf,
 *		const char **name, size_t *len);
 *	void iniline_handled(struct iniline *il, const char *name);
 *	int iniline_unhandled(const struct iniline *il);
 * DESCRIPTION
 *	inih names only the first bad line and never tells its handler the
 *	line, so a reader that reports every problem at its line (config.c,
 *	src/desk/policy.c) hands inih its lines through this module.
 *	iniline_read() is inih's fgets over il->fp (getc) or il->text: it
 *	counts lines and hands over a line longer than inih's buffer as a
 *	blank one (il->toolong), not cut in two.
 *	iniline_judge() says what inih will make of that line, by inih's own
 *	rules: a UTF-8 BOM on line 1 skipped; ; and # comments, indented or
 *	not; after a key, an indented line is that key's continuation
 *	whatever it holds, "[x]" too; a header's ']' found before any " ;"
 *	inline comment. The caller judges section names; buf is not changed.
 *	iniline_handled(), called by the caller's ini_handler, records that
 *	inih handed the line over (and holds a key for continuations);
 *	iniline_unhandled() then names a pair line inih found no '=' or ':'
 *	in. Nothing is allocated; no I/O but getc on the caller's stream.
 * DIAGNOSTICS
 *	none: the caller reports (toolong, a section without ']', unhandled).
 * LIMITS
 *	a line is at most num - 2 characters and its newline (inih's buffer,
 *	INI_MAX_LINE).
 * STANDARDS
 *	none (INI as read by inih, multi-line values and inline comments on).
 */
#include "iniline.h"

#include <ctype.h>
#include <string.h>

/* next_char - the next byte of the source, or EOF */
static int next_char(struct iniline *il)
{
	if (il->fp)
		return getc(il->fp);
	if (il->text && *il->text)
		return (unsigned char)*il->text++;
	return EOF;
}

/* iniline_read - one line into inih's buffer; a line too long for it is skipped */
char *iniline_read(struct iniline *il, char *buf, int num)
{
	size_t n = 0;
	int ch;

	il->kind = INILINE_BLANK;
	il->handled = il->indented = il->toolong = 0;
	if (num < 2)
		return NULL;
	for (;;) {
		if ((ch = next_char(il)) == EOF)
			break;
		if ((int)n < num - 2)
			buf[n++] = (char)ch;
		else if (ch != '\n')
			il->toolong = 1;
		if (ch == '\n')
			break;
	}
	if (n == 0 && ch == EOF)
		return NULL;
	if (ch == '\n' && (n == 0 || buf[n - 1] != '\n'))
		buf[n++] = '\n'; /* the newline of a line that filled the buffer */
	buf[n] = '\0';
	il->line++;
	if (il->toolong) { /* inih would read the rest as a line of its own */
		buf[0] = '\n';
		buf[1] = '\0';
	}
	return buf;
}

/* close_bracket - where inih finds a section's ']': NULL when a " ;"
 * inline comment or the end of the line comes first */
static const char *close_bracket(const char *s)
{
	int was_space = 0;

	for (; *s && *s != ']'; s++) {
		if (was_space && *s == ';')
			return NULL;
		was_space = isspace((unsigned char)*s);
	}
	return *s == ']' ? s : NULL;
}

/* iniline_judge - the kind of the line inih is about to parse */
enum iniline_kind iniline_judge(struct iniline *il, const char *buf, const char **name, size_t *len)
{
	const char *q = buf, *end;

	*name = NULL;
	*len = 0;
	il->handled = il->indented = 0;
	if (il->line == 1 && (unsigned char)q[0] == 0xEF && (unsigned char)q[1] == 0xBB &&
	    (unsigned char)q[2] == 0xBF)
		q += 3; /* inih skips a UTF-8 BOM */
	while (isspace((unsigned char)*q))
		q++;
	if (*q == '\0' || *q == ';' || *q == '#')
		return il->kind = INILINE_BLANK;
	/* inih: white space before the text (BOM or not) after a key continues it, even "[x]" */
	il->indented = il->after_pair && q > buf;
	if (*q != '[' || il->indented)
		return il->kind = INILINE_PAIR;
	if ((end = close_bracket(q + 1)) != NULL) {
		*name = q + 1;
		*len = (size_t)(end - q - 1);
		il->after_pair = 0; /* (inih forgets its key only at a whole header) */
	}
	return il->kind = INILINE_SECTION;
}

/* iniline_handled - the handler saw this line; inih now holds its key,
 * unless the name is empty ("= x": inih's multi-line test is *prev_name) */
void iniline_handled(struct iniline *il, const char *name)
{
	il->handled = 1;
	il->after_pair = name && *name;
}

/* iniline_unhandled - the last line was a pair the handler never saw */
int iniline_unhandled(const struct iniline *il)
{
	return il->line > 0 && il->kind == INILINE_PAIR && !il->handled ? il->line : 0;
}
