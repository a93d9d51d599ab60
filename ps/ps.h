/*
 * ps.h: oneshot-ps's options and modes.  Each mode (ps_list.c, ps_show.c,
 * ps_watch.c, ps_follow.c, ps_wait.c, ps_rm.c, ps_merge.c, ps_timeline.c)
 * is main-level code: it prints
 * its own errors through os_die/os_warn and returns the exit status.
 * Task ids after -n NAME narrow every mode that shows tasks (the view's
 * ids) and make --wait wait for those tasks instead of the run.
 */
#ifndef ONESHOT_PS_H
#define ONESHOT_PS_H

#include <stdint.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <sys/types.h>

#include "shm/reader.h"

/* Exit statuses; see EXIT STATUS in oneshot-ps(1). */
enum {
	PS_EXIT_OK = 0,
	PS_EXIT_NO_RUN = 1,   /* no such run or task, not yours, or another failure */
	PS_EXIT_USAGE = 2,
	PS_EXIT_INVALID = 3,  /* the table exists but is not valid */
	PS_EXIT_ALIVE = 4,    /* --rm refused: the run is alive */
	PS_EXIT_TIMEOUT = 124,/* --wait SEC passed */
	PS_EXIT_LOST = 125,   /* --wait: the run ended without an exit status,
			       * or before a waited-for task's end was known */
};

/* --state waiting: a bit of ps_view.state_mask beside the states' own
 * (1u << enum os_state), for IDLE tasks waiting for input. */
#define PS_SHOW_WAITING (1u << 16)

/* How output looks: worked out once from the terminal and environment. */
struct ps_view {
	int color;          /* ANSI colour for states */
	int utf8;           /* the locale's charset is UTF-8 */
	size_t cols;        /* cut lines to this width; 0: never cut */
	size_t max_rows;    /* task rows to show at most; 0: all */
	int active_first;   /* RUNNING and IDLE tasks before the others */
	unsigned state_mask;/* bit per enum os_state to show, and PS_SHOW_WAITING;
			     * 0: all */
	const uint32_t *ids;/* task ids to show, ascending, no repeats; NULL: all */
	size_t nids;
};

struct ps_opts {
	const char *name;     /* -n NAME, or NULL */
	uid_t uid;            /* -u USER, else the caller's */
	int uid_given;
	int json;
	int watch;
	uint64_t watch_ms;
	int follow;
	int wait;
	uint64_t wait_ms;     /* 0: no limit */
	const char *rm;       /* --rm NAME */
	int merge;            /* --merge LOGDIR...: dirs, ndirs */
	int timeline;         /* --timeline: of -n NAME, or of LOGDIR (logdir) */
	const char *logdir;   /* --timeline's -L LOGDIR (or its one operand) */
	uint32_t jobs;        /* --timeline -L's -j N: the run's cap; 0 not known */
	const char *out_dir;  /* -o OUTDIR (--merge), -o FILE (--timeline) */
	char **dirs;
	int ndirs;
	int tty;              /* standard output is a terminal */
	struct ps_view view;  /* its ids are the task ids given after the options */
};

/* ps_opts.c: parse ARGV into O, or exit 2 (usage) / 0 (--help, --version). */
void ps_opts_parse(int argc, char **argv, struct ps_opts *o);
/* 1 if ID is one of the view's task ids, or the view has none (all tasks). */
int ps_ids_has(const struct ps_view *v, uint32_t id);

/* ps_target.c: the run a mode works on. */
/* Owner of run NAME (root may find it under another uid): 0 or -errno. */
int ps_target_find(const struct ps_opts *o, const char *name, uid_t *uid);
/* The same, or exit 1 or 2 with a message. */
uid_t ps_target_owner(const struct ps_opts *o, const char *name);
/* Exit with the status and one-line message for ERR about run NAME of UID. */
noreturn void ps_target_die(int err, const char *name, uid_t uid, const char *why);
/* Snapshot of run NAME of UID, or exit 1 or 3 with a one-line reason. */
void ps_target_snapshot(uid_t uid, const char *name, unsigned flags, struct os_run *r);
/* Open run NAME of UID for polling, or exit 1 or 3. */
void ps_target_open(uid_t uid, const char *name, struct os_table *t, struct os_gen *gen);
/* Index of task ID in snapshot R (loaded with its tasks), or -1. */
int64_t ps_target_task_index(const struct os_run *r, uint32_t id);
/* Exit 1 with one line naming them unless R has every task id of V.  A
 * queue's task whose slot was reused is read from the job log and added to
 * R (marked logged). */
void ps_target_check_ids(struct os_run *r, const struct ps_view *v);
/* Task ID's last line in LOGDIR/joblog as a slot view and its command
 * (malloc'd): 0, -ENOENT or -errno. */
int ps_target_logged(const char *logdir, uint32_t id, struct os_slot_view *v, char **cmd,
		     uint32_t *len);
/* Flush standard output; exit 1 if anything failed to be written. */
void ps_target_flush(void);

/* ps_show.c / ps_show_json.c: one run. */
/* The run's state in words: "alive", "alive, queue open", "done, exit 1",
 * "dead: supervisor killed before the end", ...; BUF, returned. */
const char *ps_run_status(const struct os_run *r, char *buf, size_t len);
/* 1 if task K passes the view's filters (--state and task ids). */
int ps_task_shown(const struct ps_view *v, const struct os_task *k);
/* 1 if task K is IDLE and waiting for input now (part of IDLE, not a state
 * of its own); a busy slot's is not known, so it is not. */
int ps_task_waiting(const struct os_task *k);
/* The STATE column's word for task K: its state's name, or "IDLE?" for a
 * task IDLE and waiting for input. */
const char *ps_state_word(const struct os_task *k);
/* CLOCK_REALTIME of MONO_NS (CLOCK_MONOTONIC) by the clocks of snapshot R. */
int64_t ps_mono_to_real(const struct os_run *r, int64_t mono_ns);
void ps_show_human(FILE *f, const struct os_run *r, const struct ps_view *v);
void ps_show_json(FILE *f, const struct os_run *r, const struct ps_view *v);
/* The "run" object of the JSON output (also one element of a listing). */
void ps_json_run_object(FILE *f, const struct os_run *r);
int ps_cmd_show(const struct ps_opts *o);

/* ps_list.c: every run the caller may see; returns 0 or an exit status
 * (3 when a table was invalid; it is reported and the others listed). */
int ps_list_print(FILE *f, const struct ps_opts *o, const struct ps_view *v);
int ps_cmd_list(const struct ps_opts *o);

int ps_cmd_watch(const struct ps_opts *o);
int ps_cmd_follow(const struct ps_opts *o);
int ps_cmd_rm(const struct ps_opts *o);

/* ps_wait.c */
/* Where a waited-for run stands. */
enum ps_wait_state {
	PS_WAIT_RUNNING,
	PS_WAIT_DONE,      /* finished; its exit status is known */
	PS_WAIT_LOST,      /* dead without finishing: supervisor killed */
	PS_WAIT_REPLACED,  /* the table now holds another run */
};
enum ps_wait_state ps_wait_check(const struct os_table *t, const struct os_gen *gen,
				 int *exit_status);
/* Exit status for state S of run NAME, with a one-line message when lost. */
int ps_wait_exit(enum ps_wait_state s, int exit_status, const char *name);
/* Waiting for the view's task ids instead of the run (--wait ID...). */
struct ps_task_wait;
/* Check that run NAME (open as T, GEN) has the tasks (else exit 1) and
 * start waiting for them. */
struct ps_task_wait *ps_task_wait_open(const struct ps_opts *o, uid_t uid,
				       const struct os_table *t, const struct os_gen *gen);
/* Look at the tasks once: 1 when the outcome is known or never will be. */
int ps_task_wait_poll(struct ps_task_wait *w);
/* The exit status: 0 all COMPLETED, 1 one did not, 124 not known yet, 125
 * never will be (with a one-line message naming the tasks). */
int ps_task_wait_exit(const struct ps_task_wait *w);
void ps_task_wait_free(struct ps_task_wait *w);
int ps_cmd_wait(const struct ps_opts *o);

/* ps_merge.c: --merge; 0 all tasks completed, 1 not, 2 bad input. */
int ps_cmd_merge(const struct ps_opts *o);

/* ps_timeline.c: --timeline, the run as an SVG picture on standard output
 * or in -o FILE; 0, or exit 1 or 3 as -n does. */
int ps_cmd_timeline(const struct ps_opts *o);

/*
 * --timeline's parts: ps_timeline.c reads the run into bars (one per
 * attempt), ps_timeline_calc.c works out the lanes, the load over time and
 * the slowest bars, ps_timeline_draw.c writes the SVG with the words of
 * ps_timeline_text.c.
 */
#define PS_TL_LOAD_COLS 1000u /* the load chart's columns: one px each */
#define PS_TL_SLOW_MAX 5u     /* the slowest bars labelled, at most */

/* How a bar is coloured.  The order is the grid's: a cell shows the
 * highest class among the bars in it. */
enum ps_tl_class {
	PS_TL_NONE,
	PS_TL_COMPLETED,
	PS_TL_RUNNING,
	PS_TL_IDLE,
	PS_TL_WAITING,        /* IDLE and waiting for input (IDLE? in the table) */
	PS_TL_INTERRUPTED,
	PS_TL_FAILED,
	PS_TL_CLASSES
};

/* One attempt of a task; times in ns from the picture's origin. */
struct ps_tl_bar {
	int64_t t0, t1;
	const char *cmd, *prompt;     /* prompt: what a waiting task last wrote */
	uint32_t cmd_len, prompt_len, id, lane, attempt, state, reason;
	uint32_t nth;                 /* an earlier attempt: 1, 2, ... in the job log */
	int32_t exit_code, term_signal;
	uint8_t cls, shown;
	uint8_t open;                 /* still going at the picture's end */
	uint8_t last;                 /* the task's last attempt drawn */
	uint8_t why;                  /* enum os_wait: it waits (or ended so) */
	uint8_t slow;                 /* rank among the slowest, 1 first; 0 not */
};

struct ps_tl {
	char name[OS_NAME_MAX * 4 + 1]; /* the run's name (or LOGDIR's last part) */
	const char *logdir;             /* from LOGDIR/joblog; NULL: the table */
	char status[64];                /* "alive", "done, exit 1", ... */
	int64_t start_real_ns;          /* CLOCK_REALTIME of the origin */
	int64_t span_ns;                /* origin to the picture's end */
	int live;                       /* the end is now: the run goes on */
	int dead;                       /* the end is the last moment seen */
	int history;                    /* the table's earlier attempts: 1 read
					 * from the job log, -1 not readable */
	uint32_t cap, total, ntasks;    /* -j (0: not known), the run's tasks */
	int queue;
	uint32_t not_started, busy;     /* tasks shown without a bar */
	uint32_t counts[PS_TL_CLASSES]; /* tasks shown, by their last attempt */
	uint32_t retried;               /* tasks shown with attempt > 1 */
	uint32_t shown, lanes;          /* shown: bars (attempts) drawn */
	uint32_t peak;                  /* most bars at once (all of them) */
	uint32_t load[PS_TL_LOAD_COLS]; /* most bars at once in each column */
	size_t slow[PS_TL_SLOW_MAX], nslow; /* the slowest bars, slowest first */
	int64_t slack;                  /* a lane is free this long before its end */
	struct ps_tl_bar *bars;
	size_t nbars;
	/* LOGDIR/summary.json, when read */
	int64_t sum_start, sum_end;
	int sum_exit;                   /* -1: no summary */
};

/* ps_timeline.c: out of memory: exit 1 with a message. */
noreturn void ps_tl_out_of_memory(void);
/* ps_timeline_calc.c: each bar's lane, the load chart, the slowest bars
 * and the legend's counts. */
void ps_tl_layout(struct ps_tl *t);
/* ps_timeline_text.c: LEN bytes of S as XML text (an attribute's too),
 * cut to MAX characters (0: all); what XML cannot hold or moves text '?'. */
void ps_tl_xml_text(FILE *f, const char *s, size_t len, size_t max);
void ps_tl_xml_cstr(FILE *f, const char *s);
/* The time axis: a step of at most 10 ticks over SPAN ns, a tick's label
 * ("0", "0.25s", "1m30s", "1d12h"). */
int64_t ps_tl_tick_step(int64_t span);
void ps_tl_tick_label(char *buf, size_t len, int64_t ns);
/* A bar's duration in a label: "78ms", "3.01s", "42.5s", "4m12s". */
void ps_tl_duration(char *buf, size_t len, int64_t ns);
/* A CLOCK_REALTIME time as ISO 8601 UTC, or "?" when not known. */
void ps_tl_put_time(FILE *f, int64_t real_ns);
/* ps_timeline_draw.c: the document of ARG (a struct ps_tl) on F; stream
 * errors are the caller's to check. */
void ps_tl_svg(FILE *f, const void *arg);

#endif
