/*
 * cause.h: words for a task's end and its command, shared by every program
 * that reports on tasks (the supervisor's report and syslog, oneshot-ps).
 */
#ifndef ONESHOT_FMT_CAUSE_H
#define ONESHOT_FMT_CAUSE_H

#include <stddef.h>
#include <stdint.h>

#include "shm/slot.h"

/* At most this many tasks are listed under a report's summary line. */
#define FMT_REPORT_LIST_MAX 10
/* Commands listed in a report are cut to this many characters. */
#define FMT_REPORT_CMD_MAX 70

/*
 * Format a duration of NS nanoseconds for people: "0.4s" (with TENTHS and
 * under 10 s), "12s", "4m12s", "3h07m00s".
 */
void fmt_elapsed(char *buf, size_t len, int64_t ns, int tenths);

/* TEXT as it may be shown on a terminal or in a log: control characters as
 * '?' (a task file must not drive the reader's terminal), cut to MAX
 * characters (UTF-8 sequences kept whole) with "..." when cut. */
void fmt_shown_text(char *buf, size_t len, const char *text, size_t max);

/* Why task V did not complete: "exit 2", "SIGKILL", "timeout"; with
 * DETAIL, a failure without an exit status carries the slot's message
 * ("setup: open pty: ...").  A retried task says which attempt ended so
 * ("exit 2, attempt 3"). */
void fmt_cause(char *buf, size_t len, const struct os_slot_view *v, int detail);

#endif
