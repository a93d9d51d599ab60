/*
 * waiting.h: does a silent task wait for an answer?  Asked only of a task
 * that has been silent for --idle-after, at most once per
 * max(--idle-after, 1 s), never on the output path (but for one memchr
 * for BEL per read).  The evidence, strongest first (enum os_wait):
 *
 *   read     the kernel says a process of the terminal's foreground
 *            process group is blocked reading the task's terminal: in
 *            read(2) on it, or in select/poll with it among the fds it
 *            waits to read (/proc/PID/syscall, /proc/PID/fd, and for
 *            select/poll the fd set from /proc/PID/mem: the worker is the
 *            task's ancestor, so the kernel lets it look);
 *   bell     the task rang the bell (BEL outside an OSC string) or sent a
 *            desktop notification (OSC 9, OSC 777;notify, ended by BEL) in
 *            its last second of output;
 *   pattern  the last non-blank line of its screen matches a --prompt.
 */
#ifndef ONESHOT_WORKER_WAITING_H
#define ONESHOT_WORKER_WAITING_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shm/table.h"

/* A --prompt REGEX, compiled once by the supervisor. */
struct worker_prompt {
	regex_t re;
	const char *text;
};

/* An --answer REGEX=TEXT: TEXT and Enter typed when the prompt matches. */
struct worker_answer {
	regex_t re;
	const char *text;
};

struct worker_waiting {
	const char *slave_path;      /* the task's terminal, /dev/pts/N */
	int master;
	pid_t task_pid;
	int64_t bell_ns;             /* CLOCK_MONOTONIC of the last bell, 0: none */
	const struct worker_prompt *prompts;
	uint32_t nprompts;
	const struct worker_answer *answers;
	uint32_t nanswers;
	uint32_t answer_limit;       /* answers typed per task at most */
	uint32_t answered;           /* typed so far */
};

/* The answer for PROMPT, if one matches and the limit is not reached:
 * counted as typed.  NULL otherwise. */
const struct worker_answer *worker_waiting_answer(struct worker_waiting *w, const char *prompt);

/* Note output: a bell or notification in the LEN bytes at BUF. */
void worker_waiting_output(struct worker_waiting *w, const char *buf, size_t len, int64_t now);

/*
 * The evidence that the task waits for input, OS_WAIT_NONE if there is
 * none; LAST_OUTPUT_NS is when it last wrote, LOGDIR_FD/NAME its transcript
 * (complete: the caller flushed it), ROWS x COLS its window.  PROMPT gets
 * the last non-blank line of its screen (NUL-terminated, LEN bytes).
 */
uint32_t worker_waiting_probe(const struct worker_waiting *w, int64_t last_output_ns,
			      int logdir_fd, const char *name, uint16_t rows, uint16_t cols,
			      char *prompt, size_t len);

/* waiting_proc.c: 1 if a process of the foreground group of the task's
 * terminal is blocked reading it. */
int worker_waiting_reading(const struct worker_waiting *w);

#endif
