/*
 * syslogger.h: --syslog, the run's start, each task that ended FAILED or
 * INTERRUPTED, and the run's end, sent to syslog(3) with the run name as
 * ident, the supervisor's pid (LOG_PID) and facility LOG_USER:
 *
 *   info     run started: 12 tasks, cap 4, pid 4711, log dir /var/log/oneshot/nightly
 *   warning  task 7 FAILED (exit 2): make -C web check
 *   warning  task 9 INTERRUPTED (timeout): ./crawl --all
 *   info     run ended: exit status 1, 12 tasks: 10 completed, 1 failed, 1 interrupted, 0 not started, in 4m12s
 *
 * Commands
 * are cut to SYSLOGGER_CMD_MAX characters, control characters shown as '?'.
 * Only the supervisor logs: openlog happens before the first worker is
 * forked, and workers never call syslog.  Named syslogger, not syslog: this
 * directory is on the include path, and <syslog.h> must stay the system's.
 */
#ifndef ONESHOT_SYSLOGGER_H
#define ONESHOT_SYSLOGGER_H

#include <stdint.h>

#include "shm/slot.h"

struct run;

#define SYSLOGGER_CMD_MAX 100

/* With --syslog: openlog and the start message. */
void syslogger_start(struct run *r);

/* The task of slot I (0-based) ended as V says: a message, naming it by
 * V->id, if it FAILED or was INTERRUPTED. */
void syslogger_task_end(struct run *r, uint32_t i, const struct os_slot_view *v);

/* The end message for exit status STATUS (table marked DONE), then closelog. */
void syslogger_finish(struct run *r, int status);

#endif
