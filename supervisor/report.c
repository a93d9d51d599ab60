/*
 * report.c: the summary line and failure list printed when a run ends.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "slot.h"
#include "state.h"
#include "util.h"

void report_duration(char *buf, size_t len, int64_t ns, int tenths)
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


void report_shown_text(char *buf, size_t len, const char *cmd, size_t max)
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

void report_cause(char *buf, size_t len, const struct os_slot_view *v, int detail)
{
	const char *why = os_reason_name(v->reason);
	char msg[OS_MESSAGE_MAX * 4 + 8] = "";

	if (v->state == OS_INTERRUPTED) {
		snprintf(buf, len, "%s", why ? why : "no reason recorded");
	} else if (v->exit_code < 0 && !v->term_signal) {
		if (detail)
			report_shown_text(msg, sizeof(msg), v->message, OS_MESSAGE_MAX);
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

/* Append to the line BUF of LEN bytes that holds *N; cut at its end. */
__attribute__((format(printf, 4, 5)))
static void add(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n >= len - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n = *n + (size_t)k < len - 1 ? *n + (size_t)k : len - 1;
}

/* The tasks a report names, found in one pass that stops as soon as it has
 * them: the first FAILED, the first INTERRUPTED, the first LIST_MAX of
 * either. */
struct findings {
	struct os_slot_view first_failed, first_interrupted;
	int have_failed, have_interrupted;
	uint32_t listed[REPORT_LIST_MAX];
	char causes[REPORT_LIST_MAX][48];
	uint32_t states[REPORT_LIST_MAX];
	uint32_t nlisted;
};

static void find(const struct run *r, uint32_t failed, uint32_t interrupted, struct findings *f)
{
	uint32_t total = r->table->hdr->slot_count;
	uint32_t listable = failed + interrupted < REPORT_LIST_MAX ? failed + interrupted
								   : REPORT_LIST_MAX;

	for (uint32_t i = 0; i < total; i++) {
		struct os_slot_view v;

		if (f->nlisted == listable && (f->have_failed || !failed) &&
		    (f->have_interrupted || !interrupted))
			return;
		if (os_slot_snapshot(os_table_slot(r->table, i), &v))
			continue;
		if (v.state != OS_FAILED && v.state != OS_INTERRUPTED)
			continue;
		if (v.state == OS_FAILED && !f->have_failed) {
			f->first_failed = v;
			f->have_failed = 1;
		}
		if (v.state == OS_INTERRUPTED && !f->have_interrupted) {
			f->first_interrupted = v;
			f->have_interrupted = 1;
		}
		if (f->nlisted < REPORT_LIST_MAX) {
			f->listed[f->nlisted] = i;
			f->states[f->nlisted] = v.state;
			report_cause(f->causes[f->nlisted], sizeof(f->causes[0]), &v, 0);
			f->nlisted++;
		}
	}
}

void report_print(const struct run *r, int status)
{
	const struct os_header *h = r->table->hdr;
	uint32_t completed = atomic_load(&h->counts[OS_COMPLETED]);
	uint32_t failed = atomic_load(&h->counts[OS_FAILED]);
	uint32_t interrupted = atomic_load(&h->counts[OS_INTERRUPTED]);
	uint32_t not_started = atomic_load(&h->counts[OS_CREATED]);
	int64_t end = atomic_load(&h->end_mono_ns);
	struct findings f = { .nlisted = 0 };
	char line[512], why[48], took[32], cmd[REPORT_CMD_MAX * 4 + 8];
	size_t n = 0;

	if (status == 0 && !isatty(2))
		return; /* quiet on success */
	find(r, failed, interrupted, &f);
	report_duration(took, sizeof(took), (end ? end : os_now_mono_ns()) - h->start_mono_ns, 1);
	add(line, sizeof(line), &n, "%s: %s: %u completed, %u failed", os_msg_prog(), h->name,
	    completed, failed);
	if (f.have_failed) {
		report_cause(why, sizeof(why), &f.first_failed, 0);
		add(line, sizeof(line), &n, " (task %u: %s)", f.first_failed.id, why);
	}
	add(line, sizeof(line), &n, ", %u interrupted", interrupted);
	if (f.have_interrupted) {
		report_cause(why, sizeof(why), &f.first_interrupted, 0);
		add(line, sizeof(line), &n, " (task %u: %s)", f.first_interrupted.id, why);
	}
	if (not_started)
		add(line, sizeof(line), &n, ", %u not started", not_started);
	if (r->retried)
		add(line, sizeof(line), &n, ", %u retr%s", r->retried, r->retried == 1 ? "y" : "ies");
	if (r->log_errors)
		add(line, sizeof(line), &n, ", %u job-log line%s lost", r->log_errors,
		    r->log_errors == 1 ? "" : "s");
	add(line, sizeof(line), &n, " in %s", took);
	fprintf(stderr, "%s\n", line);
	for (uint32_t k = 0; k < f.nlisted; k++) {
		report_shown_text(cmd, sizeof(cmd), r->tasks->cmds[f.listed[k]], REPORT_CMD_MAX);
		/* The slot's id: a resumed run keeps its tasks' original numbers. */
		fprintf(stderr, "  task %u %s (%s): %s\n",
			os_table_slot(r->table, f.listed[k])->id,
			os_state_name(f.states[k]), f.causes[k], cmd);
	}
	if (failed + interrupted > f.nlisted)
		fprintf(stderr, "  ... and %u more: see %s/joblog\n",
			failed + interrupted - f.nlisted, r->opt->log_dir);
	fflush(stderr);
}
