/*
 * fuzz_merge.c: libFuzzer target for the readers of oneshot-ps --merge
 * (logdir/summary_read.c, logdir/joblog_read.c, merge/merge_joblog.c) and the plan step after them
 * (merge_plan.c, merge_out.c): log directories may come from other machines,
 * so every byte they hold is untrusted.
 *
 * An input is "SUMMARY\0JOBLOG": the bytes before the first NUL are a
 * summary.json, the bytes after it a job log (no NUL: the whole input is the
 * summary and the job log is empty).  Then:
 *
 *  1. The summary is copied into a buffer of exactly its size (no NUL after
 *     it: summary_parse takes TEXT and LEN, so reading past LEN is a
 *     bug ASan reports) and parsed by summary_parse.  Accepted: host
 *     non-empty, < 256 bytes, only [A-Za-z0-9._-]; exit_status 0..255;
 *     stopped_by_signal 0..127; shard index < count <= SUMMARY_SHARD_COUNT_MAX; and
 *     the values written back the way summary.c writes them parse to the
 *     same struct.  Refused: -EINVAL and a non-empty, NUL-terminated reason
 *     starting "S:".
 *  2. Every job-log line after the first goes through joblog_line_parse, in
 *     the layout its header gives (Reason or not), and
 *     is compared with an independent model of the line format (the columns
 *     joblog.c writes, each field's rules as joblog_read.c's comment and
 *     joblog.h state them): same verdict, same numbers, rest and cmd pointing
 *     where the model says.
 *  3. The plan: one finished shard with that summary (or, when it was
 *     refused, "h", shard 0/1, 4096 listed, so the job log is still read)
 *     and one unfinished shard; merge_check_shards, merge_joblog_parse on a
 *     malloc'd copy (as merge_joblog_read gives it), merge_finish, then both
 *     merged files written to memory.  Accepted: the first line was exactly
 *     the header; one line kept per job-log line, each with a task number
 *     in 1..listed that is the shard's; after merge_finish the lines sorted
 *     by task and order, each task's final line its last, the counts adding
 *     up to listed; the merged job log has one line per kept line plus the
 *     header.  Refused: a non-empty NUL-terminated reason "D/joblog...".
 *     "listed" is capped at LISTED_MAX for this step only: merge_finish
 *     allocates and walks one entry per listed task, which for 2^32 - 1
 *     (a valid value) is 16 GiB, past libFuzzer's memory limit.
 *
 * Everything is freed (LeakSanitizer runs).  A failed check calls abort(),
 * which libFuzzer reports as a crash.  Build: "make fuzz"; tests/fuzz/README.md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge/merge.h"
#include "logdir/summary.h"
#include "shm/state.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


#define LISTED_MAX 4096u
#define FIELDS 12

static const char header[] = JOBLOG_HEADER, header_v1[] = JOBLOG_HEADER_V1;

/* The layout the model gives a job log whose first line is LINE (LEN bytes):
 * the first layout for its header, the current one otherwise. */
static int model_layout(const char *line, size_t len)
{
	static const char parallel[] =
		"Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand";

	if (len == sizeof(parallel) - 1 && memcmp(line, parallel, len) == 0)
		return 3;
	return len == sizeof(header_v1) - 1 && memcmp(line, header_v1, len) == 0 ? 1 : 2;
}

/* A reason's name, as the state machine spells them: its number, or -1. */
static int model_reason(const char *p, size_t n)
{
	for (uint32_t r = 1; r < OS_REASON_COUNT; r++)
		if (strlen(os_reason_name(r)) == n && memcmp(os_reason_name(r), p, n) == 0)
			return (int)r;
	return -1;
}

/* ERR (filled with 0x55 before the call) holds a NUL-terminated, non-empty
 * reason that starts with PREFIX. */
static void check_reason(const char *err, const char *prefix)
{
	const char *nul = memchr(err, '\0', MERGE_ERR_MAX);

	CHECK(nul != NULL);
	CHECK(nul > err);
	CHECK(strncmp(err, prefix, strlen(prefix)) == 0);
}

/* --- 1. summary.json ----------------------------------------------------- */

static int host_ok(const char *h)
{
	size_t n = strlen(h);

	return n > 0 && n < 256 && h[strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789._-")] == '\0';
}

/* Returns 1 and *OUT when the summary was accepted. */
static int summary_part(const uint8_t *data, size_t size, struct summary_info *out)
{
	char *text = malloc(size ? size : 1), err[MERGE_ERR_MAX], again[1024];
	struct summary_info back;
	int ret, n;

	CHECK(text != NULL);
	memcpy(text, data, size);
	memset(err, 0x55, sizeof(err));
	ret = summary_parse(text, size, "S", out, err, sizeof(err));
	free(text);
	if (ret) {
		CHECK(ret == -EINVAL);
		check_reason(err, "S");
		return 0;
	}
	CHECK(host_ok(out->host));
	CHECK(out->exit_status >= 0 && out->exit_status <= 255);
	CHECK(out->stop_signal >= 0 && out->stop_signal <= 127);
	CHECK(out->shard_count >= 1 && out->shard_count <= SUMMARY_SHARD_COUNT_MAX);
	CHECK(out->shard_index < out->shard_count);

	/* Written back as summary.c would (shard 0/1 as null, as it writes an
	 * unsharded run), it reads the same. */
	char sig[16] = "null", shard[64] = "null";

	if (out->stop_signal)
		snprintf(sig, sizeof(sig), "%d", out->stop_signal);
	if (out->shard_count > 1 || out->shard_index)
		snprintf(shard, sizeof(shard), "{\"index\": %u, \"count\": %u}",
			 out->shard_index, out->shard_count);
	n = snprintf(again, sizeof(again), "{\n  \"name\": \"x\",\n  \"host\": \"%s\",\n"
		     "  \"exit_status\": %d,\n  \"stopped_by_signal\": %s,\n  \"shard\": %s,\n"
		     "  \"listed\": %u,\n  \"counts\": {\"completed\": 0}\n}\n", out->host,
		     out->exit_status, sig, shard, out->listed);
	CHECK(n > 0 && (size_t)n < sizeof(again));
	memset(err, 0x55, sizeof(err));
	CHECK(summary_parse(again, (size_t)n, "S", &back, err, sizeof(err)) == 0);
	CHECK(strcmp(back.host, out->host) == 0);
	CHECK(back.exit_status == out->exit_status && back.stop_signal == out->stop_signal);
	CHECK(back.shard_index == out->shard_index && back.shard_count == out->shard_count);
	CHECK(back.listed == out->listed);
	return 1;
}

/* --- 2. job-log lines against a model ------------------------------------- */

/* Digits only, non-empty, value <= MAX (computed without wrapping). */
static int model_number(const char *p, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (p[i] < '0' || p[i] > '9')
			return -1;
		d = (unsigned)(p[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Digits, or digits '.' digits with at most 999999999 after the point. */
static int model_seconds(const char *p, size_t n)
{
	const char *dot;
	uint64_t v;

	while (n > 0 && *p == ' ') { /* GNU parallel pads JobRuntime */
		p++;
		n--;
	}
	dot = memchr(p, '.', n);
	if (!dot)
		return model_number(p, n, UINT64_MAX / 10, &v);
	return model_number(p, (size_t)(dot - p), UINT64_MAX / 10, &v) ||
	       model_number(dot + 1, n - (size_t)(dot - p) - 1, 999999999, &v);
}

/* LINE (LEN bytes, NUL after it): 0 and the expected fields in *L, or -1. */
static int model_line(const char *line, size_t len, int layout, struct joblog_line *l)
{
	const char *f[FIELDS];
	size_t fl[FIELDS];
	const char *p = line, *end = line + len;
	int fields = layout == 3 ? 9 : layout == 1 ? 11 : 12, last = fields - 1, r;
	uint64_t v;

	if (memchr(line, '\0', len))
		return -1;
	for (int i = 0; i < last; i++) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));

		if (!tab)
			return -1;
		f[i] = p;
		fl[i] = (size_t)(tab - p);
		p = tab + 1;
	}
	f[last] = p;
	fl[last] = (size_t)(end - p);
	if (model_number(f[0], fl[0], UINT32_MAX, &v) || v == 0)
		return -1;
	l->seq = (uint32_t)v;
	if (fl[1] == 0 || model_seconds(f[2], fl[2]) || model_seconds(f[3], fl[3]))
		return -1;
	if (model_number(f[4], fl[4], UINT64_MAX / 10, &v) ||
	    model_number(f[5], fl[5], UINT64_MAX / 10, &v))
		return -1;
	if (fl[6] == 2 && memcmp(f[6], "-1", 2) == 0)
		l->exit_code = -1;
	else if (model_number(f[6], fl[6], 255, &v))
		return -1;
	else
		l->exit_code = (int)v;
	if (model_number(f[7], fl[7], 127, &v))
		return -1;
	l->term_signal = (int)v;
	if (layout == 3) { /* parallel's: no State, Attempt or Reason */
		l->state = l->exit_code == 0 && l->term_signal == 0 ? OS_COMPLETED : OS_FAILED;
		l->attempt = 1;
		l->reason = 0;
		if (fl[last] == 0)
			return -1;
		l->head = f[2];
		l->head_len = (size_t)(f[7] + fl[7] - f[2]);
		l->cmd = f[last];
		l->cmd_len = fl[last];
		return 0;
	}
	if (fl[8] == 9 && memcmp(f[8], "COMPLETED", 9) == 0)
		l->state = OS_COMPLETED;
	else if (fl[8] == 6 && memcmp(f[8], "FAILED", 6) == 0)
		l->state = OS_FAILED;
	else if (fl[8] == 11 && memcmp(f[8], "INTERRUPTED", 11) == 0)
		l->state = OS_INTERRUPTED;
	else
		return -1;
	if (model_number(f[9], fl[9], UINT32_MAX, &v) || v == 0)
		return -1;
	l->attempt = (uint32_t)v;
	l->reason = 0;
	if (layout != 1 && !(fl[10] == 1 && f[10][0] == '-')) {
		r = model_reason(f[10], fl[10]);
		if (r < 0 || l->state == OS_COMPLETED)
			return -1;
		l->reason = (uint32_t)r;
	}
	if (fl[last] == 0)
		return -1;
	l->head = f[2];
	l->head_len = (size_t)(f[9] + fl[9] - f[2]);
	l->cmd = f[last];
	l->cmd_len = fl[last];
	return 0;
}

/* Each newline-terminated line after the first of JOBLOG. */
static void lines_part(const char *joblog, size_t size)
{
	const char *p = joblog, *end = joblog + size, *nl;
	int first = 1, layout = 2;

	for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
		size_t len = (size_t)(nl - p);
		char *line;
		struct joblog_line got, want;
		const char *why = NULL;
		int ret, model;

		if (first) {
			first = 0;
			layout = model_layout(p, len);
			continue;
		}
		line = malloc(len + 1);
		CHECK(line != NULL);
		memcpy(line, p, len);
		line[len] = '\0';
		ret = joblog_line_parse(line, len, layout, &got, &why);
		model = model_line(line, len, layout, &want);
		if (ret) {
			CHECK(ret == -EINVAL);
			CHECK(why != NULL && why[0] != '\0');
			CHECK(model != 0);
		} else {
			CHECK(model == 0);
			CHECK(got.seq == want.seq && got.seq >= 1);
			CHECK(got.state == want.state);
			CHECK(got.attempt == want.attempt && got.attempt >= 1);
			CHECK(got.exit_code == want.exit_code);
			CHECK(got.exit_code >= -1 && got.exit_code <= 255);
			CHECK(got.term_signal == want.term_signal);
			CHECK(got.reason == want.reason);
			CHECK(got.head == line + (want.head - line) && got.head_len == want.head_len);
			CHECK(got.cmd == line + (want.cmd - line) && got.cmd_len == want.cmd_len);
			CHECK(got.cmd_len >= 1 && got.cmd + got.cmd_len == line + len);
			CHECK(got.head + got.head_len < got.cmd);
		}
		free(line);
	}
}

/* --- 3. the plan ---------------------------------------------------------- */

static void plan_part(const char *joblog, size_t size, const struct summary_info *sum)
{
	struct merge_shard shards[2];
	struct merge m;
	char err[MERGE_ERR_MAX], *out = NULL;
	size_t outlen = 0, lines = 0, newlines = 0;
	FILE *f;
	int ret;

	memset(shards, 0, sizeof(shards));
	memset(&m, 0, sizeof(m));
	shards[0].dir = "D";
	shards[0].finished = 1;
	shards[0].sum = *sum;
	if (shards[0].sum.listed > LISTED_MAX)
		shards[0].sum.listed = LISTED_MAX;
	shards[1].dir = "U\t\"unfinished\"";
	m.shards = shards;
	m.nshards = 2;
	memset(err, 0x55, sizeof(err));
	CHECK(merge_check_shards(&m, err, sizeof(err)) == 0);
	CHECK(m.count == sum->shard_count && m.merged == 1 && m.missing == m.count - 1);
	CHECK(merge_shard_present(&m, sum->shard_index));

	/* The shard's buffer as logdir_file_read leaves it: malloc'd, with a
	 * NUL after the SIZE bytes. */
	shards[0].buf = malloc(size + 1);
	CHECK(shards[0].buf != NULL);
	memcpy(shards[0].buf, joblog, size);
	shards[0].buf[size] = '\0';
	memset(err, 0x55, sizeof(err));
	ret = merge_joblog_parse(&m, 0, size, err, sizeof(err));
	if (ret) {
		CHECK(ret == -EINVAL);
		check_reason(err, "D/joblog");
		merge_free(&m);
		return;
	}
	CHECK((size > sizeof(header) - 1 && joblog[sizeof(header) - 1] == '\n' &&
	       memcmp(joblog, header, sizeof(header) - 1) == 0) ||
	      (size > sizeof(header_v1) - 1 && joblog[sizeof(header_v1) - 1] == '\n' &&
	       memcmp(joblog, header_v1, sizeof(header_v1) - 1) == 0));
	for (size_t i = 0; i < size; i++)
		newlines += joblog[i] == '\n';
	CHECK(joblog[size - 1] == '\n');
	CHECK(m.nlines == newlines - 1);
	for (size_t i = 0; i < m.nlines; i++) {
		const struct merge_line *l = &m.lines[i];

		CHECK(l->seq >= 1 && l->seq <= m.listed);
		CHECK((l->seq - 1) % m.count == sum->shard_index);
		CHECK(l->shard == 0 && l->order == i + 2);
		CHECK(l->head >= shards[0].buf && l->cmd + l->cmd_len <= shards[0].buf + size);
		CHECK(l->cmd > l->head + l->head_len);
		CHECK(l->cmd_len >= 1 && !memchr(l->head, '\n', (size_t)(l->cmd + l->cmd_len - l->head)));
	}

	CHECK(merge_finish(&m) == 0);
	CHECK(m.completed + m.failed + m.interrupted + m.not_run == m.listed);
	for (size_t i = 0; i < m.nlines; i++) {
		const struct merge_line *l = &m.lines[i];

		if (i > 0)
			CHECK(m.lines[i - 1].seq < l->seq ||
			      (m.lines[i - 1].seq == l->seq && m.lines[i - 1].order < l->order));
		if (i + 1 == m.nlines || m.lines[i + 1].seq != l->seq)
			CHECK(merge_final(&m, l->seq) == l);
	}
	CHECK(merge_final(&m, 0) == NULL && merge_final(&m, m.listed + 1) == NULL);
	CHECK(merge_exit_status(&m) == (m.completed == m.listed ? 0 : 1));

	f = open_memstream(&out, &outlen);
	CHECK(f != NULL);
	merge_write_joblog(f, &m);
	CHECK(fflush(f) == 0 && !ferror(f));
	for (size_t i = 0; i < outlen; i++)
		lines += out[i] == '\n';
	CHECK(lines == m.nlines + 1);
	CHECK(outlen > 0 && out[outlen - 1] == '\n');
	CHECK(fclose(f) == 0);
	free(out);
	out = NULL;
	f = open_memstream(&out, &outlen);
	CHECK(f != NULL);
	merge_write_summary(f, &m);
	CHECK(fclose(f) == 0);
	CHECK(outlen >= 2 && out[0] == '{' && strcmp(out + outlen - 2, "}\n") == 0);
	free(out);
	merge_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t slen = nul ? (size_t)(nul - data) : size;
	const char *joblog = nul ? (const char *)nul + 1 : "";
	size_t jlen = nul ? size - slen - 1 : 0;
	struct summary_info sum;

	if (!summary_part(data, slen, &sum)) {
		memset(&sum, 0, sizeof(sum));
		strcpy(sum.host, "h");
		sum.shard_count = 1;
		sum.listed = LISTED_MAX;
	}
	lines_part(joblog, jlen);
	plan_part(joblog, jlen, &sum);
	return 0;
}
