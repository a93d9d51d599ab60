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

/* The header line, without its newline. */
#define JOBLOG_HEADER \
	"Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tState\tAttempt\tCommand"

/* Write the header line of a new job log. */
int joblog_start(int fd);

/* Append the line of one finished task (one write). */
int joblog_append(int fd, const struct os_slot_view *v, const char *cmd, uint32_t cmd_len);

/* One job-log line as read back. */
struct joblog_line {
	uint32_t seq, state, attempt;
	int exit_code, term_signal;
	const char *rest;     /* Starttime ... Command, as written */
	size_t rest_len;
	const char *cmd;      /* Command (may hold tabs) */
	size_t cmd_len;
};

/*
 * Parse one job-log LINE (no newline, LEN bytes) into OUT; every field is
 * checked, not only the ones returned.  OUT's pointers point into LINE.
 * Returns 0, or -EINVAL with *WHY saying what is wrong.
 */
int joblog_line_parse(const char *line, size_t len, struct joblog_line *out, const char **why);

/* 1 if LINE (LEN bytes, no newline) is the header line. */
int joblog_is_header(const char *line, size_t len);

#endif
