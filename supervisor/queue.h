/*
 * queue.h: a queue run (--queue): the endpoint `oneshot-ctl add` and
 * `close` talk to (wire format: steer/queue.h), the tasks waiting for a
 * token, and the reuse of finished tasks' slots.
 *
 * A queue's table has --queue-size slots.  An added task takes a free slot
 * (one never used, or the one whose task ended longest ago: its end is in
 * the job log and its worker reaped), so the table and the supervisor's
 * memory stay the same size however many tasks pass through; an add that
 * finds as many unfinished tasks as slots is refused (QUEUE_FULL).  Each
 * task's command is kept in the supervisor's memory only while the task
 * holds its slot.
 */
#ifndef ONESHOT_SUPERVISOR_QUEUE_H
#define ONESHOT_SUPERVISOR_QUEUE_H

#include <poll.h>
#include <stdint.h>

#include "steer/queue.h"

struct run;

struct queue_client {
	int fd;                  /* -1: unused */
	int64_t deadline_ns;
	uint32_t staged;         /* ADD records taken, not yet committed */
	uint64_t staged_bytes;
	char **cmds;             /* staged commands, malloc'd */
	uint32_t *lens;
	uint32_t room;
	int committed;           /* its COMMIT came: answered after this round */
};

/* A FIFO of slot indices, at most the table's slots. */
struct slot_fifo {
	uint32_t *at, head, count, size;
};

struct queue {
	int on;                  /* --queue */
	int listen_fd;           /* -1 once closed */
	int file_fd;             /* LOGDIR/queue */
	uint32_t unfinished;     /* tasks holding a slot until their end is logged */
	struct slot_fifo pending;/* added, waiting for a token */
	struct slot_fifo free;   /* slots to give to the next tasks added */
	struct queue_client clients[QUEUE_CLIENTS];
	unsigned char *rx;       /* one record: a head and the longest command */
};

/*
 * Set up R's queue once its table exists: the first TASKS slots hold the
 * tasks the run starts with (task file, or the queue file on --resume),
 * CMDS/LENS their commands (copied).  FILE_FD is LOGDIR/queue.  Binds the
 * endpoint and publishes its key.  Returns 0 or -errno.
 */
int queue_start(struct run *r, int file_fd, uint32_t tasks, char *const *cmds,
		const uint32_t *lens);

/* 1 if a task waits for a token. */
int queue_has_pending(const struct run *r);
/* The slot of the next task to start (queue_has_pending first). */
uint32_t queue_peek(const struct run *r);
/* That task got its worker. */
void queue_take(struct run *r);

/* Slot I's task ended for good (its job-log line is written and no retry
 * follows): its command is freed and the slot can take a new task. */
void queue_slot_done(struct run *r, uint32_t i);

/* 1 while the queue takes tasks (not closed, not stopping). */
int queue_open(const struct run *r);
/* Take nothing more (close, or the run stops): the endpoint goes away. */
void queue_close(struct run *r);

/* The endpoint's fds into P (at most 1 + QUEUE_CLIENTS); how many. */
unsigned queue_poll_fill(const struct run *r, struct pollfd *p);
/* Serve what P (as filled) says is ready and cut off clients past their
 * deadline; returns the next deadline, 0 for none. */
int64_t queue_serve(struct run *r, const struct pollfd *p, unsigned n, int64_t now);

/* The fds a forked worker must close. */
unsigned queue_fds(const struct run *r, int *fds);

void queue_free(struct run *r);

#endif
