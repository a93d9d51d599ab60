/*
 * ps_show.c: one run for a person: a header line with the run's state and
 * counts (of every task), then one row per task shown (ID STATE PID ELAPSED
 * SILENT OUTPUT EXIT COMMAND; --state and task ids choose), the command cut
 * to the terminal's width when there is one.  A task IDLE and waiting for
 * input is part of IDLE, not a state of its own: STATE says "IDLE?" and the
 * header "N idle (M waiting)".
 */
#include <stdio.h>
#include <string.h>

#include "ps/ps.h"
#include "fmt/fmt.h"
#include "shm/state.h"

#define EXIT_TEXT_MAX 48

static const char *const state_colors[OS_STATE_COUNT] = {
	[OS_CREATED] = "\033[2m",      /* dim */
	[OS_RUNNING] = "\033[32m",     /* green */
	[OS_IDLE] = "\033[33m",        /* yellow */
	[OS_INTERRUPTED] = "\033[35m", /* magenta */
	[OS_COMPLETED] = "\033[34m",   /* blue */
	[OS_FAILED] = "\033[1;31m",    /* bold red */
};
/* IDLE? (waiting for input): IDLE's colour, bold, as it wants someone. */
#define WAITING_COLOR "\033[1;33m"

int ps_task_waiting(const struct os_task *k)
{
	return !k->busy && k->v.state == OS_IDLE && k->v.waiting_mono_ns != 0;
}

const char *ps_state_word(const struct os_task *k)
{
	return ps_task_waiting(k) ? "IDLE?" : os_state_name(k->v.state);
}

int64_t ps_mono_to_real(const struct os_run *r, int64_t mono_ns)
{
	int64_t ago = r->now_mono_ns - mono_ns;

	return r->now_real_ns - (ago > 0 ? ago : 0);
}

int ps_task_shown(const struct ps_view *v, const struct os_task *k)
{
	uint32_t st = k->v.state;

	if (v->state_mask && !(st < 16 && (v->state_mask & (1u << st))) &&
	    !((v->state_mask & PS_SHOW_WAITING) && ps_task_waiting(k)))
		return 0;
	return ps_ids_has(v, k->v.id);
}

static int state_active(uint32_t st)
{
	return st == OS_RUNNING || st == OS_IDLE;
}

const char *ps_run_status(const struct os_run *r, char *buf, size_t len)
{
	if (r->run_state == OS_RUN_DONE)
		snprintf(buf, len, "done, exit %d", (int)r->exit_status);
	else if (!r->alive)
		snprintf(buf, len, "dead: supervisor killed before the end");
	else if (r->run_state == OS_RUN_STOPPING)
		snprintf(buf, len, "alive, stopping");
	else if (r->run_state == OS_RUN_STARTING)
		snprintf(buf, len, "alive, starting");
	else if (r->queue)
		snprintf(buf, len, "alive, queue %s", r->queue_open ? "open" : "closed");
	else
		snprintf(buf, len, "alive");
	return buf;
}

/*
 * The run's one-line summary, plain text (cut by the caller): what matters
 * most first, then the task counts, zero counts left out.
 */
static void header_text(const struct os_run *r, char *buf, size_t len)
{
	char status[64], elapsed[FMT_DURATION_MAX];
	int used = os_run_jobs_in_use(r), n;
	const char *sep = ": ";
	uint32_t waiting = 0;

	for (uint32_t i = 0; r->tasks && i < r->ntasks; i++)
		waiting += (uint32_t)ps_task_waiting(&r->tasks[i]);

	if (used < 0)
		used = (int)(r->counts[OS_RUNNING] + r->counts[OS_IDLE]);
	fmt_duration(elapsed, os_run_elapsed(r));
	n = snprintf(buf, len, "run %s  supervisor %d  %s  jobs %d/%u  elapsed %s  tasks %u",
		     r->name, (int)r->supervisor_pid, ps_run_status(r, status, sizeof(status)),
		     used, r->cap, elapsed, r->total);
	for (uint32_t st = 0; st < OS_STATE_COUNT && n > 0 && (size_t)n < len; st++) {
		char lower[16];
		const char *up = os_state_name(st);
		size_t i;

		if (!r->counts[st])
			continue;
		for (i = 0; up[i] && i + 1 < sizeof(lower); i++)
			lower[i] = (char)(up[i] - 'A' + 'a');
		lower[i] = '\0';
		n += snprintf(buf + n, len - (size_t)n, "%s%u %s", sep, r->counts[st], lower);
		if (st == OS_IDLE && waiting && n > 0 && (size_t)n < len)
			n += snprintf(buf + n, len - (size_t)n, " (%u waiting)", waiting);
		sep = ", ";
	}
}

/* EXIT column: exit code or signal name, then "/reason" when there is one. */
static size_t exit_text(char *buf, const struct os_task *k)
{
	const char *reason = k->v.reason ? os_reason_name(k->v.reason) : NULL;
	char sig[FMT_SIGNAME_MAX], base[FMT_SIGNAME_MAX] = "";
	int n;

	if (k->busy)
		return (size_t)snprintf(buf, EXIT_TEXT_MAX, "?");
	if (k->v.exit_code >= 0)
		snprintf(base, sizeof(base), "%d", (int)k->v.exit_code);
	else if (k->v.term_signal > 0)
		snprintf(base, sizeof(base), "%s", fmt_signal_name(k->v.term_signal, sig));
	if (base[0] && reason)
		n = snprintf(buf, EXIT_TEXT_MAX, "%s/%s", base, reason);
	else if (base[0] || reason)
		n = snprintf(buf, EXIT_TEXT_MAX, "%s", base[0] ? base : reason);
	else
		n = snprintf(buf, EXIT_TEXT_MAX, "-");
	return (size_t)n;
}

struct widths {
	int id, pid, exit;
	int attempt; /* TRY column ("2/3"), 0 when the run has no --retries */
};

static void measure(const struct os_run *r, const struct ps_view *v, struct widths *w)
{
	char buf[EXIT_TEXT_MAX];

	w->id = fmt_digits(r->total) > 2 ? fmt_digits(r->total) : 2;
	w->pid = 3;
	w->exit = 4;
	w->attempt = r->retries ? 1 + 2 * fmt_digits((uint64_t)r->retries + 1) : 0; /* "N/M" */
	for (uint32_t i = 0; i < r->ntasks; i++) {
		const struct os_task *k = &r->tasks[i];
		int n;

		if (!ps_task_shown(v, k))
			continue;
		if (k->v.task_pid > 0 && fmt_digits((uint64_t)k->v.task_pid) > w->pid)
			w->pid = fmt_digits((uint64_t)k->v.task_pid);
		n = (int)exit_text(buf, k);
		if (n > w->exit)
			w->exit = n;
	}
}

static void print_row(FILE *f, const struct os_run *r, const struct os_task *k,
		      const struct ps_view *v, const struct widths *w)
{
	static char cmd[OS_CMD_MAX + 1];
	char pid[16] = "-", elapsed[FMT_DURATION_MAX], silent[FMT_DURATION_MAX] = "-";
	char bytes[FMT_BYTES_MAX] = "-", exit[EXIT_TEXT_MAX];
	const char *name = ps_state_word(k);
	size_t prefix, room = 0;
	int pad = 11 - (int)strlen(name);

	if (k->v.task_pid > 0)
		snprintf(pid, sizeof(pid), "%d", (int)k->v.task_pid);
	fmt_duration(elapsed, k->busy ? -1 : os_task_elapsed(r, k));
	if (!k->busy && state_active(k->v.state))
		fmt_duration(silent, os_task_silent(r, k));
	if (!k->busy)
		fmt_bytes(bytes, k->v.output_bytes);
	exit_text(exit, k);
	/* ID STATE [TRY] PID ELAPSED SILENT OUTPUT EXIT, each followed by a space. */
	prefix = (size_t)w->id + 13 + (size_t)w->pid + 1 + 8 + 7 + 7 + (size_t)w->exit + 1 +
		 (w->attempt ? (size_t)w->attempt + 1 : 0);
	if (v->cols)
		room = v->cols > prefix + 10 ? v->cols - prefix : 10;
	fmt_terminal_text(cmd, r->strings + k->cmd_pos, k->cmd_len, room, v->utf8);
	fprintf(f, "%*u ", w->id, k->v.id);
	if (v->color)
		fprintf(f, "%s%s\033[0m%*s ",
			ps_task_waiting(k) ? WAITING_COLOR : state_colors[k->v.state], name,
			pad > 0 ? pad : 0, "");
	else
		fprintf(f, "%-11s ", name);
	if (w->attempt) {
		char attempt[24];
		snprintf(attempt, sizeof(attempt), "%u/%u", k->v.attempt, r->retries + 1);
		fprintf(f, "%*s ", w->attempt, attempt);
	}
	fprintf(f, "%*s %7s %6s %6s %-*s %s\n", w->pid, pid, elapsed, silent, bytes, w->exit,
		exit, cmd);
}

void ps_show_human(FILE *f, const struct os_run *r, const struct ps_view *v)
{
	char head[512], line[512];
	struct widths w;
	size_t rows = 0, hidden = 0;

	header_text(r, head, sizeof(head));
	fmt_terminal_text(line, head, strlen(head), v->cols, 0);
	fprintf(f, "%s\n", line);
	measure(r, v, &w);
	fprintf(f, "%*s %-11s ", w.id, "ID", "STATE");
	if (w.attempt)
		fprintf(f, "%*s ", w.attempt, "TRY");
	fprintf(f, "%*s %7s %6s %6s %-*s %s\n", w.pid, "PID", "ELAPSED", "SILENT", "OUTPUT",
		w.exit, "EXIT", "COMMAND");
	/* Pass 0 shows active tasks first when asked (a watch screen), pass 1
	 * the rest; otherwise one pass in task order. */
	for (int pass = v->active_first ? 0 : 1; pass < 2; pass++) {
		for (uint32_t i = 0; i < r->ntasks; i++) {
			const struct os_task *k = &r->tasks[i];

			if (!ps_task_shown(v, k) ||
			    (v->active_first && (pass == 0) != state_active(k->v.state)))
				continue;
			if (v->max_rows && rows >= v->max_rows) {
				hidden++;
				continue;
			}
			print_row(f, r, k, v, &w);
			rows++;
		}
	}
	if (hidden)
		fprintf(f, "... %zu more task%s\n", hidden, hidden == 1 ? "" : "s");
}

int ps_cmd_show(const struct ps_opts *o)
{
	struct os_run r;
	uid_t uid = ps_target_owner(o, o->name);

	ps_target_snapshot(uid, o->name, OS_LOAD_TASKS, &r);
	ps_target_check_ids(&r, &o->view);
	if (o->json)
		ps_show_json(stdout, &r, &o->view);
	else
		ps_show_human(stdout, &r, &o->view);
	os_run_free(&r);
	ps_target_flush();
	return PS_EXIT_OK;
}
