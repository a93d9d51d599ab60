/*
 * jsonread.c: the cursor behind the readers of summary.json and
 * events.jsonl (see jsonread.h).  Numbers are read by hand, not by strtoll:
 * the text ends at END and no NUL need follow it.
 */
#include <string.h>

#include "logdir/jsonread.h"

struct logdir_json logdir_json_over(const char *text, size_t len)
{
	return (struct logdir_json){ text, text, text + len, NULL };
}

int logdir_json_fail(struct logdir_json *c, const char *why)
{
	if (!c->why)
		c->why = why;
	return -1;
}

void logdir_json_blank(struct logdir_json *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
		c->p++;
}

int logdir_json_at_end(struct logdir_json *c)
{
	logdir_json_blank(c);
	return c->p >= c->end;
}

int logdir_json_expect(struct logdir_json *c, char ch)
{
	logdir_json_blank(c);
	if (c->p >= c->end || *c->p != ch)
		return logdir_json_fail(c, ch == ':' ? "':' expected" : ch == '{' ? "'{' expected"
				: ch == '"' ? "a string expected" : ch == '}' ? "',' or '}' expected"
				: ch == ']' ? "',' or ']' expected" : "unexpected character");
	c->p++;
	return 0;
}

int logdir_json_literal(struct logdir_json *c, const char *word)
{
	size_t n = strlen(word);

	logdir_json_blank(c);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return 0;
	c->p += n;
	return 1;
}

int logdir_json_next_is(struct logdir_json *c, char kind)
{
	logdir_json_blank(c);
	if (c->p >= c->end)
		return 0;
	if (kind == '0')
		return *c->p == '-' || (*c->p >= '0' && *c->p <= '9');
	return *c->p == kind;
}

int logdir_json_string(struct logdir_json *c, const char **s, size_t *n)
{
	if (logdir_json_expect(c, '"'))
		return -1;
	*s = c->p;
	while (c->p < c->end && *c->p != '"') {
		if ((unsigned char)*c->p < 0x20)
			return logdir_json_fail(c, "a control character in a string");
		if (*c->p == '\\' && ++c->p == c->end)
			break;
		c->p++;
	}
	if (c->p >= c->end)
		return logdir_json_fail(c, "unterminated string");
	*n = (size_t)(c->p++ - *s);
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The escape after a backslash at *P (below END), decoded; advances *P.
 * -1 when malformed. */
static int unescape(const char **p, const char *end)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit = *p < end && **p ? strchr(from, **p) : NULL;
	int v = 0;

	if (hit) {
		(*p)++;
		return to[hit - from];
	}
	if (*p >= end || **p != 'u' || end - *p < 5)
		return -1;
	for (int i = 1; i <= 4; i++) {
		int h = hexval((*p)[i]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	*p += 5;
	return v < 0x80 ? v : '?';
}

int logdir_json_string_copy(struct logdir_json *c, char *out, size_t len)
{
	const char *s, *p;
	size_t n, o = 0;

	if (logdir_json_string(c, &s, &n))
		return -1;
	for (p = s; p < s + n;) {
		int ch = (unsigned char)*p++;

		if (ch == '\\' && (ch = unescape(&p, s + n)) < 0)
			return logdir_json_fail(c, "a bad escape in a string");
		if (!out)
			continue;
		if (o + 1 >= len)
			return logdir_json_fail(c, "a string too long");
		out[o++] = (char)ch;
	}
	if (out)
		out[o] = '\0';
	return 0;
}

int logdir_json_integer(struct logdir_json *c, long long min, long long max, long long *out)
{
	const char *start;
	unsigned long long v = 0;
	int neg, big = 0;

	logdir_json_blank(c);
	start = c->p;
	neg = c->p < c->end && *c->p == '-';
	c->p += neg;
	if (c->p >= c->end || *c->p < '0' || *c->p > '9') {
		c->p = start;
		return logdir_json_fail(c, "a number expected");
	}
	for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++) {
		if (v > 1000000000000ULL)
			big = 1; /* past any MIN or MAX used here: stop growing */
		else
			v = v * 10 + (unsigned)(*c->p - '0');
	}
	if (big || (neg ? -(long long)v < min : (long long)v > max) ||
	    (c->p < c->end && *c->p && strchr(".eE", *c->p))) {
		c->p = start;
		return logdir_json_fail(c, "a number out of range");
	}
	*out = neg ? -(long long)v : (long long)v;
	return 0;
}

/* The members of an object (CLOSE '}') or array (']') after its opening. */
static int skip_members(struct logdir_json *c, char close, int depth)
{
	const char *s;
	size_t n;

	logdir_json_blank(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 0;
	}
	do {
		if (close == '}' && (logdir_json_string(c, &s, &n) || logdir_json_expect(c, ':')))
			return -1;
		if (logdir_json_skip(c, depth + 1))
			return -1;
		logdir_json_blank(c);
	} while (logdir_json_literal(c, ","));
	return logdir_json_expect(c, close);
}

int logdir_json_skip(struct logdir_json *c, int depth)
{
	const char *s;

	if (depth > LOGDIR_JSON_DEPTH_MAX)
		return logdir_json_fail(c, "nested too deep");
	logdir_json_blank(c);
	if (c->p >= c->end)
		return logdir_json_fail(c, "a value expected");
	if (*c->p == '"')
		return logdir_json_string_copy(c, NULL, 0);
	if (*c->p == '{' || *c->p == '[')
		return skip_members(c, *c->p++ == '{' ? '}' : ']', depth);
	if (logdir_json_literal(c, "null") || logdir_json_literal(c, "true") ||
	    logdir_json_literal(c, "false"))
		return 0;
	/* Any number, fractions too: a later writer may write some. */
	s = c->p;
	while (c->p < c->end && *c->p && strchr("+-.eE0123456789", *c->p))
		c->p++;
	return c->p > s ? 0 : logdir_json_fail(c, "a value expected");
}

unsigned logdir_json_line(const struct logdir_json *c)
{
	unsigned line = 1;

	for (const char *p = c->start; p < c->p && p < c->end; p++)
		line += *p == '\n';
	return line;
}
