/*
 * events.c: a small reader for the event log's flat JSON objects.  It
 * accepts any valid JSON object whose members are strings, numbers, true,
 * false or null, and refuses anything else, so a torn or foreign line is
 * skipped, never half-used.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "logdir/events.h"

struct cursor {
	const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
		c->p++;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * A JSON string at C into OUT (room LEN, NUL-terminated; '?' for escapes
 * beyond ASCII), or only checked when OUT is NULL.  Returns 0, or -EINVAL
 * (malformed or too long).
 */
static int parse_string(struct cursor *c, char *out, size_t len)
{
	size_t o = 0;

	if (c->p >= c->end || *c->p != '"')
		return -EINVAL;
	c->p++;
	while (c->p < c->end && *c->p != '"') {
		char ch = *c->p++;

		if ((unsigned char)ch < 0x20)
			return -EINVAL;
		if (ch == '\\') {
			if (c->p >= c->end)
				return -EINVAL;
			ch = *c->p++;
			switch (ch) {
			case '"': case '\\': case '/':
				break;
			case 'b': ch = '\b'; break;
			case 'f': ch = '\f'; break;
			case 'n': ch = '\n'; break;
			case 'r': ch = '\r'; break;
			case 't': ch = '\t'; break;
			case 'u': {
				int v = 0;

				if (c->end - c->p < 4)
					return -EINVAL;
				for (int i = 0; i < 4; i++) {
					int h = hexval(c->p[i]);

					if (h < 0)
						return -EINVAL;
					v = v * 16 + h;
				}
				c->p += 4;
				ch = v < 0x80 ? (char)v : '?';
				break;
			}
			default:
				return -EINVAL;
			}
		}
		if (!out)
			continue;
		if (o + 1 >= len)
			return -EINVAL;
		out[o++] = ch;
	}
	if (c->p >= c->end)
		return -EINVAL;
	c->p++;
	if (out)
		out[o] = '\0';
	return 0;
}

/* A JSON number; *V gets it when it is a whole number that fits. */
static int parse_number(struct cursor *c, uint64_t *v, int *whole)
{
	const char *start = c->p;

	*v = 0;
	*whole = 1;
	if (c->p < c->end && *c->p == '-') {
		c->p++;
		*whole = 0;
	}
	if (c->p >= c->end || *c->p < '0' || *c->p > '9')
		return -EINVAL;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (*v > (UINT64_MAX - 9) / 10)
			*whole = 0;
		else
			*v = *v * 10 + (uint64_t)(*c->p - '0');
		c->p++;
	}
	while (c->p < c->end && (strchr("0123456789.eE+-", *c->p))) {
		*whole = 0;
		c->p++;
	}
	return c->p > start ? 0 : -EINVAL;
}

static int parse_word(struct cursor *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return -EINVAL;
	c->p += n;
	return 0;
}

enum { HAVE_TIME = 1, HAVE_RUN = 2, HAVE_TASK = 4, HAVE_EVENT = 8, HAVE_FROM = 16, HAVE_TO = 32 };

/* One member's value, stored when KEY is one of ours. */
static int parse_member(struct cursor *c, const char *key, struct events_line *ev, unsigned *have)
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
	uint64_t v;
	int whole;

	if (c->p < c->end && *c->p == '"') {
		for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
			if (strcmp(key, strs[i].key) == 0) {
				*have |= strs[i].bit;
				return parse_string(c, (char *)ev + strs[i].off, strs[i].len);
			}
		}
		return parse_string(c, NULL, 0); /* someone else's member */
	}
	if (c->p < c->end && (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))) {
		if (parse_number(c, &v, &whole))
			return -EINVAL;
		if (strcmp(key, "task") == 0) {
			if (!whole || v > UINT32_MAX)
				return -EINVAL;
			ev->task = (uint32_t)v;
			*have |= HAVE_TASK;
		}
		return 0;
	}
	/* null leaves a member unset: "reason" stays "", the others are missing. */
	if (parse_word(c, "null") == 0 || parse_word(c, "true") == 0 ||
	    parse_word(c, "false") == 0)
		return 0;
	return -EINVAL;
}

int events_parse_line(const char *line, size_t len, struct events_line *ev)
{
	struct cursor c = { line, line + len };
	unsigned have = 0;
	char key[64];

	memset(ev, 0, sizeof(*ev));
	skip_ws(&c);
	if (c.p >= c.end || *c.p++ != '{')
		return -EINVAL;
	skip_ws(&c);
	if (c.p < c.end && *c.p == '}') {
		c.p++;
	} else {
		while (1) {
			skip_ws(&c);
			if (parse_string(&c, key, sizeof(key)))
				return -EINVAL;
			skip_ws(&c);
			if (c.p >= c.end || *c.p++ != ':')
				return -EINVAL;
			skip_ws(&c);
			if (parse_member(&c, key, ev, &have))
				return -EINVAL;
			skip_ws(&c);
			if (c.p < c.end && *c.p == ',') {
				c.p++;
				continue;
			}
			if (c.p < c.end && *c.p == '}') {
				c.p++;
				break;
			}
			return -EINVAL;
		}
	}
	skip_ws(&c);
	if (c.p != c.end)
		return -EINVAL;
	if (have != (HAVE_TIME | HAVE_RUN | HAVE_TASK | HAVE_EVENT | HAVE_FROM | HAVE_TO))
		return -EINVAL;
	return fmt_iso8601_parse(ev->time, &ev->time_ns);
}

/* N digits at *P as a number; advances *P. */
static int take(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -EINVAL;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

int fmt_iso8601_parse(const char *text, int64_t *ns)
{
	const char *p = text;
	int y, mo, d, h, mi, s;
	int64_t frac = 0, scale = 100000000;
	struct tm tm;
	time_t secs;

	if (take(&p, 4, &y) || *p++ != '-' || take(&p, 2, &mo) || *p++ != '-' ||
	    take(&p, 2, &d) || *p++ != 'T' || take(&p, 2, &h) || *p++ != ':' ||
	    take(&p, 2, &mi) || *p++ != ':' || take(&p, 2, &s))
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (p[0] != 'Z' || p[1] != '\0')
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	secs = timegm(&tm);
	*ns = (int64_t)secs * 1000000000 + frac;
	return 0;
}
