/*
 * util.h: small helpers both programs share: clocks, number parsing, and the
 * one message family every program reports through.
 */
#ifndef ONESHOT_SHM_UTIL_H
#define ONESHOT_SHM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

int64_t os_now_real_ns(void);
int64_t os_now_mono_ns(void);

/* "2026-11-21T19:40:01.123456Z" for a CLOCK_REALTIME time; BUF >= 32. */
void os_format_iso8601(char *buf, size_t len, int64_t real_ns);

/*
 * Parse a duration in seconds ("30", "0.25") into milliseconds, within
 * [min_ms, max_ms].  Returns 0 or -EINVAL.
 */
int os_parse_seconds(const char *text, uint64_t min_ms, uint64_t max_ms, uint64_t *ms);

/* Parse a whole decimal number within [min, max].  Returns 0 or -EINVAL. */
int os_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out);

/* The program name used as message prefix; set once at the top of main. */
void os_msg_init(const char *progname);
const char *os_msg_prog(void);

/* "PROG: warning: ..." on stderr. */
void os_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROG: warning: ...: strerror(-err)". */
void os_warn_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "PROG: error: ..." on stderr, then exit(status). */
noreturn void os_die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "PROG: error: ...: strerror(-err)", then exit(status). */
noreturn void os_die_err(int status, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
