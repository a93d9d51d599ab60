/*
 * ps.c: oneshot-ps, show and follow oneshot runs.  It maps run tables
 * read-only and never writes to them; see oneshot-ps(1).
 */
#include <stdio.h>
#include <stdlib.h>

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
	err = o.merge ? ps_cmd_merge(&o) : o.timeline ? ps_cmd_timeline(&o)
	    : o.rm ? ps_cmd_rm(&o) : o.watch ? ps_cmd_watch(&o)
	    : o.follow ? ps_cmd_follow(&o) : o.wait ? ps_cmd_wait(&o)
	    : o.name ? ps_cmd_show(&o) : ps_cmd_list(&o);
	free((void *)o.view.ids); /* the view holds it as const */
	return err;
}
