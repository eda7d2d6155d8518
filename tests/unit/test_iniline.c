/*
 * test_iniline - the lines of an INI file as inih sees them: each case is
 * parsed by inih itself through iniline, from a string and from a FILE*,
 * and what the judge said of each line is set beside what inih did with it
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

#include "../../src/core/iniline.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* one parse: "LINE judgement [inih's call]; ..." */
struct run {
	struct iniline il;
	char out[1024];
	size_t used;
};

static void add(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (r->used < sizeof(r->out))
		r->used += (size_t)vsnprintf(r->out + r->used, sizeof(r->out) - r->used, fmt, ap);
	va_end(ap);
}

/* reader - as config.c and policy.c use iniline: "!" marks a pair inih
 * never handed over */
static char *reader(char *buf, int num, void *stream)
{
	struct run *r = stream;
	const char *name;
	size_t n;

	if (iniline_unhandled(&r->il))
		add(r, " !");
	if (iniline_read(&r->il, buf, num) == NULL)
		return NULL;
	add(r, "%s%d", r->il.line > 1 ? "; " : "", r->il.line);
	if (r->il.toolong)
		add(r, " long");
	switch (iniline_judge(&r->il, buf, &name, &n)) {
	case INILINE_BLANK:
		add(r, " blank");
		break;
	case INILINE_SECTION:
		if (name)
			add(r, " [%.*s]", (int)n, name);
		else
			add(r, " [no ]");
		break;
	case INILINE_PAIR:
		add(r, r->il.indented ? " cont" : " pair");
		break;
	}
	return buf;
}

/* on_pair - inih's call, as it made it */
static int on_pair(void *arg, const char *section, const char *name, const char *value)
{
	struct run *r = arg;

	iniline_handled(&r->il, name);
	add(r, " %s=%s", name, value);
	return 1;
}

/* parse - text through inih and iniline, from the string or (file) a FILE* */
static const char *parse(struct run *r, const char *text, int file)
{
	memset(r, 0, sizeof(*r));
	if (file) {
		assert_non_null(r->il.fp = tmpfile());
		assert_int_equal(fwrite(text, 1, strlen(text), r->il.fp), strlen(text));
		rewind(r->il.fp);
	} else {
		r->il.text = text;
	}
	ini_parse_stream(reader, r, on_pair, r);
	if (file)
		fclose(r->il.fp);
	return r->out;
}

static void test_lines(void **state)
{
	static char longline[400];
	static const struct {
		const char *name, *in, *want;
	} cases[] = {
	    {"empty", "", ""},
	    {"BOM", "\xEF\xBB\xBF[relaywatch]\na = 1\n", "1 [relaywatch]; 2 pair a=1"},
	    {"BOM after line 1", "a = 1\n\xEF\xBB\xBF[x]\n", "1 pair a=1; 2 pair !"},
	    {"BOM, then indented", "\xEF\xBB\xBF  a = 1\n", "1 pair a=1"},
	    {"comments",
	     "; one\n# two\na = 1\n  ; indented, after a key\n\t# also\nb = 2 ; inline\n",
	     "1 blank; 2 blank; 3 pair a=1; 4 blank; 5 blank; 6 pair b=2"},
	    {"continuation", "a = 1\n  more\n\tand [x]\n  [y]\n\n[z]\n  c = 3\n",
	     "1 pair a=1; 2 cont a=more; 3 cont a=and [x]; 4 cont a=[y]; 5 blank; 6 [z]; "
	     "7 pair c=3"},
	    {"indented, no key before", "  a = 1\n[s]\n\tb = 2\n", "1 pair a=1; 2 [s]; 3 pair b=2"},
	    {"continuation of a colon key", "a: 1\n  b\n", "1 pair a=1; 2 cont a=b"},
	    {"empty name holds no key", "= 1\n  x = 2\n", "1 pair =1; 2 pair x=2"},
	    {"no ]", "[x\na = 1\n", "1 [no ]; 2 pair a=1"},
	    {"no ]: inih keeps its key", "a = 1\n[x\n  more\n",
	     "1 pair a=1; 2 [no ]; 3 cont a=more"},
	    {"] after an inline comment", "[x ;y]\n[x;y]\n[s] ; c\n", "1 [no ]; 2 [x;y]; 3 [s]"},
	    {"not INI", "[s]\nprose\nb = 2\n", "1 [s]; 2 pair !; 3 pair b=2"},
	    {"last line without newline", "a = 1\nb = 2", "1 pair a=1; 2 pair b=2"},
	    {"last line not INI, no newline", "a = 1\nprose", "1 pair a=1; 2 pair !"},
	    {"CRLF", "[s]\r\na = 1\r\n\r\n  b\r\n; c\r\n",
	     "1 [s]; 2 pair a=1; 3 blank; 4 cont a=b; 5 blank"},
	    {"overlong", longline, "1 pair a=1; 2 long blank; 3 pair c=3"},
	};
	struct run r;

	(void)state;
	/* longer than inih's buffer (INI_MAX_LINE), with a '=' in its tail */
	snprintf(longline, sizeof(longline), "a = 1\nb = %0*d = x\nc = 3\n", 300, 0);
	for (size_t i = 0; i < N(cases); i++)
		for (int file = 0; file < 2; file++) {
			const char *got = parse(&r, cases[i].in, file);

			if (strcmp(got, cases[i].want) != 0)
				fail_msg("%s (%s): got '%s', want '%s'", cases[i].name,
				         file ? "FILE" : "string", got, cases[i].want);
		}
}

/* iniline_read alone, with a small buffer: at most num - 2 characters and
 * the newline; CR kept; a last line as it is */
static void test_read(void **state)
{
	static const struct {
		const char *in;
		int num;
		const char *want; /* the lines, each followed by '|'; "L" for toolong */
	} cases[] = {
	    {"abcdef\nx\n", 8, "abcdef\n|x\n|"},
	    {"abcdefg\nx\n", 8, "L\n|x\n|"},
	    {"abcdefghijklmnop\n\n", 8, "L\n|\n|"},
	    {"abc", 8, "abc|"},
	    {"abcdefgh", 8, "L\n|"},
	    {"a\r\n\r\n", 8, "a\r\n|\r\n|"},
	    {"\n\n", 2, "\n|\n|"},
	    {"a\n", 2, "L\n|"},
	    {"", 8, ""},
	};
	char buf[64], got[128];

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct iniline il = {.text = cases[i].in};
		size_t at = 0;
		int lines = 0;

		got[0] = '\0';
		while (iniline_read(&il, buf, cases[i].num) != NULL) {
			assert_true(strlen(buf) <= (size_t)cases[i].num - 1);
			at += (size_t)snprintf(got + at, sizeof(got) - at, "%s%s|",
			                       il.toolong ? "L" : "", buf);
			assert_int_equal(il.line, ++lines);
		}
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("'%s' in %d: got '%s', want '%s'", cases[i].in, cases[i].num, got,
			         cases[i].want);
	}
	/* no buffer, no source */
	struct iniline none = {0}, some = {.text = "a\n"};

	assert_null(iniline_read(&none, buf, sizeof(buf)));
	assert_null(iniline_read(&some, buf, 1));
	assert_int_equal(some.line, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines),
	    cmocka_unit_test(test_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
