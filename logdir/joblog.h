/*
 * joblog.h: LOGDIR/joblog, GNU parallel's --joblog columns with State and
 * Attempt before Command: its one writer (joblog.c, the supervisor) and its
 * one reader (joblog_read.c: --resume and oneshot-ps --merge).
 */
#ifndef ONESHOT_LOGDIR_JOBLOG_H
#define ONESHOT_LOGDIR_JOBLOG_H

#include <stddef.h>
#include <stdint.h>

#include "shm/slot.h"

/*
 * The header line, without its newline.  Reason ("-", or why a task was
 * interrupted or failed without an exit status: "timeout", "operator",
 * "worker-lost", ...) came in with oneshot-ctl; a job log begun before it
 * has the first layout, and lines appended to it keep that layout.
 */
#define JOBLOG_HEADER \
	"Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tState\tAttempt\t" \
	"Reason\tCommand"
#define JOBLOG_HEADER_V1 \
	"Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tState\tAttempt\tCommand"
/* GNU parallel's own (--joblog): nine columns, no State.  A line of it
 * says COMPLETED when Exitval and Signal are 0, FAILED otherwise: the
 * format cannot tell an interrupted task from a failed one. */
#define JOBLOG_HEADER_PARALLEL \
	"Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand"

/* The layouts a job log can have, by its header. */
enum joblog_layout {
	JOBLOG_V1 = 1,   /* no Reason column */
	JOBLOG_V2 = 2,   /* JOBLOG_HEADER */
	JOBLOG_PARALLEL = 3, /* JOBLOG_HEADER_PARALLEL: written by GNU parallel */
};

/* Write the header line of a new job log. */
int joblog_start(int fd);

/* Append the line of one finished task (one write), in LAYOUT (the one of
 * the file's header: a job log --resume appends to may be older). */
int joblog_append(int fd, enum joblog_layout layout, const struct os_slot_view *v,
		  const char *cmd, uint32_t cmd_len);

/* One job-log line as read back. */
struct joblog_line {
	uint32_t seq, state, attempt, reason;
	int exit_code, term_signal;
	int64_t start_ns, runtime_ns; /* Starttime (realtime), JobRuntime */
	int64_t end_ns;       /* start_ns + runtime_ns, saturated (a job log
			       * may be anyone's: never wrapped) */
	uint64_t received;    /* Receive: bytes of output */
	const char *head;     /* Starttime ... Attempt, as written */
	size_t head_len;
	const char *cmd;      /* Command (may hold tabs) */
	size_t cmd_len;
};

/*
 * Parse one job-log LINE (no newline, LEN bytes) of a job log in LAYOUT
 * into OUT; every field is checked, not only the ones returned.  OUT's
 * pointers point into LINE.  Returns 0, or -EINVAL with *WHY saying what
 * is wrong.
 */
int joblog_line_parse(const char *line, size_t len, enum joblog_layout layout,
		      struct joblog_line *out, const char **why);

/*
 * The last line of task ID in DIRFD's job log, as the slot of the task
 * showed at its end (times from Starttime and JobRuntime), and its command
 * in a malloc'd *CMD (free it).  Reads the whole file: for a queue's task
 * whose slot was reused, looked up once.  Returns 0, -ENOENT (no line for
 * ID, or no job log) or -errno.
 */
int joblog_find(int dirfd, uint32_t id, struct os_slot_view *v, char **cmd, uint32_t *cmd_len);

/*
 * The same for a line of a job log whose header says FILE_LAYOUT but that
 * another tool may have appended to (GNU parallel appends its nine columns
 * to our job log, and we ours, in its layout, to its): the file's own
 * layout first, then the other two.  Returns the layout the line is in
 * (OUT filled), or -EINVAL with *WHY from the file's layout.
 */
int joblog_line_parse_mixed(const char *line, size_t len, enum joblog_layout file_layout,
			    struct joblog_line *out, const char **why);

/* The layout whose header LINE (LEN bytes, no newline) is, or 0. */
int joblog_header_layout(const char *line, size_t len);

#endif
