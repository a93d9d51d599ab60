/*
 * ps_timeline_text.c: the words and numbers of --timeline's picture: text
 * from the run made fit for XML, the time axis' steps and labels,
 * durations and times.
 */
#include <stdio.h>
#include <string.h>

#include "ps/ps.h"
#include "fmt/cause.h"
#include "fmt/fmt.h"

#define TL_TICKS_MAX 10
#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S INT64_C(1000000000)

/* Line and paragraph separators, bidi controls: they move or hide text. */
static int layout_control(uint32_t cp)
{
	return cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f;
}

/*
 * LEN bytes of S as XML character data, fit for an attribute in double
 * quotes too, cut to MAX characters (0: all) with an ellipsis: the markup
 * characters as entities; control characters, bytes that are not
 * well-formed UTF-8, non-characters XML refuses (U+FFFE, U+FFFF) and
 * characters that move text as '?', one per character (or byte).
 */
void ps_tl_xml_text(FILE *f, const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, chars = 0;

	while (i < len) {
		uint32_t cp = 0;
		size_t n = fmt_utf8_next(p + i, len - i, &cp);

		if (max && chars++ == max) {
			fputs("\xe2\x80\xa6", f); /* U+2026 */
			return;
		}
		if (n == 0) {
			putc('?', f);
			i++;
			continue;
		}
		if (cp == '<')
			fputs("&lt;", f);
		else if (cp == '>')
			fputs("&gt;", f);
		else if (cp == '&')
			fputs("&amp;", f);
		else if (cp == '"')
			fputs("&quot;", f);
		else if (cp == '\'')
			fputs("&#39;", f);
		else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0xfffe ||
			 cp == 0xffff || layout_control(cp))
			putc('?', f);
		else
			fwrite(p + i, 1, n, f);
		i += n;
	}
}

void ps_tl_xml_cstr(FILE *f, const char *s)
{
	ps_tl_xml_text(f, s, strlen(s), 0);
}

/* A tick's label: "0", "0.25s", "45s", "1m30s", "2h", "1d12h". */
void ps_tl_tick_label(char *buf, size_t len, int64_t ns)
{
	static const struct { int64_t secs; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	int64_t secs = ns / NS_PER_S;
	size_t n = 0;

	if (ns == 0) {
		snprintf(buf, len, "0");
		return;
	}
	if (ns % NS_PER_S) {
		char frac[16];
		size_t end;

		snprintf(frac, sizeof(frac), "%03lld", (long long)(ns % NS_PER_S / NS_PER_MS));
		for (end = strlen(frac); end > 1 && frac[end - 1] == '0'; end--)
			;
		snprintf(buf, len, "%lld.%.*ss", (long long)secs, (int)end, frac);
		return;
	}
	buf[0] = '\0';
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]) && n < len; u++) {
		int64_t q = secs / units[u].secs;

		if (!q)
			continue;
		secs -= q * units[u].secs;
		n += (size_t)snprintf(buf + n, len - n, "%lld%c", (long long)q, units[u].unit);
	}
}

/* The step between ticks: the first of 1, 2, 5 ms ... 1, 2, 7 days that
 * gives at most TL_TICKS_MAX intervals, else a number of weeks. */
int64_t ps_tl_tick_step(int64_t span)
{
	static const int64_t ms[] = {
		1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000,
		60000, 120000, 300000, 600000, 900000, 1800000, 3600000, 7200000, 10800000,
		21600000, 43200000, 86400000, 172800000, 604800000,
	};
	int64_t week = ms[sizeof(ms) / sizeof(ms[0]) - 1] * NS_PER_MS;

	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
		if (span / (ms[i] * NS_PER_MS) <= TL_TICKS_MAX)
			return ms[i] * NS_PER_MS;
	return week * ((span / week + TL_TICKS_MAX - 1) / TL_TICKS_MAX);
}

/* A bar's duration in a label: "78ms", "3.01s", "42.5s", "4m12s". */
void ps_tl_duration(char *buf, size_t len, int64_t ns)
{
	if (ns < NS_PER_S)
		snprintf(buf, len, "%lldms", (long long)(ns / NS_PER_MS));
	else if (ns < 10 * NS_PER_S)
		snprintf(buf, len, "%.2fs", (double)(ns / NS_PER_MS) / 1000);
	else if (ns < 60 * NS_PER_S)
		snprintf(buf, len, "%.1fs", (double)(ns / NS_PER_MS) / 1000);
	else
		fmt_elapsed(buf, len, ns, 0);
}

/* "2026-12-06T14:00:00.123Z", or "?" for a time not known. */
void ps_tl_put_time(FILE *f, int64_t real_ns)
{
	char buf[FMT_TIME_MAX];

	if (real_ns <= 0)
		fputs("?", f);
	else
		fwrite(buf, 1, fmt_iso8601(buf, real_ns), f);
}
