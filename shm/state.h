/*
 * state.h: the task state machine.  Every change of a slot's state word goes
 * through os_slot_transition(): one compare-and-swap against one table of
 * allowed transitions, so racing writers get exactly one winner.
 */
#ifndef ONESHOT_SHM_STATE_H
#define ONESHOT_SHM_STATE_H

#include "shm/table.h"

enum os_event {
	OS_EV_START = 0,           /* CREATED -> RUNNING */
	OS_EV_DETECT_SILENCE = 1,  /* RUNNING -> IDLE */
	OS_EV_DETECT_ACTIVITY = 2, /* IDLE -> RUNNING */
	OS_EV_INTERRUPT = 3,       /* RUNNING, IDLE -> INTERRUPTED */
	OS_EV_FINISH = 4,          /* RUNNING, IDLE -> COMPLETED */
	OS_EV_FAIL = 5,            /* CREATED, RUNNING, IDLE -> FAILED */
	OS_EV_RETRY = 6,           /* FAILED, INTERRUPTED -> CREATED: --retries */
	OS_EVENT_COUNT = 7
};

/* The state EVENT leads to from FROM, or -1 when the table refuses it. */
int os_state_next(uint32_t from, enum os_event event);

/* 1 for COMPLETED, FAILED and INTERRUPTED: the end of an attempt, and of
 * the task unless the supervisor retries it. */
int os_state_is_terminal(uint32_t state);

/* Upper-case name ("RUNNING"), or "?" for a value out of range. */
const char *os_state_name(uint32_t state);

/* Parse a state name, any case; -1 if unknown. */
int os_state_parse(const char *name);

/* Lower-case event name ("detect_silence"). */
const char *os_event_name(enum os_event event);

/* Word for a reason ("idle-timeout"), or NULL for OS_REASON_NONE. */
const char *os_reason_name(uint32_t reason);

/*
 * The events.jsonl line of S's last transition, when the process that made
 * it died between its compare-and-swap and its line (SIGKILL): written now,
 * from the last state logged to the state now, by the process taking the
 * slot over.  Returns 1 if it wrote one, 0 if none was missing.
 */
int os_slot_log_missing(struct os_table *t, struct os_slot *s);

/* Word for what shows a task waits for input ("read"), or NULL. */
const char *os_wait_name(uint32_t why);

/*
 * Append to T's events.jsonl a line that is no transition (a task waiting
 * for input): EVENT, STATE as both from and to, WHY as the reason (or
 * null), and EXTRA, JSON members each with its leading comma ("" for none),
 * last.  Lines are at most 1 KiB.
 */
void os_event_note(struct os_table *t, uint32_t id, const char *event, uint32_t state,
		   const char *why, const char *extra);

/*
 * Apply EVENT to slot S of table T with one compare-and-swap, move the
 * header's per-state counters, store REASON (unless OS_REASON_NONE) and
 * append one line to T's event log when it has one.  Call it inside the
 * caller's write section of S.  Returns 0, or -EPERM when the transition is
 * refused (nothing is changed); *from (if not NULL) gets the state seen.
 */
int os_slot_transition(struct os_table *t, struct os_slot *s, enum os_event event,
		       uint32_t reason, uint32_t *from);

/*
 * Start attempt N+1 of slot S (the supervisor, after reaping the worker of
 * attempt N and logging it): the retry transition back to CREATED, the
 * per-attempt fields cleared and the attempt counted, in one write section.
 * Returns 0, or -EPERM if S is not FAILED or INTERRUPTED.
 */
int os_slot_retry(struct os_table *t, struct os_slot *s);

/*
 * A queue's slot S (unused, or holding a task whose end is logged and whose
 * worker is reaped) gets a new task: ID, its command CMD (LEN bytes, into
 * the slot's box) and attempt 1 + ATTEMPTS_BEFORE, state CREATED, every
 * other field cleared, all in one write section, so a reader sees the old
 * task or the new one.  Not a transition of the old task: its end stays
 * counted, and the new task is counted CREATED.  The bytes of a longer old
 * command are given back to the system.  Returns 0, or -EPERM when S holds
 * a task that has not ended, -EINVAL for a table that is not a queue's.
 */
int os_slot_reuse(struct os_table *t, struct os_slot *s, uint32_t id, const char *cmd,
		  uint32_t len, uint32_t attempts_before);

/*
 * The supervisor asks for an interrupt of slot S for REASON (not
 * OS_REASON_NONE): store it with release, BEFORE signalling the task, so
 * whoever reaps the task finds the request however the signals race.  The
 * first request wins.  Returns 0, or -EALREADY when one was already made
 * (then nothing changes), -EINVAL for a reason out of range.
 */
int os_slot_request_interrupt(struct os_slot *s, uint32_t reason);

/* The reason of the interrupt asked for in S, or OS_REASON_NONE (also for
 * a value out of range: the table is shared memory, not trusted). */
uint32_t os_slot_interrupt_requested(const struct os_slot *s);

/*
 * The event that records the end of S's task, which exited with EXIT_CODE
 * (-1: killed by a signal): interrupt, with *REASON the requested reason,
 * when an interrupt was asked for, whatever the exit (the task was told to
 * stop, and a task that stops cleanly on SIGTERM still did not finish);
 * otherwise finish for 0 and fail for anything else, *REASON none.
 */
enum os_event os_slot_exit_event(const struct os_slot *s, int exit_code, uint32_t *reason);

/*
 * Format the event line for a transition of task ID (JSON, newline-ended)
 * into BUF; returns its length, or 0 if it does not fit.
 */
size_t os_event_format(char *buf, size_t len, int64_t real_ns, const char *run,
		       uint32_t id, enum os_event event, uint32_t from, uint32_t to,
		       uint32_t reason);

#endif
