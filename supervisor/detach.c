/*
 * detach.c: backgrounding the supervisor after its setup succeeded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/detach.h"
#include "shm/util.h"

static void parent_wait(int rfd, pid_t child, const char *name)
{
	char ok;
	int status;
	ssize_t n;

	do
		n = read(rfd, &ok, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1) {
		printf("%s %d\n", name, (int)child);
		exit(fflush(stdout) == 0 ? 0 : 2);
	}
	/* The child exited during setup and said why on our stderr. */
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			os_die_err(2, -errno, "waitpid");
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 2);
}

int detach_begin(const char *name)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(fds[1]);
		parent_wait(fds[0], pid, name);
	}
	close(fds[0]);
	if (setsid() < 0)
		return -errno;
	return fds[1];
}

int detach_ready(int notify_fd, int logfd)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0)
		return -errno;
	if (dup2(null, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
		return -errno;
	close(null);
	if (write(notify_fd, "", 1) != 1)
		return -errno;
	close(notify_fd);
	return 0;
}
