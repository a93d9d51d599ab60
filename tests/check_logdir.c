/*
 * check_logdir.c: logdir/, the run's files read back: job-log lines (every
 * field checked), summary.json (round trip through summary.c's writer,
 * other member orders, refusals with their line), events.jsonl lines, and
 * reading files that are not regular files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logdir/events.h"
#include "logdir/joblog.h"
#include "logdir/logdir.h"
#include "logdir/summary.h"
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
	tcase_add_test(tc, summary_round_trip);
	tcase_add_test(tc, summary_tolerant);
	tcase_add_test(tc, summary_refused);
	tcase_add_test(tc, summary_number_at_end);
	tcase_add_test(tc, file_not_regular);
	tcase_add_test(tc, test_event_parse);
	tcase_add_test(tc, test_event_parse_refuses);
	suite_add_tcase(s, tc);
	return s;
}
