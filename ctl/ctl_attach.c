/*
 * ctl_attach.c: oneshot-ctl attach ID: the task's screen drawn on this
 * terminal, then its output live and every key typed sent to it, until
 * the detach key.
 *
 * Output comes from the transcript, followed with inotify: the worker
 * writes it anyway, so a viewer costs the task nothing, and a viewer that
 * stops reading (^S, a stalled ssh) only falls behind; the file keeps
 * every byte.  Keys go straight into the PTY master the worker handed
 * over; the window follows this terminal while we are attached (the
 * worker puts it back when the last sizing client leaves).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "fmt/cause.h"
#include "screen/screen.h"
#include "shm/state.h"
#include "shm/util.h"
#include "steer/proto.h"

#define PENDING_MAX 4096  /* keys the task has not taken yet */

struct attach {
	struct ctl_task t;
	struct ctl_steer s;      /* sock -1 when read-only */
	int read_only;
	int crlf;                /* the run used --crlf: the transcript has CR LF */
	int detach_key;
	int log;                 /* the transcript */
	off_t log_off;           /* shown up to here */
	int inotify, sigfd;
	struct termios saved;
	int raw;
	char pending[PENDING_MAX];
	size_t npending;
};

static struct attach *restore_on_exit;

/* Put the terminal back: mode, alternate screen, cursor. */
static void restore_tty(void)
{
	struct attach *a = restore_on_exit;

	if (!a || !a->raw)
		return;
	a->raw = 0;
	(void)!write(1, "\033[0m\033[?1049l", 12);
	tcsetattr(0, TCSAFLUSH, &a->saved);
}

static void attach_option(int opt, const char *arg, void *ctx)
{
	struct attach *a = ctx;

	if (opt == 'r') {
		a->read_only = 1;
	} else {
		a->detach_key = ctl_key_control(arg);
		if (a->detach_key < 0)
			ctl_usage_error("attach: --detach-key: '%s' is not a control key (C-\\, "
					"C-], ^A ...)", arg);
	}
}

static void window_of_tty(uint16_t *rows, uint16_t *cols)
{
	struct winsize ws;

	if (ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		*rows = ws.ws_row < STEER_SIZE_MAX ? ws.ws_row : STEER_SIZE_MAX;
		*cols = ws.ws_col < STEER_SIZE_MAX ? ws.ws_col : STEER_SIZE_MAX;
	} else {
		*rows = 24;
		*cols = 80;
	}
}

static void go_raw(struct attach *a)
{
	struct termios raw;

	if (tcgetattr(0, &a->saved) < 0)
		os_die_err(CTL_EXIT_FAILED, -errno, "attach: the terminal");
	raw = a->saved;
	cfmakeraw(&raw);
	restore_on_exit = a;
	if (tcsetattr(0, TCSAFLUSH, &raw) < 0)
		os_die_err(CTL_EXIT_FAILED, -errno, "attach: raw mode");
	a->raw = 1;
	atexit(restore_tty);
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			exit(CTL_EXIT_FAILED); /* our own terminal is gone */
		buf += n;
		len -= (size_t)n;
	}
}

/* Draw the screen as the transcript holds it now; follow on from there. */
static void draw(struct attach *a)
{
	struct screen_opts so;
	struct screen scr;
	struct stat st;
	char *map = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (fstat(a->log, &st) < 0)
		os_die_err(CTL_EXIT_FAILED, -errno, "attach: the transcript");
	a->log_off = st.st_size;
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, a->log, 0);
		if (map == MAP_FAILED)
			os_die_err(CTL_EXIT_FAILED, -errno, "attach: mapping the transcript");
	}
	ctl_screen_opts(&a->t, &so);
	if (a->s.sock >= 0) {
		so.rows = a->s.rows; /* what the worker made of our size */
		so.cols = a->s.cols;
	}
	err = screen_from_bytes(map ? map : "", (size_t)st.st_size, &so, &scr);
	if (map)
		munmap(map, (size_t)st.st_size);
	if (err)
		os_die_err(CTL_EXIT_FAILED, err, "attach: the task's screen");
	f = open_memstream(&text, &len);
	if (!f || screen_write_draw(f, &scr) || fclose(f))
		os_die(CTL_EXIT_FAILED, "attach: drawing the screen: out of memory");
	screen_free(&scr);
	write_all(1, "\033[?1049h", 8);
	write_all(1, text, len);
	free(text);
}

/* Show what the transcript gained since the last look.  Without --crlf
 * the task's newlines are bare LFs (ONLCR off): shown as the task's own
 * terminal showed them, CR LF, or this raw terminal draws a staircase. */
static void follow(struct attach *a)
{
	char buf[32768], out[2 * sizeof(buf)];
	ssize_t n;

	while ((n = pread(a->log, buf, sizeof(buf), a->log_off)) > 0) {
		size_t len = 0;

		a->log_off += n;
		if (a->crlf) {
			write_all(1, buf, (size_t)n);
			continue;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n')
				out[len++] = '\r';
			out[len++] = buf[i];
		}
		write_all(1, out, len);
	}
}

static void flush_keys(struct attach *a)
{
	ssize_t n;

	if (!a->npending)
		return;
	n = write(a->s.master, a->pending, a->npending);
	if (n <= 0)
		return; /* full (the task is not reading) or gone: keep or drop below */
	memmove(a->pending, a->pending + n, a->npending - (size_t)n);
	a->npending -= (size_t)n;
}

/* Keys typed: 1 when the detach key was among them. */
static int keys(struct attach *a)
{
	char buf[1024];
	ssize_t n = read(0, buf, sizeof(buf)), keep;
	char *hit;

	if (n <= 0)
		return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : 1;
	hit = memchr(buf, a->detach_key, (size_t)n);
	keep = hit ? hit - buf : n;
	if (!a->read_only) {
		if ((size_t)keep > PENDING_MAX - a->npending)
			keep = (ssize_t)(PENDING_MAX - a->npending); /* a task not reading: drop */
		memcpy(a->pending + a->npending, buf, (size_t)keep);
		a->npending += (size_t)keep;
		flush_keys(a);
	}
	return hit != NULL;
}

static void open_watch(struct attach *a)
{
	char path[4200];
	sigset_t set;

	a->log = ctl_task_transcript(&a->t);
	if (a->log < 0)
		os_die_err(CTL_EXIT_FAILED, a->log, "attach: task %u: its transcript", a->t.v.id);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", a->log);
	a->inotify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (a->inotify < 0 || inotify_add_watch(a->inotify, path, IN_MODIFY) < 0)
		os_die_err(CTL_EXIT_FAILED, -errno, "attach: watching the transcript");
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (a->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		os_die_err(CTL_EXIT_FAILED, -errno, "attach: signalfd");
}

enum { P_TTY, P_LOG, P_WORKER, P_SIG, P_SOCK, P_MASTER, P_COUNT };

/* A signal: 1 to leave (hangup, terminate), else 0. */
static int on_signal(struct attach *a)
{
	struct signalfd_siginfo si;
	uint16_t rows, cols;

	while (read(a->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo != SIGWINCH)
			return si.ssi_signo != SIGPIPE;
		window_of_tty(&rows, &cols);
		if (a->s.sock >= 0)
			ctl_steer_resize(&a->s, rows, cols);
	}
	return 0;
}

/* Until detach (0), the worker's end (1) or a signal (2). */
static int run(struct attach *a)
{
	struct pollfd p[P_COUNT] = {
		[P_TTY] = { 0, POLLIN }, [P_LOG] = { a->inotify, POLLIN },
		[P_WORKER] = { a->t.pidfd, POLLIN }, [P_SIG] = { a->sigfd, POLLIN },
		[P_SOCK] = { a->s.sock, POLLIN }, [P_MASTER] = { -1, POLLOUT },
	};
	char ev[4096];

	for (;;) {
		p[P_MASTER].fd = a->npending ? a->s.master : -1;
		if (poll(p, P_COUNT, -1) < 0 && errno != EINTR)
			return 2;
		if (p[P_LOG].revents) {
			while (read(a->inotify, ev, sizeof(ev)) > 0)
				;
			follow(a);
		}
		if (p[P_WORKER].revents || (p[P_SOCK].revents & (POLLIN | POLLHUP)))
			return 1;
		if (p[P_SIG].revents && on_signal(a))
			return 2;
		if (p[P_MASTER].revents)
			flush_keys(a);
		if (p[P_TTY].revents && keys(a))
			return 0;
	}
}

/* The task's end, in one line, once its worker has recorded it. */
static void say_end(struct attach *a)
{
	char why[128] = "";

	follow(a);
	restore_tty();
	if (ctl_task_reload(&a->t)) {
		printf("task %u of run %s: the run is gone\n", a->t.v.id, a->t.name);
		return;
	}
	if (a->t.v.state != OS_COMPLETED)
		fmt_cause(why, sizeof(why), &a->t.v, 1);
	printf("task %u of run %s: %s%s%s%s\n", a->t.v.id, a->t.name,
	       os_state_name(a->t.v.state), why[0] ? " (" : "", why, why[0] ? ")" : "");
}

int ctl_attach(struct ctl_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "read-only", no_argument, NULL, 'r' },
		{ "detach-key", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct attach a = { .detach_key = 0x1c, .s = { -1, -1, 0, 0 } };
	int first = ctl_getopt(o, argc, argv, "", longopts, attach_option, &a), how, err;
	uint16_t rows, cols;
	const char *why;

	if (first + 1 != argc)
		ctl_usage_error(first >= argc ? "attach: no task id" : "attach: one task id only");
	ctl_task_open(o, ctl_task_id(argv[first]), &a.t);
	if (!isatty(0) || !isatty(1))
		os_die(CTL_EXIT_FAILED, "attach: standard input and output must be a terminal");
	ctl_task_worker(&a.t, "attach");
	a.crlf = !!(a.t.table.hdr->flags & OS_RUN_CRLF);
	window_of_tty(&rows, &cols);
	if (!a.read_only) {
		err = ctl_steer_connect(&a.t, STEER_F_INPUT | STEER_F_RESIZE, rows, cols, &a.s, &why);
		if (err)
			os_die_err(CTL_EXIT_FAILED, err, "attach: task %u of run %s: %s", a.t.v.id,
				   a.t.name, why);
		fcntl(a.s.master, F_SETFL, O_NONBLOCK); /* it is the worker's open file */
	}
	open_watch(&a);
	go_raw(&a);
	draw(&a);
	follow(&a);
	how = run(&a);
	if (how == 1) {
		/* The worker exits once the transcript is complete. */
		say_end(&a);
	} else {
		restore_tty();
		if (how == 0)
			printf("[detached from task %u of run %s]\n", a.t.v.id, a.t.name);
	}
	ctl_steer_close(&a.s);
	ctl_task_close(&a.t);
	return how == 2 ? CTL_EXIT_FAILED : CTL_EXIT_OK;
}
