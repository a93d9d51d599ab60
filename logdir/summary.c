/*
 * summary.c: LOGDIR/summary.json, written once at the end of the run through
 * a temporary file and a rename, so a reader sees the old file or the whole
 * new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "logdir/logdir.h"
#include "logdir/summary.h"
#include "shm/state.h"
#include "shm/util.h"

/* {"timeout": 2, "operator": 1}: the reasons that occurred, in enum order. */
static void format_reasons(char *buf, size_t len, const uint32_t *by_reason)
{
	size_t n = (size_t)snprintf(buf, len, "{");

	for (uint32_t why = 1; why < OS_REASON_COUNT && n < len; why++)
		if (by_reason[why])
			n += (size_t)snprintf(buf + n, len - n, "%s\"%s\": %u", n > 1 ? ", " : "",
					      os_reason_name(why), by_reason[why]);
	if (n < len)
		snprintf(buf + n, len - n, "}");
}

static int format_summary(char *buf, size_t len, const struct summary *s)
{
	char start[40], end[40], sig[16] = "null", shard[64] = "null", host[256] = "";
	char reasons[512];

	format_reasons(reasons, sizeof(reasons), s->interrupted_by);
	os_format_iso8601(start, sizeof(start), s->start_real_ns);
	os_format_iso8601(end, sizeof(end), s->end_real_ns);
	if (s->stop_signal)
		snprintf(sig, sizeof(sig), "%d", s->stop_signal);
	if (s->shard_count)
		snprintf(shard, sizeof(shard), "{\"index\": %u, \"count\": %u}",
			 s->shard_index, s->shard_count);
	/* A host name is letters, digits, dots and dashes: nothing to escape,
	 * but a name that breaks that rule is not written into JSON as is. */
	if (gethostname(host, sizeof(host) - 1) < 0 || host[strspn(host,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")])
		snprintf(host, sizeof(host), "unknown");
	return snprintf(buf, len,
			"{\n  \"name\": \"%s\",\n  \"host\": \"%s\",\n  \"supervisor_pid\": %d,\n"
			"  \"started_at\": \"%s\",\n  \"ended_at\": \"%s\",\n"
			"  \"exit_status\": %d,\n  \"stopped_by_signal\": %s,\n"
			"  \"shard\": %s,\n  \"listed\": %u,\n  \"total\": %u,\n"
			"  \"counts\": {\"completed\": %u, \"failed\": %u, \"interrupted\": %u, "
			"\"not_started\": %u},\n  \"interrupted_by\": %s,\n  \"retried\": %u,\n"
			"  \"resumed\": {\"skipped_completed\": %u, \"skipped_failed\": %u}\n}\n",
			s->name, host, s->supervisor_pid, start, end, s->exit_status, sig, shard,
			s->listed, s->total, s->completed, s->failed, s->interrupted, s->not_started,
			reasons, s->retried,
			s->skipped_completed, s->skipped_failed);
}

int summary_write(int dirfd, const struct summary *s)
{
	char buf[2048];
	int n = format_summary(buf, sizeof(buf), s);
	struct logdir_text text = { buf, (size_t)n };

	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EOVERFLOW;
	return logdir_replace(dirfd, "summary.json", "summary.json.tmp", 0600, LOGDIR_SYNC,
			      logdir_fill_text, &text);
}
