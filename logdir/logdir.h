/*
 * logdir.h: the run's log directory: opening it and the files in it, for
 * writing (the supervisor) and for reading back (every reader of a run).
 * Each file format has its own header beside this one: joblog.h,
 * summary.h, events.h.
 */
#ifndef ONESHOT_LOGDIR_H
#define ONESHOT_LOGDIR_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Create PATH and missing parents with mode 0700, then open it.  It must be
 * a directory owned by the caller and not writable by group or others,
 * since tasks' transcripts land there.  Returns an O_DIRECTORY fd or
 * -errno; on failure *why says what is wrong.
 */
int logdir_open(const char *path, const char **why);

/*
 * Create (truncate) NAME in DIRFD for appending, mode 0600, never through a
 * symlink.  Returns the fd or -errno.
 */
int logdir_create(int dirfd, const char *name);

/* Open NAME in DIRFD for appending (created if missing, never truncated,
 * never through a symlink).  Returns the fd or -errno. */
int logdir_append(int dirfd, const char *name);

/*
 * file.c: read the whole regular file NAME of DIRFD (never through a
 * symlink, never a FIFO or device) into a malloc'd NUL-terminated *BUF of
 * *LEN bytes, at most MAX (0: no limit).  Returns 0 or -errno; -ELOOP for a
 * symlink, LOGDIR_NOT_REGULAR for anything else that is not a regular file.
 * Every reader of a run's files reads through it: they may come from
 * another machine or another user.
 */
#define LOGDIR_NOT_REGULAR (-EMEDIUMTYPE)
int logdir_file_read(int dirfd, const char *name, size_t max, char **buf, size_t *len);

/* What ERR of logdir_file_read means, for a message. */
const char *logdir_file_error(int err);

/* logdir.c: the name of attempt ATTEMPT's transcript of task ID in the log
 * directory: "ID.log" for the first, "ID.N.log" for attempt N >= 2. */
void logdir_transcript_name(char *buf, size_t len, uint32_t id, uint32_t attempt);

/* --- replace.c: files replaced whole ------------------------------------ */

/* Writes a file's text on F; stream errors are checked by the caller. */
typedef void logdir_fill_fn(FILE *f, const void *arg);

/* fsync the temporary file before it is renamed into place. */
#define LOGDIR_SYNC 1u

/*
 * Create DIRFD/TMP (truncated, MODE, never through a symlink), write it
 * through FILL(F, ARG), and with LOGDIR_SYNC fsync it.  On any error TMP is
 * removed.  Returns 0 or -errno.
 */
int logdir_temp_write(int dirfd, const char *tmp, mode_t mode, unsigned flags,
		      logdir_fill_fn *fill, const void *arg);

/*
 * logdir_temp_write, then rename TMP over DIRFD/NAME (DIRFD may be
 * AT_FDCWD): a reader sees the old file or the whole new one.
 */
int logdir_replace(int dirfd, const char *name, const char *tmp, mode_t mode,
		   unsigned flags, logdir_fill_fn *fill, const void *arg);

/* Bytes already formatted, for logdir_fill_text. */
struct logdir_text {
	const char *bytes;
	size_t len;
};
void logdir_fill_text(FILE *f, const void *text);

#endif
