/*
 * check_reader.c: shm/'s table reader: run object names, and snapshots of
 * real tables, including one truncated under the reader (SIGBUS guard) and
 * one filled with random bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/check_suites.h"
#include "shm/reader.h"
#include "shm/slot.h"
#include "shm/state.h"
#include "shm/table.h"
#include "shm/util.h"

/* ----------------------------------------------------- run object names */

START_TEST(test_objname_parse)
{
	char name[OS_NAME_MAX + 1];
	uid_t uid;

	ck_assert_int_eq(os_objname_parse("oneshot.1000.nightly", &uid, name), 0);
	ck_assert_uint_eq(uid, 1000);
	ck_assert_str_eq(name, "nightly");
	/* The uid is the field between the first two dots; names hold dots. */
	ck_assert_int_eq(os_objname_parse("oneshot.0.build.v1.2", &uid, name), 0);
	ck_assert_uint_eq(uid, 0);
	ck_assert_str_eq(name, "build.v1.2");
	ck_assert_int_eq(os_objname_parse("oneshot.1000.", &uid, name), -EINVAL);
	ck_assert_int_eq(os_objname_parse("oneshot..x", &uid, name), -EINVAL);
	ck_assert_int_eq(os_objname_parse("oneshot.01.x", &uid, name), -EINVAL);
	ck_assert_int_eq(os_objname_parse("oneshot.-1.x", &uid, name), -EINVAL);
	ck_assert_int_eq(os_objname_parse("oneshot.99999999999.x", &uid, name), -EINVAL);
	ck_assert_int_eq(os_objname_parse("oneshot.1000..hidden", &uid, name), -EINVAL);
	ck_assert_int_eq(os_objname_parse("oneshot.1000.a b", &uid, name), -EINVAL);
	ck_assert_int_eq(os_objname_parse("oneshot.1000", &uid, name), -EINVAL);
	ck_assert_int_eq(os_objname_parse("sem.oneshot.1000.x", &uid, name), -EINVAL);
}
END_TEST

/* ------------------------------------------------ snapshots of real tables */

static char run_prefix[40];

static void tables_setup(void)
{
	snprintf(run_prefix, sizeof(run_prefix), "check-ps-%ld", (long)getpid());
}

static void run_name(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "%s-%s", run_prefix, tag);
}

static void unlink_run(const char *tag)
{
	char run[OS_NAME_MAX + 1], obj[128];

	run_name(run, sizeof(run), tag);
	if (os_table_object_name(obj, sizeof(obj), geteuid(), run) == 0)
		shm_unlink(obj);
}

static void tables_teardown(void)
{
	unlink_run("snap");
	unlink_run("trunc");
	unlink_run("junk");
	unlink_run("busy");
	unlink_run("fifo");
}

/* A table of N tasks for run TAG, created and filled by this process. */
static void make_table(const char *tag, uint32_t n, struct os_table *t)
{
	static const char *const cmds[] = { "true", "printf '\"\\x01\xff'", "sleep 60" };
	const char **list = calloc(n, sizeof(*list));
	uint32_t *lens = calloc(n, sizeof(*lens));
	char run[OS_NAME_MAX + 1];
	struct os_table_spec spec;

	ck_assert_ptr_nonnull(list);
	ck_assert_ptr_nonnull(lens);
	for (uint32_t i = 0; i < n; i++) {
		list[i] = cmds[i % 3];
		lens[i] = (uint32_t)strlen(cmds[i % 3]);
	}
	run_name(run, sizeof(run), tag);
	memset(&spec, 0, sizeof(spec));
	spec.name = run;
	spec.slot_count = n;
	spec.cap = 2;
	spec.cmds = list;
	spec.cmd_lens = lens;
	spec.logdir = "/nonexistent/log dir";
	spec.idle_after_ms = 500;
	ck_assert_int_eq(os_table_create(&spec, t), 0);
	free(list);
	free(lens);
}

START_TEST(test_snapshot)
{
	char run[OS_NAME_MAX + 1];
	struct os_table t;
	struct os_run r;
	struct os_slot *s;
	const char *why = NULL;

	make_table("snap", 3, &t);
	s = os_table_slot(&t, 1);
	os_slot_write_begin(s);
	ck_assert_int_eq(os_slot_transition(&t, s, OS_EV_START, OS_REASON_NONE, NULL), 0);
	atomic_store(&s->task_pid, 4242);
	atomic_store(&s->output_bytes, 1536);
	os_slot_write_end(s);
	run_name(run, sizeof(run), "snap");
	ck_assert_int_eq(os_run_snapshot(geteuid(), run, OS_LOAD_TASKS, &r, &why), 0);
	ck_assert_str_eq(r.name, run);
	ck_assert_int_eq(r.alive, 1);
	ck_assert_uint_eq(r.total, 3);
	ck_assert_uint_eq(r.cap, 2);
	ck_assert_int_eq(r.tokens_free, 2);
	ck_assert_uint_eq(r.counts[OS_CREATED], 2);
	ck_assert_uint_eq(r.counts[OS_RUNNING], 1);
	ck_assert_str_eq(r.logdir, "/nonexistent/log dir");
	ck_assert_uint_eq(r.tasks[1].v.state, OS_RUNNING);
	ck_assert_int_eq(r.tasks[1].v.task_pid, 4242);
	ck_assert_uint_eq(r.tasks[1].v.output_bytes, 1536);
	ck_assert_uint_eq(r.tasks[1].cmd_len, strlen("printf '\"\\x01\xff'"));
	ck_assert_int_eq(memcmp(r.strings + r.tasks[1].cmd_pos, "printf '\"\\x01\xff'",
				r.tasks[1].cmd_len), 0);
	os_run_free(&r);
	/* A writer stuck inside its section: the slot shows as busy, no wait. */
	os_slot_write_begin(os_table_slot(&t, 2));
	ck_assert_int_eq(os_run_snapshot(geteuid(), run, OS_LOAD_TASKS, &r, &why), 0);
	ck_assert_int_eq(r.tasks[2].busy, 1);
	ck_assert_uint_eq(r.tasks[2].v.state, OS_CREATED);
	os_run_free(&r);
	os_table_close(&t);
	/* The lock went with the creator's descriptor: dead now. */
	ck_assert_int_eq(os_run_snapshot(geteuid(), run, OS_LOAD_COUNTS, &r, &why), 0);
	ck_assert_int_eq(r.alive, 0);
	os_run_free(&r);
	unlink_run("snap");
	ck_assert_int_eq(os_run_snapshot(geteuid(), run, OS_LOAD_COUNTS, &r, &why), -ENOENT);
	os_run_free(&r);
}
END_TEST

/* Writers stuck inside every slot's section: the copy is still quick. */
START_TEST(test_many_busy_slots)
{
	char run[OS_NAME_MAX + 1];
	struct os_table t;
	struct os_run r;
	const char *why = NULL;
	int64_t t0;

	make_table("busy", 5000, &t);
	for (uint32_t i = 0; i < 5000; i++)
		os_slot_write_begin(os_table_slot(&t, i));
	run_name(run, sizeof(run), "busy");
	t0 = os_now_mono_ns();
	ck_assert_int_eq(os_run_snapshot(geteuid(), run, OS_LOAD_TASKS, &r, &why), 0);
	ck_assert_int_lt(os_now_mono_ns() - t0, 2000000000LL);
	ck_assert_int_eq(r.tasks[0].busy, 1);
	ck_assert_int_eq(r.tasks[4999].busy, 1);
	ck_assert_uint_eq(r.counts[OS_CREATED], 5000);
	os_run_free(&r);
	os_table_close(&t);
	unlink_run("busy");
	unlink_run("fifo");
}
END_TEST

/* The table shrinks under an open reader: SIGBUS becomes an error. */
START_TEST(test_truncated_under_reader)
{
	char run[OS_NAME_MAX + 1];
	struct os_table t, rd;
	struct os_gen gen;
	struct os_run r;
	const char *why = NULL;

	ck_assert_int_eq(os_guard_install(), 0);
	make_table("trunc", 2000, &t);
	run_name(run, sizeof(run), "trunc");
	ck_assert_int_eq(os_run_open(geteuid(), run, &rd, &gen, &why), 0);
	/* What a new run of the same name does first. */
	ck_assert_int_eq(ftruncate(t.fd, 0), 0);
	ck_assert_int_eq(os_run_load(&rd, geteuid(), run, &gen, OS_LOAD_TASKS, &r, &why), -ESTALE);
	ck_assert_ptr_nonnull(why);
	os_run_free(&r);
	/* Truncated to a size that still holds the header. */
	ck_assert_int_eq(ftruncate(t.fd, (off_t)(OS_HEADER_SIZE + 100 * OS_SLOT_SIZE)), 0);
	ck_assert_int_eq(os_run_load(&rd, geteuid(), run, &gen, OS_LOAD_TASKS, &r, &why), -ESTALE);
	os_run_free(&r);
	os_table_close(&rd);
	/* And opened afresh it is simply invalid. */
	ck_assert_int_eq(os_run_snapshot(geteuid(), run, OS_LOAD_TASKS, &r, &why), -EPROTO);
	os_run_free(&r);
	os_table_close(&t);
	unlink_run("trunc");
}
END_TEST

START_TEST(test_random_bytes)
{
	char run[OS_NAME_MAX + 1], obj[128];
	unsigned char junk[OS_HEADER_SIZE * 3];
	struct os_run r;
	const char *why = NULL;
	int fd;

	run_name(run, sizeof(run), "junk");
	ck_assert_int_eq(os_table_object_name(obj, sizeof(obj), geteuid(), run), 0);
	srandom(777);
	for (int round = 0; round < 50; round++) {
		size_t size = (size_t)(random() % (long)sizeof(junk));

		for (size_t i = 0; i < size; i++)
			junk[i] = (unsigned char)random();
		if (round % 2 && size >= 8) /* the right magic, garbage behind it */
			memcpy(junk, &(uint64_t){ OS_TABLE_MAGIC }, 8);
		shm_unlink(obj);
		fd = shm_open(obj, O_RDWR | O_CREAT | O_EXCL, 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(fchmod(fd, 0600), 0);
		ck_assert_int_eq(write(fd, junk, size), (ssize_t)size);
		close(fd);
		ck_assert_int_eq(os_run_snapshot(geteuid(), run, OS_LOAD_TASKS, &r, &why), -EPROTO);
		ck_assert_ptr_nonnull(why);
		os_run_free(&r);
	}
	shm_unlink(obj);
}
END_TEST

/* A FIFO (or any other non-file) under a run's name: refused, not opened. */
START_TEST(test_fifo_refused)
{
	char run[OS_NAME_MAX + 1], path[160];
	struct os_run r;
	const char *why = NULL;

	run_name(run, sizeof(run), "fifo");
	snprintf(path, sizeof(path), "/dev/shm/oneshot.%u.%s", (unsigned)geteuid(), run);
	unlink(path);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(os_run_snapshot(geteuid(), run, OS_LOAD_TASKS, &r, &why), -EPERM);
	ck_assert_str_eq(why, "not a regular file");
	os_run_free(&r);
	unlink(path);
}
END_TEST

Suite *make_reader_suite(void)
{
	Suite *s = suite_create("reader");
	TCase *names = tcase_create("names");
	TCase *tables = tcase_create("tables");

	tcase_add_test(names, test_objname_parse);
	suite_add_tcase(s, names);

	tcase_add_unchecked_fixture(tables, tables_setup, tables_teardown);
	tcase_add_checked_fixture(tables, NULL, tables_teardown);
	tcase_add_test(tables, test_snapshot);
	tcase_add_test(tables, test_many_busy_slots);
	tcase_add_test(tables, test_truncated_under_reader);
	tcase_add_test(tables, test_random_bytes);
	tcase_add_test(tables, test_fifo_refused);
	suite_add_tcase(s, tables);
	return s;
}
