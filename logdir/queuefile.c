/*
 * queuefile.c: LOGDIR/queue (queuefile.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logdir/logdir.h"
#include "logdir/queuefile.h"
#include "shm/table.h"

/* Everything up to the synced end, or nothing: a write cut short leaves no
 * half line behind for the next append to complete wrongly. */
static int write_all(int fd, const char *buf, size_t len)
{
	struct stat st;
	size_t done = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : -EIO;

			if (ftruncate(fd, st.st_size) < 0) { /* nothing better to do */ }
			return err;
		}
		done += (size_t)n;
	}
	return fdatasync(fd) < 0 ? -errno : 0;
}

int queuefile_append(int fd, uint32_t first_id, uint32_t n, const char *const *cmds,
		     const uint32_t *lens)
{
	size_t size = 0, pos = 0;
	char *buf;
	int err;

	for (uint32_t i = 0; i < n; i++)
		size += 12 + (size_t)lens[i];
	buf = malloc(size ? size : 1);
	if (!buf)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		pos += (size_t)snprintf(buf + pos, 12, "%u\t", first_id + i);
		memcpy(buf + pos, cmds[i], lens[i]);
		pos += lens[i];
		buf[pos++] = '\n';
	}
	err = write_all(fd, buf, pos);
	free(buf);
	return err;
}

/* "ID<TAB>" at LINE: the id, or 0 when the line is not one of ours. */
static uint32_t line_id(const char *line, size_t n, size_t *skip)
{
	uint64_t id = 0;
	size_t i = 0;

	while (i < n && i < 11 && line[i] >= '0' && line[i] <= '9')
		id = id * 10 + (uint64_t)(line[i++] - '0');
	if (i == 0 || i == n || line[i] != '\t' || line[0] == '0' || id > UINT32_MAX - 1)
		return 0;
	*skip = i + 1;
	return (uint32_t)id;
}

static int refuse(char *err, size_t errlen, uint64_t lineno, const char *what)
{
	snprintf(err, errlen, "queue:%llu: %s", (unsigned long long)lineno, what);
	return -EINVAL;
}

/* Each whole line: "ID<TAB>COMMAND", ids strictly increasing. */
static int parse(struct tasklist *out, size_t len, uint64_t *good, char *err, size_t errlen)
{
	uint32_t cap = 0, prev = 0;
	uint64_t lineno = 0;
	size_t pos = 0;

	while (pos < len) {
		char *line = out->buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t n, skip = 0;
		uint32_t id;

		if (!nl)
			break; /* cut short by a crash: never acknowledged */
		n = (size_t)(nl - line);
		lineno++;
		id = line_id(line, n, &skip);
		if (!id || id <= prev)
			return refuse(err, errlen, lineno, id ? "task ids out of order"
							      : "not \"ID<tab>COMMAND\"");
		if (memchr(line, '\0', n) || n - skip > OS_CMD_MAX || n == skip)
			return refuse(err, errlen, lineno, "not a task line");
		if (out->count == cap) {
			uint32_t ncap = cap ? cap * 2 : 1024;
			char **cmds = realloc(out->cmds, ncap * sizeof(*cmds));
			uint32_t *lens = cmds ? realloc(out->lens, ncap * sizeof(*lens)) : NULL;
			uint32_t *ids = lens ? realloc(out->ids, ncap * sizeof(*ids)) : NULL;
			uint32_t *lines = ids ? realloc(out->lines, ncap * sizeof(*lines)) : NULL;

			if (cmds)
				out->cmds = cmds;
			if (lens)
				out->lens = lens;
			if (ids)
				out->ids = ids;
			if (!lines)
				return -ENOMEM;
			out->lines = lines;
			cap = ncap;
		}
		*nl = '\0';
		out->cmds[out->count] = line + skip;
		out->lens[out->count] = (uint32_t)(n - skip);
		out->lines[out->count] = (uint32_t)lineno;
		out->ids[out->count++] = id;
		prev = id;
		pos += n + 1;
	}
	*good = pos;
	out->listed = out->count;
	return 0;
}

int queuefile_read(int dirfd, struct tasklist *out, uint64_t *good, char *err, size_t errlen)
{
	size_t len;
	int ret;

	memset(out, 0, sizeof(*out));
	*good = 0;
	ret = logdir_file_read(dirfd, "queue", 0, &out->buf, &len);
	if (ret)
		return ret;
	out->buf_len = len;
	ret = parse(out, len, good, err, errlen);
	if (ret)
		tasklist_free(out);
	return ret;
}
