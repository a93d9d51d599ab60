/*
 * ps_wait.c: --wait: block until a run finishes and exit with the status its
 * supervisor recorded.  Polls the header (one load and one F_OFD_GETLK every
 * 50 ms): nothing here can hold up the run.
 */
#include <time.h>

#include "ps/ps.h"
#include "shm/util.h"

#define POLL_NS 50000000L

enum ps_wait_state ps_wait_check(const struct os_table *t, const struct os_gen *gen,
				 int *exit_status)
{
	struct os_status st;

	if (os_run_status(t, gen, &st) < 0)
		return PS_WAIT_REPLACED;
	if (st.run_state == OS_RUN_DONE) {
		*exit_status = st.exit_status;
		return PS_WAIT_DONE;
	}
	return st.alive ? PS_WAIT_RUNNING : PS_WAIT_LOST;
}

int ps_wait_exit(enum ps_wait_state s, int exit_status, const char *name)
{
	switch (s) {
	case PS_WAIT_DONE:
		/* The supervisor's own statuses: 0, 1, 2, 3, 128+n. */
		return exit_status >= 0 && exit_status <= 255 ? exit_status : PS_EXIT_LOST;
	case PS_WAIT_LOST:
		os_warn("run %s ended without finishing (its supervisor was killed): no exit status",
			name);
		return PS_EXIT_LOST;
	case PS_WAIT_REPLACED:
		os_warn("run %s was removed or replaced by a new run before it finished", name);
		return PS_EXIT_LOST;
	case PS_WAIT_RUNNING:
	default:
		return PS_EXIT_TIMEOUT;
	}
}

int ps_cmd_wait(const struct ps_opts *o)
{
	uid_t uid = ps_target_owner(o, o->name);
	int64_t deadline = o->wait_ms ? os_now_mono_ns() + (int64_t)o->wait_ms * 1000000 : 0;
	struct timespec nap = { 0, POLL_NS };
	enum ps_wait_state s;
	struct os_table t;
	struct os_gen gen;
	int status = -1;

	ps_target_open(uid, o->name, &t, &gen);
	while ((s = ps_wait_check(&t, &gen, &status)) == PS_WAIT_RUNNING) {
		if (deadline && os_now_mono_ns() >= deadline)
			break;
		nanosleep(&nap, NULL);
	}
	os_table_close(&t);
	return ps_wait_exit(s, status, o->name);
}
