/*
 * ps_list.c: every run the caller may see (root: every user's), one line
 * each, or one JSON document {"runs": [...]}.  A table that cannot be read
 * is reported on standard error and the listing goes on.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ps/ps.h"
#include "fmt/fmt.h"
#include "shm/state.h"
#include "shm/util.h"

#define OWNER_MAX 32

static void owner_text(uid_t uid, char *buf)
{
	struct passwd *pw = getpwuid(uid);

	if (pw && strlen(pw->pw_name) < OWNER_MAX)
		snprintf(buf, OWNER_MAX, "%s", pw->pw_name);
	else
		snprintf(buf, OWNER_MAX, "%u", (unsigned)uid);
}

/* One line, cut to the view's width (a watch screen must not wrap). */
static void put_line(FILE *f, const struct ps_view *v, const char *line, int len)
{
	size_t n = len > 0 ? (size_t)len : 0;

	if (v->cols && n > v->cols)
		n = v->cols;
	fwrite(line, 1, n, f);
	putc('\n', f);
}

static void print_heading(FILE *f, const struct ps_view *v)
{
	char line[256];
	int n = snprintf(line, sizeof(line),
			 "%-16s %-10s %7s %-5s %4s %6s %7s %7s %6s %11s %9s %6s %s", "NAME",
			 "OWNER", "PID", "ALIVE", "JOBS", "TOTAL", "CREATED", "RUNNING", "IDLE",
			 "INTERRUPTED", "COMPLETED", "FAILED", "STARTED");

	put_line(f, v, line, n < (int)sizeof(line) ? n : (int)sizeof(line) - 1);
}

static void print_line(FILE *f, const struct ps_view *v, const struct os_run *r)
{
	char owner[OWNER_MAX], started[FMT_TIME_MAX], line[256];
	int n;

	owner_text(r->uid, owner);
	fmt_localtime(started, r->start_real_ns);
	n = snprintf(line, sizeof(line),
		     "%-16s %-10s %7d %-5s %4u %6u %7u %7u %6u %11u %9u %6u %s", r->name, owner,
		     (int)r->supervisor_pid, r->alive ? "yes" : "no", r->cap, r->total,
		     r->counts[OS_CREATED], r->counts[OS_RUNNING], r->counts[OS_IDLE],
		     r->counts[OS_INTERRUPTED], r->counts[OS_COMPLETED], r->counts[OS_FAILED],
		     started);
	put_line(f, v, line, n < (int)sizeof(line) ? n : (int)sizeof(line) - 1);
}

int ps_list_print(FILE *f, const struct ps_opts *o, const struct ps_view *v)
{
	struct os_run_obj *objs;
	size_t n, shown = 0;
	int status = PS_EXIT_OK, err;

	err = os_find_runs(OS_SHM_DIR, o->uid, geteuid() == 0 && !o->uid_given, &objs, &n);
	if (err)
		os_die_err(PS_EXIT_NO_RUN, err, "reading %s", OS_SHM_DIR);
	if (o->json)
		fputs("{\"runs\":[", f);
	for (size_t i = 0; i < n; i++) {
		struct os_run r;
		const char *why = NULL;

		err = os_run_snapshot(objs[i].uid, objs[i].name, OS_LOAD_COUNTS, &r, &why);
		if (err == -ENOENT || err == -EACCES) {
			os_run_free(&r);
			continue; /* removed meanwhile, or not ours to read */
		}
		if (err == -EPROTO || err == -EPERM) {
			os_warn("run %s (uid %u): invalid table: %s", objs[i].name,
				(unsigned)objs[i].uid, why ? why : "wrong owner, mode or file type");
			status = PS_EXIT_INVALID;
			os_run_free(&r);
			continue;
		}
		if (err) {
			os_warn_err(err, "run %s (uid %u)", objs[i].name, (unsigned)objs[i].uid);
			status = PS_EXIT_NO_RUN;
			os_run_free(&r);
			continue;
		}
		if (o->json) {
			fputs(shown ? ",\n" : "\n", f);
			ps_json_run_object(f, &r);
		} else {
			if (shown == 0)
				print_heading(f, v);
			print_line(f, v, &r);
		}
		shown++;
		os_run_free(&r);
	}
	free(objs);
	if (o->json)
		fputs(shown ? "\n]}\n" : "]}\n", f);
	else if (shown == 0)
		fprintf(f, "no runs\n");
	return status;
}

int ps_cmd_list(const struct ps_opts *o)
{
	struct ps_view v = o->view;
	int status;

	v.cols = 0; /* whole lines: only a watch screen must not wrap */
	status = ps_list_print(stdout, o, &v);

	ps_target_flush();
	return status;
}
