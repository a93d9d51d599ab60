/*
 * fmt.c: human units, durations, timestamps, signal names and
 * terminal-safe text for oneshot-ps.  Pure functions over caller buffers.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "fmt/fmt.h"

size_t fmt_bytes(char *buf, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	uint64_t unit = 1024, whole, rest;
	unsigned u = 0;

	if (bytes < 1024)
		return (size_t)snprintf(buf, FMT_BYTES_MAX, "%u", (unsigned)bytes);
	while (u < 5 && bytes / unit >= 1024) {
		unit <<= 10;
		u++;
	}
	whole = bytes / unit;
	rest = bytes % unit;
	if (whole < 10) {
		/* ceil(rest * 10 / unit), in 128 bits: unit may be 2^60. */
		unsigned tenths = (unsigned)(((unsigned __int128)rest * 10 + unit - 1) / unit);

		if (tenths == 10) {
			whole++;
			tenths = 0;
		}
		if (whole < 10)
			return (size_t)snprintf(buf, FMT_BYTES_MAX, "%u.%u%c",
						(unsigned)whole, tenths, units[u]);
	} else if (rest) {
		whole++;
	}
	if (whole >= 1024 && u < 5) /* 1023.2K rounds up to 1024K: say 1.0M */
		return (size_t)snprintf(buf, FMT_BYTES_MAX, "1.0%c", units[u + 1]);
	return (size_t)snprintf(buf, FMT_BYTES_MAX, "%u%c", (unsigned)whole, units[u]);
}

size_t fmt_duration(char *buf, int64_t ns)
{
	int64_t s;

	if (ns < 0)
		return (size_t)snprintf(buf, FMT_DURATION_MAX, "-");
	s = ns / 1000000000;
	if (s < 10)
		return (size_t)snprintf(buf, FMT_DURATION_MAX, "%d.%ds", (int)s,
					(int)(ns / 100000000 % 10));
	if (s < 60)
		return (size_t)snprintf(buf, FMT_DURATION_MAX, "%ds", (int)s);
	if (s < 3600)
		return (size_t)snprintf(buf, FMT_DURATION_MAX, "%dm%02ds", (int)(s / 60),
					(int)(s % 60));
	if (s < 86400)
		return (size_t)snprintf(buf, FMT_DURATION_MAX, "%dh%02dm", (int)(s / 3600),
					(int)(s / 60 % 60));
	return (size_t)snprintf(buf, FMT_DURATION_MAX, "%lldd%02dh", (long long)(s / 86400),
				(int)(s / 3600 % 24));
}

/* Decimal digits of V into BUF, returning the length (no NUL). */
static size_t put_u64(char *buf, uint64_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

size_t fmt_seconds(char *buf, int64_t ns)
{
	int64_t ms = ns > 0 ? ns / 1000000 : 0;
	size_t n = put_u64(buf, (uint64_t)(ms / 1000));
	unsigned frac = (unsigned)(ms % 1000);

	/* "12", "12.5", "12.25", "12.125": no trailing zeros. */
	if (frac) {
		buf[n++] = '.';
		buf[n++] = (char)('0' + frac / 100);
		if (frac % 100) {
			buf[n++] = (char)('0' + frac / 10 % 10);
			if (frac % 10)
				buf[n++] = (char)('0' + frac % 10);
		}
	}
	buf[n] = '\0';
	return n;
}

/* Split NS into whole seconds and milliseconds, flooring negatives. */
static void split_ns(int64_t ns, time_t *secs, int *ms)
{
	int64_t s = ns / 1000000000, rem = ns % 1000000000;

	if (rem < 0) {
		s--;
		rem += 1000000000;
	}
	*secs = (time_t)s;
	*ms = (int)(rem / 1000000);
}

size_t fmt_iso8601(char *buf, int64_t real_ns)
{
	/* Tables hold many stamps of the same day: the calendar date is worked
	 * out once per day, the time of day by arithmetic (Unix time has no
	 * leap seconds, so every day is 86400 s). */
	static int64_t last_day = INT64_MIN;
	static char date[24];
	int64_t day, tod;
	struct tm tm;
	time_t secs;
	int ms;
	char *p = buf + 10;

	split_ns(real_ns, &secs, &ms);
	day = (int64_t)secs / 86400;
	tod = (int64_t)secs % 86400;
	if (tod < 0) {
		tod += 86400;
		day--;
	}
	if (day != last_day) {
		time_t midnight = (time_t)(day * 86400);

		if (!gmtime_r(&midnight, &tm))
			memset(&tm, 0, sizeof(tm));
		snprintf(date, sizeof(date), "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000,
			 tm.tm_mon + 1, tm.tm_mday);
		last_day = day;
	}
	memcpy(buf, date, 10);
	*p++ = 'T';
	*p++ = (char)('0' + tod / 36000);
	*p++ = (char)('0' + tod / 3600 % 10);
	*p++ = ':';
	*p++ = (char)('0' + tod / 600 % 6);
	*p++ = (char)('0' + tod / 60 % 10);
	*p++ = ':';
	*p++ = (char)('0' + tod % 60 / 10);
	*p++ = (char)('0' + tod % 10);
	*p++ = '.';
	*p++ = (char)('0' + ms / 100);
	*p++ = (char)('0' + ms / 10 % 10);
	*p++ = (char)('0' + ms % 10);
	*p++ = 'Z';
	*p = '\0';
	return (size_t)(p - buf);
}

size_t fmt_localtime(char *buf, int64_t real_ns)
{
	struct tm tm;
	time_t secs;
	int ms;

	split_ns(real_ns, &secs, &ms);
	if (!localtime_r(&secs, &tm))
		memset(&tm, 0, sizeof(tm));
	return (size_t)snprintf(buf, FMT_TIME_MAX, "%04d-%02d-%02d %02d:%02d:%02d",
				tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
				tm.tm_min, tm.tm_sec);
}

const char *fmt_signal_name(int sig, char *buf)
{
	static const char *const names[] = {
		[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
		[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
		[SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL",
		[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
		[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
		[SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
		[SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN",
		[SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG", [SIGXCPU] = "SIGXCPU",
		[SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
		[SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR",
		[SIGSYS] = "SIGSYS",
	};

	if (sig > 0 && (size_t)sig < sizeof(names) / sizeof(names[0]) && names[sig])
		return names[sig];
	if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
		if (sig == SIGRTMIN)
			return "SIGRTMIN";
		if (sig == SIGRTMAX)
			return "SIGRTMAX";
		snprintf(buf, FMT_SIGNAME_MAX, "SIGRTMIN+%d", sig - SIGRTMIN);
		return buf;
	}
	snprintf(buf, FMT_SIGNAME_MAX, "SIG%d", sig);
	return buf;
}

size_t fmt_utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	uint32_t v, min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* Line/paragraph separators and bidi controls: they move or hide text. */
static int layout_control(uint32_t cp)
{
	return cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f;
}

size_t fmt_terminal_text(char *dst, const char *src, size_t len, size_t max_cols, int utf8)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, cols = 0;

	while (i < len) {
		uint32_t cp = s[i];
		size_t n = utf8 ? fmt_utf8_next(s + i, len - i, &cp) : 1;
		int safe = n > 0 && cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0) &&
			   (utf8 || cp < 0x80) && !layout_control(cp);
		int w = 1;

		if (safe && cp >= 0x80) {
			w = wcwidth((wchar_t)cp);
			if (w < 0)
				w = 1;
		}
		if (max_cols && cols + (size_t)w > max_cols)
			break;
		if (safe) {
			memcpy(dst + o, s + i, n);
			o += n;
		} else {
			/* Not displayable as is: one '?' for the code point, or for
			 * the byte when it starts no well-formed sequence. */
			dst[o++] = '?';
			if (n == 0)
				n = 1;
		}
		cols += (size_t)w;
		i += n;
	}
	dst[o] = '\0';
	return o;
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

int fmt_digits(uint64_t v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}
