/*
 * spawn.c: starting the task, directly when its line needs no shell
 * (argv.c), else as /bin/sh -c LINE.  posix_spawn (clone with CLONE_VFORK in glibc)
 * returns only after the exec succeeded or failed, so the worker knows the
 * task runs before it records the start, and no page tables are copied.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker.h"

extern char **environ;

/* The supervisor's environment with this task's ONESHOT_* variables. */
static char **task_environment(const char *run_name, uint32_t task_id,
			       char *run_var, size_t run_len, char *id_var, size_t id_len)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = malloc((n + 3) * sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "ONESHOT_RUN=", 12) != 0 &&
		    strncmp(environ[i], "ONESHOT_TASK_ID=", 16) != 0)
			env[k++] = environ[i];
	snprintf(run_var, run_len, "ONESHOT_RUN=%s", run_name);
	snprintf(id_var, id_len, "ONESHOT_TASK_ID=%u", task_id);
	env[k++] = run_var;
	env[k++] = id_var;
	env[k] = NULL;
	return env;
}

static int spawn_attributes(posix_spawnattr_t *attr, posix_spawn_file_actions_t *fa,
			    const char *slave_path, const sigset_t *reset)
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

pid_t worker_spawn(const struct worker_spawn_args *a)
{
	char run_var[96], id_var[32];
	char *sh_argv[] = { "sh", "-c", (char *)a->cmd, NULL };
	char **env = task_environment(a->run_name, a->task_id, run_var, sizeof(run_var),
				      id_var, sizeof(id_var));
	char **plain = NULL;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int err;

	if (!env)
		return -ENOMEM;
	err = spawn_attributes(&attr, &fa, a->slave_path, a->reset_signals);
	if (!err && worker_split_plain(a->cmd, &plain) == 1) {
		err = posix_spawnp(&pid, plain[0], &fa, &attr, plain, env);
		if (err && shell_should_retry(err))
			err = posix_spawn(&pid, "/bin/sh", &fa, &attr, sh_argv, env);
	} else if (!err) {
		err = posix_spawn(&pid, "/bin/sh", &fa, &attr, sh_argv, env);
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	worker_argv_free(plain);
	free(env);
	return err ? -err : pid;
}
