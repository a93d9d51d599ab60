/*
 * ps_target.c: finding and reading the run a mode works on, with the one
 * mapping from errors to oneshot-ps's exit statuses.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logdir/joblog.h"
#include "ps/ps.h"
#include "shm/util.h"

noreturn void ps_target_die(int err, const char *name, uid_t uid, const char *why)
{
	switch (err) {
	case -ENOENT:
		if (uid != geteuid())
			os_die(PS_EXIT_NO_RUN, "no run named %s for uid %u", name, (unsigned)uid);
		os_die(PS_EXIT_NO_RUN, "no run named %s", name);
	case -ENOTUNIQ:
		os_die(PS_EXIT_USAGE, "several users have a run named %s: pick one with -u USER",
		       name);
	case -EACCES:
		os_die(PS_EXIT_NO_RUN, "run %s: permission denied", name);
	case -EPERM:
	case -EPROTO:
		os_die(PS_EXIT_INVALID, "run %s: invalid table: %s", name,
		       why ? why : "wrong owner, mode or file type");
	case -ENOMEM:
		os_die(PS_EXIT_NO_RUN, "run %s: out of memory reading its table", name);
	default:
		os_die_err(PS_EXIT_NO_RUN, err, "run %s", name);
	}
}

int ps_target_find(const struct ps_opts *o, const char *name, uid_t *uid)
{
	*uid = o->uid;
	return os_find_owner(OS_SHM_DIR, name, !o->uid_given && geteuid() == 0, uid);
}

uid_t ps_target_owner(const struct ps_opts *o, const char *name)
{
	uid_t uid;
	int err = ps_target_find(o, name, &uid);

	if (err)
		ps_target_die(err, name, uid, NULL);
	return uid;
}

void ps_target_snapshot(uid_t uid, const char *name, unsigned flags, struct os_run *r)
{
	const char *why = NULL;
	int err = os_run_snapshot(uid, name, flags, r, &why);

	if (err)
		ps_target_die(err, name, uid, why);
}

void ps_target_open(uid_t uid, const char *name, struct os_table *t, struct os_gen *gen)
{
	const char *why = NULL;
	int err = os_run_open(uid, name, t, gen, &why);

	if (err)
		ps_target_die(err, name, uid, why);
}

int64_t ps_target_task_index(const struct os_run *r, uint32_t id)
{
	/* Tasks are in id order (the snapshot checks it, or sorts a queue's). */
	size_t lo = 0, hi = r->ntasks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->tasks[mid].v.id == id)
			return (int64_t)mid;
		if (r->tasks[mid].v.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int ps_target_logged(const char *logdir, uint32_t id, struct os_slot_view *v, char **cmd,
		     uint32_t *len)
{
	int dfd = logdir ? open(logdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -ENOENT;
	int err;

	if (dfd < 0)
		return dfd == -ENOENT ? -ENOENT : -errno;
	err = joblog_find(dfd, id, v, cmd, len);
	close(dfd);
	return err;
}

/* Task ID of queue R, no longer in its table (its slot holds a newer task):
 * its end from the job log, added to R's tasks in id order. */
static int add_logged(struct os_run *r, uint32_t id)
{
	struct os_slot_view v;
	struct os_task *tasks, *k;
	uint32_t len;
	char *cmd, *strings;
	int64_t at;

	if (ps_target_logged(r->logdir, id, &v, &cmd, &len))
		return -ENOENT;
	tasks = realloc(r->tasks, (r->ntasks + 1) * sizeof(*tasks));
	strings = realloc(r->strings, r->strings_len + len + 1);
	if (tasks)
		r->tasks = tasks;
	if (strings)
		r->strings = strings;
	if (!tasks || !strings) {
		free(cmd);
		return -ENOMEM;
	}
	for (at = (int64_t)r->ntasks; at > 0 && r->tasks[at - 1].v.id > id; at--)
		;
	memmove(&r->tasks[at + 1], &r->tasks[at], (r->ntasks - (size_t)at) * sizeof(*tasks));
	k = &r->tasks[at];
	memset(k, 0, sizeof(*k));
	k->v = v;
	k->cmd_pos = r->strings_len;
	k->cmd_len = len;
	k->logged = 1;
	memcpy(r->strings + r->strings_len, cmd, (size_t)len + 1);
	r->strings_len += (size_t)len + 1;
	r->ntasks++;
	free(cmd);
	return 0;
}

/*
 * Refuse the whole command when one id is not the run's: printing the
 * others, or waiting for them, would pass a typo off as an answer.  The
 * missing ids are named on one line (the first few of a long list).
 */
void ps_target_check_ids(struct os_run *r, const struct ps_view *v)
{
	char list[200] = "";
	size_t used = 0, missing = 0, cut = 0;

	for (size_t i = 0; i < v->nids; i++) {
		char one[16];
		size_t n;

		if (ps_target_task_index(r, v->ids[i]) >= 0)
			continue;
		/* A queue's task that gave its slot to a newer one. */
		if (r->queue && v->ids[i] < r->next_id && add_logged(r, v->ids[i]) == 0)
			continue;
		n = (size_t)snprintf(one, sizeof(one), "%s%u", missing++ ? ", " : "", v->ids[i]);
		if (cut || used + n >= sizeof(list)) {
			cut++;
			continue;
		}
		memcpy(list + used, one, n + 1);
		used += n;
	}
	if (missing == 1)
		os_die(PS_EXIT_NO_RUN, "run %s has no task %s", r->name, list);
	if (missing)
		os_die(PS_EXIT_NO_RUN, "run %s has no tasks %s%s", r->name, list,
		       cut ? ", ..." : "");
}

void ps_target_flush(void)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		os_die(PS_EXIT_NO_RUN, "writing the output: %s", strerror(errno));
}
