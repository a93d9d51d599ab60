/*
 * find.c: where to start replaying a transcript that is too long to replay
 * whole.  The scan goes backward from the end over at most replay_max bytes,
 * from one ESC to the previous (memrchr), looking at the few bytes after
 * each, for the last point after which what the terminal shows is known:
 *
 *  - a clear: RIS (ESC c); ED 2 (ESC [ 2 J) right before or after a cursor
 *    position (CUP, ESC [ row ; col H), or ED 0 (ESC [ J, ESC [ 0 J) right
 *    after CUP to the home position.  Every cell of the buffer shown is
 *    blank afterwards and the cursor is at a known place.  An ED 2 with no
 *    CUP next to it is not one: the cursor stays wherever it was, and what
 *    follows is drawn from there.
 *  - entering the alternate screen (ESC [ ? 1049 h, ESC [ ? 1047 h): the
 *    alternate buffer is blanked as it is entered.
 *
 * Replay from such a point is exact for the buffer it clears, so the point
 * must be in the buffer shown at the end.  Leaving the alternate screen
 * (ESC [ ? 1049 l, ?1047 l) brings back the primary buffer as it was when
 * the alternate one was entered, so after a leave the scan goes on, past the
 * whole alternate session, for a clear of the primary buffer before it.
 *
 * What a reset point does not reset, and a fresh terminal would have at its
 * defaults: after a clear, the SGR pen (the clear fills with its
 * background), modes (origin, autowrap, insert, DECSCNM), the scroll region,
 * character sets, the saved cursor, the title; after a 1049 enter, also the
 * cursor position it keeps.  RIS resets all of them but the title and the
 * saved cursor (and, as in libvterm and tmux, it clears the buffer shown
 * without leaving the alternate screen: it counts as a clear here).  To get
 * them back, replay starts up to SCREEN_CONTEXT bytes before the reset
 * point, at a line start: those bytes cannot change what the reset clears,
 * and they usually set what it keeps (a nested enter in them is also
 * replayed as it was).  What is set only further back is lost; so is the
 * effect of ESC [ H ESC [ J in origin mode (it clears from the scroll
 * region's top only).
 *
 * libvterm 0.1.4 acts on the first parameter of a DEC mode sequence only and
 * not at all on mode 47; the scan does the same, so that replaying from its
 * point gives what replaying everything would.
 *
 * With no reset point in the last replay_max bytes, replay starts at a line
 * start replay_max bytes before the end, and the screen is approximate: the
 * lines that scrolled up from there are right, what a cursor motion or the
 * primary buffer brought back from before is not.
 */
#include <string.h>

#include "screen/screen.h"

#define ESC 0x1b

/* a scan in the window's first bytes finds a line start, if any */
#define LINE_START_SCAN ((size_t)64 << 10)

enum mark { MARK_NONE, MARK_CLEAR, MARK_ALT_ON, MARK_ALT_OFF };

/* An ESC [ ... sequence: the first two parameters, -1 when missing. */
struct csi {
	char leader;           /* '?' or another private marker, or 0 */
	char final;
	long arg[2];
	int nargs;
	size_t len;            /* bytes from the ESC to the final byte, inclusive */
};

/*
 * Read the control sequence at P (N bytes, P[0] == ESC, P[1] == '['), up to
 * a final byte: 1 when it is one this file looks at (no intermediate
 * bytes, at most a few short numeric parameters), else 0.
 */
static int csi_read(const char *p, size_t n, struct csi *c)
{
	size_t i = 2;
	int k = 0, any = 0;    /* the parameter being read; any parameter at all */

	memset(c, 0, sizeof(*c));
	c->arg[0] = c->arg[1] = -1;
	if (i < n && p[i] && strchr("<=>?", p[i]))
		c->leader = p[i++];
	for (; i < n && i < 24; i++) {
		unsigned char b = (unsigned char)p[i];

		if (b >= '0' && b <= '9') {
			any = 1;
			if (k < 2 && c->arg[k] < 100000)
				c->arg[k] = (c->arg[k] < 0 ? 0 : c->arg[k] * 10) + (b - '0');
		} else if (b == ';') {
			any = 1;
			k++;
		} else if (b >= 0x40 && b <= 0x7e) {
			c->nargs = any ? k + 1 : 0;
			c->final = (char)b;
			c->len = i + 1;
			return 1;
		} else {
			return 0;      /* intermediates, subparameters, a cut sequence */
		}
	}
	return 0;
}

static int is_cup(const struct csi *c)
{
	return !c->leader && (c->final == 'H' || c->final == 'f') && c->nargs <= 2;
}

static int is_home(const struct csi *c)
{
	return is_cup(c) && c->arg[0] <= 1 && c->arg[1] <= 1;
}

/* ED with parameter 0 (or none) or 2: what clears from the home position */
static int is_ed(const struct csi *c, int whole)
{
	return !c->leader && c->final == 'J' && c->nargs <= 1 &&
	       (c->arg[0] == 2 || (!whole && c->arg[0] <= 0));
}

/* The sequence that starts right after C, read into NEXT: 1 if there is one. */
static int csi_next(const char *t, size_t i, size_t len, const struct csi *c, struct csi *next)
{
	size_t j = i + c->len;

	return j + 1 < len && t[j] == ESC && t[j + 1] == '[' && csi_read(t + j, len - j, next);
}

/* What the ESC at T[I] (of LEN bytes) is for the scan. */
static enum mark classify(const char *t, size_t i, size_t len)
{
	struct csi c, next;

	if (i + 1 >= len)
		return MARK_NONE;
	if (t[i + 1] == 'c')
		return MARK_CLEAR;
	if (t[i + 1] != '[' || !csi_read(t + i, len - i, &c))
		return MARK_NONE;
	if (c.leader == '?' && (c.final == 'h' || c.final == 'l') &&
	    (c.arg[0] == 1047 || c.arg[0] == 1049))
		return c.final == 'h' ? MARK_ALT_ON : MARK_ALT_OFF;
	if (is_ed(&c, 1) && csi_next(t, i, len, &c, &next) && is_cup(&next))
		return MARK_CLEAR;
	if (is_cup(&c) && csi_next(t, i, len, &c, &next) &&
	    is_ed(&next, !is_home(&c)))
		return MARK_CLEAR;
	return MARK_NONE;
}

/*
 * The last reset point in [LO, LEN) of T that is in the buffer shown at the
 * end (see the top of this file), or LEN when there is none.  The region
 * before a switch is taken to be in the other buffer than the region after
 * it: a leave that was not in the alternate screen only makes the scan go
 * further back, but an enter while already in it (nested) would make a
 * clear of the alternate buffer look like one of the primary buffer.
 */
static size_t last_reset(const char *t, size_t lo, size_t len)
{
	int left = 0;          /* a leave was seen: the end shows the primary buffer */
	int shown = 1;         /* the scan point is in the buffer shown at the end */

	for (size_t end = len; end > lo;) {
		const char *e = memrchr(t + lo, ESC, end - lo);
		size_t i;

		if (!e)
			break;
		i = (size_t)(e - t);
		end = i;
		switch (classify(t, i, len)) {
		case MARK_CLEAR:
			if (shown)
				return i;
			break;
		case MARK_ALT_ON:
			if (!left)
				return i;      /* the end is in the buffer this blanked */
			shown = 1;             /* before it: the primary buffer */
			break;
		case MARK_ALT_OFF:
			left = 1;
			shown = 0;             /* before it: the alternate buffer */
			break;
		case MARK_NONE:
			break;
		}
	}
	return len;
}

/* First byte after the first B in [LO, HI) of T, or HI. */
static size_t after(const char *t, size_t lo, size_t hi, char b)
{
	const char *p = memchr(t + lo, b, hi - lo);

	return p ? (size_t)(p - t) + 1 : hi;
}

/*
 * An approximate start near LO: a line start (after LF, else after CR),
 * else an ESC, else the next UTF-8 character, so that the replay does not
 * begin inside a line, a sequence or a character.
 */
static size_t line_start(const char *t, size_t lo, size_t len)
{
	size_t hi = len - lo > LINE_START_SCAN ? lo + LINE_START_SCAN : len;
	size_t p = after(t, lo, hi, '\n');
	const char *esc;

	if (p == hi)
		p = after(t, lo, hi, '\r');
	if (p < hi)
		return p;
	esc = memchr(t + lo, ESC, hi - lo);
	if (esc)
		return (size_t)(esc - t);
	for (p = lo; p < len && p < lo + 3 && ((unsigned char)t[p] & 0xc0) == 0x80; p++)
		;
	return p;
}

/* Where replay starts for reset point AT: a line start up to SCREEN_CONTEXT
 * before it, the transcript's start, or AT itself. */
static size_t context_start(const char *t, size_t at, int at_start)
{
	size_t lo = at > SCREEN_CONTEXT ? at - SCREEN_CONTEXT : 0;

	if (lo == 0 && at_start)
		return 0;
	return after(t, lo, at, '\n');
}

void screen_find_start(const char *text, size_t len, size_t max, int at_start,
		       struct screen_start *st)
{
	size_t lo, at;

	if (max == 0)
		max = SCREEN_REPLAY_DEFAULT;
	if (at_start && len <= max) {
		st->reset = st->from = 0;
		st->exact = 1;
		return;
	}
	lo = len > max ? len - max : 0;
	at = last_reset(text, lo, len);
	if (at < len) {
		st->reset = at;
		st->from = context_start(text, at, at_start);
		st->exact = 1;
		return;
	}
	st->reset = st->from = line_start(text, lo, len);
	st->exact = 0;
}
