/*
 * state.c: the transition table and the one function that writes a state
 * word.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stddef.h>
#include <stdio.h>
#include <strings.h>
#include <unistd.h>

#include "shm/slot.h"
#include "shm/state.h"
#include "shm/util.h"

static void append_event(struct os_table *t, uint32_t id, enum os_event event,
			 uint32_t from, uint32_t to, uint32_t reason);

#define NO (-1)

/* next_state[event][from]: the only place transitions are defined. */
static const signed char next_state[OS_EVENT_COUNT][OS_STATE_COUNT] = {
	/*                   CREATED     RUNNING         IDLE            INTERR COMPL FAILED */
	[OS_EV_START]           = { OS_RUNNING, NO,             NO,             NO, NO, NO },
	[OS_EV_DETECT_SILENCE]  = { NO,         OS_IDLE,        NO,             NO, NO, NO },
	[OS_EV_DETECT_ACTIVITY] = { NO,         NO,             OS_RUNNING,     NO, NO, NO },
	[OS_EV_INTERRUPT]       = { NO,         OS_INTERRUPTED, OS_INTERRUPTED, NO, NO, NO },
	[OS_EV_FINISH]          = { NO,         OS_COMPLETED,   OS_COMPLETED,   NO, NO, NO },
	[OS_EV_FAIL]            = { OS_FAILED,  OS_FAILED,      OS_FAILED,      NO, NO, NO },
	[OS_EV_RETRY]           = { NO,         NO,             NO,     OS_CREATED, NO, OS_CREATED },
};

static const char *const state_names[OS_STATE_COUNT] = {
	"CREATED", "RUNNING", "IDLE", "INTERRUPTED", "COMPLETED", "FAILED",
};

static const char *const event_names[OS_EVENT_COUNT] = {
	"start", "detect_silence", "detect_activity", "interrupt", "finish", "fail", "retry",
};

static const char *const reason_names[OS_REASON_COUNT] = {
	NULL, "timeout", "idle-timeout", "shutdown", "signal",
	"supervisor-lost", "worker-lost", "setup", "operator", "waiting-timeout",
};

int os_state_next(uint32_t from, enum os_event event)
{
	if (from >= OS_STATE_COUNT || (unsigned)event >= OS_EVENT_COUNT)
		return NO;
	return next_state[event][from];
}

int os_state_is_terminal(uint32_t state)
{
	return state == OS_INTERRUPTED || state == OS_COMPLETED || state == OS_FAILED;
}

const char *os_state_name(uint32_t state)
{
	return state < OS_STATE_COUNT ? state_names[state] : "?";
}

int os_state_parse(const char *name)
{
	for (int i = 0; i < OS_STATE_COUNT; i++)
		if (strcasecmp(name, state_names[i]) == 0)
			return i;
	return -1;
}

const char *os_event_name(enum os_event event)
{
	return (unsigned)event < OS_EVENT_COUNT ? event_names[event] : "?";
}

const char *os_reason_name(uint32_t reason)
{
	return reason < OS_REASON_COUNT ? reason_names[reason] : "unknown";
}

int os_slot_transition(struct os_table *t, struct os_slot *s, enum os_event event,
		       uint32_t reason, uint32_t *from)
{
	uint32_t cur = atomic_load_explicit(&s->state, memory_order_acquire);
	int next;

	do {
		next = os_state_next(cur, event);
		if (next < 0) {
			if (from)
				*from = cur;
			return -EPERM;
		}
	} while (!atomic_compare_exchange_weak_explicit(&s->state, &cur, (uint32_t)next,
							memory_order_acq_rel,
							memory_order_acquire));
	if (from)
		*from = cur;
	atomic_fetch_sub_explicit(&t->hdr->counts[cur], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->hdr->counts[next], 1, memory_order_relaxed);
	if (reason != OS_REASON_NONE)
		atomic_store_explicit(&s->reason, reason, memory_order_relaxed);
	if (t->events_fd >= 0)
		append_event(t, s->id, event, cur, (uint32_t)next, reason);
	atomic_store_explicit(&s->logged_state, (uint32_t)next, memory_order_release);
	return 0;
}

int os_slot_log_missing(struct os_table *t, struct os_slot *s)
{
	uint32_t state = atomic_load_explicit(&s->state, memory_order_acquire);
	uint32_t logged = atomic_load_explicit(&s->logged_state, memory_order_acquire);

	if (state == logged || logged >= OS_STATE_COUNT)
		return 0;
	for (int e = 0; e < OS_EVENT_COUNT; e++) {
		if (next_state[e][logged] != (int)state)
			continue;
		if (t->events_fd >= 0)
			append_event(t, s->id, (enum os_event)e, logged, state,
				     atomic_load_explicit(&s->reason, memory_order_relaxed));
		atomic_store_explicit(&s->logged_state, state, memory_order_release);
		return 1;
	}
	return 0;
}

/* The fields of one attempt, back to their values before it started
 * (inside a write section). */
static void clear_attempt(struct os_slot *s)
{
	atomic_store_explicit(&s->reason, OS_REASON_NONE, memory_order_relaxed);
	atomic_store_explicit(&s->worker_pid, 0, memory_order_relaxed);
	atomic_store_explicit(&s->task_pid, 0, memory_order_relaxed);
	atomic_store_explicit(&s->exit_code, -1, memory_order_relaxed);
	atomic_store_explicit(&s->term_signal, 0, memory_order_relaxed);
	atomic_store_explicit(&s->start_real_ns, 0, memory_order_relaxed);
	atomic_store_explicit(&s->end_real_ns, 0, memory_order_relaxed);
	atomic_store_explicit(&s->start_mono_ns, 0, memory_order_relaxed);
	atomic_store_explicit(&s->end_mono_ns, 0, memory_order_relaxed);
	atomic_store_explicit(&s->output_mono_ns, 0, memory_order_relaxed);
	atomic_store_explicit(&s->output_bytes, 0, memory_order_relaxed);
	atomic_store_explicit(&s->interrupt_request, OS_REASON_NONE, memory_order_relaxed);
	atomic_store_explicit(&s->winsize, 0, memory_order_relaxed);
	atomic_store_explicit(&s->steer_key[0], 0, memory_order_relaxed);
	atomic_store_explicit(&s->steer_key[1], 0, memory_order_relaxed);
	atomic_store_explicit(&s->waiting_mono_ns, 0, memory_order_relaxed);
	atomic_store_explicit(&s->waiting_why, OS_WAIT_NONE, memory_order_relaxed);
	os_slot_set_message(s, "");
}

int os_slot_retry(struct os_table *t, struct os_slot *s)
{
	int err;

	os_slot_write_begin(s);
	err = os_slot_transition(t, s, OS_EV_RETRY, OS_REASON_NONE, NULL);
	if (!err) {
		clear_attempt(s);
		atomic_fetch_add_explicit(&s->attempt, 1, memory_order_relaxed);
	}
	os_slot_write_end(s);
	return err;
}

/* Pages of the box past the new command's that the old one touched: back
 * to the system, so a queue's memory follows the commands it holds now. */
static void trim_box(struct os_table *t, struct os_slot *s, uint32_t new_len)
{
	uint64_t keep = ((uint64_t)new_len + 1 + 4095) & ~UINT64_C(4095);
	uint64_t used = ((uint64_t)s->cmd_len + 1 + 4095) & ~UINT64_C(4095);

	if (used > keep && t->fd >= 0)
		fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)(s->cmd_off + keep), (off_t)(used - keep));
}

int os_slot_reuse(struct os_table *t, struct os_slot *s, uint32_t id, const char *cmd,
		  uint32_t len, uint32_t attempts_before)
{
	uint32_t state = atomic_load_explicit(&s->state, memory_order_acquire);

	if (!(t->hdr->flags & OS_RUN_QUEUE) || len > OS_CMD_MAX)
		return -EINVAL;
	if (s->id != 0 && !os_state_is_terminal(state))
		return -EPERM;
	os_slot_write_begin(s);
	trim_box(t, s, len);
	__atomic_store_n(&s->id, id, __ATOMIC_RELAXED);
	__atomic_store_n(&s->cmd_len, len, __ATOMIC_RELAXED);
	memcpy((char *)t->hdr + s->cmd_off, cmd, len);
	((char *)t->hdr)[s->cmd_off + len] = '\0';
	clear_attempt(s);
	atomic_store_explicit(&s->attempt, 1 + attempts_before, memory_order_relaxed);
	atomic_store_explicit(&s->state, OS_CREATED, memory_order_relaxed);
	atomic_store_explicit(&s->logged_state, OS_CREATED, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->hdr->counts[OS_CREATED], 1, memory_order_relaxed);
	os_slot_write_end(s);
	return 0;
}

int os_slot_request_interrupt(struct os_slot *s, uint32_t reason)
{
	uint32_t none = OS_REASON_NONE;

	if (reason == OS_REASON_NONE || reason >= OS_REASON_COUNT)
		return -EINVAL;
	/* Release: the request is visible to anyone who sees what follows it
	 * (the kill(), and through it the task's death and SIGCHLD). */
	if (!atomic_compare_exchange_strong_explicit(&s->interrupt_request, &none, reason,
						     memory_order_release,
						     memory_order_relaxed))
		return -EALREADY;
	return 0;
}

uint32_t os_slot_interrupt_requested(const struct os_slot *s)
{
	uint32_t reason = atomic_load_explicit(&s->interrupt_request, memory_order_acquire);

	return reason < OS_REASON_COUNT ? reason : OS_REASON_NONE;
}

enum os_event os_slot_exit_event(const struct os_slot *s, int exit_code, uint32_t *reason)
{
	*reason = os_slot_interrupt_requested(s);
	if (*reason != OS_REASON_NONE)
		return OS_EV_INTERRUPT;
	return exit_code == 0 ? OS_EV_FINISH : OS_EV_FAIL;
}

/* The one shape of an events.jsonl line; EXTRA (JSON members, each with
 * its leading comma, or "") goes last. */
static size_t format_line(char *buf, size_t len, int64_t real_ns, const char *run, uint32_t id,
			  const char *event, uint32_t from, uint32_t to, const char *why,
			  const char *extra)
{
	char stamp[40], reason[40] = "null";
	int n;

	os_format_iso8601(stamp, sizeof(stamp), real_ns);
	if (why)
		snprintf(reason, sizeof(reason), "\"%s\"", why);
	/* Run names are [A-Za-z0-9._-] only, so they need no escaping. */
	n = snprintf(buf, len,
		     "{\"time\":\"%s\",\"run\":\"%s\",\"task\":%u,"
		     "\"event\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"reason\":%s%s}\n",
		     stamp, run, id, event, os_state_name(from), os_state_name(to), reason, extra);
	return (n > 0 && (size_t)n < len) ? (size_t)n : 0;
}

size_t os_event_format(char *buf, size_t len, int64_t real_ns, const char *run,
		       uint32_t id, enum os_event event, uint32_t from, uint32_t to,
		       uint32_t reason)
{
	return format_line(buf, len, real_ns, run, id, os_event_name(event), from, to,
			   reason != OS_REASON_NONE ? os_reason_name(reason) : NULL, "");
}

void os_event_note(struct os_table *t, uint32_t id, const char *event, uint32_t state,
		   const char *why, const char *extra)
{
	char line[1024];
	size_t n;

	if (t->events_fd < 0)
		return;
	n = format_line(line, sizeof(line), os_now_real_ns(), t->hdr->name, id, event, state,
			state, why, extra);
	if (n && write(t->events_fd, line, n) < 0)
		t->events_fd_errors++;
}

const char *os_wait_name(uint32_t why)
{
	static const char *const names[OS_WAIT_COUNT] = { NULL, "read", "bell", "pattern" };

	return why < OS_WAIT_COUNT ? names[why] : NULL;
}

/* One write(2) per line on an O_APPEND file: lines from many writers never
 * interleave.  The log is a convenience; the table stays the truth, so a
 * failed append is not an error of the transition. */
static void append_event(struct os_table *t, uint32_t id, enum os_event event,
			 uint32_t from, uint32_t to, uint32_t reason)
{
	char line[320];
	size_t n = os_event_format(line, sizeof(line), os_now_real_ns(), t->hdr->name,
				   id, event, from, to, reason);

	if (n && write(t->events_fd, line, n) < 0)
		t->events_fd_errors++;
}
