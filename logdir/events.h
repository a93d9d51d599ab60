/*
 * events.h: reading the lines of LOGDIR/events.jsonl back (oneshot-ps
 * --follow).  Pure parsing.  The lines are written by the state machine
 * itself (os_event_format in shm/state.c), one per transition.
 */
#ifndef ONESHOT_LOGDIR_EVENTS_H
#define ONESHOT_LOGDIR_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "shm/table.h"

/* One transition, as written by os_event_format. */
struct events_line {
	int64_t time_ns;             /* "time" as CLOCK_REALTIME nanoseconds */
	char time[40];
	char run[OS_NAME_MAX + 1];
	uint32_t task;
	char event[24];
	char from[16], to[16];
	char reason[24];             /* "" when null */
};

/*
 * Parse LINE (LEN bytes, no newline): one flat JSON object with at least
 * "time", "run", "task", "event", "from" and "to" ("reason" a string or
 * null; other members are ignored).  Returns 0 or -EINVAL.
 */
int events_parse_line(const char *line, size_t len, struct events_line *ev);

#endif
