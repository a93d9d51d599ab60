/*
 * detach.h: --detach.  The caller's process waits until the background
 * supervisor has its table, then prints "NAME PID" and exits; setup errors
 * still reach the caller's terminal and exit status.
 */
#ifndef ONESHOT_DETACH_H
#define ONESHOT_DETACH_H

/*
 * Fork.  In the parent: wait for the child's word and exit (0 with "NAME
 * PID" printed, or the child's own exit status).  In the child: start a new
 * session and return the fd to call detach_ready with, or -errno.
 */
int detach_begin(const char *name);

/* Tell the waiting parent the run is set up; point stdio at LOGFD. */
int detach_ready(int notify_fd, int logfd);

#endif
