/*
 * tail.c: --tail (see tail.h for the format and the rules).
 *
 * One struct per worker, allocated only when --tail is on: the loop's only
 * cost otherwise is the test of a NULL pointer per read.  The partial line
 * is kept right after a head room, so a line is tagged in place and goes
 * out in one write(2) without copying.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "worker/tail.h"
#include "shm/util.h"

#define TAG_MAX    26   /* "[4294967295.4294967295]+ " */
#define ERASE_MAX  258  /* "\r", up to 256 spaces, "\r" (TERM=dumb) */
#define READER_GONE_WAIT_MS 200
#define HEAD_ROOM  (ERASE_MAX + TAG_MAX)
#define LINE_SIZE  (HEAD_ROOM + TAIL_PIECE_MAX + 1)

/* A whole mirrored line (tag, piece, newline) is one atomic pipe write. */
_Static_assert(TAG_MAX + TAIL_PIECE_MAX + 1 <= PIPE_BUF, "a mirrored line must fit PIPE_BUF");

struct worker_tail {
	int fd;             /* where lines go; -1: nothing goes out any more */
	int own_fd;         /* fd is our own O_NONBLOCK open: close it */
	int sock;           /* fd is a socket: send(MSG_DONTWAIT) */
	int err;            /* why fd became -1 (errno), 0 if it did not */
	uint32_t id;
	char label[24];     /* "ID", or "ID.N" for attempt N >= 2 */
	uint64_t dropped;   /* lines (or pieces) not mirrored */
	size_t len;         /* bytes of the partial line at line + HEAD_ROOM */
	size_t erase_len;
	size_t pend_off, pend_len; /* the rest of a line a write took only part of */
	char erase[ERASE_MAX];
	char line[LINE_SIZE];
	char pend[LINE_SIZE];
};

/* One non-blocking write: bytes written, or -errno. */
static ssize_t out(struct worker_tail *t, const char *b, size_t n)
{
	ssize_t w;

	do
		w = t->sock ? send(t->fd, b, n, MSG_DONTWAIT | MSG_NOSIGNAL) : write(t->fd, b, n);
	while (w < 0 && errno == EINTR);
	return w < 0 ? -errno : w;
}

/* Standard output failed for good (the reader is gone, the terminal hung
 * up): count everything from now on as dropped. */
static void broken(struct worker_tail *t, int err)
{
	if (t->own_fd)
		close(t->fd);
	t->fd = -1;
	t->own_fd = 0;
	t->err = err;
	t->pend_len = 0;
}

/* Finish the line a write took only part of; 1 when nothing is pending. */
static int retry_pending(struct worker_tail *t)
{
	ssize_t w;

	if (!t->pend_len)
		return 1;
	if (t->fd < 0)
		return 0;
	w = out(t, t->pend + t->pend_off, t->pend_len);
	if (w > 0) {
		t->pend_off += (size_t)w;
		t->pend_len -= (size_t)w;
	} else if (w < 0 && w != -EAGAIN) {
		broken(t, (int)-w);
	}
	return t->pend_len == 0;
}

static void put(struct worker_tail *t, const char *b, size_t n)
{
	ssize_t w;

	if (t->fd < 0 || !retry_pending(t)) {
		t->dropped++;
		return;
	}
	w = out(t, b, n);
	if (w == (ssize_t)n)
		return;
	if (w < 0) {
		if (w != -EAGAIN)
			broken(t, (int)-w);
		t->dropped++;
		return;
	}
	/* Only on a terminal or a socket (a pipe takes PIPE_BUF bytes whole
	 * or not at all): the rest goes first next time, so the line stays
	 * whole as far as it is ours to keep. */
	memcpy(t->pend, b + w, n - (size_t)w);
	t->pend_off = 0;
	t->pend_len = n - (size_t)w;
}

/* Write the partial line, tagged; CUT: it goes on in the next one. */
static void emit(struct worker_tail *t, int cut)
{
	char *text = t->line + HEAD_ROOM, tag[TAG_MAX + 1];
	size_t n = t->len, start;
	int tag_len;

	if (!cut)
		while (n > 0 && text[n - 1] == '\r')
			n--;
	tag_len = snprintf(tag, sizeof(tag), "[%s]%s ", t->label, cut ? "+" : "");
	start = HEAD_ROOM - (size_t)tag_len - t->erase_len;
	memcpy(t->line + start, t->erase, t->erase_len);
	memcpy(t->line + start + t->erase_len, tag, (size_t)tag_len);
	text[n] = '\n';
	put(t, t->line + start, HEAD_ROOM + n + 1 - start);
	t->len = 0;
}

void worker_tail_feed(struct worker_tail *t, const char *buf, size_t len)
{
	char *text = t->line + HEAD_ROOM;

	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t take = nl ? (size_t)(nl - buf) : len;

		while (take > 0) {
			size_t room = TAIL_PIECE_MAX - t->len, k;

			if (room == 0) {
				emit(t, 1); /* full, and more than a newline to come */
				continue;
			}
			k = take < room ? take : room;
			memcpy(text + t->len, buf, k);
			t->len += k;
			buf += k;
			len -= k;
			take -= k;
		}
		if (nl) {
			emit(t, 0);
			buf++;
			len--;
		}
	}
}

/* With the status line on the same terminal as our stdout: what erases
 * it, as progress.c erases it before a message. */
static void set_erase(struct worker_tail *t, const struct stat *out_st)
{
	const char *term = getenv("TERM");
	struct stat err_st;
	struct winsize ws;
	size_t spaces = 79;

	if (!isatty(t->fd) || fstat(2, &err_st) < 0 || !S_ISCHR(err_st.st_mode) ||
	    err_st.st_rdev != out_st->st_rdev)
		return;
	if (!term || strcmp(term, "dumb") != 0) {
		memcpy(t->erase, "\r\033[K", 4);
		t->erase_len = 4;
		return;
	}
	/* The status line is never as wide as the terminal. */
	if (ioctl(t->fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		spaces = ws.ws_col - 1u;
	if (spaces > ERASE_MAX - 2)
		spaces = ERASE_MAX - 2;
	t->erase[0] = '\r';
	memset(t->erase + 1, ' ', spaces);
	t->erase[spaces + 1] = '\r';
	t->erase_len = spaces + 2;
}

struct worker_tail *worker_tail_open(uint32_t id, uint32_t attempt, int erase_status)
{
	struct worker_tail *t = malloc(sizeof(*t));
	struct stat st;

	if (!t) {
		os_warn("task %u: --tail: out of memory: output not mirrored", id);
		return NULL;
	}
	memset(t, 0, offsetof(struct worker_tail, erase));
	t->id = id;
	if (attempt > 1)
		snprintf(t->label, sizeof(t->label), "%u.%u", id, attempt);
	else
		snprintf(t->label, sizeof(t->label), "%u", id);
	t->fd = -1;
	if (fstat(1, &st) < 0) {
		t->err = errno;
	} else if (S_ISREG(st.st_mode)) {
		t->fd = 1; /* a file never answers EAGAIN; its offset is shared */
	} else if (S_ISSOCK(st.st_mode)) {
		t->fd = 1;
		t->sock = 1;
	} else {
		/* A description of our own: fd 1's is shared with the caller's
		 * shell, its flags are not ours to change. */
		t->fd = open("/proc/self/fd/1", O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
		if (t->fd < 0)
			t->err = errno == ENXIO && S_ISFIFO(st.st_mode) ? EPIPE : errno;
		t->own_fd = t->fd >= 0;
	}
	if (t->fd >= 0 && erase_status)
		set_erase(t, &st);
	return t;
}

/* `| head -n 1` reads one buffer and exits, and a fast task fills the pipe
 * in between: the drops are the reader leaving, not a stall.  A reader that
 * leaves makes poll(2) report an error on our end; wait a moment for that
 * before calling the drops a stall (only a task that dropped lines waits). */
static void wait_reader_gone(struct worker_tail *t)
{
	struct pollfd p = { .fd = t->fd, .events = 0 };
	int n;

	if (t->fd < 0 || t->sock)
		return;
	do
		n = poll(&p, 1, READER_GONE_WAIT_MS);
	while (n < 0 && errno == EINTR);
	if (n > 0 && (p.revents & (POLLERR | POLLHUP)))
		t->err = EPIPE;
}

void worker_tail_finish(struct worker_tail *t)
{
	if (t->len)
		emit(t, 0);
	if (!retry_pending(t))
		t->dropped++; /* a line left cut short */
	if (t->dropped && !t->err)
		wait_reader_gone(t);
	/* A reader that went away (`| head`) wanted no more: no complaint,
	 * as with SIGPIPE.  Anything else is noted once per task. */
	if (t->dropped && t->err != EPIPE)
		os_warn("task %u: --tail: %llu line(s) not mirrored: %s", t->id,
			(unsigned long long)t->dropped,
			t->err ? strerror(t->err) : "standard output would block");
	if (t->own_fd)
		close(t->fd);
	free(t);
}

void worker_tail_note(struct worker_tail *t, const char *text)
{
	char line[ERASE_MAX + TAG_MAX + 2 + 256];
	int n = snprintf(line, sizeof(line), "%.*s[%s]? %.200s\n", (int)t->erase_len, t->erase,
			 t->label, text);

	if (n > 0)
		put(t, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}
