/*
 * check_table.c: creating, opening, locking and validating run tables, and
 * run names.  The tables are real POSIX shared-memory objects named like a
 * run's ("/oneshot.UID.RUN"); every test removes its own, and the runner
 * removes them again after each test case in case a test died first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/check_suites.h"
#include "shm/slot.h"
#include "shm/state.h"
#include "shm/table.h"

static const char *const suffixes[] = {
	"open", "live", "busy", "valid", "mode", "owner", "proto", "args", "queue", "qvalid",
};
#define NSUFFIXES (sizeof(suffixes) / sizeof(suffixes[0]))

/* Fixed in the runner process, before any test forks. */
static char prefix[40];

static const char *const commands[] = {
	"true",
	"sleep 1 && echo 'done \"quoted\"'",
	"x",
};
#define NCOMMANDS 3u
static const char logdir[] = "/var/tmp/check logs/run 1";

static void run_name(char *buf, size_t len, const char *suffix)
{
	snprintf(buf, len, "%s-%s", prefix, suffix);
}

/* No assertions here: the runner process calls it from its fixtures. */
static int object_name(char *buf, size_t len, uid_t uid, const char *suffix)
{
	char run[OS_NAME_MAX + 1];

	run_name(run, sizeof(run), suffix);
	return os_table_object_name(buf, len, uid, run);
}

static void unlink_all(void)
{
	char obj[128];

	for (size_t i = 0; i < NSUFFIXES; i++) {
		if (object_name(obj, sizeof(obj), geteuid(), suffixes[i]) == 0)
			shm_unlink(obj);
		if (object_name(obj, sizeof(obj), geteuid() + 1, suffixes[i]) == 0)
			shm_unlink(obj);
	}
}

static void names_setup(void)
{
	snprintf(prefix, sizeof(prefix), "check-table-%ld", (long)getpid());
	unlink_all();
}

/* The object must be gone once the test is over. */
static void unlink_checked(uid_t uid, const char *suffix)
{
	char obj[128];

	ck_assert_int_eq(object_name(obj, sizeof(obj), uid, suffix), 0);
	ck_assert_msg(shm_unlink(obj) == 0, "shm_unlink(%s): %s", obj, strerror(errno));
}

static int create_n(const char *suffix, uint32_t n, struct os_table *t)
{
	char run[OS_NAME_MAX + 1];
	const char *cmds[8];
	uint32_t lens[8];
	struct os_table_spec spec = {
		.name = run, .slot_count = n, .cap = 2, .cmds = cmds, .cmd_lens = lens,
		.logdir = logdir, .idle_after_ms = 1500, .idle_timeout_ms = 60000,
		.timeout_ms = 0, .grace_ms = 2000,
	};

	ck_assert_uint_le(n, 8);
	for (uint32_t i = 0; i < n; i++) {
		cmds[i] = commands[i % NCOMMANDS];
		lens[i] = (uint32_t)strlen(cmds[i]);
	}
	run_name(run, sizeof(run), suffix);
	return os_table_create(&spec, t);
}

static void create_ok(const char *suffix, struct os_table *t)
{
	int err = create_n(suffix, NCOMMANDS, t);

	ck_assert_msg(err == 0, "os_table_create: %s", strerror(-err));
}

static int open_run(const char *suffix, struct os_table *t, const char **why)
{
	char run[OS_NAME_MAX + 1];

	run_name(run, sizeof(run), suffix);
	return os_table_open(geteuid(), run, t, why);
}

/* What a reader must find in a table made by create_n(.., n, ..). */
static void assert_contents(const struct os_table *t, const char *suffix, uint32_t n)
{
	const struct os_header *h = t->hdr;
	char run[OS_NAME_MAX + 1];

	run_name(run, sizeof(run), suffix);
	ck_assert_uint_eq(atomic_load(&((struct os_header *)h)->magic), OS_TABLE_MAGIC);
	ck_assert_str_eq(h->name, run);
	ck_assert_uint_eq(h->slot_count, n);
	ck_assert_uint_eq(h->cap, 2);
	ck_assert_uint_eq(h->idle_after_ms, 1500);
	ck_assert_uint_eq(h->idle_timeout_ms, 60000);
	ck_assert_uint_eq(h->grace_ms, 2000);
	ck_assert_uint_eq(h->owner_uid, geteuid());
	ck_assert_int_eq(h->supervisor_pid, getpid());
	ck_assert_uint_eq(atomic_load(&((struct os_header *)h)->run_state), OS_RUN_ACTIVE);
	ck_assert_int_eq(atomic_load(&((struct os_header *)h)->exit_status), -1);
	ck_assert_uint_eq(atomic_load(&((struct os_header *)h)->counts[OS_CREATED]), n);
	ck_assert_uint_eq(h->table_size, t->size);
	ck_assert_str_eq(os_table_logdir(t), logdir);
	for (uint32_t i = 0; i < n; i++) {
		const struct os_slot *s = os_table_slot(t, i);
		const char *want = commands[i % NCOMMANDS];
		uint32_t len = UINT32_MAX;
		const char *cmd = os_slot_command(t, s, &len);
		struct os_slot_view v;

		ck_assert_ptr_nonnull(cmd);
		ck_assert_uint_eq(len, strlen(want));
		ck_assert_int_eq(memcmp(cmd, want, len), 0);
		ck_assert_int_eq(cmd[len], '\0');
		ck_assert_int_eq(os_slot_snapshot(s, &v), 0);
		ck_assert_uint_eq(v.id, i + 1);
		ck_assert_uint_eq(v.state, OS_CREATED);
		ck_assert_int_eq(v.exit_code, -1);
		ck_assert_int_eq(v.task_pid, 0);
	}
}

START_TEST(test_create_then_open)
{
	struct os_table t, r;
	const char *why = "unset";
	struct stat st;
	int pipefd[2];

	create_ok("open", &t);
	ck_assert_int_eq(t.writable, 1);
	assert_contents(&t, "open", NCOMMANDS);
	ck_assert_int_eq(open_run("open", &r, &why), 0);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(r.writable, 0);
	ck_assert_int_eq(r.events_fd, -1);
	ck_assert_uint_eq(r.size, t.size);
	ck_assert_ptr_null(os_table_validate(r.hdr, r.size));
	assert_contents(&r, "open", NCOMMANDS);

	/* Writes through one mapping show through the other: one object. */
	ck_assert_int_eq(os_slot_transition(&t, os_table_slot(&t, 1), OS_EV_START,
					    OS_REASON_NONE, NULL), 0);
	ck_assert_uint_eq(atomic_load(&os_table_slot(&r, 1)->state), OS_RUNNING);

	ck_assert_int_eq(fstat(t.fd, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_uid, geteuid());
	ck_assert_uint_eq((uint64_t)st.st_size, t.size);

	/* The reader's mapping is read-only: the kernel refuses to store into
	 * it (EFAULT rather than SIGSEGV keeps sanitizers out of it). */
	ck_assert_int_eq(pipe(pipefd), 0);
	ck_assert_int_eq(write(pipefd[1], "z", 1), 1);
	ck_assert_int_eq(read(pipefd[0], (char *)r.hdr + OS_HEADER_SIZE - 1, 1), -1);
	ck_assert_int_eq(errno, EFAULT);
	close(pipefd[0]);
	close(pipefd[1]);

	os_table_close(&r);
	ck_assert_ptr_null(r.hdr);
	ck_assert_int_eq(r.fd, -1);
	os_table_close(&r); /* harmless twice */
	os_table_close(&t);
	unlink_checked(geteuid(), "open");
	ck_assert_int_eq(open_run("open", &r, &why), -ENOENT);
}
END_TEST

/* Waits for EOF on FD, then exits: a worker holding the run's lock. */
static pid_t spawn_holder(int *wake)
{
	int p[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[1]);
		while (read(p[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	*wake = p[1];
	return pid;
}

START_TEST(test_liveness)
{
	struct os_table t, r;
	const char *why;
	int wake, status;
	pid_t holder;

	create_ok("live", &t);
	ck_assert_int_eq(open_run("live", &r, &why), 0);
	ck_assert_int_eq(os_table_is_live(&r), 1);

	/* Workers inherit the lock: the run is live while any of them is. */
	holder = spawn_holder(&wake);
	os_table_close(&t);
	ck_assert_int_eq(os_table_is_live(&r), 1);
	close(wake);
	ck_assert_int_eq(waitpid(holder, &status, 0), holder);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(os_table_is_live(&r), 0);
	os_table_close(&r);
	unlink_checked(geteuid(), "live");
}
END_TEST

/* A second supervisor, as a separate process with its own open. */
static int create_in_child(const char *suffix, uint32_t n)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct os_table t;
		int err = create_n(suffix, n, &t);

		_exit(err == 0 ? 0 : (-err) & 0x7f);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child died: %#x", status);
	return -WEXITSTATUS(status);
}

START_TEST(test_busy_then_replaced)
{
	struct os_table t, r, old;
	const char *why;

	create_ok("busy", &t);
	ck_assert_int_eq(open_run("busy", &old, &why), 0);
	ck_assert_int_eq(create_in_child("busy", 5), -EBUSY);
	/* The refused run changed nothing of the live one. */
	ck_assert_int_eq(open_run("busy", &r, &why), 0);
	assert_contents(&r, "busy", NCOMMANDS);
	os_table_close(&r);

	os_table_close(&t);
	ck_assert_int_eq(create_n("busy", 5, &t), 0);
	ck_assert_int_eq(open_run("busy", &r, &why), 0);
	assert_contents(&r, "busy", 5);
	ck_assert_int_eq(os_table_is_live(&r), 1);
	/* A reader still mapping the dead run sees an invalid table, not a
	 * mix of the two runs. */
	ck_assert_ptr_nonnull(os_table_validate(old.hdr, old.size));
	/* And now the new run is the live one that refuses a third. */
	ck_assert_int_eq(create_in_child("busy", 2), -EBUSY);
	os_table_close(&old);
	os_table_close(&r);
	os_table_close(&t);
	unlink_checked(geteuid(), "busy");
}
END_TEST

START_TEST(test_create_arguments)
{
	struct os_table t;
	char obj[128];
	const char *cmds[1] = { "true" };
	uint32_t lens[1] = { 4 };
	struct os_table_spec spec = {
		.slot_count = 1, .cap = 1, .cmds = cmds, .cmd_lens = lens, .logdir = "/l",
	};
	char run[OS_NAME_MAX + 1];

	run_name(run, sizeof(run), "args");
	spec.name = "bad/name";
	ck_assert_int_eq(os_table_create(&spec, &t), -EINVAL);
	ck_assert_int_eq(t.fd, -1);
	spec.name = run;
	spec.cap = 0;
	ck_assert_int_eq(os_table_create(&spec, &t), -EINVAL);
	spec.cap = OS_CAP_MAX + 1;
	ck_assert_int_eq(os_table_create(&spec, &t), -EINVAL);
	/* None of the refusals left an object behind. */
	ck_assert_int_eq(object_name(obj, sizeof(obj), geteuid(), "args"), 0);
	ck_assert_int_eq(shm_unlink(obj), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* An empty shard of a sharded run is a run of no tasks. */
	spec.cap = 1;
	spec.slot_count = 0;
	ck_assert_int_eq(os_table_create(&spec, &t), 0);
	ck_assert_ptr_null(os_table_validate(t.hdr, t.size));
	ck_assert_uint_eq(t.size, OS_HEADER_SIZE + 3);
	os_table_close(&t);
	spec.slot_count = 1;
	spec.cap = OS_CAP_MAX;
	ck_assert_int_eq(os_table_create(&spec, &t), 0);
	ck_assert_uint_eq(t.size, OS_HEADER_SIZE + OS_SLOT_SIZE + 5 + 3);
	os_table_close(&t);
	unlink_checked(geteuid(), "args");
}
END_TEST

START_TEST(test_size_for)
{
	ck_assert_uint_eq(os_table_size_for(1, 0), OS_HEADER_SIZE + OS_SLOT_SIZE);
	ck_assert_uint_eq(os_table_size_for(3, 10), OS_HEADER_SIZE + 3 * OS_SLOT_SIZE + 10);
	ck_assert_uint_eq(os_table_size_for(OS_SLOTS_MAX, 0),
			  OS_HEADER_SIZE + (size_t)OS_SLOTS_MAX * OS_SLOT_SIZE);
	ck_assert_uint_eq(os_table_size_for(OS_SLOTS_MAX + 1, 0), 0);
	ck_assert_uint_eq(os_table_size_for(UINT32_MAX, 0), 0);
	ck_assert_uint_eq(os_table_size_for(1, UINT64_MAX), 0);
	ck_assert_uint_eq(os_table_size_for(1, UINT64_MAX - OS_HEADER_SIZE), 0);
}
END_TEST

/* --- validation of damaged copies ----------------------------------------- */

static struct os_header *hdr_of(void *copy)
{
	return copy;
}

static struct os_slot *slot_of(void *copy, uint32_t i)
{
	return (struct os_slot *)((char *)copy + OS_HEADER_SIZE + (size_t)i * OS_SLOT_SIZE);
}

/* Each damage edits a private copy and may shorten it; SIZE is the table's. */
typedef size_t damage_fn(void *copy, size_t size);

#define DAMAGE(name, body) \
	static size_t damage_##name(void *copy, size_t size) \
	{ \
		struct os_header *h = hdr_of(copy); \
		(void)h; \
		body; \
		return size; \
	}

DAMAGE(none, (void)0)
DAMAGE(magic, atomic_store(&h->magic, OS_TABLE_MAGIC ^ 1))
DAMAGE(magic_zero, atomic_store(&h->magic, 0))
DAMAGE(version, h->version = OS_TABLE_VERSION + 1)
DAMAGE(version_zero, h->version = 0)
DAMAGE(slot_size, h->slot_size = OS_SLOT_SIZE - 1)
DAMAGE(slot_size_big, h->slot_size = OS_SLOT_SIZE * 2)
DAMAGE(header_size, h->header_size = OS_HEADER_SIZE / 2)
DAMAGE(slot_count_zero, h->slot_count = 0)
DAMAGE(slot_count_huge, h->slot_count = UINT32_MAX)
DAMAGE(slot_count_max, h->slot_count = OS_SLOTS_MAX)
DAMAGE(slot_count_plus_one, h->slot_count++)
DAMAGE(cap_zero, h->cap = 0)
DAMAGE(cap_huge, h->cap = OS_CAP_MAX + 1)
DAMAGE(table_size_more, h->table_size++)
DAMAGE(table_size_less, h->table_size--)
DAMAGE(table_size_huge, h->table_size = UINT64_MAX)
DAMAGE(strings_off, h->strings_off += 1)
DAMAGE(strings_off_huge, h->strings_off = UINT64_MAX)
DAMAGE(strings_size, h->strings_size += 1)
DAMAGE(strings_size_huge, h->strings_size = UINT64_MAX - 8)
DAMAGE(cmd_off_end, slot_of(copy, 2)->cmd_off = size)
DAMAGE(cmd_off_header, slot_of(copy, 0)->cmd_off = 0)
DAMAGE(cmd_off_slots, slot_of(copy, 0)->cmd_off = OS_HEADER_SIZE)
DAMAGE(cmd_off_huge, slot_of(copy, 1)->cmd_off = UINT64_MAX)
DAMAGE(cmd_off_wrap, slot_of(copy, 1)->cmd_off = UINT64_MAX - 2; slot_of(copy, 1)->cmd_len = 8)
DAMAGE(cmd_len_past_end, slot_of(copy, 2)->cmd_len = (uint32_t)(size - slot_of(copy, 2)->cmd_off))
DAMAGE(cmd_len_huge, slot_of(copy, 0)->cmd_len = UINT32_MAX)
DAMAGE(cmd_len_too_long, slot_of(copy, 0)->cmd_len = OS_CMD_MAX + 1)
DAMAGE(logdir_off_end, h->logdir_off = size)
DAMAGE(logdir_off_header, h->logdir_off = 100)
DAMAGE(logdir_off_huge, h->logdir_off = UINT64_MAX)
DAMAGE(logdir_len_huge, h->logdir_len = UINT32_MAX)
DAMAGE(logdir_len_past_end, h->logdir_len = (uint32_t)(size - h->logdir_off))
DAMAGE(name_unterminated, memset(h->name, 'n', sizeof(h->name)))
DAMAGE(slot_id_zero, slot_of(copy, 0)->id = 0)
DAMAGE(slot_id_swapped, slot_of(copy, 1)->id = 3; slot_of(copy, 2)->id = 2)
DAMAGE(cut_zero, return 0)
DAMAGE(cut_small, return 100)
DAMAGE(cut_below_header, return OS_HEADER_SIZE - 1)
DAMAGE(cut_header_only, return OS_HEADER_SIZE)
DAMAGE(cut_mid_slot, return OS_HEADER_SIZE + OS_SLOT_SIZE + OS_SLOT_SIZE / 2)
DAMAGE(cut_after_slots, return OS_HEADER_SIZE + NCOMMANDS * OS_SLOT_SIZE)
DAMAGE(cut_last_byte, return size - 1)

static const struct {
	const char *name;
	damage_fn *fn;
} damages[] = {
#define D(n) { #n, damage_##n }
	D(none), D(magic), D(magic_zero), D(version), D(version_zero), D(slot_size),
	D(slot_size_big), D(header_size), D(slot_count_zero), D(slot_count_huge),
	D(slot_count_max), D(slot_count_plus_one), D(cap_zero), D(cap_huge),
	D(table_size_more), D(table_size_less), D(table_size_huge), D(strings_off),
	D(strings_off_huge), D(strings_size), D(strings_size_huge), D(cmd_off_end),
	D(cmd_off_header), D(cmd_off_slots), D(cmd_off_huge), D(cmd_off_wrap),
	D(cmd_len_past_end), D(cmd_len_huge), D(cmd_len_too_long), D(logdir_off_end),
	D(logdir_off_header), D(logdir_off_huge), D(logdir_len_huge),
	D(logdir_len_past_end), D(name_unterminated), D(slot_id_zero),
	D(slot_id_swapped), D(cut_zero), D(cut_small), D(cut_below_header),
	D(cut_header_only), D(cut_mid_slot), D(cut_after_slots), D(cut_last_byte),
#undef D
};
#define NDAMAGES (sizeof(damages) / sizeof(damages[0]))

/* A private copy of a real table's bytes; the object is removed at once. */
static void *real_table_image(size_t *size)
{
	struct os_table t;
	void *copy;

	create_ok("valid", &t);
	*size = t.size;
	copy = malloc(t.size);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, t.hdr, t.size);
	os_table_close(&t);
	unlink_checked(geteuid(), "valid");
	return copy;
}

/* Loop test over damages[]: each validated from a buffer of exactly the size
 * claimed, so a read past it is a sanitizer or valgrind error. */
START_TEST(test_validate_damage)
{
	size_t size, cut;
	void *copy = real_table_image(&size), *exact;
	const char *why;

	ck_assert_ptr_null(os_table_validate(copy, size));
	cut = damages[_i].fn(copy, size);
	ck_assert_uint_le(cut, size);
	exact = malloc(cut ? cut : 1);
	ck_assert_ptr_nonnull(exact);
	memcpy(exact, copy, cut);
	why = os_table_validate(exact, cut);
	if (_i == 0)
		ck_assert_msg(why == NULL, "undamaged copy refused: %s", why);
	else
		ck_assert_msg(why != NULL && why[0] != '\0',
			      "damage \"%s\" not detected", damages[_i].name);
	free(exact);
	free(copy);
}
END_TEST

/* Every length short of the whole table is refused, read within bounds. */
START_TEST(test_validate_every_cut)
{
	size_t size;
	void *copy = real_table_image(&size);

	for (size_t cut = 0; cut < size; cut++) {
		void *exact = malloc(cut ? cut : 1);

		if (!exact)
			ck_abort_msg("malloc(%zu) failed", cut);
		memcpy(exact, copy, cut);
		if (os_table_validate(exact, cut) == NULL)
			ck_abort_msg("table cut to %zu of %zu bytes accepted", cut, size);
		free(exact);
	}
	ck_assert_ptr_null(os_table_validate(copy, size));
	free(copy);
}
END_TEST

/* --- queue tables (OS_RUN_QUEUE) ------------------------------------------ */

/* A queue of QSIZE slots whose first N hold tasks 1..N (commands[]), the
 * next id NEXT_ID; ATTEMPTS (or NULL) as attempts_before. */
static int create_queue(const char *suffix, uint32_t qsize, uint32_t n, uint32_t next_id,
			const uint32_t *attempts, struct os_table *t)
{
	char run[OS_NAME_MAX + 1];
	const char *cmds[8];
	uint32_t lens[8];
	struct os_table_spec spec = {
		.name = run, .slot_count = n, .cap = 3, .cmds = cmds, .cmd_lens = lens,
		.queue_size = qsize, .next_id = next_id, .attempts_before = attempts,
		.logdir = logdir, .idle_after_ms = 1500, .grace_ms = 2000,
		.flags = OS_RUN_QUEUE | OS_RUN_CRLF,
	};

	ck_assert_uint_le(n, 8);
	for (uint32_t i = 0; i < n; i++) {
		cmds[i] = commands[i % NCOMMANDS];
		lens[i] = (uint32_t)strlen(cmds[i]);
	}
	run_name(run, sizeof(run), suffix);
	return os_table_create(&spec, t);
}

START_TEST(test_queue_logdir_room)
{
	/* The log directory and its NUL, padded to whole pages. */
	ck_assert_uint_eq(os_queue_logdir_room(0), 4096);
	ck_assert_uint_eq(os_queue_logdir_room(1), 4096);
	ck_assert_uint_eq(os_queue_logdir_room(4094), 4096);
	ck_assert_uint_eq(os_queue_logdir_room(4095), 4096);
	ck_assert_uint_eq(os_queue_logdir_room(4096), 8192);
	ck_assert_uint_eq(os_queue_logdir_room(UINT32_MAX), UINT64_C(1) << 32);
	ck_assert_uint_eq(OS_QUEUE_BOX, OS_CMD_MAX + 1);
}
END_TEST

/* A new queue: its header, every slot pointing at its own box, the first
 * tasks in, the others unused; valid; os_table_tasks counts tasks, not slots. */
START_TEST(test_queue_create)
{
	static const uint32_t before[2] = { 0, 4 };
	struct os_table t, r;
	struct os_header *h;
	const char *why = "unset";
	uint64_t room = os_queue_logdir_room((uint32_t)strlen(logdir));

	ck_assert_int_eq(create_queue("queue", 5, 2, 7, before, &t), 0);
	h = t.hdr;
	ck_assert_uint_eq(h->slot_count, 5);
	ck_assert_uint_eq(h->flags, OS_RUN_QUEUE | OS_RUN_CRLF);
	/* Open only once its endpoint listens (the supervisor's queue_listen). */
	ck_assert_uint_eq(atomic_load(&h->queue_open), 0);
	ck_assert_uint_eq(atomic_load(&h->next_id), 7);
	ck_assert_uint_eq(atomic_load(&h->queue_key[0]), 0);
	ck_assert_uint_eq(atomic_load(&h->queue_key[1]), 0);
	ck_assert_uint_eq(atomic_load(&h->counts[OS_CREATED]), 2);
	for (unsigned st = 1; st < 8; st++)
		ck_assert_uint_eq(atomic_load(&h->counts[st]), 0);
	ck_assert_uint_eq(os_table_tasks(h), 2);
	ck_assert_uint_eq(h->strings_off, OS_HEADER_SIZE + 5 * OS_SLOT_SIZE);
	ck_assert_uint_eq(h->logdir_off, h->strings_off);
	ck_assert_uint_eq(h->strings_size, room + 5 * (uint64_t)OS_QUEUE_BOX);
	ck_assert_uint_eq(t.size, h->strings_off + h->strings_size);
	ck_assert_uint_eq(h->table_size, t.size);
	ck_assert_str_eq(os_table_logdir(&t), logdir);
	/* The last box ends where the table does: a longest command and its
	 * NUL fit the last slot exactly. */
	ck_assert_uint_eq(os_queue_box_off(h, 4) + OS_QUEUE_BOX, t.size);
	for (uint32_t i = 0; i < 5; i++) {
		const struct os_slot *s = os_table_slot(&t, i);
		uint32_t len = UINT32_MAX;
		const char *cmd = os_slot_command(&t, s, &len);
		struct os_slot_view v;

		ck_assert_uint_eq(s->cmd_off, h->strings_off + room + (uint64_t)i * OS_QUEUE_BOX);
		ck_assert_uint_eq(s->cmd_off, os_queue_box_off(h, i));
		ck_assert_ptr_nonnull(cmd);
		ck_assert_int_eq(os_slot_snapshot(s, &v), 0);
		ck_assert_uint_eq(v.state, OS_CREATED);
		ck_assert_int_eq(v.exit_code, -1);
		if (i < 2) {
			ck_assert_uint_eq(v.id, i + 1);
			ck_assert_uint_eq(v.attempt, 1 + before[i]);
			ck_assert_uint_eq(len, strlen(commands[i]));
			ck_assert_str_eq(cmd, commands[i]);
		} else {
			ck_assert_uint_eq(v.id, 0);
			ck_assert_uint_eq(v.attempt, 0);
			ck_assert_uint_eq(len, 0);
			ck_assert_int_eq(cmd[0], '\0');
		}
	}
	ck_assert_ptr_null(os_table_validate(t.hdr, t.size));
	ck_assert_int_eq(open_run("queue", &r, &why), 0);
	ck_assert_ptr_null(why);
	ck_assert_uint_eq(r.size, t.size);
	ck_assert_uint_eq(os_table_tasks(r.hdr), 2);
	os_table_close(&r);
	os_table_close(&t);
	unlink_checked(geteuid(), "queue");

	/* An empty queue (ids from 1), and one that is all tasks. */
	ck_assert_int_eq(create_queue("queue", 1, 0, 1, NULL, &t), 0);
	ck_assert_uint_eq(t.hdr->slot_count, 1);
	ck_assert_uint_eq(os_table_tasks(t.hdr), 0);
	ck_assert_uint_eq(os_table_slot(&t, 0)->id, 0);
	ck_assert_ptr_null(os_table_validate(t.hdr, t.size));
	os_table_close(&t);
	ck_assert_int_eq(create_queue("queue", 3, 3, 4, NULL, &t), 0);
	ck_assert_uint_eq(os_table_tasks(t.hdr), 3);
	ck_assert_ptr_null(os_table_validate(t.hdr, t.size));
	os_table_close(&t);
	unlink_checked(geteuid(), "queue");

	/* A batch's tasks are its slots, whatever the counts say. */
	create_ok("queue", &t);
	atomic_store(&t.hdr->counts[OS_COMPLETED], 40);
	ck_assert_uint_eq(os_table_tasks(t.hdr), NCOMMANDS);
	os_table_close(&t);
	unlink_checked(geteuid(), "queue");
}
END_TEST

START_TEST(test_queue_create_arguments)
{
	struct os_table t;
	char obj[128];

	/* More tasks than slots, more slots than a queue may have. */
	ck_assert_int_eq(create_queue("queue", 2, 3, 4, NULL, &t), -EINVAL);
	ck_assert_int_eq(t.fd, -1);
	ck_assert_int_eq(create_queue("queue", OS_QUEUE_SIZE_MAX + 1, 1, 2, NULL, &t), -EINVAL);
	/* no slot at all: validation would refuse the table published */
	ck_assert_int_eq(create_queue("queue", 0, 0, 1, NULL, &t), -EINVAL);
	ck_assert_int_eq(object_name(obj, sizeof(obj), geteuid(), "queue"), 0);
	ck_assert_int_eq(shm_unlink(obj), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* --- a queue's image damaged: the reason os_table_validate gives ---------- */

/* The image: a queue of QV_SLOTS slots, tasks 1 and 2 in the first two,
 * the last unused, next id QV_NEXT. */
#define QV_SLOTS 3u
#define QV_NEXT 3u
#define QV_SLACK 8192u /* zeros after the image, for damages that grow it */

typedef size_t qdamage_fn(struct os_header *h, size_t size);

static struct os_slot *qslot(struct os_header *h, uint32_t i)
{
	return slot_of(h, i);
}

static uint64_t qbox(const struct os_header *h, uint32_t i)
{
	return os_queue_box_off(h, i);
}

#define QDAMAGE(name, body) \
	static size_t qdamage_##name(struct os_header *h, size_t size) \
	{ \
		(void)h; \
		body; \
		return size; \
	}

QDAMAGE(none, (void)0)
/* Reuse keeps no order: any ids below next_id, in any slots. */
QDAMAGE(ids_any_order, qslot(h, 0)->id = 2; qslot(h, 1)->id = 1)
QDAMAGE(id_last_given, atomic_store(&h->next_id, UINT32_MAX);
	qslot(h, 2)->id = UINT32_MAX - 1)
QDAMAGE(cmd_len_max, qslot(h, 1)->cmd_len = OS_CMD_MAX)
QDAMAGE(cmd_len_max_last, qslot(h, QV_SLOTS - 1)->cmd_len = OS_CMD_MAX)
/* Commands */
QDAMAGE(cmd_len_too_long, qslot(h, 1)->cmd_len = OS_CMD_MAX + 1)
QDAMAGE(cmd_len_huge, qslot(h, 0)->cmd_len = UINT32_MAX)
QDAMAGE(cmd_len_unused_slot, qslot(h, 2)->cmd_len = OS_QUEUE_BOX)
QDAMAGE(cmd_off_next_box, qslot(h, 0)->cmd_off = qbox(h, 1))
QDAMAGE(cmd_off_swapped, qslot(h, 0)->cmd_off = qbox(h, 1); qslot(h, 1)->cmd_off = qbox(h, 0))
QDAMAGE(cmd_off_plus_one, qslot(h, 1)->cmd_off++)
QDAMAGE(cmd_off_unused_slot, qslot(h, 2)->cmd_off = qbox(h, 2) - 1)
QDAMAGE(cmd_off_past_end, qslot(h, 2)->cmd_off = qbox(h, 3))
QDAMAGE(cmd_off_zero, qslot(h, 2)->cmd_off = 0)
QDAMAGE(cmd_off_batch_like, qslot(h, 1)->cmd_off = h->strings_off + 40)
/* Ids */
QDAMAGE(id_is_next, qslot(h, 1)->id = QV_NEXT)
QDAMAGE(id_past_next, qslot(h, 2)->id = QV_NEXT + 100)
QDAMAGE(id_max, qslot(h, 0)->id = UINT32_MAX)
QDAMAGE(next_id_zero, atomic_store(&h->next_id, 0))
QDAMAGE(next_id_lowered, atomic_store(&h->next_id, 2))
/* The string area, with the header's own checks kept satisfied */
QDAMAGE(strings_size_short, h->strings_size -= 4096; h->table_size -= 4096; size -= 4096)
QDAMAGE(strings_size_long, h->strings_size += 4096; h->table_size += 4096; size += 4096)
QDAMAGE(strings_size_one_less, h->strings_size--; h->table_size--; size--)
QDAMAGE(logdir_off_moved, h->logdir_off++)
QDAMAGE(logdir_off_in_box, h->logdir_off = qbox(h, 0))
QDAMAGE(logdir_len_next_page, h->logdir_len = 4096)
/* No slot at all, the header otherwise consistent */
QDAMAGE(size_zero, h->slot_count = 0; h->strings_off = OS_HEADER_SIZE;
	h->logdir_off = OS_HEADER_SIZE; h->strings_size = size - OS_HEADER_SIZE)
/* The header's checks come first */
QDAMAGE(slot_count_plus_one, h->slot_count++)
QDAMAGE(cut_last_byte, size--)
/* Read as a batch's table, its unused slot (id 0) is out of sequence. */
QDAMAGE(flag_cleared, h->flags &= ~OS_RUN_QUEUE)

static const struct {
	const char *name;
	qdamage_fn *fn;
	const char *why; /* NULL: still valid */
} qdamages[] = {
#define Q(n, w) { #n, qdamage_##n, w }
	Q(none, NULL),
	Q(ids_any_order, NULL),
	Q(id_last_given, NULL),
	Q(cmd_len_max, NULL),
	Q(cmd_len_max_last, NULL),
	Q(cmd_len_too_long, "command out of bounds"),
	Q(cmd_len_huge, "command out of bounds"),
	Q(cmd_len_unused_slot, "command out of bounds"),
	Q(cmd_off_next_box, "command out of bounds"),
	Q(cmd_off_swapped, "command out of bounds"),
	Q(cmd_off_plus_one, "command out of bounds"),
	Q(cmd_off_unused_slot, "command out of bounds"),
	Q(cmd_off_past_end, "command out of bounds"),
	Q(cmd_off_zero, "command out of bounds"),
	Q(cmd_off_batch_like, "command out of bounds"),
	Q(id_is_next, "slot id not given out yet"),
	Q(id_past_next, "slot id not given out yet"),
	Q(id_max, "slot id not given out yet"),
	Q(next_id_zero, "slot id not given out yet"),
	Q(next_id_lowered, "slot id not given out yet"),
	Q(strings_size_short, "queue string area out of bounds"),
	Q(strings_size_long, "queue string area out of bounds"),
	Q(strings_size_one_less, "queue string area out of bounds"),
	Q(logdir_off_moved, "queue string area out of bounds"),
	Q(logdir_off_in_box, "queue string area out of bounds"),
	Q(logdir_len_next_page, "queue string area out of bounds"),
	Q(size_zero, "queue size out of range"),
	Q(slot_count_plus_one, "string area out of bounds"),
	Q(cut_last_byte, "table size does not match the object size"),
	Q(flag_cleared, "slot id out of sequence"),
#undef Q
};
#define NQDAMAGES (sizeof(qdamages) / sizeof(qdamages[0]))

/* A private copy of a real queue's bytes, QV_SLACK zeros after it. */
static void *queue_image(size_t *size)
{
	struct os_table t;
	void *copy;

	ck_assert_int_eq(create_queue("qvalid", QV_SLOTS, 2, QV_NEXT, NULL, &t), 0);
	*size = t.size;
	copy = calloc(1, t.size + QV_SLACK);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, t.hdr, t.size);
	os_table_close(&t);
	unlink_checked(geteuid(), "qvalid");
	return copy;
}

/* Loop test over qdamages[]: validated from a buffer of exactly the size
 * claimed; the reason must be the one validate_queue (or the header's
 * check before it) gives for that damage. */
START_TEST(test_validate_queue_damage)
{
	size_t size, cut;
	void *copy = queue_image(&size), *exact;
	const char *why, *want = qdamages[_i].why;

	ck_assert_ptr_null(os_table_validate(copy, size));
	cut = qdamages[_i].fn(copy, size);
	ck_assert_uint_le(cut, size + QV_SLACK);
	exact = malloc(cut);
	ck_assert_ptr_nonnull(exact);
	memcpy(exact, copy, cut);
	why = os_table_validate(exact, cut);
	if (want == NULL)
		ck_assert_msg(why == NULL, "%s: refused: %s", qdamages[_i].name, why);
	else
		ck_assert_msg(why != NULL && strcmp(why, want) == 0, "%s: got \"%s\", want \"%s\"",
			      qdamages[_i].name, why ? why : "(valid)", want);
	free(exact);
	free(copy);
}
END_TEST

/* A queue's image cut anywhere short of its end is refused: around each
 * boundary of its layout and on every page. */
START_TEST(test_validate_queue_cuts)
{
	size_t size;
	char *copy = queue_image(&size);
	const struct os_header *h = (const struct os_header *)copy;
	const size_t marks[] = {
		0, 8, OS_HEADER_SIZE, (size_t)h->strings_off, (size_t)qbox(h, 0),
		(size_t)qbox(h, 1), (size_t)qbox(h, 2), size,
	};
	size_t tried = 0;

	for (size_t cut = 0; cut < size; cut++) {
		int near = cut % 4096 == 0;
		char *exact;

		for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]) && !near; m++)
			near = cut + 2 >= marks[m] && cut <= marks[m] + 2;
		if (!near)
			continue;
		exact = malloc(cut ? cut : 1);
		ck_assert_ptr_nonnull(exact);
		memcpy(exact, copy, cut);
		if (os_table_validate(exact, cut) == NULL)
			ck_abort_msg("queue cut to %zu of %zu bytes accepted", cut, size);
		free(exact);
		tried++;
	}
	ck_assert_uint_gt(tried, size / 4096);
	free(copy);
}
END_TEST

/* A batch's table that claims to be a queue: its string area is no queue's. */
START_TEST(test_validate_batch_as_queue)
{
	size_t size;
	void *copy = real_table_image(&size);
	struct os_header *h = copy;

	ck_assert_ptr_null(os_table_validate(copy, size));
	h->flags |= OS_RUN_QUEUE;
	atomic_store(&h->next_id, 100);
	ck_assert_str_eq(os_table_validate(copy, size), "queue string area out of bounds");
	free(copy);
}
END_TEST

/* More slots than a queue may have, in a header consistent with its size:
 * a sparse object of that size (131 GB, one page of it ever touched). */
START_TEST(test_validate_queue_too_big)
{
	const uint32_t n = OS_QUEUE_SIZE_MAX + 1;
	uint64_t strings = os_queue_logdir_room(1) + (uint64_t)n * OS_QUEUE_BOX;
	size_t size = os_table_size_for(n, strings);
	struct os_header *h;
	int fd = memfd_create("check-queue-big", MFD_CLOEXEC);

	ck_assert_uint_gt(size, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	ck_assert_ptr_ne(h, MAP_FAILED);
	h->version = OS_TABLE_VERSION;
	h->header_size = OS_HEADER_SIZE;
	h->slot_size = OS_SLOT_SIZE;
	h->cap = 1;
	h->flags = OS_RUN_QUEUE;
	h->table_size = size;
	h->slot_count = n;
	h->strings_off = OS_HEADER_SIZE + (uint64_t)n * OS_SLOT_SIZE;
	h->strings_size = strings;
	h->logdir_off = h->strings_off;
	h->logdir_len = 1;
	strcpy(h->name, "big");
	atomic_store(&h->next_id, 1);
	atomic_store(&h->magic, OS_TABLE_MAGIC);
	ck_assert_str_eq(os_table_validate(h, size), "queue size out of range");
	munmap(h, size);
	close(fd);
}
END_TEST

/* --- objects a reader must refuse ------------------------------------------ */

static int open_object(uid_t uid, const char *suffix, int flags)
{
	char obj[128];
	int fd;

	ck_assert_int_eq(object_name(obj, sizeof(obj), uid, suffix), 0);
	fd = shm_open(obj, flags | O_RDWR | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "shm_open(%s): %s", obj, strerror(errno));
	return fd;
}

START_TEST(test_open_wrong_mode)
{
	static const mode_t bad[] = { 0644, 0640, 0660, 0700, 0400, 01600 };
	struct os_table t, r;
	const char *why;
	int fd;

	create_ok("mode", &t);
	os_table_close(&t);
	fd = open_object(geteuid(), "mode", 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(fchmod(fd, bad[i]), 0);
		why = NULL;
		ck_assert_msg(open_run("mode", &r, &why) == -EPERM, "mode %#o accepted",
			      (unsigned)bad[i]);
		ck_assert_ptr_nonnull(why);
		ck_assert_int_eq(r.fd, -1);
		ck_assert_ptr_null(r.hdr);
		/* A new run will not take over an object it does not trust. */
		ck_assert_int_eq(create_n("mode", 1, &t), -EPERM);
	}
	/* The mode was the only thing wrong. */
	ck_assert_int_eq(fchmod(fd, 0600), 0);
	ck_assert_int_eq(open_run("mode", &r, &why), 0);
	os_table_close(&r);
	close(fd);
	unlink_checked(geteuid(), "mode");
}
END_TEST

START_TEST(test_open_wrong_owner)
{
	struct os_table t, r;
	char run[OS_NAME_MAX + 1];
	const char *why;
	int fd;

	/* A valid table under another uid's name, but owned by us. */
	create_ok("owner", &t);
	fd = open_object(geteuid() + 1, "owner", O_CREAT | O_EXCL);
	ck_assert_int_eq(fchmod(fd, 0600), 0);
	ck_assert_int_eq(write(fd, t.hdr, t.size), (ssize_t)t.size);
	run_name(run, sizeof(run), "owner");
	why = NULL;
	ck_assert_int_eq(os_table_open(geteuid() + 1, run, &r, &why), -EPERM);
	ck_assert_ptr_nonnull(why);
	close(fd);
	unlink_checked(geteuid() + 1, "owner");

	/* Root can give our own object away; then we must not trust it. */
	if (geteuid() == 0) {
		fd = open_object(geteuid(), "owner", 0);
		ck_assert_int_eq(fchown(fd, 1, (gid_t)-1), 0);
		ck_assert_int_eq(fchmod(fd, 0600), 0);
		ck_assert_int_eq(open_run("owner", &r, &why), -EPERM);
		ck_assert_int_eq(fchown(fd, 0, (gid_t)-1), 0);
		ck_assert_int_eq(open_run("owner", &r, &why), 0);
		os_table_close(&r);
		close(fd);
	}
	os_table_close(&t);
	unlink_checked(geteuid(), "owner");
}
END_TEST

/* Objects with the right owner and mode but no table in them. */
START_TEST(test_open_not_a_table)
{
	struct os_table r;
	const char *why;
	int fd = open_object(geteuid(), "proto", O_CREAT | O_EXCL);

	ck_assert_int_eq(fchmod(fd, 0600), 0);
	why = NULL;
	ck_assert_int_eq(open_run("proto", &r, &why), -EPROTO);
	ck_assert_ptr_nonnull(why);
	/* As a table looks while its creator is still filling it in. */
	ck_assert_int_eq(ftruncate(fd, OS_HEADER_SIZE + OS_SLOT_SIZE), 0);
	why = NULL;
	ck_assert_int_eq(open_run("proto", &r, &why), -EPROTO);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_null(r.hdr);
	ck_assert_int_eq(r.fd, -1);
	close(fd);
	unlink_checked(geteuid(), "proto");
	ck_assert_int_eq(open_run("proto", &r, &why), -ENOENT);
	ck_assert_int_eq(os_table_open(geteuid(), "../etc", &r, &why), -EINVAL);
}
END_TEST

/* --- names ----------------------------------------------------------------- */

START_TEST(test_run_names)
{
	static const char *const good[] = {
		"a", "nightly.2024-01_x", "A-Z_09", "-dash-first", "trailing.",
	};
	static const char *const bad[] = {
		"", ".hidden", "a/b", "..", ".", "a b", "a\tb", "a\nb", "caf\xc3\xa9",
		"semi;colon", "/abs",
	};
	char name[OS_NAME_MAX + 2], obj[17]; /* exactly "/oneshot.1000.ab" */

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(os_run_name_check(good[i]) == 0, "\"%s\" refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(os_run_name_check(bad[i]) == -EINVAL, "\"%s\" accepted", bad[i]);
	memset(name, 'n', OS_NAME_MAX);
	name[OS_NAME_MAX] = '\0';
	ck_assert_int_eq(os_run_name_check(name), 0);
	name[OS_NAME_MAX] = 'n';
	name[OS_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(os_run_name_check(name), -EINVAL);

	ck_assert_int_eq(os_table_object_name(obj, sizeof(obj), 1000, "ab"), 0);
	ck_assert_str_eq(obj, "/oneshot.1000.ab");
	ck_assert_int_eq(os_table_object_name(obj, sizeof(obj), 1000, "abc"), -ENAMETOOLONG);
}
END_TEST

Suite *make_table_suite(void)
{
	Suite *s = suite_create("table");
	TCase *tc = tcase_create("objects");
	TCase *val = tcase_create("validate");
	TCase *names = tcase_create("names");

	tcase_add_unchecked_fixture(tc, names_setup, unlink_all);
	tcase_add_test(tc, test_create_then_open);
	tcase_add_test(tc, test_liveness);
	tcase_add_test(tc, test_busy_then_replaced);
	tcase_add_test(tc, test_create_arguments);
	tcase_add_test(tc, test_open_wrong_mode);
	tcase_add_test(tc, test_open_wrong_owner);
	tcase_add_test(tc, test_open_not_a_table);
	suite_add_tcase(s, tc);

	tcase_add_unchecked_fixture(val, names_setup, unlink_all);
	tcase_add_test(val, test_size_for);
	tcase_add_loop_test(val, test_validate_damage, 0, (int)NDAMAGES);
	tcase_add_test(val, test_validate_every_cut);
	tcase_add_test(val, test_queue_logdir_room);
	tcase_add_test(val, test_queue_create);
	tcase_add_test(val, test_queue_create_arguments);
	tcase_add_loop_test(val, test_validate_queue_damage, 0, (int)NQDAMAGES);
	tcase_add_test(val, test_validate_queue_cuts);
	tcase_add_test(val, test_validate_batch_as_queue);
	tcase_add_test(val, test_validate_queue_too_big);
	suite_add_tcase(s, val);

	tcase_add_test(names, test_run_names);
	suite_add_tcase(s, names);
	return s;
}
