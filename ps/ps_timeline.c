/*
 * ps_timeline.c: oneshot-ps --timeline, a run as a picture: one standalone
 * SVG document with a bar per task from its start to its end, coloured by
 * how it ended (or that it still runs), over a time axis, under a title
 * with the run's name, state and times, and a legend with the counts.
 *
 * Rows are lanes of concurrency, not tasks.  Each task goes, in the order
 * the tasks started, on the lowest-numbered lane free at its start, so
 * there are as many lanes as tasks ever ran at once (the run's -j at
 * most).  A batch of thousands of tasks then reads as a few rows that show
 * how busy the run kept its slots, where the failures and the stragglers
 * are, instead of a staircase of thousands of rows with a sliver each.
 * The table does not say which cap token a task held: the lanes are worked
 * out from the times alone, from every task (a --state or id filter hides
 * bars, it does not move them).
 *
 * Bounded whatever the number of tasks: up to TL_BARS_MAX tasks shown,
 * one bar each (its tooltip holds the command, cut to TL_CMD_MAX
 * characters; its id is written in it where it fits); beyond, a grid of
 * at most TL_GRID_ROWS rows (lanes grouped) by TL_GRID_COLS columns, each
 * cell coloured by the worst end among the tasks in it, a run of equal
 * cells one rectangle.  Either way the document stays within a few MB.
 *
 * The run comes from its table (-n NAME: each task's last attempt), or,
 * for a run whose table is gone, from LOGDIR/joblog (each task's last
 * line) and LOGDIR/summary.json when there is one.  Every text from them
 * is XML-escaped; what XML cannot hold or would move text is '?'.
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
#include "fmt/cause.h"
#include "fmt/fmt.h"
#include "shm/state.h"
#include "shm/util.h"

#define TL_LEFT 60.0        /* px left of the plot: lane numbers */
#define TL_PLOT_W 1000.0    /* px of the time axis */
#define TL_RIGHT 28.0
#define TL_TOP 92.0         /* title, two lines, legend */
#define TL_BOTTOM 46.0      /* the axis' labels and caption */
#define TL_ROW_H 18.0       /* a lane's height, at most */
#define TL_PLOT_H_MAX 1800.0/* lanes get thinner to fit, down to 1 px */
#define TL_BARS_MAX 5000u   /* more tasks shown: the grid */
#define TL_GRID_ROWS 200u
#define TL_GRID_COLS 400u
#define TL_CMD_MAX 120u     /* characters of a command in a tooltip */
#define TL_TICKS_MAX 10
#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S INT64_C(1000000000)

/* How a bar is coloured.  The order is the grid's: a cell shows the
 * highest class among the tasks in it. */
enum tl_class {
	TL_NONE,
	TL_COMPLETED,
	TL_RUNNING,
	TL_IDLE,
	TL_INTERRUPTED,
	TL_FAILED,
	TL_CLASSES
};

static const char *const class_names[TL_CLASSES] = {
	"", "completed", "running", "idle", "interrupted", "failed",
};
static const char *const class_words[TL_CLASSES] = {
	"", "COMPLETED", "RUNNING", "IDLE", "INTERRUPTED", "FAILED",
};
static const enum tl_class legend_order[] = {
	TL_COMPLETED, TL_FAILED, TL_INTERRUPTED, TL_RUNNING, TL_IDLE,
};

/* One task's bar; times in ns from the picture's origin. */
struct tl_bar {
	int64_t t0, t1;
	const char *cmd;
	uint32_t cmd_len, id, lane, attempt, state, reason;
	int32_t exit_code, term_signal;
	uint8_t cls, shown;
	uint8_t open;    /* still going at the picture's end */
	uint8_t waiting; /* IDLE and waiting for input (IDLE? in the table) */
};

struct tl {
	char name[OS_NAME_MAX * 4 + 1]; /* the run's name (or LOGDIR's last part) */
	const char *logdir;             /* from LOGDIR/joblog; NULL: the table */
	char status[64];                /* "alive", "done, exit 1", ... */
	int64_t start_real_ns;          /* CLOCK_REALTIME of the origin */
	int64_t span_ns;                /* origin to the picture's end */
	int live;                       /* the end is now: the run goes on */
	int dead;                       /* the end is the last moment seen */
	uint32_t cap, total, ntasks;    /* -j (0: not known), the run's tasks */
	int queue;
	uint32_t not_started, busy;     /* tasks shown without a bar */
	uint32_t counts[TL_CLASSES];    /* bars shown, by class */
	uint32_t shown, lanes;
	int64_t slack;                  /* a lane is free this long before its end */
	struct tl_bar *bars;
	size_t nbars;
	/* LOGDIR/summary.json, when read */
	int64_t sum_start, sum_end;
	int sum_exit;                   /* -1: no summary */
};

static noreturn void out_of_memory(void)
{
	os_die(PS_EXIT_NO_RUN, "out of memory");
}

static int digits(uint64_t v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* A + B for B >= 0, INT64_MAX when it would not fit. */
static int64_t add_sat(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static enum tl_class state_class(uint32_t st)
{
	switch (st) {
	case OS_COMPLETED:
		return TL_COMPLETED;
	case OS_FAILED:
		return TL_FAILED;
	case OS_INTERRUPTED:
		return TL_INTERRUPTED;
	case OS_IDLE:
		return TL_IDLE;
	case OS_RUNNING:
		return TL_RUNNING;
	default:
		return TL_NONE;
	}
}

/* ---------------------------------------------------------- from a table */

/* "alive", "done, exit 1", "dead: supervisor killed", ... */
static void run_status(char *buf, size_t len, const struct os_run *r)
{
	if (r->run_state == OS_RUN_DONE)
		snprintf(buf, len, "done, exit %d", (int)r->exit_status);
	else if (!r->alive)
		snprintf(buf, len, "dead: supervisor killed before the end");
	else if (r->run_state == OS_RUN_STOPPING)
		snprintf(buf, len, "alive, stopping");
	else if (r->queue)
		snprintf(buf, len, "alive, queue %s", r->queue_open ? "open" : "closed");
	else
		snprintf(buf, len, "alive");
}

/*
 * The picture's end on the monotonic clock: the run's end, now while it is
 * alive, or, for a run whose supervisor was killed, the last moment a task
 * was seen doing anything (its unfinished tasks end there).
 */
static int64_t run_end(struct tl *t, const struct os_run *r)
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

static void from_table(struct tl *t, const struct os_run *r, const struct ps_view *v)
{
	int64_t origin = r->start_mono_ns, end = run_end(t, r);

	snprintf(t->name, sizeof(t->name), "%s", r->name);
	run_status(t->status, sizeof(t->status), r);
	t->start_real_ns = r->start_real_ns;
	t->span_ns = end - origin;
	t->cap = r->cap;
	t->total = r->total;
	t->ntasks = r->ntasks;
	t->queue = r->queue;
	t->bars = calloc(r->ntasks ? r->ntasks : 1, sizeof(*t->bars));
	if (!t->bars)
		out_of_memory();
	for (uint32_t i = 0; i < r->ntasks; i++) {
		const struct os_task *k = &r->tasks[i];
		struct tl_bar *b = &t->bars[t->nbars];
		int shown = ps_task_shown(v, k), term = os_state_is_terminal(k->v.state);

		if (k->busy) { /* a writer held it: only id and state known */
			t->busy += (uint32_t)shown;
			continue;
		}
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
		} else { /* not started (or waiting for its next attempt) */
			t->not_started += (uint32_t)shown;
			continue;
		}
		b->cls = (uint8_t)state_class(k->v.state);
		if (b->cls == TL_NONE) {
			t->not_started += (uint32_t)shown;
			continue;
		}
		b->id = k->v.id;
		b->state = k->v.state;
		b->reason = k->v.reason;
		b->attempt = k->v.attempt;
		b->exit_code = k->v.exit_code;
		b->term_signal = k->v.term_signal;
		b->cmd = r->strings + k->cmd_pos;
		b->cmd_len = k->cmd_len;
		b->shown = (uint8_t)shown;
		b->waiting = (uint8_t)ps_task_waiting(k);
		t->nbars++;
	}
}

/* ------------------------------------------------------- from a log dir */

/* One member of summary.json's top object: the run's name, times and
 * exit status are kept, the rest skipped. */
static int summary_member(struct logdir_json *c, struct tl *t)
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
static void read_summary(int dfd, struct tl *t)
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

static int cmp_id_line(const void *a, const void *b)
{
	const struct tl_bar *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->lane < y->lane ? -1 : x->lane > y->lane; /* the line's index */
}

/* Every whole line of JOBLOG (LEN bytes, header first) as a bar, then the
 * last line of each task kept; times are still CLOCK_REALTIME. */
static void joblog_bars(struct tl *t, const char *dir, char *buf, size_t len)
{
	char *nl = memchr(buf, '\n', len);
	int layout = nl ? joblog_header_layout(buf, (size_t)(nl - buf)) : 0;
	size_t room = 0, pos, keep = 0;
	uint32_t bad = 0, lines = 0;

	if (!layout)
		os_die(PS_EXIT_NO_RUN, "%s/joblog: not a job log (no header line)", dir);
	for (pos = (size_t)(nl - buf) + 1; pos < len;) {
		char *line = buf + pos, *end = memchr(line, '\n', len - pos);
		struct joblog_line l;
		struct tl_bar *b;
		const char *why;

		if (!end)
			break; /* a line being written */
		pos = (size_t)(end - buf) + 1;
		if (joblog_line_parse(line, (size_t)(end - line), layout, &l, &why)) {
			bad++;
			continue;
		}
		if (t->nbars == room) {
			struct tl_bar *more;

			room = room ? room * 2 : 1024;
			more = realloc(t->bars, room * sizeof(*more));
			if (!more)
				out_of_memory();
			t->bars = more;
		}
		b = &t->bars[t->nbars++];
		memset(b, 0, sizeof(*b));
		b->t0 = l.start_ns;
		b->t1 = add_sat(l.start_ns, l.runtime_ns);
		b->id = l.seq;
		b->lane = lines++;
		b->state = l.state;
		b->reason = l.reason;
		b->attempt = l.attempt;
		b->exit_code = l.exit_code;
		b->term_signal = l.term_signal;
		b->cls = (uint8_t)state_class(l.state);
		b->cmd = l.cmd;
		b->cmd_len = (uint32_t)l.cmd_len;
		b->shown = 1;
	}
	if (bad)
		os_warn("%s/joblog: %u line%s not understood, left out", dir, bad,
			bad == 1 ? "" : "s");
	if (t->nbars)
		qsort(t->bars, t->nbars, sizeof(*t->bars), cmp_id_line);
	for (size_t i = 0; i < t->nbars; i++)
		if (i + 1 == t->nbars || t->bars[i + 1].id != t->bars[i].id)
			t->bars[keep++] = t->bars[i];
	t->nbars = keep;
}

/* DIR/joblog into T; *BUF keeps the file (the bars' commands are in it). */
static void from_logdir(struct tl *t, const char *dir, char **buf)
{
	const char *base = dir + strlen(dir);
	int64_t first = INT64_MAX, last = INT64_MIN;
	size_t len, blen = 0;
	int dfd, err;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		os_die_err(PS_EXIT_NO_RUN, -errno, "%s", dir);
	err = logdir_file_read(dfd, "joblog", 0, buf, &len);
	if (err == -ENOENT)
		os_die(PS_EXIT_NO_RUN, "%s: no joblog (not a run's log directory)", dir);
	if (err)
		os_die(PS_EXIT_NO_RUN, "%s/joblog: %s", dir, logdir_file_error(err));
	/* The name: summary.json's, else the directory's last part (the
	 * default log directory ends with the run's name). */
	while (base > dir && base[-1] == '/')
		base--;
	for (; base > dir && base[-1] != '/'; base--)
		blen++;
	if (blen)
		snprintf(t->name, sizeof(t->name), "%.*s", (int)blen, base);
	else
		snprintf(t->name, sizeof(t->name), "%s", dir); /* "/" */
	read_summary(dfd, t);
	close(dfd);
	joblog_bars(t, dir, *buf, len);
	t->logdir = dir;
	if (t->sum_exit >= 0)
		snprintf(t->status, sizeof(t->status), "done, exit %d", t->sum_exit);
	else
		snprintf(t->status, sizeof(t->status), "not finished (no summary.json)");
	/* The origin: the first start (a resumed run's job log holds the
	 * runs before it too), the end: the last end. */
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
	t->slack = NS_PER_MS;
	t->ntasks = t->total = (uint32_t)t->nbars;
}

/* ---------------------------------------------------------------- lanes */

struct hent {
	int64_t key;
	uint32_t lane;
};

struct heap {
	struct hent *e;
	size_t n;
};

static int hless(const struct hent *a, const struct hent *b)
{
	return a->key < b->key || (a->key == b->key && a->lane < b->lane);
}

static void hpush(struct heap *h, struct hent x)
{
	size_t i = h->n++;

	while (i && hless(&x, &h->e[(i - 1) / 2])) {
		h->e[i] = h->e[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->e[i] = x;
}

static struct hent hpop(struct heap *h)
{
	struct hent top = h->e[0], x = h->e[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && hless(&h->e[c + 1], &h->e[c]))
			c++;
		if (!hless(&h->e[c], &x))
			break;
		h->e[i] = h->e[c];
		i = c;
	}
	if (h->n)
		h->e[i] = x;
	return top;
}

struct order {
	int64_t t0;
	uint32_t id, i;
};

static int cmp_order(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->t0 != y->t0)
		return x->t0 < y->t0 ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Each bar, in the order of the starts, on the lowest-numbered lane free at
 * its start (a lane is free again at the end of its bar, or T->slack
 * before: the job log's times are rounded to the millisecond): as many
 * lanes as bars ever overlapped, O(n log n).
 */
static void assign_lanes(struct tl *t)
{
	size_t n = t->nbars;
	struct order *o = malloc((n ? n : 1) * sizeof(*o));
	struct heap busy = { malloc((n ? n : 1) * sizeof(struct hent)), 0 };
	struct heap idle = { malloc((n ? n : 1) * sizeof(struct hent)), 0 };

	if (!o || !busy.e || !idle.e)
		out_of_memory();
	for (size_t i = 0; i < n; i++)
		o[i] = (struct order){ t->bars[i].t0, t->bars[i].id, (uint32_t)i };
	qsort(o, n, sizeof(*o), cmp_order);
	t->lanes = 0;
	for (size_t j = 0; j < n; j++) {
		struct tl_bar *b = &t->bars[o[j].i];
		uint32_t lane;

		while (busy.n && busy.e[0].key - t->slack <= b->t0) {
			struct hent done = hpop(&busy);

			hpush(&idle, (struct hent){ done.lane, done.lane });
		}
		lane = idle.n ? hpop(&idle).lane : t->lanes++;
		b->lane = lane;
		hpush(&busy, (struct hent){ b->t1, lane });
	}
	free(o);
	free(busy.e);
	free(idle.e);
}

/* -------------------------------------------------------------- drawing */

struct geo {
	uint32_t rows, group;   /* group: lanes per row (the grid's) */
	int grid;
	double row_h, pad, plot_h, width, height;
	double scale;           /* px per ns */
};

static void geometry(const struct tl *t, struct geo *g)
{
	memset(g, 0, sizeof(*g));
	g->grid = t->shown > TL_BARS_MAX;
	g->group = 1;
	if (g->grid && t->lanes > TL_GRID_ROWS)
		g->group = (t->lanes + TL_GRID_ROWS - 1) / TL_GRID_ROWS;
	g->rows = (t->lanes + g->group - 1) / g->group;
	g->row_h = TL_ROW_H;
	if (g->rows && g->rows * TL_ROW_H > TL_PLOT_H_MAX)
		g->row_h = TL_PLOT_H_MAX / g->rows < 1 ? 1 : TL_PLOT_H_MAX / g->rows;
	g->pad = g->row_h >= 6 ? 1.5 : 0; /* a gap between lanes, when they are tall */
	g->plot_h = g->rows ? g->rows * g->row_h : TL_ROW_H;
	g->width = TL_LEFT + TL_PLOT_W + TL_RIGHT;
	g->height = TL_TOP + g->plot_h + TL_BOTTOM;
	g->scale = TL_PLOT_W / (double)t->span_ns;
}

/* Line and paragraph separators, bidi controls: they move or hide text. */
static int layout_control(uint32_t cp)
{
	return cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f;
}

/*
 * LEN bytes of S as XML character data, fit for an attribute in double
 * quotes too, cut to MAX characters (0: all) with an ellipsis: the markup
 * characters as entities; control characters, bytes that are not
 * well-formed UTF-8, non-characters XML refuses (U+FFFE, U+FFFF) and
 * characters that move text as '?', one per character (or byte).
 */
static void xml_text(FILE *f, const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, chars = 0;

	while (i < len) {
		uint32_t cp = 0;
		size_t n = fmt_utf8_next(p + i, len - i, &cp);

		if (max && chars++ == max) {
			fputs("\xe2\x80\xa6", f); /* U+2026 */
			return;
		}
		if (n == 0) {
			putc('?', f);
			i++;
			continue;
		}
		if (cp == '<')
			fputs("&lt;", f);
		else if (cp == '>')
			fputs("&gt;", f);
		else if (cp == '&')
			fputs("&amp;", f);
		else if (cp == '"')
			fputs("&quot;", f);
		else if (cp == '\'')
			fputs("&#39;", f);
		else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0xfffe ||
			 cp == 0xffff || layout_control(cp))
			putc('?', f);
		else
			fwrite(p + i, 1, n, f);
		i += n;
	}
}

static void xml_cstr(FILE *f, const char *s)
{
	xml_text(f, s, strlen(s), 0);
}

/* A tick's label: "0", "0.25s", "45s", "1m30s", "2h", "1d12h". */
static void tick_label(char *buf, size_t len, int64_t ns)
{
	static const struct { int64_t secs; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	int64_t secs = ns / NS_PER_S;
	size_t n = 0;

	if (ns == 0) {
		snprintf(buf, len, "0");
		return;
	}
	if (ns % NS_PER_S) {
		char frac[16];
		size_t end;

		snprintf(frac, sizeof(frac), "%03lld", (long long)(ns % NS_PER_S / NS_PER_MS));
		for (end = strlen(frac); end > 1 && frac[end - 1] == '0'; end--)
			;
		snprintf(buf, len, "%lld.%.*ss", (long long)secs, (int)end, frac);
		return;
	}
	buf[0] = '\0';
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]) && n < len; u++) {
		int64_t q = secs / units[u].secs;

		if (!q)
			continue;
		secs -= q * units[u].secs;
		n += (size_t)snprintf(buf + n, len - n, "%lld%c", (long long)q, units[u].unit);
	}
}

/* The step between ticks: the first of 1, 2, 5 ms ... 1, 2, 7 days that
 * gives at most TL_TICKS_MAX intervals, else a number of weeks. */
static int64_t tick_step(int64_t span)
{
	static const int64_t ms[] = {
		1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000,
		60000, 120000, 300000, 600000, 900000, 1800000, 3600000, 7200000, 10800000,
		21600000, 43200000, 86400000, 172800000, 604800000,
	};
	int64_t week = ms[sizeof(ms) / sizeof(ms[0]) - 1] * NS_PER_MS;

	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
		if (span / (ms[i] * NS_PER_MS) <= TL_TICKS_MAX)
			return ms[i] * NS_PER_MS;
	return week * ((span / week + TL_TICKS_MAX - 1) / TL_TICKS_MAX);
}

static const char style[] =
	"<style>\n"
	".completed{fill:#4c78a8}.failed{fill:#e45756}.interrupted{fill:#b279a2}"
	".running{fill:#54a24b}.idle{fill:#eeca3b}\n"
	".title{font-size:16px;font-weight:bold;fill:#222}.sub{fill:#555}.key{fill:#333}\n"
	".stripe{fill:#f2f2f2}.grid{stroke:#d8d8d8;stroke-width:1}"
	".axis{stroke:#444;stroke-width:1;fill:none}\n"
	".tick{fill:#444;text-anchor:middle;font-size:11px}"
	".lane{fill:#777;text-anchor:end;font-size:10px}"
	".caption{fill:#777;font-size:11px}\n"
	".id{fill:#fff;font-size:10px;text-anchor:middle;pointer-events:none}.id.idle{fill:#333}\n"
	".now{stroke:#54a24b;stroke-width:1.5;stroke-dasharray:4 3}"
	".nowlabel{fill:#3a7a34;font-size:11px;text-anchor:middle}\n"
	"</style>\n";

/* "2026-12-06T14:00:00.123Z", or "?" for a time not known. */
static void put_time(FILE *f, int64_t real_ns)
{
	char buf[FMT_TIME_MAX];

	if (real_ns <= 0)
		fputs("?", f);
	else
		fwrite(buf, 1, fmt_iso8601(buf, real_ns), f);
}

static void header(FILE *f, const struct tl *t, const struct geo *g)
{
	char elapsed[FMT_DURATION_MAX * 2];
	double x = TL_LEFT;

	fmt_elapsed(elapsed, sizeof(elapsed), t->span_ns, 1);
	fputs("<text class=\"title\" x=\"12\" y=\"24\">oneshot run ", f);
	xml_cstr(f, t->name);
	fputs(": ", f);
	xml_cstr(f, t->status);
	fputs("</text>\n<text class=\"sub\" x=\"12\" y=\"44\">started ", f);
	put_time(f, t->start_real_ns);
	fputs(t->live ? ", now " : t->dead ? ", last seen " : ", ended ", f);
	put_time(f, t->start_real_ns ? add_sat(t->start_real_ns, t->span_ns) : 0);
	fprintf(f, " (%s%s)</text>\n<text class=\"sub\" x=\"12\" y=\"62\">", elapsed,
		t->live ? " so far" : "");
	if (t->logdir) {
		fprintf(f, "%u task%s in ", t->ntasks, t->ntasks == 1 ? "" : "s");
		xml_cstr(f, t->logdir);
		fputs("/joblog (each its last attempt)", f);
	} else {
		fprintf(f, "%u task%s, -j %u", t->total, t->total == 1 ? "" : "s", t->cap);
		if (t->queue)
			fputs(" (a queue: the tasks its table holds)", f);
	}
	fprintf(f, "; %u lane%s (tasks at once)", t->lanes, t->lanes == 1 ? "" : "s");
	if (g->grid)
		fprintf(f, "; %u tasks drawn as a grid of %u \xc3\x97 %u cells, each the worst end "
			"in it", t->shown, g->rows, TL_GRID_COLS);
	fputs("</text>\n<g class=\"legend\">\n", f);
	for (size_t i = 0; i < sizeof(legend_order) / sizeof(legend_order[0]); i++) {
		enum tl_class c = legend_order[i];

		fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"71\" width=\"11\" height=\"11\"/>"
			"<text class=\"key\" x=\"%.1f\" y=\"81\">%s %u</text>\n", class_names[c], x,
			x + 15, class_words[c], t->counts[c]);
		x += 150;
	}
	if (t->not_started || t->busy) {
		fprintf(f, "<text class=\"key\" x=\"%.1f\" y=\"81\">", x);
		if (t->not_started)
			fprintf(f, "not started %u", t->not_started);
		if (t->busy)
			fprintf(f, "%sbeing written %u", t->not_started ? ", " : "", t->busy);
		fputs("</text>\n", f);
	}
	fputs("</g>\n", f);
}

/* Lane stripes and numbers, the ticks' grid lines. */
static void background(FILE *f, const struct tl *t, const struct geo *g)
{
	uint32_t every = g->row_h >= 11 ? 1 : (uint32_t)(12 / g->row_h) + 1;
	int64_t step = tick_step(t->span_ns);

	fprintf(f, "<g class=\"lanes\">\n<text class=\"lane\" x=\"%.1f\" y=\"%.1f\">lane</text>\n",
		TL_LEFT - 6, TL_TOP - 4);
	for (uint32_t row = 0; g->rows <= TL_GRID_ROWS && row < g->rows; row += 2)
		fprintf(f, "<rect class=\"stripe\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\"/>\n", TL_LEFT, TL_TOP + row * g->row_h, TL_PLOT_W, g->row_h);
	for (uint32_t row = 0; row < g->rows; row += every)
		fprintf(f, "<text class=\"lane\" x=\"%.1f\" y=\"%.1f\">%u</text>\n", TL_LEFT - 6,
			TL_TOP + row * g->row_h + (g->row_h < 11 ? 4 : g->row_h / 2 + 4),
			row * g->group + 1);
	if (!g->rows)
		fprintf(f, "<text class=\"caption\" x=\"%.1f\" y=\"%.1f\">no task has started"
			"</text>\n", TL_LEFT + 8, TL_TOP + 13);
	fputs("</g>\n<g class=\"grid\">\n", f);
	for (int64_t at = 0; at <= t->span_ns; at += step) {
		double x = TL_LEFT + (double)at * g->scale;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, TL_TOP, x,
			TL_TOP + g->plot_h);
		if (at > INT64_MAX - step)
			break;
	}
	fputs("</g>\n", f);
}

/* The axis under the plot: a line, a tick and a label per step, a
 * caption; for a run that goes on, "now" at the right end. */
static void axis(FILE *f, const struct tl *t, const struct geo *g)
{
	double y = TL_TOP + g->plot_h;
	int64_t step = tick_step(t->span_ns);
	char label[64];

	fprintf(f, "<g class=\"axis\">\n<path d=\"M%.1f %.1fH%.1f\"/>\n", TL_LEFT, y,
		TL_LEFT + TL_PLOT_W);
	for (int64_t at = 0; at <= t->span_ns; at += step) {
		double x = TL_LEFT + (double)at * g->scale;

		tick_label(label, sizeof(label), at);
		fprintf(f, "<path d=\"M%.1f %.1fv5\"/><text class=\"tick\" x=\"%.1f\" y=\"%.1f\">"
			"%s</text>\n", x, y, x, y + 17, label);
		if (at > INT64_MAX - step)
			break;
	}
	fprintf(f, "<text class=\"caption\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">time since "
		"the start</text>\n", TL_LEFT + TL_PLOT_W, y + 36);
	if (t->live)
		fprintf(f, "<path class=\"now\" d=\"M%.1f %.1fV%.1f\"/><text class=\"nowlabel\" "
			"x=\"%.1f\" y=\"%.1f\">now</text>\n", TL_LEFT + TL_PLOT_W, TL_TOP - 2, y,
			TL_LEFT + TL_PLOT_W, TL_TOP - 5);
	fputs("</g>\n", f);
}

/* A bar's tooltip: how the task ended, when it started and for how long,
 * its lane, then its command. */
static void tooltip(FILE *f, const struct tl_bar *b)
{
	char why[160] = "", start[FMT_DURATION_MAX * 2], ran[FMT_DURATION_MAX * 2];

	if (b->state == OS_FAILED || b->state == OS_INTERRUPTED ||
	    (b->state == OS_COMPLETED && b->attempt > 1)) {
		struct os_slot_view v = { .state = b->state, .reason = b->reason,
					  .attempt = b->attempt, .exit_code = b->exit_code,
					  .term_signal = b->term_signal };

		if (b->state == OS_COMPLETED)
			snprintf(why, sizeof(why), "attempt %u", b->attempt);
		else
			fmt_cause(why, sizeof(why), &v, 0);
	}
	fmt_elapsed(start, sizeof(start), b->t0, 1);
	fmt_elapsed(ran, sizeof(ran), b->t1 - b->t0, 1);
	fprintf(f, "task %u: %s", b->id, os_state_name(b->state));
	if (b->waiting)
		fputs(" (waiting for input)", f);
	if (why[0]) {
		fputs(" (", f);
		xml_cstr(f, why);
		putc(')', f);
	}
	fprintf(f, ", started at +%s, ran %s%s, lane %u\n", start, ran, b->open ? " so far" : "",
		b->lane + 1);
	xml_text(f, b->cmd, b->cmd_len, TL_CMD_MAX);
}

/* One rect per bar shown, with its tooltip and, where it fits, its id. */
static void bars(FILE *f, const struct tl *t, const struct geo *g)
{
	double h = g->row_h - 2 * g->pad;

	fputs("<g class=\"bars\">\n", f);
	for (size_t i = 0; i < t->nbars; i++) {
		const struct tl_bar *b = &t->bars[i];
		const char *cls = class_names[b->cls];
		double x = TL_LEFT + (double)b->t0 * g->scale;
		double w = (double)(b->t1 - b->t0) * g->scale;
		double y = TL_TOP + b->lane * g->row_h + g->pad;

		if (!b->shown)
			continue;
		if (w > 3)
			w -= 1; /* a gap before the next bar of the lane */
		else if (w < 1)
			w = 1;
		fprintf(f, "<rect id=\"task-%u\" class=\"bar %s\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.1f\"><title>", b->id, cls, x, y, w, h);
		tooltip(f, b);
		fputs("</title></rect>\n", f);
		if (h >= 11 && w >= 6.5 * digits(b->id) + 6)
			fprintf(f, "<text class=\"id %s\" x=\"%.1f\" y=\"%.1f\">%u</text>\n", cls,
				x + w / 2, y + h / 2 + 3.5, b->id);
	}
	fputs("</g>\n", f);
}

/* More than TL_BARS_MAX tasks: each cell of rows (lanes grouped) by
 * TL_GRID_COLS the highest class of the tasks in it, a run of equal cells
 * one rect. */
static void grid(FILE *f, const struct tl *t, const struct geo *g)
{
	uint8_t *cells = calloc((size_t)g->rows * TL_GRID_COLS, 1);
	double per = (double)TL_GRID_COLS / (double)t->span_ns, cw = TL_PLOT_W / TL_GRID_COLS;

	if (!cells)
		out_of_memory();
	for (size_t i = 0; i < t->nbars; i++) {
		const struct tl_bar *b = &t->bars[i];
		uint8_t *row = cells + (size_t)(b->lane / g->group) * TL_GRID_COLS;
		double c0 = (double)b->t0 * per, c1 = (double)b->t1 * per;
		size_t from = c0 < TL_GRID_COLS ? (size_t)c0 : TL_GRID_COLS - 1;
		size_t to = c1 < TL_GRID_COLS ? (size_t)c1 : TL_GRID_COLS - 1;

		if (!b->shown)
			continue;
		if (to > from && (double)to == c1) /* ends on a cell's edge */
			to--;
		for (size_t c = from; c <= to; c++)
			if (row[c] < b->cls)
				row[c] = b->cls;
	}
	fputs("<g class=\"cells\">\n", f);
	for (uint32_t r = 0; r < g->rows; r++) {
		const uint8_t *row = cells + (size_t)r * TL_GRID_COLS;

		for (size_t c = 0, run; c < TL_GRID_COLS; c += run) {
			for (run = 1; c + run < TL_GRID_COLS && row[c + run] == row[c]; run++)
				;
			if (row[c] == TL_NONE)
				continue;
			fprintf(f, "<rect class=\"cell %s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				"height=\"%.1f\"/>\n", class_names[row[c]], TL_LEFT + (double)c * cw,
				TL_TOP + r * g->row_h + g->pad, (double)run * cw,
				g->row_h - 2 * g->pad);
		}
	}
	fputs("</g>\n", f);
	free(cells);
}

/* The whole document on F (stream errors are the caller's to check). */
static void svg(FILE *f, const void *arg)
{
	const struct tl *t = arg;
	struct geo g;

	geometry(t, &g);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, "
		"sans-serif\" font-size=\"12\">\n<title>oneshot run ", g.width, g.height, g.width,
		g.height);
	xml_cstr(f, t->name);
	fputs("</title>\n", f);
	fputs(style, f);
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n", f);
	header(f, t, &g);
	background(f, t, &g);
	if (g.grid)
		grid(f, t, &g);
	else
		bars(f, t, &g);
	axis(f, t, &g);
	fputs("</svg>\n", f);
}

/* The counts of the legend, the span made drawable. */
static void finish(struct tl *t)
{
	for (size_t i = 0; i < t->nbars; i++) {
		const struct tl_bar *b = &t->bars[i];

		if (b->t1 > t->span_ns)
			t->span_ns = b->t1;
		if (!b->shown)
			continue;
		t->counts[b->cls]++;
		t->shown++;
	}
	if (t->span_ns < NS_PER_MS)
		t->span_ns = NS_PER_MS;
}

int ps_cmd_timeline(const struct ps_opts *o)
{
	struct tl t;
	struct os_run r;
	char *buf = NULL, *tmp = NULL;
	int err;

	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	if (o->name) {
		uid_t uid = ps_target_owner(o, o->name);

		ps_target_snapshot(uid, o->name, OS_LOAD_TASKS, &r);
		ps_target_check_ids(&r, &o->view);
		from_table(&t, &r, &o->view);
	} else {
		from_logdir(&t, o->dirs[0], &buf);
	}
	for (size_t i = 0; i < t.nbars; i++) { /* clock steps, odd files */
		if (t.bars[i].t0 < 0)
			t.bars[i].t0 = 0;
		if (t.bars[i].t1 < t.bars[i].t0)
			t.bars[i].t1 = t.bars[i].t0;
	}
	if (t.span_ns < 0)
		t.span_ns = 0;
	assign_lanes(&t);
	finish(&t);
	if (o->out_dir) {
		/* Written beside it and renamed over it: whole or not at all. */
		if (asprintf(&tmp, "%s.tmp.%ld", o->out_dir, (long)getpid()) < 0)
			out_of_memory();
		err = logdir_replace(AT_FDCWD, o->out_dir, tmp, 0666, 0, svg, &t);
		if (err)
			os_die_err(PS_EXIT_NO_RUN, err, "-o %s", o->out_dir);
		free(tmp);
	} else {
		svg(stdout, &t);
		ps_target_flush();
	}
	free(t.bars);
	free(buf);
	if (o->name)
		os_run_free(&r);
	return PS_EXIT_OK;
}
