/*
 * loop.h: the worker's io_uring event loop, from a spawned task to its end.
 */
#ifndef ONESHOT_WORKER_LOOP_H
#define ONESHOT_WORKER_LOOP_H

#include <sys/types.h>

#include "worker/worker.h"

/* What the loop starts from: everything set up, the task running. */
struct loop_start {
	const struct worker_config *cfg;
	struct os_slot *slot;
	int master;     /* PTY master, O_NONBLOCK */
	int logfd;      /* transcript */
	int sigfd;      /* signalfd for SIGCHLD and SIGTERM */
	pid_t task_pid;
	const char *slave_path; /* the task's terminal */
	const char *log_name;   /* the transcript's name in cfg->logdir_fd */
};

/*
 * Run until the task is reaped, its terminal drained and its transcript
 * written; record the end in the slot.  Returns 0, or -errno if the ring
 * could not be set up or failed (the caller records that as a failure).
 */
int worker_loop_run(const struct loop_start *start);

#endif
