/*
 * term.h: the terminal a transcript is replayed into, private to screen/.
 * libvterm's state layer reads the bytes and calls back into term.c to put
 * glyphs, erase, move and scroll cells and switch buffers; term.c keeps the
 * cells, one row pointer per line, so that scrolling moves pointers.
 */
#ifndef ONESHOT_SCREEN_TERM_H
#define ONESHOT_SCREEN_TERM_H

#include <stddef.h>
#include <stdint.h>

#include "screen/screen.h"

struct term;

/* A blank ROWS x COLS terminal in its reset state.  0 or -ENOMEM. */
int screen_term_new(uint16_t rows, uint16_t cols, struct term **out);

/* Replay N bytes of P; unless CRLF, each LF goes in as CR LF. */
void screen_term_write(struct term *t, const char *p, size_t n, int crlf);

/*
 * Copy what T shows into OUT's size, cursor, title and cells (OUT->cells
 * allocated here).  0, -ENOMEM, or the first failure during the replay.
 */
int screen_term_export(const struct term *t, struct screen *out);

void screen_term_free(struct term *t);

#endif
