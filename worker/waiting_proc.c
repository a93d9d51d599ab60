/*
 * waiting_proc.c: the kernel's evidence that a task waits for input: a
 * process of its terminal's foreground process group blocked reading that
 * terminal.  Only /proc, read with plain syscalls; the processes looked at
 * are the task's own (its descendants, at most PROCS_MAX of them).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "worker/waiting.h"

#define PROCS_MAX 64      /* descendants looked at */
#define FDSET_MAX 1024    /* select: fds looked at */
#define POLLFD_MAX 64     /* poll: entries looked at */

/* Read the small file PATH into BUF (NUL-terminated): its length, or -1. */
static ssize_t slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* The process group of PID, or -1. */
static pid_t pgrp_of(pid_t pid)
{
	char path[64], buf[512], *p;
	int pgrp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (slurp(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return -1;
	/* after the command: " S ppid pgrp" */
	return sscanf(p + 1, " %*c %*d %d", &pgrp) == 1 ? pgrp : -1;
}

/* 1 if fd FD of PID is the task's terminal (by its name, or /dev/tty). */
static int is_terminal(const struct worker_waiting *w, pid_t pid, long fd)
{
	char path[64], target[128];
	ssize_t n;

	if (fd < 0 || fd > 1 << 20)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/fd/%ld", (int)pid, fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	return strcmp(target, w->slave_path) == 0 || strcmp(target, "/dev/tty") == 0;
}

/* Read LEN bytes at ADDR of PID's memory into BUF: 0 or -1. */
static int peek(pid_t pid, unsigned long addr, void *buf, size_t len)
{
	char path[64];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = pread(fd, buf, len, (off_t)addr);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* select(NFDS, READFDS, ...): the terminal among the fds to read? */
static int select_reads(const struct worker_waiting *w, pid_t pid, unsigned long nfds,
			unsigned long readfds)
{
	unsigned char set[FDSET_MAX / 8];

	if (!readfds || nfds == 0 || nfds > FDSET_MAX || peek(pid, readfds, set, (nfds + 7) / 8))
		return 0;
	for (unsigned long fd = 0; fd < nfds; fd++)
		if ((set[fd / 8] >> (fd % 8) & 1) && is_terminal(w, pid, (long)fd))
			return 1;
	return 0;
}

/* poll(FDS, NFDS, ...): the terminal among the fds polled for input? */
static int poll_reads(const struct worker_waiting *w, pid_t pid, unsigned long fds,
		      unsigned long nfds)
{
	struct pollfd p[POLLFD_MAX];

	if (!fds || nfds == 0 || nfds > POLLFD_MAX || peek(pid, fds, p, nfds * sizeof(p[0])))
		return 0;
	for (unsigned long i = 0; i < nfds; i++)
		if ((p[i].events & (POLLIN | POLLRDNORM)) && is_terminal(w, pid, p[i].fd))
			return 1;
	return 0;
}

/* Is PID blocked reading the terminal, by its /proc/PID/syscall? */
static int blocked_reading(const struct worker_waiting *w, pid_t pid)
{
	char path[64], buf[256];
	unsigned long a[3];
	long nr;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	/* "running", or "NR ARG0 ARG1 ... SP PC" in hex */
	if (slurp(path, buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%ld %lx %lx %lx", &nr, &a[0], &a[1], &a[2]) != 4)
		return 0;
	if (nr == SYS_read || nr == SYS_pread64 || nr == SYS_readv)
		return is_terminal(w, pid, (long)a[0]);
	if (nr == SYS_pselect6)
		return select_reads(w, pid, a[0], a[1]);
	if (nr == SYS_ppoll)
		return poll_reads(w, pid, a[0], a[1]);
#ifdef SYS_select
	if (nr == SYS_select)
		return select_reads(w, pid, a[0], a[1]);
#endif
#ifdef SYS_poll
	if (nr == SYS_poll)
		return poll_reads(w, pid, a[0], a[1]);
#endif
	return 0;
}

/* Add the children of PID to LIST (N entries so far, PROCS_MAX room). */
static void add_children(pid_t pid, pid_t *list, size_t *n)
{
	char path[64], buf[1024], *p, *end;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if (slurp(path, buf, sizeof(buf)) <= 0)
		return;
	for (p = buf; *n < PROCS_MAX; p = end) {
		long child = strtol(p, &end, 10);

		if (end == p)
			break;
		list[(*n)++] = (pid_t)child;
	}
}

int worker_waiting_reading(const struct worker_waiting *w)
{
	pid_t list[PROCS_MAX], fg;
	size_t n = 1;

	if (ioctl(w->master, TIOCGPGRP, &fg) < 0 || fg <= 0)
		return 0;
	list[0] = w->task_pid;
	for (size_t i = 0; i < n; i++) {
		if (pgrp_of(list[i]) == fg && blocked_reading(w, list[i]))
			return 1;
		add_children(list[i], list, &n);
	}
	return 0;
}
