/*
 * run.h: the supervisor's event loop: admit tasks as cap tokens allow, reap
 * workers, enforce timeouts, shut down on a signal.
 */
#ifndef ONESHOT_RUN_H
#define ONESHOT_RUN_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/metrics.h"
#include "supervisor/options.h"
#include "supervisor/resume.h"
#include "supervisor/hooks.h"
#include "supervisor/progress.h"
#include "supervisor/queue.h"
#include "shm/table.h"
#include "logdir/tasklist.h"

struct worker_ref;
struct pid_index;

struct run {
	const struct options *opt;
	const struct tasklist *tasks;
	char **cmds;                  /* slot i's command: the task list's, or
				       * a queue's own while the task holds it */
	uint32_t *lens;
	struct queue queue;           /* --queue */
	uint32_t queue_next_id;       /* --queue: the first id add gives */
	uint64_t queue_file_good;     /* --queue --resume: whole lines of it */
	uint32_t interrupted_by[OS_REASON_COUNT]; /* tasks that ended so, per reason */
	struct os_table *table;
	int logdir_fd, joblog_fd, sigfd;
	pid_t self;
	struct worker_ref *workers;   /* opt->jobs entries */
	uint32_t *free_refs, nfree;   /* stack of unused entries */
	struct pid_index *index;      /* worker pid -> entry */
	char *cmd_copy;               /* the next worker's command: the task list
				       * itself is not inherited (tasklist_seal) */
	uint32_t running, next;       /* workers alive; next task to admit (0-based) */
	uint32_t *retry_queue;        /* tasks to run again (--retries): jobs entries */
	uint32_t retry_head, retry_count;
	uint32_t retried;             /* attempts started by a retry */
	int stop_signal;              /* the first SIGTERM/SIGINT, or 0 */
	int forced;                   /* a second one: everything was SIGKILLed */
	int fork_blocked;             /* fork hit a limit: retry after a reap */
	uint32_t interrupting;        /* workers asked to interrupt, not yet reaped */
	sigset_t reset_signals;       /* dispositions tasks get back as SIG_DFL */
	int resuming;                 /* --resume found a job log to go on from */
	struct resume_plan resume;    /* what it skipped */
	uint32_t log_errors;          /* job-log lines or files that failed */
	uint32_t demote_errors;       /* failed sched_setscheduler on shutdown */
	struct progress progress;     /* the status line on a terminal */
	struct metrics metrics;       /* --metrics FILE */
	struct hooks hooks;           /* --on-event CMD */
	int64_t next_sweep_ns;        /* the next look for adopted strays */
};

/*
 * Run every task; returns the run's exit status (0, 1 or 128+signal) after
 * every worker and stray process is reaped, the job log and summary are
 * written and the table says DONE.  SIGFD must deliver SIGCHLD, SIGTERM,
 * SIGINT, SIGHUP and SIGUSR1.
 */
int run_execute(struct run *r);

/*
 * Open LOGDIR/supervisor.log (the directory is LOGDIR_FD) for appending,
 * creating it, never through a symlink.  Returns the fd or -errno.  With
 * --detach it is the supervisor's stdout and stderr; SIGHUP opens it again,
 * so a rotated log is followed.
 */
int run_open_log(int logdir_fd);

/*
 * After the table is marked DONE with the final exit STATUS: the last
 * --metrics file and the --syslog end message.
 */
void run_finish_outputs(struct run *r, int status);

/* Set up R's bookkeeping; 0 or -ENOMEM.  run_free releases it. */
int run_init(struct run *r);
void run_free(struct run *r);

/* The task number of slot I. */
static inline uint32_t run_task_id(const struct run *r, uint32_t i)
{
	return os_table_slot(r->table, i)->id;
}

/* Attempts slot I's task made in runs before this one (--resume). */
static inline uint32_t run_attempts_before(const struct run *r, uint32_t i)
{
	/* A queue's slots beyond the tasks it resumed get new tasks. */
	return r->resume.attempts && i < r->resume.kept ? r->resume.attempts[i] : 0;
}

/* 1 while tasks wait for a worker (a queue's or the list's rest). */
int run_has_pending(const struct run *r);

#endif
