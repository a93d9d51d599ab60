/*
 * tail.h: --tail, a task's output mirrored to the supervisor's standard
 * output, one tagged line at a time, without ever holding the task back.
 *
 * Format (man oneshotd-supervise(8), --tail):
 *
 *   [ID] TEXT\n     a whole line of task ID (or the last piece of a long one)
 *   [ID]+ TEXT\n    a piece of a line longer than TAIL_PIECE_MAX bytes, cut
 *                   there; the line goes on in the next line tagged ID
 *   [ID]? NOTE\n    not the task's output but about it: it waits for input
 *
 * ID is the task number, or ID.N for its attempt N >= 2 (--retries), as the
 * transcripts are named.
 *
 * TEXT is the task's bytes as they are (control sequences and lone "\r"
 * included) without the "\n" and the "\r"s right before it, so a line
 * ending "\r\n" (--crlf, or a program writing CRLF) is one line.  A last
 * line without a newline is written with one when the task ends.
 *
 * Each mirrored line is one write(2) of at most PIPE_BUF bytes (atomic on a
 * pipe), so lines of different tasks never mix.  Writes never block: on a
 * description of our own opened O_NONBLOCK (a terminal, pipe or FIFO), with
 * MSG_DONTWAIT on a socket, or on the shared one for a regular file (which
 * never answers EAGAIN).  A line that would block is dropped and counted;
 * the count is reported once, on stderr, when the task ends.
 *
 * When the supervisor's status line is on and stdout is its terminal, every
 * line starts by erasing the status line (as the supervisor's own messages
 * do, progress.c); the supervisor draws it again at its next change, within
 * a second.
 */
#ifndef ONESHOT_WORKER_TAIL_H
#define ONESHOT_WORKER_TAIL_H

#include <stddef.h>
#include <stdint.h>

/* The longest piece of a line written as one mirrored line. */
#define TAIL_PIECE_MAX 4000

struct worker_tail;

/*
 * Mirror the output of attempt ATTEMPT of task ID to fd 1.  ERASE_STATUS: the supervisor's
 * status line is on (on fd 2).  Returns NULL only when out of memory
 * (mirroring is then off, with a warning); a stdout that cannot take lines
 * gives a tail that counts them all as dropped.
 */
struct worker_tail *worker_tail_open(uint32_t id, uint32_t attempt, int erase_status);

/* The next LEN bytes of the task's output. */
void worker_tail_feed(struct worker_tail *t, const char *buf, size_t len);

/* A line about the task (tagged "[ID]? "), not of its output. */
void worker_tail_note(struct worker_tail *t, const char *text);

/* The task's output ended: write the last partial line, report drops, free T. */
void worker_tail_finish(struct worker_tail *t);

#endif
