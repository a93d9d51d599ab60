/*
 * metrics.h: --metrics FILE, the run's state in Prometheus text format for
 * node_exporter's textfile collector (or anything that reads the format).
 *
 * The file is written at the start of the run, every METRICS_PERIOD_NS while
 * it goes on (a deadline of the loop in run.c, like the status line's) and
 * once more at the end with the exit status.  Each write goes to
 * FILE.tmp.PID in FILE's directory and is renamed over FILE, so a reader
 * only ever sees a whole file, the previous one or the next.  A write that
 * fails is warned about once and tried again at the next period; the run
 * goes on.
 *
 * Metrics, each with the label run="NAME":
 *
 *   oneshot_tasks{state="created|running|idle|interrupted|completed|failed"}
 *   oneshot_tasks_waiting                    of the idle ones, those waiting
 *                                            for input now
 *   oneshot_run_tasks                        tasks in the task list
 *   oneshot_run_cap                          -j
 *   oneshot_run_start_time_seconds           unix time
 *   oneshot_run_duration_seconds
 *   oneshot_last_success_timestamp_seconds   see metrics.c (0 if none)
 *   oneshot_task_interrupts_total{reason=}   counter
 *   oneshot_task_failures_total              counter
 *   oneshot_run_exit_status                  -1 until the run has ended
 */
#ifndef ONESHOT_METRICS_H
#define ONESHOT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "shm/slot.h"
#include "shm/table.h"

struct run;

/* Period of the rewrite while the run goes on. */
#define METRICS_PERIOD_NS (5 * INT64_C(1000000000))

struct metrics {
	int on;                           /* --metrics was given */
	int warned;                       /* a write failed: said so once */
	int64_t next_ns;                  /* CLOCK_MONOTONIC of the next write */
	int64_t last_success_real_ns;     /* end of the latest COMPLETED task */
	uint64_t interrupts[OS_REASON_COUNT]; /* INTERRUPTED tasks by reason */
	uint64_t failures;                /* FAILED tasks */
	uint32_t waiting_first;           /* metrics_count_waiting's *FIRST */
};

/*
 * Tasks of the table whose header is H that are IDLE and waiting for input
 * now (also the status line's count, progress.c).  The slots follow the
 * header (shm/table.h).  The scan stops once it has seen as many IDLE
 * tasks as the header counts, and starts at *FIRST, the first slot not
 * known to have ended: without --retries an ended task never runs again,
 * so *FIRST (0 at first, kept by the caller from call to call) only moves
 * forward, past the ended tasks at the front; a run of many tasks is not
 * read whole twice a second.  With --retries the scan starts at 0.
 */
uint32_t metrics_count_waiting(const struct os_header *h, uint32_t *first);

/*
 * Check at startup that PATH (absolute) can be written the way it will be:
 * not a directory, and a file can be created (and is removed again) beside
 * it.  Returns 0, or -EINVAL with a one-line message naming --metrics in ERR.
 */
int metrics_check_path(const char *path, char *err, size_t len);

/* Turn the metrics on if R's options ask for them and write the first file. */
void metrics_start(struct run *r);

/* When the next periodic write is due (CLOCK_MONOTONIC), or 0 if off. */
int64_t metrics_due(const struct metrics *m);

/* Write the file if its period is due at NOW. */
void metrics_tick(struct run *r, int64_t now);

/* Count the end of a task (V: its slot after its end was recorded). */
void metrics_task_end(struct metrics *m, const struct os_slot_view *v);

/* The last write, once the run has ended with STATUS (table marked DONE). */
void metrics_finish(struct run *r, int status);

#endif
