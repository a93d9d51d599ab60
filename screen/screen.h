/*
 * screen.h: what a task's terminal shows now, from its transcript.
 *
 * The transcript's bytes are replayed through libvterm's terminal state: all
 * parsing, and what every control sequence does, is libvterm's.  The cells
 * are kept here (term.c) instead of in libvterm's own screen layer, whose
 * scrolling copies the whole screen for every line (a few MB/s at 80x24,
 * 0.2 MB/s at 300x200); here a scroll moves row pointers.
 *
 * A transcript may be much larger than what can be replayed in a second, so
 * only its end is replayed: from the last point within `replay_max` bytes of
 * the end after which the screen is known (find.c says which points those
 * are), else from a line start `replay_max` bytes before the end, and then
 * the screen is approximate (`exact` is 0).
 *
 * Every function returns 0 or -errno and never prints.
 */
#ifndef ONESHOT_SCREEN_H
#define ONESHOT_SCREEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* replay_max when the options say 0 */
#define SCREEN_REPLAY_DEFAULT ((size_t)8 << 20)
/* bytes replayed before a reset point, for the state a reset keeps */
#define SCREEN_CONTEXT ((size_t)64 << 10)
/* rows * cols at most: the cells of both buffers and the copy handed out
 * take about 120 bytes a cell: 120 MB at most */
#define SCREEN_CELLS_MAX ((size_t)1 << 20)

struct screen_opts {
	uint16_t rows, cols;   /* the PTY's size, each at least 1 */
	int crlf;              /* the run used --crlf: the transcript holds what the
	                          terminal got, LF is a plain line feed; otherwise
	                          the transcript has the program's bare LFs (ONLCR
	                          off) and each LF is replayed as CR LF, as the
	                          kernel would have sent it to a terminal */
	size_t replay_max;     /* bound on the bytes scanned for a reset point and
	                          replayed after it (up to SCREEN_CONTEXT more are
	                          replayed before it); 0: SCREEN_REPLAY_DEFAULT */
};

enum screen_color_kind {
	SCREEN_COLOR_DEFAULT,  /* the terminal's own foreground or background */
	SCREEN_COLOR_INDEXED,  /* idx: 0-7 SGR 30-37, 8-15 SGR 90-97, else 38;5;idx */
	SCREEN_COLOR_RGB,      /* r, g, b: SGR 38;2;r;g;b */
};

struct screen_color {
	uint8_t kind;          /* enum screen_color_kind */
	uint8_t idx, r, g, b;
};

/* struct screen_cell's attrs */
enum {
	SCREEN_BOLD = 1 << 0,
	SCREEN_ITALIC = 1 << 1,
	SCREEN_BLINK = 1 << 2,
	SCREEN_REVERSE = 1 << 3,   /* the cell's own SGR 7, or DECSCNM's whole screen */
	SCREEN_STRIKE = 1 << 4,
	SCREEN_PROTECTED = 1 << 5, /* DECSCA: selective erase leaves it */
};

/* a character and up to 5 combining ones (libvterm's limit), 4 bytes each */
#define SCREEN_CELL_TEXT 25

struct screen_cell {
	char text[SCREEN_CELL_TEXT]; /* UTF-8, NUL-terminated; "" for a blank and
	                                for a wide character's right half */
	uint8_t width;         /* 1; 2 for a wide character; 0 for the column its
	                          right half covers */
	uint8_t attrs;         /* SCREEN_BOLD ... */
	uint8_t underline;     /* 0 none, 1 single, 2 double, 3 curly */
	struct screen_color fg, bg;
};

struct screen {            /* what the terminal shows */
	uint16_t rows, cols;
	uint16_t cursor_row, cursor_col;
	int cursor_visible;    /* DECTCEM (?25) */
	int alt_screen;        /* the alternate screen is shown */
	char title[256];       /* OSC 0/2 title, "" when none */
	int exact;             /* 1 when the replay started at the transcript's
	                          start or at a reset point (find.c) */
	uint64_t replay_from;  /* transcript offset the replay started at */
	struct screen_cell *cells; /* rows * cols, row by row */
};

/* The cell at ROW, COL of S. */
static inline const struct screen_cell *screen_cell(const struct screen *s, unsigned row,
						     unsigned col)
{
	return &s->cells[(size_t)row * s->cols + col];
}

/*
 * Replay the LEN bytes of TEXT, a whole transcript.  -EINVAL for a size of
 * 0 or more than SCREEN_CELLS_MAX cells, -ENOMEM.  OUT is freed with
 * screen_free (also after a failure).
 */
int screen_from_bytes(const char *text, size_t len, const struct screen_opts *o,
		      struct screen *out);

/*
 * Replay the transcript open on FD (a regular file; it may be larger than
 * memory): only its last replay_max + SCREEN_CONTEXT bytes are read.
 * -EINVAL for anything but a regular file, else as above and read's errors.
 */
int screen_from_fd(int fd, const struct screen_opts *o, struct screen *out);

void screen_free(struct screen *s);

/*
 * Where replaying the LEN bytes of TEXT starts.  AT_START: TEXT begins at the
 * transcript's first byte.  MAX is replay_max (0: the default).
 */
struct screen_start {
	size_t reset;          /* the reset point, or the approximate start */
	size_t from;           /* where replay begins: RESET, or up to
	                          SCREEN_CONTEXT before it at a line start */
	int exact;             /* RESET is a reset point or the transcript's start */
};
void screen_find_start(const char *text, size_t len, size_t max, int at_start,
		       struct screen_start *st);

/*
 * Output, each to F; -EIO when F reports an error.
 * text: `rows` lines, trailing blanks trimmed, a wide character once.
 * ansi: the same lines with SGR colours and attributes, reset at each line
 *       end; a trailing blank that shows (background, reverse, underline,
 *       strike) is kept.
 * json: {"cols","rows","cursor":{"row","col"},"title","exact","lines":[...]},
 *       the lines as in text, one line of JSON.
 * draw: a full redraw for a real terminal: attributes reset, screen cleared,
 *       every row with its attributes, the cursor placed and shown or hidden.
 */
int screen_write_text(FILE *f, const struct screen *s);
int screen_write_ansi(FILE *f, const struct screen *s);
int screen_write_json(FILE *f, const struct screen *s);
int screen_write_draw(FILE *f, const struct screen *s);

#endif
