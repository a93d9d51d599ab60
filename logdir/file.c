/*
 * file.c: reading a file of a log directory that may not be ours: no
 * symlink is followed and nothing but a regular file is read, so a FIFO
 * named joblog cannot hang oneshot-ps --merge.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logdir/logdir.h"

/* Read FD to its end into *BUF, growing it; at most MAX bytes (0: any). */
static int read_all(int fd, size_t max, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *p = malloc(cap);

	if (!p)
		return -ENOMEM;
	for (;;) {
		ssize_t got;

		if (cap - n < 2) {
			char *q = cap > SIZE_MAX / 2 ? NULL : realloc(p, cap * 2);

			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
			cap *= 2;
		}
		got = read(fd, p + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int err = -errno;

			free(p);
			return err;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (max && n > max) {
			free(p);
			return -EFBIG;
		}
	}
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
}

int logdir_file_read(int dirfd, const char *name, size_t max, char **buf, size_t *len)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	int err;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = LOGDIR_NOT_REGULAR;
	else
		err = read_all(fd, max, buf, len);
	close(fd);
	return err;
}

const char *logdir_file_error(int err)
{
	if (err == -ELOOP)
		return "a symbolic link (not followed)";
	if (err == LOGDIR_NOT_REGULAR)
		return "not a regular file";
	if (err == -EFBIG)
		return "too big";
	return strerror(-err);
}
