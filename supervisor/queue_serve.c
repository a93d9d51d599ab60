/*
 * queue_serve.c: a queue's endpoint (steer/queue.h has the wire format).
 *
 * Only the run's owner and root get in: the kernel tells the peer's uid
 * (SO_PEERCRED) and anyone else is closed at once; the name is random and
 * only readable in the table, but the name is not the access control.  A
 * client costs a bounded amount: at most QUEUE_CLIENTS at once, one
 * request each, QUEUE_CLIENT_NS to make it, at most QUEUE_ADD_MAX tasks and
 * QUEUE_BYTES_MAX bytes of commands; a record that is not well formed, or
 * out of turn, ends the connection with no reply.  All of it is
 * non-blocking and driven by the supervisor's poll(), so a client that
 * stalls stalls nobody.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shm/util.h"
#include "supervisor/queue.h"
#include "supervisor/queue_add.h"
#include "supervisor/run.h"

#define RX_SIZE (QUEUE_HEAD_SIZE + QUEUE_CMD_MAX + 1)

int queue_listen(struct run *r)
{
	struct queue *q = &r->queue;
	uint64_t key[2];
	struct sockaddr_un addr;
	socklen_t len;
	int fd;

	q->rx = malloc(RX_SIZE);
	if (!q->rx)
		return -ENOMEM;
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		return -errno;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	queue_address(geteuid(), key, &addr, &len);
	if (bind(fd, (struct sockaddr *)&addr, len) < 0 || listen(fd, 16) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	q->listen_fd = fd;
	atomic_store_explicit(&r->table->hdr->queue_key[0], key[0], memory_order_relaxed);
	atomic_store_explicit(&r->table->hdr->queue_key[1], key[1], memory_order_release);
	atomic_store_explicit(&r->table->hdr->queue_open, 1, memory_order_release);
	return 0;
}

static void drop_staged(struct queue_client *c)
{
	for (uint32_t k = 0; k < c->staged; k++)
		free(c->cmds[k]);
	free(c->cmds);
	free(c->lens);
	c->cmds = NULL;
	c->lens = NULL;
	c->staged = c->room = 0;
	c->staged_bytes = 0;
}

static void drop_client(struct queue_client *c)
{
	drop_staged(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void queue_close(struct run *r)
{
	struct queue *q = &r->queue;

	if (!q->on)
		return;
	atomic_store(&r->table->hdr->queue_open, 0);
	if (q->listen_fd >= 0)
		close(q->listen_fd);
	q->listen_fd = -1;
	for (unsigned c = 0; c < QUEUE_CLIENTS; c++)
		drop_client(&q->clients[c]);
}

/* The owner or root, as the kernel says. */
static int peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	return cred.uid == geteuid() || cred.uid == 0;
}

/* The first word, into an empty socket buffer: READY (a place is the
 * client's), or BUSY (none is; the connection ends here, and the client
 * tries again).  0, or -1 when the client is gone already. */
static int greet(int fd, int ready)
{
	struct queue_msg m = { .type = ready ? QUEUE_READY : QUEUE_REPLY,
			       .a = ready ? 0 : QUEUE_BUSY };
	unsigned char out[QUEUE_HEAD_SIZE];

	queue_msg_encode(&m, out);
	return send(fd, out, sizeof(out), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static void accept_clients(struct run *r, int64_t now)
{
	struct queue *q = &r->queue;
	int fd;

	while ((fd = accept4(q->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct queue_client *c = NULL;

		for (unsigned k = 0; k < QUEUE_CLIENTS && !c; k++)
			if (q->clients[k].fd < 0)
				c = &q->clients[k];
		if (!peer_allowed(fd) || greet(fd, c != NULL) < 0 || !c) {
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->deadline_ns = now + QUEUE_CLIENT_NS;
	}
}

static void reply(struct queue_client *c, enum queue_status status, uint32_t first, uint32_t n)
{
	struct queue_msg m = { .type = QUEUE_REPLY, .a = status };
	unsigned char out[QUEUE_HEAD_SIZE];

	if (status == QUEUE_OK) {
		m.b = first;
		m.c = n;
	}
	queue_msg_encode(&m, out);
	/* Non-blocking, into an empty socket buffer: it fits or the client
	 * is gone; either way this connection is over. */
	if (send(c->fd, out, sizeof(out), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) { /* gone */ }
	drop_client(c);
}

/* One ADD: kept until the commit, within the bounds.  0, or -1 to cut. */
static int stage(struct queue_client *c, const struct queue_msg *m)
{
	char *cmd;

	if (c->staged == QUEUE_ADD_MAX || c->staged_bytes + m->a > QUEUE_BYTES_MAX)
		return -1;
	if (c->staged == c->room) {
		uint32_t room = c->room ? c->room * 2 : 16;
		char **cmds = realloc(c->cmds, room * sizeof(*cmds));
		uint32_t *lens = cmds ? realloc(c->lens, room * sizeof(*lens)) : NULL;

		if (cmds)
			c->cmds = cmds;
		if (!lens)
			return -1;
		c->lens = lens;
		c->room = room;
	}
	cmd = malloc((size_t)m->a + 1);
	if (!cmd)
		return -1;
	memcpy(cmd, m->cmd, m->a);
	cmd[m->a] = '\0';
	c->cmds[c->staged] = cmd;
	c->lens[c->staged++] = m->a;
	c->staged_bytes += m->a;
	return 0;
}

static void commit_all(struct run *r);

/* One record from client C. */
static void take_record(struct run *r, struct queue_client *c, size_t len)
{
	struct queue_msg m;
	const char *why;

	if (queue_msg_decode(r->queue.rx, len, &m, &why) < 0) {
		drop_client(c);
		return;
	}
	switch (m.type) {
	case QUEUE_ADD:
		if (stage(c, &m) < 0)
			drop_client(c);
		return;
	case QUEUE_COMMIT:
		if (m.a != c->staged) {
			drop_client(c);
			return;
		}
		c->committed = 1; /* answered with the others of this round */
		return;
	case QUEUE_CLOSE:
		if (c->staged) {
			drop_client(c);
			return;
		}
		commit_all(r); /* the adds committed before it are taken */
		reply(c, QUEUE_OK, 0, 0);
		queue_close(r); /* after the replies: it closes every client */
		return;
	default:
		drop_client(c); /* a reply from a client */
	}
}

static void read_client(struct run *r, struct queue_client *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, r->queue.rx, RX_SIZE, MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0 || (size_t)n >= RX_SIZE) { /* gone, or a record too big */
			drop_client(c);
			return;
		}
		take_record(r, c, (size_t)n);
		if (c->fd < 0 || c->committed || r->queue.listen_fd < 0)
			return;
	}
}

/*
 * The adds committed in one round of the loop, in the order of their
 * clients: each is taken or refused on its own (the room left after the
 * ones before it), and those taken are written to LOGDIR/queue with one
 * write and one fdatasync (group commit: eight clients at once cost one
 * sync, not eight), then answered.
 */
static void commit_all(struct run *r)
{
	struct queue *q = &r->queue;
	struct queue_client *cs[QUEUE_CLIENTS];
	enum queue_status st[QUEUE_CLIENTS];
	uint32_t count[QUEUE_CLIENTS], need = 0, first = 0, at = 0;
	unsigned n = 0;
	char **cmds;
	uint32_t *lens;

	for (unsigned k = 0; k < QUEUE_CLIENTS; k++) {
		struct queue_client *c = &q->clients[k];

		if (c->fd < 0 || !c->committed)
			continue;
		st[n] = queue_refusal(r, need + c->staged);
		count[n] = c->staged;
		if (st[n] == QUEUE_OK)
			need += c->staged;
		cs[n++] = c;
	}
	if (!n)
		return;
	cmds = malloc((need ? need : 1) * sizeof(*cmds));
	lens = malloc((need ? need : 1) * sizeof(*lens));
	for (unsigned k = 0; cmds && lens && k < n; k++)
		for (uint32_t i = 0; st[k] == QUEUE_OK && i < count[k]; i++, at++) {
			cmds[at] = cs[k]->cmds[i];
			lens[at] = cs[k]->lens[i];
		}
	if (need) {
		enum queue_status all = cmds && lens ? queue_add(r, need, cmds, lens, &first)
						     : QUEUE_FAILED;

		for (unsigned k = 0; k < n; k++)
			if (st[k] == QUEUE_OK && (st[k] = all) == QUEUE_OK)
				cs[k]->staged = 0; /* the queue owns its commands now */
	}
	free(cmds);
	free(lens);
	for (unsigned k = 0; k < n; k++) {
		reply(cs[k], st[k], first, st[k] == QUEUE_OK ? count[k] : 0);
		if (st[k] == QUEUE_OK)
			first += count[k];
	}
}

unsigned queue_poll_fill(const struct run *r, struct pollfd *p)
{
	const struct queue *q = &r->queue;
	unsigned n = 0;

	if (!q->on || q->listen_fd < 0)
		return 0;
	p[n++] = (struct pollfd){ .fd = q->listen_fd, .events = POLLIN };
	for (unsigned k = 0; k < QUEUE_CLIENTS; k++)
		if (q->clients[k].fd >= 0)
			p[n++] = (struct pollfd){ .fd = q->clients[k].fd, .events = POLLIN };
	return n;
}

int64_t queue_serve(struct run *r, const struct pollfd *p, unsigned n, int64_t now)
{
	struct queue *q = &r->queue;
	int64_t due = 0;

	for (unsigned k = 1; k < n && q->listen_fd >= 0; k++) {
		if (!p[k].revents)
			continue;
		for (unsigned c = 0; c < QUEUE_CLIENTS; c++)
			if (q->clients[c].fd == p[k].fd) {
				read_client(r, &q->clients[c]);
				break;
			}
	}
	commit_all(r);
	if (n && q->listen_fd >= 0 && p[0].revents)
		accept_clients(r, now);
	if (!queue_open(r) && q->listen_fd >= 0)
		queue_close(r); /* stopping: nothing is taken any more */
	for (unsigned c = 0; c < QUEUE_CLIENTS; c++) {
		struct queue_client *cl = &q->clients[c];

		if (cl->fd < 0)
			continue;
		if (now >= cl->deadline_ns)
			drop_client(cl);
		else if (!due || cl->deadline_ns < due)
			due = cl->deadline_ns;
	}
	return due;
}

unsigned queue_fds(const struct run *r, int *fds)
{
	const struct queue *q = &r->queue;
	unsigned n = 0;

	if (!q->on)
		return 0;
	if (q->listen_fd >= 0)
		fds[n++] = q->listen_fd;
	if (q->file_fd >= 0)
		fds[n++] = q->file_fd;
	for (unsigned k = 0; k < QUEUE_CLIENTS; k++)
		if (q->clients[k].fd >= 0)
			fds[n++] = q->clients[k].fd;
	return n;
}
