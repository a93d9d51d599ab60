/*
 * slot.h: seqlock access to a slot's changing fields.  A writer brackets its
 * stores with os_slot_write_begin/end; a reader copies a slot with
 * os_slot_snapshot, which never waits on a writer and never writes.
 */
#ifndef ONESHOT_SHM_SLOT_H
#define ONESHOT_SHM_SLOT_H

#include "shm/table.h"

/* A private, consistent copy of one slot. */
struct os_slot_view {
	uint32_t id, state, reason, attempt;
	int32_t worker_pid, task_pid, exit_code, term_signal;
	int64_t start_real_ns, end_real_ns, start_mono_ns, end_mono_ns, output_mono_ns;
	uint64_t output_bytes;
	uint32_t winsize;             /* rows << 16 | cols, 0 before the start */
	uint64_t steer_key[2];
	int64_t waiting_mono_ns;      /* 0: not waiting for input */
	uint32_t waiting_why;         /* enum os_wait */
	char message[OS_MESSAGE_MAX];
};

/* Open a write section; a section left open by a dead writer is taken over. */
void os_slot_write_begin(struct os_slot *s);
/* Close the write section opened by os_slot_write_begin. */
void os_slot_write_end(struct os_slot *s);

/* Set the slot's message (inside a write section); cut to fit, NUL-terminated. */
void os_slot_set_message(struct os_slot *s, const char *text);

/* Stamp the task's end (both clocks) and, unless MESSAGE is NULL, why;
 * inside a write section, before the terminal transition. */
void os_slot_set_end(struct os_slot *s, const char *message);

/*
 * Copy slot S into OUT.  Retries while a writer is inside its section and
 * gives up after a bounded number of tries with -EAGAIN (a writer died
 * mid-section or is stopped there).  Returns 0 on a consistent copy.
 */
int os_slot_snapshot(const struct os_slot *s, struct os_slot_view *out);

/*
 * The same, and the slot's command into CMD (room for OS_CMD_MAX + 1
 * bytes; *LEN gets its length), from the same moment: for a queue's table,
 * whose slots get new tasks.  T's offsets must be validated (a queue's
 * boxes are fixed: os_table_validate checks them).
 */
int os_slot_snapshot_command(const struct os_table *t, const struct os_slot *s,
			     struct os_slot_view *out, char *cmd, uint32_t *len);

#endif
