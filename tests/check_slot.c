/*
 * check_slot.c: the slot seqlock.  A reader must never return a copy that
 * mixes two writes, must never hang on a writer that died inside its write
 * section, and the next writer must be able to take such a slot over.
 *
 * The slots live in anonymous shared mappings: the seqlock needs only the
 * slot, and a second process is what makes a torn read possible at all.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/check_suites.h"
#include "shm/slot.h"
#include "shm/table.h"

#define SNAPSHOTS     200000u
#define MIN_DISTINCT  1000u
#define SLOT_ID       9u

/* One slot plus the flag that stops the writer, shared across fork. */
struct shared_slot {
	struct os_slot slot;
	_Atomic uint32_t stop;
};

static struct shared_slot *map_slot(void)
{
	struct shared_slot *m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(m, MAP_FAILED);
	m->slot.id = SLOT_ID;
	return m;
}

static void unmap_slot(struct shared_slot *m)
{
	ck_assert_int_eq(munmap(m, sizeof(*m)), 0);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Every (seq) field as a function of K, so one copy can be checked alone. */
static void write_generation(struct os_slot *s, uint32_t k)
{
	char msg[32];

#define PUT(f, v) atomic_store_explicit(&s->f, (v), memory_order_relaxed)
	os_slot_write_begin(s);
	PUT(task_pid, (int32_t)k);
	PUT(reason, k % OS_REASON_COUNT);
	PUT(worker_pid, (int32_t)(k + 1));
	PUT(exit_code, (int32_t)k);
	PUT(term_signal, (int32_t)(k % 64));
	PUT(start_real_ns, (int64_t)k * 7);
	PUT(end_real_ns, (int64_t)k * 11);
	PUT(start_mono_ns, (int64_t)k * 13);
	PUT(end_mono_ns, (int64_t)k * 17);
	PUT(output_mono_ns, (int64_t)k * 19);
	PUT(output_bytes, (uint64_t)k * 3);
	PUT(attempt, k);
	snprintf(msg, sizeof(msg), "msg %" PRIu32, k);
	os_slot_set_message(s, msg);
	os_slot_write_end(s);
#undef PUT
}

/* NULL when V is one generation, else the first field that disagrees. */
static const char *inconsistency(const struct os_slot_view *v)
{
	uint32_t k = (uint32_t)v->task_pid;
	char msg[32];

	snprintf(msg, sizeof(msg), "msg %" PRIu32, k);
	if (v->id != SLOT_ID)
		return "id";
	if (v->reason != k % OS_REASON_COUNT)
		return "reason";
	if (v->worker_pid != (int32_t)(k + 1))
		return "worker_pid";
	if (v->exit_code != (int32_t)k)
		return "exit_code";
	if (v->term_signal != (int32_t)(k % 64))
		return "term_signal";
	if (v->start_real_ns != (int64_t)k * 7 || v->end_real_ns != (int64_t)k * 11)
		return "real clock fields";
	if (v->start_mono_ns != (int64_t)k * 13 || v->end_mono_ns != (int64_t)k * 17 ||
	    v->output_mono_ns != (int64_t)k * 19)
		return "monotonic clock fields";
	if (v->output_bytes != (uint64_t)k * 3)
		return "output_bytes";
	if (v->attempt != k)
		return "attempt";
	if (strcmp(v->message, msg) != 0)
		return "message";
	return NULL;
}

/* Writes back to back would leave readers no gap to get a copy in, so the
 * writer pauses a varying few hundred cycles after each section; readers then
 * start copies both in the gaps and just before the next section opens. */
static noreturn void writer_loop(struct shared_slot *m, pid_t parent)
{
	/* A failed assertion ends the test process without stopping us. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	for (uint32_t k = 1; !atomic_load_explicit(&m->stop, memory_order_relaxed); k++) {
		volatile uint32_t pause = (k * UINT32_C(2654435761)) >> 24;

		write_generation(&m->slot, k);
		while (pause > 0)
			pause--;
	}
	_exit(0);
}

START_TEST(test_no_torn_reads)
{
	struct shared_slot *m = map_slot();
	uint64_t good = 0, busy = 0, distinct = 0, attempts = 0;
	uint32_t last = 0;
	int64_t deadline;
	struct os_slot_view v;
	pid_t writer, parent = getpid();
	int status;

	writer = fork();
	ck_assert_int_ge(writer, 0);
	if (writer == 0)
		writer_loop(m, parent);
	/* Start reading once the writer has finished its first generation. */
	while (atomic_load(&m->slot.seq) < 2)
		sched_yield();

	/* At least SNAPSHOTS copies, and on until the writer has been seen to
	 * move on often enough, however busy the machine is (within reason). */
	deadline = now_ns() + INT64_C(20000000000);
	while ((good < SNAPSHOTS || distinct < MIN_DISTINCT) &&
	       (++attempts % 4096 != 0 || now_ns() < deadline)) {
		const char *bad;

		if (os_slot_snapshot(&m->slot, &v) != 0) {
			busy++;
			continue;
		}
		good++;
		bad = inconsistency(&v);
		if (bad)
			ck_abort_msg("torn snapshot after %" PRIu64 " good ones: task_pid %d "
				     "but %s differs (message \"%s\")", good, v.task_pid, bad,
				     v.message);
		/* Coherence: a later copy can never show an older generation. */
		if ((uint32_t)v.task_pid < last)
			ck_abort_msg("generation went back from %u to %d", last, v.task_pid);
		distinct += (uint32_t)v.task_pid != last;
		last = (uint32_t)v.task_pid;
		/* On one CPU the writer only advances when the reader lets it. */
		if (good % 256 == 0)
			sched_yield();
	}
	atomic_store(&m->stop, 1);
	ck_assert_int_eq(waitpid(writer, &status, 0), writer);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_msg(good >= SNAPSHOTS, "only %" PRIu64 " good snapshots, %" PRIu64
		      " gave up", good, busy);
	ck_assert_msg(distinct >= MIN_DISTINCT, "saw only %" PRIu64 " generations",
		      distinct);
	unmap_slot(m);
}
END_TEST

START_TEST(test_quiet_slot_snapshot)
{
	struct shared_slot *m = map_slot();
	struct os_slot_view v;

	memset(&v, 0x5a, sizeof(v));
	ck_assert_int_eq(os_slot_snapshot(&m->slot, &v), 0);
	ck_assert_uint_eq(v.id, SLOT_ID);
	ck_assert_int_eq(v.task_pid, 0);
	ck_assert_str_eq(v.message, "");
	write_generation(&m->slot, 41);
	write_generation(&m->slot, 42);
	/* Each section moves the sequence by two and leaves it even. */
	ck_assert_uint_eq(atomic_load(&m->slot.seq), 4);
	ck_assert_int_eq(os_slot_snapshot(&m->slot, &v), 0);
	ck_assert_ptr_null(inconsistency(&v));
	ck_assert_int_eq(v.task_pid, 42);
	ck_assert_str_eq(v.message, "msg 42");
	unmap_slot(m);
}
END_TEST

/* A writer killed inside its section leaves seq odd forever. */
static void kill_writer_mid_section(struct shared_slot *m)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		os_slot_write_begin(&m->slot);
		atomic_store(&m->slot.task_pid, 666);
		os_slot_set_message(&m->slot, "half written");
		raise(SIGKILL);
		_exit(1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

START_TEST(test_dead_writer)
{
	struct shared_slot *m = map_slot();
	struct os_slot_view v;
	uint32_t dead_seq;
	int64_t t0, took;
	int rc;

	write_generation(&m->slot, 5);
	kill_writer_mid_section(m);
	dead_seq = atomic_load(&m->slot.seq);
	ck_assert_uint_eq(dead_seq & 1u, 1);

	t0 = now_ns();
	rc = os_slot_snapshot(&m->slot, &v);
	took = now_ns() - t0;
	ck_assert_int_eq(rc, -EAGAIN);
	ck_assert_msg(took < INT64_C(20000000000), "snapshot took %" PRId64 " ns to give up",
		      took);
	/* Giving up changed nothing: the reader never writes. */
	ck_assert_uint_eq(atomic_load(&m->slot.seq), dead_seq);
	ck_assert_int_eq(os_slot_snapshot(&m->slot, &v), -EAGAIN);

	/* The next writer takes the section over and readers see its data. */
	write_generation(&m->slot, 77);
	ck_assert_uint_eq(atomic_load(&m->slot.seq) & 1u, 0);
	ck_assert_uint_gt(atomic_load(&m->slot.seq), dead_seq);
	ck_assert_int_eq(os_slot_snapshot(&m->slot, &v), 0);
	ck_assert_ptr_null(inconsistency(&v));
	ck_assert_int_eq(v.task_pid, 77);
	ck_assert_str_eq(v.message, "msg 77");
	unmap_slot(m);
}
END_TEST

/* A writer stopped (not dead) mid-section: readers give up, then succeed as
 * soon as it closes the section. */
START_TEST(test_open_section_then_close)
{
	struct shared_slot *m = map_slot();
	struct os_slot_view v;

	os_slot_write_begin(&m->slot);
	atomic_store(&m->slot.exit_code, 3);
	ck_assert_int_eq(os_slot_snapshot(&m->slot, &v), -EAGAIN);
	os_slot_write_end(&m->slot);
	ck_assert_int_eq(os_slot_snapshot(&m->slot, &v), 0);
	ck_assert_int_eq(v.exit_code, 3);
	unmap_slot(m);
}
END_TEST

/* The view is NUL-terminated by the reader whatever the slot holds, so the
 * slot's own bytes are checked too: other builds read them as they are. */
static void message_round_trip(struct os_slot *s, const char *text, size_t want_len)
{
	uint64_t raw[OS_MESSAGE_WORDS];
	struct os_slot_view v;

	os_slot_write_begin(s);
	os_slot_set_message(s, text);
	os_slot_write_end(s);
	ck_assert_int_eq(os_slot_snapshot(s, &v), 0);
	ck_assert_uint_eq(strlen(v.message), want_len);
	ck_assert_int_eq(memcmp(v.message, text, want_len), 0);
	for (unsigned i = 0; i < OS_MESSAGE_WORDS; i++)
		raw[i] = atomic_load(&s->message[i]);
	ck_assert_uint_eq(strnlen((const char *)raw, sizeof(raw)), want_len);
}

START_TEST(test_message_truncation)
{
	struct shared_slot *m = map_slot();
	char text[300];

	ck_assert_uint_eq(OS_MESSAGE_MAX, 96);
	memset(text, 0, sizeof(text));
	for (size_t i = 0; i < sizeof(text) - 1; i++)
		text[i] = (char)('a' + i % 26);
	message_round_trip(&m->slot, text, 95);
	text[96] = '\0';
	message_round_trip(&m->slot, text, 95);
	text[95] = '\0';
	message_round_trip(&m->slot, text, 95);
	text[94] = '\0';
	message_round_trip(&m->slot, text, 94);
	/* A shorter message after a long one carries nothing of the old one. */
	message_round_trip(&m->slot, "hi", 2);
	message_round_trip(&m->slot, "", 0);
	for (unsigned i = 0; i < OS_MESSAGE_WORDS; i++)
		ck_assert_uint_eq(atomic_load(&m->slot.message[i]), 0);
	unmap_slot(m);
}
END_TEST

Suite *make_slot_suite(void)
{
	Suite *s = suite_create("slot");
	TCase *tc = tcase_create("seqlock");
	TCase *torn = tcase_create("torn-reads");

	tcase_add_test(tc, test_quiet_slot_snapshot);
	tcase_add_test(tc, test_dead_writer);
	tcase_add_test(tc, test_open_section_then_close);
	tcase_add_test(tc, test_message_truncation);
	suite_add_tcase(s, tc);

	/* Valgrind slows both processes tenfold or more. */
	tcase_set_timeout(torn, 60);
	tcase_add_test(torn, test_no_torn_reads);
	suite_add_tcase(s, torn);
	return s;
}
