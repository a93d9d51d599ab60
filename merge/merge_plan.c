/*
 * merge_plan.c: the shards checked against each other, and the merged
 * order and final states.  A task's final state is its last job-log line:
 * retries and --resume runs append, they never rewrite.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge/merge.h"
#include "shm/state.h"

/* The first finished shard sets N and listed; every other must agree. */
static int check_split(struct merge *m, char *err, size_t len)
{
	const struct merge_shard *first = NULL;

	for (uint32_t i = 0; i < m->nshards; i++) {
		const struct merge_shard *s = &m->shards[i];

		if (!s->finished)
			continue;
		if (!first) {
			first = s;
			continue;
		}
		if (s->sum.shard_count != first->sum.shard_count) {
			snprintf(err, len, "%s is shard %u/%u but %s is shard %u/%u: not shards "
				 "of one split", s->dir, s->sum.shard_index, s->sum.shard_count,
				 first->dir, first->sum.shard_index, first->sum.shard_count);
			return -EINVAL;
		}
		if (s->sum.listed != first->sum.listed) {
			snprintf(err, len, "%s lists %u tasks but %s lists %u: not the same "
				 "task list", s->dir, s->sum.listed, first->dir, first->sum.listed);
			return -EINVAL;
		}
	}
	if (!first) {
		snprintf(err, len, "no finished run to merge: no log directory has a "
			 "summary.json");
		return -ENOENT;
	}
	m->count = first->sum.shard_count;
	m->listed = first->sum.listed;
	return 0;
}

int merge_check_shards(struct merge *m, char *err, size_t len)
{
	int ret = check_split(m, err, len);

	if (ret)
		return ret;
	m->owner = calloc(m->count, sizeof(*m->owner));
	if (!m->owner)
		return -ENOMEM;
	m->merged = 0;
	for (uint32_t i = 0; i < m->nshards; i++) {
		const struct merge_shard *s = &m->shards[i];
		uint32_t k = s->sum.shard_index;

		if (!s->finished)
			continue;
		if (m->owner[k]) {
			snprintf(err, len, "shard %u/%u given twice: %s and %s", k, m->count,
				 m->shards[m->owner[k] - 1].dir, s->dir);
			return -EINVAL;
		}
		m->owner[k] = i + 1;
		m->merged++;
	}
	m->missing = m->count - m->merged;
	return 0;
}

int merge_shard_present(const struct merge *m, uint32_t k)
{
	return k < m->count && m->owner[k] != 0;
}

/* By task number; a task's lines all come from one shard (each line was
 * checked to be its shard's), so ORDER keeps its attempts in file order. */
static int by_task(const void *a, const void *b)
{
	const struct merge_line *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

int merge_finish(struct merge *m)
{
	/* one more than needed: calloc(0) may return NULL */
	m->last = calloc((size_t)m->listed + 1, sizeof(*m->last));
	if (!m->last)
		return -ENOMEM;
	if (m->nlines)
		qsort(m->lines, m->nlines, sizeof(*m->lines), by_task);
	for (size_t i = 0; i < m->nlines; i++)
		m->last[m->lines[i].seq - 1] = (uint32_t)(i + 1);
	m->completed = m->failed = m->interrupted = m->not_run = 0;
	for (uint32_t seq = 1; seq <= m->listed; seq++) {
		const struct merge_line *l = merge_final(m, seq);

		if (!l)
			m->not_run++;
		else if (l->state == OS_COMPLETED)
			m->completed++;
		else if (l->state == OS_FAILED)
			m->failed++;
		else
			m->interrupted++;
	}
	return 0;
}

const struct merge_line *merge_final(const struct merge *m, uint32_t seq)
{
	if (seq == 0 || seq > m->listed || !m->last[seq - 1])
		return NULL;
	return &m->lines[m->last[seq - 1] - 1];
}

int merge_exit_status(const struct merge *m)
{
	return m->completed == m->listed ? 0 : 1;
}

void merge_free(struct merge *m)
{
	for (uint32_t i = 0; i < m->nshards; i++)
		free(m->shards[i].buf);
	free(m->lines);
	free(m->owner);
	free(m->last);
	m->lines = NULL;
	m->owner = m->last = NULL;
	m->nlines = m->cap = 0;
}
