/*
 * worker.h: one task's worker process.  The supervisor fork()s and calls
 * worker_main() in the child; the worker owns the task's PTY master, spawns
 * the task on the slave and drives one io_uring loop until the task is
 * reaped and its terminal drained, recording everything in the task's slot.
 */
#ifndef ONESHOT_WORKER_H
#define ONESHOT_WORKER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "shm/table.h"
#include "worker/waiting.h"

/* A soft resource limit for the task (--rlimit). */
struct worker_rlimit {
	int resource;             /* RLIMIT_CPU, ... */
	rlim_t value;             /* soft limit, or RLIM_INFINITY */
};
#define WORKER_RLIMITS_MAX 6      /* cpu, as, fsize, core, nofile, nproc */

/* The tasks' environment, built once by the supervisor (env.c). */
struct worker_env {
	char **vars;              /* NULL-terminated; vars[id_slot] is for the worker */
	size_t id_slot;           /* where each worker puts ONESHOT_TASK_ID=ID */
	char *run_var;            /* ONESHOT_RUN=NAME, owned */
};

struct worker_config {
	struct os_table *table;
	uint32_t slot_index;      /* 0-based */
	const char *cmd;          /* NUL-terminated task line */
	const char *run_name;
	int logdir_fd;            /* transcripts go to LOGDIR/ID.log */
	int supervisor_sigfd;     /* closed in the worker */
	const int *close_fds;     /* the supervisor's others, closed too */
	unsigned nclose_fds;
	pid_t supervisor_pid;
	uint64_t idle_after_ms;
	uint64_t grace_ms;
	int crlf;                 /* leave ONLCR on (\n becomes \r\n) */
	const sigset_t *reset_signals; /* dispositions that are not SIG_DFL */
	char **env;               /* worker_env.vars; the worker writes its own
	                           * (copy-on-write) copy at env_id_slot */
	size_t env_id_slot;
	const char *chdir;        /* absolute; NULL: the supervisor's directory */
	const struct worker_rlimit *rlimits; /* at most WORKER_RLIMITS_MAX */
	uint32_t nrlimits;
	uint16_t pty_cols, pty_rows; /* 0: 80x24 */
	int tail;                 /* --tail: mirror output to stdout (tail.c) */
	const struct worker_prompt *prompts; /* --prompt (waiting.h) */
	uint32_t nprompts;
	const struct worker_answer *answers; /* --answer */
	uint32_t nanswers, answer_limit;
	int tail_erase;           /* the status line is on: erase it first */
};

/*
 * Run the task of CFG to its end and exit.  Call in the child right after
 * fork(), with the supervisor's signal mask still blocking SIGCHLD, SIGTERM,
 * SIGINT, SIGHUP, SIGQUIT and SIGUSR1.
 */
noreturn void worker_main(const struct worker_config *cfg);

/* --- pieces, one file each -------------------------------------------- */

/* pty.c: open a PTY master (O_CLOEXEC, O_NONBLOCK) set up for a task, its
 * window COLS x ROWS; its slave's path goes to PATH.  Returns the master
 * fd or -errno. */
int worker_pty_open(int crlf, uint16_t cols, uint16_t rows, char *path, size_t len);

struct worker_spawn_args {
	const char *slave_path;
	const char *cmd;
	char **env;                    /* worker_env.vars (this process's copy) */
	size_t env_id_slot;
	uint32_t task_id;
	const sigset_t *reset_signals; /* set back to SIG_DFL in the task */
	const char *chdir;             /* NULL: stay */
	const struct worker_rlimit *rlimits;
	uint32_t nrlimits;
};

/* spawn.c: start CMD (directly if it needs no shell, else /bin/sh -c CMD)
 * as a session leader whose controlling terminal, stdin, stdout and stderr
 * are the slave at SLAVE_PATH, in CHDIR, under RLIMITS.  Returns the pid
 * (also its process group id) or -errno, with what failed in WHAT. */
pid_t worker_spawn(const struct worker_spawn_args *args, char *what, size_t what_len);

/* env.c: the tasks' environment: ENVIRON without ONESHOT_RUN,
 * ONESHOT_TASK_ID, TERM and the names SET overrides, then SET ("NAME=VALUE",
 * the last of a name wins), TERM=xterm-256color unless SET has a TERM,
 * ONESHOT_RUN=RUN_NAME and a slot for ONESHOT_TASK_ID.  Built once, so a
 * task costs no walk of the environment.  0 or -ENOMEM. */
int worker_env_build(struct worker_env *env, char *const *environ_, const char *const *set,
		     size_t nset, const char *run_name);
void worker_env_free(struct worker_env *env);
/* NAME (LEN bytes) matches [A-Za-z_][A-Za-z0-9_]* */
int worker_env_name_ok(const char *name, size_t len);

/* limits.c: --rlimit.  Parse "NAME=VALUE" into OUT, checked against the
 * documented minimum and the caller's hard limit; on error returns -EINVAL
 * with a message in WHY.  */
int worker_rlimit_parse(const char *arg, struct worker_rlimit *out, char *why, size_t len);
const char *worker_rlimit_name(int resource);
/* Format VALUE as the option would take it ("unlimited", "1024", "16M"). */
void worker_rlimit_format(const struct worker_rlimit *l, char *buf, size_t len);
/* Set the soft limits of LIM on this process, saving the previous ones in
 * SAVED; on failure nothing is left changed and *FAILED is the limit that
 * failed.  Restore puts SAVED back.  Both return 0 or -errno. */
int worker_rlimits_lower(const struct worker_rlimit *lim, uint32_t n, struct rlimit *saved,
			 const struct worker_rlimit **failed);
int worker_rlimits_restore(const struct worker_rlimit *lim, uint32_t n,
			   const struct rlimit *saved, const struct worker_rlimit **failed);

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
