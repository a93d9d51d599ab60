/*
 * waiting.c: a silent task's evidence of waiting for input, strongest
 * first (waiting.h), and the prompt it waits on: the last non-blank line
 * of its screen, replayed from the end of its transcript (screen/).
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "screen/screen.h"
#include "worker/waiting.h"

#define BELL_WINDOW_NS 1000000000LL  /* a bell counts in the last second of output */
#define PROMPT_REPLAY  (64 << 10)    /* transcript bytes replayed for the prompt */

/* An OSC that BEL ends at END of BUF: its payload, or NULL (a plain bell).
 * Only this read is looked at: an OSC split across reads reads as a bell. */
static const char *osc_before(const char *buf, const char *end)
{
	const char *esc = end;

	while (esc > buf && *--esc != '\033')
		;
	if (*esc != '\033' || esc + 1 >= end || esc[1] != ']')
		return NULL;
	return esc + 2;
}

/* 1 if the BEL at END rings: a plain bell, or a notification. */
static int rings(const char *buf, const char *end)
{
	const char *osc = osc_before(buf, end);
	size_t n;

	if (!osc)
		return 1;
	n = (size_t)(end - osc);
	return (n >= 2 && memcmp(osc, "9;", 2) == 0) ||
	       (n >= 11 && memcmp(osc, "777;notify;", 11) == 0);
}

void worker_waiting_output(struct worker_waiting *w, const char *buf, size_t len, int64_t now)
{
	const char *p = buf, *end = buf + len, *bel;

	while ((bel = memchr(p, '\a', (size_t)(end - p)))) {
		if (rings(buf, bel)) {
			w->bell_ns = now;
			return;
		}
		p = bel + 1;
	}
}

/* The last non-blank line of the screen of transcript FD into PROMPT. */
static void last_line(int fd, uint16_t rows, uint16_t cols, char *prompt, size_t len)
{
	struct screen_opts so = { .rows = rows, .cols = cols, .replay_max = PROMPT_REPLAY };
	struct screen scr;
	size_t n = 0;

	prompt[0] = '\0';
	if (screen_from_fd(fd, &so, &scr)) {
		screen_free(&scr);
		return;
	}
	for (int row = scr.rows - 1; row >= 0 && !n; row--) {
		for (unsigned col = 0; col < scr.cols; col++) {
			const char *t = screen_cell(&scr, (unsigned)row, col)->text;
			size_t k = strlen(t);

			if (!screen_cell(&scr, (unsigned)row, col)->width)
				continue; /* a wide character's right half */
			if (!k)
				t = " ", k = 1;
			if (n + k >= len)
				break;
			memcpy(prompt + n, t, k);
			n += k;
		}
		while (n > 0 && prompt[n - 1] == ' ')
			n--;
	}
	prompt[n] = '\0';
	screen_free(&scr);
}

static int matches(const struct worker_waiting *w, const char *line)
{
	for (uint32_t i = 0; i < w->nprompts; i++)
		if (regexec(&w->prompts[i].re, line, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

uint32_t worker_waiting_probe(const struct worker_waiting *w, int64_t last_output_ns,
			      int logdir_fd, const char *name, uint16_t rows, uint16_t cols,
			      char *prompt, size_t len)
{
	uint32_t why = OS_WAIT_NONE;
	int fd;

	if (worker_waiting_reading(w))
		why = OS_WAIT_READ;
	else if (w->bell_ns && w->bell_ns >= last_output_ns - BELL_WINDOW_NS)
		why = OS_WAIT_BELL;
	else if (!w->nprompts)
		return OS_WAIT_NONE;
	fd = openat(logdir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		prompt[0] = '\0';
	} else {
		last_line(fd, rows, cols, prompt, len);
		close(fd);
	}
	if (why == OS_WAIT_NONE && prompt[0] && matches(w, prompt))
		why = OS_WAIT_PATTERN;
	return why;
}

const struct worker_answer *worker_waiting_answer(struct worker_waiting *w, const char *prompt)
{
	if (w->answered >= w->answer_limit)
		return NULL;
	for (uint32_t i = 0; i < w->nanswers; i++) {
		if (regexec(&w->answers[i].re, prompt, 0, NULL, 0) == 0) {
			w->answered++;
			return &w->answers[i];
		}
	}
	return NULL;
}
