/*
 * pidwatch.c: stop-latency probe for bench/run (scenario 4).
 *
 *   pidwatch -p LAUNCHER -s SIG [-t TIMEOUT_MS] [-o SETTLE_MS] MARKER
 *
 * Finds every process whose command line contains MARKER (the task
 * processes: the `sh -c` wrappers and the programs; the probe itself is
 * skipped), opens a pidfd for each and one for LAUNCHER, then sends SIG to
 * LAUNCHER and polls the pidfds.  It stops when every task process and the
 * launcher have exited, or SETTLE_MS after the launcher exited with task
 * processes still alive (those were orphaned), or after TIMEOUT_MS.  It prints one line:
 *
 *   found=N gone=N left=N all_gone_ms=X launcher_exit_ms=X
 *
 * times in milliseconds after the signal was sent (-1: did not happen), and
 * SIGKILLs the processes that were left (by pid: they are the benchmark's
 * own), so the harness never leaves orphans behind.  A pidfd turns readable
 * when the process exits (zombie or gone): the figure is when the task
 * stopped running, not when someone reaped it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAXP 65536

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Does /proc/PID/cmdline (NULs read as spaces) contain marker? */
static int matches(const char *pid, const char *marker)
{
	char path[64], buf[8192];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return strstr(buf, marker) != NULL;
}

int main(int argc, char **argv)
{
	static struct pollfd pf[MAXP + 1];
	static pid_t pids[MAXP];
	pid_t launcher = 0, self = getpid();
	int sig = SIGTERM, opt, n = 0, gone = 0;
	double timeout = 10000, settle = 500, t0, all_gone = -1, launcher_exit = -1;
	DIR *d;
	struct dirent *e;

	while ((opt = getopt(argc, argv, "p:s:t:o:")) != -1) {
		switch (opt) {
		case 'p': launcher = atoi(optarg); break;
		case 's': sig = atoi(optarg); break;
		case 't': timeout = atof(optarg); break;
		case 'o': settle = atof(optarg); break;
		default: return 2;
		}
	}
	if (optind != argc - 1 || launcher <= 0) {
		fprintf(stderr, "usage: pidwatch -p LAUNCHER -s SIG [-t MS] [-o MS] MARKER\n");
		return 2;
	}
	d = opendir("/proc");
	if (!d)
		return perror("/proc"), 1;
	while ((e = readdir(d)) && n < MAXP) {
		pid_t pid = atoi(e->d_name);

		if (pid <= 0 || pid == self || pid == launcher || !matches(e->d_name, argv[optind]))
			continue;
		pf[n].fd = pidfd_open_(pid);
		if (pf[n].fd < 0)
			continue; /* exited meanwhile */
		pf[n].events = POLLIN;
		pids[n++] = pid;
	}
	closedir(d);
	pf[n].fd = pidfd_open_(launcher);
	pf[n].events = POLLIN;
	if (pf[n].fd < 0)
		return perror("pidfd_open launcher"), 1;

	t0 = now_ms();
	if (kill(launcher, sig) < 0)
		return perror("kill"), 1;
	for (;;) {
		double t = now_ms(), wait_until = t0 + timeout;
		int r;

		if (gone == n && all_gone < 0)
			all_gone = t - t0; /* n == 0 */
		if (gone == n && launcher_exit >= 0)
			break;
		if (gone < n && launcher_exit >= 0 && t0 + launcher_exit + settle < wait_until)
			wait_until = t0 + launcher_exit + settle;
		if (t >= wait_until)
			break;
		r = poll(pf, (nfds_t)n + 1, (int)(wait_until - t) + 1);
		if (r < 0 && errno != EINTR)
			return perror("poll"), 1;
		t = now_ms();
		for (int i = 0; i <= n; i++) {
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			close(pf[i].fd);
			pf[i].fd = -1; /* poll ignores negative fds */
			if (i == n) {
				launcher_exit = t - t0;
			} else if (++gone == n) {
				all_gone = t - t0;
			}
		}
	}
	/* What is left was orphaned (or outlived the timeout): kill it. */
	for (int i = 0; i < n; i++)
		if (pf[i].fd >= 0) {
			kill(pids[i], SIGKILL);
			close(pf[i].fd);
		}
	printf("found=%d gone=%d left=%d all_gone_ms=%.3f launcher_exit_ms=%.3f\n", n, gone,
	       n - gone, all_gone, launcher_exit);
	return 0;
}
