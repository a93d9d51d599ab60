/*
 * check_merge.c: oneshot-ps --merge's reading pieces: job-log lines (every
 * field checked), summary.json (round trip through summary.c's writer, other
 * member orders, and refusals with their line), the checks across shards,
 * the merged order and final states, and reading files that are not
 * regular files.
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

/* ------------------------------------------------------------ helpers */

/* A private directory, removed by the test's process exit (forked). */
static int temp_dir(char *path, size_t len)
{
	snprintf(path, len, "%s/check-merge.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(path));
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void put(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void rm_rf(const char *path)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
}

/* Parse LINE; returns 0 or -EINVAL and keeps the reason in WHY. */
static int parse(const char *line, struct joblog_line *l, const char **why)
{
	*why = NULL;
	return joblog_line_parse(line, strlen(line), l, why);
}

#define GOOD_FIELDS "1795299248.072\t0.001\t0\t2\t0\t0\tCOMPLETED\t1\t"

/* ------------------------------------------------------ job-log lines */

START_TEST(line_good)
{
	struct joblog_line l;
	const char *why;

	ck_assert_int_eq(parse("14\t:\t1795299248.080\t0.000\t0\t0\t2\t0\tFAILED\t3\t"
			       "printf 'a\\tb'\t x", &l, &why), 0);
	ck_assert_uint_eq(l.seq, 14);
	ck_assert_uint_eq(l.state, OS_FAILED);
	ck_assert_uint_eq(l.attempt, 3);
	ck_assert_int_eq(l.exit_code, 2);
	ck_assert_int_eq(l.term_signal, 0);
	ck_assert_int_eq((int)l.cmd_len, 16);
	ck_assert(memcmp(l.cmd, "printf 'a\\tb'\t x", 16) == 0);
	ck_assert(strncmp(l.rest, "1795299248.080\t", 15) == 0);
	ck_assert_int_eq(parse("3\thost\t1\t2\t0\t0\t-1\t9\tINTERRUPTED\t1\tsleep 9", &l, &why), 0);
	ck_assert_int_eq(l.exit_code, -1);
	ck_assert_int_eq(l.term_signal, 9);
	ck_assert_uint_eq(l.state, OS_INTERRUPTED);
	/* the largest Send and Receive: UINT64_MAX / 10 */
	ck_assert_int_eq(parse("3\th\t1\t2\t1844674407370955161\t1844674407370955161\t0\t0\t"
			       "COMPLETED\t1\tx", &l, &why), 0);
}
END_TEST

START_TEST(line_bad)
{
	static const struct {
		const char *line, *why;
	} cases[] = {
		{ "0\t:\t" GOOD_FIELDS "x", "bad task number" },
		{ "+1\t:\t" GOOD_FIELDS "x", "bad task number" },
		{ "4294967296\t:\t" GOOD_FIELDS "x", "bad task number" },
		{ " 1\t:\t" GOOD_FIELDS "x", "bad task number" },
		{ "1\t\t" GOOD_FIELDS "x", "empty Host" },
		{ "1\t:\t1.2.3\t0.001\t0\t2\t0\t0\tCOMPLETED\t1\tx", "bad Starttime" },
		{ "1\t:\t1\t\t0\t2\t0\t0\tCOMPLETED\t1\tx", "bad Starttime" },
		{ "1\t:\t1\t1\t-1\t2\t0\t0\tCOMPLETED\t1\tx", "bad Send" },
		/* past UINT64_MAX / 10, and past 2^64 so that v * 10 + d once wrapped
		 * to a small value and passed (found by tests/fuzz/fuzz_merge) */
		{ "1\t:\t1\t1\t0\t1844674407370955162\t0\t0\tFAILED\t1\tx", "bad Send or Receive" },
		{ "1\t:\t1\t1\t0\t1844674407370955161744073709551610\t0\t0\tFAILED\t1\tx",
		  "bad Send or Receive" },
		{ "1\t:\t18446744073709551616\t1\t0\t0\t0\t0\tFAILED\t1\tx", "bad Starttime" },
		{ "1\t:\t1\t1\t0\t2\t-2\t0\tFAILED\t1\tx", "bad Exitval" },
		{ "1\t:\t1\t1\t0\t2\t256\t0\tFAILED\t1\tx", "bad Exitval" },
		{ "1\t:\t1\t1\t0\t2\t0\tx\tFAILED\t1\tx", "bad Signal" },
		{ "1\t:\t1\t1\t0\t2\t0\t0\tRUNNING\t1\tx", "bad State" },
		{ "1\t:\t1\t1\t0\t2\t0\t0\tcompleted\t1\tx", "bad State" },
		{ "1\t:\t1\t1\t0\t2\t0\t0\tCOMPLETED\t0\tx", "bad Attempt" },
		{ "1\t:\t" GOOD_FIELDS, "empty Command" },
		{ "1\t:\t1\t1\t0\t2\t0\t0\tCOMPLETED\t1", "fewer than 11" },
		{ "", "fewer than 11" },
	};
	struct joblog_line l;
	const char *why;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(parse(cases[i].line, &l, &why) == -EINVAL, "case %zu accepted", i);
		ck_assert_msg(strstr(why, cases[i].why), "case %zu: '%s'", i, why);
	}
	ck_assert_int_eq(joblog_line_parse("1\t:\t" GOOD_FIELDS "a\0b", sizeof("1\t:\t" GOOD_FIELDS
					  "a\0b") - 1, &l, &why), -EINVAL);
	ck_assert_str_eq(why, "a NUL byte in the line");
}
END_TEST

/* --------------------------------------------------------- summary.json */

START_TEST(summary_round_trip)
{
	char dir[256], err[MERGE_ERR_MAX];
	int fd = temp_dir(dir, sizeof(dir));
	struct summary s = { .name = "m.2", .supervisor_pid = 7, .exit_status = 1,
			     .stop_signal = 15, .total = 5, .listed = 20,
			     .shard_index = 2, .shard_count = 4 };
	struct summary_info got;

	ck_assert_int_eq(summary_write(fd, &s), 0);
	ck_assert_int_eq(summary_read(fd, dir, &got, err, sizeof(err)), 0);
	ck_assert_uint_eq(got.shard_index, 2);
	ck_assert_uint_eq(got.shard_count, 4);
	ck_assert_uint_eq(got.listed, 20);
	ck_assert_int_eq(got.exit_status, 1);
	ck_assert_int_eq(got.stop_signal, 15);
	ck_assert_uint_gt(strlen(got.host), 0);
	s.shard_count = 0; /* unsharded: "shard": null is shard 0 of 1 */
	s.stop_signal = 0;
	ck_assert_int_eq(summary_write(fd, &s), 0);
	ck_assert_int_eq(summary_read(fd, dir, &got, err, sizeof(err)), 0);
	ck_assert_uint_eq(got.shard_index, 0);
	ck_assert_uint_eq(got.shard_count, 1);
	ck_assert_int_eq(got.stop_signal, 0);
	ck_assert_int_eq(unlinkat(fd, "summary.json", 0), 0);
	ck_assert_int_eq(summary_read(fd, dir, &got, err, sizeof(err)), -ENOENT);
	close(fd);
	rm_rf(dir);
}
END_TEST

/* Parse TEXT as summary.json of file "S"; ERR keeps the reason. */
static int summary(const char *text, struct summary_info *out, char *err)
{
	err[0] = '\0';
	return summary_parse(text, strlen(text), "S", out, err, MERGE_ERR_MAX);
}

START_TEST(summary_tolerant)
{
	char err[MERGE_ERR_MAX];
	struct summary_info got;

	ck_assert_int_eq(summary("{\"listed\":40,\"future\":{\"a\":[1,2.5e3,{\"b\":null}],"
				 "\"c\":\"x\\\"y\"},\"shard\":{\"count\":4,\"index\":3},"
				 "\"stopped_by_signal\":null,\"exit_status\":0,"
				 "\"host\":\"node-7.example\"}\n\n", &got, err), 0);
	ck_assert_str_eq(got.host, "node-7.example");
	ck_assert_uint_eq(got.shard_index, 3);
	ck_assert_uint_eq(got.shard_count, 4);
	ck_assert_uint_eq(got.listed, 40);
}
END_TEST

START_TEST(summary_refused)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "", "S:1: not a oneshot summary: '{' expected" },
		{ "{\"host\": \"h\",\n \"exit_status\": 0,\n \"shard\": null\n",
		  "S:4: not a oneshot summary: ',' or '}' expected" },
		{ "{\"host\": \"h\", \"exit_status\": 0, \"shard\": null}",
		  "S: no \"listed\"" },
		{ "{\"host\": \"a b\", \"exit_status\": 0, \"shard\": null, \"listed\": 1}",
		  "\"host\" is not a host name" },
		{ "{\"host\": \"a\\tb\", \"exit_status\": 0, \"shard\": null, \"listed\": 1}",
		  "\"host\" is not a host name" },
		{ "{\"host\": \"h\", \"exit_status\": 0, \"shard\": {\"index\": 4, \"count\": 4}, "
		  "\"listed\": 1}", "needs an index below its count" },
		{ "{\"host\": \"h\", \"exit_status\": 0, \"shard\": null, \"listed\": 1.5}",
		  "out of range" },
		{ "{\"host\": \"h\", \"exit_status\": 0, \"shard\": null, \"listed\": -1}",
		  "out of range" },
		/* more tasks than any task file can hold: a forged count */
		{ "{\"host\": \"h\", \"exit_status\": 0, \"shard\": null, \"listed\": 10000001}",
		  "out of range" },
		{ "{\"host\": \"h\", \"exit_status\": 0, \"shard\": null, \"listed\": 1} x",
		  "more after the object" },
		{ "{\"host\": \"h\", \"exit_status\": 0, \"shard\": null, \"listed\": 1, \"x\": "
		  "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}", "nested too deep" },
		{ "{\"host\": \"h\n\"}", "a control character" },
	};
	char err[MERGE_ERR_MAX];
	struct summary_info got;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(summary(cases[i].text, &got, err) == -EINVAL, "case %zu accepted", i);
		ck_assert_msg(strstr(err, cases[i].err), "case %zu: '%s'", i, err);
	}
}
END_TEST

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
	int fd = temp_dir(dir, sizeof(dir)), ret;

	snprintf(text, sizeof(text), "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval"
		 "\tSignal\tState\tAttempt\tCommand\n%s", lines);
	put(fd, "joblog", text);
	shards[k].dir = "D";
	free(shards[k].buf); /* a test may read into one shard again */
	shards[k].buf = NULL;
	ret = merge_joblog_read(m, k, fd, err, MERGE_ERR_MAX);
	close(fd);
	rm_rf(dir);
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

/* summary.json is TEXT and LEN, with no NUL needed after it: a number at
 * the very end was read on past LEN by strtoll (found by fuzz_merge under
 * ASan).  Here the byte after LEN is a digit that must not count. */
START_TEST(summary_number_at_end)
{
	static const char text[] = "{\"host\": \"h\", \"exit_status\": 0, \"shard\": null, "
		"\"listed\": 12}";
	char err[MERGE_ERR_MAX];
	struct summary_info got;

	/* "...\"listed\": 1" then "2}": cut after the 1 */
	ck_assert_int_eq(summary_parse(text, sizeof(text) - 3, "S", &got, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "',' or '}' expected"));
	ck_assert_int_eq(summary_parse(text, sizeof(text) - 1, "S", &got, err, sizeof(err)), 0);
	ck_assert_uint_eq(got.listed, 12);
	/* a lone '-' is no number */
	ck_assert_int_eq(summary("{\"host\": \"h\", \"exit_status\": -, \"shard\": null, "
				 "\"listed\": 1}", &got, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "a number expected"));
	ck_assert_int_eq(summary("{\"host\": \"h\", \"exit_status\": 0, \"shard\": null, "
				 "\"listed\": 99999999999999999999999}", &got, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "out of range"));
}
END_TEST

/* A symlink or FIFO named joblog is refused, and a FIFO does not block. */
START_TEST(file_not_regular)
{
	char dir[256], *buf;
	size_t len;
	int fd = temp_dir(dir, sizeof(dir));

	ck_assert_int_eq(mkfifoat(fd, "fifo", 0600), 0);
	ck_assert_int_eq(symlinkat("/etc/passwd", fd, "link"), 0);
	ck_assert_int_eq(logdir_file_read(fd, "fifo", 0, &buf, &len), LOGDIR_NOT_REGULAR);
	ck_assert_int_eq(logdir_file_read(fd, "link", 0, &buf, &len), -ELOOP);
	ck_assert_str_eq(logdir_file_error(-ELOOP), "a symbolic link (not followed)");
	put(fd, "big", "0123456789");
	ck_assert_int_eq(logdir_file_read(fd, "big", 9, &buf, &len), -EFBIG);
	ck_assert_int_eq(logdir_file_read(fd, "big", 10, &buf, &len), 0);
	ck_assert_uint_eq(len, 10);
	ck_assert_str_eq(buf, "0123456789");
	free(buf);
	close(fd);
	rm_rf(dir);
}
END_TEST

Suite *make_merge_suite(void)
{
	Suite *s = suite_create("merge");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, line_good);
	tcase_add_test(tc, line_bad);
	tcase_add_test(tc, summary_round_trip);
	tcase_add_test(tc, summary_tolerant);
	tcase_add_test(tc, summary_refused);
	tcase_add_test(tc, shards_checked);
	tcase_add_test(tc, merged_order_and_finals);
	tcase_add_test(tc, joblog_refused);
	tcase_add_test(tc, joblog_header_nul);
	tcase_add_test(tc, summary_number_at_end);
	tcase_add_test(tc, file_not_regular);
	suite_add_tcase(s, tc);
	return s;
}
