/*
 * ctl_interrupt.c: oneshot-ctl interrupt ID...: each task goes INTERRUPTED
 * with reason operator, exactly as --timeout does it (the worker's SIGTERM
 * path: SIGTERM to the task's group, --grace, SIGKILL).  The signal is the
 * access control: the kernel lets only the run's owner and root send it.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "shm/state.h"
#include "shm/util.h"

#define SETTLE_MS 5000 /* the worker records the interrupt at once; be generous */

static int send_operator_term(const struct ctl_task *t)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	info.si_signo = SIGTERM;
	info.si_code = SI_QUEUE;
	info.si_pid = getpid();
	info.si_uid = getuid();
	info.si_value.sival_int = OS_REASON_OPERATOR;
	return syscall(SYS_pidfd_send_signal, t->pidfd, SIGTERM, &info, 0) < 0 ? -errno : 0;
}

/* Wait for the task to leave RUNNING/IDLE; 0 when it went INTERRUPTED for us
 * (or was retried after it: --retry-interrupted starts its next attempt). */
static int settle(struct ctl_task *t)
{
	int64_t until = os_now_mono_ns() + (int64_t)SETTLE_MS * 1000000;
	struct timespec nap = { 0, 2000000 };
	uint32_t attempt = t->v.attempt;

	while (ctl_task_reload(t) == 0 && ctl_task_live(t) && t->v.attempt == attempt &&
	       os_now_mono_ns() < until)
		nanosleep(&nap, NULL);
	if (t->v.attempt != attempt)
		return 0;
	if (ctl_task_live(t)) {
		os_warn("interrupt: task %u of run %s is still %s after %d s", t->v.id, t->name,
			os_state_name(t->v.state), SETTLE_MS / 1000);
		return -1;
	}
	if (t->v.state != OS_INTERRUPTED || t->v.reason != OS_REASON_OPERATOR) {
		os_warn("interrupt: task %u of run %s ended %s before the interrupt reached it",
			t->v.id, t->name, os_state_name(t->v.state));
		return -1;
	}
	return 0;
}

int ctl_interrupt(struct ctl_opts *o, int argc, char **argv)
{
	int first = ctl_getopt(o, argc, argv, "", NULL, NULL, NULL), n = argc - first, status = 0;
	struct ctl_task *tasks;

	if (n < 1)
		ctl_usage_error("interrupt: no task id");
	for (int i = first; i < argc; i++)
		ctl_task_id(argv[i]);
	tasks = calloc((size_t)n, sizeof(*tasks));
	if (!tasks)
		os_die(CTL_EXIT_FAILED, "out of memory");
	/* Every task found and live before any is touched. */
	for (int i = 0; i < n; i++) {
		ctl_task_open(o, ctl_task_id(argv[first + i]), &tasks[i]);
		for (int k = 0; k < i; k++)
			if (tasks[k].v.id == tasks[i].v.id)
				ctl_usage_error("interrupt: task %u named twice", tasks[i].v.id);
		ctl_task_worker(&tasks[i], "interrupt");
	}
	for (int i = 0; i < n; i++) {
		int err = send_operator_term(&tasks[i]);

		if (err) {
			os_warn_err(err, "interrupt: task %u of run %s", tasks[i].v.id, o->name);
			status = CTL_EXIT_FAILED;
		}
	}
	for (int i = 0; i < n; i++) {
		if (settle(&tasks[i]))
			status = CTL_EXIT_FAILED;
		ctl_task_close(&tasks[i]);
	}
	free(tasks);
	return status;
}
