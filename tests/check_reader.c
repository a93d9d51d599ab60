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
	unlink_run("queue");
	unlink_run("qsort");
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

/* ------------------------------------------------------ a queue's table */

/* A queue run TAG of QSIZE slots, no task yet, ids to be given from 1. */
static void make_queue(const char *tag, uint32_t qsize, struct os_table *t)
{
	char run[OS_NAME_MAX + 1];
	struct os_table_spec spec;

	run_name(run, sizeof(run), tag);
	memset(&spec, 0, sizeof(spec));
	spec.name = run;
	spec.cap = 2;
	spec.queue_size = qsize;
	spec.next_id = 1;
	spec.logdir = "/nonexistent/queue logs";
	spec.flags = OS_RUN_QUEUE;
	ck_assert_int_eq(os_table_create(&spec, t), 0);
	/* Open, as once its endpoint listens. */
	ck_assert_uint_eq(atomic_load(&t->hdr->queue_open), 0);
	atomic_store(&t->hdr->queue_open, 1);
}

/* Add task ID (CMD) in slot I, as the supervisor does: the id given out
 * first, then the slot reused. */
static void queue_put(struct os_table *t, uint32_t i, uint32_t id, const char *cmd)
{
	if (atomic_load(&t->hdr->next_id) <= id)
		atomic_store(&t->hdr->next_id, id + 1);
	ck_assert_int_eq(os_slot_reuse(t, os_table_slot(t, i), id, cmd, (uint32_t)strlen(cmd), 0),
			 0);
}

static void queue_move(struct os_table *t, uint32_t i, enum os_event ev)
{
	ck_assert_int_eq(os_slot_transition(t, os_table_slot(t, i), ev, OS_REASON_NONE, NULL), 0);
}

/*
 * The queue the tests below read, slots [7, 2, 3, 6, 4, unused]: tasks 1..3
 * first; 1 completes and its slot goes to 7; 5 fails and its slot goes to
 * 6; 2 runs.  Tasks 1 and 5 are gone from the table but stay counted.
 */
static void make_reused_queue(struct os_table *t)
{
	make_queue("queue", 6, t);
	queue_put(t, 0, 1, "true");
	queue_put(t, 1, 2, "printf '\"\\x01\xff'");
	queue_put(t, 2, 3, "sleep\t60");
	queue_move(t, 0, OS_EV_START);
	queue_move(t, 0, OS_EV_FINISH);
	queue_put(t, 4, 4, "echo four");
	queue_put(t, 3, 5, "echo five");
	queue_move(t, 3, OS_EV_FAIL);
	queue_put(t, 3, 6, "echo six");
	queue_put(t, 0, 7, "echo seven");
	os_slot_write_begin(os_table_slot(t, 1));
	queue_move(t, 1, OS_EV_START);
	atomic_store(&os_table_slot(t, 1)->task_pid, 4242);
	os_slot_write_end(os_table_slot(t, 1));
	ck_assert_ptr_null(os_table_validate(t->hdr, t->size));
}

static const struct {
	uint32_t id, slot, state;
	const char *cmd;
} reused_tasks[] = {
	{ 2, 1, OS_RUNNING, "printf '\"\\x01\xff'" },
	{ 3, 2, OS_CREATED, "sleep\t60" },
	{ 4, 4, OS_CREATED, "echo four" },
	{ 6, 3, OS_CREATED, "echo six" },
	{ 7, 0, OS_CREATED, "echo seven" },
};
#define NREUSED (sizeof(reused_tasks) / sizeof(reused_tasks[0]))

START_TEST(test_queue_snapshot)
{
	char run[OS_NAME_MAX + 1];
	struct os_table t;
	struct os_run r;
	const char *why = NULL;

	make_reused_queue(&t);
	run_name(run, sizeof(run), "queue");
	ck_assert_int_eq(os_run_snapshot(geteuid(), run, OS_LOAD_TASKS, &r, &why), 0);
	ck_assert_int_eq(r.queue, 1);
	ck_assert_int_eq(r.queue_open, 1);
	ck_assert_uint_eq(r.next_id, 8);
	ck_assert_uint_eq(r.slots, 6);
	ck_assert_int_eq(r.alive, 1);
	ck_assert_str_eq(r.logdir, "/nonexistent/queue logs");
	/* Every task added so far, from the header's counts. */
	ck_assert_uint_eq(r.total, 7);
	ck_assert_uint_eq(r.counts[OS_CREATED], 4);
	ck_assert_uint_eq(r.counts[OS_RUNNING], 1);
	ck_assert_uint_eq(r.counts[OS_IDLE], 0);
	ck_assert_uint_eq(r.counts[OS_INTERRUPTED], 0);
	ck_assert_uint_eq(r.counts[OS_COMPLETED], 1);
	ck_assert_uint_eq(r.counts[OS_FAILED], 1);
	/* The tasks the table holds, in id order, each with its own command. */
	ck_assert_uint_eq(r.ntasks, NREUSED);
	for (uint32_t k = 0; k < NREUSED; k++) {
		const struct os_task *task = &r.tasks[k];

		ck_assert_uint_eq(task->v.id, reused_tasks[k].id);
		ck_assert_uint_eq(task->slot, reused_tasks[k].slot);
		ck_assert_uint_eq(task->v.state, reused_tasks[k].state);
		ck_assert_int_eq(task->busy, 0);
		ck_assert_int_eq(task->logged, 0);
		ck_assert_uint_eq(task->cmd_len, strlen(reused_tasks[k].cmd));
		ck_assert_uint_lt(task->cmd_pos + task->cmd_len, r.strings_len);
		ck_assert_str_eq(r.strings + task->cmd_pos, reused_tasks[k].cmd);
	}
	ck_assert_int_eq(r.tasks[0].v.task_pid, 4242);
	os_run_free(&r);

	/* Counts only: the header's, no tasks copied. */
	atomic_store(&t.hdr->queue_open, 0);
	ck_assert_int_eq(os_run_snapshot(geteuid(), run, OS_LOAD_COUNTS, &r, &why), 0);
	ck_assert_int_eq(r.queue, 1);
	ck_assert_int_eq(r.queue_open, 0);
	ck_assert_uint_eq(r.total, 7);
	ck_assert_uint_eq(r.counts[OS_CREATED], 4);
	ck_assert_uint_eq(r.counts[OS_FAILED], 1);
	ck_assert_uint_eq(r.ntasks, 0);
	ck_assert_ptr_null(r.tasks);
	os_run_free(&r);

	/* A slot whose writer is inside its section (a slow worker, a slot
	 * being reused, or stuck) is shown busy, as a batch's is: its id and
	 * state word, no command, nothing torn; the others as they are. */
	os_slot_write_begin(os_table_slot(&t, 3));
	ck_assert_int_eq(os_run_snapshot(geteuid(), run, OS_LOAD_TASKS, &r, &why), 0);
	ck_assert_uint_eq(r.ntasks, NREUSED);
	for (uint32_t k = 0; k < r.ntasks; k++) {
		ck_assert_int_eq(r.tasks[k].busy, r.tasks[k].v.id == 6);
		if (r.tasks[k].v.id == 6)
			ck_assert_uint_eq(r.tasks[k].cmd_len, 0);
	}
	ck_assert_str_eq(r.strings + r.tasks[4].cmd_pos, "echo seven");
	os_run_free(&r);
	os_slot_write_end(os_table_slot(&t, 3));

	/* A state word out of range is an invalid table. */
	atomic_store(&os_table_slot(&t, 4)->state, OS_STATE_COUNT);
	ck_assert_int_eq(os_run_snapshot(geteuid(), run, OS_LOAD_TASKS, &r, &why), -EPROTO);
	ck_assert_str_eq(why, "task state out of range");
	os_run_free(&r);
	os_table_close(&t);
	unlink_run("queue");
}
END_TEST

/* os_run_task in a queue: a linear search over slots in no order; ids no
 * longer (or not yet) in the table are -ENOENT, a slot held by a writer
 * -EAGAIN. */
START_TEST(test_queue_task)
{
	static const uint32_t absent[] = { 1, 5, 8, 9, UINT32_MAX };
	char run[OS_NAME_MAX + 1];
	struct os_table t, rd;
	struct os_slot_view v;
	struct os_gen gen;
	const char *why = NULL;
	uint32_t index;

	make_reused_queue(&t);
	run_name(run, sizeof(run), "queue");
	ck_assert_int_eq(os_run_open(geteuid(), run, &rd, &gen, &why), 0);
	for (uint32_t k = 0; k < NREUSED; k++) {
		memset(&v, 0, sizeof(v));
		index = UINT32_MAX;
		ck_assert_int_eq(os_run_task(&rd, &gen, reused_tasks[k].id, &v, &index), 0);
		ck_assert_uint_eq(v.id, reused_tasks[k].id);
		ck_assert_uint_eq(v.state, reused_tasks[k].state);
		ck_assert_uint_eq(index, reused_tasks[k].slot);
	}
	ck_assert_int_eq(os_run_task(&rd, &gen, 2, &v, NULL), 0);
	ck_assert_int_eq(v.task_pid, 4242);
	for (size_t k = 0; k < sizeof(absent) / sizeof(absent[0]); k++)
		ck_assert_msg(os_run_task(&rd, &gen, absent[k], &v, &index) == -ENOENT,
			      "task %u found", absent[k]);
	/* The slot of task 6 held by a writer: not "no such task". */
	os_slot_write_begin(os_table_slot(&t, 3));
	ck_assert_int_eq(os_run_task(&rd, &gen, 6, &v, &index), -EAGAIN);
	ck_assert_int_eq(os_run_task(&rd, &gen, 4, &v, &index), 0);
	os_slot_write_end(os_table_slot(&t, 3));
	/* Reused under the reader's mapping: the new task is found, the old
	 * one is gone. */
	queue_move(&t, 3, OS_EV_FAIL);
	queue_put(&t, 3, 8, "echo eight");
	ck_assert_int_eq(os_run_task(&rd, &gen, 8, &v, &index), 0);
	ck_assert_uint_eq(index, 3);
	ck_assert_int_eq(os_run_task(&rd, &gen, 6, &v, &index), -ENOENT);
	os_table_close(&rd);
	os_table_close(&t);
	unlink_run("queue");
}
END_TEST

/* Many slots given ids in a shuffled order: the copy is in id order, each
 * task with its own slot and command. */
START_TEST(test_queue_sorted)
{
	enum { N = 64 };
	uint32_t slot_of_id[N + 1];
	char run[OS_NAME_MAX + 1], cmd[32];
	struct os_table t;
	struct os_run r;
	const char *why = NULL;

	make_queue("qsort", N, &t);
	for (uint32_t id = 1; id <= N; id++)
		slot_of_id[id] = (id * 37u) % N; /* 37 is prime to 64: a permutation */
	for (uint32_t id = 1; id <= N; id++) {
		snprintf(cmd, sizeof(cmd), "echo %u", id);
		queue_put(&t, slot_of_id[id], id, cmd);
	}
	ck_assert_uint_ne(os_table_slot(&t, 0)->id, 1);
	run_name(run, sizeof(run), "qsort");
	ck_assert_int_eq(os_run_snapshot(geteuid(), run, OS_LOAD_TASKS, &r, &why), 0);
	ck_assert_uint_eq(r.ntasks, N);
	ck_assert_uint_eq(r.total, N);
	ck_assert_uint_eq(r.slots, N);
	ck_assert_uint_eq(r.next_id, N + 1);
	for (uint32_t k = 0; k < N; k++) {
		snprintf(cmd, sizeof(cmd), "echo %u", k + 1);
		ck_assert_uint_eq(r.tasks[k].v.id, k + 1);
		ck_assert_uint_eq(r.tasks[k].slot, slot_of_id[k + 1]);
		ck_assert_str_eq(r.strings + r.tasks[k].cmd_pos, cmd);
	}
	os_run_free(&r);
	os_table_close(&t);
	unlink_run("qsort");
}
END_TEST

/* A batch's os_run_task: the binary search over ids in slot order. */
START_TEST(test_batch_task)
{
	char run[OS_NAME_MAX + 1];
	struct os_table t, rd;
	struct os_slot_view v;
	struct os_gen gen;
	const char *why = NULL;
	uint32_t index;

	make_table("snap", 5, &t);
	run_name(run, sizeof(run), "snap");
	ck_assert_int_eq(os_run_open(geteuid(), run, &rd, &gen, &why), 0);
	for (uint32_t id = 1; id <= 5; id++) {
		ck_assert_int_eq(os_run_task(&rd, &gen, id, &v, &index), 0);
		ck_assert_uint_eq(v.id, id);
		ck_assert_uint_eq(index, id - 1);
	}
	ck_assert_int_eq(os_run_task(&rd, &gen, 0, &v, &index), -ENOENT);
	ck_assert_int_eq(os_run_task(&rd, &gen, 6, &v, &index), -ENOENT);
	os_table_close(&rd);
	os_table_close(&t);
	unlink_run("snap");
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
	tcase_add_test(tables, test_queue_snapshot);
	tcase_add_test(tables, test_queue_task);
	tcase_add_test(tables, test_queue_sorted);
	tcase_add_test(tables, test_batch_task);
	suite_add_tcase(s, tables);
	return s;
}
