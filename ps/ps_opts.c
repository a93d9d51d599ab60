/*
 * ps_opts.c: oneshot-ps's command line, checked before anything is read,
 * and the view (colour, width, charset) derived from the terminal.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "config.h"
#include "ps/ps.h"
#include "shm/state.h"
#include "shm/util.h"

#define SEC_MAX_MS UINT64_C(4294967000) /* 49 days, as oneshotd-supervise */
#define WATCH_DEFAULT_MS 2000

enum { OPT_STATE = 256, OPT_JSON, OPT_WAIT, OPT_RM, OPT_VERSION, OPT_MERGE, OPT_TIMELINE };

static const struct option long_options[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "user", required_argument, NULL, 'u' },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "watch", optional_argument, NULL, 'w' },
	{ "follow", no_argument, NULL, 'f' },
	{ "wait", optional_argument, NULL, OPT_WAIT },
	{ "rm", required_argument, NULL, OPT_RM },
	{ "merge", no_argument, NULL, OPT_MERGE },
	{ "timeline", no_argument, NULL, OPT_TIMELINE },
	{ "output", required_argument, NULL, 'o' },
	{ "log-dir", required_argument, NULL, 'L' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	printf("Usage: oneshot-ps [-u USER] [--json] [-w [SEC]]\n"
	       "       oneshot-ps -n NAME [-u USER] [--state LIST] [--json] [-w [SEC]]\n"
	       "                  [ID...]\n"
	       "       oneshot-ps -n NAME [-u USER] [--json] -f [--wait[=SEC]] [ID...]\n"
	       "       oneshot-ps -n NAME [-u USER] --wait[=SEC] [ID...]\n"
	       "       oneshot-ps --rm NAME [-u USER]\n"
	       "       oneshot-ps --merge [-o OUTDIR] [--json] LOGDIR...\n"
	       "       oneshot-ps -n NAME [-u USER] [--state LIST] --timeline [-o FILE]\n"
	       "                  [ID...]\n"
	       "       oneshot-ps --timeline [-j N] [-o FILE] -L LOGDIR\n"
	       "Show oneshot runs and their tasks from the runs' shared-memory tables.\n\n"
	       "  -n, --name NAME     show run NAME: a header line and one row per task\n"
	       "  ID...               after -n NAME: only these tasks (from the ID column)\n"
	       "  -u, --user USER     the run's owner (name or uid; others than you: root only)\n"
	       "      --state LIST    only tasks in these states (comma-separated, any case;\n"
	       "                      WAITING: the IDLE tasks waiting for input, IDLE?)\n"
	       "      --json          one JSON document instead of columns (--merge: the\n"
	       "                      summary instead of the job log)\n"
	       "  -w, --watch [SEC]   refresh every SEC seconds (default 2) until the run ends\n"
	       "  -f, --follow        print state changes as they happen until the run ends\n"
	       "      --wait [SEC]    wait for the run to finish; exit with its exit status\n"
	       "                      (124 when SEC passed, 125 when it died unfinished);\n"
	       "                      with IDs, wait for those tasks: 0 all completed, 1 not,\n"
	       "                      124, 125 as above (a number right after --wait is SEC:\n"
	       "                      --wait=SEC ID... or --wait -- ID...)\n"
	       "      --rm NAME       remove a finished run's table (refused while alive)\n"
	       "      --merge         merge the log directories of finished --shard runs:\n"
	       "                      one job log by task number, a summary, the exit status\n"
	       "                      of one run (0 all completed, 1 not, 2 bad input)\n"
	       "      --timeline      the run as an SVG picture: a bar per attempt on lanes\n"
	       "                      of concurrency, coloured by its state or end, over a\n"
	       "                      time axis, the tasks at once against -j above them;\n"
	       "                      from its table (-n NAME) or, once that is gone, from\n"
	       "                      LOGDIR/joblog\n"
	       "  -L, --log-dir DIR   --timeline: the run's log directory LOGDIR (also\n"
	       "                      accepted alone, as the one operand)\n"
	       "  -j, --jobs N        --timeline -L: the run's -j, for the load chart\n"
	       "  -o, --output DIR    --merge: write DIR/joblog and DIR/summary.json\n"
	       "                      (else the job log goes to standard output)\n"
	       "  -o, --output FILE   --timeline: write FILE (else standard output)\n"
	       "  -h, --help          this help\n"
	       "      --version       version\n\n"
	       "Exit status: 0 shown, 1 no such run or task, 2 usage, 3 invalid table,\n"
	       "4 run alive (--rm).  --merge: 0 all tasks completed, 1 not all, 2 usage,\n"
	       "input or output error.\n");
}

static noreturn void bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A usage error: one line and a pointer to --help, exit 2. */
static noreturn void bad_usage(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	os_die(PS_EXIT_USAGE, "%s (see oneshot-ps --help)", line);
}

static unsigned parse_states(const char *list)
{
	char *copy = strdup(list), *save = NULL, *tok;
	unsigned mask = 0;

	if (!copy)
		os_die(PS_EXIT_NO_RUN, "out of memory");
	if (list[0] == '\0' || list[strlen(list) - 1] == ',' || strstr(list, ",,") ||
	    list[0] == ',')
		bad_usage("--state: empty state name in '%s'", list);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int st = os_state_parse(tok);

		/* Not a state: the IDLE tasks waiting for input (IDLE?). */
		if (strcasecmp(tok, "waiting") == 0) {
			mask |= PS_SHOW_WAITING;
			continue;
		}
		if (st < 0)
			bad_usage("--state: unknown state '%s' (CREATED, RUNNING, IDLE, "
				  "INTERRUPTED, COMPLETED, FAILED, or WAITING)", tok);
		mask |= 1u << st;
	}
	free(copy);
	return mask;
}

/* -j N: a run's cap, as oneshotd-supervise takes it. */
static uint32_t parse_jobs(const char *text)
{
	uint64_t v;

	if (os_parse_uint(text, 1, OS_CAP_MAX, &v) < 0)
		bad_usage("-j: not a number of jobs from 1 to %u: '%s'", OS_CAP_MAX, text);
	return (uint32_t)v;
}

static uid_t parse_user(const char *text)
{
	uid_t uid;

	if (os_user_parse(text, &uid))
		bad_usage("--user: no such user '%s'", text);
	return uid;
}

static uint64_t parse_sec(const char *opt, const char *text)
{
	uint64_t ms;

	if (os_parse_seconds(text, 1, SEC_MAX_MS, &ms) < 0)
		bad_usage("%s: bad number of seconds '%s'", opt, text);
	return ms;
}

/*
 * An optional SEC: attached ("--wait=5", "-w5") or the next argument when it
 * is a number ("--wait 5").  The detached form predates task ids and scripts
 * use it, so it keeps its meaning: "--wait 5 3" is 5 s for task 3, and
 * "--wait -- 3" waits for task 3 without a limit.
 */
static uint64_t optional_sec(const char *opt, int argc, char **argv, uint64_t dflt)
{
	uint64_t ms;

	if (optarg)
		return parse_sec(opt, optarg);
	if (optind < argc && os_parse_seconds(argv[optind], 1, SEC_MAX_MS, &ms) == 0) {
		optind++;
		return ms;
	}
	return dflt;
}

/* Terminal-dependent parts of the view. */
static void view_init(struct ps_opts *o)
{
	struct winsize ws;
	const char *cs;

	setlocale(LC_CTYPE, "");
	cs = nl_langinfo(CODESET);
	o->view.utf8 = cs && strcmp(cs, "UTF-8") == 0;
	o->tty = isatty(STDOUT_FILENO);
	o->view.color = o->tty && getenv("NO_COLOR") == NULL;
	o->view.cols = 0;
	if (o->tty) {
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
			o->view.cols = ws.ws_col;
		else
			o->view.cols = 80;
	}
}

static int cmp_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* One task id as oneshot-ps shows it: a decimal number, 1 or more. */
static uint32_t parse_id(const char *text)
{
	uint64_t v;

	if (text[0] == '-')
		bad_usage("options go before the task ids: '%s'", text);
	if (os_parse_uint(text, 1, UINT32_MAX, &v) < 0)
		bad_usage("'%s': not a task id (a number from the ID column, 1 or more)", text);
	return (uint32_t)v;
}

/* The operands: task ids of run -n NAME, kept sorted for lookups. */
static void parse_ids(struct ps_opts *o, int n, char **args)
{
	uint32_t *ids;

	if (n == 0)
		return;
	if (!o->name)
		bad_usage("unexpected argument '%s' (a run is named with -n NAME, task ids "
			  "follow it)", args[0]);
	ids = malloc((size_t)n * sizeof(*ids));
	if (!ids)
		os_die(PS_EXIT_NO_RUN, "out of memory");
	for (int i = 0; i < n; i++)
		ids[i] = parse_id(args[i]);
	qsort(ids, (size_t)n, sizeof(*ids), cmp_id);
	for (int i = 1; i < n; i++)
		if (ids[i] == ids[i - 1])
			bad_usage("task id %u given twice", ids[i]);
	o->view.ids = ids;
	o->view.nids = (size_t)n;
}

int ps_ids_has(const struct ps_view *v, uint32_t id)
{
	return v->nids == 0 || bsearch(&id, v->ids, v->nids, sizeof(id), cmp_id) != NULL;
}

/* --timeline: of -n NAME [ID...], or of one LOGDIR (-L LOGDIR, or the
 * one operand); -o FILE; -j N with a LOGDIR. */
static void check_timeline(struct ps_opts *o)
{
	if (!o->timeline) {
		if (o->logdir || o->jobs)
			bad_usage("%s", "-L and -j go with --timeline");
		return;
	}
	if (o->json || o->watch || o->follow || o->wait || o->rm || o->merge)
		bad_usage("%s", "--timeline does not go with --json, -w, -f, --wait, --rm or "
			  "--merge");
	if (o->name) {
		if (o->logdir || o->jobs)
			bad_usage("%s", "--timeline takes -n NAME or -L LOGDIR, not both (-j goes "
				  "with -L: a table knows its -j)");
		return;
	}
	if (o->logdir && o->ndirs)
		bad_usage("unexpected argument '%s' (the log directory is -L LOGDIR)",
			  o->dirs[0]);
	if (!o->logdir && o->ndirs != 1)
		bad_usage("%s", "--timeline needs -n NAME or -L LOGDIR");
	if (o->uid_given)
		bad_usage("%s", "--timeline -L LOGDIR takes no other option than -j and -o");
	if (!o->logdir && o->dirs[0][0] == '-')
		bad_usage("options go before the log directory: '%s'", o->dirs[0]);
	if (!o->logdir)
		o->logdir = o->dirs[0];
}

static void check_merge(const struct ps_opts *o, unsigned state_given)
{
	if (o->out_dir && !o->merge && !o->timeline)
		bad_usage("%s", "-o needs --merge or --timeline");
	if (!o->merge)
		return;
	if (o->name || o->uid_given || o->watch || o->follow || o->wait || o->rm || state_given)
		bad_usage("%s", "--merge takes no other option than -o and --json");
	if (o->ndirs == 0)
		bad_usage("%s", "--merge needs the log directories to merge");
	for (int i = 0; i < o->ndirs; i++)
		if (o->dirs[i][0] == '-')
			bad_usage("options go before the log directories: '%s'", o->dirs[i]);
}

static void check_modes(struct ps_opts *o, unsigned state_given)
{
	check_merge(o, state_given);
	check_timeline(o);
	if (o->rm && (o->name || o->json || o->watch || o->follow || o->wait || state_given))
		bad_usage("%s", "--rm takes no other option than -u");
	if (o->watch && (o->follow || o->wait))
		bad_usage("%s", "--watch does not go with --follow or --wait");
	if ((o->follow || o->wait) && !o->name)
		bad_usage("%s", "--follow and --wait need -n NAME");
	if (state_given && !o->name)
		bad_usage("%s", "--state needs -n NAME");
	if (state_given && (o->follow || o->wait))
		bad_usage("%s", "--state does not go with --follow or --wait");
	if (o->wait && o->json && !o->follow)
		bad_usage("%s", "--json does not go with --wait alone");
}

void ps_opts_parse(int argc, char **argv, struct ps_opts *o)
{
	unsigned state_given = 0;
	int c;

	memset(o, 0, sizeof(*o));
	o->uid = geteuid();
	o->watch_ms = WATCH_DEFAULT_MS;
	/* '+': no permutation, so the argument after an optional SEC is safe to
	 * inspect, and operands (--merge's only) come after every option. */
	while ((c = getopt_long(argc, argv, "+n:u:w::fho:L:j:", long_options, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (os_run_name_check(optarg))
				bad_usage("bad run name '%s' ([A-Za-z0-9._-], 1-64, no leading dot)",
					  optarg);
			o->name = optarg;
			break;
		case 'u':
			o->uid = parse_user(optarg);
			o->uid_given = 1;
			break;
		case OPT_STATE:
			o->view.state_mask = parse_states(optarg);
			state_given = 1;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case 'w':
			o->watch = 1;
			o->watch_ms = optional_sec("--watch", argc, argv, WATCH_DEFAULT_MS);
			break;
		case 'f':
			o->follow = 1;
			break;
		case OPT_WAIT:
			o->wait = 1;
			o->wait_ms = optional_sec("--wait", argc, argv, 0);
			break;
		case OPT_RM:
			if (os_run_name_check(optarg))
				bad_usage("bad run name '%s'", optarg);
			o->rm = optarg;
			break;
		case OPT_MERGE:
			o->merge = 1;
			break;
		case OPT_TIMELINE:
			o->timeline = 1;
			break;
		case 'o':
			o->out_dir = optarg;
			break;
		case 'L':
			if (optarg[0] == '\0')
				bad_usage("%s", "-L: an empty log directory name");
			o->logdir = optarg;
			break;
		case 'j':
			o->jobs = parse_jobs(optarg);
			break;
		case 'h':
			usage();
			exit(PS_EXIT_OK);
		case OPT_VERSION:
			printf("oneshot-ps (oneshot) %s\n", PACKAGE_VERSION);
			exit(PS_EXIT_OK);
		default:
			fprintf(stderr, "Try 'oneshot-ps --help'.\n");
			exit(PS_EXIT_USAGE);
		}
	}
	if (o->merge || (o->timeline && !o->name)) {
		o->dirs = argv + optind;
		o->ndirs = argc - optind;
	} else {
		parse_ids(o, argc - optind, argv + optind);
	}
	check_modes(o, state_given);
	if (o->uid_given && geteuid() != 0 && o->uid != geteuid())
		os_die(PS_EXIT_NO_RUN, "only root can see or remove another user's runs");
	view_init(o);
}
