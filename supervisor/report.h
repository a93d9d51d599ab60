/*
 * report.h: what the supervisor tells the operator when the run ends: one
 * summary line and a short list of the tasks that did not complete, on
 * stderr, and only when someone is looking (stderr is a terminal) or
 * something went wrong.  A successful unattended run prints nothing, so cron
 * mails only about runs that need a look.
 */
#ifndef ONESHOT_REPORT_H
#define ONESHOT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "supervisor/run.h"
#include "fmt/cause.h"
#include "shm/slot.h"


/*
 * Print the end-of-run report of R, whose exit status is STATUS, on stderr
 * when stderr is a terminal or STATUS is not 0:
 *
 *   PROG: NAME: 12 completed, 1 failed (task 7: exit 2), 0 interrupted in 4m12s
 *     task 7 FAILED (exit 2): make -C web check
 *
 * The task named on the summary line is the lowest-numbered one in that
 * state; the list holds the first FMT_REPORT_LIST_MAX FAILED or INTERRUPTED
 * tasks in task order, then "... and N more: see LOGDIR/joblog".
 */
void report_print(const struct run *r, int status);

#endif
