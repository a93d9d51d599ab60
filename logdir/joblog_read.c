/*
 * joblog_read.c: a job-log line read back (--resume, oneshot-ps --merge).
 * Every field is checked, not only the ones a reader uses: a line that does
 * not look exactly like one joblog.c writes means the file is not what the
 * reader thinks it is, and a plan built on it would be wrong.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "logdir/joblog.h"
#include "shm/state.h"

#define FIELDS_MAX 12 /* Seq ... Attempt Reason Command */

/* Digits only (no sign, no space), at most MAX.  Checked before each step,
 * so that v * 10 + d never wraps (MAX is up to UINT64_MAX / 10, and a wrapped
 * value would pass for a small one). */
static int number(const char *p, const char *end, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (p == end)
		return -1;
	for (; p < end; p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (*p < '0' || *p > '9' || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Seconds as joblog.c writes them: digits, then optionally '.' and digits
 * (GNU parallel pads JobRuntime to ten columns: leading blanks are skipped);
 * *NS gets them in nanoseconds (INT64_MAX when they do not fit). */
static int seconds(const char *p, const char *end, int64_t *ns)
{
	const char *dot = memchr(p, '.', (size_t)(end - p));
	uint64_t whole, frac = 0;
	size_t digits;

	while (p < end && *p == ' ')
		p++;
	digits = dot ? (size_t)(end - dot - 1) : 0;

	if (number(p, dot ? dot : end, UINT64_MAX / 10, &whole) ||
	    (dot && number(dot + 1, end, 999999999, &frac)))
		return -1;
	for (size_t i = digits; i < 9; i++)
		frac *= 10;
	for (size_t i = 9; i < digits && frac; i++) /* leading zeros past ns */
		frac /= 10;
	*ns = whole > (uint64_t)(INT64_MAX / 1000000000 - 1) ? INT64_MAX
		: (int64_t)(whole * 1000000000 + frac);
	return 0;
}

/* A final state, spelt as os_state_name() spells it. */
static int final_state(const char *p, const char *end, uint32_t *out)
{
	static const uint32_t finals[] = { OS_COMPLETED, OS_FAILED, OS_INTERRUPTED };

	for (size_t i = 0; i < sizeof(finals) / sizeof(finals[0]); i++) {
		const char *name = os_state_name(finals[i]);

		if (strlen(name) == (size_t)(end - p) && memcmp(name, p, (size_t)(end - p)) == 0) {
			*out = finals[i];
			return 0;
		}
	}
	return -1;
}

/* Exitval: -1 (no exit status) or 0..255. */
static int exitval(const char *p, const char *end, int *out)
{
	uint64_t v;

	if (end - p == 2 && p[0] == '-' && p[1] == '1') {
		*out = -1;
		return 0;
	}
	if (number(p, end, 255, &v))
		return -1;
	*out = (int)v;
	return 0;
}

/* Cut LINE into its N fields: F[i] starts field i, F[i + 1] - 1 ends it;
 * the last one (Command) takes the rest, tabs and all. */
static int split(const char *line, size_t len, int n, const char *f[FIELDS_MAX + 1])
{
	const char *p = line, *end = line + len;

	for (int i = 0; i < n - 1; i++) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));

		if (!tab)
			return -1;
		f[i] = p;
		p = tab + 1;
	}
	f[n - 1] = p;
	f[n] = end + 1; /* as if a tab followed Command */
	return 0;
}

/* Reason: "-" (none) or a reason's name; one only for an end that has one. */
static int reason_field(const char *p, const char *end, uint32_t state, uint32_t *out)
{
	size_t n = (size_t)(end - p);

	*out = OS_REASON_NONE;
	if (n == 1 && *p == '-')
		return 0;
	if (state == OS_COMPLETED)
		return -1;
	for (uint32_t r = 1; r < OS_REASON_COUNT; r++) {
		const char *name = os_reason_name(r);

		if (strlen(name) == n && memcmp(name, p, n) == 0) {
			*out = r;
			return 0;
		}
	}
	return -1;
}

int joblog_line_parse(const char *line, size_t len, enum joblog_layout layout,
		      struct joblog_line *out, const char **why)
{
	const char *f[FIELDS_MAX + 1];
	int fields = layout == JOBLOG_PARALLEL ? 9 : layout == JOBLOG_V1 ? 11 : 12;
	int cmd = fields - 1;
	uint64_t v, bytes;

#define END(i) (f[(i) + 1] - 1)
#define BAD(text) do { *why = (text); return -EINVAL; } while (0)
	if (memchr(line, '\0', len))
		BAD("a NUL byte in the line");
	if (split(line, len, fields, f))
		BAD(layout == JOBLOG_PARALLEL ? "fewer than 9 tab-separated fields"
		    : layout == JOBLOG_V1 ? "fewer than 11 tab-separated fields"
					  : "fewer than 12 tab-separated fields");
	if (number(f[0], END(0), UINT32_MAX, &v) || v == 0)
		BAD("bad task number (Seq)");
	out->seq = (uint32_t)v;
	if (f[1] == END(1))
		BAD("empty Host");
	if (seconds(f[2], END(2), &out->start_ns) || seconds(f[3], END(3), &out->runtime_ns))
		BAD("bad Starttime or JobRuntime");
	out->end_ns = out->start_ns <= INT64_MAX - out->runtime_ns ? out->start_ns + out->runtime_ns
								  : INT64_MAX;
	if (number(f[4], END(4), UINT64_MAX / 10, &bytes) ||
	    number(f[5], END(5), UINT64_MAX / 10, &out->received))
		BAD("bad Send or Receive");
	if (exitval(f[6], END(6), &out->exit_code))
		BAD("bad Exitval");
	if (number(f[7], END(7), 127, &v))
		BAD("bad Signal");
	out->term_signal = (int)v;
	out->reason = OS_REASON_NONE;
	if (layout == JOBLOG_PARALLEL) {
		/* No State: what parallel's --resume-failed reads into it. */
		out->state = out->exit_code == 0 && out->term_signal == 0 ? OS_COMPLETED
									  : OS_FAILED;
		out->attempt = 1;
		goto command;
	}
	if (final_state(f[8], END(8), &out->state))
		BAD("bad State (not COMPLETED, FAILED or INTERRUPTED)");
	if (number(f[9], END(9), UINT32_MAX, &v) || v == 0)
		BAD("bad Attempt");
	out->attempt = (uint32_t)v;
	if (layout != JOBLOG_V1 && reason_field(f[10], END(10), out->state, &out->reason))
		BAD("bad Reason");
command:
	if (f[cmd] == line + len)
		BAD("empty Command");
#undef BAD
#undef END
	out->head = f[2];
	out->head_len = (size_t)(f[layout == JOBLOG_PARALLEL ? 8 : 10] - 1 - f[2]);
	out->cmd = f[cmd];
	out->cmd_len = (size_t)(line + len - f[cmd]);
	return 0;
}

int joblog_line_parse_mixed(const char *line, size_t len, enum joblog_layout file_layout,
			    struct joblog_line *out, const char **why)
{
	/* Ours before parallel's: a line of ours parses as one of parallel's
	 * too (its Command would take State and the rest), never the reverse
	 * unless a command starts with a State, an Attempt and a Reason. */
	enum joblog_layout order[3] = { JOBLOG_V2, JOBLOG_V1, JOBLOG_PARALLEL };
	const char *ignored;

	if (file_layout == JOBLOG_V1) {
		order[0] = JOBLOG_V1;
		order[1] = JOBLOG_V2;
	}
	if (joblog_line_parse(line, len, file_layout, out, why) == 0 &&
	    file_layout != JOBLOG_PARALLEL)
		return (int)file_layout;
	for (int k = 0; k < 3; k++)
		if (joblog_line_parse(line, len, order[k], out, &ignored) == 0) {
			*why = NULL;
			return (int)order[k];
		}
	return -EINVAL;
}

int joblog_header_layout(const char *line, size_t len)
{
	/* by length: a NUL in the header line must not end the comparison
	 * (and hide the bytes after it, a task's line, say) */
	if (len == sizeof(JOBLOG_HEADER) - 1 && memcmp(line, JOBLOG_HEADER, len) == 0)
		return JOBLOG_V2;
	if (len == sizeof(JOBLOG_HEADER_V1) - 1 && memcmp(line, JOBLOG_HEADER_V1, len) == 0)
		return JOBLOG_V1;
	if (len == sizeof(JOBLOG_HEADER_PARALLEL) - 1 &&
	    memcmp(line, JOBLOG_HEADER_PARALLEL, len) == 0)
		return JOBLOG_PARALLEL;
	return 0;
}
