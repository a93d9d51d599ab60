/*
 * check_logdir.c: logdir/, the run's files read back: job-log lines (every
 * field checked), one task's last job-log line (joblog_find), summary.json
 * (round trip through summary.c's writer, other member orders, refusals
 * with their line), events.jsonl lines, a queue's LOGDIR/queue (appended
 * and read back), and reading files that are not regular files.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "logdir/events.h"
#include "logdir/joblog.h"
#include "logdir/logdir.h"
#include "logdir/queuefile.h"
#include "logdir/summary.h"
#include "shm/table.h"
#include "shm/state.h"
#include "tests/check_suites.h"

#define ERR_MAX 1024
#define S(x) ((int64_t)(x) * 1000000000)

/* Parse TEXT as summary.json of file "S"; ERR keeps the reason. */
static int summary(const char *text, struct summary_info *out, char *err)
{
	err[0] = '\0';
	return summary_parse(text, strlen(text), "S", out, err, ERR_MAX);
}

/* Parse LINE of a job log of the first layout (no Reason); returns 0 or
 * -EINVAL and keeps the reason in WHY. */
static int parse(const char *line, struct joblog_line *l, const char **why)
{
	*why = NULL;
	return joblog_line_parse(line, strlen(line), JOBLOG_V1, l, why);
}

/* The same in the current layout. */
static int parse2(const char *line, struct joblog_line *l, const char **why)
{
	*why = NULL;
	return joblog_line_parse(line, strlen(line), JOBLOG_V2, l, why);
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
	ck_assert_int_eq((int)l.head_len, (int)strlen("1795299248.080\t0.000\t0\t0\t2\t0\tFAILED\t3"));
	ck_assert(strncmp(l.head, "1795299248.080\t", 15) == 0);
	ck_assert_uint_eq(l.reason, OS_REASON_NONE);
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
					  "a\0b") - 1, JOBLOG_V1, &l, &why), -EINVAL);
	ck_assert_str_eq(why, "a NUL byte in the line");
}
END_TEST

START_TEST(line_reason)
{
	struct joblog_line l;
	const char *why;

	ck_assert_int_eq(parse2("3\t:\t1\t2\t0\t0\t-1\t15\tINTERRUPTED\t2\toperator\tsleep\t9",
				&l, &why), 0);
	ck_assert_uint_eq(l.reason, OS_REASON_OPERATOR);
	ck_assert_uint_eq(l.attempt, 2);
	ck_assert_int_eq((int)l.cmd_len, 7);
	ck_assert(memcmp(l.cmd, "sleep\t9", 7) == 0);
	ck_assert_int_eq((int)l.head_len, (int)strlen("1\t2\t0\t0\t-1\t15\tINTERRUPTED\t2"));
	ck_assert_int_eq(parse2("3\t:\t1\t2\t0\t0\t0\t0\tCOMPLETED\t1\t-\ttrue", &l, &why), 0);
	ck_assert_uint_eq(l.reason, OS_REASON_NONE);
	ck_assert_int_eq(parse2("3\t:\t1\t2\t0\t0\t-1\t0\tFAILED\t1\tworker-lost\tx", &l, &why), 0);
	ck_assert_uint_eq(l.reason, OS_REASON_WORKER_LOST);
	/* a reason on a completed task, an unknown one, none at all */
	ck_assert_int_eq(parse2("3\t:\t1\t2\t0\t0\t0\t0\tCOMPLETED\t1\ttimeout\ttrue", &l, &why),
			 -EINVAL);
	ck_assert_str_eq(why, "bad Reason");
	ck_assert_int_eq(parse2("3\t:\t1\t2\t0\t0\t0\t0\tFAILED\t1\tbored\ttrue", &l, &why),
			 -EINVAL);
	ck_assert_int_eq(parse2("3\t:\t1\t2\t0\t0\t0\t0\tFAILED\t1\ttrue", &l, &why), -EINVAL);
	ck_assert_str_eq(why, "fewer than 12 tab-separated fields");
	/* the headers */
	ck_assert_int_eq(joblog_header_layout(JOBLOG_HEADER, strlen(JOBLOG_HEADER)), JOBLOG_V2);
	ck_assert_int_eq(joblog_header_layout(JOBLOG_HEADER_V1, strlen(JOBLOG_HEADER_V1)), JOBLOG_V1);
	ck_assert_int_eq(joblog_header_layout(JOBLOG_HEADER, strlen(JOBLOG_HEADER) - 1), 0);
}
END_TEST

/* Starttime, JobRuntime and Receive as numbers: what a reader shows of a
 * task whose slot is gone. */
START_TEST(line_times)
{
	struct joblog_line l;
	const char *why;

	ck_assert_int_eq(parse2("1\t:\t1796536983.634\t12.5\t0\t1536\t0\t0\tCOMPLETED\t1\t-\tx",
				&l, &why), 0);
	ck_assert_int_eq(l.start_ns, INT64_C(1796536983634000000));
	ck_assert_int_eq(l.runtime_ns, INT64_C(12500000000));
	ck_assert_uint_eq(l.received, 1536);
	ck_assert_int_eq(parse("1\t:\t1796536983\t0.000000001\t0\t0\t0\t0\tCOMPLETED\t1\tx",
			       &l, &why), 0);
	ck_assert_int_eq(l.start_ns, INT64_C(1796536983000000000));
	ck_assert_int_eq(l.runtime_ns, 1);
	ck_assert_uint_eq(l.received, 0);
	/* Digits past the nanosecond are dropped; a dot needs digits after it. */
	ck_assert_int_eq(parse("1\t:\t1.0000000009\t1\t0\t1844674407370955161\t0\t0\tFAILED\t1\tx",
			       &l, &why), 0);
	ck_assert_int_eq(l.start_ns, S(1));
	ck_assert_int_eq(l.runtime_ns, S(1));
	ck_assert_uint_eq(l.received, UINT64_C(1844674407370955161));
	ck_assert_int_eq(parse("1\t:\t1.\t1\t0\t0\t0\t0\tFAILED\t1\tx", &l, &why), -EINVAL);
	ck_assert_str_eq(why, "bad Starttime or JobRuntime");
	/* The largest whole second that fits, and one past it: INT64_MAX. */
	ck_assert_int_eq(parse("1\t:\t9223372035.999\t0\t0\t0\t0\t0\tFAILED\t1\tx", &l, &why), 0);
	ck_assert_int_eq(l.start_ns, INT64_C(9223372035999000000));
	ck_assert_int_eq(parse("1\t:\t9223372036\t0\t0\t0\t0\t0\tFAILED\t1\tx", &l, &why), 0);
	ck_assert_int_eq(l.start_ns, INT64_MAX);
}
END_TEST

/* ------------------------------------------------ joblog_find: one task */

/* A job log of the current layout: task 1 failed, then retried; task 12's
 * number starts like 1's; a line that does not parse and a torn last line
 * are passed over. */
static const char joblog_v2[] =
	JOBLOG_HEADER "\n"
	"1\t:\t1796536983.634\t2.500\t0\t120\t1\t0\tFAILED\t1\t-\techo a\tb\n"
	"2\t:\t1796536984.000\t0.001\t0\t5\t0\t0\tCOMPLETED\t1\t-\ttrue\n"
	"12\t:\t1796536985.5\t30\t0\t99\t-1\t15\tINTERRUPTED\t1\ttimeout\tsleep 99\n"
	"1\t:\t1796536990.250\t0.125\t0\t64\t0\t0\tCOMPLETED\t2\t-\techo a\tb\n"
	"2\t:\tnot a time\t0\t0\t0\t0\t0\tFAILED\t1\t-\ttrue\n"
	"3\t:\t1796536991\t1\t0\t0\t-1\t9\tINTERRUPTED\t1\toperator\tsleep 9\n"
	"4\t:\t1796536992.000\t0.001\t0\t5\t0\t0\tCOMPL";

/* joblog_find(ID) in DIRFD: 0 and the view and command, checked to be a
 * NUL-terminated buffer of its own. */
static void find_ok(int dirfd, uint32_t id, struct os_slot_view *v, char **cmd)
{
	uint32_t len = UINT32_MAX;

	memset(v, 0xa5, sizeof(*v));
	*cmd = NULL;
	ck_assert_int_eq(joblog_find(dirfd, id, v, cmd, &len), 0);
	ck_assert_ptr_nonnull(*cmd);
	ck_assert_uint_eq(strlen(*cmd), len);
	ck_assert_uint_eq(v->id, id);
}

START_TEST(find_last_line)
{
	char dir[256], *cmd = NULL;
	int fd = check_temp_dir(dir, sizeof(dir));
	struct os_slot_view v;
	uint32_t len;

	check_put(fd, "joblog", joblog_v2);
	/* Task 1: its second attempt, the last line for it. */
	find_ok(fd, 1, &v, &cmd);
	ck_assert_str_eq(cmd, "echo a\tb");
	ck_assert_uint_eq(v.state, OS_COMPLETED);
	ck_assert_uint_eq(v.attempt, 2);
	ck_assert_uint_eq(v.reason, OS_REASON_NONE);
	ck_assert_int_eq(v.exit_code, 0);
	ck_assert_int_eq(v.term_signal, 0);
	ck_assert_int_eq(v.start_real_ns, INT64_C(1796536990250000000));
	ck_assert_int_eq(v.end_real_ns, INT64_C(1796536990375000000));
	ck_assert_int_eq(v.end_mono_ns - v.start_mono_ns, 125000000);
	ck_assert_int_gt(v.start_mono_ns, 0);
	ck_assert_int_eq(v.output_mono_ns, v.start_mono_ns);
	ck_assert_uint_eq(v.output_bytes, 64);
	ck_assert_int_eq(v.task_pid, 0);
	ck_assert_str_eq(v.message, "");
	free(cmd);
	/* Task 2: its good line; the bad one after it is passed over. */
	find_ok(fd, 2, &v, &cmd);
	ck_assert_str_eq(cmd, "true");
	ck_assert_uint_eq(v.state, OS_COMPLETED);
	ck_assert_int_eq(v.start_real_ns, INT64_C(1796536984000000000));
	ck_assert_uint_eq(v.output_bytes, 5);
	free(cmd);
	find_ok(fd, 12, &v, &cmd);
	ck_assert_str_eq(cmd, "sleep 99");
	ck_assert_uint_eq(v.state, OS_INTERRUPTED);
	ck_assert_uint_eq(v.reason, OS_REASON_TIMEOUT);
	ck_assert_int_eq(v.exit_code, -1);
	ck_assert_int_eq(v.term_signal, 15);
	ck_assert_int_eq(v.start_real_ns, INT64_C(1796536985500000000));
	ck_assert_int_eq(v.end_real_ns - v.start_real_ns, S(30));
	free(cmd);
	find_ok(fd, 3, &v, &cmd);
	ck_assert_str_eq(cmd, "sleep 9");
	ck_assert_uint_eq(v.reason, OS_REASON_OPERATOR);
	ck_assert_int_eq(v.term_signal, 9);
	ck_assert_int_eq(v.start_real_ns, INT64_C(1796536991000000000));
	ck_assert_int_eq(v.end_real_ns, INT64_C(1796536992000000000));
	free(cmd);
	/* Task 4's only line is torn; nothing at all for 5, 0 or 123. */
	ck_assert_int_eq(joblog_find(fd, 4, &v, &cmd, &len), -ENOENT);
	ck_assert_int_eq(joblog_find(fd, 5, &v, &cmd, &len), -ENOENT);
	ck_assert_int_eq(joblog_find(fd, 0, &v, &cmd, &len), -ENOENT);
	ck_assert_int_eq(joblog_find(fd, 123, &v, &cmd, &len), -ENOENT);
	close(fd);
	check_rm_rf(dir);
}
END_TEST

/* A job log begun before the Reason column; no job log; one whose header
 * is neither layout's. */
START_TEST(find_v1_and_missing)
{
	char dir[256], *cmd = NULL;
	int fd = check_temp_dir(dir, sizeof(dir));
	struct os_slot_view v;
	uint32_t len;

	ck_assert_int_eq(joblog_find(fd, 1, &v, &cmd, &len), -ENOENT);
	check_put(fd, "joblog", JOBLOG_HEADER_V1 "\n"
		  "5\t:\t1796536983.634\t0.5\t0\t7\t2\t0\tFAILED\t1\tfalse; echo 'x\ty'\n"
		  "6\t:\t1796536984\t0\t0\t0\t0\t0\tCOMPLETED\t3\ttrue\n");
	find_ok(fd, 5, &v, &cmd);
	ck_assert_str_eq(cmd, "false; echo 'x\ty'");
	ck_assert_uint_eq(v.state, OS_FAILED);
	ck_assert_uint_eq(v.reason, OS_REASON_NONE);
	ck_assert_int_eq(v.exit_code, 2);
	ck_assert_uint_eq(v.attempt, 1);
	ck_assert_int_eq(v.start_real_ns, INT64_C(1796536983634000000));
	ck_assert_int_eq(v.end_real_ns, INT64_C(1796536984134000000));
	ck_assert_uint_eq(v.output_bytes, 7);
	free(cmd);
	find_ok(fd, 6, &v, &cmd);
	ck_assert_str_eq(cmd, "true");
	ck_assert_uint_eq(v.attempt, 3);
	free(cmd);
	/* A V2 line in a V1 job log is not one of its lines. */
	check_put(fd, "joblog", JOBLOG_HEADER_V1 "\n"
		  "5\t:\t1\t0.5\t0\t7\t2\t0\tFAILED\t1\ttimeout\ttrue\n");
	find_ok(fd, 5, &v, &cmd);
	ck_assert_str_eq(cmd, "timeout\ttrue");
	free(cmd);
	check_put(fd, "joblog", "Seq\tHost\n5\t:\t1\t0.5\t0\t7\t2\t0\tFAILED\t1\ttrue\n");
	ck_assert_int_eq(joblog_find(fd, 5, &v, &cmd, &len), -ENOENT);
	check_put(fd, "joblog", "");
	ck_assert_int_eq(joblog_find(fd, 5, &v, &cmd, &len), -ENOENT);
	check_put(fd, "joblog", JOBLOG_HEADER);
	ck_assert_int_eq(joblog_find(fd, 5, &v, &cmd, &len), -ENOENT);
	close(fd);
	check_rm_rf(dir);
}
END_TEST

/* What joblog.c writes, joblog_find reads back. */
START_TEST(find_written)
{
	char dir[256], *cmd = NULL;
	int fd = check_temp_dir(dir, sizeof(dir)), log;
	struct os_slot_view v, back;
	uint32_t len;

	log = logdir_create(fd, "joblog");
	ck_assert_int_ge(log, 0);
	ck_assert_int_eq(joblog_start(log), 0);
	memset(&v, 0, sizeof(v));
	v.id = 9;
	v.state = OS_INTERRUPTED;
	v.reason = OS_REASON_IDLE_TIMEOUT;
	v.attempt = 2;
	v.exit_code = -1;
	v.term_signal = 15;
	v.start_real_ns = INT64_C(1796536983634000000);
	v.end_real_ns = INT64_C(1796536993634000000);
	v.start_mono_ns = S(100);
	v.end_mono_ns = S(110) + 250000000;
	v.output_bytes = 4096;
	ck_assert_int_eq(joblog_append(log, JOBLOG_V2, &v, "cat\t-", 5), 0);
	close(log);
	find_ok(fd, 9, &back, &cmd);
	ck_assert_str_eq(cmd, "cat\t-");
	ck_assert_uint_eq(back.state, OS_INTERRUPTED);
	ck_assert_uint_eq(back.reason, OS_REASON_IDLE_TIMEOUT);
	ck_assert_uint_eq(back.attempt, 2);
	ck_assert_int_eq(back.exit_code, -1);
	ck_assert_int_eq(back.term_signal, 15);
	ck_assert_int_eq(back.start_real_ns, INT64_C(1796536983634000000));
	/* JobRuntime is written to the millisecond, from the monotonic clock. */
	ck_assert_int_eq(back.end_mono_ns - back.start_mono_ns, S(10) + 250000000);
	ck_assert_int_eq(back.end_real_ns - back.start_real_ns, S(10) + 250000000);
	ck_assert_uint_eq(back.output_bytes, 4096);
	free(cmd);
	ck_assert_int_eq(joblog_find(fd, 8, &back, &cmd, &len), -ENOENT);
	close(fd);
	check_rm_rf(dir);
}
END_TEST

/* --------------------------------------------------------- summary.json */

START_TEST(summary_round_trip)
{
	char dir[256], err[ERR_MAX];
	int fd = check_temp_dir(dir, sizeof(dir));
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
	check_rm_rf(dir);
}
END_TEST

START_TEST(summary_tolerant)
{
	char err[ERR_MAX];
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
	char err[ERR_MAX];
	struct summary_info got;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(summary(cases[i].text, &got, err) == -EINVAL, "case %zu accepted", i);
		ck_assert_msg(strstr(err, cases[i].err), "case %zu: '%s'", i, err);
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
	char err[ERR_MAX];
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
	int fd = check_temp_dir(dir, sizeof(dir));

	ck_assert_int_eq(mkfifoat(fd, "fifo", 0600), 0);
	ck_assert_int_eq(symlinkat("/etc/passwd", fd, "link"), 0);
	ck_assert_int_eq(logdir_file_read(fd, "fifo", 0, &buf, &len), LOGDIR_NOT_REGULAR);
	ck_assert_int_eq(logdir_file_read(fd, "link", 0, &buf, &len), -ELOOP);
	ck_assert_str_eq(logdir_file_error(-ELOOP), "a symbolic link (not followed)");
	check_put(fd, "big", "0123456789");
	ck_assert_int_eq(logdir_file_read(fd, "big", 9, &buf, &len), -EFBIG);
	ck_assert_int_eq(logdir_file_read(fd, "big", 10, &buf, &len), 0);
	ck_assert_uint_eq(len, 10);
	ck_assert_str_eq(buf, "0123456789");
	free(buf);
	close(fd);
	check_rm_rf(dir);
}
END_TEST

/* ------------------------------------------------------ LOGDIR/queue */

/* Read DIRFD's queue file: its return, the list, *GOOD, ERR. */
static int queue_read(int dirfd, struct tasklist *l, uint64_t *good, char *err)
{
	err[0] = '\0';
	*good = UINT64_MAX;
	return queuefile_read(dirfd, l, good, err, ERR_MAX);
}

/* The whole of DIRFD/NAME as a string (free it). */
static char *slurp(int dirfd, const char *name, size_t *len)
{
	char *buf;

	ck_assert_int_eq(logdir_file_read(dirfd, name, 0, &buf, len), 0);
	return buf;
}

START_TEST(queue_round_trip)
{
	static const char *const first[] = { "true", "printf 'a\tb'\tx", "echo 3" };
	static const uint32_t first_lens[] = { 4, 14, 6 };
	static const char *const more[] = { "x\r", "sleep 1" };
	static const uint32_t more_lens[] = { 2, 5 }; /* "sleep" only */
	static const char want_file[] = "1\ttrue\n2\tprintf 'a\tb'\tx\n3\techo 3\n"
					"40\tx\r\n41\tsleep\n";
	char dir[256], err[ERR_MAX], *text;
	int fd = check_temp_dir(dir, sizeof(dir)), qf;
	struct tasklist l;
	uint64_t good;
	size_t len;

	qf = logdir_append(fd, "queue");
	ck_assert_int_ge(qf, 0);
	ck_assert_int_eq(queuefile_append(qf, 1, 3, first, first_lens), 0);
	ck_assert_int_eq(queuefile_append(qf, 40, 2, more, more_lens), 0);
	ck_assert_int_eq(queuefile_append(qf, 42, 0, NULL, NULL), 0);
	close(qf);
	text = slurp(fd, "queue", &len);
	ck_assert_uint_eq(len, sizeof(want_file) - 1);
	ck_assert_str_eq(text, want_file);
	free(text);

	ck_assert_int_eq(queue_read(fd, &l, &good, err), 0);
	ck_assert_uint_eq(good, sizeof(want_file) - 1);
	ck_assert_uint_eq(l.count, 5);
	ck_assert_uint_eq(l.listed, 5);
	ck_assert_ptr_nonnull(l.ids);
	for (uint32_t i = 0; i < 3; i++) {
		ck_assert_uint_eq(tasklist_id(&l, i), i + 1);
		ck_assert_uint_eq(l.lens[i], first_lens[i]);
		ck_assert_str_eq(l.cmds[i], first[i]);
		ck_assert_uint_eq(l.lines[i], i + 1);
	}
	ck_assert_uint_eq(tasklist_id(&l, 3), 40);
	ck_assert_str_eq(l.cmds[3], "x\r");
	ck_assert_uint_eq(tasklist_id(&l, 4), 41);
	ck_assert_str_eq(l.cmds[4], "sleep");
	ck_assert_uint_eq(l.lens[4], 5);
	ck_assert_int_eq(tasklist_find(&l, 40), 3);
	ck_assert_int_eq(tasklist_find(&l, 4), -1);
	tasklist_free(&l);
	close(fd);
	check_rm_rf(dir);
}
END_TEST

/* The ids a queue can give: up to UINT32_MAX - 1 (next_id never passes
 * UINT32_MAX); and the longest command. */
START_TEST(queue_extremes)
{
	char *longest = malloc(OS_CMD_MAX + 1), dir[256], err[ERR_MAX];
	const char *cmds[2] = { "a", longest };
	const uint32_t lens[2] = { 1, OS_CMD_MAX };
	int fd = check_temp_dir(dir, sizeof(dir)), qf;
	struct tasklist l;
	uint64_t good;

	ck_assert_ptr_nonnull(longest);
	memset(longest, 'y', OS_CMD_MAX);
	longest[OS_CMD_MAX] = '\0';
	qf = logdir_append(fd, "queue");
	ck_assert_int_ge(qf, 0);
	ck_assert_int_eq(queuefile_append(qf, UINT32_MAX - 2, 2, cmds, lens), 0);
	close(qf);
	ck_assert_int_eq(queue_read(fd, &l, &good, err), 0);
	ck_assert_uint_eq(l.count, 2);
	ck_assert_uint_eq(tasklist_id(&l, 0), UINT32_MAX - 2);
	ck_assert_uint_eq(tasklist_id(&l, 1), UINT32_MAX - 1);
	ck_assert_uint_eq(l.lens[1], OS_CMD_MAX);
	ck_assert_str_eq(l.cmds[1], longest);
	ck_assert_uint_eq(good, strlen("4294967293\ta\n4294967294\t") + OS_CMD_MAX + 1);
	tasklist_free(&l);
	free(longest);
	close(fd);
	check_rm_rf(dir);
}
END_TEST

/* A last line without its newline was never acknowledged: left out, and
 * *good is where the whole lines end (to cut the file back to). */
START_TEST(queue_torn_last_line)
{
	static const struct {
		const char *text;
		uint32_t count;
		uint64_t good;
	} cases[] = {
		{ "", 0, 0 },
		{ "7", 0, 0 },
		{ "7\tsleep 1", 0, 0 },
		{ "1\ta\n2\tb\n3\tpart", 2, 8 },
		{ "1\ta\n2\tb\n3\t", 2, 8 },
		{ "1\ta\n2\tb\n\t\tnot even a line", 2, 8 },
		{ "1\ta\n2\tb\n", 2, 8 },
		{ "5\ttrue\n", 1, 7 },
	};
	char dir[256], err[ERR_MAX];
	int fd = check_temp_dir(dir, sizeof(dir));
	struct tasklist l;
	uint64_t good;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_put(fd, "queue", cases[i].text);
		ck_assert_msg(queue_read(fd, &l, &good, err) == 0, "case %zu: %s", i, err);
		ck_assert_msg(l.count == cases[i].count, "case %zu: %u tasks", i, l.count);
		ck_assert_msg(good == cases[i].good, "case %zu: good %llu", i,
			      (unsigned long long)good);
		if (l.count)
			ck_assert_str_eq(l.cmds[l.count - 1], l.count == 1 ? "true" : "b");
		tasklist_free(&l);
	}
	close(fd);
	check_rm_rf(dir);
}
END_TEST

START_TEST(queue_refused)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "2\ta\n1\tb\n", "queue:2: task ids out of order" },
		{ "1\ta\n1\tb\n", "queue:2: task ids out of order" },
		{ "1\ta\n3\tb\n2\tc\n", "queue:3: task ids out of order" },
		{ "1\ta\nx\tb\n", "queue:2: not \"ID<tab>COMMAND\"" },
		{ "0\ta\n", "queue:1: not \"ID<tab>COMMAND\"" },
		{ "01\ta\n", "queue:1: not \"ID<tab>COMMAND\"" },
		{ "1 a\n", "queue:1: not \"ID<tab>COMMAND\"" },
		{ "1\n", "queue:1: not \"ID<tab>COMMAND\"" },
		{ "\n", "queue:1: not \"ID<tab>COMMAND\"" },
		{ "\t1\ta\n", "queue:1: not \"ID<tab>COMMAND\"" },
		{ "-1\ta\n", "queue:1: not \"ID<tab>COMMAND\"" },
		{ "4294967295\ta\n", "queue:1: not \"ID<tab>COMMAND\"" },
		{ "4294967296\ta\n", "queue:1: not \"ID<tab>COMMAND\"" },
		{ "99999999999\ta\n", "queue:1: not \"ID<tab>COMMAND\"" },
		{ "000000000001\ta\n", "queue:1: not \"ID<tab>COMMAND\"" },
		{ "1\ta\n2\t\n", "queue:2: not a task line" },
	};
	char dir[256], err[ERR_MAX];
	int fd = check_temp_dir(dir, sizeof(dir));
	struct tasklist l;
	uint64_t good;
	int qf;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_put(fd, "queue", cases[i].text);
		ck_assert_msg(queue_read(fd, &l, &good, err) == -EINVAL, "case %zu accepted", i);
		ck_assert_msg(strcmp(err, cases[i].err) == 0, "case %zu: '%s'", i, err);
		ck_assert_ptr_null(l.cmds);
		ck_assert_ptr_null(l.buf);
		ck_assert_uint_eq(l.count, 0);
	}
	/* A NUL in a command; a command one byte longer than a task line. */
	qf = openat(fd, "queue", O_WRONLY | O_TRUNC | O_CLOEXEC);
	ck_assert_int_ge(qf, 0);
	ck_assert_int_eq(write(qf, "1\ta\0b\n", 6), 6);
	close(qf);
	ck_assert_int_eq(queue_read(fd, &l, &good, err), -EINVAL);
	ck_assert_str_eq(err, "queue:1: not a task line");
	{
		char *line = malloc(OS_CMD_MAX + 4);

		ck_assert_ptr_nonnull(line);
		line[0] = '1';
		line[1] = '\t';
		memset(line + 2, 'z', OS_CMD_MAX + 1);
		line[OS_CMD_MAX + 3] = '\0';
		check_put(fd, "queue", line);
		qf = logdir_append(fd, "queue");
		ck_assert_int_eq(write(qf, "\n", 1), 1);
		close(qf);
		ck_assert_int_eq(queue_read(fd, &l, &good, err), -EINVAL);
		ck_assert_str_eq(err, "queue:1: not a task line");
		free(line);
	}
	/* No queue file at all. */
	ck_assert_int_eq(unlinkat(fd, "queue", 0), 0);
	ck_assert_int_eq(queue_read(fd, &l, &good, err), -ENOENT);
	ck_assert_uint_eq(good, 0);
	ck_assert_uint_eq(l.count, 0);
	close(fd);
	check_rm_rf(dir);
}
END_TEST

/* A write that fails, or falls short (the file-size limit reached midway),
 * leaves no part of a line behind: the next append starts a whole line. */
START_TEST(queue_append_cut_back)
{
	static const char *const cmds[] = { "a first command", "and a second one" };
	static const uint32_t lens[] = { 15, 16 };
	char dir[256], err[ERR_MAX], *text;
	int fd = check_temp_dir(dir, sizeof(dir)), qf, status;
	struct tasklist l;
	uint64_t good;
	size_t len;
	pid_t pid;

	check_put(fd, "queue", "1\ttrue\n");
	qf = openat(fd, "queue", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(qf, 0);
	ck_assert_int_eq(queuefile_append(qf, 2, 2, cmds, lens), -EBADF);
	close(qf);
	/* In a child of its own: the limit must not outlive this test. */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rlimit lim = { 7 + 10, 7 + 10 };
		int q = logdir_append(fd, "queue");

		signal(SIGXFSZ, SIG_IGN);
		if (q < 0 || setrlimit(RLIMIT_FSIZE, &lim) < 0)
			_exit(2);
		_exit(queuefile_append(q, 2, 2, cmds, lens) == -EFBIG ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: %#x", status);
	text = slurp(fd, "queue", &len);
	ck_assert_str_eq(text, "1\ttrue\n");
	free(text);
	qf = logdir_append(fd, "queue");
	ck_assert_int_ge(qf, 0);
	ck_assert_int_eq(queuefile_append(qf, 2, 2, cmds, lens), 0);
	close(qf);
	ck_assert_int_eq(queue_read(fd, &l, &good, err), 0);
	ck_assert_uint_eq(l.count, 3);
	ck_assert_str_eq(l.cmds[2], "and a second one");
	ck_assert_uint_eq(tasklist_id(&l, 2), 3);
	tasklist_free(&l);
	close(fd);
	check_rm_rf(dir);
}
END_TEST

/* --------------------------------------------------------- event lines */

#define LINE(lit) lit, sizeof(lit) - 1

START_TEST(test_event_parse)
{
	struct events_line ev;

	ck_assert_int_eq(events_parse_line(LINE("{\"time\":\"2024-05-01T12:00:00.250000Z\",\"run\":"
					     "\"r.1\",\"task\":3,\"event\":\"detect_silence\","
					     "\"from\":\"RUNNING\",\"to\":\"IDLE\",\"reason\":null}"),
				    &ev), 0);
	ck_assert_str_eq(ev.run, "r.1");
	ck_assert_uint_eq(ev.task, 3);
	ck_assert_str_eq(ev.event, "detect_silence");
	ck_assert_str_eq(ev.from, "RUNNING");
	ck_assert_str_eq(ev.to, "IDLE");
	ck_assert_str_eq(ev.reason, "");
	ck_assert_int_eq(ev.time_ns, S(1714564800) + 250000000);
	/* Any member order, spaces, extra members of every type, escapes. */
	ck_assert_int_eq(events_parse_line(LINE(" { \"extra\" : [1] }"), &ev), -EINVAL);
	ck_assert_int_eq(events_parse_line(LINE("{ \"to\" : \"INTERRUPTED\", \"x\": true, \"y\": "
					     "-1.5e3, \"z\": \"a\\\"b\\u00e9\", \"reason\":"
					     "\"time\\u006fut\", \"from\":\"IDLE\", \"event\":"
					     "\"interrupt\", \"task\": 4294967295, \"run\":\"r\","
					     "\"time\":\"2024-05-01T12:00:00Z\" } "),
				    &ev), 0);
	ck_assert_str_eq(ev.reason, "timeout");
	ck_assert_uint_eq(ev.task, 4294967295u);
	ck_assert_int_eq(ev.time_ns, S(1714564800));
}
END_TEST

START_TEST(test_event_parse_refuses)
{
	struct events_line ev;
	static const char *const bad[] = {
		"",
		"{}",
		"not json",
		/* missing "to" */
		"{\"time\":\"2024-05-01T12:00:00Z\",\"run\":\"r\",\"task\":1,\"event\":\"start\","
		"\"from\":\"CREATED\"}",
		/* task not a whole number */
		"{\"time\":\"2024-05-01T12:00:00Z\",\"run\":\"r\",\"task\":1.5,\"event\":\"start\","
		"\"from\":\"CREATED\",\"to\":\"RUNNING\"}",
		/* task too big */
		"{\"time\":\"2024-05-01T12:00:00Z\",\"run\":\"r\",\"task\":4294967296,\"event\":\"s\","
		"\"from\":\"CREATED\",\"to\":\"RUNNING\"}",
		/* bad time */
		"{\"time\":\"yesterday\",\"run\":\"r\",\"task\":1,\"event\":\"start\","
		"\"from\":\"CREATED\",\"to\":\"RUNNING\"}",
		/* trailing garbage, torn line */
		"{\"time\":\"2024-05-01T12:00:00Z\",\"run\":\"r\",\"task\":1,\"event\":\"start\","
		"\"from\":\"CREATED\",\"to\":\"RUNNING\"} x",
		"{\"time\":\"2024-05-01T12:00:00Z\",\"run\":\"r\",\"task\":1,\"event\":\"start\","
		"\"from\":\"CREA",
		/* a raw control character inside a string */
		"{\"time\":\"2024-05-01T12:00:00Z\",\"run\":\"r\n\",\"task\":1,\"event\":\"start\","
		"\"from\":\"CREATED\",\"to\":\"RUNNING\"}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(events_parse_line(bad[i], strlen(bad[i]), &ev) == -EINVAL, "line %zu", i);
}
END_TEST

Suite *make_logdir_suite(void)
{
	Suite *s = suite_create("logdir");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, line_good);
	tcase_add_test(tc, line_bad);
	tcase_add_test(tc, line_reason);
	tcase_add_test(tc, line_times);
	tcase_add_test(tc, find_last_line);
	tcase_add_test(tc, find_v1_and_missing);
	tcase_add_test(tc, find_written);
	tcase_add_test(tc, summary_round_trip);
	tcase_add_test(tc, summary_tolerant);
	tcase_add_test(tc, summary_refused);
	tcase_add_test(tc, summary_number_at_end);
	tcase_add_test(tc, file_not_regular);
	tcase_add_test(tc, test_event_parse);
	tcase_add_test(tc, test_event_parse_refuses);
	tcase_add_test(tc, queue_round_trip);
	tcase_add_test(tc, queue_extremes);
	tcase_add_test(tc, queue_torn_last_line);
	tcase_add_test(tc, queue_refused);
	tcase_add_test(tc, queue_append_cut_back);
	suite_add_tcase(s, tc);
	return s;
}
