/*
 * replay.c: a transcript, in memory or open on a file descriptor, replayed
 * into a terminal (term.c) from the point find.c chooses.
 *
 * A file is read with pread, and only its last replay_max + SCREEN_CONTEXT
 * bytes: that is all a replay can look at, it costs the same as mapping the
 * file (only those pages are touched either way), and a transcript that is
 * truncated meanwhile gives a short read instead of a SIGBUS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "screen/screen.h"
#include "screen/term.h"

static int opts_valid(const struct screen_opts *o)
{
	return o && o->rows > 0 && o->cols > 0 &&
	       (size_t)o->rows * o->cols <= SCREEN_CELLS_MAX;
}

/*
 * Replay the end of the LEN bytes of TEXT, which begin at transcript offset
 * BASE, into OUT.
 */
static int replay(const char *text, size_t len, uint64_t base, const struct screen_opts *o,
		  struct screen *out)
{
	struct screen_start st;
	struct term *t;
	int err;

	screen_find_start(text, len, o->replay_max, base == 0, &st);
	err = screen_term_new(o->rows, o->cols, &t);
	if (err < 0)
		return err;
	screen_term_write(t, text + st.from, len - st.from, o->crlf);
	err = screen_term_export(t, out);
	screen_term_free(t);
	out->exact = st.exact;
	out->replay_from = base + st.from;
	return err;
}

int screen_from_bytes(const char *text, size_t len, const struct screen_opts *o,
		      struct screen *out)
{
	memset(out, 0, sizeof(*out));
	if (!opts_valid(o))
		return -EINVAL;
	return replay(text, len, 0, o, out);
}

/* Up to N bytes of FD at OFF into BUF: how many (fewer when the file
 * shrank), or -errno. */
static ssize_t read_at(int fd, char *buf, size_t n, off_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, off + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int screen_from_fd(int fd, const struct screen_opts *o, struct screen *out)
{
	size_t max, want, n;
	struct stat sb;
	off_t off;
	ssize_t got;
	char *buf;
	int err;

	memset(out, 0, sizeof(*out));
	if (!opts_valid(o))
		return -EINVAL;
	if (fstat(fd, &sb) < 0)
		return -errno;
	if (!S_ISREG(sb.st_mode))
		return -EINVAL;
	max = o->replay_max ? o->replay_max : SCREEN_REPLAY_DEFAULT;
	want = max > SIZE_MAX - SCREEN_CONTEXT ? SIZE_MAX : max + SCREEN_CONTEXT;
	off = (uint64_t)sb.st_size > want ? sb.st_size - (off_t)want : 0;
	n = (size_t)(sb.st_size - off);
	buf = malloc(n ? n : 1);
	if (!buf)
		return -ENOMEM;
	got = read_at(fd, buf, n, off);
	err = got < 0 ? (int)got : replay(buf, (size_t)got, (uint64_t)off, o, out);
	free(buf);
	return err;
}

void screen_free(struct screen *s)
{
	free(s->cells);
	s->cells = NULL;
}
