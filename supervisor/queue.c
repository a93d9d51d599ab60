/*
 * queue.c: a queue run's tasks: which slot each gets, which start next,
 * and the add itself (recorded on disk, then in the table).  The endpoint
 * that takes the requests is queue_serve.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logdir/queuefile.h"
#include "shm/state.h"
#include "shm/util.h"
#include "supervisor/queue.h"
#include "supervisor/queue_add.h"
#include "supervisor/run.h"

static int fifo_init(struct slot_fifo *f, uint32_t size)
{
	f->at = malloc((size ? size : 1) * sizeof(*f->at));
	f->head = f->count = 0;
	f->size = size;
	return f->at ? 0 : -ENOMEM;
}

static void fifo_push(struct slot_fifo *f, uint32_t v)
{
	f->at[(f->head + f->count++) % f->size] = v;
}

static uint32_t fifo_pop(struct slot_fifo *f)
{
	uint32_t v = f->at[f->head];

	f->head = (f->head + 1) % f->size;
	f->count--;
	return v;
}

int queue_start(struct run *r, int file_fd, uint32_t tasks, char *const *cmds,
		const uint32_t *lens)
{
	struct queue *q = &r->queue;
	uint32_t slots = r->table->hdr->slot_count;
	int err;

	q->file_fd = file_fd;
	q->listen_fd = -1;
	for (unsigned c = 0; c < QUEUE_CLIENTS; c++)
		q->clients[c].fd = -1;
	r->cmds = calloc(slots, sizeof(*r->cmds));
	r->lens = calloc(slots, sizeof(*r->lens));
	if (!r->cmds || !r->lens || fifo_init(&q->pending, slots) || fifo_init(&q->free, slots))
		return -ENOMEM;
	for (uint32_t i = 0; i < slots; i++) {
		if (i >= tasks) {
			fifo_push(&q->free, i);
			continue;
		}
		r->cmds[i] = malloc((size_t)lens[i] + 1);
		if (!r->cmds[i])
			return -ENOMEM;
		memcpy(r->cmds[i], cmds[i], (size_t)lens[i] + 1);
		r->lens[i] = lens[i];
		fifo_push(&q->pending, i);
	}
	q->unfinished = tasks;
	q->on = 1;
	err = queue_listen(r);
	return err;
}

int queue_has_pending(const struct run *r)
{
	return r->queue.pending.count > 0;
}

uint32_t queue_peek(const struct run *r)
{
	return r->queue.pending.at[r->queue.pending.head];
}

void queue_take(struct run *r)
{
	fifo_pop(&r->queue.pending);
}

void queue_slot_done(struct run *r, uint32_t i)
{
	free(r->cmds[i]);
	r->cmds[i] = NULL;
	r->lens[i] = 0;
	r->queue.unfinished--;
	fifo_push(&r->queue.free, i);
	if (r->resume.attempts && i < r->resume.kept)
		r->resume.attempts[i] = 0; /* the slot's next task is a new one */
}

int queue_open(const struct run *r)
{
	return r->queue.on && atomic_load(&r->table->hdr->queue_open) && !r->stop_signal;
}

enum queue_status queue_refusal(const struct run *r, uint32_t n)
{
	const struct queue *q = &r->queue;

	if (r->stop_signal)
		return QUEUE_STOPPING;
	if (!queue_open(r))
		return QUEUE_CLOSED;
	if (n > r->table->hdr->slot_count - q->unfinished ||
	    (uint64_t)atomic_load(&r->table->hdr->next_id) + n > UINT32_MAX)
		return QUEUE_FULL;
	return QUEUE_OK;
}

enum queue_status queue_add(struct run *r, uint32_t n, char **cmds, const uint32_t *lens,
			    uint32_t *first_id)
{
	struct queue *q = &r->queue;
	struct os_header *h = r->table->hdr;
	enum queue_status why = queue_refusal(r, n);
	uint32_t first = atomic_load(&h->next_id);
	int err;

	if (why != QUEUE_OK)
		return why;
	/* On disk first: an id is printed only once it survives a crash. */
	err = queuefile_append(q->file_fd, first, n, (const char *const *)cmds, lens);
	if (err) {
		os_warn_err(err, "%s/queue: %u task(s) not added", r->opt->log_dir, n);
		return QUEUE_FAILED;
	}
	/* Given out before any slot shows it: validation checks ids against it. */
	atomic_store_explicit(&h->next_id, first + n, memory_order_release);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = fifo_pop(&q->free);

		os_slot_reuse(r->table, os_table_slot(r->table, i), first + k, cmds[k], lens[k], 0);
		r->cmds[i] = cmds[k]; /* ours now */
		r->lens[i] = lens[k];
		cmds[k] = NULL;
		fifo_push(&q->pending, i);
		q->unfinished++;
	}
	*first_id = first;
	return QUEUE_OK;
}

void queue_free(struct run *r)
{
	struct queue *q = &r->queue;

	if (!q->on)
		return;
	queue_close(r);
	for (uint32_t i = 0; i < r->table->hdr->slot_count; i++)
		free(r->cmds[i]);
	free(r->cmds);
	free(r->lens);
	r->cmds = NULL;
	r->lens = NULL;
	free(q->pending.at);
	free(q->free.at);
	free(q->rx);
	q->pending.at = q->free.at = NULL;
	q->rx = NULL;
	if (q->file_fd >= 0)
		close(q->file_fd);
	q->file_fd = -1;
	q->on = 0;
}
