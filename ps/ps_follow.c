/*
 * ps_follow.c: --follow: print a run's state changes as they happen, from
 * LOGDIR/events.jsonl, until the run ends.
 *
 * Every process that makes a transition appends one line to the log with a
 * single write(2), before the supervisor marks the run DONE (and before the
 * run's lock goes away).  So the loop is: look at the run's state, then read
 * the log to its current end; once the state said "over", that last read has
 * every line.  inotify wakes the loop when the log grows (it watches the log
 * directory until the log exists, then only the log, so that the tasks'
 * transcripts in the same directory do not wake it); a 200 ms timeout bounds
 * the wait anyway (inotify may be unavailable, and the end of a run writes
 * nothing to the log).
 * The log is history, so lines from an earlier run of the same name in the
 * same directory (older than this run's start) and of other runs are skipped.
 * With task ids, only those tasks' lines are printed; with --wait too, the
 * loop ends when their outcome is known (ps_wait.c) instead of with the run:
 * a task's line is written inside the write section that ends its slot's
 * change, so once the slot says so, the last read has the line.
 * A "waiting" line is no change of state: a task found waiting for input
 * while IDLE; it is printed as such, with its prompt.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ps/ps.h"
#include "logdir/events.h"
#include "logdir/jsonread.h"
#include "fmt/fmt.h"
#include "fmt/json.h"
#include "shm/state.h"
#include "shm/util.h"

#define TICK_MS 200
#define LINE_MAX_BYTES 4096

struct follower {
	const struct ps_opts *o;
	uid_t uid;
	int64_t since_ns;    /* this run's start, to the microsecond */
	char path[4200];
	int fd;
	char line[LINE_MAX_BYTES];
	size_t used;
	int skipping;        /* inside an over-long line: drop to its end */
	unsigned bad;        /* lines that did not parse */
};

static const char *to_color(const char *state)
{
	switch (os_state_parse(state)) {
	case OS_RUNNING: return "\033[32m";
	case OS_IDLE: return "\033[33m";
	case OS_INTERRUPTED: return "\033[35m";
	case OS_COMPLETED: return "\033[34m";
	case OS_FAILED: return "\033[1;31m";
	default: return "";
	}
}

/*
 * The "prompt" member of LINE (N bytes, an event line that
 * events_parse_line took: one flat object) into OUT (LEN bytes); 0, or -1
 * when it has none.  The events reader keeps the members it does not know
 * out of struct events_line, and a waiting event's prompt is one of them.
 */
static int event_prompt(const char *line, size_t n, char *out, size_t len)
{
	struct logdir_json c = logdir_json_over(line, n);
	char key[64];

	if (logdir_json_expect(&c, '{') || logdir_json_literal(&c, "}"))
		return -1;
	do {
		if (logdir_json_string_copy(&c, key, sizeof(key)) || logdir_json_expect(&c, ':'))
			return -1;
		if (strcmp(key, "prompt") == 0 && logdir_json_next_is(&c, '"'))
			return logdir_json_string_copy(&c, out, len);
		if (logdir_json_skip(&c, 0))
			return -1;
	} while (logdir_json_literal(&c, ","));
	return -1;
}

static void print_json(const struct events_line *ev, const char *prompt)
{
	FILE *f = stdout;

	putc_unlocked('{', f);
	fmt_json_key(f, "time", 1);
	fmt_json_cstr(f, ev->time);
	fmt_json_key(f, "run", 0);
	fmt_json_cstr(f, ev->run);
	fmt_json_key(f, "task", 0);
	fmt_json_u64(f, ev->task);
	fmt_json_key(f, "event", 0);
	fmt_json_cstr(f, ev->event);
	fmt_json_key(f, "from", 0);
	fmt_json_cstr(f, ev->from);
	fmt_json_key(f, "to", 0);
	fmt_json_cstr(f, ev->to);
	fmt_json_key(f, "reason", 0);
	fmt_json_cstr(f, ev->reason[0] ? ev->reason : NULL);
	if (prompt) {
		fmt_json_key(f, "prompt", 0);
		fmt_json_cstr(f, prompt);
	}
	fputs_unlocked("}\n", f);
}

/* "2024-05-01T12:00:00.123456Z task 3: waiting for input (read): \"name? \"":
 * no change of state (the task stays IDLE), so no FROM -> TO. */
static void print_waiting(const struct events_line *ev, const char *prompt,
			  const struct ps_view *v)
{
	char time[sizeof(ev->time)], reason[sizeof(ev->reason)];
	char shown[LINE_MAX_BYTES + 1] = "";

	fmt_terminal_text(time, ev->time, strlen(ev->time), 0, 0);
	fmt_terminal_text(reason, ev->reason, strlen(ev->reason), 0, 0);
	if (prompt)
		fmt_terminal_text(shown, prompt, strlen(prompt), 0, v->utf8);
	printf("%s task %u: %swaiting for input%s%s%s%s%s%s%s\n", time, ev->task,
	       v->color ? "\033[1;33m" : "", v->color ? "\033[0m" : "",
	       reason[0] ? " (" : "", reason, reason[0] ? ")" : "", prompt ? ": \"" : "",
	       shown, prompt ? "\"" : "");
}

/* "2024-05-01T12:00:00.123456Z task 3: RUNNING -> IDLE (detect_silence)" */
static void print_human(const struct events_line *ev, const struct ps_view *v)
{
	char time[sizeof(ev->time)], event[sizeof(ev->event)], from[sizeof(ev->from)];
	char to[sizeof(ev->to)], reason[sizeof(ev->reason)];

	fmt_terminal_text(time, ev->time, strlen(ev->time), 0, 0);
	fmt_terminal_text(event, ev->event, strlen(ev->event), 0, 0);
	fmt_terminal_text(from, ev->from, strlen(ev->from), 0, 0);
	fmt_terminal_text(to, ev->to, strlen(ev->to), 0, 0);
	fmt_terminal_text(reason, ev->reason, strlen(ev->reason), 0, 0);
	printf("%s task %u: %s -> %s%s%s (%s%s%s)\n", time, ev->task, from,
	       v->color ? to_color(to) : "", to, v->color ? "\033[0m" : "", event,
	       reason[0] ? ": " : "", reason);
}

static void take_line(struct follower *fw, const char *p, size_t n)
{
	struct events_line ev;

	if (events_parse_line(p, n, &ev) < 0) {
		fw->bad++;
		return;
	}
	if (strcmp(ev.run, fw->o->name) != 0 || ev.time_ns < fw->since_ns ||
	    !ps_ids_has(&fw->o->view, ev.task))
		return;
	if (strcmp(ev.event, "waiting") == 0) {
		char prompt[LINE_MAX_BYTES];
		int have = event_prompt(p, n, prompt, sizeof(prompt)) == 0;

		if (fw->o->json)
			print_json(&ev, have ? prompt : NULL);
		else
			print_waiting(&ev, have ? prompt : NULL, &fw->o->view);
		return;
	}
	if (fw->o->json)
		print_json(&ev, NULL);
	else
		print_human(&ev, &fw->o->view);
}

/* Feed N bytes read from the log; complete lines are printed. */
static void take_bytes(struct follower *fw, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = buf[i];

		if (ch == '\n') {
			if (!fw->skipping)
				take_line(fw, fw->line, fw->used);
			fw->used = 0;
			fw->skipping = 0;
		} else if (fw->skipping) {
			continue;
		} else if (fw->used == sizeof(fw->line)) {
			fw->bad++;
			fw->skipping = 1;
			fw->used = 0;
		} else {
			fw->line[fw->used++] = ch;
		}
	}
}

/* Open the log once it exists; it must be the run owner's regular file. */
static int open_log(struct follower *fw)
{
	struct stat st;
	int fd = open(fw->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != fw->uid) {
		close(fd);
		return -EPERM;
	}
	fw->fd = fd;
	return 0;
}

/* Read the log to its current end. */
static int drain(struct follower *fw)
{
	char buf[65536];
	ssize_t n;

	if (fw->fd < 0)
		return 0;
	while ((n = read(fw->fd, buf, sizeof(buf))) > 0)
		take_bytes(fw, buf, (size_t)n);
	if (n < 0 && errno != EINTR)
		return -errno;
	return 0;
}

/* Wait up to TICK_MS for the log directory to change. */
static void tick(int ifd)
{
	struct pollfd p = { ifd, POLLIN, 0 };
	char buf[4096];

	if (ifd < 0) {
		poll(NULL, 0, TICK_MS);
		return;
	}
	if (poll(&p, 1, TICK_MS) > 0)
		while (read(ifd, buf, sizeof(buf)) > 0)
			;
}

static void follower_init(struct follower *fw, const struct ps_opts *o, uid_t uid,
			  const struct os_table *t, const struct os_gen *gen)
{
	struct os_run r;
	const char *why = NULL;
	int err;

	memset(fw, 0, sizeof(*fw));
	fw->o = o;
	fw->uid = uid;
	fw->fd = -1;
	err = os_run_load(t, uid, o->name, gen, 0, &r, &why);
	if (err)
		os_die(PS_EXIT_INVALID, "run %s: invalid table: %s", o->name,
		       why ? why : strerror(-err));
	if (!r.logdir)
		os_die(PS_EXIT_INVALID, "run %s: invalid table: log directory unreadable", o->name);
	if ((size_t)snprintf(fw->path, sizeof(fw->path), "%s/events.jsonl", r.logdir) >=
	    sizeof(fw->path))
		os_die(PS_EXIT_INVALID, "run %s: log directory path too long", o->name);
	/* Lines carry microseconds: compare at that precision. */
	fw->since_ns = r.start_real_ns / 1000 * 1000;
	os_run_free(&r);
}

/* Whether the follow is over: the run ended, or with --wait ID... the
 * tasks' outcome is known (TW). */
static int follow_over(const struct os_table *t, const struct os_gen *gen,
		       struct ps_task_wait *tw, enum ps_wait_state *s, int *status)
{
	*s = ps_wait_check(t, gen, status);
	if (tw)
		return ps_task_wait_poll(tw);
	return *s != PS_WAIT_RUNNING;
}

int ps_cmd_follow(const struct ps_opts *o)
{
	uid_t uid = ps_target_owner(o, o->name);
	int64_t deadline = 0;
	enum ps_wait_state s;
	struct follower fw;
	struct os_table t;
	struct os_gen gen;
	struct ps_task_wait *tw = NULL;
	int status = -1, ifd, wd = -1, err, over;

	ps_target_open(uid, o->name, &t, &gen);
	follower_init(&fw, o, uid, &t, &gen);
	/* It checks the ids too, before anything is printed. */
	if (o->view.nids)
		tw = ps_task_wait_open(o, uid, &t, &gen);
	if (o->wait && o->wait_ms)
		deadline = os_now_mono_ns() + (int64_t)o->wait_ms * 1000000;
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd >= 0) {
		char dir[sizeof(fw.path)];

		snprintf(dir, sizeof(dir), "%s", fw.path);
		*strrchr(dir, '/') = '\0';
		wd = inotify_add_watch(ifd, dir, IN_CREATE | IN_MOVED_TO);
	}
	for (;;) {
		over = follow_over(&t, &gen, o->wait ? tw : NULL, &s, &status);
		if (fw.fd < 0) {
			err = open_log(&fw);
			if (err < 0 && err != -ENOENT)
				os_die_err(PS_EXIT_NO_RUN, err, "cannot read %s", fw.path);
			if (err == 0 && ifd >= 0) {
				/* From now on only the log itself matters. */
				if (wd >= 0)
					inotify_rm_watch(ifd, wd);
				wd = inotify_add_watch(ifd, fw.path, IN_MODIFY);
			}
		}
		err = drain(&fw);
		if (err)
			os_die_err(PS_EXIT_NO_RUN, err, "reading %s", fw.path);
		ps_target_flush();
		if (over)
			break;
		if (deadline && os_now_mono_ns() >= deadline)
			break;
		tick(wd >= 0 ? ifd : -1);
	}
	if (ifd >= 0)
		close(ifd);
	if (fw.fd < 0)
		os_die(PS_EXIT_NO_RUN, "cannot read %s: %s", fw.path, strerror(ENOENT));
	close(fw.fd);
	os_table_close(&t);
	if (fw.bad)
		os_warn("%s: %u line%s skipped (not an event)", fw.path, fw.bad,
			fw.bad == 1 ? "" : "s");
	if (o->wait && tw) {
		status = ps_task_wait_exit(tw);
		ps_task_wait_free(tw);
		return status;
	}
	ps_task_wait_free(tw);
	if (o->wait)
		return ps_wait_exit(s, status, o->name);
	if (s == PS_WAIT_LOST || s == PS_WAIT_REPLACED)
		ps_wait_exit(s, status, o->name);
	return PS_EXIT_OK;
}
