/*
 * merge_outdir.c: oneshot-ps --merge -o DIR.  Both files are written in
 * full to temporary files and synced before either is renamed into place,
 * so a failure leaves DIR as it was (apart from DIR itself, if it was
 * created), and a reader never sees half a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "merge/merge.h"


/* DIR, open as FD, must be the caller's alone, and neither one of the
 * merged log directories nor a run's (whose joblog would be replaced). */
static int check_dir(int fd, const struct merge *m, const char **why)
{
	struct stat st, ev;

	if (fstat(fd, &st) < 0) {
		*why = "cannot stat it";
		return -errno;
	}
	*why = "it is owned by another user";
	if (st.st_uid != geteuid())
		return MERGE_REFUSED;
	*why = "it is writable by group or others";
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return MERGE_REFUSED;
	*why = "it is one of the log directories merged";
	for (uint32_t i = 0; i < m->nshards; i++)
		if (m->shards[i].dev == (uint64_t)st.st_dev &&
		    m->shards[i].ino == (uint64_t)st.st_ino)
			return MERGE_REFUSED;
	*why = "it is a run's log directory (it has an events.jsonl)";
	if (fstatat(fd, "events.jsonl", &ev, AT_SYMLINK_NOFOLLOW) == 0)
		return MERGE_REFUSED;
	return 0;
}

/* Create DIR (0700) if missing and open it into *FD, never through a
 * symlink.  Returns 0, -errno or MERGE_REFUSED. */
static int open_dir(const char *dir, const struct merge *m, int *fd, const char **why)
{
	int err;

	*why = "cannot create it";
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	*why = "cannot open it";
	*fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0) {
		struct stat st;

		err = -errno;
		/* O_NOFOLLOW's ELOOP (ENOTDIR with O_DIRECTORY) says it badly */
		if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)) {
			*why = "it is a symbolic link (not followed)";
			return MERGE_REFUSED;
		}
		return err;
	}
	err = check_dir(*fd, m, why);
	if (err)
		close(*fd);
	return err;
}

static void fill_joblog(FILE *f, const void *m)
{
	merge_write_joblog(f, m);
}

static void fill_summary(FILE *f, const void *m)
{
	merge_write_summary(f, m);
}

/* Write both temporary files, then rename both. */
static int write_both(int dirfd, const char tmp[2][64], const struct merge *m,
		      const char **why)
{
	static const char *const names[2] = { "joblog", "summary.json" };
	static logdir_fill_fn *const writers[2] = { fill_joblog, fill_summary };
	int err;

	for (int i = 0; i < 2; i++) {
		*why = i ? "writing summary.json" : "writing joblog";
		err = logdir_temp_write(dirfd, tmp[i], 0600, LOGDIR_SYNC, writers[i], m);
		if (err) {
			if (i)
				unlinkat(dirfd, tmp[0], 0);
			return err;
		}
	}
	for (int i = 0; i < 2; i++) {
		*why = i ? "renaming summary.json into place" : "renaming joblog into place";
		if (renameat(dirfd, tmp[i], dirfd, names[i]) < 0) {
			err = -errno;
			for (int j = i; j < 2; j++)
				unlinkat(dirfd, tmp[j], 0);
			return err;
		}
	}
	*why = "syncing it";
	return fsync(dirfd) < 0 ? -errno : 0;
}

int merge_outdir_write(const char *dir, const struct merge *m, const char **why)
{
	char tmp[2][64];
	int dirfd = -1, err = open_dir(dir, m, &dirfd, why);

	if (err)
		return err;
	/* The pid in the name: two merges into one directory do not share a
	 * temporary file; the last rename wins with a whole file. */
	snprintf(tmp[0], sizeof(tmp[0]), "joblog.tmp.%ld", (long)getpid());
	snprintf(tmp[1], sizeof(tmp[1]), "summary.json.tmp.%ld", (long)getpid());
	err = write_both(dirfd, (const char (*)[64])tmp, m, why);
	if (close(dirfd) < 0 && !err) {
		*why = "closing it";
		err = -errno;
	}
	return err;
}
