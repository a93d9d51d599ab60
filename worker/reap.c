/*
 * reap.c: making sure nothing of a task outlives it.  The worker is a child
 * subreaper, so every process the task orphans (a daemon that double-forked
 * and called setsid, say) becomes the worker's child and can be found in
 * /proc/self/task/TID/children.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "worker/worker.h"

/* Signal every child of this process listed by the kernel. */
static int signal_children(int sig)
{
	char path[64], buf[4096];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fscanf(f, "%4095s", buf) == 1) {
		long pid = strtol(buf, NULL, 10);
		if (pid > 1 && kill((pid_t)pid, sig) == 0)
			n++;
	}
	fclose(f);
	return n;
}

int worker_kill_leftovers(pid_t task_pgid, int sig)
{
	int n = 0;

	if (task_pgid > 1 && kill(-task_pgid, sig) == 0)
		n++;
	return n + signal_children(sig);
}
