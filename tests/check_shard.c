/*
 * check_shard.c: --shard parsing (K/N and the Slurm and Kubernetes
 * variables), %K/%N expansion and the selection of a shard's tasks, which
 * must keep the tasks' original numbers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check_suites.h"
#include "supervisor/shard.h"
#include "logdir/tasklist.h"

static const char *const env_names[] = {
	"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN",
	"SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP", "JOB_COMPLETION_INDEX",
};

static void clear_env(void)
{
	for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		unsetenv(env_names[i]);
}

static void slurm(const char *id, const char *count, const char *min, const char *max)
{
	clear_env();
	setenv("SLURM_ARRAY_TASK_ID", id, 1);
	if (count)
		setenv("SLURM_ARRAY_TASK_COUNT", count, 1);
	if (min)
		setenv("SLURM_ARRAY_TASK_MIN", min, 1);
	if (max)
		setenv("SLURM_ARRAY_TASK_MAX", max, 1);
}

static void assert_shard(const char *arg, uint32_t k, uint32_t n)
{
	struct shard s;
	char err[256] = "";

	ck_assert_msg(shard_parse(arg, &s, err, sizeof(err)) == 0, "%s: %s", arg, err);
	ck_assert_uint_eq(s.index, k);
	ck_assert_uint_eq(s.count, n);
}

/* Refused with a message that contains WANT. */
static void assert_refused(const char *arg, const char *want)
{
	struct shard s;
	char err[256] = "";

	ck_assert_int_eq(shard_parse(arg, &s, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, want), "%s: message '%s' lacks '%s'", arg, err, want);
}

START_TEST(test_parse_explicit)
{
	clear_env();
	assert_shard("0/1", 0, 1);
	assert_shard("3/4", 3, 4);
	assert_shard("999999/1000000", 999999, 1000000);
	assert_refused("4/4", "0 to N-1");
	assert_refused("1/0", "N from 1");
	assert_refused("-1/4", "0 to N-1");
	assert_refused("1/4x", "N from 1");
	assert_refused("/4", "K/N");
	assert_refused("1", "K/N");
	assert_refused("", "K/N");
	assert_refused("1/1000001", "N from 1");
}
END_TEST

START_TEST(test_parse_slurm)
{
	slurm("2", "4", "0", "3");
	assert_shard("auto", 2, 4);
	assert_shard("auto/4", 2, 4);
	assert_refused("auto/5", "5 but the array has 4");
	/* --array=1-4: ids start at 1, shards at 0. */
	slurm("1", "4", "1", "4");
	assert_shard("auto", 0, 4);
	/* --array=0-6:2 is 0,2,4,6. */
	slurm("4", "4", "0", "6");
	setenv("SLURM_ARRAY_TASK_STEP", "2", 1);
	assert_shard("auto", 2, 4);
	/* --array=1,5,7 is no range: shards would have gaps. */
	slurm("5", "3", "1", "7");
	assert_refused("auto", "not one range");
	slurm("2", NULL, NULL, NULL);
	assert_refused("auto", "SLURM_ARRAY_TASK_COUNT");
	slurm("x", "4", "0", "3");
	assert_refused("auto", "not a whole number");
	clear_env();
	assert_refused("auto", "neither");
}
END_TEST

START_TEST(test_parse_kubernetes)
{
	clear_env();
	setenv("JOB_COMPLETION_INDEX", "5", 1);
	assert_refused("auto", "auto/N");
	assert_shard("auto/8", 5, 8);
	assert_refused("auto/5", "not below the count");
	assert_refused("auto/0", "N from 1");
	clear_env();
}
END_TEST

static void assert_expands(const char *in, const struct shard *s, const char *want)
{
	char err[256] = "", *out = NULL;

	ck_assert_msg(shard_expand(in, s, "--name", &out, err, sizeof(err)) == 0, "%s: %s", in,
		      err);
	ck_assert_str_eq(out, want);
	free(out);
}

START_TEST(test_expand)
{
	struct shard s = { .index = 7, .count = 16 }, none = { 0 };
	char err[256], *out = NULL;

	assert_expands("nightly.%K", &s, "nightly.7");
	assert_expands("/logs/%N/%K/x%%y", &s, "/logs/16/7/x%y");
	assert_expands("plain", &none, "plain");
	assert_expands("100%%", &none, "100%");
	assert_expands("%K%K%K%K%K%K%K%K%K%K%K%K%K%K%K%K%K%K%K%K", &s,
		       "77777777777777777777");
	ck_assert_int_eq(shard_expand("a%K", &none, "--name", &out, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "need --shard"));
	ck_assert_int_eq(shard_expand("a%x", &s, "--log-dir", &out, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--log-dir"));
	ck_assert_int_eq(shard_expand("a%", &s, "--name", &out, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(out);
}
END_TEST

static void make_list(struct tasklist *l, unsigned n)
{
	size_t cap = 16 * n + 1, len = 0;
	char *buf = malloc(cap);
	struct tasklist_error e;

	ck_assert_ptr_nonnull(buf);
	for (unsigned i = 1; i <= n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "echo %u\n", i);
	ck_assert_int_eq(tasklist_parse(buf, len, l, &e), 0);
}

START_TEST(test_select)
{
	struct shard s = { .index = 2, .count = 4 };
	struct tasklist l;

	make_list(&l, 10);
	ck_assert_int_eq(tasklist_find(&l, 10), 9);
	ck_assert_int_eq(tasklist_find(&l, 11), -1);
	ck_assert_int_eq(tasklist_find(&l, 0), -1);
	ck_assert_int_eq(shard_select(&l, &s), 0);
	/* Tasks 3 and 7: (i - 1) mod 4 == 2, numbers and commands kept. */
	ck_assert_uint_eq(l.count, 2);
	ck_assert_uint_eq(l.listed, 10);
	ck_assert_uint_eq(tasklist_id(&l, 0), 3);
	ck_assert_uint_eq(tasklist_id(&l, 1), 7);
	ck_assert_str_eq(l.cmds[1], "echo 7");
	ck_assert_uint_eq(l.lines[1], 7);
	ck_assert_int_eq(tasklist_find(&l, 7), 1);
	ck_assert_int_eq(tasklist_find(&l, 5), -1);
	ck_assert_int_eq(tasklist_find(&l, 2), -1);
	ck_assert_int_eq(tasklist_find(&l, 8), -1);
	tasklist_free(&l);

	/* More shards than tasks: an empty shard. */
	make_list(&l, 3);
	s.index = 3;
	ck_assert_int_eq(shard_select(&l, &s), 0);
	ck_assert_uint_eq(l.count, 0);
	ck_assert_int_eq(tasklist_find(&l, 3), -1);
	tasklist_free(&l);
}
END_TEST

/* Every task lands in exactly one shard, whatever N. */
START_TEST(test_select_partition)
{
	enum { TASKS = 97 };
	unsigned n = (unsigned)_i + 1, seen[TASKS + 1] = { 0 };

	for (unsigned k = 0; k < n; k++) {
		struct shard s = { .index = k, .count = n };
		struct tasklist l;

		make_list(&l, TASKS);
		ck_assert_int_eq(shard_select(&l, &s), 0);
		for (uint32_t i = 0; i < l.count; i++) {
			uint32_t id = tasklist_id(&l, i);
			ck_assert_uint_eq((id - 1) % n, k);
			if (i)
				ck_assert_uint_gt(id, tasklist_id(&l, i - 1));
			seen[id]++;
		}
		tasklist_free(&l);
	}
	for (unsigned id = 1; id <= TASKS; id++)
		ck_assert_msg(seen[id] == 1, "N=%u: task %u in %u shards", n, id, seen[id]);
}
END_TEST

Suite *make_shard_suite(void)
{
	Suite *s = suite_create("shard");
	TCase *parse = tcase_create("parse"), *select = tcase_create("select");

	tcase_add_test(parse, test_parse_explicit);
	tcase_add_test(parse, test_parse_slurm);
	tcase_add_test(parse, test_parse_kubernetes);
	tcase_add_test(parse, test_expand);
	suite_add_tcase(s, parse);
	tcase_add_test(select, test_select);
	tcase_add_loop_test(select, test_select_partition, 0, 12);
	suite_add_tcase(s, select);
	return s;
}
