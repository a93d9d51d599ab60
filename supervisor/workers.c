/*
 * workers.c: forking workers under the cap and taking them back.
 *
 * Cap tokens are taken in workers_admit() and given back in worker_done()
 * and nowhere else, and only the supervisor touches them: whatever happens
 * to a worker, its token returns when it is reaped.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "logdir/joblog.h"
#include "logdir/logdir.h"
#include "logdir/summary.h"
#include "supervisor/pidindex.h"
#include "shm/slot.h"
#include "shm/state.h"
#include "supervisor/syslogger.h"
#include "shm/util.h"
#include "worker/worker.h"
#include "supervisor/workers.h"

static struct os_slot *slot_of(struct run *r, uint32_t i)
{
	return os_table_slot(r->table, i);
}

/* --retries: a FAILED attempt, or with --retry-interrupted one stopped by
 * a timeout or a signal from outside, runs again while attempts remain and
 * the run is not stopping.  An interrupt of the whole run is never retried. */
static int should_retry(const struct run *r, uint32_t i, const struct os_slot_view *v)
{
	/* A resumed task goes on counting from its earlier run's attempts;
	 * --retries counts this run's. */
	uint32_t before = run_attempts_before(r, i);

	if (r->stop_signal || v->attempt - before > r->opt->retries)
		return 0;
	if (v->state == OS_FAILED)
		return 1;
	return v->state == OS_INTERRUPTED && r->opt->retry_interrupted &&
	       (v->reason == OS_REASON_TIMEOUT || v->reason == OS_REASON_IDLE_TIMEOUT ||
		v->reason == OS_REASON_SIGNAL || v->reason == OS_REASON_OPERATOR ||
		v->reason == OS_REASON_WAITING_TIMEOUT);
}

static int queue_retry(struct run *r, uint32_t i)
{
	uint32_t cap = r->opt->jobs;

	if (r->retry_count == cap) { /* cannot happen: see run_init */
		os_warn("task %u: retry queue full; not retried", run_task_id(r, i));
		return 0;
	}
	r->retry_queue[(r->retry_head + r->retry_count++) % cap] = i;
	return 1;
}

/*
 * An attempt ended: its job-log line (a lost line makes the run's status
 * 1), metrics and syslog, then maybe a retry.  The slot keeps the attempt's
 * terminal state until the retry starts, so a run stopped meanwhile ends
 * with the state the task really reached.
 */
static void task_ended(struct run *r, uint32_t i)
{
	struct os_slot_view v;
	int err = os_slot_snapshot(slot_of(r, i), &v), again = 0;

	if (!err) {
		metrics_task_end(&r->metrics, &v);
		syslogger_task_end(r, i, &v);
		hooks_task_end(r, i, &v);
		err = joblog_append(r->joblog_fd, r->resuming ? r->resume.layout : JOBLOG_V2, &v,
				    r->cmds[i], r->lens[i]);
		if (should_retry(r, i, &v))
			again = queue_retry(r, i);
		if (!again && v.state == OS_INTERRUPTED && v.reason < OS_REASON_COUNT)
			r->interrupted_by[v.reason]++;
	}
	if (err) {
		if (!r->log_errors++)
			os_warn_err(err, "joblog: line of task %u lost", run_task_id(r, i));
	}
	/* The record is in the job log (or its loss counted): a queue's slot
	 * may take a new task. */
	if (r->queue.on && !again)
		queue_slot_done(r, i);
}

/* A task that never got a worker: FAILED with why, logged like any other. */
static void fail_unstarted(struct run *r, uint32_t i, const char *what, int err)
{
	struct os_slot *s = slot_of(r, i);
	char text[OS_MESSAGE_MAX];

	snprintf(text, sizeof(text), "%s: %s", what, strerror(-err));
	os_slot_write_begin(s);
	os_slot_set_end(s, text);
	os_slot_transition(r->table, s, OS_EV_FAIL, OS_REASON_SETUP, NULL);
	os_slot_write_end(s);
	os_warn("task %u: %s", run_task_id(r, i), text);
	task_ended(r, i);
}

static int start_worker(struct run *r, uint32_t i)
{
	struct worker_config cfg = {
		.table = r->table, .slot_index = i, .cmd = r->cmd_copy,
		.run_name = r->opt->name, .logdir_fd = r->logdir_fd,
		.supervisor_sigfd = r->sigfd, .supervisor_pid = r->self,
		.idle_after_ms = r->opt->idle_after_ms, .grace_ms = r->opt->grace_ms,
		.crlf = r->opt->crlf, .reset_signals = &r->reset_signals,
		.env = r->opt->task_env.vars, .env_id_slot = r->opt->task_env.id_slot,
		.chdir = r->opt->chdir, .rlimits = r->opt->rlimits, .nrlimits = r->opt->nrlimits,
		.pty_cols = r->opt->pty_cols, .pty_rows = r->opt->pty_rows,
		.prompts = r->opt->prompts, .nprompts = r->opt->nprompts,
		.answers = r->opt->answers, .nanswers = r->opt->nanswers,
		.answer_limit = r->opt->answer_limit,
		.tail = r->opt->tail, .tail_erase = r->progress.on,
	};
	int others[2 + QUEUE_CLIENTS];
	uint32_t e = r->free_refs[--r->nfree];
	struct worker_ref *w = &r->workers[e];
	pid_t pid;

	/* The worker does not inherit the task list (tasklist_seal: copying
	 * its page tables made every fork cost O(tasks)): it gets its
	 * command in a buffer it does inherit.  The private copy, not the
	 * table's: the table is writable by any process of the run's user. */
	memcpy(r->cmd_copy, r->cmds[i], (size_t)r->lens[i] + 1);
	/* The queue's endpoint is the supervisor's alone: a worker that held
	 * it would keep it alive after the supervisor is gone. */
	cfg.close_fds = others;
	cfg.nclose_fds = queue_fds(r, others);
	pid = fork();

	if (pid < 0) {
		r->nfree++;
		return -errno;
	}
	if (pid == 0)
		worker_main(&cfg);
	/* Also set by the worker itself: whichever runs first, the worker is
	 * out of our group before it can spawn anything (see worker_main). */
	setpgid(pid, pid);
	memset(w, 0, sizeof(*w));
	w->pid = pid;
	w->slot = i;
	w->started_ns = os_now_mono_ns();
	pid_index_put(r->index, pid, e);
	r->running++;
	return 0;
}

/* The task to start next: a queued retry first (its slot moved to its
 * next attempt, once: a start deferred by fork finds it CREATED already). */
static uint32_t peek_next(struct run *r, int *retry)
{
	uint32_t i;

	*retry = r->retry_count > 0;
	if (!*retry)
		return r->queue.on ? queue_peek(r) : r->next;
	i = r->retry_queue[r->retry_head];
	if (atomic_load(&slot_of(r, i)->state) != OS_CREATED &&
	    os_slot_retry(r->table, slot_of(r, i)) == 0)
		r->retried++;
	return i;
}

static void take_next(struct run *r, int retry)
{
	if (!retry) {
		if (r->queue.on)
			queue_take(r);
		else
			r->next++;
		return;
	}
	r->retry_head = (r->retry_head + 1) % r->opt->jobs;
	r->retry_count--;
}

/* The one place a cap token is taken: 0, or -1 when none is free. */
static int cap_take(struct run *r)
{
	return sem_trywait(&r->table->hdr->cap_tokens.sem);
}

/* The one place a cap token is given back. */
static void cap_give(struct run *r)
{
	if (sem_post(&r->table->hdr->cap_tokens.sem) < 0)
		os_warn_err(-errno, "give back a cap token"); /* EOVERFLOW: cannot be ours */
}

void workers_admit(struct run *r)
{

	while (!r->stop_signal && !r->fork_blocked && (r->retry_count > 0 || run_has_pending(r))) {
		int err, retry;
		uint32_t i;

		if (cap_take(r) < 0)
			return; /* every token is held by a running task */
		if (r->nfree == 0) {
			/* More tokens than the cap: someone posted to the table's
			 * semaphore.  Our own count of workers is the authority. */
			cap_give(r);
			return;
		}
		i = peek_next(r, &retry);
		err = start_worker(r, i);
		if (err == -EAGAIN && r->running > 0) {
			cap_give(r);
			r->fork_blocked = 1; /* a reap frees a process: try then */
			return;
		}
		take_next(r, retry);
		if (err) {
			cap_give(r);
			fail_unstarted(r, i, "fork worker", err);
		}
	}
}

/*
 * The worker died without finishing normally.  It may have died inside a
 * write section (the slot left odd: os_slot_write_begin takes that over)
 * or before recording an end: the supervisor becomes the slot's writer and
 * records one, so every task gets its terminal state and job-log line.
 */
static void take_over(struct run *r, struct worker_ref *w, int status)
{
	struct os_slot *s = slot_of(r, w->slot);
	char text[OS_MESSAGE_MAX];

	os_slot_write_begin(s);
	/* Killed between a transition and its events.jsonl line: the line */
	os_slot_log_missing(r->table, s);
	if (!os_state_is_terminal(atomic_load(&s->state))) {
		if (WIFSIGNALED(status))
			snprintf(text, sizeof(text), "worker killed by signal %d", WTERMSIG(status));
		else
			snprintf(text, sizeof(text), "worker exited with status %d",
				 WEXITSTATUS(status));
		os_slot_set_end(s, text);
		/* the message is no prompt any more: no waiting to report */
		atomic_store_explicit(&s->waiting_mono_ns, 0, memory_order_relaxed);
		atomic_store_explicit(&s->waiting_why, OS_WAIT_NONE, memory_order_relaxed);
		if (!w->reason ||
		    os_slot_transition(r->table, s, OS_EV_INTERRUPT, w->reason, NULL) != 0)
			os_slot_transition(r->table, s, OS_EV_FAIL, OS_REASON_WORKER_LOST, NULL);
	}
	os_slot_write_end(s);
}

static void worker_done(struct run *r, uint32_t e, int status)
{
	struct worker_ref *w = &r->workers[e];
	struct os_slot *s = slot_of(r, w->slot);
	int clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;

	cap_give(r);
	r->running--;
	r->fork_blocked = 0;
	if (!clean || !os_state_is_terminal(atomic_load(&s->state)))
		take_over(r, w, status);
	if (!clean) {
		/* A worker that did not finish normally may have left its task
		 * (or what the task orphaned to it, now ours) behind. */
		int32_t task = atomic_load(&s->task_pid);
		if (task > 1)
			kill(-task, SIGKILL);
		workers_kill_strays(r);
	}
	task_ended(r, w->slot);
	if (w->reason)
		r->interrupting--;
	pid_index_del(r->index, w->pid);
	w->pid = 0;
	r->free_refs[r->nfree++] = e;
}

void workers_reap(struct run *r)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int64_t e = pid_index_get(r->index, pid);
		if (e >= 0)
			worker_done(r, (uint32_t)e, status);
		else
			hooks_reaped(r, pid, status);
	}
}

/*
 * Send SIG to the task's process group, if the task exists and has not ended.
 * A task not yet reaped by its worker cannot have had its pid reused; the
 * worker marks it ended right after reaping it.  Returns 1 if signalled.
 */
static int signal_task_group(struct run *r, struct worker_ref *w, int sig)
{
	struct os_slot *s = slot_of(r, w->slot);
	int32_t task = atomic_load(&s->task_pid);

	if (task <= 1 || os_state_is_terminal(atomic_load(&s->state)))
		return 0;
	if (kill(-task, sig) < 0 && errno != ESRCH)
		os_warn_err(-errno, "task %u: SIG%s to process group %d", run_task_id(r, w->slot),
			    sigabbrev_np(sig), (int)task);
	return 1;
}

/*
 * On shutdown a worker has only bookkeeping left (reap, record, drain,
 * exit), yet its task's death wakes it while the supervisor is still
 * signalling the other tasks; the workers share the supervisor's
 * scheduling group (its session's autogroup), and on 2 CPUs 200 such
 * wake-ups took more than half the CPU of the first milliseconds.  At
 * SCHED_IDLE a worker yields to the tasks and to the supervisor, and still
 * runs whenever a CPU is free: nothing it has left is urgent (the grace
 * period is seconds): the supervisor itself SIGKILLs the task's group when
 * the grace period ends (see request_interrupt), so a starved worker cannot
 * delay that.  Only a worker whose task exists is lowered, since a task
 * spawned later would inherit the policy.  Lowering a process of our own
 * needs no privilege, and costs about 1 us.
 */
static void demote_worker(struct run *r, struct worker_ref *w)
{
	static const struct sched_param none = { 0 };
	struct os_slot *s = slot_of(r, w->slot);

	if (atomic_load(&s->task_pid) <= 1 || os_state_is_terminal(atomic_load(&s->state)))
		return;
	if (sched_setscheduler(w->pid, SCHED_IDLE, &none) < 0 && errno != ESRCH &&
	    !r->demote_errors++)
		os_warn_err(-errno, "task %u: worker %d to SCHED_IDLE (the stop goes on without)",
			    run_task_id(r, w->slot), (int)w->pid);
}

/*
 * Step one of an interrupt: record the request in the slot, then SIGTERM
 * the task's group from here rather than when its worker gets scheduled
 * (with hundreds of workers that is the difference between a few and a
 * hundred milliseconds).  The request is stored first, so a worker that
 * reaps its task before its own SIGTERM arrives still records INTERRUPTED
 * with the reason (os_slot_exit_event).  Returns 1 if the worker is still
 * to be told (step three), 0 if it was asked before.
 */
static int request_interrupt(struct run *r, struct worker_ref *w, uint32_t reason, int64_t now)
{
	if (w->reason)
		return 0;
	w->reason = reason;
	r->interrupting++;
	/* The worker escalates to SIGKILL after the grace period itself; the
	 * supervisor does too, in case the worker is slow to run (a lowered
	 * worker, see demote_worker), and kills the worker itself if it has
	 * not ended 2 s after that. */
	w->group_kill_at_ns = now + (int64_t)r->opt->grace_ms * 1000000;
	w->kill_at_ns = w->group_kill_at_ns + INT64_C(2000) * 1000000;
	os_slot_request_interrupt(slot_of(r, w->slot), reason);
	signal_task_group(r, w, SIGTERM);
	return 1;
}

/*
 * Step three: tell the worker, with the reason as the signal's value.  It
 * records INTERRUPTED (unless its task's exit got there first, see above)
 * and owns the escalation: SIGKILL of the group after --grace.  A task not
 * spawned yet (task_pid 0) is interrupted by its worker alone.
 */
static void tell_worker(struct run *r, struct worker_ref *w)
{
	union sigval why = { .sival_int = (int)w->reason };

	if (sigqueue(w->pid, SIGTERM, why) < 0 && errno != ESRCH)
		os_warn_err(-errno, "task %u: signal worker %d", run_task_id(r, w->slot), (int)w->pid);
}

void workers_interrupt(struct run *r, struct worker_ref *w, uint32_t reason, int64_t now)
{
	if (!request_interrupt(r, w, reason, now))
		return;
	/* Step two: a stopped task must be able to act on its SIGTERM. */
	signal_task_group(r, w, SIGCONT);
	tell_worker(r, w);
}

/*
 * The same steps for every worker, each step in one tight pass, so that
 * the last task gets its SIGTERM as early as possible: the SIGCONTs come
 * after all SIGTERMs (most tasks are gone by then and are skipped), and
 * the workers only after that, because each sigqueue() wakes a worker, and
 * interleaving those wake-ups with the kills stretched a 200-task stop on
 * 2 CPUs to ~40 ms.
 */
void workers_interrupt_all(struct run *r, uint32_t reason, int64_t now)
{
	uint32_t n = r->opt->jobs;
	struct worker_ref *w;

	for (uint32_t e = 0; e < n; e++) {
		w = &r->workers[e];
		if (!w->pid || w->reason)
			continue;
		demote_worker(r, w);
		w->tell = request_interrupt(r, w, reason, now);
	}
	for (uint32_t e = 0; e < n; e++)
		if (r->workers[e].tell)
			signal_task_group(r, &r->workers[e], SIGCONT);
	for (uint32_t e = 0; e < n; e++) {
		w = &r->workers[e];
		if (w->tell) {
			w->tell = 0;
			tell_worker(r, w);
		}
	}
}

void workers_kill(struct run *r, struct worker_ref *w)
{
	int32_t task = atomic_load(&slot_of(r, w->slot)->task_pid);

	kill(w->pid, SIGKILL);
	if (task > 1)
		kill(-task, SIGKILL);
	w->group_kill_at_ns = 0;
	w->kill_at_ns = 0;
}

/* A policy deadline BASE_NS + LIMIT_MS; the task's clock starts when it
 * started, which the worker records: until then the fork time stands in,
 * which is earlier, so the deadline is only ever checked early, never late. */
static int64_t policy_due(int64_t base_ns, uint64_t limit_ms)
{
	return base_ns + (int64_t)limit_ms * 1000000;
}

#define NOT_STARTED_RECHECK_NS (50 * 1000000)
#define WAITING_RECHECK_NS (250 * 1000000)   /* --waiting-timeout: a look at the slots */

/* The deadline of one worker's policy, applying it when due. */
static int64_t worker_deadline(struct run *r, struct worker_ref *w, int64_t now)
{
	const struct options *o = r->opt;
	struct os_slot *s = slot_of(r, w->slot);
	int64_t start = atomic_load(&s->start_mono_ns);
	int64_t due = 0, at;
	uint32_t reason = OS_REASON_NONE;

	if (w->kill_at_ns) {
		if (w->group_kill_at_ns && now >= w->group_kill_at_ns) {
			signal_task_group(r, w, SIGKILL);
			w->group_kill_at_ns = 0;
		}
		if (now >= w->kill_at_ns)
			workers_kill(r, w);
		return w->group_kill_at_ns ? w->group_kill_at_ns : w->kill_at_ns;
	}
	if (w->reason || os_state_is_terminal(atomic_load(&s->state)))
		return 0;
	if (o->timeout_ms) {
		due = policy_due(start ? start : w->started_ns, o->timeout_ms);
		if (now >= due)
			reason = OS_REASON_TIMEOUT;
	}
	if (o->idle_timeout_ms && !reason) {
		int64_t last = atomic_load(&s->output_mono_ns);
		at = policy_due(last ? last : w->started_ns, o->idle_timeout_ms);
		if (now >= at)
			reason = OS_REASON_IDLE_TIMEOUT;
		due = due && due < at ? due : at;
	}
	if (o->waiting_timeout_ms && !reason) {
		int64_t since = atomic_load(&s->waiting_mono_ns);

		/* A task may start waiting at any moment: look again soon. */
		at = since ? policy_due(since, o->waiting_timeout_ms) : now + WAITING_RECHECK_NS;
		if (since && now >= at)
			reason = OS_REASON_WAITING_TIMEOUT;
		due = due && due < at ? due : at;
	}
	if (!reason)
		return due;
	if (!start)
		return now + NOT_STARTED_RECHECK_NS; /* setup is slow: wait for the start */
	workers_interrupt(r, w, reason, now);
	return w->group_kill_at_ns;
}

int64_t workers_deadlines(struct run *r, int64_t now)
{
	int64_t next = 0;

	/* Without timeouts only a backstop kill can fall due, and those exist
	 * only while an interrupt is pending: skip the scan otherwise. */
	if (!r->opt->timeout_ms && !r->opt->idle_timeout_ms && !r->opt->waiting_timeout_ms &&
	    !r->interrupting)
		return 0;
	for (uint32_t e = 0; e < r->opt->jobs; e++) {
		struct worker_ref *w = &r->workers[e];
		int64_t at;

		if (!w->pid)
			continue;
		at = worker_deadline(r, w, now);
		if (at && (!next || at < next))
			next = at;
	}
	return next;
}

void workers_kill_strays(struct run *r)
{
	char path[64];
	FILE *f;
	long pid;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)r->self);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 1 && pid_index_get(r->index, (pid_t)pid) < 0 && !hooks_own(r, (pid_t)pid))
			kill((pid_t)pid, SIGKILL);
	fclose(f);
}
