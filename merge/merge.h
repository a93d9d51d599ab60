/*
 * merge.h: oneshot-ps --merge, the log directories of the shards of one task
 * list (oneshotd-supervise --shard K/N) read back, checked against each other
 * and put together as one job log and one summary.  Everything read is
 * untrusted: a log directory may come from another machine or another user.
 *
 * Library code: functions return 0 or -errno and put a one-line reason
 * ("FILE:LINE: ...") in ERR; they never print or exit.
 */
#ifndef ONESHOT_MERGE_H
#define ONESHOT_MERGE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "logdir/joblog.h"
#include "logdir/logdir.h"
#include "logdir/summary.h"

/* Room for one reason in ERR. */
#define MERGE_ERR_MAX 1024
/* FAILED and INTERRUPTED task numbers listed in the merged summary.json. */
#define MERGE_LIST_MAX 100

/* One job-log line.  The pointers point into the shard's buffer. */
struct merge_line {
	uint32_t seq, state, attempt, reason;
	int exit_code, term_signal;
	const char *head;     /* Starttime ... Attempt: copied to the merged log */
	size_t head_len;
	const char *cmd;      /* Command (may hold tabs) */
	size_t cmd_len;
	uint32_t shard;       /* index into merge.shards */
	uint32_t order;       /* line number in its job log: attempts keep order */
};

struct merge_shard {
	const char *dir;
	uint64_t dev, ino;    /* of DIR: -o must not name one of them */
	int finished;         /* summary.json was there; else not merged */
	struct summary_info sum;
	char *buf;            /* the job log's bytes, lines cut in place */
	int layout;           /* enum joblog_layout of its job log */
};

struct merge {
	struct merge_shard *shards;   /* in the order given */
	uint32_t nshards;
	uint32_t count, listed;       /* N and listed, the same in every shard */
	uint32_t merged;              /* shards with a summary.json */
	uint32_t missing;             /* shard indexes nobody gave */
	uint32_t *owner;              /* per shard index: 1 + its place in shards, 0 none */
	struct merge_line *lines;     /* sorted by task number, then order */
	size_t nlines, cap;
	uint32_t *last;               /* per task number - 1: index + 1 of its last line */
	uint32_t completed, failed, interrupted, not_run;
};

/* merge_joblog.c */

/*
 * Read DIRFD/joblog of shard SHARD of M (its summary already read) and
 * append its lines to M->lines, checking that each task number is within
 * 1..listed and is the shard's.  ERR names DIR/joblog:LINE.
 */
int merge_joblog_read(struct merge *m, uint32_t shard, int dirfd, char *err, size_t len);

/*
 * The same for a job log already in memory: the SIZE bytes of
 * M->shards[SHARD].buf (malloc'd, freed by merge_free; lines are cut in
 * place and M->lines point into it).  merge_joblog_read reads the file and
 * calls this; the fuzz target (tests/fuzz/fuzz_merge.c) calls it directly.
 */
int merge_joblog_parse(struct merge *m, uint32_t shard, size_t size, char *err, size_t len);

/* merge_plan.c */

/*
 * Check the shards' summaries against each other: one count N and one
 * listed, no shard index twice.  Sets M->count, listed, merged, missing.
 * An error names both directories of a duplicate.
 */
int merge_check_shards(struct merge *m, char *err, size_t len);

/* 1 if shard index K of M was given (and finished). */
int merge_shard_present(const struct merge *m, uint32_t k);

/* Sort the lines and work out each task's final state and the counts. */
int merge_finish(struct merge *m);

/* The line holding task number SEQ's final state, or NULL: not run. */
const struct merge_line *merge_final(const struct merge *m, uint32_t seq);

/* 0 if every listed task completed, else 1: a single run's exit status. */
int merge_exit_status(const struct merge *m);

void merge_free(struct merge *m);

/* merge_out.c: the merged files' text on F; check ferror(F) after. */
void merge_write_joblog(FILE *f, const struct merge *m);
void merge_write_summary(FILE *f, const struct merge *m);

/* merge_outdir.c */

/*
 * Write DIR/joblog and DIR/summary.json: DIR is created (mode 0700) if
 * missing and must not be a symlink; each file goes through a temporary
 * file, fsync and rename, and on any error neither temporary file is left.
 * Returns 0, -errno (*WHY says which step failed) or MERGE_REFUSED: DIR is
 * not the caller's alone, or is a log directory (*WHY says which).
 */
#define MERGE_REFUSED 1
int merge_outdir_write(const char *dir, const struct merge *m, const char **why);

#endif
