/*
 * ps_rm.c: --rm NAME: remove a finished run's table.  To make "not alive"
 * and "removed" one step, the object is locked the way a new run locks it
 * before it is unlinked: a supervisor starting meanwhile is refused (its
 * lock fails) instead of having its fresh table unlinked.  Log files stay.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ps/ps.h"
#include "shm/util.h"

int ps_cmd_rm(const struct ps_opts *o)
{
	uid_t uid = ps_target_owner(o, o->rm);
	char objname[96];
	struct flock fl;
	struct stat st;
	int fd, err;

	err = os_table_object_name(objname, sizeof(objname), uid, o->rm);
	if (err)
		os_die_err(PS_EXIT_USAGE, err, "run name %s", o->rm);
	fd = shm_open(objname, O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0 && errno == ENOENT)
		os_die(PS_EXIT_NO_RUN, "no run named %s", o->rm);
	if (fd < 0)
		os_die_err(PS_EXIT_NO_RUN, -errno, "run %s", o->rm);
	if (fstat(fd, &st) < 0)
		os_die_err(PS_EXIT_NO_RUN, -errno, "run %s", o->rm);
	/* Only root may remove what is not the caller's, whatever the name says. */
	if (geteuid() != 0 && st.st_uid != geteuid())
		os_die(PS_EXIT_NO_RUN, "run %s: permission denied", o->rm);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		if (errno == EAGAIN || errno == EACCES)
			os_die(PS_EXIT_ALIVE, "run %s is alive: stop it before removing it", o->rm);
		os_die_err(PS_EXIT_NO_RUN, -errno, "locking run %s", o->rm);
	}
	if (shm_unlink(objname) < 0)
		os_die_err(PS_EXIT_NO_RUN, -errno, "removing run %s", o->rm);
	close(fd);
	return PS_EXIT_OK;
}
