/*
 * resume.h: --resume and --resume-failed: which tasks of a task list still
 * have to run, from the job log an earlier run of it left.
 */
#ifndef ONESHOT_RESUME_H
#define ONESHOT_RESUME_H

#include <stddef.h>
#include <stdint.h>

#include "logdir/tasklist.h"

struct resume_plan {
	uint32_t skipped_completed; /* tasks the log has COMPLETED: not run */
	uint32_t skipped_failed;    /* FAILED in the log, not run (--resume) */
	uint32_t kept;              /* tasks left in the list to run */
	uint32_t *attempts;         /* per task kept: attempts the log has, 0 if none */
	int layout;                 /* enum joblog_layout of the log, lines are appended in */
};

/*
 * Read DIRFD/joblog and drop from TASKS (compacting it, and giving it the
 * ids of the tasks kept) every task the log says finished: COMPLETED ones,
 * and FAILED ones too unless RERUN_FAILED.  INTERRUPTED tasks and tasks
 * with no line run again.  The last line of a task wins; the highest
 * Attempt of each task kept goes to PLAN->attempts, so the next run goes on
 * counting (and naming transcripts) from there.  Refuses (-EINVAL,
 * ERR says where) a log whose header is not oneshot's or whose task number
 * or command does not match TASKS: the task list changed.  -ENOENT: no
 * joblog.  Returns 0 or -errno.
 */
int resume_plan(int dirfd, struct tasklist *tasks, int rerun_failed,
		struct resume_plan *plan, char *err, size_t errlen);

/* Free what resume_plan allocated; safe on a zeroed plan. */
void resume_plan_free(struct resume_plan *plan);

#endif
