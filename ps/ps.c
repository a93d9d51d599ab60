/*
 * ps.c: oneshot-ps, show and follow oneshot runs.  It maps run tables
 * read-only and never writes to them; see oneshot-ps(1).
 */
#include <stdio.h>

#include "ps/ps.h"
#include "shm/util.h"

int main(int argc, char **argv)
{
	struct ps_opts o;
	int err;

	os_msg_init("oneshot-ps");
	err = os_guard_install();
	if (err)
		os_die_err(PS_EXIT_NO_RUN, err, "installing the SIGBUS handler");
	ps_opts_parse(argc, argv, &o);
	/* A table of 100,000 tasks is tens of MB of JSON: write in big blocks. */
	if (!o.tty)
		setvbuf(stdout, NULL, _IOFBF, 1 << 18);
	if (o.merge)
		return ps_cmd_merge(&o);
	if (o.rm)
		return ps_cmd_rm(&o);
	if (o.watch)
		return ps_cmd_watch(&o);
	if (o.follow)
		return ps_cmd_follow(&o);
	if (o.wait)
		return ps_cmd_wait(&o);
	if (o.name)
		return ps_cmd_show(&o);
	return ps_cmd_list(&o);
}
