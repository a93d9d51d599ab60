/*
 * cause.c: how a task's end and its command are worded for people, the same
 * in the end-of-run report, syslog and oneshot-ps --merge.
 */
#include <stdio.h>
#include <string.h>

#include "fmt/cause.h"
#include "shm/state.h"

void fmt_elapsed(char *buf, size_t len, int64_t ns, int tenths)
{
	int64_t s;

	if (ns < 0)
		ns = 0;
	if (tenths && ns < INT64_C(9950000000)) {
		snprintf(buf, len, "%.1fs", (double)ns / 1e9);
		return;
	}
	s = ns / 1000000000;
	if (s < 60)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, len, "%lldh%02lldm%02llds", (long long)(s / 3600),
			 (long long)(s / 60 % 60), (long long)(s % 60));
}


void fmt_shown_text(char *buf, size_t len, const char *cmd, size_t max)
{
	const unsigned char *p;
	size_t total = 0, keep, chars = 0, n = 0;
	int cut;

	for (p = (const unsigned char *)cmd; *p; p++)
		total += (*p & 0xc0) != 0x80;
	keep = total <= max ? total : max - 3;
	cut = keep < total;
	for (p = (const unsigned char *)cmd; *p; p++) {
		if ((*p & 0xc0) != 0x80 && chars++ == keep)
			break;
		if (n + 4 >= len) {
			cut = 1; /* not UTF-8 at all: bytes, not characters, run out */
			break;
		}
		buf[n++] = *p < 0x20 || *p == 0x7f ? '?' : (char)*p;
	}
	buf[n] = '\0';
	if (cut)
		strcpy(buf + n, "...");
}

void fmt_cause(char *buf, size_t len, const struct os_slot_view *v, int detail)
{
	const char *why = os_reason_name(v->reason);
	char msg[OS_MESSAGE_MAX * 4 + 8] = "";

	if (v->state == OS_INTERRUPTED) {
		snprintf(buf, len, "%s", why ? why : "no reason recorded");
	} else if (v->exit_code < 0 && !v->term_signal) {
		if (detail)
			fmt_shown_text(msg, sizeof(msg), v->message, OS_MESSAGE_MAX);
		snprintf(buf, len, "%s%s%s", why ? why : "no exit status", msg[0] ? ": " : "", msg);
	} else if (v->term_signal > 0) {
		const char *abbrev = sigabbrev_np(v->term_signal);
		if (abbrev)
			snprintf(buf, len, "SIG%s", abbrev);
		else
			snprintf(buf, len, "signal %d", v->term_signal);
	} else {
		snprintf(buf, len, "exit %d", v->exit_code);
	}
	if (v->attempt > 1) { /* --retries: which attempt ended so */
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, ", attempt %u", v->attempt);
	}
}
