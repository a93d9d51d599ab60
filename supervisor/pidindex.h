/*
 * pidindex.h: a small open-addressing map from a worker's pid to its entry,
 * so reaping stays O(1) however high the cap.
 */
#ifndef ONESHOT_PIDINDEX_H
#define ONESHOT_PIDINDEX_H

#include <stdint.h>
#include <sys/types.h>

struct pid_index;

/* A map for up to CAPACITY pids, or NULL. */
struct pid_index *pid_index_new(uint32_t capacity);
void pid_index_free(struct pid_index *ix);
void pid_index_put(struct pid_index *ix, pid_t pid, uint32_t value);
/* The value of PID, or -1 if absent. */
int64_t pid_index_get(const struct pid_index *ix, pid_t pid);
void pid_index_del(struct pid_index *ix, pid_t pid);

#endif
