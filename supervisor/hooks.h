/*
 * hooks.h: --on-event CMD, someone told when a task waits for an answer,
 * when each task ends, and when the run ends.  CMD runs through sh -c in a
 * process group of its own, detached from the run's loop: the event in
 * ONESHOT_* variables and as one JSON line on its standard input, at most
 * HOOKS_RUNNING_MAX at a time (more wait in a queue of HOOKS_QUEUE_MAX,
 * beyond which events are dropped and counted), each killed after
 * --on-event-timeout.  A hook that fails or hangs changes nothing in the
 * run's outcome; failures go to the supervisor's stderr (supervisor.log
 * with --detach).
 */
#ifndef ONESHOT_HOOKS_H
#define ONESHOT_HOOKS_H

#include <stdint.h>
#include <sys/types.h>

#define HOOKS_RUNNING_MAX 4
#define HOOKS_QUEUE_MAX 64

struct run;
struct os_slot_view;

struct hook_event {
	char event[16];            /* "waiting", "end", "run-end" */
	uint32_t task;             /* 0 for the run */
	char state[16], reason[24];
	char prompt[96];
	char log[64];              /* the task's transcript, relative to LOGDIR */
	int exit_status;           /* run-end: the run's */
};

struct hook_proc {
	pid_t pid;                 /* 0: free */
	int64_t deadline_ns;
	struct hook_event ev;
};

struct hooks {
	struct hook_proc running[HOOKS_RUNNING_MAX];
	struct hook_event queue[HOOKS_QUEUE_MAX];
	uint32_t head, count, dropped;
	int64_t *seen_waiting;     /* per slot: the waiting_mono_ns told about */
	int64_t next_scan_ns;
};

/* 0, or -ENOMEM.  Nothing is allocated without --on-event. */
int hooks_init(struct run *r);
void hooks_free(struct run *r);

/* Task I's attempt ended as V. */
void hooks_task_end(struct run *r, uint32_t i, const struct os_slot_view *v);

/* The run ended with STATUS: tell, and wait for every hook (each at most
 * its timeout). */
void hooks_run_end(struct run *r, int status);

/* Start queued hooks, kill expired ones, look for newly waiting tasks;
 * the next deadline (0: none). */
int64_t hooks_tick(struct run *r, int64_t now);

/* A child was reaped: 1 if it was a hook (then its end is logged). */
int hooks_reaped(struct run *r, pid_t pid, int status);

/* 1 if PID is a running hook. */
int hooks_own(const struct run *r, pid_t pid);

/* Wait for the running hooks (each at most its timeout), queued ones
 * started as room frees. */
void hooks_drain(struct run *r);

#endif
