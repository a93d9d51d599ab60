/*
 * write.c: a screen as plain text, as text with SGR attributes, as JSON, and
 * as a redraw for a real terminal.  A wide character is written once (its
 * right half is skipped) and a blank cell as a space.  Cell text is UTF-8
 * without controls (term.c replaced them), so it is safe to print.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/json.h"
#include "screen/screen.h"

/* attributes SGR shows */
#define SHOWN_ATTRS (SCREEN_BOLD | SCREEN_ITALIC | SCREEN_BLINK | SCREEN_REVERSE | SCREEN_STRIKE)

static int done(FILE *f)
{
	return ferror(f) ? -EIO : 0;
}

static int is_space(const struct screen_cell *c)
{
	return c->text[0] == '\0' || (c->text[0] == ' ' && c->text[1] == '\0');
}

/* A blank that shows nothing on a default background. */
static int is_invisible(const struct screen_cell *c)
{
	return is_space(c) && c->bg.kind == SCREEN_COLOR_DEFAULT && !c->underline &&
	       !(c->attrs & (SCREEN_REVERSE | SCREEN_STRIKE));
}

/* Columns of row ROW up to its last one that is not a space (text) or not
 * invisible (ANSI). */
static unsigned line_end(const struct screen *s, unsigned row, int styled)
{
	unsigned end = s->cols;

	while (end > 0) {
		const struct screen_cell *c = screen_cell(s, row, end - 1);

		if (c->width != 0 && !(styled ? is_invisible(c) : is_space(c)))
			break;
		end--;
	}
	return end;
}

static const char *cell_text(const struct screen_cell *c)
{
	return c->text[0] ? c->text : " ";
}

/* ------------------------------------------------------------ text, JSON */

/* Row ROW of S as text into BUF (room for cols * SCREEN_CELL_TEXT bytes);
 * its length. */
static size_t line_text(const struct screen *s, unsigned row, char *buf)
{
	unsigned end = line_end(s, row, 0);
	size_t n = 0;

	for (unsigned col = 0; col < end; col++) {
		const struct screen_cell *c = screen_cell(s, row, col);
		size_t k;

		if (c->width == 0)
			continue;
		k = strlen(cell_text(c));
		memcpy(buf + n, cell_text(c), k);
		n += k;
	}
	return n;
}

int screen_write_text(FILE *f, const struct screen *s)
{
	char *buf = malloc((size_t)s->cols * SCREEN_CELL_TEXT + 1);

	if (!buf)
		return -ENOMEM;
	for (unsigned row = 0; row < s->rows; row++) {
		size_t n = line_text(s, row, buf);

		buf[n++] = '\n';
		fwrite(buf, 1, n, f);
	}
	free(buf);
	return done(f);
}

int screen_write_json(FILE *f, const struct screen *s)
{
	char *buf = malloc((size_t)s->cols * SCREEN_CELL_TEXT + 1);

	if (!buf)
		return -ENOMEM;
	fputc('{', f);
	fmt_json_key(f, "cols", 1);
	fmt_json_u64(f, s->cols);
	fmt_json_key(f, "rows", 0);
	fmt_json_u64(f, s->rows);
	fmt_json_key(f, "cursor", 0);
	fputc('{', f);
	fmt_json_key(f, "row", 1);
	fmt_json_u64(f, s->cursor_row);
	fmt_json_key(f, "col", 0);
	fmt_json_u64(f, s->cursor_col);
	fputc('}', f);
	fmt_json_key(f, "title", 0);
	fmt_json_cstr(f, s->title);
	fmt_json_key(f, "exact", 0);
	fputs(s->exact ? "true" : "false", f);
	fmt_json_key(f, "lines", 0);
	fputc('[', f);
	for (unsigned row = 0; row < s->rows; row++) {
		if (row > 0)
			fputc(',', f);
		fmt_json_string(f, buf, line_text(s, row, buf));
	}
	fputs("]}\n", f);
	free(buf);
	return done(f);
}

/* -------------------------------------------------------- ANSI and draw */

static int color_eq(const struct screen_color *a, const struct screen_color *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == SCREEN_COLOR_INDEXED)
		return a->idx == b->idx;
	if (a->kind == SCREEN_COLOR_RGB)
		return a->r == b->r && a->g == b->g && a->b == b->b;
	return 1;
}

/* Same SGR for A and B. */
static int pen_eq(const struct screen_cell *a, const struct screen_cell *b)
{
	return (a->attrs & SHOWN_ATTRS) == (b->attrs & SHOWN_ATTRS) &&
	       a->underline == b->underline && color_eq(&a->fg, &b->fg) &&
	       color_eq(&a->bg, &b->bg);
}

static int pen_default(const struct screen_cell *c)
{
	return !(c->attrs & SHOWN_ATTRS) && !c->underline && c->fg.kind == SCREEN_COLOR_DEFAULT &&
	       c->bg.kind == SCREEN_COLOR_DEFAULT;
}

/* ;30-37, ;90-97, ;38;5;N or ;38;2;R;G;B (BASE 30), the same from 40 for
 * the background (BASE 40). */
static void sgr_color(FILE *f, const struct screen_color *c, int base)
{
	if (c->kind == SCREEN_COLOR_INDEXED && c->idx < 8)
		fprintf(f, ";%d", base + c->idx);
	else if (c->kind == SCREEN_COLOR_INDEXED && c->idx < 16)
		fprintf(f, ";%d", base + 60 + c->idx - 8);
	else if (c->kind == SCREEN_COLOR_INDEXED)
		fprintf(f, ";%d;5;%d", base + 8, c->idx);
	else if (c->kind == SCREEN_COLOR_RGB)
		fprintf(f, ";%d;2;%d;%d;%d", base + 8, c->r, c->g, c->b);
}

/* The whole SGR for cell C, from a reset: the previous one never matters. */
static void sgr(FILE *f, const struct screen_cell *c)
{
	static const char *const underline[] = { "", ";4", ";21", ";4:3" };

	fputs("\033[0", f);
	if (c->attrs & SCREEN_BOLD)
		fputs(";1", f);
	if (c->attrs & SCREEN_ITALIC)
		fputs(";3", f);
	fputs(underline[c->underline & 3], f);
	if (c->attrs & SCREEN_BLINK)
		fputs(";5", f);
	if (c->attrs & SCREEN_REVERSE)
		fputs(";7", f);
	if (c->attrs & SCREEN_STRIKE)
		fputs(";9", f);
	sgr_color(f, &c->fg, 30);
	sgr_color(f, &c->bg, 40);
	fputc('m', f);
}

/* Row ROW up to its last visible cell, with SGR where the pen changes and a
 * reset at the end if the pen is not the default one then. */
static void line_styled(FILE *f, const struct screen *s, unsigned row)
{
	unsigned end = line_end(s, row, 1);
	const struct screen_cell *pen = NULL;

	for (unsigned col = 0; col < end; col++) {
		const struct screen_cell *c = screen_cell(s, row, col);

		if (c->width == 0)
			continue;
		if (pen ? !pen_eq(pen, c) : !pen_default(c))
			sgr(f, c);
		pen = c;
		fputs(cell_text(c), f);
	}
	if (pen && !pen_default(pen))
		fputs("\033[0m", f);
}

int screen_write_ansi(FILE *f, const struct screen *s)
{
	for (unsigned row = 0; row < s->rows; row++) {
		line_styled(f, s, row);
		fputc('\n', f);
	}
	return done(f);
}

/*
 * Cursor hidden while drawing, attributes reset, screen cleared (so with the
 * default background), then each row that shows something at its place,
 * and the cursor where it is and as visible as it is.
 */
int screen_write_draw(FILE *f, const struct screen *s)
{
	fputs("\033[?25l\033[0m\033[H\033[2J", f);
	for (unsigned row = 0; row < s->rows; row++) {
		if (line_end(s, row, 1) == 0)
			continue;
		fprintf(f, "\033[%u;1H", row + 1);
		line_styled(f, s, row);
	}
	fprintf(f, "\033[%u;%uH", s->cursor_row + 1u, s->cursor_col + 1u);
	if (s->cursor_visible)
		fputs("\033[?25h", f);
	return done(f);
}
