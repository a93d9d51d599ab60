/*
 * ps_timeline_draw.c: --timeline's SVG document, from the bars laid out
 * by ps_timeline_calc.c: a title, a legend, the load chart (tasks at once
 * against -j), the lanes with a bar per attempt (or, past TL_BARS_MAX
 * bars, a grid), labels on the slowest bars, a time axis.
 *
 * Bounded whatever the number of tasks: up to TL_BARS_MAX bars shown, one
 * rect each (its tooltip holds the command, cut to TL_CMD_MAX characters;
 * its id is written in it where it fits); beyond, a grid of at most
 * TL_GRID_ROWS rows (lanes grouped) by TL_GRID_COLS columns, each cell
 * coloured by the worst end among the bars in it, a run of equal cells one
 * rectangle.  The load chart has a column per px.  Either way the document
 * stays within a few MB.  Every text from the table or the job log goes
 * through ps_tl_xml_text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps/ps.h"
#include "fmt/cause.h"
#include "fmt/fmt.h"
#include "shm/state.h"

#define TL_LEFT 60.0        /* px left of the plot: lane numbers */
#define TL_PLOT_W 1000.0    /* px of the time axis: a load column each */
#define TL_RIGHT 28.0
#define TL_CHART_TOP 112.0  /* the load chart, under title and legend */
#define TL_CHART_H 44.0
#define TL_TOP 178.0        /* the lanes, under the load chart */
#define TL_BOTTOM 46.0      /* the axis' labels and caption */
#define TL_ROW_H 18.0       /* a lane's height, at most */
#define TL_PLOT_H_MAX 1800.0/* lanes get thinner to fit, down to 1 px */
#define TL_BARS_MAX 5000u   /* more bars shown: the grid */
#define TL_GRID_ROWS 200u
#define TL_GRID_COLS 400u
#define TL_CMD_MAX 120u     /* characters of a command in a tooltip */
#define TL_PROMPT_MAX 80u   /* characters of a prompt in a tooltip */
#define TL_CHAR_W 6.5       /* px of a character of a 10 px label, about */
#define RETRY_MARK "\xe2\x86\xbb" /* U+21BB, before an attempt's number */

static const char *const class_names[PS_TL_CLASSES] = {
	"", "completed", "running", "idle", "waiting", "interrupted", "failed",
};
static const char *const class_words[PS_TL_CLASSES] = {
	"", "COMPLETED", "RUNNING", "IDLE", "WAITING", "INTERRUPTED", "FAILED",
};
static const enum ps_tl_class legend_order[] = {
	PS_TL_COMPLETED, PS_TL_FAILED, PS_TL_INTERRUPTED, PS_TL_RUNNING, PS_TL_IDLE,
	PS_TL_WAITING,
};

struct geo {
	uint32_t rows, group;   /* group: lanes per row (the grid's) */
	int grid;
	double row_h, pad, plot_h, width, height;
	double scale;           /* px per ns */
};

/* Where a bar is drawn. */
struct box {
	double x, y, w, h;
};

static void geometry(const struct ps_tl *t, struct geo *g)
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

/* Bar B's rect: 1 px wide at least, a gap before the next bar of its lane
 * when it is wide; in the grid, on its group's row. */
static struct box bar_box(const struct ps_tl_bar *b, const struct geo *g)
{
	struct box x = {
		TL_LEFT + (double)b->t0 * g->scale, TL_TOP + (b->lane / g->group) * g->row_h + g->pad,
		(double)(b->t1 - b->t0) * g->scale, g->row_h - 2 * g->pad,
	};

	if (x.w > 3)
		x.w -= 1;
	else if (x.w < 1)
		x.w = 1;
	return x;
}

static const char style[] =
	"<style>\n"
	".completed{fill:#4c78a8}.failed{fill:#e45756}.interrupted{fill:#b279a2}"
	".running{fill:#54a24b}.idle{fill:#eeca3b}.waiting{fill:#f58518}\n"
	".retry{stroke:#222;stroke-width:1.2}.retrymark{fill:#222;pointer-events:none}\n"
	".title{font-size:16px;font-weight:bold;fill:#222}.sub{fill:#555}.key{fill:#333}\n"
	".stripe{fill:#f2f2f2}.grid{stroke:#d8d8d8;stroke-width:1}"
	".axis{stroke:#444;stroke-width:1;fill:none}\n"
	".tick{fill:#444;text-anchor:middle;font-size:11px}"
	".lane{fill:#777;text-anchor:end;font-size:10px}"
	".caption{fill:#777;font-size:11px}\n"
	".id{fill:#fff;font-size:10px;text-anchor:middle;pointer-events:none}"
	".id.idle,.id.waiting{fill:#222}\n"
	".area{fill:#c8d6e8;stroke:#4c78a8;stroke-width:1}"
	".capline{stroke:#e45756;stroke-width:1;stroke-dasharray:5 3;fill:none}\n"
	".slow{font-size:10px;font-weight:bold;fill:#222;paint-order:stroke;stroke:#fff;"
	"stroke-width:3px;stroke-linejoin:round;pointer-events:none}"
	".slow.in{fill:#fff;stroke:none}.slow.in.dark{fill:#222}.mark{fill:#222;stroke:#fff;stroke-width:1}\n"
	".now{stroke:#54a24b;stroke-width:1.5;stroke-dasharray:4 3}"
	".nowlabel{fill:#3a7a34;font-size:11px;text-anchor:middle}\n"
	"</style>\n";

/* The title's second line: the times, the slowest bars' labels. */
static void header_times(FILE *f, const struct ps_tl *t)
{
	char elapsed[FMT_DURATION_MAX * 2];
	int64_t end = t->start_real_ns > 0 ? t->start_real_ns : 0;

	fmt_elapsed(elapsed, sizeof(elapsed), t->span_ns, 1);
	fputs("<text class=\"sub\" x=\"12\" y=\"44\">started ", f);
	ps_tl_put_time(f, t->start_real_ns);
	fputs(t->live ? ", now " : t->dead ? ", last seen " : ", ended ", f);
	ps_tl_put_time(f, end > 0 && t->span_ns < INT64_MAX - end ? end + t->span_ns : 0);
	fprintf(f, " (%s%s)", elapsed, t->live ? " so far" : "");
	if (t->nslow == 1)
		fputs("; the slowest labelled (id: time)", f);
	else if (t->nslow)
		fprintf(f, "; the %zu slowest labelled (id: time)", t->nslow);
	fputs("</text>\n", f);
}

/* The third line: where the bars come from, the lanes. */
static void header_tasks(FILE *f, const struct ps_tl *t, const struct geo *g)
{
	fputs("<text class=\"sub\" x=\"12\" y=\"62\">", f);
	fprintf(f, "%u task%s", t->ntasks, t->ntasks == 1 ? "" : "s");
	if (t->logdir) {
		if (t->nbars != t->ntasks)
			fprintf(f, ", %zu attempts", t->nbars);
		if (t->cap)
			fprintf(f, ", -j %u", t->cap);
		fputs(" in ", f);
		ps_tl_xml_cstr(f, t->logdir);
		fputs("/joblog", f);
	} else {
		fprintf(f, " of %u, -j %u", t->total, t->cap);
		if (t->queue)
			fputs(" (a queue: the tasks its table holds)", f);
		if (t->history > 0)
			fputs("; earlier attempts from the job log", f);
		else if (t->history < 0)
			fputs("; earlier attempts not known (job log not readable)", f);
	}
	fprintf(f, "; %u lane%s (tasks at once)", t->lanes, t->lanes == 1 ? "" : "s");
	if (g->grid)
		fprintf(f, "; %u bars drawn as a grid of %u \xc3\x97 %u cells, each the worst end "
			"in it", t->shown, g->rows, TL_GRID_COLS);
	fputs("</text>\n", f);
}

/* A swatch and "WORD N" in the legend at *X, which moves past them. */
static void legend_entry(FILE *f, double *x, const char *cls, const char *word, uint32_t n)
{
	if (cls)
		fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"71\" width=\"11\" height=\"11\"/>", cls,
			*x);
	fprintf(f, "<text class=\"key\" x=\"%.1f\" y=\"81\">%s %u</text>\n", *x + 15, word, n);
	*x += 15 + (strlen(word) + (size_t)fmt_digits(n) + 1) * 7.5 + 16;
}

static void legend(FILE *f, const struct ps_tl *t)
{
	double x = TL_LEFT;

	fputs("<g class=\"legend\">\n", f);
	for (size_t i = 0; i < sizeof(legend_order) / sizeof(legend_order[0]); i++) {
		enum ps_tl_class c = legend_order[i];

		legend_entry(f, &x, class_names[c], class_words[c], t->counts[c]);
	}
	fprintf(f, "<rect class=\"completed retry\" x=\"%.1f\" y=\"71\" width=\"11\" "
		"height=\"11\"/>", x);
	legend_entry(f, &x, NULL, RETRY_MARK " retried", t->retried);
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

static void header(FILE *f, const struct ps_tl *t, const struct geo *g)
{
	fputs("<text class=\"title\" x=\"12\" y=\"24\">oneshot run ", f);
	ps_tl_xml_cstr(f, t->name);
	fputs(": ", f);
	ps_tl_xml_cstr(f, t->status);
	fputs("</text>\n", f);
	header_times(f, t);
	header_tasks(f, t, g);
	legend(f, t);
}

/* The load chart's outline: a step per run of equal columns, from and
 * back to the base line. */
static void load_area(FILE *f, const struct ps_tl *t, double base, double unit)
{
	fprintf(f, "<path class=\"area\" d=\"M%.0f %.2f", TL_LEFT, base);
	for (uint32_t c = 0, run; c < PS_TL_LOAD_COLS; c += run) {
		for (run = 1; c + run < PS_TL_LOAD_COLS && t->load[c + run] == t->load[c]; run++)
			;
		fprintf(f, "V%.2fH%.0f", base - t->load[c] * unit,
			TL_LEFT + (double)(c + run) * TL_PLOT_W / PS_TL_LOAD_COLS);
	}
	fputs("V", f);
	fprintf(f, "%.2fZ\"/>\n", base);
}

/*
 * The load chart above the lanes: the most tasks at once in each px of
 * the time axis (from every bar, before any grid), a dashed line at -j,
 * the scale's numbers on the left.  Its data-* attributes say what it
 * shows: the peak, the cap, the base line's y and the px per task.
 */
static void load_chart(FILE *f, const struct ps_tl *t)
{
	uint32_t top = t->peak > t->cap ? t->peak : t->cap;
	double base = TL_CHART_TOP + TL_CHART_H, unit = TL_CHART_H / (top ? top : 1);

	fprintf(f, "<g class=\"load\" data-peak=\"%u\" data-cap=\"%u\" data-base=\"%.2f\" "
		"data-unit=\"%.6f\">\n<text class=\"caption\" x=\"%.1f\" y=\"%.1f\">tasks at "
		"once: at most %u", t->peak, t->cap, base, unit, TL_LEFT, TL_CHART_TOP - 6, t->peak);
	if (t->cap)
		fprintf(f, " of -j %u</text>\n", t->cap);
	else
		fputs(" (-j not known: give -j N)</text>\n", f);
	fprintf(f, "<rect class=\"stripe\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
		TL_LEFT, TL_CHART_TOP, TL_PLOT_W, TL_CHART_H);
	load_area(f, t, base, unit);
	fprintf(f, "<text class=\"lane\" x=\"%.1f\" y=\"%.1f\">0</text>\n", TL_LEFT - 6, base);
	if (t->cap)
		fprintf(f, "<path class=\"capline\" d=\"M%.1f %.2fH%.1f\"/><text class=\"lane\" "
			"x=\"%.1f\" y=\"%.2f\">-j %u</text>\n", TL_LEFT, base - t->cap * unit,
			TL_LEFT + TL_PLOT_W, TL_LEFT - 6, base - t->cap * unit + 4, t->cap);
	if (t->peak && (t->cap ? t->cap - t->peak : t->peak) * unit >= 11 && t->peak != t->cap)
		fprintf(f, "<text class=\"lane\" x=\"%.1f\" y=\"%.2f\">%u</text>\n", TL_LEFT - 6,
			base - t->peak * unit + 4, t->peak);
	fputs("</g>\n", f);
}

/* Lane stripes and numbers, the ticks' grid lines. */
static void background(FILE *f, const struct ps_tl *t, const struct geo *g)
{
	uint32_t every = g->row_h >= 11 ? 1 : (uint32_t)(12 / g->row_h) + 1;
	int64_t step = ps_tl_tick_step(t->span_ns);

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

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x,
			TL_CHART_TOP, x, TL_TOP + g->plot_h);
		if (at > INT64_MAX - step)
			break;
	}
	fputs("</g>\n", f);
}

/* The axis under the plot: a line, a tick and a label per step, a
 * caption; for a run that goes on, "now" at the right end. */
static void axis(FILE *f, const struct ps_tl *t, const struct geo *g)
{
	double y = TL_TOP + g->plot_h;
	int64_t step = ps_tl_tick_step(t->span_ns);
	char label[64];

	fprintf(f, "<g class=\"axis\">\n<path d=\"M%.1f %.1fH%.1f\"/>\n", TL_LEFT, y,
		TL_LEFT + TL_PLOT_W);
	for (int64_t at = 0; at <= t->span_ns; at += step) {
		double x = TL_LEFT + (double)at * g->scale;

		ps_tl_tick_label(label, sizeof(label), at);
		fprintf(f, "<path d=\"M%.1f %.1fv5\"/><text class=\"tick\" x=\"%.1f\" y=\"%.1f\">"
			"%s</text>\n", x, y, x, y + 17, label);
		if (at > INT64_MAX - step)
			break;
	}
	fprintf(f, "<text class=\"caption\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">time since "
		"the start</text>\n", TL_LEFT + TL_PLOT_W, y + 36);
	if (t->live)
		fprintf(f, "<path class=\"now\" d=\"M%.1f %.1fV%.1f\"/><text class=\"nowlabel\" "
			"x=\"%.1f\" y=\"%.1f\">now</text>\n", TL_LEFT + TL_PLOT_W, TL_CHART_TOP - 2, y,
			TL_LEFT + TL_PLOT_W, TL_CHART_TOP - 5);
	fputs("</g>\n", f);
}

/* Why bar B ended as it did, and its attempt when the task had several:
 * "exit 2", "exit 2, attempt 1", "attempt 3", "timeout, attempt 2". */
static void cause(char *buf, size_t len, const struct ps_tl_bar *b)
{
	struct os_slot_view v = { .state = b->state, .reason = b->reason,
				  .attempt = b->attempt, .exit_code = b->exit_code,
				  .term_signal = b->term_signal };
	size_t n;

	buf[0] = '\0';
	if (b->state == OS_FAILED || b->state == OS_INTERRUPTED)
		fmt_cause(buf, len, &v, 0);
	else if (b->attempt > 1)
		snprintf(buf, len, "attempt %u", b->attempt);
	n = strlen(buf);
	if (b->attempt == 1 && !b->last && n < len)
		snprintf(buf + n, len - n, "%sattempt 1", n ? ", " : "");
}

/* ", waiting for input (read: "name? ")", or "ended" so. */
static void waiting_text(FILE *f, const struct ps_tl_bar *b)
{
	fprintf(f, ", %swaiting for input (%s", b->state == OS_IDLE ? "" : "ended ",
		os_wait_name(b->why));
	if (b->prompt_len) {
		fputs(": &quot;", f);
		ps_tl_xml_text(f, b->prompt, b->prompt_len, TL_PROMPT_MAX);
		fputs("&quot;", f);
	}
	putc(')', f);
}

/* A bar's tooltip: how the attempt ended (or that it waits for input),
 * when it started and for how long, its lane, then its command. */
static void tooltip(FILE *f, const struct ps_tl_bar *b)
{
	char why[160], start[FMT_DURATION_MAX * 2], ran[FMT_DURATION_MAX * 2];

	cause(why, sizeof(why), b);
	fmt_elapsed(start, sizeof(start), b->t0, 1);
	fmt_elapsed(ran, sizeof(ran), b->t1 - b->t0, 1);
	fprintf(f, "task %u: %s", b->id, os_state_name(b->state));
	if (why[0]) {
		fputs(" (", f);
		ps_tl_xml_cstr(f, why);
		putc(')', f);
	}
	if (b->why)
		waiting_text(f, b);
	fprintf(f, ", started at +%s, ran %s%s, lane %u\n", start, ran, b->open ? " so far" : "",
		b->lane + 1);
	ps_tl_xml_text(f, b->cmd, b->cmd_len, TL_CMD_MAX);
}

/* A slowest bar's label: "2: 3.01s", "17 ↻2: 4m12s", "5: 41.0s so far";
 * *CHARS gets its length in characters. */
static void slow_text(char *buf, size_t len, const struct ps_tl_bar *b, size_t *chars)
{
	char d[FMT_DURATION_MAX * 2], att[24] = "";

	ps_tl_duration(d, sizeof(d), b->t1 - b->t0);
	if (b->attempt > 1)
		snprintf(att, sizeof(att), " " RETRY_MARK "%u", b->attempt);
	snprintf(buf, len, "%u%s: %s%s", b->id, att, d, b->open ? " so far" : "");
	*chars = strlen(buf) - (b->attempt > 1 ? 2 : 0); /* the mark: 3 bytes */
}

/* 1 if a slowest bar's label goes inside it (its id is not written). */
static int slow_inside(const struct ps_tl_bar *b, const struct box *x, const struct geo *g)
{
	char text[80];
	size_t chars;

	if (g->grid || !b->slow || x->h < 11)
		return 0;
	slow_text(text, sizeof(text), b, &chars);
	return x->w >= (double)chars * TL_CHAR_W + 8;
}

/* The id written on a bar where it fits: "7", "7 ↻2" (a retry) or "↻2". */
static void bar_label(FILE *f, const struct ps_tl_bar *b, const struct box *x,
		      const struct geo *g)
{
	double need = (fmt_digits(b->id) + (b->attempt > 1 ? 2.5 + fmt_digits(b->attempt) : 0)) *
		      TL_CHAR_W + 6;
	int id = x->w >= need;
	int mark = b->attempt > 1 && x->w >= (1.5 + fmt_digits(b->attempt)) * TL_CHAR_W + 4;

	if (x->h < 11 || (!id && !mark) || slow_inside(b, x, g))
		return;
	fprintf(f, "<text class=\"id %s\" x=\"%.1f\" y=\"%.1f\">", class_names[b->cls],
		x->x + x->w / 2, x->y + x->h / 2 + 3.5);
	if (id)
		fprintf(f, "%u", b->id);
	if (mark)
		fprintf(f, "%s" RETRY_MARK "%u", id ? " " : "", b->attempt);
	fputs("</text>\n", f);
}

/* One rect per bar shown, with its tooltip and, where it fits, its id: a
 * task's last attempt is "task-ID", an earlier one "task-ID-try-N". */
static void bars(FILE *f, const struct ps_tl *t, const struct geo *g)
{
	fputs("<g class=\"bars\">\n", f);
	for (size_t i = 0; i < t->nbars; i++) {
		const struct ps_tl_bar *b = &t->bars[i];
		struct box x = bar_box(b, g);

		if (!b->shown)
			continue;
		fprintf(f, "<rect id=\"task-%u", b->id);
		if (!b->last)
			fprintf(f, "-try-%u", b->nth);
		fprintf(f, "\" class=\"bar %s%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\" data-task=\"%u\" data-attempt=\"%u\"><title>",
			class_names[b->cls], b->attempt > 1 ? " retry" : "", x.x, x.y, x.w, x.h, b->id,
			b->attempt);
		tooltip(f, b);
		fputs("</title></rect>\n", f);
		if (b->attempt > 1) /* a flag on its corner, however thin the bar */
			fprintf(f, "<path class=\"retrymark\" d=\"M%.1f %.1fh6l-6 6z\"/>\n", x.x, x.y);
		bar_label(f, b, &x, g);
	}
	fputs("</g>\n", f);
}

/* The grid's cells: each the highest class of the bars in it. */
static uint8_t *grid_cells(const struct ps_tl *t, const struct geo *g)
{
	uint8_t *cells = calloc((size_t)g->rows * TL_GRID_COLS, 1);
	double per = (double)TL_GRID_COLS / (double)t->span_ns;

	if (!cells)
		ps_tl_out_of_memory();
	for (size_t i = 0; i < t->nbars; i++) {
		const struct ps_tl_bar *b = &t->bars[i];
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
	return cells;
}

/* More than TL_BARS_MAX bars: each cell of rows (lanes grouped) by
 * TL_GRID_COLS the highest class of the bars in it, a run of equal cells
 * one rect. */
static void grid(FILE *f, const struct ps_tl *t, const struct geo *g)
{
	uint8_t *cells = grid_cells(t, g);
	double cw = TL_PLOT_W / TL_GRID_COLS;

	fputs("<g class=\"cells\">\n", f);
	for (uint32_t r = 0; r < g->rows; r++) {
		const uint8_t *row = cells + (size_t)r * TL_GRID_COLS;

		for (size_t c = 0, run; c < TL_GRID_COLS; c += run) {
			for (run = 1; c + run < TL_GRID_COLS && row[c + run] == row[c]; run++)
				;
			if (row[c] == PS_TL_NONE)
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

/*
 * The slowest bars' labels, on top of everything: inside the bar when it
 * fits, else right of its end (left of its start near the right edge), on
 * a white halo; in the grid, a diamond marks the bar's end.
 */
static void slow_labels(FILE *f, const struct ps_tl *t, const struct geo *g)
{
	fputs("<g class=\"slowest\">\n", f);
	for (size_t r = 0; r < t->nslow; r++) {
		const struct ps_tl_bar *b = &t->bars[t->slow[r]];
		struct box x = bar_box(b, g);
		double y = x.y + x.h / 2, tw, at;
		const char *anchor = "start", *in = "";
		char text[80];
		size_t chars;

		slow_text(text, sizeof(text), b, &chars);
		tw = (double)chars * TL_CHAR_W;
		if (slow_inside(b, &x, g)) {
			at = x.x + x.w - 4;
			anchor = "end";
			in = b->cls == PS_TL_IDLE || b->cls == PS_TL_WAITING ? " in dark" : " in";
		} else if (x.x + x.w + 4 + tw <= TL_LEFT + TL_PLOT_W + TL_RIGHT) {
			at = x.x + x.w + 4;
		} else {
			at = x.x - 4;
			anchor = "end";
		}
		if (g->grid)
			fprintf(f, "<path class=\"mark\" d=\"M%.1f %.1fl4 4l-4 4l-4 -4z\"/>\n",
				x.x + x.w, y - 4);
		fprintf(f, "<text class=\"slow%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
			"data-task=\"%u\" data-attempt=\"%u\" data-rank=\"%zu\">", in, at, y + 3.5,
			anchor, b->id, b->attempt, r + 1);
		ps_tl_xml_cstr(f, text);
		fputs("</text>\n", f);
	}
	fputs("</g>\n", f);
}

void ps_tl_svg(FILE *f, const void *arg)
{
	const struct ps_tl *t = arg;
	struct geo g;

	geometry(t, &g);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, "
		"sans-serif\" font-size=\"12\">\n<title>oneshot run ", g.width, g.height, g.width,
		g.height);
	ps_tl_xml_cstr(f, t->name);
	fputs("</title>\n", f);
	fputs(style, f);
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n", f);
	header(f, t, &g);
	load_chart(f, t);
	background(f, t, &g);
	if (g.grid)
		grid(f, t, &g);
	else
		bars(f, t, &g);
	slow_labels(f, t, &g);
	axis(f, t, &g);
	fputs("</svg>\n", f);
}
