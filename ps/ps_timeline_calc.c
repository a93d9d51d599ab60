/*
 * ps_timeline_calc.c: what --timeline works out from the bars of a run
 * (ps_timeline.c) before it draws them (ps_timeline_draw.c): each bar's
 * lane, the number of bars at once over time (the load chart), the slowest
 * bars, and the legend's counts.  All of it from every bar, also those a
 * --state or id filter hides: they hide bars, they do not move the others.
 *
 * Rows are lanes of concurrency, not tasks.  Each bar goes, in the order
 * the bars started, on the lowest-numbered lane free at its start, so
 * there are as many lanes as attempts ever ran at once (the run's -j at
 * most).  A batch of thousands of tasks then reads as a few rows that show
 * how busy the run kept its slots, where the failures and the stragglers
 * are, instead of a staircase of thousands of rows with a sliver each.
 * The table does not say which cap token a task held: the lanes are worked
 * out from the times alone.
 */
#include <stdlib.h>
#include <string.h>

#include "ps/ps.h"

#define NS_PER_MS INT64_C(1000000)

/*
 * Where bar B stops holding its lane and its place in the load chart: its
 * end, less T->slack (the job log's times are rounded to the millisecond,
 * so an attempt may seem to overlap the next one by that much), and at
 * least 1 ns after its start (an attempt that ended as it started held
 * its slot all the same).
 */
static int64_t bar_end(const struct ps_tl *t, const struct ps_tl_bar *b)
{
	int64_t end = b->t1 - t->slack;

	if (end > b->t0)
		return end;
	return b->t0 < INT64_MAX ? b->t0 + 1 : b->t0;
}

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
	uint32_t id, nth, i;
};

static int cmp_order(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->t0 != y->t0)
		return x->t0 < y->t0 ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->nth < y->nth ? -1 : x->nth > y->nth;
}

/*
 * Each bar, in the order of the starts, on the lowest-numbered lane free at
 * its start (a lane is free again at the bar's end, as bar_end says): as
 * many lanes as bars ever overlapped, O(n log n).
 */
static void assign_lanes(struct ps_tl *t)
{
	size_t n = t->nbars;
	struct order *o = malloc((n ? n : 1) * sizeof(*o));
	struct heap busy = { malloc((n ? n : 1) * sizeof(struct hent)), 0 };
	struct heap idle = { malloc((n ? n : 1) * sizeof(struct hent)), 0 };

	if (!o || !busy.e || !idle.e)
		ps_tl_out_of_memory();
	for (size_t i = 0; i < n; i++)
		o[i] = (struct order){ t->bars[i].t0, t->bars[i].id, t->bars[i].nth, (uint32_t)i };
	qsort(o, n, sizeof(*o), cmp_order);
	t->lanes = 0;
	for (size_t j = 0; j < n; j++) {
		struct ps_tl_bar *b = &t->bars[o[j].i];
		uint32_t lane;

		while (busy.n && busy.e[0].key <= b->t0) {
			struct hent done = hpop(&busy);

			hpush(&idle, (struct hent){ done.lane, done.lane });
		}
		lane = idle.n ? hpop(&idle).lane : t->lanes++;
		b->lane = lane;
		hpush(&busy, (struct hent){ bar_end(t, b), lane });
	}
	free(o);
	free(busy.e);
	free(idle.e);
}


/* A start (+1) or an end (-1) of a bar, for the load chart. */
struct step {
	int64_t at;
	int d;
};

static int cmp_step(const void *a, const void *b)
{
	const struct step *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->d - y->d; /* at the same moment, ends first */
}

/*
 * The load chart: in each of the PS_TL_LOAD_COLS columns of the time axis
 * the most bars at once (from every bar, from its start to bar_end), and
 * T->peak, the most of all: the number of lanes.
 */
static void load(struct ps_tl *t)
{
	size_t n = 2 * t->nbars, j = 0;
	struct step *s = malloc((n ? n : 1) * sizeof(*s));
	uint32_t level = 0;

	if (!s)
		ps_tl_out_of_memory();
	for (size_t i = 0; i < t->nbars; i++) {
		s[2 * i] = (struct step){ t->bars[i].t0, 1 };
		s[2 * i + 1] = (struct step){ bar_end(t, &t->bars[i]), -1 };
	}
	qsort(s, n, sizeof(*s), cmp_step);
	for (uint32_t c = 0; c < PS_TL_LOAD_COLS; c++) {
		double edge = (double)t->span_ns * (c + 1) / PS_TL_LOAD_COLS;
		uint32_t top = level;

		for (; j < n && (c + 1 == PS_TL_LOAD_COLS || (double)s[j].at < edge); j++) {
			level = s[j].d > 0 ? level + 1 : level - 1;
			if (level > top)
				top = level;
		}
		t->load[c] = top;
		if (top > t->peak)
			t->peak = top;
	}
	free(s);
}

/* 1 if bar A is slower than bar B: it lasted longer, or as long with a
 * lower id, or the same id and an earlier attempt. */
static int slower(const struct ps_tl_bar *a, const struct ps_tl_bar *b)
{
	int64_t da = a->t1 - a->t0, db = b->t1 - b->t0;

	if (da != db)
		return da > db;
	if (a->id != b->id)
		return a->id < b->id;
	return a->attempt < b->attempt || (a->attempt == b->attempt && a->nth < b->nth);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The median of the shown bars' durations (the upper one of two). */
static int64_t median(const struct ps_tl *t)
{
	int64_t *d = malloc((t->shown ? t->shown : 1) * sizeof(*d)), m;
	size_t n = 0;

	if (!d)
		ps_tl_out_of_memory();
	for (size_t i = 0; i < t->nbars; i++)
		if (t->bars[i].shown)
			d[n++] = t->bars[i].t1 - t->bars[i].t0;
	qsort(d, n, sizeof(*d), cmp_i64);
	m = n ? d[n / 2] : 0;
	free(d);
	return m;
}

/*
 * The slowest bars shown, slowest first, into T->slow, each marked with its
 * rank: a tenth of the bars shown (rounded up), PS_TL_SLOW_MAX at most, of
 * those that lasted longer than the median (in a batch of equal tasks,
 * none is slowest).
 */
static void slowest(struct ps_tl *t)
{
	size_t want = (t->shown + 9) / 10;
	int64_t mid = median(t);

	if (want > PS_TL_SLOW_MAX)
		want = PS_TL_SLOW_MAX;
	t->nslow = 0;
	for (size_t i = 0; i < t->nbars; i++) {
		size_t at = t->nslow;

		if (!t->bars[i].shown || t->bars[i].t1 - t->bars[i].t0 <= mid)
			continue;
		while (at > 0 && slower(&t->bars[i], &t->bars[t->slow[at - 1]]))
			at--;
		if (at >= want)
			continue;
		if (t->nslow < want)
			t->nslow++;
		memmove(&t->slow[at + 1], &t->slow[at], (t->nslow - 1 - at) * sizeof(t->slow[0]));
		t->slow[at] = i;
	}
	for (size_t r = 0; r < t->nslow; r++)
		t->bars[t->slow[r]].slow = (uint8_t)(r + 1);
}

/* The legend's counts (a task by its last attempt), the span made
 * drawable: it holds every bar, and is 1 ms at least. */
static void counts(struct ps_tl *t)
{
	for (size_t i = 0; i < t->nbars; i++) {
		const struct ps_tl_bar *b = &t->bars[i];

		if (b->t1 > t->span_ns)
			t->span_ns = b->t1;
		if (!b->shown)
			continue;
		t->shown++;
		if (!b->last)
			continue;
		t->counts[b->cls]++;
		t->retried += b->attempt > 1;
	}
	if (t->span_ns < NS_PER_MS)
		t->span_ns = NS_PER_MS;
}

void ps_tl_layout(struct ps_tl *t)
{
	counts(t);
	assign_lanes(t);
	load(t);
	slowest(t);
}
