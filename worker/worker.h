/*
 * worker.h: one task's worker process.  The supervisor fork()s and calls
 * worker_main() in the child; the worker owns the task's PTY master, spawns
 * the task on the slave and drives one io_uring loop until the task is
 * reaped and its terminal drained, recording everything in the task's slot.
 */
#ifndef ONESHOT_WORKER_H
#define ONESHOT_WORKER_H

#include <signal.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <sys/types.h>

#include "table.h"

struct worker_config {
	struct os_table *table;
	uint32_t slot_index;      /* 0-based */
	const char *cmd;          /* NUL-terminated task line */
	const char *run_name;
	int logdir_fd;            /* transcripts go to LOGDIR/ID.log */
	int supervisor_sigfd;     /* closed in the worker */
	pid_t supervisor_pid;
	uint64_t idle_after_ms;
	uint64_t grace_ms;
	int crlf;                 /* leave ONLCR on (\n becomes \r\n) */
	const sigset_t *reset_signals; /* dispositions that are not SIG_DFL */
};

/*
 * Run the task of CFG to its end and exit.  Call in the child right after
 * fork(), with the supervisor's signal mask still blocking SIGCHLD, SIGTERM,
 * SIGINT, SIGHUP, SIGQUIT and SIGUSR1.
 */
noreturn void worker_main(const struct worker_config *cfg);

/* --- pieces, one file each -------------------------------------------- */

/* pty.c: open a PTY master (O_CLOEXEC, O_NONBLOCK) set up for a task; its
 * slave's path goes to PATH.  Returns the master fd or -errno. */
int worker_pty_open(int crlf, char *path, size_t len);

struct worker_spawn_args {
	const char *slave_path;
	const char *cmd;
	const char *run_name;
	uint32_t task_id;
	const sigset_t *reset_signals; /* set back to SIG_DFL in the task */
};

/* spawn.c: start CMD (directly if it needs no shell, else /bin/sh -c CMD)
 * as a session leader whose controlling terminal, stdin, stdout and stderr
 * are the slave at SLAVE_PATH.  Returns the pid (also its process group
 * id) or -errno. */
pid_t worker_spawn(const struct worker_spawn_args *args);

/* argv.c: if LINE is plain words whose first is no shell builtin, keyword
 * or assignment, set *ARGV (free with worker_argv_free) and return 1;
 * return 0 when LINE needs a shell, -ENOMEM on failure. */
int worker_split_plain(const char *line, char ***argv);
void worker_argv_free(char **argv);

/* reap.c: kill whatever is left of the task: its process group and every
 * process orphaned to this worker (a child subreaper).  Returns how many
 * processes were signalled. */
int worker_kill_leftovers(pid_t task_pgid, int sig);

#endif
