/*
 * options.c: parsing and checking oneshotd-supervise's options.  Every value
 * is checked here, before anything is created or started.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/metrics.h"
#include "supervisor/options.h"
#include "shm/table.h"
#include "shm/util.h"

enum { OPT_IDLE_AFTER = 256, OPT_IDLE_TIMEOUT, OPT_TIMEOUT, OPT_GRACE, OPT_CRLF, OPT_VERSION,
       OPT_INPUT_TIMEOUT };
enum { OPT_PROGRESS = 512, OPT_NO_PROGRESS };
enum { OPT_ENV = 768, OPT_RLIMIT, OPT_PTY_SIZE };
enum { OPT_METRICS = 1536, OPT_SYSLOG };
enum { OPT_RESUME = 1024, OPT_RESUME_FAILED };
enum { OPT_TAIL = 1792 };
enum { OPT_SHARD = 2048, OPT_RETRIES, OPT_RETRY_INTERRUPTED };
enum { OPT_QUEUE = 2560, OPT_QUEUE_SIZE };
enum { OPT_WAITING_TIMEOUT = 2304, OPT_PROMPT, OPT_ANSWER, OPT_ANSWER_LIMIT, OPT_ON_EVENT,
       OPT_ON_EVENT_TIMEOUT };

static const struct option long_options[] = {
	{ "jobs", required_argument, NULL, 'j' },
	{ "name", required_argument, NULL, 'n' },
	{ "log-dir", required_argument, NULL, 'L' },
	{ "idle-after", required_argument, NULL, OPT_IDLE_AFTER },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "crlf", no_argument, NULL, OPT_CRLF },
	{ "input-timeout", required_argument, NULL, OPT_INPUT_TIMEOUT },
	{ "detach", no_argument, NULL, 'd' },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "resume-failed", no_argument, NULL, OPT_RESUME_FAILED },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "tail", no_argument, NULL, OPT_TAIL },
	{ "chdir", required_argument, NULL, 'C' },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "rlimit", required_argument, NULL, OPT_RLIMIT },
	{ "pty-size", required_argument, NULL, OPT_PTY_SIZE },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "retry-interrupted", no_argument, NULL, OPT_RETRY_INTERRUPTED },
	{ "waiting-timeout", required_argument, NULL, OPT_WAITING_TIMEOUT },
	{ "prompt", required_argument, NULL, OPT_PROMPT },
	{ "answer", required_argument, NULL, OPT_ANSWER },
	{ "answer-limit", required_argument, NULL, OPT_ANSWER_LIMIT },
	{ "on-event", required_argument, NULL, OPT_ON_EVENT },
	{ "on-event-timeout", required_argument, NULL, OPT_ON_EVENT_TIMEOUT },
	{ "queue", no_argument, NULL, OPT_QUEUE },
	{ "queue-size", required_argument, NULL, OPT_QUEUE_SIZE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	printf("Usage: oneshotd-supervise [OPTIONS] [TASKFILE]\n"
	       "       oneshotd-supervise --queue [OPTIONS] [TASKFILE]\n"
	       "Run every line of TASKFILE (or standard input) as /bin/sh -c LINE, each on its\n"
	       "own pseudo-terminal, at most N at once, with states in a shared-memory table.\n\n"
	       "  -j, --jobs N           run at most N tasks at once (1-4096; default: CPUs)\n"
	       "  -n, --name NAME        run name (default: default); %%K, %%N: see --shard\n"
	       "  -L, --log-dir DIR      transcripts, joblog, summary (default: see man page)\n"
	       "      --idle-after SEC   silence before a task counts as IDLE (default 30)\n"
	       "      --idle-timeout SEC interrupt a task silent this long (default off)\n"
	       "      --timeout SEC      interrupt a task running this long (default off)\n"
	       "      --waiting-timeout SEC interrupt a task waiting for input this long (off)\n"
	       "      --prompt REGEX     a silent task whose last line matches REGEX (POSIX\n"
	       "                         extended) waits for input; repeatable\n"
	       "      --answer REGEX=TEXT type TEXT and Enter when a waiting task's prompt\n"
	       "                         matches REGEX; repeatable, first match wins\n"
	       "      --answer-limit N   answers typed per task at most (default 3)\n"
	       "      --on-event CMD     run sh -c CMD when a task waits for input, when each\n"
	       "                         task ends and when the run ends (ONESHOT_* variables)\n"
	       "      --on-event-timeout SEC kill a hook after SEC (default 30)\n"
	       "      --grace SEC        SIGTERM to SIGKILL delay on interrupt (default 5)\n"
	       "      --crlf             translate \\n to \\r\\n like an interactive terminal\n"
	       "      --input-timeout SEC give up reading TASKFILE after SEC without data (300)\n"
	       "  -d, --detach           return once the run is set up; run in the background\n"
	       "      --progress         live status line on stderr if it is a terminal (default)\n"
	       "      --resume           skip tasks LOGDIR/joblog has COMPLETED or FAILED\n"
	       "      --resume-failed    skip only COMPLETED ones: run failed ones again\n"
	       "      --retries N        run a FAILED task again, up to N more times\n"
	       "      --retry-interrupted also retry tasks interrupted by a timeout or a signal\n"
	       "      --queue            keep taking tasks (oneshot-ctl add) until closed\n"
	       "                         (oneshot-ctl close); TASKFILE is then optional\n"
	       "      --queue-size N     tasks a queue's table holds at once (default 4096)\n"
	       "      --shard K/N|auto   run only tasks i with (i-1) mod N = K (Slurm arrays,\n"
	       "                         Indexed Jobs: auto); %%K and %%N in -n and -L expand\n"
	       "      --no-progress      no status line\n"
	       "      --tail             copy the tasks' output to stdout, lines tagged [ID]\n"
	       "  -C, --chdir DIR        start tasks in DIR\n"
	       "      --env NAME=VALUE   set a variable for every task (repeatable)\n"
	       "      --rlimit NAME=VALUE limit each task: cpu, as, fsize, core, nofile, nproc\n"
	       "      --pty-size COLSxROWS the tasks' terminal size (default 80x24)\n"
	       "      --metrics FILE     Prometheus text-format metrics, rewritten every 5 s\n"
	       "      --syslog           log start, failed/interrupted tasks and end to syslog\n"
	       "  -h, --help             show this help\n"
	       "      --version          show the version\n\n"
	       "Exit status: 0 all tasks completed, 1 some task failed or was interrupted,\n"
	       "2 usage or input error, 3 a live run has that name, 128+N stopped by signal N.\n");
}

static int bad(char *err, size_t len, const char *opt, const char *want, const char *got)
{
	snprintf(err, len, "%s: expected %s, got '%s'", opt, want, got);
	return -EINVAL;
}

static int parse_secs(const char *opt, const char *arg, uint64_t min_ms, uint64_t *ms,
		      char *err, size_t len)
{
	if (os_parse_seconds(arg, min_ms, OPT_SECONDS_MAX_MS, ms))
		return bad(err, len, opt, min_ms ? "seconds > 0 (at most 4294967)"
						 : "seconds >= 0 (at most 4294967)", arg);
	return 0;
}

/* The default log directory: /var/log/oneshot/NAME for root, else under
 * XDG_STATE_HOME (or ~/.local/state), as system and user services do. */
static char *default_log_dir(const char *name)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *dir = NULL;
	int n;

	if (geteuid() == 0)
		n = asprintf(&dir, "/var/log/oneshot/%s", name);
	else if (state && state[0] == '/')
		n = asprintf(&dir, "%s/oneshot/%s", state, name);
	else
		n = asprintf(&dir, "%s/.local/state/oneshot/%s", home && *home ? home : "/tmp", name);
	return n < 0 ? NULL : dir;
}

/* An absolute form of PATH without requiring it to exist yet. */
static char *absolute(const char *path)
{
	char *cwd, *abs = NULL;

	if (path[0] == '/')
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	if (asprintf(&abs, "%s/%s", cwd, path) < 0)
		abs = NULL;
	free(cwd);
	return abs;
}

/* -C DIR: an existing directory we may enter, made absolute now (the
 * supervisor's cwd at start is what a relative DIR means). */
static int parse_chdir(const char *dir, struct options *opt, char *err, size_t len)
{
	struct stat st;

	if (!*dir)
		return bad(err, len, "--chdir", "a directory", dir);
	if (stat(dir, &st) < 0 || (S_ISDIR(st.st_mode) && access(dir, X_OK) < 0)) {
		snprintf(err, len, "--chdir: %s: %s", dir, strerror(errno));
		return -EINVAL;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, len, "--chdir: %s: %s", dir, strerror(ENOTDIR));
		return -EINVAL;
	}
	free(opt->chdir);
	opt->chdir = absolute(dir);
	return opt->chdir ? 0 : -errno;
}

/* --env NAME=VALUE: kept as the argv string itself. */
static int parse_env(const char *arg, struct options *opt, char *err, size_t len)
{
	const char *eq = strchr(arg, '=');
	const char **more;

	if (!eq || !worker_env_name_ok(arg, (size_t)(eq - arg)))
		return bad(err, len, "--env", "NAME=VALUE, NAME of [A-Za-z_][A-Za-z0-9_]*", arg);
	if ((eq - arg == 11 && memcmp(arg, "ONESHOT_RUN", 11) == 0) ||
	    (eq - arg == 15 && memcmp(arg, "ONESHOT_TASK_ID", 15) == 0)) {
		snprintf(err, len, "--env: %.*s is set by oneshot for each task and cannot be "
			 "overridden", (int)(eq - arg), arg);
		return -EINVAL;
	}
	more = realloc(opt->env_set, (opt->nenv_set + 1) * sizeof(*more));
	if (!more)
		return -ENOMEM;
	opt->env_set = more;
	opt->env_set[opt->nenv_set++] = arg;
	return 0;
}

/* --rlimit NAME=VALUE: one entry per resource, the last given wins. */
static int parse_rlimit(const char *arg, struct options *opt, char *err, size_t len)
{
	struct worker_rlimit l;
	char why[200];
	uint32_t i;

	if (worker_rlimit_parse(arg, &l, why, sizeof(why))) {
		snprintf(err, len, "--rlimit: %s", why);
		return -EINVAL;
	}
	for (i = 0; i < opt->nrlimits && opt->rlimits[i].resource != l.resource; i++)
		;
	opt->rlimits[i] = l;
	if (i == opt->nrlimits)
		opt->nrlimits++;
	return 0;
}

/* --pty-size COLSxROWS, each 1 to 10000. */
static int parse_pty_size(const char *arg, struct options *opt, char *err, size_t len)
{
	const char *x = strchr(arg, 'x');
	char cols[16];
	uint64_t c, r;

	if (!x || (size_t)(x - arg) >= sizeof(cols))
		return bad(err, len, "--pty-size", "COLSxROWS, each 1-10000", arg);
	memcpy(cols, arg, (size_t)(x - arg));
	cols[x - arg] = '\0';
	if (os_parse_uint(cols, 1, 10000, &c) || os_parse_uint(x + 1, 1, 10000, &r))
		return bad(err, len, "--pty-size", "COLSxROWS, each 1-10000", arg);
	opt->pty_cols = (uint16_t)c;
	opt->pty_rows = (uint16_t)r;
	return 0;
}

/* --metrics FILE: made absolute (a detached run must not depend on the
 * cwd) and checked now: a bad FILE is refused before anything starts. */
static int parse_metrics(const char *arg, struct options *opt, char *err, size_t len)
{
	char *path;
	int ret;

	if (!*arg)
		return bad(err, len, "--metrics", "a file name", arg);
	path = absolute(arg);
	if (!path)
		return -errno;
	ret = metrics_check_path(path, err, len);
	if (ret) {
		free(path);
		return ret;
	}
	free(opt->metrics);
	opt->metrics = path;
	return 0;
}

/* nproc counts every process of the user, the run's own included, and the
 * worker's spawn is checked against it (worker/limits.c): below what this
 * run needs with every slot busy, tasks could not even start.  Root is
 * exempt from RLIMIT_NPROC. */
static int check_nproc(const struct options *opt, char *err, size_t len)
{
	uint64_t need = 2 * (uint64_t)opt->jobs + 1;

	if (getuid() == 0)
		return 0;
	for (uint32_t i = 0; i < opt->nrlimits; i++)
		if (opt->rlimits[i].resource == RLIMIT_NPROC && opt->rlimits[i].value < need) {
			snprintf(err, len, "--rlimit: nproc=%llu is below %llu, the processes this "
				 "run has at -j %u (supervisor, workers, tasks), which count against it",
				 (unsigned long long)opt->rlimits[i].value,
				 (unsigned long long)need, opt->jobs);
			return -EINVAL;
		}
	return 0;
}

/* --tail writes to fd 1: it must be the caller's standard output.  Closed
 * at exec, fd 1 is what the supervisor opened first (its signalfd), and
 * later maybe a file of the run: refuse rather than write into that. */
static int check_tail(const struct options *opt, char *err, size_t len)
{
	char link[64];
	ssize_t n;

	if (!opt->tail)
		return 0;
	if (opt->detach) {
		snprintf(err, len, "--tail: not with --detach (the output is in LOGDIR/ID.log)");
		return -EINVAL;
	}
	n = readlink("/proc/self/fd/1", link, sizeof(link) - 1);
	if (fcntl(1, F_GETFD) < 0 || (n > 0 && strncmp(link, "anon_inode:", 11) == 0)) {
		snprintf(err, len, "--tail: standard output is not open");
		return -EINVAL;
	}
	return 0;
}

/* --prompt REGEX: compiled once, here; the workers inherit it. */
static int parse_prompt(struct options *opt, const char *text, char *err, size_t len)
{
	struct worker_prompt *p = &opt->prompts[opt->nprompts];
	char why[128];
	int ret;

	if (opt->nprompts == OPT_PROMPTS_MAX) {
		snprintf(err, len, "--prompt: at most %d of them", OPT_PROMPTS_MAX);
		return -EINVAL;
	}
	ret = regcomp(&p->re, text, REG_EXTENDED | REG_NOSUB);
	if (ret) {
		regerror(ret, &p->re, why, sizeof(why));
		snprintf(err, len, "--prompt: '%s' is not a regular expression: %s", text, why);
		return -EINVAL;
	}
	p->text = text;
	opt->nprompts++;
	return 0;
}

/* --answer REGEX=TEXT: split at the last '=' (a regex may hold one; a
 * typed answer rarely does), compiled once, here. */
static int parse_answer(struct options *opt, const char *arg, char *err, size_t len)
{
	struct worker_answer *a = &opt->answers[opt->nanswers];
	const char *eq = strrchr(arg, '=');
	char why[128], *re;
	int ret;

	if (opt->nanswers == OPT_PROMPTS_MAX) {
		snprintf(err, len, "--answer: at most %d of them", OPT_PROMPTS_MAX);
		return -EINVAL;
	}
	if (!eq || eq == arg || strpbrk(eq + 1, "\r\n")) {
		snprintf(err, len, "--answer: '%s' is not REGEX=TEXT (TEXT of one line)", arg);
		return -EINVAL;
	}
	re = strndup(arg, (size_t)(eq - arg));
	if (!re)
		return -ENOMEM;
	ret = regcomp(&a->re, re, REG_EXTENDED | REG_NOSUB);
	if (ret) {
		regerror(ret, &a->re, why, sizeof(why));
		snprintf(err, len, "--answer: '%s' is not a regular expression: %s", re, why);
		free(re);
		return -EINVAL;
	}
	free(re);
	a->text = eq + 1;
	opt->nanswers++;
	return 0;
}

static int parse_one(int c, struct options *opt, char *err, size_t len)
{
	uint64_t v;

	switch (c) {
	case 'j':
		if (os_parse_uint(optarg, 1, OS_CAP_MAX, &v))
			return bad(err, len, "--jobs", "a whole number from 1 to 4096", optarg);
		opt->jobs = (uint32_t)v;
		return 0;
	case 'n':
		opt->name = optarg; /* checked once %K and %N are expanded */
		return 0;
	case 'L':
		if (!*optarg)
			return bad(err, len, "--log-dir", "a directory", optarg);
		opt->log_dir_arg = optarg; /* expanded and made absolute at the end */
		return 0;
	case OPT_IDLE_AFTER:
		return parse_secs("--idle-after", optarg, 1, &opt->idle_after_ms, err, len);
	case OPT_IDLE_TIMEOUT:
		return parse_secs("--idle-timeout", optarg, 1, &opt->idle_timeout_ms, err, len);
	case OPT_TIMEOUT:
		return parse_secs("--timeout", optarg, 1, &opt->timeout_ms, err, len);
	case OPT_WAITING_TIMEOUT:
		return parse_secs("--waiting-timeout", optarg, 1, &opt->waiting_timeout_ms, err, len);
	case OPT_PROMPT:
		return parse_prompt(opt, optarg, err, len);
	case OPT_ANSWER:
		return parse_answer(opt, optarg, err, len);
	case OPT_ON_EVENT:
		if (!*optarg)
			return bad(err, len, "--on-event", "a command", optarg);
		opt->on_event = optarg;
		return 0;
	case OPT_ON_EVENT_TIMEOUT:
		return parse_secs("--on-event-timeout", optarg, 1, &opt->on_event_timeout_ms, err, len);
	case OPT_ANSWER_LIMIT:
		if (os_parse_uint(optarg, 0, 1000000, &v))
			return bad(err, len, "--answer-limit", "a whole number from 0 to 1000000", optarg);
		opt->answer_limit = (uint32_t)v;
		return 0;
	case OPT_GRACE:
		return parse_secs("--grace", optarg, 0, &opt->grace_ms, err, len);
	case OPT_INPUT_TIMEOUT:
		return parse_secs("--input-timeout", optarg, 1, &opt->input_timeout_ms, err, len);
	case OPT_CRLF:
		opt->crlf = 1;
		return 0;
	case 'd':
		opt->detach = 1;
		return 0;
	case OPT_RESUME:
	case OPT_RESUME_FAILED:
		opt->resume = 1;
		opt->resume_failed |= c == OPT_RESUME_FAILED;
		return 0;
	case OPT_PROGRESS:
	case OPT_NO_PROGRESS:
		opt->progress = c == OPT_PROGRESS;
		return 0;
	case OPT_TAIL:
		opt->tail = 1;
		return 0;
	case 'C':
		return parse_chdir(optarg, opt, err, len);
	case OPT_ENV:
		return parse_env(optarg, opt, err, len);
	case OPT_RLIMIT:
		return parse_rlimit(optarg, opt, err, len);
	case OPT_PTY_SIZE:
		return parse_pty_size(optarg, opt, err, len);
	case OPT_METRICS:
		return parse_metrics(optarg, opt, err, len);
	case OPT_SYSLOG:
		opt->use_syslog = 1;
		return 0;
	case OPT_SHARD:
		return shard_parse(optarg, &opt->shard, err, len);
	case OPT_RETRIES:
		if (os_parse_uint(optarg, 0, 1000, &v))
			return bad(err, len, "--retries", "a whole number from 0 to 1000", optarg);
		opt->retries = (uint32_t)v;
		return 0;
	case OPT_RETRY_INTERRUPTED:
		opt->retry_interrupted = 1;
		return 0;
	case OPT_QUEUE:
		opt->queue = 1;
		return 0;
	case OPT_QUEUE_SIZE:
		if (os_parse_uint(optarg, 1, OS_QUEUE_SIZE_MAX, &v))
			return bad(err, len, "--queue-size", "a whole number from 1 to 1000000", optarg);
		opt->queue_size = (uint32_t)v;
		opt->queue_size_given = 1;
		return 0;
	default:
		snprintf(err, len, "unknown option or missing value (see --help)");
		return -EINVAL;
	}
}

/* %K and %N in the run name and log directory, then the name's check. */
static int expand_names(struct options *opt, char *err, size_t len)
{
	char *dir;
	int ret = shard_expand(opt->name, &opt->shard, "--name", &opt->name_buf, err, len);

	if (ret)
		return ret;
	opt->name = opt->name_buf;
	if (os_run_name_check(opt->name))
		return bad(err, len, "--name", "1-64 of [A-Za-z0-9._-], not starting with '.'",
			   opt->name);
	if (!opt->log_dir_arg) {
		opt->log_dir = default_log_dir(opt->name);
		return opt->log_dir ? 0 : -ENOMEM;
	}
	ret = shard_expand(opt->log_dir_arg, &opt->shard, "--log-dir", &dir, err, len);
	if (ret)
		return ret;
	opt->log_dir = absolute(dir);
	ret = opt->log_dir ? 0 : -errno;
	free(dir);
	return ret;
}

static void set_defaults(struct options *opt)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(opt, 0, sizeof(*opt));
	opt->jobs = cpus < 1 ? 1 : cpus > (long)OS_CAP_MAX ? OS_CAP_MAX : (uint32_t)cpus;
	opt->name = "default";
	opt->idle_after_ms = 30000;
	opt->grace_ms = 5000;
	opt->input_timeout_ms = 300000;
	opt->taskfile = "-";
	opt->progress = 1;
	opt->pty_cols = 80;
	opt->pty_rows = 24;
	opt->answer_limit = 3;
	opt->on_event_timeout_ms = 30000;
	opt->queue_size = 4096;
}

/* What a queue does not go with: a fixed split of a task list, a task list
 * to resume from (the queue file is that), a size without a queue. */
static int check_queue(struct options *opt, int taskfile_given, char *err, size_t len)
{
	if (!opt->queue) {
		if (opt->queue_size_given) {
			snprintf(err, len, "--queue-size: only with --queue");
			return -EINVAL;
		}
		return 0;
	}
	if (opt->shard.count) {
		snprintf(err, len, "--queue: not with --shard (a queue takes any task added)");
		return -EINVAL;
	}
	if (opt->resume && taskfile_given) {
		snprintf(err, len, "--queue --resume: no TASKFILE (the tasks are LOGDIR/queue's)");
		return -EINVAL;
	}
	if (!taskfile_given)
		opt->taskfile = NULL;
	return 0;
}

int options_parse(int argc, char **argv, struct options *opt, char *err, size_t len)
{
	int c, ret;

	set_defaults(opt);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":j:n:L:C:dh", long_options, NULL)) != -1) {
		if (c == 'h') {
			usage();
			return 1;
		}
		if (c == OPT_VERSION) {
			printf("oneshotd-supervise (oneshot) %s\n", PACKAGE_VERSION);
			return 1;
		}
		if (c == ':') {
			snprintf(err, len, "%s: missing value", argv[optind - 1]);
			return -EINVAL;
		}
		if (c == '?') {
			snprintf(err, len, "%s: unknown option", argv[optind - 1]);
			return -EINVAL;
		}
		ret = parse_one(c, opt, err, len);
		if (ret)
			return ret;
	}
	if (argc - optind > 1) {
		snprintf(err, len, "%s: only one TASKFILE may be given", argv[optind + 1]);
		return -EINVAL;
	}
	if (optind < argc)
		opt->taskfile = argv[optind];
	ret = check_queue(opt, optind < argc, err, len);
	if (ret)
		return ret;
	ret = expand_names(opt, err, len);
	if (ret)
		return ret;
	ret = check_nproc(opt, err, len);
	if (ret)
		return ret;
	ret = check_tail(opt, err, len);
	if (ret)
		return ret;
	/* Once, here: a task then costs no walk of the environment. */
	return worker_env_build(&opt->task_env, environ, opt->env_set, opt->nenv_set, opt->name);
}

void options_free(struct options *opt)
{
	free(opt->name_buf);
	opt->name_buf = NULL;
	free(opt->log_dir);
	opt->log_dir = NULL;
	free(opt->chdir);
	opt->chdir = NULL;
	free(opt->metrics);
	opt->metrics = NULL;
	free(opt->env_set);
	opt->env_set = NULL;
	for (uint32_t i = 0; i < opt->nprompts; i++)
		regfree(&opt->prompts[i].re);
	opt->nprompts = 0;
	for (uint32_t i = 0; i < opt->nanswers; i++)
		regfree(&opt->answers[i].re);
	opt->nanswers = 0;
	worker_env_free(&opt->task_env);
}
