/*
 * check_fmt.c: fmt/: JSON escaping (control characters, quotes, backslash,
 * invalid UTF-8: always valid JSON) and its stream writers, human byte
 * units, durations, timestamps written and read back, signal names, UTF-8
 * decoding and terminal-safe text.
 */
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/fmt.h"
#include "fmt/json.h"
#include "tests/check_suites.h"

/* ------------------------------------------------------------ helpers */

/* Escape LEN bytes of SRC; the result lives until the next call. */
static const char *esc(const char *src, size_t len)
{
	static char buf[FMT_JSON_ESCAPED_MAX(512)];

	ck_assert_uint_le(len, 512);
	ck_assert_uint_eq(fmt_json_escape(buf, src, len), strlen(buf));
	return buf;
}

#define ESC(lit) esc(lit, sizeof(lit) - 1)

/*
 * 1 if S (NUL-terminated) is a valid JSON string body: well-formed UTF-8,
 * no raw control character or quote, every backslash a valid escape.
 */
static int json_body_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n;

		if (p[i] < 0x20 || p[i] == '"')
			return 0;
		if (p[i] == '\\') {
			if (i + 1 >= len || !strchr("\"\\/bfnrtu", p[i + 1]))
				return 0;
			if (p[i + 1] == 'u') {
				if (i + 6 > len)
					return 0;
				for (int k = 2; k < 6; k++)
					if (!strchr("0123456789abcdefABCDEF", p[i + k]))
						return 0;
				i += 6;
			} else {
				i += 2;
			}
			continue;
		}
		n = fmt_utf8_next(p + i, len - i, &cp);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

static const char *dur(int64_t ns)
{
	static char buf[FMT_DURATION_MAX];

	ck_assert_uint_eq(fmt_duration(buf, ns), strlen(buf));
	return buf;
}

#define S(x) ((int64_t)(x) * 1000000000)

static const char *secs(int64_t ns)
{
	static char buf[FMT_DURATION_MAX];

	ck_assert_uint_eq(fmt_seconds(buf, ns), strlen(buf));
	return buf;
}

static const char *term(const char *src, size_t len, size_t cols, int utf8)
{
	static char buf[256];

	ck_assert_uint_lt(len, sizeof(buf));
	ck_assert_uint_eq(fmt_terminal_text(buf, src, len, cols, utf8), strlen(buf));
	return buf;
}

#define TERM(lit, cols, utf8) term(lit, sizeof(lit) - 1, cols, utf8)

/* ------------------------------------------------------- JSON escaping */

START_TEST(test_digits)
{
	ck_assert_int_eq(fmt_digits(0), 1);
	ck_assert_int_eq(fmt_digits(9), 1);
	ck_assert_int_eq(fmt_digits(10), 2);
	ck_assert_int_eq(fmt_digits(4294967295u), 10);
	ck_assert_int_eq(fmt_digits(UINT64_MAX), 20);
}
END_TEST

START_TEST(test_json_plain)
{
	ck_assert_str_eq(ESC(""), "");
	ck_assert_str_eq(ESC("sleep 60 && echo ok"), "sleep 60 && echo ok");
	ck_assert_str_eq(ESC("a/b"), "a/b");
}
END_TEST

START_TEST(test_json_quotes_backslash)
{
	ck_assert_str_eq(ESC("say \"hi\""), "say \\\"hi\\\"");
	ck_assert_str_eq(ESC("a\\b"), "a\\\\b");
	ck_assert_str_eq(ESC("\\\""), "\\\\\\\"");
}
END_TEST

START_TEST(test_json_control)
{
	ck_assert_str_eq(ESC("a\nb\tc\rd"), "a\\nb\\tc\\rd");
	ck_assert_str_eq(ESC("\b\f"), "\\b\\f");
	ck_assert_str_eq(ESC("\x01\x1b[31m"), "\\u0001\\u001b[31m");
	ck_assert_str_eq(ESC("\x1f\x7f"), "\\u001f\\u007f");
	/* A NUL inside the bytes is data, not the end. */
	ck_assert_str_eq(esc("a\0b", 3), "a\\u0000b");
}
END_TEST

START_TEST(test_json_utf8_kept)
{
	ck_assert_str_eq(ESC("caf\xc3\xa9"), "caf\xc3\xa9");
	ck_assert_str_eq(ESC("\xe2\x82\xac 5"), "\xe2\x82\xac 5");        /* euro */
	ck_assert_str_eq(ESC("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");    /* emoji */
	ck_assert_str_eq(ESC("\xc2\x85"), "\xc2\x85");                    /* U+0085 is valid JSON */
	/* Valid JSON, but they end lines in JavaScript: escaped. */
	ck_assert_str_eq(ESC("a\xe2\x80\xa8" "b\xe2\x80\xa9"), "a\\u2028b\\u2029");
}
END_TEST

START_TEST(test_json_invalid_utf8)
{
	ck_assert_str_eq(ESC("\xff"), "\\ufffd");
	ck_assert_str_eq(ESC("a\xfe\xff" "b"), "a\\ufffd\\ufffdb");
	ck_assert_str_eq(ESC("\x80"), "\\ufffd");                         /* stray continuation */
	ck_assert_str_eq(ESC("\xc0\xaf"), "\\ufffd\\ufffd");              /* overlong '/' */
	ck_assert_str_eq(ESC("\xe0\x80\xaf"), "\\ufffd\\ufffd\\ufffd");   /* overlong */
	ck_assert_str_eq(ESC("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");   /* surrogate D800 */
	ck_assert_str_eq(ESC("\xf4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd"); /* > 10FFFF */
	ck_assert_str_eq(ESC("\xe2\x82"), "\\ufffd\\ufffd");              /* cut short */
	ck_assert_str_eq(ESC("\xe2\x82" "x"), "\\ufffd\\ufffdx");
	ck_assert_str_eq(ESC("\xc3\xa9\xc3"), "\xc3\xa9\\ufffd");
}
END_TEST

/* Every single byte, every pair of bytes, and random buffers: valid JSON. */
START_TEST(test_json_always_valid)
{
	char src[64];

	for (int a = 0; a < 256; a++) {
		src[0] = (char)a;
		ck_assert_msg(json_body_valid(esc(src, 1)), "byte %02x", a);
		for (int b = 0; b < 256; b++) {
			src[1] = (char)b;
			ck_assert_msg(json_body_valid(esc(src, 2)), "bytes %02x %02x", a, b);
		}
	}
	srandom(12345);
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(random() % (long)sizeof(src));

		for (size_t i = 0; i < len; i++)
			src[i] = (char)(random() % 4 ? random() & 0xff : 0x80 | (random() & 0x7f));
		ck_assert_msg(json_body_valid(esc(src, len)), "random round %d", round);
	}
}
END_TEST

START_TEST(test_json_stream_writers)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	putc('{', f);
	fmt_json_key(f, "s", 1);
	fmt_json_string(f, "q\"\n\xff", 4);
	fmt_json_key(f, "n", 0);
	fmt_json_cstr(f, NULL);
	fmt_json_key(f, "max", 0);
	fmt_json_u64(f, UINT64_MAX);
	fmt_json_key(f, "min", 0);
	fmt_json_i64(f, INT64_MIN);
	fmt_json_key(f, "zero", 0);
	fmt_json_i64(f, 0);
	putc('}', f);
	fclose(f);
	ck_assert_str_eq(buf, "{\"s\":\"q\\\"\\n\\ufffd\",\"n\":null,\"max\":18446744073709551615,"
			      "\"min\":-9223372036854775808,\"zero\":0}");
	free(buf);
}
END_TEST

/* ----------------------------------------------------------- formatting */

static const char *bytes(uint64_t v)
{
	static char buf[FMT_BYTES_MAX];

	ck_assert_uint_eq(fmt_bytes(buf, v), strlen(buf));
	return buf;
}

START_TEST(test_fmt_bytes)
{
	ck_assert_str_eq(bytes(0), "0");
	ck_assert_str_eq(bytes(1), "1");
	ck_assert_str_eq(bytes(1023), "1023");
	ck_assert_str_eq(bytes(1024), "1.0K");
	ck_assert_str_eq(bytes(1025), "1.1K");     /* rounded up, never understated */
	ck_assert_str_eq(bytes(1536), "1.5K");
	ck_assert_str_eq(bytes(10239), "10K");
	ck_assert_str_eq(bytes(10240), "10K");
	ck_assert_str_eq(bytes(10241), "11K");
	ck_assert_str_eq(bytes(1048575), "1.0M");  /* 1023.999K */
	ck_assert_str_eq(bytes(1048576), "1.0M");
	ck_assert_str_eq(bytes(UINT64_C(5) << 30), "5.0G");
	ck_assert_str_eq(bytes(UINT64_C(1) << 40), "1.0T");
	ck_assert_str_eq(bytes(UINT64_C(1) << 50), "1.0P");
	ck_assert_str_eq(bytes(UINT64_C(1) << 60), "1.0E");
	ck_assert_str_eq(bytes(UINT64_MAX), "16E");
}
END_TEST

START_TEST(test_fmt_duration)
{
	ck_assert_str_eq(dur(-1), "-");
	ck_assert_str_eq(dur(0), "0.0s");
	ck_assert_str_eq(dur(450000000), "0.4s");
	ck_assert_str_eq(dur(S(9) + 999999999), "9.9s");
	ck_assert_str_eq(dur(S(10)), "10s");
	ck_assert_str_eq(dur(S(59) + 999999999), "59s");
	ck_assert_str_eq(dur(S(60)), "1m00s");
	ck_assert_str_eq(dur(S(187)), "3m07s");
	ck_assert_str_eq(dur(S(3599)), "59m59s");
	ck_assert_str_eq(dur(S(3600)), "1h00m");
	ck_assert_str_eq(dur(S(7500)), "2h05m");
	ck_assert_str_eq(dur(S(86399)), "23h59m");
	ck_assert_str_eq(dur(S(86400)), "1d00h");
	ck_assert_str_eq(dur(S(90061)), "1d01h");
	ck_assert_str_eq(dur(INT64_MAX), "106751d23h");
}
END_TEST

START_TEST(test_fmt_seconds)
{
	ck_assert_str_eq(secs(0), "0");
	ck_assert_str_eq(secs(-5), "0");
	ck_assert_str_eq(secs(999999), "0");
	ck_assert_str_eq(secs(1000000), "0.001");
	ck_assert_str_eq(secs(500000000), "0.5");
	ck_assert_str_eq(secs(S(12) + 345000000), "12.345");
	ck_assert_str_eq(secs(S(30)), "30");
	ck_assert_str_eq(secs(INT64_MAX), "9223372036.854");
}
END_TEST

START_TEST(test_fmt_iso8601)
{
	char buf[FMT_TIME_MAX];

	fmt_iso8601(buf, 0);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
	fmt_iso8601(buf, S(1700000000) + 123456789);
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.123Z");
	fmt_iso8601(buf, -1);
	ck_assert_str_eq(buf, "1969-12-31T23:59:59.999Z");
}
END_TEST

START_TEST(test_signal_names)
{
	char buf[FMT_SIGNAME_MAX];

	ck_assert_str_eq(fmt_signal_name(SIGKILL, buf), "SIGKILL");
	ck_assert_str_eq(fmt_signal_name(SIGTERM, buf), "SIGTERM");
	ck_assert_str_eq(fmt_signal_name(SIGHUP, buf), "SIGHUP");
	ck_assert_str_eq(fmt_signal_name(SIGSEGV, buf), "SIGSEGV");
	ck_assert_str_eq(fmt_signal_name(SIGSYS, buf), "SIGSYS");
	ck_assert_str_eq(fmt_signal_name(SIGRTMIN, buf), "SIGRTMIN");
	ck_assert_str_eq(fmt_signal_name(SIGRTMIN + 3, buf), "SIGRTMIN+3");
	ck_assert_str_eq(fmt_signal_name(SIGRTMAX, buf), "SIGRTMAX");
	ck_assert_str_eq(fmt_signal_name(0, buf), "SIG0");
	ck_assert_str_eq(fmt_signal_name(200, buf), "SIG200");
	ck_assert_str_eq(fmt_signal_name(-1, buf), "SIG-1");
}
END_TEST

START_TEST(test_utf8_next)
{
	uint32_t cp = 0;

	ck_assert_uint_eq(fmt_utf8_next((const unsigned char *)"A", 1, &cp), 1);
	ck_assert_uint_eq(cp, 'A');
	ck_assert_uint_eq(fmt_utf8_next((const unsigned char *)"\xc3\xa9", 2, &cp), 2);
	ck_assert_uint_eq(cp, 0xe9);
	ck_assert_uint_eq(fmt_utf8_next((const unsigned char *)"\xf4\x8f\xbf\xbf", 4, &cp), 4);
	ck_assert_uint_eq(cp, 0x10ffff);
	ck_assert_uint_eq(fmt_utf8_next((const unsigned char *)"\xc3\xa9", 1, &cp), 0);
	ck_assert_uint_eq(fmt_utf8_next((const unsigned char *)"\xc1\x81", 2, &cp), 0);
	ck_assert_uint_eq(fmt_utf8_next((const unsigned char *)"\xed\xbf\xbf", 3, &cp), 0);
	ck_assert_uint_eq(fmt_utf8_next((const unsigned char *)"\xf5\x80\x80\x80", 4, &cp), 0);
}
END_TEST

START_TEST(test_terminal_text)
{
	ck_assert_str_eq(TERM("echo hi", 0, 1), "echo hi");
	ck_assert_str_eq(TERM("a\x1b]0;pwned\x07z", 0, 1), "a?]0;pwned?z");
	ck_assert_str_eq(TERM("a\nb\tc\x7f", 0, 1), "a?b?c?");
	ck_assert_str_eq(TERM("\xc2\x9b" "31m", 0, 1), "?31m");      /* C1 CSI: one '?' */
	ck_assert_str_eq(TERM("\xff\xfe", 0, 1), "??");
	ck_assert_str_eq(TERM("caf\xc3\xa9", 0, 1), "caf\xc3\xa9");
	ck_assert_str_eq(TERM("caf\xc3\xa9", 0, 0), "caf??");          /* not a UTF-8 locale */
	ck_assert_str_eq(TERM("a\xe2\x80\xae" "b", 0, 1), "a?b");     /* RLO: one '?' */
	ck_assert_str_eq(TERM("abcdefgh", 5, 1), "abcde");
	ck_assert_str_eq(TERM("ab\xc3\xa9\xc3\xa9xy", 4, 1), "ab\xc3\xa9\xc3\xa9");
	ck_assert_str_eq(TERM("abc", 0, 1), "abc");
	ck_assert_str_eq(TERM("", 3, 1), "");
}
END_TEST

/* Wide characters take two columns: needs a UTF-8 locale to know. */
START_TEST(test_terminal_text_wide)
{
	if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "en_US.UTF-8"))
		return; /* no UTF-8 locale here: nothing to measure with */
	/* U+65E5 U+672C: two columns each. */
	ck_assert_str_eq(TERM("\xe6\x97\xa5\xe6\x9c\xac" "x", 3, 1), "\xe6\x97\xa5");
	ck_assert_str_eq(TERM("\xe6\x97\xa5\xe6\x9c\xac" "x", 4, 1), "\xe6\x97\xa5\xe6\x9c\xac");
	setlocale(LC_CTYPE, "C");
}
END_TEST

START_TEST(test_iso8601_parse)
{
	int64_t ns;

	ck_assert_int_eq(fmt_iso8601_parse("1970-01-01T00:00:00Z", &ns), 0);
	ck_assert_int_eq(ns, 0);
	ck_assert_int_eq(fmt_iso8601_parse("2023-11-14T22:13:20.123456789Z", &ns), 0);
	ck_assert_int_eq(ns, S(1700000000) + 123456789);
	ck_assert_int_eq(fmt_iso8601_parse("2023-11-14T22:13:20.5Z", &ns), 0);
	ck_assert_int_eq(ns, S(1700000000) + 500000000);
	ck_assert_int_eq(fmt_iso8601_parse("2023-11-14 22:13:20Z", &ns), -EINVAL);
	ck_assert_int_eq(fmt_iso8601_parse("2023-11-14T22:13:20", &ns), -EINVAL);
	ck_assert_int_eq(fmt_iso8601_parse("2023-13-14T22:13:20Z", &ns), -EINVAL);
	ck_assert_int_eq(fmt_iso8601_parse("2023-11-14T22:13:20.Z", &ns), -EINVAL);
}
END_TEST

Suite *make_fmt_suite(void)
{
	Suite *s = suite_create("fmt");
	TCase *json = tcase_create("json");
	TCase *fmt = tcase_create("format");

	tcase_add_test(json, test_digits);
	tcase_add_test(json, test_json_plain);
	tcase_add_test(json, test_json_quotes_backslash);
	tcase_add_test(json, test_json_control);
	tcase_add_test(json, test_json_utf8_kept);
	tcase_add_test(json, test_json_invalid_utf8);
	tcase_add_test(json, test_json_always_valid);
	tcase_add_test(json, test_json_stream_writers);
	suite_add_tcase(s, json);

	tcase_add_test(fmt, test_fmt_bytes);
	tcase_add_test(fmt, test_fmt_duration);
	tcase_add_test(fmt, test_fmt_seconds);
	tcase_add_test(fmt, test_fmt_iso8601);
	tcase_add_test(fmt, test_signal_names);
	tcase_add_test(fmt, test_utf8_next);
	tcase_add_test(fmt, test_terminal_text);
	tcase_add_test(fmt, test_terminal_text_wide);
	tcase_add_test(fmt, test_iso8601_parse);
	suite_add_tcase(s, fmt);
	return s;
}
