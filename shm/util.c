/*
 * util.c: clocks, number parsing and messages.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shm/util.h"

static const char *prog = "oneshot";

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t os_now_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int64_t os_now_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

void os_format_iso8601(char *buf, size_t len, int64_t real_ns)
{
	time_t secs = (time_t)(real_ns / 1000000000);
	struct tm tm;

	/* Not strftime: it calls tzset, which re-reads /etc/localtime in every
	 * worker that logs an event. */
	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long)(real_ns % 1000000000 / 1000));
}

int os_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int os_parse_seconds(const char *text, uint64_t min_ms, uint64_t max_ms, uint64_t *ms)
{
	char *end;
	double v;

	/* Only plain decimal: no sign, hex, exponent, inf or nan. */
	if (text[0] == '\0' || strspn(text, "0123456789.") != strlen(text) ||
	    strchr(text, '.') != strrchr(text, '.') || strcmp(text, ".") == 0)
		return -EINVAL;
	errno = 0;
	v = strtod(text, &end);
	if (errno || *end != '\0' || !isfinite(v))
		return -EINVAL;
	v = round(v * 1000.0);
	if (v < (double)min_ms || v > (double)max_ms)
		return -EINVAL;
	*ms = (uint64_t)v;
	return 0;
}

void os_msg_init(const char *progname)
{
	prog = progname;
}

const char *os_msg_prog(void)
{
	return prog;
}

__attribute__((format(printf, 3, 0)))
static void vmsg(const char *kind, int err, const char *fmt, va_list ap)
{
	char line[1024];
	int n = vsnprintf(line, sizeof(line), fmt, ap);

	if (n < 0)
		line[0] = '\0';
	if (err)
		fprintf(stderr, "%s: %s: %s: %s\n", prog, kind, line, strerror(-err));
	else
		fprintf(stderr, "%s: %s: %s\n", prog, kind, line);
}

void os_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning", 0, fmt, ap);
	va_end(ap);
}

void os_warn_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning", err, fmt, ap);
	va_end(ap);
}

void os_die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error", 0, fmt, ap);
	va_end(ap);
	exit(status);
}

void os_die_err(int status, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error", err, fmt, ap);
	va_end(ap);
	exit(status);
}
