/*
 * shard.h: --shard K/N: one supervisor of N takes every task whose number i
 * has (i - 1) mod N == K, so N array jobs of a cluster scheduler split one
 * task list without talking to each other, and keep the original numbers.
 */
#ifndef ONESHOT_SHARD_H
#define ONESHOT_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "logdir/summary.h"
#include "logdir/tasklist.h"

#define SHARD_COUNT_MAX SUMMARY_SHARD_COUNT_MAX

struct shard {
	uint32_t index;   /* K */
	uint32_t count;   /* N; 0 when not sharded */
	const char *from; /* where K came from: "--shard", "SLURM_ARRAY_TASK_ID", ... */
};

/*
 * Parse the argument of --shard: "K/N", "auto" (SLURM_ARRAY_TASK_ID less
 * SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT) or "auto/N" (also
 * JOB_COMPLETION_INDEX, a Kubernetes Indexed Job's, whose count is not in
 * the environment).  Returns 0, or -EINVAL with a one-line reason in ERR.
 */
int shard_parse(const char *arg, struct shard *out, char *err, size_t len);

/*
 * Expand %K and %N (and %% to %) of IN into a malloc'd *OUT.  Without a
 * shard (count 0) any %K or %N is an error, as is any other %x.  WHAT names
 * the option in ERR.  Returns 0, -EINVAL or -ENOMEM.
 */
int shard_expand(const char *in, const struct shard *s, const char *what, char **out,
		 char *err, size_t len);

/* Keep only this shard's tasks in LIST (a no-op without a shard). */
int shard_select(struct tasklist *list, const struct shard *s);

#endif
