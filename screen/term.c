/*
 * term.c: the cells a transcript is replayed into.  libvterm's state layer
 * does all the parsing and decides what each sequence does (cursor motion,
 * wrapping, scroll regions, modes, character sets, combining characters,
 * widths); it tells this file what to change through the callbacks below,
 * which mirror what libvterm's own screen layer does with them, except:
 *
 *  - a scroll of whole lines rotates rows instead of copying every cell of
 *    the region (libvterm's screen copies the screen per line fed), and a
 *    row is blanked by a mark, its cells filled in only as far as they are
 *    written: a line feed costs the length of the line, not the width of
 *    the screen;
 *  - a glyph or an erase that cuts a wide character blanks its other half,
 *    as tmux does, where libvterm 0.1.4 leaves a stale half behind;
 *  - an erased cell takes the pen's colours only, not its attributes (as
 *    xterm and tmux, and later libvterm versions).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <vterm.h>

#include "screen/term.h"

/*
 * Bytes handed to libvterm in one call.  Its text handler keeps a code point
 * for every byte left in the call on the stack, and an OSC string (a title)
 * that a call boundary cuts is kept to its first 64 bytes.
 */
#define FEED_MAX 16384

struct pen {
	uint8_t attrs, underline;
	struct screen_color fg, bg;
};

/* A row: its cells up to `used` as written, the rest blanks in the colours
 * it was erased with (filled in when something is written past `used`). */
struct row {
	struct screen_cell *cell;
	int used;
	struct screen_color fg, bg;
};

struct buffer {
	struct screen_cell *store;   /* rows * cols */
	struct row *row;             /* the rows, top to bottom */
};

struct term {
	VTerm *vt;
	VTermState *state;
	int rows, cols;
	struct buffer buf[2];        /* primary, alternate (made when first shown) */
	int alt;                     /* buf[alt] is shown */
	struct row *spare;           /* room for `rows` rows, to rotate them */
	struct pen pen;
	int reverse;                 /* DECSCNM: the whole screen in reverse video */
	int cursor_visible;
	char title[256];
	int err;                     /* first failure during the replay, -errno */
};

/* ------------------------------------------------------------ cells */

static void blank(struct screen_cell *c, const struct pen *p)
{
	c->text[0] = '\0';
	c->width = 1;
	c->attrs = 0;
	c->underline = 0;
	c->fg = p->fg;
	c->bg = p->bg;
}

static struct row *row_of(struct term *t, int row)
{
	return &t->buf[t->alt].row[row];
}

/* R blank, in the colours of pen P. */
static void row_blank(struct row *r, const struct pen *p)
{
	r->used = 0;
	r->fg = p->fg;
	r->bg = p->bg;
}

/* R's cells [used, TO) filled in with its blanks. */
static void row_fill(struct row *r, int to)
{
	struct pen p = { .fg = r->fg, .bg = r->bg };

	for (int c = r->used; c < to; c++)
		blank(&r->cell[c], &p);
	if (to > r->used)
		r->used = to;
}

/*
 * Writing or erasing columns [FROM, TO) of row R (filled in up to FROM at
 * least): a wide character with only one half inside loses the other half
 * too, so no half is left without its partner.
 */
static void split_wide(struct row *r, int from, int to)
{
	struct screen_cell *l = r->cell;

	if (from > 0 && from < r->used && l[from].width == 0) {
		l[from - 1].text[0] = '\0';
		l[from - 1].width = 1;
	}
	if (to > 0 && to < r->used && l[to].width == 0)
		l[to].width = 1;
}

/* Blank every half of a wide character in row L that lost its other half. */
static void fix_wide(struct screen_cell *l, int cols)
{
	for (int c = 0; c < cols; c++) {
		if (l[c].width == 2 && c + 1 < cols && l[c + 1].width == 0) {
			c++;
		} else if (l[c].width != 1) {
			l[c].text[0] = '\0';
			l[c].width = 1;
		}
	}
}

/* UTF-8 of code point CP at D (4 bytes room); what a terminal would take as
 * a control, or is no character, becomes U+FFFD. */
static size_t put_utf8(char *d, uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0xd800 && cp < 0xe000) ||
	    cp > 0x10ffff)
		cp = 0xfffd;
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* ------------------------------------------------- libvterm callbacks */

static int on_putglyph(VTermGlyphInfo *info, VTermPos pos, void *user)
{
	struct term *t = user;
	int width = info->width == 2 && pos.col + 1 < t->cols ? 2 : 1;
	struct screen_cell *c;
	struct row *r;
	size_t n = 0;

	if (pos.row < 0 || pos.row >= t->rows || pos.col < 0 || pos.col >= t->cols)
		return 1;
	r = row_of(t, pos.row);
	row_fill(r, pos.col + width);
	split_wide(r, pos.col, pos.col + width);
	c = &r->cell[pos.col];
	for (int i = 0; i < VTERM_MAX_CHARS_PER_CELL && info->chars[i]; i++)
		n += put_utf8(c->text + n, info->chars[i]);
	c->text[n] = '\0';
	c->width = (uint8_t)width;
	c->attrs = (uint8_t)(t->pen.attrs | (info->protected_cell ? SCREEN_PROTECTED : 0));
	c->underline = t->pen.underline;
	c->fg = t->pen.fg;
	c->bg = t->pen.bg;
	if (width == 2) {
		c[1] = *c;
		c[1].text[0] = '\0';
		c[1].width = 0;
	}
	return 1;
}

static void erase_rows(struct term *t, int from, int to)
{
	for (int r = from; r < to; r++)
		row_blank(row_of(t, r), &t->pen);
}

/* Columns [FROM, TO) of row R blanked in the pen's colours. */
static void erase_cols(struct term *t, struct row *r, int from, int to)
{
	row_fill(r, from);
	split_wide(r, from, to);
	if (to >= t->cols) {
		/* to the end of the line: the mark does it */
		r->used = from;
		r->fg = t->pen.fg;
		r->bg = t->pen.bg;
		return;
	}
	row_fill(r, to);
	for (int c = from; c < to; c++)
		blank(&r->cell[c], &t->pen);
}

/* Selective erase (DECSED, DECSEL): protected cells stay. */
static void erase_unprotected(struct term *t, struct row *r, int from, int to)
{
	row_fill(r, t->cols);
	for (int c = from; c < to; c++)
		if (!(r->cell[c].attrs & SCREEN_PROTECTED))
			blank(&r->cell[c], &t->pen);
	fix_wide(r->cell, t->cols);
}

static int on_erase(VTermRect rect, int selective, void *user)
{
	struct term *t = user;
	int from = rect.start_col < 0 ? 0 : rect.start_col;
	int to = rect.end_col < t->cols ? rect.end_col : t->cols;
	int end_row = rect.end_row < t->rows ? rect.end_row : t->rows;

	for (int i = rect.start_row < 0 ? 0 : rect.start_row; i < end_row && from < to; i++) {
		struct row *r = row_of(t, i);

		if (selective)
			erase_unprotected(t, r, from, to);
		else if (from == 0 && to == t->cols)
			row_blank(r, &t->pen);
		else
			erase_cols(t, r, from, to);
	}
	return 1;
}

/* Cells of SRC to DEST (same size), row by row in the order that does not
 * overwrite a source row before it was copied. */
static int on_moverect(VTermRect dest, VTermRect src, void *user)
{
	struct term *t = user;
	int height = dest.end_row - dest.start_row;
	int width = dest.end_col - dest.start_col;
	int down = src.start_row > dest.start_row;

	if (width <= 0)
		return 1;
	for (int i = 0; i < height; i++) {
		int k = down ? i : height - 1 - i;
		struct row *d = row_of(t, dest.start_row + k), *s = row_of(t, src.start_row + k);

		row_fill(d, t->cols);
		row_fill(s, t->cols);
		memmove(d->cell + dest.start_col, s->cell + src.start_col,
			(size_t)width * sizeof(*d->cell));
	}
	for (int i = 0; i < height; i++)
		fix_wide(row_of(t, dest.start_row + i)->cell, t->cols);
	return 1;
}

/*
 * Whole lines scrolled within [start_row, end_row): the rows turn and the
 * ones coming in are blanked.  Anything narrower (left/right margins,
 * ICH/DCH) is left to libvterm, which then calls on_moverect and on_erase.
 * DOWN > 0 moves the content up, as a line feed at the bottom.
 */
static int on_scrollrect(VTermRect rect, int down, int right, void *user)
{
	struct term *t = user;
	struct row *rows = t->buf[t->alt].row;
	int top = rect.start_row, bottom = rect.end_row, height = bottom - top;
	size_t n = (size_t)(down < 0 ? -down : down);

	if (right || rect.start_col != 0 || rect.end_col != t->cols)
		return 0;
	if (n >= (size_t)height) {
		erase_rows(t, top, bottom);
		return 1;
	}
	if (down > 0) {
		memcpy(t->spare, rows + top, n * sizeof(*rows));
		memmove(rows + top, rows + top + n, (height - n) * sizeof(*rows));
		memcpy(rows + bottom - n, t->spare, n * sizeof(*rows));
		erase_rows(t, bottom - (int)n, bottom);
	} else {
		memcpy(t->spare, rows + bottom - n, n * sizeof(*rows));
		memmove(rows + top + n, rows + top, (height - n) * sizeof(*rows));
		memcpy(rows + top, t->spare, n * sizeof(*rows));
		erase_rows(t, top, top + (int)n);
	}
	return 1;
}

static struct screen_color color_of(const VTermColor *c, int fg)
{
	struct screen_color k = { .kind = SCREEN_COLOR_DEFAULT };

	if (fg ? VTERM_COLOR_IS_DEFAULT_FG(c) : VTERM_COLOR_IS_DEFAULT_BG(c))
		return k;
	if (VTERM_COLOR_IS_INDEXED(c)) {
		k.kind = SCREEN_COLOR_INDEXED;
		k.idx = c->indexed.idx;
		return k;
	}
	k.kind = SCREEN_COLOR_RGB;
	k.r = c->rgb.red;
	k.g = c->rgb.green;
	k.b = c->rgb.blue;
	return k;
}

static void pen_flag(struct pen *p, uint8_t flag, int on)
{
	p->attrs = (uint8_t)(on ? p->attrs | flag : p->attrs & ~flag);
}

static int on_setpenattr(VTermAttr attr, VTermValue *val, void *user)
{
	struct pen *p = &((struct term *)user)->pen;

	switch (attr) {
	case VTERM_ATTR_BOLD:
		pen_flag(p, SCREEN_BOLD, val->boolean);
		break;
	case VTERM_ATTR_UNDERLINE:
		p->underline = (uint8_t)(val->number & 3);
		break;
	case VTERM_ATTR_ITALIC:
		pen_flag(p, SCREEN_ITALIC, val->boolean);
		break;
	case VTERM_ATTR_BLINK:
		pen_flag(p, SCREEN_BLINK, val->boolean);
		break;
	case VTERM_ATTR_REVERSE:
		pen_flag(p, SCREEN_REVERSE, val->boolean);
		break;
	case VTERM_ATTR_STRIKE:
		pen_flag(p, SCREEN_STRIKE, val->boolean);
		break;
	case VTERM_ATTR_FOREGROUND:
		p->fg = color_of(&val->color, 1);
		break;
	case VTERM_ATTR_BACKGROUND:
		p->bg = color_of(&val->color, 0);
		break;
	default:               /* fonts (SGR 10-19) are not shown */
		break;
	}
	return 1;
}

static int buffer_new(struct buffer *b, int rows, int cols, const struct pen *p)
{
	b->store = malloc((size_t)rows * (size_t)cols * sizeof(*b->store));
	b->row = malloc((size_t)rows * sizeof(*b->row));
	if (!b->store || !b->row)
		return -ENOMEM;
	for (int r = 0; r < rows; r++) {
		b->row[r].cell = b->store + (size_t)r * (size_t)cols;
		row_blank(&b->row[r], p);
	}
	return 0;
}

/* Show the alternate buffer (made now if it never was) or the primary one.
 * libvterm blanks the alternate one after this, as it is entered. */
static int show_buffer(struct term *t, int alt)
{
	if (alt && !t->buf[1].store) {
		int err = buffer_new(&t->buf[1], t->rows, t->cols, &t->pen);

		if (err < 0) {
			t->err = err;
			return 0;      /* libvterm then stays on the primary one */
		}
	}
	t->alt = alt;
	return 1;
}

static void set_title(struct term *t, const char *s)
{
	size_t n = strlen(s);

	if (n >= sizeof(t->title)) {
		n = sizeof(t->title) - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;           /* not in the middle of a UTF-8 sequence */
	}
	memcpy(t->title, s, n);
	t->title[n] = '\0';
}

static int on_settermprop(VTermProp prop, VTermValue *val, void *user)
{
	struct term *t = user;

	switch (prop) {
	case VTERM_PROP_ALTSCREEN:
		return show_buffer(t, val->boolean);
	case VTERM_PROP_REVERSE:
		t->reverse = val->boolean;
		break;
	case VTERM_PROP_TITLE:
		set_title(t, val->string);
		break;
	case VTERM_PROP_CURSORVISIBLE:
		t->cursor_visible = val->boolean;
		break;
	default:
		break;
	}
	return 1;
}

static const VTermStateCallbacks callbacks = {
	.putglyph = on_putglyph,
	.scrollrect = on_scrollrect,
	.moverect = on_moverect,
	.erase = on_erase,
	.setpenattr = on_setpenattr,
	.settermprop = on_settermprop,
};

/* Answers to queries (DA, DSR, DECRQSS): nobody reads them. */
static void discard_output(const char *s, size_t len, void *user)
{
	(void)s;
	(void)len;
	(void)user;
}

/* ---------------------------------------------------------------- API */

int screen_term_new(uint16_t rows, uint16_t cols, struct term **out)
{
	struct term *t = calloc(1, sizeof(*t));
	int err;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->rows = rows;
	t->cols = cols;
	t->pen.fg.kind = t->pen.bg.kind = SCREEN_COLOR_DEFAULT;
	t->cursor_visible = 1;
	t->spare = malloc((size_t)rows * sizeof(*t->spare));
	err = t->spare ? buffer_new(&t->buf[0], rows, cols, &t->pen) : -ENOMEM;
	if (err == 0)
		t->vt = vterm_new(rows, cols);
	if (err == 0 && !t->vt)
		err = -ENOMEM;
	if (err < 0) {
		screen_term_free(t);
		return err;
	}
	vterm_set_utf8(t->vt, 1);
	vterm_output_set_callback(t->vt, discard_output, NULL);
	t->state = vterm_obtain_state(t->vt);
	vterm_state_set_callbacks(t->state, &callbacks, t);
	vterm_state_reset(t->state, 1);
	*out = t;
	return 0;
}

/* N bytes of P to libvterm, in calls of at most FEED_MAX bytes, each cut
 * before an escape sequence where one starts in its second half. */
static void feed(struct term *t, const char *p, size_t n)
{
	while (n > 0) {
		size_t k = n;

		if (k > FEED_MAX) {
			const char *esc = memrchr(p + FEED_MAX / 2, 0x1b, FEED_MAX / 2);

			k = esc ? (size_t)(esc - p) : FEED_MAX;
		}
		vterm_input_write(t->vt, p, k);
		p += k;
		n -= k;
	}
}

void screen_term_write(struct term *t, const char *p, size_t n, int crlf)
{
	if (crlf) {
		feed(t, p, n);
		return;
	}
	/* ONLCR: what the kernel sends a terminal for each LF the program wrote */
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;

		feed(t, p, k);
		if (!nl)
			break;
		feed(t, "\r\n", 2);
		p += k + 1;
		n -= k + 1;
	}
}

int screen_term_export(const struct term *t, struct screen *out)
{
	const struct row *rows = t->buf[t->alt].row;
	size_t cols = (size_t)t->cols;
	VTermPos pos;

	if (t->err)
		return t->err;
	out->cells = malloc((size_t)t->rows * cols * sizeof(*out->cells));
	if (!out->cells)
		return -ENOMEM;
	for (int r = 0; r < t->rows; r++) {
		struct screen_cell *l = out->cells + (size_t)r * cols;
		struct pen blanks = { .fg = rows[r].fg, .bg = rows[r].bg };

		memcpy(l, rows[r].cell, (size_t)rows[r].used * sizeof(*l));
		for (size_t c = (size_t)rows[r].used; c < cols; c++)
			blank(&l[c], &blanks);
		fix_wide(l, t->cols);
		for (size_t c = 0; c < cols && t->reverse; c++)
			l[c].attrs ^= SCREEN_REVERSE;
	}
	vterm_state_get_cursorpos(t->state, &pos);
	out->rows = (uint16_t)t->rows;
	out->cols = (uint16_t)t->cols;
	out->cursor_row = (uint16_t)(pos.row < 0 ? 0 : pos.row >= t->rows ? t->rows - 1 : pos.row);
	out->cursor_col = (uint16_t)(pos.col < 0 ? 0 : pos.col >= t->cols ? t->cols - 1 : pos.col);
	out->cursor_visible = t->cursor_visible;
	out->alt_screen = t->alt;
	memcpy(out->title, t->title, sizeof(out->title));
	return 0;
}

void screen_term_free(struct term *t)
{
	if (!t)
		return;
	if (t->vt)
		vterm_free(t->vt);
	for (int i = 0; i < 2; i++) {
		free(t->buf[i].store);
		free(t->buf[i].row);
	}
	free(t->spare);
	free(t);
}
