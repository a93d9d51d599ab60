/*
 * resume.c: matching an earlier job log against the task list.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logdir/joblog.h"
#include "supervisor/resume.h"
#include "shm/state.h"

enum done { NOT_DONE = 0, DONE_COMPLETED, DONE_FAILED, DONE_OTHER };

static int check_line(const char *line, size_t linelen, uint64_t lineno, int layout,
		      const struct tasklist *t, unsigned char *done, uint32_t *attempts,
		      char *err, size_t len)
{
	struct joblog_line l;
	const char *why = NULL;
	int64_t i;

	/* WHY is set by a refused parse, or here.  Another tool may have
	 * appended to the log in its own layout (GNU parallel's --resume). */
	if (joblog_line_parse_mixed(line, linelen, layout, &l, &why) > 0 && l.seq > t->listed)
		why = "task number above the task list's";
	if (why) {
		snprintf(err, len, "joblog:%llu: not a job-log line of this task list (%s)",
			 (unsigned long long)lineno, why);
		return -EINVAL;
	}
	i = tasklist_find(t, l.seq);
	if (i < 0) {
		snprintf(err, len, "joblog:%llu: task %u is not one of this run's tasks (a log "
			 "of another --shard?)", (unsigned long long)lineno, l.seq);
		return -EINVAL;
	}
	if (l.cmd_len != t->lens[i] || memcmp(l.cmd, t->cmds[i], l.cmd_len)) {
		snprintf(err, len, "joblog:%llu: task %u was a different command: the task "
			 "list changed since that run", (unsigned long long)lineno, l.seq);
		return -EINVAL;
	}
	done[i] = l.state == OS_COMPLETED ? DONE_COMPLETED
		: l.state == OS_FAILED ? DONE_FAILED : DONE_OTHER;
	if (l.attempt > attempts[i] && l.attempt < UINT32_MAX / 2)
		attempts[i] = l.attempt;
	return 0;
}

static int read_log(int dirfd, const struct tasklist *t, unsigned char *done,
		    uint32_t *attempts, int *layout, char *err, size_t len)
{
	int fd = openat(dirfd, "joblog", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	char *line = NULL;
	size_t cap = 0;
	uint64_t lineno = 0;
	ssize_t n;
	int ret = 0;

	if (!f) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		return ret;
	}
	while (!ret && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (++lineno == 1) {
			*layout = joblog_header_layout(line, (size_t)n);
			if (!*layout) {
				snprintf(err, len, "joblog:1: not a job log header (oneshot's or "
					 "GNU parallel's)");
				ret = -EINVAL;
			}
			continue;
		}
		ret = check_line(line, (size_t)n, lineno, *layout, t, done, attempts, err, len);
	}
	if (!ret && lineno == 0) {
		snprintf(err, len, "joblog: empty");
		ret = -EINVAL;
	}
	free(line);
	fclose(f);
	return ret;
}

/* Keep only the tasks still to run, with their task numbers: DONE becomes
 * the list of entries to keep. */
static int compact(struct tasklist *t, unsigned char *done, int rerun_failed,
		   struct resume_plan *plan)
{
	int ret;

	for (uint32_t i = 0; i < t->count; i++) {
		if (done[i] == DONE_COMPLETED)
			plan->skipped_completed++;
		else if (done[i] == DONE_FAILED && !rerun_failed)
			plan->skipped_failed++;
		else {
			done[i] = 1;
			continue;
		}
		done[i] = 0;
	}
	/* The attempts of the tasks kept, in the order they keep. */
	for (uint32_t i = 0, k = 0; i < t->count; i++)
		if (done[i])
			plan->attempts[k++] = plan->attempts[i];
	ret = tasklist_keep(t, done);
	plan->kept = t->count;
	return ret;
}

int resume_plan(int dirfd, struct tasklist *tasks, int rerun_failed,
		struct resume_plan *plan, char *err, size_t errlen)
{
	unsigned char *done = calloc(tasks->count ? tasks->count : 1, 1);
	int ret;

	memset(plan, 0, sizeof(*plan));
	plan->attempts = calloc(tasks->count ? tasks->count : 1, sizeof(*plan->attempts));
	if (!done || !plan->attempts) {
		free(done);
		resume_plan_free(plan);
		return -ENOMEM;
	}
	ret = read_log(dirfd, tasks, done, plan->attempts, &plan->layout, err, errlen);
	if (!ret)
		ret = compact(tasks, done, rerun_failed, plan);
	free(done);
	if (ret)
		resume_plan_free(plan);
	return ret;
}

void resume_plan_free(struct resume_plan *plan)
{
	free(plan->attempts);
	plan->attempts = NULL;
}
