/*
 * check_tasklist.c: reading and splitting the task file.  Line numbers are
 * what an administrator is told when a file is refused, so every refusal is
 * checked for the line it names, not only for failing.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/check_suites.h"
#include "shm/table.h"
#include "logdir/tasklist.h"

/* tasklist_parse takes ownership of a malloc'd buffer with one spare byte. */
static int parse(const char *text, size_t len, struct tasklist *l, struct tasklist_error *e)
{
	char *buf = malloc(len + 1);

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, text, len);
	return tasklist_parse(buf, len, l, e);
}

static int parse_str(const char *text, struct tasklist *l, struct tasklist_error *e)
{
	return parse(text, strlen(text), l, e);
}

static void assert_task(const struct tasklist *l, uint32_t i, const char *cmd, uint32_t line)
{
	ck_assert_uint_lt(i, l->count);
	ck_assert_str_eq(l->cmds[i], cmd);
	ck_assert_uint_eq(l->lens[i], strlen(cmd));
	ck_assert_msg(l->lines[i] == line, "task %u (%s): line %u, want %u", i + 1, cmd,
		      l->lines[i], line);
}

static void assert_refused(const char *text, size_t len, uint64_t line)
{
	struct tasklist l;
	struct tasklist_error e;

	ck_assert_int_eq(parse(text, len, &l, &e), -EINVAL);
	ck_assert_msg(e.line == line, "refused at line %llu, want %llu (%s)",
		      (unsigned long long)e.line, (unsigned long long)line, e.what);
	ck_assert_uint_gt(strlen(e.what), 0);
	ck_assert_uint_lt(strnlen(e.what, sizeof(e.what)), sizeof(e.what));
	tasklist_free(&l);
}

START_TEST(test_numbering)
{
	static const char text[] =
		"# header\n"          /* 1 */
		"\n"                  /* 2 */
		"   # x\n"            /* 3 */
		"\t# tab comment\n"   /* 4 */
		"echo one\n"          /* 5 */
		" \t \n"              /* 6 */
		"sleep 2\r\n"         /* 7 */
		"\t\n"                /* 8 */
		"\r\n"                /* 9 */
		"  indented cmd  \n"  /* 10 */
		"a#b\n"               /* 11 */
		"\t#\r\n"             /* 12 */
		"echo x # y\r\n"      /* 13 */
		"last";               /* 14, no newline */
	struct tasklist l;
	struct tasklist_error e;

	ck_assert_int_eq(parse_str(text, &l, &e), 0);
	ck_assert_uint_eq(l.count, 6);
	assert_task(&l, 0, "echo one", 5);
	assert_task(&l, 1, "sleep 2", 7);
	assert_task(&l, 2, "  indented cmd  ", 10);
	assert_task(&l, 3, "a#b", 11);
	assert_task(&l, 4, "echo x # y", 13);
	assert_task(&l, 5, "last", 14);
	/* Commands point into the buffer the list now owns. */
	for (uint32_t i = 0; i < l.count; i++)
		ck_assert(l.cmds[i] >= l.buf && l.cmds[i] < l.buf + l.buf_len);
	tasklist_free(&l);
	ck_assert_ptr_null(l.buf);
	ck_assert_uint_eq(l.count, 0);
}
END_TEST

START_TEST(test_single_lines)
{
	struct tasklist l;
	struct tasklist_error e;

	ck_assert_int_eq(parse_str("x", &l, &e), 0);
	ck_assert_uint_eq(l.count, 1);
	assert_task(&l, 0, "x", 1);
	tasklist_free(&l);

	ck_assert_int_eq(parse_str("x\r", &l, &e), 0);
	assert_task(&l, 0, "x", 1);
	tasklist_free(&l);

	ck_assert_int_eq(parse_str("\n\n\ny\n", &l, &e), 0);
	ck_assert_uint_eq(l.count, 1);
	assert_task(&l, 0, "y", 4);
	tasklist_free(&l);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char mid[] = "a\n# c\n\nb\0c\nd\n";
	static const char first[] = "\0abc\n";
	static const char in_comment[] = "a\n# x\0y\nb\n";
	static const char after_last[] = "a\nb\n\0";

	assert_refused(mid, sizeof(mid) - 1, 4);
	assert_refused(first, sizeof(first) - 1, 1);
	assert_refused(in_comment, sizeof(in_comment) - 1, 2);
	assert_refused(after_last, sizeof(after_last) - 1, 3);
}
END_TEST

/* "# c\n\n" then a line of N 'x' and END: the long line is line 3. */
static char *long_text(size_t n, const char *end, size_t *len)
{
	size_t endlen = strlen(end);
	char *text = malloc(5 + n + endlen + 8);

	ck_assert_ptr_nonnull(text);
	memcpy(text, "# c\n\n", 5);
	memset(text + 5, 'x', n);
	memcpy(text + 5 + n, end, endlen);
	memcpy(text + 5 + n + endlen, "\necho z", 8);
	*len = 5 + n + endlen + 7;
	return text;
}

static void assert_long_ok(size_t n, const char *end)
{
	struct tasklist l;
	struct tasklist_error e;
	size_t len;
	char *text = long_text(n, end, &len);

	ck_assert_msg(parse(text, len, &l, &e) == 0, "line of %zu refused: %s", n, e.what);
	ck_assert_uint_eq(l.count, 2);
	ck_assert_uint_eq(l.lens[0], n);
	ck_assert_uint_eq(strlen(l.cmds[0]), n);
	ck_assert_uint_eq(l.lines[0], 3);
	assert_task(&l, 1, "echo z", 4);
	tasklist_free(&l);
	free(text);
}

START_TEST(test_long_lines)
{
	size_t len;
	char *text;

	ck_assert_uint_eq(OS_CMD_MAX, 131071);
	assert_long_ok(OS_CMD_MAX, "");
	assert_long_ok(OS_CMD_MAX, "\r");
	text = long_text(OS_CMD_MAX + 1, "", &len);
	assert_refused(text, len, 3);
	free(text);
	text = long_text(OS_CMD_MAX + 1, "\r", &len);
	assert_refused(text, len, 3);
	free(text);
	/* The same line last in the file, with no newline after it. */
	text = long_text(OS_CMD_MAX + 1, "", &len);
	assert_refused(text, 5 + OS_CMD_MAX + 1, 3);
	free(text);
}
END_TEST

START_TEST(test_no_tasks)
{
	static const char *const texts[] = {
		"", "\n", "# only\n", "# a\n\n   # b\n\t\n", "\r\n\r\n", "  \t  ", "#",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		assert_refused(texts[i], strlen(texts[i]), 0);
}
END_TEST

/* --- slurp ------------------------------------------------------------------ */

static char *pattern(size_t n)
{
	char *p = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < n; i++)
		p[i] = i % 61 == 60 ? '\n' : (char)('a' + i % 23);
	return p;
}

/* A file holding N bytes of pattern(), positioned at its start. */
static int file_of(const char *data, size_t n)
{
	char path[] = "/tmp/check-tasklist-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static int slurp_file(size_t n, size_t limit, char **buf, size_t *len)
{
	char *data = pattern(n);
	int fd = file_of(data, n), err = tasklist_slurp(fd, limit, 0, buf, len);

	if (err == 0) {
		ck_assert_uint_eq(*len, n);
		ck_assert_int_eq(memcmp(*buf, data, n), 0);
		ck_assert_int_eq((*buf)[n], '\0');
	}
	close(fd);
	free(data);
	return err;
}

/* Writes pattern(N) into a pipe from another process, which a pipe's
 * buffer could not hold at once. */
static pid_t pipe_writer(size_t n, int *rfd)
{
	int p[2];
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *data = pattern(n);
		size_t off = 0;

		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		while (off < n) {
			ssize_t w = write(p[1], data + off, n - off < 4000 ? n - off : 4000);

			if (w <= 0)
				_exit(1);
			off += (size_t)w;
		}
		_exit(0);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

START_TEST(test_slurp_pipe)
{
	const size_t n = 300000;
	char *data = pattern(n), *buf = NULL;
	size_t len = 0;
	int fd, status;
	pid_t pid = pipe_writer(n, &fd);
	struct tasklist l;
	struct tasklist_error e;

	ck_assert_int_eq(tasklist_slurp(fd, 1u << 20, 0, &buf, &len), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_uint_eq(len, n);
	ck_assert_int_eq(memcmp(buf, data, n), 0);
	ck_assert_int_eq(buf[n], '\0');
	close(fd);
	/* What slurp returns is what parse takes: the spare byte is there. */
	ck_assert_int_eq(tasklist_parse(buf, len, &l, &e), 0);
	ck_assert_uint_eq(l.count, (n + 60) / 61);
	ck_assert_uint_eq(l.lens[0], 60);
	ck_assert_uint_eq(l.lines[l.count - 1], l.count);
	tasklist_free(&l);
	free(data);
}
END_TEST

START_TEST(test_slurp_pipe_too_big)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, status;
	pid_t pid = pipe_writer(200000, &fd);

	ck_assert_int_eq(tasklist_slurp(fd, 100000, 0, &buf, &len), -EFBIG);
	close(fd);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
}
END_TEST

START_TEST(test_slurp_file)
{
	static const size_t sizes[] = { 0, 1, 4095, 65535, 65536, 65537, 200001 };
	char *buf;
	size_t len;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		buf = NULL;
		ck_assert_msg(slurp_file(sizes[i], 1u << 20, &buf, &len) == 0,
			      "%zu bytes not read", sizes[i]);
		free(buf);
	}
}
END_TEST

/* LIMIT bytes are allowed, one more is -EFBIG, on both sides of the
 * slurper's first buffer size. */
START_TEST(test_slurp_limit)
{
	static const size_t limits[] = { 1, 100, 4096, 65535, 65536, 65537, 70000, 140000 };
	char *buf;
	size_t len;

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		size_t lim = limits[i];

		buf = NULL;
		ck_assert_msg(slurp_file(lim, lim, &buf, &len) == 0,
			      "%zu bytes refused with limit %zu", lim, lim);
		free(buf);
		buf = NULL;
		ck_assert_msg(slurp_file(lim + 1, lim, &buf, &len) == -EFBIG,
			      "%zu bytes accepted with limit %zu", lim + 1, lim);
		ck_assert_msg(slurp_file(10 * lim, lim, &buf, &len) == -EFBIG,
			      "%zu bytes accepted with limit %zu", 10 * lim, lim);
	}
	buf = NULL;
	ck_assert_int_eq(slurp_file(0, 0, &buf, &len), 0);
	ck_assert_uint_eq(len, 0);
	free(buf);
	ck_assert_int_eq(slurp_file(1, 0, &buf, &len), -EFBIG);
	ck_assert_int_eq(tasklist_slurp(-1, 100, 0, &buf, &len), -EBADF);
}
END_TEST

/* Whether ADDR lies in a mapping of this process: mincore() fails with
 * ENOMEM on an address nothing is mapped at. */
static int mapped(const void *addr)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char vec;

	return mincore((void *)((uintptr_t)addr & ~(uintptr_t)(page - 1)), 1, &vec) == 0 ||
	       errno != ENOMEM;
}

/* After tasklist_seal the list is the same, and a forked child (a worker)
 * does not have it: that is what keeps the cost of each fork independent of
 * the number of tasks. */
START_TEST(test_seal)
{
	static const char text[] = "a\n# c\nbb\n\nccc x\n";
	struct tasklist l;
	struct tasklist_error e;
	const char *cmd0;
	int status;
	pid_t pid;

	ck_assert_int_eq(parse_str(text, &l, &e), 0);
	/* as resume.c leaves a list it dropped tasks from */
	l.ids = malloc(l.count * sizeof(*l.ids));
	ck_assert_ptr_nonnull(l.ids);
	for (uint32_t i = 0; i < l.count; i++)
		l.ids[i] = 10 * (i + 1);
	ck_assert_int_eq(tasklist_seal(&l), 0);
	ck_assert_ptr_nonnull(l.sealed);
	ck_assert_ptr_null(l.buf);
	ck_assert_uint_eq(l.count, 3);
	assert_task(&l, 0, "a", 1);
	assert_task(&l, 1, "bb", 3);
	assert_task(&l, 2, "ccc x", 5);
	for (uint32_t i = 0; i < l.count; i++)
		ck_assert_uint_eq(l.ids[i], 10 * (i + 1));
	ck_assert_int_eq(tasklist_seal(&l), 0); /* twice is harmless */
	assert_task(&l, 2, "ccc x", 5);
	ck_assert(mapped(l.cmds) && mapped(l.cmds[2]));

	/* The addresses are taken before the fork: the child cannot read
	 * l.cmds[0] any more. */
	cmd0 = l.cmds[0];
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(!mapped(l.cmds) && !mapped(cmd0) && !mapped(l.lens) && !mapped(l.ids) ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "a forked child still has the task list mapped");
	tasklist_free(&l);
	ck_assert_ptr_null(l.sealed);
}
END_TEST

Suite *make_tasklist_suite(void)
{
	Suite *s = suite_create("tasklist");
	TCase *parse_tc = tcase_create("parse");
	TCase *slurp_tc = tcase_create("slurp");

	tcase_add_test(parse_tc, test_numbering);
	tcase_add_test(parse_tc, test_single_lines);
	tcase_add_test(parse_tc, test_nul_byte);
	tcase_add_test(parse_tc, test_long_lines);
	tcase_add_test(parse_tc, test_no_tasks);
	tcase_add_test(parse_tc, test_seal);
	suite_add_tcase(s, parse_tc);

	tcase_add_test(slurp_tc, test_slurp_pipe);
	tcase_add_test(slurp_tc, test_slurp_pipe_too_big);
	tcase_add_test(slurp_tc, test_slurp_file);
	tcase_add_test(slurp_tc, test_slurp_limit);
	suite_add_tcase(s, slurp_tc);
	return s;
}
