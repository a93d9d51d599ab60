/*
 * fmt.h: pure formatting helpers for people: human byte units,
 * durations, timestamps, signal names, UTF-8 decoding and text made safe for
 * a terminal.  No I/O, no global state; unit-tested in tests/check_ps.c.
 */
#ifndef ONESHOT_PS_FORMAT_H
#define ONESHOT_PS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define FMT_BYTES_MAX 16    /* "1023", "1.5K", "16E" */
#define FMT_DURATION_MAX 24 /* "9.9s", "59m59s", "106751d23h" */
#define FMT_TIME_MAX 40     /* "2024-05-01T12:00:00.123Z" */
#define FMT_SIGNAME_MAX 16      /* "SIGRTMIN+15", "SIG200" */

/*
 * Byte count in IEC units like ls -h: plain below 1024, then K, M, G, T, P, E
 * with one decimal below 10 and none from 10 on, rounded up so a size is never
 * understated.  Returns the length written to BUF (FMT_BYTES_MAX bytes).
 */
size_t fmt_bytes(char *buf, uint64_t bytes);

/*
 * Duration NS (nanoseconds) for a column: "0.4s" and "9.9s" below 10 s, then
 * "42s", "3m07s", "2h05m", "3d04h"; always rounded down.  A negative value
 * gives "-".  Returns the length written to BUF (FMT_DURATION_MAX bytes).
 */
size_t fmt_duration(char *buf, int64_t ns);

/*
 * Seconds as a JSON number with millisecond precision ("0.5", "12", "3.25");
 * negative values give "0".  Returns the length written (FMT_DURATION_MAX).
 */
size_t fmt_seconds(char *buf, int64_t ns);

/*
 * CLOCK_REALTIME nanoseconds as ISO 8601 UTC with milliseconds
 * ("2024-05-01T12:00:00.123Z").  Returns the length (FMT_TIME_MAX bytes).
 */
size_t fmt_iso8601(char *buf, int64_t real_ns);

/*
 * Parse an ISO 8601 UTC stamp "YYYY-MM-DDTHH:MM:SS[.fraction]Z" into
 * nanoseconds since the epoch.  Returns 0 or -EINVAL.
 */
int fmt_iso8601_parse(const char *text, int64_t *ns);

/* Local time "2024-05-01 14:00:00" for a human column; returns the length. */
size_t fmt_localtime(char *buf, int64_t real_ns);

/*
 * Name of signal SIG: "SIGTERM", "SIGRTMIN+3", or "SIG<n>" for a number
 * without a name.  Returns BUF (FMT_SIGNAME_MAX bytes) or a static string.
 */
const char *fmt_signal_name(int sig, char *buf);

/*
 * Length (1-4) of the well-formed UTF-8 sequence at S (LEN bytes available),
 * storing its code point in *CP, or 0 when S does not start one (stray
 * continuation byte, overlong form, surrogate, beyond U+10FFFF, cut short).
 */
size_t fmt_utf8_next(const unsigned char *s, size_t len, uint32_t *cp);

/*
 * Copy LEN bytes of SRC to DST (room for LEN + 1 bytes), NUL-terminated, so
 * that a terminal only displays it: control characters (C0, DEL, and C1 when
 * UTF8), line separators, bidi controls, bytes that are not well-formed UTF-8
 * and, unless UTF8, every byte above 0x7f become '?' (one per code point,
 * or per byte when not UTF-8).  When MAX_COLS is
 * not 0 the text is cut to that many columns (a code point counts as the
 * columns wcwidth gives it in the current locale, at least 1 when
 * printable).  Returns the bytes written.
 */
size_t fmt_terminal_text(char *dst, const char *src, size_t len, size_t max_cols, int utf8);

/* Decimal digits of V (1 for 0): a column's width. */
int fmt_digits(uint64_t v);

#endif
