/*
 * joblog.c: LOGDIR/joblog in GNU parallel's --joblog columns, with State,
 * Attempt and Reason added before Command so that Command stays last and
 * parsers written for parallel's joblog keep working.  One line per attempt.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "logdir/joblog.h"
#include "shm/state.h"

static const char header[] = JOBLOG_HEADER "\n";

int joblog_start(int fd)
{
	ssize_t n = write(fd, header, sizeof(header) - 1);

	if (n < 0)
		return -errno;
	return (size_t)n == sizeof(header) - 1 ? 0 : -ENOSPC;
}

/* Exitval in parallel's layout, which has no State: a task that did not
 * complete must not read as 0 (one that stopped cleanly on an interrupt's
 * SIGTERM exited 0), or parallel's and our --resume would skip it. */
static int parallel_exitval(const struct os_slot_view *v)
{
	if (v->state != OS_COMPLETED && v->exit_code <= 0 && v->term_signal == 0)
		return -1;
	return v->exit_code >= 0 ? v->exit_code : -1;
}

int joblog_append(int fd, enum joblog_layout layout, const struct os_slot_view *v,
		  const char *cmd, uint32_t cmd_len)
{
	const char *reason = os_reason_name(v->reason);
	char fields[256];
	int64_t start = v->start_real_ns ? v->start_real_ns : v->end_real_ns;
	int64_t runtime = v->start_mono_ns && v->end_mono_ns > v->start_mono_ns
			  ? v->end_mono_ns - v->start_mono_ns : 0;
	int n = layout == JOBLOG_PARALLEL
		/* GNU parallel's own nine columns, as it writes them (JobRuntime
		 * ten wide): an INTERRUPTED task reads as failed there. */
		? snprintf(fields, sizeof(fields), "%u\t:\t%.3f\t%10.3f\t0\t%llu\t%d\t%d\t",
			   v->id, (double)start / 1e9, (double)runtime / 1e9,
			   (unsigned long long)v->output_bytes, parallel_exitval(v), v->term_signal)
		: snprintf(fields, sizeof(fields), "%u\t:\t%.3f\t%.3f\t0\t%llu\t%d\t%d\t%s\t%u\t%s%s",
			 v->id, (double)start / 1e9, (double)runtime / 1e9,
			 (unsigned long long)v->output_bytes,
			 v->exit_code >= 0 ? v->exit_code : -1, v->term_signal,
			 os_state_name(v->state), v->attempt ? v->attempt : 1,
			 layout == JOBLOG_V1 ? "" : reason && v->state != OS_COMPLETED ? reason : "-",
			 layout == JOBLOG_V1 ? "" : "\t");
	struct iovec iov[3] = {
		{ fields, (size_t)n }, { (void *)cmd, cmd_len }, { "\n", 1 },
	};

	size_t want = (size_t)n + cmd_len + 1;
	ssize_t done;

	/* One writev on an O_APPEND file.  A short write (a full disk) is
	 * undone and reported, not retried: a retry could succeed half-way. */
	done = writev(fd, iov, 3);
	if (done < 0)
		return -errno;
	if ((size_t)done == want)
		return 0;
	/* The supervisor is the job log's only writer: cut the partial line
	 * off again, so the log stays whole lines for every parser. */
	off_t end = lseek(fd, 0, SEEK_END);
	if (end >= done && ftruncate(fd, end - done) < 0)
		return -errno;
	return -ENOSPC;
}
