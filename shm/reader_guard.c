/*
 * reader_guard.c: turning a SIGBUS from a truncated table into an error.
 *
 * A new run with the same name truncates the table object in place
 * (ftruncate to 0, then to its size), and anyone may truncate their own
 * object at any time.  A reader that touches its mapping past the new end of
 * file gets SIGBUS.  That signal is synchronous: it is delivered to the
 * faulting thread at the faulting instruction, cannot be blocked usefully
 * (a blocked SIGBUS from a fault kills the process anyway) and so can never
 * be read from a signalfd like oneshot's other signals.  The only way to
 * survive it is a handler that leaves the faulting code, so this one does
 * exactly that and nothing else: siglongjmp back to os_guard_call, which
 * reports -EFAULT.  The guarded code only loads from the mapping and copies
 * into private memory; it never holds a lock while doing so, so abandoning
 * its frame is safe.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "shm/reader.h"

static sigjmp_buf *volatile guard_env;

static void on_sigbus(int sig)
{
	sigjmp_buf *env = guard_env;

	if (env)
		siglongjmp(*env, 1);
	/* A SIGBUS outside any guarded read is a real bug: die of it. */
	signal(sig, SIG_DFL);
	raise(sig);
}

int os_guard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL) < 0 ? -errno : 0;
}

int os_guard_call(int (*fn)(void *), void *arg)
{
	sigjmp_buf env;
	sigjmp_buf *volatile prev = guard_env;
	int ret;

	/* savemask = 1: the jump also unblocks SIGBUS again. */
	if (sigsetjmp(env, 1)) {
		guard_env = prev;
		return -EFAULT;
	}
	guard_env = &env;
	ret = fn(arg);
	guard_env = prev;
	return ret;
}
