/*
 * progress.h: the live status line for a person at a terminal.
 *
 * When stderr is a terminal (and --no-progress was not given), one line
 *
 *   NAME: 37/120 done, 4 running, 1 idle, 2 failed, 1m03s elapsed, ETA 3m20s
 *
 * is redrawn in place ("\r", the text, erase to the end of the line) at most
 * four times a second, and at least once a second since the elapsed time
 * changes, then erased when the run ends.  It is never written anywhere else:
 * not into a pipe, a file or supervisor.log.
 *
 * Messages the supervisor prints through stderr meanwhile must not land in
 * the middle of the line: while the line is on, stderr is a stream whose
 * writes erase the line first; the loop redraws it afterwards.  A forked
 * worker inherits that stream, and erases before it writes too.
 */
#ifndef ONESHOT_PROGRESS_H
#define ONESHOT_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "shm/table.h"

/* Redraw period while the run goes on. */
#define PROGRESS_TICK_NS (250 * INT64_C(1000000))

struct progress {
	int on;              /* the line is being drawn */
	int fd;              /* the terminal, opened again non-blocking, or 2 */
	int own_fd;          /* fd is ours to close */
	int plain;           /* TERM=dumb: erase with spaces, not "\e[K" */
	int shown;           /* something of the line is on the screen */
	int redraw;          /* a message erased it: draw again soon */
	int at_line_start;   /* the last message ended with a newline */
	size_t shown_len;    /* characters of it on the screen (for plain) */
	pid_t owner;         /* the supervisor; a forked worker is not it */
	int64_t next_ns;     /* CLOCK_MONOTONIC of the next redraw */
	FILE *saved_stderr;  /* stderr before the line went on */
	FILE *stream;        /* the erasing stream stderr points to meanwhile */
	char last[256];      /* the text on the screen */
};

/*
 * Turn the line on if WANT and fd 2 is a terminal; otherwise P stays off
 * and every other call does nothing.
 */
void progress_start(struct progress *p, int want);

/* When the line wants its next redraw (CLOCK_MONOTONIC), or 0 if off. */
int64_t progress_due(const struct progress *p);

/*
 * Redraw from the table header H if due at NOW or erased by a message, and
 * only if the text changed.  STOPPING: the run is shutting down.
 */
void progress_tick(struct progress *p, const struct os_header *h, int stopping, int64_t now);

/* Erase the line and give stderr back; the line is off from now on. */
void progress_stop(struct progress *p);

#endif
