/*
 * ctl_add.c: `oneshot-ctl add` and `close`, for a run started with
 * --queue.  Every line is checked here first, with the task file's own
 * parser, so a bad one refuses the whole add before anything is sent; the
 * supervisor checks each record again and takes all of them or none.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_queue.h"
#include "logdir/tasklist.h"
#include "shm/util.h"

#define STDIN_MAX ((size_t)1 << 30)

struct add_opts {
	int json;
};

static void add_option(int opt, const char *arg, void *ctx)
{
	struct add_opts *a = ctx;

	(void)arg;
	if (opt == 'j')
		a->json = 1;
}

/* The tasks of `add -`: standard input as a task file. */
static void read_lines(struct tasklist *tasks)
{
	struct tasklist_error err;
	size_t len;
	char *buf;
	int ret = tasklist_slurp(0, STDIN_MAX, 0, &buf, &len);

	if (ret)
		os_die_err(CTL_EXIT_USAGE, ret, "add: <stdin>");
	ret = tasklist_parse_lines(buf, len, tasks, &err);
	if (ret == -EINVAL && err.line)
		os_die(CTL_EXIT_USAGE, "add: <stdin>:%llu: %s; nothing added",
		       (unsigned long long)err.line, err.what);
	if (ret)
		os_die_err(CTL_EXIT_USAGE, ret, "add: <stdin>");
}

/* The one task of `add WORDS...`: the words joined by spaces. */
static void join_words(int argc, char **argv, struct tasklist *tasks)
{
	size_t len = 0;
	char *line;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	line = malloc(len + 1);
	if (!line)
		os_die(CTL_EXIT_FAILED, "out of memory");
	line[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(line, " ");
		strcat(line, argv[i]);
	}
	if (strchr(line, '\n') || strchr(line, '\r'))
		ctl_usage_error("add: a command is one line: no line break in it");
	if (line[strspn(line, " \t")] == '\0')
		ctl_usage_error("add: empty command");
	if (strlen(line) > QUEUE_CMD_MAX)
		ctl_usage_error("add: command longer than %u bytes", QUEUE_CMD_MAX);
	memset(tasks, 0, sizeof(*tasks));
	tasks->buf = line;
	tasks->cmds = malloc(sizeof(*tasks->cmds));
	tasks->lens = malloc(sizeof(*tasks->lens));
	if (!tasks->cmds || !tasks->lens)
		os_die(CTL_EXIT_FAILED, "out of memory");
	tasks->cmds[0] = line;
	tasks->lens[0] = (uint32_t)strlen(line);
	tasks->count = 1;
}

static void check_size(const struct tasklist *tasks)
{
	uint64_t bytes = 0;

	if (tasks->count > QUEUE_ADD_MAX)
		ctl_usage_error("add: %u tasks: at most %u in one add", tasks->count, QUEUE_ADD_MAX);
	for (uint32_t i = 0; i < tasks->count; i++)
		bytes += tasks->lens[i];
	if (bytes > QUEUE_BYTES_MAX)
		ctl_usage_error("add: %llu bytes of commands: at most %u in one add",
				(unsigned long long)bytes, QUEUE_BYTES_MAX);
}

static noreturn void refused(const struct ctl_queue *q, uint32_t status)
{
	switch (status) {
	case QUEUE_FULL:
		os_die(CTL_EXIT_FULL, "run %s: the queue is full (%u slots, every one held by a "
		       "task not ended: --queue-size); nothing added, try again later",
		       q->name, q->table.hdr->slot_count);
	case QUEUE_CLOSED:
		os_die(CTL_EXIT_FAILED, "run %s: the queue is closed; nothing added", q->name);
	case QUEUE_STOPPING:
		os_die(CTL_EXIT_FAILED, "run %s is stopping; nothing added", q->name);
	case QUEUE_BUSY:
		os_die(CTL_EXIT_FULL, "run %s: its supervisor is busy with %d other clients; "
		       "nothing added, try again later", q->name, QUEUE_CLIENTS);
	default:
		os_die(CTL_EXIT_FAILED, "run %s: the supervisor could not record the tasks "
		       "(see its log); nothing added", q->name);
	}
}

/* Send every task and the commit; the reply's first id. */
static uint32_t submit(struct ctl_queue *q, const struct tasklist *tasks)
{
	struct queue_msg m;
	int sent, err = ctl_queue_request(q, tasks->count, tasks->cmds, tasks->lens, &m, &sent);

	if (err && !sent)
		os_die_err(CTL_EXIT_FAILED, err, "run %s: reaching its supervisor; nothing added",
			   q->name);
	if (err)
		os_die_err(CTL_EXIT_FAILED, err, "run %s: no answer from its supervisor (the "
			   "tasks may have been added: see oneshot-ps)", q->name);
	if (m.a != QUEUE_OK || m.c != tasks->count)
		refused(q, m.a);
	return m.b;
}

int ctl_add(struct ctl_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct add_opts a = { 0 };
	struct tasklist tasks;
	struct ctl_queue q;
	uint32_t first;
	int rest = ctl_getopt(o, argc, argv, "+", longopts, add_option, &a);

	if (rest >= argc)
		ctl_usage_error("add: no command (give one, or - to read them from standard input)");
	ctl_queue_open(o, &q);
	if (rest == argc - 1 && strcmp(argv[rest], "-") == 0)
		read_lines(&tasks);
	else
		join_words(argc - rest, argv + rest, &tasks);
	check_size(&tasks);
	if (tasks.count == 0) {
		ctl_queue_close(&q);
		return CTL_EXIT_OK; /* an empty list is nothing to add */
	}
	first = submit(&q, &tasks);
	for (uint32_t i = 0; i < tasks.count; i++)
		printf(a.json ? "{\"id\":%u}\n" : "%u\n", first + i);
	tasklist_free(&tasks);
	ctl_queue_close(&q);
	return fflush(stdout) == 0 ? CTL_EXIT_OK : CTL_EXIT_FAILED;
}

int ctl_close(struct ctl_opts *o, int argc, char **argv)
{
	struct queue_msg m = { .type = QUEUE_CLOSE };
	struct ctl_queue q;
	int rest = ctl_getopt(o, argc, argv, "+", NULL, NULL, NULL), err, sent;

	if (rest < argc)
		ctl_usage_error("close: unexpected '%s'", argv[rest]);
	ctl_run_open(o, &q.uid, &q.table, &q.gen);
	q.name = o->name;
	q.fd = -1;
	if (!(q.table.hdr->flags & OS_RUN_QUEUE))
		os_die(CTL_EXIT_FAILED, "run %s is not a queue (started without --queue)", q.name);
	if (!atomic_load(&q.table.hdr->queue_open) || os_table_is_live(&q.table) <= 0) {
		ctl_queue_close(&q);
		return CTL_EXIT_OK; /* closed already: what was asked holds */
	}
	err = ctl_queue_request(&q, 0, NULL, NULL, &m, &sent);
	if (!err && m.a == QUEUE_BUSY)
		os_die(CTL_EXIT_FULL, "run %s: its supervisor is busy with %d other clients; "
		       "not closed, try again later", q.name, QUEUE_CLIENTS);
	/* Closed by someone else meanwhile: the connection is cut, the queue
	 * is closed all the same. */
	if (err && atomic_load(&q.table.hdr->queue_open))
		os_die_err(CTL_EXIT_FAILED, err, "run %s: close", q.name);
	ctl_queue_close(&q);
	return CTL_EXIT_OK;
}
