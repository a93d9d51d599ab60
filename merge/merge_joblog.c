/*
 * merge_joblog.c: a shard's job log read back for oneshot-ps --merge: each
 * line through the job log's reader (logdir/joblog_read.c), then checked
 * against the shard it came from.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge/merge.h"
#include "shm/state.h"

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
	struct joblog_line j;
	struct merge_line l;
	const char *why;
	int ret;

	if (joblog_line_parse(p, len, s->layout, &j, &why))
		return bad(err, errlen, s->dir, lineno, "%s", why);
	l = (struct merge_line){
		.seq = j.seq, .state = j.state, .attempt = j.attempt, .reason = j.reason,
		.exit_code = j.exit_code, .term_signal = j.term_signal,
		.head = j.head, .head_len = j.head_len, .cmd = j.cmd, .cmd_len = j.cmd_len,
	};
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
		if (lineno == 1 && !(s->layout = joblog_header_layout(p, (size_t)(nl - p))))
			return bad(err, errlen, s->dir, 1, "not a oneshot job-log header");
		/* A shard is a run of ours: its log has State and Attempt. */
		if (lineno == 1 && s->layout == JOBLOG_PARALLEL)
			return bad(err, errlen, s->dir, 1, "a GNU parallel job log, not a shard's");
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
	int ret = logdir_file_read(dirfd, "joblog", 0, &s->buf, &size);

	if (ret) {
		snprintf(err, errlen, "%s/joblog: %s", s->dir, logdir_file_error(ret));
		return ret;
	}
	return merge_joblog_parse(m, k, size, err, errlen);
}
