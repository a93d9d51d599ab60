/*
 * ctl.c: oneshot-ctl's main: the options every subcommand takes (-n NAME,
 * -u USER, before or after the subcommand), then the subcommand.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctl/ctl.h"
#include "shm/util.h"

static const struct {
	const char *name;
	ctl_cmd_fn *fn;
} commands[] = {
	{ "interrupt", ctl_interrupt },
	{ "send", ctl_send },
	{ "screen", ctl_screen },
	{ "attach", ctl_attach },
	{ "add", ctl_add },
	{ "close", ctl_close },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: oneshot-ctl -n NAME [-u USER] COMMAND [OPTIONS] ID [ARGS]\n"
		"Act on a live task of run NAME; ID is the task's number, as oneshot-ps shows it.\n"
		"\n"
		"Commands:\n"
		"  interrupt ID...          interrupt tasks (reason operator), as --timeout does\n"
		"  send ID [TEXT...]        type TEXT and Enter into the task's terminal\n"
		"      --no-enter           leave Enter out\n"
		"      --key NAME           also send a named key (Enter, Tab, Escape, BSpace,\n"
		"                           Up, Down, Left, Right, C-a ... C-z; repeatable)\n"
		"      --file F             send the bytes of F (- for standard input) as they are\n"
		"      --timeout SEC        wait at most SEC for the task to take them (default 5)\n"
		"  screen ID                print what the task's terminal shows now\n"
		"      --ansi               keep colours and attributes\n"
		"      --json               as JSON\n"
		"  attach ID                show the task's terminal live and type into it\n"
		"      --read-only          watch only: send no keys, leave its size alone\n"
		"      --detach-key KEY     the key that detaches (default C-\\)\n"
		"  add [--] COMMAND...      add a task to a queue (a run started with --queue);\n"
		"                           prints its id\n"
		"  add -                    add a task per line of standard input\n"
		"      --json               print {\"id\":N} per task\n"
		"  close                    take no more tasks: the run ends once those it took\n"
		"                           have ended\n"
		"\n"
		"Options:\n"
		"  -n, --name NAME          the run\n"
		"  -u, --user USER          the run's owner (others than you: root only)\n"
		"  -h, --help               show this help\n"
		"  -V, --version            show the version\n"
		"\n"
		"Exit status: 0 done, 1 failed (no such run or task, the task is not live,\n"
		"timed out, not a queue, the queue closed), 2 usage or a bad task line,\n"
		"3 invalid table, 75 the queue is full (try again).  See oneshot-ctl(1).\n");
}

noreturn void ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", os_msg_prog());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'oneshot-ctl --help'.\n");
	exit(CTL_EXIT_USAGE);
}

/* -n, -u, -h, -V: 1 when OPT was one of them. */
static int common_option(struct ctl_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 'n':
		if (os_run_name_check(arg))
			ctl_usage_error("-n: invalid run name '%s'", arg);
		o->name = arg;
		return 1;
	case 'u':
		if (os_user_parse(arg, &o->uid))
			ctl_usage_error("--user: no such user '%s'", arg);
		o->uid_given = 1;
		return 1;
	case 'h':
		usage(stdout);
		exit(CTL_EXIT_OK);
	case 'V':
		printf("oneshot-ctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		exit(CTL_EXIT_OK);
	}
	return 0;
}

int ctl_getopt(struct ctl_opts *o, int argc, char **argv, const char *shortopts,
	       const struct option *longopts, void (*handle)(int opt, const char *arg, void *ctx),
	       void *ctx)
{
	static const struct option common[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
	};
	struct option all[32];
	char shorts[64];
	size_t n = 0;
	int opt;

	for (; longopts && longopts[n].name && n < 24; n++)
		all[n] = longopts[n];
	memcpy(all + n, common, sizeof(common));
	memset(all + n + 4, 0, sizeof(all[0]));
	/* Before the command, stop at it; after it, options may follow the id
	 * (as "send 3 --key Up"); "--" ends them, for TEXT that starts with -. */
	if (*shortopts == '+')
		snprintf(shorts, sizeof(shorts), "+n:u:hV%s", shortopts + 1);
	else
		snprintf(shorts, sizeof(shorts), "n:u:hV%s", shortopts);
	optind = 0; /* 0, not 1: glibc starts afresh, permutation state included */
	while ((opt = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
		if (opt == '?')
			ctl_usage_error("%s: bad option", argv[0]);
		if (!common_option(o, opt, optarg) && handle)
			handle(opt, optarg, ctx);
	}
	if (o->uid_given && geteuid() != 0 && o->uid != geteuid())
		os_die(CTL_EXIT_FAILED, "only root can act on another user's runs");
	return optind;
}

int main(int argc, char **argv)
{
	struct ctl_opts o = { .uid = geteuid() };
	int first;

	os_msg_init("oneshot-ctl");
	os_guard_install();
	first = ctl_getopt(&o, argc, argv, "+", NULL, NULL, NULL);
	if (first >= argc)
		ctl_usage_error("no command (interrupt, send, screen, attach, add or close)");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[first], commands[i].name) == 0)
			return commands[i].fn(&o, argc - first, argv + first);
	ctl_usage_error("unknown command '%s' (interrupt, send, screen, attach, add or close)", argv[first]);
}
