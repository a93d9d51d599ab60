/*
 * ps_show_json.c: one run as one JSON document, {"run": {...}, "tasks":
 * [...]}, one task per line so that line tools still work on it.  Every
 * string from the table goes through fmt_json_string, so the document is
 * valid JSON whatever bytes a command line holds.
 */
#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "ps/ps.h"
#include "fmt/fmt.h"
#include "fmt/json.h"
#include "shm/state.h"

static void json_bool(FILE *f, int v)
{
	fputs_unlocked(v ? "true" : "false", f);
}

/* A CLOCK_REALTIME stamp as an ISO 8601 string, or null when 0. */
static void json_time(FILE *f, int64_t real_ns)
{
	char buf[FMT_TIME_MAX];

	if (real_ns <= 0) {
		fputs_unlocked("null", f);
		return;
	}
	putc_unlocked('"', f);
	fwrite_unlocked(buf, 1, fmt_iso8601(buf, real_ns), f);
	putc_unlocked('"', f);
}

/* Seconds (nanoseconds in), or null when negative (unknown). */
static void json_secs(FILE *f, int64_t ns)
{
	char buf[FMT_DURATION_MAX];

	if (ns < 0)
		fputs_unlocked("null", f);
	else
		fwrite_unlocked(buf, 1, fmt_seconds(buf, ns), f);
}

/* Milliseconds setting as seconds, or null when 0 means off. */
static void json_ms(FILE *f, uint32_t ms, int zero_is_null)
{
	if (ms == 0 && zero_is_null)
		fputs_unlocked("null", f);
	else
		json_secs(f, (int64_t)ms * 1000000);
}

static void json_run_state(FILE *f, uint32_t st)
{
	static const char *const names[] = { "starting", "active", "stopping", "done" };

	fmt_json_cstr(f, st < 4 ? names[st] : "unknown");
}

static void json_counts(FILE *f, const struct os_run *r)
{
	putc_unlocked('{', f);
	for (uint32_t s = 0; s < OS_STATE_COUNT; s++) {
		char key[16];
		const char *up = os_state_name(s);
		size_t i;

		for (i = 0; up[i] && i + 1 < sizeof(key); i++)
			key[i] = (char)tolower((unsigned char)up[i]);
		key[i] = '\0';
		fmt_json_key(f, key, s == 0);
		fmt_json_u64(f, r->counts[s]);
	}
	putc_unlocked('}', f);
}

/* null for a batch; a queue: whether it takes tasks, the next id, its
 * table's size (the tasks it holds at once). */
static void json_queue(FILE *f, const struct os_run *r)
{
	if (!r->queue) {
		fputs_unlocked("null", f);
		return;
	}
	fputs_unlocked("{\"open\":", f);
	json_bool(f, r->queue_open && r->run_state == OS_RUN_ACTIVE && r->alive);
	fmt_json_key(f, "next_id", 0);
	fmt_json_u64(f, r->next_id);
	fmt_json_key(f, "size", 0);
	fmt_json_u64(f, r->slots);
	fputc_unlocked('}', f);
}

void ps_json_run_object(FILE *f, const struct os_run *r)
{
	struct passwd *pw = getpwuid(r->uid);
	int used = os_run_jobs_in_use(r);

	putc_unlocked('{', f);
	fmt_json_key(f, "name", 1);
	fmt_json_cstr(f, r->name);
	fmt_json_key(f, "owner_uid", 0);
	fmt_json_u64(f, r->uid);
	fmt_json_key(f, "owner", 0);
	fmt_json_cstr(f, pw ? pw->pw_name : NULL);
	fmt_json_key(f, "supervisor_pid", 0);
	fmt_json_i64(f, r->supervisor_pid);
	fmt_json_key(f, "alive", 0);
	json_bool(f, r->alive);
	fmt_json_key(f, "state", 0);
	json_run_state(f, r->run_state);
	fmt_json_key(f, "exit_status", 0);
	if (r->run_state == OS_RUN_DONE)
		fmt_json_i64(f, r->exit_status);
	else
		fputs_unlocked("null", f);
	fmt_json_key(f, "jobs", 0);
	fmt_json_u64(f, r->cap);
	fmt_json_key(f, "jobs_in_use", 0);
	if (used >= 0)
		fmt_json_i64(f, used);
	else
		fputs_unlocked("null", f);
	fmt_json_key(f, "tokens_free", 0);
	if (r->tokens_free >= 0)
		fmt_json_i64(f, r->tokens_free);
	else
		fputs_unlocked("null", f);
	fmt_json_key(f, "total", 0);
	fmt_json_u64(f, r->total);
	fmt_json_key(f, "queue", 0);
	json_queue(f, r);
	fmt_json_key(f, "counts", 0);
	json_counts(f, r);
	fmt_json_key(f, "started_at", 0);
	json_time(f, r->start_real_ns);
	fmt_json_key(f, "ended_at", 0);
	json_time(f, r->run_state == OS_RUN_DONE ? r->end_real_ns : 0);
	fmt_json_key(f, "elapsed", 0);
	json_secs(f, os_run_elapsed(r));
	fmt_json_key(f, "idle_after", 0);
	json_ms(f, r->idle_after_ms, 0);
	fmt_json_key(f, "idle_timeout", 0);
	json_ms(f, r->idle_timeout_ms, 1);
	fmt_json_key(f, "timeout", 0);
	json_ms(f, r->timeout_ms, 1);
	fmt_json_key(f, "grace", 0);
	json_ms(f, r->grace_ms, 0);
	fmt_json_key(f, "retries", 0);
	fmt_json_u64(f, r->retries);
	fmt_json_key(f, "log_dir", 0);
	fmt_json_cstr(f, r->logdir);
	putc_unlocked('}', f);
}

/*
 * null, or {"since": TIME, "why": WORD, "prompt": TEXT} for a task whose slot
 * says it waits for input: IDLE now, or ended while it waited.  The slot's
 * message holds the prompt meanwhile.
 */
static void json_waiting(FILE *f, const struct os_run *r, const struct os_task *k)
{
	const char *msg = k->v.message;

	if (k->busy || k->v.waiting_mono_ns == 0) {
		fputs_unlocked("null", f);
		return;
	}
	putc_unlocked('{', f);
	fmt_json_key(f, "since", 1);
	json_time(f, ps_mono_to_real(r, k->v.waiting_mono_ns));
	fmt_json_key(f, "why", 0);
	fmt_json_cstr(f, os_wait_name(k->v.waiting_why));
	fmt_json_key(f, "prompt", 0);
	fmt_json_string(f, msg, strnlen(msg, sizeof(k->v.message)));
	putc_unlocked('}', f);
}

static void json_task(FILE *f, const struct os_run *r, const struct os_task *k)
{
	char sig[FMT_SIGNAME_MAX];
	const char *msg = k->v.message;

	fmt_json_key(f, "id", 1);
	fmt_json_u64(f, k->v.id);
	fmt_json_key(f, "state", 0);
	fmt_json_cstr(f, os_state_name(k->v.state));
	fmt_json_key(f, "worker_pid", 0);
	if (k->v.worker_pid > 0)
		fmt_json_i64(f, k->v.worker_pid);
	else
		fputs_unlocked("null", f);
	fmt_json_key(f, "pid", 0);
	if (k->v.task_pid > 0)
		fmt_json_i64(f, k->v.task_pid);
	else
		fputs_unlocked("null", f);
	fmt_json_key(f, "exit_code", 0);
	if (!k->busy && k->v.exit_code >= 0)
		fmt_json_i64(f, k->v.exit_code);
	else
		fputs_unlocked("null", f);
	fmt_json_key(f, "signal", 0);
	fmt_json_cstr(f, k->v.term_signal > 0 ? fmt_signal_name(k->v.term_signal, sig) : NULL);
	fmt_json_key(f, "interrupt_reason", 0);
	fmt_json_cstr(f, k->v.reason ? os_reason_name(k->v.reason) : NULL);
	fmt_json_key(f, "started_at", 0);
	json_time(f, k->v.start_real_ns);
	fmt_json_key(f, "ended_at", 0);
	json_time(f, os_state_is_terminal(k->v.state) ? k->v.end_real_ns : 0);
	fmt_json_key(f, "elapsed", 0);
	json_secs(f, k->busy ? -1 : os_task_elapsed(r, k));
	fmt_json_key(f, "silent_for", 0);
	json_secs(f, k->busy ? 0 : (os_task_silent(r, k) < 0 ? 0 : os_task_silent(r, k)));
	fmt_json_key(f, "bytes", 0);
	fmt_json_u64(f, k->v.output_bytes);
	fmt_json_key(f, "attempt", 0);
	fmt_json_u64(f, k->v.attempt);
	fmt_json_key(f, "message", 0);
	if (msg[0])
		fmt_json_string(f, msg, strnlen(msg, sizeof(k->v.message)));
	else
		fputs_unlocked("null", f);
	fmt_json_key(f, "waiting", 0);
	json_waiting(f, r, k);
	fmt_json_key(f, "command", 0);
	fmt_json_string(f, r->strings + k->cmd_pos, k->cmd_len);
}

void ps_show_json(FILE *f, const struct os_run *r, const struct ps_view *v)
{
	int first = 1;

	fputs_unlocked("{\"run\":", f);
	ps_json_run_object(f, r);
	fputs_unlocked(",\n\"tasks\":[", f);
	for (uint32_t i = 0; i < r->ntasks; i++) {
		const struct os_task *k = &r->tasks[i];

		if (!ps_task_shown(v, k))
			continue;
		fputs_unlocked(first ? "\n{" : ",\n{", f);
		json_task(f, r, k);
		putc_unlocked('}', f);
		first = 0;
	}
	fputs_unlocked("\n]}\n", f);
}
