/*
 * supervise.c: main of oneshotd-supervise.  Everything that can be refused
 * (options, the task file, the log directory, a live run of the same name)
 * is checked before the first task starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "supervisor/detach.h"
#include "logdir/joblog.h"
#include "logdir/logdir.h"
#include "logdir/queuefile.h"
#include "logdir/summary.h"
#include "supervisor/options.h"
#include "supervisor/resume.h"
#include "supervisor/report.h"
#include "supervisor/run.h"
#include "supervisor/shard.h"
#include "shm/state.h"
#include "logdir/tasklist.h"
#include "shm/util.h"

#define EXIT_USAGE 2
#define EXIT_LIVE  3

/* Signals arrive through a signalfd only: block them before anything forks. */
static int take_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Every signal goes back to SIG_DFL in a task (SIGPIPE is ignored here,
 * SIGINT may be inherited ignored in a script's background job).  All of
 * them, not only those that differ: for a signal outside the set glibc's
 * posix_spawn queries the disposition and then sets it, two calls instead
 * of one. */
static void find_reset_signals(sigset_t *set)
{
	sigfillset(set);
	sigdelset(set, SIGKILL);
	sigdelset(set, SIGSTOP);
}

static void read_tasks(const struct options *opt, struct tasklist *tasks)
{
	const char *file = opt->taskfile;
	int fd;
	const char *shown;
	struct tasklist_error err;
	size_t len;
	char *buf;
	int ret;

	memset(tasks, 0, sizeof(*tasks));
	if (!file)
		return; /* a queue started empty */
	fd = strcmp(file, "-") == 0 ? 0 : open(file, O_RDONLY | O_CLOEXEC);
	shown = fd == 0 ? "<stdin>" : file;
	if (fd < 0)
		os_die_err(EXIT_USAGE, -errno, "%s", shown);
	if (isatty(fd))
		os_die(EXIT_USAGE, "%s is a terminal: give a TASKFILE or pipe the tasks in", shown);
	/* The whole file is read first: a bad line anywhere starts nothing. */
	ret = tasklist_slurp(fd, (size_t)1 << 34,
			     opt->input_timeout_ms > INT_MAX ? INT_MAX : (int)opt->input_timeout_ms,
			     &buf, &len);
	if (ret == -ETIMEDOUT)
		os_die(EXIT_USAGE, "%s: no data and no end of file for %llu s (see --input-timeout)",
		       shown, (unsigned long long)(opt->input_timeout_ms / 1000));
	if (ret)
		os_die_err(EXIT_USAGE, ret, "%s", shown);
	if (fd != 0)
		close(fd);
	/* No task at all is nothing to do, not an error (a generated nightly
	 * list that came out empty must not page anyone: parallel and xargs
	 * exit 0 too); a queue's other tasks come with add. */
	ret = tasklist_parse_lines(buf, len, tasks, &err);
	if (ret == 0 && tasks->count == 0 && !opt->queue)
		fprintf(stderr, "%s: %s: no tasks\n", os_msg_prog(), shown);
	if (ret == -EINVAL && err.line)
		os_die(EXIT_USAGE, "%s:%llu: %s", shown, (unsigned long long)err.line, err.what);
	if (ret == -EINVAL)
		os_die(EXIT_USAGE, "%s: %s", shown, err.what);
	if (ret)
		os_die_err(EXIT_USAGE, ret, "%s", shown);
	ret = shard_select(tasks, &opt->shard);
	if (ret)
		os_die_err(EXIT_USAGE, ret, "%s: --shard", shown);
}

static void create_table(struct run *r)
{
	const struct options *opt = r->opt;
	const struct tasklist *tasks = r->tasks;
	struct os_table_spec spec = {
		.name = opt->name, .slot_count = tasks->count, .cap = opt->jobs,
		.queue_size = opt->queue_size, .next_id = r->queue_next_id,
		.cmds = (const char *const *)tasks->cmds, .cmd_lens = tasks->lens,
		.ids = tasks->ids,
		.logdir = opt->log_dir, .idle_after_ms = (uint32_t)opt->idle_after_ms,
		.idle_timeout_ms = (uint32_t)opt->idle_timeout_ms,
		.timeout_ms = (uint32_t)opt->timeout_ms, .grace_ms = (uint32_t)opt->grace_ms,
		.retries = opt->retries, .attempts_before = r->resume.attempts,
		.flags = (opt->crlf ? OS_RUN_CRLF : 0) | (opt->queue ? OS_RUN_QUEUE : 0),
		.pty_rows = opt->pty_rows, .pty_cols = opt->pty_cols,
	};
	struct os_table live;
	const char *why;
	int err = os_table_create(&spec, r->table);

	if (err == -EBUSY) {
		if (os_table_open(geteuid(), opt->name, &live, &why) == 0)
			os_die(EXIT_LIVE, "run '%s' is live (supervisor pid %d); not touching it",
			       opt->name, live.hdr->supervisor_pid);
		os_die(EXIT_LIVE, "run '%s' is live; not touching it", opt->name);
	}
	if (err == -EINVAL && opt->queue && tasks->count > opt->queue_size)
		os_die(EXIT_USAGE, "--queue-size %u: the queue starts with %u tasks; give a "
		       "larger one", opt->queue_size, tasks->count);
	if (err == -EPERM)
		os_die(EXIT_USAGE, "/dev/shm/oneshot.%u.%s: exists with the wrong owner, mode "
		       "or type; not using it", (unsigned)geteuid(), opt->name);
	if (err)
		os_die_err(EXIT_USAGE, err, "create table for run '%s'", opt->name);
}

/* LOGDIR/queue and the queue's endpoint.  A resumed queue goes on with
 * its file, cut back to its whole lines; a new one records the tasks of
 * its task file first. */
static int open_queue(struct run *r, int logdir_fd, const char **what)
{
	struct tasklist *tasks = (struct tasklist *)r->tasks;
	int fd, err;

	*what = "queue";
	fd = r->opt->resume ? logdir_append(logdir_fd, "queue") : logdir_create(logdir_fd, "queue");
	if (fd < 0)
		return fd;
	if (r->opt->resume)
		err = ftruncate(fd, (off_t)r->queue_file_good) < 0 ? -errno : 0;
	else
		err = queuefile_append(fd, 1, tasks->count, (const char *const *)tasks->cmds,
				       tasks->lens);
	if (err) {
		close(fd);
		return err;
	}
	*what = "queue endpoint";
	return queue_start(r, fd, tasks->count, tasks->cmds, tasks->lens);
}

/* --queue --resume: the tasks are the queue file's; ids go on after its
 * last, whatever became of that task. */
static void load_queue(struct run *r, struct tasklist *tasks)
{
	char err[256];
	int ret = queuefile_read(r->logdir_fd, tasks, &r->queue_file_good, err, sizeof(err));

	if (ret == -EINVAL)
		os_die(EXIT_USAGE, "--resume: %s/%s", r->opt->log_dir, err);
	if (ret && ret != -ENOENT)
		os_die_err(EXIT_USAGE, ret, "--resume: %s/queue", r->opt->log_dir);
	r->queue_next_id = tasks->count ? tasks->ids[tasks->count - 1] + 1 : 1;
}

/* Files of the run; *what names the one that failed.  A resumed run
 * appends to the job log and events of the run it resumes. */
static int open_run_files(struct run *r, int logdir_fd, const char **what)
{
	int err;

	*what = "joblog";
	if (r->resuming) {
		r->joblog_fd = logdir_append(logdir_fd, "joblog");
		if (r->joblog_fd < 0)
			return r->joblog_fd;
	} else {
		r->joblog_fd = logdir_create(logdir_fd, "joblog");
		if (r->joblog_fd < 0)
			return r->joblog_fd;
		err = joblog_start(r->joblog_fd);
		if (err)
			return err;
	}
	*what = "events.jsonl";
	r->table->events_fd = r->resuming ? logdir_append(logdir_fd, "events.jsonl")
					  : logdir_create(logdir_fd, "events.jsonl");
	if (r->table->events_fd < 0)
		return r->table->events_fd;
	return r->opt->queue ? open_queue(r, logdir_fd, what) : 0;
}

/* --resume/--resume-failed: drop the tasks the job log says are done.
 * Without a job log there is nothing to resume and every task runs. */
static void plan_resume(struct run *r, struct tasklist *tasks)
{
	char err[256];
	int ret = resume_plan(r->logdir_fd, tasks, r->opt->resume_failed, &r->resume,
			      err, sizeof(err));

	if (ret == -ENOENT)
		return;
	if (ret == -EINVAL)
		os_die(EXIT_USAGE, "--resume: %s/%s", r->opt->log_dir, err);
	if (ret)
		os_die_err(EXIT_USAGE, ret, "--resume: %s/joblog", r->opt->log_dir);
	r->resuming = 1;
	if (tasks->count == 0 && !r->opt->queue) {
		os_warn("%s: nothing to run: %u task(s) already completed, %u already failed "
			"(see %s/joblog)", r->opt->name, r->resume.skipped_completed,
			r->resume.skipped_failed, r->opt->log_dir);
		exit(r->resume.skipped_failed ? 1 : 0);
	}
}

static void drop_table(const struct options *opt)
{
	char obj[96];

	if (os_table_object_name(obj, sizeof(obj), geteuid(), opt->name) == 0)
		shm_unlink(obj);
}

/* Write summary.json and mark the table DONE; returns the final status
 * (1 instead of 0 when the summary could not be written). */
static int write_summary(struct run *r, int status)
{
	struct os_header *h = r->table->hdr;
	struct summary s = {
		.name = h->name, .supervisor_pid = (int)r->self,
		.start_real_ns = h->start_real_ns, .end_real_ns = os_now_real_ns(),
		.exit_status = status, .stop_signal = r->stop_signal, .total = os_table_tasks(h),
		.completed = atomic_load(&h->counts[OS_COMPLETED]),
		.failed = atomic_load(&h->counts[OS_FAILED]),
		.interrupted = atomic_load(&h->counts[OS_INTERRUPTED]),
		.not_started = atomic_load(&h->counts[OS_CREATED]),
		.skipped_completed = r->resume.skipped_completed,
		.skipped_failed = r->resume.skipped_failed,
		.listed = r->opt->queue ? os_table_tasks(h) : r->tasks->listed,
		.retried = r->retried,
		.shard_index = r->opt->shard.index, .shard_count = r->opt->shard.count,
	};
	int err;

	memcpy(s.interrupted_by, r->interrupted_by, sizeof(s.interrupted_by));
	err = summary_write(r->logdir_fd, &s);
	if (err) {
		os_warn_err(err, "write summary.json");
		if (status == 0)
			status = 1;
	}
	atomic_store(&h->end_real_ns, s.end_real_ns);
	atomic_store(&h->end_mono_ns, os_now_mono_ns());
	atomic_store(&h->exit_status, status);
	atomic_store_explicit(&h->run_state, OS_RUN_DONE, memory_order_release);
	return status;
}

static void setup(struct run *r, struct tasklist *tasks, int *notify_fd)
{
	const char *why, *what = "setup";
	int err;

	if (r->opt->detach) {
		*notify_fd = detach_begin(r->opt->name);
		if (*notify_fd < 0)
			os_die_err(EXIT_USAGE, *notify_fd, "detach");
	}
	r->logdir_fd = logdir_open(r->opt->log_dir, &why);
	if (r->logdir_fd < 0)
		os_die_err(EXIT_USAGE, r->logdir_fd, "log directory %s: %s", r->opt->log_dir, why);
	r->queue_next_id = tasks->count + 1;
	if (r->opt->queue && r->opt->resume)
		load_queue(r, tasks);
	if (r->opt->resume)
		plan_resume(r, tasks);
	create_table(r);
	err = open_run_files(r, r->logdir_fd, &what);
	if (!err) {
		what = "supervisor memory";
		err = run_init(r);
	}
	if (err) {
		/* Nothing ran: remove the table and the files just started. */
		drop_table(r->opt);
		if (r->joblog_fd >= 0 && !r->resuming)
			unlinkat(r->logdir_fd, "joblog", 0);
		if (r->table->events_fd >= 0 && !r->resuming)
			unlinkat(r->logdir_fd, "events.jsonl", 0);
		if (r->opt->queue && !r->opt->resume)
			unlinkat(r->logdir_fd, "queue", 0);
		os_die_err(EXIT_USAGE, err, "%s/%s", r->opt->log_dir, what);
	}
}

static void go_background(struct run *r, int notify_fd)
{
	int logfd = run_open_log(r->logdir_fd);
	int err = logfd < 0 ? logfd : detach_ready(notify_fd, logfd);

	if (err) {
		drop_table(r->opt);
		os_die_err(EXIT_USAGE, err, "detach: supervisor.log");
	}
	close(logfd);
}

int main(int argc, char **argv)
{
	struct options opt;
	struct tasklist tasks;
	struct os_table table;
	struct run r = { .opt = &opt, .tasks = &tasks, .table = &table, .joblog_fd = -1 };
	char err[256];
	int notify_fd = -1, status, ret;

	os_msg_init("oneshotd-supervise");
	r.sigfd = take_signals();
	if (r.sigfd < 0)
		os_die_err(EXIT_USAGE, r.sigfd, "signalfd");
	find_reset_signals(&r.reset_signals);
	/* Load the time zone once: gmtime_r would read /etc/localtime again in
	 * every worker, each a fresh process. */
	tzset();
	ret = options_parse(argc, argv, &opt, err, sizeof(err));
	if (ret == 1)
		return 0;
	if (ret)
		os_die(EXIT_USAGE, "%s (try --help)", ret == -EINVAL ? err : strerror(-ret));
	read_tasks(&opt, &tasks);
	setup(&r, &tasks, &notify_fd);
	if (opt.detach)
		go_background(&r, notify_fd); /* forks: before the seal below */
	if (opt.queue) {
		/* Its tasks are the queue's own copies now (queue_start). */
		tasklist_free(&tasks);
	} else {
		/* Keep the task list out of every worker's fork: with it on the
		 * heap each fork copied its page tables, O(tasks) per task.
		 * Without the seal a run is only slower, so it goes on. */
		ret = tasklist_seal(&tasks);
		if (ret)
			os_warn_err(ret, "task list: cannot keep it out of the workers (every "
				    "start will cost more with more tasks)");
		r.cmds = tasks.cmds; /* where the seal put them */
		r.lens = tasks.lens;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		os_warn_err(-errno, "prctl(PR_SET_CHILD_SUBREAPER)");
	status = run_execute(&r);
	/* A resumed batch that skips failed tasks has not fully succeeded. */
	if (status == 0 && r.resume.skipped_failed)
		status = 1;
	status = write_summary(&r, status);
	run_finish_outputs(&r, status); /* --metrics, --syslog: the end */
	hooks_run_end(&r, status);
	hooks_free(&r);
	report_print(&r, status);
	queue_free(&r);
	run_free(&r);
	resume_plan_free(&r.resume);
	close(r.joblog_fd);
	close(table.events_fd);
	os_table_close(&table);
	tasklist_free(&tasks);
	options_free(&opt);
	return status;
}
