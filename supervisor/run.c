/*
 * run.c: the supervisor's single-threaded event loop.  Every input is a
 * signal read from the signalfd (SIGCHLD, SIGTERM, SIGINT, SIGUSR1, SIGHUP)
 * or a deadline; the loop sleeps in poll() until the next of them.  The
 * periodic deadlines are the status line's redraw, only while that line is
 * on a terminal (progress.c), and the rewrite of the --metrics file
 * (metrics.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/pidindex.h"
#include "supervisor/run.h"
#include "shm/state.h"
#include "supervisor/syslogger.h"
#include "shm/util.h"
#include "supervisor/workers.h"

int run_init(struct run *r)
{
	uint32_t n = r->opt->jobs;

	r->self = getpid();
	r->workers = calloc(n, sizeof(*r->workers));
	r->free_refs = malloc(n * sizeof(*r->free_refs));
	r->index = pid_index_new(n);
	/* A task waits here only after its worker was reaped, and queued tasks
	 * start before new ones: queued + running never exceeds the cap. */
	r->retry_queue = malloc(n * sizeof(*r->retry_queue));
	/* Room for the longest command; only the pages a command touches are
	 * ever faulted in (and copied at fork). */
	r->cmd_copy = malloc(OS_CMD_MAX + 1);
	if (!r->workers || !r->free_refs || !r->index || !r->cmd_copy ||
	    !r->retry_queue) {
		run_free(r);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		r->free_refs[i] = n - 1 - i;
	r->nfree = n;
	return 0;
}

void run_free(struct run *r)
{
	free(r->workers);
	free(r->free_refs);
	pid_index_free(r->index);
	free(r->retry_queue);
	r->retry_queue = NULL;
	free(r->cmd_copy);
	r->cmd_copy = NULL;
	r->workers = NULL;
	r->free_refs = NULL;
	r->index = NULL;
}

/* SIGTERM/SIGINT: stop admitting and interrupt everything; a second one
 * kills everything now. */
static void on_stop(struct run *r, int sig)
{
	int64_t now = os_now_mono_ns();

	if (!r->stop_signal) {
		r->stop_signal = sig;
		/* The signals first: the table and the message can wait a few
		 * ms, the tasks' stop latency is what the operator waits for. */
		workers_interrupt_all(r, OS_REASON_SHUTDOWN, now);
		atomic_store(&r->table->hdr->run_state, OS_RUN_STOPPING);
		os_warn("%s: interrupting %u running task(s)", strsignal(sig), r->running);
		return;
	}
	if (!r->forced) {
		r->forced = 1;
		os_warn("%s again: killing every task now", strsignal(sig));
		for (uint32_t e = 0; e < r->opt->jobs; e++)
			if (r->workers[e].pid)
				workers_kill(r, &r->workers[e]);
	}
}

/* SIGUSR1: one status line, like dd. */
static void print_status(struct run *r)
{
	const struct os_header *h = r->table->hdr;
	int64_t secs = (os_now_mono_ns() - h->start_mono_ns) / 1000000000;

	fprintf(stderr, "%s: %s: %u/%u done, %u running, %u idle, %u failed, %u interrupted, %llds\n",
		os_msg_prog(), h->name,
		atomic_load(&h->counts[OS_COMPLETED]) + atomic_load(&h->counts[OS_FAILED]) +
		atomic_load(&h->counts[OS_INTERRUPTED]),
		os_table_tasks(h), atomic_load(&h->counts[OS_RUNNING]),
		atomic_load(&h->counts[OS_IDLE]), atomic_load(&h->counts[OS_FAILED]),
		atomic_load(&h->counts[OS_INTERRUPTED]), (long long)secs);
}

int run_open_log(int logdir_fd)
{
	int fd = openat(logdir_fd, "supervisor.log",
			O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);

	return fd < 0 ? -errno : fd;
}

/* SIGHUP with --detach: point stdout and stderr at a fresh supervisor.log,
 * so logrotate can rename the old one away.  Attached, there is no log of
 * ours to reopen and SIGHUP is ignored (a closed terminal does not stop an
 * attached run). */
static void reopen_log(struct run *r)
{
	int fd;

	if (!r->opt->detach)
		return;
	fflush(stdout);
	fflush(stderr);
	fd = run_open_log(r->logdir_fd);
	if (fd < 0) {
		os_warn_err(fd, "SIGHUP: reopen %s/supervisor.log (still writing the old one)",
			    r->opt->log_dir);
		return;
	}
	if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		os_warn_err(-errno, "SIGHUP: reopen %s/supervisor.log", r->opt->log_dir);
	close(fd);
}

static void read_signals(struct run *r)
{
	struct signalfd_siginfo si;

	while (read(r->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			on_stop(r, (int)si.ssi_signo);
			break;
		case SIGUSR1:
			print_status(r);
			break;
		case SIGHUP:
			reopen_log(r);
			break;
		default:
			break; /* SIGCHLD: reaped below */
		}
	}
}

/* The earlier of two deadlines, where 0 means none. */
static int64_t earliest(int64_t a, int64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static int wait_ms(int64_t due, int64_t now)
{
	int64_t ms;

	if (!due)
		return -1;
	ms = (due - now + 999999) / 1000000;
	return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

/* Reap whatever is left when the last worker is gone: strays from killed
 * workers, adopted as subreaper. */
static void sweep_strays(struct run *r)
{
	for (int round = 0; round < 100; round++) {
		workers_kill_strays(r);
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			return;
	}
}

/* A task's daemon whose parent exits after the worker's last sweep is
 * adopted by us, the subreaper, and nothing ever signals it: look for such
 * strays once a second while workers run (one read of our children). */
#define SWEEP_NS 1000000000LL
static int64_t sweep_tick(struct run *r, int64_t now)
{
	if (!r->running)
		return 0;
	if (now >= r->next_sweep_ns) {
		if (r->next_sweep_ns)
			workers_kill_strays(r);
		r->next_sweep_ns = now + SWEEP_NS;
	}
	return r->next_sweep_ns;
}

static int exit_status(struct run *r)
{
	const struct os_header *h = r->table->hdr;

	if (r->stop_signal)
		return 128 + r->stop_signal;
	/* A run whose record is incomplete did not fully succeed either. */
	return atomic_load(&h->counts[OS_COMPLETED]) == os_table_tasks(h) && !r->log_errors ? 0 : 1;
}

int run_has_pending(const struct run *r)
{
	return r->queue.on ? queue_has_pending(r) : r->next < r->tasks->count;
}

/* 1 while the run has something left to do. */
static int run_going(const struct run *r)
{
	if (r->running > 0)
		return 1;
	if (r->stop_signal)
		return 0;
	return r->retry_count > 0 || run_has_pending(r) || queue_open(r);
}

void run_finish_outputs(struct run *r, int status)
{
	metrics_finish(r, status);
	syslogger_finish(r, status);
}

int run_execute(struct run *r)
{
	struct pollfd p[1 + 1 + QUEUE_CLIENTS];

	if (hooks_init(r))
		os_die(1, "out of memory");
	progress_start(&r->progress, r->opt->progress);
	syslogger_start(r); /* openlog before the first fork */
	metrics_start(r);
	workers_admit(r);
	p[0] = (struct pollfd){ .fd = r->sigfd, .events = POLLIN };
	while (run_going(r)) {
		int64_t now = os_now_mono_ns();
		int64_t due = workers_deadlines(r, now);
		unsigned nq = queue_poll_fill(r, p + 1);

		progress_tick(&r->progress, r->table->hdr, r->stop_signal != 0, now);
		due = earliest(due, progress_due(&r->progress));
		metrics_tick(r, now);
		due = earliest(due, metrics_due(&r->metrics));
		due = earliest(due, hooks_tick(r, now));
		due = earliest(due, sweep_tick(r, now));
		due = earliest(due, queue_serve(r, p + 1, 0, now)); /* deadlines only */
		if (poll(p, 1 + nq, wait_ms(due, now)) < 0 && errno != EINTR)
			os_die_err(1, -errno, "poll");
		read_signals(r);
		workers_reap(r);
		if (r->queue.on)
			queue_serve(r, p + 1, nq, os_now_mono_ns());
		workers_admit(r);
	}
	progress_stop(&r->progress);
	hooks_drain(r); /* before the sweep, which would wait for them */
	sweep_strays(r);
	return exit_status(r);
}
