/*
 * ps_wait.c: --wait: block until a run finishes and exit with the status its
 * supervisor recorded, or, with task ids, until those tasks' ends are known
 * for good.  Polls every 50 ms: the header (one load and one F_OFD_GETLK)
 * and, for task ids, those tasks' slots through the seqlock snapshot, which
 * never makes a writer wait.  Nothing here can hold up the run.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ps/ps.h"
#include "shm/state.h"
#include "shm/util.h"

#define POLL_NS 50000000L

enum ps_wait_state ps_wait_check(const struct os_table *t, const struct os_gen *gen,
				 int *exit_status)
{
	struct os_status st;

	if (os_run_status(t, gen, &st) < 0)
		return PS_WAIT_REPLACED;
	if (st.run_state == OS_RUN_DONE) {
		*exit_status = st.exit_status;
		return PS_WAIT_DONE;
	}
	return st.alive ? PS_WAIT_RUNNING : PS_WAIT_LOST;
}

int ps_wait_exit(enum ps_wait_state s, int exit_status, const char *name)
{
	switch (s) {
	case PS_WAIT_DONE:
		/* The supervisor's own statuses: 0, 1, 2, 3, 128+n. */
		return exit_status >= 0 && exit_status <= 255 ? exit_status : PS_EXIT_LOST;
	case PS_WAIT_LOST:
		os_warn("run %s ended without finishing (its supervisor was killed): no exit status",
			name);
		return PS_EXIT_LOST;
	case PS_WAIT_REPLACED:
		os_warn("run %s was removed or replaced by a new run before it finished", name);
		return PS_EXIT_LOST;
	case PS_WAIT_RUNNING:
	default:
		return PS_EXIT_TIMEOUT;
	}
}

/* What is known of one waited-for task. */
enum task_fate {
	FATE_PENDING,   /* its state may still change */
	FATE_COMPLETED, /* COMPLETED for good */
	FATE_FAILED,    /* ended for good without completing */
	FATE_LOST,      /* the run died first: its end will never be known */
};

struct wait_task {
	uint32_t id;
	uint32_t index;         /* its slot */
	uint32_t first_attempt; /* its attempt when first seen here; 0 before */
	enum task_fate fate;
	struct os_slot_view v;  /* the last look */
	int busy;               /* a writer held the slot: only v.state is known */
	int moved;              /* a queue's slot now holds a newer task */
};

struct ps_task_wait {
	const char *name;
	const struct os_table *t;
	const struct os_gen *gen;
	uint32_t retries;       /* the run's --retries */
	int queue;              /* a queue's slots are reused */
	char *logdir;           /* where a moved task's end is (malloc'd) */
	int replaced;           /* the table no longer holds the run */
	size_t n;
	struct wait_task tasks[];
};

struct ps_task_wait *ps_task_wait_open(const struct ps_opts *o, uid_t uid,
				       const struct os_table *t, const struct os_gen *gen)
{
	const struct ps_view *v = &o->view;
	struct ps_task_wait *w = calloc(1, sizeof(*w) + v->nids * sizeof(w->tasks[0]));
	const char *why = NULL;
	struct os_run r;
	int err;

	if (!w)
		os_die(PS_EXIT_NO_RUN, "out of memory");
	w->name = o->name;
	w->t = t;
	w->gen = gen;
	w->n = v->nids;
	err = os_run_load(t, uid, o->name, gen, OS_LOAD_TASKS, &r, &why);
	if (err == -ESTALE) {
		/* Replaced since it was opened: the run waited for is gone. */
		w->replaced = 1;
		os_run_free(&r);
		return w;
	}
	if (err)
		ps_target_die(err, o->name, uid, why);
	ps_target_check_ids(&r, v);
	w->retries = r.retries;
	w->queue = r.queue;
	w->logdir = r.logdir ? strdup(r.logdir) : NULL;
	for (size_t i = 0; i < w->n; i++) {
		const struct os_task *k = &r.tasks[ps_target_task_index(&r, v->ids[i])];

		w->tasks[i].id = v->ids[i];
		w->tasks[i].index = k->slot;
		if (k->logged) { /* ended before we looked: for good */
			w->tasks[i].v = k->v;
			w->tasks[i].fate = k->v.state == OS_COMPLETED ? FATE_COMPLETED : FATE_FAILED;
		}
	}
	os_run_free(&r);
	return w;
}

void ps_task_wait_free(struct ps_task_wait *w)
{
	if (w)
		free(w->logdir);
	free(w);
}

/* Tasks whose slot a queue gave to a newer task since the last look: their
 * end, for good, is in the job log (written before the slot was reused). */
static void read_moved(struct ps_task_wait *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct wait_task *k = &w->tasks[i];
		uint32_t len;
		char *cmd;

		if (!k->moved || k->fate != FATE_PENDING)
			continue;
		k->moved = 0;
		if (ps_target_logged(w->logdir, k->id, &k->v, &cmd, &len) == 0) {
			free(cmd);
			k->fate = k->v.state == OS_COMPLETED ? FATE_COMPLETED : FATE_FAILED;
		} else {
			k->fate = FATE_LOST; /* its line was lost: the end is unknown */
		}
	}
}

/* Copy the slots of the tasks still pending (behind the SIGBUS guard). */
static int read_slots(void *arg)
{
	struct ps_task_wait *w = arg;

	for (size_t i = 0; i < w->n; i++) {
		struct wait_task *k = &w->tasks[i];
		struct os_slot *s = os_table_slot(w->t, k->index);

		if (k->fate != FATE_PENDING)
			continue;
		if (__atomic_load_n(&s->id, __ATOMIC_RELAXED) != k->id) {
			if (!w->queue)
				return -ESTALE; /* not the table the ids were looked up in */
			k->moved = 1;
			continue;
		}
		k->busy = os_slot_snapshot(s, &k->v) < 0;
		if (!k->busy && k->v.id != k->id) { /* reused in between */
			if (!w->queue)
				return -ESTALE;
			k->moved = 1;
			continue;
		}
		if (k->busy)
			k->v.state = atomic_load_explicit(&s->state, memory_order_acquire);
	}
	return 0;
}

/*
 * Whether the supervisor may still run K again.  It does (should_retry in
 * supervisor/workers.c) after a FAILED attempt, or after an INTERRUPTED one
 * when the run has --retry-interrupted (the table does not say: assume it)
 * and the reason is one it retries, as long as it has made at most
 * --retries retries of it.  Only the reasons that are never retried are
 * named here (a run being stopped, a supervisor gone), so that a reason
 * added later counts as "maybe retried", which can only make the wait
 * longer, never wrong.  The table does not say where the run's count of
 * attempts started either (a resumed run goes on from the attempts of the
 * run it resumes), so only the retries seen here count: each of them was
 * surely this run's.
 */
static int retry_possible(uint32_t retries, const struct wait_task *k)
{
	uint32_t r = k->v.reason;

	if (k->v.state == OS_INTERRUPTED &&
	    (r == OS_REASON_SHUTDOWN || r == OS_REASON_SUPERVISOR_LOST))
		return 0;
	if (k->v.attempt < k->first_attempt)
		return 1; /* a table going backwards: trust nothing */
	return k->v.attempt - k->first_attempt < retries;
}

/*
 * K's fate from its last look and the run's status ST read BEFORE that look:
 * a run that was done, dead (no process left) or stopping (admitting
 * nothing, so retrying nothing) then cannot have changed K since in a way
 * that matters.
 */
static enum task_fate task_fate(const struct os_status *st, uint32_t retries,
				const struct wait_task *k)
{
	int done = st->run_state == OS_RUN_DONE, dead = !done && !st->alive;
	uint32_t state = k->v.state;

	if (done) /* a task the run never started did not complete either */
		return state == OS_COMPLETED ? FATE_COMPLETED : FATE_FAILED;
	if (k->busy || !os_state_is_terminal(state))
		return dead ? FATE_LOST : FATE_PENDING;
	/* Its worker stopped it because the supervisor was gone. */
	if (state == OS_INTERRUPTED && k->v.reason == OS_REASON_SUPERVISOR_LOST)
		return FATE_LOST;
	if (state == OS_COMPLETED)
		return FATE_COMPLETED;
	if (st->run_state == OS_RUN_STOPPING || !retry_possible(retries, k))
		return FATE_FAILED;
	return dead ? FATE_LOST : FATE_PENDING;
}

int ps_task_wait_poll(struct ps_task_wait *w)
{
	struct os_status st, after;
	size_t pending = 0, lost = 0;

	/* The status before the slots, for task_fate; after them, only to
	 * know the slots were still this run's. */
	if (w->replaced || os_run_status(w->t, w->gen, &st) < 0 ||
	    os_guard_call(read_slots, w) < 0 || os_run_status(w->t, w->gen, &after) < 0) {
		w->replaced = 1;
		return 1;
	}
	read_moved(w);
	for (size_t i = 0; i < w->n; i++) {
		struct wait_task *k = &w->tasks[i];

		if (k->fate != FATE_PENDING)
			continue;
		if (!k->busy && !k->first_attempt)
			k->first_attempt = k->v.attempt;
		k->fate = task_fate(&st, w->retries, k);
		pending += k->fate == FATE_PENDING;
		lost += k->fate == FATE_LOST;
	}
	/* One task lost is enough: the outcome can no longer be known. */
	return pending == 0 || lost > 0;
}

/* "task 3" or "tasks 3, 5": the ids of the tasks whose end is not known. */
static void unknown_ids(const struct ps_task_wait *w, char *buf, size_t len)
{
	size_t used = 0, count = 0;

	for (size_t i = 0; i < w->n; i++)
		count += w->tasks[i].fate == FATE_PENDING || w->tasks[i].fate == FATE_LOST;
	used = (size_t)snprintf(buf, len, "task%s", count == 1 ? "" : "s");
	for (size_t i = 0, k = 0; i < w->n && used < len; i++) {
		const struct wait_task *t = &w->tasks[i];

		if (t->fate != FATE_PENDING && t->fate != FATE_LOST)
			continue;
		if (k++ == 8) {
			snprintf(buf + used, len - used, ", ...");
			break;
		}
		used += (size_t)snprintf(buf + used, len - used, "%s %u", k > 1 ? "," : "", t->id);
	}
}

int ps_task_wait_exit(const struct ps_task_wait *w)
{
	size_t pending = 0, lost = 0, failed = 0;
	char ids[160];

	for (size_t i = 0; i < w->n; i++) {
		pending += w->tasks[i].fate == FATE_PENDING;
		lost += w->tasks[i].fate == FATE_LOST;
		failed += w->tasks[i].fate == FATE_FAILED;
	}
	if (w->replaced) {
		unknown_ids(w, ids, sizeof(ids));
		os_warn("run %s was removed or replaced by a new run before the end of %s",
			w->name, ids);
		return PS_EXIT_LOST;
	}
	if (lost) {
		unknown_ids(w, ids, sizeof(ids));
		os_warn("run %s ended without finishing (its supervisor was killed) before the "
			"end of %s", w->name, ids);
		return PS_EXIT_LOST;
	}
	if (pending)
		return PS_EXIT_TIMEOUT;
	return failed ? PS_EXIT_NO_RUN : PS_EXIT_OK;
}

/* --wait ID...: poll until the tasks' outcome is known, or never will be,
 * or DEADLINE (0: none) passes. */
static int wait_tasks(const struct ps_opts *o, uid_t uid, const struct os_table *t,
		      const struct os_gen *gen, int64_t deadline)
{
	struct timespec nap = { 0, POLL_NS };
	struct ps_task_wait *w = ps_task_wait_open(o, uid, t, gen);
	int status;

	while (!ps_task_wait_poll(w)) {
		if (deadline && os_now_mono_ns() >= deadline)
			break;
		nanosleep(&nap, NULL);
	}
	status = ps_task_wait_exit(w);
	ps_task_wait_free(w);
	return status;
}

int ps_cmd_wait(const struct ps_opts *o)
{
	uid_t uid = ps_target_owner(o, o->name);
	int64_t deadline = o->wait_ms ? os_now_mono_ns() + (int64_t)o->wait_ms * 1000000 : 0;
	struct timespec nap = { 0, POLL_NS };
	enum ps_wait_state s;
	struct os_table t;
	struct os_gen gen;
	int status = -1;

	ps_target_open(uid, o->name, &t, &gen);
	if (o->view.nids) {
		status = wait_tasks(o, uid, &t, &gen, deadline);
		os_table_close(&t);
		return status;
	}
	while ((s = ps_wait_check(&t, &gen, &status)) == PS_WAIT_RUNNING) {
		if (deadline && os_now_mono_ns() >= deadline)
			break;
		nanosleep(&nap, NULL);
	}
	os_table_close(&t);
	return ps_wait_exit(s, status, o->name);
}
