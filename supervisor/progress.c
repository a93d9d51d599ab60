/*
 * progress.c: the live status line (see progress.h).  Idle tasks waiting
 * for input are counted among the idle ones: "3 idle (1 waiting)".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include "supervisor/progress.h"
#include "supervisor/metrics.h"
#include "supervisor/report.h"
#include "shm/util.h"

/* What erases the line: "\r" and erase-to-end-of-line, or for a dumb
 * terminal the line overwritten with spaces.  Returns its length. */
static size_t erase_seq(const struct progress *p, char *buf, size_t len)
{
	size_t n;

	if (!p->plain) {
		memcpy(buf, "\r\033[K", 4);
		return 4;
	}
	n = p->shown_len + 2 <= len ? p->shown_len : len - 2;
	buf[0] = '\r';
	memset(buf + 1, ' ', n);
	buf[n + 1] = '\r';
	return n + 2;
}

/* Write all of IOV to FD (blocking), resuming after partial writes. */
static int writev_all(int fd, struct iovec *iov, int cnt)
{
	while (cnt > 0) {
		ssize_t w = writev(fd, iov, cnt);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		while (cnt > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/*
 * stderr while the line is on: a message that starts a line erases the
 * status line first (in a forked worker, which cannot know whether the
 * supervisor's line is shown, always), and the loop draws it again.
 */
static ssize_t stream_write(void *cookie, const char *buf, size_t len)
{
	struct progress *p = cookie;
	char erase[300];
	struct iovec iov[2];
	int cnt = 0;

	if (len == 0)
		return 0;
	if (p->at_line_start && (p->shown || getpid() != p->owner)) {
		iov[cnt].iov_base = erase;
		iov[cnt++].iov_len = erase_seq(p, erase, sizeof(erase));
		p->shown = 0;
	}
	iov[cnt].iov_base = (void *)buf;
	iov[cnt++].iov_len = len;
	p->at_line_start = buf[len - 1] == '\n';
	p->redraw = 1;
	if (writev_all(2, iov, cnt) < 0)
		return -1;
	return (ssize_t)len;
}

void progress_start(struct progress *p, int want)
{
	cookie_io_functions_t io = { .write = stream_write };
	const char *term = getenv("TERM");

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	if (!want || !isatty(2))
		return;
	/* A description of our own, non-blocking: a terminal stopped with
	 * ^S must not stop the supervisor; a frame that does not fit is
	 * skipped.  (fd 2's description is shared with the shell: its flags
	 * are not ours to change.) */
	p->fd = open("/proc/self/fd/2", O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	p->own_fd = p->fd >= 0;
	if (p->fd < 0 || !isatty(p->fd)) {
		if (p->own_fd)
			close(p->fd);
		p->own_fd = 0;
		p->fd = 2;
	}
	p->plain = term && strcmp(term, "dumb") == 0;
	p->owner = getpid();
	p->at_line_start = 1;
	fflush(stderr);
	p->stream = fopencookie(p, "w", io);
	if (!p->stream) {
		/* No erasing stderr, no line: messages must stay readable. */
		if (p->own_fd)
			close(p->fd);
		p->fd = -1;
		return;
	}
	setvbuf(p->stream, NULL, _IONBF, 0);
	p->saved_stderr = stderr;
	stderr = p->stream;
	/* The first line after one tick: a run that short shows none, and the
	 * first line already counts the tasks that started. */
	p->next_ns = os_now_mono_ns() + PROGRESS_TICK_NS;
	p->on = 1;
}

int64_t progress_due(const struct progress *p)
{
	return p->on ? p->next_ns : 0;
}

static void render(char *buf, size_t len, const struct os_header *h, int stopping, int64_t now)
{
	uint32_t completed = atomic_load(&h->counts[OS_COMPLETED]);
	uint32_t failed = atomic_load(&h->counts[OS_FAILED]);
	uint32_t interrupted = atomic_load(&h->counts[OS_INTERRUPTED]);
	uint32_t done = completed + failed + interrupted, total = os_table_tasks(h);
	int64_t elapsed = now - h->start_mono_ns;
	uint32_t idle = atomic_load(&h->counts[OS_IDLE]), waiting = 0;
	char took[32], eta[48] = "ETA --", intr[32] = "", waiting_text[32] = "";
	static uint32_t first; /* metrics_count_waiting's: one run per process */

	fmt_elapsed(took, sizeof(took), elapsed, 0);
	if (stopping) {
		snprintf(eta, sizeof(eta), "stopping");
	} else if (done > 0 && done < total) {
		/* The mean completion rate so far, applied to what is left. */
		double left = (double)elapsed * (double)(total - done) / (double)done;
		char d[32];

		/* Rounded up: "ETA 0s" while a task still runs reads wrong. */
		left = left > 9e18 ? 9e18 : left + 999999999.0;
		fmt_elapsed(d, sizeof(d), (int64_t)left, 0);
		snprintf(eta, sizeof(eta), "ETA %s", d);
	}
	if (interrupted)
		snprintf(intr, sizeof(intr), ", %u interrupted", interrupted);
	if (idle)
		waiting = metrics_count_waiting(h, &first);
	if (waiting)
		snprintf(waiting_text, sizeof(waiting_text), " (%u waiting)", waiting);
	snprintf(buf, len, "%s: %u/%u done, %u running, %u idle%s, %u failed%s, %s elapsed, %s",
		 h->name, done, total, atomic_load(&h->counts[OS_RUNNING]), idle, waiting_text,
		 failed, intr, took, eta);
}

static void draw(struct progress *p, const char *text)
{
	char buf[2 * sizeof(p->last) + 8];
	struct winsize ws;
	size_t len = strlen(text), cols = 79, n;
	ssize_t w;

	/* Never as wide as the terminal: a line that wraps cannot be
	 * redrawn in place. */
	if (ioctl(p->fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		cols = ws.ws_col - 1u;
	if (len > cols)
		len = cols;
	buf[0] = '\r';
	n = 1;
	if (!p->plain) {
		memcpy(buf + n, "\033[K", 3);
		n += 3;
	}
	memcpy(buf + n, text, len);
	n += len;
	if (p->plain && p->shown && p->shown_len > len && p->shown_len - len < sizeof(p->last)) {
		memset(buf + n, ' ', p->shown_len - len);
		n += p->shown_len - len;
	}
	w = write(p->fd, buf, n);
	if (w < 0 && errno != EAGAIN && errno != EINTR) {
		progress_stop(p); /* the terminal is gone */
		return;
	}
	if (w > 0) {
		p->shown = 1;
		if (!p->plain || len > p->shown_len)
			p->shown_len = len;
	}
	if (w == (ssize_t)n)
		snprintf(p->last, sizeof(p->last), "%s", text);
	else
		p->last[0] = '\0'; /* not all on screen: draw again next time */
}

/* Started in the background (`oneshotd-supervise ... &`), the line would
 * be drawn over the shell's prompt: draw only in the foreground, as pv(1)
 * does.  A terminal that is not our controlling one has no say. */
static int in_foreground(const struct progress *p)
{
	pid_t fg = tcgetpgrp(p->fd);

	return fg < 0 || fg == getpgrp();
}

void progress_tick(struct progress *p, const struct os_header *h, int stopping, int64_t now)
{
	char text[sizeof(p->last)];

	if (!p->on || (now < p->next_ns && !p->redraw))
		return;
	if (now >= p->next_ns)
		p->next_ns = now + PROGRESS_TICK_NS;
	if (!in_foreground(p)) {
		p->redraw = 0;
		return;
	}
	render(text, sizeof(text), h, stopping, now);
	if (p->redraw || !p->shown || strcmp(text, p->last) != 0)
		draw(p, text);
	p->redraw = 0;
}

void progress_stop(struct progress *p)
{
	char erase[300];
	struct iovec iov;

	if (!p->on)
		return;
	p->on = 0;
	fflush(stderr);
	if (p->shown) {
		iov.iov_base = erase;
		iov.iov_len = erase_seq(p, erase, sizeof(erase));
		writev_all(2, &iov, 1);
		p->shown = 0;
	}
	stderr = p->saved_stderr;
	fclose(p->stream);
	p->stream = NULL;
	if (p->own_fd)
		close(p->fd);
	p->fd = -1;
}
