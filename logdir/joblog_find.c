/*
 * joblog_find.c: one task's last line in a job log, as a slot view: what a
 * reader shows for a queue's task whose slot now holds a newer task.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logdir/joblog.h"
#include "logdir/logdir.h"

/* The view a slot of the task would show at its end. */
static void fill_view(const struct joblog_line *l, struct os_slot_view *v)
{
	memset(v, 0, sizeof(*v));
	v->id = l->seq;
	v->state = l->state;
	v->reason = l->reason;
	v->attempt = l->attempt;
	v->exit_code = l->exit_code;
	v->term_signal = l->term_signal;
	v->start_real_ns = l->start_ns;
	v->end_real_ns = l->end_ns;
	/* Only the difference of the monotonic times is ever shown (the end
	 * saturated, as end_ns is). */
	v->start_mono_ns = 1;
	v->end_mono_ns = 1 + (l->end_ns - l->start_ns < INT64_MAX - 1 ? l->end_ns - l->start_ns
								     : INT64_MAX - 1);
	v->output_mono_ns = v->start_mono_ns;
	v->output_bytes = l->received;
}

int joblog_find(int dirfd, uint32_t id, struct os_slot_view *v, char **cmd, uint32_t *cmd_len)
{
	char prefix[16], *buf, *nl;
	size_t len, pos, plen;
	int layout, found = 0, err;
	struct joblog_line l;
	const char *why;

	err = logdir_file_read(dirfd, "joblog", 0, &buf, &len);
	if (err)
		return err;
	nl = memchr(buf, '\n', len);
	layout = nl ? joblog_header_layout(buf, (size_t)(nl - buf)) : 0;
	plen = (size_t)snprintf(prefix, sizeof(prefix), "%u\t", id);
	for (pos = nl ? (size_t)(nl - buf) + 1 : len; layout && pos < len;) {
		char *line = buf + pos, *end = memchr(line, '\n', len - pos);

		if (!end)
			break; /* a line being written */
		if ((size_t)(end - line) > plen && memcmp(line, prefix, plen) == 0 &&
		    joblog_line_parse(line, (size_t)(end - line), layout, &l, &why) == 0) {
			fill_view(&l, v);
			*cmd = (char *)l.cmd;
			*cmd_len = (uint32_t)l.cmd_len;
			found = 1;
		}
		pos = (size_t)(end - buf) + 1;
	}
	if (!found) {
		free(buf);
		return -ENOENT;
	}
	/* The command, alone in a buffer of its own for the caller to free. */
	memmove(buf, *cmd, *cmd_len);
	buf[*cmd_len] = '\0';
	*cmd = buf;
	return 0;
}
