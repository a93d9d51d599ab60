/*
 * summary_read.c: a small reader of the summary.json that summary.c
 * writes.  It is a JSON reader in the large (members in any order, any
 * whitespace, members it does not know skipped) and strict in the small:
 * the members the merge needs must be there with the types summary.c
 * gives them.  The cursor is jsonread.c's, shared with events.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logdir/jsonread.h"
#include "logdir/logdir.h"
#include "logdir/summary.h"
#include "shm/table.h"

/* "shard": null (an unsharded run: shard 0 of 1) or {"index": K, "count": N}. */
static int shard(struct logdir_json *c, struct summary_info *out)
{
	long long index = -1, count = -1;
	const char *key;
	size_t n;

	out->shard_index = 0;
	out->shard_count = 1;
	if (logdir_json_literal(c, "null"))
		return 0;
	if (logdir_json_expect(c, '{'))
		return -1;
	do {
		if (logdir_json_string(c, &key, &n) || logdir_json_expect(c, ':'))
			return -1;
		if (n == 5 && memcmp(key, "index", 5) == 0) {
			if (logdir_json_integer(c, 0, SUMMARY_SHARD_COUNT_MAX - 1, &index))
				return -1;
		} else if (n == 5 && memcmp(key, "count", 5) == 0) {
			if (logdir_json_integer(c, 1, SUMMARY_SHARD_COUNT_MAX, &count))
				return -1;
		} else if (logdir_json_skip(c, 1)) {
			return -1;
		}
	} while (logdir_json_literal(c, ","));
	if (logdir_json_expect(c, '}'))
		return -1;
	if (index < 0 || count < 0 || index >= count)
		return logdir_json_fail(c, "\"shard\" needs an index below its count");
	out->shard_index = (uint32_t)index;
	out->shard_count = (uint32_t)count;
	return 0;
}

/* "host": written only as [A-Za-z0-9._-] (summary.c), so it goes into the
 * tab-separated merged log as is; anything else is refused. */
static int host(struct logdir_json *c, struct summary_info *out)
{
	static const char ok[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
	const char *s;
	size_t n, i;

	if (logdir_json_string(c, &s, &n))
		return -1;
	for (i = 0; i < n && s[i] && strchr(ok, s[i]); i++)
		;
	if (n == 0 || i < n || n >= sizeof(out->host))
		return logdir_json_fail(c, "\"host\" is not a host name");
	memcpy(out->host, s, n);
	out->host[n] = '\0';
	return 0;
}

enum { HAVE_HOST = 1, HAVE_EXIT = 2, HAVE_SHARD = 4, HAVE_LISTED = 8 };

/* One member of the top object; sets a HAVE_ bit in *HAVE. */
static int member(struct logdir_json *c, struct summary_info *out, unsigned *have)
{
	const char *key;
	size_t n;
	long long v;

	if (logdir_json_string(c, &key, &n) || logdir_json_expect(c, ':'))
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
		if (logdir_json_integer(c, 0, 255, &v))
			return -1;
		out->exit_status = (int)v;
		return 0;
	}
	if (IS("listed")) {
		*have |= HAVE_LISTED;
		/* No task file holds more (tasklist.c refuses it), and the merge
		 * keeps an entry per listed task: a forged summary must not make
		 * it allocate gigabytes. */
		if (logdir_json_integer(c, 0, OS_SLOTS_MAX, &v))
			return -1;
		out->listed = (uint32_t)v;
		return 0;
	}
	if (IS("stopped_by_signal")) {
		out->stop_signal = 0;
		if (logdir_json_literal(c, "null"))
			return 0;
		if (logdir_json_integer(c, 1, 127, &v))
			return -1;
		out->stop_signal = (int)v;
		return 0;
	}
#undef IS
	return logdir_json_skip(c, 1);
}

int summary_parse(const char *text, size_t len, const char *file,
			struct summary_info *out, char *err, size_t errlen)
{
	struct logdir_json c = logdir_json_over(text, len);
	unsigned have = 0;
	const char *missing = NULL;

	memset(out, 0, sizeof(*out));
	if (memchr(text, '\0', len))
		logdir_json_fail(&c, "a NUL byte");
	else if (logdir_json_expect(&c, '{') == 0) {
		do {
			if (member(&c, out, &have))
				break;
		} while (logdir_json_literal(&c, ","));
		if (!c.why && logdir_json_expect(&c, '}') == 0 && !logdir_json_at_end(&c))
			logdir_json_fail(&c, "more after the object");
	}
	if (c.why) {
		snprintf(err, errlen, "%s:%u: not a oneshot summary: %s", file, logdir_json_line(&c), c.why);
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
