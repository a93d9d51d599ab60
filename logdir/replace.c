/*
 * replace.c: a file replaced whole (summary.json, the merged files, the
 * metrics file): written to a temporary name beside it, then renamed over
 * it, so that a reader sees the old file or the whole new one, never a part.
 * One writer for all of them; they differ only in whether the bytes are
 * synced before the rename (LOGDIR_SYNC).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "logdir/logdir.h"

int logdir_temp_write(int dirfd, const char *tmp, mode_t mode, unsigned flags,
		      logdir_fill_fn *fill, const void *arg)
{
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	int err = 0;

	if (!f) {
		err = -errno;
		if (fd >= 0) {
			close(fd);
			unlinkat(dirfd, tmp, 0);
		}
		return err;
	}
	fill(f, arg);
	errno = EIO; /* what a stream error without errno amounts to */
	if (fflush(f) != 0 || ferror(f) || ((flags & LOGDIR_SYNC) && fsync(fd) < 0))
		err = -errno;
	if (fclose(f) != 0 && !err)
		err = -errno;
	if (err)
		unlinkat(dirfd, tmp, 0);
	return err;
}

int logdir_replace(int dirfd, const char *name, const char *tmp, mode_t mode,
		   unsigned flags, logdir_fill_fn *fill, const void *arg)
{
	int err = logdir_temp_write(dirfd, tmp, mode, flags, fill, arg);

	if (!err && renameat(dirfd, tmp, dirfd, name) < 0) {
		err = -errno;
		unlinkat(dirfd, tmp, 0);
	}
	return err;
}

void logdir_fill_text(FILE *f, const void *text)
{
	const struct logdir_text *t = text;

	fwrite(t->bytes, 1, t->len, f);
}
