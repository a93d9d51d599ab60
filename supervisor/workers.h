/*
 * workers.h: the supervisor's side of its workers: admission under the cap,
 * interrupt requests, and what happens when a worker is reaped.
 */
#ifndef ONESHOT_WORKERS_H
#define ONESHOT_WORKERS_H

#include <stdint.h>
#include <sys/types.h>

#include "supervisor/run.h"

struct worker_ref {
	pid_t pid;            /* 0: entry unused */
	uint32_t slot;        /* 0-based task index */
	uint32_t reason;      /* interrupt asked for, or OS_REASON_NONE */
	int64_t started_ns;   /* CLOCK_MONOTONIC at fork */
	int64_t group_kill_at_ns; /* SIGKILL the task group then (--grace); 0 = not due */
	int64_t kill_at_ns;   /* SIGKILL worker and task group then; 0 = not due */
	int tell;             /* workers_interrupt_all: signal the worker next */
};

/* Start workers while tokens are free, tasks remain and no stop was asked. */
void workers_admit(struct run *r);

/* Reap every child that has exited; workers are finished, strays dropped. */
void workers_reap(struct run *r);

/*
 * Interrupt W's task for REASON: record the request in its slot, SIGTERM
 * and SIGCONT the task's group, then SIGTERM the worker with the reason as
 * the value (it records INTERRUPTED and SIGKILLs the group after --grace).
 * Nothing if W was already asked.
 */
void workers_interrupt(struct run *r, struct worker_ref *w, uint32_t reason, int64_t now);

/* The same for every worker (shutdown), one step at a time: every task
 * group's SIGTERM first, then the SIGCONTs, then the workers; each worker
 * whose task runs is lowered to SCHED_IDLE first. */
void workers_interrupt_all(struct run *r, uint32_t reason, int64_t now);

/* SIGKILL worker W and its task's process group at once. */
void workers_kill(struct run *r, struct worker_ref *w);

/*
 * Apply --timeout, --idle-timeout and the SIGKILL backstop at time NOW;
 * returns the next time something falls due, or 0 for never.
 */
int64_t workers_deadlines(struct run *r, int64_t now);

/* SIGKILL every child that is not a worker (orphans adopted as subreaper). */
void workers_kill_strays(struct run *r);

#endif
