/*
 * ps_target.c: finding and reading the run a mode works on, with the one
 * mapping from errors to oneshot-ps's exit statuses.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

void ps_target_flush(void)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		os_die(PS_EXIT_NO_RUN, "writing the output: %s", strerror(errno));
}
