/*
 * options.h: oneshotd-supervise's command line.
 */
#ifndef ONESHOT_OPTIONS_H
#define ONESHOT_OPTIONS_H

#include <stdint.h>

#include "supervisor/shard.h"
#include "worker/waiting.h" /* struct worker_prompt */
#include "worker/worker.h"  /* struct worker_rlimit, struct worker_env */

/* --prompt options at most. */
#define OPT_PROMPTS_MAX 16

struct options {
	uint32_t jobs;
	const char *name;        /* after %K/%N expansion; see name_buf */
	char *name_buf;          /* malloc'd expansion, or NULL */
	const char *log_dir_arg; /* -L as given */
	char *log_dir;           /* absolute path, %K/%N expanded, malloc'd */
	uint64_t idle_after_ms;
	uint64_t idle_timeout_ms; /* 0 = off */
	uint64_t timeout_ms;      /* 0 = off */
	uint64_t grace_ms;
	uint64_t input_timeout_ms; /* longest gap while reading the task file */
	uint64_t waiting_timeout_ms; /* --waiting-timeout; 0 = off */
	struct worker_prompt prompts[OPT_PROMPTS_MAX]; /* --prompt REGEX */
	uint32_t nprompts;
	struct worker_answer answers[OPT_PROMPTS_MAX]; /* --answer REGEX=TEXT */
	uint32_t nanswers;
	uint32_t answer_limit;    /* --answer-limit (default 3) */
	const char *on_event;     /* --on-event CMD, or NULL */
	uint64_t on_event_timeout_ms; /* --on-event-timeout (default 30 s) */
	int crlf;
	int detach;
	int resume;               /* --resume or --resume-failed */
	int resume_failed;        /* --resume-failed: FAILED tasks run again */
	int progress;             /* status line when stderr is a terminal (default 1) */
	int tail;                 /* --tail: task output mirrored to stdout */
	int queue;                /* --queue: tasks added while it runs */
	uint32_t queue_size;      /* --queue-size: slots of a queue's table */
	int queue_size_given;
	char *metrics;            /* --metrics FILE, absolute, malloc'd; NULL: off */
	int use_syslog;           /* --syslog */
	struct shard shard;       /* --shard; count 0: every task */
	uint32_t retries;         /* --retries: more attempts for a FAILED task */
	int retry_interrupted;    /* --retry-interrupted: also for INTERRUPTED ones */
	const char *taskfile;     /* "-" for standard input; NULL: none (--queue) */
	/* What tasks start with: -C, --env, --rlimit, --pty-size. */
	char *chdir;              /* absolute, malloc'd; NULL: the supervisor's cwd */
	const char **env_set;     /* "NAME=VALUE" from argv, in order; malloc'd array */
	uint32_t nenv_set;
	struct worker_rlimit rlimits[WORKER_RLIMITS_MAX]; /* one per resource */
	uint32_t nrlimits;
	uint16_t pty_cols, pty_rows;
	struct worker_env task_env; /* built at the end of options_parse */
};

/* Longest duration option, in milliseconds (fits the table's 32 bits). */
#define OPT_SECONDS_MAX_MS UINT64_C(4294967000)

/*
 * Parse ARGV into OPT.  On a usage error, writes a one-line message naming
 * the option into ERR and returns -EINVAL; returns 1 when --help or
 * --version was handled (printed on stdout), 0 otherwise.
 */
int options_parse(int argc, char **argv, struct options *opt, char *err, size_t errlen);

void options_free(struct options *opt);

#endif
