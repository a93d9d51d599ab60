/*
 * tasklist.c: reading and splitting the task file.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shm/table.h"
#include "logdir/tasklist.h"

/* Wait until FD has data or EOF; -ETIMEDOUT after IDLE_MS of nothing. */
static int wait_input(int fd, int idle_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	if (idle_ms <= 0)
		return 0;
	do
		n = poll(&p, 1, idle_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

int tasklist_slurp(int fd, size_t limit, int idle_ms, char **bufp, size_t *lenp)
{
	/* Room for one byte past LIMIT: reading it is how a file just over the
	 * limit is told from one exactly at it. */
	size_t most = limit < SIZE_MAX ? limit + 1 : SIZE_MAX;
	size_t cap = most < 65536 ? most : 65536, len = 0;
	char *buf = malloc(cap), *bigger;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len > limit) {
			free(buf);
			return -EFBIG;
		}
		if (len == cap) {
			cap = cap > most / 2 ? most : cap * 2;
			bigger = realloc(buf, cap);
			if (!bigger) {
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
		}
		n = wait_input(fd, idle_ms);
		if (n == 0)
			n = read(fd, buf + len, cap - len);
		else
			errno = (int)-n, n = -1;
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			free(buf);
			return (int)n;
		}
		len += (size_t)n;
	}
	/* tasklist_parse needs one byte past the data for the last NUL. */
	bigger = realloc(buf, len + 1);
	if (!bigger) {
		free(buf);
		return -ENOMEM;
	}
	buf = bigger;
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

static int skip_line(const char *line, size_t len)
{
	size_t i = strspn(line, " \t");

	return i >= len || line[i] == '#';
}

static int refuse(struct tasklist_error *err, uint64_t line, const char *what)
{
	err->line = line;
	snprintf(err->what, sizeof(err->what), "%s", what);
	return -EINVAL;
}

static int grow(struct tasklist *l, uint32_t *cap)
{
	uint32_t ncap = *cap ? *cap * 2 : 1024;
	char **cmds = realloc(l->cmds, ncap * sizeof(*cmds));
	uint32_t *lens, *lines;

	if (!cmds)
		return -ENOMEM;
	l->cmds = cmds;
	lens = realloc(l->lens, ncap * sizeof(*lens));
	if (!lens)
		return -ENOMEM;
	l->lens = lens;
	lines = realloc(l->lines, ncap * sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	l->lines = lines;
	*cap = ncap;
	return 0;
}

int tasklist_parse(char *buf, size_t len, struct tasklist *out, struct tasklist_error *err)
{
	int ret = tasklist_parse_lines(buf, len, out, err);

	if (ret == 0 && out->count == 0)
		return refuse(err, 0, "no tasks (only blank lines and comments)");
	return ret;
}

int tasklist_parse_lines(char *buf, size_t len, struct tasklist *out, struct tasklist_error *err)
{
	uint32_t cap = 0;
	uint64_t lineno = 0;
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	out->buf = buf;
	out->buf_len = len;
	if (memchr(buf, '\0', len)) {
		char *nul = memchr(buf, '\0', len);
		uint64_t at = 1;
		for (char *p = buf; p < nul; p++)
			at += *p == '\n';
		return refuse(err, at, "NUL byte in task line");
	}
	while (pos < len) {
		char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;

		pos += n + (nl != NULL);
		lineno++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		line[n] = '\0'; /* overwrites '\n' or '\r'; at EOF see below */
		if (skip_line(line, n))
			continue;
		if (n > OS_CMD_MAX)
			return refuse(err, lineno, "line longer than 131071 bytes");
		if (out->count == OS_SLOTS_MAX)
			return refuse(err, lineno, "more than 10000000 tasks");
		if (out->count == cap && grow(out, &cap))
			return -ENOMEM;
		out->cmds[out->count] = line;
		out->lens[out->count] = (uint32_t)n;
		out->lines[out->count] = (uint32_t)lineno;
		out->count++;
	}
	out->listed = out->count;
	return 0;
}

int64_t tasklist_find(const struct tasklist *t, uint32_t id)
{
	uint32_t lo = 0, hi = t->count;

	if (!t->ids)
		return id >= 1 && id <= t->count ? (int64_t)id - 1 : -1;
	while (lo < hi) { /* ids are strictly increasing */
		uint32_t mid = lo + (hi - lo) / 2;
		if (t->ids[mid] == id)
			return mid;
		if (t->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int tasklist_keep(struct tasklist *t, const unsigned char *keep)
{
	uint32_t *ids = t->ids, k = 0;

	if (!ids) {
		ids = malloc((t->count ? t->count : 1) * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		for (uint32_t i = 0; i < t->count; i++)
			ids[i] = i + 1;
		t->ids = ids;
	}
	for (uint32_t i = 0; i < t->count; i++) {
		if (!keep[i])
			continue;
		t->cmds[k] = t->cmds[i];
		t->lens[k] = t->lens[i];
		t->lines[k] = t->lines[i];
		ids[k++] = ids[i];
	}
	t->count = k;
	return 0;
}

int tasklist_seal(struct tasklist *list)
{
	size_t n = list->count, strings = 0, off_lens, off_lines, off_ids, off_str, len;
	char *base, *str, **cmds;
	uint32_t *lens, *lines, *ids;

	if (list->sealed || n == 0)
		return 0; /* nothing a fork would copy */
	for (size_t i = 0; i < n; i++)
		strings += (size_t)list->lens[i] + 1;
	/* cmds first (8-byte aligned at the page start), then the uint32_t
	 * arrays, then the NUL-terminated commands. */
	off_lens = n * sizeof(*cmds);
	off_lines = off_lens + n * sizeof(*lens);
	off_ids = off_lines + n * sizeof(*lines);
	off_str = off_ids + (list->ids ? n * sizeof(*ids) : 0);
	len = off_str + strings;
	if (len == 0)
		len = 1; /* an empty list still ends up sealed, buf freed */
	base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	if (madvise(base, len, MADV_DONTFORK) < 0) {
		int err = -errno;
		munmap(base, len);
		return err;
	}
	cmds = (char **)(void *)base;
	lens = (uint32_t *)(void *)(base + off_lens);
	lines = (uint32_t *)(void *)(base + off_lines);
	ids = list->ids ? (uint32_t *)(void *)(base + off_ids) : NULL;
	str = base + off_str;
	for (size_t i = 0; i < n; i++) {
		memcpy(str, list->cmds[i], (size_t)list->lens[i] + 1);
		cmds[i] = str;
		str += (size_t)list->lens[i] + 1;
	}
	memcpy(lens, list->lens, n * sizeof(*lens));
	memcpy(lines, list->lines, n * sizeof(*lines));
	if (ids)
		memcpy(ids, list->ids, n * sizeof(*ids));
	free(list->buf);
	free(list->cmds);
	free(list->lens);
	free(list->lines);
	free(list->ids);
	list->buf = NULL;
	list->buf_len = 0;
	list->cmds = cmds;
	list->lens = lens;
	list->lines = lines;
	list->ids = ids;
	list->sealed = base;
	list->sealed_len = len;
	return 0;
}

void tasklist_free(struct tasklist *list)
{
	if (list->sealed) {
		munmap(list->sealed, list->sealed_len);
	} else {
		free(list->buf);
		free(list->cmds);
		free(list->lens);
		free(list->lines);
		free(list->ids);
	}
	memset(list, 0, sizeof(*list));
}
