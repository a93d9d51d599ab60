/*
 * steer.c: the worker's side of steering (steer.h).  Every step is bounded:
 * WORKER_STEER_CLIENTS clients, one record buffer each, a hello within
 * WORKER_STEER_HELLO_MS, a resize rate; anything else from a client, or
 * anyone but the run's owner and root, is cut off.  Input never passes
 * through here: a client that asked for it gets a duplicate of the PTY
 * master and writes to it itself, so a client that floods or stalls costs
 * the worker nothing and the task's output path is untouched.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "shm/slot.h"
#include "shm/util.h"
#include "worker/steer.h"

static uint64_t op_data(unsigned op, unsigned client)
{
	return (uint64_t)op | (uint64_t)client << 8;
}

static void record_window(struct worker_steer *s)
{
	os_slot_write_begin(s->slot);
	atomic_store_explicit(&s->slot->winsize, (uint32_t)s->cur_rows << 16 | s->cur_cols,
			      memory_order_relaxed);
	os_slot_write_end(s->slot);
}

/* Size the task's window; the kernel sends its foreground group SIGWINCH. */
static void set_window(struct worker_steer *s, uint16_t rows, uint16_t cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	if (rows == s->cur_rows && cols == s->cur_cols)
		return;
	if (ioctl(s->master, TIOCSWINSZ, &ws) < 0)
		return; /* the terminal is gone with its task */
	s->cur_rows = rows;
	s->cur_cols = cols;
	record_window(s);
}

void worker_steer_init(struct worker_steer *s, struct io_uring *ring, int master,
		       struct os_slot *slot, uint16_t rows, uint16_t cols)
{
	memset(s, 0, sizeof(*s));
	s->ring = ring;
	s->listen_fd = -1;
	s->master = master;
	s->slot = slot;
	s->owner = geteuid();
	s->rows = s->cur_rows = rows ? rows : 24;
	s->cols = s->cur_cols = cols ? cols : 80;
	for (unsigned i = 0; i < WORKER_STEER_CLIENTS; i++)
		s->clients[i].fd = -1;
	record_window(s);
}

static void arm_accept(struct worker_steer *s)
{
	struct io_uring_sqe *sqe = worker_sqe(s->ring);

	io_uring_prep_accept(sqe, s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	io_uring_sqe_set_data64(sqe, op_data(WORKER_OP_STEER_ACCEPT, 0));
}

/* The next record of client I; before its hello, within the hello's time. */
static void arm_recv(struct worker_steer *s, unsigned i)
{
	struct worker_steer_client *c = &s->clients[i];
	struct io_uring_sqe *sqe = worker_sqe(s->ring);

	io_uring_prep_recv(sqe, c->fd, c->buf, sizeof(c->buf), 0);
	io_uring_sqe_set_data64(sqe, op_data(WORKER_OP_STEER_RECV, i));
	if (c->greeted)
		return;
	sqe->flags |= IOSQE_IO_LINK;
	c->hello_ts.tv_sec = WORKER_STEER_HELLO_MS / 1000;
	c->hello_ts.tv_nsec = (WORKER_STEER_HELLO_MS % 1000) * 1000000L;
	sqe = worker_sqe(s->ring);
	io_uring_prep_link_timeout(sqe, &c->hello_ts, 0);
	io_uring_sqe_set_data64(sqe, op_data(WORKER_OP_STEER_TIMEOUT, i));
}

void worker_steer_open(struct worker_steer *s)
{
	uint64_t key[2];
	struct sockaddr_un addr;
	socklen_t len;
	int fd;

	if (s->listen_fd >= 0 || s->master < 0)
		return;
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key) || (!key[0] && !key[1]))
		return;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	steer_address(s->owner, key, &addr, &len);
	if (bind(fd, (struct sockaddr *)&addr, len) < 0 || listen(fd, WORKER_STEER_CLIENTS) < 0) {
		close(fd);
		return;
	}
	s->listen_fd = fd;
	os_slot_write_begin(s->slot);
	atomic_store_explicit(&s->slot->steer_key[0], key[0], memory_order_relaxed);
	atomic_store_explicit(&s->slot->steer_key[1], key[1], memory_order_relaxed);
	os_slot_write_end(s->slot);
	arm_accept(s);
}

void worker_steer_close(struct worker_steer *s)
{
	if (s->listen_fd < 0)
		return;
	/* Closing ends the pending accept (-ECANCELED or -EBADF: ignored). */
	close(s->listen_fd);
	s->listen_fd = -1;
	s->master = -1;
	os_slot_write_begin(s->slot);
	atomic_store_explicit(&s->slot->steer_key[0], 0, memory_order_relaxed);
	atomic_store_explicit(&s->slot->steer_key[1], 0, memory_order_relaxed);
	os_slot_write_end(s->slot);
}

static void drop(struct worker_steer *s, unsigned i)
{
	struct worker_steer_client *c = &s->clients[i];

	if (c->fd < 0)
		return;
	/* shutdown first: the fd may still be in a pending recv */
	shutdown(c->fd, SHUT_RDWR);
	close(c->fd);
	c->fd = -1;
	if (c->greeted && (c->flags & STEER_F_RESIZE) && --s->resizers == 0 && s->master >= 0)
		set_window(s, s->rows, s->cols); /* the last one sizing it left */
	c->greeted = 0;
}

/* The owner's and root's clients only, as the kernel vouches for them. */
static int peer_allowed(const struct worker_steer *s, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	return cred.uid == s->owner || cred.uid == 0;
}

static void accepted(struct worker_steer *s, int fd)
{
	unsigned i;

	if (s->listen_fd < 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	arm_accept(s);
	if (fd < 0)
		return;
	for (i = 0; i < WORKER_STEER_CLIENTS && s->clients[i].fd >= 0; i++)
		;
	if (i == WORKER_STEER_CLIENTS || !peer_allowed(s, fd)) {
		close(fd);
		return;
	}
	memset(&s->clients[i], 0, sizeof(s->clients[i]));
	s->clients[i].fd = fd;
	arm_recv(s, i);
}

/* Answer a hello: the window's size, and the terminal when asked for. */
static int reply(struct worker_steer *s, struct worker_steer_client *c)
{
	struct steer_msg m = { .type = STEER_REPLY, .rows = s->cur_rows, .cols = s->cur_cols };
	unsigned char rec[STEER_MSG_SIZE];
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { rec, sizeof(rec) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if ((c->flags & STEER_F_INPUT) && s->master < 0)
		m.status = -ESRCH; /* the task has ended */
	steer_msg_encode(&m, rec);
	if ((c->flags & STEER_F_INPUT) && !m.status) {
		struct cmsghdr *cm;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &s->master, sizeof(int));
	}
	/* One record into an empty socket buffer: never blocks. */
	return sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)sizeof(rec) ? 0 : -1;
}

/* 0 to keep the client, -1 to cut it off. */
static int on_record(struct worker_steer *s, struct worker_steer_client *c, int len)
{
	struct steer_msg m;
	const char *why;
	int64_t now;

	if (steer_msg_decode(c->buf, (size_t)len, &m, &why))
		return -1;
	if (!c->greeted) {
		if (m.type != STEER_HELLO)
			return -1;
		c->flags = m.flags;
		c->greeted = 1;
		if (c->flags & STEER_F_RESIZE) {
			s->resizers++;
			set_window(s, m.rows, m.cols);
		}
		return reply(s, c);
	}
	if (m.type != STEER_RESIZE || !(c->flags & STEER_F_RESIZE))
		return -1;
	now = os_now_mono_ns();
	if (now - c->window_ns >= 1000000000) {
		c->window_ns = now;
		c->resizes = 0;
	}
	if (++c->resizes > WORKER_STEER_RESIZES_PER_S)
		return -1;
	set_window(s, m.rows, m.cols);
	return 0;
}

void worker_steer_handle(struct worker_steer *s, uint64_t data, int res)
{
	unsigned op = (unsigned)(data & 0xff), i = (unsigned)(data >> 8);
	struct worker_steer_client *c;

	if (op == WORKER_OP_STEER_ACCEPT) {
		accepted(s, res);
		return;
	}
	if (op != WORKER_OP_STEER_RECV || i >= WORKER_STEER_CLIENTS)
		return; /* a hello's timeout: its recv completes -ECANCELED */
	c = &s->clients[i];
	if (c->fd < 0)
		return;
	if (res <= 0 || on_record(s, c, res) < 0) {
		drop(s, i); /* closed, timed out, or broke the protocol */
		return;
	}
	arm_recv(s, i);
}
