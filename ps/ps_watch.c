/*
 * ps_watch.c: --watch: refresh the view every SEC seconds until the run
 * ends (or, for the list of runs, until the user quits).  With task ids,
 * the rows are those tasks' and the end is still the run's.
 *
 * On a terminal it draws in place on the alternate screen like top(1): q or
 * Ctrl-C quits, any other key refreshes at once, a resize redraws; the
 * terminal is restored on every way out (atexit covers the error exits).
 * Signals are blocked and read from a signalfd.  When the run ends, the
 * final table is printed on the normal screen so it stays visible.  Without
 * a terminal, or with --json, it prints one snapshot per interval.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ps/ps.h"
#include "shm/util.h"

static struct termios saved_tio;
static int tio_saved, screen_on;

static void term_restore(void)
{
	if (screen_on) {
		/* Show the cursor, leave the alternate screen. */
		fputs("\033[?25h\033[?1049l", stdout);
		fflush(stdout);
		screen_on = 0;
	}
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		tio_saved = 0;
	}
}

static void term_setup(void)
{
	struct termios raw;

	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		raw = saved_tio;
		/* Keys one at a time without echo; ISIG stays, so Ctrl-C is SIGINT. */
		raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
			tio_saved = 1;
	}
	atexit(term_restore);
	fputs("\033[?1049h\033[?25l", stdout);
	screen_on = 1;
}

/*
 * Render one view of the run (or of the list of runs) into F.  Returns 1 if
 * the run is over, 0 if not, or -errno when it cannot be read (*UID and *WHY
 * say more): a terminal must be restored before that is reported.
 */
static int render(FILE *f, const struct ps_opts *o, const struct ps_view *v, uid_t *uid,
		  const char **why)
{
	struct os_run r;
	int err, over;

	if (!o->name) {
		ps_list_print(f, o, v);
		return 0;
	}
	err = ps_target_find(o, o->name, uid);
	if (err)
		return err;
	err = os_run_snapshot(*uid, o->name, OS_LOAD_TASKS, &r, why);
	if (err) {
		os_run_free(&r);
		return err;
	}
	if (o->json)
		ps_show_json(f, &r, v);
	else
		ps_show_human(f, &r, v);
	over = r.run_state == OS_RUN_DONE || !r.alive;
	os_run_free(&r);
	return over;
}

/* Without a terminal: one snapshot per interval. */
static int watch_plain(const struct ps_opts *o)
{
	struct timespec nap = { (time_t)(o->watch_ms / 1000), (long)(o->watch_ms % 1000) * 1000000 };

	for (int n = 0;; n++) {
		const char *why = NULL;
		uid_t uid = o->uid;
		int over;

		if (n && !o->json)
			putchar('\n');
		over = render(stdout, o, &o->view, &uid, &why);
		ps_target_flush();
		if (over < 0)
			ps_target_die(over, o->name, uid, why);
		if (over)
			return PS_EXIT_OK;
		nanosleep(&nap, NULL);
	}
}

/*
 * One frame: home, the lines each cleared to their end, clear below.
 * Returns what render returned; nothing is drawn on an error.
 */
static int draw(const struct ps_opts *o, const struct ps_view *v, uid_t *uid, const char **why)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int over;

	if (!mem)
		return -ENOMEM;
	over = render(mem, o, v, uid, why);
	fclose(mem);
	if (over < 0) {
		free(buf);
		return over;
	}
	/* No newline after the last line: on the bottom row it would scroll. */
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	fputs("\033[H", stdout);
	for (char *line = buf, *nl; line < buf + len; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(buf + len - line));
		if (!nl)
			nl = buf + len;
		fwrite(line, 1, (size_t)(nl - line), stdout);
		fputs("\033[K", stdout);
		if (nl < buf + len)
			fputs("\r\n", stdout);
	}
	fputs("\033[J", stdout);
	free(buf);
	ps_target_flush();
	return over;
}

/* Wait for the next refresh; 1 when the user asked to quit. */
static int wait_input(int sfd, int *stdin_ok, uint64_t ms)
{
	struct pollfd p[2] = { { sfd, POLLIN, 0 }, { STDIN_FILENO, POLLIN, 0 } };
	struct signalfd_siginfo si;
	char keys[64];
	ssize_t n;

	if (poll(p, *stdin_ok ? 2 : 1, ms > INT32_MAX ? INT32_MAX : (int)ms) <= 0)
		return 0;
	if (p[0].revents & POLLIN) {
		if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) && si.ssi_signo != SIGWINCH)
			return 1;
		return 0;
	}
	if (*stdin_ok && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
		n = read(STDIN_FILENO, keys, sizeof(keys));
		if (n <= 0) {
			*stdin_ok = 0; /* EOF: only signals and the clock from now on */
			return 0;
		}
		return memchr(keys, 'q', (size_t)n) || memchr(keys, 'Q', (size_t)n);
	}
	return 0;
}

static int watch_terminal(const struct ps_opts *o)
{
	struct ps_view v = o->view;
	const char *why = NULL;
	uid_t uid = o->uid;
	sigset_t set;
	int sfd, over = 0, quit = 0, stdin_ok;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		os_die_err(PS_EXIT_NO_RUN, -errno, "signalfd");
	term_setup();
	stdin_ok = isatty(STDIN_FILENO);
	v.active_first = 1;
	while (!over && !quit) {
		struct winsize ws;

		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
			v.cols = ws.ws_col;
			/* Header, column names and the "more" line take three rows. */
			v.max_rows = ws.ws_row > 4 ? (size_t)ws.ws_row - 3 : 1;
		}
		over = draw(o, &v, &uid, &why);
		if (over == 0)
			quit = wait_input(sfd, &stdin_ok, o->watch_ms);
	}
	term_restore();
	if (over < 0)
		ps_target_die(over, o->name, uid, why);
	if (over) {
		/* Leave the final state on the normal screen, every task of it. */
		struct ps_view fin = o->view;

		fin.cols = v.cols;
		over = render(stdout, o, &fin, &uid, &why);
		ps_target_flush();
		if (over < 0)
			ps_target_die(over, o->name, uid, why);
	}
	close(sfd);
	return PS_EXIT_OK;
}

/* Task ids the run does not have are refused once, before the first frame
 * (a run's ids never change), so the terminal is never set up for nothing. */
static void check_ids(const struct ps_opts *o)
{
	struct os_run r;

	if (!o->view.nids)
		return;
	ps_target_snapshot(ps_target_owner(o, o->name), o->name, OS_LOAD_TASKS, &r);
	ps_target_check_ids(&r, &o->view);
	os_run_free(&r);
}

int ps_cmd_watch(const struct ps_opts *o)
{
	check_ids(o);
	if (!o->tty || o->json)
		return watch_plain(o);
	return watch_terminal(o);
}
