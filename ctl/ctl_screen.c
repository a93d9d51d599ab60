/*
 * ctl_screen.c: oneshot-ctl screen ID: what the task's terminal shows now,
 * replayed from its transcript through libvterm (screen/).  It never
 * talks to the worker, so it works for a finished task too (its last
 * screen) and costs a running one nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "screen/screen.h"
#include "shm/util.h"

enum { OUT_TEXT, OUT_ANSI, OUT_JSON };

static void screen_option(int opt, const char *arg, void *ctx)
{
	int *out = ctx;

	(void)arg;
	if (*out != OUT_TEXT)
		ctl_usage_error("screen: --ansi and --json: pick one");
	*out = opt == 'a' ? OUT_ANSI : OUT_JSON;
}

/* The screen's options from the run's table and the task's slot. */
void ctl_screen_opts(const struct ctl_task *t, struct screen_opts *so)
{
	const struct os_header *h = t->table.hdr;

	memset(so, 0, sizeof(*so));
	so->rows = t->v.winsize ? (uint16_t)(t->v.winsize >> 16) : h->pty_rows;
	so->cols = t->v.winsize ? (uint16_t)t->v.winsize : h->pty_cols;
	if (!so->rows || !so->cols) {
		so->rows = 24; /* a table of a build before --pty-size was recorded */
		so->cols = 80;
	}
	so->crlf = !!(h->flags & OS_RUN_CRLF);
}

int ctl_screen(struct ctl_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ansi", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int out = OUT_TEXT, first = ctl_getopt(o, argc, argv, "", longopts, screen_option, &out);
	struct screen_opts so;
	struct screen scr;
	struct ctl_task t;
	int fd, err;

	if (first + 1 != argc)
		ctl_usage_error(first >= argc ? "screen: no task id" : "screen: one task id only");
	ctl_task_open(o, ctl_task_id(argv[first]), &t);
	if (!t.v.start_real_ns)
		os_die(CTL_EXIT_FAILED, "screen: task %u of run %s has not started", t.v.id, t.name);
	fd = ctl_task_transcript(&t);
	if (fd < 0)
		os_die_err(CTL_EXIT_FAILED, fd, "screen: task %u of run %s: its transcript in %s",
			   t.v.id, t.name, t.logdir);
	ctl_screen_opts(&t, &so);
	err = screen_from_fd(fd, &so, &scr);
	close(fd);
	if (err)
		os_die_err(CTL_EXIT_FAILED, err, "screen: task %u of run %s", t.v.id, t.name);
	err = out == OUT_JSON ? screen_write_json(stdout, &scr)
	    : out == OUT_ANSI ? screen_write_ansi(stdout, &scr) : screen_write_text(stdout, &scr);
	screen_free(&scr);
	ctl_task_close(&t);
	if (err || fflush(stdout) || ferror(stdout))
		os_die(CTL_EXIT_FAILED, "screen: writing the output: %s", strerror(errno));
	return CTL_EXIT_OK;
}
