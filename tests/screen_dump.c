/*
 * screen_dump.c: the screen of a transcript, for the tests (not installed).
 *
 *   screen_dump [--ansi|--json|--draw] [--crlf] [--replay-max BYTES] [-v]
 *               COLSxROWS FILE
 *
 * COLSxROWS is the PTY's size written as --pty-size writes it (80x24).
 * -v adds "exact=0|1 from=OFFSET" on stderr.  Exit 0, or 1 with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "screen/screen.h"

static void usage(void)
{
	fputs("usage: screen_dump [--ansi|--json|--draw] [--crlf] [--replay-max BYTES] [-v]"
	      " COLSxROWS FILE\n", stderr);
	exit(1);
}

/* "COLSxROWS", each 1-65535. */
static int parse_size(const char *s, struct screen_opts *o)
{
	unsigned long cols, rows;
	char *end;

	errno = 0;
	cols = strtoul(s, &end, 10);
	if (end == s || *end != 'x' || cols == 0 || cols > 65535)
		return -1;
	s = end + 1;
	rows = strtoul(s, &end, 10);
	if (end == s || *end || rows == 0 || rows > 65535 || errno)
		return -1;
	o->cols = (uint16_t)cols;
	o->rows = (uint16_t)rows;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ansi", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "draw", no_argument, NULL, 'd' },
		{ "crlf", no_argument, NULL, 'c' },
		{ "replay-max", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	int (*writer)(FILE *, const struct screen *) = screen_write_text;
	struct screen_opts o = { 0 };
	struct screen s;
	int opt, fd, err, verbose = 0;

	while ((opt = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			writer = screen_write_ansi;
			break;
		case 'j':
			writer = screen_write_json;
			break;
		case 'd':
			writer = screen_write_draw;
			break;
		case 'c':
			o.crlf = 1;
			break;
		case 'm':
			o.replay_max = strtoull(optarg, NULL, 10);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || parse_size(argv[optind], &o) < 0)
		usage();
	fd = open(argv[optind + 1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "screen_dump: %s: %s\n", argv[optind + 1], strerror(errno));
		return 1;
	}
	err = screen_from_fd(fd, &o, &s);
	close(fd);
	if (err == 0)
		err = writer(stdout, &s);
	if (err == 0 && fflush(stdout) == EOF)
		err = -errno;
	if (err < 0) {
		fprintf(stderr, "screen_dump: %s: %s\n", argv[optind + 1], strerror(-err));
		screen_free(&s);
		return 1;
	}
	if (verbose)
		fprintf(stderr, "exact=%d from=%llu\n", s.exact, (unsigned long long)s.replay_from);
	screen_free(&s);
	return 0;
}
