/*
 * queuefile.h: LOGDIR/queue, every task a queue run accepted, one line
 * each: the id in decimal, a tab, the command.  Appended and synced by the
 * supervisor before `oneshot-ctl add` is answered, so an id once printed
 * survives a SIGKILL or a power cut; read back by --queue --resume.
 */
#ifndef ONESHOT_LOGDIR_QUEUEFILE_H
#define ONESHOT_LOGDIR_QUEUEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "logdir/tasklist.h"

/*
 * Append tasks FIRST_ID .. FIRST_ID+N-1 (commands CMDS[i], LENS[i] bytes)
 * to FD (the queue file, O_APPEND) and fdatasync it.  A failed or short
 * write is cut back to where it began, so the file holds whole lines only.
 * Returns 0 or -errno.
 */
int queuefile_append(int fd, uint32_t first_id, uint32_t n, const char *const *cmds,
		     const uint32_t *lens);

/*
 * Read DIRFD's queue file into OUT (ids set, strictly increasing; line
 * numbers are the file's).  A last line without its newline is a write cut
 * short by a crash, never acknowledged: it is left out and *GOOD gets the
 * length of the whole lines, to cut the file back to before appending.
 * Returns 0, -ENOENT (no queue file), -EINVAL (ERR says which line is
 * wrong) or -errno.
 */
int queuefile_read(int dirfd, struct tasklist *out, uint64_t *good, char *err, size_t errlen);

#endif
