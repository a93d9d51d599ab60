/*
 * ctl_task.c: the task a subcommand acts on: its run found as oneshot-ps
 * finds it, its slot read through shm/'s reader, its worker reached
 * through a pidfd that is checked against the slot once open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "logdir/logdir.h"
#include "shm/state.h"
#include "shm/util.h"

uint32_t ctl_task_id(const char *text)
{
	uint64_t v;

	if (os_parse_uint(text, 1, UINT32_MAX, &v))
		ctl_usage_error("'%s' is not a task id (a task number, as oneshot-ps shows it)",
				text);
	return (uint32_t)v;
}

static noreturn void run_error(int err, const char *name, const char *why)
{
	switch (err) {
	case -ENOENT:
		os_die(CTL_EXIT_FAILED, "no run named %s", name);
	case -ENOTUNIQ:
		os_die(CTL_EXIT_USAGE, "several users have a run named %s: pick one with -u USER",
		       name);
	case -EACCES:
		os_die(CTL_EXIT_FAILED, "run %s: permission denied", name);
	case -EPERM:
	case -EPROTO:
		os_die(CTL_EXIT_INVALID, "run %s: invalid table: %s", name,
		       why ? why : "wrong owner, mode or file type");
	default:
		os_die_err(CTL_EXIT_FAILED, err, "run %s", name);
	}
}

void ctl_run_open(const struct ctl_opts *o, uid_t *uid, struct os_table *table,
		  struct os_gen *gen)
{
	const char *why = NULL;
	int err;

	if (!o->name)
		ctl_usage_error("no run: name it with -n NAME");
	*uid = o->uid;
	err = os_find_owner(OS_SHM_DIR, o->name, !o->uid_given && geteuid() == 0, uid);
	if (!err)
		err = os_run_open(*uid, o->name, table, gen, &why);
	if (err)
		run_error(err, o->name, why);
}

void ctl_task_open(const struct ctl_opts *o, uint32_t id, struct ctl_task *t)
{
	const char *dir;
	int err;

	memset(t, 0, sizeof(*t));
	t->pidfd = -1;
	t->name = o->name;
	ctl_run_open(o, &t->uid, &t->table, &t->gen);
	err = os_run_task(&t->table, &t->gen, id, &t->v, &t->index);
	if (err == -ENOENT)
		os_die(CTL_EXIT_FAILED, "run %s has no task %u", o->name, id);
	if (err)
		os_die_err(CTL_EXIT_FAILED, err, "run %s: task %u", o->name, id);
	dir = os_table_logdir(&t->table);
	t->logdir = dir ? strdup(dir) : NULL;
	if (!t->logdir)
		os_die(CTL_EXIT_INVALID, "run %s: no log directory in its table", o->name);
}

int ctl_task_reload(struct ctl_task *t)
{
	return os_run_task(&t->table, &t->gen, t->v.id, &t->v, NULL);
}

int ctl_task_live(const struct ctl_task *t)
{
	return t->v.state == OS_RUNNING || t->v.state == OS_IDLE;
}

static noreturn void not_live(const struct ctl_task *t, const char *what)
{
	os_die(CTL_EXIT_FAILED, "%s: task %u of run %s is %s, not RUNNING or IDLE", what,
	       t->v.id, t->name, os_state_name(t->v.state));
}

void ctl_task_worker(struct ctl_task *t, const char *what)
{
	pid_t pid = t->v.worker_pid;
	int fd;

	if (!ctl_task_live(t) || pid <= 0)
		not_live(t, what);
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		os_die_err(CTL_EXIT_FAILED, -errno, "%s: task %u: its worker %d", what, t->v.id,
			   (int)pid);
	/* The pid may have been reused between the read and the open: the slot
	 * naming the same worker, still live, after the open proves it is ours. */
	if (ctl_task_reload(t) || t->v.worker_pid != pid || !ctl_task_live(t)) {
		close(fd);
		not_live(t, what);
	}
	t->pidfd = fd;
}

int ctl_task_transcript(const struct ctl_task *t)
{
	char path[4200], name[32];
	int fd;

	logdir_transcript_name(name, sizeof(name), t->v.id, t->v.attempt);
	snprintf(path, sizeof(path), "%s/%s", t->logdir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

void ctl_task_close(struct ctl_task *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	free(t->logdir);
	os_table_close(&t->table);
	t->pidfd = -1;
	t->logdir = NULL;
}
