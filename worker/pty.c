/*
 * pty.c: allocating the task's pseudo-terminal.  Called in the worker
 * before the task is spawned.  Its window size (--pty-size, 80x24 unless
 * told) is set through the master too, so the task's first TIOCGWINSZ
 * already sees it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "worker/worker.h"

/* Termios set through the master apply to the slave: the task starts on a
 * terminal configured before it can see it. */
static int setup_terminal(int master, int crlf, uint16_t cols, uint16_t rows)
{
	struct termios tio;
	struct winsize ws = { .ws_row = rows ? rows : 24, .ws_col = cols ? cols : 80 };

	if (tcgetattr(master, &tio) < 0)
		return -errno;
	if (!crlf)
		tio.c_oflag &= ~(tcflag_t)OPOST; /* transcript = the program's bytes */
	if (tcsetattr(master, TCSANOW, &tio) < 0)
		return -errno;
	if (ioctl(master, TIOCSWINSZ, &ws) < 0)
		return -errno;
	return 0;
}

int worker_pty_open(int crlf, uint16_t cols, uint16_t rows, char *path, size_t len)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	int err;

	if (master < 0)
		return -errno;
	if (grantpt(master) < 0 || unlockpt(master) < 0)
		goto fail_errno;
	err = ptsname_r(master, path, len);
	if (err) {
		close(master);
		return -err;
	}
	err = setup_terminal(master, crlf, cols, rows);
	if (err) {
		close(master);
		return err;
	}
	return master;
fail_errno:
	err = -errno;
	close(master);
	return err;
}
