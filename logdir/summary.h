/*
 * summary.h: LOGDIR/summary.json, written once when a run ends (summary.c)
 * and read back by oneshot-ps --merge (summary_read.c).
 */
#ifndef ONESHOT_LOGDIR_SUMMARY_H
#define ONESHOT_LOGDIR_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "shm/table.h"

/* A summary.json is a few hundred bytes; anything much bigger is not ours. */
#define SUMMARY_FILE_MAX 65536
/* The most shards a run's task list can be split into (--shard K/N). */
#define SUMMARY_SHARD_COUNT_MAX 1000000u

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
	uint32_t interrupted_by[OS_REASON_COUNT]; /* INTERRUPTED tasks by reason */
};

/* Write DIRFD/summary.json atomically (temp file, fsync, rename). */
int summary_write(int dirfd, const struct summary *s);


/* What a summary.json says that a reader needs. */
struct summary_info {
	char host[256];
	int exit_status;
	int stop_signal;      /* 0 for null */
	uint32_t shard_index, shard_count; /* 0/1 for an unsharded run */
	uint32_t listed;
};

/*
 * Parse the summary.json TEXT (LEN bytes) of FILE into OUT: members in any
 * order, members not needed skipped.  Returns 0 or -EINVAL (ERR:
 * "FILE:LINE: ...").
 */
int summary_parse(const char *text, size_t len, const char *file,
		  struct summary_info *out, char *err, size_t errlen);

/* Read and parse DIRFD/summary.json (DIR names it in ERR); -ENOENT (ERR
 * unset) when missing. */
int summary_read(int dirfd, const char *dir, struct summary_info *out,
		 char *err, size_t errlen);

#endif
