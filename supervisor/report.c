/*
 * report.c: the summary line and failure list printed when a run ends.  A
 * listed task that ended while waiting for input says so, with its prompt:
 *   task 4 INTERRUPTED (idle-timeout, waiting for input: "Continue? [y/N]"): ...
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fmt/cause.h"
#include "supervisor/report.h"
#include "shm/slot.h"
#include "shm/state.h"
#include "shm/util.h"

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

/* fmt_cause's words for a task's end ("exit 2, attempt 3"), NUL included. */
#define CAUSE_MAX 48
/* A prompt in the list is cut to this many characters. */
#define PROMPT_SHOWN_MAX 40
/* ", waiting for input: \"PROMPT\"" at most, NUL included. */
#define PROMPT_TEXT_MAX (PROMPT_SHOWN_MAX * 4 + 40)

/*
 * What a listed task's parentheses say after its cause: that it ended while
 * waiting for input (the slot still says so), with the prompt it showed,
 * made safe and cut: ", waiting for input: \"Continue? [y/N]\"".
 */
static void waiting_text(char *buf, size_t len, const struct os_slot_view *v)
{
	char prompt[PROMPT_SHOWN_MAX * 4 + 8];

	buf[0] = '\0';
	if (v->waiting_mono_ns == 0)
		return;
	fmt_shown_text(prompt, sizeof(prompt), v->message, PROMPT_SHOWN_MAX);
	if (prompt[0])
		snprintf(buf, len, ", waiting for input: \"%s\"", prompt);
	else
		snprintf(buf, len, ", waiting for input");
}

/* The tasks a report names, found in one pass that stops as soon as it has
 * them: the first FAILED, the first INTERRUPTED, the first LIST_MAX of
 * either. */
struct findings {
	struct os_slot_view first_failed, first_interrupted;
	int have_failed, have_interrupted;
	uint32_t listed[FMT_REPORT_LIST_MAX];
	char causes[FMT_REPORT_LIST_MAX][CAUSE_MAX + PROMPT_TEXT_MAX];
	uint32_t states[FMT_REPORT_LIST_MAX];
	uint32_t nlisted;
};

static void find(const struct run *r, uint32_t failed, uint32_t interrupted, struct findings *f)
{
	uint32_t total = r->table->hdr->slot_count;
	uint32_t listable = failed + interrupted < FMT_REPORT_LIST_MAX ? failed + interrupted
								   : FMT_REPORT_LIST_MAX;

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
		if (f->nlisted < FMT_REPORT_LIST_MAX) {
			char *cause = f->causes[f->nlisted];
			size_t n;

			f->listed[f->nlisted] = i;
			f->states[f->nlisted] = v.state;
			fmt_cause(cause, CAUSE_MAX, &v, 0);
			n = strlen(cause);
			waiting_text(cause + n, sizeof(f->causes[0]) - n, &v);
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
	char line[512], why[48], took[32], cmd[FMT_REPORT_CMD_MAX * 4 + 8];
	size_t n = 0;
	uint32_t len;

	if ((status == 0 && !isatty(2)) || os_table_tasks(h) == 0)
		return; /* quiet on success; nothing to say of no task */
	find(r, failed, interrupted, &f);
	fmt_elapsed(took, sizeof(took), (end ? end : os_now_mono_ns()) - h->start_mono_ns, 1);
	add(line, sizeof(line), &n, "%s: %s: %u completed, %u failed", os_msg_prog(), h->name,
	    completed, failed);
	if (f.have_failed) {
		fmt_cause(why, sizeof(why), &f.first_failed, 0);
		add(line, sizeof(line), &n, " (task %u: %s)", f.first_failed.id, why);
	}
	add(line, sizeof(line), &n, ", %u interrupted", interrupted);
	if (f.have_interrupted) {
		fmt_cause(why, sizeof(why), &f.first_interrupted, 0);
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
		/* The table's copy: a queue's own is freed once its task ended. */
		const char *text = os_slot_command(r->table, os_table_slot(r->table, f.listed[k]),
						   &len);

		fmt_shown_text(cmd, sizeof(cmd), text ? text : "?", FMT_REPORT_CMD_MAX);
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
