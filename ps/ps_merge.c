/*
 * ps_merge.c: oneshot-ps --merge LOGDIR..., the finished shards of one task
 * list as one job log and one summary (merge.h does the reading and
 * checking).  Everything is read and checked before anything is written, so
 * an input error (exit 2) leaves no output behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "merge/merge.h"
#include "ps/ps.h"
#include "fmt/cause.h"
#include "shm/state.h"
#include "shm/util.h"

/* Exit statuses of --merge: those of a single run, and 2 for bad input. */
enum { MERGE_EXIT_OK = 0, MERGE_EXIT_INCOMPLETE = 1, MERGE_EXIT_BAD = PS_EXIT_USAGE };

/* A job log changed after the summary was written: a later run (--resume)
 * of that directory is going on or was killed.  Its lines are merged as
 * they are, but the merge says so. */
static void warn_if_stale(int dirfd, const char *dir)
{
	struct stat log, sum;

	if (fstatat(dirfd, "joblog", &log, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fstatat(dirfd, "summary.json", &sum, AT_SYMLINK_NOFOLLOW) < 0)
		return; /* reading them reports it */
	if (log.st_mtim.tv_sec > sum.st_mtim.tv_sec ||
	    (log.st_mtim.tv_sec == sum.st_mtim.tv_sec && log.st_mtim.tv_nsec > sum.st_mtim.tv_nsec))
		os_warn("%s: the job log changed after summary.json was written: a later run "
			"has not finished (or is still running); merging the job log as it is", dir);
}

/* Open LOGDIR I of M and read its summary.json; remember the fd. */
static void read_summary(struct merge *m, uint32_t i, int *fd)
{
	struct merge_shard *s = &m->shards[i];
	char err[MERGE_ERR_MAX];
	struct stat st;
	int ret;

	*fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		os_die_err(MERGE_EXIT_BAD, -errno, "%s", s->dir);
	if (fstat(*fd, &st) < 0)
		os_die_err(MERGE_EXIT_BAD, -errno, "%s", s->dir);
	s->dev = (uint64_t)st.st_dev;
	s->ino = (uint64_t)st.st_ino;
	ret = summary_read(*fd, s->dir, &s->sum, err, sizeof(err));
	if (ret == -ENOENT) {
		os_warn("%s: no summary.json: that run has not finished (or is still running); "
			"its tasks count as not run", s->dir);
		return;
	}
	if (ret)
		os_die(MERGE_EXIT_BAD, "%s", err);
	s->finished = 1;
	warn_if_stale(*fd, s->dir);
}

/* One warning for the shard indexes nobody gave (the first 10 named). */
static void warn_missing(const struct merge *m)
{
	char list[128] = "";
	size_t n = 0;
	uint32_t named = 0;

	if (!m->missing)
		return;
	for (uint32_t k = 0; k < m->count && named < 10; k++) {
		if (merge_shard_present(m, k))
			continue;
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%u/%u", named++ ? ", " : "",
				      k, m->count);
	}
	os_warn("%u shard%s missing (%s%s): %s tasks count as not run", m->missing,
		m->missing == 1 ? "" : "s", list, m->missing > named ? ", ..." : "",
		m->missing == 1 ? "its" : "their");
}

/* Read and check every LOGDIR of O into M, or exit 2. */
static void read_all(const struct ps_opts *o, struct merge *m)
{
	char err[MERGE_ERR_MAX];
	int *fds = calloc((size_t)o->ndirs, sizeof(*fds));
	int ret;

	m->shards = calloc((size_t)o->ndirs, sizeof(*m->shards));
	if (!fds || !m->shards)
		os_die(MERGE_EXIT_BAD, "out of memory");
	m->nshards = (uint32_t)o->ndirs;
	for (uint32_t i = 0; i < m->nshards; i++) {
		m->shards[i].dir = o->dirs[i];
		read_summary(m, i, &fds[i]);
	}
	ret = merge_check_shards(m, err, sizeof(err));
	if (ret == -ENOMEM)
		os_die(MERGE_EXIT_BAD, "out of memory");
	if (ret)
		os_die(MERGE_EXIT_BAD, "%s", err);
	warn_missing(m);
	for (uint32_t i = 0; i < m->nshards; i++) {
		if (m->shards[i].finished &&
		    merge_joblog_read(m, i, fds[i], err, sizeof(err)))
			os_die(MERGE_EXIT_BAD, "%s", err);
		if (close(fds[i]) < 0)
			os_die_err(MERGE_EXIT_BAD, -errno, "closing %s", m->shards[i].dir);
	}
	free(fds);
	if (merge_finish(m))
		os_die(MERGE_EXIT_BAD, "out of memory");
}

/* How task L ended, as report.c words it for a run ("exit 2", "SIGKILL",
 * "no exit status").  The job log carries no interrupt reason, so an
 * INTERRUPTED task is described by its exit too. */
static void cause(char *buf, size_t len, const struct merge_line *l)
{
	struct os_slot_view v = { .state = OS_FAILED, .reason = OS_REASON_NONE };

	v.exit_code = l->exit_code;
	v.term_signal = l->term_signal;
	v.attempt = l->attempt;
	fmt_cause(buf, len, &v, 0);
}

/* The first task whose final state is STATE, or NULL. */
static const struct merge_line *first_in(const struct merge *m, uint32_t state)
{
	for (uint32_t seq = 1; seq <= m->listed; seq++) {
		const struct merge_line *l = merge_final(m, seq);

		if (l && l->state == state)
			return l;
	}
	return NULL;
}

/* " (task 7: exit 2)" for L, or "" without one. */
static void first_part(char *buf, size_t len, const struct merge_line *l)
{
	char why[48];

	buf[0] = '\0';
	if (!l)
		return;
	cause(why, sizeof(why), l);
	snprintf(buf, len, " (task %u: %s)", l->seq, why);
}

/* The first FMT_REPORT_LIST_MAX FAILED or INTERRUPTED tasks, as report.c lists
 * a run's, with the shard and host each ran on. */
static void list_tasks(const struct merge *m, const char *out_dir)
{
	char why[48], cmd[FMT_REPORT_CMD_MAX * 4 + 8];
	uint32_t shown = 0, bad = m->failed + m->interrupted;

	for (uint32_t seq = 1; seq <= m->listed && shown < FMT_REPORT_LIST_MAX; seq++) {
		const struct merge_line *l = merge_final(m, seq);
		const struct merge_shard *s;

		if (!l || l->state == OS_COMPLETED)
			continue;
		s = &m->shards[l->shard];
		cause(why, sizeof(why), l);
		fmt_shown_text(cmd, sizeof(cmd), l->cmd, FMT_REPORT_CMD_MAX);
		fprintf(stderr, "  task %u %s (%s) on %s, shard %u/%u: %s\n", seq,
			os_state_name(l->state), why, s->sum.host, s->sum.shard_index, m->count, cmd);
		shown++;
	}
	if (bad > shown)
		fprintf(stderr, "  ... and %u more: see %s%s\n", bad - shown,
			out_dir ? out_dir : "the merged job log", out_dir ? "/joblog" : "");
}

/* One summary line on stderr, always, then the tasks that did not complete. */
static void report(const struct merge *m, const char *out_dir)
{
	char failed[96], interrupted[96], shards[48];

	first_part(failed, sizeof(failed), first_in(m, OS_FAILED));
	first_part(interrupted, sizeof(interrupted), first_in(m, OS_INTERRUPTED));
	if (m->merged == m->count)
		snprintf(shards, sizeof(shards), "%u shard%s", m->count, m->count == 1 ? "" : "s");
	else
		snprintf(shards, sizeof(shards), "%u of %u shards", m->merged, m->count);
	fprintf(stderr, "%s: merged %s: %u completed, %u failed%s, %u interrupted%s, %u not run\n",
		os_msg_prog(), shards, m->completed, m->failed, failed, m->interrupted,
		interrupted, m->not_run);
	list_tasks(m, out_dir);
	fflush(stderr);
}

int ps_cmd_merge(const struct ps_opts *o)
{
	struct merge m = { 0 };
	const char *why;
	int status, err;

	read_all(o, &m);
	status = merge_exit_status(&m) ? MERGE_EXIT_INCOMPLETE : MERGE_EXIT_OK;
	err = o->out_dir ? merge_outdir_write(o->out_dir, &m, &why) : 0;
	if (err == MERGE_REFUSED)
		os_die(MERGE_EXIT_BAD, "-o %s: %s", o->out_dir, why);
	if (err)
		os_die_err(MERGE_EXIT_BAD, err, "-o %s: %s", o->out_dir, why);
	if (o->json)
		merge_write_summary(stdout, &m);
	else if (!o->out_dir)
		merge_write_joblog(stdout, &m);
	if (fflush(stdout) != 0 || ferror(stdout))
		os_die(MERGE_EXIT_BAD, "writing the output: %s", strerror(errno));
	report(&m, o->out_dir);
	merge_free(&m);
	free(m.shards);
	return status;
}
