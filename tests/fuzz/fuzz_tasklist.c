/*
 * fuzz_tasklist.c: libFuzzer target for the task-file parser
 * (supervisor/tasklist.c, tasklist_parse).
 *
 * Each input is a whole task file.  It is copied into a malloc'd buffer of
 * exactly size+1 bytes, as the API requires (the parser may write the last
 * NUL into the spare byte), and the spare byte is filled with garbage so a
 * parser that read it as if it were already a NUL would disagree with the
 * model below.  The result is then checked two ways:
 *
 *  - invariants of a successful parse: count >= 1; every cmds[i] lies inside
 *    the buffer, strlen(cmds[i]) == lens[i] <= OS_CMD_MAX, no '\n' inside;
 *    lines[] strictly increasing from 1; no command blank or a comment;
 *  - a differential check against an independent model of the documented
 *    format (tasklist.h), run on an untouched copy of the input: same return
 *    value, same error line, same commands at the same line numbers.
 *
 * Any disagreement calls abort(), which libFuzzer reports as a crash.
 * Build: see "make fuzz" in Makefile.am; tests/fuzz/README.md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shm/table.h"
#include "logdir/tasklist.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* The model's view of one task. */
struct model_task {
	size_t off, len;  /* in the original input */
	uint64_t line;
};

/* Blank (only spaces and tabs) or a comment (first non-blank is '#'). */
static int model_skip(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i == n || p[i] == '#';
}

/*
 * The task-file format as tasklist.h documents it, written independently of
 * tasklist.c: returns 0 with the tasks in *tasks and *count, or -EINVAL with the
 * line in *errline (0 when not about one line).  -ENOMEM if the model itself
 * ran out of memory (the input is then skipped).
 */
static int model_parse(const uint8_t *d, size_t len, struct model_task **tasks,
		       size_t *count, uint64_t *errline)
{
	const uint8_t *nul = memchr(d, '\0', len);
	size_t cap = 0, pos = 0;
	uint64_t line = 0;

	*tasks = NULL;
	*count = 0;
	*errline = 0;
	if (nul) {
		uint64_t at = 1;

		for (const uint8_t *p = d; p < nul; p++)
			if (*p == '\n')
				at++;
		*errline = at;
		return -EINVAL;
	}
	while (pos < len) {
		size_t start = pos, n;

		while (pos < len && d[pos] != '\n')
			pos++;
		n = pos - start;
		if (pos < len)
			pos++; /* the '\n' */
		line++;
		if (n > 0 && d[start + n - 1] == '\r')
			n--;
		if (model_skip(d + start, n))
			continue;
		if (n > OS_CMD_MAX) {
			*errline = line;
			return -EINVAL;
		}
		if (*count == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct model_task *t = realloc(*tasks, ncap * sizeof(*t));

			if (!t)
				return -ENOMEM;
			*tasks = t;
			cap = ncap;
		}
		(*tasks)[*count].off = start;
		(*tasks)[*count].len = n;
		(*tasks)[*count].line = line;
		(*count)++;
	}
	if (*count == 0) {
		*errline = 0;
		return -EINVAL;
	}
	return 0;
}

/* Invariants of any successful parse, whatever the input. */
static void check_success(const struct tasklist *l, const char *buf, size_t len)
{
	CHECK(l->count >= 1);
	CHECK(l->count <= OS_SLOTS_MAX);
	CHECK(l->cmds != NULL && l->lens != NULL && l->lines != NULL);
	CHECK(l->buf == buf && l->buf_len == len);
	for (uint32_t i = 0; i < l->count; i++) {
		const char *c = l->cmds[i];
		size_t n;

		/* Inside the buffer, its NUL included (which may be buf[len]). */
		CHECK(c >= buf && c <= buf + len);
		CHECK(l->lens[i] <= OS_CMD_MAX);
		CHECK((size_t)(c - buf) + l->lens[i] <= len);
		n = strlen(c);
		CHECK(n == l->lens[i]);
		CHECK(memchr(c, '\n', n) == NULL);
		CHECK(!model_skip((const uint8_t *)c, n));
		CHECK(l->lines[i] >= 1);
		if (i > 0) {
			CHECK(l->lines[i] > l->lines[i - 1]);
			/* Commands do not overlap and keep file order. */
			CHECK(c > l->cmds[i - 1] + l->lens[i - 1]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tasklist list;
	struct tasklist_error err;
	struct model_task *want;
	size_t want_count;
	uint64_t want_line;
	int rc, model_rc;
	char *buf;

	if (size == SIZE_MAX)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	buf[size] = 'Z'; /* the spare byte: not yet a NUL */

	rc = tasklist_parse(buf, size, &list, &err);
	/* From here the buffer belongs to LIST, even on failure. */
	model_rc = model_parse(data, size, &want, &want_count, &want_line);

	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc == -ENOMEM || model_rc == -ENOMEM)
		goto out;
	CHECK(rc == model_rc);
	if (rc == 0) {
		check_success(&list, buf, size);
		CHECK(list.count == want_count);
		for (uint32_t i = 0; i < list.count; i++) {
			CHECK(list.lines[i] == want[i].line);
			CHECK(list.lens[i] == want[i].len);
			CHECK(list.cmds[i] == buf + want[i].off);
			CHECK(memcmp(list.cmds[i], data + want[i].off, want[i].len) == 0);
		}
	} else {
		/* A refusal names its line (or 0) and says why, in one line. */
		CHECK(err.line == want_line);
		CHECK(memchr(err.what, '\0', sizeof(err.what)) != NULL);
		CHECK(err.what[0] != '\0');
		CHECK(strchr(err.what, '\n') == NULL);
	}
out:
	free(want);
	tasklist_free(&list);
	/* tasklist_free leaves a zeroed list: freeing twice must be harmless. */
	CHECK(list.buf == NULL && list.cmds == NULL && list.count == 0);
	tasklist_free(&list);
	return 0;
}
