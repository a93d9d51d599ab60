/*
 * ps_timeline.c: oneshot-ps --timeline, a run as a picture: one standalone
 * SVG document with a bar per attempt of a task from its start to its end,
 * coloured by how it ended (or that it still runs, idle or waiting for
 * input), on lanes of concurrency over a time axis, under a title with the
 * run's name, state and times, a legend with the counts and a chart of the
 * tasks at once against the run's -j.  The bars' lanes, that chart and the
 * slowest bars are worked out in ps_timeline_calc.c, the document is
 * written by ps_timeline_draw.c; this file reads the run.
 *
 * The run comes from its table (-n NAME: each task's current or last
 * attempt, the earlier attempts of a retried task from the run's
 * LOGDIR/joblog when it is readable), or, for a run whose table is gone,
 * from LOGDIR/joblog (every line an attempt) and LOGDIR/summary.json when
 * there is one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logdir/joblog.h"
#include "logdir/jsonread.h"
#include "logdir/logdir.h"
#include "logdir/summary.h"
#include "ps/ps.h"
#include "fmt/fmt.h"
#include "shm/state.h"
#include "shm/util.h"

#define NS_PER_MS INT64_C(1000000)

noreturn void ps_tl_out_of_memory(void)
{
	os_die(PS_EXIT_NO_RUN, "out of memory");
}

/* A + B for B >= 0, INT64_MAX when it would not fit. */
static int64_t add_sat(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static enum ps_tl_class state_class(uint32_t st)
{
	switch (st) {
	case OS_COMPLETED:
		return PS_TL_COMPLETED;
	case OS_FAILED:
		return PS_TL_FAILED;
	case OS_INTERRUPTED:
		return PS_TL_INTERRUPTED;
	case OS_IDLE:
		return PS_TL_IDLE;
	case OS_RUNNING:
		return PS_TL_RUNNING;
	default:
		return PS_TL_NONE;
	}
}

/* Room for one more bar in T->bars (*ROOM of them allocated). */
static struct ps_tl_bar *new_bar(struct ps_tl *t, size_t *room)
{
	if (t->nbars == *room) {
		struct ps_tl_bar *more;

		*room = *room ? *room * 2 : 1024;
		more = realloc(t->bars, *room * sizeof(*more));
		if (!more)
			ps_tl_out_of_memory();
		t->bars = more;
	}
	memset(&t->bars[t->nbars], 0, sizeof(t->bars[0]));
	return &t->bars[t->nbars++];
}

/* A job-log line's attempt as bar B; times still CLOCK_REALTIME. */
static void line_bar(struct ps_tl_bar *b, const struct joblog_line *l)
{
	b->t0 = l->start_ns;
	b->t1 = l->end_ns;
	b->id = l->seq;
	b->state = l->state;
	b->reason = l->reason;
	b->attempt = l->attempt;
	b->exit_code = l->exit_code;
	b->term_signal = l->term_signal;
	b->cls = (uint8_t)state_class(l->state);
	b->cmd = l->cmd;
	b->cmd_len = (uint32_t)l->cmd_len;
	b->shown = 1;
}

/*
 * Each whole line after the header of a job log (BUF, LEN bytes) to FN
 * with ARG; returns the number of lines not understood.  Dies unless the
 * first line is a job log's header.
 */
static uint32_t joblog_each(const char *dir, char *buf, size_t len,
			    void (*fn)(void *arg, const struct joblog_line *l), void *arg)
{
	char *nl = memchr(buf, '\n', len);
	int layout = nl ? joblog_header_layout(buf, (size_t)(nl - buf)) : 0;
	uint32_t bad = 0;

	if (!layout)
		os_die(PS_EXIT_NO_RUN, "%s/joblog: not a job log (no header line)", dir);
	for (size_t pos = (size_t)(nl - buf) + 1; pos < len;) {
		char *line = buf + pos, *end = memchr(line, '\n', len - pos);
		struct joblog_line l;
		const char *why;

		if (!end)
			break; /* a line being written */
		pos = (size_t)(end - buf) + 1;
		if (joblog_line_parse_mixed(line, (size_t)(end - line), layout, &l, &why) < 0)
			bad++;
		else
			fn(arg, &l);
	}
	return bad;
}

static void warn_bad(const char *dir, uint32_t bad)
{
	if (bad)
		os_warn("%s/joblog: %u line%s not understood, left out", dir, bad,
			bad == 1 ? "" : "s");
}

/* ---------------------------------------------------------- from a table */


/*
 * The picture's end on the monotonic clock: the run's end, now while it is
 * alive, or, for a run whose supervisor was killed, the last moment a task
 * was seen doing anything (its unfinished tasks end there).
 */
static int64_t run_end(struct ps_tl *t, const struct os_run *r)
{
	int64_t end = r->start_mono_ns;

	if (r->run_state == OS_RUN_DONE && r->end_mono_ns > 0)
		return r->end_mono_ns;
	if (r->alive) {
		t->live = 1;
		return r->now_mono_ns;
	}
	t->dead = 1;
	for (uint32_t i = 0; i < r->ntasks; i++) {
		const struct os_task *k = &r->tasks[i];

		if (k->busy || k->logged)
			continue;
		if (k->v.start_mono_ns > end)
			end = k->v.start_mono_ns;
		if (k->v.end_mono_ns > end)
			end = k->v.end_mono_ns;
		if (k->v.output_mono_ns > end)
			end = k->v.output_mono_ns;
	}
	return end;
}

/* Task K's times as bar B's, from ORIGIN to END; 0, or -1 when it has not
 * started (or waits for its next attempt). */
static int task_times(struct ps_tl_bar *b, const struct os_run *r, const struct os_task *k,
		      int64_t end)
{
	int64_t origin = r->start_mono_ns;
	int term = os_state_is_terminal(k->v.state);

	if (k->logged) { /* from the job log: real times */
		b->t0 = k->v.start_real_ns - r->start_real_ns;
		b->t1 = add_sat(b->t0, k->v.end_mono_ns - k->v.start_mono_ns);
	} else if (k->v.start_mono_ns > 0) {
		b->t0 = k->v.start_mono_ns - origin;
		b->t1 = (term && k->v.end_mono_ns > 0 ? k->v.end_mono_ns : end) - origin;
		b->open = !term;
	} else if (term && k->v.end_mono_ns > 0) {
		/* ended without starting (setup failed): an instant */
		b->t0 = b->t1 = k->v.end_mono_ns - origin;
	} else {
		return -1;
	}
	return 0;
}

/* Task K of R as bar B (its times already set). */
static void task_bar(struct ps_tl_bar *b, const struct os_run *r, const struct os_task *k)
{
	b->cls = (uint8_t)state_class(k->v.state);
	if (ps_task_waiting(k))
		b->cls = PS_TL_WAITING;
	b->id = k->v.id;
	b->state = k->v.state;
	b->reason = k->v.reason;
	b->attempt = k->v.attempt;
	b->exit_code = k->v.exit_code;
	b->term_signal = k->v.term_signal;
	b->cmd = r->strings + k->cmd_pos;
	b->cmd_len = k->cmd_len;
	b->last = 1;
	/* waiting for input now, or when it ended: the slot's message holds
	 * the prompt meanwhile */
	if (k->v.waiting_mono_ns != 0 && k->v.waiting_why < OS_WAIT_COUNT) {
		b->why = (uint8_t)k->v.waiting_why;
		b->prompt = k->v.message;
		b->prompt_len = (uint32_t)strnlen(k->v.message, sizeof(k->v.message));
	}
}

static void from_table(struct ps_tl *t, const struct os_run *r, const struct ps_view *v)
{
	int64_t end = run_end(t, r);

	snprintf(t->name, sizeof(t->name), "%s", r->name);
	ps_run_status(r, t->status, sizeof(t->status));
	t->start_real_ns = r->start_real_ns;
	t->span_ns = end - r->start_mono_ns;
	t->cap = r->cap;
	t->total = r->total;
	t->ntasks = r->ntasks;
	t->queue = r->queue;
	t->bars = calloc(r->ntasks ? r->ntasks : 1, sizeof(*t->bars));
	if (!t->bars)
		ps_tl_out_of_memory();
	for (uint32_t i = 0; i < r->ntasks; i++) {
		const struct os_task *k = &r->tasks[i];
		struct ps_tl_bar *b = &t->bars[t->nbars];
		int shown = ps_task_shown(v, k);

		memset(b, 0, sizeof(*b));
		if (k->busy) { /* a writer held it: only id and state known */
			t->busy += (uint32_t)shown;
			continue;
		}
		if (task_times(b, r, k, end) < 0 || state_class(k->v.state) == PS_TL_NONE) {
			t->not_started += (uint32_t)shown;
			continue;
		}
		task_bar(b, r, k);
		b->shown = (uint8_t)shown;
		t->nbars++;
	}
}

/* A table's retried tasks by id, to find a job-log line's task. */
struct retried {
	uint32_t id;
	uint32_t bar;
};

struct history {
	struct ps_tl *t;
	const struct os_run *r;
	struct retried *by_id;
	size_t n, room;
};

static int cmp_retried(const void *a, const void *b)
{
	const struct retried *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* A job-log line of an earlier attempt of a retried task of this run
 * (not of a run --resume continued: those started before it) as a bar. */
static void history_line(void *arg, const struct joblog_line *l)
{
	struct history *h = arg;
	struct retried key = { l->seq, 0 }, *k;
	struct ps_tl_bar *b, *last;

	k = bsearch(&key, h->by_id, h->n, sizeof(key), cmp_retried);
	if (!k || l->attempt >= h->t->bars[k->bar].attempt ||
	    l->start_ns < h->r->start_real_ns - NS_PER_MS)
		return;
	b = new_bar(h->t, &h->room);
	last = &h->t->bars[k->bar];
	line_bar(b, l);
	b->t0 -= h->r->start_real_ns;
	b->t1 -= h->r->start_real_ns;
	b->shown = last->shown;
	b->nth = ++last->nth;
}

/* The retried tasks' bars, by id; 0 when there is none. */
static size_t retried_index(struct history *h)
{
	h->by_id = malloc((h->t->nbars ? h->t->nbars : 1) * sizeof(*h->by_id));
	if (!h->by_id)
		ps_tl_out_of_memory();
	for (size_t i = 0; i < h->t->nbars; i++)
		if (h->t->bars[i].attempt > 1)
			h->by_id[h->n++] = (struct retried){ h->t->bars[i].id, (uint32_t)i };
	qsort(h->by_id, h->n, sizeof(*h->by_id), cmp_retried);
	return h->n;
}

/*
 * The earlier attempts of the table's retried tasks, from the run's
 * LOGDIR/joblog: each attempt has its line there.  *BUF keeps the file
 * (the bars' commands are in it).  A job log that cannot be read leaves
 * T->history at -1: those tasks have their last attempt only.
 */
static void table_history(struct ps_tl *t, const struct os_run *r, char **buf)
{
	struct history h = { t, r, NULL, 0, t->nbars };
	size_t len;
	int dfd;

	if (retried_index(&h) == 0) {
		free(h.by_id);
		return;
	}
	t->history = -1;
	dfd = r->logdir ? open(r->logdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dfd >= 0 && logdir_file_read(dfd, "joblog", 0, buf, &len) == 0) {
		char *nl = memchr(*buf, '\n', len);

		if (nl && joblog_header_layout(*buf, (size_t)(nl - *buf))) {
			warn_bad(r->logdir, joblog_each(r->logdir, *buf, len, history_line, &h));
			t->history = 1;
			t->slack = NS_PER_MS; /* job-log times: to the millisecond */
		}
	}
	if (dfd >= 0)
		close(dfd);
	free(h.by_id);
}

/* ------------------------------------------------------- from a log dir */

/* One member of summary.json's top object: the run's name, times and
 * exit status are kept, the rest skipped. */
static int summary_member(struct logdir_json *c, struct ps_tl *t)
{
	char text[OS_NAME_MAX * 4 + 1];
	const char *key;
	size_t n;
	long long v;
	int64_t ns;

	if (logdir_json_string(c, &key, &n) || logdir_json_expect(c, ':'))
		return -1;
#define IS(word) (n == sizeof(word) - 1 && memcmp(key, word, n) == 0)
	if (IS("name")) {
		if (logdir_json_string_copy(c, text, sizeof(text)))
			return -1;
		memcpy(t->name, text, sizeof(text));
		return 0;
	}
	if (IS("started_at") || IS("ended_at")) {
		int start = IS("started_at");

		if (logdir_json_string_copy(c, text, sizeof(text)) ||
		    fmt_iso8601_parse(text, &ns) || ns <= 0)
			return -1;
		*(start ? &t->sum_start : &t->sum_end) = ns;
		return 0;
	}
	if (IS("counts")) { /* {"completed": N, ..., "not_started": N} */
		if (logdir_json_expect(c, '{'))
			return -1;
		do {
			if (logdir_json_string(c, &key, &n) || logdir_json_expect(c, ':'))
				return -1;
			if (!IS("not_started")) {
				if (logdir_json_skip(c, 2))
					return -1;
			} else if (logdir_json_integer(c, 0, UINT32_MAX, &v)) {
				return -1;
			} else {
				t->not_started = (uint32_t)v;
			}
		} while (logdir_json_literal(c, ","));
		return logdir_json_expect(c, '}');
	}
	if (IS("exit_status")) {
		if (logdir_json_integer(c, 0, 255, &v))
			return -1;
		t->sum_exit = (int)v;
		return 0;
	}
#undef IS
	return logdir_json_skip(c, 1);
}

/* LOGDIR/summary.json, when the run finished: what it says is taken
 * member by member, and a file it cannot read adds nothing more. */
static void read_summary(int dfd, struct ps_tl *t)
{
	struct logdir_json c;
	char *text;
	size_t len;

	t->sum_exit = -1;
	if (logdir_file_read(dfd, "summary.json", SUMMARY_FILE_MAX, &text, &len))
		return;
	c = logdir_json_over(text, len);
	if (logdir_json_expect(&c, '{') == 0 && !logdir_json_literal(&c, "}")) {
		do {
			if (summary_member(&c, t))
				break;
		} while (logdir_json_literal(&c, ","));
	}
	free(text);
}

struct lines {
	struct ps_tl *t;
	size_t room;
};

/* A line of the job log as a bar (nth: the line's index, for the sort). */
static void logdir_line(void *arg, const struct joblog_line *l)
{
	struct lines *s = arg;
	struct ps_tl_bar *b = new_bar(s->t, &s->room);

	line_bar(b, l);
	b->nth = (uint32_t)(s->t->nbars - 1);
}

static int cmp_id_line(const void *a, const void *b)
{
	const struct ps_tl_bar *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->nth < y->nth ? -1 : x->nth > y->nth;
}

/* Every line of JOBLOG (LEN bytes, header first) as a bar, by task and
 * line: a task's last line is its last attempt, the others are numbered
 * 1, 2, ...; times are still CLOCK_REALTIME. */
static void joblog_bars(struct ps_tl *t, const char *dir, char *buf, size_t len)
{
	struct lines s = { t, 0 };
	uint32_t nth = 0;

	warn_bad(dir, joblog_each(dir, buf, len, logdir_line, &s));
	if (t->nbars)
		qsort(t->bars, t->nbars, sizeof(*t->bars), cmp_id_line);
	for (size_t i = 0; i < t->nbars; i++) {
		struct ps_tl_bar *b = &t->bars[i];

		b->last = i + 1 == t->nbars || t->bars[i + 1].id != b->id;
		nth = i && t->bars[i - 1].id == b->id ? nth + 1 : 1;
		b->nth = b->last ? 0 : nth;
		t->ntasks += b->last;
	}
}

/* DIR's name: summary.json's, else the directory's last part (the
 * default log directory ends with the run's name). */
static void logdir_name(struct ps_tl *t, const char *dir)
{
	const char *base = dir + strlen(dir);
	size_t blen = 0;

	while (base > dir && base[-1] == '/')
		base--;
	for (; base > dir && base[-1] != '/'; base--)
		blen++;
	if (blen)
		snprintf(t->name, sizeof(t->name), "%.*s", (int)blen, base);
	else
		snprintf(t->name, sizeof(t->name), "%s", dir); /* "/" */
}

/* The origin: the first start (a resumed run's job log holds the runs
 * before it too), or the run's; the end: the last end, or the run's. */
static void logdir_span(struct ps_tl *t)
{
	int64_t first = INT64_MAX, last = INT64_MIN;

	if (t->sum_exit >= 0 && t->sum_start > 0)
		first = t->sum_start;
	if (t->sum_exit >= 0 && t->sum_end > 0)
		last = t->sum_end;
	for (size_t i = 0; i < t->nbars; i++) {
		if (t->bars[i].t0 < first)
			first = t->bars[i].t0;
		if (t->bars[i].t1 > last)
			last = t->bars[i].t1;
	}
	if (first == INT64_MAX)
		first = last = 0;
	if (last < first)
		last = first;
	for (size_t i = 0; i < t->nbars; i++) {
		t->bars[i].t0 -= first;
		t->bars[i].t1 -= first;
	}
	t->start_real_ns = first;
	t->span_ns = last - first;
}

/* DIR/joblog into T; *BUF keeps the file (the bars' commands are in it). */
static void from_logdir(struct ps_tl *t, const char *dir, uint32_t cap, char **buf)
{
	size_t len;
	int dfd, err;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		os_die_err(PS_EXIT_NO_RUN, -errno, "%s", dir);
	err = logdir_file_read(dfd, "joblog", 0, buf, &len);
	if (err == -ENOENT)
		os_die(PS_EXIT_NO_RUN, "%s: no joblog (not a run's log directory)", dir);
	if (err)
		os_die(PS_EXIT_NO_RUN, "%s/joblog: %s", dir, logdir_file_error(err));
	logdir_name(t, dir);
	read_summary(dfd, t);
	close(dfd);
	joblog_bars(t, dir, *buf, len);
	t->logdir = dir;
	if (t->sum_exit >= 0)
		snprintf(t->status, sizeof(t->status), "done, exit %d", t->sum_exit);
	else
		snprintf(t->status, sizeof(t->status), "not finished (no summary.json)");
	logdir_span(t);
	t->slack = NS_PER_MS;
	t->total = t->ntasks;
	t->cap = cap;
}

/* ---------------------------------------------------------------- output */

/* Times made drawable: clock steps and odd files give negative ones. */
static void clamp_times(struct ps_tl *t)
{
	for (size_t i = 0; i < t->nbars; i++) {
		if (t->bars[i].t0 < 0)
			t->bars[i].t0 = 0;
		if (t->bars[i].t1 < t->bars[i].t0)
			t->bars[i].t1 = t->bars[i].t0;
	}
	if (t->span_ns < 0)
		t->span_ns = 0;
}

/* The document on standard output or, with -o FILE, written beside FILE
 * and renamed over it: whole or not at all. */
static void write_svg(const struct ps_opts *o, const struct ps_tl *t)
{
	char *tmp = NULL;
	int err;

	if (!o->out_dir) {
		ps_tl_svg(stdout, t);
		ps_target_flush();
		return;
	}
	if (asprintf(&tmp, "%s.tmp.%ld", o->out_dir, (long)getpid()) < 0)
		ps_tl_out_of_memory();
	err = logdir_replace(AT_FDCWD, o->out_dir, tmp, 0666, 0, ps_tl_svg, t);
	if (err)
		os_die_err(PS_EXIT_NO_RUN, err, "-o %s", o->out_dir);
	free(tmp);
}

int ps_cmd_timeline(const struct ps_opts *o)
{
	struct ps_tl t;
	struct os_run r;
	char *buf = NULL;

	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	if (o->name) {
		uid_t uid = ps_target_owner(o, o->name);

		ps_target_snapshot(uid, o->name, OS_LOAD_TASKS, &r);
		ps_target_check_ids(&r, &o->view);
		from_table(&t, &r, &o->view);
		table_history(&t, &r, &buf);
	} else {
		from_logdir(&t, o->logdir, o->jobs, &buf);
	}
	clamp_times(&t);
	ps_tl_layout(&t);
	write_svg(o, &t);
	free(t.bars);
	free(buf);
	if (o->name)
		os_run_free(&r);
	return PS_EXIT_OK;
}
