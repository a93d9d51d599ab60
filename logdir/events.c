/*
 * events.c: a reader for the event log's flat JSON objects, on the cursor
 * of jsonread.c.  It accepts any valid JSON object whose members are
 * strings, numbers, true, false or null, and refuses anything else, so a
 * torn or foreign line is skipped, never half-used.
 */
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "fmt/fmt.h"
#include "logdir/events.h"
#include "logdir/jsonread.h"

enum { HAVE_TIME = 1, HAVE_RUN = 2, HAVE_TASK = 4, HAVE_EVENT = 8, HAVE_FROM = 16, HAVE_TO = 32 };

/* One member's value, stored when KEY is one of ours. */
static int parse_member(struct logdir_json *c, const char *key, struct events_line *ev,
			unsigned *have)
{
	static const struct {
		const char *key;
		size_t off, len;
		unsigned bit;
	} strs[] = {
		{ "time", offsetof(struct events_line, time), sizeof(ev->time), HAVE_TIME },
		{ "run", offsetof(struct events_line, run), sizeof(ev->run), HAVE_RUN },
		{ "event", offsetof(struct events_line, event), sizeof(ev->event), HAVE_EVENT },
		{ "from", offsetof(struct events_line, from), sizeof(ev->from), HAVE_FROM },
		{ "to", offsetof(struct events_line, to), sizeof(ev->to), HAVE_TO },
		{ "reason", offsetof(struct events_line, reason), sizeof(ev->reason), 0 },
	};
	long long v;

	if (logdir_json_next_is(c, '"')) {
		for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
			if (strcmp(key, strs[i].key) == 0) {
				*have |= strs[i].bit;
				return logdir_json_string_copy(c, (char *)ev + strs[i].off,
							       strs[i].len);
			}
		}
		return logdir_json_string_copy(c, NULL, 0); /* someone else's member */
	}
	if (strcmp(key, "task") == 0) {
		if (logdir_json_integer(c, 0, UINT32_MAX, &v))
			return -1;
		ev->task = (uint32_t)v;
		*have |= HAVE_TASK;
		return 0;
	}
	/* Flat: objects and arrays are refused.  null leaves a member unset:
	 * "reason" stays "", the others are missing. */
	if (logdir_json_next_is(c, '{') || logdir_json_next_is(c, '['))
		return -1;
	return logdir_json_skip(c, 0);
}

int events_parse_line(const char *line, size_t len, struct events_line *ev)
{
	struct logdir_json c = logdir_json_over(line, len);
	unsigned have = 0;
	char key[64];

	memset(ev, 0, sizeof(*ev));
	if (logdir_json_expect(&c, '{'))
		return -EINVAL;
	if (!logdir_json_literal(&c, "}")) {
		do {
			if (logdir_json_string_copy(&c, key, sizeof(key)) ||
			    logdir_json_expect(&c, ':') || parse_member(&c, key, ev, &have))
				return -EINVAL;
		} while (logdir_json_literal(&c, ","));
		if (logdir_json_expect(&c, '}'))
			return -EINVAL;
	}
	if (!logdir_json_at_end(&c))
		return -EINVAL;
	if (have != (HAVE_TIME | HAVE_RUN | HAVE_TASK | HAVE_EVENT | HAVE_FROM | HAVE_TO))
		return -EINVAL;
	return fmt_iso8601_parse(ev->time, &ev->time_ns);
}
