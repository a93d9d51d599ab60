/*
 * table.h: the run table, oneshot's one shared data structure.
 *
 * One POSIX shared-memory object per run holds a header page, a fixed array
 * of fixed-size slots (one per task) and a string area with every task's
 * full command line and the log directory.  The layout is a wire format: only
 * fixed-width fields and offsets, pinned below with static_assert, so any
 * build of the tools can check and read any table.  Writers are the
 * supervisor and its workers; readers never write.
 */
#ifndef ONESHOT_SHM_TABLE_H
#define ONESHOT_SHM_TABLE_H

#include <assert.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define OS_TABLE_MAGIC    UINT64_C(0x31544f4853454e4f) /* "ONESHOT1" LE */
#define OS_TABLE_VERSION  1u
#define OS_HEADER_SIZE    4096u
#define OS_SLOT_SIZE      256u
#define OS_NAME_MAX       64u     /* run name, without the NUL */
#define OS_CMD_MAX        131071u /* longest task line: Linux MAX_ARG_STRLEN-1 */
#define OS_SLOTS_MAX      10000000u
#define OS_CAP_MAX        4096u
#define OS_MESSAGE_WORDS  12u     /* slot message: 96 bytes, NUL included */
#define OS_MESSAGE_MAX    (OS_MESSAGE_WORDS * 8u)

/* Task states; values are part of the wire format. */
enum os_state {
	OS_CREATED = 0,
	OS_RUNNING = 1,
	OS_IDLE = 2,
	OS_INTERRUPTED = 3,
	OS_COMPLETED = 4,
	OS_FAILED = 5,
	OS_STATE_COUNT = 6
};

/* Why a task was interrupted or failed without an exit status of its own. */
enum os_reason {
	OS_REASON_NONE = 0,
	OS_REASON_TIMEOUT = 1,         /* --timeout */
	OS_REASON_IDLE_TIMEOUT = 2,    /* --idle-timeout */
	OS_REASON_SHUTDOWN = 3,        /* supervisor got SIGTERM/SIGINT */
	OS_REASON_SIGNAL = 4,          /* the worker got SIGTERM from someone */
	OS_REASON_SUPERVISOR_LOST = 5, /* the supervisor died */
	OS_REASON_WORKER_LOST = 6,     /* the worker died before recording */
	OS_REASON_SETUP = 7,           /* PTY, log file or spawn failed */
	OS_REASON_OPERATOR = 8,        /* oneshot-ctl interrupt */
	OS_REASON_WAITING_TIMEOUT = 9, /* --waiting-timeout */
	OS_REASON_COUNT = 10
};

/* What shows that a silent task waits for input (the slot's waiting_why). */
enum os_wait {
	OS_WAIT_NONE = 0,
	OS_WAIT_READ = 1,      /* the kernel: blocked reading its terminal */
	OS_WAIT_BELL = 2,      /* it rang the bell or sent a notification */
	OS_WAIT_PATTERN = 3,   /* its last line matches a --prompt */
	OS_WAIT_COUNT = 4
};

/* Bits of the header's flags. */
#define OS_RUN_CRLF 1u   /* --crlf: the transcripts hold CR LF, not bare LF */
#define OS_RUN_QUEUE 2u  /* --queue: tasks are added while it runs, slots reused */

/*
 * A queue's table (OS_RUN_QUEUE) is a window on its tasks.  Its string area
 * is the log directory, padded to a page, then one box of OS_QUEUE_BOX bytes
 * per slot holding that slot's command: a slot is reused for a new task
 * (os_slot_reuse), id, command and all, inside one write section, so a
 * reader's snapshot sees the old task or the new one, never a mix.  The
 * area is sparse: only the pages commands touch are ever allocated.  Slot
 * ids are unique but in no order; 0 marks a slot never used.  The header's
 * counts are the run's totals (a reused slot's old task stays counted).
 */
#define OS_QUEUE_BOX  (OS_CMD_MAX + 1u)
#define OS_QUEUE_SIZE_MAX 1000000u

/* Run states, in the header. */
enum os_run_state {
	OS_RUN_STARTING = 0, /* table being filled, not yet valid */
	OS_RUN_ACTIVE = 1,   /* admitting and running tasks */
	OS_RUN_STOPPING = 2, /* signalled: interrupting, admitting nothing */
	OS_RUN_DONE = 3      /* every worker reaped, exit_status final */
};

/*
 * One task.  Fields marked (seq) change while readers look and are written
 * only between os_slot_write_begin/end, by one writer at a time: the worker
 * while it lives, the supervisor before fork and after reaping it.  Fields
 * marked (const) are written before the table is published.  The field
 * marked (req) is the supervisor's only write while a worker lives: one
 * atomic word, set at most once (os_slot_request_interrupt in state.h).
 */
struct os_slot {
	_Atomic uint32_t seq;          /* seqlock: odd while being written */
	_Atomic uint32_t state;        /* enum os_state; CAS only, in state.c */
	uint32_t id;                   /* (const) task number, strictly increasing */
	_Atomic uint32_t reason;       /* (seq) enum os_reason */
	_Atomic int32_t worker_pid;    /* (seq) 0 until forked */
	_Atomic int32_t task_pid;      /* (seq) 0 until spawned; also its pgid */
	_Atomic int32_t exit_code;     /* (seq) -1 until it exited normally */
	_Atomic int32_t term_signal;   /* (seq) 0, or the signal that killed it */
	_Atomic int64_t start_real_ns; /* (seq) CLOCK_REALTIME at start */
	_Atomic int64_t end_real_ns;   /* (seq) CLOCK_REALTIME at the end */
	_Atomic int64_t start_mono_ns; /* (seq) CLOCK_MONOTONIC at start */
	_Atomic int64_t end_mono_ns;   /* (seq) CLOCK_MONOTONIC at the end */
	_Atomic int64_t output_mono_ns;/* (seq) CLOCK_MONOTONIC of last output */
	_Atomic uint64_t output_bytes; /* (seq) bytes read from the terminal */
	_Atomic uint32_t attempt;      /* (seq) 1, then +1 per retry (supervisor) */
	uint32_t cmd_len;              /* (const) command length, no NUL */
	uint64_t cmd_off;              /* (const) offset of the command in the table */
	_Atomic uint64_t message[OS_MESSAGE_WORDS]; /* (seq) NUL-terminated text */
	/* (req) enum os_reason of an interrupt the supervisor asked for, or 0.
	 * Outside the seqlock: the supervisor sets it once, while the worker
	 * is the slot's writer, before it signals the task (state.h). */
	_Atomic uint32_t interrupt_request;
	/* (seq) the task's window now, rows << 16 | cols (the worker sets it
	 * at start and when an attached client resizes it); 0 before. */
	_Atomic uint32_t winsize;
	/* (seq) the name of the task's steering endpoint (worker/steer.c),
	 * random; 0 while it has none.  Only readers of the table (its owner
	 * and root) can learn it. */
	_Atomic uint64_t steer_key[2];
	/* (seq) since when the task waits for input (CLOCK_MONOTONIC), 0 when
	 * it does not; the evidence (enum os_wait); while it waits, the
	 * message holds the prompt, the last line on its screen. */
	_Atomic int64_t waiting_mono_ns;
	_Atomic uint32_t waiting_why;
	/* (seq) the state whose events.jsonl line is written: behind the
	 * state word only while a transition is being logged, or when its
	 * maker died in between (os_slot_log_missing). */
	_Atomic uint32_t logged_state;
	uint64_t reserved[3];
};

/* The first page of the table. */
struct os_header {
	_Atomic uint64_t magic;        /* stored last, with release, on creation */
	uint32_t version;
	uint32_t header_size;
	uint32_t slot_size;
	uint32_t slot_count;
	uint32_t cap;
	int32_t supervisor_pid;        /* written before magic; see supervisor */
	_Atomic uint32_t run_state;    /* enum os_run_state */
	_Atomic int32_t exit_status;   /* -1 until the run is DONE */
	uint32_t owner_uid;
	uint32_t flags;                /* OS_RUN_CRLF */
	int64_t start_real_ns;
	_Atomic int64_t end_real_ns;
	int64_t start_mono_ns;
	_Atomic int64_t end_mono_ns;
	uint64_t table_size;           /* bytes in the whole object */
	uint64_t strings_off;          /* start of the string area */
	uint64_t strings_size;
	_Atomic uint32_t counts[8];    /* tasks per enum os_state */
	uint32_t idle_after_ms;
	uint32_t idle_timeout_ms;      /* 0 = off */
	uint32_t timeout_ms;           /* 0 = off */
	uint32_t grace_ms;
	char name[72];                 /* run name, NUL-terminated */
	uint64_t logdir_off;           /* log directory path in the string area */
	uint32_t logdir_len;
	uint32_t retries;              /* --retries: attempts = 1 + this at most */
	uint16_t pty_rows, pty_cols;   /* --pty-size: each task's window at start */
	unsigned char reserved1[12];
	union {
		sem_t sem;
		unsigned char bytes[64];
	} cap_tokens;                  /* process-shared; see supervisor/admit */
	/* OS_RUN_QUEUE only (0 in a batch's table): */
	_Atomic uint32_t queue_open;   /* 1 while `oneshot-ctl add` is taken:
					* from when the endpoint listens */
	_Atomic uint32_t next_id;      /* the id the next added task gets */
	_Atomic uint64_t queue_key[2]; /* the supervisor's endpoint name, 0 before */
};

static_assert(sizeof(struct os_slot) == OS_SLOT_SIZE, "slot size is wire format");
static_assert(offsetof(struct os_slot, state) == 4, "slot layout");
static_assert(offsetof(struct os_slot, start_real_ns) == 32, "slot layout");
static_assert(offsetof(struct os_slot, output_bytes) == 72, "slot layout");
static_assert(offsetof(struct os_slot, cmd_off) == 88, "slot layout");
static_assert(offsetof(struct os_slot, message) == 96, "slot layout");
static_assert(offsetof(struct os_slot, interrupt_request) == 192, "slot layout");
static_assert(offsetof(struct os_slot, winsize) == 196, "slot layout");
static_assert(offsetof(struct os_slot, steer_key) == 200, "slot layout");
static_assert(offsetof(struct os_slot, waiting_mono_ns) == 216, "slot layout");
static_assert(offsetof(struct os_header, counts) == 104, "header layout");
static_assert(offsetof(struct os_header, name) == 152, "header layout");
static_assert(offsetof(struct os_header, logdir_off) == 224, "header layout");
static_assert(offsetof(struct os_header, retries) == 236, "header layout");
static_assert(offsetof(struct os_header, pty_rows) == 240, "header layout");
static_assert(offsetof(struct os_header, cap_tokens) == 256, "header layout");
static_assert(offsetof(struct os_header, queue_open) == 320, "header layout");
static_assert(offsetof(struct os_header, queue_key) == 328, "header layout");
static_assert(sizeof(sem_t) <= 64, "semaphore must fit its field");
static_assert(sizeof(struct os_header) <= OS_HEADER_SIZE, "header fits a page");
static_assert(sizeof(_Atomic uint64_t) == 8 && sizeof(_Atomic uint32_t) == 4,
	      "atomics have plain widths");

/* A mapped table, as a writer or a reader holds it. */
struct os_table {
	struct os_header *hdr;
	struct os_slot *slots;
	size_t size;     /* bytes mapped */
	int fd;          /* the shm object; its OFD lock marks the run alive */
	int writable;
	int events_fd;   /* LOGDIR/events.jsonl for writers, or -1 */
	unsigned events_fd_errors; /* appends that failed */
};

/* Pointer to slot i (0-based) of a validated table. */
static inline struct os_slot *os_table_slot(const struct os_table *t, uint32_t i)
{
	return (struct os_slot *)((char *)t->slots + (size_t)i * OS_SLOT_SIZE);
}

/* Bytes a table with these sizes needs; 0 when it would overflow. */
size_t os_table_size_for(uint32_t slot_count, uint64_t strings_size);

/* A queue's string area: the log directory's page(s), then the boxes. */
uint64_t os_queue_logdir_room(uint32_t logdir_len);
static inline uint64_t os_queue_box_off(const struct os_header *h, uint32_t i)
{
	return h->strings_off + os_queue_logdir_room(h->logdir_len) + (uint64_t)i * OS_QUEUE_BOX;
}

/* Tasks of the run: the slots of a batch, the tasks added so far to a queue. */
uint32_t os_table_tasks(const struct os_header *h);

/*
 * Name of the shm object of run NAME owned by UID ("oneshot.UID.NAME"), as
 * given to shm_open (with the leading slash).  Returns 0 or -ENAMETOOLONG.
 */
int os_table_object_name(char *buf, size_t len, uid_t uid, const char *name);

/* 0 if NAME is a valid run name ([A-Za-z0-9._-], 1-64, no leading dot). */
int os_run_name_check(const char *name);

/*
 * What a writer asks for when creating a table: the strings are copied into
 * the table; cmds[i] has length cmd_lens[i].
 */
struct os_table_spec {
	const char *name;
	uint32_t slot_count;
	uint32_t cap;
	const char *const *cmds;
	const uint32_t *cmd_lens;
	const uint32_t *ids;   /* task numbers, increasing; NULL: 1..slot_count */
	uint32_t queue_size;   /* OS_RUN_QUEUE: slots; the first slot_count hold
				* the tasks given, the rest are unused */
	uint32_t next_id;      /* OS_RUN_QUEUE: the id the next added task gets */
	const uint32_t *attempts_before; /* attempts of an earlier run; NULL: none */
	const char *logdir;
	uint32_t idle_after_ms, idle_timeout_ms, timeout_ms, grace_ms;
	uint32_t retries;
	uint32_t flags;                    /* OS_RUN_CRLF, OS_RUN_QUEUE */
	uint16_t pty_rows, pty_cols;
};

/*
 * Create (or replace a dead run's) table for SPEC, lock it for this run's
 * lifetime and fill it; the table is published (magic stored) with
 * run_state ACTIVE.  Returns 0, -EBUSY if a live run holds the name, -EPERM
 * if an object of that name has the wrong owner, mode or type, or -errno.
 */
int os_table_create(const struct os_table_spec *spec, struct os_table *out);

/*
 * Map run NAME of UID read-only and validate it.  Returns 0, -ENOENT (no such
 * run), -EPERM (wrong owner/mode), -EPROTO (not a valid table; *why says
 * what is wrong), or -errno.
 */
int os_table_open(uid_t uid, const char *name, struct os_table *out, const char **why);

/* Unmap and close; safe on a zeroed table. */
void os_table_close(struct os_table *t);

/* 1 if a process of the run holds its lock, 0 if not, -errno on error. */
int os_table_is_live(const struct os_table *t);

/*
 * Check a mapping of SIZE bytes at BASE: magic, version, sizes, bounds of
 * every offset.  Returns NULL when valid, otherwise a static reason.
 */
const char *os_table_validate(const void *base, size_t size);

/*
 * What os_table_open checks: the same, but for a queue's table the header
 * alone; a reader checks each queue slot with os_queue_slot_check before it
 * reads it (slots are reused under it anyway).
 */
const char *os_table_validate_open(const void *base, size_t size);

/* Slot I of a queue's validated header H: NULL, or what is wrong with it. */
const char *os_queue_slot_check(const struct os_header *h, uint32_t i);

/* The command of slot S, or NULL if its offsets are out of bounds. */
const char *os_slot_command(const struct os_table *t, const struct os_slot *s, uint32_t *len);

/* The run's log directory (NUL-terminated in the table) or NULL. */
const char *os_table_logdir(const struct os_table *t);

#endif
