/*
 * merge_out.c: the text of the merged job log and summary.json.  The job
 * log keeps joblog.c's columns with Shard added after Host, so a parser of
 * a run's job log only has to skip one more column.
 */
#include <stdio.h>

#include "merge/merge.h"
#include "fmt/json.h"
#include "shm/state.h"

static const char header[] = "Seq\tHost\tShard\tStarttime\tJobRuntime\tSend\tReceive\t"
			     "Exitval\tSignal\tState\tAttempt\tReason\tCommand\n";

void merge_write_joblog(FILE *f, const struct merge *m)
{
	fputs(header, f);
	for (size_t i = 0; i < m->nlines; i++) {
		const struct merge_line *l = &m->lines[i];
		const struct merge_shard *s = &m->shards[l->shard];

		const char *reason = os_reason_name(l->reason);

		fprintf(f, "%u\t%s\t%u/%u\t", l->seq, s->sum.host, s->sum.shard_index, m->count);
		fwrite(l->head, 1, l->head_len, f);
		/* a shard's job log of the first layout has no Reason: "-" */
		fprintf(f, "\t%s\t", reason ? reason : "-");
		fwrite(l->cmd, 1, l->cmd_len, f);
		putc('\n', f);
	}
}

/* "shards": the merged ones in index order. */
static void write_shards(FILE *f, const struct merge *m)
{
	int first = 1;

	fputs("  \"shards\": [", f);
	for (uint32_t k = 0; k < m->count; k++) {
		const struct merge_shard *s;

		if (!merge_shard_present(m, k))
			continue;
		s = &m->shards[m->owner[k] - 1];
		fprintf(f, "%s\n    {\"dir\": ", first ? "" : ",");
		fmt_json_cstr(f, s->dir);
		fprintf(f, ", \"index\": %u, \"host\": \"%s\", \"exit_status\": %d, "
			"\"stopped_by_signal\": ", k, s->sum.host, s->sum.exit_status);
		if (s->sum.stop_signal)
			fprintf(f, "%d}", s->sum.stop_signal);
		else
			fputs("null}", f);
		first = 0;
	}
	fputs(first ? "],\n" : "\n  ],\n", f);
}

/* "missing_shards" (the first MERGE_LIST_MAX) and "unfinished" (dirs). */
static void write_gaps(FILE *f, const struct merge *m)
{
	uint32_t n = 0;

	fputs("  \"missing_shards\": [", f);
	for (uint32_t k = 0; k < m->count && n < MERGE_LIST_MAX; k++)
		if (!merge_shard_present(m, k))
			fprintf(f, "%s%u", n++ ? ", " : "", k);
	fputs("],\n  \"unfinished\": [", f);
	n = 0;
	for (uint32_t i = 0; i < m->nshards; i++) {
		if (m->shards[i].finished)
			continue;
		fputs(n++ ? ", " : "", f);
		fmt_json_cstr(f, m->shards[i].dir);
	}
	fputs("],\n", f);
}

/* "NAME": the first MERGE_LIST_MAX task numbers whose final state is STATE. */
static void write_tasks(FILE *f, const struct merge *m, const char *name, uint32_t state)
{
	uint32_t n = 0;

	fprintf(f, "  \"%s\": [", name);
	for (uint32_t seq = 1; seq <= m->listed && n < MERGE_LIST_MAX; seq++) {
		const struct merge_line *l = merge_final(m, seq);

		if (l && l->state == state)
			fprintf(f, "%s%u", n++ ? ", " : "", seq);
	}
	fputs("],\n", f);
}

void merge_write_summary(FILE *f, const struct merge *m)
{
	fprintf(f, "{\n  \"shard_count\": %u,\n", m->count);
	write_shards(f, m);
	write_gaps(f, m);
	fprintf(f, "  \"listed\": %u,\n  \"total\": %u,\n", m->listed,
		m->completed + m->failed + m->interrupted + m->not_run);
	fprintf(f, "  \"counts\": {\"completed\": %u, \"failed\": %u, \"interrupted\": %u, "
		"\"not_run\": %u},\n", m->completed, m->failed, m->interrupted, m->not_run);
	write_tasks(f, m, "failed", OS_FAILED);
	write_tasks(f, m, "interrupted", OS_INTERRUPTED);
	fprintf(f, "  \"exit_status\": %d\n}\n", merge_exit_status(m));
}
