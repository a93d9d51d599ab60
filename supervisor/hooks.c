/*
 * hooks.c: --on-event (hooks.h).  Events are queued where they happen and
 * hooks started from the loop's tick, so a slow fork never holds up a
 * reap; a hook's end is seen by the loop's waitpid like a worker's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fmt/json.h"
#include "logdir/logdir.h"
#include "shm/slot.h"
#include "shm/state.h"
#include "shm/util.h"
#include "supervisor/hooks.h"
#include "supervisor/run.h"
#include "logdir/tasklist.h"

#define SCAN_NS (250 * 1000000LL)  /* how often the slots are looked at for waiting */

extern char **environ;

int hooks_init(struct run *r)
{
	if (!r->opt->on_event)
		return 0;
	r->hooks.seen_waiting = calloc(r->table->hdr->slot_count ? r->table->hdr->slot_count : 1,
				       sizeof(int64_t));
	return r->hooks.seen_waiting ? 0 : -ENOMEM;
}

void hooks_free(struct run *r)
{
	free(r->hooks.seen_waiting);
	r->hooks.seen_waiting = NULL;
}

static void enqueue(struct run *r, const struct hook_event *ev)
{
	struct hooks *h = &r->hooks;

	if (h->count == HOOKS_QUEUE_MAX) {
		if (!h->dropped++)
			os_warn("--on-event: more than %d events waiting for a hook: dropping "
				"(the count is in the end-of-run message)", HOOKS_QUEUE_MAX);
		return;
	}
	h->queue[(h->head + h->count++) % HOOKS_QUEUE_MAX] = *ev;
}

/* The event for task I as its slot V shows it. */
static void task_event(struct run *r, const char *what, uint32_t i, const struct os_slot_view *v)
{
	struct hook_event ev = { .task = v->id };
	const char *why = what[0] == 'w' ? os_wait_name(v->waiting_why) : os_reason_name(v->reason);

	(void)r, (void)i;
	snprintf(ev.event, sizeof(ev.event), "%s", what);
	snprintf(ev.state, sizeof(ev.state), "%s", os_state_name(v->state));
	snprintf(ev.reason, sizeof(ev.reason), "%s", why ? why : "");
	if (v->waiting_mono_ns)
		snprintf(ev.prompt, sizeof(ev.prompt), "%s", v->message);
	logdir_transcript_name(ev.log, sizeof(ev.log), v->id, v->attempt);
	enqueue(r, &ev);
}

void hooks_task_end(struct run *r, uint32_t i, const struct os_slot_view *v)
{
	if (r->opt->on_event)
		task_event(r, "end", i, v);
}

/* The JSON line a hook reads on its standard input. */
static int json_line(const struct run *r, const struct hook_event *ev, char *buf, size_t len)
{
	char prompt[FMT_JSON_ESCAPED_MAX(sizeof(ev->prompt))];

	fmt_json_escape(prompt, ev->prompt, strnlen(ev->prompt, sizeof(ev->prompt)));
	return snprintf(buf, len, "{\"event\":\"%s\",\"run\":\"%s\",\"task\":%u,\"state\":\"%s\","
			"\"reason\":\"%s\",\"prompt\":\"%s\",\"log\":\"%s%s%s\",\"exit_status\":%d}\n",
			ev->event, r->table->hdr->name, ev->task, ev->state, ev->reason, prompt,
			r->opt->log_dir, ev->log[0] ? "/" : "", ev->log, ev->exit_status);
}

/* The hook's environment: ours and the event's variables.  VARS holds them. */
static char **hook_env(const struct run *r, const struct hook_event *ev, char vars[8][4200])
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 9, sizeof(*env));
	if (!env)
		return NULL;
	snprintf(vars[0], 4200, "ONESHOT_EVENT=%s", ev->event);
	snprintf(vars[1], 4200, "ONESHOT_RUN=%s", r->table->hdr->name);
	snprintf(vars[2], 4200, "ONESHOT_TASK=%u", ev->task);
	snprintf(vars[3], 4200, "ONESHOT_STATE=%s", ev->state);
	snprintf(vars[4], 4200, "ONESHOT_REASON=%s", ev->reason);
	snprintf(vars[5], 4200, "ONESHOT_PROMPT=%s", ev->prompt);
	snprintf(vars[6], 4200, "ONESHOT_LOG=%s%s%s", r->opt->log_dir, ev->log[0] ? "/" : "",
		 ev->log);
	snprintf(vars[7], 4200, "ONESHOT_EXIT_STATUS=%d", ev->exit_status);
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "ONESHOT_", 8) != 0)
			env[k++] = environ[i];
	for (size_t i = 0; i < 8; i++)
		env[k++] = vars[i];
	return env;
}

/* Start one hook for EV in slot P: 0 or -errno. */
static int start(struct run *r, struct hook_proc *p, const struct hook_event *ev)
{
	static char vars[8][4200];
	char line[1024], *argv[] = { "sh", "-c", (char *)r->opt->on_event, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int fds[2], err, n = json_line(r, ev, line, sizeof(line));
	char **env = hook_env(r, ev, vars);

	if (!env || pipe2(fds, O_CLOEXEC) < 0) {
		free(env);
		return -errno;
	}
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				      POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	err = posix_spawn(&p->pid, "/bin/sh", &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(env);
	close(fds[0]);
	/* One line, under PIPE_BUF, into an empty pipe: it never blocks.  A
	 * hook that has already exited, or closed its input, is no failure to
	 * start it (EPIPE): its exit is reported when it is reaped. */
	if (!err && n > 0 && write(fds[1], line, (size_t)n) < 0 && errno != EPIPE)
		os_warn_err(-errno, "--on-event: the event line for the hook of %s", ev->event);
	close(fds[1]);
	if (err) {
		p->pid = 0;
		return -err;
	}
	p->ev = *ev;
	p->deadline_ns = os_now_mono_ns() + (int64_t)r->opt->on_event_timeout_ms * 1000000;
	return 0;
}

static void start_queued(struct run *r)
{
	struct hooks *h = &r->hooks;

	for (int i = 0; i < HOOKS_RUNNING_MAX && h->count; i++) {
		struct hook_proc *p = &h->running[i];
		int err;

		if (p->pid)
			continue;
		err = start(r, p, &h->queue[h->head]);
		if (err)
			os_warn_err(err, "--on-event: starting the hook for %s", h->queue[h->head].event);
		h->head = (h->head + 1) % HOOKS_QUEUE_MAX;
		h->count--;
	}
}

/* Tasks found waiting since the last look. */
static void scan_waiting(struct run *r)
{
	for (uint32_t i = 0; i < r->table->hdr->slot_count; i++) {
		const struct os_slot *s = os_table_slot(r->table, i);
		int64_t since = atomic_load_explicit(&s->waiting_mono_ns, memory_order_relaxed);
		struct os_slot_view v;

		if (!since || since == r->hooks.seen_waiting[i] ||
		    os_slot_snapshot(s, &v) || !v.waiting_mono_ns)
			continue;
		r->hooks.seen_waiting[i] = v.waiting_mono_ns;
		task_event(r, "waiting", i, &v);
	}
}

int64_t hooks_tick(struct run *r, int64_t now)
{
	struct hooks *h = &r->hooks;
	int64_t next = 0;

	if (!r->opt->on_event)
		return 0;
	if (now >= h->next_scan_ns) {
		scan_waiting(r);
		h->next_scan_ns = now + SCAN_NS;
	}
	start_queued(r);
	for (int i = 0; i < HOOKS_RUNNING_MAX; i++) {
		struct hook_proc *p = &h->running[i];

		if (!p->pid)
			continue;
		if (now >= p->deadline_ns) {
			kill(-p->pid, SIGKILL); /* reaped, and logged, by the loop */
			p->deadline_ns = now + SCAN_NS;
		}
		if (!next || p->deadline_ns < next)
			next = p->deadline_ns;
	}
	return r->running && (!next || h->next_scan_ns < next) ? h->next_scan_ns : next;
}

int hooks_own(const struct run *r, pid_t pid)
{
	for (int i = 0; r->opt->on_event && i < HOOKS_RUNNING_MAX; i++)
		if (r->hooks.running[i].pid == pid)
			return 1;
	return 0;
}

int hooks_reaped(struct run *r, pid_t pid, int status)
{
	for (int i = 0; r->opt->on_event && i < HOOKS_RUNNING_MAX; i++) {
		struct hook_proc *p = &r->hooks.running[i];

		if (p->pid != pid)
			continue;
		kill(-pid, SIGKILL); /* what it left behind in its group */
		p->pid = 0;
		if (WIFSIGNALED(status))
			os_warn("--on-event: the hook for %s of task %u killed by SIG%s%s", p->ev.event,
				p->ev.task, sigabbrev_np(WTERMSIG(status)),
				WTERMSIG(status) == SIGKILL ? " (--on-event-timeout)" : "");
		else if (WEXITSTATUS(status))
			os_warn("--on-event: the hook for %s of task %u exited %d", p->ev.event,
				p->ev.task, WEXITSTATUS(status));
		return 1;
	}
	return 0;
}

void hooks_drain(struct run *r)
{
	struct timespec nap = { 0, 10000000 };
	int status;

	if (!r->opt->on_event)
		return;
	for (;;) {
		int busy = 0;
		pid_t pid;

		hooks_tick(r, os_now_mono_ns());
		for (int i = 0; i < HOOKS_RUNNING_MAX; i++)
			busy |= r->hooks.running[i].pid != 0;
		if (!busy && !r->hooks.count)
			return;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			hooks_reaped(r, pid, status);
		nanosleep(&nap, NULL);
	}
}

void hooks_run_end(struct run *r, int status)
{
	struct hook_event ev = { .exit_status = status };

	if (!r->opt->on_event)
		return;
	snprintf(ev.event, sizeof(ev.event), "run-end");
	snprintf(ev.state, sizeof(ev.state), "DONE");
	hooks_drain(r); /* the run's end is told last */
	enqueue(r, &ev);
	hooks_drain(r);
	if (r->hooks.dropped)
		os_warn("--on-event: %u events dropped (more than %d waiting for a hook)",
			r->hooks.dropped, HOOKS_QUEUE_MAX);
}
