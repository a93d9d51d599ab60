/*
 * merge_joblog.c: a shard's job log read back for oneshot-ps --merge.  Every
 * field is checked, not only the ones the merge uses: a line that does not
 * look exactly like one joblog.c writes means the file is not what the
 * merge thinks it is, and a merged log built on it would be wrong.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "state.h"

#define FIELDS 11 /* Seq ... Command */

static const char header[] =
	"Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tState\tAttempt\tCommand";

/* Digits only (no sign, no space), at most MAX.  Checked before each step,
 * so that v * 10 + d never wraps (MAX is up to UINT64_MAX / 10, and a wrapped
 * value would pass for a small one). */
static int number(const char *p, const char *end, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (p == end)
		return -1;
	for (; p < end; p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (*p < '0' || *p > '9' || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Seconds as joblog.c writes them: digits, then optionally '.' and digits. */
static int seconds(const char *p, const char *end)
{
	const char *dot = memchr(p, '.', (size_t)(end - p));
	uint64_t v;

	if (!dot)
		return number(p, end, UINT64_MAX / 10, &v);
	return number(p, dot, UINT64_MAX / 10, &v) || number(dot + 1, end, 999999999, &v);
}

/* A final state, spelt as os_state_name() spells it. */
static int final_state(const char *p, const char *end, uint32_t *out)
{
	static const uint32_t finals[] = { OS_COMPLETED, OS_FAILED, OS_INTERRUPTED };

	for (size_t i = 0; i < sizeof(finals) / sizeof(finals[0]); i++) {
		const char *name = os_state_name(finals[i]);

		if (strlen(name) == (size_t)(end - p) && memcmp(name, p, (size_t)(end - p)) == 0) {
			*out = finals[i];
			return 0;
		}
	}
	return -1;
}

/* Exitval: -1 (no exit status) or 0..255. */
static int exitval(const char *p, const char *end, int *out)
{
	uint64_t v;

	if (end - p == 2 && p[0] == '-' && p[1] == '1') {
		*out = -1;
		return 0;
	}
	if (number(p, end, 255, &v))
		return -1;
	*out = (int)v;
	return 0;
}

/* Cut LINE into its fields: F[i] starts field i, F[i + 1] - 1 ends it. */
static int split(const char *line, size_t len, const char *f[FIELDS + 1])
{
	const char *p = line, *end = line + len;

	for (int i = 0; i < FIELDS - 1; i++) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));

		if (!tab)
			return -1;
		f[i] = p;
		p = tab + 1;
	}
	f[FIELDS - 1] = p;
	f[FIELDS] = end + 1; /* as if a tab followed Command */
	return 0;
}

int merge_line_parse(const char *line, size_t len, struct merge_line *out, const char **why)
{
	const char *f[FIELDS + 1];
	uint64_t v, bytes;

#define END(i) (f[(i) + 1] - 1)
#define BAD(text) do { *why = (text); return -EINVAL; } while (0)
	if (memchr(line, '\0', len))
		BAD("a NUL byte in the line");
	if (split(line, len, f))
		BAD("fewer than 11 tab-separated fields");
	if (number(f[0], END(0), UINT32_MAX, &v) || v == 0)
		BAD("bad task number (Seq)");
	out->seq = (uint32_t)v;
	if (f[1] == END(1))
		BAD("empty Host");
	if (seconds(f[2], END(2)) || seconds(f[3], END(3)))
		BAD("bad Starttime or JobRuntime");
	if (number(f[4], END(4), UINT64_MAX / 10, &bytes) ||
	    number(f[5], END(5), UINT64_MAX / 10, &bytes))
		BAD("bad Send or Receive");
	if (exitval(f[6], END(6), &out->exit_code))
		BAD("bad Exitval");
	if (number(f[7], END(7), 127, &v))
		BAD("bad Signal");
	out->term_signal = (int)v;
	if (final_state(f[8], END(8), &out->state))
		BAD("bad State (not COMPLETED, FAILED or INTERRUPTED)");
	if (number(f[9], END(9), UINT32_MAX, &v) || v == 0)
		BAD("bad Attempt");
	out->attempt = (uint32_t)v;
	if (f[10] == line + len)
		BAD("empty Command");
#undef BAD
#undef END
	out->rest = f[2];
	out->rest_len = (size_t)(line + len - f[2]);
	out->cmd = f[10];
	out->cmd_len = (size_t)(line + len - f[10]);
	return 0;
}

__attribute__((format(printf, 5, 6)))
static int bad(char *err, size_t len, const char *dir, uint64_t lineno, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, len, "%s/joblog:%llu: %s", dir, (unsigned long long)lineno, what);
	return -EINVAL;
}

static int push(struct merge *m, const struct merge_line *l)
{
	if (m->nlines == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		struct merge_line *p;

		/* last[] holds line indexes + 1 in 32 bits */
		if (cap > UINT32_MAX - 1)
			cap = UINT32_MAX - 1;
		if (m->nlines == cap)
			return -EFBIG;
		p = realloc(m->lines, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		m->lines = p;
		m->cap = cap;
	}
	m->lines[m->nlines++] = *l;
	return 0;
}

/* Check and keep line LINENO (LEN bytes at P) of shard K. */
static int add_line(struct merge *m, uint32_t k, const char *p, size_t len, uint64_t lineno,
		    char *err, size_t errlen)
{
	const struct merge_shard *s = &m->shards[k];
	struct merge_line l;
	const char *why;
	int ret;

	if (merge_line_parse(p, len, &l, &why))
		return bad(err, errlen, s->dir, lineno, "%s", why);
	if (l.seq > m->listed)
		return bad(err, errlen, s->dir, lineno, "task %u is not in 1..%u, the tasks listed",
			   l.seq, m->listed);
	if ((l.seq - 1) % m->count != s->sum.shard_index)
		return bad(err, errlen, s->dir, lineno, "task %u belongs to shard %u/%u, not to "
			   "this shard %u/%u", l.seq, (l.seq - 1) % m->count, m->count,
			   s->sum.shard_index, m->count);
	l.shard = k;
	l.order = lineno > UINT32_MAX ? UINT32_MAX : (uint32_t)lineno;
	ret = push(m, &l);
	if (ret)
		snprintf(err, errlen, "%s/joblog: %s", s->dir, strerror(-ret));
	return ret;
}

int merge_joblog_parse(struct merge *m, uint32_t k, size_t size, char *err, size_t errlen)
{
	struct merge_shard *s = &m->shards[k];
	uint64_t lineno = 0;
	char *p, *end = s->buf + size, *nl;
	int ret;

	for (p = s->buf; p < end; p = nl + 1) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return bad(err, errlen, s->dir, lineno, "no newline at the end (the file "
				   "was cut short, or a run is still writing it)");
		*nl = '\0';
		/* by length: a NUL in the header line must not end the comparison
		 * (and hide the bytes after it, a task's line, say) */
		if (lineno == 1 && ((size_t)(nl - p) != sizeof(header) - 1 ||
				    memcmp(p, header, sizeof(header) - 1) != 0))
			return bad(err, errlen, s->dir, 1, "not a oneshot job-log header");
		if (lineno > 1 && (ret = add_line(m, k, p, (size_t)(nl - p), lineno, err, errlen)))
			return ret;
	}
	if (lineno == 0)
		return bad(err, errlen, s->dir, 1, "empty: not even a header line");
	return 0;
}

int merge_joblog_read(struct merge *m, uint32_t k, int dirfd, char *err, size_t errlen)
{
	struct merge_shard *s = &m->shards[k];
	size_t size;
	int ret = merge_file_read(dirfd, "joblog", 0, &s->buf, &size);

	if (ret) {
		snprintf(err, errlen, "%s/joblog: %s", s->dir, merge_file_error(ret));
		return ret;
	}
	return merge_joblog_parse(m, k, size, err, errlen);
}
