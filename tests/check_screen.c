/*
 * check_screen.c: screen/, a transcript's bytes replayed into what the
 * terminal shows: a \r progress bar, cursor addressing, clears, scroll
 * regions, the alternate screen, wide and combining characters, trailing
 * blanks, LF as CR LF without --crlf, the title; the four writers (JSON
 * parsed back); where the replay of a long transcript starts (the reset
 * finder), and that starting there shows what replaying everything shows;
 * the cells kept here against libvterm's own screen on random input; a
 * transcript read from a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vterm.h>

#include "screen/screen.h"
#include "tests/check_suites.h"

#define LIT(s) s, sizeof(s) - 1

/* ------------------------------------------------------------ helpers */

/* LEN bytes of TEXT replayed on a COLSxROWS terminal (replay bound MAX). */
static void replay_max(struct screen *s, const char *text, size_t len, int cols, int rows,
		       int crlf, size_t max)
{
	struct screen_opts o = { .rows = (uint16_t)rows, .cols = (uint16_t)cols, .crlf = crlf,
				 .replay_max = max };

	ck_assert_int_eq(screen_from_bytes(text, len, &o, s), 0);
	ck_assert_uint_eq(s->rows, rows);
	ck_assert_uint_eq(s->cols, cols);
}

static void replay(struct screen *s, const char *text, size_t len, int cols, int rows, int crlf)
{
	replay_max(s, text, len, cols, rows, crlf, 0);
}

/* What WRITER writes for S, NUL-terminated; free() it. */
static char *written(int (*writer)(FILE *, const struct screen *), const struct screen *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(writer(f, s), 0);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* Row ROW of S as screen_write_text has it; valid until the next call. */
static const char *row(const struct screen *s, unsigned r)
{
	static char line[4096];
	char *text = written(screen_write_text, s), *p = text;

	for (unsigned i = 0; i < r; i++) {
		p = strchr(p, '\n');
		ck_assert_ptr_nonnull(p);
		p++;
	}
	ck_assert_ptr_nonnull(strchr(p, '\n'));
	ck_assert_uint_lt((size_t)(strchr(p, '\n') - p), sizeof(line));
	memcpy(line, p, (size_t)(strchr(p, '\n') - p));
	line[strchr(p, '\n') - p] = '\0';
	free(text);
	return line;
}

#define ck_row(s, r, want) ck_assert_str_eq(row(s, r), want)

static void ck_cursor(const struct screen *s, unsigned r, unsigned c)
{
	ck_assert_uint_eq(s->cursor_row, r);
	ck_assert_uint_eq(s->cursor_col, c);
}

/* ------------------------------------------------------------ features */

START_TEST(progress_bar)
{
	struct screen s;

	replay(&s, LIT("fetching\n0%\r10%\r100%\nnext"), 20, 4, 0);
	ck_row(&s, 0, "fetching");
	ck_row(&s, 1, "100%");
	ck_row(&s, 2, "next");
	ck_cursor(&s, 2, 4);
	screen_free(&s);
	/* a shorter update only overwrites what it covers */
	replay(&s, LIT("[#####] 50%\r[##] 2"), 20, 2, 0);
	ck_row(&s, 0, "[##] 2] 50%");
	screen_free(&s);
}
END_TEST

START_TEST(cursor_addressing)
{
	struct screen s;

	replay(&s, LIT("\e[3;5HX\e[1;1HY\e[5;20HZ\e[2;2H\e[CW"), 20, 5, 0);
	ck_row(&s, 0, "Y");
	ck_row(&s, 1, "  W");
	ck_row(&s, 2, "    X");
	ck_row(&s, 3, "");
	ck_row(&s, 4, "                   Z");
	ck_cursor(&s, 1, 3);
	ck_assert_str_eq(screen_cell(&s, 2, 4)->text, "X");
	ck_assert_str_eq(screen_cell(&s, 2, 3)->text, "");
	screen_free(&s);
}
END_TEST

START_TEST(clear_screen)
{
	struct screen s;

	replay(&s, LIT("one\ntwo\nthree\e[2J\e[Hnew"), 10, 4, 0);
	ck_row(&s, 0, "new");
	ck_row(&s, 1, "");
	ck_row(&s, 2, "");
	ck_cursor(&s, 0, 3);
	screen_free(&s);
	/* ED 2 leaves the cursor where it was */
	replay(&s, LIT("one\ntwo\e[2Jx"), 10, 4, 0);
	ck_row(&s, 0, "");
	ck_row(&s, 1, "   x");
	screen_free(&s);
}
END_TEST

START_TEST(scroll_region)
{
	struct screen s;
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "\e[H\e[2Jheader\e[6;1Hfooter\e[2;5r\e[2;1H");

	for (int i = 1; i <= 9; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "line %d\n", i);
	replay(&s, buf, (size_t)n, 20, 6, 0);
	ck_row(&s, 0, "header");
	ck_row(&s, 1, "line 7");
	ck_row(&s, 2, "line 8");
	ck_row(&s, 3, "line 9");
	ck_row(&s, 4, "");
	ck_row(&s, 5, "footer");
	screen_free(&s);
	/* reverse index at the region's top scrolls it down */
	replay(&s, LIT("a\nb\nc\nd\e[2;3r\e[2;1H\eMX"), 10, 4, 0);
	ck_row(&s, 0, "a");
	ck_row(&s, 1, "X");
	ck_row(&s, 2, "b");
	ck_row(&s, 3, "d");
	screen_free(&s);
}
END_TEST

START_TEST(alternate_screen)
{
	struct screen s;

	/* entered and still active: the alternate screen shows, blank at first */
	replay(&s, LIT("shell 1\nshell 2\n\e[?1049h\e[Hvim"), 20, 4, 0);
	ck_row(&s, 0, "vim");
	ck_row(&s, 1, "");
	ck_assert_int_eq(s.alt_screen, 1);
	screen_free(&s);
	/* entered and left: the primary screen as it was, cursor restored */
	replay(&s, LIT("shell 1\nshell 2\n$ \e[?1049h\e[Hvim\e[3;3Hx\e[?1049l"), 20, 4, 0);
	ck_row(&s, 0, "shell 1");
	ck_row(&s, 1, "shell 2");
	ck_row(&s, 2, "$");
	ck_cursor(&s, 2, 2);
	ck_assert_int_eq(s.alt_screen, 0);
	screen_free(&s);
	/* 1047 switches too, without saving the cursor */
	replay(&s, LIT("main\e[?1047halt\e[?1047l!"), 20, 2, 0);
	ck_row(&s, 0, "main   !");
	screen_free(&s);
}
END_TEST

START_TEST(wide_characters)
{
	struct screen s;
	char *json;

	/* CJK, an emoji, a combining accent: each character once in the text */
	replay(&s, LIT("中文😀e\xcc\x81x"), 20, 2, 0);
	ck_row(&s, 0, "中文😀e\xcc\x81x");
	ck_assert_uint_eq(screen_cell(&s, 0, 0)->width, 2);
	ck_assert_uint_eq(screen_cell(&s, 0, 1)->width, 0);
	ck_assert_str_eq(screen_cell(&s, 0, 4)->text, "😀");
	ck_assert_uint_eq(screen_cell(&s, 0, 4)->width, 2);
	ck_assert_str_eq(screen_cell(&s, 0, 6)->text, "e\xcc\x81");
	ck_assert_uint_eq(screen_cell(&s, 0, 6)->width, 1);
	ck_assert_str_eq(screen_cell(&s, 0, 7)->text, "x");
	ck_cursor(&s, 0, 8);
	json = written(screen_write_json, &s);
	ck_assert_ptr_nonnull(strstr(json, "\"lines\":[\"中文😀e\xcc\x81x\",\"\"]"));
	free(json);
	screen_free(&s);
	/* one that does not fit in the last column goes to the next line */
	replay(&s, LIT("abc中"), 4, 2, 0);
	ck_row(&s, 0, "abc");
	ck_row(&s, 1, "中");
	screen_free(&s);
	/* overwriting half of one blanks the other half */
	replay(&s, LIT("中文\rx\e[3GY"), 10, 1, 0);
	ck_row(&s, 0, "x Y");
	screen_free(&s);
	replay(&s, LIT("中文\e[2GY\e[K"), 10, 1, 0);
	ck_row(&s, 0, " Y");
	screen_free(&s);
}
END_TEST

START_TEST(trailing_blanks)
{
	struct screen s;
	char *ansi;

	replay(&s, LIT("abc   \n  \n\tx\e[41m  \e[0m"), 20, 4, 0);
	ck_row(&s, 0, "abc");
	ck_row(&s, 1, "");
	ck_row(&s, 2, "        x");
	ck_row(&s, 3, "");
	/* ANSI keeps blanks that show: the red background */
	ansi = written(screen_write_ansi, &s);
	ck_assert_str_eq(ansi, "abc\n\n        x\e[0;41m  \e[0m\n\n");
	free(ansi);
	screen_free(&s);
}
END_TEST

START_TEST(lf_modes)
{
	struct screen s;

	/* without --crlf the transcript has the program's bare LF: CR LF */
	replay(&s, LIT("a\nb\nc"), 10, 3, 0);
	ck_row(&s, 0, "a");
	ck_row(&s, 1, "b");
	ck_row(&s, 2, "c");
	screen_free(&s);
	/* with --crlf it is what the terminal got: a bare LF is a line feed */
	replay(&s, LIT("a\nb\r\nc"), 10, 3, 1);
	ck_row(&s, 0, "a");
	ck_row(&s, 1, " b");
	ck_row(&s, 2, "c");
	screen_free(&s);
	/* a program's own CR LF stays one line break either way */
	replay(&s, LIT("a\r\nb"), 10, 2, 0);
	ck_row(&s, 1, "b");
	screen_free(&s);
}
END_TEST

START_TEST(title)
{
	struct screen s;
	char buf[1024];
	int n;

	replay(&s, LIT("x"), 10, 2, 0);
	ck_assert_str_eq(s.title, "");
	screen_free(&s);
	replay(&s, LIT("\e]2;first\a\e]0;second title\e\\text"), 10, 2, 0);
	ck_assert_str_eq(s.title, "second title");
	ck_row(&s, 0, "text");
	screen_free(&s);
	/* longer than 255 bytes: cut at a character boundary */
	n = snprintf(buf, sizeof(buf), "\e]2;");
	for (int i = 0; i < 200; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "é");
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "\a");
	replay(&s, buf, (size_t)n, 10, 2, 0);
	ck_assert_uint_eq(strlen(s.title), 254);
	ck_assert(!strncmp(s.title, "éé", 4));
	screen_free(&s);
}
END_TEST

/* A title written across libvterm's call boundary (16 KiB) is kept whole. */
START_TEST(title_at_chunk_boundary)
{
	static char buf[40000];
	struct screen s;
	size_t n = 0;

	for (int start = 16300; start <= 16390; start += 30) {
		n = 0;
		memset(buf, 'a', (size_t)start);
		n = (size_t)start;
		n += (size_t)sprintf(buf + n, "\e]2;");
		memset(buf + n, 't', 200);
		n += 200;
		n += (size_t)sprintf(buf + n, "\a");
		memset(buf + n, 'b', 5000);
		n += 5000;
		replay(&s, buf, n, 80, 24, 0);
		ck_assert_uint_eq(strlen(s.title), 200);
		screen_free(&s);
	}
}
END_TEST

/* Control characters that are text (C1 as UTF-8) or bad UTF-8 never reach
 * the output as control bytes. */
START_TEST(no_controls_out)
{
	struct screen s;
	char *text;

	replay(&s, LIT("a\xc2\x9b" "1m\xff\xfe" "b"), 20, 2, 0);
	text = written(screen_write_text, &s);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		ck_assert(*p == '\n' || (*p >= 0x20 && *p != 0x7f && *p != 0x9b));
	free(text);
	screen_free(&s);
}
END_TEST

/* --------------------------------------------------------------- JSON */

/* A small JSON parser: 1 if [*P, END) starts with a valid value (moved
 * past it). */
static int json_value(const char **p, const char *end);

static void json_ws(const char **p, const char *end)
{
	while (*p < end && strchr(" \t\r\n", **p))
		(*p)++;
}

static int json_string(const char **p, const char *end)
{
	if (*p >= end || **p != '"')
		return 0;
	for ((*p)++; *p < end; (*p)++) {
		unsigned char c = (unsigned char)**p;

		if (c == '"') {
			(*p)++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (++(*p) >= end || !strchr("\"\\/bfnrtu", **p))
				return 0;
			if (**p == 'u')
				for (int k = 0; k < 4; k++)
					if (++(*p) >= end || !strchr("0123456789abcdefABCDEF", **p))
						return 0;
		}
	}
	return 0;
}

static int json_list(const char **p, const char *end, char close, int object)
{
	(*p)++;
	json_ws(p, end);
	if (*p < end && **p == close) {
		(*p)++;
		return 1;
	}
	for (;;) {
		if (object) {
			if (!json_string(p, end))
				return 0;
			json_ws(p, end);
			if (*p >= end || *(*p)++ != ':')
				return 0;
		}
		if (!json_value(p, end))
			return 0;
		json_ws(p, end);
		if (*p < end && **p == ',') {
			(*p)++;
			json_ws(p, end);
			continue;
		}
		if (*p < end && **p == close) {
			(*p)++;
			return 1;
		}
		return 0;
	}
}

static int json_value(const char **p, const char *end)
{
	json_ws(p, end);
	if (*p >= end)
		return 0;
	if (**p == '{')
		return json_list(p, end, '}', 1);
	if (**p == '[')
		return json_list(p, end, ']', 0);
	if (**p == '"')
		return json_string(p, end);
	for (const char *const *w = (const char *const[]){ "true", "false", "null", NULL }; *w; w++)
		if ((size_t)(end - *p) >= strlen(*w) && !strncmp(*p, *w, strlen(*w))) {
			*p += strlen(*w);
			return 1;
		}
	if (**p == '-' || (**p >= '0' && **p <= '9')) {
		char *e;

		strtod(*p, &e);
		*p = e;
		return 1;
	}
	return 0;
}

static int json_valid(const char *s)
{
	const char *p = s, *end = s + strlen(s);

	if (!json_value(&p, end))
		return 0;
	json_ws(&p, end);
	return p == end;
}

START_TEST(json_output)
{
	struct screen s;
	char *json;

	/* quotes, backslashes, a tab, a wide character, a title to escape */
	replay(&s, LIT("\e]2;say \"hi\"\\\a\"q\" \\ \xe4\xb8\xad\n\e[3;2Hend"), 10, 4, 0);
	json = written(screen_write_json, &s);
	ck_assert_msg(json_valid(json), "not JSON: %s", json);
	ck_assert_str_eq(json, "{\"cols\":10,\"rows\":4,\"cursor\":{\"row\":2,\"col\":4},"
			       "\"title\":\"say \\\"hi\\\"\\\\\",\"exact\":true,"
			       "\"lines\":[\"\\\"q\\\" \\\\ \xe4\xb8\xad\",\"\",\" end\",\"\"]}\n");
	free(json);
	screen_free(&s);
	/* whatever the bytes, the output is JSON */
	for (unsigned seed = 1; seed <= 50; seed++) {
		char buf[600];

		srand(seed);
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (char)(rand() % 4 ? rand() % 256 : "\e[;?0123456789Hm\"\\\n\r"[rand() % 20]);
		replay(&s, buf, sizeof(buf), 17, 5, 0);
		json = written(screen_write_json, &s);
		ck_assert_msg(json_valid(json), "seed %u: not JSON: %s", seed, json);
		free(json);
		screen_free(&s);
	}
}
END_TEST

/* --------------------------------------------------------- ANSI, draw */

START_TEST(ansi_output)
{
	struct screen s;
	char *ansi;

	replay(&s, LIT("\e[31mred\e[0m \e[1;4mbold\e[0m\n\e[38;5;200mx\e[48;2;1;2;3my\e[7mz\e[0m\n"
		       "\e[92mbright\n"),
	       20, 4, 0);
	ansi = written(screen_write_ansi, &s);
	ck_assert_str_eq(ansi, "\e[0;31mred\e[0m \e[0;1;4mbold\e[0m\n"
			       "\e[0;38;5;200mx\e[0;38;5;200;48;2;1;2;3my\e[0;7;38;5;200;48;2;1;2;3mz\e[0m\n"
			       "\e[0;92mbright\e[0m\n\n");
	free(ansi);
	ck_assert_uint_eq(screen_cell(&s, 0, 0)->fg.kind, SCREEN_COLOR_INDEXED);
	ck_assert_uint_eq(screen_cell(&s, 0, 0)->fg.idx, 1);
	ck_assert_uint_eq(screen_cell(&s, 1, 1)->bg.kind, SCREEN_COLOR_RGB);
	ck_assert_uint_eq(screen_cell(&s, 1, 1)->bg.b, 3);
	ck_assert_uint_eq(screen_cell(&s, 0, 4)->attrs, SCREEN_BOLD);
	ck_assert_uint_eq(screen_cell(&s, 0, 4)->underline, 1);
	screen_free(&s);
}
END_TEST

START_TEST(draw_output)
{
	struct screen s;
	char *draw;

	replay(&s, LIT("top\n\n\e[32mthird\e[0m\e[2;5H"), 20, 4, 0);
	draw = written(screen_write_draw, &s);
	ck_assert_str_eq(draw, "\e[?25l\e[0m\e[H\e[2J\e[1;1Htop\e[3;1H\e[0;32mthird\e[0m"
			       "\e[2;5H\e[?25h");
	free(draw);
	screen_free(&s);
	/* a hidden cursor stays hidden */
	replay(&s, LIT("x\e[?25l"), 20, 4, 0);
	ck_assert_int_eq(s.cursor_visible, 0);
	draw = written(screen_write_draw, &s);
	ck_assert_str_eq(draw, "\e[?25l\e[0m\e[H\e[2J\e[1;1Hx\e[1;2H");
	free(draw);
	screen_free(&s);
}
END_TEST

/* DECSCA-protected cells survive a selective erase (DECSEL, DECSED) only */
START_TEST(selective_erase)
{
	struct screen s;

	replay(&s, LIT("ab\e[1\"qPR\e[0\"qcd\e[1G\e[?K\nab\e[1\"qPR\e[0\"qcd\e[1G\e[K"), 20, 2, 0);
	ck_row(&s, 0, "  PR");
	ck_row(&s, 1, "");
	ck_assert_uint_eq(screen_cell(&s, 0, 2)->attrs, SCREEN_PROTECTED);
	screen_free(&s);
}
END_TEST

START_TEST(bad_options)
{
	struct screen_opts o = { .rows = 0, .cols = 80 };
	struct screen s;

	ck_assert_int_eq(screen_from_bytes("x", 1, &o, &s), -EINVAL);
	screen_free(&s);
	o.rows = 2000;
	o.cols = 2000;
	ck_assert_int_eq(screen_from_bytes("x", 1, &o, &s), -EINVAL);
	screen_free(&s);
	o.rows = 1;
	o.cols = 1;
	ck_assert_int_eq(screen_from_bytes("xyz", 3, &o, &s), 0);
	ck_assert_str_eq(screen_cell(&s, 0, 0)->text, "z");
	screen_free(&s);
}
END_TEST

/* -------------------------------------------------------- reset finder */

/* FILL bytes of plain lines, then TAIL: a transcript longer than MAX. */
static char *long_text(size_t fill, const char *tail, size_t *len)
{
	size_t n = strlen(tail);
	char *t = malloc(fill + n + 1);

	ck_assert_ptr_nonnull(t);
	for (size_t i = 0; i < fill; i++)
		t[i] = i % 20 == 19 ? '\n' : "filler \e[1mtext\e[0m"[i % 20];
	memcpy(t + fill, tail, n + 1);
	*len = fill + n;
	return t;
}

/* Offset of the first NEEDLE in T. */
static size_t offset(const char *t, const char *needle)
{
	const char *p = strstr(t, needle);

	ck_assert_ptr_nonnull(p);
	return (size_t)(p - t);
}

/* Where a replay of T (LEN bytes, bound MAX) starts. */
static struct screen_start start_of(const char *t, size_t len, size_t max, int at_start)
{
	struct screen_start st;

	screen_find_start(t, len, max, at_start, &st);
	ck_assert_uint_le(st.from, st.reset);
	ck_assert_uint_le(st.reset, len);
	return st;
}

START_TEST(finder_small_whole)
{
	struct screen_start st = start_of(LIT("a\e[H\e[2Jb"), 100, 1);

	ck_assert_uint_eq(st.from, 0);
	ck_assert_int_eq(st.exact, 1);
}
END_TEST

START_TEST(finder_clears)
{
	static const struct {
		const char *tail, *at;   /* reset at AT's first occurrence; NULL: none */
	} cases[] = {
		{ "\ec\e[Hafter RIS", "\ec" },
		{ "xx\e[H\e[2Jafter", "\e[H\e[2J" },
		{ "xx\e[2J\e[1;1Hafter", "\e[2J" },
		{ "xx\e[5;7H\e[2Jafter", "\e[5;7H" },
		{ "xx\e[H\e[Jafter", "\e[H\e[J" },
		{ "xx\e[;H\e[0Jafter", "\e[;H" },
		{ "xx\e[1;1f\e[Jafter", "\e[1;1f" },
		{ "\e[H\e[2Jfirst\e[H\e[2Jsecond", "\e[H\e[2Jsecond" },
		/* no reset point: a clear without a cursor position next to it, a
		 * clear from elsewhere than home, a selective erase, scrollback */
		{ "xx\e[2Jafter", NULL },
		{ "xx\e[5;1H\e[Jafter", NULL },
		{ "xx\e[H\e[?2Jafter", NULL },
		{ "xx\e[H\e[3Jafter", NULL },
		{ "xx\e[H\e[1Jafter", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len, fill = 10000;
		char *t = long_text(fill, cases[i].tail, &len);
		struct screen_start st = start_of(t, len, 4096, 1);

		if (cases[i].at) {
			ck_assert_msg(st.exact == 1, "case %zu", i);
			ck_assert_uint_eq(st.reset, fill + offset(cases[i].tail, cases[i].at));
			/* up to SCREEN_CONTEXT before, at a line start: here the file's */
			ck_assert_uint_eq(st.from, 0);
		} else {
			ck_assert_msg(st.exact == 0, "case %zu", i);
			ck_assert_uint_ge(st.from, len - 4096);
			ck_assert_int_eq(t[st.from - 1], '\n');
		}
		free(t);
	}
}
END_TEST

START_TEST(finder_alternate_screen)
{
	static const struct {
		const char *tail, *at;
	} cases[] = {
		/* still in the alternate screen: from where it was entered */
		{ "\e[H\e[2Jmain\e[?1049hin vim", "\e[?1049h" },
		{ "\e[?1049hvim\e[H\e[2Jredrawn", "\e[H\e[2Jredrawn" },
		{ "\e[?1047hvim", "\e[?1047h" },
		{ "\e[?1049;1hvim", "\e[?1049;1h" },
		/* left: from the last clear of the primary screen before it */
		{ "\e[H\e[2Jmain\e[?1049h\e[H\e[2Jvim\e[?1049lback", "\e[H\e[2Jmain" },
		{ "\e[H\e[2Jm1\e[?1049hv1\e[?1049l\e[H\e[2Jm2\e[?1049h\e[H\e[2Jv2\e[?1049l",
		  "\e[H\e[2Jm2" },
		{ "\e[H\e[2Jm1\e[?1049h\e[H\e[2Jv1\e[?1049lm\e[?1049h\e[H\e[2Jv2\e[?1049l",
		  "\e[H\e[2Jm1" },
		/* left, and no clear of the primary screen within the bound */
		{ "\e[?1049h\e[H\e[2Jvim\e[?1049lback", NULL },
		/* libvterm 0.1.4 does not switch on ?47 nor on a later parameter */
		{ "\e[H\e[2Jmain\e[?47hx", "\e[H\e[2J" },
		{ "\e[H\e[2Jmain\e[?1;1049hx", "\e[H\e[2J" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len, fill = 10000;
		char *t = long_text(fill, cases[i].tail, &len);
		struct screen_start st = start_of(t, len, 4096, 1);

		ck_assert_msg(st.exact == (cases[i].at != NULL), "case %zu", i);
		if (cases[i].at)
			ck_assert_uint_eq(st.reset, fill + offset(cases[i].tail, cases[i].at));
		free(t);
	}
}
END_TEST

/* The context before a reset point starts at a line start, at most
 * SCREEN_CONTEXT before it; without a reset point, replay starts at a line
 * start within the bound. */
START_TEST(finder_starts)
{
	size_t len, fill = 300000;
	char *t = long_text(fill, "\e[H\e[2Jend", &len);
	struct screen_start st = start_of(t, len, 4096, 0);

	ck_assert_int_eq(st.exact, 1);
	ck_assert_uint_eq(st.reset, fill);
	ck_assert_uint_le(st.reset - st.from, SCREEN_CONTEXT);
	ck_assert_uint_gt(st.reset - st.from, SCREEN_CONTEXT - 20);
	ck_assert_int_eq(t[st.from - 1], '\n');
	free(t);

	t = long_text(fill, "no reset", &len);
	st = start_of(t, len, 100000, 1);
	ck_assert_int_eq(st.exact, 0);
	ck_assert_uint_eq(st.from, st.reset);
	ck_assert_uint_ge(st.from, len - 100000);
	ck_assert_uint_lt(st.from, len - 100000 + 20);
	ck_assert_int_eq(t[st.from - 1], '\n');
	free(t);
	/* the default bound */
	st = start_of(LIT("abc"), 0, 1);
	ck_assert_int_eq(st.exact, 1);
}
END_TEST

/* Replaying from the reset point shows what replaying everything shows:
 * each transcript has a long stretch before its last reset point, with a
 * scroll region, colours, the alternate screen and a title in it (the
 * title is set too far back to be replayed, and not compared). */
START_TEST(finder_replay_equivalent)
{
	static const char *const tails[] = {
		"\e[H\e[2Jscreen one\e[5;5Hfive\nnext\nlines\n",
		"prompt$ \e[?1049h\e[H\e[2Jvim\e[3;3H~\e[?1049l$ done\n",
		"\e[?1049h\e[Htop\e[2;1H  PID\e[3;1H  123",
		"\e[H\e[2J\e[2;4rregion\n1\n2\n3\n4\n5\e[r\e[1;10Hx",
		"\e[H\e[2J\e[44mblue\e[2J\e[Hagain\e[0m",
		"\ecafter a reset\n\e[31mred",
		"\e[?1049h\e[H\e[2Jin\e[?1049l\e[H\e[2Jcleared\e[?1049h\e[H\e[2Jagain\e[?1049lout",
	};
	static char text[200000];

	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		struct screen all, part;
		size_t n = 0;
		char *a, *b;

		n += (size_t)sprintf(text, "\e]2;the title\a\e[3;8r");
		while (n < 150000)
			n += (size_t)sprintf(text + n, "\e[3%zumline %zu\e[0m\n", n % 8, n);
		n += (size_t)sprintf(text + n, "\e[r\e[?1049hfull\e[2Jscreen\e[?1049lback\n"
				     "\e[H\e[2Jbase\n%s", tails[i]);
		replay_max(&all, text, n, 30, 8, 0, n);
		replay_max(&part, text, n, 30, 8, 0, 4096);
		ck_assert_msg(part.exact == 1, "tail %zu", i);
		ck_assert_uint_gt(part.replay_from, 0);
		a = written(screen_write_ansi, &all);
		b = written(screen_write_ansi, &part);
		ck_assert_msg(!strcmp(a, b), "tail %zu:\n%s\n---\n%s", i, a, b);
		ck_assert_uint_eq(all.cursor_row, part.cursor_row);
		ck_assert_uint_eq(all.cursor_col, part.cursor_col);
		ck_assert_int_eq(all.alt_screen, part.alt_screen);
		free(a);
		free(b);
		screen_free(&all);
		screen_free(&part);
	}
}
END_TEST

/*
 * Random transcripts of text (wide and combining characters too), line
 * breaks, cursor motion, clears, RIS, colours, line editing and alternate
 * screen sessions (never entered twice: see find.c on nested enters).
 */
static size_t random_transcript(char *buf, size_t max, unsigned seed)
{
	static const char *const text[] = { "hello", "w\xc3\xb6rld", "\xe4\xb8\xad\xe6\x96\x87",
					    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "\xf0\x9f\x98\x80",
					    "e\xcc\x81", " ", "\n", "\n", "\r" };
	static const char *const edit[] = { "\e[K", "\e[2K", "\e[L", "\e[M", "\e[3@", "\e[2P",
					    "\e[A", "\e[5C", "\e[0m", "\e[1;31m", "\e[44m", "\e[7m" };
	static const char *const clear[] = { "\e[H\e[2J", "\e[2J\e[H", "\e[H\e[J", "\ec" };
	int alt = 0;
	size_t n = 0;

	srand(seed);
	while (n + 40 < max) {
		int r = rand() % 200;

		if (r < 150)
			n += (size_t)sprintf(buf + n, "%s", text[rand() % 10]);
		else if (r < 170)
			n += (size_t)sprintf(buf + n, "%s", edit[rand() % 12]);
		else if (r < 190)
			n += (size_t)sprintf(buf + n, "\e[%d;%dH", 1 + rand() % 12, 1 + rand() % 40);
		else if (r < 197)
			n += (size_t)sprintf(buf + n, "%s", clear[rand() % 4]);
		else
			n += (size_t)sprintf(buf + n, "\e[?1049%c", (alt = !alt) ? 'h' : 'l');
	}
	return n;
}

/* Replaying the end of a random transcript from where find.c says shows
 * what replaying it all shows (longer than SCREEN_CONTEXT, so that the
 * replay does start past the first byte). */
START_TEST(finder_random_equivalent)
{
	static char buf[100000];
	int exact = 0;

	for (unsigned seed = 1; seed <= 60; seed++) {
		size_t n = random_transcript(buf, sizeof(buf), seed);
		struct screen all, part;
		char *a, *b;

		replay_max(&all, buf, n, 40, 12, seed % 2, n);
		replay_max(&part, buf, n, 40, 12, seed % 2, 2000);
		if (part.exact) {
			exact++;
			ck_assert_uint_gt(part.replay_from, 0);
			a = written(screen_write_ansi, &all);
			b = written(screen_write_ansi, &part);
			ck_assert_msg(!strcmp(a, b), "seed %u:\n%s\n---\n%s", seed, a, b);
			ck_assert_uint_eq(all.cursor_row, part.cursor_row);
			ck_assert_uint_eq(all.cursor_col, part.cursor_col);
			free(a);
			free(b);
		}
		screen_free(&all);
		screen_free(&part);
	}
	ck_assert_int_ge(exact, 40);
}
END_TEST

/* ----------------------------------------------- against libvterm's screen */

/* Random input: text, controls and sequences that move, erase, insert,
 * delete and scroll, with no wide characters (term.c keeps their halves
 * whole where libvterm 0.1.4 does not). */
static size_t random_input(char *buf, size_t max, unsigned seed)
{
	static const char *const seqs[] = {
		"\r", "\n", "\b", "\t", "\eM", "\eD", "\eE", "\e7", "\e8", "\e[K", "\e[1K", "\e[2K",
		"\e[J", "\e[1J", "\e[2J", "\e[H", "\e[2@", "\e[3P", "\e[2X", "\e[L", "\e[2M",
		"\e[S", "\e[2T", "\e[A", "\e[3B", "\e[2C", "\e[4D", "\e[r", "\e[2;5r", "\e[31m",
		"\e[1;44m", "\e[0m", "\e[?1049h", "\e[?1049l", "\e[?1047h", "\e[?6h", "\e[?6l",
		"\e[?7l", "\e[?7h", "\e[4h", "\e[4l", "\ec", "\e#8", "\e[?69h\e[3;12s", "\e[?69l",
		"\e[1\"q", "\e[?K", "\e[?2K", "\e[?J", "\e[?1J", "\e[0\"q", "\e[5;5H", "\e[20G",
		"\e[3d", "\e[1\"qAB\e[0\"q",
	};
	size_t n = 0;

	srand(seed);
	while (n + 40 < max) {
		int k = rand() % 3;

		if (k == 0) {
			const char *s = seqs[rand() % (sizeof(seqs) / sizeof(seqs[0]))];

			memcpy(buf + n, s, strlen(s));
			n += strlen(s);
		} else {
			for (int i = rand() % 12; i > 0; i--)
				buf[n++] = (char)('a' + rand() % 26);
		}
	}
	return n;
}

START_TEST(same_as_libvterm)
{
	enum { ROWS = 7, COLS = 23 };
	static char buf[3000];

	for (unsigned seed = 1; seed <= 300; seed++) {
		size_t n = random_input(buf, sizeof(buf), seed);
		VTerm *vt = vterm_new(ROWS, COLS);
		VTermScreen *vs;
		struct screen s;
		VTermPos pos;

		vterm_set_utf8(vt, 1);
		vs = vterm_obtain_screen(vt);
		vterm_screen_enable_altscreen(vs, 1);
		vterm_screen_reset(vs, 1);
		vterm_input_write(vt, buf, n);
		replay(&s, buf, n, COLS, ROWS, 1);
		for (pos.row = 0; pos.row < ROWS; pos.row++) {
			for (pos.col = 0; pos.col < COLS; pos.col++) {
				VTermScreenCell cell;
				char want[2] = { 0 };

				vterm_screen_get_cell(vs, pos, &cell);
				want[0] = (char)cell.chars[0];
				ck_assert_msg(!strcmp(screen_cell(&s, (unsigned)pos.row, (unsigned)pos.col)->text,
						      want),
					      "seed %u: row %d col %d: \"%s\", libvterm \"%s\"", seed,
					      pos.row, pos.col,
					      screen_cell(&s, (unsigned)pos.row, (unsigned)pos.col)->text,
					      want);
				if (cell.chars[0])
					ck_assert_uint_eq(screen_cell(&s, (unsigned)pos.row,
								      (unsigned)pos.col)->attrs & SCREEN_BOLD,
							  cell.attrs.bold ? SCREEN_BOLD : 0);
			}
		}
		vterm_state_get_cursorpos(vterm_obtain_state(vt), &pos);
		ck_cursor(&s, (unsigned)pos.row, (unsigned)pos.col);
		screen_free(&s);
		vterm_free(vt);
	}
}
END_TEST

/* ----------------------------------------------------------- from a file */

START_TEST(from_file)
{
	char dir[256], path[300];
	struct screen_opts o = { .rows = 3, .cols = 20, .replay_max = 4096 };
	struct screen s, b;
	size_t len, fill = 200000;
	char *t = long_text(fill, "\e[H\e[2Jlast screen\n\e]2;t\a", &len);
	int dfd = check_temp_dir(dir, sizeof(dir)), fd, p[2];
	char *ansi_s, *ansi_b;

	check_put(dfd, "big.log", t);
	check_put(dfd, "empty.log", "");
	snprintf(path, sizeof(path), "%s/big.log", dir);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(screen_from_fd(fd, &o, &s), 0);
	close(fd);
	ck_row(&s, 0, "last screen");
	ck_assert_str_eq(s.title, "t");
	ck_assert_int_eq(s.exact, 1);
	ck_assert_uint_ge(s.replay_from, fill - SCREEN_CONTEXT);
	ck_assert_int_eq(t[s.replay_from - 1], '\n');
	/* the same as from memory */
	ck_assert_int_eq(screen_from_bytes(t, len, &o, &b), 0);
	ck_assert_uint_eq(b.replay_from, s.replay_from);
	ansi_s = written(screen_write_ansi, &s);
	ansi_b = written(screen_write_ansi, &b);
	ck_assert_str_eq(ansi_s, ansi_b);
	free(ansi_s);
	free(ansi_b);
	screen_free(&s);
	screen_free(&b);

	snprintf(path, sizeof(path), "%s/empty.log", dir);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(screen_from_fd(fd, &o, &s), 0);
	close(fd);
	ck_row(&s, 0, "");
	ck_assert_int_eq(s.exact, 1);
	screen_free(&s);

	/* a transcript is a regular file */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(screen_from_fd(p[0], &o, &s), -EINVAL);
	screen_free(&s);
	close(p[0]);
	close(p[1]);
	close(dfd);
	check_rm_rf(dir);
	free(t);
}
END_TEST

Suite *make_screen_suite(void)
{
	Suite *s = suite_create("screen");
	TCase *feat = tcase_create("features");
	TCase *out = tcase_create("output");
	TCase *find = tcase_create("finder");
	TCase *vt = tcase_create("libvterm");

	tcase_add_test(feat, progress_bar);
	tcase_add_test(feat, cursor_addressing);
	tcase_add_test(feat, clear_screen);
	tcase_add_test(feat, scroll_region);
	tcase_add_test(feat, alternate_screen);
	tcase_add_test(feat, wide_characters);
	tcase_add_test(feat, trailing_blanks);
	tcase_add_test(feat, lf_modes);
	tcase_add_test(feat, title);
	tcase_add_test(feat, title_at_chunk_boundary);
	tcase_add_test(feat, no_controls_out);
	tcase_add_test(feat, selective_erase);
	tcase_add_test(feat, bad_options);
	tcase_add_test(feat, from_file);
	tcase_add_test(out, json_output);
	tcase_add_test(out, ansi_output);
	tcase_add_test(out, draw_output);
	tcase_add_test(find, finder_small_whole);
	tcase_add_test(find, finder_clears);
	tcase_add_test(find, finder_alternate_screen);
	tcase_add_test(find, finder_starts);
	tcase_add_test(find, finder_replay_equivalent);
	tcase_add_test(find, finder_random_equivalent);
	tcase_add_test(vt, same_as_libvterm);
	suite_add_tcase(s, feat);
	suite_add_tcase(s, out);
	suite_add_tcase(s, find);
	suite_add_tcase(s, vt);
	return s;
}
