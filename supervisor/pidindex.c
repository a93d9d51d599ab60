/*
 * pidindex.c: linear probing with backward-shift deletion (no tombstones, so
 * churn over a long run never degrades lookups).
 */
#include <stdlib.h>

#include "supervisor/pidindex.h"

struct pid_index {
	uint32_t mask;
	struct { pid_t pid; uint32_t value; } e[];
};

static uint32_t home(const struct pid_index *ix, pid_t pid)
{
	return ((uint32_t)pid * 2654435761u) & ix->mask;
}

struct pid_index *pid_index_new(uint32_t capacity)
{
	uint32_t size = 16;
	struct pid_index *ix;

	while (size < capacity * 2)
		size *= 2;
	ix = calloc(1, sizeof(*ix) + size * sizeof(ix->e[0]));
	if (ix)
		ix->mask = size - 1;
	return ix;
}

void pid_index_free(struct pid_index *ix)
{
	free(ix);
}

void pid_index_put(struct pid_index *ix, pid_t pid, uint32_t value)
{
	uint32_t i = home(ix, pid);

	while (ix->e[i].pid != 0 && ix->e[i].pid != pid)
		i = (i + 1) & ix->mask;
	ix->e[i].pid = pid;
	ix->e[i].value = value;
}

int64_t pid_index_get(const struct pid_index *ix, pid_t pid)
{
	for (uint32_t i = home(ix, pid); ix->e[i].pid != 0; i = (i + 1) & ix->mask)
		if (ix->e[i].pid == pid)
			return ix->e[i].value;
	return -1;
}

void pid_index_del(struct pid_index *ix, pid_t pid)
{
	uint32_t i = home(ix, pid), j;

	while (ix->e[i].pid != pid) {
		if (ix->e[i].pid == 0)
			return;
		i = (i + 1) & ix->mask;
	}
	/* Shift back every later entry of the run that may now sit closer to home. */
	for (j = (i + 1) & ix->mask; ix->e[j].pid != 0; j = (j + 1) & ix->mask) {
		uint32_t h = home(ix, ix->e[j].pid);
		if (((j - h) & ix->mask) >= ((j - i) & ix->mask)) {
			ix->e[i] = ix->e[j];
			i = j;
		}
	}
	ix->e[i].pid = 0;
}
