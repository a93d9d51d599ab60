/*
 * steer.h: a task's steering endpoint, served from the worker's ring
 * (steer/proto.h has the wire format and why it looks so).  Nothing exists
 * until a client asks with SIGUSR1: a task nobody steers costs one more
 * signal in the worker's signalfd mask.
 */
#ifndef ONESHOT_WORKER_STEER_H
#define ONESHOT_WORKER_STEER_H

#include <liburing.h>
#include <stdint.h>
#include <sys/types.h>

#include "shm/table.h"
#include "steer/proto.h"

/* Clients at once; one more is accepted and closed at once. */
#define WORKER_STEER_CLIENTS 8
/* A client must say hello within this long. */
#define WORKER_STEER_HELLO_MS 2000
/* Resizes a client may send per second before it is cut off. */
#define WORKER_STEER_RESIZES_PER_S 64

/* The loop's ops for the endpoint start here (user_data: op | client << 8). */
enum {
	WORKER_OP_STEER_ACCEPT = 16,
	WORKER_OP_STEER_RECV,
	WORKER_OP_STEER_TIMEOUT,
};

struct worker_steer_client {
	int fd;                      /* -1: free */
	int greeted;                 /* the hello was answered */
	uint32_t flags;              /* STEER_F_* of its hello */
	unsigned char buf[STEER_MSG_SIZE + 1]; /* +1: a longer record shows */
	int64_t window_ns;           /* start of its current second of resizes */
	unsigned resizes;
	struct __kernel_timespec hello_ts;
};

struct worker_steer {
	struct io_uring *ring;
	int listen_fd;               /* -1 until asked for, and after the end */
	int master;                  /* the PTY master */
	struct os_slot *slot;
	uid_t owner;
	uint16_t rows, cols;         /* the window the run gives its tasks */
	uint16_t cur_rows, cur_cols; /* the window now */
	unsigned resizers;           /* clients sizing the window */
	struct worker_steer_client clients[WORKER_STEER_CLIENTS];
};

/* loop.c: an SQE of RING, submitting what is queued when it is full. */
struct io_uring_sqe *worker_sqe(struct io_uring *ring);

/* Set up (nothing is opened) and record the window in the slot. */
void worker_steer_init(struct worker_steer *s, struct io_uring *ring, int master,
		       struct os_slot *slot, uint16_t rows, uint16_t cols);

/* A client asked (SIGUSR1 from PID): open the endpoint if it is not open. */
void worker_steer_open(struct worker_steer *s);

/* The task has ended: nothing more is accepted. */
void worker_steer_close(struct worker_steer *s);

/* A completion of one of the endpoint's ops. */
void worker_steer_handle(struct worker_steer *s, uint64_t data, int res);

#endif
