/*
 * syslogger.c: --syslog (see syslogger.h).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "supervisor/report.h"
#include "supervisor/run.h"
#include "shm/state.h"
#include "supervisor/syslogger.h"
#include "shm/util.h"

static int opened;

void syslogger_start(struct run *r)
{
	const struct os_header *h = r->table->hdr;

	if (!r->opt->use_syslog)
		return;
	/* Before any worker is forked.  The ident must outlive the run: the
	 * option's string is argv's or a literal. */
	openlog(r->opt->name, LOG_PID | LOG_NDELAY, LOG_USER);
	opened = 1;
	syslog(LOG_INFO, "run started: %u tasks, cap %u, pid %d, log dir %s", os_table_tasks(h),
	       h->cap, (int)getpid(), r->opt->log_dir);
}

void syslogger_task_end(struct run *r, uint32_t i, const struct os_slot_view *v)
{
	char why[OS_MESSAGE_MAX * 4 + 64], cmd[SYSLOGGER_CMD_MAX * 4 + 8];

	if (!opened || (v->state != OS_FAILED && v->state != OS_INTERRUPTED))
		return;
	fmt_cause(why, sizeof(why), v, 1);
	fmt_shown_text(cmd, sizeof(cmd), r->cmds[i], SYSLOGGER_CMD_MAX);
	syslog(LOG_WARNING, "task %u %s (%s): %s", v->id, os_state_name(v->state), why, cmd);
}

void syslogger_finish(struct run *r, int status)
{
	const struct os_header *h = r->table->hdr;
	char took[32];

	if (!opened)
		return;
	fmt_elapsed(took, sizeof(took), atomic_load(&h->end_mono_ns) - h->start_mono_ns, 1);
	syslog(LOG_INFO, "run ended: exit status %d, %u tasks: %u completed, %u failed, %u interrupted, "
	       "%u not started, in %s",
	       status, os_table_tasks(h), atomic_load(&h->counts[OS_COMPLETED]),
	       atomic_load(&h->counts[OS_FAILED]), atomic_load(&h->counts[OS_INTERRUPTED]),
	       atomic_load(&h->counts[OS_CREATED]), took);
	closelog();
	opened = 0;
}
