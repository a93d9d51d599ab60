/*
 * json.c: JSON escaping and value writers.  Speed matters
 * (100,000 tasks in well under a second), so strings go out in runs of
 * bytes that need no escaping, and integers are formatted by hand.
 */
#include <string.h>

#include "fmt/fmt.h"
#include "fmt/json.h"

/* Escape of byte C when it is ASCII and needs one, else NULL. */
static const char *ascii_escape(unsigned char c, char tmp[8])
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\t':
		return "\\t";
	case '\r':
		return "\\r";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	default:
		break;
	}
	if (c >= 0x20 && c != 0x7f)
		return NULL;
	memcpy(tmp, "\\u00", 4);
	tmp[4] = hex[c >> 4];
	tmp[5] = hex[c & 15];
	tmp[6] = '\0';
	return tmp;
}

/*
 * Feed the escaped form of SRC to EMIT in pieces.  One walker for both the
 * buffer and the stream writer, so they can never disagree.
 */
typedef void emit_fn(void *ctx, const char *p, size_t n);

static void escape_walk(const char *src, size_t len, emit_fn *emit, void *ctx)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, run = 0;
	char tmp[8];

	while (i < len) {
		unsigned char c = s[i];
		const char *esc = NULL;
		size_t n = 1;

		if (c < 0x80) {
			esc = ascii_escape(c, tmp);
		} else {
			uint32_t cp;

			n = fmt_utf8_next(s + i, len - i, &cp);
			if (n == 0) {
				esc = "\\ufffd";
				n = 1;
			} else if (cp == 0x2028) {
				esc = "\\u2028";
			} else if (cp == 0x2029) {
				esc = "\\u2029";
			}
		}
		if (esc) {
			if (i > run)
				emit(ctx, src + run, i - run);
			emit(ctx, esc, strlen(esc));
			run = i + n;
		}
		i += n;
	}
	if (len > run)
		emit(ctx, src + run, len - run);
}

static void emit_buf(void *ctx, const char *p, size_t n)
{
	char **dst = ctx;

	memcpy(*dst, p, n);
	*dst += n;
}

size_t fmt_json_escape(char *dst, const char *src, size_t len)
{
	char *p = dst;

	escape_walk(src, len, emit_buf, &p);
	*p = '\0';
	return (size_t)(p - dst);
}

static void emit_file(void *ctx, const char *p, size_t n)
{
	fwrite_unlocked(p, 1, n, ctx);
}

void fmt_json_string(FILE *f, const char *src, size_t len)
{
	putc_unlocked('"', f);
	escape_walk(src, len, emit_file, f);
	putc_unlocked('"', f);
}

void fmt_json_cstr(FILE *f, const char *s)
{
	if (s)
		fmt_json_string(f, s, strlen(s));
	else
		fputs_unlocked("null", f);
}

void fmt_json_u64(FILE *f, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite_unlocked(p, 1, (size_t)(buf + sizeof(buf) - p), f);
}

void fmt_json_i64(FILE *f, int64_t v)
{
	if (v < 0) {
		putc_unlocked('-', f);
		fmt_json_u64(f, (uint64_t)0 - (uint64_t)v);
	} else {
		fmt_json_u64(f, (uint64_t)v);
	}
}

void fmt_json_key(FILE *f, const char *key, int first)
{
	if (!first)
		putc_unlocked(',', f);
	putc_unlocked('"', f);
	fputs_unlocked(key, f);
	fputs_unlocked("\":", f);
}
