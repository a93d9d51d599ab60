/*
 * tasklist.h: the task file: one command line per line.  The one parser
 * of task lines: the supervisor's task file, `oneshot-ctl add -`.
 */
#ifndef ONESHOT_TASKLIST_H
#define ONESHOT_TASKLIST_H

#include <stddef.h>
#include <stdint.h>

struct tasklist {
	char *buf;          /* the file's bytes; commands point into it */
	size_t buf_len;
	uint32_t count;     /* tasks 1..count */
	char **cmds;        /* cmds[i]: NUL-terminated command of task i+1 */
	uint32_t *lens;     /* lens[i] = strlen(cmds[i]) */
	uint32_t *lines;    /* lines[i]: line number of task i+1 in the file */
	uint32_t *ids;      /* task numbers once some were dropped; NULL: i+1 */
	uint32_t listed;    /* tasks in the file, before --shard and --resume */
	void *sealed;       /* after tasklist_seal: the one mapping holding it all */
	size_t sealed_len;
};

/* Where and why a task file was refused. */
struct tasklist_error {
	uint64_t line;      /* 0 when not about one line */
	char what[96];
};

/*
 * Split BUF (LEN bytes plus room for one more, malloc'd, owned by the list
 * from now on and freed by tasklist_free even on failure) into tasks: blank lines and lines whose
 * first non-blank character is '#' are skipped, a trailing CR is dropped.
 * A NUL byte, a line longer than OS_CMD_MAX or no task at all is an error.
 * Returns 0, -EINVAL (with *err filled) or -ENOMEM.
 */
int tasklist_parse(char *buf, size_t len, struct tasklist *out, struct tasklist_error *err);

/* The same, but no task at all is no error (a queue's task file, the lines
 * of `oneshot-ctl add -`). */
int tasklist_parse_lines(char *buf, size_t len, struct tasklist *out,
			 struct tasklist_error *err);

/*
 * Read all of FD into a fresh buffer (at most LIMIT bytes; -EFBIG past it)
 * with one spare byte after the data, as tasklist_parse wants.  With
 * IDLE_MS > 0, a gap of that long with neither data nor EOF (a FIFO nobody
 * closes) gives -ETIMEDOUT.  Returns 0 or -errno.
 */
int tasklist_slurp(int fd, size_t limit, int idle_ms, char **buf, size_t *len);

/* The task number of entry I (1-based numbers, 0-based entries). */
static inline uint32_t tasklist_id(const struct tasklist *t, uint32_t i)
{
	return t->ids ? t->ids[i] : i + 1;
}

/* The entry holding task number ID, or -1 when the list has none. */
int64_t tasklist_find(const struct tasklist *t, uint32_t id);

/*
 * Keep only the entries I with KEEP[I] set, in order, each keeping its task
 * number (the list gets ids if it had none).  Returns 0 or -ENOMEM, in
 * which case the list is unchanged.
 */
int tasklist_keep(struct tasklist *t, const unsigned char *keep);

/*
 * Move the list (commands, lengths, line numbers, ids) into one private
 * mapping that forked children do not inherit (MADV_DONTFORK).  fork()
 * copies the page-table entry of every private page the parent has
 * touched, so a list left on the heap made every worker's fork cost grow
 * with the number of tasks: at a million tasks (21 MB) most of the
 * supervisor's time went to copy_page_range (see bench/scale.md).
 * Afterwards buf is NULL and cmds[] etc. exist in this process only: a
 * forked child must be handed a copy of what it needs.  Returns 0, or
 * -errno with the list unchanged and still valid.
 */
int tasklist_seal(struct tasklist *list);

void tasklist_free(struct tasklist *list);

#endif
