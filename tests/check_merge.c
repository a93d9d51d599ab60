/*
 * check_merge.c: merge/: the checks across shards, a shard's job log read
 * and refused, the merged order and final states.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/check_suites.h"
#include "logdir/joblog.h"
#include "logdir/logdir.h"
#include "logdir/summary.h"
#include "merge/merge.h"
#include "shm/state.h"

/* ------------------------------------------------------ across shards */

static struct merge_shard shards[4];

/* M with N shards: shard i is index IDX[i] of COUNT[i], LISTED[i] tasks. */
static void shards_of(struct merge *m, uint32_t n, const uint32_t *idx, const uint32_t *count,
		      const uint32_t *listed)
{
	static const char *const dirs[] = { "d0", "d1", "d2", "d3" };

	memset(m, 0, sizeof(*m));
	memset(shards, 0, sizeof(shards));
	for (uint32_t i = 0; i < n; i++) {
		shards[i].dir = dirs[i];
		shards[i].finished = 1;
		shards[i].sum.shard_index = idx[i];
		shards[i].sum.shard_count = count[i];
		shards[i].sum.listed = listed[i];
		strcpy(shards[i].sum.host, "h");
	}
	m->shards = shards;
	m->nshards = n;
}

START_TEST(shards_checked)
{
	char err[MERGE_ERR_MAX];
	struct merge m;

	shards_of(&m, 3, (uint32_t[]){ 0, 3, 1 }, (uint32_t[]){ 4, 4, 4 }, (uint32_t[]){ 9, 9, 9 });
	ck_assert_int_eq(merge_check_shards(&m, err, sizeof(err)), 0);
	ck_assert_uint_eq(m.count, 4);
	ck_assert_uint_eq(m.merged, 3);
	ck_assert_uint_eq(m.missing, 1);
	ck_assert(!merge_shard_present(&m, 2) && merge_shard_present(&m, 3));
	merge_free(&m);

	shards_of(&m, 3, (uint32_t[]){ 0, 1, 1 }, (uint32_t[]){ 4, 4, 4 }, (uint32_t[]){ 9, 9, 9 });
	ck_assert_int_eq(merge_check_shards(&m, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "shard 1/4 given twice: d1 and d2");
	merge_free(&m);

	shards_of(&m, 2, (uint32_t[]){ 0, 1 }, (uint32_t[]){ 4, 3 }, (uint32_t[]){ 9, 9 });
	ck_assert_int_eq(merge_check_shards(&m, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "d1 is shard 1/3 but d0 is shard 0/4"));

	shards_of(&m, 2, (uint32_t[]){ 0, 1 }, (uint32_t[]){ 2, 2 }, (uint32_t[]){ 9, 8 });
	ck_assert_int_eq(merge_check_shards(&m, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "d1 lists 8 tasks but d0 lists 9"));

	/* Unfinished shards are left out; none finished is an error. */
	shards_of(&m, 2, (uint32_t[]){ 0, 0 }, (uint32_t[]){ 2, 2 }, (uint32_t[]){ 9, 9 });
	shards[0].finished = 0;
	ck_assert_int_eq(merge_check_shards(&m, err, sizeof(err)), 0);
	ck_assert_uint_eq(m.merged, 1);
	merge_free(&m);
	shards[1].finished = 0;
	ck_assert_int_eq(merge_check_shards(&m, err, sizeof(err)), -ENOENT);
}
END_TEST

/* Job log LINES into shard K's directory, read into M. */
static int joblog_into(struct merge *m, uint32_t k, const char *lines, char *err)
{
	char dir[256], text[4096];
	int fd = check_temp_dir(dir, sizeof(dir)), ret;

	snprintf(text, sizeof(text), "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval"
		 "\tSignal\tState\tAttempt\tCommand\n%s", lines);
	check_put(fd, "joblog", text);
	shards[k].dir = "D";
	free(shards[k].buf); /* a test may read into one shard again */
	shards[k].buf = NULL;
	ret = merge_joblog_read(m, k, fd, err, MERGE_ERR_MAX);
	close(fd);
	check_rm_rf(dir);
	return ret;
}

#define L(seq, state, attempt) seq "\t:\t1.5\t0.25\t0\t3\t" \
	"0\t0\t" state "\t" attempt "\techo " seq "\n"

START_TEST(merged_order_and_finals)
{
	char err[MERGE_ERR_MAX];
	struct merge m;

	shards_of(&m, 2, (uint32_t[]){ 0, 1 }, (uint32_t[]){ 3, 3 }, (uint32_t[]){ 8, 8 });
	ck_assert_int_eq(merge_check_shards(&m, err, sizeof(err)), 0);
	/* shard 0: 1, 4, 7; shard 1: 2, 5, 8; shard 2 (3, 6) missing */
	ck_assert_int_eq(joblog_into(&m, 0, L("7", "FAILED", "1") L("1", "COMPLETED", "1")
				     L("7", "COMPLETED", "2") L("4", "INTERRUPTED", "1"), err), 0);
	ck_assert_int_eq(joblog_into(&m, 1, L("5", "FAILED", "1") L("2", "COMPLETED", "1"), err), 0);
	ck_assert_int_eq(merge_finish(&m), 0);
	ck_assert_uint_eq(m.nlines, 6);
	ck_assert_uint_eq(m.lines[0].seq, 1);
	ck_assert_uint_eq(m.lines[1].seq, 2);
	ck_assert_uint_eq(m.lines[4].seq, 7);
	ck_assert_uint_eq(m.lines[4].attempt, 1);
	ck_assert_uint_eq(m.lines[5].attempt, 2);
	ck_assert_uint_eq(merge_final(&m, 7)->state, OS_COMPLETED);
	ck_assert_ptr_null(merge_final(&m, 8));
	ck_assert_uint_eq(m.completed, 3);
	ck_assert_uint_eq(m.failed, 1);
	ck_assert_uint_eq(m.interrupted, 1);
	ck_assert_uint_eq(m.not_run, 3);
	ck_assert_int_eq(merge_exit_status(&m), 1);
	merge_free(&m);
}
END_TEST

START_TEST(joblog_refused)
{
	char err[MERGE_ERR_MAX];
	struct merge m;

	shards_of(&m, 1, (uint32_t[]){ 1 }, (uint32_t[]){ 3 }, (uint32_t[]){ 8 });
	ck_assert_int_eq(merge_check_shards(&m, err, sizeof(err)), 0);
	ck_assert_int_eq(joblog_into(&m, 0, L("2", "COMPLETED", "1") L("4", "FAILED", "1"), err),
			 -EINVAL);
	ck_assert_str_eq(err, "D/joblog:3: task 4 belongs to shard 0/3, not to this shard 1/3");
	ck_assert_int_eq(joblog_into(&m, 0, L("11", "COMPLETED", "1"), err), -EINVAL);
	ck_assert_str_eq(err, "D/joblog:2: task 11 is not in 1..8, the tasks listed");
	ck_assert_int_eq(joblog_into(&m, 0, "2\t:\t1\t1\t0\t0\t0\t0\tCOMPLETED\t1\tx", err),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "D/joblog:2: no newline at the end"));
	ck_assert_int_eq(joblog_into(&m, 0, "2\t:\tx\n", err), -EINVAL);
	ck_assert_str_eq(err, "D/joblog:2: fewer than 11 tab-separated fields");
	merge_free(&m);
}
END_TEST

/* A job log already in memory (merge_joblog_parse, which merge_joblog_read
 * calls): a NUL in the header line does not end it.  It once did, and the
 * bytes after the NUL, here a FAILED task's line, were dropped unseen (found
 * by tests/fuzz/fuzz_merge). */
START_TEST(joblog_header_nul)
{
	static const char text[] = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval"
		"\tSignal\tState\tAttempt\tCommand\0" "1\t:\t1\t1\t0\t0\t0\t0\tFAILED\t1\tx\n";
	char err[MERGE_ERR_MAX];
	struct merge m;

	for (int nul = 1; nul >= 0; nul--) {
		shards_of(&m, 1, (uint32_t[]){ 0 }, (uint32_t[]){ 1 }, (uint32_t[]){ 1 });
		ck_assert_int_eq(merge_check_shards(&m, err, sizeof(err)), 0);
		shards[0].dir = "D";
		shards[0].buf = malloc(sizeof(text));
		ck_assert_ptr_nonnull(shards[0].buf);
		memcpy(shards[0].buf, text, sizeof(text));
		if (!nul) /* the same bytes with a newline there: one FAILED task */
			*strchr(shards[0].buf, '\0') = '\n';
		err[0] = '\0';
		if (nul) {
			ck_assert_int_eq(merge_joblog_parse(&m, 0, sizeof(text) - 1, err,
							    sizeof(err)), -EINVAL);
			ck_assert_str_eq(err, "D/joblog:1: not a oneshot job-log header");
		} else {
			ck_assert_int_eq(merge_joblog_parse(&m, 0, sizeof(text) - 1, err,
							    sizeof(err)), 0);
			ck_assert_int_eq(merge_finish(&m), 0);
			ck_assert_uint_eq(m.nlines, 1);
			ck_assert_uint_eq(m.failed, 1);
		}
		merge_free(&m);
	}
}
END_TEST

Suite *make_merge_suite(void)
{
	Suite *s = suite_create("merge");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, shards_checked);
	tcase_add_test(tc, merged_order_and_finals);
	tcase_add_test(tc, joblog_refused);
	tcase_add_test(tc, joblog_header_nul);
	suite_add_tcase(s, tc);
	return s;
}
