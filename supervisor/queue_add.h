/*
 * queue_add.h: between the queue's tasks (queue.c) and its endpoint
 * (queue_serve.c); nothing else uses these.
 */
#ifndef ONESHOT_SUPERVISOR_QUEUE_ADD_H
#define ONESHOT_SUPERVISOR_QUEUE_ADD_H

#include <stdint.h>

#include "steer/queue.h"

struct run;

/*
 * Add the N tasks CMDS/LENS (malloc'd commands: those taken are set to
 * NULL in CMDS, the caller frees the rest): on disk and synced, then each
 * in a free slot, waiting for a token; *FIRST_ID gets the first id, the
 * others follow.  All or nothing: QUEUE_OK, or why nothing was added.
 */
enum queue_status queue_add(struct run *r, uint32_t n, char **cmds, const uint32_t *lens,
			    uint32_t *first_id);

/* Why an add of N tasks cannot be taken now, or QUEUE_OK. */
enum queue_status queue_refusal(const struct run *r, uint32_t n);

/* Bind the endpoint and publish its key in the header: 0 or -errno. */
int queue_listen(struct run *r);

#endif
