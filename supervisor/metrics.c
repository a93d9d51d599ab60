/*
 * metrics.c: --metrics FILE (see metrics.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logdir/logdir.h"
#include "supervisor/metrics.h"
#include "supervisor/run.h"
#include "shm/slot.h"
#include "shm/state.h"
#include "shm/util.h"

/* Lower-case state names, the values of the state label. */
static const char *const state_label[OS_STATE_COUNT] = {
	[OS_CREATED] = "created", [OS_RUNNING] = "running", [OS_IDLE] = "idle",
	[OS_INTERRUPTED] = "interrupted", [OS_COMPLETED] = "completed", [OS_FAILED] = "failed",
};

/* The reasons an interrupt of a live run has: always written, 0 or not, so
 * that rate() and increase() see the series from the start. */
static int reason_always(uint32_t reason)
{
	return reason == OS_REASON_TIMEOUT || reason == OS_REASON_IDLE_TIMEOUT ||
	       reason == OS_REASON_SHUTDOWN || reason == OS_REASON_SIGNAL ||
	       reason == OS_REASON_OPERATOR;
}

static void tmp_name(char *buf, size_t len, const char *path)
{
	snprintf(buf, len, "%s.tmp.%d", path, (int)getpid());
}

int metrics_check_path(const char *path, char *err, size_t len)
{
	char tmp[4200];
	struct stat st;
	int fd;

	if (!*path || path[strlen(path) - 1] == '/') {
		snprintf(err, len, "--metrics: expected a file name, got '%s'", path);
		return -EINVAL;
	}
	if (strlen(path) > 4000) {
		snprintf(err, len, "--metrics: %s", strerror(ENAMETOOLONG));
		return -EINVAL;
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, len, "--metrics: %s: %s", path, strerror(EISDIR));
		return -EINVAL;
	}
	/* The way every write will go: a file beside FILE, renamed later. */
	tmp_name(tmp, sizeof(tmp), path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		snprintf(err, len, "--metrics: %s: cannot create a file beside it: %s", path,
			 strerror(errno));
		return -EINVAL;
	}
	close(fd);
	unlink(tmp);
	return 0;
}

/* The text of the file, appended into a fixed buffer; a text that does not
 * fit is an error, never a cut file. */
struct text {
	char buf[16384];
	size_t n;
	int overflow;
};

__attribute__((format(printf, 2, 3)))
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (t->overflow)
		return;
	va_start(ap, fmt);
	k = vsnprintf(t->buf + t->n, sizeof(t->buf) - t->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof(t->buf) - t->n)
		t->overflow = 1;
	else
		t->n += (size_t)k;
}

static void family(struct text *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Seconds with millisecond precision from nanoseconds (>= 0). */
static void put_seconds(struct text *t, int64_t ns)
{
	if (ns < 0)
		ns = 0;
	put(t, "%lld.%03lld\n", (long long)(ns / 1000000000), (long long)(ns / 1000000 % 1000));
}

/* A label value: \, " and newline escaped as the format asks.  (Run names
 * cannot hold them; this keeps the file valid regardless.) */
static void escape(char *out, size_t len, const char *in)
{
	size_t n = 0;

	for (; *in && n + 3 < len; in++) {
		if (*in == '\\' || *in == '"' || *in == '\n') {
			out[n++] = '\\';
			out[n++] = *in == '\n' ? 'n' : *in;
		} else {
			out[n++] = *in;
		}
	}
	out[n] = '\0';
}

uint32_t metrics_count_waiting(const struct os_header *h, uint32_t *first)
{
	const char *slots = (const char *)h + OS_HEADER_SIZE; /* shm/table.h */
	uint32_t idle = atomic_load(&h->counts[OS_IDLE]);
	/* Slots before *first have ended for good, unless tasks can start
	 * again in them (a retry, a queue's reuse). */
	int again = h->retries || (h->flags & OS_RUN_QUEUE);
	uint32_t seen = 0, waiting = 0, i = again ? 0 : *first;

	for (; i < h->slot_count && seen < idle; i++) {
		struct os_slot *s = (struct os_slot *)(slots + (size_t)i * OS_SLOT_SIZE);
		uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
		struct os_slot_view v;

		if (i == *first && !again && os_state_is_terminal(st))
			++*first;
		if (st != OS_IDLE)
			continue;
		seen++;
		if (os_slot_snapshot(s, &v) == 0 && v.state == OS_IDLE && v.waiting_mono_ns != 0)
			waiting++;
	}
	return waiting;
}

static void render(struct text *t, const struct run *r, int64_t now_mono, int status,
		   uint32_t waiting)
{
	const struct metrics *m = &r->metrics;
	const struct os_header *h = r->table->hdr;
	char run[2 * OS_NAME_MAX + 8];
	int64_t end = atomic_load(&h->end_mono_ns);

	escape(run, sizeof(run), h->name);
	family(t, "oneshot_tasks", "gauge", "Tasks of the run in each state.");
	for (uint32_t s = 0; s < OS_STATE_COUNT; s++)
		put(t, "oneshot_tasks{run=\"%s\",state=\"%s\"} %u\n", run, state_label[s],
		    atomic_load(&h->counts[s]));
	family(t, "oneshot_tasks_waiting", "gauge",
	       "Tasks of the run that are IDLE and waiting for input (reading their terminal, "
	       "rang the bell, or showing a --prompt); counted in the idle state too.");
	put(t, "oneshot_tasks_waiting{run=\"%s\"} %u\n", run, waiting);
	family(t, "oneshot_run_tasks", "gauge", "Tasks in the run's task list, in any state.");
	put(t, "oneshot_run_tasks{run=\"%s\"} %u\n", run, os_table_tasks(h));
	family(t, "oneshot_run_cap", "gauge", "Most tasks the run runs at once (-j).");
	put(t, "oneshot_run_cap{run=\"%s\"} %u\n", run, h->cap);
	family(t, "oneshot_run_start_time_seconds", "gauge",
	       "Unix time at which the run started.");
	put(t, "oneshot_run_start_time_seconds{run=\"%s\"} ", run);
	put_seconds(t, h->start_real_ns);
	family(t, "oneshot_run_duration_seconds", "gauge",
	       "Seconds since the run started; once it has ended, how long it took.");
	put(t, "oneshot_run_duration_seconds{run=\"%s\"} ", run);
	put_seconds(t, (status >= 0 && end ? end : now_mono) - h->start_mono_ns);
	family(t, "oneshot_last_success_timestamp_seconds", "gauge",
	       "Unix time at which the last task of this run to end COMPLETED (exit 0) "
	       "ended, the latest such end time; 0 if no task has completed yet.");
	put(t, "oneshot_last_success_timestamp_seconds{run=\"%s\"} ", run);
	put_seconds(t, m->last_success_real_ns);
	family(t, "oneshot_task_interrupts_total", "counter",
	       "Task attempts of the run that ended INTERRUPTED, by reason (with --retries "
	       "a task can count more than once).");
	for (uint32_t why = 0; why < OS_REASON_COUNT; why++) {
		const char *name = os_reason_name(why);

		if (reason_always(why) || m->interrupts[why])
			put(t, "oneshot_task_interrupts_total{run=\"%s\",reason=\"%s\"} %llu\n", run,
			    name ? name : "unknown", (unsigned long long)m->interrupts[why]);
	}
	family(t, "oneshot_task_failures_total", "counter",
	       "Task attempts of the run that ended FAILED (non-zero exit, killed by a "
	       "signal, could not be started, or lost their worker).");
	put(t, "oneshot_task_failures_total{run=\"%s\"} %llu\n", run,
	    (unsigned long long)m->failures);
	family(t, "oneshot_task_retries_total", "counter",
	       "Attempts started again by --retries.");
	put(t, "oneshot_task_retries_total{run=\"%s\"} %u\n", run, r->retried);
	family(t, "oneshot_run_exit_status", "gauge",
	       "Exit status of the supervisor once the run has ended (0 all completed, "
	       "1 not, 128+N stopped by signal N); -1 while it runs.");
	put(t, "oneshot_run_exit_status{run=\"%s\"} %d\n", run, status);
}

/* Write the file for STATUS (-1 while running): FILE.tmp.PID, then rename. */
static void write_file(struct run *r, int64_t now_mono, int status)
{
	struct metrics *m = &r->metrics;
	const char *path = r->opt->metrics;
	static struct text t; /* 16 KiB: not on the stack of the loop */
	char tmp[4200];
	int err = 0;

	t.n = 0;
	t.overflow = 0;
	render(&t, r, now_mono, status, metrics_count_waiting(r->table->hdr, &m->waiting_first));
	if (t.overflow) {
		err = -EOVERFLOW;
		goto out;
	}
	tmp_name(tmp, sizeof(tmp), path);
	/* Not synced: the file is rewritten every few seconds, and an fsync
	 * behind a busy disk would stall the supervisor's loop. */
	err = logdir_replace(AT_FDCWD, path, tmp, 0644, 0, logdir_fill_text,
			     &(struct logdir_text){ t.buf, t.n });
out:
	if (err && !m->warned) {
		m->warned = 1;
		os_warn_err(err, "--metrics: write %s (the run goes on; trying again every %d s)",
			    path, (int)(METRICS_PERIOD_NS / 1000000000));
	}
}

void metrics_start(struct run *r)
{
	struct metrics *m = &r->metrics;
	int64_t now = os_now_mono_ns();

	memset(m, 0, sizeof(*m));
	if (!r->opt->metrics)
		return;
	m->on = 1;
	write_file(r, now, -1);
	m->next_ns = now + METRICS_PERIOD_NS;
}

int64_t metrics_due(const struct metrics *m)
{
	return m->on ? m->next_ns : 0;
}

void metrics_tick(struct run *r, int64_t now)
{
	struct metrics *m = &r->metrics;

	if (!m->on || now < m->next_ns)
		return;
	m->next_ns = now + METRICS_PERIOD_NS;
	write_file(r, now, -1);
}

void metrics_task_end(struct metrics *m, const struct os_slot_view *v)
{
	switch (v->state) {
	case OS_COMPLETED:
		if (v->end_real_ns > m->last_success_real_ns)
			m->last_success_real_ns = v->end_real_ns;
		break;
	case OS_INTERRUPTED:
		m->interrupts[v->reason < OS_REASON_COUNT ? v->reason : OS_REASON_NONE]++;
		break;
	case OS_FAILED:
		m->failures++;
		break;
	default:
		break;
	}
}

void metrics_finish(struct run *r, int status)
{
	if (!r->metrics.on)
		return;
	write_file(r, os_now_mono_ns(), status);
	r->metrics.on = 0;
}
