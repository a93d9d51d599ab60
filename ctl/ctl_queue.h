/*
 * ctl_queue.h: oneshot-ctl's side of a queue run's endpoint (add, close).
 */
#ifndef ONESHOT_CTL_QUEUE_H
#define ONESHOT_CTL_QUEUE_H

#include "ctl/ctl.h"
#include "steer/queue.h"

struct ctl_queue {
	const char *name;
	uid_t uid;
	struct os_table table;
	struct os_gen gen;
	int fd;
};

/* Find run -n NAME; exit 1 with one line unless it is a live queue that
 * takes tasks. */
void ctl_queue_open(const struct ctl_opts *o, struct ctl_queue *q);

/* Connect to its endpoint, checked to be its supervisor's: 0 or -errno
 * (exits 1 when the queue was closed meanwhile). */
int ctl_queue_connect(struct ctl_queue *q);

/* One record: M's head, and for an ADD the M->a bytes of CMD.  0 or -errno. */
int ctl_queue_send(struct ctl_queue *q, const struct queue_msg *m, const char *cmd);

/* The one reply: 0, -ETIMEDOUT, -ECONNRESET (closed without one),
 * -EPROTO or -errno. */
int ctl_queue_reply(struct ctl_queue *q, struct queue_msg *m);

/*
 * The whole exchange: N ADDs (CMDS, LENS) and a COMMIT, or with N = 0 a
 * CLOSE; the reply in *M.  A BUSY reply (every client place taken) is
 * tried again for up to 10 s; one still BUSY after that is returned as it
 * is.  0, or -errno, with *SENT set when the request went out whole (its
 * fate is then unknown).
 */
int ctl_queue_request(struct ctl_queue *q, uint32_t n, char *const *cmds, const uint32_t *lens,
		      struct queue_msg *m, int *sent);

void ctl_queue_close(struct ctl_queue *q);

#endif
