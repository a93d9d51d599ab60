/*
 * logdir.c: creating and checking the log directory.
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logdir/logdir.h"

/* mkdir -p with mode 0700 for every directory it creates. */
static int make_path(const char *path)
{
	char *copy = strdup(path);
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (char *p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
			err = -errno;
			break;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	return err;
}

int logdir_open(const char *path, const char **why)
{
	struct stat st;
	int fd, err = make_path(path);

	*why = "cannot create it";
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		*why = "cannot open it";
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		err = -errno;
		*why = "cannot stat it";
	} else if (st.st_uid != geteuid()) {
		err = -EPERM;
		*why = "it is owned by another user";
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		err = -EPERM;
		*why = "it is writable by group or others";
	}
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int logdir_create(int dirfd, const char *name)
{
	int fd = openat(dirfd, name,
			O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);

	return fd < 0 ? -errno : fd;
}

int logdir_append(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);

	return fd < 0 ? -errno : fd;
}

void logdir_transcript_name(char *buf, size_t len, uint32_t id, uint32_t attempt)
{
	if (attempt > 1)
		snprintf(buf, len, "%u.%u.log", id, attempt);
	else
		snprintf(buf, len, "%u.log", id);
}
