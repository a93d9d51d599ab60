/*
 * json.h: JSON text for every program's --json: string escaping that yields valid
 * JSON (and valid UTF-8) for any bytes, and small value writers on a stdio
 * stream.  The writers never fail by themselves; the caller checks the
 * stream with ferror() once at the end.
 */
#ifndef ONESHOT_PS_JSON_H
#define ONESHOT_PS_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Bytes fmt_json_escape may need for LEN input bytes, NUL included. */
#define FMT_JSON_ESCAPED_MAX(len) ((len) * 6 + 1)

/*
 * Write the inside of a JSON string for LEN bytes of SRC into DST (room for
 * FMT_JSON_ESCAPED_MAX(LEN) bytes), NUL-terminated.  '"' and '\' are
 * backslash-escaped; control characters become \n, \t, \r, \b, \f or \u00XX;
 * DEL and U+2028/U+2029 become \u escapes; each byte that does not belong to
 * a well-formed UTF-8 sequence becomes \ufffd; other UTF-8 is copied as is.
 * Returns the length written.
 */
size_t fmt_json_escape(char *dst, const char *src, size_t len);

/* Write LEN bytes of SRC to F as a quoted JSON string, escaped as above. */
void fmt_json_string(FILE *f, const char *src, size_t len);

/* Same for a NUL-terminated string; NULL writes null. */
void fmt_json_cstr(FILE *f, const char *s);

/* Write a decimal integer. */
void fmt_json_u64(FILE *f, uint64_t v);
void fmt_json_i64(FILE *f, int64_t v);

/* Write "KEY": (KEY is a plain literal that needs no escaping), after a
 * comma unless FIRST. */
void fmt_json_key(FILE *f, const char *key, int first);

#endif
