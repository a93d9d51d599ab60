/*
 * ctl_steer.c: the client's side of a worker's steering endpoint
 * (steer/proto.h).  The worker opens it when asked with SIGUSR1, which the
 * kernel lets only the run's owner and root send, and publishes its random
 * name in the task's slot; the client checks that the socket it reached is
 * served by that very worker before it sends a key.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "shm/util.h"
#include "steer/proto.h"

#define ASK_MS 3000    /* for the worker to open its endpoint */
#define REPLY_MS 3000  /* for its answer to our hello */

/* The endpoint's key from the slot, asking the worker for one if needed. */
static int endpoint_key(struct ctl_task *t, uint64_t key[2], const char **why)
{
	int64_t until = os_now_mono_ns() + (int64_t)ASK_MS * 1000000;
	struct timespec nap = { 0, 1000000 };
	int asked = 0;

	for (;;) {
		if (ctl_task_reload(t)) {
			*why = "the run is gone";
			return -ESTALE;
		}
		if (!ctl_task_live(t)) {
			*why = "the task has ended";
			return -ESRCH;
		}
		if (t->v.steer_key[0] || t->v.steer_key[1]) {
			key[0] = t->v.steer_key[0];
			key[1] = t->v.steer_key[1];
			return 0;
		}
		if (!asked && syscall(SYS_pidfd_send_signal, t->pidfd, SIGUSR1, NULL, 0) < 0) {
			*why = "asking the worker for its endpoint";
			return -errno;
		}
		asked = 1;
		if (os_now_mono_ns() > until) {
			*why = "the worker did not open its endpoint";
			return -ETIMEDOUT;
		}
		nanosleep(&nap, NULL);
	}
}

/* The socket's peer must be the task's worker, running as the run's owner. */
static int peer_is_worker(int sock, const struct ctl_task *t)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	return cred.pid == t->v.worker_pid && cred.uid == t->uid;
}

/* The worker's reply (and the terminal it hands over) into S. */
static int read_reply(struct ctl_steer *s, const char **why)
{
	unsigned char rec[STEER_MSG_SIZE + 1];
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { rec, sizeof(rec) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct pollfd p = { .fd = s->sock, .events = POLLIN };
	struct steer_msg m;
	ssize_t n;

	if (poll(&p, 1, REPLY_MS) != 1) {
		*why = "no answer from the worker";
		return -ETIMEDOUT;
	}
	n = recvmsg(s->sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n > 0 && cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&s->master, CMSG_DATA(cm), sizeof(int));
	if (n < 0 || steer_msg_decode(rec, (size_t)n, &m, why) || m.type != STEER_REPLY) {
		*why = n < 0 ? "reading the worker's answer" : "a bad answer from the worker";
		return n < 0 ? -errno : -EPROTO;
	}
	if (m.status) {
		*why = "the worker refused";
		return m.status;
	}
	s->rows = m.rows;
	s->cols = m.cols;
	return 0;
}

static int send_record(int sock, const struct steer_msg *m)
{
	unsigned char rec[STEER_MSG_SIZE];

	steer_msg_encode(m, rec);
	return send(sock, rec, sizeof(rec), MSG_NOSIGNAL) == (ssize_t)sizeof(rec) ? 0 : -errno;
}

int ctl_steer_connect(struct ctl_task *t, uint32_t flags, uint16_t rows, uint16_t cols,
		      struct ctl_steer *s, const char **why)
{
	struct steer_msg hello = { .type = STEER_HELLO, .flags = flags };
	struct sockaddr_un addr;
	socklen_t len;
	uint64_t key[2];
	int err;

	s->sock = s->master = -1;
	if (flags & STEER_F_RESIZE) {
		hello.rows = rows;
		hello.cols = cols;
	}
	err = endpoint_key(t, key, why);
	if (err)
		return err;
	steer_address(t->uid, key, &addr, &len);
	s->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s->sock < 0 || connect(s->sock, (struct sockaddr *)&addr, len) < 0) {
		*why = "connecting to the worker";
		err = -errno;
	} else if (!peer_is_worker(s->sock, t)) {
		*why = "the endpoint is not served by the task's worker";
		err = -EPERM;
	} else if ((err = send_record(s->sock, &hello))) {
		*why = "saying hello to the worker";
	} else {
		err = read_reply(s, why);
		if (!err && (flags & STEER_F_INPUT) && s->master < 0) {
			*why = "the worker sent no terminal";
			err = -EPROTO;
		}
	}
	if (err)
		ctl_steer_close(s);
	return err;
}

int ctl_steer_resize(struct ctl_steer *s, uint16_t rows, uint16_t cols)
{
	struct steer_msg m = { .type = STEER_RESIZE, .rows = rows, .cols = cols };

	return send_record(s->sock, &m);
}

void ctl_steer_close(struct ctl_steer *s)
{
	if (s->master >= 0)
		close(s->master);
	if (s->sock >= 0)
		close(s->sock);
	s->master = s->sock = -1;
}
