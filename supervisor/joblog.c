/*
 * joblog.c: LOGDIR/joblog in GNU parallel's --joblog columns, with State
 * added before Command so that Command stays last and parsers written for
 * parallel's joblog keep working.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "logdir.h"
#include "state.h"

static const char header[] =
	"Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tState\tCommand\n";

int joblog_start(int fd)
{
	return write(fd, header, sizeof(header) - 1) < 0 ? -errno : 0;
}

int joblog_append(int fd, const struct os_slot_view *v, const char *cmd, uint32_t cmd_len)
{
	char fields[256];
	int64_t start = v->start_real_ns ? v->start_real_ns : v->end_real_ns;
	int64_t runtime = v->start_mono_ns && v->end_mono_ns > v->start_mono_ns
			  ? v->end_mono_ns - v->start_mono_ns : 0;
	int n = snprintf(fields, sizeof(fields), "%u\t:\t%.3f\t%.3f\t0\t%llu\t%d\t%d\t%s\t",
			 v->id, (double)start / 1e9, (double)runtime / 1e9,
			 (unsigned long long)v->output_bytes,
			 v->exit_code >= 0 ? v->exit_code : -1, v->term_signal,
			 os_state_name(v->state));
	struct iovec iov[3] = {
		{ fields, (size_t)n }, { (void *)cmd, cmd_len }, { "\n", 1 },
	};

	/* One writev on an O_APPEND file: a line is never split. */
	return writev(fd, iov, 3) < 0 ? -errno : 0;
}
