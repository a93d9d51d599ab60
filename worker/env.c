/*
 * env.c: the tasks' environment.  The supervisor builds it once, before the
 * first fork; each worker, a fork, writes its task's ONESHOT_TASK_ID into
 * the slot left for it in its own copy-on-write copy of the array (one page
 * touched) and hands the array to posix_spawn: no task walks or copies the
 * environment.
 *
 * TERM is not passed on from the caller: a task's terminal is oneshot's PTY,
 * not the caller's terminal, and a run from cron (no TERM) and one from a
 * terminal must behave the same.  Tasks get TERM=xterm-256color, what the
 * PTY best resembles for programs that draw, unless --env TERM=... says
 * otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/worker.h"

#define DEFAULT_TERM "TERM=xterm-256color"

int worker_env_name_ok(const char *name, size_t len)
{
	if (len == 0 || (name[0] >= '0' && name[0] <= '9'))
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

/* Length of the name of VAR ("NAME=VALUE"); a variable without '=' (which
 * execve allows) is all name. */
static size_t name_len(const char *var)
{
	const char *eq = strchr(var, '=');

	return eq ? (size_t)(eq - var) : strlen(var);
}

static int same_name(const char *a, size_t alen, const char *b)
{
	return name_len(b) == alen && memcmp(a, b, alen) == 0;
}

/* VAR's name is one oneshot sets, or one of SET[0..NSET) overrides. */
static int replaced(const char *var, const char *const *set, size_t nset)
{
	size_t len = name_len(var);

	if (same_name(var, len, "ONESHOT_RUN=") || same_name(var, len, "ONESHOT_TASK_ID=") ||
	    same_name(var, len, "TERM="))
		return 1;
	for (size_t i = 0; i < nset; i++)
		if (same_name(var, len, set[i]))
			return 1;
	return 0;
}

int worker_env_build(struct worker_env *env, char *const *environ_, const char *const *set,
		     size_t nset, const char *run_name)
{
	size_t n = 0, k = 0;
	int has_term = 0;

	memset(env, 0, sizeof(*env));
	while (environ_ && environ_[n])
		n++;
	/* environment + SET + TERM + ONESHOT_RUN + ONESHOT_TASK_ID + NULL */
	env->vars = malloc((n + nset + 4) * sizeof(*env->vars));
	if (!env->vars || asprintf(&env->run_var, "ONESHOT_RUN=%s", run_name) < 0) {
		free(env->vars);
		memset(env, 0, sizeof(*env));
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (!replaced(environ_[i], set, nset))
			env->vars[k++] = environ_[i];
	for (size_t i = 0; i < nset; i++) {
		size_t len = name_len(set[i]);
		int later = 0;

		for (size_t j = i + 1; j < nset && !later; j++)
			later = same_name(set[i], len, set[j]);
		if (later)
			continue; /* the last --env of a name wins */
		if (same_name(set[i], len, "TERM="))
			has_term = 1;
		env->vars[k++] = (char *)set[i];
	}
	if (!has_term)
		env->vars[k++] = (char *)DEFAULT_TERM;
	env->vars[k++] = env->run_var;
	env->id_slot = k;
	env->vars[k++] = NULL; /* ONESHOT_TASK_ID=ID, set by each worker */
	env->vars[k] = NULL;
	return 0;
}

void worker_env_free(struct worker_env *env)
{
	free(env->vars);
	free(env->run_var);
	memset(env, 0, sizeof(*env));
}
