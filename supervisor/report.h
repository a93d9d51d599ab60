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

#include "run.h"
#include "slot.h"

/* At most this many tasks are listed under the summary line. */
#define REPORT_LIST_MAX 10
/* Commands in that list are cut to this many characters. */
#define REPORT_CMD_MAX 70

/*
 * Format a duration of NS nanoseconds for people: "0.4s" (with TENTHS and
 * under 10 s), "12s", "4m12s", "3h07m00s".
 */
void report_duration(char *buf, size_t len, int64_t ns, int tenths);

/*
 * Print the end-of-run report of R, whose exit status is STATUS, on stderr
 * when stderr is a terminal or STATUS is not 0:
 *
 *   PROG: NAME: 12 completed, 1 failed (task 7: exit 2), 0 interrupted in 4m12s
 *     task 7 FAILED (exit 2): make -C web check
 *
 * The task named on the summary line is the lowest-numbered one in that
 * state; the list holds the first REPORT_LIST_MAX FAILED or INTERRUPTED
 * tasks in task order, then "... and N more: see LOGDIR/joblog".
 */
void report_print(const struct run *r, int status);

/* TEXT as it may be shown on a terminal or in a log: control characters as
 * '?' (a task file must not drive the reader's terminal), cut to MAX
 * characters (UTF-8 sequences kept whole) with "..." when cut. */
void report_shown_text(char *buf, size_t len, const char *text, size_t max);

/* Why task V did not complete: "exit 2", "SIGKILL", "timeout"; with
 * DETAIL, a failure without an exit status carries the slot's message
 * ("setup: open pty: ...").  A retried task says which attempt ended so
 * ("exit 2, attempt 3"). */
void report_cause(char *buf, size_t len, const struct os_slot_view *v, int detail);

#endif
