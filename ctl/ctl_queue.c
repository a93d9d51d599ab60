/*
 * ctl_queue.c: the client's side of a queue's endpoint (steer/queue.h):
 * find it from the run's header, check that the supervisor the table
 * names serves it, send one request, read the one reply.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_queue.h"
#include "shm/util.h"

#define REPLY_MS 30000 /* the reply waits for an fdatasync: a slow disk */
#define BUSY_MS 10000  /* every client place taken: try again this long (a
			* stalled client holds one for 10 s at most) */
#define SEND_BUF (QUEUE_HEAD_SIZE + QUEUE_CMD_MAX + 4096)

static noreturn void not_open(const struct ctl_queue *q)
{
	const struct os_header *h = q->table.hdr;

	if (atomic_load(&h->run_state) != OS_RUN_ACTIVE)
		os_die(CTL_EXIT_FAILED, "run %s is %s: it takes no tasks", q->name,
		       atomic_load(&h->run_state) == OS_RUN_STOPPING ? "stopping" : "over");
	os_die(CTL_EXIT_FAILED, "run %s: the queue is closed", q->name);
}

void ctl_queue_open(const struct ctl_opts *o, struct ctl_queue *q)
{
	const struct os_header *h;
	int live;

	memset(q, 0, sizeof(*q));
	q->fd = -1;
	q->name = o->name;
	ctl_run_open(o, &q->uid, &q->table, &q->gen);
	h = q->table.hdr;
	if (!(h->flags & OS_RUN_QUEUE))
		os_die(CTL_EXIT_FAILED, "run %s is not a queue (started without --queue)", q->name);
	live = os_table_is_live(&q->table);
	if (live <= 0)
		os_die(CTL_EXIT_FAILED, "run %s is not running (its supervisor is gone)", q->name);
	if (!atomic_load(&h->queue_open) || atomic_load(&h->run_state) != OS_RUN_ACTIVE)
		not_open(q);
}

/* The peer must be the supervisor the table names, as the run's owner. */
static int peer_is_supervisor(int fd, const struct ctl_queue *q)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	return cred.pid == q->table.hdr->supervisor_pid && cred.uid == q->uid ? 0 : -EPERM;
}

int ctl_queue_connect(struct ctl_queue *q)
{
	const struct os_header *h = q->table.hdr;
	uint64_t key[2] = { atomic_load_explicit(&((struct os_header *)h)->queue_key[0],
						 memory_order_relaxed),
			    atomic_load_explicit(&((struct os_header *)h)->queue_key[1],
						 memory_order_acquire) };
	struct sockaddr_un addr;
	socklen_t len;
	int size = SEND_BUF, err;

	q->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (q->fd < 0)
		return -errno;
	/* An add record carries a whole command: the buffer must take one. */
	if (setsockopt(q->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) < 0)
		return -errno;
	queue_address(q->uid, key, &addr, &len);
	if (connect(q->fd, (struct sockaddr *)&addr, len) < 0) {
		err = -errno;
		/* Closed (or stopped) since we looked: say which. */
		if (!atomic_load(&h->queue_open) || atomic_load(&h->run_state) != OS_RUN_ACTIVE)
			not_open(q);
		return err;
	}
	return peer_is_supervisor(q->fd, q);
}

/* The supervisor's first word: 0 with M a READY or a BUSY reply, or -errno. */
static int greeting(struct ctl_queue *q, struct queue_msg *m)
{
	int err = ctl_queue_reply(q, m);

	if (!err && m->type != QUEUE_READY && !(m->type == QUEUE_REPLY && m->a == QUEUE_BUSY))
		err = -EPROTO;
	return err;
}

int ctl_queue_send(struct ctl_queue *q, const struct queue_msg *m, const char *cmd)
{
	unsigned char head[QUEUE_HEAD_SIZE];
	struct iovec iov[2] = { { head, sizeof(head) }, { (void *)cmd, cmd ? m->a : 0 } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = cmd ? 2 : 1 };
	ssize_t n;

	queue_msg_encode(m, head);
	do
		n = sendmsg(q->fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

int ctl_queue_reply(struct ctl_queue *q, struct queue_msg *m)
{
	unsigned char buf[QUEUE_HEAD_SIZE + 1];
	struct pollfd p = { .fd = q->fd, .events = POLLIN };
	const char *why;
	ssize_t n;
	int ready;

	do
		ready = poll(&p, 1, REPLY_MS);
	while (ready < 0 && errno == EINTR);
	if (ready < 0)
		return -errno;
	if (ready == 0)
		return -ETIMEDOUT;
	n = recv(q->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	if (queue_msg_decode(buf, (size_t)n, m, &why) < 0 ||
	    (m->type != QUEUE_REPLY && m->type != QUEUE_READY))
		return -EPROTO;
	return 0;
}

/* One connection, one request (the ADDs then a COMMIT, or a CLOSE), one
 * reply.  0 with the reply in *M, or -errno; *SENT tells whether the
 * request went out whole (an error after that leaves its fate unknown). */
/* Turned away: a BUSY reply, or the connection closed on records the
 * supervisor never read (ECONNRESET, EPIPE).  It reads a request whole
 * before it takes it, so a request it closed on unread was not taken. */
static int turned_away(int err, struct queue_msg *m)
{
	if (err != -ECONNRESET && err != -EPIPE)
		return err;
	*m = (struct queue_msg){ .type = QUEUE_REPLY, .a = QUEUE_BUSY };
	return 0;
}

/*
 * One connection: the whole request at once (the ADDs then a COMMIT, or a
 * CLOSE), without waiting for the supervisor's first word, then its READY
 * (or BUSY) and its one reply.  0 with the reply (or BUSY) in *M, or
 * -errno; *SENT tells whether the request went out whole, when an error
 * after that leaves its fate unknown.
 */
static int request_once(struct ctl_queue *q, uint32_t n, char *const *cmds,
			const uint32_t *lens, struct queue_msg *m, int *sent)
{
	struct queue_msg add = { .type = QUEUE_ADD }, last;
	int err = ctl_queue_connect(q);

	*sent = 0;
	for (uint32_t i = 0; !err && i < n; i++) {
		add.a = lens[i];
		err = ctl_queue_send(q, &add, cmds[i]);
	}
	if (!err) {
		last = n ? (struct queue_msg){ .type = QUEUE_COMMIT, .a = n }
			 : (struct queue_msg){ .type = QUEUE_CLOSE };
		err = ctl_queue_send(q, &last, NULL);
	}
	*sent = !err;
	if (!err)
		err = greeting(q, m);
	if (!err && m->type == QUEUE_READY)
		err = ctl_queue_reply(q, m);
	if (!err && m->type != QUEUE_REPLY)
		err = -EPROTO; /* a second READY */
	err = turned_away(err, m);
	if (!err && m->a == QUEUE_BUSY)
		*sent = 0;
	close(q->fd);
	q->fd = -1;
	return err;
}

int ctl_queue_request(struct ctl_queue *q, uint32_t n, char *const *cmds, const uint32_t *lens,
		      struct queue_msg *m, int *sent)
{
	int64_t until = os_now_mono_ns() + (int64_t)BUSY_MS * 1000000;
	long nap_ms = 5;

	for (;;) {
		struct timespec nap;
		int err = request_once(q, n, cmds, lens, m, sent);

		if (err || m->a != QUEUE_BUSY || os_now_mono_ns() >= until)
			return err;
		nap = (struct timespec){ 0, nap_ms * 1000000 };
		nanosleep(&nap, NULL);
		nap_ms = nap_ms < 200 ? nap_ms * 2 : 200;
	}
}

void ctl_queue_close(struct ctl_queue *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	os_table_close(&q->table);
}
