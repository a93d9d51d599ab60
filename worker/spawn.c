/*
 * spawn.c: starting the task, directly when its line needs no shell
 * (argv.c), else as /bin/sh -c LINE.  posix_spawn (clone with CLONE_VFORK in glibc)
 * returns only after the exec succeeded or failed, so the worker knows the
 * task runs before it records the start, and no page tables are copied.
 * The same suspension is what gives the task its --rlimit limits alone
 * (limits.c).  The environment comes ready-made from the supervisor (env.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "worker/worker.h"

static int spawn_attributes(posix_spawnattr_t *attr, posix_spawn_file_actions_t *fa,
			    const char *slave_path, const sigset_t *reset, const char *dir)
{
	sigset_t none;
	int err;

	sigemptyset(&none);
	err = posix_spawnattr_init(attr);
	if (err)
		return err;
	err = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
					     POSIX_SPAWN_SETSIGDEF);
	if (!err)
		err = posix_spawnattr_setsigmask(attr, &none);
	if (!err)
		err = posix_spawnattr_setsigdefault(attr, reset);
	if (!err)
		err = posix_spawn_file_actions_init(fa);
	/* Opened without O_NOCTTY by a fresh session leader, the slave becomes
	 * the task's controlling terminal. */
	if (!err)
		err = posix_spawn_file_actions_addopen(fa, 0, slave_path, O_RDWR, 0);
	if (!err)
		err = posix_spawn_file_actions_adddup2(fa, 0, 1);
	if (!err)
		err = posix_spawn_file_actions_adddup2(fa, 0, 2);
	if (!err && dir)
		err = posix_spawn_file_actions_addchdir_np(fa, dir);
	return err;
}

/* Programs a failed direct exec leaves to the shell, which reports them
 * the usual way (127 not found, 126 not executable) or runs a script
 * without a #! line. */
static int shell_should_retry(int err)
{
	return err == ENOENT || err == EACCES || err == ENOEXEC || err == ENOTDIR ||
	       err == ELOOP || err == ENAMETOOLONG;
}

/* Both tries of a line, direct then through the shell, under the task's
 * limits (see limits.c for why lowering our own soft limits around
 * posix_spawn gives them to the task alone). */
static int spawn_limited(const struct worker_spawn_args *a, posix_spawn_file_actions_t *fa,
			 posix_spawnattr_t *attr, pid_t *pid, char *what, size_t what_len)
{
	char *sh_argv[] = { "sh", "-c", (char *)a->cmd, NULL };
	struct rlimit saved[WORKER_RLIMITS_MAX];
	const struct worker_rlimit *bad = NULL;
	char **plain = NULL;
	char shown[32];
	int err, rerr, split;

	if (a->nrlimits > WORKER_RLIMITS_MAX) {
		snprintf(what, what_len, "too many rlimits");
		return EINVAL;
	}
	split = worker_split_plain(a->cmd, &plain);
	if (split < 0) {
		snprintf(what, what_len, "spawn");
		return -split;
	}
	err = -worker_rlimits_lower(a->rlimits, a->nrlimits, saved, &bad);
	if (err) {
		worker_rlimit_format(bad, shown, sizeof(shown));
		snprintf(what, what_len, "set rlimit %s=%s", worker_rlimit_name(bad->resource),
			 shown);
		worker_argv_free(plain);
		return err;
	}
	/* From here until the restore, nothing but posix_spawn: the worker's
	 * own limits are the task's. */
	if (split == 1) {
		err = posix_spawnp(pid, plain[0], fa, attr, plain, a->env);
		if (err && shell_should_retry(err))
			err = posix_spawn(pid, "/bin/sh", fa, attr, sh_argv, a->env);
	} else {
		err = posix_spawn(pid, "/bin/sh", fa, attr, sh_argv, a->env);
	}
	rerr = worker_rlimits_restore(a->rlimits, a->nrlimits, saved, &bad);
	if (rerr) {
		/* Never run on with the task's limits: they would now apply to
		 * the transcript and everything else this worker does. */
		if (!err) {
			kill(-*pid, SIGKILL); /* its own group: POSIX_SPAWN_SETSID */
			while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		snprintf(what, what_len, "restore the worker's own rlimit %s after spawn",
			 worker_rlimit_name(bad->resource));
		worker_argv_free(plain);
		return -rerr;
	}
	worker_argv_free(plain);
	if (err)
		snprintf(what, what_len, "spawn");
	return err;
}

/* A spawn that failed under a setting that explains it gets that setting
 * named; the checks cost nothing unless the spawn failed. */
static void explain(const struct worker_spawn_args *a, int err, char *what, size_t len)
{
	char shown[32];

	if (strcmp(what, "spawn") != 0)
		return;
	if (a->chdir && (err == ENOENT || err == ENOTDIR || err == EACCES || err == ELOOP) &&
	    access(a->chdir, X_OK) < 0) {
		snprintf(what, len, "--chdir %s", a->chdir);
		return;
	}
	for (uint32_t i = 0; i < a->nrlimits; i++) {
		const struct worker_rlimit *l = &a->rlimits[i];

		if ((err == ENOMEM && l->resource == RLIMIT_AS) ||
		    (err == EAGAIN && l->resource == RLIMIT_NPROC) ||
		    ((err == EMFILE || err == EBADF) && l->resource == RLIMIT_NOFILE)) {
			worker_rlimit_format(l, shown, sizeof(shown));
			snprintf(what, len, "spawn under --rlimit %s=%s",
				 worker_rlimit_name(l->resource), shown);
			return;
		}
	}
}

pid_t worker_spawn(const struct worker_spawn_args *a, char *what, size_t what_len)
{
	char id_var[32];
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;
	int err;

	/* This process's copy of the run's environment (we are a fork). */
	snprintf(id_var, sizeof(id_var), "ONESHOT_TASK_ID=%u", a->task_id);
	a->env[a->env_id_slot] = id_var;
	err = spawn_attributes(&attr, &fa, a->slave_path, a->reset_signals, a->chdir);
	if (err)
		snprintf(what, what_len, "spawn attributes");
	else
		err = spawn_limited(a, &fa, &attr, &pid, what, what_len);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	a->env[a->env_id_slot] = NULL;
	if (err)
		explain(a, err, what, what_len);
	return err ? -err : pid;
}
