/*
 * logdir.h: the run's log directory and the files the supervisor writes in
 * it (the worker writes the transcripts).
 */
#ifndef ONESHOT_LOGDIR_H
#define ONESHOT_LOGDIR_H

#include <stdint.h>

#include "slot.h"

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

/* joblog.c: write the header line of a new job log. */
int joblog_start(int fd);

/* joblog.c: append the line of one finished task (one write). */
int joblog_append(int fd, const struct os_slot_view *v, const char *cmd, uint32_t cmd_len);

/* What summary.json says. */
struct summary {
	const char *name;
	int supervisor_pid;
	int64_t start_real_ns, end_real_ns;
	int exit_status;
	int stop_signal;        /* 0 unless stopped by a signal */
	uint32_t total;
	uint32_t completed, failed, interrupted, not_started;
	uint32_t skipped_completed, skipped_failed; /* --resume: not run again */
	uint32_t listed;        /* tasks in the task file, all shards */
	uint32_t retried;       /* attempts started by --retries */
	uint32_t shard_index, shard_count; /* --shard K/N; count 0: not sharded */
};

/* summary.c: write DIRFD/summary.json atomically (temp file, fsync, rename). */
int summary_write(int dirfd, const struct summary *s);

#endif
