/*
 * ctl.h: oneshot-ctl, acting on a live task: interrupt it, type into it,
 * show its screen, attach to it.  Each subcommand (ctl_<name>.c) is
 * main-level code: it prints its own errors through os_die/os_warn and
 * returns the exit status.
 */
#ifndef ONESHOT_CTL_H
#define ONESHOT_CTL_H

#include <stdint.h>
#include <stdnoreturn.h>
#include <sys/types.h>

#include "shm/reader.h"

/* Exit statuses; see EXIT STATUS in oneshot-ctl(1). */
enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,  /* no such run or task, not in a state for it, timed out */
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_INVALID = 3, /* the run's table exists but is not valid */
	CTL_EXIT_FULL = 75,   /* add: the queue is full; try again (EX_TEMPFAIL) */
};

/* Options every subcommand takes. */
struct ctl_opts {
	const char *name;     /* -n NAME */
	uid_t uid;            /* -u USER, else the caller's */
	int uid_given;
};

/* A subcommand: ARGV[0] is its name; returns the exit status. */
typedef int ctl_cmd_fn(struct ctl_opts *o, int argc, char **argv);
ctl_cmd_fn ctl_interrupt, ctl_send, ctl_screen, ctl_attach, ctl_add, ctl_close;

/* ctl.c: parse -n/-u (global or after the subcommand) and the
 * subcommand's own options from LONGOPTS/SHORTOPTS through HANDLE, which
 * gets each option or exits 2.  Options may follow operands unless
 * SHORTOPTS starts with '+' (the command line before the subcommand).
 * Returns optind, operands permuted to the end. */
struct option;
int ctl_getopt(struct ctl_opts *o, int argc, char **argv, const char *shortopts,
	       const struct option *longopts, void (*handle)(int opt, const char *arg, void *ctx),
	       void *ctx);

/* ctl.c: print "PROG: MSG" and "Try ..." and exit 2. */
noreturn void ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- ctl_task.c: the task a subcommand acts on ----------------------------- */

struct ctl_task {
	const char *name;          /* the run */
	uid_t uid;                 /* its owner */
	struct os_table table;     /* mapped read-only */
	struct os_gen gen;
	uint32_t index;            /* its slot */
	struct os_slot_view v;     /* as last read */
	char *logdir;              /* malloc'd copy of the run's log directory */
	int pidfd;                 /* its worker's, once ctl_task_worker succeeded */
};

/* Find run -n NAME (exit 2 without one) and map its table, or exit 1/3
 * with a one-line message naming it. */
void ctl_run_open(const struct ctl_opts *o, uid_t *uid, struct os_table *table,
		  struct os_gen *gen);

/* Parse the task id TEXT, or exit 2 naming it. */
uint32_t ctl_task_id(const char *text);

/* Find run -n NAME (exit 2 without one) and task ID in it, or exit 1/3
 * with a one-line message naming them. */
void ctl_task_open(const struct ctl_opts *o, uint32_t id, struct ctl_task *t);

/* Read the task's slot again into T->v: 0, or -ESTALE when the run is gone. */
int ctl_task_reload(struct ctl_task *t);

/* 1 if the task is RUNNING or IDLE. */
int ctl_task_live(const struct ctl_task *t);

/* A pidfd of the task's worker, checked against the slot after opening it
 * (so a reused pid is never signalled): 0, or exit 1 when the task is not
 * RUNNING or IDLE ("WHAT: task N is COMPLETED"). */
void ctl_task_worker(struct ctl_task *t, const char *what);

/* The task's transcript (its current attempt's), opened read-only: fd or
 * -errno. */
int ctl_task_transcript(const struct ctl_task *t);

void ctl_task_close(struct ctl_task *t);

/* --- ctl_steer.c: the worker's steering endpoint (steer/proto.h) ------------ */

struct ctl_steer {
	int sock;                  /* connected, or -1 */
	int master;                /* the task's terminal (STEER_F_INPUT), or -1 */
	uint16_t rows, cols;       /* its window when the worker replied */
};

/* Ask the worker of T (ctl_task_worker done) for its endpoint, connect,
 * and say hello with FLAGS (and ROWS x COLS with STEER_F_RESIZE).  Returns
 * 0 or -errno with *WHY. */
int ctl_steer_connect(struct ctl_task *t, uint32_t flags, uint16_t rows, uint16_t cols,
		      struct ctl_steer *s, const char **why);

/* Tell the worker the window is now ROWS x COLS: 0 or -errno. */
int ctl_steer_resize(struct ctl_steer *s, uint16_t rows, uint16_t cols);

void ctl_steer_close(struct ctl_steer *s);

/* --- ctl_screen.c ------------------------------------------------------------ */

struct screen_opts;
/* The emulator's options for T: its window now, --crlf. */
void ctl_screen_opts(const struct ctl_task *t, struct screen_opts *so);

/* --- ctl_keys.c: key names as tmux's send-keys spells them ------------------ */

/* The bytes key NAME sends ("Enter", "C-c", "Up", ...) into BUF (room 8):
 * their count, or 0 for an unknown name. */
size_t ctl_key_bytes(const char *name, char *buf);

/* Parse a detach key ("C-\\", "^]", "C-a"): its byte, or -1. */
int ctl_key_control(const char *name);

#endif
