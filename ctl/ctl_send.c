/*
 * ctl_send.c: oneshot-ctl send ID TEXT...: type into the task's terminal
 * as a user would.  The worker hands over its PTY master and this process
 * writes to it, non-blocking: a task that does not read its terminal fills
 * the input queue, and then only this client waits (at most --timeout).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "shm/util.h"
#include "steer/proto.h"

#define SEND_MAX (16u << 20)   /* what one send may carry */

struct send_opts {
	int no_enter;
	uint64_t timeout_ms;
	const char *file;
	char *keys;            /* the bytes of the --key options, in order */
	size_t nkeys;
};

static void send_option(int opt, const char *arg, void *ctx)
{
	struct send_opts *so = ctx;
	char buf[8];
	size_t n;

	switch (opt) {
	case 'E':
		so->no_enter = 1;
		break;
	case 'k':
		n = ctl_key_bytes(arg, buf);
		if (!n)
			ctl_usage_error("send: --key: unknown key '%s' (Enter, Tab, Escape, BSpace, "
					"Up, Down, Left, Right, C-a ... C-z, ...)", arg);
		so->keys = realloc(so->keys, so->nkeys + n);
		if (!so->keys)
			os_die(CTL_EXIT_FAILED, "out of memory");
		memcpy(so->keys + so->nkeys, buf, n);
		so->nkeys += n;
		break;
	case 'f':
		so->file = arg;
		break;
	case 't':
		if (os_parse_seconds(arg, 1, 86400000, &so->timeout_ms))
			ctl_usage_error("send: --timeout: '%s' is not a number of seconds", arg);
		break;
	}
}

/* All of FILE ("-": standard input), at most SEND_MAX bytes. */
static char *read_file(const char *file, size_t *len)
{
	int fd = strcmp(file, "-") == 0 ? 0 : open(file, O_RDONLY | O_CLOEXEC);
	size_t cap = 65536;
	char *buf = malloc(cap);
	ssize_t n;

	if (fd < 0)
		os_die_err(CTL_EXIT_FAILED, -errno, "send: --file %s", file);
	*len = 0;
	while (buf && (n = read(fd, buf + *len, cap - *len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			os_die_err(CTL_EXIT_FAILED, -errno, "send: --file %s", file);
		*len += (size_t)n;
		if (*len == cap && (cap *= 2) <= SEND_MAX)
			buf = realloc(buf, cap);
		else if (*len == cap)
			os_die(CTL_EXIT_FAILED, "send: --file %s: more than %u MiB", file,
			       SEND_MAX >> 20);
	}
	if (!buf)
		os_die(CTL_EXIT_FAILED, "out of memory");
	if (fd > 0)
		close(fd);
	return buf;
}

/* TEXT words joined by spaces, then Enter unless NO_ENTER; then the keys. */
static char *compose(const struct send_opts *so, int nwords, char **words, size_t *len)
{
	size_t cap = so->nkeys + 2;
	char *buf, *p;

	for (int i = 0; i < nwords; i++)
		cap += strlen(words[i]) + 1;
	buf = p = malloc(cap);
	if (!buf)
		os_die(CTL_EXIT_FAILED, "out of memory");
	for (int i = 0; i < nwords; i++) {
		if (i)
			*p++ = ' ';
		p = stpcpy(p, words[i]);
	}
	if (nwords && !so->no_enter)
		*p++ = '\r';
	if (so->nkeys)
		memcpy(p, so->keys, so->nkeys);
	*len = (size_t)(p - buf) + so->nkeys;
	return buf;
}

/* Write BUF to the terminal MASTER within TIMEOUT_MS: the bytes that went in. */
static size_t type_in(int master, const char *buf, size_t len, uint64_t timeout_ms)
{
	int64_t until = os_now_mono_ns() + (int64_t)timeout_ms * 1000000;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(master, buf + done, len - done);
		struct pollfd p = { .fd = master, .events = POLLOUT };
		int64_t left = (until - os_now_mono_ns()) / 1000000;

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			break; /* the terminal is gone with its task */
		if (left <= 0 || poll(&p, 1, (int)(left < 1000 ? left : 1000)) < 0)
			break;
		if (p.revents & (POLLERR | POLLHUP))
			break;
	}
	return done;
}

int ctl_send(struct ctl_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "no-enter", no_argument, NULL, 'E' },
		{ "key", required_argument, NULL, 'k' },
		{ "file", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct send_opts so = { .timeout_ms = 5000 };
	int first = ctl_getopt(o, argc, argv, "k:f:t:", longopts, send_option, &so);
	struct ctl_task t;
	struct ctl_steer s;
	const char *why;
	size_t len, done;
	char *bytes;
	int err;

	if (first >= argc)
		ctl_usage_error("send: no task id");
	if (so.file && first + 1 < argc)
		ctl_usage_error("send: TEXT and --file together: send one or the other");
	if (!so.file && first + 1 == argc && !so.nkeys)
		ctl_usage_error("send: nothing to send (TEXT, --key or --file)");
	ctl_task_open(o, ctl_task_id(argv[first]), &t);
	bytes = so.file ? read_file(so.file, &len)
			: compose(&so, argc - first - 1, argv + first + 1, &len);
	if (!len)
		ctl_usage_error("send: nothing to send (an empty TEXT and --no-enter, or an "
				"empty file)");
	ctl_task_worker(&t, "send");
	err = ctl_steer_connect(&t, STEER_F_INPUT, 0, 0, &s, &why);
	if (err)
		os_die_err(CTL_EXIT_FAILED, err, "send: task %u of run %s: %s", t.v.id, t.name, why);
	done = type_in(s.master, bytes, len, so.timeout_ms);
	ctl_steer_close(&s);
	if (done < len) {
		os_warn("send: task %u of run %s took %zu of %zu bytes in %.3g s: it is not "
			"reading its terminal, or has ended", t.v.id, t.name, done, len,
			(double)so.timeout_ms / 1000);
		err = CTL_EXIT_FAILED;
	}
	free(bytes);
	free(so.keys);
	ctl_task_close(&t);
	return err ? CTL_EXIT_FAILED : CTL_EXIT_OK;
}
