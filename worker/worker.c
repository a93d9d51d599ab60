/*
 * worker.c: a worker's life, from fork to exit.  Setup runs in this order so
 * that a failure at any step leaves the slot FAILED with a message and no
 * process behind: tie our life to the supervisor, open the transcript, the
 * PTY, spawn the task, record the start, run the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "logdir/logdir.h"
#include "worker/loop.h"
#include "shm/slot.h"
#include "shm/state.h"
#include "shm/util.h"
#include "worker/worker.h"

static void record_pid(struct os_slot *s)
{
	os_slot_write_begin(s);
	atomic_store_explicit(&s->worker_pid, (int32_t)getpid(), memory_order_relaxed);
	os_slot_write_end(s);
}

/* Setup failed before the task ran: FAILED with why, and exit. */
static noreturn void setup_failed(const struct worker_config *cfg, struct os_slot *s,
				  uint32_t reason, const char *what, int err)
{
	char text[OS_MESSAGE_MAX];

	if (err)
		snprintf(text, sizeof(text), "%s: %s", what, strerror(-err));
	else
		snprintf(text, sizeof(text), "%s", what);
	os_slot_write_begin(s);
	os_slot_set_end(s, text);
	os_slot_transition(cfg->table, s, OS_EV_FAIL, reason, NULL);
	os_slot_write_end(s);
	os_warn("task %u: %s", s->id, text);
	_exit(1);
}

static void record_start(struct os_table *t, struct os_slot *s, pid_t pid)
{
	int64_t mono = os_now_mono_ns();

	os_slot_write_begin(s);
	atomic_store_explicit(&s->task_pid, (int32_t)pid, memory_order_relaxed);
	atomic_store_explicit(&s->start_real_ns, os_now_real_ns(), memory_order_relaxed);
	atomic_store_explicit(&s->start_mono_ns, mono, memory_order_relaxed);
	atomic_store_explicit(&s->output_mono_ns, mono, memory_order_relaxed);
	os_slot_transition(t, s, OS_EV_START, OS_REASON_NONE, NULL);
	os_slot_write_end(s);
}

static int open_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1); /* oneshot-ctl: serve the steering endpoint */
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* ID.log for the first attempt, ID.N.log for attempt N: every attempt's
 * transcript is kept. */
static int open_transcript(int dirfd, uint32_t id, uint32_t attempt, char *name, size_t len)
{
	int fd;

	logdir_transcript_name(name, len, id, attempt);
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	return fd < 0 ? -errno : fd;
}

/* The loop itself broke: the task must not outlive us unrecorded. */
static noreturn void loop_failed(const struct worker_config *cfg, struct os_slot *s,
				 pid_t task, int err)
{
	worker_kill_leftovers(task, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	setup_failed(cfg, s, OS_REASON_SETUP, "io_uring loop", err);
}

static void block_worker_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTTOU);
	sigaddset(&set, SIGXCPU);
	sigaddset(&set, SIGXFSZ);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

void worker_main(const struct worker_config *cfg)
{
	struct os_slot *s = os_table_slot(cfg->table, cfg->slot_index);
	struct loop_start st = { .cfg = cfg, .slot = s };
	char slave[64], what[OS_MESSAGE_MAX], log_name[32];
	int err;

	close(cfg->supervisor_sigfd);
	for (unsigned k = 0; k < cfg->nclose_fds; k++)
		close(cfg->close_fds[k]);
	/* Out of the supervisor's process group: a kill of that group (kill -9
	 * %1 in a shell) must leave the workers alive to take their tasks down
	 * when they see the supervisor die.  SIGTTOU blocked so a worker's
	 * warning on a TOSTOP terminal, from a background group now, cannot
	 * stop it; the task gets an empty mask anyway.  SIGXCPU and SIGXFSZ
	 * blocked because the worker carries the task's --rlimit limits for
	 * the instant of the spawn (limits.c): a CPU limit the worker itself
	 * has used up must not kill it, and a write past a file size limit
	 * should fail with EFBIG, not kill the worker. */
	setpgid(0, 0);
	block_worker_signals();
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		setup_failed(cfg, s, OS_REASON_SETUP, "prctl(PR_SET_PDEATHSIG)", -errno);
	if (getppid() != cfg->supervisor_pid)
		setup_failed(cfg, s, OS_REASON_SUPERVISOR_LOST, "supervisor gone before start", 0);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		setup_failed(cfg, s, OS_REASON_SETUP, "prctl(PR_SET_CHILD_SUBREAPER)", -errno);
	record_pid(s);
	st.sigfd = open_signals();
	if (st.sigfd < 0)
		setup_failed(cfg, s, OS_REASON_SETUP, "signalfd", -errno);
	st.logfd = open_transcript(cfg->logdir_fd, s->id, atomic_load(&s->attempt), log_name,
				   sizeof(log_name));
	st.log_name = log_name;
	if (st.logfd < 0)
		setup_failed(cfg, s, OS_REASON_SETUP, "open transcript", st.logfd);
	st.master = worker_pty_open(cfg->crlf, cfg->pty_cols, cfg->pty_rows, slave, sizeof(slave));
	if (st.master < 0)
		setup_failed(cfg, s, OS_REASON_SETUP, "open pty", st.master);
	st.task_pid = worker_spawn(&(struct worker_spawn_args){
		.slave_path = slave, .cmd = cfg->cmd, .env = cfg->env,
		.env_id_slot = cfg->env_id_slot, .task_id = s->id,
		.reset_signals = cfg->reset_signals, .chdir = cfg->chdir,
		.rlimits = cfg->rlimits, .nrlimits = cfg->nrlimits }, what, sizeof(what));
	if (st.task_pid < 0)
		setup_failed(cfg, s, OS_REASON_SETUP, what, st.task_pid);
	st.slave_path = slave;
	record_start(cfg->table, s, st.task_pid);
	err = worker_loop_run(&st);
	if (err)
		loop_failed(cfg, s, st.task_pid, err);
	_exit(0);
}
