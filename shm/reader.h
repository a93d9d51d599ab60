/*
 * reader.h: how a reader (oneshot-ps, oneshot-ctl) reaches a run's table: finding run objects under
 * /dev/shm, mapping them read-only behind a SIGBUS guard, and copying a
 * consistent private snapshot that every printer then works from.  Nothing
 * here writes to a table or waits on a writer; functions return 0 or -errno
 * and never print.
 */
#ifndef ONESHOT_PS_RUN_H
#define ONESHOT_PS_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shm/slot.h"
#include "shm/table.h"

#define OS_SHM_DIR "/dev/shm"

/* --- reader_guard.c: surviving a table truncated under the reader --------- */

/* Install the SIGBUS handler; call once at the top of main. */
int os_guard_install(void);

/*
 * Call FN(ARG) so that a SIGBUS raised while it reads a mapping makes this
 * return -EFAULT instead of killing the process.  FN must touch mappings
 * only with plain loads and memcpy, never while inside stdio, malloc or any
 * other code that holds a lock (the jump abandons FN's frame).
 */
int os_guard_call(int (*fn)(void *), void *arg);

/* --- reader_find.c: run objects---------------------------------------- */

struct os_run_obj {
	uid_t uid;
	char name[OS_NAME_MAX + 1];
};

/*
 * Parse a /dev/shm entry "oneshot.UID.NAME" (UID decimal, NAME a valid run
 * name that may contain dots).  Returns 0 or -EINVAL.
 */
int os_objname_parse(const char *entry, uid_t *uid, char *name);

/*
 * Every run object in DIR, of UID only unless ALL, sorted by uid then name,
 * in a malloc'd array (free it).  Returns 0 or -errno.
 */
int os_find_runs(const char *dir, uid_t uid, int all, struct os_run_obj **out, size_t *n);

/*
 * Owner of run NAME: *UID on entry is the uid to try first; when that has no
 * such run and ANY_UID is set, the one other owner that has one.  Returns 0,
 * -ENOENT (nobody has it) or -ENOTUNIQ (several owners; *UID gets one).
 */
int os_find_owner(const char *dir, const char *name, int any_uid, uid_t *uid);

/* USER (a uid, or a name in the password database) as *UID: 0 or -ENOENT. */
int os_user_parse(const char *text, uid_t *uid);

/* --- reader_snap.c: private snapshots--------------------------------- */

/* One task as copied from its slot. */
struct os_task {
	struct os_slot_view v;
	int busy;          /* a writer held the slot: only id and state known */
	uint32_t cmd_len;
	size_t cmd_pos;    /* the command is run->strings + cmd_pos */
	uint32_t slot;     /* its slot's index */
	int logged;        /* not in the table: read from the job log (a
			    * queue's slot reused), slot is meaningless */
};

/* What a snapshot copies. */
enum {
	OS_LOAD_COUNTS = 1, /* count the states of the slots */
	OS_LOAD_TASKS = 2,  /* copy every slot and command (implies counts) */
};

/* A run as one consistent private copy. */
struct os_run {
	char name[OS_NAME_MAX + 1];
	uid_t uid;
	int32_t supervisor_pid;
	int alive;                        /* a process of the run holds its lock */
	uint32_t run_state;               /* enum os_run_state */
	int32_t exit_status;              /* meaningful when run_state is DONE */
	uint32_t cap, total;              /* total: tasks of the run (a queue:
					   * added so far) */
	uint32_t ntasks;                  /* entries in tasks: total, or for a
					   * queue the tasks its table holds now,
					   * in id order */
	int queue;                        /* a queue (--queue) */
	int queue_open;                   /* it takes new tasks */
	uint32_t next_id;                 /* a queue's next id: ids below it
					   * were given out */
	uint32_t slots;                   /* the table's slots */
	int tokens_free;                  /* -1 when not known */
	uint32_t counts[OS_STATE_COUNT];  /* from the slots' state words (a
					   * queue's from its header: all its
					   * tasks, not only the table's) */
	int64_t start_real_ns, end_real_ns, start_mono_ns, end_mono_ns;
	uint32_t idle_after_ms, idle_timeout_ms, timeout_ms, grace_ms;
	uint32_t retries;                 /* --retries: attempts are 1..retries+1 */
	char *logdir;                     /* malloc'd, or NULL when unreadable */
	struct os_task *tasks;            /* ntasks entries with OS_LOAD_TASKS */
	char *strings;                    /* copy of the string area */
	size_t strings_len;
	int64_t now_real_ns, now_mono_ns; /* when the copy was finished */
};

/* What tells one run from the next one under the same name. */
struct os_gen {
	int64_t start_real_ns, start_mono_ns;
	int32_t supervisor_pid;
};

/*
 * Map run NAME of UID read-only and validate it, behind the guard, retrying
 * a few times over a table that is being created or replaced.  Returns 0,
 * -ENOENT, -EACCES or -EPERM (not the caller's), -EPROTO (invalid; *WHY
 * says why), or -errno.  *GEN gets the run's identity.
 */
int os_run_open(uid_t uid, const char *name, struct os_table *t, struct os_gen *gen,
		const char **why);

/*
 * Copy table T (opened by os_run_open for UID/NAME with identity GEN) into
 * R according to FLAGS.  Returns 0, -ESTALE (the table was replaced or
 * truncated while being read; *WHY says so), -EPROTO (a field out of range;
 * *WHY), or -ENOMEM.  R is cleared first; free it with os_run_free.
 */
int os_run_load(const struct os_table *t, uid_t uid, const char *name,
		const struct os_gen *gen, unsigned flags, struct os_run *r, const char **why);

/* os_run_open + os_run_load + close, retrying a replaced table. */
int os_run_snapshot(uid_t uid, const char *name, unsigned flags, struct os_run *r,
		    const char **why);

void os_run_free(struct os_run *r);

/* State of a run's header as a waiter polls it. */
struct os_status {
	uint32_t run_state;
	int32_t exit_status;
	int alive;
};

/*
 * Read T's run state, exit status and liveness behind the guard.  Returns
 * 0, or -ESTALE when T no longer holds the run GEN (replaced or truncated).
 */
int os_run_status(const struct os_table *t, const struct os_gen *gen, struct os_status *st);

/*
 * Snapshot of task ID (its number, as oneshot-ps shows it) of table T, the
 * run GEN, behind the guard; *INDEX (unless NULL) gets its slot's index.
 * Returns 0, -ENOENT (no such task), -ESTALE (T no longer holds GEN) or
 * -EAGAIN (a writer held the slot too long).
 */
int os_run_task(const struct os_table *t, const struct os_gen *gen, uint32_t id,
		struct os_slot_view *v, uint32_t *index);

/* Nanoseconds task K has been running (to its end if over), or -1. */
int64_t os_task_elapsed(const struct os_run *r, const struct os_task *k);

/* Nanoseconds since task K last wrote output (or started), or -1. */
int64_t os_task_silent(const struct os_run *r, const struct os_task *k);

/* Nanoseconds the run has been going (to its end if DONE), or -1. */
int64_t os_run_elapsed(const struct os_run *r);

/* Tokens in use: cap minus free tokens, or -1 when not known. */
int os_run_jobs_in_use(const struct os_run *r);

#endif
