/*
 * check_state.c: the task state machine on a real run table.  The allowed
 * transitions are written out here again from DESIGN.md rather than taken
 * from state.c, so a wrong entry in the code's table fails a test instead of
 * agreeing with itself.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/check_suites.h"
#include "supervisor/metrics.h"
#include "shm/slot.h"
#include "shm/state.h"
#include "shm/table.h"
#include "shm/util.h"

#define RACE_ROUNDS 500u /* forked pairs of racers; see RACE_SLOTS */

/* DESIGN.md, "The state machine": every (event, from) pair not listed here
 * must be refused. */
static const struct {
	enum os_event event;
	uint32_t from, to;
} allowed[] = {
	{ OS_EV_START, OS_CREATED, OS_RUNNING },
	{ OS_EV_DETECT_SILENCE, OS_RUNNING, OS_IDLE },
	{ OS_EV_DETECT_ACTIVITY, OS_IDLE, OS_RUNNING },
	{ OS_EV_INTERRUPT, OS_RUNNING, OS_INTERRUPTED },
	{ OS_EV_INTERRUPT, OS_IDLE, OS_INTERRUPTED },
	{ OS_EV_FINISH, OS_RUNNING, OS_COMPLETED },
	{ OS_EV_FINISH, OS_IDLE, OS_COMPLETED },
	{ OS_EV_FAIL, OS_CREATED, OS_FAILED },
	{ OS_EV_FAIL, OS_RUNNING, OS_FAILED },
	{ OS_EV_FAIL, OS_IDLE, OS_FAILED },
	{ OS_EV_RETRY, OS_INTERRUPTED, OS_CREATED },
	{ OS_EV_RETRY, OS_FAILED, OS_CREATED },
};

/* The events that bring a fresh slot (CREATED) to each state. */
static const struct {
	unsigned n;
	enum os_event ev[2];
} path_to[OS_STATE_COUNT] = {
	[OS_CREATED] = { 0, { 0 } },
	[OS_RUNNING] = { 1, { OS_EV_START } },
	[OS_IDLE] = { 2, { OS_EV_START, OS_EV_DETECT_SILENCE } },
	[OS_INTERRUPTED] = { 2, { OS_EV_START, OS_EV_INTERRUPT } },
	[OS_COMPLETED] = { 2, { OS_EV_START, OS_EV_FINISH } },
	[OS_FAILED] = { 1, { OS_EV_FAIL } },
};

/* Set in the runner process (unchecked fixture) so that it can remove the
 * objects even when a forked test dies before its own cleanup. */
static char run_pairs[OS_NAME_MAX + 1], run_walk[OS_NAME_MAX + 1],
	run_race[OS_NAME_MAX + 1], run_req[OS_NAME_MAX + 1], run_wait[OS_NAME_MAX + 1],
	run_queue[OS_NAME_MAX + 1];

static int expected_next(enum os_event event, uint32_t from)
{
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (allowed[i].event == event && allowed[i].from == from)
			return (int)allowed[i].to;
	return -1;
}

static void unlink_run(const char *run)
{
	char obj[96];

	if (run[0] && os_table_object_name(obj, sizeof(obj), geteuid(), run) == 0)
		shm_unlink(obj);
}

static void names_setup(void)
{
	long pid = (long)getpid();

	snprintf(run_pairs, sizeof(run_pairs), "check-state-%ld-pairs", pid);
	snprintf(run_walk, sizeof(run_walk), "check-state-%ld-walk", pid);
	snprintf(run_race, sizeof(run_race), "check-state-%ld-race", pid);
	snprintf(run_req, sizeof(run_req), "check-state-%ld-req", pid);
	snprintf(run_wait, sizeof(run_wait), "check-state-%ld-wait", pid);
	snprintf(run_queue, sizeof(run_queue), "check-state-%ld-queue", pid);
}

static void names_teardown(void)
{
	unlink_run(run_pairs);
	unlink_run(run_walk);
	unlink_run(run_race);
	unlink_run(run_req);
	unlink_run(run_wait);
	unlink_run(run_queue);
}

/* A table of N tasks, all "true", that the test owns. */
static void make_table(const char *run, uint32_t n, struct os_table *t)
{
	const char **cmds = calloc(n, sizeof(*cmds));
	uint32_t *lens = calloc(n, sizeof(*lens));
	struct os_table_spec spec = {
		.name = run, .slot_count = n, .cap = 2, .logdir = "/nonexistent/logs",
		.idle_after_ms = 1000, .grace_ms = 1000,
	};
	int err;

	ck_assert_ptr_nonnull(cmds);
	ck_assert_ptr_nonnull(lens);
	for (uint32_t i = 0; i < n; i++) {
		cmds[i] = "true";
		lens[i] = 4;
	}
	spec.cmds = cmds;
	spec.cmd_lens = lens;
	err = os_table_create(&spec, t);
	free(cmds);
	free(lens);
	ck_assert_msg(err == 0, "os_table_create(%s): %s", run, strerror(-err));
	ck_assert_int_eq(t->events_fd, -1);
}

static void drop_table(const char *run, struct os_table *t)
{
	os_table_close(t);
	unlink_run(run);
}

/* counts[] must equal a census of the slots and sum to slot_count. */
static void assert_counts(const struct os_table *t)
{
	uint32_t census[8] = { 0 }, sum = 0;

	for (uint32_t i = 0; i < t->hdr->slot_count; i++) {
		uint32_t st = atomic_load(&os_table_slot(t, i)->state);

		if (st >= OS_STATE_COUNT)
			ck_abort_msg("slot %u has state %u", i + 1, st);
		census[st]++;
	}
	for (unsigned st = 0; st < 8; st++) {
		uint32_t c = atomic_load(&t->hdr->counts[st]);

		ck_assert_msg(c == census[st], "counts[%s] = %u, slots in that state: %u",
			      os_state_name(st), c, census[st]);
		sum += c;
	}
	ck_assert_uint_eq(sum, t->hdr->slot_count);
}

static void drive_to(struct os_table *t, struct os_slot *s, uint32_t state)
{
	for (unsigned i = 0; i < path_to[state].n; i++)
		ck_assert_int_eq(os_slot_transition(t, s, path_to[state].ev[i],
						    OS_REASON_NONE, NULL), 0);
	ck_assert_uint_eq(atomic_load(&s->state), state);
}

/* Read everything waiting in a non-blocking pipe. */
static size_t drain(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n = 0;

	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	ck_assert_msg(n < 0 ? errno == EAGAIN : 1, "read of events pipe: %s",
		      strerror(errno));
	buf[len] = '\0';
	return len;
}

static size_t count_lines(const char *buf, size_t len)
{
	size_t lines = 0;

	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	return lines;
}

static void assert_has(const char *line, const char *what)
{
	ck_assert_msg(strstr(line, what) != NULL, "event line lacks %s: %s", what, line);
}

/* The JSON line of one accepted transition names its task, event and states. */
static void assert_event_line(const char *line, size_t len, uint32_t id,
			      enum os_event event, uint32_t from, uint32_t to)
{
	char want[128];

	ck_assert_uint_gt(len, 2);
	ck_assert_int_eq(line[0], '{');
	ck_assert_int_eq(line[len - 2], '}');
	ck_assert_int_eq(line[len - 1], '\n');
	snprintf(want, sizeof(want), "\"run\":\"%s\"", run_pairs);
	assert_has(line, want);
	snprintf(want, sizeof(want), "\"task\":%u,", id);
	assert_has(line, want);
	snprintf(want, sizeof(want), "\"event\":\"%s\"", os_event_name(event));
	assert_has(line, want);
	snprintf(want, sizeof(want), "\"from\":\"%s\"", os_state_name(from));
	assert_has(line, want);
	snprintf(want, sizeof(want), "\"to\":\"%s\"", os_state_name(to));
	assert_has(line, want);
	assert_has(line, "\"reason\":\"timeout\"}");
}

/* Loop test: _i enumerates every (event, from) pair, one forked test each. */
START_TEST(test_every_pair)
{
	enum os_event event = (enum os_event)(_i / OS_STATE_COUNT);
	uint32_t from = (uint32_t)(_i % OS_STATE_COUNT), seen = 99;
	int want = expected_next(event, from), pipefd[2], rc;
	struct os_table t;
	struct os_slot *s;
	uint32_t before[8];
	char buf[1024];
	size_t len;

	make_table(run_pairs, 3, &t);
	s = os_table_slot(&t, 1);
	drive_to(&t, s, from);
	assert_counts(&t);
	memcpy(before, (const void *)t.hdr->counts, sizeof(before));
	ck_assert_int_eq(pipe2(pipefd, O_NONBLOCK | O_CLOEXEC), 0);
	t.events_fd = pipefd[1];

	rc = os_slot_transition(&t, s, event, OS_REASON_TIMEOUT, &seen);
	len = drain(pipefd[0], buf, sizeof(buf));
	ck_assert_uint_eq(seen, from);
	if (want < 0) {
		ck_assert_msg(rc == -EPERM, "%s from %s: got %d, want -EPERM",
			      os_event_name(event), os_state_name(from), rc);
		ck_assert_uint_eq(atomic_load(&s->state), from);
		ck_assert_uint_eq(atomic_load(&s->reason), OS_REASON_NONE);
		ck_assert_mem_eq((const void *)t.hdr->counts, before, sizeof(before));
		ck_assert_msg(len == 0, "refused transition logged: %s", buf);
	} else {
		ck_assert_msg(rc == 0, "%s from %s: got %d, want 0",
			      os_event_name(event), os_state_name(from), rc);
		ck_assert_uint_eq(atomic_load(&s->state), (uint32_t)want);
		ck_assert_uint_eq(atomic_load(&s->reason), OS_REASON_TIMEOUT);
		ck_assert_uint_eq(atomic_load(&t.hdr->counts[from]), before[from] - 1);
		ck_assert_uint_eq(atomic_load(&t.hdr->counts[want]), before[want] + 1);
		ck_assert_uint_eq(count_lines(buf, len), 1);
		assert_event_line(buf, len, 2, event, from, (uint32_t)want);
	}
	ck_assert_int_eq(os_state_next(from, event), want);
	assert_counts(&t);
	/* The neighbours were never touched. */
	ck_assert_uint_eq(atomic_load(&os_table_slot(&t, 0)->state), OS_CREATED);
	ck_assert_uint_eq(atomic_load(&os_table_slot(&t, 2)->state), OS_CREATED);
	ck_assert_uint_eq(t.events_fd_errors, 0);
	close(pipefd[0]);
	close(pipefd[1]);
	t.events_fd = -1;
	drop_table(run_pairs, &t);
}
END_TEST

/* os_slot_retry: only from FAILED or INTERRUPTED, back to CREATED with the
 * attempt counted and every per-attempt field cleared; the task number,
 * command and counters stay right. */
START_TEST(test_retry)
{
	static const uint32_t from[] = { OS_CREATED, OS_RUNNING, OS_IDLE, OS_COMPLETED };
	struct os_table t;
	struct os_slot_view v;
	struct os_slot *s;

	make_table(run_pairs, 6, &t);
	for (unsigned i = 0; i < 4; i++) {
		s = os_table_slot(&t, i);
		drive_to(&t, s, from[i]);
		ck_assert_int_eq(os_slot_retry(&t, s), -EPERM);
		ck_assert_uint_eq(atomic_load(&s->state), from[i]);
		ck_assert_uint_eq(atomic_load(&s->attempt), 1);
	}
	for (unsigned i = 4; i < 6; i++) {
		s = os_table_slot(&t, i);
		drive_to(&t, s, i == 4 ? OS_FAILED : OS_INTERRUPTED);
		os_slot_write_begin(s);
		atomic_store(&s->task_pid, 1234);
		atomic_store(&s->exit_code, 3);
		atomic_store(&s->output_bytes, 99);
		atomic_store(&s->start_mono_ns, 5);
		atomic_store(&s->reason, OS_REASON_TIMEOUT);
		os_slot_set_message(s, "it broke");
		os_slot_write_end(s);
		ck_assert_int_eq(os_slot_request_interrupt(s, OS_REASON_TIMEOUT), 0);
		ck_assert_int_eq(os_slot_retry(&t, s), 0);
		/* The next attempt must not end as the last one was asked to. */
		ck_assert_uint_eq(os_slot_interrupt_requested(s), OS_REASON_NONE);
		ck_assert_int_eq(os_slot_snapshot(s, &v), 0);
		ck_assert_uint_eq(v.state, OS_CREATED);
		ck_assert_uint_eq(v.attempt, 2);
		ck_assert_uint_eq(v.id, i + 1);
		ck_assert_int_eq(v.task_pid, 0);
		ck_assert_int_eq(v.exit_code, -1);
		ck_assert_uint_eq(v.output_bytes, 0);
		ck_assert_int_eq(v.start_mono_ns, 0);
		ck_assert_uint_eq(v.reason, OS_REASON_NONE);
		ck_assert_str_eq(v.message, "");
		/* A second attempt runs through the machine like the first. */
		ck_assert_int_eq(os_slot_transition(&t, s, OS_EV_START, OS_REASON_NONE, NULL), 0);
		ck_assert_int_eq(os_slot_transition(&t, s, OS_EV_FAIL, OS_REASON_NONE, NULL), 0);
		ck_assert_int_eq(os_slot_retry(&t, s), 0);
		ck_assert_uint_eq(atomic_load(&s->attempt), 3);
	}
	assert_counts(&t);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[OS_CREATED]), 3);
	drop_table(run_pairs, &t);
}
END_TEST

START_TEST(test_terminal_is_final)
{
	static const uint32_t terminal[] = { OS_INTERRUPTED, OS_COMPLETED, OS_FAILED };
	struct os_table t;

	make_table(run_pairs, 3, &t);
	for (unsigned i = 0; i < 3; i++) {
		struct os_slot *s = os_table_slot(&t, i);

		drive_to(&t, s, terminal[i]);
		ck_assert(os_state_is_terminal(terminal[i]));
		/* Twice round every event: a refusal must not wear anything down.
		 * Only the supervisor's retry leaves FAILED or INTERRUPTED. */
		for (unsigned round = 0; round < 2 * OS_EVENT_COUNT; round++) {
			uint32_t seen = 99;

			if (round % OS_EVENT_COUNT == OS_EV_RETRY)
				continue;
			ck_assert_int_eq(os_slot_transition(&t, s, round % OS_EVENT_COUNT,
							    OS_REASON_SHUTDOWN, &seen),
					 -EPERM);
			ck_assert_uint_eq(seen, terminal[i]);
			ck_assert_uint_eq(atomic_load(&s->state), terminal[i]);
		}
		ck_assert_uint_eq(atomic_load(&s->reason), OS_REASON_NONE);
	}
	for (uint32_t st = 0; st < OS_STATE_COUNT; st++)
		ck_assert_int_eq(os_state_is_terminal(st),
				 st == OS_INTERRUPTED || st == OS_COMPLETED || st == OS_FAILED);
	assert_counts(&t);
	drop_table(run_pairs, &t);
}
END_TEST

/* Cheap deterministic generator: the walk is the same on every run. */
static uint32_t next_rand(uint64_t *x)
{
	*x = *x * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return (uint32_t)(*x >> 33);
}

/* Many random events on many slots against the model, with the event log on
 * an O_APPEND temp file: one line per accepted transition, no more. */
START_TEST(test_random_walk)
{
	/* About 16 events a slot: most slots see a few moves before a terminal
	 * state, and every terminal slot then sees refusals. */
	enum { SLOTS = 512, STEPS = 8192 };
	char path[] = "/tmp/check-state-events-XXXXXX", *text;
	uint32_t model[SLOTS] = { 0 }, why[SLOTS] = { 0 };
	unsigned accepted = 0, refused = 0;
	uint64_t rng = 42;
	struct os_table t;
	FILE *f;
	long size;
	int fd;

	make_table(run_walk, SLOTS, &t);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_ge(fcntl(fd, F_SETFL, O_APPEND), 0);
	t.events_fd = fd;
	for (unsigned step = 0; step < STEPS; step++) {
		uint32_t i = next_rand(&rng) % SLOTS, seen;
		struct os_slot *s = os_table_slot(&t, i);
		enum os_event ev = next_rand(&rng) % OS_EVENT_COUNT;
		/* Half the events carry no reason: those must keep the last one. */
		uint32_t reason = next_rand(&rng) % (2 * OS_REASON_COUNT);
		int want = expected_next(ev, model[i]);
		int want_rc = want < 0 ? -EPERM : 0;
		int rc;

		reason = reason < OS_REASON_COUNT ? reason : OS_REASON_NONE;
		rc = os_slot_transition(&t, s, ev, reason, &seen);
		if (rc != want_rc || seen != model[i])
			ck_abort_msg("step %u: %s on %s: rc %d (want %d), saw %s", step,
				     os_event_name(ev), os_state_name(model[i]), rc, want_rc,
				     os_state_name(seen));
		if (want >= 0) {
			model[i] = (uint32_t)want;
			why[i] = reason != OS_REASON_NONE ? reason : why[i];
			accepted++;
		} else {
			refused++;
		}
		if (atomic_load(&s->state) != model[i] || atomic_load(&s->reason) != why[i])
			ck_abort_msg("step %u: slot %u is %s/%u, want %s/%u", step, i,
				     os_state_name(atomic_load(&s->state)),
				     atomic_load(&s->reason), os_state_name(model[i]), why[i]);
		if (step % 64 == 0)
			assert_counts(&t);
	}
	assert_counts(&t);
	ck_assert_uint_gt(accepted, SLOTS);
	ck_assert_uint_gt(refused, 0);

	f = fdopen(fd, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	ck_assert_int_gt(size, 0);
	text = malloc((size_t)size);
	ck_assert_ptr_nonnull(text);
	rewind(f);
	ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
	ck_assert_uint_eq(count_lines(text, (size_t)size), accepted);
	free(text);
	fclose(f);
	t.events_fd = -1;
	drop_table(run_walk, &t);
}
END_TEST

START_TEST(test_state_names)
{
	static const char *const names[OS_STATE_COUNT] = {
		"CREATED", "RUNNING", "IDLE", "INTERRUPTED", "COMPLETED", "FAILED",
	};

	for (uint32_t st = 0; st < OS_STATE_COUNT; st++) {
		char lower[32], mixed[32];
		size_t n = strlen(names[st]);

		ck_assert_str_eq(os_state_name(st), names[st]);
		ck_assert_int_eq(os_state_parse(os_state_name(st)), (int)st);
		for (size_t i = 0; i <= n; i++) {
			lower[i] = (char)(names[st][i] | (names[st][i] ? 0x20 : 0));
			mixed[i] = i % 2 ? lower[i] : names[st][i];
		}
		ck_assert_int_eq(os_state_parse(lower), (int)st);
		ck_assert_int_eq(os_state_parse(mixed), (int)st);
	}
	ck_assert_str_eq(os_state_name(OS_STATE_COUNT), "?");
	ck_assert_str_eq(os_state_name(UINT32_MAX), "?");
	ck_assert_int_eq(os_state_parse(""), -1);
	ck_assert_int_eq(os_state_parse("RUN"), -1);
	ck_assert_int_eq(os_state_parse("RUNNING "), -1);
	ck_assert_int_eq(os_state_parse("runningx"), -1);
	ck_assert_int_eq(os_state_parse("?"), -1);
}
END_TEST

START_TEST(test_event_and_reason_names)
{
	static const char *const events[OS_EVENT_COUNT] = {
		"start", "detect_silence", "detect_activity", "interrupt", "finish", "fail",
		"retry",
	};
	static const char *const reasons[OS_REASON_COUNT] = {
		NULL, "timeout", "idle-timeout", "shutdown", "signal",
		"supervisor-lost", "worker-lost", "setup", "operator", "waiting-timeout",
	};

	for (unsigned ev = 0; ev < OS_EVENT_COUNT; ev++)
		ck_assert_str_eq(os_event_name(ev), events[ev]);
	ck_assert_ptr_null(os_reason_name(OS_REASON_NONE));
	for (uint32_t r = 1; r < OS_REASON_COUNT; r++)
		ck_assert_str_eq(os_reason_name(r), reasons[r]);
	/* A corrupt table can hold any value: it must still print as something. */
	ck_assert_ptr_nonnull(os_reason_name(OS_REASON_COUNT));
	ck_assert_ptr_nonnull(os_reason_name(UINT32_MAX));
	for (uint32_t st = 0; st < OS_STATE_COUNT; st++)
		ck_assert_int_eq(os_state_next(st, OS_EVENT_COUNT), -1);
	ck_assert_int_eq(os_state_next(OS_STATE_COUNT, OS_EV_FAIL), -1);
}
END_TEST

START_TEST(test_event_format)
{
	/* 2023-11-14T22:13:20Z plus 123456789 ns: microseconds, truncated. */
	const int64_t ns = INT64_C(1700000000123456789);
	const char *want = "{\"time\":\"2023-11-14T22:13:20.123456Z\",\"run\":\"r-1\","
			   "\"task\":7,\"event\":\"interrupt\",\"from\":\"IDLE\","
			   "\"to\":\"INTERRUPTED\",\"reason\":\"idle-timeout\"}\n";
	char buf[320];
	size_t n = os_event_format(buf, sizeof(buf), ns, "r-1", 7, OS_EV_INTERRUPT,
				   OS_IDLE, OS_INTERRUPTED, OS_REASON_IDLE_TIMEOUT);

	ck_assert_uint_eq(n, strlen(want));
	ck_assert_str_eq(buf, want);
	n = os_event_format(buf, sizeof(buf), ns, "r-1", 7, OS_EV_START, OS_CREATED,
			    OS_RUNNING, OS_REASON_NONE);
	ck_assert_uint_gt(n, 0);
	ck_assert_ptr_nonnull(strstr(buf, "\"reason\":null}\n"));
	/* Exactly one byte short of the line plus its NUL: refused, not cut. */
	ck_assert_uint_eq(os_event_format(buf, n, ns, "r-1", 7, OS_EV_START, OS_CREATED,
					  OS_RUNNING, OS_REASON_NONE), 0);
	ck_assert_uint_eq(os_event_format(buf, n + 1, ns, "r-1", 7, OS_EV_START,
					  OS_CREATED, OS_RUNNING, OS_REASON_NONE), n);
}
END_TEST

/*
 * The race: per round, two forked racers apply FINISH and INTERRUPT to the
 * same RACE_SLOTS running slots, meeting at a two-party spin barrier before
 * each slot so that both hit its state word within nanoseconds.  Each racer
 * exits with a bit mask of the slots it won; an outcome that is neither a
 * clean win nor a refusal by the rival's state is noted in the shared
 * `confused` word, and the racer carries on so that its rival never waits
 * at a barrier for it in vain.
 */
#define RACE_SLOTS 8u

static_assert(RACE_SLOTS <= 8, "wins are reported in an 8-bit exit status");

struct barrier {
	_Atomic uint32_t arrived;
	_Atomic uint32_t confused; /* 1 + slot index of the first odd outcome */
};

static void barrier_wait(struct barrier *b, uint32_t round)
{
	atomic_fetch_add(&b->arrived, 1);
	/* Spin first so that both leave together when both are on a CPU; yield
	 * later so a racer that is not yet running gets one. */
	for (unsigned spins = 0; atomic_load(&b->arrived) < 2 * (round + 1); spins++)
		if (spins > 1000)
			sched_yield();
}

static noreturn void racer(struct os_table *t, uint32_t first, struct barrier *b,
			   enum os_event ev, uint32_t rival_state)
{
	unsigned won = 0;

	/* A failed assertion in the test must not leave racers spinning. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (uint32_t j = 0; j < RACE_SLOTS; j++) {
		uint32_t seen = 0;
		int rc;

		barrier_wait(b, j);
		/* No write section: the state word is the one field two writers
		 * may race for, and the CAS alone must settle it. */
		rc = os_slot_transition(t, os_table_slot(t, first + j), ev, OS_REASON_NONE,
					&seen);
		if (rc == 0 && seen == OS_RUNNING)
			won |= 1u << j;
		else if (rc != -EPERM || seen != rival_state)
			atomic_store(&b->confused, first + j + 1);
	}
	_exit((int)won);
}

static pid_t spawn_racer(struct os_table *t, uint32_t first, struct barrier *b,
			 enum os_event ev, uint32_t rival_state)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		racer(t, first, b, ev, rival_state);
	return pid;
}

static unsigned racer_wins(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "racer %ld died: status %#x", (long)pid, status);
	return (unsigned)WEXITSTATUS(status);
}

static void count_event_lines(int fd, unsigned *finish, unsigned *interrupt)
{
	FILE *f = fdopen(fd, "r");
	char buf[256];

	ck_assert_ptr_nonnull(f);
	rewind(f);
	*finish = *interrupt = 0;
	while (fgets(buf, sizeof(buf), f)) {
		*finish += strstr(buf, "\"event\":\"finish\"") != NULL;
		*interrupt += strstr(buf, "\"event\":\"interrupt\"") != NULL;
	}
	fclose(f);
}

START_TEST(test_finish_interrupt_race)
{
	const uint32_t n = RACE_ROUNDS * RACE_SLOTS, all = (1u << RACE_SLOTS) - 1;
	struct barrier *b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char path[] = "/tmp/check-state-race-XXXXXX";
	unsigned finish_wins = 0, interrupt_wins = 0, finish_lines, intr_lines;
	struct os_table t;
	int fd;

	ck_assert_ptr_ne(b, MAP_FAILED);
	make_table(run_race, n, &t);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_int_eq(os_slot_transition(&t, os_table_slot(&t, i), OS_EV_START,
						    OS_REASON_NONE, NULL), 0);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_ge(fcntl(fd, F_SETFL, O_APPEND), 0);
	t.events_fd = fd;

	for (uint32_t round = 0; round < RACE_ROUNDS; round++) {
		uint32_t first = round * RACE_SLOTS;
		unsigned fin, intr;
		pid_t fin_pid, intr_pid;

		atomic_store(&b->arrived, 0);
		atomic_store(&b->confused, 0);
		fin_pid = spawn_racer(&t, first, b, OS_EV_FINISH, OS_INTERRUPTED);
		intr_pid = spawn_racer(&t, first, b, OS_EV_INTERRUPT, OS_COMPLETED);
		fin = racer_wins(fin_pid);
		intr = racer_wins(intr_pid);
		ck_assert_msg(atomic_load(&b->confused) == 0,
			      "round %u: a racer lost slot %u to something not its rival",
			      round, atomic_load(&b->confused));
		ck_assert_msg((fin & intr) == 0 && (fin | intr) == all,
			      "round %u: finish won %#x, interrupt won %#x", round, fin, intr);
		for (uint32_t j = 0; j < RACE_SLOTS; j++) {
			uint32_t st = atomic_load(&os_table_slot(&t, first + j)->state);

			if (st != (fin >> j & 1u ? OS_COMPLETED : OS_INTERRUPTED))
				ck_abort_msg("round %u slot %u: winner %s but state %s", round,
					     j, fin >> j & 1u ? "finish" : "interrupt",
					     os_state_name(st));
		}
		finish_wins += (unsigned)__builtin_popcount(fin);
		interrupt_wins += (unsigned)__builtin_popcount(intr);
	}
	assert_counts(&t);
	ck_assert_uint_eq(finish_wins + interrupt_wins, n);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[OS_RUNNING]), 0);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[OS_COMPLETED]), finish_wins);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[OS_INTERRUPTED]), interrupt_wins);

	/* Only the winners wrote a line, and each named its own event. */
	count_event_lines(fd, &finish_lines, &intr_lines);
	ck_assert_uint_eq(finish_lines, finish_wins);
	ck_assert_uint_eq(intr_lines, interrupt_wins);
	t.events_fd = -1;
	munmap(b, sizeof(*b));
	drop_table(run_race, &t);
}
END_TEST

/* --- a queue's slots reused (os_slot_reuse) --------------------------------- */

/* A queue of QSIZE slots, tasks 1..N ("true") in the first N, the next id
 * NEXT_ID. */
static void make_queue(const char *run, uint32_t qsize, uint32_t n, uint32_t next_id,
		       struct os_table *t)
{
	const char *cmds[8];
	uint32_t lens[8];
	struct os_table_spec spec = {
		.name = run, .slot_count = n, .cap = 2, .cmds = cmds, .cmd_lens = lens,
		.queue_size = qsize, .next_id = next_id, .logdir = "/nonexistent/logs",
		.idle_after_ms = 1000, .grace_ms = 1000, .flags = OS_RUN_QUEUE,
	};
	int err;

	ck_assert_uint_le(n, 8);
	for (uint32_t i = 0; i < n; i++) {
		cmds[i] = "true";
		lens[i] = 4;
	}
	err = os_table_create(&spec, t);
	ck_assert_msg(err == 0, "os_table_create(%s): %s", run, strerror(-err));
}

/* Slot S's command, checked to be NUL-terminated in its box. */
static const char *command_of(const struct os_table *t, const struct os_slot *s, uint32_t *len)
{
	const char *cmd = os_slot_command(t, s, len);

	ck_assert_ptr_nonnull(cmd);
	ck_assert_uint_eq(s->cmd_off, os_queue_box_off(t->hdr, (uint32_t)(s - t->slots)));
	ck_assert_int_eq(cmd[*len], '\0');
	return cmd;
}

/* What a worker leaves in a slot at its end: every per-attempt field set. */
static void dirty_attempt(struct os_slot *s)
{
	os_slot_write_begin(s);
	atomic_store(&s->reason, OS_REASON_TIMEOUT);
	atomic_store(&s->worker_pid, 4000);
	atomic_store(&s->task_pid, 4001);
	atomic_store(&s->exit_code, 3);
	atomic_store(&s->term_signal, 9);
	atomic_store(&s->start_real_ns, 11);
	atomic_store(&s->end_real_ns, 12);
	atomic_store(&s->start_mono_ns, 13);
	atomic_store(&s->end_mono_ns, 14);
	atomic_store(&s->output_mono_ns, 15);
	atomic_store(&s->output_bytes, 16);
	atomic_store(&s->winsize, 24u << 16 | 80u);
	atomic_store(&s->steer_key[0], 17);
	atomic_store(&s->steer_key[1], 18);
	atomic_store(&s->waiting_mono_ns, 19);
	atomic_store(&s->waiting_why, OS_WAIT_BELL);
	os_slot_set_message(s, "it ended");
	os_slot_write_end(s);
	atomic_store(&s->interrupt_request, OS_REASON_SHUTDOWN);
}

/* A fresh task in slot S: ID, ATTEMPT, every per-attempt field clear. */
static void assert_fresh(const struct os_slot *s, uint32_t id, uint32_t attempt)
{
	struct os_slot_view v;

	ck_assert_uint_eq(atomic_load(&s->seq) & 1u, 0);
	ck_assert_int_eq(os_slot_snapshot(s, &v), 0);
	ck_assert_uint_eq(v.id, id);
	ck_assert_uint_eq(v.state, OS_CREATED);
	ck_assert_uint_eq(v.attempt, attempt);
	ck_assert_uint_eq(v.reason, OS_REASON_NONE);
	ck_assert_int_eq(v.worker_pid, 0);
	ck_assert_int_eq(v.task_pid, 0);
	ck_assert_int_eq(v.exit_code, -1);
	ck_assert_int_eq(v.term_signal, 0);
	ck_assert_int_eq(v.start_real_ns, 0);
	ck_assert_int_eq(v.end_real_ns, 0);
	ck_assert_int_eq(v.start_mono_ns, 0);
	ck_assert_int_eq(v.end_mono_ns, 0);
	ck_assert_int_eq(v.output_mono_ns, 0);
	ck_assert_uint_eq(v.output_bytes, 0);
	ck_assert_uint_eq(v.winsize, 0);
	ck_assert_uint_eq(v.steer_key[0], 0);
	ck_assert_uint_eq(v.steer_key[1], 0);
	ck_assert_int_eq(v.waiting_mono_ns, 0);
	ck_assert_uint_eq(v.waiting_why, OS_WAIT_NONE);
	ck_assert_str_eq(v.message, "");
	ck_assert_uint_eq(os_slot_interrupt_requested(s), OS_REASON_NONE);
	ck_assert_uint_eq(atomic_load(&((struct os_slot *)s)->logged_state), OS_CREATED);
}

/* A batch's slots are never reused; a queue's task that has not ended
 * keeps its slot; a command longer than a box is refused.  Nothing of the
 * slot or the counts moves on a refusal. */
START_TEST(test_reuse_refused)
{
	static const uint32_t live[] = { OS_CREATED, OS_RUNNING, OS_IDLE };
	char *longest = malloc(OS_CMD_MAX + 1);
	struct os_table t;
	struct os_slot *s;
	uint32_t counts[8], seq, len;

	make_table(run_pairs, 2, &t);
	s = os_table_slot(&t, 0);
	drive_to(&t, s, OS_COMPLETED);
	seq = atomic_load(&s->seq);
	ck_assert_int_eq(os_slot_reuse(&t, s, 3, "echo", 4, 0), -EINVAL);
	ck_assert_uint_eq(atomic_load(&s->seq), seq);
	ck_assert_uint_eq(s->id, 1);
	ck_assert_uint_eq(atomic_load(&s->state), OS_COMPLETED);
	assert_counts(&t);
	drop_table(run_pairs, &t);

	make_queue(run_queue, 4, 3, 10, &t);
	for (uint32_t i = 0; i < 3; i++) {
		s = os_table_slot(&t, i);
		drive_to(&t, s, live[i]);
		memcpy(counts, (const void *)t.hdr->counts, sizeof(counts));
		seq = atomic_load(&s->seq);
		ck_assert_msg(os_slot_reuse(&t, s, 5 + i, "echo new", 8, 0) == -EPERM,
			      "slot of a %s task reused", os_state_name(live[i]));
		ck_assert_uint_eq(atomic_load(&s->seq), seq);
		ck_assert_uint_eq(s->id, i + 1);
		ck_assert_uint_eq(atomic_load(&s->state), live[i]);
		ck_assert_str_eq(command_of(&t, s, &len), "true");
		ck_assert_mem_eq((const void *)t.hdr->counts, counts, sizeof(counts));
	}
	/* One byte past a box: refused before anything is written. */
	s = os_table_slot(&t, 3);
	ck_assert_ptr_nonnull(longest);
	memset(longest, 'x', OS_CMD_MAX + 1);
	seq = atomic_load(&s->seq);
	ck_assert_int_eq(os_slot_reuse(&t, s, 8, longest, OS_CMD_MAX + 1, 0), -EINVAL);
	ck_assert_uint_eq(atomic_load(&s->seq), seq);
	ck_assert_uint_eq(s->id, 0);
	ck_assert_uint_eq(s->cmd_len, 0);
	ck_assert_uint_eq(os_table_tasks(t.hdr), 3);
	ck_assert_ptr_null(os_table_validate(t.hdr, t.size));
	free(longest);
	drop_table(run_queue, &t);
}
END_TEST

/* An unused slot (id 0) gets its first task: id, command in its box,
 * attempt, CREATED counted once; the seq even again, two steps on. */
START_TEST(test_reuse_unused_slot)
{
	struct os_table t;
	struct os_slot *s;
	const char *cmd;
	uint32_t seq, len;

	make_queue(run_queue, 3, 0, 1, &t);
	ck_assert_uint_eq(os_table_tasks(t.hdr), 0);
	atomic_store(&t.hdr->next_id, 3); /* given out before a slot shows them */
	s = os_table_slot(&t, 1);
	seq = atomic_load(&s->seq);
	ck_assert_uint_eq(seq, 0);
	ck_assert_int_eq(os_slot_reuse(&t, s, 1, "echo 'a\tb' \"c\"", 15, 0), 0);
	ck_assert_uint_eq(atomic_load(&s->seq), seq + 2);
	assert_fresh(s, 1, 1);
	cmd = command_of(&t, s, &len);
	ck_assert_uint_eq(len, 15);
	ck_assert_str_eq(cmd, "echo 'a\tb' \"c\"");
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[OS_CREATED]), 1);
	ck_assert_uint_eq(os_table_tasks(t.hdr), 1);
	/* Only the bytes given are copied: CMD need not end in a NUL. */
	s = os_table_slot(&t, 2);
	ck_assert_int_eq(os_slot_reuse(&t, s, 2, "sleep 1; more", 7, 2), 0);
	assert_fresh(s, 2, 3);
	ck_assert_str_eq(command_of(&t, s, &len), "sleep 1");
	ck_assert_uint_eq(len, 7);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[OS_CREATED]), 2);
	ck_assert_uint_eq(os_table_tasks(t.hdr), 2);
	/* Slot 0 is untouched, and the table valid all along. */
	ck_assert_uint_eq(os_table_slot(&t, 0)->id, 0);
	ck_assert_uint_eq(os_table_slot(&t, 0)->cmd_len, 0);
	ck_assert_ptr_null(os_table_validate(t.hdr, t.size));
	/* The new task runs through the machine like any other. */
	ck_assert_int_eq(os_slot_transition(&t, s, OS_EV_START, OS_REASON_NONE, NULL), 0);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[OS_RUNNING]), 1);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[OS_CREATED]), 1);
	ck_assert_uint_eq(os_table_tasks(t.hdr), 2);
	drop_table(run_queue, &t);
}
END_TEST

/* Loop test, _i the terminal state: a slot whose task ended so gets a new
 * one, twice; the old task stays counted in its end state, the new one is
 * counted CREATED; every per-attempt field is cleared; the pages of a
 * longer old command past the new one's are given back (read as zeros). */
START_TEST(test_reuse_ended)
{
	static const uint32_t terminal[] = { OS_COMPLETED, OS_FAILED, OS_INTERRUPTED };
	const uint32_t end = terminal[_i];
	enum { LONG = 10000 };
	char *long_cmd = malloc(LONG);
	struct os_table t;
	struct os_slot *s;
	const char *cmd;
	uint32_t seq, len;

	ck_assert_ptr_nonnull(long_cmd);
	memset(long_cmd, 'x', LONG);
	make_queue(run_queue, 2, 2, 3, &t);
	s = os_table_slot(&t, 0);
	drive_to(&t, s, end);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[OS_CREATED]), 1);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[end]), 1);

	atomic_store(&t.hdr->next_id, 4);
	ck_assert_int_eq(os_slot_reuse(&t, s, 3, long_cmd, LONG, 0), 0);
	assert_fresh(s, 3, 1);
	cmd = command_of(&t, s, &len);
	ck_assert_uint_eq(len, LONG);
	ck_assert_int_eq(memcmp(cmd, long_cmd, LONG), 0);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[OS_CREATED]), 2);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[end]), 1);
	ck_assert_uint_eq(os_table_tasks(t.hdr), 3);

	drive_to(&t, s, end);
	dirty_attempt(s);
	atomic_store(&t.hdr->next_id, 5);
	seq = atomic_load(&s->seq);
	ck_assert_int_eq(os_slot_reuse(&t, s, 4, "echo short", 10, 1), 0);
	ck_assert_uint_eq(atomic_load(&s->seq), seq + 2);
	assert_fresh(s, 4, 2);
	cmd = command_of(&t, s, &len);
	ck_assert_uint_eq(len, 10);
	ck_assert_str_eq(cmd, "echo short");
	/* The old command's pages past the new one's first are holes now. */
	for (size_t i = 4096; i < LONG; i++)
		if (cmd[i] != '\0')
			ck_abort_msg("box byte %zu still holds %#x", i,
				     (unsigned)(unsigned char)cmd[i]);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[OS_CREATED]), 2);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[end]), 2);
	ck_assert_uint_eq(os_table_tasks(t.hdr), 4);
	/* The neighbour is as it was. */
	ck_assert_uint_eq(os_table_slot(&t, 1)->id, 2);
	ck_assert_str_eq(command_of(&t, os_table_slot(&t, 1), &len), "true");
	ck_assert_ptr_null(os_table_validate(t.hdr, t.size));
	/* The new task starts, and the counts move as for any task. */
	ck_assert_int_eq(os_slot_transition(&t, s, OS_EV_START, OS_REASON_NONE, NULL), 0);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[OS_CREATED]), 1);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[OS_RUNNING]), 1);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[end]), 2);
	ck_assert_uint_eq(os_table_tasks(t.hdr), 4);
	free(long_cmd);
	drop_table(run_queue, &t);
}
END_TEST

/* The longest command fills the last slot's box, its NUL the table's last
 * byte; os_slot_snapshot_command hands back all of it. */
START_TEST(test_reuse_longest)
{
	char *longest = malloc(OS_CMD_MAX + 1), *copy = malloc(OS_CMD_MAX + 1);
	struct os_slot_view v;
	struct os_table t;
	struct os_slot *s;
	const char *cmd;
	uint32_t len = 0;

	ck_assert_ptr_nonnull(longest);
	ck_assert_ptr_nonnull(copy);
	for (uint32_t i = 0; i < OS_CMD_MAX; i++)
		longest[i] = (char)('a' + i % 26);
	make_queue(run_queue, 2, 1, 2, &t);
	atomic_store(&t.hdr->next_id, 3);
	s = os_table_slot(&t, 1);
	ck_assert_int_eq(os_slot_reuse(&t, s, 2, longest, OS_CMD_MAX, 0), 0);
	cmd = command_of(&t, s, &len);
	ck_assert_uint_eq(len, OS_CMD_MAX);
	ck_assert_int_eq(memcmp(cmd, longest, OS_CMD_MAX), 0);
	ck_assert_ptr_eq(cmd + OS_CMD_MAX, (const char *)t.hdr + t.size - 1);
	ck_assert_ptr_null(os_table_validate(t.hdr, t.size));
	memset(copy, 'z', OS_CMD_MAX + 1);
	ck_assert_int_eq(os_slot_snapshot_command(&t, s, &v, copy, &len), 0);
	ck_assert_uint_eq(v.id, 2);
	ck_assert_uint_eq(len, OS_CMD_MAX);
	ck_assert_int_eq(memcmp(copy, longest, OS_CMD_MAX), 0);
	ck_assert_int_eq(copy[OS_CMD_MAX], '\0');
	free(longest);
	free(copy);
	drop_table(run_queue, &t);
}
END_TEST

/* os_slot_snapshot_command: the view and the command of one moment; a
 * writer stuck inside its section gives -EAGAIN, not a torn copy. */
START_TEST(test_snapshot_command)
{
	char cmd[OS_CMD_MAX + 1];
	struct os_slot_view v;
	struct os_table t;
	struct os_slot *s;
	uint32_t len;

	make_queue(run_queue, 2, 1, 2, &t);
	s = os_table_slot(&t, 0);
	len = 99;
	memset(cmd, 'z', 16);
	ck_assert_int_eq(os_slot_snapshot_command(&t, s, &v, cmd, &len), 0);
	ck_assert_uint_eq(v.id, 1);
	ck_assert_uint_eq(v.state, OS_CREATED);
	ck_assert_uint_eq(len, 4);
	ck_assert_str_eq(cmd, "true");
	/* An unused slot: id 0, an empty command. */
	ck_assert_int_eq(os_slot_snapshot_command(&t, os_table_slot(&t, 1), &v, cmd, &len), 0);
	ck_assert_uint_eq(v.id, 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(cmd, "");

	drive_to(&t, s, OS_FAILED);
	atomic_store(&t.hdr->next_id, 3);
	ck_assert_int_eq(os_slot_reuse(&t, s, 2, "printf second", 13, 0), 0);
	ck_assert_int_eq(os_slot_snapshot_command(&t, s, &v, cmd, &len), 0);
	ck_assert_uint_eq(v.id, 2);
	ck_assert_uint_eq(v.state, OS_CREATED);
	ck_assert_uint_eq(len, 13);
	ck_assert_str_eq(cmd, "printf second");

	os_slot_write_begin(s);
	ck_assert_int_eq(os_slot_snapshot_command(&t, s, &v, cmd, &len), -EAGAIN);
	os_slot_write_end(s);
	ck_assert_int_eq(os_slot_snapshot_command(&t, s, &v, cmd, &len), 0);
	ck_assert_uint_eq(v.id, 2);
	drop_table(run_queue, &t);
}
END_TEST

/* The command a reuse gives task ID: its id in it, its length and filler
 * from the id, so that a copy mixing two reuses cannot pass for either. */
static uint32_t race_command(uint32_t id, char *buf)
{
	uint32_t len = 32 + (id % 7) * 1500;
	int n = snprintf(buf, 32, "task %u:", id);

	memset(buf + n, 'a' + (int)(id % 26), len - (uint32_t)n);
	return len;
}

/* A forked writer reuses one slot over and over (each task failed, then
 * the slot given the next id) while this process snapshots it: every view
 * must come with its own task's command. */
START_TEST(test_snapshot_command_race)
{
	_Atomic uint32_t *stop = mmap(NULL, sizeof(*stop), PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *want = malloc(OS_CMD_MAX + 1), *got = malloc(OS_CMD_MAX + 1);
	uint32_t ok = 0, busy = 0, ids_seen = 0, last_id = 0, len;
	struct os_slot_view v;
	struct os_table t;
	struct os_slot *s;
	int64_t deadline;
	pid_t pid;
	int status;

	ck_assert_ptr_ne(stop, MAP_FAILED);
	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(got);
	make_queue(run_queue, 1, 0, UINT32_MAX, &t);
	s = os_table_slot(&t, 0);
	len = race_command(1, want);
	ck_assert_int_eq(os_slot_reuse(&t, s, 1, want, len, 0), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (uint32_t id = 2; !atomic_load(stop); id++) {
			uint32_t n = race_command(id, want);

			if (os_slot_transition(&t, s, OS_EV_FAIL, OS_REASON_NONE, NULL) != 0 ||
			    os_slot_reuse(&t, s, id, want, n, 0) != 0)
				_exit(1);
		}
		_exit(0);
	}
	deadline = os_now_mono_ns() + 3000000000LL;
	while ((ok < 20000 || ids_seen < 100) && os_now_mono_ns() < deadline) {
		if (os_slot_snapshot_command(&t, s, &v, got, &len) < 0) {
			busy++;
			continue;
		}
		ok++;
		if (v.id != last_id) {
			ids_seen++;
			last_id = v.id;
		}
		if (len != race_command(v.id, want) || memcmp(got, want, len) != 0 ||
		    got[len] != '\0' || v.attempt != 1 ||
		    (v.state != OS_CREATED && v.state != OS_FAILED))
			ck_abort_msg("snapshot %u: task %u (%s, attempt %u) with a command of "
				     "%u bytes: \"%.20s...\"", ok, v.id, os_state_name(v.state),
				     v.attempt, len, got);
	}
	atomic_store(stop, 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "writer failed: status %#x", status);
	ck_assert_msg(ok >= 1000 && ids_seen >= 10, "%u snapshots (%u busy), %u tasks seen",
		      ok, busy, ids_seen);
	munmap(stop, sizeof(*stop));
	free(want);
	free(got);
	drop_table(run_queue, &t);
}
END_TEST

/* --- interrupt requests (the supervisor's word in the slot) --------------- */

START_TEST(test_interrupt_request)
{
	struct os_slot s;

	memset(&s, 0, sizeof(s));
	ck_assert_uint_eq(os_slot_interrupt_requested(&s), OS_REASON_NONE);
	ck_assert_int_eq(os_slot_request_interrupt(&s, OS_REASON_NONE), -EINVAL);
	ck_assert_int_eq(os_slot_request_interrupt(&s, OS_REASON_COUNT), -EINVAL);
	ck_assert_uint_eq(os_slot_interrupt_requested(&s), OS_REASON_NONE);
	ck_assert_int_eq(os_slot_request_interrupt(&s, OS_REASON_SHUTDOWN), 0);
	ck_assert_uint_eq(os_slot_interrupt_requested(&s), OS_REASON_SHUTDOWN);
	/* The first request wins: a shutdown after a timeout stays a timeout. */
	ck_assert_int_eq(os_slot_request_interrupt(&s, OS_REASON_TIMEOUT), -EALREADY);
	ck_assert_uint_eq(os_slot_interrupt_requested(&s), OS_REASON_SHUTDOWN);
	/* Nothing else of the slot is touched: it is no write section. */
	ck_assert_uint_eq(atomic_load(&s.seq), 0);
	ck_assert_uint_eq(atomic_load(&s.state), OS_CREATED);
	ck_assert_uint_eq(atomic_load(&s.reason), OS_REASON_NONE);
	/* Shared memory is not trusted: garbage reads as no request. */
	atomic_store(&s.interrupt_request, 1000u);
	ck_assert_uint_eq(os_slot_interrupt_requested(&s), OS_REASON_NONE);
}
END_TEST

START_TEST(test_exit_event)
{
	static const int codes[] = { 0, 1, 3, 255, -1 };
	struct os_slot s;
	uint32_t reason;

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		reason = 99;
		ck_assert_int_eq(os_slot_exit_event(&s, codes[i], &reason),
				 codes[i] == 0 ? OS_EV_FINISH : OS_EV_FAIL);
		ck_assert_uint_eq(reason, OS_REASON_NONE);
	}
	ck_assert_int_eq(os_slot_request_interrupt(&s, OS_REASON_IDLE_TIMEOUT), 0);
	/* Asked to stop, whatever the exit: even 0 (a clean stop on SIGTERM). */
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		reason = 99;
		ck_assert_int_eq(os_slot_exit_event(&s, codes[i], &reason), OS_EV_INTERRUPT);
		ck_assert_uint_eq(reason, OS_REASON_IDLE_TIMEOUT);
	}
}
END_TEST

/* What a worker records at the reap in the two orders the shutdown allows:
 * the task's death seen first (slot 1), or the worker's own SIGTERM first
 * (slot 2, reason from the signal), then the death; and a slot without a
 * request (slot 3), a task that died of a signal nobody asked for. */
START_TEST(test_request_then_reap)
{
	struct os_table t;
	struct os_slot *first, *late, *plain;
	uint32_t reason, from;
	enum os_event ev;

	make_table(run_req, 3, &t);
	first = os_table_slot(&t, 0);
	late = os_table_slot(&t, 1);
	plain = os_table_slot(&t, 2);
	drive_to(&t, first, OS_RUNNING);
	drive_to(&t, late, OS_IDLE);
	drive_to(&t, plain, OS_RUNNING);

	ck_assert_int_eq(os_slot_request_interrupt(first, OS_REASON_SHUTDOWN), 0);
	ck_assert_int_eq(os_slot_request_interrupt(late, OS_REASON_SHUTDOWN), 0);

	/* slot 1: SIGCHLD before SIGTERM: the exit by signal 15 interrupts */
	ev = os_slot_exit_event(first, -1, &reason);
	ck_assert_int_eq(os_slot_transition(&t, first, ev, reason, &from), 0);
	ck_assert_uint_eq(from, OS_RUNNING);
	ck_assert_uint_eq(atomic_load(&first->state), OS_INTERRUPTED);
	ck_assert_uint_eq(atomic_load(&first->reason), OS_REASON_SHUTDOWN);
	/* the worker's SIGTERM, read after the reap, changes nothing */
	ck_assert_int_eq(os_slot_transition(&t, first, OS_EV_INTERRUPT, OS_REASON_SHUTDOWN,
					    NULL), -EPERM);

	/* slot 2: SIGTERM first (the worker's interrupt), then the reap */
	ck_assert_int_eq(os_slot_transition(&t, late, OS_EV_INTERRUPT, OS_REASON_SHUTDOWN,
					    NULL), 0);
	ev = os_slot_exit_event(late, 0, &reason);
	ck_assert_int_eq(os_slot_transition(&t, late, ev, reason, &from), -EPERM);
	ck_assert_uint_eq(from, OS_INTERRUPTED);
	ck_assert_uint_eq(atomic_load(&late->reason), OS_REASON_SHUTDOWN);

	/* slot 3: no request: a death by signal is a failure */
	ev = os_slot_exit_event(plain, -1, &reason);
	ck_assert_int_eq(os_slot_transition(&t, plain, ev, reason, NULL), 0);
	ck_assert_uint_eq(atomic_load(&plain->state), OS_FAILED);
	ck_assert_uint_eq(atomic_load(&plain->reason), OS_REASON_NONE);

	ck_assert_uint_eq(atomic_load(&t.hdr->counts[OS_INTERRUPTED]), 2);
	ck_assert_uint_eq(atomic_load(&t.hdr->counts[OS_FAILED]), 1);
	assert_counts(&t);
	drop_table(run_req, &t);
}
END_TEST

/* Mark slot S waiting for input (WHY, since MONO), as a worker does. */
static void set_waiting(struct os_slot *s, int64_t mono, uint32_t why)
{
	os_slot_write_begin(s);
	atomic_store(&s->waiting_mono_ns, mono);
	atomic_store(&s->waiting_why, why);
	os_slot_write_end(s);
}

/*
 * metrics_count_waiting (the --metrics gauge and the status line): IDLE
 * tasks waiting for input, not the IDLE ones that are not, nor tasks that
 * ended while waiting; the ended tasks at the front are skipped from then
 * on, except with --retries; the scan stops after the header's IDLE count.
 */
START_TEST(test_count_waiting)
{
	static const uint32_t states[] = { OS_COMPLETED, OS_FAILED, OS_IDLE, OS_RUNNING,
					   OS_IDLE, OS_IDLE, OS_CREATED, OS_INTERRUPTED };
	const uint32_t n = sizeof(states) / sizeof(states[0]);
	struct os_table t;
	uint32_t first = 0;

	make_table(run_wait, n, &t);
	ck_assert_uint_eq(metrics_count_waiting(t.hdr, &first), 0); /* none idle */
	ck_assert_uint_eq(first, 0);
	for (uint32_t i = 0; i < n; i++)
		drive_to(&t, os_table_slot(&t, i), states[i]);
	set_waiting(os_table_slot(&t, 2), 100, OS_WAIT_READ);
	set_waiting(os_table_slot(&t, 5), 200, OS_WAIT_PATTERN);
	set_waiting(os_table_slot(&t, 7), 300, OS_WAIT_BELL); /* ended while waiting */
	ck_assert_uint_eq(metrics_count_waiting(t.hdr, &first), 2);
	ck_assert_uint_eq(first, 2); /* past slots 0 and 1 (ended), not past 2 (IDLE) */

	/* Slot 2 ends while waiting: no longer counted, and skipped. */
	ck_assert_int_eq(os_slot_transition(&t, os_table_slot(&t, 2), OS_EV_INTERRUPT,
					    OS_REASON_IDLE_TIMEOUT, NULL), 0);
	ck_assert_uint_eq(metrics_count_waiting(t.hdr, &first), 1);
	ck_assert_uint_eq(first, 3);
	ck_assert_uint_eq(metrics_count_waiting(t.hdr, &first), 1);
	ck_assert_uint_eq(first, 3); /* slot 3 runs: it stays */

	/* The waiting mark goes with the next output (the task RUNNING). */
	ck_assert_int_eq(os_slot_transition(&t, os_table_slot(&t, 5), OS_EV_DETECT_ACTIVITY,
					    OS_REASON_NONE, NULL), 0);
	set_waiting(os_table_slot(&t, 5), 0, OS_WAIT_NONE);
	ck_assert_uint_eq(metrics_count_waiting(t.hdr, &first), 0);
	ck_assert_int_eq(os_slot_transition(&t, os_table_slot(&t, 5), OS_EV_DETECT_SILENCE,
					    OS_REASON_NONE, NULL), 0);
	set_waiting(os_table_slot(&t, 5), 400, OS_WAIT_READ);
	ck_assert_uint_eq(metrics_count_waiting(t.hdr, &first), 1);

	/* The scan stops once it has seen as many IDLE tasks as counted:
	 * with the count at 1, slot 4 (not waiting) is the only one seen. */
	atomic_store(&t.hdr->counts[OS_IDLE], 1);
	ck_assert_uint_eq(metrics_count_waiting(t.hdr, &first), 0);
	atomic_store(&t.hdr->counts[OS_IDLE], 2);

	/* With --retries an ended task may run again: the scan starts at 0,
	 * whatever *FIRST says, and leaves it alone. */
	t.hdr->retries = 1;
	first = 7;
	ck_assert_uint_eq(metrics_count_waiting(t.hdr, &first), 1);
	ck_assert_uint_eq(first, 7);
	drop_table(run_wait, &t);
}
END_TEST

/* A transition made but not logged (its maker SIGKILLed in between): the
 * process taking over writes the missing line, once, from the last state
 * logged; nothing when nothing is missing. */
START_TEST(test_log_missing)
{
	struct os_table t;
	struct os_slot *s;
	char buf[1024];
	size_t len;
	int pipefd[2];

	make_table(run_pairs, 2, &t);
	s = os_table_slot(&t, 0);
	drive_to(&t, s, OS_RUNNING);
	ck_assert_int_eq(pipe2(pipefd, O_NONBLOCK | O_CLOEXEC), 0);
	t.events_fd = pipefd[1];
	ck_assert_int_eq(os_slot_log_missing(&t, s), 0);
	ck_assert_uint_eq(drain(pipefd[0], buf, sizeof(buf)), 0);
	/* the compare-and-swap alone, as a maker killed right after it leaves it */
	atomic_store(&s->state, OS_INTERRUPTED);
	atomic_store(&s->reason, OS_REASON_TIMEOUT);
	ck_assert_int_eq(os_slot_log_missing(&t, s), 1);
	len = drain(pipefd[0], buf, sizeof(buf));
	ck_assert_uint_eq(count_lines(buf, len), 1);
	assert_event_line(buf, len, 1, OS_EV_INTERRUPT, OS_RUNNING, OS_INTERRUPTED);
	ck_assert_int_eq(os_slot_log_missing(&t, s), 0);
	close(pipefd[0]);
	close(pipefd[1]);
	t.events_fd = -1;
	drop_table(run_pairs, &t);
}
END_TEST

Suite *make_state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("transitions");
	TCase *names = tcase_create("names");
	TCase *race = tcase_create("race");
	TCase *req = tcase_create("interrupt request");
	TCase *waiting = tcase_create("waiting for input");
	TCase *queue = tcase_create("queue slots");

	tcase_add_unchecked_fixture(tc, names_setup, names_teardown);
	tcase_add_loop_test(tc, test_every_pair, 0, OS_EVENT_COUNT * OS_STATE_COUNT);
	tcase_add_test(tc, test_terminal_is_final);
	tcase_add_test(tc, test_retry);
	tcase_add_test(tc, test_log_missing);
	tcase_add_test(tc, test_random_walk);
	suite_add_tcase(s, tc);

	tcase_add_test(names, test_state_names);
	tcase_add_test(names, test_event_and_reason_names);
	tcase_add_test(names, test_event_format);
	suite_add_tcase(s, names);

	/* A thousand forks: generous under valgrind or a sanitizer. */
	tcase_add_unchecked_fixture(race, names_setup, names_teardown);
	tcase_set_timeout(race, 60);
	tcase_add_test(race, test_finish_interrupt_race);
	suite_add_tcase(s, race);

	tcase_add_unchecked_fixture(queue, names_setup, names_teardown);
	tcase_add_test(queue, test_reuse_refused);
	tcase_add_test(queue, test_reuse_unused_slot);
	tcase_add_loop_test(queue, test_reuse_ended, 0, 3);
	tcase_add_test(queue, test_reuse_longest);
	tcase_add_test(queue, test_snapshot_command);
	tcase_add_test(queue, test_snapshot_command_race);
	suite_add_tcase(s, queue);

	tcase_add_unchecked_fixture(req, names_setup, names_teardown);
	tcase_add_test(req, test_interrupt_request);
	tcase_add_test(req, test_exit_event);
	tcase_add_test(req, test_request_then_reap);
	suite_add_tcase(s, req);

	tcase_add_unchecked_fixture(waiting, names_setup, names_teardown);
	tcase_add_test(waiting, test_count_waiting);
	suite_add_tcase(s, waiting);
	return s;
}
