/*
 * syslogger.c: --syslog (see syslogger.h).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "report.h"
#include "run.h"
#include "state.h"
#include "syslogger.h"
#include "util.h"

static int opened;

/* TEXT for a log line: control characters as '?', cut to MAX characters
 * (UTF-8 sequences kept whole) with "..." when cut. */
static void sanitize(char *buf, size_t len, const char *text, size_t max)
{
	const unsigned char *p;
	size_t total = 0, keep, chars = 0, n = 0;
	int cut;

	for (p = (const unsigned char *)text; *p; p++)
		total += (*p & 0xc0) != 0x80;
	keep = total <= max ? total : max - 3;
	cut = keep < total;
	for (p = (const unsigned char *)text; *p; p++) {
		if ((*p & 0xc0) != 0x80 && chars++ == keep)
			break;
		if (n + 4 >= len) {
			cut = 1;
			break;
		}
		buf[n++] = *p < 0x20 || *p == 0x7f ? '?' : (char)*p;
	}
	buf[n] = '\0';
	if (cut)
		strcpy(buf + n, "...");
}

void syslogger_start(struct run *r)
{
	const struct os_header *h = r->table->hdr;

	if (!r->opt->use_syslog)
		return;
	/* Before any worker is forked.  The ident must outlive the run: the
	 * option's string is argv's or a literal. */
	openlog(r->opt->name, LOG_PID | LOG_NDELAY, LOG_USER);
	opened = 1;
	syslog(LOG_INFO, "run started: %u tasks, cap %u, pid %d, log dir %s", h->slot_count,
	       h->cap, (int)getpid(), r->opt->log_dir);
}

/* Why V did not complete: "exit 2", "SIGKILL", "timeout",
 * "worker-lost: worker killed by signal 9". */
static void cause(char *buf, size_t len, const struct os_slot_view *v)
{
	const char *why = os_reason_name(v->reason);
	char msg[OS_MESSAGE_MAX * 4 + 8];

	if (v->state == OS_INTERRUPTED) {
		snprintf(buf, len, "%s", why ? why : "no reason recorded");
	} else if (v->exit_code < 0 && !v->term_signal) {
		sanitize(msg, sizeof(msg), v->message, OS_MESSAGE_MAX);
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
}

void syslogger_task_end(struct run *r, uint32_t i, const struct os_slot_view *v)
{
	char why[OS_MESSAGE_MAX * 4 + 64], cmd[SYSLOGGER_CMD_MAX * 4 + 8];

	if (!opened || (v->state != OS_FAILED && v->state != OS_INTERRUPTED))
		return;
	cause(why, sizeof(why), v);
	sanitize(cmd, sizeof(cmd), r->tasks->cmds[i], SYSLOGGER_CMD_MAX);
	syslog(LOG_WARNING, "task %u %s (%s): %s", v->id, os_state_name(v->state), why, cmd);
}

void syslogger_finish(struct run *r, int status)
{
	const struct os_header *h = r->table->hdr;
	char took[32];

	if (!opened)
		return;
	report_duration(took, sizeof(took), atomic_load(&h->end_mono_ns) - h->start_mono_ns, 1);
	syslog(LOG_INFO, "run ended: exit status %d, %u tasks: %u completed, %u failed, %u interrupted, "
	       "%u not started, in %s",
	       status, h->slot_count, atomic_load(&h->counts[OS_COMPLETED]),
	       atomic_load(&h->counts[OS_FAILED]), atomic_load(&h->counts[OS_INTERRUPTED]),
	       atomic_load(&h->counts[OS_CREATED]), took);
	closelog();
	opened = 0;
}
