/*
 * summary_read.c: a small reader of the summary.json that summary.c
 * writes.  It is a JSON reader in the large (members in any order, any
 * whitespace, members it does not know skipped) and strict in the small:
 * the members the merge needs must be there with the types summary.c
 * gives them.  No library: the format is ours and tiny.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logdir/logdir.h"
#include "logdir/summary.h"
#include "shm/table.h"

#define DEPTH_MAX 16 /* nesting of skipped values */

struct cursor {
	const char *start, *p, *end;
	const char *why;              /* set by the first error */
};

static int fail(struct cursor *c, const char *why)
{
	if (!c->why)
		c->why = why;
	return -1;
}

static void blank(struct cursor *c)
{
	while (c->p < c->end && strchr(" \t\r\n", *c->p) && *c->p)
		c->p++;
}

static int expect(struct cursor *c, char ch)
{
	blank(c);
	if (c->p >= c->end || *c->p != ch)
		return fail(c, ch == ':' ? "':' expected" : ch == '{' ? "'{' expected"
			    : ch == '"' ? "a string expected" : ch == '}' ? "',' or '}' expected"
			    : ch == ']' ? "',' or ']' expected" : "unexpected character");
	c->p++;
	return 0;
}

/* 1 and past it if the next token is the literal WORD. */
static int literal(struct cursor *c, const char *word)
{
	size_t n = strlen(word);

	blank(c);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return 0;
	c->p += n;
	return 1;
}

/* A string: its raw body (escapes kept) in *S, *N. */
static int string(struct cursor *c, const char **s, size_t *n)
{
	if (expect(c, '"'))
		return -1;
	*s = c->p;
	while (c->p < c->end && *c->p != '"') {
		if ((unsigned char)*c->p < 0x20)
			return fail(c, "a control character in a string");
		if (*c->p == '\\' && ++c->p == c->end)
			break;
		c->p++;
	}
	if (c->p >= c->end)
		return fail(c, "unterminated string");
	*n = (size_t)(c->p++ - *s);
	return 0;
}

/* An integer in [MIN, MAX] (both within 10^12 of 0): what summary.c writes
 * has no fraction.  Read by hand, not by strtoll: the text ends at END, and
 * no NUL need follow it (strtoll read on past END). */
static int integer(struct cursor *c, long long min, long long max, long long *out)
{
	const char *start;
	unsigned long long v = 0;
	int neg, big = 0;

	blank(c);
	start = c->p;
	neg = c->p < c->end && *c->p == '-';
	c->p += neg;
	if (c->p >= c->end || *c->p < '0' || *c->p > '9') {
		c->p = start;
		return fail(c, "a number expected");
	}
	for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++) {
		if (v > 1000000000000ULL)
			big = 1; /* past any MIN or MAX used here: stop growing */
		else
			v = v * 10 + (unsigned)(*c->p - '0');
	}
	if (big || (neg ? -(long long)v < min : (long long)v > max) ||
	    (c->p < c->end && strchr(".eE", *c->p) && *c->p)) {
		c->p = start;
		return fail(c, "a number out of range");
	}
	*out = neg ? -(long long)v : (long long)v;
	return 0;
}

static int skip_value(struct cursor *c, int depth);

/* The members of an object after its '{', each skipped. */
static int skip_members(struct cursor *c, char close, int depth)
{
	const char *s;
	size_t n;

	blank(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 0;
	}
	do {
		if (close == '}' && (string(c, &s, &n) || expect(c, ':')))
			return -1;
		if (skip_value(c, depth + 1))
			return -1;
		blank(c);
	} while (literal(c, ","));
	return expect(c, close);
}

static int skip_value(struct cursor *c, int depth)
{
	const char *s;
	size_t n;

	if (depth > DEPTH_MAX)
		return fail(c, "nested too deep");
	blank(c);
	if (c->p >= c->end)
		return fail(c, "a value expected");
	if (*c->p == '"')
		return string(c, &s, &n);
	if (*c->p == '{' || *c->p == '[')
		return skip_members(c, *c->p++ == '{' ? '}' : ']', depth);
	if (literal(c, "null") || literal(c, "true") || literal(c, "false"))
		return 0;
	/* Any number, fractions too: a later summary.c may write some. */
	s = c->p;
	while (c->p < c->end && *c->p && strchr("+-.eE0123456789", *c->p))
		c->p++;
	return c->p > s ? 0 : fail(c, "a value expected");
}

/* "shard": null (an unsharded run: shard 0 of 1) or {"index": K, "count": N}. */
static int shard(struct cursor *c, struct summary_info *out)
{
	long long index = -1, count = -1;
	const char *key;
	size_t n;

	out->shard_index = 0;
	out->shard_count = 1;
	if (literal(c, "null"))
		return 0;
	if (expect(c, '{'))
		return -1;
	do {
		if (string(c, &key, &n) || expect(c, ':'))
			return -1;
		if (n == 5 && memcmp(key, "index", 5) == 0) {
			if (integer(c, 0, SUMMARY_SHARD_COUNT_MAX - 1, &index))
				return -1;
		} else if (n == 5 && memcmp(key, "count", 5) == 0) {
			if (integer(c, 1, SUMMARY_SHARD_COUNT_MAX, &count))
				return -1;
		} else if (skip_value(c, 1)) {
			return -1;
		}
	} while (literal(c, ","));
	if (expect(c, '}'))
		return -1;
	if (index < 0 || count < 0 || index >= count)
		return fail(c, "\"shard\" needs an index below its count");
	out->shard_index = (uint32_t)index;
	out->shard_count = (uint32_t)count;
	return 0;
}

/* "host": written only as [A-Za-z0-9._-] (summary.c), so it goes into the
 * tab-separated merged log as is; anything else is refused. */
static int host(struct cursor *c, struct summary_info *out)
{
	static const char ok[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
	const char *s;
	size_t n, i;

	if (string(c, &s, &n))
		return -1;
	for (i = 0; i < n && s[i] && strchr(ok, s[i]); i++)
		;
	if (n == 0 || i < n || n >= sizeof(out->host))
		return fail(c, "\"host\" is not a host name");
	memcpy(out->host, s, n);
	out->host[n] = '\0';
	return 0;
}

enum { HAVE_HOST = 1, HAVE_EXIT = 2, HAVE_SHARD = 4, HAVE_LISTED = 8 };

/* One member of the top object; sets a HAVE_ bit in *HAVE. */
static int member(struct cursor *c, struct summary_info *out, unsigned *have)
{
	const char *key;
	size_t n;
	long long v;

	if (string(c, &key, &n) || expect(c, ':'))
		return -1;
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(key, lit, n) == 0)
	if (IS("host")) {
		*have |= HAVE_HOST;
		return host(c, out);
	}
	if (IS("shard")) {
		*have |= HAVE_SHARD;
		return shard(c, out);
	}
	if (IS("exit_status")) {
		*have |= HAVE_EXIT;
		if (integer(c, 0, 255, &v))
			return -1;
		out->exit_status = (int)v;
		return 0;
	}
	if (IS("listed")) {
		*have |= HAVE_LISTED;
		/* No task file holds more (tasklist.c refuses it), and the merge
		 * keeps an entry per listed task: a forged summary must not make
		 * it allocate gigabytes. */
		if (integer(c, 0, OS_SLOTS_MAX, &v))
			return -1;
		out->listed = (uint32_t)v;
		return 0;
	}
	if (IS("stopped_by_signal")) {
		out->stop_signal = 0;
		if (literal(c, "null"))
			return 0;
		if (integer(c, 1, 127, &v))
			return -1;
		out->stop_signal = (int)v;
		return 0;
	}
#undef IS
	return skip_value(c, 1);
}

/* Line of the cursor's position, for FILE:LINE. */
static unsigned line_of(const struct cursor *c)
{
	unsigned line = 1;

	for (const char *p = c->start; p < c->p && p < c->end; p++)
		line += *p == '\n';
	return line;
}

int summary_parse(const char *text, size_t len, const char *file,
			struct summary_info *out, char *err, size_t errlen)
{
	struct cursor c = { text, text, text + len, NULL };
	unsigned have = 0;
	const char *missing = NULL;

	memset(out, 0, sizeof(*out));
	if (memchr(text, '\0', len))
		fail(&c, "a NUL byte");
	else if (expect(&c, '{') == 0) {
		do {
			if (member(&c, out, &have))
				break;
		} while (literal(&c, ","));
		if (!c.why && expect(&c, '}') == 0) {
			blank(&c);
			if (c.p < c.end)
				fail(&c, "more after the object");
		}
	}
	if (c.why) {
		snprintf(err, errlen, "%s:%u: not a oneshot summary: %s", file, line_of(&c), c.why);
		return -EINVAL;
	}
	missing = !(have & HAVE_HOST) ? "host" : !(have & HAVE_EXIT) ? "exit_status"
		: !(have & HAVE_SHARD) ? "shard" : !(have & HAVE_LISTED) ? "listed" : NULL;
	if (missing) {
		snprintf(err, errlen, "%s: no \"%s\" (written by an older oneshot, or not by "
			 "oneshotd-supervise)", file, missing);
		return -EINVAL;
	}
	return 0;
}

int summary_read(int dirfd, const char *dir, struct summary_info *out,
		       char *err, size_t errlen)
{
	char file[4096], *text = NULL;
	size_t len;
	int ret = logdir_file_read(dirfd, "summary.json", SUMMARY_FILE_MAX, &text, &len);

	snprintf(file, sizeof(file), "%s/summary.json", dir);
	if (ret == -ENOENT)
		return ret;
	if (ret) {
		snprintf(err, errlen, "%s: %s", file, logdir_file_error(ret));
		return ret;
	}
	ret = summary_parse(text, len, file, out, err, errlen);
	free(text);
	return ret;
}
