/*
 * ptyread.c: the "bare read loop" of bench/run's output-capture scenario,
 * the practical ceiling for capturing a program's terminal output.
 *
 *   ptyread [-c] OUTFILE CMD
 *
 * Allocates one PTY (80x24), runs `/bin/sh -c CMD` on the slave as a session
 * leader with the slave as its controlling terminal, and copies the master to
 * OUTFILE with 64 KiB read()/write() calls until the master reports EIO (no
 * slave fd left open).  Output post-processing is off (`stty -opost`, the same
 * default as oneshotd-supervise) unless -c is given, which leaves the kernel's
 * default (OPOST|ONLCR, like an interactive terminal and like script(1)).
 * No transcript headers, no poll, no timers: one blocking read per chunk.
 * Exit status: the command's (128+n if killed by signal n), 125 on setup
 * errors.  Part of the benchmark harness only; not installed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[CHUNK];
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	struct termios tio;
	int crlf = 0, master, slave, out, status;
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "-c") == 0) {
		crlf = 1;
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: ptyread [-c] OUTFILE CMD\n");
		return 125;
	}
	out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		perror(argv[1]);
		return 125;
	}
	if (openpty(&master, &slave, NULL, NULL, &ws) < 0) {
		perror("openpty");
		return 125;
	}
	if (!crlf) {
		if (tcgetattr(slave, &tio) < 0)
			return perror("tcgetattr"), 125;
		tio.c_oflag &= ~(tcflag_t)OPOST;
		if (tcsetattr(slave, TCSANOW, &tio) < 0)
			return perror("tcsetattr"), 125;
	}
	pid = fork();
	if (pid < 0)
		return perror("fork"), 125;
	if (pid == 0) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		if (slave > 2)
			close(slave);
		close(master);
		close(out);
		execl("/bin/sh", "sh", "-c", argv[2], (char *)NULL);
		_exit(127);
	}
	close(slave);
	for (;;) {
		ssize_t n = read(master, buf, sizeof(buf));

		if (n > 0) {
			if (write_all(out, buf, (size_t)n) < 0)
				return perror("write"), 125;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			break; /* EIO: the last slave fd is closed (or 0: EOF) */
		}
	}
	if (waitpid(pid, &status, 0) < 0)
		return perror("waitpid"), 125;
	if (close(out) < 0)
		return perror("close"), 125;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
